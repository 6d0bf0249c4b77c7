use super::Errors;
use crate::extract::{ApiQuery, Caller, JsonBody};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::misp::MispImportReport;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct MispImportQuery {
    /// Refuse events, attributes and objects without a valid uuid (default: derive one and warn).
    pub strict: Option<bool>,
}

/// Imports MISP events (`{"Event": …}`, a bare event, a list of them or a MISP search answer
/// `{"response": [...]}`) as STIX 2.1. The whole body is read first: a malformed document or
/// event (unknown attribute type, missing uuid with `strict`, broken reference…) is refused with
/// the JSON path at fault and nothing is written. Each event is then stored all or nothing.
#[utoipa::path(post, path = "/api/v1/misp/events", tag = "intel", security(("bearer" = [])), params(MispImportQuery),
    request_body(content = Object, content_type = "application/json", description = "MISP event(s)"),
    responses((status = 200, body = MispImportReport), Errors))]
pub async fn import_events(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(q): ApiQuery<MispImportQuery>, JsonBody(bytes): JsonBody) -> Result<Json<MispImportReport>, ApiError> {
    let opts = atalaya_misp::ParseOptions { strict: q.strict.unwrap_or(false) };
    let events = atalaya_misp::parse_document(&bytes, &opts).map_err(|e| {
        let status = if e.field == "JSON" { StatusCode::BAD_REQUEST } else { StatusCode::UNPROCESSABLE_ENTITY };
        ApiError::field(status, if status == StatusCode::BAD_REQUEST { "malformed-json" } else { "validation" }, e.field, e.reason)
    })?;
    let mut report = MispImportReport::default();
    for p in &events {
        let (outcome, stix) = st.services.misp_import_event(&ctx, p, None).await?;
        report.add(outcome, stix);
    }
    Ok(Json(report))
}

/// The caller's MISP feed manifest (event uuid → summary with `timestamp`): what a MISP instance
/// configured with this node as a feed pulls first. Anonymous callers get TLP:CLEAR only.
#[utoipa::path(get, path = "/misp/feed/manifest.json", tag = "intel",
    responses((status = 200, description = "MISP feed manifest", content_type = "application/json"), Errors))]
pub async fn manifest(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Response, ApiError> {
    let (m, _) = st.services.misp_feed_index(&ctx).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], serde_json::to_vec(&m).unwrap_or_default()).into_response())
}

/// `md5(value),event uuid` for every attribute value of the caller's MISP feed.
#[utoipa::path(get, path = "/misp/feed/hashes.csv", tag = "intel",
    responses((status = 200, description = "MISP feed hashes", content_type = "text/csv"), Errors))]
pub async fn hashes(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Response, ApiError> {
    let (_, lines) = st.services.misp_feed_index(&ctx).await?;
    let mut body = lines.join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response())
}

/// One event of the caller's MISP feed, `{"Event": …}`.
#[utoipa::path(get, path = "/misp/feed/{file}", tag = "intel",
    params(("file" = String, Path, description = "`<event uuid>.json`")),
    responses((status = 200, description = "MISP event", content_type = "application/json"), Errors))]
pub async fn event(State(st): State<AppState>, Caller(ctx): Caller, Path(file): Path<String>) -> Result<Response, ApiError> {
    let raw = file.strip_suffix(".json").ok_or_else(|| ApiError::field(StatusCode::NOT_FOUND, "not-found", "file", format!("'{file}' is not <event uuid>.json")))?;
    let uuid = crate::extract::path_id(raw, "file")?;
    let e = st.services.misp_feed_event(&ctx, uuid).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], serde_json::to_vec(&e).unwrap_or_default()).into_response())
}
