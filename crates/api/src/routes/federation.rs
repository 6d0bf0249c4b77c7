//! Federation: the node-to-node protocol under `/federation/v1/` (docs/federation.md; signed
//! envelopes, not part of the REST OpenAPI document) and the operator's view of peers under
//! `/api/v1/federation/` (administrators only).
use super::Errors;
use crate::extract::{ApiJson, Caller};
use crate::problem::{federation_error, ApiError};
use crate::AppState;
use atalaya_services::federation::{gunzip_limited, gzip, InboxError, PeerView, RetractInput, RetractReport, MAX_COMPRESSED};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::net::SocketAddr;

/// Routes of the node-to-node protocol.
pub fn protocol_router() -> Router<AppState> {
    Router::new()
        .route("/federation/v1/node", get(node))
        .route("/federation/v1/inbox", post(inbox))
        .route("/federation/v1/pull", post(pull))
}

async fn node(State(st): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(st.services.federation_node_info().await?).into_response())
}

/// Checks the content type, size and encoding of a protocol request; the JSON bytes.
fn body_of(headers: &HeaderMap, body: &Bytes) -> Result<Vec<u8>, InboxError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != "application/json" {
        return Err(InboxError::Fed(atalaya_federation::FedError::Malformed {
            field: "Content-Type".into(),
            reason: format!("unsupported media type '{ct}': expected application/json"),
        }));
    }
    if body.len() > MAX_COMPRESSED {
        return Err(InboxError::TooLarge(format!("more than {MAX_COMPRESSED} bytes")));
    }
    match headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::trim) {
        None | Some("identity") => Ok(body.to_vec()),
        Some("gzip") => gunzip_limited(body),
        Some(other) => Err(InboxError::Fed(atalaya_federation::FedError::Malformed {
            field: "Content-Encoding".into(),
            reason: format!("'{other}' is not supported (gzip, identity)"),
        })),
    }
}

fn unsupported_media(headers: &HeaderMap) -> bool {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase() != "application/json"
}

/// A signed envelope as the answer, gzip-compressed when the client accepts it.
fn envelope_response(status: StatusCode, json: String, headers: &HeaderMap) -> Response {
    let gz = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("gzip"));
    let mut resp = if gz { (status, gzip(json.as_bytes())).into_response() } else { (status, json).into_response() };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if gz {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp
}

async fn inbox(State(st): State<AppState>, ConnectInfo(addr): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes) -> Response {
    if unsupported_media(&headers) {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "expected application/json").into_response();
    }
    let bytes = match body_of(&headers, &body) {
        Ok(b) => b,
        Err(e) => return federation_error(e),
    };
    match st.services.federation_inbox(&bytes, &addr.to_string()).await {
        Ok(reply) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
            match reply.envelope {
                Some(env) => envelope_response(status, env.to_json(), &headers),
                None => StatusCode::NO_CONTENT.into_response(),
            }
        }
        Err(e) => federation_error(e),
    }
}

async fn pull(State(st): State<AppState>, ConnectInfo(addr): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes) -> Response {
    if unsupported_media(&headers) {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "expected application/json").into_response();
    }
    let bytes = match body_of(&headers, &body) {
        Ok(b) => b,
        Err(e) => return federation_error(e),
    };
    match st.services.federation_pull(&bytes, &addr.to_string()).await {
        Ok(env) => envelope_response(StatusCode::OK, env.to_json(), &headers),
        Err(e) => federation_error(e),
    }
}

// ---------------------------------------------------------------- operator API

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPeer {
    /// Base URL of the other node (`https://…`).
    pub url: String,
    /// The other node relays (hub) for nodes behind it.
    #[serde(default)]
    pub relay: bool,
    /// A note to the other administrators.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AcceptPeer {
    #[serde(default)]
    pub relay: bool,
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RejectPeer {
    #[serde(default)]
    pub reason: Option<String>,
}

/// Known nodes: peers (requested, pending, active, rejected) and nodes behind relays, with
/// fingerprints, state, lag, last error and last contact (node administrators).
#[utoipa::path(get, path = "/api/v1/federation/peers", tag = "federation", security(("bearer" = [])),
    responses((status = 200, body = Vec<PeerView>), Errors))]
pub async fn list_peers(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<Vec<PeerView>>, ApiError> {
    Ok(Json(st.services.peer_list(&ctx).await?))
}

/// Asks another node for peering: fetches its identity and sends a signed peer request; its
/// administrators compare fingerprints and accept (node administrators).
#[utoipa::path(post, path = "/api/v1/federation/peers", tag = "federation", security(("bearer" = [])),
    request_body = AddPeer, responses((status = 201, body = PeerView), Errors))]
pub async fn add_peer(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(b): ApiJson<AddPeer>) -> Result<(StatusCode, Json<PeerView>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.peer_add(&ctx, &b.url, b.relay, b.message).await?)))
}

/// One known node, by node id or (a prefix of at least 8 hex digits of) its fingerprint.
#[utoipa::path(get, path = "/api/v1/federation/peers/{id}", tag = "federation", security(("bearer" = [])),
    params(("id" = String, Path, description = "Node id or fingerprint prefix")), responses((status = 200, body = PeerView), Errors))]
pub async fn show_peer(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<PeerView>, ApiError> {
    Ok(Json(st.services.peer_show(&ctx, &id).await?))
}

/// Ends the peering (the other node is told) and forgets the node.
#[utoipa::path(delete, path = "/api/v1/federation/peers/{id}", tag = "federation", security(("bearer" = [])),
    params(("id" = String, Path, description = "Node id or fingerprint prefix")), responses((status = 204, description = "Removed"), Errors))]
pub async fn remove_peer(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    st.services.peer_remove(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accepts a pending peer request (after comparing fingerprints out of band).
#[utoipa::path(post, path = "/api/v1/federation/peers/{id}/accept", tag = "federation", security(("bearer" = [])),
    params(("id" = String, Path, description = "Node id or fingerprint prefix")), request_body = AcceptPeer,
    responses((status = 200, body = PeerView), Errors))]
pub async fn accept_peer(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(b): ApiJson<AcceptPeer>) -> Result<Json<PeerView>, ApiError> {
    Ok(Json(st.services.peer_accept(&ctx, &id, b.relay).await?))
}

/// Rejects a pending peer request, or ends an active peering.
#[utoipa::path(post, path = "/api/v1/federation/peers/{id}/reject", tag = "federation", security(("bearer" = [])),
    params(("id" = String, Path, description = "Node id or fingerprint prefix")), request_body = RejectPeer,
    responses((status = 200, body = PeerView), Errors))]
pub async fn reject_peer(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(b): ApiJson<RejectPeer>) -> Result<Json<PeerView>, ApiError> {
    Ok(Json(st.services.peer_reject(&ctx, &id, b.reason).await?))
}

/// Revokes a peer's key: its envelopes and the items it signed (also through relays) are refused
/// as `revoked` and audited from now on; nothing more is sent to it (node administrators).
#[utoipa::path(post, path = "/api/v1/federation/peers/{id}/revoke", tag = "federation", security(("bearer" = [])),
    params(("id" = String, Path, description = "Node id or fingerprint prefix")), request_body = RejectPeer,
    responses((status = 200, body = PeerView), Errors))]
pub async fn revoke_peer(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(b): ApiJson<RejectPeer>) -> Result<Json<PeerView>, ApiError> {
    Ok(Json(st.services.peer_revoke(&ctx, &id, b.reason).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyExpiry {
    /// RFC 3339 instant after which the peer's key is refused; `null`: never.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<time::OffsetDateTime>,
}

/// Sets or clears when a peer's key expires (node administrators).
#[utoipa::path(put, path = "/api/v1/federation/peers/{id}/key-expiry", tag = "federation", security(("bearer" = [])),
    params(("id" = String, Path, description = "Node id or fingerprint prefix")), request_body = KeyExpiry,
    responses((status = 200, body = PeerView), Errors))]
pub async fn set_key_expiry(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(b): ApiJson<KeyExpiry>) -> Result<Json<PeerView>, ApiError> {
    Ok(Json(st.services.peer_set_key_expiry(&ctx, &id, b.expires_at).await?))
}

/// Revokes, deletes or narrows the distribution of one of this node's objects — here and on
/// every node that received it (the owner organisation's analysts).
#[utoipa::path(post, path = "/api/v1/federation/retractions", tag = "federation", security(("bearer" = [])),
    request_body = RetractInput, responses((status = 200, body = RetractReport), Errors))]
pub async fn retract(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(b): ApiJson<RetractInput>) -> Result<Json<RetractReport>, ApiError> {
    Ok(Json(st.services.federation_retract(&ctx, b).await?))
}
