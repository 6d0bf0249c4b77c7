use super::Errors;
use crate::extract::{path_id, ApiJson, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::cbm::{CbmEntry, CbmReference, NewDesignation, NewImplementationReport, NewNormReport, NewPolicy};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CbmFilter {
    /// ISO 3166-1 alpha-2 state.
    pub state: Option<String>,
    /// `policy`, `designation`, `implementation` or `norm`.
    pub kind: Option<String>,
}

/// Registry entries the caller may read (without login: the public ones).
#[utoipa::path(get, path = "/api/v1/cbm", tag = "cbm", params(CbmFilter), responses((status = 200, body = Vec<CbmEntry>), Errors))]
pub async fn list(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(f): ApiQuery<CbmFilter>) -> Result<Json<Vec<CbmEntry>>, ApiError> {
    Ok(Json(st.services.cbm_list(&ctx, f.state.as_deref(), f.kind.as_deref()).await?))
}

/// The OAS CBMs and the 11 norms of the UN GGE 2015 report, with short titles.
#[utoipa::path(get, path = "/api/v1/cbm/reference", tag = "cbm", responses((status = 200, body = CbmReference)))]
pub async fn reference() -> Json<CbmReference> {
    Json(atalaya_services::cbm::reference())
}

/// Registers a national cyber policy or strategy (CBM 1) with its language versions.
#[utoipa::path(post, path = "/api/v1/cbm/policies", tag = "cbm", security(("bearer" = [])), request_body = NewPolicy,
    responses((status = 201, body = CbmEntry), Errors))]
pub async fn add_policy(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(p): ApiJson<NewPolicy>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.cbm_add_policy(&ctx, p).await?)).into_response())
}

/// Nominates a policy-level (CBM 2) or foreign-affairs (CBM 3) point of contact. Only the
/// state's national point of contact may.
#[utoipa::path(post, path = "/api/v1/cbm/designations", tag = "cbm", security(("bearer" = [])), request_body = NewDesignation,
    responses((status = 201, body = CbmEntry), Errors))]
pub async fn designate(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(d): ApiJson<NewDesignation>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.cbm_designate(&ctx, d).await?)).into_response())
}

/// A report on the implementation of one OAS CBM.
#[utoipa::path(post, path = "/api/v1/cbm/implementation-reports", tag = "cbm", security(("bearer" = [])), request_body = NewImplementationReport,
    responses((status = 201, body = CbmEntry), Errors))]
pub async fn report_implementation(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(r): ApiJson<NewImplementationReport>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.cbm_report_implementation(&ctx, r).await?)).into_response())
}

/// A voluntary report on one norm (a–k) of the UN GGE 2015 report.
#[utoipa::path(post, path = "/api/v1/cbm/norm-reports", tag = "cbm", security(("bearer" = [])), request_body = NewNormReport,
    responses((status = 201, body = CbmEntry), Errors))]
pub async fn report_norm(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(r): ApiJson<NewNormReport>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.cbm_report_norm(&ctx, r).await?)).into_response())
}

/// Removes an entry (e.g. withdraws a nomination); it stays on record.
#[utoipa::path(delete, path = "/api/v1/cbm/{id}", tag = "cbm", security(("bearer" = [])),
    params(("id" = String, Path, description = "Entry id (UUID)")), responses((status = 204, description = "Removed"), Errors))]
pub async fn remove(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    st.services.cbm_remove(&ctx, path_id(&id, "id")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
