//! TAXII 2.1 queries: paginated object reads by sequence number (the cursor), operator-defined
//! collections, and the status resources of adds.
//!
//! Pages are read with `WHERE seq > $cursor … ORDER BY seq LIMIT n` on the primary key (or the
//! `(type, seq)` / `stix_id` indexes), so the cost of a request does not grow with the store.
use crate::{parse_uuid, Result, Store, StixRecord, Tx};
use atalaya_model::Tlp;
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

/// What one page read asks for. Empty lists mean "no restriction".
#[derive(Debug, Clone, Default)]
pub struct TaxiiQuery {
    /// Only versions with `seq > after_seq`.
    pub after_seq: i64,
    /// Only versions with `seq <= upto_seq`.
    pub upto_seq: Option<i64>,
    /// Only versions added after this time (microseconds).
    pub added_after: Option<i64>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    /// Only versions at or below this TLP.
    pub max_tlp: Option<Tlp>,
    /// Only versions concerning at least one of these sectors.
    pub sectors: Vec<String>,
    pub spec_versions: Vec<String>,
    /// When set: only versions whose `version` is one of these strings, or (objects without
    /// `modified`/`created`) whose `added_at` is one of `version_added_at`.
    pub versions: Option<Vec<String>>,
    pub version_added_at: Vec<i64>,
    /// Compute [`TaxiiRow::has_newer`] / [`TaxiiRow::has_older`] (for rows with
    /// `seq > exists_above` only; the caller knows the others).
    pub want_newer: bool,
    pub want_older: bool,
    pub exists_above: i64,
    pub limit: i64,
}

/// A stored version and whether other versions of the same id exist around it. The record
/// carries no body: the bodies of a page come as one text, [`TaxiiPage::body`] slices it.
#[derive(Debug, Clone)]
pub struct TaxiiRow {
    /// `body`, `type`, `spec_version`, `sighting_of` and `sectors` are left empty.
    pub record: StixRecord,
    /// Another stored version of the id has a greater `version` (only when asked).
    pub has_newer: bool,
    /// Another stored version of the id has a smaller `version` (only when asked).
    pub has_older: bool,
    body: std::ops::Range<usize>,
}

/// One page of versions: per-version facts, and (when asked) the bodies as one text.
#[derive(Debug, Clone, Default)]
pub struct TaxiiPage {
    pub rows: Vec<TaxiiRow>,
    bodies: String,
}

impl TaxiiPage {
    /// The stored JSON text of a row of this page ("" when bodies were not asked for).
    pub fn body(&self, row: &TaxiiRow) -> &str {
        self.bodies.get(row.body.clone()).unwrap_or("")
    }
}

/// Separates the bodies of a page (JSON text never holds a raw 0x1E).
const BODY_SEP: char = '\u{1e}';

/// An operator-defined TAXII collection: a view over the node's objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxiiCollectionRecord {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub alias: Option<String>,
    pub max_tlp: Option<Tlp>,
    pub types: Vec<String>,
    pub sectors: Vec<String>,
    pub read_only: bool,
    pub created_at: i64,
    pub created_by: String,
}

/// A stored status resource of a TAXII add.
#[derive(Debug, Clone)]
pub struct TaxiiStatusRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub created_at: i64,
    /// The status resource, JSON text.
    pub body: String,
}

const SELECT: &str = "s.seq, s.stix_id, s.version, s.type, s.spec_version, s.tlp, s.owner_org, s.added_at, s.revoked, s.distribution, s.body, s.sighting_of, s.sectors";


fn list_column(s: &[String]) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s.join(","))
    }
}

fn split_column(s: Option<String>) -> Vec<String> {
    s.map(|s| s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}


fn collection_from_row(r: &AnyRow) -> Result<TaxiiCollectionRecord> {
    Ok(TaxiiCollectionRecord {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        alias: r.try_get("alias")?,
        max_tlp: r.try_get::<Option<i64>, _>("max_tlp")?.map(crate::stix::tlp_from_rank),
        types: split_column(r.try_get("types")?),
        sectors: split_column(r.try_get("sectors")?),
        read_only: crate::get_bool(r, "read_only")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

const COLLECTION_COLS: &str = "id, title, description, alias, max_tlp, types, sectors, read_only, created_at, created_by";

/// Values bound to a dynamically built query, in placeholder order.
enum Bind {
    I(i64),
    S(String),
}

impl Store {
    /// One page of stored versions matching `q`, in `seq` order. The page comes back as ONE
    /// row (facts as a JSON array, bodies joined by 0x1E), so its cost is a single scan of the
    /// primary key (or index) range and no per-row driver overhead.
    pub async fn taxii_page(&self, q: &TaxiiQuery, with_bodies: bool) -> Result<TaxiiPage> {
        let mut binds: Vec<Bind> = vec![Bind::I(q.after_seq)];
        let mut sql = String::with_capacity(1024);
        sql.push_str("SELECT s.seq, s.stix_id, s.version, s.tlp, s.owner_org, s.added_at, s.distribution");
        if with_bodies {
            sql.push_str(", s.body");
        }
        // The index probes run only above `exists_above` (AND short-circuits in both databases).
        let above = format!("{}", q.exists_above.max(0));
        if q.want_newer {
            sql.push_str(&format!(", CASE WHEN s.seq > {above} AND EXISTS (SELECT 1 FROM stix_objects n WHERE n.stix_id = s.stix_id AND n.version > s.version) THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END AS has_newer"));
        } else {
            sql.push_str(", CAST(0 AS BIGINT) AS has_newer");
        }
        if q.want_older {
            sql.push_str(&format!(", CASE WHEN s.seq > {above} AND EXISTS (SELECT 1 FROM stix_objects o WHERE o.stix_id = s.stix_id AND o.version < s.version) THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END AS has_older"));
        } else {
            sql.push_str(", CAST(0 AS BIGINT) AS has_older");
        }
        sql.push_str(" FROM stix_objects s WHERE s.seq > $1");
        if let Some(hi) = q.upto_seq {
            binds.push(Bind::I(hi));
            sql.push_str(&format!(" AND s.seq <= ${}", binds.len()));
        }
        let in_list = |sql: &mut String, binds: &mut Vec<Bind>, col: &str, values: &[String]| {
            sql.push_str(" AND ");
            sql.push_str(col);
            sql.push_str(" IN (");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                binds.push(Bind::S(v.clone()));
                sql.push_str(&format!("${}", binds.len()));
            }
            sql.push(')');
        };
        if !q.ids.is_empty() {
            in_list(&mut sql, &mut binds, "s.stix_id", &q.ids);
        }
        if !q.types.is_empty() {
            in_list(&mut sql, &mut binds, "s.type", &q.types);
        }
        if !q.spec_versions.is_empty() {
            in_list(&mut sql, &mut binds, "s.spec_version", &q.spec_versions);
        }
        if let Some(t) = q.added_after {
            binds.push(Bind::I(t));
            sql.push_str(&format!(" AND s.added_at > ${}", binds.len()));
        }
        if let Some(t) = q.max_tlp {
            binds.push(Bind::I(crate::tlp_rank(t)));
            sql.push_str(&format!(" AND s.tlp <= ${}", binds.len()));
        }
        if !q.sectors.is_empty() {
            sql.push_str(" AND (");
            for (i, s) in q.sectors.iter().enumerate() {
                if i > 0 {
                    sql.push_str(" OR ");
                }
                binds.push(Bind::S(format!("%,{s},%")));
                sql.push_str(&format!("s.sectors LIKE ${}", binds.len()));
            }
            sql.push(')');
        }
        if let Some(versions) = &q.versions {
            sql.push_str(" AND (");
            let mut any = false;
            if !versions.is_empty() {
                sql.push_str("s.version IN (");
                for (i, v) in versions.iter().enumerate() {
                    if i > 0 {
                        sql.push(',');
                    }
                    binds.push(Bind::S(v.clone()));
                    sql.push_str(&format!("${}", binds.len()));
                }
                sql.push(')');
                any = true;
            }
            if !q.version_added_at.is_empty() {
                if any {
                    sql.push_str(" OR ");
                }
                sql.push_str("(s.version = '' AND s.added_at IN (");
                for (i, v) in q.version_added_at.iter().enumerate() {
                    if i > 0 {
                        sql.push(',');
                    }
                    binds.push(Bind::I(*v));
                    sql.push_str(&format!("${}", binds.len()));
                }
                sql.push_str("))");
                any = true;
            }
            if !any {
                sql.push_str("1 = 0");
            }
            sql.push(')');
        }
        binds.push(Bind::I(q.limit.max(1)));
        sql.push_str(&format!(" ORDER BY s.seq LIMIT ${}", binds.len()));
        let outer = match self.backend {
            // SQLite: ONE row per page (facts as a JSON array, bodies joined by 0x1E): the
            // driver's cost per row (a channel message and copies of every value) dominates
            // otherwise. No ORDER BY inside the aggregates (SQLite would sort through a
            // temporary B-tree): both see the rows in the same order; `seq` order is restored
            // below.
            crate::Backend::Sqlite => format!(
                "SELECT COUNT(*) AS n, json_group_array(json_array(p.seq, p.stix_id, p.version, p.tlp, p.owner_org, p.added_at, p.distribution, p.has_newer, p.has_older)) AS meta, {} AS bodies FROM ({sql}) p",
                if with_bodies { "group_concat(p.body, char(30))" } else { "NULL" }
            ),
            // PostgreSQL: plain rows (its aggregates cost more than the rows do).
            crate::Backend::Postgres => sql,
        };
        let mut query = sqlx::query(&outer);
        for b in binds {
            query = match b {
                Bind::I(i) => query.bind(i),
                Bind::S(s) => query.bind(s),
            };
        }
        type Meta = (i64, String, String, i64, String, i64, Option<String>, i64, i64);
        let (meta, bodies, ranges): (Vec<Meta>, String, Vec<std::ops::Range<usize>>) = match self.backend {
            crate::Backend::Sqlite => {
                let row = query.fetch_one(self.reader()).await?;
                let n: i64 = row.try_get("n")?;
                if n == 0 {
                    return Ok(TaxiiPage::default());
                }
                let meta: Option<String> = row.try_get("meta")?;
                let bodies: String = row.try_get::<Option<String>, _>("bodies")?.unwrap_or_default();
                let meta: Vec<Meta> = crate::parse_json(meta.as_deref().unwrap_or("[]"), "taxii page")?;
                if meta.len() as i64 != n {
                    return Err(crate::StoreError::Corrupt(format!("taxii page: {} rows described, {n} counted", meta.len())));
                }
                let mut ranges = Vec::with_capacity(meta.len());
                if with_bodies {
                    let mut start = 0;
                    for (i, part) in bodies.split(BODY_SEP).enumerate() {
                        if i >= meta.len() {
                            return Err(crate::StoreError::Corrupt("taxii page: more bodies than rows".into()));
                        }
                        ranges.push(start..start + part.len());
                        start += part.len() + BODY_SEP.len_utf8();
                    }
                    if ranges.len() != meta.len() {
                        return Err(crate::StoreError::Corrupt("taxii page: fewer bodies than rows".into()));
                    }
                } else {
                    ranges.resize(meta.len(), 0..0);
                }
                (meta, bodies, ranges)
            }
            crate::Backend::Postgres => {
                let rows = query.fetch_all(self.reader()).await?;
                let mut meta = Vec::with_capacity(rows.len());
                let mut ranges = Vec::with_capacity(rows.len());
                let mut bodies = String::new();
                for r in &rows {
                    meta.push((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                        r.try_get(6)?,
                        r.try_get(if with_bodies { 8 } else { 7 })?,
                        r.try_get(if with_bodies { 9 } else { 8 })?,
                    ));
                    if with_bodies {
                        let b: &str = r.try_get(7)?;
                        ranges.push(bodies.len()..bodies.len() + b.len());
                        bodies.push_str(b);
                    } else {
                        ranges.push(0..0);
                    }
                }
                (meta, bodies, ranges)
            }
        };
        let mut rows = Vec::with_capacity(meta.len());
        for ((seq, stix_id, version, tlp, owner, added_at, distribution, newer, older), body) in meta.into_iter().zip(ranges) {
            rows.push(TaxiiRow {
                record: StixRecord {
                    seq,
                    stix_id,
                    version,
                    object_type: String::new(),
                    spec_version: String::new(),
                    tlp: crate::stix::tlp_from_rank(tlp),
                    owner_org: parse_uuid(&owner)?,
                    added_at,
                    revoked: false,
                    distribution,
                    body: String::new(),
                    sighting_of: None,
                    sectors: vec![],
                },
                has_newer: newer != 0,
                has_older: older != 0,
                body,
            });
        }
        if !rows.windows(2).all(|w| w[0].record.seq < w[1].record.seq) {
            rows.sort_by_key(|r| r.record.seq);
        }
        Ok(TaxiiPage { rows, bodies })
    }

    /// The smallest `seq` of a version added after `added_after` (microseconds), if any.
    /// `added_at` strictly increases with `seq`, so this turns a time into a cursor.
    pub async fn taxii_first_seq_added_after(&self, added_after: i64) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT seq FROM stix_objects WHERE added_at > $1 ORDER BY added_at LIMIT 1")
            .bind(added_after)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok(r.try_get::<i64, _>("seq")?)).transpose()
    }

    /// The highest sequence number stored (0 when empty).
    pub async fn taxii_max_seq(&self) -> Result<i64> {
        let r = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM stix_objects").fetch_one(self.reader()).await?;
        Ok(r.try_get("m")?)
    }

    /// The `n`-th sequence number after `after` (or the last one when there are fewer), and
    /// how many there are up to it.
    pub async fn taxii_seq_after(&self, after: i64, n: i64) -> Result<(Option<i64>, i64)> {
        let r = sqlx::query("SELECT MAX(seq) AS m, COUNT(*) AS c FROM (SELECT seq FROM stix_objects WHERE seq > $1 ORDER BY seq LIMIT $2) p")
            .bind(after)
            .bind(n.max(1))
            .fetch_one(self.reader())
            .await?;
        Ok((r.try_get::<Option<i64>, _>("m")?, r.try_get::<i64, _>("c")?))
    }

    /// Which of these ids have a version with `seq > above`.
    pub async fn taxii_ids_above(&self, above: i64, ids: &[String]) -> Result<Vec<String>> {
        let mut out = vec![];
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!("SELECT DISTINCT stix_id FROM stix_objects WHERE seq > $1 AND stix_id IN ({})", placeholders.join(","));
            let mut q = sqlx::query(&sql).bind(above);
            for id in chunk {
                q = q.bind(id.clone());
            }
            for r in q.fetch_all(self.reader()).await? {
                out.push(r.try_get::<String, _>("stix_id")?);
            }
        }
        Ok(out)
    }

    /// Ids with more than one stored version, among the versions with `seq <= upto`.
    pub async fn taxii_multi_version_ids(&self, upto: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT stix_id FROM stix_objects WHERE seq <= $1 GROUP BY stix_id HAVING COUNT(*) > 1")
            .bind(upto)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok(r.try_get::<String, _>("stix_id")?)).collect()
    }

    /// Ids of the versions with `after < seq <= upto` that have another stored version.
    pub async fn taxii_multi_version_ids_between(&self, after: i64, upto: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT s.stix_id FROM stix_objects s WHERE s.seq > $1 AND s.seq <= $2 \
             AND EXISTS (SELECT 1 FROM stix_objects o WHERE o.stix_id = s.stix_id AND o.seq <> s.seq)",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok(r.try_get::<String, _>("stix_id")?)).collect()
    }

    /// Every stored version of these objects, in `seq` order.
    pub async fn taxii_versions_of_many(&self, ids: &[String]) -> Result<Vec<StixRecord>> {
        let mut out = vec![];
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 1)).collect();
            let sql = format!("SELECT {SELECT} FROM stix_objects s WHERE s.stix_id IN ({}) ORDER BY s.seq", placeholders.join(","));
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.clone());
            }
            for r in q.fetch_all(self.reader()).await? {
                out.push(crate::stix::from_row(&r)?);
            }
        }
        out.sort_by_key(|r| r.seq);
        Ok(out)
    }

    /// Every stored version of one object, in `seq` order.
    pub async fn taxii_versions_of(&self, stix_id: &str) -> Result<Vec<StixRecord>> {
        let rows = sqlx::query(&format!("SELECT {SELECT} FROM stix_objects s WHERE s.stix_id = $1 ORDER BY s.seq"))
            .bind(stix_id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(crate::stix::from_row).collect()
    }

    /// Operator-defined collections, oldest first.
    pub async fn taxii_collections(&self) -> Result<Vec<TaxiiCollectionRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLLECTION_COLS} FROM taxii_collections ORDER BY created_at, id"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(collection_from_row).collect()
    }

    pub async fn taxii_collection_get(&self, id: Uuid) -> Result<Option<TaxiiCollectionRecord>> {
        let row = sqlx::query(&format!("SELECT {COLLECTION_COLS} FROM taxii_collections WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(collection_from_row).transpose()
    }

    pub async fn taxii_status_get(&self, id: Uuid) -> Result<Option<TaxiiStatusRecord>> {
        let row = sqlx::query("SELECT id, user_id, org_id, created_at, body FROM taxii_status WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| {
            Ok(TaxiiStatusRecord {
                id: parse_uuid(&r.try_get::<String, _>("id")?)?,
                user_id: parse_uuid(&r.try_get::<String, _>("user_id")?)?,
                org_id: parse_uuid(&r.try_get::<String, _>("org_id")?)?,
                created_at: r.try_get("created_at")?,
                body: r.try_get("body")?,
            })
        })
        .transpose()
    }
}

impl Tx {
    pub async fn taxii_collection_insert(&mut self, c: &TaxiiCollectionRecord) -> Result<()> {
        sqlx::query(&format!("INSERT INTO taxii_collections ({COLLECTION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
            .bind(c.id.to_string())
            .bind(c.title.clone())
            .bind(c.description.clone())
            .bind(c.alias.clone())
            .bind(c.max_tlp.map(crate::tlp_rank))
            .bind(list_column(&c.types))
            .bind(list_column(&c.sectors))
            .bind(c.read_only as i64)
            .bind(c.created_at)
            .bind(c.created_by.clone())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Removes a collection definition (the objects stay); returns whether it existed.
    pub async fn taxii_collection_delete(&mut self, id: Uuid) -> Result<bool> {
        let done = sqlx::query("DELETE FROM taxii_collections WHERE id = $1").bind(id.to_string()).execute(self.conn()).await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn taxii_status_insert(&mut self, s: &TaxiiStatusRecord) -> Result<()> {
        sqlx::query("INSERT INTO taxii_status (id, user_id, org_id, created_at, body) VALUES ($1, $2, $3, $4, $5)")
            .bind(s.id.to_string())
            .bind(s.user_id.to_string())
            .bind(s.org_id.to_string())
            .bind(s.created_at)
            .bind(s.body.clone())
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
