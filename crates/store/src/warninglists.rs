//! Warninglists (MISP format) as the node stores them: shared by every process of a node.
use crate::{Result, Store, Tx};
use atalaya_model::time_util::to_micros;
use sqlx::Row;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct WarninglistRecord {
    pub name: String,
    pub enabled: bool,
    pub entries: i64,
    /// The list's MISP JSON.
    pub body: String,
    pub added_at: i64,
    pub added_by: String,
}

impl Store {
    pub async fn warninglists(&self) -> Result<Vec<WarninglistRecord>> {
        let rows = sqlx::query("SELECT name, enabled, entries, body, added_at, added_by FROM warninglists ORDER BY name")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(WarninglistRecord {
                    name: r.try_get("name")?,
                    enabled: crate::get_bool(r, "enabled")?,
                    entries: r.try_get("entries")?,
                    body: r.try_get("body")?,
                    added_at: r.try_get("added_at")?,
                    added_by: r.try_get("added_by")?,
                })
            })
            .collect()
    }
}

impl Tx {
    /// Adds a list or replaces the list of the same name (keeping its enabled state).
    pub async fn warninglist_put(&mut self, name: &str, entries: i64, body: &str, actor: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "INSERT INTO warninglists (name, enabled, entries, body, added_at, added_by) VALUES ($1, 1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET entries = $2, body = $3, added_at = $4, added_by = $5",
        )
        .bind(name.to_string())
        .bind(entries)
        .bind(body.to_string())
        .bind(to_micros(now))
        .bind(actor.to_string())
        .execute(self.conn())
        .await?;
        self.bump_warninglists_version().await
    }

    /// Returns false when there is no such list.
    pub async fn warninglist_set_enabled(&mut self, name: &str, enabled: bool) -> Result<bool> {
        let done = sqlx::query("UPDATE warninglists SET enabled = $1 WHERE name = $2")
            .bind(enabled as i64)
            .bind(name.to_string())
            .execute(self.conn())
            .await?;
        self.bump_warninglists_version().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn warninglist_delete(&mut self, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM warninglists WHERE name = $1").bind(name.to_string()).execute(self.conn()).await?;
        self.bump_warninglists_version().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn bump_warninglists_version(&mut self) -> Result<()> {
        let current: i64 = self.meta_get("warninglists.version").await?.and_then(|v| v.parse().ok()).unwrap_or(0);
        self.meta_set("warninglists.version", &(current + 1).to_string()).await
    }
}
