//! Routing use cases: the IP-to-country table (loaded once per process), the constituency index
//! built from the directory, routing proposals for observables, and the CSV feed job.
use crate::{audit_entry, Ctx, Result, ServiceError, Services};
use atalaya_model::directory::{OrgKind, Organisation};
use atalaya_model::incident::{Observable, ObservableKind};
use atalaya_model::time_util::to_micros;
use atalaya_model::CountryCode;
use atalaya_policy::{allowed, Access, Target};
use atalaya_routing::{Basis, ConstituencyIndex, IpCountryBuilder, IpCountryTable, OrgRef, Route, Router};
use atalaya_store::incidents::FeedEventRow;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

/// Reads every `*.csv` file of `dir` (`start,end,CC` lines, IPv4 and IPv6).
pub fn load_ip_country(dir: &Path) -> std::result::Result<IpCountryTable, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no .csv files of IP ranges", dir.display()));
    }
    let mut b = IpCountryBuilder::default();
    for f in files {
        let file = std::fs::File::open(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        b.add_csv(&f.display().to_string(), std::io::BufReader::with_capacity(1 << 20, file))?;
    }
    Ok(b.build())
}

/// A proposed recipient of a case, with why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProposedRecipient {
    pub organisation: OrgRef,
    pub state: Option<CountryCode>,
    /// How many observables route here.
    pub observables: usize,
    /// The reasoning of (up to 20 of) those observables.
    pub reasons: Vec<String>,
    /// Already taking part in the case.
    pub participating: bool,
}

/// Where a case's observables go.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoutingProposal {
    pub proposed: Vec<ProposedRecipient>,
    /// States reached through the data for which the directory has no national CSIRT.
    pub states_without_csirt: Vec<CountryCode>,
    pub unrouted: usize,
    /// Per observable (first 1,000).
    pub routes: Vec<Route>,
    pub observables: usize,
    /// Whether IP-to-country data was available.
    pub ip_country_loaded: bool,
}

/// Result of a CSV feed import.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedReport {
    pub rows: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// The first rejected lines with their reason.
    pub errors: Vec<String>,
    /// Events per state (`null`: unrouted).
    pub by_state: BTreeMap<String, u64>,
    pub by_basis: BTreeMap<String, u64>,
}

/// The directory as routing sees it.
pub struct Directory {
    pub index: ConstituencyIndex,
    /// National CSIRT of each state.
    pub national: HashMap<String, OrgRef>,
}

pub(crate) fn org_ref(o: &Organisation) -> OrgRef {
    OrgRef { id: o.id, name: o.body.name.to_string(), state: o.body.country.clone() }
}

impl Directory {
    /// Routes one observable, then maps a state to its national CSIRT.
    pub fn route(&self, router: &Router<'_>, o: &Observable) -> Route {
        let mut r = router.route(o);
        if r.organisations.is_empty() {
            if let Some(cc) = &r.state {
                match self.national.get(cc.as_str()) {
                    Some(org) => {
                        r.reasoning = format!("{} → {}, national CSIRT of {cc}", r.reasoning, org.name);
                        r.organisations.push(org.clone());
                    }
                    None => r.reasoning = format!("{} (no national CSIRT of {cc} in the directory)", r.reasoning),
                }
            }
        }
        r
    }
}

impl Services {
    /// The IP-to-country table, read once from `[incidents] ip_country_dir` (default
    /// `DATA_DIR/ip-country`); `None` when no data is installed.
    pub fn ip_country(&self) -> Option<Arc<IpCountryTable>> {
        let rt = &self.config.incidents.runtime;
        if let Some(t) = rt.ip.get() {
            return t.clone();
        }
        let _guard = rt.ip_init.lock().ok()?;
        if let Some(t) = rt.ip.get() {
            return t.clone();
        }
        let dir = self
            .config
            .incidents
            .ip_country_dir
            .clone()
            .or_else(|| self.config.incidents.data_dir.as_ref().map(|d| d.join("ip-country")));
        let table = match dir {
            Some(d) if d.is_dir() => match load_ip_country(&d) {
                Ok(t) => {
                    tracing::info!(dir = %d.display(), rows = t.rows, "IP-to-country data loaded (NRO, CC BY 4.0)");
                    Some(Arc::new(t))
                }
                Err(e) => {
                    tracing::error!(error = e, "IP-to-country data not loaded");
                    None
                }
            },
            Some(d) => {
                tracing::warn!(dir = %d.display(), "no IP-to-country data: addresses outside declared constituencies stay unrouted");
                None
            }
            None => None,
        };
        let _ = rt.ip.set(table.clone());
        table
    }

    /// The constituency index over the organisations `ctx` may see.
    pub async fn routing_directory(&self, ctx: &Ctx) -> Result<Directory> {
        let orgs = self.store.org_list(None).await?;
        let mut index = ConstituencyIndex::default();
        let mut national = HashMap::new();
        for o in orgs.iter().filter(|o| allowed(&ctx.subject, Access::Read, &Target::Organisation { org_id: o.id, tlp: o.body.tlp })) {
            let r = org_ref(o);
            if o.body.kind == OrgKind::NationalCsirt {
                if let Some(c) = &o.body.country {
                    national.entry(c.to_string()).or_insert_with(|| r.clone());
                }
            }
            index.add(r, &o.body.constituency);
        }
        Ok(Directory { index, national })
    }

    /// Routes observables and groups them by proposed recipient.
    pub async fn route_observables(&self, ctx: &Ctx, obs: &[Observable], participants: &HashSet<Uuid>) -> Result<RoutingProposal> {
        let dir = self.routing_directory(ctx).await?;
        let ip = self.ip_country();
        let router = Router { orgs: &dir.index, ip: ip.as_deref() };
        let mut by_org: BTreeMap<Uuid, ProposedRecipient> = BTreeMap::new();
        let mut missing: Vec<CountryCode> = Vec::new();
        let mut unrouted = 0;
        let mut routes = Vec::new();
        for o in obs {
            let r = dir.route(&router, o);
            if r.basis == Basis::Unrouted {
                unrouted += 1;
            }
            if r.organisations.is_empty() {
                if let Some(cc) = &r.state {
                    if !missing.contains(cc) {
                        missing.push(cc.clone());
                    }
                }
            }
            for org in &r.organisations {
                let e = by_org.entry(org.id).or_insert_with(|| ProposedRecipient {
                    organisation: org.clone(),
                    state: org.state.clone(),
                    observables: 0,
                    reasons: vec![],
                    participating: participants.contains(&org.id),
                });
                e.observables += 1;
                if e.reasons.len() < 20 {
                    e.reasons.push(r.reasoning.clone());
                }
            }
            if routes.len() < 1000 {
                routes.push(r);
            }
        }
        missing.sort();
        let mut proposed: Vec<_> = by_org.into_values().collect();
        proposed.sort_by(|a, b| b.observables.cmp(&a.observables).then(a.organisation.name.cmp(&b.organisation.name)));
        Ok(RoutingProposal {
            proposed,
            states_without_csirt: missing,
            unrouted,
            routes,
            observables: obs.len(),
            ip_country_loaded: ip.is_some(),
        })
    }

    /// The feed job: a CSV of events (`time` plus `ip`, `url` and/or `domain` columns, header
    /// line first) is parsed, routed to state and constituency, de-duplicated and stored in one
    /// transaction. `progress` is called with the number of bytes parsed.
    pub async fn import_feed(&self, ctx: &Ctx, source: &str, csv: &str, progress: &(dyn Fn(u64) + Sync)) -> Result<FeedReport> {
        crate::require(ctx, Access::Write, &Target::Node).or_else(|_| {
            // Analysts may run feeds too; the node decides through policy on Object writes.
            match ctx.subject.principal() {
                Some(p) if atalaya_policy::decide_case(&ctx.subject, atalaya_policy::CaseAction::EditCore, &atalaya_policy::CaseAccess { tlp: atalaya_model::Tlp::Amber, reporting_org: p.org_id, participants: &[] }).allowed() => Ok(()),
                _ => Err(ServiceError::Forbidden("only the node's administrators and analysts import feeds".into())),
            }
        })?;
        let dir = self.routing_directory(ctx).await?;
        let ip = self.ip_country();
        let router = Router { orgs: &dir.index, ip: ip.as_deref() };
        let mut lines = csv.lines();
        let header = lines.next().ok_or_else(|| ServiceError::invalid("feed", "the file is empty (expected a header line: time,ip,url)"))?;
        let cols: Vec<String> = split_csv(header).into_iter().map(|c| c.trim().to_ascii_lowercase()).collect();
        let col = |n: &str| cols.iter().position(|c| c == n);
        let t_col = col("time").or_else(|| col("timestamp")).ok_or_else(|| ServiceError::invalid("feed", "the header has no 'time' column"))?;
        let (ip_col, url_col, dom_col) = (col("ip").or_else(|| col("source.ip")), col("url"), col("domain").or_else(|| col("fqdn")));
        if ip_col.is_none() && url_col.is_none() && dom_col.is_none() {
            return Err(ServiceError::invalid("feed", "the header needs an 'ip', 'url' or 'domain' column"));
        }
        let mut report = FeedReport { rows: 0, stored: 0, duplicates: 0, rejected: 0, errors: vec![], by_state: BTreeMap::new(), by_basis: BTreeMap::new() };
        let mut seen: HashSet<String> = HashSet::new();
        let mut rows: Vec<FeedEventRow> = Vec::new();
        let mut consumed = header.len() as u64 + 1;
        for (n, line) in lines.enumerate() {
            consumed += line.len() as u64 + 1;
            if n % 8192 == 0 {
                progress(consumed);
            }
            if line.trim().is_empty() {
                continue;
            }
            report.rows += 1;
            let f = split_csv(line);
            let get = |c: Option<usize>| c.and_then(|i| f.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty());
            let reject = |report: &mut FeedReport, why: String| {
                report.rejected += 1;
                if report.errors.len() < 20 {
                    report.errors.push(format!("line {}: {why}", n + 2));
                }
            };
            let Some(t) = get(Some(t_col)) else {
                reject(&mut report, "no time".into());
                continue;
            };
            let at = match parse_time(t) {
                Some(a) => a,
                None => {
                    reject(&mut report, format!("time '{t}' is neither RFC 3339 nor Unix seconds"));
                    continue;
                }
            };
            let (ipv, urlv, domv) = (get(ip_col), get(url_col), get(dom_col));
            let obs = if let Some(v) = ipv {
                match v.parse::<IpAddr>() {
                    Ok(a) => Observable::Ip(a),
                    Err(_) => {
                        reject(&mut report, format!("ip '{v}' is not an IP address"));
                        continue;
                    }
                }
            } else if let Some(v) = urlv {
                match Observable::parse_as(ObservableKind::Url, v) {
                    Ok(o) => o,
                    Err(e) => {
                        reject(&mut report, format!("url: {e}"));
                        continue;
                    }
                }
            } else if let Some(v) = domv {
                match Observable::parse_as(ObservableKind::Domain, v) {
                    Ok(o) => o,
                    Err(e) => {
                        reject(&mut report, format!("domain: {e}"));
                        continue;
                    }
                }
            } else {
                reject(&mut report, "no ip, url or domain".into());
                continue;
            };
            let key = format!("{}|{}|{}|{}", at, ipv.unwrap_or(""), urlv.unwrap_or(""), domv.unwrap_or(""));
            if !seen.insert(key.clone()) {
                report.duplicates += 1;
                continue;
            }
            let value = obs.value();
            let loc = router.locate(&obs);
            let state = loc.country.map(|c| String::from_utf8_lossy(&c).into_owned());
            let org = match loc.org {
                Some(i) => Some(dir.index.org(i).id),
                None => state.as_ref().and_then(|s| dir.national.get(s)).map(|o| o.id),
            };
            let basis = match loc.basis {
                Basis::DeclaredConstituency => "declared-constituency",
                Basis::IpCountry => "ip-country",
                Basis::CcTld => "cctld",
                Basis::Unrouted => "unrouted",
            };
            let routed = (state, org, basis);
            *report.by_state.entry(routed.0.as_deref().unwrap_or("unrouted").to_string()).or_default() += 1;
            *report.by_basis.entry(routed.2.to_string()).or_default() += 1;
            rows.push(FeedEventRow { dedup_key: key, observed_at: at, kind: obs.kind().as_str(), value, state: routed.0, org_id: routed.1, basis: routed.2 });
        }
        progress(consumed);
        let parsed_at = std::time::Instant::now();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        report.stored = tx.feed_insert(&rows, source, now).await?;
        tracing::debug!(store_ms = parsed_at.elapsed().as_millis() as u64, rows = rows.len(), "feed rows stored");
        report.duplicates += rows.len() as u64 - report.stored;
        tx.audit_append(
            &audit_entry(ctx, "feed.import", "feed", Some(source.to_string()), serde_json::json!({"rows": report.rows, "stored": report.stored, "duplicates": report.duplicates, "rejected": report.rejected})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// A feed's time column: Unix seconds or RFC 3339, as microseconds (public for the fuzz targets).
pub fn parse_time(t: &str) -> Option<i64> {
    if let Ok(secs) = t.parse::<i64>() {
        return Some(secs.saturating_mul(1_000_000));
    }
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok().map(to_micros)
}

/// Splits one CSV line (RFC 4180 quoting: `"a,b"` and `""` inside quotes).
/// One CSV line split into fields (RFC 4180 quoting; public for the fuzz targets).
pub fn split_csv(line: &str) -> Vec<std::borrow::Cow<'_, str>> {
    if !line.contains('"') {
        return line.split(',').map(std::borrow::Cow::Borrowed).collect();
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::borrow::Cow::Owned(std::mem::take(&mut cur))),
            (c, _) => cur.push(c),
        }
    }
    out.push(std::borrow::Cow::Owned(cur));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_and_times() {
        let f = split_csv(r#"2026-01-01T00:00:00Z,"http://x.example/a,b","say ""hi""""#);
        assert_eq!(f.len(), 3);
        assert_eq!(f[1], "http://x.example/a,b");
        assert_eq!(f[2], "say \"hi\"");
        assert_eq!(parse_time("10"), Some(10_000_000));
        assert!(parse_time("2026-01-01T00:00:00Z").is_some());
        assert!(parse_time("yesterday").is_none());
    }
}
