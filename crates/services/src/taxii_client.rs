//! TAXII 2.1 client: pulls from remote collections (by hand or on a schedule per stored feed)
//! and pushes STIX to remote collections.
//!
//! A pull asks for every version (`match[version]=all`), pages with `limit`/`next` (and
//! `added_after` when the server pages that way) and
//! stores every page through [`Services::import_batch`] — the same checks, ownership, policy
//! and audit as any import — before it advances the feed's cursor (the page's
//! `X-TAXII-Date-Added-Last`) in a second transaction with a `taxii.pull` audit entry naming
//! the feed (provenance). A failure at any point loses nothing: committed pages stay, the
//! cursor never passes what was committed, and the next run resumes there (`added_after` =
//! cursor). After a page that says more objects follow, the cursor is set 1 µs *before* the
//! page's last date added, because a server may give many objects one date added and the page
//! boundary may fall among them; those are fetched again on resume and skipped as already
//! stored. After the last page the cursor is the last date added itself.
use crate::intel::ImportOptions;
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use atalaya_model::time_util::to_micros;
use atalaya_policy::{Access, Subject, Target};
use atalaya_store::taxii_feeds::TaxiiFeedRecord;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// What the client asks for and sends.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// Objects asked per page.
pub const DEFAULT_PAGE: usize = 1000;
/// Largest answer body the client reads (bytes).
const MAX_BODY: usize = 256 * 1024 * 1024;
/// How long a claimed run may go without progress before another process may take it over.
const LEASE: Duration = Duration::from_secs(600);
/// Shortest schedule interval.
pub const MIN_INTERVAL_SECS: i64 = 1;

/// How the client authenticates to the remote server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RemoteAuth {
    #[default]
    None,
    Basic { username: String, password: String },
    Bearer { token: String },
}

impl RemoteAuth {
    fn kind(&self) -> &'static str {
        match self {
            RemoteAuth::None => "none",
            RemoteAuth::Basic { .. } => "basic",
            RemoteAuth::Bearer { .. } => "bearer",
        }
    }
}

/// A TAXII 2.1 HTTP client for one remote server.
#[derive(Clone)]
pub struct TaxiiClient {
    http: reqwest::Client,
    auth: RemoteAuth,
    timeout: Duration,
}

/// One page of a remote collection.
#[derive(Debug)]
pub struct RemotePage {
    pub objects: Vec<serde_json::Value>,
    pub more: bool,
    pub next: Option<String>,
    /// `X-TAXII-Date-Added-First` / `-Last`.
    pub added_first: Option<String>,
    pub added_last: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    objects: Vec<serde_json::Value>,
}

fn remote(url: &str, what: impl std::fmt::Display) -> ServiceError {
    ServiceError::Remote(format!("{}: {what}", redact(url)))
}

/// The URL without user information.
fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => url.to_string(),
    }
}

fn is_loopback(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or("").split(['/', '@']).next().unwrap_or("");
    host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")
}

/// `url` with a trailing slash.
fn dir(url: &str) -> String {
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

impl TaxiiClient {
    pub fn new(auth: RemoteAuth, timeout: Duration, loopback: bool) -> Result<TaxiiClient> {
        let mut b = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(20).min(timeout))
            .user_agent(concat!("atalaya/", env!("CARGO_PKG_VERSION"), " taxii-client"));
        if loopback {
            b = b.no_proxy();
        }
        let http = b.build().map_err(|e| ServiceError::Internal(format!("HTTP client: {e}")))?;
        Ok(TaxiiClient { http, auth, timeout })
    }

    /// A client for `url` (no proxy for loopback addresses).
    pub fn for_url(url: &str, auth: RemoteAuth, timeout: Duration) -> Result<TaxiiClient> {
        TaxiiClient::new(auth, timeout, is_loopback(url))
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, url).header(reqwest::header::ACCEPT, TAXII_MEDIA_TYPE);
        match &self.auth {
            RemoteAuth::None => rb,
            RemoteAuth::Basic { username, password } => rb.basic_auth(username, Some(password)),
            RemoteAuth::Bearer { token } => rb.bearer_auth(token),
        }
    }

    fn send_error(&self, url: &str, e: reqwest::Error) -> ServiceError {
        if e.is_timeout() {
            remote(url, format!("no answer within {} s (timeout)", self.timeout.as_secs()))
        } else if e.is_connect() {
            let mut cause = String::new();
            let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
            while let Some(s) = src {
                cause = s.to_string();
                src = s.source();
            }
            remote(url, format!("cannot connect ({cause})"))
        } else {
            remote(url, e)
        }
    }

    /// Sends and reads the answer; non-2xx answers become one readable line naming the status
    /// and the server's TAXII error title/description.
    async fn send(&self, url: &str, rb: reqwest::RequestBuilder) -> Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>)> {
        let mut resp = rb.send().await.map_err(|e| self.send_error(url, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if body.len() + c.len() > MAX_BODY {
                        return Err(remote(url, format!("answer larger than {} MiB", MAX_BODY / (1024 * 1024))));
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => return Err(self.send_error(url, e)),
            }
        }
        if !status.is_success() {
            let detail = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .map(|v| {
                    let t = v.get("title").and_then(|x| x.as_str()).unwrap_or("");
                    let d = v.get("description").and_then(|x| x.as_str()).unwrap_or("");
                    [t, d].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(": ")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).trim().to_string());
            let what = match status.as_u16() {
                401 => "authentication refused (check --user/--password or --token)".to_string(),
                403 => "not allowed for these credentials".to_string(),
                404 => "not found (check the URL and the collection id)".to_string(),
                _ => String::new(),
            };
            let sep = if what.is_empty() || detail.is_empty() { "" } else { "; " };
            return Err(remote(url, format!("HTTP {status}{}{what}{sep}{detail}", if what.is_empty() && detail.is_empty() { "" } else { ": " })));
        }
        Ok((status, headers, body))
    }

    async fn get_json(&self, url: &str) -> Result<(serde_json::Value, reqwest::header::HeaderMap)> {
        let (_, headers, body) = self.send(url, self.request(reqwest::Method::GET, url)).await?;
        let v = serde_json::from_slice(&body).map_err(|e| remote(url, format!("answer is not JSON: {e}")))?;
        Ok((v, headers))
    }

    /// The API root for `url`: an API root URL as is; a discovery URL resolves to its
    /// `default` API root (or its only one).
    pub async fn api_root(&self, url: &str) -> Result<String> {
        let url = dir(url);
        let (v, _) = self.get_json(&url).await?;
        if v.get("api_roots").is_some() || v.get("default").is_some() {
            let roots: Vec<String> = v.get("api_roots").and_then(|r| r.as_array()).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default();
            let chosen = v.get("default").and_then(|d| d.as_str()).map(str::to_string).or_else(|| if roots.len() == 1 { roots.first().cloned() } else { None });
            let Some(root) = chosen else {
                return Err(remote(&url, format!("a discovery document with several API roots and no default; give one of: {}", roots.join(", "))));
            };
            // Relative API root URLs are relative to the discovery URL.
            let root = match reqwest::Url::parse(&url).and_then(|b| b.join(&root)) {
                Ok(u) => u.to_string(),
                Err(_) => root,
            };
            return Ok(dir(&root));
        }
        if v.get("versions").is_some() || v.get("title").is_some() {
            return Ok(url);
        }
        Err(remote(&url, "neither a TAXII 2.1 discovery document nor an API root"))
    }

    /// One page of `collection`'s objects.
    pub async fn page(&self, api_root: &str, collection: &str, added_after: Option<&str>, next: Option<&str>, limit: usize) -> Result<RemotePage> {
        let base = format!("{}collections/{}/objects/", dir(api_root), collection);
        let mut url = reqwest::Url::parse(&base).map_err(|e| remote(&base, format!("bad URL: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &limit.to_string());
            // Every version, not only the latest: the node keeps each object's history.
            q.append_pair("match[version]", "all");
            if let Some(a) = added_after {
                q.append_pair("added_after", a);
            }
            if let Some(n) = next {
                q.append_pair("next", n);
            }
        }
        let url = url.to_string();
        let (_, headers, body) = self.send(&url, self.request(reqwest::Method::GET, &url)).await?;
        let ct = headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !ct.to_ascii_lowercase().replace(' ', "").starts_with("application/taxii+json") {
            return Err(remote(&url, format!("answered Content-Type '{ct}', not {TAXII_MEDIA_TYPE}")));
        }
        let env: Envelope = serde_json::from_slice(&body).map_err(|e| remote(&url, format!("not a TAXII envelope: {e}")))?;
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
        Ok(RemotePage { objects: env.objects, more: env.more, next: env.next.filter(|n| !n.is_empty()), added_first: h("x-taxii-date-added-first"), added_last: h("x-taxii-date-added-last") })
    }

    /// Posts one envelope of objects; returns the status resource (JSON).
    pub async fn add(&self, api_root: &str, collection: &str, objects: &[serde_json::Value]) -> Result<serde_json::Value> {
        let url = format!("{}collections/{}/objects/", dir(api_root), collection);
        let body = serde_json::to_vec(&serde_json::json!({ "objects": objects })).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let rb = self.request(reqwest::Method::POST, &url).header(reqwest::header::CONTENT_TYPE, TAXII_MEDIA_TYPE).body(body);
        let (_, _, body) = self.send(&url, rb).await?;
        serde_json::from_slice(&body).map_err(|e| remote(&url, format!("status resource is not JSON: {e}")))
    }

    /// A status resource by id.
    pub async fn status(&self, api_root: &str, id: &str) -> Result<serde_json::Value> {
        Ok(self.get_json(&format!("{}status/{}/", dir(api_root), id)).await?.0)
    }
}

/// What a pull did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PullReport {
    pub feed: String,
    pub pages: u64,
    /// Object versions received.
    pub fetched: u64,
    pub stored: u64,
    pub updated: u64,
    /// Already stored (fetched again): nothing to do.
    pub skipped: u64,
    pub rejected: u64,
    /// The first 100 rejections: `id field: reason`.
    pub rejections: Vec<String>,
    /// The feed's cursor after the pull.
    pub cursor: Option<String>,
    /// Why the pull stopped early (what was fetched before stays stored).
    pub error: Option<String>,
}

/// A feed as shown to operators (never with its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Feed {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    pub collection: String,
    /// `none`, `basic` or `bearer`.
    pub auth: String,
    pub username: Option<String>,
    /// Seconds between scheduled pulls (absent: pulled by hand only).
    pub interval_secs: Option<i64>,
    pub enabled: bool,
    /// The user the pulled objects are stored as (absent: the node's organisation).
    pub run_as: Option<String>,
    pub created_at: String,
    pub created_by: String,
    /// Where the next pull resumes: the remote's date added of the last stored object.
    pub cursor: Option<String>,
    pub last_run_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_fetched: i64,
    pub total_fetched: i64,
    pub running: bool,
}

/// A feed to create.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeed {
    /// Unique name: letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// The remote API root (or discovery) URL, http or https.
    pub url: String,
    /// The remote collection id.
    pub collection: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    /// Seconds between pulls (absent: by hand only).
    #[serde(default)]
    pub interval_secs: Option<i64>,
    /// Store pulled objects as this user of this node (default: the caller; for the node
    /// operator: the node's organisation).
    #[serde(default)]
    pub run_as: Option<String>,
    /// Start from this date added instead of the beginning (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
}

fn micros_text(us: Option<i64>) -> Option<String> {
    us.map(crate::taxii::taxii_timestamp)
}

/// `15m`, `1h`, `30s`, `2d` or plain seconds.
pub fn parse_interval(s: &str) -> std::result::Result<i64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 's')) => (&s[..i], 1),
        Some((i, 'm')) => (&s[..i], 60),
        Some((i, 'h')) => (&s[..i], 3600),
        Some((i, 'd')) => (&s[..i], 86400),
        _ => (s, 1),
    };
    let n: i64 = num.trim().parse().map_err(|_| format!("'{s}' is not a duration like 30s, 15m, 1h or 1d"))?;
    let secs = n.checked_mul(mult).ok_or_else(|| format!("'{s}' is too long"))?;
    if !(MIN_INTERVAL_SECS..=366 * 86400).contains(&secs) {
        return Err(format!("'{s}' must be between {MIN_INTERVAL_SECS} s and 366 days"));
    }
    Ok(secs)
}

fn check_url(url: &str) -> std::result::Result<(), String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(format!("'{url}': only http and https URLs"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("credentials do not go in the URL; use username/password or token".into());
    }
    Ok(())
}

fn check_collection(c: &str) -> std::result::Result<(), String> {
    if c.is_empty() || c.len() > 200 || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
        return Err(format!("'{c}' is not a collection id (letters, digits, '-', '_', '.')"));
    }
    Ok(())
}

/// The cursor one microsecond earlier (runs resume inclusively), as TAXII text.
fn inclusive(cursor: &str) -> Option<String> {
    crate::taxii::parse_timestamp(cursor).map(|us| crate::taxii::taxii_timestamp(us - 1))
}

impl Services {
    fn feed_admin(&self, ctx: &Ctx) -> Result<()> {
        require(ctx, Access::Write, &Target::Node)
    }

    async fn feed_view(&self, f: &TaxiiFeedRecord) -> Result<Feed> {
        let run_as = match f.run_as {
            Some(id) => Some(self.store.user_get(id).await?.map(|u| u.user.username).unwrap_or_else(|| format!("(removed user {id})"))),
            None => None,
        };
        let now = to_micros(self.now());
        Ok(Feed {
            id: f.id,
            name: f.name.clone(),
            url: f.url.clone(),
            collection: f.collection.clone(),
            auth: f.auth_kind.clone(),
            username: f.username.clone(),
            interval_secs: f.interval_secs,
            enabled: f.enabled,
            run_as,
            created_at: crate::taxii::taxii_timestamp(f.created_at),
            created_by: f.created_by.clone(),
            cursor: f.cursor.clone(),
            last_run_at: micros_text(f.last_run_at),
            last_success_at: micros_text(f.last_success_at),
            last_error: f.last_error.clone(),
            last_fetched: f.last_fetched,
            total_fetched: f.total_fetched,
            running: f.lease_until.is_some_and(|l| l >= now),
        })
    }

    /// Every feed with its status (node administrators and auditors).
    pub async fn taxii_feeds(&self, ctx: &Ctx) -> Result<Vec<Feed>> {
        if !matches!(atalaya_policy::decide(&ctx.subject, Access::Read, &Target::AuditLog), atalaya_policy::Decision::Allow) {
            self.feed_admin(ctx)?;
        }
        let mut out = vec![];
        for f in self.store.taxii_feeds().await? {
            if f.interval_secs.is_none() && f.name.starts_with("pull-") && f.cursor.is_none() && f.total_fetched == 0 && f.last_run_at.is_none() {
                continue;
            }
            out.push(self.feed_view(&f).await?);
        }
        Ok(out)
    }

    /// One feed by name.
    pub async fn taxii_feed(&self, ctx: &Ctx, name: &str) -> Result<Feed> {
        if !matches!(atalaya_policy::decide(&ctx.subject, Access::Read, &Target::AuditLog), atalaya_policy::Decision::Allow) {
            self.feed_admin(ctx)?;
        }
        let f = self.store.taxii_feed_by_name(name).await?.ok_or_else(|| ServiceError::NotFound(format!("feed '{name}'")))?;
        self.feed_view(&f).await
    }

    async fn resolve_run_as(&self, ctx: &Ctx, run_as: Option<&str>) -> Result<Option<Uuid>> {
        match (run_as, &ctx.subject) {
            (Some(name), _) => {
                let u = self.store.user_by_name(name).await?.ok_or_else(|| ServiceError::invalid("run_as", format!("no user '{name}' on this node")))?;
                if u.user.disabled {
                    return Err(ServiceError::invalid("run_as", format!("user '{name}' is disabled")));
                }
                if let Subject::User(p) = &ctx.subject {
                    if u.user.organisation_id != p.org_id {
                        return Err(ServiceError::invalid("run_as", "must be a user of your organisation"));
                    }
                }
                Ok(Some(u.user.id))
            }
            (None, Subject::User(p)) => Ok(Some(p.user_id)),
            (None, _) => Ok(None),
        }
    }

    /// Stores a remote feed (node administrators). Secrets are kept for the scheduled pulls and
    /// never shown again.
    pub async fn taxii_feed_create(&self, ctx: &Ctx, req: NewFeed) -> Result<Feed> {
        self.feed_admin(ctx)?;
        let mut errs = atalaya_model::ValidationErrors::default();
        let name = req.name.trim().to_string();
        if name.is_empty() || name.len() > 100 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
            errs.push("name", "1–100 letters, digits, '-', '_' or '.'");
        }
        let url = req.url.trim().to_string();
        if let Err(e) = check_url(&url) {
            errs.push("url", e);
        }
        if let Err(e) = check_collection(req.collection.trim()) {
            errs.push("collection", e);
        }
        let auth = match (req.username, req.password, req.token) {
            (None, None, None) => RemoteAuth::None,
            (Some(u), Some(p), None) if !u.is_empty() => RemoteAuth::Basic { username: u, password: p },
            (None, None, Some(t)) if !t.is_empty() => RemoteAuth::Bearer { token: t },
            (_, _, Some(_)) => {
                errs.push("token", "give either a token or a username and password");
                RemoteAuth::None
            }
            _ => {
                errs.push("password", "a username needs a password (and a password a username)");
                RemoteAuth::None
            }
        };
        if let Some(i) = req.interval_secs {
            if !(MIN_INTERVAL_SECS..=366 * 86400).contains(&i) {
                errs.push("interval_secs", format!("must be between {MIN_INTERVAL_SECS} and {}", 366 * 86400));
            }
        }
        let cursor = match req.since.as_deref().map(str::trim) {
            Some(s) => match crate::taxii::parse_timestamp(s) {
                Some(_) => Some(s.to_string()),
                None => {
                    errs.push("since", format!("'{s}' is not an RFC 3339 timestamp"));
                    None
                }
            },
            None => None,
        };
        errs.into_result()?;
        let run_as = self.resolve_run_as(ctx, req.run_as.as_deref()).await?;
        if self.store.taxii_feed_by_name(&name).await?.is_some() {
            return Err(ServiceError::Conflict { field: "name".into(), reason: format!("a feed named '{name}' exists") });
        }
        let now = self.now();
        let (username, secret) = match &auth {
            RemoteAuth::None => (None, None),
            RemoteAuth::Basic { username, password } => (Some(username.clone()), Some(password.clone())),
            RemoteAuth::Bearer { token } => (None, Some(token.clone())),
        };
        let rec = TaxiiFeedRecord {
            id: Uuid::new_v4(),
            name,
            url,
            collection: req.collection.trim().to_string(),
            auth_kind: auth.kind().into(),
            username,
            secret,
            interval_secs: req.interval_secs,
            enabled: true,
            run_as,
            created_at: to_micros(now),
            created_by: ctx.subject.actor(),
            cursor,
            last_run_at: None,
            last_success_at: None,
            last_error: None,
            last_fetched: 0,
            total_fetched: 0,
            lease_until: None,
        };
        let mut tx = self.store.begin().await?;
        tx.taxii_feed_insert(&rec).await?;
        tx.audit_append(
            &audit_entry(ctx, "taxii.feed.create", "taxii-feed", Some(rec.id.to_string()), serde_json::json!({
                "name": rec.name, "url": rec.url, "collection": rec.collection, "auth": rec.auth_kind,
                "interval_secs": rec.interval_secs, "run_as": rec.run_as,
            })),
            now,
        )
        .await?;
        tx.commit().await?;
        self.feed_view(&rec).await
    }

    /// Removes a feed (the objects it brought stay).
    pub async fn taxii_feed_remove(&self, ctx: &Ctx, name: &str) -> Result<()> {
        self.feed_admin(ctx)?;
        let f = self.store.taxii_feed_by_name(name).await?.ok_or_else(|| ServiceError::NotFound(format!("feed '{name}'")))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.taxii_feed_delete(f.id).await?;
        tx.audit_append(&audit_entry(ctx, "taxii.feed.remove", "taxii-feed", Some(f.id.to_string()), serde_json::json!({"name": f.name, "url": f.url})), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The hand-run feed of `url` + `collection` (created on first use, named `pull-…`), so a
    /// repeated `atalaya taxii pull` resumes where the last one stopped.
    pub async fn taxii_pull_feed(&self, ctx: &Ctx, url: &str, collection: &str, run_as: Option<&str>) -> Result<String> {
        self.feed_admin(ctx)?;
        check_url(url).map_err(|e| ServiceError::invalid("url", e))?;
        check_collection(collection).map_err(|e| ServiceError::invalid("collection", e))?;
        use sha2::{Digest, Sha256};
        let h = Sha256::digest(format!("{url}\n{collection}").as_bytes());
        let name = format!("pull-{}", &hex::encode(h)[..12]);
        if self.store.taxii_feed_by_name(&name).await?.is_some() {
            return Ok(name);
        }
        let run_as = self.resolve_run_as(ctx, run_as).await?;
        let rec = TaxiiFeedRecord {
            id: Uuid::new_v4(),
            name: name.clone(),
            url: url.to_string(),
            collection: collection.to_string(),
            auth_kind: "none".into(),
            username: None,
            secret: None,
            interval_secs: None,
            enabled: true,
            run_as,
            created_at: to_micros(self.now()),
            created_by: ctx.subject.actor(),
            cursor: None,
            last_run_at: None,
            last_success_at: None,
            last_error: None,
            last_fetched: 0,
            total_fetched: 0,
            lease_until: None,
        };
        let mut tx = self.store.begin().await?;
        tx.taxii_feed_insert(&rec).await?;
        tx.commit().await?;
        Ok(name)
    }

    /// The context a feed's pulls run in: its `run_as` user, else the node operator.
    async fn feed_ctx(&self, f: &TaxiiFeedRecord, source: &str) -> Result<Ctx> {
        match f.run_as {
            None => Ok(Ctx { subject: Subject::Operator, source: source.into() }),
            Some(id) => {
                let u = self.store.user_get(id).await?.ok_or_else(|| ServiceError::Forbidden(format!("feed '{}': its run-as user no longer exists", f.name)))?;
                if u.user.disabled {
                    return Err(ServiceError::Forbidden(format!("feed '{}': its run-as user {} is disabled", f.name, u.user.username)));
                }
                Ok(Ctx { subject: Subject::User(self.principal_of(&u.user).await?), source: source.into() })
            }
        }
    }

    /// Runs one pull of the named feed now. `auth` replaces the stored credentials (hand
    /// pulls pass them each time); `since` replaces the cursor for this run; `progress` is
    /// called after every committed page. A run that fails part-way returns `Ok` with
    /// [`PullReport::error`] set: what was fetched before is stored and the cursor says so.
    pub async fn taxii_feed_run(
        &self,
        ctx: &Ctx,
        name: &str,
        auth: Option<RemoteAuth>,
        since: Option<String>,
        progress: &(dyn Fn(&PullReport) + Send + Sync),
    ) -> Result<PullReport> {
        self.feed_admin(ctx)?;
        let f = self.store.taxii_feed_by_name(name).await?.ok_or_else(|| ServiceError::NotFound(format!("feed '{name}'")))?;
        self.run_feed(f, auth, since, &ctx.source, progress).await
    }

    async fn run_feed(
        &self,
        f: TaxiiFeedRecord,
        auth: Option<RemoteAuth>,
        since: Option<String>,
        source: &str,
        progress: &(dyn Fn(&PullReport) + Send + Sync),
    ) -> Result<PullReport> {
        let now = to_micros(self.now());
        let lease = LEASE.as_micros() as i64;
        {
            let mut tx = self.store.begin().await?;
            if !tx.taxii_feed_claim(f.id, now, now + lease).await? {
                return Err(ServiceError::Conflict { field: "name".into(), reason: format!("a pull of feed '{}' is running", f.name) });
            }
            tx.taxii_feed_started(f.id, now).await?;
            tx.commit().await?;
        }
        let mut report = PullReport { feed: f.name.clone(), cursor: f.cursor.clone(), ..Default::default() };
        let result = self.pull_pages(&f, auth, since, source, &mut report, progress).await;
        let end = to_micros(self.now());
        let err = result.err().map(|e| e.to_string());
        let mut tx = self.store.begin().await?;
        tx.taxii_feed_finished(f.id, end, err.as_deref()).await?;
        tx.commit().await?;
        if let Some(e) = &err {
            tracing::info!(feed = %f.name, error = %e, fetched = report.fetched, "TAXII pull stopped");
        }
        report.error = err;
        Ok(report)
    }

    async fn pull_pages(
        &self,
        f: &TaxiiFeedRecord,
        auth: Option<RemoteAuth>,
        since: Option<String>,
        source: &str,
        report: &mut PullReport,
        progress: &(dyn Fn(&PullReport) + Send + Sync),
    ) -> Result<()> {
        let ctx = self.feed_ctx(f, source).await?;
        let auth = match auth {
            Some(a) => a,
            None => match (f.auth_kind.as_str(), &f.username, &f.secret) {
                ("basic", Some(u), Some(p)) => RemoteAuth::Basic { username: u.clone(), password: p.clone() },
                ("bearer", _, Some(t)) => RemoteAuth::Bearer { token: t.clone() },
                _ => RemoteAuth::None,
            },
        };
        let client = TaxiiClient::for_url(&f.url, auth, Duration::from_secs(120))?;
        let api_root = client.api_root(&f.url).await?;
        let mut added_after = since.or_else(|| f.cursor.clone());
        let mut next: Option<String> = None;
        loop {
            let page = match client.page(&api_root, &f.collection, added_after.as_deref(), next.as_deref(), DEFAULT_PAGE).await {
                Ok(p) => p,
                // An expired or refused `next` (4xx): continue from what is committed.
                Err(ServiceError::Remote(e)) if next.is_some() && e.contains(": HTTP 4") => {
                    tracing::info!(feed = %f.name, error = %e, "TAXII pull: the next token was refused; continuing from the cursor");
                    added_after = report.cursor.clone().or(added_after);
                    client.page(&api_root, &f.collection, added_after.as_deref(), None, DEFAULT_PAGE).await?
                }
                Err(e) => return Err(e),
            };
            let n = page.objects.len() as u64;
            report.pages += 1;
            report.fetched += n;
            let mut import_last_seq = 0;
            if n > 0 {
                let r = self.import_batch(&ctx, page.objects, 0, &ImportOptions::default()).await?;
                report.stored += r.stored;
                report.updated += r.updated;
                report.skipped += r.skipped;
                report.rejected += r.rejected;
                import_last_seq = r.last_seq;
                for rej in r.rejections {
                    if report.rejections.len() < 100 {
                        report.rejections.push(format!("{} {}: {}", rej.id.unwrap_or_else(|| format!("(object {})", rej.index)), rej.field, rej.reason));
                    }
                }
            }
            // The cursor advances only past what is committed (see the module documentation).
            let last = page.added_last.clone().filter(|c| crate::taxii::parse_timestamp(c).is_some());
            let cursor = if page.more { last.as_deref().and_then(inclusive) } else { last.clone() };
            let now = self.now();
            let mut tx = self.store.begin().await?;
            tx.taxii_feed_advance(f.id, cursor.as_deref(), n as i64, to_micros(now) + LEASE.as_micros() as i64).await?;
            if n > 0 {
                tx.audit_append(
                    &audit_entry(&ctx, "taxii.pull", "taxii-feed", Some(f.id.to_string()), serde_json::json!({
                        "feed": f.name, "url": f.url, "collection": f.collection, "objects": n,
                        "stored": report.stored, "updated": report.updated, "skipped": report.skipped, "rejected": report.rejected,
                        "last_seq": import_last_seq, "cursor": cursor,
                    })),
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            if cursor.is_some() {
                report.cursor = cursor.clone();
            }
            progress(report);
            if !page.more {
                return Ok(());
            }
            match page.next {
                Some(t) => next = Some(t),
                // Servers that page by date added only.
                None => match &last {
                    Some(c) if added_after.as_deref() != Some(c.as_str()) => {
                        next = None;
                        added_after = Some(c.clone());
                    }
                    _ => return Err(remote(&f.url, "said more objects follow but gave neither a next token nor a new X-TAXII-Date-Added-Last")),
                },
            }
        }
    }

    /// Runs the scheduled feeds that are due (each at most once at a time, also across
    /// processes). Returns how many were started.
    pub async fn taxii_feeds_tick(&self) -> Result<usize> {
        let due = self.store.taxii_feeds_due(to_micros(self.now())).await?;
        let n = due.len();
        for f in due {
            let name = f.name.clone();
            match self.run_feed(f, None, None, "scheduler", &|_| {}).await {
                Ok(r) if r.error.is_none() => tracing::info!(feed = %name, fetched = r.fetched, stored = r.stored, "TAXII feed pulled"),
                Ok(r) => tracing::warn!(feed = %name, error = r.error.as_deref().unwrap_or(""), fetched = r.fetched, "TAXII feed pull stopped"),
                Err(ServiceError::Conflict { .. }) => {}
                Err(e) => tracing::warn!(feed = %name, error = %e, "TAXII feed run failed"),
            }
        }
        Ok(n)
    }

    /// The scheduler of `atalaya serve`: looks for due feeds every `every` until the task is
    /// aborted.
    pub fn spawn_taxii_feeds(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = me.taxii_feeds_tick().await {
                    tracing::warn!(error = %e, "TAXII feed scheduler");
                }
            }
        })
    }
}

/// What a push did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PushReport {
    pub envelopes: u64,
    pub total: u64,
    pub successes: u64,
    pub failures: u64,
    pub pendings: u64,
    /// The first 100 failures: `id: message`.
    pub failure_messages: Vec<String>,
}

impl TaxiiClient {
    /// Posts one envelope to a remote collection and adds its status resource to `rep`
    /// (pending objects are polled for up to a minute).
    pub async fn push(&self, api_root: &str, collection: &str, chunk: &[serde_json::Value], rep: &mut PushReport) -> Result<()> {
        let count = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
        let mut status = self.add(api_root, collection, chunk).await?;
        let mut waited = 0;
        while count(&status, "pending_count") > 0 && waited < 60 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            waited += 1;
            if let Some(id) = status.get("id").and_then(|x| x.as_str()).map(str::to_string) {
                status = self.status(api_root, &id).await?;
            }
        }
        rep.envelopes += 1;
        rep.total += chunk.len() as u64;
        rep.successes += count(&status, "success_count");
        rep.failures += count(&status, "failure_count");
        rep.pendings += count(&status, "pending_count");
        for f in status.get("failures").and_then(|x| x.as_array()).into_iter().flatten() {
            if rep.failure_messages.len() < 100 {
                let id = f.get("id").and_then(|x| x.as_str()).unwrap_or("?");
                let m = f.get("message").and_then(|x| x.as_str()).unwrap_or("");
                rep.failure_messages.push(format!("{id}: {m}"));
            }
        }
        Ok(())
    }
}

/// Checks a remote URL and collection id given on a command line.
pub fn check_remote(url: &str, collection: &str) -> Result<()> {
    check_url(url).map_err(|e| ServiceError::invalid("url", e))?;
    check_collection(collection).map_err(|e| ServiceError::invalid("collection", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("15m"), Ok(900));
        assert_eq!(parse_interval("1h"), Ok(3600));
        assert_eq!(parse_interval("45"), Ok(45));
        assert_eq!(parse_interval("2d"), Ok(172_800));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
        assert!(parse_interval("").is_err());
    }

    #[test]
    fn cursor_resumes_inclusively() {
        assert_eq!(inclusive("2017-12-31T13:49:53.935000Z").as_deref(), Some("2017-12-31T13:49:53.934999Z"));
        assert_eq!(inclusive("garbage"), None);
    }

    #[test]
    fn urls() {
        assert!(check_url("https://taxii.example/api/").is_ok());
        assert!(check_url("ftp://taxii.example/").is_err());
        assert!(check_url("https://u:p@taxii.example/").is_err());
        assert_eq!(redact("https://u:p@h.example/x"), "https://h.example/x");
        assert!(is_loopback("http://127.0.0.1:5000/taxii2/"));
        assert!(!is_loopback("https://taxii.example/"));
    }
}
