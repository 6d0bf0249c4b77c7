use atalaya_model::{FieldError, ValidationErrors};
use atalaya_store::StoreError;

/// Errors of the service layer. Interfaces map them to their protocol in one place each
/// (HTTP: `atalaya-api::problem`; CLI: one line and an exit code).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input that fails validation; every offending field is named.
    #[error("invalid input: {0}")]
    Invalid(ValidationErrors),
    /// A uniqueness or state conflict on a named field.
    #[error("{field}: {reason}")]
    Conflict { field: String, reason: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The database is unreachable.
    #[error("{0}")]
    Unavailable(String),
    /// The node's storage is full or read-only: writes are refused, reads still work.
    #[error("storage full or read-only: {0}")]
    StorageFull(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A remote server (TAXII feed, peer) failed, refused or timed out: one readable line.
    #[error("remote {0}")]
    Remote(String),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ServiceError::Invalid(ValidationErrors::single(field, reason))
    }
    pub fn fields(&self) -> Vec<FieldError> {
        match self {
            ServiceError::Invalid(v) => v.0.clone(),
            ServiceError::Conflict { field, reason } => vec![FieldError::new(field.clone(), reason.clone())],
            _ => vec![],
        }
    }
}

impl From<ValidationErrors> for ServiceError {
    fn from(v: ValidationErrors) -> Self {
        ServiceError::Invalid(v)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => {
                let field = match what.as_str() {
                    "organisations.name" => "name".to_string(),
                    "users.username" => "username".to_string(),
                    w if w.starts_with("organisations.users") => "organisation".to_string(),
                    w => w.rsplit('.').next().unwrap_or(w).to_string(),
                };
                let reason = match field.as_str() {
                    "name" => "an organisation with this name already exists".to_string(),
                    "username" => "this user name is taken".to_string(),
                    _ => what,
                };
                ServiceError::Conflict { field, reason }
            }
            StoreError::Stale(m) => ServiceError::Conflict { field: "version".into(), reason: m },
            StoreError::NotFound(m) => ServiceError::NotFound(m),
            StoreError::Unavailable(m) => ServiceError::Unavailable(m),
            StoreError::NoSpace(m) => ServiceError::StorageFull(m),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}
