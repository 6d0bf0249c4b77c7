use super::Errors;
use crate::extract::{path_id, ApiJson, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::evidence::{CustodyReport, Evidence, HandOver, NewEvidence};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use futures_util::TryStreamExt;
use serde::Deserialize;

/// Registers evidence: the request body is the content (any size, streamed to disk and hashed
/// with SHA-256 on the way); what it is goes in the query string. Answers the record with its
/// first custody step.
#[utoipa::path(post, path = "/api/v1/evidence", tag = "evidence", security(("bearer" = [])), params(NewEvidence),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The evidence content"),
    responses((status = 201, body = CustodyReport), Errors))]
pub async fn register(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(meta): ApiQuery<NewEvidence>, body: Body) -> Result<Response, ApiError> {
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream);
    let report = st.services.evidence_register(&ctx, meta, reader).await?;
    Ok((axum::http::StatusCode::CREATED, Json(report)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EvidenceFilter {
    /// Only the evidence of this incident case or assistance request.
    pub case_ref: Option<String>,
}

/// Evidence records the caller may see.
#[utoipa::path(get, path = "/api/v1/evidence", tag = "evidence", security(("bearer" = [])), params(EvidenceFilter),
    responses((status = 200, body = Vec<Evidence>), Errors))]
pub async fn list(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(f): ApiQuery<EvidenceFilter>) -> Result<Json<Vec<Evidence>>, ApiError> {
    Ok(Json(st.services.evidence_list(&ctx, f.case_ref.as_deref()).await?))
}

/// One record with its whole chain of custody (the custody report, as JSON). Audited.
#[utoipa::path(get, path = "/api/v1/evidence/{id}", tag = "evidence", security(("bearer" = [])),
    params(("id" = String, Path, description = "Evidence id (UUID)")),
    responses((status = 200, body = CustodyReport), Errors))]
pub async fn report(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<CustodyReport>, ApiError> {
    Ok(Json(st.services.evidence_report(&ctx, path_id(&id, "id")?).await?))
}

/// The custody report as a printable HTML page. Audited.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/report.html", tag = "evidence", security(("bearer" = [])),
    params(("id" = String, Path, description = "Evidence id (UUID)")),
    responses((status = 200, content_type = "text/html", body = String), Errors))]
pub async fn report_html(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let r = st.services.evidence_report(&ctx, path_id(&id, "id")?).await?;
    let html = atalaya_services::evidence::report_html(&r);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")),
        ],
        html,
    )
        .into_response())
}

/// The content, streamed, with its recorded SHA-256 in `Repr-Digest` (RFC 9530). Audited.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/content", tag = "evidence", security(("bearer" = [])),
    params(("id" = String, Path, description = "Evidence id (UUID)")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), Errors))]
pub async fn content(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let (e, file) = st.services.evidence_content(&ctx, path_id(&id, "id")?).await?;
    let digest = hex::decode(&e.sha256).map(|d| base64::engine::general_purpose::STANDARD.encode(d)).unwrap_or_default();
    let mut res = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&e.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(e.size.max(0) as u64));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    if let Ok(v) = HeaderValue::from_str(&format!("sha-256=:{digest}:")) {
        h.insert("repr-digest", v);
    }
    Ok(res)
}

/// Records a step in the chain of custody (transfer, release, dispose, check). The stored
/// content is re-hashed first and compared with the record and with the digest the receiver
/// states; a mismatch is recorded and answered 409.
#[utoipa::path(post, path = "/api/v1/evidence/{id}/custody", tag = "evidence", security(("bearer" = [])),
    params(("id" = String, Path, description = "Evidence id (UUID)")), request_body = HandOver,
    responses((status = 200, body = CustodyReport), Errors))]
pub async fn hand_over(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(h): ApiJson<HandOver>) -> Result<Json<CustodyReport>, ApiError> {
    Ok(Json(st.services.evidence_hand_over(&ctx, path_id(&id, "id")?, h).await?))
}
