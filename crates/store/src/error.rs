/// Errors of the store layer. Services translate them; HTTP never sees sqlx types.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the string names table.column when known.
    #[error("already exists ({0})")]
    Conflict(String),
    /// An optimistic-concurrency check failed (the row changed since it was read).
    #[error("changed concurrently: {0}")]
    Stale(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database is read-only or the disk is full: {0}")]
    NoSpace(String),
    #[error("invalid database configuration: {0}")]
    Config(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) => {
                let msg = db.message().to_string();
                if db.is_unique_violation() {
                    let what = db
                        .constraint()
                        .map(str::to_string)
                        .or_else(|| msg.strip_prefix("UNIQUE constraint failed: ").map(str::to_string))
                        .unwrap_or(msg);
                    return StoreError::Conflict(what);
                }
                let lower = msg.to_ascii_lowercase();
                if lower.contains("readonly") || lower.contains("read-only") || lower.contains("disk is full")
                    || lower.contains("no space left") || lower.contains("could not extend file")
                {
                    return StoreError::NoSpace(msg);
                }
                StoreError::Database(msg)
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
            _ => StoreError::Database(e.to_string()),
        }
    }
}
