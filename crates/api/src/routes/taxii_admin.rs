//! REST administration of TAXII: the collections this node serves (views over its objects by
//! TLP, type and sector) and the remote feeds it pulls (with their cursor and last-run status).
use super::Errors;
use crate::extract::{path_id, ApiJson, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::taxii::{Collection, NewCollection};
use atalaya_services::taxii_client::{Feed, NewFeed, PullReport};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

fn authenticated(ctx: &atalaya_services::Ctx) -> Result<(), ApiError> {
    if matches!(ctx.subject, atalaya_policy::Subject::Anonymous) {
        return Err(atalaya_services::ServiceError::Unauthenticated("authentication required".into()).into());
    }
    Ok(())
}

/// Every collection this node serves over TAXII (the default one first), with its filters.
#[utoipa::path(get, path = "/api/v1/taxii/collections", tag = "taxii", security(("bearer" = [])),
    responses((status = 200, body = Vec<Collection>), Errors))]
pub async fn list_collections(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<Vec<Collection>>, ApiError> {
    authenticated(&ctx)?;
    Ok(Json(st.services.taxii_all_collections().await?))
}

/// Defines a collection: a view by TLP, STIX type and sector (node administrators).
#[utoipa::path(post, path = "/api/v1/taxii/collections", tag = "taxii", security(("bearer" = [])),
    request_body = NewCollection, responses((status = 201, body = Collection), Errors))]
pub async fn create_collection(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(req): ApiJson<NewCollection>) -> Result<(StatusCode, Json<Collection>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.taxii_collection_create(&ctx, req).await?)))
}

/// One collection definition.
#[utoipa::path(get, path = "/api/v1/taxii/collections/{id}", tag = "taxii", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Collection id")), responses((status = 200, body = Collection), Errors))]
pub async fn get_collection(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Collection>, ApiError> {
    authenticated(&ctx)?;
    let id = path_id(&id, "id")?;
    let c = st.services.taxii_all_collections().await?.into_iter().find(|c| c.id == id).ok_or_else(|| ApiError::not_found(format!("collection {id}")))?;
    Ok(Json(c))
}

/// Removes a collection definition; the objects stay (node administrators; not the default).
#[utoipa::path(delete, path = "/api/v1/taxii/collections/{id}", tag = "taxii", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Collection id")), responses((status = 204, description = "Removed"), Errors))]
pub async fn remove_collection(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "id")?;
    st.services.taxii_collection_delete(&ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remote TAXII feeds this node pulls, with cursor and last-run status (node administrators
/// and auditors). Secrets are never shown.
#[utoipa::path(get, path = "/api/v1/taxii/feeds", tag = "taxii", security(("bearer" = [])),
    responses((status = 200, body = Vec<Feed>), Errors))]
pub async fn list_feeds(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<Vec<Feed>>, ApiError> {
    Ok(Json(st.services.taxii_feeds(&ctx).await?))
}

/// Adds a remote feed, pulled every `interval_secs` by the node (node administrators).
#[utoipa::path(post, path = "/api/v1/taxii/feeds", tag = "taxii", security(("bearer" = [])),
    request_body = NewFeed, responses((status = 201, body = Feed), Errors))]
pub async fn create_feed(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(req): ApiJson<NewFeed>) -> Result<(StatusCode, Json<Feed>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.taxii_feed_create(&ctx, req).await?)))
}

/// One feed and the status of its last run.
#[utoipa::path(get, path = "/api/v1/taxii/feeds/{name}", tag = "taxii", security(("bearer" = [])),
    params(("name" = String, Path, description = "Feed name")), responses((status = 200, body = Feed), Errors))]
pub async fn get_feed(State(st): State<AppState>, Caller(ctx): Caller, Path(name): Path<String>) -> Result<Json<Feed>, ApiError> {
    Ok(Json(st.services.taxii_feed(&ctx, &name).await?))
}

/// Removes a feed; the objects it brought stay (node administrators).
#[utoipa::path(delete, path = "/api/v1/taxii/feeds/{name}", tag = "taxii", security(("bearer" = [])),
    params(("name" = String, Path, description = "Feed name")), responses((status = 204, description = "Removed"), Errors))]
pub async fn remove_feed(State(st): State<AppState>, Caller(ctx): Caller, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    st.services.taxii_feed_remove(&ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pulls the feed now (node administrators); 409 while another pull of it runs. A pull that
/// stops part-way answers 200 with `error` set: what was fetched before it is stored.
#[utoipa::path(post, path = "/api/v1/taxii/feeds/{name}/run", tag = "taxii", security(("bearer" = [])),
    params(("name" = String, Path, description = "Feed name")), responses((status = 200, body = PullReport), Errors))]
pub async fn run_feed(State(st): State<AppState>, Caller(ctx): Caller, Path(name): Path<String>) -> Result<Json<PullReport>, ApiError> {
    Ok(Json(st.services.taxii_feed_run(&ctx, &name, None, None, &|_| {}).await?))
}
