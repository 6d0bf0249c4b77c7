//! The raw baseline: the rows Atalaya stored, inserted again with plain SQLite (rusqlite, the
//! same bundled SQLite that sqlx links) into a fresh database with the same `stix_objects`
//! layout (table and indexes copied from Atalaya's database), WAL + `synchronous=FULL` like
//! Atalaya, one prepared statement, one transaction per batch.

use rusqlite::{params, Connection, OpenFlags};
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Row {
    seq: i64,
    stix_id: String,
    version: String,
    object_type: String,
    spec_version: String,
    tlp: i64,
    owner_org: String,
    added_at: i64,
    revoked: i64,
    distribution: Option<String>,
    body: String,
    sighting_of: Option<String>,
    sectors: Option<String>,
}

const COLS: &str = "seq, stix_id, version, type, spec_version, tlp, owner_org, added_at, revoked, distribution, body, sighting_of, sectors";

/// The DDL of `stix_objects` (table first, then its indexes) and every stored row, in seq order.
pub fn load(atalaya_db: &Path) -> rusqlite::Result<(Vec<String>, Vec<Row>)> {
    let c = Connection::open_with_flags(atalaya_db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut ddl = vec![];
    let mut q = c.prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'stix_objects' AND sql IS NOT NULL ORDER BY type = 'table' DESC, rowid")?;
    for s in q.query_map([], |r| r.get::<_, String>(0))? {
        ddl.push(s?);
    }
    let mut q = c.prepare(&format!("SELECT {COLS} FROM stix_objects ORDER BY seq"))?;
    let rows = q
        .query_map([], |r| {
            Ok(Row {
                seq: r.get(0)?,
                stix_id: r.get(1)?,
                version: r.get(2)?,
                object_type: r.get(3)?,
                spec_version: r.get(4)?,
                tlp: r.get(5)?,
                owner_org: r.get(6)?,
                added_at: r.get(7)?,
                revoked: r.get(8)?,
                distribution: r.get(9)?,
                body: r.get(10)?,
                sighting_of: r.get(11)?,
                sectors: r.get(12)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((ddl, rows))
}

pub struct RawResult {
    pub rows: usize,
    pub elapsed: Duration,
    pub cpu: f64,
}

/// Inserts `rows` into a new database at `path` (removed first), `batch` rows per transaction.
/// `cache_kib`: the page cache size (`PRAGMA cache_size = -KiB`), the same as Atalaya's
/// connection so that both pay for the same amount of cache spilling.
pub fn insert(path: &Path, ddl: &[String], rows: &[Row], batch: usize, cache_kib: i64) -> rusqlite::Result<RawResult> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let c = Connection::open(path)?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    c.pragma_update(None, "cache_size", -cache_kib)?;
    for s in ddl {
        c.execute_batch(s)?;
    }
    let cpu0 = crate::sys::cpu_seconds();
    let t = Instant::now();
    let mut stmt = c.prepare(&format!("INSERT INTO stix_objects ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"))?;
    for chunk in rows.chunks(batch.max(1)) {
        c.execute_batch("BEGIN IMMEDIATE")?;
        for r in chunk {
            stmt.execute(params![
                r.seq,
                r.stix_id,
                r.version,
                r.object_type,
                r.spec_version,
                r.tlp,
                r.owner_org,
                r.added_at,
                r.revoked,
                r.distribution,
                r.body,
                r.sighting_of,
                r.sectors
            ])?;
        }
        c.execute_batch("COMMIT")?;
    }
    drop(stmt);
    let elapsed = t.elapsed();
    let cpu = crate::sys::cpu_seconds() - cpu0;
    let n: i64 = c.query_row("SELECT COUNT(*) FROM stix_objects", [], |r| r.get(0))?;
    assert_eq!(n as usize, rows.len(), "raw insert stored every row");
    Ok(RawResult { rows: rows.len(), elapsed, cpu })
}
