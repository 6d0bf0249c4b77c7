//! User accounts, API/session tokens (stored as SHA-256 hashes only) and login-failure records.
use crate::{parse_uuid, Result, Store, StoreError, Tx};
use atalaya_model::time_util::{micros_rfc3339, to_micros};
use atalaya_model::user::{TokenInfo, User};
use atalaya_model::Role;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

/// A user with the secret-bearing columns the services need (never serialised to clients).
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user: User,
    pub password_hash: Option<String>,
}

/// A token row, for authentication.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub info: TokenInfo,
    pub expires_at_us: Option<i64>,
    pub revoked: bool,
}

const USER_COLS: &str = "id, username, display_name, org_id, role, password_hash, disabled, created_at, updated_at";
const TOKEN_COLS: &str = "id, user_id, name, kind, created_at, expires_at, revoked_at, last_used_at";

fn user_from_row(r: &AnyRow) -> Result<UserRecord> {
    let role: String = r.try_get("role")?;
    let password_hash: Option<String> = r.try_get("password_hash")?;
    Ok(UserRecord {
        user: User {
            id: parse_uuid(&r.try_get::<String, _>("id")?)?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            organisation_id: parse_uuid(&r.try_get::<String, _>("org_id")?)?,
            role: role.parse::<Role>().map_err(StoreError::Corrupt)?,
            disabled: crate::get_bool(r, "disabled")?,
            has_password: password_hash.is_some(),
            created_at: micros_rfc3339(r.try_get("created_at")?),
            updated_at: micros_rfc3339(r.try_get("updated_at")?),
        },
        password_hash,
    })
}

fn token_from_row(r: &AnyRow) -> Result<TokenRecord> {
    let expires: Option<i64> = r.try_get("expires_at")?;
    let revoked: Option<i64> = r.try_get("revoked_at")?;
    let used: Option<i64> = r.try_get("last_used_at")?;
    Ok(TokenRecord {
        info: TokenInfo {
            id: parse_uuid(&r.try_get::<String, _>("id")?)?,
            user_id: parse_uuid(&r.try_get::<String, _>("user_id")?)?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            created_at: micros_rfc3339(r.try_get("created_at")?),
            expires_at: expires.map(micros_rfc3339),
            revoked_at: revoked.map(micros_rfc3339),
            last_used_at: used.map(micros_rfc3339),
        },
        expires_at_us: expires,
        revoked: revoked.is_some(),
    })
}

impl Store {
    pub async fn user_get(&self, id: Uuid) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE username = $1"))
            .bind(username.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Users of one organisation, or of all when `org` is `None`.
    pub async fn user_list(&self, org: Option<Uuid>) -> Result<Vec<User>> {
        let rows = match org {
            Some(o) => sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE org_id = $1 ORDER BY username"))
                .bind(o.to_string())
                .fetch_all(self.reader())
                .await?,
            None => sqlx::query(&format!("SELECT {USER_COLS} FROM users ORDER BY username"))
                .fetch_all(self.reader())
                .await?,
        };
        rows.iter().map(|r| user_from_row(r).map(|u| u.user)).collect()
    }

    /// The token with this hash and its owner.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<(TokenRecord, UserRecord)>> {
        let row = sqlx::query(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1"))
            .bind(hash.to_string())
            .fetch_optional(self.reader())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_from_row(&row)?;
        match self.user_get(token.info.user_id).await? {
            Some(u) => Ok(Some((token, u))),
            None => Ok(None),
        }
    }

    pub async fn token_get(&self, id: Uuid) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    pub async fn token_list(&self, user_id: Uuid) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id"))
            .bind(user_id.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| token_from_row(r).map(|t| t.info)).collect()
    }

    /// Number of failed logins recorded for `key` since `since`.
    pub async fn login_failures_since(&self, key: &str, since: OffsetDateTime) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM login_failures WHERE key = $1 AND at >= $2")
            .bind(key.to_string())
            .bind(to_micros(since))
            .fetch_one(self.reader())
            .await?
            .try_get("n")?)
    }

    /// Records that a token was used; best effort, outside any caller's transaction.
    pub async fn token_touch(&self, id: Uuid, now: OffsetDateTime) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(to_micros(now))
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }
}

impl Tx {
    pub async fn user_by_name(&mut self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE username = $1"))
            .bind(username.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_count(&mut self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(self.conn()).await?.try_get("n")?)
    }

    pub async fn user_insert(&mut self, username: &str, display_name: Option<&str>, org_id: Uuid, role: Role, password_hash: Option<&str>, now: OffsetDateTime) -> Result<User> {
        let id = Uuid::new_v4();
        let at = to_micros(now);
        sqlx::query(&format!(
            "INSERT INTO users ({USER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)"
        ))
        .bind(id.to_string())
        .bind(username.to_string())
        .bind(display_name.map(str::to_string))
        .bind(org_id.to_string())
        .bind(role.as_str())
        .bind(password_hash.map(str::to_string))
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("users.username".into()),
            other => other,
        })?;
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_one(self.conn())
            .await?;
        Ok(user_from_row(&row)?.user)
    }

    /// Updates the mutable fields of a user; `None` leaves a field as it is.
    pub async fn user_update(&mut self, id: Uuid, role: Option<Role>, display_name: Option<&str>, disabled: Option<bool>, now: OffsetDateTime) -> Result<User> {
        let current = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.conn())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        let cur = user_from_row(&current)?.user;
        sqlx::query("UPDATE users SET role = $1, display_name = $2, disabled = $3, updated_at = $4 WHERE id = $5")
            .bind(role.unwrap_or(cur.role).as_str())
            .bind(display_name.map(str::to_string).or(cur.display_name))
            .bind(disabled.unwrap_or(cur.disabled) as i64)
            .bind(to_micros(now))
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        if disabled == Some(true) {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(to_micros(now))
                .bind(id.to_string())
                .execute(self.conn())
                .await?;
        }
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_one(self.conn())
            .await?;
        Ok(user_from_row(&row)?.user)
    }

    pub async fn user_set_password(&mut self, id: Uuid, password_hash: &str, now: OffsetDateTime) -> Result<()> {
        let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(password_hash.to_string())
            .bind(to_micros(now))
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("user {id}")));
        }
        Ok(())
    }

    pub async fn token_insert(&mut self, user_id: Uuid, name: &str, kind: &str, token_hash: &str, expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> Result<TokenInfo> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, kind, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(user_id.to_string())
        .bind(name.to_string())
        .bind(kind.to_string())
        .bind(token_hash.to_string())
        .bind(to_micros(now))
        .bind(expires_at.map(to_micros))
        .execute(self.conn())
        .await?;
        let row = sqlx::query(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1"))
            .bind(id.to_string())
            .fetch_one(self.conn())
            .await?;
        Ok(token_from_row(&row)?.info)
    }

    /// Revokes a token; revoking twice is harmless.
    pub async fn token_revoke(&mut self, id: Uuid, now: OffsetDateTime) -> Result<()> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(to_micros(now))
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        Ok(())
    }

    pub async fn login_failure_record(&mut self, key: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
            .bind(key.to_string())
            .bind(to_micros(now))
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Forgets failures older than `before` (housekeeping) and, with `key`, all of that key's.
    pub async fn login_failures_clear(&mut self, key: Option<&str>, before: OffsetDateTime) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(to_micros(before)).execute(self.conn()).await?;
        if let Some(k) = key {
            sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(k.to_string()).execute(self.conn()).await?;
        }
        Ok(())
    }
}
