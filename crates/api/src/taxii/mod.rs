//! TAXII 2.1 server (OASIS TAXII 2.1) under `/taxii2/`, with one API root `/taxii2/api/`.
//!
//! Thin like the REST handlers: negotiate the media type, authenticate (HTTP Basic with a user
//! name and password or with an API token, or `Bearer atl_…`), parse the filters naming the
//! offending parameter, call one service, and write the answer — stored object JSON is copied
//! into the envelope without being parsed. Errors are TAXII error messages. The operator's
//! collection definitions and remote feeds are managed under `/api/v1/taxii/` (REST, documented in
//! the OpenAPI document: `crate::routes::taxii_admin`).
mod handlers;

use crate::AppState;
use atalaya_services::taxii::VersionSel;
use atalaya_services::{Ctx, ServiceError};
use atalaya_policy::Subject;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, MethodRouter};
use axum::Router;
use base64::Engine;
use serde::Serialize;
use std::net::SocketAddr;

/// The media type of every TAXII answer (taxii2-client compares it token by token).
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// The path of the one API root.
pub const API_ROOT: &str = "/taxii2/api/";

/// The TAXII routes and the REST routes managing collection definitions.
pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    // Every TAXII URL answers with and without its trailing slash (taxii2-client asks for
    // `status/{id}` without one).
    let mut both = |path: &str, m: MethodRouter<AppState>| {
        let m = m.fallback(handlers::method_not_allowed);
        let trimmed = path.trim_end_matches('/').to_string();
        r = std::mem::take(&mut r).route(&format!("{trimmed}/"), m.clone()).route(&trimmed, m);
    };
    both("/taxii2/", get(handlers::discovery));
    both("/taxii2/api/", get(handlers::api_root));
    both("/taxii2/api/status/{status_id}/", get(handlers::status));
    both("/taxii2/api/collections/", get(handlers::collections));
    both("/taxii2/api/collections/{collection_id}/", get(handlers::collection));
    both("/taxii2/api/collections/{collection_id}/objects/", get(handlers::get_objects).post(handlers::add_objects));
    both("/taxii2/api/collections/{collection_id}/objects/{object_id}/", get(handlers::get_object).delete(handlers::delete_object));
    both("/taxii2/api/collections/{collection_id}/objects/{object_id}/versions/", get(handlers::object_versions));
    both("/taxii2/api/collections/{collection_id}/manifest/", get(handlers::manifest));
    r.route("/taxii2/{*rest}", any(handlers::not_found))
}

/// A TAXII error message (TAXII 2.1 §3.6.1).
#[derive(Debug)]
pub struct TaxiiError {
    pub status: StatusCode,
    pub title: String,
    pub description: String,
    /// The offending query parameter or header, when there is one.
    pub parameter: Option<String>,
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    title: &'a str,
    description: &'a str,
    error_code: &'a str,
    http_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<serde_json::Value>,
}

impl TaxiiError {
    pub fn new(status: StatusCode, title: impl Into<String>, description: impl Into<String>) -> Self {
        TaxiiError { status, title: title.into(), description: description.into(), parameter: None, retry_after: None }
    }

    /// A 400 naming the query parameter.
    pub fn bad_param(param: &str, reason: impl std::fmt::Display) -> Self {
        TaxiiError {
            status: StatusCode::BAD_REQUEST,
            title: format!("Bad parameter {param}"),
            description: format!("{param}: {reason}"),
            parameter: Some(param.to_string()),
            retry_after: None,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        TaxiiError::new(StatusCode::NOT_FOUND, "Not found", what)
    }
}

impl From<ServiceError> for TaxiiError {
    /// Statuses and messages come from the one mapping in `problem.rs`; only the envelope differs.
    fn from(e: ServiceError) -> Self {
        let p = crate::problem::ApiError::from(e);
        TaxiiError {
            status: p.status,
            title: p.status.canonical_reason().unwrap_or("Error").into(),
            description: p.detail,
            parameter: p.errors.first().map(|f| f.field.clone()),
            retry_after: p.retry_after,
        }
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let code = self.status.canonical_reason().unwrap_or("error").to_ascii_lowercase().replace(' ', "-");
        let body = ErrorBody {
            title: &self.title,
            description: &self.description,
            error_code: &code,
            http_status: self.status.as_u16().to_string(),
            details: self.parameter.as_ref().map(|p| serde_json::json!({"parameter": p})),
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (self.status, json).into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_MEDIA_TYPE));
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"atalaya\""));
        }
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                h.insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

/// `type/subtype` and the parameters of one media type (lower-cased names, unquoted values).
fn media_type(raw: &str) -> (String, Vec<(String, String)>) {
    let mut parts = raw.split(';');
    let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
        .collect();
    (mime, params)
}

/// Accept: absent, `*/*`, `application/*`, `application/taxii+json` or
/// `application/taxii+json;version=2.1` (any of a list, unless q=0).
fn accepts_taxii(headers: &HeaderMap) -> bool {
    let values: Vec<&HeaderValue> = headers.get_all(header::ACCEPT).iter().collect();
    if values.is_empty() {
        return true;
    }
    values.iter().any(|v| {
        let Ok(s) = v.to_str() else { return false };
        if s.trim().is_empty() {
            return true;
        }
        s.split(',').any(|range| {
            let (mime, params) = media_type(range);
            let q_zero = params.iter().any(|(k, v)| k == "q" && v.parse::<f32>().is_ok_and(|q| q <= 0.0));
            let version_ok = params.iter().all(|(k, v)| k != "version" || v == "2.1");
            !q_zero && match mime.as_str() {
                "*/*" | "application/*" => true,
                "application/taxii+json" => version_ok,
                _ => false,
            }
        })
    })
}

/// POST bodies: `Content-Type: application/taxii+json;version=2.1`.
fn content_type_ok(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let raw = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (mime, params) = media_type(raw);
    let version = params.iter().find(|(k, _)| k == "version").map(|(_, v)| v.as_str());
    if mime == "application/taxii+json" && version == Some("2.1") {
        return Ok(());
    }
    let mut e = TaxiiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported media type",
        format!("Content-Type: expected {TAXII_MEDIA_TYPE}, got '{raw}'"),
    );
    e.parameter = Some("Content-Type".into());
    Err(e)
}

/// A TAXII request: the Accept header was acceptable and the caller is known (anonymous when
/// there are no credentials; bad credentials are a 401 at once).
pub struct Taxii(pub Ctx);

impl FromRequestParts<AppState> for Taxii {
    type Rejection = TaxiiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if !accepts_taxii(&parts.headers) {
            let got = parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let mut e = TaxiiError::new(StatusCode::NOT_ACCEPTABLE, "Not acceptable", format!("Accept: this server answers {TAXII_MEDIA_TYPE}, not '{got}'"));
            e.parameter = Some("Accept".into());
            return Err(e);
        }
        let source = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.to_string()).unwrap_or_else(|| "unknown".into());
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Taxii(Ctx { subject: Subject::Anonymous, source }));
        };
        let unauth = |m: &str| TaxiiError::new(StatusCode::UNAUTHORIZED, "Authentication required", m);
        let value = value.to_str().map_err(|_| unauth("the Authorization header is not ASCII"))?;
        let (scheme, cred) = value.split_once(' ').ok_or_else(|| unauth("expected HTTP Basic or 'Bearer TOKEN'"))?;
        let services = &state.services;
        let principal = match scheme.to_ascii_lowercase().as_str() {
            "bearer" => services.authenticate_token(cred.trim()).await?,
            "basic" => {
                let raw = base64::engine::general_purpose::STANDARD.decode(cred.trim()).map_err(|_| unauth("malformed Basic credentials"))?;
                let text = String::from_utf8(raw).map_err(|_| unauth("malformed Basic credentials"))?;
                let (user, pw) = text.split_once(':').ok_or_else(|| unauth("malformed Basic credentials"))?;
                // An API token as password (any user name), else the user's password.
                let by_token = if pw.starts_with(atalaya_services::auth::TOKEN_PREFIX) { services.authenticate_token(pw).await.ok() } else { None };
                match by_token {
                    Some(p) => p,
                    None => services.authenticate_password(user, pw, &source).await?,
                }
            }
            _ => return Err(unauth("unsupported authorization scheme; use Basic or Bearer")),
        };
        Ok(Taxii(Ctx { subject: Subject::User(principal), source }))
    }
}

/// The TAXII query parameters of one request.
#[derive(Debug, Default)]
pub struct Params {
    pub added_after: Option<i64>,
    pub limit: Option<usize>,
    pub next: Option<i64>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub versions: Vec<VersionSel>,
    pub spec_versions: Vec<String>,
}

/// Parses the query string; `allowed` lists the parameters this endpoint takes. Unknown,
/// repeated single-valued and malformed parameters are 400s naming the parameter.
pub fn parse_params(query: Option<&str>, allowed: &[&str]) -> Result<Params, TaxiiError> {
    let mut p = Params::default();
    let mut seen: Vec<String> = vec![];
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let k = k.to_string();
        if !allowed.contains(&k.as_str()) {
            return Err(TaxiiError::bad_param(&k, "this endpoint does not support this parameter"));
        }
        let single = matches!(k.as_str(), "added_after" | "limit" | "next");
        if single && seen.contains(&k) {
            return Err(TaxiiError::bad_param(&k, "given more than once"));
        }
        seen.push(k.clone());
        let list = || v.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect::<Vec<_>>();
        match k.as_str() {
            "added_after" => {
                p.added_after = Some(
                    atalaya_services::taxii::parse_timestamp(v.trim())
                        .ok_or_else(|| TaxiiError::bad_param("added_after", format!("'{v}' is not an RFC 3339 timestamp")))?,
                )
            }
            "limit" => {
                let n: usize = v.trim().parse().map_err(|_| TaxiiError::bad_param("limit", format!("'{v}' is not a positive integer")))?;
                if n == 0 {
                    return Err(TaxiiError::bad_param("limit", "must be at least 1"));
                }
                p.limit = Some(n);
            }
            "next" => {
                let n: i64 = v.trim().parse().ok().filter(|n| *n >= 0).ok_or_else(|| TaxiiError::bad_param("next", format!("'{v}' is not a cursor of this server")))?;
                p.next = Some(n);
            }
            "match[id]" => {
                let ids = list();
                if ids.is_empty() {
                    return Err(TaxiiError::bad_param(&k, "empty value"));
                }
                p.ids.extend(ids)
            }
            "match[type]" => {
                let types = list();
                if types.is_empty() {
                    return Err(TaxiiError::bad_param(&k, "empty value"));
                }
                p.types.extend(types)
            }
            "match[version]" => p.versions.extend(VersionSel::parse_list(&v).map_err(|e| TaxiiError::bad_param("match[version]", e))?),
            "match[spec_version]" => {
                let vs = list();
                if vs.is_empty() || !vs.iter().all(|s| s.split_once('.').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()))) {
                    return Err(TaxiiError::bad_param("match[spec_version]", format!("'{v}' is not a list of STIX versions like 2.1")));
                }
                p.spec_versions.extend(vs)
            }
            _ => return Err(TaxiiError::bad_param(&k, "this endpoint does not support this parameter")),
        }
    }
    Ok(p)
}

/// A TAXII answer with the TAXII media type.
pub fn taxii_response(status: StatusCode, body: String, extra: &[(HeaderName, String)]) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_MEDIA_TYPE));
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k.clone(), v);
        }
    }
    resp
}

/// A serialisable value as a TAXII answer.
pub fn taxii_json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(s) => taxii_response(status, s, &[]),
        Err(e) => TaxiiError::from(ServiceError::Internal(e.to_string())).into_response(),
    }
}
