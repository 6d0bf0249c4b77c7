//! The CBM registry: one row per entry (policy, designation, implementation report, norm report).
use crate::{parse_uuid, Result, Store, Tx};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CbmRecord {
    pub id: Uuid,
    /// ISO 3166-1 alpha-2.
    pub state: String,
    /// `policy`, `designation`, `implementation` or `norm`.
    pub kind: String,
    /// CBM number, norm letter, or designation role (`policy-level`, `foreign-affairs`).
    pub topic: String,
    pub title: String,
    /// The kind's fields (JSON).
    pub body: String,
    /// `public` or `network`.
    pub visibility: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub removed_at: Option<i64>,
    pub removed_by: Option<String>,
}

const COLS: &str = "id, state, kind, topic, title, body, visibility, created_by, created_at, updated_at, removed_at, removed_by";

fn row(r: &AnyRow) -> Result<CbmRecord> {
    Ok(CbmRecord {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        state: r.try_get("state")?,
        kind: r.try_get("kind")?,
        topic: r.try_get("topic")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        visibility: r.try_get("visibility")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        removed_at: r.try_get("removed_at")?,
        removed_by: r.try_get("removed_by")?,
    })
}

impl Tx {
    pub async fn cbm_insert(&mut self, c: &CbmRecord) -> Result<()> {
        sqlx::query(&format!("INSERT INTO cbm_items ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
            .bind(c.id.to_string())
            .bind(&c.state)
            .bind(&c.kind)
            .bind(&c.topic)
            .bind(&c.title)
            .bind(&c.body)
            .bind(&c.visibility)
            .bind(&c.created_by)
            .bind(c.created_at)
            .bind(c.updated_at)
            .bind(c.removed_at)
            .bind(c.removed_by.clone())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Marks an entry removed; false when it was already removed or does not exist.
    pub async fn cbm_remove(&mut self, id: Uuid, by: &str, at: i64) -> Result<bool> {
        let n = sqlx::query("UPDATE cbm_items SET removed_at = $1, removed_by = $2, updated_at = $1 WHERE id = $3 AND removed_at IS NULL")
            .bind(at)
            .bind(by)
            .bind(id.to_string())
            .execute(self.conn())
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}

impl Store {
    pub async fn cbm_get(&self, id: Uuid) -> Result<Option<CbmRecord>> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM cbm_items WHERE id = $1")).bind(id.to_string()).fetch_optional(self.reader()).await?;
        r.as_ref().map(row).transpose()
    }

    /// Current (not removed) entries, by state, kind and topic (callers filter by visibility).
    pub async fn cbm_list(&self, state: Option<&str>, kind: Option<&str>) -> Result<Vec<CbmRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM cbm_items WHERE removed_at IS NULL AND ($1 = '' OR state = $1) AND ($2 = '' OR kind = $2) \
             ORDER BY state, kind, topic, created_at, id"
        ))
        .bind(state.unwrap_or("").to_string())
        .bind(kind.unwrap_or("").to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(row).collect()
    }
}
