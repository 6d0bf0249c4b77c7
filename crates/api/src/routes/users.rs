use super::Errors;
use crate::extract::{path_id, ApiJson, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_model::user::User;
use atalaya_services::users::{NewUser, PasswordChange, UserPatch};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserFilter {
    /// Organisation id (default: the caller's).
    pub organisation_id: Option<uuid::Uuid>,
}

/// Accounts of an organisation (its administrators).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserFilter),
    responses((status = 200, body = Vec<User>), Errors))]
pub async fn list_users(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(f): ApiQuery<UserFilter>) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(st.services.list_users(&ctx, f.organisation_id).await?))
}

/// Creates an account in an organisation.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = NewUser,
    responses((status = 201, body = User), Errors))]
pub async fn create_user(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(input): ApiJson<NewUser>) -> Result<(StatusCode, Json<User>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.create_user(&ctx, input).await?)))
}

/// One account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")), responses((status = 200, body = User), Errors))]
pub async fn get_user(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<User>, ApiError> {
    Ok(Json(st.services.get_user(&ctx, path_id(&id, "id")?).await?))
}

/// Changes role, display name or disabled state.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")), request_body = UserPatch,
    responses((status = 200, body = User), Errors))]
pub async fn update_user(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(p): ApiJson<UserPatch>) -> Result<Json<User>, ApiError> {
    Ok(Json(st.services.update_user(&ctx, path_id(&id, "id")?, p).await?))
}

/// Sets a password (own: with the current one; admins: for their users).
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")), request_body = PasswordChange,
    responses((status = 204, description = "Password set"), Errors))]
pub async fn set_password(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(p): ApiJson<PasswordChange>) -> Result<StatusCode, ApiError> {
    st.services.set_password(&ctx, path_id(&id, "id")?, p).await?;
    Ok(StatusCode::NO_CONTENT)
}
