//! Federation state of a node (docs/federation.md): peers with their cursors and health, the
//! origin signature of every object version that takes part in federation (kept beside
//! `stix_objects`, which is not altered), retractions and directory entries to forward, the peers
//! each object was delivered to (retractions and downgrades reach all of them), and the
//! organisations hosted by other nodes (recipient computation).
use crate::{Result, Store, Tx};
use sqlx::any::AnyRow;
use sqlx::Row;

/// One node this node knows: a peer (requested, pending, active, rejected, suspended) or a node
/// known only through a relay (`known`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    /// Base64 of the node's Ed25519 public key (the node id).
    pub node_id: String,
    pub url: String,
    pub name: String,
    pub country: Option<String>,
    pub fingerprint: String,
    /// `requested` (we asked), `pending` (they asked; our admin decides), `active`, `rejected`,
    /// `suspended`, `known` (behind a relay).
    pub state: String,
    /// This peer relays (hub) for other nodes.
    pub relay: bool,
    /// For `known` nodes: the peer through which they were learnt.
    pub via: Option<String>,
    /// Microseconds since the epoch after which the key is refused.
    pub key_expires_at: Option<i64>,
    /// The message of their peer request.
    pub message: Option<String>,
    /// Our outbox position the peer acknowledged.
    pub out_acked: Option<String>,
    /// The last position of the peer's outbox applied here.
    pub in_cursor: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    /// Last verified message from the peer (µs).
    pub last_contact: Option<i64>,
    /// Last acknowledged delivery to the peer (µs).
    pub last_delivery: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The origin signature of one stored object version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginRecord {
    pub stix_id: String,
    pub version: String,
    /// `stix_objects.seq` of the version (the federation outbox position of object versions).
    pub seq: i64,
    /// Node id of the origin.
    pub origin: String,
    pub owner_org: uuid::Uuid,
    /// TLP rank (`tlp_rank`).
    pub tlp: i64,
    /// The signed distribution (federation wire form, JSON).
    pub distribution: String,
    pub signature: String,
    /// The peer it came from (`None`: published on this node).
    pub received_from: Option<String>,
    /// A downgrade narrowed the distribution to this (JSON), after the version was signed.
    pub narrowed: Option<String>,
    /// Retractions exist for the object (forwarded right after the version).
    pub retracted: bool,
    /// Deleted by its origin: kept as a tombstone so it is never re-imported.
    pub deleted: bool,
}

/// A retraction or directory entry to forward (the outbox of items that are not object versions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub pos: i64,
    /// `retraction` or `directory_entry`.
    pub kind: String,
    /// The STIX id (retractions) or the organisation id (directory entries).
    pub subject: String,
    pub origin: String,
    /// Idempotency key (unique).
    pub digest: String,
    pub received_from: Option<String>,
    /// The signed item (JSON).
    pub item: String,
    pub created_at: i64,
}

/// An organisation hosted by another node (from its signed directory entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteOrg {
    pub org_id: uuid::Uuid,
    pub node_id: String,
    pub country: Option<String>,
    pub version: i64,
    pub entry: String,
}

const PEER_COLS: &str = "node_id, url, name, country, fingerprint, state, relay, via, key_expires_at, message, out_acked, in_cursor, \
     last_error, last_error_at, last_contact, last_delivery, created_at, updated_at";
const ORIGIN_COLS: &str = "stix_id, version, seq, origin, owner_org, tlp, distribution, signature, received_from, narrowed, retracted, deleted";
const EVENT_COLS: &str = "pos, kind, subject, origin, digest, received_from, item, created_at";

fn peer_row(r: &AnyRow) -> Result<PeerRecord> {
    Ok(PeerRecord {
        node_id: r.try_get("node_id")?,
        url: r.try_get("url")?,
        name: r.try_get("name")?,
        country: r.try_get("country")?,
        fingerprint: r.try_get("fingerprint")?,
        state: r.try_get("state")?,
        relay: crate::get_bool(r, "relay")?,
        via: r.try_get("via")?,
        key_expires_at: r.try_get("key_expires_at")?,
        message: r.try_get("message")?,
        out_acked: r.try_get("out_acked")?,
        in_cursor: r.try_get("in_cursor")?,
        last_error: r.try_get("last_error")?,
        last_error_at: r.try_get("last_error_at")?,
        last_contact: r.try_get("last_contact")?,
        last_delivery: r.try_get("last_delivery")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn origin_row(r: &AnyRow) -> Result<OriginRecord> {
    Ok(OriginRecord {
        stix_id: r.try_get("stix_id")?,
        version: r.try_get("version")?,
        seq: r.try_get("seq")?,
        origin: r.try_get("origin")?,
        owner_org: crate::parse_uuid(&r.try_get::<String, _>("owner_org")?)?,
        tlp: r.try_get("tlp")?,
        distribution: r.try_get("distribution")?,
        signature: r.try_get("signature")?,
        received_from: r.try_get("received_from")?,
        narrowed: r.try_get("narrowed")?,
        retracted: crate::get_bool(r, "retracted")?,
        deleted: crate::get_bool(r, "deleted")?,
    })
}

fn event_row(r: &AnyRow) -> Result<EventRecord> {
    Ok(EventRecord {
        pos: r.try_get("pos")?,
        kind: r.try_get("kind")?,
        subject: r.try_get("subject")?,
        origin: r.try_get("origin")?,
        digest: r.try_get("digest")?,
        received_from: r.try_get("received_from")?,
        item: r.try_get("item")?,
        created_at: r.try_get("created_at")?,
    })
}

fn remote_org_row(r: &AnyRow) -> Result<RemoteOrg> {
    Ok(RemoteOrg {
        org_id: crate::parse_uuid(&r.try_get::<String, _>("org_id")?)?,
        node_id: r.try_get("node_id")?,
        country: r.try_get("country")?,
        version: r.try_get("version")?,
        entry: r.try_get("entry")?,
    })
}

impl Store {
    /// Every known node, peers first by name.
    pub async fn fed_peers(&self) -> Result<Vec<PeerRecord>> {
        let rows = sqlx::query(&format!("SELECT {PEER_COLS} FROM fed_peers ORDER BY name, node_id")).fetch_all(self.reader()).await?;
        rows.iter().map(peer_row).collect()
    }

    pub async fn fed_peer(&self, node_id: &str) -> Result<Option<PeerRecord>> {
        let row = sqlx::query(&format!("SELECT {PEER_COLS} FROM fed_peers WHERE node_id = $1"))
            .bind(node_id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(peer_row).transpose()
    }

    /// Records contact with a peer (a verified message) and clears nothing else.
    pub async fn fed_peer_contact(&self, node_id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE fed_peers SET last_contact = $1 WHERE node_id = $2").bind(now).bind(node_id).execute(&self.write).await?;
        Ok(())
    }

    /// Records the last error with a peer (`None` clears it).
    pub async fn fed_peer_error(&self, node_id: &str, error: Option<&str>, now: i64) -> Result<()> {
        sqlx::query("UPDATE fed_peers SET last_error = $1, last_error_at = $2 WHERE node_id = $3")
            .bind(error.map(|e| e.chars().take(2000).collect::<String>()))
            .bind(error.map(|_| now))
            .bind(node_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Object-version origins with `seq > after`, in seq order (tombstones excluded).
    pub async fn fed_origins_after(&self, after: i64, limit: i64) -> Result<Vec<OriginRecord>> {
        let rows = sqlx::query(&format!("SELECT {ORIGIN_COLS} FROM fed_origins WHERE seq > $1 AND deleted = 0 ORDER BY seq LIMIT $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(origin_row).collect()
    }

    /// `(seq, body)` of the stored versions with `lo <= seq <= hi` (the outbox reads the bodies
    /// of a batch with one range scan on the primary key).
    pub async fn fed_bodies_between(&self, lo: i64, hi: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT seq, body FROM stix_objects WHERE seq >= $1 AND seq <= $2 ORDER BY seq").bind(lo).bind(hi).fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok((r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("body")?))).collect()
    }

    /// Every recorded version of an object (tombstones included).
    pub async fn fed_origins_of(&self, stix_id: &str) -> Result<Vec<OriginRecord>> {
        let rows = sqlx::query(&format!("SELECT {ORIGIN_COLS} FROM fed_origins WHERE stix_id = $1 ORDER BY seq"))
            .bind(stix_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(origin_row).collect()
    }

    /// Highest object-version position and highest event position (lag computation).
    pub async fn fed_heads(&self) -> Result<(i64, i64)> {
        let a: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM fed_origins").fetch_one(self.reader()).await?.try_get("m")?;
        let b: i64 = sqlx::query("SELECT COALESCE(MAX(pos), 0) AS m FROM fed_events").fetch_one(self.reader()).await?.try_get("m")?;
        Ok((a, b))
    }

    /// Highest `stix_objects.seq` (cheap: primary key).
    pub async fn fed_stix_head(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM stix_objects").fetch_one(self.reader()).await?.try_get("m")?)
    }

    /// Events with `pos > after`, in order.
    pub async fn fed_events_after(&self, after: i64, limit: i64) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query(&format!("SELECT {EVENT_COLS} FROM fed_events WHERE pos > $1 ORDER BY pos LIMIT $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(event_row).collect()
    }

    /// Retractions (or entries) about one subject, in order.
    pub async fn fed_events_for(&self, subject: &str) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query(&format!("SELECT {EVENT_COLS} FROM fed_events WHERE subject = $1 ORDER BY pos"))
            .bind(subject)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(event_row).collect()
    }

    /// The peers an object was delivered to.
    pub async fn fed_delivered_to(&self, stix_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT peer FROM fed_delivered WHERE stix_id = $1 ORDER BY peer").bind(stix_id).fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok(r.try_get::<String, _>("peer")?)).collect()
    }

    pub async fn fed_remote_orgs(&self) -> Result<Vec<RemoteOrg>> {
        let rows = sqlx::query("SELECT org_id, node_id, country, version, entry FROM fed_remote_orgs ORDER BY org_id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(remote_org_row).collect()
    }
}

/// `n` positional placeholders from `first`: `$first,…` on PostgreSQL, `?,…` on SQLite (with
/// `$N` names sqlx-sqlite looks every parameter up by name: quadratic on long multi-row
/// statements).
fn placeholders(backend: crate::Backend, first: usize, n: usize) -> Vec<String> {
    (first..first + n)
        .map(|i| match backend {
            crate::Backend::Sqlite => "?".to_string(),
            crate::Backend::Postgres => format!("${i}"),
        })
        .collect()
}

impl Tx {
    /// Inserts or replaces a known node.
    pub async fn fed_peer_put(&mut self, p: &PeerRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO fed_peers ({PEER_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) \
             ON CONFLICT (node_id) DO UPDATE SET url = $2, name = $3, country = $4, fingerprint = $5, state = $6, relay = $7, via = $8, \
             key_expires_at = $9, message = $10, out_acked = $11, in_cursor = $12, last_error = $13, last_error_at = $14, \
             last_contact = $15, last_delivery = $16, updated_at = $18"
        ))
        .bind(&p.node_id)
        .bind(&p.url)
        .bind(&p.name)
        .bind(p.country.as_deref())
        .bind(&p.fingerprint)
        .bind(&p.state)
        .bind(p.relay as i64)
        .bind(p.via.as_deref())
        .bind(p.key_expires_at)
        .bind(p.message.as_deref())
        .bind(p.out_acked.as_deref())
        .bind(p.in_cursor.as_deref())
        .bind(p.last_error.as_deref())
        .bind(p.last_error_at)
        .bind(p.last_contact)
        .bind(p.last_delivery)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn fed_peer(&mut self, node_id: &str) -> Result<Option<PeerRecord>> {
        let row = sqlx::query(&format!("SELECT {PEER_COLS} FROM fed_peers WHERE node_id = $1"))
            .bind(node_id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(peer_row).transpose()
    }

    pub async fn fed_peer_delete(&mut self, node_id: &str) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM fed_peers WHERE node_id = $1").bind(node_id).execute(self.conn()).await?.rows_affected() > 0)
    }

    /// The peer acknowledged our outbox up to `cursor`.
    pub async fn fed_peer_acked(&mut self, node_id: &str, cursor: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE fed_peers SET out_acked = $1, last_delivery = $2 WHERE node_id = $3")
            .bind(cursor)
            .bind(now)
            .bind(node_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Everything of the peer's outbox up to `cursor` is applied here.
    pub async fn fed_peer_applied(&mut self, node_id: &str, cursor: &str) -> Result<()> {
        sqlx::query("UPDATE fed_peers SET in_cursor = $1 WHERE node_id = $2").bind(cursor).bind(node_id).execute(self.conn()).await?;
        Ok(())
    }

    /// Records an origin signature; `false` when this (stix_id, version) was already recorded.
    pub async fn fed_origin_insert(&mut self, o: &OriginRecord) -> Result<bool> {
        let n = sqlx::query(&format!(
            "INSERT INTO fed_origins ({ORIGIN_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (stix_id, version) DO NOTHING"
        ))
        .bind(&o.stix_id)
        .bind(&o.version)
        .bind(o.seq)
        .bind(&o.origin)
        .bind(o.owner_org.to_string())
        .bind(o.tlp)
        .bind(&o.distribution)
        .bind(&o.signature)
        .bind(o.received_from.as_deref())
        .bind(o.narrowed.as_deref())
        .bind(o.retracted as i64)
        .bind(o.deleted as i64)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    pub async fn fed_origin(&mut self, stix_id: &str, version: &str) -> Result<Option<OriginRecord>> {
        let row = sqlx::query(&format!("SELECT {ORIGIN_COLS} FROM fed_origins WHERE stix_id = $1 AND version = $2"))
            .bind(stix_id)
            .bind(version)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(origin_row).transpose()
    }

    /// The origin recorded first for an object (ownership).
    pub async fn fed_owner_of(&mut self, stix_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT origin FROM fed_origins WHERE stix_id = $1 ORDER BY seq LIMIT 1")
            .bind(stix_id)
            .fetch_optional(self.conn())
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("origin")?),
            None => None,
        })
    }

    /// Marks the object's versions: retractions exist / deleted (all or one version) / narrowed.
    pub async fn fed_origin_mark(&mut self, stix_id: &str, version: Option<&str>, deleted: bool, narrowed: Option<&str>) -> Result<u64> {
        let n = match version {
            Some(v) => sqlx::query(
                "UPDATE fed_origins SET retracted = 1, deleted = CASE WHEN $1 = 1 THEN 1 ELSE deleted END, narrowed = COALESCE($2, narrowed) \
                 WHERE stix_id = $3 AND version = $4",
            )
            .bind(deleted as i64)
            .bind(narrowed)
            .bind(stix_id)
            .bind(v)
            .execute(self.conn())
            .await?,
            None => sqlx::query(
                "UPDATE fed_origins SET retracted = 1, deleted = CASE WHEN $1 = 1 THEN 1 ELSE deleted END, narrowed = COALESCE($2, narrowed) \
                 WHERE stix_id = $3",
            )
            .bind(deleted as i64)
            .bind(narrowed)
            .bind(stix_id)
            .execute(self.conn())
            .await?,
        };
        Ok(n.rows_affected())
    }

    /// Appends an event; `None` when an event with this digest exists (already applied).
    #[allow(clippy::too_many_arguments)]
    pub async fn fed_event_insert(
        &mut self,
        kind: &str,
        subject: &str,
        origin: &str,
        digest: &str,
        received_from: Option<&str>,
        item: &str,
        now: i64,
    ) -> Result<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO fed_events (kind, subject, origin, digest, received_from, item, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) \
             ON CONFLICT (digest) DO NOTHING RETURNING pos",
        )
        .bind(kind)
        .bind(subject)
        .bind(origin)
        .bind(digest)
        .bind(received_from)
        .bind(item)
        .bind(now)
        .fetch_optional(self.conn())
        .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("pos")?),
            None => None,
        })
    }

    /// Every recorded version (tombstones included) of the given objects, in `seq` order —
    /// one query per 500 ids (the receiver's per-batch look-up of owners and known versions).
    pub async fn fed_origins_for_ids(&mut self, stix_ids: &[&str]) -> Result<Vec<OriginRecord>> {
        let mut out = Vec::new();
        for chunk in stix_ids.chunks(500) {
            let ph = placeholders(self.backend, 1, chunk.len());
            let sql = format!("SELECT {ORIGIN_COLS} FROM fed_origins WHERE stix_id IN ({}) ORDER BY seq", ph.join(","));
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.conn()).await? {
                out.push(origin_row(&r)?);
            }
        }
        Ok(out)
    }

    /// Which of these subjects have events (retractions, entries) — one query per 500.
    pub async fn fed_event_subjects(&mut self, subjects: &[&str]) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        for chunk in subjects.chunks(500) {
            let ph = placeholders(self.backend, 1, chunk.len());
            let sql = format!("SELECT DISTINCT subject FROM fed_events WHERE subject IN ({})", ph.join(","));
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.conn()).await? {
                out.insert(r.try_get::<String, _>("subject")?);
            }
        }
        Ok(out)
    }

    /// Inserts many origin records (multi-row INSERT, 80 rows a statement); existing
    /// `(stix_id, version)` are left alone.
    pub async fn fed_origins_insert(&mut self, recs: &[OriginRecord]) -> Result<u64> {
        let mut n = 0;
        for chunk in recs.chunks(80) {
            let backend = self.backend;
            let values: Vec<String> = (0..chunk.len()).map(|r| format!("({})", placeholders(backend, r * 12 + 1, 12).join(","))).collect();
            let sql = format!("INSERT INTO fed_origins ({ORIGIN_COLS}) VALUES {} ON CONFLICT (stix_id, version) DO NOTHING", values.join(","));
            let mut q = sqlx::query(&sql);
            for o in chunk {
                q = q
                    .bind(o.stix_id.as_str())
                    .bind(o.version.as_str())
                    .bind(o.seq)
                    .bind(o.origin.as_str())
                    .bind(o.owner_org.to_string())
                    .bind(o.tlp)
                    .bind(o.distribution.as_str())
                    .bind(o.signature.as_str())
                    .bind(o.received_from.as_deref())
                    .bind(o.narrowed.as_deref())
                    .bind(o.retracted as i64)
                    .bind(o.deleted as i64);
            }
            n += q.execute(self.conn()).await?.rows_affected();
        }
        Ok(n)
    }

    /// Retractions (or entries) about one subject, in order.
    pub async fn fed_events_for(&mut self, subject: &str) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query(&format!("SELECT {EVENT_COLS} FROM fed_events WHERE subject = $1 ORDER BY pos"))
            .bind(subject)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(event_row).collect()
    }

    /// Records that these objects were delivered to `peer`.
    pub async fn fed_delivered_add(&mut self, stix_ids: &[&str], peer: &str) -> Result<()> {
        for chunk in stix_ids.chunks(400) {
            let backend = self.backend;
            let values: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(backend, i * 2 + 1, 2).join(","))).collect();
            let sql = format!("INSERT INTO fed_delivered (stix_id, peer) VALUES {} ON CONFLICT (stix_id, peer) DO NOTHING", values.join(","));
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id).bind(peer);
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    pub async fn fed_delivered_to(&mut self, stix_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT peer FROM fed_delivered WHERE stix_id = $1 ORDER BY peer").bind(stix_id).fetch_all(self.conn()).await?;
        rows.iter().map(|r| Ok(r.try_get::<String, _>("peer")?)).collect()
    }

    /// Stores an organisation hosted by another node; `false` when the stored version is newer.
    pub async fn fed_remote_org_put(&mut self, o: &RemoteOrg) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO fed_remote_orgs (org_id, node_id, country, version, entry) VALUES ($1,$2,$3,$4,$5) \
             ON CONFLICT (org_id) DO UPDATE SET node_id = $2, country = $3, version = $4, entry = $5 WHERE fed_remote_orgs.version < $4",
        )
        .bind(o.org_id.to_string())
        .bind(&o.node_id)
        .bind(o.country.as_deref())
        .bind(o.version)
        .bind(&o.entry)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// The node recorded as hosting an organisation.
    pub async fn fed_remote_org_host(&mut self, org_id: uuid::Uuid) -> Result<Option<String>> {
        let row = sqlx::query("SELECT node_id FROM fed_remote_orgs WHERE org_id = $1").bind(org_id.to_string()).fetch_optional(self.conn()).await?;
        Ok(match row {
            Some(r) => Some(r.try_get("node_id")?),
            None => None,
        })
    }

    /// Changes the distribution of every stored version of an object (a downgrade by its origin).
    pub async fn fed_set_distribution(&mut self, stix_id: &str, distribution: &str) -> Result<u64> {
        Ok(sqlx::query("UPDATE stix_objects SET distribution = $1 WHERE stix_id = $2")
            .bind(distribution)
            .bind(stix_id)
            .execute(self.conn())
            .await?
            .rows_affected())
    }
}
