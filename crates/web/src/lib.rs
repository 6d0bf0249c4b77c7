//! The web interface of a node, mounted at `/ui/`: server-rendered HTML (maud), one stylesheet
//! and one small script served from the binary, four languages (Project Fluent).
//!
//! Layering: data only through `atalaya_services` (which asks policy item by item); which
//! navigation entries and buttons a user sees is decided by `atalaya_policy` functions
//! (`nav.rs`), never by comparing roles here.
//!
//! Sessions: the password login issues the ordinary session token of `Services::login`; the
//! browser keeps it in an `HttpOnly; SameSite=Strict; Path=/ui` cookie (plus `Secure` when the
//! node's public URL is https). Every POST carries a CSRF token, HMAC-SHA256 of the session
//! token's hash under a key derived from the node's signing key (deterministic Ed25519
//! signature), so it survives restarts and dies with the session.

pub mod i18n;
mod layout;
mod nav;
mod pages;
mod svg;

use atalaya_policy::Subject;
use atalaya_services::{Ctx, ServiceError, Services};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use hmac::{Hmac, Mac};
use i18n::{Lang, L};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "atalaya_session";
pub const LANG_COOKIE: &str = "atalaya_lang";
/// Pre-login cookie binding the login form's CSRF token.
pub const LOGIN_COOKIE: &str = "atalaya_login";

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// State of the web interface.
#[derive(Clone)]
pub struct WebState {
    pub services: Services,
    csrf_key: Arc<[u8; 32]>,
    /// The node is reached over https (cookies `Secure`, HSTS).
    https: bool,
}

impl WebState {
    pub fn new(services: Services) -> WebState {
        // Ed25519 signatures are deterministic: the same node key gives the same CSRF key.
        let sig = services.identity.sign(b"atalaya-web-csrf-key-v1");
        let key: [u8; 32] = Sha256::digest(sig.to_bytes()).into();
        let https = services.config.incidents.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
        WebState { services, csrf_key: Arc::new(key), https }
    }

    /// The CSRF token of a session (or of a pre-login cookie value).
    pub fn csrf_for(&self, secret: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.csrf_key[..]) else { return String::new() };
        mac.update(atalaya_services::auth::token_hash(secret).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn csrf_ok(&self, secret: &str, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        let want = self.csrf_for(secret);
        !given.is_empty() && want.as_bytes().ct_eq(given.as_bytes()).into()
    }

    fn cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
        let mut c = format!("{name}={value}; Path=/ui; HttpOnly; SameSite=Strict");
        if let Some(a) = max_age {
            c.push_str(&format!("; Max-Age={a}"));
        }
        if self.https {
            c.push_str("; Secure");
        }
        HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("x=; Path=/ui"))
    }
}

/// The routes of the web interface (`/`, `/ui/…`), with their own state inside; mergeable into
/// a router of any state (the API merges it into its own).
pub fn router<S: Clone + Send + Sync + 'static>(services: Services) -> Router<S> {
    let state = WebState::new(services);
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(pages::dashboard::handler))
        .route("/ui/static/style.css", get(style))
        .route("/ui/static/app.js", get(script))
        .route("/ui/lang", get(set_language))
        .route("/ui/login", get(pages::login::form).post(pages::login::submit))
        .route("/ui/logout", post(pages::login::logout))
        .route("/ui/intel", get(pages::intel::search))
        .route("/ui/intel/object", get(pages::intel::object))
        .route("/ui/intel/import", get(pages::intel::import_form).post(pages::intel::import_submit))
        .route("/ui/incidents", get(pages::incidents::list))
        .route("/ui/incidents/new", get(pages::incidents::new_form).post(pages::incidents::create))
        .route("/ui/incidents/{id}", get(pages::incidents::show))
        .route("/ui/incidents/{id}/route", post(pages::incidents::route))
        .route("/ui/incidents/{id}/notify", post(pages::incidents::notify))
        .route("/ui/incidents/{id}/status", post(pages::incidents::status))
        .route("/ui/incidents/{id}/note", post(pages::incidents::note))
        .route("/ui/directory", get(pages::directory::list))
        .route("/ui/directory/{id}", get(pages::directory::show))
        .route("/ui/peers", get(pages::other::peers))
        .route("/ui/audit", get(pages::other::audit))
        .route("/ui/evidence", get(pages::other::evidence_list))
        .route("/ui/evidence/{id}", get(pages::other::evidence_show))
        .route("/ui/{*rest}", get(pages::not_found))
        .layer(axum::middleware::from_fn_with_state(state.clone(), secure_headers))
        .with_state(state)
}

async fn secure_headers(
    axum::extract::State(st): axum::extract::State<WebState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if st.https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

const STYLE: &str = include_str!("../static/style.css");
const SCRIPT: &str = include_str!("../static/app.js");

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLE).into_response()
}

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], SCRIPT).into_response()
}

#[derive(serde::Deserialize)]
struct LangQuery {
    l: String,
    #[serde(default)]
    next: Option<String>,
}

/// The language picker: remembers the choice in a cookie (a preference, not a change of data,
/// hence a GET) and returns to the page.
async fn set_language(axum::extract::State(st): axum::extract::State<WebState>, axum::extract::Query(q): axum::extract::Query<LangQuery>) -> Response {
    let lang = Lang::from_code(&q.l).unwrap_or(Lang::En);
    let next = safe_next(q.next.as_deref());
    let mut res = Redirect::to(&next).into_response();
    res.headers_mut().append(header::SET_COOKIE, st.cookie(LANG_COOKIE, lang.code(), Some(365 * 86400)));
    res
}

/// Only local paths under `/ui/` are followed after login or a language change.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/ui/") && !n.starts_with("//") && !n.contains("\\") && !n.contains("://") => n.to_string(),
        _ => "/ui/".to_string(),
    }
}

pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The language of a request: cookie, then `Accept-Language`.
pub struct Language(pub L);

impl<S: Send + Sync> FromRequestParts<S> for Language {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Language(L(lang_of(&parts.headers))))
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::negotiate(cookie_value(headers, LANG_COOKIE), headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// A signed-in user: the request's context for the services, its language and CSRF token.
/// Without a valid session the page redirects to the login form (and back afterwards).
pub struct Session {
    pub ctx: Ctx,
    pub l: L,
    pub csrf: String,
    pub token: String,
    pub path: String,
}

impl Session {
    pub fn principal(&self) -> Option<&atalaya_policy::Principal> {
        self.ctx.subject.principal()
    }
}

pub struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        let target = format!("/ui/login?next={}", pages::urlencode(&self.0));
        Redirect::to(&target).into_response()
    }
}

impl FromRequestParts<WebState> for Session {
    type Rejection = ToLogin;
    async fn from_request_parts(parts: &mut Parts, st: &WebState) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/ui/".into());
        let back = if parts.method == axum::http::Method::GET { path.clone() } else { "/ui/".to_string() };
        let source = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.to_string()).unwrap_or_else(|| "unknown".into());
        let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE).map(str::to_string) else { return Err(ToLogin(back)) };
        let p = st.services.authenticate_token(&token).await.map_err(|_| ToLogin(back))?;
        Ok(Session {
            ctx: Ctx { subject: Subject::User(p), source: format!("{source} (web)") },
            l: L(lang_of(&parts.headers)),
            csrf: st.csrf_for(&token),
            token,
            path,
        })
    }
}

/// A service error as a page (status and message in the user's language).
pub(crate) fn error_page(l: &L, s: Option<&Session>, e: &ServiceError) -> Response {
    use fluent_bundle::FluentValue;
    let (status, msg) = match e {
        ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, l.t("error-not-found")),
        ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, l.t("error-forbidden")),
        ServiceError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, l.t("session-expired")),
        ServiceError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, l.t("login-throttled")),
        ServiceError::Invalid(_) => {
            let text = e
                .fields()
                .iter()
                .map(|f| l.tf("error-invalid", &[("field", FluentValue::from(f.field.clone())), ("reason", FluentValue::from(f.reason.clone()))]))
                .collect::<Vec<_>>()
                .join(" ");
            (StatusCode::UNPROCESSABLE_ENTITY, text)
        }
        ServiceError::Conflict { field, reason } => (
            StatusCode::CONFLICT,
            l.tf("error-conflict", &[("field", FluentValue::from(field.clone())), ("reason", FluentValue::from(reason.clone()))]),
        ),
        ServiceError::Unavailable(_) | ServiceError::StorageFull(_) => (StatusCode::SERVICE_UNAVAILABLE, l.t("error-unavailable")),
        ServiceError::Internal(m) | ServiceError::Remote(m) => {
            tracing::error!(error = %m, "web: service error");
            (StatusCode::INTERNAL_SERVER_ERROR, l.t("error-internal"))
        }
    };
    layout::message_page(l, s, status, &l.t("error-title"), &msg)
}
