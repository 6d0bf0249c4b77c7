//! Awareness campaigns and the knowledge library (rows, and the library's full-text index:
//! SQLite FTS5 / PostgreSQL tsvector, text folded to ASCII letters first so both backends
//! match the same words).
use crate::{parse_uuid, Result, Store, Tx};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRecord {
    pub id: Uuid,
    /// TLP 2.0 label.
    pub tlp: String,
    pub owner_org: Uuid,
    pub created_user: Option<Uuid>,
    pub created_by: String,
    /// `{"es": {"title": …, "body": …}, …}`
    pub translations: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryRecord {
    pub id: Uuid,
    /// `document`, `playbook` or `training`.
    pub kind: String,
    /// `technical`, `legal`, `administrative` or `training`.
    pub category: String,
    pub tlp: String,
    pub owner_org: Uuid,
    pub created_user: Option<Uuid>,
    pub created_by: String,
    /// `YYYY-MM-DD`.
    pub review_date: String,
    /// `{"en": {"title": …, "body": …, "url": …}, …}`
    pub translations: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Lower-case, accents removed (á→a, ç→c, ñ→n…), everything else not alphanumeric → space.
pub fn fold(s: &str) -> String {
    s.chars()
        .map(|c| {
            let l = c.to_lowercase().next().unwrap_or(c);
            match l {
                'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'í' | 'ì' | 'î' | 'ï' => 'i',
                'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
                'ú' | 'ù' | 'û' | 'ü' => 'u',
                'ç' => 'c',
                'ñ' => 'n',
                'ý' | 'ÿ' => 'y',
                c if c.is_alphanumeric() => c,
                _ => ' ',
            }
        })
        .collect()
}

const CAMPAIGN_COLS: &str = "id, tlp, owner_org, created_user, created_by, translations, created_at, updated_at";
const LIBRARY_COLS: &str = "id, kind, category, tlp, owner_org, created_user, created_by, review_date, translations, created_at, updated_at";

fn opt_uuid(r: &AnyRow, col: &str) -> Result<Option<Uuid>> {
    let v: Option<String> = r.try_get(col)?;
    v.as_deref().map(parse_uuid).transpose()
}

fn campaign_row(r: &AnyRow) -> Result<CampaignRecord> {
    Ok(CampaignRecord {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        tlp: r.try_get("tlp")?,
        owner_org: parse_uuid(&r.try_get::<String, _>("owner_org")?)?,
        created_user: opt_uuid(r, "created_user")?,
        created_by: r.try_get("created_by")?,
        translations: r.try_get("translations")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn library_row(r: &AnyRow) -> Result<LibraryRecord> {
    Ok(LibraryRecord {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        kind: r.try_get("kind")?,
        category: r.try_get("category")?,
        tlp: r.try_get("tlp")?,
        owner_org: parse_uuid(&r.try_get::<String, _>("owner_org")?)?,
        created_user: opt_uuid(r, "created_user")?,
        created_by: r.try_get("created_by")?,
        review_date: r.try_get("review_date")?,
        translations: r.try_get("translations")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Tx {
    pub async fn campaign_insert(&mut self, c: &CampaignRecord) -> Result<()> {
        sqlx::query(&format!("INSERT INTO awareness_campaigns ({CAMPAIGN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .bind(c.id.to_string())
            .bind(&c.tlp)
            .bind(c.owner_org.to_string())
            .bind(c.created_user.map(|u| u.to_string()))
            .bind(&c.created_by)
            .bind(&c.translations)
            .bind(c.created_at)
            .bind(c.updated_at)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Inserts a library item and indexes `text` (all its language versions) for search.
    pub async fn library_insert(&mut self, l: &LibraryRecord, text: &str) -> Result<()> {
        sqlx::query(&format!("INSERT INTO library_items ({LIBRARY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"))
            .bind(l.id.to_string())
            .bind(&l.kind)
            .bind(&l.category)
            .bind(&l.tlp)
            .bind(l.owner_org.to_string())
            .bind(l.created_user.map(|u| u.to_string()))
            .bind(&l.created_by)
            .bind(&l.review_date)
            .bind(&l.translations)
            .bind(l.created_at)
            .bind(l.updated_at)
            .execute(self.conn())
            .await?;
        let sql = match self.backend {
            crate::Backend::Sqlite => "INSERT INTO library_search (item_id, text) VALUES ($1, $2)",
            crate::Backend::Postgres => "INSERT INTO library_search (item_id, doc) VALUES ($1, to_tsvector('simple', $2))",
        };
        sqlx::query(sql).bind(l.id.to_string()).bind(fold(text)).execute(self.conn()).await?;
        Ok(())
    }
}

impl Store {
    /// Campaigns, newest first (callers filter by policy); `tlp` restricts to one label.
    pub async fn campaign_list(&self, tlp: Option<&str>) -> Result<Vec<CampaignRecord>> {
        let rows = sqlx::query(&format!("SELECT {CAMPAIGN_COLS} FROM awareness_campaigns WHERE ($1 = '' OR tlp = $1) ORDER BY updated_at DESC, id"))
            .bind(tlp.unwrap_or("").to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(campaign_row).collect()
    }

    pub async fn campaign_get(&self, id: Uuid) -> Result<Option<CampaignRecord>> {
        let r = sqlx::query(&format!("SELECT {CAMPAIGN_COLS} FROM awareness_campaigns WHERE id = $1")).bind(id.to_string()).fetch_optional(self.reader()).await?;
        r.as_ref().map(campaign_row).transpose()
    }

    pub async fn library_get(&self, id: Uuid) -> Result<Option<LibraryRecord>> {
        let r = sqlx::query(&format!("SELECT {LIBRARY_COLS} FROM library_items WHERE id = $1")).bind(id.to_string()).fetch_optional(self.reader()).await?;
        r.as_ref().map(library_row).transpose()
    }

    /// Items by category (or all), and — when `query` has words — only those whose text holds
    /// every word (whole words, case and accents ignored). Callers filter by policy.
    pub async fn library_list(&self, category: Option<&str>, query: Option<&str>) -> Result<Vec<LibraryRecord>> {
        let words: Vec<String> = query.map(|q| fold(q).split_whitespace().take(20).map(str::to_string).collect()).unwrap_or_default();
        let cat = category.unwrap_or("").to_string();
        let rows = if words.is_empty() {
            sqlx::query(&format!("SELECT {LIBRARY_COLS} FROM library_items WHERE ($1 = '' OR category = $1) ORDER BY updated_at DESC, id"))
                .bind(cat)
                .fetch_all(self.reader())
                .await?
        } else {
            let (sql, q) = match self.backend {
                crate::Backend::Sqlite => (
                    format!(
                        "SELECT {LIBRARY_COLS} FROM library_items WHERE ($1 = '' OR category = $1) AND id IN \
                         (SELECT item_id FROM library_search WHERE library_search MATCH $2) ORDER BY updated_at DESC, id"
                    ),
                    words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" "),
                ),
                crate::Backend::Postgres => (
                    format!(
                        "SELECT {LIBRARY_COLS} FROM library_items WHERE ($1 = '' OR category = $1) AND id IN \
                         (SELECT item_id FROM library_search WHERE doc @@ plainto_tsquery('simple', $2)) ORDER BY updated_at DESC, id"
                    ),
                    words.join(" "),
                ),
            };
            sqlx::query(&sql).bind(cat).bind(q).fetch_all(self.reader()).await?
        };
        rows.iter().map(library_row).collect()
    }
}
