use super::Errors;
use crate::extract::{path_id, ApiJson, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_model::directory::{Contact, ContactPatch, HistoryEntry, NewContact, NewOrganisation, Organisation, OrganisationPatch};
use atalaya_model::CountryCode;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrgFilter {
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<CountryCode>,
}

/// `If-Match: "N"` (or `N`) → expected version.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    match headers.get(axum::http::header::IF_MATCH) {
        None => Ok(None),
        Some(v) => {
            let s = v.to_str().unwrap_or("").trim().trim_start_matches("W/").trim_matches('"');
            s.parse::<i64>().map(Some).map_err(|_| {
                ApiError::field(StatusCode::BAD_REQUEST, "bad-request", "If-Match", "expected the entry's version number, e.g. \"3\"")
            })
        }
    }
}

/// Organisations of the directory visible to the caller.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "directory", params(OrgFilter),
    responses((status = 200, body = Vec<Organisation>), Errors))]
pub async fn list_organisations(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(f): ApiQuery<OrgFilter>) -> Result<Json<Vec<Organisation>>, ApiError> {
    Ok(Json(st.services.list_organisations(&ctx, f.country.as_ref()).await?))
}

/// Adds an organisation (administrators of the node's organisation).
#[utoipa::path(post, path = "/api/v1/organisations", tag = "directory", security(("bearer" = [])), request_body = NewOrganisation,
    responses((status = 201, body = Organisation), Errors))]
pub async fn create_organisation(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(input): ApiJson<NewOrganisation>) -> Result<(StatusCode, Json<Organisation>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.create_organisation(&ctx, input).await?)))
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "directory",
    params(("id" = String, Path, description = "Organisation id")),
    responses((status = 200, body = Organisation), Errors))]
pub async fn get_organisation(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Organisation>, ApiError> {
    Ok(Json(st.services.get_organisation(&ctx, path_id(&id, "id")?).await?))
}

/// Changes an organisation (its own administrators). `If-Match: "version"` guards against lost updates.
#[utoipa::path(patch, path = "/api/v1/organisations/{id}", tag = "directory", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organisation id"), ("If-Match" = Option<String>, Header, description = "Expected version")),
    request_body = OrganisationPatch, responses((status = 200, body = Organisation), Errors))]
pub async fn update_organisation(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, headers: HeaderMap, ApiJson(p): ApiJson<OrganisationPatch>) -> Result<Json<Organisation>, ApiError> {
    let id = path_id(&id, "id")?;
    Ok(Json(st.services.update_organisation(&ctx, id, p, if_match(&headers)?).await?))
}

/// Deletes an organisation without user accounts (its own administrators).
#[utoipa::path(delete, path = "/api/v1/organisations/{id}", tag = "directory", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organisation id")),
    responses((status = 204, description = "Deleted"), Errors))]
pub async fn delete_organisation(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    st.services.delete_organisation(&ctx, path_id(&id, "id")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every change of the organisation and its contacts: who, when, what.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/history", tag = "directory",
    params(("id" = String, Path, description = "Organisation id")),
    responses((status = 200, body = Vec<HistoryEntry>), Errors))]
pub async fn organisation_history(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    Ok(Json(st.services.organisation_history(&ctx, path_id(&id, "id")?).await?))
}

/// Points of contact of an organisation visible to the caller.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/contacts", tag = "directory",
    params(("id" = String, Path, description = "Organisation id")),
    responses((status = 200, body = Vec<Contact>), Errors))]
pub async fn list_contacts(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Vec<Contact>>, ApiError> {
    Ok(Json(st.services.list_contacts(&ctx, path_id(&id, "id")?).await?))
}

/// Adds a point of contact; an OpenPGP key is parsed, verified and fingerprinted.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/contacts", tag = "directory", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organisation id")),
    request_body = NewContact, responses((status = 201, body = Contact), Errors))]
pub async fn create_contact(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(input): ApiJson<NewContact>) -> Result<(StatusCode, Json<Contact>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.create_contact(&ctx, path_id(&id, "id")?, input).await?)))
}

/// One point of contact.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/contacts/{contact_id}", tag = "directory",
    params(("id" = String, Path, description = "Organisation id"), ("contact_id" = String, Path, description = "Contact id")),
    responses((status = 200, body = Contact), Errors))]
pub async fn get_contact(State(st): State<AppState>, Caller(ctx): Caller, Path((id, cid)): Path<(String, String)>) -> Result<Json<Contact>, ApiError> {
    Ok(Json(st.services.get_contact(&ctx, path_id(&id, "id")?, path_id(&cid, "contact_id")?).await?))
}

/// Changes a point of contact. `pgp_key: ""` removes the key.
#[utoipa::path(patch, path = "/api/v1/organisations/{id}/contacts/{contact_id}", tag = "directory", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organisation id"), ("contact_id" = String, Path, description = "Contact id")),
    request_body = ContactPatch, responses((status = 200, body = Contact), Errors))]
pub async fn update_contact(State(st): State<AppState>, Caller(ctx): Caller, Path((id, cid)): Path<(String, String)>, ApiJson(p): ApiJson<ContactPatch>) -> Result<Json<Contact>, ApiError> {
    Ok(Json(st.services.update_contact(&ctx, path_id(&id, "id")?, path_id(&cid, "contact_id")?, p).await?))
}

/// Removes a point of contact.
#[utoipa::path(delete, path = "/api/v1/organisations/{id}/contacts/{contact_id}", tag = "directory", security(("bearer" = [])),
    params(("id" = String, Path, description = "Organisation id"), ("contact_id" = String, Path, description = "Contact id")),
    responses((status = 204, description = "Deleted"), Errors))]
pub async fn delete_contact(State(st): State<AppState>, Caller(ctx): Caller, Path((id, cid)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    st.services.delete_contact(&ctx, path_id(&id, "id")?, path_id(&cid, "contact_id")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
