//! Evidence records and their chain of custody (rows only; the content files are handled by the
//! services, under the data directory).
use crate::{get_bool, parse_uuid, Result, Store, Tx};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    pub id: Uuid,
    pub description: String,
    pub filename: Option<String>,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    /// Path of the content relative to the data directory.
    pub storage: String,
    pub owner_org: Uuid,
    pub custodian_org: Uuid,
    /// The person or unit holding it now (free text, e.g. "Det. R. Silva, Unidad de Delitos Informáticos").
    pub custodian: String,
    /// Law-enforcement only.
    pub restricted: bool,
    /// Incident case or assistance request it belongs to.
    pub case_ref: Option<String>,
    /// `held`, `released` or `disposed`.
    pub state: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyRecord {
    pub evidence_id: Uuid,
    pub seq: i64,
    pub action: String,
    pub from_party: String,
    pub to_party: String,
    pub to_org: Option<Uuid>,
    pub reason: String,
    pub sha256_seen: String,
    pub hash_ok: bool,
    pub recorded_by: String,
    pub at: i64,
}

const EVIDENCE_COLS: &str = "id, description, filename, media_type, size, sha256, storage, owner_org, custodian_org, custodian, \
     restricted, case_ref, state, created_by, created_at, updated_at";
const CUSTODY_COLS: &str = "evidence_id, seq, action, from_party, to_party, to_org, reason, sha256_seen, hash_ok, recorded_by, at";

fn evidence_row(r: &AnyRow) -> Result<EvidenceRecord> {
    Ok(EvidenceRecord {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        description: r.try_get("description")?,
        filename: r.try_get("filename")?,
        media_type: r.try_get("media_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        storage: r.try_get("storage")?,
        owner_org: parse_uuid(&r.try_get::<String, _>("owner_org")?)?,
        custodian_org: parse_uuid(&r.try_get::<String, _>("custodian_org")?)?,
        custodian: r.try_get("custodian")?,
        restricted: get_bool(r, "restricted")?,
        case_ref: r.try_get("case_ref")?,
        state: r.try_get("state")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn custody_row(r: &AnyRow) -> Result<CustodyRecord> {
    let to_org: Option<String> = r.try_get("to_org")?;
    Ok(CustodyRecord {
        evidence_id: parse_uuid(&r.try_get::<String, _>("evidence_id")?)?,
        seq: r.try_get("seq")?,
        action: r.try_get("action")?,
        from_party: r.try_get("from_party")?,
        to_party: r.try_get("to_party")?,
        to_org: to_org.as_deref().map(parse_uuid).transpose()?,
        reason: r.try_get("reason")?,
        sha256_seen: r.try_get("sha256_seen")?,
        hash_ok: get_bool(r, "hash_ok")?,
        recorded_by: r.try_get("recorded_by")?,
        at: r.try_get("at")?,
    })
}

impl Tx {
    pub async fn evidence_insert(&mut self, e: &EvidenceRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO evidence ({EVIDENCE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(e.id.to_string())
        .bind(&e.description)
        .bind(e.filename.clone())
        .bind(&e.media_type)
        .bind(e.size)
        .bind(&e.sha256)
        .bind(&e.storage)
        .bind(e.owner_org.to_string())
        .bind(e.custodian_org.to_string())
        .bind(&e.custodian)
        .bind(e.restricted as i64)
        .bind(e.case_ref.clone())
        .bind(&e.state)
        .bind(&e.created_by)
        .bind(e.created_at)
        .bind(e.updated_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The record, locked for this transaction's hand-over (PostgreSQL: `FOR UPDATE`).
    pub async fn evidence_get_for_update(&mut self, id: Uuid) -> Result<Option<EvidenceRecord>> {
        let lock = if self.backend == crate::Backend::Postgres { " FOR UPDATE" } else { "" };
        let row = sqlx::query(&format!("SELECT {EVIDENCE_COLS} FROM evidence WHERE id = $1{lock}"))
            .bind(id.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(evidence_row).transpose()
    }

    pub async fn evidence_set_custody(&mut self, id: Uuid, custodian_org: Uuid, custodian: &str, state: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE evidence SET custodian_org = $1, custodian = $2, state = $3, updated_at = $4 WHERE id = $5")
            .bind(custodian_org.to_string())
            .bind(custodian)
            .bind(state)
            .bind(now)
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Appends a custody event with the next sequence number of this record.
    pub async fn custody_append(&mut self, c: &CustodyRecord) -> Result<i64> {
        let next: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM evidence_custody WHERE evidence_id = $1")
            .bind(c.evidence_id.to_string())
            .fetch_one(self.conn())
            .await?
            .try_get("n")?;
        sqlx::query(&format!("INSERT INTO evidence_custody ({CUSTODY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"))
            .bind(c.evidence_id.to_string())
            .bind(next)
            .bind(&c.action)
            .bind(&c.from_party)
            .bind(&c.to_party)
            .bind(c.to_org.map(|u| u.to_string()))
            .bind(&c.reason)
            .bind(&c.sha256_seen)
            .bind(c.hash_ok as i64)
            .bind(&c.recorded_by)
            .bind(c.at)
            .execute(self.conn())
            .await?;
        Ok(next)
    }
}

impl Store {
    pub async fn evidence_get(&self, id: Uuid) -> Result<Option<EvidenceRecord>> {
        let row = sqlx::query(&format!("SELECT {EVIDENCE_COLS} FROM evidence WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(evidence_row).transpose()
    }

    /// Every record, oldest first (callers filter by policy).
    pub async fn evidence_list(&self, case_ref: Option<&str>) -> Result<Vec<EvidenceRecord>> {
        let rows = match case_ref {
            Some(c) => {
                sqlx::query(&format!("SELECT {EVIDENCE_COLS} FROM evidence WHERE case_ref = $1 ORDER BY created_at, id"))
                    .bind(c.to_string())
                    .fetch_all(self.reader())
                    .await?
            }
            None => sqlx::query(&format!("SELECT {EVIDENCE_COLS} FROM evidence ORDER BY created_at, id")).fetch_all(self.reader()).await?,
        };
        rows.iter().map(evidence_row).collect()
    }

    pub async fn custody_of(&self, id: Uuid) -> Result<Vec<CustodyRecord>> {
        let rows = sqlx::query(&format!("SELECT {CUSTODY_COLS} FROM evidence_custody WHERE evidence_id = $1 ORDER BY seq"))
            .bind(id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(custody_row).collect()
    }
}
