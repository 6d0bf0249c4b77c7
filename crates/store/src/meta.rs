//! Node-wide key/value facts (node identity, settings written at init) and reference data.
use crate::{Result, Store, Tx};
use sqlx::Row;

/// A state of the network (seeded with the 35 OAS member states).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StateRecord {
    pub code: String,
    pub name_en: String,
    pub name_es: String,
    pub name_pt: String,
    pub name_fr: String,
    pub oas_member: bool,
}

impl Store {
    pub async fn meta_get(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM node_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(self.reader())
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("value")?),
            None => None,
        })
    }

    pub async fn states(&self) -> Result<Vec<StateRecord>> {
        let rows = sqlx::query("SELECT code, name_en, name_es, name_pt, name_fr, oas_member FROM states ORDER BY code")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StateRecord {
                    code: r.try_get("code")?,
                    name_en: r.try_get("name_en")?,
                    name_es: r.try_get("name_es")?,
                    name_pt: r.try_get("name_pt")?,
                    name_fr: r.try_get("name_fr")?,
                    oas_member: crate::get_bool(r, "oas_member")?,
                })
            })
            .collect()
    }
}

impl Tx {
    pub async fn meta_get(&mut self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM node_meta WHERE key = $1").bind(key).fetch_optional(self.conn()).await?;
        Ok(match row {
            Some(r) => Some(r.try_get("value")?),
            None => None,
        })
    }

    pub async fn meta_set(&mut self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2")
            .bind(key)
            .bind(value)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
