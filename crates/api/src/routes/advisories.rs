use super::Errors;
use crate::extract::{path_id, ApiJson, ApiQuery, Caller, JsonBody};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_csaf::author::AuthorInput;
use atalaya_model::Tlp;
use atalaya_services::advisories::{Advisory, AdvisoryQuery, ImportResult, RevisionInput};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// TLP for a document that states none (default: the node's default TLP) or to override it.
    pub tlp: Option<String>,
}

/// Imports a CSAF 2.0 document. It is validated (required fields and enumerations of the JSON
/// schema, the CSAF mandatory tests); each problem is named by JSON pointer and test number. A
/// newer version of a known advisory (same publisher namespace and tracking id) replaces it.
#[utoipa::path(post, path = "/api/v1/advisories", tag = "advisories", security(("bearer" = [])), params(ImportParams),
    request_body(content = Object, content_type = "application/json", description = "A CSAF 2.0 document"),
    responses((status = 201, body = ImportResult), (status = 200, body = ImportResult, description = "Already stored (unchanged) or a newer version stored"), Errors))]
pub async fn import(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(p): ApiQuery<ImportParams>, JsonBody(bytes): JsonBody) -> Result<Response, ApiError> {
    let tlp = match p.tlp.as_deref() {
        Some(t) => Some(t.parse::<Tlp>().map_err(|e| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "validation", "tlp", e))?),
        None => None,
    };
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        return Err(ApiError::field(StatusCode::BAD_REQUEST, "malformed-json", "/", format!("not valid JSON: {e} (json)")));
    }
    let r = st.services.advisory_import(&ctx, &bytes, tlp).await?;
    let status = if r.outcome == "created" { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(r)).into_response())
}

/// Writes a new CSAF 2.0 `csaf_security_advisory` from a simple input: publisher = this node's
/// home organisation, tracking id `ATALAYA-<COUNTRY>-<YEAR>-<NNNN>`, version 1.
#[utoipa::path(post, path = "/api/v1/advisories/author", tag = "advisories", security(("bearer" = [])), request_body = AuthorInput,
    responses((status = 201, body = Advisory), Errors))]
pub async fn author(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(input): ApiJson<AuthorInput>) -> Result<Response, ApiError> {
    let a = st.services.advisory_author(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// Advisories the caller may read, newest release first; filters by vendor, product, CVE,
/// sector, TLP and text.
#[utoipa::path(get, path = "/api/v1/advisories", tag = "advisories", security(("bearer" = [])), params(AdvisoryQuery),
    responses((status = 200, body = Vec<Advisory>), Errors))]
pub async fn list(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(q): ApiQuery<AdvisoryQuery>) -> Result<Json<Vec<Advisory>>, ApiError> {
    Ok(Json(st.services.advisory_list(&ctx, &q).await?))
}

/// One advisory (what Atalaya read out of it, its links and versions).
#[utoipa::path(get, path = "/api/v1/advisories/{id}", tag = "advisories", security(("bearer" = [])),
    params(("id" = String, Path, description = "Advisory id (UUID)")), responses((status = 200, body = Advisory), Errors))]
pub async fn get(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Advisory>, ApiError> {
    Ok(Json(st.services.advisory_get(&ctx, path_id(&id, "id")?).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VersionParams {
    /// An earlier stored version (default: the current one).
    pub version: Option<String>,
}

/// The CSAF 2.0 document, exactly as imported or authored.
#[utoipa::path(get, path = "/api/v1/advisories/{id}/csaf", tag = "advisories", security(("bearer" = [])),
    params(("id" = String, Path, description = "Advisory id (UUID)"), VersionParams),
    responses((status = 200, content_type = "application/json", body = Object, description = "The CSAF document"), Errors))]
pub async fn csaf(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiQuery(v): ApiQuery<VersionParams>) -> Result<Response, ApiError> {
    let doc = st.services.advisory_document(&ctx, path_id(&id, "id")?, v.version.as_deref()).await?;
    let name = doc
        .pointer("/document/tracking/id")
        .and_then(|x| x.as_str())
        .map(|t| t.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '_' }).collect::<String>())
        .unwrap_or_else(|| "advisory".into());
    let mut res = Json(doc).into_response();
    if let Ok(h) = HeaderValue::from_str(&format!("inline; filename=\"{name}.json\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, h);
    }
    Ok(res)
}

/// A new revision of an advisory written on this node (version + 1, revision history entry).
#[utoipa::path(post, path = "/api/v1/advisories/{id}/revisions", tag = "advisories", security(("bearer" = [])),
    params(("id" = String, Path, description = "Advisory id (UUID)")), request_body = RevisionInput,
    responses((status = 200, body = Advisory), Errors))]
pub async fn revise(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(input): ApiJson<RevisionInput>) -> Result<Json<Advisory>, ApiError> {
    Ok(Json(st.services.advisory_revise(&ctx, path_id(&id, "id")?, input).await?))
}
