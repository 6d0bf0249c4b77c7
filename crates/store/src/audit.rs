//! The hash-chained audit log. Entries are appended inside the caller's transaction, so an
//! action and its record commit together or not at all. The single `audit_head` row is
//! updated by every append: that row lock serialises appenders (also across processes on
//! PostgreSQL), keeping `seq` gap-free and the chain linear.
use crate::{parse_json, to_json, Backend, Result, Store, StoreError, Tx};
use atalaya_model::audit::{AuditEntry, AuditVerification, NewAuditEntry};
use atalaya_model::time_util::{micros_rfc3339, to_micros};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over an unambiguous encoding (a JSON array) of every field and the previous hash.
#[allow(clippy::too_many_arguments)]
pub fn audit_hash(seq: i64, at_us: i64, actor: &str, action: &str, object_kind: &str, object_id: Option<&str>, source: &str, detail: &str, prev_hash: &str) -> String {
    let canonical = serde_json::json!([seq, at_us, actor, action, object_kind, object_id, source, detail, prev_hash]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

struct RawEntry {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    object_kind: String,
    object_id: Option<String>,
    source: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

fn raw_from_row(r: &AnyRow) -> Result<RawEntry> {
    Ok(RawEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        object_kind: r.try_get("object_kind")?,
        object_id: r.try_get("object_id")?,
        source: r.try_get("source")?,
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

impl RawEntry {
    fn computed_hash(&self) -> String {
        audit_hash(self.seq, self.at, &self.actor, &self.action, &self.object_kind, self.object_id.as_deref(), &self.source, &self.detail, &self.prev_hash)
    }
    fn into_entry(self) -> Result<AuditEntry> {
        Ok(AuditEntry {
            seq: self.seq,
            at: micros_rfc3339(self.at),
            actor: self.actor,
            action: self.action,
            object_kind: self.object_kind,
            object_id: self.object_id,
            source: self.source,
            detail: parse_json(&self.detail, "audit detail")?,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

const COLS: &str = "seq, at, actor, action, object_kind, object_id, source, detail, prev_hash, hash";

impl Tx {
    /// Appends one entry to the chain; returns its sequence number.
    pub async fn audit_append(&mut self, e: &NewAuditEntry, now: OffsetDateTime) -> Result<i64> {
        let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(self.conn())
            .await?;
        let seq: i64 = head.try_get("seq")?;
        let prev: String = head.try_get("hash")?;
        let at = to_micros(now);
        let detail = to_json(&e.detail)?;
        let hash = audit_hash(seq, at, &e.actor, &e.action, &e.object_kind, e.object_id.as_deref(), &e.source, &detail, &prev);
        sqlx::query(&format!("INSERT INTO audit_log ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
            .bind(seq)
            .bind(at)
            .bind(e.actor.clone())
            .bind(e.action.clone())
            .bind(e.object_kind.clone())
            .bind(e.object_id.clone())
            .bind(e.source.clone())
            .bind(detail)
            .bind(prev)
            .bind(hash.clone())
            .execute(self.conn())
            .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(hash).execute(self.conn()).await?;
        Ok(seq)
    }
}

impl Store {
    /// Entries with `seq > after`, oldest first, at most `limit`.
    pub async fn audit_list(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(&format!("SELECT {COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| raw_from_row(r)?.into_entry()).collect()
    }

    /// Walks the whole chain and reports the first entry that was altered, removed or inserted.
    pub async fn audit_verify(&self) -> Result<AuditVerification> {
        // Head and pages are read in one snapshot, so entries committed meanwhile are either
        // wholly seen (with their head) or not at all. Dropping the read transaction rolls it back.
        let mut snap = match self.backend() {
            Backend::Sqlite => self.reader().begin().await?,
            Backend::Postgres => self.reader().begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
        };
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut *snap).await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: String = head.try_get("hash")?;
        let mut expected_seq = 1i64;
        let mut prev = GENESIS_HASH.to_string();
        let mut count = 0i64;
        let bad = |seq: i64, problem: String, count: i64| AuditVerification { entries: count, ok: false, first_bad_seq: Some(seq), problem: Some(problem) };
        const PAGE: i64 = 5_000;
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(&format!("SELECT {COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"))
                .bind(after)
                .bind(PAGE)
                .fetch_all(&mut *snap)
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let e = raw_from_row(r)?;
                count += 1;
                if e.seq != expected_seq {
                    return Ok(bad(expected_seq, format!("entry {expected_seq} is missing (next present entry is {})", e.seq), count));
                }
                if e.seq > head_seq {
                    return Ok(bad(e.seq, format!("entry {} lies beyond the recorded head of the chain (entry {head_seq}): it was added behind the log's back", e.seq), count));
                }
                if e.prev_hash != prev {
                    return Ok(bad(e.seq, format!("entry {} does not link to entry {} (an entry before it was altered or replaced)", e.seq, e.seq - 1), count));
                }
                if e.computed_hash() != e.hash {
                    return Ok(bad(e.seq, format!("entry {} was altered: its content does not match its hash", e.seq), count));
                }
                prev = e.hash;
                expected_seq += 1;
                after = e.seq;
            }
        }
        let last = expected_seq - 1;
        if last != head_seq {
            let seq = (last + 1).min(head_seq.max(1));
            return Ok(bad(seq, format!("the log ends at entry {last} but {head_seq} entries were written: entries {} to {head_seq} were removed", last + 1), count));
        }
        if prev != head_hash {
            return Ok(bad(last.max(1), format!("the last entry {last} does not match the recorded head of the chain"), count));
        }
        Ok(AuditVerification { entries: count, ok: true, first_bad_seq: None, problem: None })
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
