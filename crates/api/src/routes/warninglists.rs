use super::Errors;
use crate::extract::{ApiJson, Caller, JsonBody};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::correlate::WarninglistInfo;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

/// Warninglists of this node (MISP format), enabled or not.
#[utoipa::path(get, path = "/api/v1/warninglists", tag = "intel", security(("bearer" = [])),
    responses((status = 200, body = Vec<WarninglistInfo>), Errors))]
pub async fn list(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<Vec<WarninglistInfo>>, ApiError> {
    Ok(Json(st.services.list_warninglists(&ctx).await?))
}

/// Adds (or replaces) a warninglist given in MISP's `list.json` format (node administrators).
#[utoipa::path(post, path = "/api/v1/warninglists", tag = "intel", security(("bearer" = [])),
    request_body(content = Object, content_type = "application/json", description = "A MISP warninglist"),
    responses((status = 201, body = WarninglistInfo), Errors))]
pub async fn put(State(st): State<AppState>, Caller(ctx): Caller, JsonBody(bytes): JsonBody) -> Result<(StatusCode, Json<WarninglistInfo>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.put_warninglist(&ctx, &bytes).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    pub enabled: bool,
}

/// Enables or disables a warninglist (node administrators).
#[utoipa::path(patch, path = "/api/v1/warninglists/{name}", tag = "intel", security(("bearer" = [])),
    params(("name" = String, Path, description = "List name")), request_body = Toggle,
    responses((status = 204, description = "Changed"), Errors))]
pub async fn toggle(State(st): State<AppState>, Caller(ctx): Caller, Path(name): Path<String>, ApiJson(t): ApiJson<Toggle>) -> Result<StatusCode, ApiError> {
    st.services.set_warninglist_enabled(&ctx, &name, t.enabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a warninglist (node administrators).
#[utoipa::path(delete, path = "/api/v1/warninglists/{name}", tag = "intel", security(("bearer" = [])),
    params(("name" = String, Path, description = "List name")),
    responses((status = 204, description = "Removed"), Errors))]
pub async fn remove(State(st): State<AppState>, Caller(ctx): Caller, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    st.services.delete_warninglist(&ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
