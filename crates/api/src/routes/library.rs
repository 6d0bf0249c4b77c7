use super::Errors;
use crate::extract::{path_id, ApiJson, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::library::{LibraryItem, LibraryQuery, NewLibraryItem};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Library items the caller may read; full-text search over every language version (`q`),
/// by category, stale ones only (`stale=true`).
#[utoipa::path(get, path = "/api/v1/library", tag = "library", security(("bearer" = [])), params(LibraryQuery),
    responses((status = 200, body = Vec<LibraryItem>), Errors))]
pub async fn list(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(q): ApiQuery<LibraryQuery>) -> Result<Json<Vec<LibraryItem>>, ApiError> {
    Ok(Json(st.services.library_list(&ctx, &q).await?))
}

/// Adds a document, playbook or training material (language versions, TLP, review date).
#[utoipa::path(post, path = "/api/v1/library", tag = "library", security(("bearer" = [])), request_body = NewLibraryItem,
    responses((status = 201, body = LibraryItem), Errors))]
pub async fn add(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(n): ApiJson<NewLibraryItem>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.library_add(&ctx, n).await?)).into_response())
}

/// One library item.
#[utoipa::path(get, path = "/api/v1/library/{id}", tag = "library", security(("bearer" = [])),
    params(("id" = String, Path, description = "Item id (UUID)")), responses((status = 200, body = LibraryItem), Errors))]
pub async fn get(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<LibraryItem>, ApiError> {
    Ok(Json(st.services.library_get(&ctx, path_id(&id, "id")?).await?))
}
