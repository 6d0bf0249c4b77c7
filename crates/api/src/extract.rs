//! Request extractors that turn every malformed input into a problem naming the field.
use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::Ctx;
use atalaya_policy::Subject;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use base64::Engine;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// A JSON body: `Content-Type: application/json` required; syntax errors → 400, type and
/// value errors → 422 naming the JSON path; oversize → 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let JsonBody(bytes) = JsonBody::from_request(req, state).await?;
        if bytes.len() > state.limits.max_body_bytes {
            return Err(too_large());
        }
        parse_json(&bytes).map(ApiJson)
    }
}

fn too_large() -> ApiError {
    ApiError::field(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "body", "the request body is larger than this node accepts")
}

/// The raw bytes of a JSON body (`application/json` or any `application/…+json`), up to the
/// bundle limit; for endpoints that stream-parse large documents themselves.
pub struct JsonBody(pub Bytes);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json")) {
            return Err(ApiError::field(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Content-Type",
                format!("expected application/json, got '{ct}'"),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::field(StatusCode::BAD_REQUEST, "bad-request", "body", e.body_text())
            }
        })?;
        Ok(JsonBody(bytes))
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let reason = strip_position(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof | serde_json::error::Category::Io => {
                ApiError::field(StatusCode::BAD_REQUEST, "malformed-json", "body", format!("malformed JSON: {inner}"))
            }
            serde_json::error::Category::Data => {
                let field = if path == "." { missing_field(&reason).unwrap_or_else(|| "body".into()) } else { path };
                ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "validation", field, reason)
            }
        }
    })
}

/// serde says "missing field `country`" at the parent path; name the field itself.
fn missing_field(reason: &str) -> Option<String> {
    let rest = reason.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Query parameters, with errors naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let reason = e.into_inner().to_string();
            let field = if path == "." { missing_field(&reason).unwrap_or_else(|| "query".into()) } else { path };
            ApiError::field(StatusCode::BAD_REQUEST, "bad-query", field, reason)
        })
    }
}

/// A UUID path segment; a malformed one is a 404 naming the parameter.
pub fn path_id(raw: &str, name: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw).map_err(|_| ApiError::field(StatusCode::NOT_FOUND, "not-found", name, format!("'{raw}' is not a valid id")))
}

/// Who is calling: resolved from `Authorization: Bearer TOKEN` (or HTTP Basic with a token as
/// password). No header → anonymous; a bad credential → 401 at once.
pub struct Caller(pub Ctx);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let source = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.to_string())
            .unwrap_or_else(|| "unknown".into());
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Caller(Ctx { subject: Subject::Anonymous, source }));
        };
        let value = value.to_str().map_err(|_| unauth("the Authorization header is not ASCII"))?;
        let (scheme, cred) = value.split_once(' ').ok_or_else(|| unauth("expected 'Authorization: Bearer TOKEN'"))?;
        let token = match scheme.to_ascii_lowercase().as_str() {
            "bearer" => cred.trim().to_string(),
            "basic" => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(cred.trim())
                    .map_err(|_| unauth("malformed Basic credentials"))?;
                let text = String::from_utf8(raw).map_err(|_| unauth("malformed Basic credentials"))?;
                let (_, pw) = text.split_once(':').ok_or_else(|| unauth("malformed Basic credentials"))?;
                pw.to_string()
            }
            _ => return Err(unauth("unsupported authorization scheme; use Bearer")),
        };
        let p = state.services.authenticate_token(&token).await.map_err(ApiError::from)?;
        Ok(Caller(Ctx { subject: Subject::User(p), source }))
    }
}

fn unauth(msg: &str) -> ApiError {
    ApiError::field(StatusCode::UNAUTHORIZED, "unauthenticated", "Authorization", msg)
}

/// Authentication before validation: a write (`POST`/`PUT`/`PATCH`/`DELETE`) to the REST API
/// without credentials is answered 401 before its path, headers or body are looked at, so an
/// anonymous caller learns nothing about the input rules and every write operation answers the
/// same way. (Policy never lets an anonymous subject write; only the login itself is exempt.)
/// A credential that is present is checked by [`Caller`] as usual.
pub async fn credentials_first(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::Method;
    use axum::response::IntoResponse;
    let write = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    let path = req.uri().path();
    if write && path.starts_with("/api/v1/") && path != "/api/v1/auth/login" && !req.headers().contains_key(header::AUTHORIZATION) {
        return unauth("authentication required: send 'Authorization: Bearer TOKEN'").into_response();
    }
    next.run(req).await
}
