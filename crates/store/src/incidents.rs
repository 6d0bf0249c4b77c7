//! Incident cases (core, participants, observables, timeline, tasks, attachments), the
//! notification outbox and events imported from CSV feeds.
use crate::{parse_json, parse_uuid, to_json, Result, Store, StoreError, Tx};
use atalaya_model::incident::{Attachment, Incident, IncidentCore, Observable, ObservableKind, Participant, Task, TimelineEntry};
use atalaya_model::time_util::{micros_rfc3339, to_micros};
use atalaya_model::CountryCode;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

/// What a new case row holds.
#[derive(Debug, Clone)]
pub struct NewIncidentRow {
    pub id: Uuid,
    pub origin_node: String,
    pub reporting_org: Uuid,
    pub reporting_state: Option<CountryCode>,
    pub core: IncidentCore,
}

/// A participant with the times the deadline scanner and statistics need (microseconds).
#[derive(Debug, Clone)]
pub struct ParticipantRow {
    pub body: Participant,
    pub notified_at: i64,
    pub acknowledged_at: Option<i64>,
    pub mitigated_at: Option<i64>,
    pub ack_due: Option<i64>,
    pub update_due: Option<i64>,
    pub escalated_at: Option<i64>,
}

/// A participant whose deadline has passed without escalation.
#[derive(Debug, Clone)]
pub struct Overdue {
    pub incident_id: Uuid,
    pub org_id: Uuid,
    /// `acknowledge` or `first-update`.
    pub deadline: &'static str,
    pub due: i64,
}

/// One participation for after-action statistics (exercise cases excluded).
#[derive(Debug, Clone)]
pub struct ParticipationFact {
    pub incident_id: Uuid,
    pub state: Option<String>,
    pub core: IncidentCore,
    pub status: String,
    pub notified_at: i64,
    pub acknowledged_at: Option<i64>,
    pub mitigated_at: Option<i64>,
}

/// A message waiting in (or sent from) the outbox.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OutboxItem {
    pub id: Uuid,
    /// `email` or `webhook`.
    pub channel: String,
    pub incident_id: Option<Uuid>,
    pub recipient: String,
    pub subject: String,
    /// The message as it will be sent (e-mail body or webhook JSON).
    #[serde(skip)]
    pub payload: String,
    /// `pending`, `sent` or `failed` (given up after the last retry).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// One event of a CSV feed, routed, ready to be stored once (by `dedup_key`).
#[derive(Debug, Clone)]
pub struct FeedEventRow {
    pub dedup_key: String,
    pub observed_at: i64,
    pub kind: &'static str,
    pub value: String,
    pub state: Option<String>,
    pub org_id: Option<Uuid>,
    pub basis: &'static str,
}

/// Rows per INSERT statement of the feed job.
const FEED_CHUNK: usize = 50;

const CASE_COLS: &str = "id, origin_node, reporting_org, reporting_state, core, version, created_at, updated_at";
const PART_COLS: &str = "body, notified_at, acknowledged_at, mitigated_at, ack_due, update_due, escalated_at";
const OUTBOX_COLS: &str =
    "id, channel, incident_id, recipient, subject, payload, status, attempts, next_attempt_at, last_error, created_at, sent_at";

fn case_from_row(r: &AnyRow) -> Result<Incident> {
    let core: IncidentCore = parse_json(&r.try_get::<String, _>("core")?, "incident core")?;
    let state: Option<String> = r.try_get("reporting_state")?;
    Ok(Incident {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        origin_node: r.try_get("origin_node")?,
        reporting_org: parse_uuid(&r.try_get::<String, _>("reporting_org")?)?,
        reporting_state: state.map(|s| s.parse().map_err(StoreError::Corrupt)).transpose()?,
        severity_label: core.severity.label().to_string(),
        core,
        observables: vec![],
        participants: vec![],
        tasks: vec![],
        attachments: vec![],
        version: r.try_get("version")?,
        created_at: micros_rfc3339(r.try_get("created_at")?),
        updated_at: micros_rfc3339(r.try_get("updated_at")?),
    })
}

fn part_from_row(r: &AnyRow) -> Result<ParticipantRow> {
    Ok(ParticipantRow {
        body: parse_json(&r.try_get::<String, _>("body")?, "participant")?,
        notified_at: r.try_get("notified_at")?,
        acknowledged_at: r.try_get("acknowledged_at")?,
        mitigated_at: r.try_get("mitigated_at")?,
        ack_due: r.try_get("ack_due")?,
        update_due: r.try_get("update_due")?,
        escalated_at: r.try_get("escalated_at")?,
    })
}

fn outbox_from_row(r: &AnyRow) -> Result<OutboxItem> {
    let inc: Option<String> = r.try_get("incident_id")?;
    let sent: Option<i64> = r.try_get("sent_at")?;
    Ok(OutboxItem {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        channel: r.try_get("channel")?,
        incident_id: inc.map(|s| parse_uuid(&s)).transpose()?,
        recipient: r.try_get("recipient")?,
        subject: r.try_get("subject")?,
        payload: r.try_get("payload")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: micros_rfc3339(r.try_get("next_attempt_at")?),
        last_error: r.try_get("last_error")?,
        created_at: micros_rfc3339(r.try_get("created_at")?),
        sent_at: sent.map(micros_rfc3339),
    })
}

fn kind_of(s: &str) -> Result<ObservableKind> {
    s.parse().map_err(StoreError::Corrupt)
}

impl Store {
    /// One case with participants, observables, tasks and attachment metadata.
    pub async fn incident_get(&self, id: Uuid) -> Result<Option<Incident>> {
        let row = sqlx::query(&format!("SELECT {CASE_COLS} FROM incidents WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut inc = case_from_row(&row)?;
        inc.participants = self.incident_participants(id).await?.into_iter().map(|p| p.body).collect();
        let obs = sqlx::query("SELECT kind, value FROM incident_observables WHERE incident_id = $1 ORDER BY added_at, kind, value")
            .bind(id.to_string())
            .fetch_all(self.reader())
            .await?;
        inc.observables = obs
            .iter()
            .map(|r| {
                let k = kind_of(&r.try_get::<String, _>("kind")?)?;
                Observable::parse_as(k, &r.try_get::<String, _>("value")?).map_err(StoreError::Corrupt)
            })
            .collect::<Result<_>>()?;
        let tasks = sqlx::query("SELECT body FROM incident_tasks WHERE incident_id = $1 ORDER BY created_at, id")
            .bind(id.to_string())
            .fetch_all(self.reader())
            .await?;
        inc.tasks = tasks.iter().map(|r| parse_json::<Task>(&r.try_get::<String, _>("body")?, "task")).collect::<Result<_>>()?;
        let atts = sqlx::query("SELECT meta FROM incident_attachments WHERE incident_id = $1 ORDER BY created_at, id")
            .bind(id.to_string())
            .fetch_all(self.reader())
            .await?;
        inc.attachments =
            atts.iter().map(|r| parse_json::<Attachment>(&r.try_get::<String, _>("meta")?, "attachment")).collect::<Result<_>>()?;
        Ok(Some(inc))
    }

    /// Every case with its participants (no observables, tasks or attachments), newest first.
    pub async fn incident_list(&self) -> Result<Vec<Incident>> {
        let rows = sqlx::query(&format!("SELECT {CASE_COLS} FROM incidents ORDER BY updated_at DESC, id"))
            .fetch_all(self.reader())
            .await?;
        let mut out: Vec<Incident> = rows.iter().map(case_from_row).collect::<Result<_>>()?;
        let parts = sqlx::query("SELECT incident_id, body FROM incident_participants ORDER BY notified_at, org_id")
            .fetch_all(self.reader())
            .await?;
        let mut by_case: std::collections::HashMap<String, Vec<Participant>> = std::collections::HashMap::new();
        for r in &parts {
            by_case
                .entry(r.try_get("incident_id")?)
                .or_default()
                .push(parse_json(&r.try_get::<String, _>("body")?, "participant")?);
        }
        for i in &mut out {
            i.participants = by_case.remove(&i.id.to_string()).unwrap_or_default();
        }
        Ok(out)
    }

    pub async fn incident_participants(&self, id: Uuid) -> Result<Vec<ParticipantRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PART_COLS} FROM incident_participants WHERE incident_id = $1 ORDER BY notified_at, org_id"
        ))
        .bind(id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(part_from_row).collect()
    }

    pub async fn incident_timeline(&self, id: Uuid) -> Result<Vec<TimelineEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, org_id, kind, text FROM incident_timeline WHERE incident_id = $1 ORDER BY seq",
        )
        .bind(id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let org: Option<String> = r.try_get("org_id")?;
                Ok(TimelineEntry {
                    id: parse_uuid(&r.try_get::<String, _>("id")?)?,
                    at: micros_rfc3339(r.try_get("at")?),
                    actor: r.try_get("actor")?,
                    org_id: org.map(|o| parse_uuid(&o)).transpose()?,
                    kind: r.try_get("kind")?,
                    text: r.try_get("text")?,
                })
            })
            .collect()
    }

    /// Metadata and base64 content of one attachment of a case.
    pub async fn incident_attachment(&self, incident: Uuid, id: Uuid) -> Result<Option<(Attachment, String)>> {
        let row = sqlx::query("SELECT meta, content FROM incident_attachments WHERE incident_id = $1 AND id = $2")
            .bind(incident.to_string())
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok((parse_json(&r.try_get::<String, _>("meta")?, "attachment")?, r.try_get("content")?))).transpose()
    }

    /// Participants whose acknowledge or first-update deadline is at or before `now` and who
    /// were not escalated yet.
    pub async fn incident_overdue(&self, now: OffsetDateTime) -> Result<Vec<Overdue>> {
        let now = to_micros(now);
        let rows = sqlx::query(
            "SELECT incident_id, org_id, status, ack_due, update_due FROM incident_participants \
             WHERE escalated_at IS NULL AND ((status = 'notified' AND ack_due <= $1) \
             OR (status = 'acknowledged' AND update_due <= $1)) ORDER BY incident_id, org_id",
        )
        .bind(now)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                let (deadline, due) = if status == "notified" {
                    ("acknowledge", r.try_get::<Option<i64>, _>("ack_due")?)
                } else {
                    ("first-update", r.try_get::<Option<i64>, _>("update_due")?)
                };
                Ok(Overdue {
                    incident_id: parse_uuid(&r.try_get::<String, _>("incident_id")?)?,
                    org_id: parse_uuid(&r.try_get::<String, _>("org_id")?)?,
                    deadline,
                    due: due.unwrap_or(now),
                })
            })
            .collect()
    }

    /// Participations of real (non-exercise) cases, for after-action statistics.
    pub async fn incident_facts(&self) -> Result<Vec<ParticipationFact>> {
        let rows = sqlx::query(
            "SELECT p.incident_id, p.state, p.status, p.notified_at, p.acknowledged_at, p.mitigated_at, i.core \
             FROM incident_participants p JOIN incidents i ON i.id = p.incident_id WHERE i.exercise = 0 \
             ORDER BY p.incident_id, p.org_id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ParticipationFact {
                    incident_id: parse_uuid(&r.try_get::<String, _>("incident_id")?)?,
                    state: r.try_get("state")?,
                    core: parse_json(&r.try_get::<String, _>("core")?, "incident core")?,
                    status: r.try_get("status")?,
                    notified_at: r.try_get("notified_at")?,
                    acknowledged_at: r.try_get("acknowledged_at")?,
                    mitigated_at: r.try_get("mitigated_at")?,
                })
            })
            .collect()
    }

    /// Pending outbox messages due at `now`, oldest first.
    pub async fn outbox_due(&self, now: OffsetDateTime, limit: i64) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLS} FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(to_micros(now))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(outbox_from_row).collect()
    }

    /// The outbox, newest first (optionally of one case).
    pub async fn outbox_list(&self, incident: Option<Uuid>) -> Result<Vec<OutboxItem>> {
        let rows = match incident {
            Some(i) => sqlx::query(&format!("SELECT {OUTBOX_COLS} FROM outbox WHERE incident_id = $1 ORDER BY created_at DESC, id"))
                .bind(i.to_string())
                .fetch_all(self.reader())
                .await?,
            None => sqlx::query(&format!("SELECT {OUTBOX_COLS} FROM outbox ORDER BY created_at DESC, id LIMIT 1000"))
                .fetch_all(self.reader())
                .await?,
        };
        rows.iter().map(outbox_from_row).collect()
    }

    /// Claims a due message for sending: pushes its next attempt `lease` into the future so that
    /// no other sender takes it meanwhile (a crash mid-send retries it after the lease).
    pub async fn outbox_claim(&self, id: Uuid, now: OffsetDateTime, lease: time::Duration) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' AND next_attempt_at <= $3",
        )
        .bind(to_micros(now + lease))
        .bind(id.to_string())
        .bind(to_micros(now))
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn outbox_sent(&self, id: Uuid, now: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = $1, last_error = NULL WHERE id = $2")
            .bind(to_micros(now))
            .bind(id.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up (`failed`) when `None`.
    pub async fn outbox_failed(&self, id: Uuid, error: &str, retry_at: Option<OffsetDateTime>) -> Result<()> {
        let (status, next) = match retry_at {
            Some(t) => ("pending", Some(to_micros(t))),
            None => ("failed", None),
        };
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = COALESCE($2, next_attempt_at), \
             last_error = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(next)
        .bind(error.to_string())
        .bind(id.to_string())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn feed_event_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM feed_events").fetch_one(self.reader()).await?.try_get("n")?)
    }

    /// Feed events per state (`None` = unrouted).
    pub async fn feed_events_by_state(&self) -> Result<Vec<(Option<String>, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM feed_events GROUP BY state ORDER BY n DESC, state")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("n")?))).collect()
    }
}

impl Tx {
    pub async fn incident_insert(&mut self, row: &NewIncidentRow, now: OffsetDateTime) -> Result<()> {
        let at = to_micros(now);
        sqlx::query(
            "INSERT INTO incidents (id, origin_node, reporting_org, reporting_state, tlp, severity, exercise, phase, core, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)",
        )
        .bind(row.id.to_string())
        .bind(row.origin_node.clone())
        .bind(row.reporting_org.to_string())
        .bind(row.reporting_state.as_ref().map(|c| c.to_string()))
        .bind(row.core.tlp.label())
        .bind(i64::from(row.core.severity.value()))
        .bind(i64::from(row.core.exercise))
        .bind(row.core.phase.as_str())
        .bind(to_json(&row.core)?)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Replaces the core if the case is still at `expected_version`; returns the new version.
    pub async fn incident_update_core(&mut self, id: Uuid, expected_version: i64, core: &IncidentCore, now: OffsetDateTime) -> Result<i64> {
        let done = sqlx::query(
            "UPDATE incidents SET tlp = $1, severity = $2, phase = $3, core = $4, version = version + 1, updated_at = $5 \
             WHERE id = $6 AND version = $7",
        )
        .bind(core.tlp.label())
        .bind(i64::from(core.severity.value()))
        .bind(core.phase.as_str())
        .bind(to_json(core)?)
        .bind(to_micros(now))
        .bind(id.to_string())
        .bind(expected_version)
        .execute(self.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Stale(format!("incident {id} is no longer at version {expected_version}")));
        }
        Ok(expected_version + 1)
    }

    /// Bumps the version and `updated_at` of a case after any change to its parts.
    pub async fn incident_touch(&mut self, id: Uuid, now: OffsetDateTime) -> Result<()> {
        let done = sqlx::query("UPDATE incidents SET version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(to_micros(now))
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("incident {id}")));
        }
        Ok(())
    }

    /// Adds observables, skipping ones the case already has; returns how many were new.
    pub async fn incident_add_observables(&mut self, id: Uuid, obs: &[Observable], now: OffsetDateTime) -> Result<u64> {
        let at = to_micros(now);
        let mut added = 0;
        for chunk in obs.chunks(500) {
            let mut sql = String::from("INSERT INTO incident_observables (incident_id, kind, value, added_at) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let b = i * 3;
                sql.push_str(&format!("($1, ${}, ${}, ${})", b + 2, b + 3, b + 4));
            }
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(&sql).bind(id.to_string());
            for o in chunk {
                q = q.bind(o.kind().as_str()).bind(o.value()).bind(at);
            }
            added += q.execute(self.conn()).await?.rows_affected();
        }
        Ok(added)
    }

    pub async fn participant_get(&mut self, incident: Uuid, org: Uuid) -> Result<Option<ParticipantRow>> {
        let row = sqlx::query(&format!("SELECT {PART_COLS} FROM incident_participants WHERE incident_id = $1 AND org_id = $2"))
            .bind(incident.to_string())
            .bind(org.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(part_from_row).transpose()
    }

    /// Inserts or replaces a participant of a case.
    pub async fn participant_put(&mut self, incident: Uuid, p: &ParticipantRow) -> Result<()> {
        sqlx::query("DELETE FROM incident_participants WHERE incident_id = $1 AND org_id = $2")
            .bind(incident.to_string())
            .bind(p.body.org_id.to_string())
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO incident_participants (incident_id, org_id, state, status, body, notified_at, acknowledged_at, \
             mitigated_at, ack_due, update_due, escalated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(incident.to_string())
        .bind(p.body.org_id.to_string())
        .bind(p.body.state.as_ref().map(|c| c.to_string()))
        .bind(p.body.status.as_str())
        .bind(to_json(&p.body)?)
        .bind(p.notified_at)
        .bind(p.acknowledged_at)
        .bind(p.mitigated_at)
        .bind(p.ack_due)
        .bind(p.update_due)
        .bind(p.escalated_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn timeline_append(&mut self, incident: Uuid, e: &TimelineEntry, at: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "INSERT INTO incident_timeline (id, incident_id, at, actor, org_id, kind, text) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.id.to_string())
        .bind(incident.to_string())
        .bind(to_micros(at))
        .bind(e.actor.clone())
        .bind(e.org_id.map(|o| o.to_string()))
        .bind(e.kind.clone())
        .bind(e.text.clone())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn task_put(&mut self, incident: Uuid, t: &Task, created: OffsetDateTime) -> Result<()> {
        sqlx::query("DELETE FROM incident_tasks WHERE id = $1").bind(t.id.to_string()).execute(self.conn()).await?;
        sqlx::query("INSERT INTO incident_tasks (id, incident_id, body, created_at) VALUES ($1, $2, $3, $4)")
            .bind(t.id.to_string())
            .bind(incident.to_string())
            .bind(to_json(t)?)
            .bind(to_micros(created))
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn task_get(&mut self, incident: Uuid, id: Uuid) -> Result<Option<(Task, i64)>> {
        let row = sqlx::query("SELECT body, created_at FROM incident_tasks WHERE incident_id = $1 AND id = $2")
            .bind(incident.to_string())
            .bind(id.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| Ok((parse_json(&r.try_get::<String, _>("body")?, "task")?, r.try_get("created_at")?))).transpose()
    }

    pub async fn attachment_insert(&mut self, incident: Uuid, a: &Attachment, content_b64: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query("INSERT INTO incident_attachments (id, incident_id, meta, content, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(a.id.to_string())
            .bind(incident.to_string())
            .bind(to_json(a)?)
            .bind(content_b64.to_string())
            .bind(to_micros(now))
            .execute(self.conn())
            .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn outbox_enqueue(&mut self, channel: &str, incident: Option<Uuid>, recipient: &str, subject: &str, payload: &str, now: OffsetDateTime) -> Result<Uuid> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO outbox (id, channel, incident_id, recipient, subject, payload, status, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
        )
        .bind(id.to_string())
        .bind(channel.to_string())
        .bind(incident.map(|i| i.to_string()))
        .bind(recipient.to_string())
        .bind(subject.to_string())
        .bind(payload.to_string())
        .bind(to_micros(now))
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    /// Stores feed events, each `dedup_key` once; returns how many were new.
    pub async fn feed_insert(&mut self, rows: &[FeedEventRow], source: &str, now: OffsetDateTime) -> Result<u64> {
        let at = to_micros(now);
        let mut added = 0;
        // 7 parameters a row (+2 shared). Statement cost grows faster than linearly with the
        // number of parameters (sqlx binding), so moderate chunks are fastest (measured).
        for chunk in rows.chunks(FEED_CHUNK) {
            let mut sql = String::with_capacity(64 + chunk.len() * 48);
            sql.push_str(
                "INSERT INTO feed_events (dedup_key, observed_at, kind, value, state, org_id, basis, source, imported_at) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                let b = i * 7;
                sql.push_str(&format!("(${},${},${},${},${},${},${},$1,$2)", b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9));
            }
            sql.push_str(" ON CONFLICT (dedup_key) DO NOTHING");
            let mut q = sqlx::query(&sql).bind(source.to_string()).bind(at);
            for r in chunk {
                q = q
                    .bind(r.dedup_key.clone())
                    .bind(r.observed_at)
                    .bind(r.kind)
                    .bind(r.value.clone())
                    .bind(r.state.clone())
                    .bind(r.org_id.map(|o| o.to_string()))
                    .bind(r.basis);
            }
            added += q.execute(self.conn()).await?.rows_affected();
        }
        Ok(added)
    }
}
