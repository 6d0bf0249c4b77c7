//! Federation of sovereign nodes (docs/federation.md): peering with both administrators'
//! consent, verification of every inbound envelope and item, origin signatures on every shared
//! object version, push on change plus pull with per-peer cursors, retractions and downgrades
//! that reach every node that received an object, relays.
//!
//! Outbox positions ("cursors") are `S.E`: `S` is the last `stix_objects.seq` scanned for the
//! peer (object versions, in commit order, each with its origin signature in `fed_origins`),
//! `E` the last `fed_events.pos` scanned (retractions, directory entries). Both sequences are
//! durable and commit-ordered, so a cursor names a position in a stream that never changes
//! behind it. Each peer's view of them is filtered by `atalaya_policy::may_federate`.
use crate::{Ctx, Result, ServiceError, Services};
use atalaya_federation::{
    self as fed, Ack, Distribution, EntryId, EntryType, Envelope, FedError, Item, ItemKey, ItemMeta, ItemRejection, Message,
    MessageKind, NamedUser, NodeId, NodeInfo, ObjectVersion, OrgId, PeerDirectory, PeerInfo, PeerKey, PeerStatus, PullRequest,
    PullResponse, Push, RelayedNode, ReplayGuard, Retract, Retraction, RetractionKind, UserId,
};
use atalaya_model::audit::NewAuditEntry;
use atalaya_model::time_util::to_micros;
use atalaya_model::{CountryCode, Tlp};
use atalaya_policy::{Access, Target};
use atalaya_store::federation::{EventRecord, OriginRecord, PeerRecord, RemoteOrg};
use atalaya_store::{tlp_rank, InsertOutcome, NewStixObject};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// Largest compressed request body (§15).
pub const MAX_COMPRESSED: usize = 8 * 1024 * 1024;
/// Largest decompressed request body (§15).
pub const MAX_DECOMPRESSED: usize = 32 * 1024 * 1024;
/// Rows of `fed_origins` scanned per batch for one peer.
const SCAN_ROWS: i64 = 4000;
/// Concurrent inbound requests per peer before answering 429 busy.
const INBOUND_PER_PEER: usize = 2;
/// Local object versions the signer takes per round (one transaction).
const SIGN_ROWS: i64 = 5000;
/// Periodic pull (also at start and after a gap).
const PULL_EVERY: Duration = Duration::from_secs(60);
/// Backoff cap (§15).
const BACKOFF_CAP: Duration = Duration::from_secs(15 * 60);

/// Why an inbound federation request was refused (mapped to §14 statuses by the API).
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("{0}")]
    Fed(FedError),
    #[error("busy: too many requests from this peer in flight")]
    Busy { retry_after_secs: u64 },
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FedError> for InboxError {
    fn from(e: FedError) -> Self {
        InboxError::Fed(e)
    }
}

impl From<ServiceError> for InboxError {
    fn from(e: ServiceError) -> Self {
        InboxError::Internal(e.to_string())
    }
}

impl From<atalaya_store::StoreError> for InboxError {
    fn from(e: atalaya_store::StoreError) -> Self {
        InboxError::Internal(e.to_string())
    }
}

/// What the inbox answers: a status and, except for 204, a signed envelope.
pub struct InboxReply {
    pub status: u16,
    pub envelope: Option<Envelope>,
}

/// A peer as the operator sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeerView {
    /// Short id: the first 16 hex digits of the fingerprint (`peer show ID`).
    pub id: String,
    pub node_id: String,
    /// Compare out of band with the other administrator.
    pub fingerprint: String,
    pub name: String,
    pub country: Option<String>,
    pub url: String,
    /// requested, pending, active, rejected, suspended, known, revoked
    pub state: String,
    /// After this instant the peer's key is refused (set by `peer expire`); RFC 3339.
    pub key_expires_at: Option<String>,
    pub relay: bool,
    pub via: Option<String>,
    pub message: Option<String>,
    /// Our outbox position the peer acknowledged.
    pub acked: Option<String>,
    /// The peer's outbox position applied here.
    pub applied: Option<String>,
    /// Outbox positions not yet acknowledged by the peer (upper bound of items waiting).
    pub lag: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub last_contact: Option<String>,
    pub last_delivery: Option<String>,
}

/// Input of a retraction by the object's origin.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetractInput {
    pub stix_id: String,
    /// `revoke`, `delete` or `downgrade`.
    pub action: String,
    /// One version (delete only); absent: every version.
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub reason: String,
    /// For `downgrade`: the new, narrower distribution.
    #[serde(default)]
    pub distribution: Option<crate::intel::DistributionDoc>,
}

/// What a retraction did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RetractReport {
    pub stix_id: String,
    pub action: String,
    /// Peers that received the object and are told now.
    pub notified: Vec<String>,
}

/// Per-process federation state of one node.
pub struct FedRuntime {
    guard: Mutex<ReplayGuard>,
    /// Woken after local changes: the signer and every peer task.
    changed: Notify,
    peer_wake: Mutex<HashMap<String, Arc<Notify>>>,
    inbound: Mutex<HashMap<String, Arc<Semaphore>>>,
    tasks: Mutex<HashSet<String>>,
    url: Mutex<String>,
    http: reqwest::Client,
    relay: bool,
    started: std::sync::atomic::AtomicBool,
    /// When each peer last pulled from us: while a peer pulls (initial sync, catch-up), we do
    /// not push the same positions to it in parallel.
    pulled_at: Mutex<HashMap<String, std::time::Instant>>,
}

static RUNTIMES: OnceLock<Mutex<HashMap<String, Arc<FedRuntime>>>> = OnceLock::new();

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn micros_text(us: Option<i64>) -> Option<String> {
    us.map(atalaya_model::time_util::micros_rfc3339)
}

/// `S.E` cursors.
fn parse_cursor(c: Option<&str>) -> (i64, i64) {
    let Some(c) = c else { return (0, 0) };
    let mut it = c.splitn(2, '.');
    let s = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    let e = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    (s, e)
}

fn cursor_text(s: i64, e: i64) -> String {
    format!("{s}.{e}")
}

fn short_id(fingerprint: &str) -> String {
    fingerprint.replace(' ', "").chars().take(16).collect()
}

fn digest_of(item: &Item) -> String {
    match item.key() {
        ItemKey::Retraction { origin, stix_id, digest } => format!("r:{origin}:{stix_id}:{digest}"),
        ItemKey::Contribution { from, target_stix_id, digest } => format!("c:{from}:{target_stix_id}:{digest}"),
        ItemKey::DirectoryEntry { origin, entry_id, version } => format!("d:{origin}:{entry_id}:{version}"),
        ItemKey::ObjectVersion { origin, stix_id, version } => format!("o:{origin}:{stix_id}:{version}"),
    }
}

fn item_json(item: &Item) -> String {
    serde_json::to_string(item).unwrap_or_default()
}

/// gzip, for request bodies.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::fast());
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// Decompresses a gzip body, refusing more than [`MAX_DECOMPRESSED`] bytes.
pub fn gunzip_limited(bytes: &[u8]) -> std::result::Result<Vec<u8>, InboxError> {
    let mut out = Vec::new();
    let mut d = flate2::read::GzDecoder::new(bytes).take(MAX_DECOMPRESSED as u64 + 1);
    d.read_to_end(&mut out).map_err(|e| InboxError::Fed(FedError::Malformed { field: "body".into(), reason: format!("bad gzip: {e}") }))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(InboxError::TooLarge(format!("more than {MAX_DECOMPRESSED} bytes once decompressed")));
    }
    Ok(out)
}

fn tlp_of_rank(r: i64) -> Tlp {
    match r {
        0 => Tlp::Clear,
        1 => Tlp::Green,
        2 => Tlp::Amber,
        3 => Tlp::AmberStrict,
        _ => Tlp::Red,
    }
}

/// Keys this node knows, for [`fed::verify_envelope`] / [`fed::verify_item`].
fn directory_of(peers: &[PeerRecord]) -> PeerDirectory {
    peers
        .iter()
        .filter_map(|p| {
            let status = match p.state.as_str() {
                "active" => PeerStatus::Active,
                "requested" => PeerStatus::Requested,
                "known" => PeerStatus::Known,
                // Kept in the directory so that its messages and items are refused as
                // `revoked` (and audited as such), not as unknown.
                "revoked" => PeerStatus::Known,
                _ => return None,
            };
            let node = NodeId::parse(&p.node_id).ok()?;
            let expires_at = p.key_expires_at.and_then(|us| time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000).ok());
            Some(PeerKey { node, status, expires_at, revoked: p.state == "suspended" || p.state == "revoked" })
        })
        .collect()
}

impl Services {
    /// This node's federation runtime (one per node key in the process).
    pub fn federation(&self) -> Arc<FedRuntime> {
        let key = self.identity.public_key_b64();
        let map = RUNTIMES.get_or_init(|| Mutex::new(HashMap::new()));
        let mut m = lock(map);
        m.entry(key)
            .or_insert_with(|| {
                let relay = std::env::var("ATALAYA_FEDERATION_RELAY").is_ok_and(|v| v == "1" || v == "true");
                Arc::new(FedRuntime {
                    guard: Mutex::new(ReplayGuard::starting_at(ReplayGuard::DEFAULT_CAPACITY, self.now() - time::Duration::seconds(1))),
                    changed: Notify::new(),
                    peer_wake: Mutex::new(HashMap::new()),
                    inbound: Mutex::new(HashMap::new()),
                    tasks: Mutex::new(HashSet::new()),
                    url: Mutex::new(String::new()),
                    http: reqwest::Client::builder()
                        .no_proxy()
                        .connect_timeout(Duration::from_secs(10))
                        .timeout(Duration::from_secs(60))
                        .build()
                        .unwrap_or_default(),
                    relay,
                    started: std::sync::atomic::AtomicBool::new(false),
                    pulled_at: Mutex::new(HashMap::new()),
                })
            })
            .clone()
    }

    fn node_id(&self) -> NodeId {
        NodeId::from_verifying_key(&self.identity.verifying_key())
    }

    fn signing_key(&self) -> &ed25519_dalek::SigningKey {
        self.identity.signing_key()
    }

    /// `GET /federation/v1/node`.
    pub async fn federation_node_info(&self) -> Result<NodeInfo> {
        let info = self.node_info().await?;
        let home = self.store.org_home().await?;
        let country = home.and_then(|o| o.body.country);
        let mut url = lock(&self.federation().url).clone();
        if url.is_empty() {
            // Offline commands: the URL the running node announced.
            url = self.store.meta_get("fed.public_url").await?.unwrap_or_default();
        }
        Ok(NodeInfo::new(self.node_id(), info.name, country, url))
    }

    /// Starts federation: the signer and one task per active peer. `public_url` is the base URL
    /// other nodes reach this node at.
    pub fn federation_start(&self, public_url: &str) {
        let rt = self.federation();
        *lock(&rt.url) = public_url.trim_end_matches('/').to_string();
        if rt.started.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let svc = self.clone();
        let url = public_url.trim_end_matches('/').to_string();
        tokio::spawn(async move {
            if let Ok(mut tx) = svc.store.begin().await {
                if tx.meta_set("fed.public_url", &url).await.is_ok() {
                    let _ = tx.commit().await;
                }
            }
            svc.signer_loop().await
        });
        let svc = self.clone();
        tokio::spawn(async move { svc.supervisor_loop().await });
    }

    /// Wakes the federation tasks (after a local change).
    pub fn federation_notify(&self) {
        let rt = self.federation();
        rt.changed.notify_waiters();
        for n in lock(&rt.peer_wake).values() {
            n.notify_one();
        }
    }

    fn wake_peer(&self, node: &str) {
        let rt = self.federation();
        let n = lock(&rt.peer_wake).get(node).cloned();
        if let Some(n) = n {
            n.notify_one();
        }
    }

    /// The country of an organisation: of this node's directory, or of another node's (from
    /// its signed directory entries) — sightings count per reporting state across nodes.
    pub(crate) async fn org_country(&self, org: uuid::Uuid) -> Result<Option<String>> {
        if let Some(o) = self.store.org_get(org).await? {
            return Ok(o.body.country.map(|c| c.to_string()));
        }
        Ok(self.store.fed_remote_orgs().await?.into_iter().find(|o| o.org_id == org).and_then(|o| o.country))
    }

    // ------------------------------------------------------------------ operator view

    fn peer_view(&self, p: &PeerRecord, heads: (i64, i64)) -> PeerView {
        let (s, e) = parse_cursor(p.out_acked.as_deref());
        let lag = if p.state == "active" { (heads.0 - s).max(0) + (heads.1 - e).max(0) } else { 0 };
        PeerView {
            id: short_id(&p.fingerprint),
            node_id: p.node_id.clone(),
            fingerprint: p.fingerprint.clone(),
            name: p.name.clone(),
            country: p.country.clone(),
            key_expires_at: micros_text(p.key_expires_at),
            url: p.url.clone(),
            state: p.state.clone(),
            relay: p.relay,
            via: p.via.clone(),
            message: p.message.clone(),
            acked: p.out_acked.clone(),
            applied: p.in_cursor.clone(),
            lag,
            last_error: p.last_error.clone(),
            last_error_at: micros_text(p.last_error_at),
            last_contact: micros_text(p.last_contact),
            last_delivery: micros_text(p.last_delivery),
        }
    }

    fn require_admin(&self, ctx: &Ctx) -> Result<()> {
        if matches!(ctx.subject, atalaya_policy::Subject::Operator) {
            return Ok(());
        }
        crate::require(ctx, Access::Write, &Target::Node)
    }

    /// Every known node (administrators).
    pub async fn peer_list(&self, ctx: &Ctx) -> Result<Vec<PeerView>> {
        self.require_admin(ctx)?;
        let heads = self.store.fed_heads().await?;
        Ok(self.store.fed_peers().await?.iter().map(|p| self.peer_view(p, heads)).collect())
    }

    async fn find_peer(&self, id: &str) -> Result<PeerRecord> {
        let id = id.trim();
        let compact = id.replace(' ', "").to_ascii_uppercase();
        let peers = self.store.fed_peers().await?;
        let found: Vec<&PeerRecord> = peers
            .iter()
            .filter(|p| p.node_id == id || (!compact.is_empty() && compact.len() >= 8 && p.fingerprint.replace(' ', "").starts_with(&compact)))
            .collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(ServiceError::NotFound(format!("peer {id}"))),
            _ => Err(ServiceError::invalid("id", "matches several peers; give more of the fingerprint")),
        }
    }

    pub async fn peer_show(&self, ctx: &Ctx, id: &str) -> Result<PeerView> {
        self.require_admin(ctx)?;
        let p = self.find_peer(id).await?;
        Ok(self.peer_view(&p, self.store.fed_heads().await?))
    }

    /// `peer add URL`: fetches the node's info, records it as requested and sends a signed
    /// `peer_request`. If that node already asked us (pending), this accepts it instead.
    pub async fn peer_add(&self, ctx: &Ctx, url: &str, relay: bool, message: Option<String>) -> Result<PeerView> {
        self.require_admin(ctx)?;
        let url = url.trim().trim_end_matches('/').to_string();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ServiceError::invalid("url", "must be an http(s) URL of an Atalaya node"));
        }
        let rt = self.federation();
        let resp = rt
            .http
            .get(format!("{url}/federation/v1/node"))
            .send()
            .await
            .map_err(|e| ServiceError::invalid("url", format!("cannot reach {url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(ServiceError::invalid("url", format!("{url}/federation/v1/node answered {}", resp.status())));
        }
        let info: NodeInfo = resp.json().await.map_err(|e| ServiceError::invalid("url", format!("not an Atalaya node info document: {e}")))?;
        info.check().map_err(|e| ServiceError::invalid("url", e.to_string()))?;
        if info.node_id == self.node_id() {
            return Err(ServiceError::invalid("url", "this is this node itself"));
        }
        let now = self.now();
        let existing = self.store.fed_peer(info.node_id.as_str()).await?;
        if let Some(p) = &existing {
            if p.state == "pending" {
                return self.peer_accept(ctx, &p.node_id, relay).await;
            }
            if p.state == "active" {
                return Err(ServiceError::Conflict { field: "url".into(), reason: format!("already peered with {}", p.name) });
            }
        }
        let rec = PeerRecord {
            node_id: info.node_id.to_string(),
            url: url.clone(),
            name: info.name.clone(),
            country: info.country.as_ref().map(|c| c.to_string()),
            fingerprint: info.fingerprint.clone(),
            state: "requested".into(),
            relay,
            via: None,
            key_expires_at: None,
            message: None,
            out_acked: existing.as_ref().and_then(|p| p.out_acked.clone()),
            in_cursor: existing.as_ref().and_then(|p| p.in_cursor.clone()),
            last_error: None,
            last_error_at: None,
            last_contact: None,
            last_delivery: None,
            created_at: to_micros(now),
            updated_at: to_micros(now),
        };
        let mut tx = self.store.begin().await?;
        tx.fed_peer_put(&rec).await?;
        tx.audit_append(
            &crate::audit_entry(ctx, "federation.peer_request", "peer", Some(rec.fingerprint.clone()), serde_json::json!({"url": url, "name": info.name})),
            now,
        )
        .await?;
        tx.commit().await?;
        let me = self.federation_node_info().await?;
        let msg = Message::PeerRequest(fed::PeerRequest { name: me.name, country: me.country, url: me.url, message });
        match self.send(&rec, "inbox", &msg).await {
            Ok((status, _)) if status == 202 || status == 200 || status == 204 => {}
            Ok((status, body)) => {
                let err = format!("peer_request answered {status}: {}", body.chars().take(300).collect::<String>());
                self.store.fed_peer_error(&rec.node_id, Some(&err), to_micros(self.now())).await?;
                return Err(ServiceError::invalid("url", err));
            }
            Err(e) => {
                self.store.fed_peer_error(&rec.node_id, Some(&e), to_micros(self.now())).await?;
                return Err(ServiceError::invalid("url", e));
            }
        }
        self.peer_show(ctx, &rec.node_id).await
    }

    /// Accepts a pending peer request: the peer becomes active and is told so.
    pub async fn peer_accept(&self, ctx: &Ctx, id: &str, relay: bool) -> Result<PeerView> {
        self.require_admin(ctx)?;
        let mut p = self.find_peer(id).await?;
        if p.state != "pending" && p.state != "suspended" {
            return Err(ServiceError::Conflict { field: "state".into(), reason: format!("peer is {}, not pending", p.state) });
        }
        let now = self.now();
        p.state = "active".into();
        p.relay = p.relay || relay;
        p.updated_at = to_micros(now);
        let mut tx = self.store.begin().await?;
        tx.fed_peer_put(&p).await?;
        tx.audit_append(&crate::audit_entry(ctx, "federation.peer_accept", "peer", Some(p.fingerprint.clone()), serde_json::json!({"name": p.name})), now)
            .await?;
        tx.commit().await?;
        let me = self.federation_node_info().await?;
        let msg = Message::PeerAccept(fed::PeerAccept { name: me.name, country: me.country, url: me.url });
        if let Err(e) = self.send(&p, "inbox", &msg).await {
            self.store.fed_peer_error(&p.node_id, Some(&e), to_micros(self.now())).await?;
        }
        self.federation_notify();
        self.peer_show(ctx, &p.node_id).await
    }

    /// Rejects a pending request, or ends an active peering.
    pub async fn peer_reject(&self, ctx: &Ctx, id: &str, reason: Option<String>) -> Result<PeerView> {
        self.require_admin(ctx)?;
        let mut p = self.find_peer(id).await?;
        let was = p.state.clone();
        let now = self.now();
        p.state = "rejected".into();
        p.updated_at = to_micros(now);
        let mut tx = self.store.begin().await?;
        tx.fed_peer_put(&p).await?;
        tx.audit_append(&crate::audit_entry(ctx, "federation.peer_reject", "peer", Some(p.fingerprint.clone()), serde_json::json!({"was": was})), now)
            .await?;
        tx.commit().await?;
        if was == "pending" || was == "active" {
            let _ = self.send(&p, "inbox", &Message::PeerReject(fed::PeerReject { reason })).await;
        }
        self.peer_show(ctx, &p.node_id).await
    }

    /// Revokes a peer's key: from now on its envelopes and the items it signed (also when they
    /// come through a relay) are refused as `revoked` and audited; nothing more is sent to it.
    /// Final: to peer again, remove it and go through peering anew.
    pub async fn peer_revoke(&self, ctx: &Ctx, id: &str, reason: Option<String>) -> Result<PeerView> {
        self.require_admin(ctx)?;
        let mut p = self.find_peer(id).await?;
        if p.state == "revoked" {
            return self.peer_show(ctx, &p.node_id).await;
        }
        let was = p.state.clone();
        let now = self.now();
        p.state = "revoked".into();
        p.updated_at = to_micros(now);
        let mut tx = self.store.begin().await?;
        tx.fed_peer_put(&p).await?;
        tx.audit_append(
            &crate::audit_entry(ctx, "federation.peer_revoke", "peer", Some(p.fingerprint.clone()), serde_json::json!({"was": was, "name": p.name, "reason": reason})),
            now,
        )
        .await?;
        tx.commit().await?;
        self.federation_notify();
        self.peer_show(ctx, &p.node_id).await
    }

    /// Sets (or clears, with `None`) the instant after which a peer's key is refused. Messages
    /// signed after it are refused as `expired` and audited; nothing is sent to it meanwhile.
    pub async fn peer_set_key_expiry(&self, ctx: &Ctx, id: &str, expires_at: Option<time::OffsetDateTime>) -> Result<PeerView> {
        self.require_admin(ctx)?;
        let mut p = self.find_peer(id).await?;
        let now = self.now();
        p.key_expires_at = expires_at.map(to_micros);
        p.updated_at = to_micros(now);
        let mut tx = self.store.begin().await?;
        tx.fed_peer_put(&p).await?;
        tx.audit_append(
            &crate::audit_entry(
                ctx,
                "federation.peer_key_expiry",
                "peer",
                Some(p.fingerprint.clone()),
                serde_json::json!({"name": p.name, "key_expires_at": micros_text(p.key_expires_at)}),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        self.federation_notify();
        self.peer_show(ctx, &p.node_id).await
    }

    /// Forgets a peer (ends the peering first when active).
    pub async fn peer_remove(&self, ctx: &Ctx, id: &str) -> Result<()> {
        self.require_admin(ctx)?;
        let p = self.find_peer(id).await?;
        if p.state == "active" || p.state == "pending" {
            let _ = self.send(&p, "inbox", &Message::PeerReject(fed::PeerReject { reason: Some("peering ended".into()) })).await;
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.fed_peer_delete(&p.node_id).await?;
        tx.audit_append(&crate::audit_entry(ctx, "federation.peer_remove", "peer", Some(p.fingerprint.clone()), serde_json::json!({"name": p.name})), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    // ------------------------------------------------------------------ sending

    /// Signs `msg` for `peer`, POSTs it (gzip) to `/federation/v1/{endpoint}`; returns the
    /// status and the response text (decompressed).
    async fn send(&self, peer: &PeerRecord, endpoint: &str, msg: &Message) -> std::result::Result<(u16, String), String> {
        let to = NodeId::parse(&peer.node_id).map_err(|e| format!("bad node id: {e}"))?;
        let rt = self.federation();
        let mut tries = 0;
        loop {
            tries += 1;
            let env = fed::seal(self.signing_key(), &to, self.now(), &mut rand::rngs::OsRng, msg);
            let body = gzip(env.to_json().as_bytes());
            let resp = rt
                .http
                .post(format!("{}/federation/v1/{endpoint}", peer.url))
                .header("content-type", "application/json")
                .header("content-encoding", "gzip")
                .header("accept-encoding", "gzip")
                .body(body)
                .send()
                .await
                .map_err(|e| format!("cannot reach {}: {e}", peer.url))?;
            let status = resp.status().as_u16();
            let gz = resp.headers().get("content-encoding").is_some_and(|v| v.as_bytes() == b"gzip");
            let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
            let bytes = resp.bytes().await.map_err(|e| format!("reading the answer of {}: {e}", peer.url))?;
            let bytes = if gz { gunzip_limited(&bytes).map_err(|e| e.to_string())? } else { bytes.to_vec() };
            let text = String::from_utf8_lossy(&bytes).to_string();
            // §14: out_of_window / replay are retried once with a fresh envelope.
            if (status == 401 && text.contains("out_of_window") || status == 409 && text.contains("\"replay\"")) && tries < 2 {
                continue;
            }
            if status == 429 {
                return Err(format!("busy; retry after {} s", retry_after.unwrap_or(1)));
            }
            return Ok((status, text));
        }
    }

    /// Verifies a response envelope from `peer` (addressed to us, signed, fresh).
    async fn verify_response(&self, text: &str) -> std::result::Result<Message, String> {
        let env = Envelope::from_slice(text.as_bytes()).map_err(|e| format!("answer: {e}"))?;
        let peers = self.store.fed_peers().await.map_err(|e| e.to_string())?;
        let dir = directory_of(&peers);
        let rt = self.federation();
        let mut guard = lock(&rt.guard);
        let v = fed::verify_envelope(&env, &self.node_id(), &dir, self.now(), fed::DEFAULT_WINDOW, &mut guard).map_err(|e| format!("answer: {e}"))?;
        Ok(v.message)
    }

    // ------------------------------------------------------------------ inbound

    async fn audit_refusal(&self, source: &str, env: Option<&Envelope>, e: &FedError) {
        let entry = NewAuditEntry {
            actor: env.map(|e| format!("node:{}", short_id(&e.from.fingerprint()))).unwrap_or_else(|| "node:unknown".into()),
            action: "federation.refused".into(),
            object_kind: "federation-message".into(),
            object_id: env.map(|e| e.nonce.to_string()),
            source: source.to_string(),
            detail: serde_json::json!({"code": e.code(), "reason": e.to_string(), "kind": env.map(|e| e.kind.as_str())}),
        };
        let now = self.now();
        if let Ok(mut tx) = self.store.begin().await {
            if tx.audit_append(&entry, now).await.is_ok() {
                let _ = tx.commit().await;
            }
        }
        tracing::warn!(source, code = e.code(), reason = %e, "federation message refused");
    }

    /// Parses and verifies an inbound envelope (§6.3); refusals are audited.
    async fn verify_inbound(&self, body: &[u8], source: &str, endpoint: &str) -> std::result::Result<(fed::Verified, PeerRecordOpt), InboxError> {
        let env = match Envelope::from_slice(body) {
            Ok(e) => e,
            Err(e) => {
                self.audit_refusal(source, None, &e).await;
                return Err(e.into());
            }
        };
        let peers = self.store.fed_peers().await?;
        let dir = directory_of(&peers);
        let sender = peers.iter().find(|p| p.node_id == env.from.as_str()).cloned();
        let known_peer = sender.as_ref().is_some_and(|p| p.state == "active" || p.state == "requested");
        let wrong_endpoint = match endpoint {
            "pull" => env.kind != MessageKind::PullRequest,
            _ => matches!(env.kind, MessageKind::PullRequest | MessageKind::PullResponse),
        };
        if wrong_endpoint {
            let e = FedError::Malformed { field: "kind".into(), reason: format!("{} is not accepted at /federation/v1/{endpoint}", env.kind.as_str()) };
            self.audit_refusal(source, Some(&env), &e).await;
            return Err(e.into());
        }
        if sender.as_ref().is_some_and(|p| p.state == "revoked") {
            // A revoked key stays refused, peer requests included (remove the peer to start over).
            let e = FedError::Revoked { node: env.from.to_string() };
            self.audit_refusal(source, Some(&env), &e).await;
            return Err(e.into());
        }
        let result = {
            let rt = self.federation();
            let mut guard = lock(&rt.guard);
            if env.kind == MessageKind::PeerRequest && !known_peer {
                fed::verify_peer_request(&env, &self.node_id(), &dir, self.now(), fed::DEFAULT_WINDOW, &mut guard)
            } else {
                fed::verify_envelope(&env, &self.node_id(), &dir, self.now(), fed::DEFAULT_WINDOW, &mut guard)
            }
        };
        match result {
            Ok(v) => {
                if sender.is_some() {
                    let _ = self.store.fed_peer_contact(v.from.as_str(), to_micros(self.now())).await;
                }
                Ok((v, sender))
            }
            Err(e) => {
                self.audit_refusal(source, Some(&env), &e).await;
                Err(e.into())
            }
        }
    }

    fn reply(&self, to: &NodeId, msg: &Message) -> Envelope {
        fed::seal(self.signing_key(), to, self.now(), &mut rand::rngs::OsRng, msg)
    }

    fn inbound_permit(&self, node: &str) -> std::result::Result<tokio::sync::OwnedSemaphorePermit, InboxError> {
        let rt = self.federation();
        let sem = lock(&rt.inbound).entry(node.to_string()).or_insert_with(|| Arc::new(Semaphore::new(INBOUND_PER_PEER))).clone();
        sem.try_acquire_owned().map_err(|_| InboxError::Busy { retry_after_secs: 1 })
    }

    /// `POST /federation/v1/inbox` (body already decompressed).
    pub async fn federation_inbox(&self, body: &[u8], source: &str) -> std::result::Result<InboxReply, InboxError> {
        let (v, sender) = self.verify_inbound(body, source, "inbox").await?;
        let _permit = self.inbound_permit(v.from.as_str())?;
        let now = self.now();
        match v.message {
            Message::PeerRequest(r) => {
                let mut rec = sender.clone().unwrap_or_else(|| PeerRecord {
                    node_id: v.from.to_string(),
                    url: r.url.clone(),
                    name: r.name.clone(),
                    country: None,
                    fingerprint: v.from.fingerprint(),
                    state: "pending".into(),
                    relay: false,
                    via: None,
                    key_expires_at: None,
                    message: None,
                    out_acked: None,
                    in_cursor: None,
                    last_error: None,
                    last_error_at: None,
                    last_contact: Some(to_micros(now)),
                    last_delivery: None,
                    created_at: to_micros(now),
                    updated_at: to_micros(now),
                });
                rec.url = r.url.trim_end_matches('/').to_string();
                rec.name = r.name.clone();
                rec.country = r.country.as_ref().map(|c| c.to_string());
                rec.message = r.message.clone();
                rec.updated_at = to_micros(now);
                let both_asked = rec.state == "requested";
                match rec.state.as_str() {
                    "active" => {}
                    "requested" => rec.state = "active".into(),
                    _ => rec.state = "pending".into(),
                }
                let mut tx = self.store.begin().await?;
                tx.fed_peer_put(&rec).await?;
                tx.audit_append(&node_audit(&v.from, source, "federation.peer_request_received", serde_json::json!({"name": r.name, "url": r.url, "state": rec.state})), now)
                    .await?;
                tx.commit().await?;
                if both_asked {
                    // Both administrators asked for this peering: it is agreed.
                    let svc = self.clone();
                    let rec2 = rec.clone();
                    tokio::spawn(async move {
                        if let Ok(me) = svc.federation_node_info().await {
                            let _ = svc.send(&rec2, "inbox", &Message::PeerAccept(fed::PeerAccept { name: me.name, country: me.country, url: me.url })).await;
                        }
                        svc.federation_notify();
                    });
                }
                Ok(InboxReply { status: 202, envelope: Some(self.reply(&v.from, &Message::Ack(Ack { up_to: String::new(), rejected: vec![] }))) })
            }
            Message::PeerAccept(a) => {
                let Some(mut rec) = sender else { return Err(FedError::UnknownPeer { node: v.from.to_string() }.into()) };
                if rec.state == "requested" || rec.state == "active" {
                    rec.state = "active".into();
                    rec.name = a.name.clone();
                    rec.country = a.country.as_ref().map(|c| c.to_string());
                    rec.url = a.url.trim_end_matches('/').to_string();
                    rec.updated_at = to_micros(now);
                    let mut tx = self.store.begin().await?;
                    tx.fed_peer_put(&rec).await?;
                    tx.audit_append(&node_audit(&v.from, source, "federation.peer_accepted", serde_json::json!({"name": a.name})), now).await?;
                    tx.commit().await?;
                    self.federation_notify();
                }
                Ok(InboxReply { status: 204, envelope: None })
            }
            Message::PeerReject(r) => {
                if let Some(mut rec) = sender {
                    rec.state = "rejected".into();
                    rec.last_error = Some(format!("peering rejected: {}", r.reason.clone().unwrap_or_default()));
                    rec.last_error_at = Some(to_micros(now));
                    rec.updated_at = to_micros(now);
                    let mut tx = self.store.begin().await?;
                    tx.fed_peer_put(&rec).await?;
                    tx.audit_append(&node_audit(&v.from, source, "federation.peer_rejected", serde_json::json!({"reason": r.reason})), now).await?;
                    tx.commit().await?;
                }
                Ok(InboxReply { status: 204, envelope: None })
            }
            Message::Push(p) => {
                let Some(peer) = sender else { return Err(FedError::UnknownPeer { node: v.from.to_string() }.into()) };
                let in_order = p.after == peer.in_cursor;
                let rejected = self.apply_items(&peer, &p.items, if in_order { Some(p.cursor.as_str()) } else { None }, source).await?;
                if !in_order {
                    // A gap: apply anyway (idempotent) and catch up by pulling.
                    self.wake_peer(&peer.node_id);
                }
                self.wake_peer(&peer.node_id);
                Ok(InboxReply { status: 200, envelope: Some(self.reply(&v.from, &Message::Ack(Ack { up_to: p.cursor, rejected }))) })
            }
            Message::Retract(r) => {
                let Some(peer) = sender else { return Err(FedError::UnknownPeer { node: v.from.to_string() }.into()) };
                let items: Vec<Item> = r.retractions.into_iter().map(Item::Retraction).collect();
                let rejected = self.apply_items(&peer, &items, None, source).await?;
                Ok(InboxReply { status: 200, envelope: Some(self.reply(&v.from, &Message::Ack(Ack { up_to: String::new(), rejected }))) })
            }
            Message::Ack(a) => {
                if let Some(peer) = sender {
                    if !a.up_to.is_empty() && parse_cursor(Some(&a.up_to)) >= parse_cursor(peer.out_acked.as_deref()) {
                        let mut tx = self.store.begin().await?;
                        tx.fed_peer_acked(&peer.node_id, &a.up_to, to_micros(now)).await?;
                        tx.commit().await?;
                    }
                }
                Ok(InboxReply { status: 204, envelope: None })
            }
            Message::ErrorReport(r) => {
                self.store.fed_peer_error(v.from.as_str(), Some(&format!("{} reported: {}", r.code, r.message)), to_micros(now)).await?;
                Ok(InboxReply { status: 204, envelope: None })
            }
            Message::PullRequest(_) | Message::PullResponse(_) => {
                Err(FedError::Malformed { field: "kind".into(), reason: "not accepted at the inbox".into() }.into())
            }
        }
    }

    /// `POST /federation/v1/pull`: answers a signed `pull_response`.
    pub async fn federation_pull(&self, body: &[u8], source: &str) -> std::result::Result<Envelope, InboxError> {
        let (v, sender) = self.verify_inbound(body, source, "pull").await?;
        let Some(peer) = sender.filter(|p| p.state == "active") else {
            return Err(FedError::UnknownPeer { node: v.from.to_string() }.into());
        };
        let _permit = self.inbound_permit(&peer.node_id)?;
        let Message::PullRequest(req) = v.message else {
            return Err(FedError::Malformed { field: "kind".into(), reason: "expected pull_request".into() }.into());
        };
        lock(&self.federation().pulled_at).insert(peer.node_id.clone(), std::time::Instant::now());
        let batch = self.build_batch(&peer, req.cursor.as_deref(), req.limit as usize).await?;
        let now = to_micros(self.now());
        let mut tx = self.store.begin().await?;
        // The request's cursor acknowledges everything up to it.
        if let Some(c) = &req.cursor {
            if parse_cursor(Some(c)) > parse_cursor(peer.out_acked.as_deref()) {
                tx.fed_peer_acked(&peer.node_id, c, now).await?;
            }
        }
        let ids: Vec<&str> = batch.delivered.iter().map(String::as_str).collect();
        tx.fed_delivered_add(&ids, &peer.node_id).await?;
        tx.commit().await?;
        self.wake_peer(&peer.node_id);
        Ok(self.reply(&v.from, &Message::PullResponse(PullResponse { items: batch.items, next_cursor: batch.cursor, more: batch.more })))
    }

    // ------------------------------------------------------------------ who is who

    /// The organisations, country and groups of this node (for downgrades).
    async fn self_info(&self) -> Result<PeerInfo> {
        let orgs = self.store.org_list(None).await?;
        let country = self.store.org_home().await?.and_then(|o| o.body.country);
        Ok(PeerInfo::new(self.node_id(), country, orgs.iter().map(|o| OrgId(o.id)).collect(), vec![]))
    }

    /// Active peers as recipient computation sees them (orgs from their directory entries;
    /// relays with the nodes they introduced).
    async fn peer_infos(&self, peers: &[PeerRecord]) -> Result<HashMap<String, PeerInfo>> {
        let orgs = self.store.fed_remote_orgs().await?;
        let mut by_node: HashMap<&str, Vec<OrgId>> = HashMap::new();
        let mut country_of_node: HashMap<&str, Option<CountryCode>> = HashMap::new();
        for o in &orgs {
            by_node.entry(o.node_id.as_str()).or_default().push(OrgId(o.org_id));
            country_of_node.entry(o.node_id.as_str()).or_insert_with(|| o.country.as_deref().and_then(|c| c.parse().ok()));
        }
        let mut out = HashMap::new();
        for p in peers.iter().filter(|p| p.state == "active") {
            let Ok(node) = NodeId::parse(&p.node_id) else { continue };
            let country = p.country.as_deref().and_then(|c| c.parse().ok());
            let mut info = PeerInfo::new(node, country, by_node.get(p.node_id.as_str()).cloned().unwrap_or_default(), vec![]);
            if p.relay {
                for k in peers.iter().filter(|k| k.state == "known" && k.via.as_deref() == Some(p.node_id.as_str())) {
                    info.relays_for.push(RelayedNode {
                        node: NodeId::parse(&k.node_id).ok(),
                        country: k.country.as_deref().and_then(|c| c.parse().ok()).or_else(|| country_of_node.get(k.node_id.as_str()).cloned().flatten()),
                        orgs: by_node.get(k.node_id.as_str()).cloned().unwrap_or_default(),
                        groups: vec![],
                    });
                }
            }
            out.insert(p.node_id.clone(), info);
        }
        Ok(out)
    }

    // ------------------------------------------------------------------ outbound batches

    /// The next items of our outbox for `peer` after `cursor`, at most `limit`.
    async fn build_batch(&self, peer: &PeerRecord, cursor: Option<&str>, limit: usize) -> Result<Batch> {
        let limit = limit.clamp(1, fed::MAX_BATCH_ITEMS);
        let (mut s, mut e) = parse_cursor(cursor);
        let peers = self.store.fed_peers().await?;
        let infos = self.peer_infos(&peers).await?;
        let Some(info) = infos.get(&peer.node_id) else {
            return Ok(Batch { items: vec![], cursor: cursor_text(s, e), more: false, delivered: vec![] });
        };
        let relay = self.federation().relay;
        let me = self.node_id().to_string();
        let mut items: Vec<Item> = Vec::new();
        let mut delivered: Vec<String> = Vec::new();
        let mut more = false;
        // 1. Object versions, in commit order.
        // Read in steps of 2 × limit rows (most qualify), up to SCAN_ROWS when many are filtered out.
        let step = ((limit as i64) * 2).min(SCAN_ROWS);
        let mut rows: Vec<OriginRecord> = Vec::new();
        let mut scanned_all = false;
        let mut scan_from = s;
        while (rows.len() as i64) < SCAN_ROWS {
            let page = self.store.fed_origins_after(scan_from, step).await?;
            let full = page.len() as i64 == step;
            scan_from = page.last().map(|r| r.seq).unwrap_or(scan_from);
            rows.extend(page);
            if !full {
                scanned_all = true;
                break;
            }
            if rows.len() >= limit * 2 {
                break;
            }
        }
        let mut chosen: Vec<OriginRecord> = Vec::new();
        for r in rows {
            if chosen.len() >= limit {
                scanned_all = false;
                break;
            }
            s = r.seq;
            if r.origin == peer.node_id || r.received_from.as_deref() == Some(peer.node_id.as_str()) {
                continue;
            }
            if r.received_from.is_some() && !relay {
                continue;
            }
            let dist_json = r.narrowed.as_deref().unwrap_or(&r.distribution);
            let Ok(distribution) = serde_json::from_str::<Distribution>(dist_json) else { continue };
            let meta = ItemMeta { tlp: tlp_of_rank(r.tlp), owner_org: OrgId(r.owner_org), distribution };
            if !atalaya_policy::may_federate(&meta, info) {
                continue;
            }
            chosen.push(r);
        }
        if !chosen.is_empty() {
            let lo = chosen.first().map(|r| r.seq).unwrap_or(0);
            let hi = chosen.last().map(|r| r.seq).unwrap_or(0);
            let wanted: HashSet<i64> = chosen.iter().map(|r| r.seq).collect();
            let bodies: HashMap<i64, String> = self.store.fed_bodies_between(lo, hi).await?.into_iter().filter(|(q, _)| wanted.contains(q)).collect();
            for r in chosen {
                let Some(body) = bodies.get(&r.seq) else { continue };
                let Ok(object) = serde_json::from_str::<serde_json::Value>(body) else { continue };
                let Ok(distribution) = serde_json::from_str::<Distribution>(&r.distribution) else { continue };
                let Ok(origin) = NodeId::parse(&r.origin) else { continue };
                items.push(Item::ObjectVersion(ObjectVersion {
                    origin,
                    owner_org: OrgId(r.owner_org),
                    stix_id: r.stix_id.clone(),
                    version: r.version.clone(),
                    tlp: tlp_of_rank(r.tlp),
                    distribution,
                    object,
                    origin_signature: r.signature.clone(),
                }));
                delivered.push(r.stix_id.clone());
                if r.retracted {
                    // Retractions travel right after the version they concern (§11).
                    for ev in self.store.fed_events_for(&r.stix_id).await? {
                        if ev.kind == "retraction" && ev.origin == r.origin {
                            if let Ok(it) = Item::from_value_at(&serde_json::from_str(&ev.item).unwrap_or_default(), "item") {
                                items.push(it);
                            }
                        }
                    }
                }
            }
        }
        if !scanned_all {
            more = true;
        }
        // 2. Retractions and directory entries, once the object versions are drained.
        if !more && items.len() < limit {
            let evs = self.store.fed_events_after(e, (limit * 4) as i64).await?;
            let n = evs.len();
            let mut broke = false;
            for ev in evs {
                if items.len() >= limit {
                    broke = true;
                    break;
                }
                e = ev.pos;
                if ev.origin == peer.node_id || ev.received_from.as_deref() == Some(peer.node_id.as_str()) {
                    continue;
                }
                if ev.received_from.is_some() && !relay && ev.kind != "contribution" {
                    continue;
                }
                let Ok(item) = serde_json::from_str::<serde_json::Value>(&ev.item).map_err(|_| ()).and_then(|v| Item::from_value_at(&v, "item").map_err(|_| ()))
                else {
                    continue;
                };
                let send = match &item {
                    Item::Retraction(_) => self.store.fed_delivered_to(&ev.subject).await?.iter().any(|p| p == &peer.node_id),
                    Item::DirectoryEntry(_) => item.meta().is_some_and(|m| atalaya_policy::may_federate(&m, info)),
                    Item::Contribution(c) => {
                        let all: Vec<PeerInfo> = infos.values().cloned().collect();
                        c.target_origin.as_str() != me && fed::contribution_route(&c.target_origin, &all).as_ref().map(NodeId::as_str) == Some(peer.node_id.as_str())
                    }
                    Item::ObjectVersion(_) => false,
                };
                if send {
                    items.push(item);
                }
            }
            if broke || n >= limit * 4 {
                more = true;
            }
        }
        Ok(Batch { items, cursor: cursor_text(s, e), more, delivered })
    }

    // ------------------------------------------------------------------ applying items

    /// Verifies and applies items received from `peer` in ONE transaction; stores `cursor` as
    /// applied from that peer when given. Returns the refused items.
    async fn apply_items(&self, peer: &PeerRecord, items: &[Item], cursor: Option<&str>, source: &str) -> std::result::Result<Vec<ItemRejection>, InboxError> {
        let now = self.now();
        let me = self.node_id();
        let mut peers = self.store.fed_peers().await?;
        // Directory entries through a relay introduce the nodes behind it (status known).
        let mut introduced: Vec<PeerRecord> = Vec::new();
        if peer.relay {
            for it in items {
                if let Item::DirectoryEntry(d) = it {
                    if d.origin != me && !peers.iter().any(|p| p.node_id == d.origin.as_str()) && !introduced.iter().any(|p| p.node_id == d.origin.as_str()) {
                        let name = d.entry.get("name").and_then(|v| v.as_str()).unwrap_or("node behind a relay").to_string();
                        let country = d.entry.get("country").and_then(|v| v.as_str()).map(str::to_string);
                        introduced.push(PeerRecord {
                            node_id: d.origin.to_string(),
                            url: String::new(),
                            name,
                            country,
                            fingerprint: d.origin.fingerprint(),
                            state: "known".into(),
                            relay: false,
                            via: Some(peer.node_id.clone()),
                            key_expires_at: None,
                            message: None,
                            out_acked: None,
                            in_cursor: None,
                            last_error: None,
                            last_error_at: None,
                            last_contact: None,
                            last_delivery: None,
                            created_at: to_micros(now),
                            updated_at: to_micros(now),
                        });
                    }
                }
            }
            peers.extend(introduced.iter().cloned());
        }
        let dir = directory_of(&peers);
        let self_info = self.self_info().await?;
        let local_orgs: HashSet<uuid::Uuid> = self_info.orgs.iter().map(|o| o.0).collect();
        let mut rejected: Vec<ItemRejection> = Vec::new();
        let reject = |rejected: &mut Vec<ItemRejection>, i: usize, e: &FedError| {
            rejected.push(ItemRejection { index: i as u32, code: e.code().into(), message: e.to_string() });
        };
        // Origin signatures are checked on every core, before the transaction (pure CPU).
        let verdicts = verify_items_parallel(items, &dir, now).await;
        let mut tx = self.store.begin().await?;
        for p in &introduced {
            tx.fed_peer_put(p).await?;
        }
        // What the database already knows about the batch's objects, in three queries (not
        // three per item): recorded owners and versions, local objects, retraction subjects.
        let ids: Vec<&str> = items
            .iter()
            .filter_map(|it| match it {
                Item::ObjectVersion(o) => Some(o.stix_id.as_str()),
                Item::Retraction(r) => Some(r.stix_id.as_str()),
                _ => None,
            })
            .collect::<HashSet<&str>>()
            .into_iter()
            .collect();
        let mut owners_in_batch: HashMap<String, String> = HashMap::new();
        let mut known_versions: HashMap<(String, String), (String, String)> = HashMap::new();
        for r in tx.fed_origins_for_ids(&ids).await? {
            owners_in_batch.entry(r.stix_id.clone()).or_insert_with(|| r.origin.clone());
            known_versions.insert((r.stix_id, r.version), (r.origin, r.signature));
        }
        let unowned: Vec<&str> = ids.iter().copied().filter(|id| !owners_in_batch.contains_key(*id)).collect();
        let local_objects = if unowned.is_empty() { HashMap::new() } else { tx.stix_owners(&unowned).await? };
        let mut with_events = tx.fed_event_subjects(&ids).await?;
        let mut rows: Vec<NewStixObject> = Vec::new();
        let mut pending: Vec<(OriginRecord, bool)> = Vec::new();
        let mut applied = 0u64;
        let mut refused_count = 0u64;
        for (i, item) in items.iter().enumerate() {
            match verdicts.get(i) {
                Some(Ok(())) => {}
                Some(Err(e)) => {
                    reject(&mut rejected, i, e);
                    continue;
                }
                None => {
                    reject(&mut rejected, i, &FedError::Malformed { field: format!("items[{i}]"), reason: "could not be verified".into() });
                    continue;
                }
            }
            match item {
                Item::ObjectVersion(o) => {
                    if o.origin == me {
                        continue;
                    }
                    let mut owner = owners_in_batch.get(&o.stix_id).cloned();
                    if owner.is_none() {
                        // Published here (not yet signed) → we are the origin.
                        if let Some(local) = local_objects.get(&o.stix_id) {
                            if local_orgs.contains(local) {
                                owner = Some(me.to_string());
                            }
                        }
                    }
                    let owner_id = owner.as_deref().and_then(|x| NodeId::parse(x).ok());
                    if let Err(e) = fed::check_ownership(item, owner_id.as_ref()) {
                        reject(&mut rejected, i, &e);
                        continue;
                    }
                    if local_orgs.contains(&o.owner_org.0) {
                        reject(&mut rejected, i, &FedError::NotOwner { what: o.stix_id.clone(), owner: me.to_string(), claimed: o.origin.to_string() });
                        continue;
                    }
                    if let Some((origin, signature)) = known_versions.get(&(o.stix_id.clone(), o.version.clone())) {
                        if *signature != o.origin_signature && origin == o.origin.as_str() {
                            rejected.push(ItemRejection {
                                index: i as u32,
                                code: "conflict".into(),
                                message: format!("conflict: {} version {} was already applied with other content", o.stix_id, o.version),
                            });
                        }
                        continue;
                    }
                    known_versions.insert((o.stix_id.clone(), o.version.clone()), (o.origin.to_string(), o.origin_signature.clone()));
                    // Tombstones: retractions that arrived before the version.
                    let mut deleted = false;
                    let mut revoked = false;
                    let mut narrowed: Option<Distribution> = None;
                    let events = if with_events.contains(&o.stix_id) { tx.fed_events_for(&o.stix_id).await? } else { vec![] };
                    for ev in events {
                        if ev.kind != "retraction" || ev.origin != o.origin.as_str() {
                            continue;
                        }
                        let Ok(Item::Retraction(r)) = serde_json::from_str::<serde_json::Value>(&ev.item).map_err(|_| ()).and_then(|v| Item::from_value_at(&v, "item").map_err(|_| ())) else { continue };
                        match r.kind {
                            RetractionKind::Delete if r.version.is_none() || r.version.as_deref() == Some(o.version.as_str()) => deleted = true,
                            RetractionKind::Revoke => revoked = true,
                            RetractionKind::Downgrade { distribution } => narrowed = Some(distribution),
                            _ => {}
                        }
                    }
                    let effective = narrowed.clone().unwrap_or_else(|| o.distribution.clone());
                    if narrowed.is_some() {
                        let m = ItemMeta { tlp: o.tlp, owner_org: o.owner_org, distribution: effective.clone() };
                        if !atalaya_policy::may_federate(&m, &self_info) {
                            deleted = true;
                        }
                    }
                    let checked = match atalaya_stix::object::check_object(o.object.clone()) {
                        Ok(c) => c,
                        Err(e) => {
                            reject(&mut rejected, i, &FedError::Malformed { field: format!("items[{i}].object.{}", e.field), reason: e.reason });
                            continue;
                        }
                    };
                    let rec = OriginRecord {
                        stix_id: o.stix_id.clone(),
                        version: o.version.clone(),
                        seq: 0,
                        origin: o.origin.to_string(),
                        owner_org: o.owner_org.0,
                        tlp: tlp_rank(o.tlp),
                        distribution: serde_json::to_string(&o.distribution).unwrap_or_default(),
                        signature: o.origin_signature.clone(),
                        received_from: Some(peer.node_id.clone()),
                        narrowed: narrowed.as_ref().map(|d| serde_json::to_string(d).unwrap_or_default()),
                        retracted: deleted || revoked || narrowed.is_some(),
                        deleted,
                    };
                    owners_in_batch.insert(o.stix_id.clone(), o.origin.to_string());
                    if deleted {
                        tx.fed_origin_insert(&rec).await?;
                        continue;
                    }
                    let body = serde_json::to_string(&o.object).unwrap_or_default();
                    rows.push(NewStixObject {
                        stix_id: o.stix_id.clone(),
                        version: o.version.clone(),
                        object_type: checked.object_type.clone(),
                        spec_version: if checked.spec_version.is_empty() { "2.1".into() } else { checked.spec_version.clone() },
                        tlp: o.tlp,
                        owner_org: o.owner_org.0,
                        revoked: checked.revoked || revoked,
                        distribution: Some(local_distribution(&effective)),
                        sighting_of: if checked.object_type == "sighting" {
                            o.object.get("sighting_of_ref").and_then(|v| v.as_str()).map(str::to_string)
                        } else {
                            None
                        },
                        sectors: crate::intel::sectors_of(&o.object),
                        search_text: crate::intel::search_text(&o.object),
                        body,
                    });
                    pending.push((rec, checked.revoked || revoked));
                }
                Item::Retraction(r) => {
                    let owner = owners_in_batch.get(&r.stix_id).cloned();
                    let owner_id = owner.as_deref().and_then(|x| NodeId::parse(x).ok());
                    if let Err(e) = fed::check_ownership(item, owner_id.as_ref()) {
                        reject(&mut rejected, i, &e);
                        continue;
                    }
                    if r.origin == me {
                        continue;
                    }
                    // Versions of this batch first, so the retraction applies to them.
                    self.flush_versions(&mut tx, &mut rows, &mut pending, now).await?;
                    let digest = digest_of(item);
                    let Some(_) = tx
                        .fed_event_insert("retraction", &r.stix_id, r.origin.as_str(), &digest, Some(&peer.node_id), &item_json(item), to_micros(now))
                        .await?
                    else {
                        continue;
                    };
                    applied += 1;
                    with_events.insert(r.stix_id.clone());
                    apply_retraction(&mut tx, r, &self_info).await?;
                }
                Item::DirectoryEntry(d) => {
                    if d.origin == me {
                        continue;
                    }
                    let host = tx.fed_remote_org_host(d.org_id.0).await?;
                    let host_id = host.as_deref().and_then(|x| NodeId::parse(x).ok());
                    if local_orgs.contains(&d.org_id.0) {
                        reject(&mut rejected, i, &FedError::NotOwner { what: format!("organisation {}", d.org_id), owner: me.to_string(), claimed: d.origin.to_string() });
                        continue;
                    }
                    if let Err(e) = fed::check_ownership(item, host_id.as_ref()) {
                        reject(&mut rejected, i, &e);
                        continue;
                    }
                    let digest = digest_of(item);
                    if tx
                        .fed_event_insert("directory_entry", &d.org_id.to_string(), d.origin.as_str(), &digest, Some(&peer.node_id), &item_json(item), to_micros(now))
                        .await?
                        .is_none()
                    {
                        continue;
                    }
                    if d.entry_type == EntryType::Organisation {
                        tx.fed_remote_org_put(&RemoteOrg {
                            org_id: d.org_id.0,
                            node_id: d.origin.to_string(),
                            country: d.entry.get("country").and_then(|v| v.as_str()).map(str::to_string),
                            version: d.version as i64,
                            entry: d.entry.to_string(),
                        })
                        .await?;
                    }
                    applied += 1;
                }
                Item::Contribution(c) => {
                    let digest = digest_of(item);
                    if tx
                        .fed_event_insert("contribution", &c.target_stix_id, c.from.as_str(), &digest, Some(&peer.node_id), &item_json(item), to_micros(now))
                        .await?
                        .is_none()
                    {
                        continue;
                    }
                    applied += 1;
                    if c.target_origin == me {
                        if let Err(e) = self.store_contribution(&mut tx, c, now).await? {
                            reject(&mut rejected, i, &e);
                        }
                    }
                }
            }
        }
        applied += self.flush_versions(&mut tx, &mut rows, &mut pending, now).await?;
        refused_count += rejected.len() as u64;
        if let Some(c) = cursor {
            tx.fed_peer_applied(&peer.node_id, c).await?;
        }
        if applied > 0 || refused_count > 0 {
            tx.audit_append(
                &node_audit(
                    &NodeId::parse(&peer.node_id).map_err(|e| InboxError::Internal(e))?,
                    source,
                    "federation.receive",
                    serde_json::json!({"applied": applied, "refused": refused_count, "rejections": rejected.iter().take(20).map(|r| serde_json::json!({"index": r.index, "code": r.code, "message": r.message})).collect::<Vec<_>>()}),
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        if applied > 0 {
            self.federation_notify();
        }
        Ok(rejected)
    }

    /// At the origin: a contributed sighting of one of our objects is stored as the
    /// contributor's (its organisation, hence its state, counts in the sightings), readable like
    /// the object it is about, subject to its own TLP. It is not forwarded as an object version
    /// (only its author can sign one); nodes in its distribution get it from its author.
    async fn store_contribution(&self, tx: &mut atalaya_store::Tx, c: &fed::Contribution, now: time::OffsetDateTime) -> Result<std::result::Result<(), FedError>> {
        let checked = match atalaya_stix::object::check_object(c.object.clone()) {
            Ok(x) => x,
            Err(e) => return Ok(Err(FedError::Malformed { field: format!("object.{}", e.field), reason: e.reason })),
        };
        if checked.object_type != "sighting" || c.object.get("sighting_of_ref").and_then(|v| v.as_str()) != Some(c.target_stix_id.as_str()) {
            return Ok(Err(FedError::Malformed { field: "object.sighting_of_ref".into(), reason: "a contribution stored by the origin is a sighting of target_stix_id".into() }));
        }
        let Some(target) = tx.stix_versions(&c.target_stix_id).await?.pop() else { return Ok(Ok(())) };
        let Some(org) = self.store.fed_remote_orgs().await?.into_iter().find(|o| o.node_id == c.from.as_str()).map(|o| o.org_id) else {
            return Ok(Err(FedError::UnknownPeer { node: c.from.to_string() }));
        };
        let tlp = checked.tlp().unwrap_or(self.config.default_tlp);
        let row = NewStixObject {
            stix_id: checked.id.clone(),
            version: checked.version(),
            object_type: checked.object_type.clone(),
            spec_version: if checked.spec_version.is_empty() { "2.1".into() } else { checked.spec_version.clone() },
            tlp,
            owner_org: org,
            revoked: checked.revoked,
            distribution: target.distribution.clone(),
            sighting_of: Some(c.target_stix_id.clone()),
            sectors: crate::intel::sectors_of(&c.object),
            search_text: crate::intel::search_text(&c.object),
            body: serde_json::to_string(&c.object).unwrap_or_default(),
        };
        tx.stix_insert(&[row], now).await?;
        Ok(Ok(()))
    }

    async fn flush_versions(&self, tx: &mut atalaya_store::Tx, rows: &mut Vec<NewStixObject>, pending: &mut Vec<(OriginRecord, bool)>, now: time::OffsetDateTime) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let outcomes = tx.stix_insert(rows, now).await?;
        let mut stored: Vec<OriginRecord> = Vec::with_capacity(pending.len());
        for ((mut rec, revoked), outcome) in pending.drain(..).zip(outcomes) {
            match outcome {
                InsertOutcome::Stored(seq) => {
                    rec.seq = seq;
                    if revoked {
                        tx.stix_mark_revoked(&rec.stix_id).await?;
                    }
                    stored.push(rec);
                }
                InsertOutcome::Duplicate => {}
            }
        }
        tx.fed_origins_insert(&stored).await?;
        rows.clear();
        Ok(stored.len() as u64)
    }

    // ------------------------------------------------------------------ retractions by the origin

    /// Revokes, deletes or narrows the distribution of one of this node's objects, here and on
    /// every node that received it.
    pub async fn federation_retract(&self, ctx: &Ctx, input: RetractInput) -> Result<RetractReport> {
        let versions = self.store.stix_versions(&input.stix_id).await?;
        let Some(first) = versions.first() else { return Err(ServiceError::NotFound(format!("object {}", input.stix_id))) };
        let d = atalaya_policy::Distribution::default();
        crate::require(ctx, Access::Write, &Target::Object(atalaya_policy::ObjectAccess { tlp: first.tlp, owner_org: first.owner_org, distribution: &d, named_users: &[] }))?;
        let me = self.node_id();
        let origins = self.store.fed_origins_of(&input.stix_id).await?;
        if origins.iter().any(|o| o.origin != me.as_str()) {
            return Err(ServiceError::Forbidden("this object was published by another node; only its origin retracts it".into()));
        }
        if input.reason.chars().count() > 2000 {
            return Err(ServiceError::invalid("reason", "longer than 2000 characters"));
        }
        let (kind, local_doc) = match input.action.as_str() {
            "revoke" => (RetractionKind::Revoke, None),
            "delete" => (RetractionKind::Delete, None),
            "downgrade" => {
                let Some(doc) = input.distribution.clone() else { return Err(ServiceError::invalid("distribution", "required for a downgrade")) };
                let dist = self.wire_distribution(&doc).await?;
                (RetractionKind::Downgrade { distribution: dist }, Some(doc))
            }
            _ => return Err(ServiceError::invalid("action", "must be revoke, delete or downgrade")),
        };
        if input.version.is_some() && input.action != "delete" {
            return Err(ServiceError::invalid("version", "only a delete names one version"));
        }
        let item = fed::sign_item(
            self.signing_key(),
            Item::Retraction(Retraction {
                origin: me.clone(),
                stix_id: input.stix_id.clone(),
                version: input.version.clone(),
                reason: input.reason.clone(),
                kind: kind.clone(),
                origin_signature: String::new(),
            }),
        );
        let now = self.now();
        let mut tx = self.store.begin().await?;
        // The versions not yet signed must be signed first, so they carry the retraction.
        let narrowed = match &kind {
            RetractionKind::Downgrade { distribution } => Some(serde_json::to_string(distribution).map_err(|e| ServiceError::Internal(e.to_string()))?),
            _ => None,
        };
        match &kind {
            RetractionKind::Revoke => {
                tx.stix_mark_revoked(&input.stix_id).await?;
            }
            RetractionKind::Delete => {
                tx.stix_delete(&input.stix_id, input.version.as_deref()).await?;
            }
            RetractionKind::Downgrade { .. } => {
                let doc = serde_json::to_string(&local_doc).map_err(|e| ServiceError::Internal(e.to_string()))?;
                tx.fed_set_distribution(&input.stix_id, &doc).await?;
            }
        }
        tx.fed_origin_mark(&input.stix_id, input.version.as_deref(), matches!(kind, RetractionKind::Delete), narrowed.as_deref()).await?;
        tx.fed_event_insert("retraction", &input.stix_id, me.as_str(), &digest_of(&item), None, &item_json(&item), to_micros(now)).await?;
        let delivered = tx.fed_delivered_to(&input.stix_id).await?;
        tx.audit_append(
            &crate::audit_entry(ctx, "federation.retract", "stix-object", Some(input.stix_id.clone()), serde_json::json!({"action": input.action, "version": input.version, "reason": input.reason, "notified": delivered})),
            now,
        )
        .await?;
        tx.commit().await?;
        // Urgent: sent at once (also in the outboxes, for peers that are unreachable now).
        if let Item::Retraction(r) = item {
            let peers = self.store.fed_peers().await?;
            for p in peers.into_iter().filter(|p| p.state == "active" && delivered.contains(&p.node_id)) {
                let svc = self.clone();
                let msg = Message::Retract(Retract { retractions: vec![r.clone()] });
                tokio::spawn(async move {
                    let _ = svc.send(&p, "inbox", &msg).await;
                });
            }
        }
        self.federation_notify();
        Ok(RetractReport { stix_id: input.stix_id, action: input.action, notified: delivered })
    }

    /// A local distribution (named users by user id) in wire form (named users with their org).
    async fn wire_distribution(&self, d: &crate::intel::DistributionDoc) -> Result<Distribution> {
        let mut named = Vec::new();
        for u in &d.named_users {
            if let Some(rec) = self.store.user_get(*u).await? {
                named.push(NamedUser { org: OrgId(rec.user.organisation_id), user: UserId(*u) });
            }
        }
        Ok(Distribution {
            organisations: d.organisations.iter().map(|o| OrgId(*o)).collect(),
            states: d.states.clone(),
            groups: d.groups.iter().map(|g| fed::GroupId(*g)).collect(),
            network: d.network,
            named_users: named,
        })
    }

    // ------------------------------------------------------------------ background tasks

    /// Signs every new local object version (origin signature) and publishes directory
    /// entries of this node's organisations; wakes the peer tasks.
    async fn signer_loop(&self) {
        let rt = self.federation();
        loop {
            let notified = rt.changed.notified();
            let progressed = match self.sign_new().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "federation signer");
                    false
                }
            };
            if progressed {
                for n in lock(&rt.peer_wake).values() {
                    n.notify_one();
                }
                continue;
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
        }
    }

    /// One round of the signer; `true` when something new was published.
    pub async fn sign_new(&self) -> Result<bool> {
        let signed: i64 = self.store.meta_get("fed.signed_seq").await?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let head = self.store.fed_stix_head().await?;
        let mut progressed = self.publish_directory().await?;
        if head <= signed {
            return Ok(progressed);
        }
        let recs = self.store.stix_after(signed, SIGN_ROWS, &[]).await?;
        let Some(last) = recs.last().map(|r| r.seq) else { return Ok(progressed) };
        let orgs: HashSet<uuid::Uuid> = self.store.org_list(None).await?.into_iter().map(|o| o.id).collect();
        let me = self.node_id();
        let mut user_orgs: HashMap<uuid::Uuid, uuid::Uuid> = HashMap::new();
        let mut to_sign = Vec::with_capacity(recs.len());
        let mut sighting_dist: HashMap<i64, Distribution> = HashMap::new();
        for r in &recs {
            if !orgs.contains(&r.owner_org) {
                continue;
            }
            let doc: crate::intel::DistributionDoc = match &r.distribution {
                None => crate::intel::DistributionDoc { network: true, ..Default::default() },
                Some(s) => serde_json::from_str(s).unwrap_or_default(),
            };
            let mut named = Vec::new();
            for u in &doc.named_users {
                let org = match user_orgs.get(u) {
                    Some(o) => Some(*o),
                    None => {
                        let o = self.store.user_get(*u).await?.map(|x| x.user.organisation_id);
                        if let Some(o) = o {
                            user_orgs.insert(*u, o);
                        }
                        o
                    }
                };
                if let Some(o) = org {
                    named.push(NamedUser { org: OrgId(o), user: UserId(*u) });
                }
            }
            let distribution = Distribution {
                organisations: doc.organisations.iter().map(|o| OrgId(*o)).collect(),
                states: doc.states.clone(),
                groups: doc.groups.iter().map(|g| fed::GroupId(*g)).collect(),
                network: doc.network,
                named_users: named,
            };
            if r.object_type == "sighting" {
                sighting_dist.insert(r.seq, distribution.clone());
            }
            to_sign.push((r.seq, r.owner_org, r.stix_id.clone(), r.version.clone(), r.tlp, distribution, r.body.clone()));
        }
        // Ed25519 + canonical JSON per version: on every core, off the async workers.
        let key = self.signing_key().clone();
        let me2 = me.clone();
        let signed_rows: Vec<OriginRecord> = tokio::task::spawn_blocking(move || {
            par_map(&to_sign, |(seq, owner_org, stix_id, version, tlp, distribution, body)| {
                let object = serde_json::from_str::<serde_json::Value>(body).ok()?;
                let item = fed::sign_item(
                    &key,
                    Item::ObjectVersion(ObjectVersion {
                        origin: me2.clone(),
                        owner_org: OrgId(*owner_org),
                        stix_id: stix_id.clone(),
                        version: version.clone(),
                        tlp: *tlp,
                        distribution: distribution.clone(),
                        object,
                        origin_signature: String::new(),
                    }),
                );
                item.validate().ok()?;
                Some(OriginRecord {
                    stix_id: stix_id.clone(),
                    version: version.clone(),
                    seq: *seq,
                    origin: me2.to_string(),
                    owner_org: *owner_org,
                    tlp: tlp_rank(*tlp),
                    distribution: serde_json::to_string(distribution).ok()?,
                    signature: item.origin_signature().to_string(),
                    received_from: None,
                    narrowed: None,
                    retracted: false,
                    deleted: false,
                })
            })
            .into_iter()
            .flatten()
            .collect()
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("signer: {e}")))?;
        let mut tx = self.store.begin().await?;
        tx.fed_origins_insert(&signed_rows).await?;
        // Sightings of objects another node owns flow back to that origin as contributions
        // (§8.4, §12), whatever their own distribution.
        let now = to_micros(self.now());
        let infos = if sighting_dist.is_empty() { HashMap::new() } else { self.peer_infos(&self.store.fed_peers().await?).await? };
        for r in recs.iter().filter(|r| orgs.contains(&r.owner_org) && r.object_type == "sighting") {
            let Some(target) = r.sighting_of.as_deref() else { continue };
            let Some(owner) = tx.fed_owner_of(target).await? else { continue };
            let Ok(target_origin) = NodeId::parse(&owner) else { continue };
            if target_origin == me {
                continue;
            }
            // The sighting's own TLP and distribution must admit the origin's node.
            let Some(distribution) = sighting_dist.get(&r.seq) else { continue };
            let admitted = match infos.get(&owner) {
                Some(info) => atalaya_policy::may_federate(&ItemMeta { tlp: r.tlp, owner_org: OrgId(r.owner_org), distribution: distribution.clone() }, info),
                // Behind a relay: only what the whole network may see.
                None => distribution.network && r.tlp <= Tlp::Green,
            };
            if !admitted {
                continue;
            }
            let Ok(object) = serde_json::from_str::<serde_json::Value>(&r.body) else { continue };
            let item = fed::sign_item(
                self.signing_key(),
                Item::Contribution(fed::Contribution { from: me.clone(), target_origin, target_stix_id: target.to_string(), object, origin_signature: String::new() }),
            );
            if item.validate().is_ok() {
                tx.fed_event_insert("contribution", target, me.as_str(), &digest_of(&item), None, &item_json(&item), now).await?;
                progressed = true;
            }
        }
        tx.meta_set("fed.signed_seq", &last.to_string()).await?;
        tx.commit().await?;
        progressed |= !signed_rows.is_empty();
        Ok(progressed || last > signed)
    }

    /// Publishes a signed directory entry for each version of this node's organisations.
    async fn publish_directory(&self) -> Result<bool> {
        let orgs = self.store.org_list(None).await?;
        let me = self.node_id();
        let mut new = false;
        let mut tx: Option<atalaya_store::Tx> = None;
        for o in orgs {
            let digest_hint = format!("d:{me}:{}:{}", o.id, o.version);
            let known = self.store.fed_events_for(&o.id.to_string()).await?;
            if known.iter().any(|e| e.digest == digest_hint) {
                continue;
            }
            let entry = serde_json::json!({
                "id": o.id, "name": o.body.name.to_string(), "country": o.body.country.as_ref().map(|c| c.to_string()),
                "kind": o.body.kind, "version": o.version,
            });
            let item = fed::sign_item(
                self.signing_key(),
                Item::DirectoryEntry(fed::DirectoryEntry {
                    origin: me.clone(),
                    org_id: OrgId(o.id),
                    entry_type: EntryType::Organisation,
                    entry_id: EntryId(o.id),
                    version: o.version.max(0) as u64,
                    tlp: o.body.tlp,
                    deleted: false,
                    entry,
                    origin_signature: String::new(),
                }),
            );
            if tx.is_none() {
                tx = Some(self.store.begin().await?);
            }
            if let Some(t) = tx.as_mut() {
                if t.fed_event_insert("directory_entry", &o.id.to_string(), me.as_str(), &digest_of(&item), None, &item_json(&item), to_micros(self.now())).await?.is_some() {
                    new = true;
                }
            }
        }
        if let Some(t) = tx {
            t.commit().await?;
        }
        Ok(new)
    }

    /// Starts one task per active peer (and lets tasks of peers no longer active end).
    async fn supervisor_loop(&self) {
        let rt = self.federation();
        loop {
            if let Ok(peers) = self.store.fed_peers().await {
                for p in peers.into_iter().filter(|p| p.state == "active") {
                    let fresh = lock(&rt.tasks).insert(p.node_id.clone());
                    if fresh {
                        let wake = Arc::new(Notify::new());
                        lock(&rt.peer_wake).insert(p.node_id.clone(), wake.clone());
                        let svc = self.clone();
                        tokio::spawn(async move { svc.peer_loop(p.node_id.clone(), wake).await });
                    }
                }
            }
            let notified = rt.changed.notified();
            let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
        }
    }

    /// One peer: pull at start and periodically; push whenever our outbox for it has news.
    /// At most one push in flight; failures back off (capped) without touching other peers.
    async fn peer_loop(&self, node: String, wake: Arc<Notify>) {
        let rt = self.federation();
        let mut backoff = Duration::from_millis(250);
        let mut last_pull: Option<std::time::Instant> = None;
        loop {
            let peer = match self.store.fed_peer(&node).await {
                Ok(Some(p)) if p.state == "active" && p.key_expires_at.is_some_and(|t| t <= to_micros(self.now())) => {
                    // Its key expired: nothing is sent until an administrator sets a new expiry.
                    let _ = self.store.fed_peer_error(&p.node_id, Some("the peer's key expired (atalaya peer expire)"), to_micros(self.now())).await;
                    let _ = tokio::time::timeout(Duration::from_secs(5), wake.notified()).await;
                    continue;
                }
                Ok(Some(p)) if p.state == "active" => p,
                Ok(_) => break,
                Err(_) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let notified = wake.notified();
            let mut failed = false;
            if last_pull.is_none_or(|t| t.elapsed() >= PULL_EVERY) {
                match self.pull_from(&peer).await {
                    Ok(()) => last_pull = Some(std::time::Instant::now()),
                    Err(e) => {
                        failed = true;
                        let _ = self.store.fed_peer_error(&peer.node_id, Some(&e), to_micros(self.now())).await;
                    }
                }
            }
            let mut sent_any = false;
            let peer_pulling = lock(&rt.pulled_at).get(&node).is_some_and(|t| t.elapsed() < Duration::from_secs(1));
            if peer_pulling {
                // The peer is pulling (initial sync or catch-up): let it; push afterwards.
                let _ = tokio::time::timeout(Duration::from_millis(500), notified).await;
                continue;
            }
            if !failed {
                match self.push_once(&peer).await {
                    Ok(sent) => sent_any = sent,
                    Err(e) => {
                        failed = true;
                        let _ = self.store.fed_peer_error(&peer.node_id, Some(&e), to_micros(self.now())).await;
                    }
                }
            }
            if failed {
                let jitter = Duration::from_millis(rand::random::<u64>() % 250);
                let _ = tokio::time::timeout(backoff + jitter, notified).await;
                backoff = (backoff * 2).min(BACKOFF_CAP);
                // After an outage, pull again at once.
                last_pull = None;
                continue;
            }
            if backoff > Duration::from_millis(250) {
                backoff = Duration::from_millis(250);
                let _ = self.store.fed_peer_error(&peer.node_id, None, 0).await;
            }
            if sent_any {
                continue;
            }
            let _ = tokio::time::timeout(Duration::from_secs(5), notified).await;
        }
        lock(&rt.tasks).remove(&node);
        lock(&rt.peer_wake).remove(&node);
    }

    /// Pushes the next batch; `Ok(true)` when something was sent (more may wait).
    async fn push_once(&self, peer: &PeerRecord) -> std::result::Result<bool, String> {
        let batch = self.build_batch(peer, peer.out_acked.as_deref(), fed::MAX_BATCH_ITEMS).await.map_err(|e| e.to_string())?;
        let unchanged = Some(batch.cursor.as_str()) == peer.out_acked.as_deref() || (peer.out_acked.is_none() && batch.cursor == "0.0");
        if unchanged {
            return Ok(false);
        }
        let msg = Message::Push(Push { items: batch.items, after: peer.out_acked.clone(), cursor: batch.cursor.clone() });
        let (status, text) = self.send(peer, "inbox", &msg).await?;
        if status != 200 {
            return Err(format!("push answered {status}: {}", text.chars().take(300).collect::<String>()));
        }
        let Message::Ack(ack) = self.verify_response(&text).await? else { return Err("push answered with something else than an ack".into()) };
        if ack.up_to != batch.cursor {
            return Err(format!("ack for {} instead of {}", ack.up_to, batch.cursor));
        }
        for r in &ack.rejected {
            tracing::warn!(peer = %peer.name, index = r.index, code = %r.code, message = %r.message, "item refused by peer");
        }
        let mut tx = self.store.begin().await.map_err(|e| e.to_string())?;
        tx.fed_peer_acked(&peer.node_id, &batch.cursor, to_micros(self.now())).await.map_err(|e| e.to_string())?;
        let ids: Vec<&str> = batch.delivered.iter().map(String::as_str).collect();
        tx.fed_delivered_add(&ids, &peer.node_id).await.map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        if !ack.rejected.is_empty() {
            let first = &ack.rejected[0];
            let _ = self.store.fed_peer_error(&peer.node_id, Some(&format!("{} item(s) refused; first: {}", ack.rejected.len(), first.message)), to_micros(self.now())).await;
        }
        Ok(true)
    }

    /// Pulls from the peer's outbox until it has nothing more.
    async fn pull_from(&self, peer: &PeerRecord) -> std::result::Result<(), String> {
        let mut cursor = peer.in_cursor.clone();
        for _ in 0..10_000 {
            let msg = Message::PullRequest(PullRequest { cursor: cursor.clone(), limit: fed::MAX_PULL_LIMIT });
            let (status, text) = self.send(peer, "pull", &msg).await?;
            if status != 200 {
                return Err(format!("pull answered {status}: {}", text.chars().take(300).collect::<String>()));
            }
            let Message::PullResponse(resp) = self.verify_response(&text).await? else { return Err("pull answered with something else".into()) };
            let rejected = self.apply_items(peer, &resp.items, Some(&resp.next_cursor), "pull").await.map_err(|e| e.to_string())?;
            for r in &rejected {
                tracing::warn!(peer = %peer.name, index = r.index, code = %r.code, message = %r.message, "pulled item refused");
            }
            cursor = Some(resp.next_cursor);
            if !resp.more {
                break;
            }
        }
        Ok(())
    }
}

type PeerRecordOpt = Option<PeerRecord>;

struct Batch {
    items: Vec<Item>,
    cursor: String,
    more: bool,
    /// STIX ids of the object versions in the batch.
    delivered: Vec<String>,
}

/// Checks the origin signature of every item (§8.5), on all cores: the items are split in
/// one chunk per core and verified on blocking threads. Pure CPU, outside any transaction.
async fn verify_items_parallel(items: &[Item], dir: &PeerDirectory, now: time::OffsetDateTime) -> Vec<std::result::Result<(), FedError>> {
    if items.len() < 64 {
        return items.iter().map(|it| fed::verify_item(it, dir, now)).collect();
    }
    let owned: Vec<Item> = items.to_vec();
    let dir = dir.clone();
    let n = items.len();
    tokio::task::spawn_blocking(move || par_map(&owned, |it| fed::verify_item(it, &dir, now)))
        .await
        .unwrap_or_else(|_| (0..n).map(|_| Err(FedError::Malformed { field: "items".into(), reason: "verification failed".into() })).collect())
}

/// `f` over `xs` on one scoped thread per core, results in order.
fn par_map<T: Sync, R: Send>(xs: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    if cores == 1 || xs.len() < 64 {
        return xs.iter().map(&f).collect();
    }
    let chunk = xs.len().div_ceil(cores);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = xs.chunks(chunk).map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

fn node_audit(node: &NodeId, source: &str, action: &str, detail: serde_json::Value) -> NewAuditEntry {
    NewAuditEntry {
        actor: format!("node:{}", short_id(&node.fingerprint())),
        action: action.into(),
        object_kind: "peer".into(),
        object_id: Some(node.to_string()),
        source: source.to_string(),
        detail,
    }
}

/// A wire distribution as the local `distribution` column (named users by user id).
fn local_distribution(d: &Distribution) -> String {
    let doc = crate::intel::DistributionDoc {
        organisations: d.organisations.iter().map(|o| o.0).collect(),
        states: d.states.clone(),
        groups: d.groups.iter().map(|g| g.0).collect(),
        network: d.network,
        named_users: d.named_users.iter().map(|u| u.user.0).collect(),
    };
    serde_json::to_string(&doc).unwrap_or_default()
}

/// Applies a verified retraction from an object's origin on this node.
async fn apply_retraction(tx: &mut atalaya_store::Tx, r: &Retraction, me: &PeerInfo) -> Result<()> {
    match &r.kind {
        RetractionKind::Revoke => {
            tx.stix_mark_revoked(&r.stix_id).await?;
            tx.fed_origin_mark(&r.stix_id, None, false, None).await?;
        }
        RetractionKind::Delete => {
            tx.stix_delete(&r.stix_id, r.version.as_deref()).await?;
            tx.fed_origin_mark(&r.stix_id, r.version.as_deref(), true, None).await?;
        }
        RetractionKind::Downgrade { distribution } => {
            let versions = tx.stix_versions(&r.stix_id).await?;
            let narrowed = serde_json::to_string(distribution).map_err(|e| ServiceError::Internal(e.to_string()))?;
            if let Some(v) = versions.first() {
                let meta = ItemMeta { tlp: v.tlp, owner_org: OrgId(v.owner_org), distribution: distribution.clone() };
                if atalaya_policy::may_federate(&meta, me) {
                    tx.fed_set_distribution(&r.stix_id, &local_distribution(distribution)).await?;
                    tx.fed_origin_mark(&r.stix_id, None, false, Some(&narrowed)).await?;
                } else {
                    tx.stix_delete(&r.stix_id, None).await?;
                    tx.fed_origin_mark(&r.stix_id, None, true, Some(&narrowed)).await?;
                }
            }
        }
    }
    Ok(())
}

#[allow(dead_code)]
fn _unused(_: &EventRecord) {}
