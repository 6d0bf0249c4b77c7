//! RFC 9457 problem details. This is the one place where errors become HTTP statuses.
use atalaya_model::FieldError;
use atalaya_services::ServiceError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The body of every error answer of the REST API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:atalaya:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The first offending field, as a JSON path (`constituency.prefixes[1]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every offending field with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub slug: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, slug: &'static str, detail: impl Into<String>) -> Self {
        ApiError { status, slug, detail: detail.into(), errors: vec![], retry_after: None }
    }
    /// A 4xx naming one field.
    pub fn field(status: StatusCode, slug: &'static str, field: impl Into<String>, reason: impl Into<String>) -> Self {
        let f = FieldError::new(field, reason);
        ApiError { status, slug, detail: f.to_string(), errors: vec![f], retry_after: None }
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", what)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let errors = e.fields();
        let (status, slug) = match &e {
            ServiceError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
            ServiceError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found"),
            ServiceError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ServiceError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate-limited"),
            ServiceError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ServiceError::StorageFull(_) => (StatusCode::INSUFFICIENT_STORAGE, "storage-full"),
            ServiceError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ServiceError::Remote(_) => (StatusCode::BAD_GATEWAY, "remote"),
        };
        let detail = match &e {
            ServiceError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                "internal error; the node's log has the details".to_string()
            }
            ServiceError::Unavailable(m) => {
                tracing::error!(error = %m, "storage unavailable");
                "the node's database is unavailable; retry later".to_string()
            }
            ServiceError::StorageFull(m) => {
                tracing::error!(error = %m, "storage full or read-only");
                "the node's storage is full or read-only: nothing was written; writes resume when an operator frees space (reads still work)".to_string()
            }
            ServiceError::Invalid(v) => v.to_string(),
            other => other.to_string(),
        };
        let retry_after = match e {
            ServiceError::RateLimited { retry_after_secs } => Some(retry_after_secs),
            _ => None,
        };
        ApiError { status, slug, detail, errors, retry_after }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!("urn:atalaya:problem:{}", self.slug),
            title: self.status.canonical_reason().unwrap_or("Error").to_string(),
            status: self.status.as_u16(),
            detail: self.detail,
            field: self.errors.first().map(|e| e.field.clone()),
            errors: self.errors,
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (self.status, json).into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"atalaya\""));
        }
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                h.insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

/// A refusal of the federation protocol (docs/federation.md §14): problem+json with `code`
/// (and `field` for `malformed`, `supported` for `unsupported_version`).
pub fn federation_error(e: atalaya_services::federation::InboxError) -> Response {
    use atalaya_federation::FedError;
    use atalaya_services::federation::InboxError;
    let (status, code, field, supported, retry_after) = match &e {
        InboxError::Fed(f) => {
            let field = match f {
                FedError::Malformed { field, .. } => Some(field.clone()),
                _ => None,
            };
            let supported = matches!(f, FedError::UnsupportedVersion { .. }).then(|| vec![atalaya_federation::PROTOCOL_VERSION]);
            (f.http_status(), f.code(), field, supported, None)
        }
        InboxError::Busy { retry_after_secs } => (429, "busy", None, None, Some(*retry_after_secs)),
        InboxError::TooLarge(_) => (413, "too_large", None, None, None),
        InboxError::Internal(m) => {
            tracing::error!(error = %m, "federation: internal error");
            (500, "internal", None, None, None)
        }
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let detail = match &e {
        InboxError::Internal(_) => "internal error; retry later".to_string(),
        other => other.to_string(),
    };
    let mut body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "code": code,
        "detail": detail,
    });
    if let Some(f) = field {
        body["field"] = serde_json::Value::String(f);
    }
    if let Some(s) = supported {
        body["supported"] = serde_json::json!(s);
    }
    let mut resp = (status, serde_json::to_vec(&body).unwrap_or_default()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if let Some(s) = retry_after {
        if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
            h.insert(header::RETRY_AFTER, v);
        }
    }
    resp
}
