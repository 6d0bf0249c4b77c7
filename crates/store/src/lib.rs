//! Persistence of Atalaya: one [`Store`] over SQLite (the embedded default) and PostgreSQL.
//!
//! There is a single code path for both backends (sqlx's `Any` driver with `$N` placeholders,
//! portable SQL); only the DDL of the migrations differs. All SQL of the project lives in this
//! crate. Writes go through a [`Tx`]: the caller stages every change and its audit entry in one
//! transaction and commits once, so nothing is ever half-written.
//!
//! SQLite runs in WAL mode with `synchronous=FULL`: a committed (acknowledged) write survives
//! kill -9 and power loss. Write transactions start with `BEGIN IMMEDIATE`, so concurrent
//! writers (threads or other processes) queue on the busy timeout instead of failing.

mod accounts;
pub mod advisories;
mod audit;
mod backup;
pub mod cbm;
pub mod evidence;
mod directory;
mod error;
pub mod incidents;
pub mod library;
pub mod federation;
mod meta;
mod migrations;
mod stix;
pub mod taxii;
pub mod taxii_feeds;
mod warninglists;

pub use accounts::{TokenRecord, UserRecord};
pub use meta::StateRecord;
pub use stix::{tlp_rank, InsertOutcome, NewStixObject, StixRecord};
pub use warninglists::WarninglistRecord;
pub use migrations::latest as schema_version;
pub use audit::{audit_hash, GENESIS_HASH};
pub use error::StoreError;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::time::Duration;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "database URL must start with sqlite: or postgres:// (got '{}')",
                redact_url(url)
            )))
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Hides a password in a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Pool sizes and timeouts.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { max_connections: 8, acquire_timeout: Duration::from_secs(30) }
    }
}

/// The store of one node.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;";

/// The writer connection also gets a 64 MiB page cache (SQLite's 2 MB default spills dirty pages
/// of a big import to the WAL in mid-transaction and rewrites hot index pages again and again)
/// and statement journals in memory (multi-row INSERTs journal to temporary files otherwise).
/// Durability (WAL, synchronous=FULL) is unchanged.
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;";

impl Store {
    /// Connects, applies pending migrations, and seeds reference data.
    pub async fn open(url: &str, opts: StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let pool = |max: u32, extra: &'static str| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(opts.acquire_timeout)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            conn.execute(SQLITE_PRAGMAS).await?;
                            if !extra.is_empty() {
                                conn.execute(extra).await?;
                            }
                        }
                        Ok(())
                    })
                })
        };
        let connect_err = |e: sqlx::Error| StoreError::Unavailable(format!("{}: {e}", redact_url(url)));
        let (read, write) = match backend {
            Backend::Sqlite => {
                // One writer connection: SQLite has one writer at a time anyway; readers run in
                // parallel on WAL snapshots.
                let write = pool(1, SQLITE_WRITER_PRAGMAS).connect(url).await.map_err(connect_err)?;
                let read = pool(opts.max_connections.max(2), "").connect(url).await.map_err(connect_err)?;
                (read, write)
            }
            Backend::Postgres => {
                let p = pool(opts.max_connections, "").connect(url).await.map_err(connect_err)?;
                (p.clone(), p)
            }
        };
        let store = Store { read, write, backend };
        migrations::run(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. Dropping the [`Tx`] without `commit` rolls everything back.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match self.backend {
            Backend::Sqlite => match self.write.begin_with("BEGIN IMMEDIATE").await {
                Ok(t) => t,
                // A COMMIT that failed (disk full, I/O error) leaves the writer connection with a
                // transaction sqlx can no longer roll back, and every later BEGIN would fail.
                // SQLite has already undone the transaction; drop that connection and open a new one.
                Err(e) if e.to_string().contains("non-zero transaction depth") => {
                    tracing::warn!("replacing the SQLite writer connection after a failed commit");
                    if let Ok(conn) = self.write.acquire().await {
                        let _ = conn.close().await;
                    }
                    self.write.begin_with("BEGIN IMMEDIATE").await?
                }
                Err(e) => return Err(e.into()),
            },
            Backend::Postgres => self.write.begin().await?,
        };
        Ok(Tx { inner, backend: self.backend })
    }

    /// Cheap liveness probe of the database.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }
}

/// A write transaction. Every service-level write stages its changes and its audit entry here.
pub struct Tx {
    inner: Transaction<'static, Any>,
    pub(crate) backend: Backend,
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        self.inner.commit().await?;
        Ok(())
    }

    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }
}

pub(crate) fn get_bool(row: &AnyRow, col: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(col)? != 0)
}

pub(crate) fn parse_uuid(s: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("bad uuid '{s}' in database: {e}")))
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("serialise: {e}")))
}
