use serde::{Deserialize, Serialize};

/// One entry of the hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// 1, 2, 3 … without gaps.
    pub seq: i64,
    /// RFC 3339, microsecond precision.
    pub at: String,
    /// `user:NAME`, `cli:NAME`, `node` or `anonymous`.
    pub actor: String,
    /// e.g. `organisation.create`, `contact.read`, `token.create`, `login.failure`.
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    /// Client address, or `cli` for offline commands.
    pub source: String,
    /// Extra facts as JSON (never secrets).
    pub detail: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// What the caller wants recorded; the store assigns seq, time and hashes.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub actor: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    pub source: String,
    pub detail: serde_json::Value,
}

/// Result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditVerification {
    pub entries: i64,
    pub ok: bool,
    /// The first entry that does not verify, and why.
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
}
