//! Organisations, points of contact, constituencies and their version history.
use crate::{parse_json, parse_uuid, to_json, Result, Store, StoreError, Tx};
use atalaya_model::directory::{Contact, ContactBody, HistoryEntry, Organisation, OrganisationBody};
use atalaya_model::time_util::{micros_rfc3339, to_micros};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

const ORG_COLS: &str = "id, body, home, version, created_at, updated_at";
const CONTACT_COLS: &str = "id, org_id, body, version, created_at, updated_at";

fn org_from_row(r: &AnyRow) -> Result<Organisation> {
    let body: String = r.try_get("body")?;
    Ok(Organisation {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        body: parse_json::<OrganisationBody>(&body, "organisation body")?,
        home: crate::get_bool(r, "home")?,
        version: r.try_get("version")?,
        created_at: micros_rfc3339(r.try_get("created_at")?),
        updated_at: micros_rfc3339(r.try_get("updated_at")?),
    })
}

fn contact_from_row(r: &AnyRow) -> Result<Contact> {
    let body: String = r.try_get("body")?;
    Ok(Contact {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        organisation_id: parse_uuid(&r.try_get::<String, _>("org_id")?)?,
        body: parse_json::<ContactBody>(&body, "contact body")?,
        version: r.try_get("version")?,
        created_at: micros_rfc3339(r.try_get("created_at")?),
        updated_at: micros_rfc3339(r.try_get("updated_at")?),
    })
}

/// Names are unique regardless of case and surrounding blanks.
fn name_key(body: &OrganisationBody) -> String {
    body.name.as_str().trim().to_lowercase()
}

fn map_name_conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict(c) if c.contains("name_key") => StoreError::Conflict("organisations.name".into()),
        other => other,
    }
}

impl Store {
    pub async fn org_get(&self, id: Uuid) -> Result<Option<Organisation>> {
        let row = sqlx::query(&format!("SELECT {ORG_COLS} FROM organisations WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(org_from_row).transpose()
    }

    pub async fn org_home(&self) -> Result<Option<Organisation>> {
        let row = sqlx::query(&format!("SELECT {ORG_COLS} FROM organisations WHERE home = 1"))
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(org_from_row).transpose()
    }

    /// All organisations, optionally of one country, ordered by name.
    pub async fn org_list(&self, country: Option<&str>) -> Result<Vec<Organisation>> {
        let rows = match country {
            Some(c) => {
                sqlx::query(&format!("SELECT {ORG_COLS} FROM organisations WHERE country = $1 ORDER BY name_key"))
                    .bind(c.to_string())
                    .fetch_all(self.reader())
                    .await?
            }
            None => {
                sqlx::query(&format!("SELECT {ORG_COLS} FROM organisations ORDER BY name_key"))
                    .fetch_all(self.reader())
                    .await?
            }
        };
        rows.iter().map(org_from_row).collect()
    }

    pub async fn contact_get(&self, id: Uuid) -> Result<Option<Contact>> {
        let row = sqlx::query(&format!("SELECT {CONTACT_COLS} FROM contacts WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(contact_from_row).transpose()
    }

    pub async fn contact_list(&self, org_id: Uuid) -> Result<Vec<Contact>> {
        let rows = sqlx::query(&format!("SELECT {CONTACT_COLS} FROM contacts WHERE org_id = $1 ORDER BY created_at, id"))
            .bind(org_id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(contact_from_row).collect()
    }

    /// The change history of one organisation and its contacts, oldest first.
    pub async fn history_for_org(&self, org_id: Uuid) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query(
            "SELECT entity, entity_id, version, action, actor, at, content FROM directory_history \
             WHERE org_id = $1 ORDER BY seq",
        )
        .bind(org_id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let content: Option<String> = r.try_get("content")?;
                Ok(HistoryEntry {
                    entity: r.try_get("entity")?,
                    entity_id: parse_uuid(&r.try_get::<String, _>("entity_id")?)?,
                    version: r.try_get("version")?,
                    action: r.try_get("action")?,
                    actor: r.try_get("actor")?,
                    at: micros_rfc3339(r.try_get("at")?),
                    content: content.map(|c| parse_json(&c, "history content")).transpose()?,
                })
            })
            .collect()
    }

    /// Organisations whose declared constituency holds exactly this entry (`kind` is
    /// `prefix`, `asn`, `domain` or `sector`).
    pub async fn orgs_with_constituency(&self, kind: &str, value: &str) -> Result<Vec<Uuid>> {
        let rows = sqlx::query("SELECT org_id FROM constituency WHERE kind = $1 AND value = $2 ORDER BY org_id")
            .bind(kind.to_string())
            .bind(value.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| parse_uuid(&r.try_get::<String, _>("org_id")?)).collect()
    }
}

impl Tx {
    pub async fn org_get(&mut self, id: Uuid) -> Result<Option<Organisation>> {
        let row = sqlx::query(&format!("SELECT {ORG_COLS} FROM organisations WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(org_from_row).transpose()
    }

    pub async fn org_home(&mut self) -> Result<Option<Organisation>> {
        let row = sqlx::query(&format!("SELECT {ORG_COLS} FROM organisations WHERE home = 1"))
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(org_from_row).transpose()
    }

    pub async fn org_insert(&mut self, body: &OrganisationBody, home: bool, actor: &str, now: OffsetDateTime) -> Result<Organisation> {
        let id = Uuid::new_v4();
        let at = to_micros(now);
        sqlx::query(
            "INSERT INTO organisations (id, name_key, kind, country, tlp, home, body, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
        )
        .bind(id.to_string())
        .bind(name_key(body))
        .bind(body.kind.as_str())
        .bind(body.country.as_ref().map(|c| c.to_string()))
        .bind(body.tlp.label())
        .bind(home as i64)
        .bind(to_json(body)?)
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| map_name_conflict(e.into()))?;
        self.constituency_replace(id, body).await?;
        self.history_append("organisation", id, id, 1, "create", actor, at, Some(to_json(body)?)).await?;
        self.org_get(id).await?.ok_or_else(|| StoreError::NotFound(format!("organisation {id}")))
    }

    /// Replaces the content if the stored version is still `expected_version`.
    pub async fn org_update(&mut self, id: Uuid, expected_version: i64, body: &OrganisationBody, actor: &str, now: OffsetDateTime) -> Result<Organisation> {
        let at = to_micros(now);
        let done = sqlx::query(
            "UPDATE organisations SET name_key = $1, kind = $2, country = $3, tlp = $4, body = $5, \
             version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8",
        )
        .bind(name_key(body))
        .bind(body.kind.as_str())
        .bind(body.country.as_ref().map(|c| c.to_string()))
        .bind(body.tlp.label())
        .bind(to_json(body)?)
        .bind(at)
        .bind(id.to_string())
        .bind(expected_version)
        .execute(self.conn())
        .await
        .map_err(|e| map_name_conflict(e.into()))?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Stale(format!("organisation {id} is no longer at version {expected_version}")));
        }
        self.constituency_replace(id, body).await?;
        self.history_append("organisation", id, id, expected_version + 1, "update", actor, at, Some(to_json(body)?)).await?;
        self.org_get(id).await?.ok_or_else(|| StoreError::NotFound(format!("organisation {id}")))
    }

    /// Deletes an organisation with its contacts if the stored version is still `version`;
    /// refused while users still belong to it.
    pub async fn org_delete(&mut self, id: Uuid, version: i64, actor: &str, now: OffsetDateTime) -> Result<()> {
        let stored: Option<i64> = sqlx::query("SELECT version FROM organisations WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.conn())
            .await?
            .map(|r| r.try_get("version"))
            .transpose()?;
        match stored {
            None => return Err(StoreError::NotFound(format!("organisation {id}"))),
            Some(v) if v != version => {
                return Err(StoreError::Stale(format!("organisation {id} is no longer at version {version}")))
            }
            Some(_) => {}
        }
        let users: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE org_id = $1")
            .bind(id.to_string())
            .fetch_one(self.conn())
            .await?
            .try_get("n")?;
        if users > 0 {
            return Err(StoreError::Conflict(format!("organisations.users: {users} user account(s) still belong to it")));
        }
        sqlx::query("DELETE FROM contacts WHERE org_id = $1").bind(id.to_string()).execute(self.conn()).await?;
        sqlx::query("DELETE FROM constituency WHERE org_id = $1").bind(id.to_string()).execute(self.conn()).await?;
        let done = sqlx::query("DELETE FROM organisations WHERE id = $1 AND version = $2")
            .bind(id.to_string())
            .bind(version)
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Stale(format!("organisation {id} is no longer at version {version}")));
        }
        self.history_append("organisation", id, id, version + 1, "delete", actor, to_micros(now), None).await
    }

    async fn constituency_replace(&mut self, id: Uuid, body: &OrganisationBody) -> Result<()> {
        sqlx::query("DELETE FROM constituency WHERE org_id = $1").bind(id.to_string()).execute(self.conn()).await?;
        let c = &body.constituency;
        let entries = c
            .prefixes
            .iter()
            .map(|p| ("prefix", p.to_string()))
            .chain(c.asns.iter().map(|a| ("asn", a.0.to_string())))
            .chain(c.domains.iter().map(|d| ("domain", d.to_string())))
            .chain(c.sectors.iter().map(|s| ("sector", s.to_string())));
        for (kind, value) in entries {
            sqlx::query("INSERT INTO constituency (org_id, kind, value) VALUES ($1, $2, $3)")
                .bind(id.to_string())
                .bind(kind)
                .bind(value)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    pub async fn contact_get(&mut self, id: Uuid) -> Result<Option<Contact>> {
        let row = sqlx::query(&format!("SELECT {CONTACT_COLS} FROM contacts WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(contact_from_row).transpose()
    }

    pub async fn contact_insert(&mut self, org_id: Uuid, body: &ContactBody, actor: &str, now: OffsetDateTime) -> Result<Contact> {
        let id = Uuid::new_v4();
        let at = to_micros(now);
        sqlx::query(
            "INSERT INTO contacts (id, org_id, tlp, body, version, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)",
        )
        .bind(id.to_string())
        .bind(org_id.to_string())
        .bind(body.tlp.label())
        .bind(to_json(body)?)
        .bind(at)
        .execute(self.conn())
        .await?;
        self.history_append("contact", id, org_id, 1, "create", actor, at, Some(to_json(body)?)).await?;
        self.contact_get(id).await?.ok_or_else(|| StoreError::NotFound(format!("contact {id}")))
    }

    pub async fn contact_update(&mut self, id: Uuid, expected_version: i64, body: &ContactBody, actor: &str, now: OffsetDateTime) -> Result<Contact> {
        let at = to_micros(now);
        let done = sqlx::query(
            "UPDATE contacts SET tlp = $1, body = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5",
        )
        .bind(body.tlp.label())
        .bind(to_json(body)?)
        .bind(at)
        .bind(id.to_string())
        .bind(expected_version)
        .execute(self.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Stale(format!("contact {id} is no longer at version {expected_version}")));
        }
        let c = self.contact_get(id).await?.ok_or_else(|| StoreError::NotFound(format!("contact {id}")))?;
        self.history_append("contact", id, c.organisation_id, c.version, "update", actor, at, Some(to_json(body)?)).await?;
        Ok(c)
    }

    pub async fn contact_delete(&mut self, c: &Contact, actor: &str, now: OffsetDateTime) -> Result<()> {
        let done = sqlx::query("DELETE FROM contacts WHERE id = $1 AND version = $2")
            .bind(c.id.to_string())
            .bind(c.version)
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(match self.contact_get(c.id).await? {
                Some(_) => StoreError::Stale(format!("contact {} is no longer at version {}", c.id, c.version)),
                None => StoreError::NotFound(format!("contact {}", c.id)),
            });
        }
        self.history_append("contact", c.id, c.organisation_id, c.version + 1, "delete", actor, to_micros(now), None).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn history_append(&mut self, entity: &str, entity_id: Uuid, org_id: Uuid, version: i64, action: &str, actor: &str, at: i64, content: Option<String>) -> Result<()> {
        sqlx::query(
            "INSERT INTO directory_history (entity, entity_id, org_id, version, action, actor, at, content) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(entity.to_string())
        .bind(entity_id.to_string())
        .bind(org_id.to_string())
        .bind(version)
        .bind(action.to_string())
        .bind(actor.to_string())
        .bind(at)
        .bind(content)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
