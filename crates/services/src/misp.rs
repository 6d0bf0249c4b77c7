//! MISP interoperability: MISP events (files, directories, feeds) and CSV/free-text indicator
//! lists into the node's STIX store, and the node's STIX data as MISP events and a MISP feed.
//!
//! - **Import** converts an event with `atalaya_misp::to_stix` and stores it through
//!   [`Services::import_batch`] (validation, ownership, TLP, audit: the one import path). Each
//!   event is all or nothing: every STIX object is checked first, and ids owned by another
//!   organisation refuse the event (except objects many events share — organisation
//!   identities, galaxy SDOs, SCOs — which are left out, the reference kept). MISP distribution
//!   levels become Atalaya distributions (0 → the importing organisation; 1 → the organisations
//!   of the node's state; 2, 3 → the network; 4 → the sharing group's id); objects of different
//!   distributions go in separate batches, the report last.
//! - **Feeds** are read incrementally: per feed, the timestamp of every imported event is kept
//!   in `node_meta` (`misp.feed.<feed id>.<event uuid>`); an event whose manifest timestamp is
//!   not newer is skipped.
//! - **Reads** (feed serving, export) go through [`crate::intel::may_read`] object by object and
//!   audit reads of TLP:AMBER and stricter objects, like every other read.
use crate::intel::{may_read, DistributionDoc, ImportOptions, ImportReport};
use crate::{audit_entry, Ctx, Result, ServiceError, Services};
use atalaya_misp::freetext::Detected;
use atalaya_misp::from_stix::{self, EventMeta, Item};
use atalaya_misp::to_stix::{event_to_stix, StixOut};
use atalaya_misp::ParsedEvent;
use atalaya_model::Tlp;
use atalaya_store::StixRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// What happened to one MISP event.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MispEventOutcome {
    pub uuid: String,
    pub info: String,
    /// `imported`, `unchanged` (feed: timestamp not newer than the one imported) or `refused`.
    pub outcome: String,
    /// STIX objects stored, new versions, already stored.
    pub stored: u64,
    pub updated: u64,
    pub skipped: u64,
    /// Shared objects (organisation identities, galaxy SDOs, SCOs) already published by another
    /// organisation: left out, references kept.
    pub left_out: u64,
    /// Why the event was refused: the field at fault and the reason.
    pub field: Option<String>,
    pub reason: Option<String>,
    /// Elements not carried over or derived (uuids), each naming the element.
    pub warnings: Vec<String>,
}

/// What a MISP import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MispImportReport {
    pub events: u64,
    pub imported: u64,
    pub unchanged: u64,
    pub refused: u64,
    /// The STIX objects written, summed over the events.
    pub stix: ImportReport,
    /// One entry per event (first 1,000).
    pub details: Vec<MispEventOutcome>,
}

impl MispImportReport {
    pub fn add(&mut self, o: MispEventOutcome, stix: Option<ImportReport>) {
        self.events += 1;
        match o.outcome.as_str() {
            "imported" => self.imported += 1,
            "unchanged" => self.unchanged += 1,
            _ => self.refused += 1,
        }
        if let Some(s) = stix {
            self.stix.merge(s);
        }
        if self.details.len() < 1000 {
            self.details.push(o);
        }
    }
    pub fn merge(&mut self, o: MispImportReport) {
        self.events += o.events;
        self.imported += o.imported;
        self.unchanged += o.unchanged;
        self.refused += o.refused;
        self.stix.merge(o.stix);
        let room = 1000usize.saturating_sub(self.details.len());
        self.details.extend(o.details.into_iter().take(room));
    }
}

/// A stable short id of a feed: its source (URL or directory) and the credential it is read
/// with (a feed shows each reader what that reader may see, so another token is another feed).
pub fn feed_id(source: &str, credential: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let norm = source.trim().trim_end_matches('/').trim_end_matches("/manifest.json");
    let mut h = Sha256::new();
    h.update(norm.as_bytes());
    if let Some(c) = credential {
        h.update([0u8]);
        h.update(Sha256::digest(c.as_bytes()));
    }
    hex::encode(&h.finalize()[..8])
}

/// Owner organisation, day added, TLP: one synthetic event each.
type DayKey = (Uuid, String, Tlp);

fn feed_key(feed: &str, event: Uuid) -> String {
    format!("misp.feed.{feed}.{event}")
}

fn distribution_doc(level: Option<u8>, group: Option<Uuid>, owner: Uuid, country: Option<atalaya_model::CountryCode>) -> Option<DistributionDoc> {
    let only_owner = || DistributionDoc { organisations: vec![owner], ..Default::default() };
    match level {
        None | Some(2) | Some(3) => None,
        Some(0) => Some(only_owner()),
        Some(1) => Some(match country {
            Some(c) => DistributionDoc { states: vec![c], organisations: vec![owner], ..Default::default() },
            None => only_owner(),
        }),
        Some(4) => Some(match group {
            Some(g) => DistributionDoc { groups: vec![g], organisations: vec![owner], ..Default::default() },
            None => only_owner(),
        }),
        Some(_) => None,
    }
}

fn refused(p: &ParsedEvent, field: impl Into<String>, reason: impl Into<String>) -> MispEventOutcome {
    MispEventOutcome {
        uuid: p.event.uuid.to_string(),
        info: p.event.info.clone(),
        outcome: "refused".into(),
        field: Some(field.into()),
        reason: Some(reason.into()),
        warnings: p.warnings.clone(),
        ..Default::default()
    }
}

impl Services {
    /// The organisation that owns what `ctx` imports.
    async fn importing_org(&self, ctx: &Ctx) -> Result<Uuid> {
        match (ctx.subject.principal(), &ctx.subject) {
            (Some(p), _) => Ok(p.org_id),
            (None, atalaya_policy::Subject::Operator) => self
                .store
                .org_home()
                .await?
                .map(|o| o.id)
                .ok_or_else(|| ServiceError::Internal("node has no home organisation".into())),
            _ => Err(ServiceError::Unauthenticated("authentication required".into())),
        }
    }

    /// The timestamp of `event` last imported from `feed`, if any.
    pub async fn misp_feed_seen(&self, feed: &str, event: Uuid) -> Result<Option<i64>> {
        Ok(self.store.meta_get(&feed_key(feed, event)).await?.and_then(|v| v.parse().ok()))
    }

    /// Imports one parsed MISP event (all or nothing). With `feed` = (feed id, manifest
    /// timestamp): skipped when that timestamp was already imported, remembered afterwards.
    pub async fn misp_import_event(&self, ctx: &Ctx, p: &ParsedEvent, feed: Option<(&str, i64)>) -> Result<(MispEventOutcome, Option<ImportReport>)> {
        let owner = self.importing_org(ctx).await?;
        if let Some((f, ts)) = feed {
            if self.misp_feed_seen(f, p.event.uuid).await?.is_some_and(|seen| seen >= ts) {
                return Ok((MispEventOutcome { uuid: p.event.uuid.to_string(), info: p.event.info.clone(), outcome: "unchanged".into(), ..Default::default() }, None));
            }
        }
        let conv = event_to_stix(&p.event);
        let mut warnings = p.warnings.clone();
        warnings.extend(conv.warnings.iter().cloned());
        // Every object passes the STIX checks, or nothing is written.
        for o in &conv.objects {
            if let Err(e) = atalaya_stix::object::check_object(o.object.clone()) {
                let id = e.id.clone().unwrap_or_default();
                let mut out = refused(p, format!("{id}.{}", e.field), format!("the STIX made of this event is refused: {}", e.reason));
                out.warnings = warnings;
                return Ok((out, None));
            }
        }
        // Ownership: ids another organisation published.
        let ids: Vec<&str> = conv.objects.iter().filter_map(|o| o.object["id"].as_str()).collect();
        let owners = {
            let mut tx = self.store.begin().await?;
            let o = tx.stix_owners(&ids).await?;
            drop(tx);
            o
        };
        let mut kept: Vec<&StixOut> = vec![];
        let mut left_out = 0u64;
        for o in &conv.objects {
            let id = o.object["id"].as_str().unwrap_or_default();
            match owners.get(id) {
                Some(org) if *org != owner && o.shared => left_out += 1,
                Some(org) if *org != owner => {
                    let mut out = refused(p, "uuid", format!("{id} belongs to another organisation on this node: only its owner publishes new versions of this event"));
                    out.warnings = warnings;
                    return Ok((out, None));
                }
                _ => kept.push(o),
            }
        }
        let country = self.store.org_get(owner).await?.and_then(|o| o.body.country);
        // Batches per distribution, the report (first object) last.
        let mut batches: Vec<(Option<DistributionDoc>, Vec<Value>)> = vec![];
        let key = |d: &Option<DistributionDoc>| serde_json::to_string(d).unwrap_or_default();
        let report = kept.first().filter(|o| o.object["type"] == "report").map(|o| (*o).clone());
        for o in kept.iter().skip(usize::from(report.is_some())) {
            let d = distribution_doc(o.distribution, o.sharing_group, owner, country.clone());
            match batches.iter_mut().find(|(bd, _)| key(bd) == key(&d)) {
                Some((_, v)) => v.push(o.object.clone()),
                None => batches.push((d, vec![o.object.clone()])),
            }
        }
        if let Some(r) = report {
            batches.push((distribution_doc(r.distribution, r.sharing_group, owner, country.clone()), vec![r.object]));
        }
        let mut stix = ImportReport::default();
        let mut index = 0u64;
        for (d, values) in batches {
            let n = values.len() as u64;
            let r = self.import_batch(ctx, values, index, &ImportOptions { distribution: d }).await?;
            index += n;
            stix.merge(r);
        }
        if let Some((f, ts)) = feed {
            let mut tx = self.store.begin().await?;
            tx.meta_set(&feed_key(f, p.event.uuid), &ts.to_string()).await?;
            tx.commit().await?;
        }
        let out = MispEventOutcome {
            uuid: p.event.uuid.to_string(),
            info: p.event.info.clone(),
            outcome: if stix.rejected > 0 { "refused".into() } else { "imported".into() },
            stored: stix.stored,
            updated: stix.updated,
            skipped: stix.skipped,
            left_out,
            field: stix.rejections.first().map(|r| format!("{}.{}", r.id.clone().unwrap_or_default(), r.field)),
            reason: stix.rejections.first().map(|r| r.reason.clone()),
            warnings,
        };
        Ok((out, Some(stix)))
    }

    /// Imports the values of a CSV or free-text list as STIX indicators. A value already
    /// imported from the same list (same owner) is skipped: ids are derived from the owner, the
    /// list name and the value.
    pub async fn misp_import_list(&self, ctx: &Ctx, list: &str, values: &[Detected], tlp: Option<Tlp>) -> Result<ImportReport> {
        let owner = self.importing_org(ctx).await?;
        let ns = Uuid::new_v5(&atalaya_misp::NAMESPACE, format!("list:{owner}:{list}").as_bytes());
        let mut unique: Vec<&Detected> = vec![];
        let mut seen = HashSet::new();
        for d in values {
            if seen.insert(atalaya_misp::freetext::indicator_id(ns, d)) {
                unique.push(d);
            }
        }
        let ids: Vec<String> = unique.iter().map(|d| atalaya_misp::freetext::indicator_id(ns, d)).collect();
        let existing: HashSet<String> = {
            let mut tx = self.store.begin().await?;
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let o = tx.stix_owners(&refs).await?;
            drop(tx);
            o.into_keys().collect()
        };
        let now = self.now();
        let marking = tlp.map(|t| t.marking_definition_id());
        let fresh: Vec<Value> = unique
            .iter()
            .zip(ids.iter())
            .filter(|(_, id)| !existing.contains(*id))
            .map(|(d, _)| atalaya_misp::freetext::indicator(ns, d, now, list, marking))
            .collect();
        let mut report = ImportReport { skipped: (values.len() - fresh.len()) as u64, ..Default::default() };
        let mut index = 0u64;
        for chunk in fresh.chunks(5000) {
            let r = self.import_batch(ctx, chunk.to_vec(), index, &ImportOptions::default()).await?;
            index += chunk.len() as u64;
            report.merge(r);
        }
        Ok(report)
    }

    /// Latest visible version of every object (policy-checked), with its record.
    async fn misp_visible(&self, ctx: &Ctx, max_tlp: Option<Tlp>) -> Result<Vec<(StixRecord, Value)>> {
        let mut latest: HashMap<String, (StixRecord, Value)> = HashMap::new();
        let mut order = vec![];
        let mut cursor = 0i64;
        loop {
            let page = self.store.stix_after(cursor, 5000, &[]).await?;
            if page.is_empty() {
                break;
            }
            for r in page {
                cursor = r.seq;
                if max_tlp.is_some_and(|m| r.tlp > m) {
                    continue;
                }
                let body: Value = serde_json::from_str(&r.body).map_err(|e| ServiceError::Internal(e.to_string()))?;
                if !may_read(ctx, &r, &body) {
                    continue;
                }
                match latest.get(&r.stix_id) {
                    Some((old, _)) if old.version >= r.version => {}
                    Some(_) => {
                        latest.insert(r.stix_id.clone(), (r, body));
                    }
                    None => {
                        order.push(r.stix_id.clone());
                        latest.insert(r.stix_id.clone(), (r, body));
                    }
                }
            }
        }
        Ok(order.into_iter().filter_map(|id| latest.remove(&id)).collect())
    }

    async fn org_names(&self, ids: impl Iterator<Item = Uuid>) -> Result<HashMap<Uuid, String>> {
        let mut out = HashMap::new();
        for id in ids {
            if let std::collections::hash_map::Entry::Vacant(e) = out.entry(id) {
                let name = self.store.org_get(id).await?.map(|o| o.body.name.as_str().to_string()).unwrap_or_else(|| format!("organisation {id}"));
                e.insert(name);
            }
        }
        Ok(out)
    }

    /// Every MISP event the caller may see (MISP JSON `{"Event": …}`, sorted by uuid): one per
    /// visible report or grouping, and one per day for visible objects that no visible report
    /// references; only objects at or below `max_tlp` when given. Reads of TLP:AMBER and
    /// stricter objects are audited.
    pub async fn misp_events(&self, ctx: &Ctx, max_tlp: Option<Tlp>) -> Result<Vec<Value>> {
        let rows = self.misp_visible(ctx, max_tlp).await?;
        let audited: Vec<(String, Tlp)> = rows.iter().filter(|(r, _)| atalaya_policy::must_audit_read(r.tlp)).map(|(r, _)| (r.stix_id.clone(), r.tlp)).collect();
        let names = self.org_names(rows.iter().map(|(r, _)| r.owner_org)).await?;
        let home = self.store.org_home().await?.map(|o| o.id).unwrap_or_else(Uuid::nil);
        let by_id: HashMap<&str, usize> = rows.iter().enumerate().map(|(i, (r, _))| (r.stix_id.as_str(), i)).collect();
        let sightings: Vec<Value> = rows.iter().filter(|(r, _)| r.object_type == "sighting" && !r.revoked).map(|(_, b)| b.clone()).collect();
        let mut referenced: HashSet<&str> = HashSet::new();
        let mut events = vec![];
        for (r, body) in rows.iter().filter(|(r, _)| matches!(r.object_type.as_str(), "report" | "grouping")) {
            if r.revoked {
                continue;
            }
            let mut items = vec![];
            // Breadth first, in the order of object_refs (the MISP order of attributes and objects).
            let mut stack: std::collections::VecDeque<&str> = body.get("object_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            let mut seen = HashSet::new();
            while let Some(id) = stack.pop_front() {
                if !seen.insert(id) {
                    continue;
                }
                let Some(&i) = by_id.get(id) else { continue };
                let (rr, b) = &rows[i];
                referenced.insert(rr.stix_id.as_str());
                // SCOs reached through observed-data (and their references) belong to it.
                if rr.object_type == "observed-data" || atalaya_stix::object::category_of(&rr.object_type) == atalaya_stix::object::ObjectCategory::Sco {
                    for k in ["object_refs", "resolves_to_refs"] {
                        stack.extend(b.get(k).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str));
                    }
                    for k in ["dst_ref", "src_ref"] {
                        stack.extend(b.get(k).and_then(Value::as_str));
                    }
                }
                items.push(Item { object: b.clone(), revoked: rr.revoked });
            }
            let orgc = (r.owner_org, names.get(&r.owner_org).cloned().unwrap_or_default());
            events.push(from_stix::event_from_report(body, &items, &sightings, orgc));
        }
        // Objects no visible report references: one event per owner, day added and TLP (so that
        // an event holds the same objects for every reader allowed that TLP).
        let mut days: BTreeMap<DayKey, Vec<&(StixRecord, Value)>> = BTreeMap::new();
        for row in &rows {
            let (r, _) = row;
            if referenced.contains(r.stix_id.as_str()) || matches!(r.object_type.as_str(), "report" | "grouping" | "identity" | "relationship" | "sighting" | "opinion" | "note" | "marking-definition" | "extension-definition" | "language-content") {
                continue;
            }
            let day = atalaya_model::time_util::micros_rfc3339(r.added_at).chars().take(10).collect::<String>();
            days.entry((r.owner_org, day, r.tlp)).or_default().push(row);
        }
        // SCOs reached from standalone observed-data go with it.
        for ((org, day, tlp), rows_of_day) in days {
            let items: Vec<Item> = rows_of_day
                .iter()
                .flat_map(|(r, b)| {
                    let mut v = vec![Item { object: b.clone(), revoked: r.revoked }];
                    if r.object_type == "observed-data" {
                        for id in b.get("object_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                            if let Some(&i) = by_id.get(id) {
                                v.push(Item { object: rows[i].1.clone(), revoked: rows[i].0.revoked });
                            }
                        }
                    }
                    v
                })
                .collect();
            let ts = rows_of_day.iter().map(|(r, _)| r.added_at / 1_000_000).max().unwrap_or(0);
            let name = names.get(&org).cloned().unwrap_or_default();
            let meta = EventMeta {
                uuid: Uuid::new_v5(&atalaya_misp::NAMESPACE, format!("day:{home}:{org}:{day}:{}", tlp.label()).as_bytes()),
                info: format!("{name}: indicators added on {day}, {} ({})", tlp.label(), self.config.node_name),
                date: day.clone(),
                timestamp: ts,
                orgc_uuid: org,
                orgc_name: name,
                tlp: Some(tlp),
                labels: vec![],
            };
            let e = from_stix::event_from_objects(&meta, &items, &sightings);
            let empty = e["Event"]["Attribute"].as_array().is_none_or(|a| a.is_empty()) && e["Event"]["Object"].as_array().is_none_or(|a| a.is_empty()) && e["Event"]["Galaxy"].as_array().is_none_or(|a| a.is_empty());
            if !empty {
                events.push(e);
            }
        }
        events.sort_by(|a, b| a["Event"]["uuid"].as_str().cmp(&b["Event"]["uuid"].as_str()));
        self.audit_object_reads(ctx, &audited).await?;
        Ok(events)
    }

    /// The caller's MISP feed: `manifest.json` (as a JSON object) and `hashes.csv` lines.
    pub async fn misp_feed_index(&self, ctx: &Ctx) -> Result<(Value, Vec<String>)> {
        let events = self.misp_events(ctx, None).await?;
        let mut manifest = serde_json::Map::new();
        let mut hashes = vec![];
        for e in &events {
            let (u, entry) = atalaya_misp::feed::manifest_entry(e);
            manifest.insert(u, entry);
            hashes.extend(atalaya_misp::feed::hash_lines(e));
        }
        Ok((Value::Object(manifest), hashes))
    }

    /// The latest version of `id` the caller may see.
    async fn latest_visible(&self, ctx: &Ctx, id: &str) -> Result<Option<(StixRecord, Value)>> {
        let mut best = None;
        for r in self.store.stix_versions(id).await? {
            let body: Value = serde_json::from_str(&r.body).map_err(|e| ServiceError::Internal(e.to_string()))?;
            if may_read(ctx, &r, &body) {
                best = Some((r, body));
            }
        }
        Ok(best)
    }

    /// The event of one visible report or grouping, reading only what it references (the same
    /// event [`Services::misp_events`] gives for it).
    async fn misp_report_event(&self, ctx: &Ctx, report: &(StixRecord, Value)) -> Result<Value> {
        let (r, body) = report;
        let mut audited = vec![];
        if atalaya_policy::must_audit_read(r.tlp) {
            audited.push((r.stix_id.clone(), r.tlp));
        }
        let mut items = vec![];
        let mut sightings = vec![];
        let mut queue: std::collections::VecDeque<String> = body.get("object_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
        let mut seen = HashSet::new();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let Some((rr, b)) = self.latest_visible(ctx, &id).await? else { continue };
            if rr.object_type == "observed-data" || atalaya_stix::object::category_of(&rr.object_type) == atalaya_stix::object::ObjectCategory::Sco {
                for k in ["object_refs", "resolves_to_refs"] {
                    queue.extend(b.get(k).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
                }
                for k in ["dst_ref", "src_ref"] {
                    queue.extend(b.get(k).and_then(Value::as_str).map(str::to_string));
                }
            }
            let mut latest: HashMap<String, (StixRecord, Value)> = HashMap::new();
            for s in self.store.stix_sightings_of(&id).await? {
                let sb: Value = serde_json::from_str(&s.body).map_err(|e| ServiceError::Internal(e.to_string()))?;
                if !may_read(ctx, &s, &sb) {
                    continue;
                }
                match latest.get(&s.stix_id) {
                    Some((old, _)) if old.version >= s.version => {}
                    _ => {
                        latest.insert(s.stix_id.clone(), (s, sb));
                    }
                }
            }
            for (s, sb) in latest.into_values() {
                if atalaya_policy::must_audit_read(s.tlp) {
                    audited.push((s.stix_id.clone(), s.tlp));
                }
                if !s.revoked {
                    sightings.push(sb);
                }
            }
            if atalaya_policy::must_audit_read(rr.tlp) {
                audited.push((rr.stix_id.clone(), rr.tlp));
            }
            items.push(Item { object: b, revoked: rr.revoked });
        }
        let names = self.org_names(std::iter::once(r.owner_org)).await?;
        let e = from_stix::event_from_report(body, &items, &sightings, (r.owner_org, names.get(&r.owner_org).cloned().unwrap_or_default()));
        self.audit_object_reads(ctx, &audited).await?;
        Ok(e)
    }

    /// One event of the caller's MISP feed, in feed form. Not visible (or absent) → NotFound.
    pub async fn misp_feed_event(&self, ctx: &Ctx, uuid: Uuid) -> Result<Value> {
        for ty in ["report", "grouping"] {
            if let Some(rep) = self.latest_visible(ctx, &format!("{ty}--{uuid}")).await? {
                if rep.0.revoked {
                    break;
                }
                return Ok(atalaya_misp::feed::feed_form(&self.misp_report_event(ctx, &rep).await?));
            }
        }
        // Objects outside reports (one event per owner, day and TLP): the whole view.
        let events = self.misp_events(ctx, None).await?;
        let u = uuid.to_string();
        events
            .into_iter()
            .find(|e| e["Event"]["uuid"].as_str() == Some(u.as_str()))
            .map(|e| atalaya_misp::feed::feed_form(&e))
            .ok_or_else(|| ServiceError::NotFound(format!("MISP event {uuid}")))
    }

    /// Records a MISP export (feed written by the CLI) in the audit log.
    pub async fn misp_audit_export(&self, ctx: &Ctx, events: usize, target: &str) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.audit_append(&audit_entry(ctx, "misp.export", "misp-feed", None, serde_json::json!({"events": events, "target": target})), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_levels() {
        let o = Uuid::from_u128(1);
        assert!(distribution_doc(Some(3), None, o, None).is_none());
        assert_eq!(distribution_doc(Some(0), None, o, None).map(|d| d.organisations), Some(vec![o]));
        let g = Uuid::from_u128(2);
        assert_eq!(distribution_doc(Some(4), Some(g), o, None).map(|d| d.groups), Some(vec![g]));
        assert_eq!(feed_id("http://x/feed/", None), feed_id("http://x/feed/manifest.json", None));
        assert_ne!(feed_id("http://x/feed", None), feed_id("http://x/feed", Some("t")));
    }
}
