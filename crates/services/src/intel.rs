//! Threat intelligence: STIX 2.1 ingest (validated, policy-checked, batched transactions),
//! reads filtered by policy, exports.
//!
//! Visibility is decided when an object is stored (TLP, owner organisation, distribution are
//! columns written in the same transaction), never afterwards. Only the owner organisation
//! publishes new versions of its objects (no last-writer-wins).
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use atalaya_model::time_util::micros_rfc3339;
use atalaya_model::Tlp;
use atalaya_policy::{Access, Distribution, ObjectAccess, Target};
use atalaya_stix::object::{check_object, StixObject};
use atalaya_store::{InsertOutcome, NewStixObject, StixRecord};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// One refused object of an import.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Rejection {
    /// Position of the object in the input (0-based).
    pub index: u64,
    pub id: Option<String>,
    pub field: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// New objects (first version of an id on this node).
    pub stored: u64,
    /// New versions of objects already on this node.
    pub updated: u64,
    /// Versions already stored (same id and version): nothing to do.
    pub skipped: u64,
    pub rejected: u64,
    /// The first 1,000 rejections, each naming the object and the field.
    pub rejections: Vec<Rejection>,
    /// SHOULD-level findings (first 1,000).
    pub warnings: Vec<String>,
    /// Highest sequence number written (0 when nothing was written).
    pub last_seq: i64,
    /// Values of the imported objects found on an enabled warninglist (first 1,000): flagged,
    /// still stored.
    pub warninglist_hits: Vec<WarninglistObjectHit>,
    /// Number of warninglist hits in all.
    pub warninglist_hit_count: u64,
    /// New objects sharing a value with objects already on the node (first 1,000), with the
    /// holders the caller may see.
    pub correlations: Vec<ImportCorrelation>,
}

/// A warninglist hit of one imported object.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WarninglistObjectHit {
    pub id: String,
    pub value: String,
    pub list: String,
}

/// An imported object that shares a value with existing objects.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportCorrelation {
    pub id: String,
    pub value: String,
    /// Existing objects sharing it: id, organisation name and state.
    pub shared_with: Vec<crate::correlate::CorrelationMatch>,
}

impl ImportReport {
    fn reject(&mut self, index: u64, id: Option<String>, field: impl Into<String>, reason: impl Into<String>) {
        self.rejected += 1;
        if self.rejections.len() < 1000 {
            self.rejections.push(Rejection { index, id, field: field.into(), reason: reason.into() });
        }
    }
    pub fn merge(&mut self, o: ImportReport) {
        self.stored += o.stored;
        self.updated += o.updated;
        self.skipped += o.skipped;
        self.rejected += o.rejected;
        let room = 1000usize.saturating_sub(self.rejections.len());
        self.rejections.extend(o.rejections.into_iter().take(room));
        let room = 1000usize.saturating_sub(self.warnings.len());
        self.warnings.extend(o.warnings.into_iter().take(room));
        let room = 1000usize.saturating_sub(self.warninglist_hits.len());
        self.warninglist_hits.extend(o.warninglist_hits.into_iter().take(room));
        self.warninglist_hit_count += o.warninglist_hit_count;
        let room = 1000usize.saturating_sub(self.correlations.len());
        self.correlations.extend(o.correlations.into_iter().take(room));
        self.last_seq = self.last_seq.max(o.last_seq);
    }
}

/// A stored object version as shown to a reader.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObjectView {
    pub seq: i64,
    pub id: String,
    pub version: String,
    #[serde(rename = "type")]
    pub object_type: String,
    pub tlp: Tlp,
    pub owner_organisation: Uuid,
    pub date_added: String,
    pub revoked: bool,
    /// Critical-infrastructure sectors the object concerns.
    pub sectors: Vec<String>,
    /// The STIX object, verbatim.
    #[schema(value_type = Object)]
    pub object: serde_json::Value,
}

/// Parses the distribution column.
fn distribution_of(r: &StixRecord) -> Distribution {
    match &r.distribution {
        None => Distribution { network: true, ..Default::default() },
        Some(s) => serde_json::from_str::<DistributionDoc>(s).map(|d| d.into()).unwrap_or_default(),
    }
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DistributionDoc {
    #[serde(default)]
    pub organisations: Vec<Uuid>,
    #[serde(default)]
    pub states: Vec<atalaya_model::CountryCode>,
    #[serde(default)]
    pub groups: Vec<Uuid>,
    #[serde(default)]
    pub network: bool,
    /// For TLP:RED: the individuals (user ids) it is shared with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named_users: Vec<Uuid>,
}

impl From<DistributionDoc> for Distribution {
    fn from(d: DistributionDoc) -> Self {
        Distribution { orgs: d.organisations, states: d.states, groups: d.groups, network: d.network }
    }
}

/// TLP:RED objects are shared with the individuals named in their distribution.
fn named_users(r: &StixRecord) -> Vec<Uuid> {
    r.distribution
        .as_deref()
        .and_then(|s| serde_json::from_str::<DistributionDoc>(s).ok())
        .map(|d| d.named_users)
        .unwrap_or_default()
}

/// May the caller read this stored version? (the one visibility check of every read path)
pub fn may_read(ctx: &Ctx, r: &StixRecord, _body: &serde_json::Value) -> bool {
    let d = distribution_of(r);
    let named = named_users(r);
    atalaya_policy::allowed(
        &ctx.subject,
        Access::Read,
        &Target::Object(ObjectAccess { tlp: r.tlp, owner_org: r.owner_org, distribution: &d, named_users: &named }),
    )
}

pub fn view(r: StixRecord, object: serde_json::Value) -> ObjectView {
    ObjectView {
        seq: r.seq,
        id: r.stix_id,
        version: r.version,
        object_type: r.object_type,
        tlp: r.tlp,
        owner_organisation: r.owner_org,
        date_added: micros_rfc3339(r.added_at),
        revoked: r.revoked,
        sectors: r.sectors,
        object,
    }
}

/// Critical-infrastructure sectors an object concerns: its own `sectors` (identities) and the
/// `x_atalaya_sectors` extension property, restricted to the STIX industry-sector vocabulary.
pub fn sectors_of(body: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = ["sectors", "x_atalaya_sectors"]
        .iter()
        .filter_map(|k| body.get(*k).and_then(|v| v.as_array()))
        .flatten()
        .filter_map(|v| v.as_str())
        .filter(|s| s.parse::<atalaya_model::directory::Sector>().is_ok())
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The words of an object for full-text search.
pub fn search_text(body: &serde_json::Value) -> String {
    let mut parts: Vec<String> = vec![];
    for k in ["name", "description", "pattern", "value", "x_mitre_id", "result", "abstract", "content", "opinion", "explanation"] {
        if let Some(s) = body.get(k).and_then(|v| v.as_str()) {
            parts.push(s.to_string());
        }
        if let Some(n) = body.get(k).and_then(|v| v.as_u64()) {
            parts.push(n.to_string());
        }
    }
    for k in ["labels", "aliases", "indicator_types", "malware_types", "threat_actor_types", "sectors", "x_atalaya_sectors", "roles", "goals"] {
        if let Some(a) = body.get(k).and_then(|v| v.as_array()) {
            parts.extend(a.iter().filter_map(|v| v.as_str()).map(str::to_string));
        }
    }
    if let Some(refs) = body.get("external_references").and_then(|v| v.as_array()) {
        for r in refs {
            if let Some(id) = r.get("external_id").and_then(|v| v.as_str()) {
                parts.push(id.to_string());
            }
        }
    }
    let mut text = parts.join(" ");
    text.truncate(text.char_indices().nth(20_000).map(|(i, _)| i).unwrap_or(text.len()));
    text
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Distribution of the imported objects (default: the network, within TLP rules).
    pub distribution: Option<DistributionDoc>,
}

/// One observable value of an imported object.
struct ImportValue {
    /// As extracted by [`object_values`].
    raw: String,
    /// Position of its parsed form in [`Checked::corr`] (None: not a correlatable value).
    corr: Option<usize>,
    /// Names of the enabled warninglists it is on.
    lists: Vec<String>,
}

/// An object that passed `check_object`, with everything the write and the annotation need:
/// computed once per object, off the async runtime and in parallel.
struct Checked {
    index: u64,
    id: String,
    object_type: String,
    spec_version: String,
    version: String,
    tlp: Option<Tlp>,
    revoked: bool,
    warnings: Vec<String>,
    /// The object as stored (serialised once).
    body: String,
    sighting_of: Option<String>,
    sectors: Vec<String>,
    search_text: String,
    values: Vec<ImportValue>,
    /// The values for the correlation index, parsed once (index and lookups use the same).
    corr: Vec<atalaya_correlation::Value>,
}

type CheckOutcome = std::result::Result<Checked, (u64, atalaya_stix::object::ObjectError)>;

/// Checks one object (the STIX MUST rules) and derives its row, its search text, its values
/// and their warninglist hits.
fn check_and_prepare(index: u64, v: serde_json::Value, lists: &atalaya_warninglists::Warninglists) -> CheckOutcome {
    let mut o: StixObject = check_object(v).map_err(|e| (index, e))?;
    let tlp = o.tlp();
    let version = o.version();
    // The checked map moves into a Value (no copy) and is dropped here, on this thread.
    let body = serde_json::Value::Object(std::mem::take(&mut o.json));
    let sighting_of =
        if o.object_type == "sighting" { body.get("sighting_of_ref").and_then(|v| v.as_str()).map(str::to_string) } else { None };
    let mut corr = vec![];
    let values = object_values(&body)
        .into_iter()
        .map(|(kind, raw)| {
            let lists = if lists.is_empty() { vec![] } else { lists.check(&kind, &raw).into_iter().map(|h| h.list).collect() };
            let c = atalaya_correlation::Value::parse(&kind, &raw).ok().map(|p| {
                corr.push(p);
                corr.len() - 1
            });
            ImportValue { raw, corr: c, lists }
        })
        .collect();
    Ok(Checked {
        index,
        sectors: sectors_of(&body),
        search_text: search_text(&body),
        // Straight into a byte buffer (`Display` goes through a formatter adapter); same text.
        body: serde_json::to_string(&body).unwrap_or_else(|_| body.to_string()),
        id: o.id,
        object_type: o.object_type,
        spec_version: if o.spec_version.is_empty() { "2.1".into() } else { o.spec_version },
        version,
        tlp,
        revoked: o.revoked,
        warnings: o.warnings,
        sighting_of,
        values,
        corr,
    })
}

/// Batches smaller than this are checked on the calling task.
const PARALLEL_MIN: usize = 256;

/// Object checks under way (see [`start_checks`]).
enum Checks {
    Done(Vec<CheckOutcome>),
    Running(Vec<tokio::task::JoinHandle<Vec<CheckOutcome>>>),
}

impl Checks {
    /// The outcomes, in input order.
    async fn wait(self) -> Result<Vec<CheckOutcome>> {
        match self {
            Checks::Done(v) => Ok(v),
            Checks::Running(tasks) => {
                let mut out = vec![];
                for t in tasks {
                    out.extend(t.await.map_err(|e| ServiceError::Internal(format!("object check: {e}")))?);
                }
                Ok(out)
            }
        }
    }
}

/// Starts [`check_and_prepare`] over `values` on blocking threads (one chunk per core), so that
/// the caller can write the previous objects meanwhile; small inputs are checked at once.
fn start_checks(values: Vec<serde_json::Value>, first_index: u64, lists: &std::sync::Arc<atalaya_warninglists::Warninglists>) -> Checks {
    let n = values.len();
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(8).min(n / PARALLEL_MIN);
    if threads == 0 {
        return Checks::Done(values.into_iter().enumerate().map(|(i, v)| check_and_prepare(first_index + i as u64, v, lists)).collect());
    }
    let per = n.div_ceil(threads);
    let mut it = values.into_iter();
    let mut tasks = Vec::with_capacity(threads);
    let mut start = first_index;
    loop {
        let chunk: Vec<serde_json::Value> = it.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        let lists = lists.clone();
        let first = start;
        start += chunk.len() as u64;
        tasks.push(tokio::task::spawn_blocking(move || {
            chunk.into_iter().enumerate().map(|(i, v)| check_and_prepare(first + i as u64, v, &lists)).collect::<Vec<_>>()
        }));
    }
    Checks::Running(tasks)
}

/// Objects per write of a batch: the checks of the next part run while one part is written.
fn part_size(n: usize) -> usize {
    (n / 4).clamp(2 * PARALLEL_MIN, 2048)
}

const NOT_OWNER: &str = "this object belongs to another organisation; only its owner publishes new versions (send a sighting or a note instead)";

impl Services {
    /// Imports one batch of STIX objects (already parsed JSON values) in ONE transaction.
    /// `first_index` numbers the objects for rejection messages.
    pub async fn import_batch(&self, ctx: &Ctx, values: Vec<serde_json::Value>, first_index: u64, opts: &ImportOptions) -> Result<ImportReport> {
        let p = ctx.subject.principal().cloned();
        let owner = match (&p, &ctx.subject) {
            (Some(p), _) => p.org_id,
            (None, atalaya_policy::Subject::Operator) => self
                .store
                .org_home()
                .await?
                .map(|o| o.id)
                .ok_or_else(|| ServiceError::Internal("node has no home organisation".into()))?,
            _ => return Err(ServiceError::Unauthenticated("authentication required".into())),
        };
        let dist = Distribution::default();
        require(ctx, Access::Write, &Target::Object(ObjectAccess { tlp: Tlp::Clear, owner_org: owner, distribution: &dist, named_users: &[] }))?;
        let distribution = match &opts.distribution {
            Some(d) => Some(serde_json::to_string(d).map_err(|e| ServiceError::Internal(e.to_string()))?),
            None => None,
        };
        // TLP:RED without named individuals goes to the importing user alone.
        let red_distribution = match (&opts.distribution, &p) {
            (Some(d), _) if !d.named_users.is_empty() => distribution.clone(),
            (_, Some(p)) => Some(
                serde_json::to_string(&DistributionDoc { named_users: vec![p.user_id], ..Default::default() })
                    .map_err(|e| ServiceError::Internal(e.to_string()))?,
            ),
            _ => distribution.clone(),
        };
        let lists = self.current_warninglists().await?;
        let mut report = ImportReport::default();
        // The batch is written in parts, in input order, in one transaction; while a part is
        // written, the next one is checked on blocking threads.
        let part = part_size(values.len());
        let mut parts = Vec::with_capacity(values.len().div_ceil(part));
        let mut it = values.into_iter();
        loop {
            let p: Vec<serde_json::Value> = it.by_ref().take(part).collect();
            if p.is_empty() {
                break;
            }
            parts.push(p);
        }
        let mut parts = parts.into_iter();
        let mut next_index = first_index;
        let mut start = |p: Vec<serde_json::Value>| {
            let first = next_index;
            next_index += p.len() as u64;
            start_checks(p, first, &lists)
        };
        let mut pending = parts.next().map(&mut start);
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut kept: Vec<Checked> = vec![];
        let mut outcomes: Vec<InsertOutcome> = vec![];
        // Reported after every check rejection, as when the whole batch was checked first.
        let mut not_owner: Vec<(u64, String)> = vec![];
        let mut first_seq = 0;
        let mut new_ids = std::collections::HashSet::new();
        // Search words of the stored versions: indexed once for the whole batch, before the
        // commit (the full-text index writes one segment per statement).
        let mut search: Vec<(i64, String)> = vec![];
        while let Some(checks) = pending.take() {
            let done = checks.wait().await?;
            pending = parts.next().map(&mut start);
            let mut checked: Vec<Checked> = Vec::with_capacity(done.len());
            for outcome in done {
                match outcome {
                    Ok(o) => {
                        for w in &o.warnings {
                            if report.warnings.len() < 1000 {
                                report.warnings.push(format!("{}: {w}", o.id));
                            }
                        }
                        checked.push(o);
                    }
                    Err((index, e)) => report.reject(index, e.id, e.field, e.reason),
                }
            }
            // Ownership: new versions of an existing id only from the organisation that owns it.
            // (Ids stored by an earlier part of this batch are ours: they pass, and count as
            // updates, as they would have when looked up before the batch.)
            let owners: HashMap<String, Uuid> = {
                let mut seen = std::collections::HashSet::with_capacity(checked.len());
                let ids: Vec<&str> = checked.iter().map(|o| o.id.as_str()).filter(|id| seen.insert(*id)).collect();
                tx.stix_owners(&ids).await?
            };
            let mut rows = Vec::with_capacity(checked.len());
            let kept_from = kept.len();
            for mut o in checked {
                if let Some(o_owner) = owners.get(&o.id) {
                    if *o_owner != owner {
                        not_owner.push((o.index, o.id));
                        continue;
                    }
                }
                let tlp = o.tlp.unwrap_or(self.config.default_tlp);
                rows.push(NewStixObject {
                    stix_id: o.id.clone(),
                    version: std::mem::take(&mut o.version),
                    object_type: std::mem::take(&mut o.object_type),
                    spec_version: std::mem::take(&mut o.spec_version),
                    tlp,
                    owner_org: owner,
                    revoked: o.revoked,
                    distribution: if tlp == Tlp::Red { red_distribution.clone() } else { distribution.clone() },
                    sighting_of: o.sighting_of.take(),
                    sectors: std::mem::take(&mut o.sectors),
                    search_text: std::mem::take(&mut o.search_text),
                    body: std::mem::take(&mut o.body),
                });
                kept.push(o);
            }
            let part_outcomes = tx.stix_insert_rows(&rows, now).await?;
            for (row, outcome) in rows.iter_mut().zip(part_outcomes.iter()) {
                if let InsertOutcome::Stored(seq) = outcome {
                    if !row.search_text.is_empty() {
                        search.push((*seq, std::mem::take(&mut row.search_text)));
                    }
                }
            }
            // Freeing thousands of strings is not the writer's work: off the critical path.
            tokio::task::spawn_blocking(move || drop(rows));
            for (o, outcome) in kept[kept_from..].iter().zip(part_outcomes.iter()) {
                match outcome {
                    &InsertOutcome::Stored(seq) => {
                        if first_seq == 0 {
                            first_seq = seq;
                        }
                        report.last_seq = seq;
                        if owners.contains_key(&o.id) || !new_ids.insert(o.id.clone()) {
                            report.updated += 1;
                        } else {
                            report.stored += 1;
                        }
                        if o.revoked {
                            tx.stix_mark_revoked(&o.id).await?;
                        }
                    }
                    InsertOutcome::Duplicate => report.skipped += 1,
                }
            }
            outcomes.extend(part_outcomes);
        }
        for (index, id) in not_owner {
            report.reject(index, Some(id), "id", NOT_OWNER);
        }
        {
            let words: Vec<(i64, &str)> = search.iter().map(|(seq, w)| (*seq, w.as_str())).collect();
            tx.stix_search_insert(&words).await?;
        }
        tokio::task::spawn_blocking(move || drop(search));
        tx.audit_append(
            &audit_entry(ctx, "stix.import", "stix-batch", None, serde_json::json!({
                "stored": report.stored, "updated": report.updated, "skipped": report.skipped,
                "rejected": report.rejected, "first_seq": first_seq, "last_seq": report.last_seq,
            })),
            now,
        )
        .await?;
        tx.commit().await?;
        self.annotate_import(ctx, &kept, &outcomes, first_seq, &mut report).await?;
        Ok(report)
    }

    /// After an import: add the stored objects' values to the correlation index (computed once,
    /// before the write), flag warninglist hits and list correlations with earlier objects.
    async fn annotate_import(&self, ctx: &Ctx, kept: &[Checked], outcomes: &[InsertOutcome], first_seq: i64, report: &mut ImportReport) -> Result<()> {
        let stored: Vec<(&Checked, i64)> = kept
            .iter()
            .zip(outcomes.iter())
            .filter_map(|(o, outcome)| match outcome {
                InsertOutcome::Stored(seq) => Some((o, *seq)),
                InsertOutcome::Duplicate => None,
            })
            .collect();
        let own: Vec<(u64, &[atalaya_correlation::Value])> = stored.iter().map(|(o, seq)| (*seq as u64, o.corr.as_slice())).collect();
        self.refresh_index_with(&own).await?;
        for (o, _) in stored {
            for v in &o.values {
                for list in &v.lists {
                    report.warninglist_hit_count += 1;
                    if report.warninglist_hits.len() < 1000 {
                        report.warninglist_hits.push(WarninglistObjectHit { id: o.id.clone(), value: v.raw.clone(), list: list.clone() });
                    }
                }
                if report.correlations.len() >= 1000 {
                    continue;
                }
                let Some(value) = v.corr.map(|i| &o.corr[i]) else { continue };
                let earlier: Vec<_> = {
                    let idx = self.intel.index.read().map_err(|_| ServiceError::Internal("index lock".into()))?;
                    idx.0.lookup(value, 64).matches.into_iter().filter(|(seq, _, _)| (*seq as i64) < first_seq).collect()
                };
                if earlier.is_empty() {
                    continue;
                }
                let a = self.describe_matches(ctx, &earlier, Some(&o.id), 10).await?;
                if !a.matches.is_empty() {
                    report.correlations.push(ImportCorrelation { id: o.id.clone(), value: value.to_string(), shared_with: a.matches });
                }
            }
        }
        Ok(())
    }
}

impl Services {
    /// The latest version of an object the caller may see (all versions with `all_versions`).
    pub async fn get_object(&self, ctx: &Ctx, stix_id: &str) -> Result<Vec<ObjectView>> {
        let versions = self.store.stix_versions(stix_id).await?;
        let mut out = vec![];
        let mut audited = vec![];
        for r in versions {
            let body: serde_json::Value = serde_json::from_str(&r.body).map_err(|e| ServiceError::Internal(e.to_string()))?;
            if may_read(ctx, &r, &body) {
                if atalaya_policy::must_audit_read(r.tlp) {
                    audited.push((r.stix_id.clone(), r.tlp));
                }
                out.push(view(r, body));
            }
        }
        if out.is_empty() {
            return Err(ServiceError::NotFound(format!("object {stix_id}")));
        }
        self.audit_object_reads(ctx, &audited).await?;
        Ok(out)
    }

    /// Records reads of TLP:AMBER-or-stricter objects (one entry per object).
    pub(crate) async fn audit_object_reads(&self, ctx: &Ctx, ids: &[(String, Tlp)]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        for (id, tlp) in ids {
            tx.audit_append(&audit_entry(ctx, "stix.read", "stix", Some(id.clone()), serde_json::json!({"tlp": tlp})), now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Visible object versions after `after` (seq), in seq order, at most `limit`.
    pub async fn list_objects(&self, ctx: &Ctx, after: i64, limit: usize, types: &[String]) -> Result<Vec<ObjectView>> {
        let mut out = Vec::with_capacity(limit.min(1000));
        let mut cursor = after;
        let mut audited = vec![];
        while out.len() < limit {
            let page = self.store.stix_after(cursor, (limit as i64).clamp(100, 5000), types).await?;
            if page.is_empty() {
                break;
            }
            for r in page {
                cursor = r.seq;
                let body: serde_json::Value = serde_json::from_str(&r.body).map_err(|e| ServiceError::Internal(e.to_string()))?;
                if may_read(ctx, &r, &body) {
                    if atalaya_policy::must_audit_read(r.tlp) {
                        audited.push((r.stix_id.clone(), r.tlp));
                    }
                    out.push(view(r, body));
                    if out.len() >= limit {
                        break;
                    }
                }
            }
        }
        self.audit_object_reads(ctx, &audited).await?;
        Ok(out)
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// A STIX 2.1 bundle of the latest visible version of each object.
    Stix,
    /// One row per object: id, type, version, TLP, owner, date added, name, pattern or value.
    Csv,
    /// One indicator value per line (IPs, networks, domains, URLs), de-duplicated.
    Blocklist,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "stix" => Ok(ExportFormat::Stix),
            "csv" => Ok(ExportFormat::Csv),
            "blocklist" => Ok(ExportFormat::Blocklist),
            _ => Err(format!("unknown format '{s}' (expected stix, csv or blocklist)")),
        }
    }
}

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// STIX types (empty: all).
    pub types: Vec<String>,
    /// Only objects at or below this TLP.
    pub max_tlp: Option<Tlp>,
    /// Only objects added at or after this time (microseconds).
    pub since_us: Option<i64>,
    /// Leave out revoked objects (default for blocklists).
    pub include_revoked: bool,
    /// Only objects concerning this critical-infrastructure sector.
    pub sector: Option<String>,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Values an indicator's STIX pattern asserts equality with (for blocklists).
pub fn pattern_values(pattern: &str) -> Vec<(String, String)> {
    let Ok(p) = atalaya_stix::pattern::parse(pattern) else { return vec![] };
    let mut out = vec![];
    for c in p.comparisons() {
        if c.negated || !(c.operator == "=" || c.operator == "IN" || c.operator == "ISSUBSET") {
            continue;
        }
        let kind = match (c.object_type.as_str(), c.path.as_str()) {
            ("ipv4-addr", "value") => "ipv4",
            ("ipv6-addr", "value") => "ipv6",
            ("domain-name", "value") => "domain",
            ("url", "value") => "url",
            ("email-addr", "value") => "email",
            ("autonomous-system", "number") => "asn",
            ("file", p) if p.starts_with("hashes.") => {
                let algo = p.trim_start_matches("hashes.").trim_matches('\'').to_ascii_lowercase().replace('-', "");
                match algo.as_str() {
                    "md5" => "md5",
                    "sha1" => "sha1",
                    "sha256" => "sha256",
                    "sha512" => "sha512",
                    _ => continue,
                }
            }
            _ => continue,
        };
        for v in &c.values {
            out.push((kind.to_string(), v.clone()));
        }
    }
    out
}

/// Observable values of a stored object: SCO values and indicator pattern values.
pub fn object_values(body: &serde_json::Value) -> Vec<(String, String)> {
    let t = body.get("type").and_then(|v| v.as_str()).unwrap_or("");
    let s = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
    match t {
        "indicator" if body.get("pattern_type").and_then(|v| v.as_str()) == Some("stix") => {
            s("pattern").map(|p| pattern_values(&p)).unwrap_or_default()
        }
        "ipv4-addr" => s("value").map(|v| vec![("ipv4".into(), v)]).unwrap_or_default(),
        "ipv6-addr" => s("value").map(|v| vec![("ipv6".into(), v)]).unwrap_or_default(),
        "domain-name" => s("value").map(|v| vec![("domain".into(), v.to_ascii_lowercase())]).unwrap_or_default(),
        "url" => s("value").map(|v| vec![("url".into(), v)]).unwrap_or_default(),
        "email-addr" => s("value").map(|v| vec![("email".into(), v.to_ascii_lowercase())]).unwrap_or_default(),
        "autonomous-system" => body.get("number").and_then(|v| v.as_u64()).map(|n| vec![("asn".into(), n.to_string())]).unwrap_or_default(),
        "file" => body
            .get("hashes")
            .and_then(|h| h.as_object())
            .map(|h| {
                h.iter()
                    .filter_map(|(algo, v)| {
                        let a = algo.to_ascii_lowercase().replace('-', "");
                        let kind = match a.as_str() {
                            "md5" | "sha1" | "sha256" | "sha512" => a,
                            _ => return None,
                        };
                        v.as_str().map(|x| (kind, x.to_ascii_lowercase()))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => vec![],
    }
}

impl Services {
    /// Writes the visible objects matching `filter` in `format`. Returns how many objects went out.
    pub async fn export(&self, ctx: &Ctx, filter: &ExportFilter, format: ExportFormat, out: &mut (dyn std::io::Write + Send)) -> Result<u64> {
        let io = |e: std::io::Error| ServiceError::Internal(format!("export: {e}"));
        // Latest visible version per id, in order of first appearance.
        let mut latest: HashMap<String, (StixRecord, serde_json::Value)> = HashMap::new();
        let mut order: Vec<String> = vec![];
        let mut cursor = 0i64;
        loop {
            let page = self.store.stix_after(cursor, 5000, &filter.types).await?;
            if page.is_empty() {
                break;
            }
            for r in page {
                cursor = r.seq;
                if filter.max_tlp.is_some_and(|m| r.tlp > m)
                    || filter.since_us.is_some_and(|s| r.added_at < s)
                    || filter.sector.as_ref().is_some_and(|s| !r.sectors.contains(s))
                {
                    continue;
                }
                let body: serde_json::Value = serde_json::from_str(&r.body).map_err(|e| ServiceError::Internal(e.to_string()))?;
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
        let rows: Vec<(StixRecord, serde_json::Value)> = order
            .into_iter()
            .filter_map(|id| latest.remove(&id))
            .filter(|(r, _)| filter.include_revoked || !r.revoked)
            .collect();
        let mut audited = vec![];
        match format {
            ExportFormat::Stix => {
                write!(out, "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[", Uuid::new_v4()).map_err(io)?;
                for (i, (_, body)) in rows.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",").map_err(io)?;
                    }
                    serde_json::to_writer(&mut *out, body).map_err(|e| ServiceError::Internal(e.to_string()))?;
                }
                out.write_all(b"]}\n").map_err(io)?;
            }
            ExportFormat::Csv => {
                writeln!(out, "id,type,version,tlp,owner_organisation,date_added,revoked,name,pattern_or_value").map_err(io)?;
                for (r, body) in &rows {
                    let name = body.get("name").and_then(|v| v.as_str()).unwrap_or("");
                    let pv = body
                        .get("pattern")
                        .or_else(|| body.get("value"))
                        .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "{},{},{},{},{},{},{},{},{}",
                        csv_field(&r.stix_id),
                        csv_field(&r.object_type),
                        csv_field(&r.version),
                        r.tlp.label(),
                        r.owner_org,
                        micros_rfc3339(r.added_at),
                        r.revoked,
                        csv_field(name),
                        csv_field(&pv)
                    )
                    .map_err(io)?;
                }
            }
            ExportFormat::Blocklist => {
                let mut seen = std::collections::BTreeSet::new();
                for (_, body) in &rows {
                    for (kind, v) in object_values(body) {
                        if matches!(kind.as_str(), "ipv4" | "ipv6" | "domain" | "url") {
                            seen.insert(v);
                        }
                    }
                }
                for v in seen {
                    writeln!(out, "{v}").map_err(io)?;
                }
            }
        }
        for (r, _) in &rows {
            if atalaya_policy::must_audit_read(r.tlp) {
                audited.push((r.stix_id.clone(), r.tlp));
            }
        }
        self.audit_object_reads(ctx, &audited).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.audit_append(&audit_entry(ctx, "stix.export", "stix", None, serde_json::json!({"objects": rows.len(), "format": format!("{format:?}")})), now).await?;
        tx.commit().await?;
        Ok(rows.len() as u64)
    }
}

/// How often an object was sighted, where, and how fresh an indicator still is.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SightingSummary {
    pub id: String,
    /// Sum of the `count` of every visible sighting (a sighting without `count` counts 1).
    pub total: u64,
    /// The same per reporting state (ISO code of the reporting organisation's country).
    pub by_state: std::collections::BTreeMap<String, u64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// For indicators: the decay score (0–100) now.
    pub decay_score: Option<f64>,
}

fn ts(body: &serde_json::Value, k: &str) -> Option<time::OffsetDateTime> {
    body.get(k).and_then(|v| v.as_str()).and_then(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
}

/// Decay score: `base × (1 − (age / lifetime)^(1/speed))`, clamped to 0–100, where age runs
/// from the newest of the indicator's own time and its last sighting. 0 after `valid_until`.
pub fn decay_score(base: f64, lifetime_days: f64, speed: f64, age_days: f64, expired: bool) -> f64 {
    if expired || lifetime_days <= 0.0 {
        return 0.0;
    }
    let ratio = (age_days.max(0.0) / lifetime_days).min(1.0);
    let s = base * (1.0 - ratio.powf(1.0 / speed.max(0.01)));
    (s.clamp(0.0, 100.0) * 10.0).round() / 10.0
}

impl Services {
    /// Sightings of an object per state, and the indicator decay score.
    pub async fn sightings(&self, ctx: &Ctx, stix_id: &str) -> Result<SightingSummary> {
        let versions = self.get_object(ctx, stix_id).await?;
        let latest = versions.last().ok_or_else(|| ServiceError::NotFound(format!("object {stix_id}")))?;
        let mut by_state = std::collections::BTreeMap::new();
        let mut total = 0u64;
        let mut first: Option<time::OffsetDateTime> = None;
        let mut last: Option<time::OffsetDateTime> = None;
        let mut countries: HashMap<Uuid, String> = HashMap::new();
        // Latest version of each visible sighting.
        let mut latest_sightings: HashMap<String, (StixRecord, serde_json::Value)> = HashMap::new();
        for r in self.store.stix_sightings_of(stix_id).await? {
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
            if !may_read(ctx, &r, &body) || r.revoked {
                continue;
            }
            match latest_sightings.get(&r.stix_id) {
                Some((old, _)) if old.version >= r.version => {}
                _ => {
                    latest_sightings.insert(r.stix_id.clone(), (r, body));
                }
            }
        }
        for (r, body) in latest_sightings.values() {
            let n = body.get("count").and_then(|c| c.as_u64()).unwrap_or(1);
            total += n;
            if !countries.contains_key(&r.owner_org) {
                let c = self.org_country(r.owner_org).await?.unwrap_or_else(|| "??".into());
                countries.insert(r.owner_org, c);
            }
            *by_state.entry(countries[&r.owner_org].clone()).or_insert(0) += n;
            let f = ts(body, "first_seen").or_else(|| ts(body, "created"));
            let l = ts(body, "last_seen").or_else(|| ts(body, "modified")).or(f);
            if let Some(f) = f {
                first = Some(first.map_or(f, |x: time::OffsetDateTime| x.min(f)));
            }
            if let Some(l) = l {
                last = Some(last.map_or(l, |x: time::OffsetDateTime| x.max(l)));
            }
        }
        let decay = if latest.object_type == "indicator" {
            let o = &latest.object;
            let base = o.get("confidence").and_then(|c| c.as_f64()).unwrap_or(self.config.decay_default_base);
            let own = [ts(o, "valid_from"), ts(o, "modified"), ts(o, "created")].into_iter().flatten().max();
            let reference = [own, last].into_iter().flatten().max();
            let now = self.now();
            let age = reference.map(|t| (now - t).as_seconds_f64() / 86400.0).unwrap_or(0.0);
            let expired = ts(o, "valid_until").is_some_and(|u| u <= now) || latest.revoked;
            Some(decay_score(base, self.config.decay_lifetime_days, self.config.decay_speed, age, expired))
        } else {
            None
        };
        Ok(SightingSummary {
            id: stix_id.to_string(),
            total,
            by_state,
            first_seen: first.map(atalaya_model::time_util::rfc3339),
            last_seen: last.map(atalaya_model::time_util::rfc3339),
            decay_score: decay,
        })
    }

    /// Full-text search over names, descriptions, patterns and values; results filtered by
    /// policy and flagged with warninglist hits.
    pub async fn search(&self, ctx: &Ctx, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        if query.trim().is_empty() {
            return Err(ServiceError::invalid("q", "must not be empty"));
        }
        let seqs = self.store.stix_search(query, (limit as i64).saturating_mul(4).clamp(1, 20_000)).await?;
        let rows = self.store.stix_by_seq(&seqs).await?;
        let mut out = vec![];
        let mut audited = vec![];
        for r in rows.into_iter().rev() {
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
            if !may_read(ctx, &r, &body) {
                continue;
            }
            if atalaya_policy::must_audit_read(r.tlp) {
                audited.push((r.stix_id.clone(), r.tlp));
            }
            let hits = self.warninglist_hits(&object_values(&body)).await?;
            out.push(SearchHit { warninglists: hits, object: view(r, body) });
            if out.len() >= limit {
                break;
            }
        }
        self.audit_object_reads(ctx, &audited).await?;
        Ok(out)
    }

    /// Number of visible objects (latest versions) per critical-infrastructure sector.
    pub async fn sector_counts(&self, ctx: &Ctx) -> Result<std::collections::BTreeMap<String, u64>> {
        let mut latest: HashMap<String, (String, Vec<String>)> = HashMap::new();
        let mut cursor = 0;
        loop {
            let page = self.store.stix_after(cursor, 5000, &[]).await?;
            if page.is_empty() {
                break;
            }
            for r in page {
                cursor = r.seq;
                if r.sectors.is_empty() || r.revoked {
                    continue;
                }
                let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
                if !may_read(ctx, &r, &body) {
                    continue;
                }
                match latest.get(&r.stix_id) {
                    Some((v, _)) if *v >= r.version => {}
                    _ => {
                        latest.insert(r.stix_id.clone(), (r.version.clone(), r.sectors.clone()));
                    }
                }
            }
        }
        let mut counts = std::collections::BTreeMap::new();
        for (_, sectors) in latest.values() {
            for s in sectors {
                *counts.entry(s.clone()).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }
}

/// One search result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    #[serde(flatten)]
    pub object: ObjectView,
    /// Values of the object on an enabled warninglist.
    pub warninglists: Vec<crate::correlate::WarninglistHit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_falls_from_base_to_zero() {
        assert_eq!(decay_score(80.0, 30.0, 1.0, 0.0, false), 80.0);
        assert_eq!(decay_score(80.0, 30.0, 1.0, 15.0, false), 40.0);
        assert_eq!(decay_score(80.0, 30.0, 1.0, 30.0, false), 0.0);
        assert_eq!(decay_score(80.0, 30.0, 1.0, 45.0, false), 0.0);
        assert_eq!(decay_score(80.0, 30.0, 1.0, 1.0, true), 0.0);
        // speed < 1 keeps the score high longer
        assert!(decay_score(80.0, 30.0, 0.5, 15.0, false) > decay_score(80.0, 30.0, 1.0, 15.0, false));
    }

    #[test]
    fn pattern_values_extracts_equalities() {
        let v = pattern_values("[ipv4-addr:value = '198.51.100.1'] OR [file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'] OR [domain-name:value != 'x.example']");
        assert_eq!(v, vec![("ipv4".to_string(), "198.51.100.1".to_string()), ("sha256".to_string(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string())]);
        assert!(pattern_values("[broken").is_empty());
    }

    #[test]
    fn sectors_are_vocabulary_only() {
        let b = serde_json::json!({"sectors": ["energy", "Banana"], "x_atalaya_sectors": ["healthcare", "energy"]});
        assert_eq!(sectors_of(&b), vec!["energy".to_string(), "healthcare".to_string()]);
    }
}
