//! Accounts and tokens as shown through the API (secrets never appear here).
use crate::Role;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: uuid::Uuid,
    pub username: String,
    pub display_name: Option<String>,
    pub organisation_id: uuid::Uuid,
    pub role: Role,
    pub disabled: bool,
    pub has_password: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: uuid::Uuid,
    pub user_id: uuid::Uuid,
    pub name: String,
    /// `api` for long-lived API tokens, `session` for tokens issued by a password login.
    pub kind: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A user name: 1–64 characters of `a-z 0-9 . _ @ -`, starting with a letter or digit.
pub fn check_username(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'@' | b'-'))
        && s.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(format!("'{s}' is not a user name (1–64 of a-z 0-9 . _ @ -, starting with a letter or digit)"))
    }
}
