//! CSAF advisories: the verbatim document, what is read out of it for search, every stored
//! version, links to cases and indicators, and the counters of authored tracking ids.
use crate::{get_bool, parse_uuid, Result, Store, Tx};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryRecord {
    pub id: Uuid,
    pub publisher_namespace: String,
    pub tracking_id: String,
    pub publisher_name: String,
    pub category: String,
    pub title: String,
    pub lang: Option<String>,
    pub version: String,
    pub status: String,
    pub initial_release: String,
    pub current_release: String,
    /// TLP 2.0 label (`TLP:AMBER+STRICT`).
    pub tlp: String,
    pub owner_org: Uuid,
    pub created_by: String,
    /// The user who stored it (the named individual of a TLP:RED advisory).
    pub created_user: Option<Uuid>,
    pub authored: bool,
    /// The author input (JSON) of an advisory written here, for new revisions.
    pub author_input: Option<String>,
    /// The CSAF document (JSON text), verbatim.
    pub document: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A product of the flattened product tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryProduct {
    pub product_id: String,
    pub name: String,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
}

/// What search uses, replaced with every version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdvisoryIndex {
    pub products: Vec<AdvisoryProduct>,
    pub cves: Vec<String>,
    pub sectors: Vec<String>,
}

/// Filters of a list; all given ones must match (case-insensitive substring for text).
#[derive(Debug, Clone, Default)]
pub struct AdvisoryFilter {
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub cve: Option<String>,
    pub sector: Option<String>,
    /// TLP 2.0 labels allowed.
    pub tlp: Vec<String>,
    /// In the title or tracking id.
    pub text: Option<String>,
}

const COLS: &str = "id, publisher_namespace, tracking_id, publisher_name, category, title, lang, version, status, initial_release, \
     current_release, tlp, owner_org, created_by, created_user, authored, author_input, document, created_at, updated_at";

fn row(r: &AnyRow) -> Result<AdvisoryRecord> {
    let cu: Option<String> = r.try_get("created_user")?;
    Ok(AdvisoryRecord {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        publisher_namespace: r.try_get("publisher_namespace")?,
        tracking_id: r.try_get("tracking_id")?,
        publisher_name: r.try_get("publisher_name")?,
        category: r.try_get("category")?,
        title: r.try_get("title")?,
        lang: r.try_get("lang")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        initial_release: r.try_get("initial_release")?,
        current_release: r.try_get("current_release")?,
        tlp: r.try_get("tlp")?,
        owner_org: parse_uuid(&r.try_get::<String, _>("owner_org")?)?,
        created_by: r.try_get("created_by")?,
        created_user: cu.as_deref().map(parse_uuid).transpose()?,
        authored: get_bool(r, "authored")?,
        author_input: r.try_get("author_input")?,
        document: r.try_get("document")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Tx {
    /// The next number of a tracking-id prefix (`ATALAYA-UY-2026`), from 1.
    pub async fn advisory_next_seq(&mut self, prefix: &str) -> Result<i64> {
        let n: i64 = sqlx::query(
            "INSERT INTO advisory_sequences (prefix, last) VALUES ($1, 1) ON CONFLICT (prefix) DO UPDATE SET last = advisory_sequences.last + 1 RETURNING last",
        )
        .bind(prefix)
        .fetch_one(self.conn())
        .await?
        .try_get("last")?;
        Ok(n)
    }

    /// The advisory of a publisher's tracking id, locked for this transaction (PostgreSQL).
    pub async fn advisory_find(&mut self, namespace: &str, tracking_id: &str) -> Result<Option<AdvisoryRecord>> {
        let lock = if self.backend == crate::Backend::Postgres { " FOR UPDATE" } else { "" };
        let r = sqlx::query(&format!("SELECT {COLS} FROM advisories WHERE publisher_namespace = $1 AND tracking_id = $2{lock}"))
            .bind(namespace)
            .bind(tracking_id)
            .fetch_optional(self.conn())
            .await?;
        r.as_ref().map(row).transpose()
    }

    pub async fn advisory_get_for_update(&mut self, id: Uuid) -> Result<Option<AdvisoryRecord>> {
        let lock = if self.backend == crate::Backend::Postgres { " FOR UPDATE" } else { "" };
        let r = sqlx::query(&format!("SELECT {COLS} FROM advisories WHERE id = $1{lock}")).bind(id.to_string()).fetch_optional(self.conn()).await?;
        r.as_ref().map(row).transpose()
    }

    /// Inserts or replaces (same id) the advisory, its search index and this version.
    pub async fn advisory_put(&mut self, a: &AdvisoryRecord, index: &AdvisoryIndex, insert: bool) -> Result<()> {
        let id = a.id.to_string();
        if insert {
            sqlx::query(&format!(
                "INSERT INTO advisories ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
            ))
            .bind(&id)
            .bind(&a.publisher_namespace)
            .bind(&a.tracking_id)
            .bind(&a.publisher_name)
            .bind(&a.category)
            .bind(&a.title)
            .bind(a.lang.clone())
            .bind(&a.version)
            .bind(&a.status)
            .bind(&a.initial_release)
            .bind(&a.current_release)
            .bind(&a.tlp)
            .bind(a.owner_org.to_string())
            .bind(&a.created_by)
            .bind(a.created_user.map(|u| u.to_string()))
            .bind(a.authored as i64)
            .bind(a.author_input.clone())
            .bind(&a.document)
            .bind(a.created_at)
            .bind(a.updated_at)
            .execute(self.conn())
            .await?;
        } else {
            sqlx::query(
                "UPDATE advisories SET publisher_name = $1, category = $2, title = $3, lang = $4, version = $5, status = $6, \
                 initial_release = $7, current_release = $8, tlp = $9, author_input = $10, document = $11, updated_at = $12 WHERE id = $13",
            )
            .bind(&a.publisher_name)
            .bind(&a.category)
            .bind(&a.title)
            .bind(a.lang.clone())
            .bind(&a.version)
            .bind(&a.status)
            .bind(&a.initial_release)
            .bind(&a.current_release)
            .bind(&a.tlp)
            .bind(a.author_input.clone())
            .bind(&a.document)
            .bind(a.updated_at)
            .bind(&id)
            .execute(self.conn())
            .await?;
            for t in ["advisory_products", "advisory_cves", "advisory_sectors"] {
                sqlx::query(&format!("DELETE FROM {t} WHERE advisory_id = $1")).bind(&id).execute(self.conn()).await?;
            }
        }
        for p in &index.products {
            sqlx::query(
                "INSERT INTO advisory_products (advisory_id, product_id, name, vendor, product, version) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (advisory_id, product_id) DO NOTHING",
            )
            .bind(&id)
            .bind(&p.product_id)
            .bind(&p.name)
            .bind(p.vendor.clone())
            .bind(p.product.clone())
            .bind(p.version.clone())
            .execute(self.conn())
            .await?;
        }
        for c in &index.cves {
            sqlx::query("INSERT INTO advisory_cves (advisory_id, cve) VALUES ($1, $2) ON CONFLICT (advisory_id, cve) DO NOTHING")
                .bind(&id)
                .bind(c)
                .execute(self.conn())
                .await?;
        }
        for s in &index.sectors {
            sqlx::query("INSERT INTO advisory_sectors (advisory_id, sector) VALUES ($1, $2) ON CONFLICT (advisory_id, sector) DO NOTHING")
                .bind(&id)
                .bind(s)
                .execute(self.conn())
                .await?;
        }
        sqlx::query("INSERT INTO advisory_versions (advisory_id, version, document, recorded_at) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(&a.version)
            .bind(&a.document)
            .bind(a.updated_at)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn advisory_link(&mut self, id: Uuid, kind: &str, target: &str) -> Result<()> {
        sqlx::query("INSERT INTO advisory_links (advisory_id, kind, target) VALUES ($1, $2, $3) ON CONFLICT (advisory_id, kind, target) DO NOTHING")
            .bind(id.to_string())
            .bind(kind)
            .bind(target)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

impl Store {
    pub async fn advisory_get(&self, id: Uuid) -> Result<Option<AdvisoryRecord>> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM advisories WHERE id = $1")).bind(id.to_string()).fetch_optional(self.reader()).await?;
        r.as_ref().map(row).transpose()
    }

    /// Matching advisories, newest release first (callers filter by policy).
    pub async fn advisory_list(&self, f: &AdvisoryFilter) -> Result<Vec<AdvisoryRecord>> {
        let mut sql = format!("SELECT {COLS} FROM advisories a WHERE 1 = 1");
        let mut binds: Vec<String> = vec![];
        let like = |binds: &mut Vec<String>, v: &str| {
            binds.push(format!("%{}%", v.to_lowercase().replace(['\\', '%', '_'], "")));
            binds.len()
        };
        if let Some(v) = &f.vendor {
            let n = like(&mut binds, v);
            sql += &format!(" AND EXISTS (SELECT 1 FROM advisory_products p WHERE p.advisory_id = a.id AND LOWER(p.vendor) LIKE ${n})");
        }
        if let Some(v) = &f.product {
            let n = like(&mut binds, v);
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM advisory_products p WHERE p.advisory_id = a.id AND (LOWER(p.product) LIKE ${n} OR LOWER(p.name) LIKE ${n}))"
            );
        }
        if let Some(v) = &f.sector {
            let n = like(&mut binds, v);
            sql += &format!(" AND EXISTS (SELECT 1 FROM advisory_sectors s WHERE s.advisory_id = a.id AND LOWER(s.sector) LIKE ${n})");
        }
        if let Some(v) = &f.text {
            let n = like(&mut binds, v);
            sql += &format!(" AND (LOWER(a.title) LIKE ${n} OR LOWER(a.tracking_id) LIKE ${n})");
        }
        if let Some(v) = &f.cve {
            binds.push(v.trim().to_uppercase());
            sql += &format!(" AND EXISTS (SELECT 1 FROM advisory_cves c WHERE c.advisory_id = a.id AND c.cve = ${})", binds.len());
        }
        if !f.tlp.is_empty() {
            let mut ph = vec![];
            for t in &f.tlp {
                binds.push(t.clone());
                ph.push(format!("${}", binds.len()));
            }
            sql += &format!(" AND a.tlp IN ({})", ph.join(", "));
        }
        sql += " ORDER BY a.current_release DESC, a.id";
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(row).collect()
    }

    /// Every stored version: (version, recorded_at), oldest first.
    pub async fn advisory_versions(&self, id: Uuid) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT version, recorded_at FROM advisory_versions WHERE advisory_id = $1 ORDER BY recorded_at, version")
            .bind(id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("version")?, r.try_get("recorded_at")?))).collect()
    }

    pub async fn advisory_version_document(&self, id: Uuid, version: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT document FROM advisory_versions WHERE advisory_id = $1 AND version = $2")
            .bind(id.to_string())
            .bind(version)
            .fetch_optional(self.reader())
            .await?;
        Ok(match r {
            Some(r) => Some(r.try_get("document")?),
            None => None,
        })
    }

    pub async fn advisory_products(&self, id: Uuid) -> Result<Vec<AdvisoryProduct>> {
        let rows = sqlx::query("SELECT product_id, name, vendor, product, version FROM advisory_products WHERE advisory_id = $1 ORDER BY product_id")
            .bind(id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AdvisoryProduct {
                    product_id: r.try_get("product_id")?,
                    name: r.try_get("name")?,
                    vendor: r.try_get("vendor")?,
                    product: r.try_get("product")?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }

    /// (kind, target) links of an advisory.
    pub async fn advisory_links(&self, id: Uuid) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT kind, target FROM advisory_links WHERE advisory_id = $1 ORDER BY kind, target")
            .bind(id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("kind")?, r.try_get("target")?))).collect()
    }
}
