//! Correlation ("who else has seen 203.0.113.7?") and warninglist flags.
//!
//! The correlation index lives in memory (atalaya-correlation) and is derived from the store:
//! it catches up from the last indexed `seq` before every use, so it is right after a restart
//! and across processes sharing one database. Frequent values are summarised (counts), never
//! stored as N² pairs. Warninglists are stored in the database and reloaded when their version
//! changes; hits are flagged, never silently dropped.
use crate::intel::{may_read, object_values};
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use atalaya_correlation::{Config, CorrelationIndex, MatchKind, Value};
use atalaya_model::Tlp;
use atalaya_policy::{Access, Target};
use atalaya_warninglists::{Warninglist, Warninglists};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use uuid::Uuid;

/// Shared in-memory state of the intelligence services.
pub struct IntelState {
    pub(crate) index: RwLock<(CorrelationIndex, i64)>,
    refresh: tokio::sync::Mutex<()>,
    lists: RwLock<(i64, std::sync::Arc<Warninglists>)>,
    lists_refresh: Mutex<()>,
}

impl Default for IntelState {
    fn default() -> Self {
        IntelState {
            index: RwLock::new((CorrelationIndex::new(Config::default()), 0)),
            refresh: tokio::sync::Mutex::new(()),
            lists: RwLock::new((-1, std::sync::Arc::new(Warninglists::new()))),
            lists_refresh: Mutex::new(()),
        }
    }
}

/// A warninglist entry that matched a value.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WarninglistHit {
    pub value: String,
    pub list: String,
    pub matched: String,
}

/// The organisation that holds a matching object.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Holder {
    pub id: Uuid,
    pub name: String,
    pub country: Option<String>,
}

/// One object that shares a value.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CorrelationMatch {
    pub id: String,
    #[serde(rename = "type")]
    pub object_type: String,
    pub version: String,
    pub name: Option<String>,
    pub tlp: Tlp,
    pub revoked: bool,
    pub organisation: Holder,
    /// The stored value that matched (e.g. the network containing the queried address).
    pub matched_value: String,
    /// exact, contains, contained-by, subdomain, parent-domain
    pub relation: String,
}

/// A value seen so often that only its count is kept.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FrequentValue {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CorrelationAnswer {
    pub value: String,
    pub kind: String,
    pub matches: Vec<CorrelationMatch>,
    pub frequent: Vec<FrequentValue>,
    pub warninglists: Vec<WarninglistHit>,
    /// More matches existed than were listed.
    pub truncated: bool,
}

fn relation(k: MatchKind) -> &'static str {
    match k {
        MatchKind::Exact => "exact",
        MatchKind::Contains => "contains",
        MatchKind::ContainedBy => "contained-by",
        MatchKind::Subdomain => "subdomain",
        MatchKind::ParentDomain => "parent-domain",
    }
}

/// Guesses the kind of a bare value: IP (with optional /len), AS number, hash, URL, e-mail, domain.
pub fn detect_kind(raw: &str) -> &'static str {
    let v = raw.trim();
    let host = v.split('/').next().unwrap_or(v);
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return "ipv4";
    }
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        return "ipv6";
    }
    let up = v.to_ascii_uppercase();
    if up.starts_with("AS") && up.len() > 2 && up[2..].bytes().all(|b| b.is_ascii_digit()) {
        return "asn";
    }
    if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        match v.len() {
            32 => return "md5",
            40 => return "sha1",
            64 => return "sha256",
            128 => return "sha512",
            _ => {}
        }
    }
    if v.contains("://") {
        return "url";
    }
    if v.contains('@') {
        return "email";
    }
    "domain"
}

fn wl_kind(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "ipv4" => "ipv4",
        "ipv6" => "ipv6",
        "domain" => "domain",
        "url" => "url",
        "email" => "email",
        "md5" => "md5",
        "sha1" => "sha1",
        "sha256" => "sha256",
        "sha512" => "sha512",
        _ => return None,
    })
}

/// The correlation values of stored versions (only those that have any), as
/// [`Services::refresh_index`] indexes them; big pages are parsed on blocking threads in parallel.
async fn index_values(rows: Vec<atalaya_store::StixRecord>) -> Result<Vec<(u64, Vec<Value>)>> {
    fn values_of(rows: &[atalaya_store::StixRecord]) -> Vec<(u64, Vec<Value>)> {
        rows.iter()
            .filter_map(|r| {
                let body: serde_json::Value = serde_json::from_str(&r.body).ok()?;
                let values: Vec<Value> = object_values(&body).into_iter().filter_map(|(k, v)| Value::parse(&k, &v).ok()).collect();
                (!values.is_empty()).then_some((r.seq as u64, values))
            })
            .collect()
    }
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(8).min(rows.len() / 256).max(1);
    if threads == 1 {
        return Ok(values_of(&rows));
    }
    let per = rows.len().div_ceil(threads);
    let mut it = rows.into_iter();
    let mut tasks = vec![];
    loop {
        let chunk: Vec<atalaya_store::StixRecord> = it.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        tasks.push(tokio::task::spawn_blocking(move || values_of(&chunk)));
    }
    let mut out = vec![];
    for t in tasks {
        out.extend(t.await.map_err(|e| ServiceError::Internal(format!("index refresh: {e}")))?);
    }
    Ok(out)
}

impl Services {
    /// Brings the in-memory index up to the newest stored version.
    pub async fn refresh_index(&self) -> Result<()> {
        let _guard = self.intel.refresh.lock().await;
        let upto = self.intel.index.read().map_err(|_| ServiceError::Internal("index lock".into()))?.1;
        self.catch_up_index(upto, None).await.map(|_| ())
    }

    /// After this process committed versions `own` ((seq, values), ascending seq): reads the
    /// versions other writers stored below the first of them from the store (as
    /// [`Services::refresh_index`] does), then adds `own` as given instead of reading the
    /// bodies back and extracting their values again. Sequence numbers are handed out in commit
    /// order, so everything below `own` is committed and nothing else lies between its first and
    /// last seq. Versions of other writers after `own` are picked up by the next refresh.
    pub(crate) async fn refresh_index_with(&self, own: &[(u64, &[Value])]) -> Result<()> {
        let (Some(&(first, _)), Some(&(last, _))) = (own.first(), own.last()) else {
            return self.refresh_index().await;
        };
        let (first, last) = (first as i64, last as i64);
        let _guard = self.intel.refresh.lock().await;
        let mut upto = self.intel.index.read().map_err(|_| ServiceError::Internal("index lock".into()))?.1;
        if upto < first - 1 {
            upto = self.catch_up_index(upto, Some(first)).await?;
        }
        let mut idx = self.intel.index.write().map_err(|_| ServiceError::Internal("index lock".into()))?;
        // Rows at or below `upto` were read from the store already (a refresh that ran after the commit).
        for (seq, values) in own {
            if *seq as i64 > upto && !values.is_empty() {
                idx.0.insert(*seq, values);
            }
        }
        idx.1 = upto.max(last);
        Ok(())
    }

    /// Reads stored versions after `upto` into the index, page by page, until none is left or,
    /// with `stop`, until the next one has a seq of `stop` or more. Returns the new cursor. The
    /// caller holds the refresh lock. Bodies are parsed on blocking threads, in parallel.
    async fn catch_up_index(&self, mut upto: i64, stop: Option<i64>) -> Result<i64> {
        const PAGE: i64 = 5000;
        // With a stop, the next version is usually the first of `own`: look at one row first.
        let mut limit = if stop.is_some() { 1 } else { PAGE };
        // After a bulk catch-up (a restart over a big store), the index's ordered sets are merged
        // into one array each: range scans (networks, subdomains) then search one level.
        const COMPACT_AFTER: usize = 100_000;
        let mut read = 0usize;
        let compact = |read: usize| -> Result<()> {
            if read >= COMPACT_AFTER {
                self.intel.index.write().map_err(|_| ServiceError::Internal("index lock".into()))?.0.compact();
            }
            Ok(())
        };
        loop {
            let mut page = self.store.stix_after(upto, limit, &[]).await?;
            limit = PAGE;
            let n = page.len();
            if let Some(s) = stop {
                page.retain(|r| r.seq < s);
            }
            let stopped = page.len() < n;
            let Some(last) = page.last().map(|r| r.seq) else {
                compact(read)?;
                return Ok(upto);
            };
            read += page.len();
            let batch = index_values(page).await?;
            let mut idx = self.intel.index.write().map_err(|_| ServiceError::Internal("index lock".into()))?;
            for (seq, values) in &batch {
                idx.0.insert(*seq, values);
            }
            idx.1 = last;
            upto = last;
            drop(idx);
            if stopped {
                compact(read)?;
                return Ok(upto);
            }
        }
    }

    /// Loads the stored warninglists again when they changed (any process may change them).
    pub async fn current_warninglists(&self) -> Result<std::sync::Arc<Warninglists>> {
        let version: i64 = self.store.meta_get("warninglists.version").await?.and_then(|v| v.parse().ok()).unwrap_or(0);
        {
            let g = self.intel.lists.read().map_err(|_| ServiceError::Internal("lists lock".into()))?;
            if g.0 == version {
                return Ok(g.1.clone());
            }
        }
        let records = self.store.warninglists().await?;
        let mut lists = Warninglists::new();
        for r in records {
            match atalaya_warninglists::parse_list(r.body.as_bytes()) {
                Ok(l) => {
                    let name = l.name.clone();
                    lists.add(l);
                    lists.set_enabled(&name, r.enabled);
                }
                Err(e) => tracing::warn!(list = %r.name, error = %e, "stored warninglist no longer parses"),
            }
        }
        let arc = std::sync::Arc::new(lists);
        let _g = self.intel.lists_refresh.lock().map_err(|_| ServiceError::Internal("lists lock".into()))?;
        let mut w = self.intel.lists.write().map_err(|_| ServiceError::Internal("lists lock".into()))?;
        *w = (version, arc.clone());
        Ok(arc)
    }

    /// Warninglist hits of (kind, value) pairs.
    pub async fn warninglist_hits(&self, values: &[(String, String)]) -> Result<Vec<WarninglistHit>> {
        let lists = self.current_warninglists().await?;
        let mut out = vec![];
        for (kind, v) in values {
            if let Some(k) = wl_kind(kind) {
                for h in lists.check(k, v) {
                    out.push(WarninglistHit { value: v.clone(), list: h.list, matched: h.matched });
                }
            }
        }
        Ok(out)
    }

    /// Who else has seen this value: every visible object sharing it (with CIDR containment
    /// and parent/sub-domains), with the holding organisation and state.
    pub async fn correlate_value(&self, ctx: &Ctx, kind: Option<&str>, raw: &str, limit: usize) -> Result<CorrelationAnswer> {
        let kind = kind.unwrap_or_else(|| detect_kind(raw)).to_string();
        let value = Value::parse(&kind, raw).map_err(|e| ServiceError::invalid("value", e))?;
        self.refresh_index().await?;
        let lookup = {
            let idx = self.intel.index.read().map_err(|_| ServiceError::Internal("index lock".into()))?;
            idx.0.lookup(&value, limit.saturating_mul(4).max(64))
        };
        let mut answer = self.describe_matches(ctx, &lookup.matches, None, limit).await?;
        answer.value = value.to_string();
        answer.kind = kind.clone();
        answer.truncated |= lookup.truncated;
        answer.frequent = lookup.frequent.iter().map(|(v, c)| FrequentValue { value: v.to_string(), count: *c }).collect();
        answer.warninglists = self.warninglist_hits(&[(kind, value.to_string())]).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.audit_append(&audit_entry(ctx, "stix.correlate", "value", Some(answer.value.clone()), serde_json::json!({"matches": answer.matches.len()})), now).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(crate) async fn describe_matches(&self, ctx: &Ctx, matches: &[(u64, Value, MatchKind)], exclude_id: Option<&str>, limit: usize) -> Result<CorrelationAnswer> {
        let seqs: Vec<i64> = matches.iter().map(|(s, _, _)| *s as i64).collect();
        let rows = self.store.stix_by_seq(&seqs).await?;
        let by_seq: HashMap<i64, _> = rows.into_iter().map(|r| (r.seq, r)).collect();
        let mut orgs: HashMap<Uuid, Holder> = HashMap::new();
        let mut out = vec![];
        let mut truncated = false;
        let mut audited = vec![];
        for (seq, v, k) in matches {
            let Some(r) = by_seq.get(&(*seq as i64)) else { continue };
            if exclude_id == Some(r.stix_id.as_str()) {
                continue;
            }
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
            if !may_read(ctx, r, &body) {
                continue;
            }
            if out.len() >= limit {
                truncated = true;
                break;
            }
            if !orgs.contains_key(&r.owner_org) {
                let h = match self.store.org_get(r.owner_org).await? {
                    Some(o) => Holder { id: o.id, name: o.body.name.to_string(), country: o.body.country.map(|c| c.to_string()) },
                    None => Holder { id: r.owner_org, name: "(unknown)".into(), country: None },
                };
                orgs.insert(r.owner_org, h);
            }
            if atalaya_policy::must_audit_read(r.tlp) {
                audited.push((r.stix_id.clone(), r.tlp));
            }
            out.push(CorrelationMatch {
                id: r.stix_id.clone(),
                object_type: r.object_type.clone(),
                version: r.version.clone(),
                name: body.get("name").and_then(|n| n.as_str()).map(str::to_string),
                tlp: r.tlp,
                revoked: r.revoked,
                organisation: orgs[&r.owner_org].clone(),
                matched_value: v.to_string(),
                relation: relation(*k).to_string(),
            });
        }
        self.audit_object_reads(ctx, &audited).await?;
        Ok(CorrelationAnswer { value: String::new(), kind: String::new(), matches: out, frequent: vec![], warninglists: vec![], truncated })
    }

    /// For each value of the object's latest visible version: the other visible objects
    /// sharing it.
    pub async fn correlate_object(&self, ctx: &Ctx, stix_id: &str, limit: usize) -> Result<Vec<CorrelationAnswer>> {
        let versions = self.get_object(ctx, stix_id).await?;
        let latest = versions.last().ok_or_else(|| ServiceError::NotFound(format!("object {stix_id}")))?;
        self.refresh_index().await?;
        let mut out = vec![];
        for (kind, raw) in object_values(&latest.object) {
            let Ok(value) = Value::parse(&kind, &raw) else { continue };
            let lookup = {
                let idx = self.intel.index.read().map_err(|_| ServiceError::Internal("index lock".into()))?;
                idx.0.lookup(&value, limit.saturating_mul(4).max(64))
            };
            let mut a = self.describe_matches(ctx, &lookup.matches, Some(stix_id), limit).await?;
            a.value = value.to_string();
            a.kind = kind.clone();
            a.truncated |= lookup.truncated;
            a.frequent = lookup.frequent.iter().map(|(v, c)| FrequentValue { value: v.to_string(), count: *c }).collect();
            a.warninglists = self.warninglist_hits(&[(kind, value.to_string())]).await?;
            out.push(a);
        }
        Ok(out)
    }

    /// Stores a MISP-format warninglist (admins of the node's organisation). Returns the
    /// parsed list's summary and the entries skipped with their reasons.
    pub async fn put_warninglist(&self, ctx: &Ctx, json: &[u8]) -> Result<WarninglistInfo> {
        require(ctx, Access::Write, &Target::Node)?;
        let list: Warninglist = atalaya_warninglists::parse_list(json).map_err(|e| ServiceError::invalid(e.field().unwrap_or("body").to_string(), e.to_string()))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let body = std::str::from_utf8(json).map_err(|_| ServiceError::invalid("body", "not UTF-8"))?;
        tx.warninglist_put(&list.name, list.entries as i64, body, &ctx.subject.actor(), now).await?;
        tx.audit_append(&audit_entry(ctx, "warninglist.put", "warninglist", Some(list.name.clone()), serde_json::json!({"entries": list.entries, "version": list.version})), now).await?;
        tx.commit().await?;
        Ok(WarninglistInfo {
            name: list.name.clone(),
            description: list.description.clone(),
            version: list.version,
            kind: list.kind.as_str().to_string(),
            entries: list.entries as u64,
            enabled: true,
            matching_attributes: list.matching_attributes.clone(),
            warnings: list.warnings.clone(),
        })
    }

    pub async fn list_warninglists(&self, ctx: &Ctx) -> Result<Vec<WarninglistInfo>> {
        if ctx.subject.principal().is_none() && !matches!(ctx.subject, atalaya_policy::Subject::Operator) {
            return Err(ServiceError::Unauthenticated("authentication required".into()));
        }
        let lists = self.current_warninglists().await?;
        Ok(lists
            .lists()
            .map(|(l, enabled)| WarninglistInfo {
                name: l.name.clone(),
                description: l.description.clone(),
                version: l.version,
                kind: l.kind.as_str().to_string(),
                entries: l.entries as u64,
                enabled,
                matching_attributes: l.matching_attributes.clone(),
                warnings: vec![],
            })
            .collect())
    }

    pub async fn set_warninglist_enabled(&self, ctx: &Ctx, name: &str, enabled: bool) -> Result<()> {
        require(ctx, Access::Write, &Target::Node)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.warninglist_set_enabled(name, enabled).await? {
            return Err(ServiceError::NotFound(format!("warninglist '{name}'")));
        }
        tx.audit_append(&audit_entry(ctx, "warninglist.enable", "warninglist", Some(name.to_string()), serde_json::json!({"enabled": enabled})), now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_warninglist(&self, ctx: &Ctx, name: &str) -> Result<()> {
        require(ctx, Access::Write, &Target::Node)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.warninglist_delete(name).await? {
            return Err(ServiceError::NotFound(format!("warninglist '{name}'")));
        }
        tx.audit_append(&audit_entry(ctx, "warninglist.delete", "warninglist", Some(name.to_string()), serde_json::json!({})), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A warninglist as the node holds it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WarninglistInfo {
    pub name: String,
    pub description: String,
    pub version: u64,
    /// cidr, string, substring, hostname or regex
    pub kind: String,
    pub entries: u64,
    pub enabled: bool,
    pub matching_attributes: Vec<String>,
    /// Entries skipped while parsing, with the reason (upload answer only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
