//! Cross-border incident cases: `/api/v1/incidents…`.
use super::Errors;
use crate::extract::{path_id, ApiJson, ApiQuery, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_model::incident::{
    Attachment, Incident, IncidentPatch, IncidentSummary, NewAttachment, NewIncident, NewTask, NewTimelineEntry, NotifyRequest,
    Observable, Participant, StatusUpdate, Task, TaskUpdate, TimelineEntry,
};
use atalaya_model::CountryCode;
use atalaya_services::incidents::{IncidentFilter, IncidentStatistics, OutboxItem, StateFigures};
use atalaya_services::routing::RoutingProposal;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CaseFilter {
    /// `true`: exercises only; `false`: real cases only.
    pub exercise: Option<bool>,
    /// Cases affecting, reported by or involving this state.
    pub state: Option<CountryCode>,
}

/// Input: observables to add to a case.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservablesInput {
    /// IP addresses and prefixes, domains, URLs, e-mail addresses, AS numbers.
    #[schema(value_type = Vec<String>)]
    pub observables: Vec<Observable>,
}

/// Test-only clock control (enabled by `ATALAYA_TEST_CLOCK_HOOK=1`; 404 otherwise).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockAdvance {
    pub seconds: u64,
}

fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    match headers.get(header::IF_MATCH) {
        None => Ok(None),
        Some(v) => {
            let s = v.to_str().unwrap_or("").trim().trim_start_matches("W/").trim_matches('"');
            s.parse::<i64>().map(Some).map_err(|_| {
                ApiError::field(StatusCode::BAD_REQUEST, "bad-request", "If-Match", "expected the case's version number, e.g. \"3\"")
            })
        }
    }
}

/// Cases visible to the caller, newest change first. Exercise cases are marked `exercise: true`.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(CaseFilter),
    responses((status = 200, body = Vec<IncidentSummary>), Errors))]
pub async fn list(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(f): ApiQuery<CaseFilter>) -> Result<Json<Vec<IncidentSummary>>, ApiError> {
    Ok(Json(st.services.list_incidents(&ctx, &IncidentFilter { exercise: f.exercise, state: f.state }).await?))
}

/// Opens a case for the caller's organisation (RSIT class/type, severity 0–4, TLP, observables…).
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), request_body = NewIncident,
    responses((status = 201, body = Incident), Errors))]
pub async fn create(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(input): ApiJson<NewIncident>) -> Result<(StatusCode, Json<Incident>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.create_incident(&ctx, input).await?)))
}

/// One case with participants (status history and deadlines), observables, tasks, attachments.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Incident), Errors))]
pub async fn get(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Incident>, ApiError> {
    Ok(Json(st.services.get_incident(&ctx, path_id(&id, "id")?).await?))
}

/// Changes core fields (reporting organisation only). `If-Match: "version"` guards against lost updates.
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Case id"), ("If-Match" = Option<String>, Header, description = "Expected version")),
    request_body = IncidentPatch, responses((status = 200, body = Incident), Errors))]
pub async fn update(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, headers: HeaderMap, ApiJson(p): ApiJson<IncidentPatch>) -> Result<Json<Incident>, ApiError> {
    let id = path_id(&id, "id")?;
    Ok(Json(st.services.update_incident(&ctx, id, p, if_match(&headers)?).await?))
}

/// Adds observables; answers where the case's observables route, with the reasoning.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/observables", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Case id")), request_body = ObservablesInput,
    responses((status = 200, body = RoutingProposal), Errors))]
pub async fn add_observables(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(o): ApiJson<ObservablesInput>) -> Result<Json<RoutingProposal>, ApiError> {
    Ok(Json(st.services.add_observables(&ctx, path_id(&id, "id")?, o.observables).await?))
}

/// The routing proposal: responsible organisations and states, each with the reasoning.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/routing", tag = "incidents", params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = RoutingProposal), Errors))]
pub async fn routing(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<RoutingProposal>, ApiError> {
    Ok(Json(st.services.route_incident(&ctx, path_id(&id, "id")?).await?))
}

/// Notifies organisations (by id, by state's national CSIRT, or the routing proposal): they become
/// participants with deadlines, and signed (encrypted when possible) e-mails are queued.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/notify", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Case id")), request_body = NotifyRequest,
    responses((status = 200, body = Incident), Errors))]
pub async fn notify(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(r): ApiJson<NotifyRequest>) -> Result<Json<Incident>, ApiError> {
    Ok(Json(st.services.notify_incident(&ctx, path_id(&id, "id")?, r).await?))
}

/// A participating organisation changes its own status (acknowledged, investigating, mitigated,
/// closed, or declined with a reason).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/status", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Case id")), request_body = StatusUpdate,
    responses((status = 200, body = Participant), Errors))]
pub async fn status(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(u): ApiJson<StatusUpdate>) -> Result<Json<Participant>, ApiError> {
    Ok(Json(st.services.set_participation(&ctx, path_id(&id, "id")?, u).await?))
}

/// The time-stamped timeline of a case.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", tag = "incidents", params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Vec<TimelineEntry>), Errors))]
pub async fn timeline(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Vec<TimelineEntry>>, ApiError> {
    Ok(Json(st.services.incident_timeline(&ctx, path_id(&id, "id")?).await?))
}

/// Adds a note to the timeline (any participant).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/timeline", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Case id")), request_body = NewTimelineEntry,
    responses((status = 201, body = TimelineEntry), Errors))]
pub async fn add_timeline(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(e): ApiJson<NewTimelineEntry>) -> Result<(StatusCode, Json<TimelineEntry>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.add_timeline_entry(&ctx, path_id(&id, "id")?, e).await?)))
}

/// Assigns a task to the reporting or a participating organisation.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/tasks", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Case id")), request_body = NewTask,
    responses((status = 201, body = Task), Errors))]
pub async fn add_task(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(t): ApiJson<NewTask>) -> Result<(StatusCode, Json<Task>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.add_task(&ctx, path_id(&id, "id")?, t).await?)))
}

/// Marks a task done (or not).
#[utoipa::path(patch, path = "/api/v1/incidents/{id}/tasks/{task_id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Case id"), ("task_id" = String, Path, description = "Task id")), request_body = TaskUpdate,
    responses((status = 200, body = Task), Errors))]
pub async fn update_task(State(st): State<AppState>, Caller(ctx): Caller, Path((id, tid)): Path<(String, String)>, ApiJson(t): ApiJson<TaskUpdate>) -> Result<Json<Task>, ApiError> {
    Ok(Json(st.services.update_task(&ctx, path_id(&id, "id")?, path_id(&tid, "task_id")?, t.done).await?))
}

/// Adds an attachment (base64 content; stored with its SHA-256).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/attachments", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path, description = "Case id")), request_body = NewAttachment,
    responses((status = 201, body = Attachment), Errors))]
pub async fn add_attachment(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>, ApiJson(a): ApiJson<NewAttachment>) -> Result<(StatusCode, Json<Attachment>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.services.add_attachment(&ctx, path_id(&id, "id")?, a).await?)))
}

/// The content of an attachment, with `Digest: sha-256=…` (checked before it is sent).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/attachments/{attachment_id}", tag = "incidents",
    params(("id" = String, Path, description = "Case id"), ("attachment_id" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "The attachment's bytes", content_type = "application/octet-stream"), Errors))]
pub async fn get_attachment(State(st): State<AppState>, Caller(ctx): Caller, Path((id, aid)): Path<(String, String)>) -> Result<Response, ApiError> {
    let (meta, bytes) = st.services.get_attachment(&ctx, path_id(&id, "id")?, path_id(&aid, "attachment_id")?).await?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&meta.media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("sha-256={}", meta.sha256)) {
        h.insert("x-content-sha256", v);
    }
    Ok(resp)
}

/// Notifications of a case and their delivery state (reporting organisation).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/outbox", tag = "incidents", params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Vec<OutboxItem>), Errors))]
pub async fn outbox(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Vec<OutboxItem>>, ApiError> {
    Ok(Json(st.services.incident_outbox(&ctx, path_id(&id, "id")?).await?))
}

/// After-action figures per participating state: time to acknowledge, time to mitigate.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/after-action", tag = "incidents", params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Vec<StateFigures>), Errors))]
pub async fn after_action(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Vec<StateFigures>>, ApiError> {
    Ok(Json(st.services.incident_after_action(&ctx, path_id(&id, "id")?).await?))
}

/// Statistics by state, sector, severity and RSIT class; exercise cases are left out.
#[utoipa::path(get, path = "/api/v1/incidents/statistics", tag = "incidents",
    responses((status = 200, body = IncidentStatistics), Errors))]
pub async fn statistics(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<IncidentStatistics>, ApiError> {
    Ok(Json(st.services.incident_statistics(&ctx).await?))
}

/// Test-only: moves the node's clock forward (deadline tests). 404 unless the node was started
/// with `ATALAYA_TEST_CLOCK_HOOK=1`; node administrators only.
#[utoipa::path(post, path = "/api/v1/test/clock", tag = "incidents", security(("bearer" = [])), request_body = ClockAdvance,
    responses((status = 204, description = "Moved"), Errors))]
pub async fn advance_clock(State(st): State<AppState>, Caller(ctx): Caller, ApiJson(c): ApiJson<ClockAdvance>) -> Result<StatusCode, ApiError> {
    st.services.advance_test_clock(&ctx, c.seconds)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The node's OpenPGP public key (armored): notifications are signed with it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct NodeOpenPgpKey {
    pub fingerprint: String,
    pub armored: String,
}

/// The OpenPGP key that signs this node's notifications; recipients verify mail against it.
#[utoipa::path(get, path = "/api/v1/notifications/openpgp-key", tag = "incidents",
    responses((status = 200, body = NodeOpenPgpKey), Errors))]
pub async fn openpgp_key(State(st): State<AppState>) -> Result<Json<NodeOpenPgpKey>, ApiError> {
    let k = st.services.node_pgp()?;
    Ok(Json(NodeOpenPgpKey { fingerprint: k.fingerprint.clone(), armored: k.public_armored.clone() }))
}
