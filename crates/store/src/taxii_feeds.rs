//! TAXII 2.1 client state: remote feeds (where to pull from, how often, as whom), the cursor
//! of each (the last committed `X-TAXII-Date-Added-Last`) and the status of its last run.
//!
//! Runs are claimed with a lease (`lease_until`), so several node processes on one database
//! never pull the same feed at once.
use crate::{get_bool, parse_uuid, Result, Store, Tx};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

/// A stored remote feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxiiFeedRecord {
    pub id: Uuid,
    pub name: String,
    /// The remote API root (or discovery) URL.
    pub url: String,
    /// The remote collection id.
    pub collection: String,
    /// `none`, `basic` or `bearer`.
    pub auth_kind: String,
    pub username: Option<String>,
    /// Password (basic) or token (bearer). Never shown by the services.
    pub secret: Option<String>,
    /// Seconds between scheduled runs; None for pulls run by hand only.
    pub interval_secs: Option<i64>,
    pub enabled: bool,
    /// The user whose rights the pulled objects are stored with (None: the node operator).
    pub run_as: Option<Uuid>,
    pub created_at: i64,
    pub created_by: String,
    /// Resume point: the remote's date added of the last committed object.
    pub cursor: Option<String>,
    pub last_run_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    /// Objects fetched by the last run, and since the feed was created.
    pub last_fetched: i64,
    pub total_fetched: i64,
    pub lease_until: Option<i64>,
}

const COLS: &str = "id, name, url, collection, auth_kind, username, secret, interval_secs, enabled, run_as, created_at, created_by, \
                    cursor, last_run_at, last_success_at, last_error, last_fetched, total_fetched, lease_until";

fn from_row(r: &AnyRow) -> Result<TaxiiFeedRecord> {
    Ok(TaxiiFeedRecord {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        collection: r.try_get("collection")?,
        auth_kind: r.try_get("auth_kind")?,
        username: r.try_get("username")?,
        secret: r.try_get("secret")?,
        interval_secs: r.try_get("interval_secs")?,
        enabled: get_bool(r, "enabled")?,
        run_as: r.try_get::<Option<String>, _>("run_as")?.map(|s| parse_uuid(&s)).transpose()?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        cursor: r.try_get("cursor")?,
        last_run_at: r.try_get("last_run_at")?,
        last_success_at: r.try_get("last_success_at")?,
        last_error: r.try_get("last_error")?,
        last_fetched: r.try_get("last_fetched")?,
        total_fetched: r.try_get("total_fetched")?,
        lease_until: r.try_get("lease_until")?,
    })
}

impl Store {
    /// Every feed, by name.
    pub async fn taxii_feeds(&self) -> Result<Vec<TaxiiFeedRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLS} FROM taxii_feeds ORDER BY name")).fetch_all(self.reader()).await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn taxii_feed_by_name(&self, name: &str) -> Result<Option<TaxiiFeedRecord>> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM taxii_feeds WHERE name = $1")).bind(name.to_string()).fetch_optional(self.reader()).await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn taxii_feed_get(&self, id: Uuid) -> Result<Option<TaxiiFeedRecord>> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM taxii_feeds WHERE id = $1")).bind(id.to_string()).fetch_optional(self.reader()).await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Scheduled feeds due at `now` (microseconds): enabled, with an interval, not leased, and
    /// never run or last run at least one interval ago.
    pub async fn taxii_feeds_due(&self, now: i64) -> Result<Vec<TaxiiFeedRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM taxii_feeds WHERE enabled = 1 AND interval_secs IS NOT NULL \
             AND (lease_until IS NULL OR lease_until < $1) \
             AND (last_run_at IS NULL OR last_run_at + interval_secs * 1000000 <= $1) ORDER BY name"
        ))
        .bind(now)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }
}

impl Tx {
    pub async fn taxii_feed_insert(&mut self, f: &TaxiiFeedRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO taxii_feeds ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
        ))
        .bind(f.id.to_string())
        .bind(f.name.clone())
        .bind(f.url.clone())
        .bind(f.collection.clone())
        .bind(f.auth_kind.clone())
        .bind(f.username.clone())
        .bind(f.secret.clone())
        .bind(f.interval_secs)
        .bind(f.enabled as i64)
        .bind(f.run_as.map(|u| u.to_string()))
        .bind(f.created_at)
        .bind(f.created_by.clone())
        .bind(f.cursor.clone())
        .bind(f.last_run_at)
        .bind(f.last_success_at)
        .bind(f.last_error.clone())
        .bind(f.last_fetched)
        .bind(f.total_fetched)
        .bind(f.lease_until)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Removes a feed; returns whether it existed.
    pub async fn taxii_feed_delete(&mut self, id: Uuid) -> Result<bool> {
        let done = sqlx::query("DELETE FROM taxii_feeds WHERE id = $1").bind(id.to_string()).execute(self.conn()).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Claims a run of the feed until `until` (microseconds) unless another run holds it.
    pub async fn taxii_feed_claim(&mut self, id: Uuid, now: i64, until: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE taxii_feeds SET lease_until = $1 WHERE id = $2 AND (lease_until IS NULL OR lease_until < $3)")
            .bind(until)
            .bind(id.to_string())
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Advances the cursor after a committed page, counting its objects, and extends the lease.
    pub async fn taxii_feed_advance(&mut self, id: Uuid, cursor: Option<&str>, fetched: i64, lease_until: i64) -> Result<()> {
        sqlx::query(
            "UPDATE taxii_feeds SET cursor = COALESCE($1, cursor), last_fetched = last_fetched + $2, total_fetched = total_fetched + $2, \
             lease_until = $3 WHERE id = $4",
        )
        .bind(cursor.map(str::to_string))
        .bind(fetched)
        .bind(lease_until)
        .bind(id.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Starts a run: resets the per-run counter and records the start time.
    pub async fn taxii_feed_started(&mut self, id: Uuid, now: i64) -> Result<()> {
        sqlx::query("UPDATE taxii_feeds SET last_run_at = $1, last_fetched = 0 WHERE id = $2")
            .bind(now)
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Ends a run: the error (None: success) and the release of the lease.
    pub async fn taxii_feed_finished(&mut self, id: Uuid, now: i64, error: Option<&str>) -> Result<()> {
        match error {
            None => sqlx::query("UPDATE taxii_feeds SET last_error = NULL, last_success_at = $1, lease_until = NULL WHERE id = $2").bind(now),
            Some(e) => sqlx::query("UPDATE taxii_feeds SET last_error = $1, lease_until = NULL WHERE id = $2").bind(e.to_string()),
        }
        .bind(id.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Sets the cursor (None: start over) and enables or disables the schedule.
    pub async fn taxii_feed_update(&mut self, id: Uuid, cursor: Option<Option<&str>>, enabled: Option<bool>) -> Result<bool> {
        let mut n = 0;
        if let Some(c) = cursor {
            n += sqlx::query("UPDATE taxii_feeds SET cursor = $1 WHERE id = $2").bind(c.map(str::to_string)).bind(id.to_string()).execute(self.conn()).await?.rows_affected();
        }
        if let Some(e) = enabled {
            n += sqlx::query("UPDATE taxii_feeds SET enabled = $1 WHERE id = $2").bind(e as i64).bind(id.to_string()).execute(self.conn()).await?.rows_affected();
        }
        Ok(n > 0)
    }
}
