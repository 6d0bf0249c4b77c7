//! Authentication: argon2id passwords, bearer tokens (random, shown once, stored as SHA-256),
//! login rate limiting recorded in the database (so it holds across processes and restarts).
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use atalaya_model::user::{TokenInfo, User};
use atalaya_model::Role;
use atalaya_policy::{Access, Principal, Subject, Target};
use atalaya_store::UserRecord;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;
use uuid::Uuid;

pub const TOKEN_PREFIX: &str = "atl_";
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A freshly issued token: the secret is shown once and never stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: String,
    #[serde(flatten)]
    pub info: TokenInfo,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A label to recognise the token by (e.g. "SIEM connector").
    pub name: String,
    /// Lifetime in days (1–3650); the node default when absent.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Tokens carry 256 bits of entropy, so a plain SHA-256 is the right at-rest protection.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id (OWASP parameters: 19 MiB, 2 passes), off the async runtime.
pub async fn hash_password(password: String) -> Result<String> {
    check_password(&password)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServiceError::invalid("password", format!("must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > 1024 {
        return Err(ServiceError::invalid("password", "must have at most 1024 bytes"));
    }
    Ok(())
}

pub(crate) async fn verify_password(password: String, hash: Option<String>) -> bool {
    // Without a stored hash, still spend the same time, so a login does not reveal which
    // user names exist.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2gZ+3cOXSFyZHcJ7sE9GguXlIFhqpUMD0FhSMkqNr7k";
    tokio::task::spawn_blocking(move || {
        let h = hash.clone().unwrap_or_else(|| DUMMY.to_string());
        let ok = PasswordHash::new(&h).map(|p| Argon2::default().verify_password(password.as_bytes(), &p).is_ok()).unwrap_or(false);
        ok && hash.is_some()
    })
    .await
    .unwrap_or(false)
}

fn ttl_to_expiry(now: time::OffsetDateTime, ttl: Duration) -> time::OffsetDateTime {
    now + time::Duration::seconds(ttl.as_secs().min(i64::MAX as u64 / 2) as i64)
}

impl Services {
    /// Builds the policy principal of a stored user.
    pub async fn principal_of(&self, u: &User) -> Result<Principal> {
        let org = self
            .store
            .org_get(u.organisation_id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("user {} belongs to a missing organisation", u.username)))?;
        Ok(Principal {
            user_id: u.id,
            username: u.username.clone(),
            org_id: org.id,
            org_kind: org.body.kind,
            org_country: org.body.country.clone(),
            role: u.role,
            home_org: org.home,
            groups: vec![],
        })
    }

    /// Resolves a bearer token. Unknown, expired, revoked tokens and disabled users → 401.
    pub async fn authenticate_token(&self, token: &str) -> Result<Principal> {
        let bad = || ServiceError::Unauthenticated("invalid or expired token".into());
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
            return Err(bad());
        }
        let hash = token_hash(token);
        // Looked up by the SHA-256 of the secret: index timing can only reveal bits of a hash
        // the caller already knows, never of a stored secret (no byte-wise secret comparison).
        let (t, u) = self.store.token_by_hash(&hash).await?.ok_or_else(bad)?;
        let now = self.now();
        if t.revoked || u.user.disabled {
            return Err(bad());
        }
        if t.expires_at_us.is_some_and(|e| e <= atalaya_model::time_util::to_micros(now)) {
            return Err(ServiceError::Unauthenticated("token expired".into()));
        }
        let p = self.principal_of(&u.user).await?;
        // last_used_at at most once a minute per token, to keep reads cheap.
        let stale = t.info.last_used_at.as_deref().and_then(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()).is_none_or(|last| now - last > time::Duration::minutes(1));
        if stale {
            if let Err(e) = self.store.token_touch(t.info.id, now).await {
                tracing::warn!(error = %e, "could not record token use");
            }
        }
        Ok(p)
    }

    /// Username + password → a session token. Failures are counted per user name and per
    /// client address; past the limit, even a right password is refused until the window ends.
    pub async fn login(&self, ctx: &Ctx, req: LoginRequest) -> Result<IssuedToken> {
        let now = self.now();
        let cfg = &self.config;
        let window_start = now - time::Duration::seconds(cfg.login_window.as_secs() as i64);
        let user_key = format!("user:{}", req.username.to_lowercase());
        let src_key = format!("source:{}", source_host(&ctx.source));
        let (by_user, by_src) = (
            self.store.login_failures_since(&user_key, window_start).await?,
            self.store.login_failures_since(&src_key, window_start).await?,
        );
        if by_user >= cfg.login_max_failures_per_user || by_src >= cfg.login_max_failures_per_source {
            let mut tx = self.store.begin().await?;
            tx.audit_append(&audit_entry(ctx, "login.throttled", "user", Some(req.username.clone()), serde_json::json!({})), now).await?;
            tx.commit().await?;
            return Err(ServiceError::RateLimited { retry_after_secs: cfg.login_window.as_secs() });
        }
        let user = self.store.user_by_name(&req.username).await?;
        let ok = verify_password(req.password, user.as_ref().and_then(|u| u.password_hash.clone())).await;
        let user = match (ok, user) {
            (true, Some(u)) if !u.user.disabled => u,
            _ => {
                let mut tx = self.store.begin().await?;
                tx.login_failure_record(&user_key, now).await?;
                tx.login_failure_record(&src_key, now).await?;
                tx.audit_append(&audit_entry(ctx, "login.failure", "user", Some(req.username.clone()), serde_json::json!({})), now).await?;
                tx.commit().await?;
                return Err(ServiceError::Unauthenticated("wrong user name or password".into()));
            }
        };
        let secret = new_secret();
        let mut tx = self.store.begin().await?;
        let info = tx
            .token_insert(user.user.id, "session", "session", &token_hash(&secret), Some(ttl_to_expiry(now, cfg.session_ttl)), now)
            .await?;
        tx.login_failures_clear(Some(&user_key), window_start).await?;
        let actor_ctx = Ctx { subject: Subject::User(self.principal_of(&user.user).await?), source: ctx.source.clone() };
        tx.audit_append(&audit_entry(&actor_ctx, "login.success", "user", Some(user.user.id.to_string()), serde_json::json!({"token": info.id})), now).await?;
        tx.commit().await?;
        Ok(IssuedToken { token: secret, info })
    }

    /// Creates an API token for the calling user.
    pub async fn create_token(&self, ctx: &Ctx, req: NewToken) -> Result<IssuedToken> {
        let p = ctx.subject.principal().ok_or_else(|| ServiceError::Unauthenticated("authentication required".into()))?;
        require(ctx, Access::Write, &Target::Tokens { owner: p.user_id, owner_org: p.org_id })?;
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::invalid("name", "must have 1–100 characters"));
        }
        let ttl = match req.expires_in_days {
            Some(d) if (1..=3650).contains(&d) => Duration::from_secs(u64::from(d) * 86400),
            Some(_) => return Err(ServiceError::invalid("expires_in_days", "must be between 1 and 3650")),
            None => self.config.token_ttl,
        };
        let now = self.now();
        let secret = new_secret();
        let mut tx = self.store.begin().await?;
        let info = tx.token_insert(p.user_id, name, "api", &token_hash(&secret), Some(ttl_to_expiry(now, ttl)), now).await?;
        tx.audit_append(&audit_entry(ctx, "token.create", "token", Some(info.id.to_string()), serde_json::json!({"name": name})), now).await?;
        tx.commit().await?;
        Ok(IssuedToken { token: secret, info })
    }

    pub async fn list_tokens(&self, ctx: &Ctx) -> Result<Vec<TokenInfo>> {
        let p = ctx.subject.principal().ok_or_else(|| ServiceError::Unauthenticated("authentication required".into()))?;
        require(ctx, Access::Read, &Target::Tokens { owner: p.user_id, owner_org: p.org_id })?;
        Ok(self.store.token_list(p.user_id).await?)
    }

    /// Revokes a token of the caller (or, for an admin, of a user of their organisation).
    pub async fn revoke_token(&self, ctx: &Ctx, id: Uuid) -> Result<()> {
        let t = self.store.token_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("token {id}")))?;
        let owner = self.store.user_get(t.info.user_id).await?.ok_or_else(|| ServiceError::NotFound(format!("token {id}")))?;
        let target = Target::Tokens { owner: owner.user.id, owner_org: owner.user.organisation_id };
        if !atalaya_policy::allowed(&ctx.subject, Access::Read, &target) {
            return Err(ServiceError::NotFound(format!("token {id}")));
        }
        require(ctx, Access::Write, &target)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.token_revoke(id, now).await?;
        tx.audit_append(&audit_entry(ctx, "token.revoke", "token", Some(id.to_string()), serde_json::json!({})), now).await?;
        Ok(tx.commit().await?)
    }

    /// Revokes the token the caller authenticated with.
    pub async fn logout(&self, ctx: &Ctx, token: &str) -> Result<()> {
        let p = ctx.subject.principal().ok_or_else(|| ServiceError::Unauthenticated("authentication required".into()))?;
        let (t, _) = self.store.token_by_hash(&token_hash(token)).await?.ok_or_else(|| ServiceError::Unauthenticated("invalid token".into()))?;
        if t.info.user_id != p.user_id {
            return Err(ServiceError::Unauthenticated("invalid token".into()));
        }
        self.revoke_token(ctx, t.info.id).await
    }

    /// Offline bootstrap (`atalaya token create`): creates the user if needed — the very first
    /// user of a node is always an administrator of the home organisation — and issues a token.
    /// Returns the token and whether the user was created, and with which role.
    pub async fn bootstrap_token(&self, username: &str, role: Option<Role>, ttl: Option<Duration>) -> Result<(IssuedToken, Option<Role>)> {
        atalaya_model::user::check_username(username).map_err(|e| ServiceError::invalid("user", e))?;
        let ctx = Ctx::operator();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let home = tx.org_home().await?.ok_or_else(|| ServiceError::Internal("node has no home organisation".into()))?;
        let (user, created): (User, Option<Role>) = match tx.user_by_name(username).await? {
            Some(UserRecord { user, .. }) => {
                if let Some(r) = role {
                    if r != user.role {
                        return Err(ServiceError::Conflict {
                            field: "role".into(),
                            reason: format!("user {username} already exists with role {}; change roles through the API", user.role),
                        });
                    }
                }
                if user.disabled {
                    return Err(ServiceError::Conflict { field: "user".into(), reason: format!("user {username} is disabled") });
                }
                (user, None)
            }
            None => {
                let first = tx.user_count().await? == 0;
                let role = if first { Role::Admin } else { role.unwrap_or(Role::ReadOnly) };
                atalaya_policy::role_allowed_in(home.body.kind, role).map_err(|e| ServiceError::invalid("role", e))?;
                let u = tx.user_insert(username, None, home.id, role, None, now).await?;
                tx.audit_append(&audit_entry(&ctx, "user.create", "user", Some(u.id.to_string()), serde_json::json!({"username": username, "role": role})), now).await?;
                (u, Some(role))
            }
        };
        let secret = new_secret();
        let expiry = ttl.map(|t| ttl_to_expiry(now, t)).unwrap_or_else(|| ttl_to_expiry(now, self.config.token_ttl));
        let info = tx.token_insert(user.id, "cli", "api", &token_hash(&secret), Some(expiry), now).await?;
        tx.audit_append(&audit_entry(&ctx, "token.create", "token", Some(info.id.to_string()), serde_json::json!({"user": username, "offline": true})), now).await?;
        tx.commit().await?;
        Ok((IssuedToken { token: secret, info }, created))
    }
}

/// The host part of `ip:port` (rate limits count per address, not per connection).
pub(crate) fn source_host(source: &str) -> &str {
    match source.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.is_empty() => host.trim_start_matches('[').trim_end_matches(']'),
        _ => source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_distinct_and_prefixed() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == 4 + 43);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn source_host_strips_ports() {
        assert_eq!(source_host("127.0.0.1:5555"), "127.0.0.1");
        assert_eq!(source_host("[::1]:80"), "::1");
        assert_eq!(source_host("cli"), "cli");
    }
}
