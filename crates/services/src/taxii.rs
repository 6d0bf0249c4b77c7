//! TAXII 2.1 use cases: collections (the node's default "all intelligence you may see" and
//! operator-defined views by TLP, type and sector), paginated reads filtered by policy exactly
//! like the REST reads (`intel::may_read`), adds through [`Services::import_batch`] with stored
//! status resources, deletes by the owner organisation, and HTTP Basic with passwords.
//!
//! Reads page by `seq` (the opaque `next` cursor is the last sequence number looked at): the
//! store answers `WHERE seq > cursor … ORDER BY seq LIMIT n`, and each request looks at a
//! bounded number of rows, so its cost does not grow with the store. Stored JSON text is passed
//! through without parsing.
use crate::intel::{may_read, sectors_of, DistributionDoc, ImportOptions};
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use atalaya_model::time_util::{from_micros, to_micros};
use atalaya_model::Tlp;
use atalaya_policy::{Access, Distribution, ObjectAccess, Principal, Subject, Target};
use atalaya_store::taxii::{TaxiiCollectionRecord, TaxiiQuery, TaxiiStatusRecord};
use atalaya_store::StixRecord;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The STIX media type of every collection.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// Objects per page when the client names no `limit`.
pub const DEFAULT_LIMIT: usize = 1000;
/// The largest page; larger `limit`s are lowered to it (TAXII 2.1 §3.4.1 allows this).
pub const MAX_LIMIT: usize = 10_000;
/// Objects per `import_batch` call of an add (keeps every rejection of a batch listed).
const ADD_BATCH: usize = 1000;
/// Alias of the default collection.
pub const DEFAULT_ALIAS: &str = "all";

/// A TAXII collection: a view over the node's objects. The default collection has no filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Collection {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub alias: Option<String>,
    /// Only objects at or below this TLP.
    pub max_tlp: Option<Tlp>,
    /// Only objects of these STIX types (empty: all).
    pub types: Vec<String>,
    /// Only objects concerning one of these sectors (empty: all).
    pub sectors: Vec<String>,
    pub read_only: bool,
    /// The node's default collection (cannot be removed).
    pub default: bool,
}

impl Collection {
    /// Readable without credentials: a view capped at TLP:CLEAR.
    pub fn public(&self) -> bool {
        self.max_tlp == Some(Tlp::Clear)
    }

    fn is_view(&self) -> bool {
        self.max_tlp.is_some() || !self.types.is_empty() || !self.sectors.is_empty()
    }

    /// Does this stored version belong to the view?
    fn contains(&self, r: &StixRecord) -> bool {
        self.max_tlp.is_none_or(|m| r.tlp <= m)
            && (self.types.is_empty() || self.types.contains(&r.object_type))
            && (self.sectors.is_empty() || r.sectors.iter().any(|s| self.sectors.contains(s)))
    }

    fn from_record(r: TaxiiCollectionRecord) -> Collection {
        Collection {
            id: r.id,
            title: r.title,
            description: r.description,
            alias: r.alias,
            max_tlp: r.max_tlp,
            types: r.types,
            sectors: r.sectors,
            read_only: r.read_only,
            default: false,
        }
    }
}

/// A collection and what the caller may do with it.
#[derive(Debug, Clone)]
pub struct CollectionAccess {
    pub collection: Collection,
    pub can_read: bool,
    pub can_write: bool,
}

/// An operator-defined collection to create.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCollection {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// A short unique name usable instead of the id in URLs of other servers (informative).
    #[serde(default)]
    pub alias: Option<String>,
    /// Highest TLP the collection shows, e.g. `TLP:GREEN` (TLP:CLEAR makes it public).
    #[serde(default)]
    pub max_tlp: Option<Tlp>,
    /// STIX types it shows (empty: all).
    #[serde(default)]
    pub types: Vec<String>,
    /// Critical-infrastructure sectors (STIX industry-sector-ov) it shows (empty: all).
    #[serde(default)]
    pub sectors: Vec<atalaya_model::directory::Sector>,
    /// Refuse adds and deletes through this collection.
    #[serde(default)]
    pub read_only: bool,
}

/// One value of `match[version]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSel {
    First,
    Last,
    All,
    /// A version timestamp: the raw text and its microseconds.
    At(String, i64),
}

impl VersionSel {
    /// Parses a comma-separated `match[version]` value.
    pub fn parse_list(raw: &str) -> std::result::Result<Vec<VersionSel>, String> {
        let mut out = vec![];
        for v in raw.split(',').map(str::trim) {
            out.push(match v {
                "first" => VersionSel::First,
                "last" => VersionSel::Last,
                "all" => VersionSel::All,
                "" => return Err("empty value".into()),
                t => match parse_timestamp(t) {
                    Some(us) => VersionSel::At(t.to_string(), us),
                    None => return Err(format!("'{t}' is neither first, last, all nor an RFC 3339 timestamp")),
                },
            });
        }
        Ok(out)
    }
}

/// Parses an RFC 3339 timestamp to microseconds since the epoch.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok().map(to_micros)
}

/// A TAXII timestamp with microseconds: `2026-01-01T00:00:00.123456Z`.
pub fn taxii_timestamp(us: i64) -> String {
    let t = from_micros(us);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Every textual form of a version timestamp a producer may have written (0–9 fraction digits).
fn version_forms(raw: &str, us: i64) -> Vec<String> {
    let t = from_micros(us);
    let base = format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second());
    let mut v = vec![raw.to_string()];
    let six = format!("{:06}", t.microsecond());
    let needed = six.trim_end_matches('0').len();
    if needed == 0 {
        v.push(format!("{base}Z"));
    }
    for k in needed.max(1)..=9 {
        let frac = if k <= 6 { six[..k].to_string() } else { format!("{six}{}", "0".repeat(k - 6)) };
        v.push(format!("{base}.{frac}Z"));
    }
    v.sort();
    v.dedup();
    v
}

/// What a read asks for (TAXII filters and pagination).
#[derive(Debug, Clone, Default)]
pub struct ReadFilter {
    /// The cursor of a previous page (`next`).
    pub next: Option<i64>,
    /// Only versions added after this time (microseconds).
    pub added_after: Option<i64>,
    /// Objects per page (lowered to [`MAX_LIMIT`]; 0 means the default).
    pub limit: usize,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    /// `match[version]`; empty means `last`.
    pub versions: Vec<VersionSel>,
    pub spec_versions: Vec<String>,
    /// Return the objects' JSON ([`Page::objects`]); manifests and version lists need not.
    pub with_bodies: bool,
}

/// One object version of a page.
#[derive(Debug, Clone)]
pub struct Item {
    pub seq: i64,
    pub id: String,
    /// `modified`, else `created`, else the date added (TAXII 2.1 §3.2).
    pub version: String,
    /// Microseconds since the epoch.
    pub added_at: i64,
}

/// A page of a read.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// With [`ReadFilter::with_bodies`]: the stored JSON of the items, verbatim, comma-separated
    /// (the inside of a JSON array).
    pub objects: String,
    pub more: bool,
    /// Cursor of the next page (when `more`).
    pub next: Option<i64>,
}

/// One entry of a status resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusDetail {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The TAXII status resource of an add (TAXII 2.1 §4.3.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusResource {
    pub id: String,
    pub status: String,
    pub request_timestamp: String,
    pub total_count: u64,
    pub success_count: u64,
    pub successes: Vec<StatusDetail>,
    pub failure_count: u64,
    pub failures: Vec<StatusDetail>,
    pub pending_count: u64,
    pub pendings: Vec<StatusDetail>,
}

/// Page scans grow from `limit + 1` rows up to this many per store query.
const MAX_CHUNK: i64 = 10_000;
/// Sequence numbers one request looks at when a filter has no index (at least).
const SEQ_WINDOW: i64 = 50_000;

fn distribution_of(r: &StixRecord) -> (Distribution, Vec<Uuid>) {
    match &r.distribution {
        None => (Distribution { network: true, ..Default::default() }, vec![]),
        Some(s) => match serde_json::from_str::<DistributionDoc>(s) {
            Ok(d) => {
                let named = d.named_users.clone();
                (d.into(), named)
            }
            Err(_) => (Distribution::default(), vec![]),
        },
    }
}

fn object_version(v: &serde_json::Value) -> Option<String> {
    v.get("modified").or_else(|| v.get("created")).and_then(|x| x.as_str()).map(str::to_string)
}

fn stix_type_ok(t: &str) -> bool {
    (3..=250).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Verified Basic credentials, kept a few minutes so a client sending Basic with every request
/// does not pay an argon2 verification each time. Keyed by a SHA-256 over the user id, the
/// stored password hash (so a password change invalidates at once) and the password.
fn password_cache() -> &'static Mutex<HashMap<[u8; 32], Instant>> {
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], Instant>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}
const PASSWORD_CACHE_TTL: Duration = Duration::from_secs(300);
const PASSWORD_CACHE_MAX: usize = 10_000;

fn password_cache_key(user_id: Uuid, stored_hash: &str, password: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"atalaya-taxii-basic\0");
    h.update(user_id.as_bytes());
    h.update(stored_hash.as_bytes());
    h.update([0u8]);
    h.update(password.as_bytes());
    h.finalize().into()
}

/// Ids with more than one stored version, so `match[version]=last|first` needs no index
/// probe per row. Covers the versions with `seq <= upto`; newer rows are probed in SQL. Built
/// in the background on first use (one GROUP BY), then brought up to date incrementally by the
/// requests (at most [`MULTI_STEP`] new versions each). Deleted versions may leave an id in the
/// set: harmless, the exact check looks at the stored versions.
pub(crate) struct MultiIndex {
    ids: std::sync::RwLock<HashSet<String>>,
    upto: std::sync::atomic::AtomicI64,
    built: std::sync::atomic::AtomicBool,
    building: std::sync::atomic::AtomicBool,
    refresh: tokio::sync::Mutex<()>,
}

const MULTI_STEP: i64 = 20_000;

/// One index per node (keyed by the node's public key) in this process.
fn multi_registry() -> &'static Mutex<HashMap<String, std::sync::Arc<MultiIndex>>> {
    static REG: OnceLock<Mutex<HashMap<String, std::sync::Arc<MultiIndex>>>> = OnceLock::new();
    REG.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Services {
    fn taxii_multi(&self) -> std::sync::Arc<MultiIndex> {
        let key = self.identity.public_key_b64();
        let mut reg = multi_registry().lock().unwrap_or_else(|e| e.into_inner());
        reg.entry(key)
            .or_insert_with(|| {
                std::sync::Arc::new(MultiIndex {
                    ids: std::sync::RwLock::new(HashSet::new()),
                    upto: std::sync::atomic::AtomicI64::new(0),
                    built: std::sync::atomic::AtomicBool::new(false),
                    building: std::sync::atomic::AtomicBool::new(false),
                    refresh: tokio::sync::Mutex::new(()),
                })
            })
            .clone()
    }

    /// Brings the multi-version index forward (bounded work) and answers up to which `seq`
    /// it is complete (0 while the first build runs in the background), and whether that is
    /// every stored version (else versions above may be newer versions of older rows).
    async fn taxii_multi_refresh(&self, idx: &std::sync::Arc<MultiIndex>) -> (i64, bool) {
        use std::sync::atomic::Ordering::SeqCst;
        if !idx.built.load(SeqCst) {
            if !idx.building.swap(true, SeqCst) {
                let me = self.clone();
                let idx = idx.clone();
                tokio::spawn(async move {
                    let build = async {
                        let upto = me.store.taxii_max_seq().await?;
                        let ids = me.store.taxii_multi_version_ids(upto).await?;
                        if let Ok(mut set) = idx.ids.write() {
                            set.extend(ids);
                        }
                        idx.upto.store(upto, SeqCst);
                        idx.built.store(true, SeqCst);
                        Ok::<(), atalaya_store::StoreError>(())
                    };
                    if let Err(e) = build.await {
                        tracing::warn!(error = %e, "TAXII multi-version index: build failed; retrying on a later request");
                    }
                    idx.building.store(false, SeqCst);
                });
            }
            return (0, true);
        }
        let Ok(_guard) = idx.refresh.try_lock() else { return (idx.upto.load(SeqCst), false) };
        let upto = idx.upto.load(SeqCst);
        let step = async {
            let (next, count) = self.store.taxii_seq_after(upto, MULTI_STEP).await?;
            let Some(next) = next else { return Ok((upto, true)) };
            let ids = self.store.taxii_multi_version_ids_between(upto, next).await?;
            if !ids.is_empty() {
                if let Ok(mut set) = idx.ids.write() {
                    set.extend(ids);
                }
            }
            idx.upto.store(next, SeqCst);
            Ok::<(i64, bool), atalaya_store::StoreError>((next, count < MULTI_STEP))
        };
        match step.await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "TAXII multi-version index: refresh failed");
                (upto, false)
            }
        }
    }

    /// HTTP Basic with a user name and password (TAXII clients). The same argon2 verification
    /// and failure limits as `POST /auth/login`; no session token is issued. A verified
    /// credential is remembered for a few minutes (see `password_cache`).
    pub async fn authenticate_password(&self, username: &str, password: &str, source: &str) -> Result<Principal> {
        let bad = || ServiceError::Unauthenticated("wrong user name or password".into());
        if username.is_empty() || username.len() > 200 || password.len() > 1024 {
            return Err(bad());
        }
        let user = self.store.user_by_name(username).await?;
        if let Some(u) = &user {
            if let (Some(h), false) = (&u.password_hash, u.user.disabled) {
                let key = password_cache_key(u.user.id, h, password);
                let hit = password_cache().lock().map(|c| c.get(&key).is_some_and(|t| t.elapsed() < PASSWORD_CACHE_TTL)).unwrap_or(false);
                if hit {
                    return self.principal_of(&u.user).await;
                }
            }
        }
        let now = self.now();
        let cfg = &self.config;
        let window_start = now - time::Duration::seconds(cfg.login_window.as_secs() as i64);
        let user_key = format!("user:{}", username.to_lowercase());
        let src_key = format!("source:{}", crate::auth::source_host(source));
        let ctx = Ctx { subject: Subject::Anonymous, source: source.to_string() };
        let by_user = self.store.login_failures_since(&user_key, window_start).await?;
        let by_src = self.store.login_failures_since(&src_key, window_start).await?;
        if by_user >= cfg.login_max_failures_per_user || by_src >= cfg.login_max_failures_per_source {
            let mut tx = self.store.begin().await?;
            tx.audit_append(&audit_entry(&ctx, "login.throttled", "user", Some(username.to_string()), serde_json::json!({"interface": "taxii"})), now).await?;
            tx.commit().await?;
            return Err(ServiceError::RateLimited { retry_after_secs: cfg.login_window.as_secs() });
        }
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let ok = crate::auth::verify_password(password.to_string(), stored.clone()).await;
        let u = match (ok, user) {
            (true, Some(u)) if !u.user.disabled => u,
            _ => {
                let mut tx = self.store.begin().await?;
                tx.login_failure_record(&user_key, now).await?;
                tx.login_failure_record(&src_key, now).await?;
                tx.audit_append(&audit_entry(&ctx, "login.failure", "user", Some(username.to_string()), serde_json::json!({"interface": "taxii"})), now).await?;
                tx.commit().await?;
                return Err(bad());
            }
        };
        if by_user > 0 {
            let mut tx = self.store.begin().await?;
            tx.login_failures_clear(Some(&user_key), window_start).await?;
            tx.commit().await?;
        }
        if let (Some(h), Ok(mut cache)) = (&stored, password_cache().lock()) {
            if cache.len() >= PASSWORD_CACHE_MAX {
                cache.retain(|_, t| t.elapsed() < PASSWORD_CACHE_TTL);
                if cache.len() >= PASSWORD_CACHE_MAX {
                    cache.clear();
                }
            }
            cache.insert(password_cache_key(u.user.id, h, password), Instant::now());
        }
        self.principal_of(&u.user).await
    }

    /// The node's default collection: everything the caller may read. Its id is derived from
    /// the node's public key, so it is stable for the life of the node.
    pub fn taxii_default_collection(&self) -> Collection {
        let id = Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("urn:atalaya:taxii:default-collection:{}", self.identity.public_key_b64()).as_bytes());
        Collection {
            id,
            title: "All intelligence you may see".into(),
            description: Some(
                "Every STIX 2.1 object of this node you may read, exactly as the REST API shows it to you. \
                 Adds go through the same validation, ownership and policy as REST imports."
                    .into(),
            ),
            alias: Some(DEFAULT_ALIAS.into()),
            max_tlp: None,
            types: vec![],
            sectors: vec![],
            read_only: false,
            default: true,
        }
    }

    fn taxii_access(&self, ctx: &Ctx, c: Collection) -> CollectionAccess {
        let can_write = !c.read_only
            && match &ctx.subject {
                Subject::Anonymous => false,
                Subject::Operator => true,
                Subject::User(p) => {
                    let d = Distribution::default();
                    atalaya_policy::allowed(
                        &ctx.subject,
                        Access::Write,
                        &Target::Object(ObjectAccess { tlp: Tlp::Clear, owner_org: p.org_id, distribution: &d, named_users: &[] }),
                    )
                }
            };
        let can_read = !matches!(ctx.subject, Subject::Anonymous) || c.public();
        CollectionAccess { collection: c, can_read, can_write }
    }

    /// Every collection, in definition order (the default first).
    pub async fn taxii_all_collections(&self) -> Result<Vec<Collection>> {
        let mut out = vec![self.taxii_default_collection()];
        out.extend(self.store.taxii_collections().await?.into_iter().map(Collection::from_record));
        Ok(out)
    }

    /// The collections the caller may use: all of them for members, public ones for anonymous.
    pub async fn taxii_collections(&self, ctx: &Ctx) -> Result<Vec<CollectionAccess>> {
        Ok(self
            .taxii_all_collections()
            .await?
            .into_iter()
            .map(|c| self.taxii_access(ctx, c))
            .filter(|a| a.can_read)
            .collect())
    }

    /// One collection by id. Unknown → 404; not public and no credentials → 401.
    pub async fn taxii_collection(&self, ctx: &Ctx, id: &str) -> Result<CollectionAccess> {
        let nf = || ServiceError::NotFound(format!("collection {id}"));
        let uuid = Uuid::parse_str(id).map_err(|_| nf())?;
        let def = self.taxii_default_collection();
        let c = if uuid == def.id { def } else { Collection::from_record(self.store.taxii_collection_get(uuid).await?.ok_or_else(nf)?) };
        let a = self.taxii_access(ctx, c);
        if !a.can_read {
            return Err(ServiceError::Unauthenticated("this collection requires authentication".into()));
        }
        Ok(a)
    }

    /// Objects of a collection visible to the caller, one page (TAXII Get Objects / Get
    /// Manifest / Get an Object). Reads of TLP:AMBER or stricter material are audited, one
    /// entry per page listing the objects.
    pub async fn taxii_read(&self, ctx: &Ctx, coll: &Collection, f: &ReadFilter) -> Result<Page> {
        let limit = if f.limit == 0 { DEFAULT_LIMIT } else { f.limit.min(MAX_LIMIT) };
        let types: Vec<String> = match (coll.types.is_empty(), f.types.is_empty()) {
            (true, _) => f.types.clone(),
            (false, true) => coll.types.clone(),
            (false, false) => {
                let t: Vec<String> = f.types.iter().filter(|t| coll.types.contains(t)).cloned().collect();
                if t.is_empty() {
                    return Ok(Page::default());
                }
                t
            }
        };
        let sel: Vec<VersionSel> = if f.versions.is_empty() { vec![VersionSel::Last] } else { f.versions.clone() };
        let all = sel.contains(&VersionSel::All);
        let want_last = !all && sel.contains(&VersionSel::Last);
        let want_first = !all && sel.contains(&VersionSel::First);
        let stamps: HashSet<i64> = sel.iter().filter_map(|s| if let VersionSel::At(_, us) = s { Some(*us) } else { None }).collect();
        let only_stamps = !all && !want_last && !want_first;
        let mut q = TaxiiQuery {
            after_seq: f.next.unwrap_or(0).max(0),
            upto_seq: None,
            added_after: f.added_after,
            ids: f.ids.clone(),
            types,
            max_tlp: coll.max_tlp,
            sectors: coll.sectors.clone(),
            spec_versions: f.spec_versions.clone(),
            versions: None,
            version_added_at: vec![],
            want_newer: want_last,
            want_older: want_first,
            exists_above: 0,
            limit: 0,
        };
        // Versions up to `multi_upto` need no index probe: the multi-version index knows
        // which of their ids have other versions.
        // (Reads of named ids probe their few rows directly.)
        let multi = self.taxii_multi();
        let (multi_upto, multi_complete) =
            if (want_last || want_first) && q.ids.is_empty() { self.taxii_multi_refresh(&multi).await } else { (0, true) };
        q.exists_above = multi_upto;
        if only_stamps {
            let mut forms = vec![];
            for s in &sel {
                if let VersionSel::At(raw, us) = s {
                    forms.extend(version_forms(raw, *us));
                }
            }
            forms.sort();
            forms.dedup();
            q.versions = Some(forms);
            q.version_added_at = stamps.iter().copied().collect();
        }
        if let Some(t) = f.added_after {
            match self.store.taxii_first_seq_added_after(t).await? {
                Some(s) => q.after_seq = q.after_seq.max(s - 1),
                None => return Ok(Page::default()),
            }
        }
        let null = serde_json::Value::Null;
        // Rows the store hands over but policy hides: at most this many per request.
        let budget = (limit * 10).max(20_000);
        let mut chunk = (limit as i64 + 1).min(MAX_CHUNK);
        let mut scanned = 0usize;
        let mut cursor = q.after_seq;
        // Filters without an index (TLP, sector, spec_version, version timestamps) may match
        // rarely: the store then looks at one window of sequence numbers per request, and the
        // page ends there (possibly short, `more` with `next` after the window).
        let windowed = q.ids.is_empty() && (q.max_tlp.is_some() || !q.sectors.is_empty() || !q.spec_versions.is_empty() || q.versions.is_some());
        let top = if windowed { self.store.taxii_max_seq().await? } else { i64::MAX };
        let hi = windowed.then(|| cursor.saturating_add(SEQ_WINDOW.max(limit as i64 * 20)).min(top));
        q.upto_seq = hi;
        let mut items: Vec<Item> = Vec::with_capacity(limit.min(1024));
        let mut objects = String::new();
        let mut audited: Vec<serde_json::Value> = vec![];
        let mut versions_of: HashMap<String, Vec<StixRecord>> = HashMap::new();
        let exhausted;
        'scan: loop {
            q.after_seq = cursor;
            q.limit = chunk;
            let page = self.store.taxii_page(&q, f.with_bodies).await?;
            let n = page.rows.len();
            if f.with_bodies && objects.capacity() == 0 {
                objects.reserve(page.rows.iter().map(|r| page.body(r).len() + 1).sum::<usize>().min(64 << 20));
            }
            // While the index catches up, rows it covers may have newer versions above it.
            let tail: HashSet<String> = if multi_complete || multi_upto == 0 {
                HashSet::new()
            } else {
                let below: Vec<String> = page.rows.iter().filter(|r| r.record.seq <= multi_upto).map(|r| r.record.stix_id.clone()).collect();
                self.store.taxii_ids_above(multi_upto, &below).await?.into_iter().collect()
            };
            // Rows whose object may have other versions: fetch those versions in one query.
            let candidate = |row: &atalaya_store::taxii::TaxiiRow, ids: &HashSet<String>| {
                (want_last || want_first)
                    && if row.record.seq <= multi_upto {
                        ids.contains(&row.record.stix_id) || tail.contains(&row.record.stix_id)
                    } else {
                        row.has_newer || row.has_older
                    }
            };
            let wanted: Vec<String> = {
                let ids = multi.ids.read().map_err(|_| ServiceError::Internal("multi-version index lock".into()))?;
                let mut w: Vec<String> = page.rows.iter().filter(|r| candidate(r, &ids) && !versions_of.contains_key(&r.record.stix_id)).map(|r| r.record.stix_id.clone()).collect();
                w.sort();
                w.dedup();
                w
            };
            if !wanted.is_empty() {
                for v in self.store.taxii_versions_of_many(&wanted).await? {
                    versions_of.entry(v.stix_id.clone()).or_default().push(v);
                }
                for id in wanted {
                    versions_of.entry(id).or_default();
                }
            }
            for (i, row) in page.rows.iter().enumerate() {
                let r = &row.record;
                cursor = r.seq;
                scanned += 1;
                if !may_read(ctx, r, &null) {
                    continue;
                }
                // Timestamp-only selections are filtered by the store already.
                let mut include = all || only_stamps || stamps.contains(&version_micros(r));
                let maybe_other = versions_of.contains_key(&r.stix_id);
                if !include && want_last {
                    include = !(maybe_other && self.shadowed(ctx, coll, r, true, &mut versions_of).await?);
                }
                if !include && want_first {
                    include = !(maybe_other && self.shadowed(ctx, coll, r, false, &mut versions_of).await?);
                }
                if !include {
                    continue;
                }
                if atalaya_policy::must_audit_read(r.tlp) {
                    audited.push(serde_json::json!([r.stix_id, r.version, r.tlp.label()]));
                }
                let version = if r.version.is_empty() { taxii_timestamp(r.added_at) } else { r.version.clone() };
                items.push(Item { seq: r.seq, id: r.stix_id.clone(), version, added_at: r.added_at });
                if f.with_bodies {
                    if !objects.is_empty() {
                        objects.push(',');
                    }
                    objects.push_str(page.body(row));
                }
                if items.len() >= limit {
                    exhausted = i + 1 == n && (n as i64) < chunk && hi.is_none_or(|h| h >= top);
                    break 'scan;
                }
            }
            if (n as i64) < chunk {
                match hi {
                    Some(h) => {
                        // Everything up to the end of the window has been looked at.
                        cursor = cursor.max(h);
                        exhausted = h >= top;
                    }
                    None => exhausted = true,
                }
                break;
            }
            if scanned >= budget {
                exhausted = false;
                break;
            }
            chunk = (chunk * 4).min(MAX_CHUNK);
        }
        self.taxii_audit_reads(ctx, coll, audited).await?;
        Ok(Page { items, objects, more: !exhausted, next: (!exhausted).then_some(cursor) })
    }

    /// Is there a version of `r`'s object newer (or older) than `r` that the caller may read
    /// in this collection? (`last` / `first` are decided among the visible versions.)
    async fn shadowed(&self, ctx: &Ctx, coll: &Collection, r: &StixRecord, newer: bool, cache: &mut HashMap<String, Vec<StixRecord>>) -> Result<bool> {
        if !cache.contains_key(&r.stix_id) {
            let v = self.store.taxii_versions_of(&r.stix_id).await?;
            cache.insert(r.stix_id.clone(), v);
        }
        let null = serde_json::Value::Null;
        Ok(cache[&r.stix_id].iter().any(|o| {
            let other_side = if newer { o.version > r.version } else { o.version < r.version };
            other_side && coll.contains(o) && may_read(ctx, o, &null)
        }))
    }

    /// One audit entry per request for the TLP:AMBER-or-stricter objects it returned
    /// (`detail.objects`: `[id, version, TLP]` each).
    async fn taxii_audit_reads(&self, ctx: &Ctx, coll: &Collection, objects: Vec<serde_json::Value>) -> Result<()> {
        if objects.is_empty() {
            return Ok(());
        }
        let first = objects[0][0].as_str().unwrap_or_default().to_string();
        let single = objects.iter().all(|o| o[0].as_str() == Some(first.as_str()));
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.audit_append(
            &audit_entry(ctx, "stix.read", "stix", single.then_some(first), serde_json::json!({"interface": "taxii", "collection": coll.id, "objects": objects})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The visible versions of one object in a collection (404 when there are none).
    async fn taxii_visible_versions(&self, ctx: &Ctx, coll: &Collection, stix_id: &str) -> Result<Vec<StixRecord>> {
        let null = serde_json::Value::Null;
        let v: Vec<StixRecord> = self
            .store
            .taxii_versions_of(stix_id)
            .await?
            .into_iter()
            .filter(|r| coll.contains(r) && may_read(ctx, r, &null))
            .collect();
        if v.is_empty() {
            return Err(ServiceError::NotFound(format!("object {stix_id}")));
        }
        Ok(v)
    }

    /// TAXII Get an Object: like [`taxii_read`](Self::taxii_read) for one id; 404 when the
    /// caller may see no version of it in this collection.
    pub async fn taxii_object(&self, ctx: &Ctx, coll: &Collection, stix_id: &str, f: &ReadFilter) -> Result<Page> {
        let f = ReadFilter { ids: vec![stix_id.to_string()], types: vec![], ..f.clone() };
        let page = self.taxii_read(ctx, coll, &f).await?;
        if page.items.is_empty() && f.next.is_none() {
            self.taxii_visible_versions(ctx, coll, stix_id).await?;
        }
        Ok(page)
    }

    /// TAXII Get Object Versions: every visible version of one object, in the order added.
    pub async fn taxii_versions(&self, ctx: &Ctx, coll: &Collection, stix_id: &str, f: &ReadFilter) -> Result<Page> {
        let f = ReadFilter { ids: vec![stix_id.to_string()], types: vec![], versions: vec![VersionSel::All], ..f.clone() };
        let page = self.taxii_read(ctx, coll, &f).await?;
        if page.items.is_empty() && f.next.is_none() {
            self.taxii_visible_versions(ctx, coll, stix_id).await?;
        }
        Ok(page)
    }

    /// TAXII Delete an Object: removes the selected versions (all by default). Only the owner
    /// organisation's analysts and administrators may (policy: write access to the object).
    pub async fn taxii_delete(&self, ctx: &Ctx, coll: &Collection, stix_id: &str, versions: &[VersionSel], spec_versions: &[String]) -> Result<u64> {
        if matches!(ctx.subject, Subject::Anonymous) {
            return Err(ServiceError::Unauthenticated("authentication required".into()));
        }
        if coll.read_only {
            return Err(ServiceError::Forbidden("this collection is read-only".into()));
        }
        let visible: Vec<StixRecord> = self
            .taxii_visible_versions(ctx, coll, stix_id)
            .await?
            .into_iter()
            .filter(|r| spec_versions.is_empty() || spec_versions.contains(&r.spec_version))
            .collect();
        let chosen: Vec<&StixRecord> = if versions.is_empty() || versions.contains(&VersionSel::All) {
            visible.iter().collect()
        } else {
            let first = visible.iter().map(|r| r.version.as_str()).min();
            let last = visible.iter().map(|r| r.version.as_str()).max();
            visible
                .iter()
                .filter(|r| {
                    versions.iter().any(|s| match s {
                        VersionSel::First => Some(r.version.as_str()) == first,
                        VersionSel::Last => Some(r.version.as_str()) == last,
                        VersionSel::At(_, us) => version_micros(r) == *us,
                        VersionSel::All => true,
                    })
                })
                .collect()
        };
        if chosen.is_empty() {
            return Err(ServiceError::NotFound(format!("object {stix_id} in the requested version")));
        }
        for r in &chosen {
            let (d, named) = distribution_of(r);
            require(ctx, Access::Write, &Target::Object(ObjectAccess { tlp: r.tlp, owner_org: r.owner_org, distribution: &d, named_users: &named }))?;
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut n = 0;
        for r in &chosen {
            n += tx.stix_delete(stix_id, Some(&r.version)).await?;
        }
        let removed: Vec<&str> = chosen.iter().map(|r| r.version.as_str()).collect();
        tx.audit_append(&audit_entry(ctx, "stix.delete", "stix", Some(stix_id.to_string()), serde_json::json!({"interface": "taxii", "versions": removed})), now).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// TAXII Add Objects: the envelope's objects go through [`Services::import_batch`] (same
    /// validation, ownership and policy as REST imports), in batches of 1,000; the status
    /// resource is stored and returned complete. Duplicates count as successes.
    pub async fn taxii_add(&self, ctx: &Ctx, coll: &Collection, values: Vec<serde_json::Value>) -> Result<StatusResource> {
        let p = ctx.subject.principal().cloned().ok_or_else(|| ServiceError::Unauthenticated("authentication required".into()))?;
        if coll.read_only {
            return Err(ServiceError::Forbidden("this collection is read-only".into()));
        }
        let now = self.now();
        let total = values.len();
        let meta: Vec<(String, Option<String>)> = values
            .iter()
            .map(|v| (v.get("id").and_then(|x| x.as_str()).unwrap_or("").to_string(), object_version(v)))
            .collect();
        let mut failed: HashMap<usize, String> = HashMap::new();
        // Views only take what they show.
        let mut kept: Vec<(usize, serde_json::Value)> = Vec::with_capacity(total);
        for (i, v) in values.into_iter().enumerate() {
            if coll.is_view() {
                if let Some(reason) = self.outside_view(coll, &v) {
                    failed.insert(i, reason);
                    continue;
                }
            }
            kept.push((i, v));
        }
        let mut first_batch = true;
        while !kept.is_empty() {
            let rest = kept.split_off(kept.len().min(ADD_BATCH));
            let batch = std::mem::replace(&mut kept, rest);
            let index_of: Vec<usize> = batch.iter().map(|(i, _)| *i).collect();
            let objs: Vec<serde_json::Value> = batch.into_iter().map(|(_, v)| v).collect();
            let report = match self.import_batch(ctx, objs, 0, &ImportOptions::default()).await {
                Ok(r) => r,
                // Refused outright (e.g. a read-only role): nothing of this request was stored.
                Err(e) if first_batch => return Err(e),
                Err(e) => return Err(ServiceError::Internal(format!("TAXII add failed after some batches were stored: {e}"))),
            };
            first_batch = false;
            for rej in report.rejections {
                if let Some(orig) = index_of.get(rej.index as usize) {
                    failed.insert(*orig, format!("{}: {}", rej.field, rej.reason));
                }
            }
        }
        let mut successes = vec![];
        let mut failures = vec![];
        for (i, (id, version)) in meta.into_iter().enumerate() {
            match failed.remove(&i) {
                Some(message) => failures.push(StatusDetail { id: if id.is_empty() { format!("(object {i} has no id)") } else { id }, version, message: Some(message) }),
                None => successes.push(StatusDetail { id, version, message: None }),
            }
        }
        let status = StatusResource {
            id: Uuid::new_v4().to_string(),
            status: "complete".into(),
            request_timestamp: taxii_timestamp(to_micros(now)),
            total_count: total as u64,
            success_count: successes.len() as u64,
            successes,
            failure_count: failures.len() as u64,
            failures,
            pending_count: 0,
            pendings: vec![],
        };
        let body = serde_json::to_string(&status).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        tx.taxii_status_insert(&TaxiiStatusRecord {
            id: Uuid::parse_str(&status.id).map_err(|e| ServiceError::Internal(e.to_string()))?,
            user_id: p.user_id,
            org_id: p.org_id,
            created_at: to_micros(now),
            body,
        })
        .await?;
        tx.commit().await?;
        Ok(status)
    }

    /// Why an object would not show in this view (None: it would).
    fn outside_view(&self, coll: &Collection, v: &serde_json::Value) -> Option<String> {
        let t = v.get("type").and_then(|x| x.as_str()).unwrap_or("");
        if !coll.types.is_empty() && !coll.types.iter().any(|x| x == t) {
            return Some(format!("type: this collection takes only {}", coll.types.join(", ")));
        }
        if !coll.sectors.is_empty() && !sectors_of(v).iter().any(|s| coll.sectors.contains(s)) {
            return Some(format!("x_atalaya_sectors: this collection takes only objects concerning {}", coll.sectors.join(", ")));
        }
        if let Some(max) = coll.max_tlp {
            // Invalid objects are left to the import, which names the offending field.
            if let Ok(o) = atalaya_stix::object::check_object(v.clone()) {
                let tlp = o.tlp().unwrap_or(self.config.default_tlp);
                if tlp > max {
                    return Some(format!("object_marking_refs: {tlp} is above this collection's {max}"));
                }
            }
        }
        None
    }

    /// A stored status resource (JSON text); only users of the organisation that made the add.
    pub async fn taxii_status(&self, ctx: &Ctx, id: &str) -> Result<String> {
        let nf = || ServiceError::NotFound(format!("status {id}"));
        let uuid = Uuid::parse_str(id).map_err(|_| nf())?;
        let allowed_org = match &ctx.subject {
            Subject::Anonymous => return Err(ServiceError::Unauthenticated("authentication required".into())),
            Subject::Operator => None,
            Subject::User(p) => Some(p.org_id),
        };
        let s = self.store.taxii_status_get(uuid).await?.ok_or_else(nf)?;
        if allowed_org.is_some_and(|o| o != s.org_id) {
            return Err(nf());
        }
        Ok(s.body)
    }

    /// Defines a collection (administrators of the node's organisation).
    pub async fn taxii_collection_create(&self, ctx: &Ctx, req: NewCollection) -> Result<Collection> {
        require(ctx, Access::Write, &Target::Node)?;
        let mut errs = atalaya_model::ValidationErrors::default();
        let title = req.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
            errs.push("title", "must have 1–200 characters and no control characters");
        }
        let description = req.description.map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
        if description.as_ref().is_some_and(|d| d.chars().count() > 2000) {
            errs.push("description", "must have at most 2000 characters");
        }
        let alias = req.alias.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
        if let Some(a) = &alias {
            if a.len() > 100 || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                errs.push("alias", "letters, digits, '-' and '_' only, at most 100");
            } else if a == DEFAULT_ALIAS {
                errs.push("alias", "'all' is the default collection's alias");
            }
        }
        let mut types = vec![];
        for (i, t) in req.types.iter().enumerate() {
            let t = t.trim().to_string();
            if !stix_type_ok(&t) {
                errs.push(format!("types[{i}]"), format!("'{t}' is not a STIX type name"));
            } else if !types.contains(&t) {
                types.push(t);
            }
        }
        let mut sectors: Vec<String> = req.sectors.iter().map(|s| s.to_string()).collect();
        sectors.sort();
        sectors.dedup();
        errs.into_result()?;
        if let Some(a) = &alias {
            if self.store.taxii_collections().await?.iter().any(|c| c.alias.as_deref() == Some(a.as_str())) {
                return Err(ServiceError::Conflict { field: "alias".into(), reason: format!("a collection with alias '{a}' exists") });
            }
        }
        let now = self.now();
        let rec = TaxiiCollectionRecord {
            id: Uuid::new_v4(),
            title,
            description,
            alias,
            max_tlp: req.max_tlp,
            types,
            sectors,
            read_only: req.read_only,
            created_at: to_micros(now),
            created_by: ctx.subject.actor(),
        };
        let mut tx = self.store.begin().await?;
        tx.taxii_collection_insert(&rec).await?;
        tx.audit_append(
            &audit_entry(ctx, "taxii.collection.create", "taxii-collection", Some(rec.id.to_string()), serde_json::json!({
                "title": rec.title, "max_tlp": rec.max_tlp, "types": rec.types, "sectors": rec.sectors, "read_only": rec.read_only,
            })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Collection::from_record(rec))
    }

    /// Removes a collection definition (the objects stay). The default collection stays.
    pub async fn taxii_collection_delete(&self, ctx: &Ctx, id: Uuid) -> Result<()> {
        require(ctx, Access::Write, &Target::Node)?;
        if id == self.taxii_default_collection().id {
            return Err(ServiceError::Conflict { field: "id".into(), reason: "the default collection cannot be removed".into() });
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.taxii_collection_delete(id).await? {
            return Err(ServiceError::NotFound(format!("collection {id}")));
        }
        tx.audit_append(&audit_entry(ctx, "taxii.collection.delete", "taxii-collection", Some(id.to_string()), serde_json::json!({})), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A version's timestamp in microseconds (the date added for objects without one).
fn version_micros(r: &StixRecord) -> i64 {
    if r.version.is_empty() {
        r.added_at
    } else {
        parse_timestamp(&r.version).unwrap_or(i64::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_selectors_parse() {
        assert_eq!(VersionSel::parse_list("first,last").unwrap(), vec![VersionSel::First, VersionSel::Last]);
        assert!(matches!(VersionSel::parse_list("2016-04-06T20:07:09.000Z").unwrap()[0], VersionSel::At(_, _)));
        assert!(VersionSel::parse_list("latest").is_err());
        assert!(VersionSel::parse_list("").is_err());
    }

    #[test]
    fn version_forms_cover_fraction_widths() {
        let us = parse_timestamp("2016-04-06T20:07:09.5Z").unwrap();
        let f = version_forms("2016-04-06T20:07:09.5Z", us);
        assert!(f.contains(&"2016-04-06T20:07:09.500Z".to_string()));
        assert!(f.contains(&"2016-04-06T20:07:09.500000Z".to_string()));
        assert!(!f.contains(&"2016-04-06T20:07:09Z".to_string()));
        let us = parse_timestamp("2016-04-06T20:07:09Z").unwrap();
        let f = version_forms("2016-04-06T20:07:09.000Z", us);
        assert!(f.contains(&"2016-04-06T20:07:09Z".to_string()) && f.contains(&"2016-04-06T20:07:09.000Z".to_string()));
    }

    #[test]
    fn timestamps_have_microseconds() {
        assert_eq!(taxii_timestamp(1_700_000_000_000_001), "2023-11-14T22:13:20.000001Z");
        assert_eq!(taxii_timestamp(0), "1970-01-01T00:00:00.000000Z");
    }
}
