//! Accounts of the organisations on this node.
use crate::auth::hash_password;
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use atalaya_model::user::{check_username, User};
use atalaya_model::Role;
use atalaya_policy::{allowed, Access, Subject, Target};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub organisation_id: Uuid,
    pub role: Role,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Optional initial password (at least 12 characters).
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub role: Option<Role>,
    pub display_name: Option<String>,
    /// Disabling revokes every token of the user.
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub new_password: String,
    /// Required when users change their own password.
    #[serde(default)]
    pub current_password: Option<String>,
}

fn check_display_name(d: &Option<String>) -> Result<()> {
    if let Some(d) = d {
        if d.chars().count() > 200 || d.chars().any(char::is_control) {
            return Err(ServiceError::invalid("display_name", "at most 200 characters, no control characters"));
        }
    }
    Ok(())
}

impl Services {
    pub async fn list_users(&self, ctx: &Ctx, org: Option<Uuid>) -> Result<Vec<User>> {
        let p = ctx.subject.principal().ok_or_else(|| ServiceError::Unauthenticated("authentication required".into()))?;
        let org = org.unwrap_or(p.org_id);
        require(ctx, Access::Read, &Target::Users { org_id: org })?;
        Ok(self.store.user_list(Some(org)).await?)
    }

    async fn visible_user(&self, ctx: &Ctx, id: Uuid) -> Result<User> {
        // Accounts are never public: an anonymous caller learns 401, not whether the id exists.
        if matches!(ctx.subject, atalaya_policy::Subject::Anonymous) {
            return Err(ServiceError::Unauthenticated("authentication required".into()));
        }
        let u = self.store.user_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("user {id}")))?.user;
        if !allowed(&ctx.subject, Access::Read, &Target::User { user_id: u.id, org_id: u.organisation_id }) {
            return Err(ServiceError::NotFound(format!("user {id}")));
        }
        Ok(u)
    }

    pub async fn get_user(&self, ctx: &Ctx, id: Uuid) -> Result<User> {
        self.visible_user(ctx, id).await
    }

    pub async fn create_user(&self, ctx: &Ctx, input: NewUser) -> Result<User> {
        check_username(&input.username).map_err(|e| ServiceError::invalid("username", e))?;
        check_display_name(&input.display_name)?;
        let org = self
            .store
            .org_get(input.organisation_id)
            .await?
            .ok_or_else(|| ServiceError::invalid("organisation_id", "no such organisation on this node"))?;
        require(ctx, Access::Write, &Target::Users { org_id: org.id })?;
        atalaya_policy::role_allowed_in(org.body.kind, input.role).map_err(|e| ServiceError::invalid("role", e))?;
        let hash = match input.password {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let u = tx.user_insert(&input.username, input.display_name.as_deref(), org.id, input.role, hash.as_deref(), now).await?;
        tx.audit_append(&audit_entry(ctx, "user.create", "user", Some(u.id.to_string()), serde_json::json!({"username": u.username, "role": u.role, "organisation": org.id})), now).await?;
        tx.commit().await?;
        Ok(u)
    }

    pub async fn update_user(&self, ctx: &Ctx, id: Uuid, patch: UserPatch) -> Result<User> {
        let u = self.visible_user(ctx, id).await?;
        require(ctx, Access::Write, &Target::User { user_id: u.id, org_id: u.organisation_id })?;
        check_display_name(&patch.display_name)?;
        if let Some(role) = patch.role {
            let org = self.store.org_get(u.organisation_id).await?.ok_or_else(|| ServiceError::NotFound("organisation".into()))?;
            atalaya_policy::role_allowed_in(org.body.kind, role).map_err(|e| ServiceError::invalid("role", e))?;
        }
        if let Subject::User(p) = &ctx.subject {
            if p.user_id == id && (patch.disabled == Some(true) || patch.role.is_some_and(|r| r != Role::Admin)) {
                return Err(ServiceError::Conflict { field: "role".into(), reason: "administrators cannot demote or disable themselves".into() });
            }
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let out = tx.user_update(id, patch.role, patch.display_name.as_deref(), patch.disabled, now).await?;
        tx.audit_append(&audit_entry(ctx, "user.update", "user", Some(id.to_string()), serde_json::json!({"role": patch.role, "disabled": patch.disabled})), now).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Users change their own password (giving the current one); admins reset their users'.
    pub async fn set_password(&self, ctx: &Ctx, id: Uuid, change: PasswordChange) -> Result<()> {
        let rec = self.store.user_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("user {id}")))?;
        let own = ctx.subject.principal().is_some_and(|p| p.user_id == id);
        if own {
            if rec.password_hash.is_some() {
                let current = change.current_password.clone().ok_or_else(|| ServiceError::invalid("current_password", "is required to change your own password"))?;
                let ok = self.verify_user_password(&rec, current).await;
                if !ok {
                    return Err(ServiceError::invalid("current_password", "is wrong"));
                }
            }
        } else {
            self.visible_user(ctx, id).await?;
            require(ctx, Access::Write, &Target::User { user_id: id, org_id: rec.user.organisation_id })?;
        }
        let hash = hash_password(change.new_password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.user_set_password(id, &hash, now).await?;
        tx.audit_append(&audit_entry(ctx, "user.password", "user", Some(id.to_string()), serde_json::json!({})), now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn verify_user_password(&self, rec: &atalaya_store::UserRecord, password: String) -> bool {
        let hash = rec.password_hash.clone();
        tokio::task::spawn_blocking(move || {
            use argon2::password_hash::{PasswordHash, PasswordVerifier};
            hash.as_deref()
                .and_then(|h| PasswordHash::new(h).ok())
                .is_some_and(|p| argon2::Argon2::default().verify_password(password.as_bytes(), &p).is_ok())
        })
        .await
        .unwrap_or(false)
    }

    /// Offline password reset (`atalaya user set-password`).
    pub async fn operator_set_password(&self, username: &str, password: String) -> Result<()> {
        let rec = self.store.user_by_name(username).await?.ok_or_else(|| ServiceError::invalid("user", format!("no user named '{username}'")))?;
        self.set_password(&Ctx::operator(), rec.user.id, PasswordChange { new_password: password, current_password: None }).await
    }
}
