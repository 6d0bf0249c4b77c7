use super::Errors;
use crate::extract::{path_id, ApiJson, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_model::user::{TokenInfo, User};
use atalaya_services::auth::{IssuedToken, LoginRequest, NewToken};
use atalaya_services::ServiceError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

/// Logs in with user name and password; answers a session token (shown once).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = IssuedToken), Errors))]
pub async fn login(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(req): ApiJson<LoginRequest>) -> Result<Json<IssuedToken>, ApiError> {
    Ok(Json(st.services.login(&ctx, req).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user: User,
    pub organisation_id: uuid::Uuid,
    pub home_organisation: bool,
}

/// Ends the session: revokes the token used for this request.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Token revoked"), Errors))]
pub async fn logout(State(st): State<AppState>, Caller(ctx): Caller, headers: axum::http::HeaderMap) -> Result<StatusCode, ApiError> {
    let raw = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let token = raw.split_once(' ').map(|(_, t)| t.trim()).unwrap_or("");
    st.services.logout(&ctx, token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calling user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), Errors))]
pub async fn me(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<Me>, ApiError> {
    let p = ctx.subject.principal().ok_or_else(|| ServiceError::Unauthenticated("authentication required".into()))?;
    let user = st.services.get_user(&ctx, p.user_id).await?;
    Ok(Json(Me { organisation_id: p.org_id, home_organisation: p.home_org, user }))
}

/// The caller's tokens (never the secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenInfo>), Errors))]
pub async fn list_tokens(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(st.services.list_tokens(&ctx).await?))
}

/// Creates an API token for the caller; the secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", security(("bearer" = [])), request_body = NewToken,
    responses((status = 201, body = IssuedToken), Errors))]
pub async fn create_token(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(req): ApiJson<NewToken>) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.create_token(&ctx, req).await?)))
}

/// Revokes a token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), Errors))]
pub async fn revoke_token(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    st.services.revoke_token(&ctx, path_id(&id, "id")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
