use crate::problem::ApiError;
use crate::AppState;
use atalaya_services::node::NodeInfo;
use atalaya_services::StateRecord;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    let ok = st.services.store.ping().await.is_ok();
    st.metrics.up.set(ok as i64);
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = Health {
        status: if ok { "ok" } else { "unavailable" }.into(),
        database: st.services.store.backend().name().into(),
    };
    (status, Json(body))
}

pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], st.metrics.render())
}

pub async fn openapi_json(State(st): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], st.openapi.as_str().to_string())
}

/// This node's identity: name, Ed25519 public key and its fingerprint.
#[utoipa::path(get, path = "/api/v1/node", tag = "system", responses((status = 200, body = NodeInfo)))]
pub async fn node_info(State(st): State<AppState>) -> Result<Json<NodeInfo>, ApiError> {
    Ok(Json(st.services.node_info().await?))
}

/// The states of the network (the 35 OAS member states are seeded).
#[utoipa::path(get, path = "/api/v1/states", tag = "system", responses((status = 200, body = Vec<StateRecord>)))]
pub async fn states(State(st): State<AppState>) -> Result<Json<Vec<StateRecord>>, ApiError> {
    Ok(Json(st.services.list_states().await?))
}
