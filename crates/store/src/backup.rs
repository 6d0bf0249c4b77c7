//! Consistent copies of the embedded database, taken while the node runs.
use crate::{Backend, Result, Store, StoreError};
use std::path::Path;

impl Store {
    /// Writes a transactionally consistent copy of the SQLite database to `dest` with
    /// `VACUUM INTO` (a read transaction: writers go on meanwhile; the copy is compact and has
    /// no WAL). `dest` must not exist. PostgreSQL databases are backed up with `pg_dump`.
    pub async fn snapshot_into(&self, dest: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Config(
                "this node stores its data in PostgreSQL: back it up with pg_dump (docs/postgresql.md, \"Backup and restore\"); \
                 `atalaya backup` copies the embedded SQLite database"
                    .into(),
            ));
        }
        let dest = dest.to_str().ok_or_else(|| StoreError::Config(format!("{}: the path is not UTF-8", dest.display())))?;
        sqlx::query("VACUUM INTO $1").bind(dest.to_string()).execute(self.reader()).await?;
        Ok(())
    }
}
