use super::Errors;
use crate::extract::{ApiQuery, Caller};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_model::audit::{AuditEntry, AuditVerification};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditPage {
    /// Return entries with a sequence number above this one (default 0).
    pub after: Option<i64>,
    /// At most this many entries (1–1000, default 100).
    pub limit: Option<i64>,
}

/// The audit log, oldest first (auditors and the node's administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditPage),
    responses((status = 200, body = Vec<AuditEntry>), Errors))]
pub async fn list_audit(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(p): ApiQuery<AuditPage>) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(st.services.audit_list(&ctx, p.after.unwrap_or(0), p.limit.unwrap_or(100)).await?))
}

/// Verifies the hash chain of the whole audit log.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = AuditVerification), Errors))]
pub async fn verify_audit(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<AuditVerification>, ApiError> {
    Ok(Json(st.services.audit_verify(&ctx).await?))
}
