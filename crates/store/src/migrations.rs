//! Schema migrations: an ordered list per backend, applied once each inside a transaction.
use crate::{Backend, Result, Store, StoreError};
use sqlx::Row;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "stix",
        sqlite: include_str!("../migrations/sqlite/0002_stix.sql"),
        postgres: include_str!("../migrations/postgres/0002_stix.sql"),
    },
    Migration {
        version: 3,
        name: "intel",
        sqlite: include_str!("../migrations/sqlite/0003_intel.sql"),
        postgres: include_str!("../migrations/postgres/0003_intel.sql"),
    },
    Migration {
        version: 4,
        name: "taxii",
        sqlite: include_str!("../migrations/sqlite/0004_taxii.sql"),
        postgres: include_str!("../migrations/postgres/0004_taxii.sql"),
    },
    Migration {
        version: 5,
        name: "federation",
        sqlite: include_str!("../migrations/sqlite/0005_federation.sql"),
        postgres: include_str!("../migrations/postgres/0005_federation.sql"),
    },
    Migration {
        version: 6,
        name: "taxii_feeds",
        sqlite: include_str!("../migrations/sqlite/0006_taxii_feeds.sql"),
        postgres: include_str!("../migrations/postgres/0006_taxii_feeds.sql"),
    },
    Migration {
        version: 7,
        name: "incidents",
        sqlite: include_str!("../migrations/sqlite/0007_incidents.sql"),
        postgres: include_str!("../migrations/postgres/0007_incidents.sql"),
    },
    Migration {
        version: 8,
        name: "evidence",
        sqlite: include_str!("../migrations/sqlite/0008_evidence.sql"),
        postgres: include_str!("../migrations/postgres/0008_evidence.sql"),
    },
    Migration {
        version: 9,
        name: "advisories",
        sqlite: include_str!("../migrations/sqlite/0009_advisories.sql"),
        postgres: include_str!("../migrations/postgres/0009_advisories.sql"),
    },
    Migration {
        version: 10,
        name: "cbm",
        sqlite: include_str!("../migrations/sqlite/0010_cbm.sql"),
        postgres: include_str!("../migrations/postgres/0010_cbm.sql"),
    },
    Migration {
        version: 11,
        name: "awareness_library",
        sqlite: include_str!("../migrations/sqlite/0011_awareness_library.sql"),
        postgres: include_str!("../migrations/postgres/0011_awareness_library.sql"),
    },
];

/// The schema version this binary expects.
pub fn latest() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

pub(crate) async fn run(store: &Store) -> Result<()> {
    let mut tx = store.begin().await?;
    if store.backend() == Backend::Postgres {
        // Several processes may start at once on one database: let one migrate at a time.
        sqlx::query("SELECT pg_advisory_xact_lock(7245310001)").execute(tx.conn()).await?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(tx.conn())
    .await?;
    let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(tx.conn())
        .await?
        .try_get("v")?;
    if current > latest() {
        return Err(StoreError::Config(format!(
            "the database has schema version {current}, newer than this binary supports ({}); upgrade atalaya",
            latest()
        )));
    }
    let mut pending: Vec<&Migration> = MIGRATIONS.iter().filter(|m| m.version > current).collect();
    pending.sort_by_key(|m| m.version);
    for m in pending {
        let sql = match store.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        tracing::info!(version = m.version, name = m.name, "applying migration");
        sqlx::raw_sql(sql).execute(tx.conn()).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(atalaya_model::time_util::to_micros(time::OffsetDateTime::now_utc()))
            .execute(tx.conn())
            .await?;
    }
    tx.commit().await?;
    seed_states(store).await
}

async fn seed_states(store: &Store) -> Result<()> {
    let mut tx = store.begin().await?;
    for s in atalaya_model::country::OAS_MEMBER_STATES {
        sqlx::query(
            "INSERT INTO states (code, name_en, name_es, name_pt, name_fr, oas_member) VALUES ($1, $2, $3, $4, $5, 1) \
             ON CONFLICT (code) DO UPDATE SET name_en = $2, name_es = $3, name_pt = $4, name_fr = $5, oas_member = 1",
        )
        .bind(s.code)
        .bind(s.name_en)
        .bind(s.name_es)
        .bind(s.name_pt)
        .bind(s.name_fr)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await
}
