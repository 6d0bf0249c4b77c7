//! REST management of TAXII collection definitions (`/api/v1/taxii/collections`): views over
//! the node's objects by TLP, type and sector. Creating and removing them is for the
//! administrators of the node's organisation; errors are problem+json like the rest of `/api/v1`.
use crate::extract::{path_id, ApiJson, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::taxii::{Collection, NewCollection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

fn authenticated(ctx: &atalaya_services::Ctx) -> Result<(), ApiError> {
    if matches!(ctx.subject, atalaya_policy::Subject::Anonymous) {
        return Err(atalaya_services::ServiceError::Unauthenticated("authentication required".into()).into());
    }
    Ok(())
}

/// Every collection (the default one first), with its filters.
pub async fn list(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<Vec<Collection>>, ApiError> {
    authenticated(&ctx)?;
    Ok(Json(st.services.taxii_all_collections().await?))
}

/// One collection definition.
pub async fn get(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Collection>, ApiError> {
    authenticated(&ctx)?;
    let id = path_id(&id, "id")?;
    let c = st.services.taxii_all_collections().await?.into_iter().find(|c| c.id == id).ok_or_else(|| ApiError::not_found(format!("collection {id}")))?;
    Ok(Json(c))
}

/// Defines a collection (administrators of the node's organisation).
pub async fn create(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(req): ApiJson<NewCollection>) -> Result<(StatusCode, Json<Collection>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.taxii_collection_create(&ctx, req).await?)))
}

/// Removes a collection definition; the objects stay.
pub async fn remove(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "id")?;
    st.services.taxii_collection_delete(&ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
