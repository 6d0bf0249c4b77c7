use crate::problem::{ApiError, Problem};
use crate::AppState;
use axum::http::{StatusCode, Uri};
use axum::routing::get;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod advisories;
mod audit;
mod auth;
mod cbm;
mod directory;
mod evidence;
mod incidents;
mod library;
pub mod federation;
mod misp;
mod public;
mod stix;
mod system;
mod taxii_admin;
mod users;
mod warninglists;

/// Every documented route. Adding a handler here adds it to the OpenAPI document too.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(system::healthz))
        .routes(routes!(system::node_info))
        .routes(routes!(system::states))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::list_tokens, auth::create_token))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(directory::list_organisations, directory::create_organisation))
        .routes(routes!(directory::get_organisation, directory::update_organisation, directory::delete_organisation))
        .routes(routes!(directory::organisation_history))
        .routes(routes!(directory::list_contacts, directory::create_contact))
        .routes(routes!(directory::get_contact, directory::update_contact, directory::delete_contact))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(users::set_password))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::verify_audit))
        .routes(routes!(stix::import_bundle))
        .routes(routes!(stix::list_objects))
        .routes(routes!(stix::get_object))
        .routes(routes!(stix::export))
        .routes(routes!(stix::correlate))
        .routes(routes!(stix::object_correlations))
        .routes(routes!(stix::sightings))
        .routes(routes!(stix::search))
        .routes(routes!(stix::sectors))
        .routes(routes!(warninglists::list, warninglists::put))
        .routes(routes!(warninglists::toggle, warninglists::remove))
        .routes(routes!(misp::import_events))
        .routes(routes!(misp::manifest))
        .routes(routes!(misp::hashes))
        .routes(routes!(misp::event))
        .routes(routes!(evidence::list, evidence::register))
        .routes(routes!(evidence::report))
        .routes(routes!(evidence::report_html))
        .routes(routes!(evidence::content))
        .routes(routes!(evidence::hand_over))
        .routes(routes!(incidents::list, incidents::create))
        .routes(routes!(incidents::statistics))
        .routes(routes!(incidents::get, incidents::update))
        .routes(routes!(incidents::add_observables))
        .routes(routes!(incidents::routing))
        .routes(routes!(incidents::notify))
        .routes(routes!(incidents::status))
        .routes(routes!(incidents::timeline, incidents::add_timeline))
        .routes(routes!(incidents::add_task))
        .routes(routes!(incidents::update_task))
        .routes(routes!(incidents::add_attachment))
        .routes(routes!(incidents::get_attachment))
        .routes(routes!(incidents::outbox))
        .routes(routes!(incidents::after_action))
        .routes(routes!(incidents::advance_clock))
        .routes(routes!(incidents::openpgp_key))
        .routes(routes!(federation::list_peers, federation::add_peer))
        .routes(routes!(federation::show_peer, federation::remove_peer))
        .routes(routes!(federation::accept_peer))
        .routes(routes!(federation::reject_peer))
        .routes(routes!(federation::revoke_peer))
        .routes(routes!(federation::set_key_expiry))
        .routes(routes!(federation::retract))
        .routes(routes!(taxii_admin::list_collections, taxii_admin::create_collection))
        .routes(routes!(taxii_admin::get_collection, taxii_admin::remove_collection))
        .routes(routes!(taxii_admin::list_feeds, taxii_admin::create_feed))
        .routes(routes!(taxii_admin::get_feed, taxii_admin::remove_feed))
        .routes(routes!(taxii_admin::run_feed))
        .routes(routes!(advisories::list, advisories::import))
        .routes(routes!(advisories::author))
        .routes(routes!(advisories::get))
        .routes(routes!(advisories::csaf))
        .routes(routes!(advisories::revise))
        .routes(routes!(cbm::list))
        .routes(routes!(cbm::reference))
        .routes(routes!(cbm::add_policy))
        .routes(routes!(cbm::designate))
        .routes(routes!(cbm::report_implementation))
        .routes(routes!(cbm::report_norm))
        .routes(routes!(cbm::remove))
        .routes(routes!(public::items))
        .routes(routes!(public::feed))
        .routes(routes!(public::advisory))
        .routes(routes!(public::list_campaigns, public::create_campaign))
        .routes(routes!(library::list, library::add))
        .routes(routes!(library::get))
}

/// Routes outside the OpenAPI document (it cannot describe itself; metrics are text).
pub fn system_router() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(system::metrics))
        .route("/api/v1/openapi.json", get(system::openapi_json))
}

pub async fn fallback(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {}", uri.path()))
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "this endpoint does not support that method")
}

/// Common error answers, for the OpenAPI document.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum Errors {
    #[response(status = 400, description = "Malformed request", content_type = "application/problem+json")]
    BadRequest(Problem),
    #[response(status = 401, description = "Missing, invalid or expired credentials", content_type = "application/problem+json")]
    Unauthorized(Problem),
    #[response(status = 403, description = "Not allowed for this user", content_type = "application/problem+json")]
    Forbidden(Problem),
    #[response(status = 404, description = "Not found (or not shared with you)", content_type = "application/problem+json")]
    NotFound(Problem),
    #[response(status = 409, description = "Conflicts with existing data", content_type = "application/problem+json")]
    Conflict(Problem),
    #[response(status = 413, description = "Body too large", content_type = "application/problem+json")]
    TooLarge(Problem),
    #[response(status = 415, description = "Content-Type is not application/json", content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    #[response(status = 422, description = "Invalid field values", content_type = "application/problem+json")]
    Invalid(Problem),
    #[response(status = 429, description = "Too many attempts", content_type = "application/problem+json")]
    TooMany(Problem),
}
