//! The public pages' data, without login: TLP:CLEAR advisories and awareness campaigns per
//! language (JSON and Atom), and the CSAF documents of TLP:CLEAR advisories. Campaign management
//! is under `/api/v1/campaigns`.
use super::Errors;
use crate::extract::{path_id, ApiJson, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::public::{Campaign, NewCampaign, PublicItem};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// TLP:CLEAR advisories and campaigns in one language (`en`, `es`, `pt`, `fr`), newest first;
/// text in another language is marked `fallback`. No login.
#[utoipa::path(get, path = "/public/{lang}/advisories", tag = "public",
    params(("lang" = String, Path, description = "en, es, pt or fr")), responses((status = 200, body = Vec<PublicItem>), Errors))]
pub async fn items(State(st): State<AppState>, Path(lang): Path<String>) -> Result<Json<Vec<PublicItem>>, ApiError> {
    Ok(Json(st.services.public_items(&lang).await?))
}

/// The same as an Atom feed. No login.
#[utoipa::path(get, path = "/public/{lang}/feed.atom", tag = "public",
    params(("lang" = String, Path, description = "en, es, pt or fr")),
    responses((status = 200, content_type = "application/atom+xml", body = String), Errors))]
pub async fn feed(State(st): State<AppState>, Path(lang): Path<String>) -> Result<Response, ApiError> {
    let body = st.services.public_feed(&lang).await?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/atom+xml; charset=utf-8"))], body).into_response())
}

/// The CSAF 2.0 document of a TLP:CLEAR advisory. No login.
#[utoipa::path(get, path = "/public/advisories/{id}", tag = "public",
    params(("id" = String, Path, description = "Advisory id (UUID)")),
    responses((status = 200, content_type = "application/json", body = Object, description = "The CSAF document"), Errors))]
pub async fn advisory(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(Json(st.services.public_advisory_document(path_id(&id, "id")?).await?).into_response())
}

/// Awareness campaigns the caller may read.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "public", security(("bearer" = [])), responses((status = 200, body = Vec<Campaign>), Errors))]
pub async fn list_campaigns(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<Vec<Campaign>>, ApiError> {
    Ok(Json(st.services.campaign_list(&ctx).await?))
}

/// Creates an awareness campaign (title and body per language). Only TLP:CLEAR campaigns are
/// published on the public pages.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "public", security(("bearer" = [])), request_body = NewCampaign,
    responses((status = 201, body = Campaign), Errors))]
pub async fn create_campaign(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(c): ApiJson<NewCampaign>) -> Result<Response, ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.campaign_create(&ctx, c).await?)).into_response())
}
