//! Stored STIX object versions. Each (id, version) is stored once; `seq` is assigned in commit
//! order (the counter row is locked by the writing transaction) so cursors never skip a row.
use crate::{Result, Store, Tx};
use atalaya_model::time_util::to_micros;
use atalaya_model::Tlp;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

/// A version to store.
#[derive(Debug, Clone)]
pub struct NewStixObject {
    pub stix_id: String,
    /// `modified`, else `created`, else "" (SCOs).
    pub version: String,
    pub object_type: String,
    pub spec_version: String,
    pub tlp: Tlp,
    pub owner_org: uuid::Uuid,
    pub revoked: bool,
    /// Distribution as JSON (`None`: the whole network, within TLP rules).
    pub distribution: Option<String>,
    /// The object verbatim (JSON text).
    pub body: String,
    /// For sightings: the id of the sighted object.
    pub sighting_of: Option<String>,
    /// Critical-infrastructure sectors (STIX industry-sector-ov) the object concerns.
    pub sectors: Vec<String>,
    /// Words for full-text search (names, descriptions, patterns, values).
    pub search_text: String,
}

/// A stored version.
#[derive(Debug, Clone)]
pub struct StixRecord {
    pub seq: i64,
    pub stix_id: String,
    pub version: String,
    pub object_type: String,
    pub spec_version: String,
    pub tlp: Tlp,
    pub owner_org: uuid::Uuid,
    /// Microseconds since the epoch (TAXII `date_added`).
    pub added_at: i64,
    pub revoked: bool,
    pub distribution: Option<String>,
    pub body: String,
    pub sighting_of: Option<String>,
    pub sectors: Vec<String>,
}

/// What happened to one object of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored with this sequence number.
    Stored(i64),
    /// This exact (id, version) was already stored.
    Duplicate,
}

const COLS: &str = "seq, stix_id, version, type, spec_version, tlp, owner_org, added_at, revoked, distribution, body, sighting_of, sectors";
const NCOLS: usize = 13;

fn sectors_column(s: &[String]) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(format!(",{},", s.join(",")))
    }
}

pub fn tlp_rank(t: Tlp) -> i64 {
    match t {
        Tlp::Clear => 0,
        Tlp::Green => 1,
        Tlp::Amber => 2,
        Tlp::AmberStrict => 3,
        Tlp::Red => 4,
    }
}

pub(crate) fn tlp_from_rank(r: i64) -> Tlp {
    match r {
        0 => Tlp::Clear,
        1 => Tlp::Green,
        2 => Tlp::Amber,
        3 => Tlp::AmberStrict,
        _ => Tlp::Red,
    }
}

pub(crate) fn from_row(r: &AnyRow) -> Result<StixRecord> {
    Ok(StixRecord {
        seq: r.try_get("seq")?,
        stix_id: r.try_get("stix_id")?,
        version: r.try_get("version")?,
        object_type: r.try_get("type")?,
        spec_version: r.try_get("spec_version")?,
        tlp: tlp_from_rank(r.try_get("tlp")?),
        owner_org: crate::parse_uuid(&r.try_get::<String, _>("owner_org")?)?,
        added_at: r.try_get("added_at")?,
        revoked: crate::get_bool(r, "revoked")?,
        distribution: r.try_get("distribution")?,
        body: r.try_get("body")?,
        sighting_of: r.try_get("sighting_of")?,
        sectors: r
            .try_get::<Option<String>, _>("sectors")?
            .map(|s| s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

/// Rows per multi-row INSERT (13 parameters each: 26,000, under SQLite's 32,766 and
/// PostgreSQL's 65,535). Few big statements: SQLite journals each page a statement changes once
/// per statement (statement journal), and every statement is a round trip to the driver.
const CHUNK: usize = 2000;

/// Ids per ownership query.
const OWNERS_CHUNK: usize = 1000;

/// Search rows per multi-row INSERT into `stix_search` (2 parameters each). One statement per
/// batch where possible: FTS5 writes a new segment at the end of every multi-row statement.
const SEARCH_CHUNK: usize = 5000;

/// `n` rows of `cols` placeholders: `(?,?),(?,?)` on SQLite (positional: SQLite resolves each
/// `$N` by a linear scan of the named parameters, quadratic for big statements), `($1,$2),($3,$4)`
/// on PostgreSQL. `wrap(c, placeholder)` may wrap a column's placeholder in an expression.
fn values_rows(backend: crate::Backend, n: usize, cols: usize, wrap: impl Fn(usize, &str) -> String) -> String {
    let mut sql = String::with_capacity(n * (cols * 4 + 3));
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            let p = match backend {
                crate::Backend::Sqlite => "?".to_string(),
                crate::Backend::Postgres => format!("${}", i * cols + c + 1),
            };
            sql.push_str(&wrap(c, &p));
        }
        sql.push(')');
    }
    sql
}

impl Tx {
    /// Stores a batch; duplicates of already-stored (id, version) pairs are skipped.
    /// Sequence numbers and `added_at` strictly increase in input order. The search words of
    /// the stored versions are indexed in the same statement batch.
    pub async fn stix_insert(&mut self, objects: &[NewStixObject], now: OffsetDateTime) -> Result<Vec<InsertOutcome>> {
        let out = self.stix_insert_rows(objects, now).await?;
        let search: Vec<(i64, &str)> = objects
            .iter()
            .zip(out.iter())
            .filter_map(|(o, r)| match r {
                InsertOutcome::Stored(seq) if !o.search_text.is_empty() => Some((*seq, o.search_text.as_str())),
                _ => None,
            })
            .collect();
        self.stix_search_insert(&search).await?;
        Ok(out)
    }

    /// [`Tx::stix_insert`] without the search rows: the caller hands the search words of the
    /// stored versions to [`Tx::stix_search_insert`] before committing (a big import does it
    /// once for all its parts: the full-text index then writes one segment per transaction).
    pub async fn stix_insert_rows(&mut self, objects: &[NewStixObject], now: OffsetDateTime) -> Result<Vec<InsertOutcome>> {
        let mut out = Vec::with_capacity(objects.len());
        if objects.is_empty() {
            return Ok(out);
        }
        let n = objects.len() as i64;
        // (The SQLite writer connection's page cache and statement journals are set up once,
        // with its other pragmas: `SQLITE_WRITER_PRAGMAS` in lib.rs.)
        // Reserve n sequence numbers and n added_at ticks; the row locks serialise writers.
        let last_seq: i64 = sqlx::query("UPDATE counters SET value = value + $1 WHERE name = 'stix_seq' RETURNING value")
            .bind(n)
            .fetch_one(self.conn())
            .await?
            .try_get("value")?;
        let first_seq = last_seq - n + 1;
        let prev_added: i64 = sqlx::query("SELECT value FROM counters WHERE name = 'stix_added_at'")
            .fetch_one(self.conn())
            .await?
            .try_get("value")?;
        let first_added = (prev_added + 1).max(to_micros(now));
        sqlx::query("UPDATE counters SET value = $1 WHERE name = 'stix_added_at'")
            .bind(first_added + n - 1)
            .execute(self.conn())
            .await?;
        let backend = self.backend;
        let owner_orgs: Vec<String> = {
            // Usually one owner per batch: format each distinct one once.
            let mut last: Option<(uuid::Uuid, String)> = None;
            objects
                .iter()
                .map(|o| match &last {
                    Some((u, s)) if *u == o.owner_org => s.clone(),
                    _ => {
                        let s = o.owner_org.to_string();
                        last = Some((o.owner_org, s.clone()));
                        s
                    }
                })
                .collect()
        };
        let mut full_chunk_sql: Option<String> = None;
        for (chunk_i, chunk) in objects.chunks(CHUNK).enumerate() {
            let base = chunk_i * CHUNK;
            let make_sql = |rows: usize| {
                format!(
                    "INSERT INTO stix_objects ({COLS}) VALUES {} ON CONFLICT (stix_id, version) DO NOTHING",
                    values_rows(backend, rows, NCOLS, |_, p| p.to_string())
                )
            };
            let partial_sql;
            let sql: &str = if chunk.len() == CHUNK {
                full_chunk_sql.get_or_insert_with(|| make_sql(CHUNK))
            } else {
                partial_sql = make_sql(chunk.len());
                &partial_sql
            };
            let mut q = sqlx::query(sql);
            for (i, o) in chunk.iter().enumerate() {
                let k = (base + i) as i64;
                q = q
                    .bind(first_seq + k)
                    .bind(o.stix_id.as_str())
                    .bind(o.version.as_str())
                    .bind(o.object_type.as_str())
                    .bind(o.spec_version.as_str())
                    .bind(tlp_rank(o.tlp))
                    .bind(owner_orgs[base + i].as_str())
                    .bind(first_added + k)
                    .bind(o.revoked as i64)
                    .bind(o.distribution.as_deref())
                    .bind(o.body.as_str())
                    .bind(o.sighting_of.as_deref())
                    .bind(sectors_column(&o.sectors));
            }
            let inserted = q.execute(self.conn()).await?.rows_affected();
            let chunk_first = first_seq + base as i64;
            // Usually every row is new. Otherwise the rows stored now are those holding this
            // chunk's reserved sequence numbers (no one else can hold them).
            let stored: Option<std::collections::HashSet<i64>> = if inserted == chunk.len() as u64 {
                None
            } else {
                let rows = sqlx::query("SELECT seq FROM stix_objects WHERE seq >= $1 AND seq <= $2")
                    .bind(chunk_first)
                    .bind(chunk_first + chunk.len() as i64 - 1)
                    .fetch_all(self.conn())
                    .await?;
                Some(rows.iter().map(|r| r.try_get::<i64, _>("seq")).collect::<std::result::Result<_, _>>()?)
            };
            for i in 0..chunk.len() {
                let seq = chunk_first + i as i64;
                if stored.as_ref().is_none_or(|s| s.contains(&seq)) {
                    out.push(InsertOutcome::Stored(seq));
                } else {
                    out.push(InsertOutcome::Duplicate);
                }
            }
        }
        Ok(out)
    }

    /// Indexes the search words of stored versions `(seq, words)`, many rows per statement.
    pub async fn stix_search_insert(&mut self, search: &[(i64, &str)]) -> Result<()> {
        let backend = self.backend;
        let mut full_chunk_sql: Option<String> = None;
        for chunk in search.chunks(SEARCH_CHUNK) {
            let make_sql = |rows: usize| match backend {
                crate::Backend::Sqlite => format!("INSERT INTO stix_search (rowid, text) VALUES {}", values_rows(backend, rows, 2, |_, p| p.to_string())),
                crate::Backend::Postgres => format!(
                    "INSERT INTO stix_search (seq, doc) VALUES {}",
                    values_rows(backend, rows, 2, |c, p| if c == 1 { format!("to_tsvector('simple', {p})") } else { p.to_string() })
                ),
            };
            let partial_sql;
            let sql: &str = if chunk.len() == SEARCH_CHUNK {
                full_chunk_sql.get_or_insert_with(|| make_sql(SEARCH_CHUNK))
            } else {
                partial_sql = make_sql(chunk.len());
                &partial_sql
            };
            let mut q = sqlx::query(sql);
            for (seq, text) in chunk {
                q = q.bind(*seq).bind(*text);
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Marks every stored version of `stix_id` as revoked (the origin revoked the object).
    pub async fn stix_mark_revoked(&mut self, stix_id: &str) -> Result<u64> {
        Ok(sqlx::query("UPDATE stix_objects SET revoked = 1 WHERE stix_id = $1")
            .bind(stix_id.to_string())
            .execute(self.conn())
            .await?
            .rows_affected())
    }

    /// Deletes versions of an object (all when `version` is None); returns how many.
    pub async fn stix_delete(&mut self, stix_id: &str, version: Option<&str>) -> Result<u64> {
        let done = match version {
            Some(v) => sqlx::query("DELETE FROM stix_objects WHERE stix_id = $1 AND version = $2")
                .bind(stix_id.to_string())
                .bind(v.to_string())
                .execute(self.conn())
                .await?,
            None => sqlx::query("DELETE FROM stix_objects WHERE stix_id = $1").bind(stix_id.to_string()).execute(self.conn()).await?,
        };
        Ok(done.rows_affected())
    }

    /// The owner organisation of each of these ids that is already stored.
    pub async fn stix_owners(&mut self, ids: &[&str]) -> Result<std::collections::HashMap<String, uuid::Uuid>> {
        let mut out = std::collections::HashMap::new();
        let mut full_chunk_sql: Option<String> = None;
        for chunk in ids.chunks(OWNERS_CHUNK) {
            let backend = self.backend;
            let make_sql = |n: usize| {
                let placeholders: Vec<String> = (0..n)
                    .map(|i| match backend {
                        crate::Backend::Sqlite => "?".to_string(),
                        crate::Backend::Postgres => format!("${}", i + 1),
                    })
                    .collect();
                let placeholders = placeholders.join(",");
                format!("SELECT stix_id, owner_org FROM stix_objects WHERE stix_id IN ({placeholders})")
            };
            let partial_sql;
            let sql: &str = if chunk.len() == OWNERS_CHUNK {
                full_chunk_sql.get_or_insert_with(|| make_sql(OWNERS_CHUNK))
            } else {
                partial_sql = make_sql(chunk.len());
                &partial_sql
            };
            let mut q = sqlx::query(sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.conn()).await? {
                out.insert(r.try_get::<String, _>("stix_id")?, crate::parse_uuid(&r.try_get::<String, _>("owner_org")?)?);
            }
        }
        Ok(out)
    }

    pub async fn stix_versions(&mut self, stix_id: &str) -> Result<Vec<StixRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLS} FROM stix_objects WHERE stix_id = $1 ORDER BY version, seq"))
            .bind(stix_id.to_string())
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(from_row).collect()
    }
}

impl Store {
    /// Every stored version of an object, oldest version first.
    pub async fn stix_versions(&self, stix_id: &str) -> Result<Vec<StixRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLS} FROM stix_objects WHERE stix_id = $1 ORDER BY version, seq"))
            .bind(stix_id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Versions with `seq > after`, in seq order, at most `limit`; optionally of some types only.
    pub async fn stix_after(&self, after: i64, limit: i64, types: &[String]) -> Result<Vec<StixRecord>> {
        let rows = if types.is_empty() {
            sqlx::query(&format!("SELECT {COLS} FROM stix_objects WHERE seq > $1 ORDER BY seq LIMIT $2"))
                .bind(after)
                .bind(limit)
                .fetch_all(self.reader())
                .await?
        } else {
            let placeholders: Vec<String> = (0..types.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "SELECT {COLS} FROM stix_objects WHERE seq > $1 AND type IN ({}) ORDER BY seq LIMIT $2",
                placeholders.join(",")
            );
            let mut q = sqlx::query(&sql).bind(after).bind(limit);
            for t in types {
                q = q.bind(t.clone());
            }
            q.fetch_all(self.reader()).await?
        };
        rows.iter().map(from_row).collect()
    }

    /// The versions with these sequence numbers (any order in, seq order out).
    pub async fn stix_by_seq(&self, seqs: &[i64]) -> Result<Vec<StixRecord>> {
        let mut out = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(500) {
            let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 1)).collect();
            let sql = format!("SELECT {COLS} FROM stix_objects WHERE seq IN ({}) ORDER BY seq", placeholders.join(","));
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q.bind(*s);
            }
            for r in q.fetch_all(self.reader()).await? {
                out.push(from_row(&r)?);
            }
        }
        out.sort_by_key(|r| r.seq);
        Ok(out)
    }

    /// Full-text search: sequence numbers of matching versions, newest first. Every word of
    /// `query` must occur (words are matched as whole tokens, case-insensitively).
    pub async fn stix_search(&self, query: &str, limit: i64) -> Result<Vec<i64>> {
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_' && c != '.')
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .take(20)
            .collect();
        if words.is_empty() {
            return Ok(vec![]);
        }
        let rows = match self.backend {
            crate::Backend::Sqlite => {
                // Each word quoted: FTS5 query syntax in user input is never interpreted.
                let q = words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ");
                sqlx::query("SELECT rowid AS seq FROM stix_search WHERE stix_search MATCH $1 ORDER BY rowid DESC LIMIT $2")
                    .bind(q)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?
            }
            crate::Backend::Postgres => {
                sqlx::query("SELECT seq FROM stix_search WHERE doc @@ plainto_tsquery('simple', $1) ORDER BY seq DESC LIMIT $2")
                    .bind(words.join(" "))
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?
            }
        };
        rows.iter().map(|r| Ok(r.try_get::<i64, _>("seq")?)).collect()
    }

    /// Stored sightings of an object (all versions), oldest first.
    pub async fn stix_sightings_of(&self, stix_id: &str) -> Result<Vec<StixRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLS} FROM stix_objects WHERE sighting_of = $1 ORDER BY seq"))
            .bind(stix_id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Number of stored versions and the highest sequence number.
    pub async fn stix_stats(&self) -> Result<(i64, i64)> {
        let r = sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(seq), 0) AS m FROM stix_objects").fetch_one(self.reader()).await?;
        Ok((r.try_get("n")?, r.try_get("m")?))
    }
}
