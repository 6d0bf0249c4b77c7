//! The directory of the network: organisations, points of contact, constituencies, history.
//! Reads are filtered by policy (invisible entries are absent, not refused); reads of
//! TLP:AMBER or stricter entries are recorded in the audit log.
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use atalaya_model::directory::{
    Contact, ContactBody, ContactPatch, HistoryEntry, NewContact, NewOrganisation, Organisation, OrganisationBody,
    OrganisationPatch, PgpKeySummary,
};
use atalaya_model::time_util::rfc3339;
use atalaya_model::{CountryCode, Tlp};
use atalaya_policy::{allowed, must_audit_read, Access, Target};
use atalaya_store::StateRecord;
use uuid::Uuid;

fn org_target(o: &Organisation) -> Target<'static> {
    Target::Organisation { org_id: o.id, tlp: o.body.tlp }
}

fn contact_target(c: &Contact) -> Target<'_> {
    Target::Contact { org_id: c.organisation_id, tlp: c.body.tlp, roles: &c.body.roles }
}

/// Parses and checks an armored OpenPGP public key for the field `field`.
pub fn inspect_key(armored: &str, field: &str, now: time::OffsetDateTime) -> Result<PgpKeySummary> {
    let k = atalaya_openpgp::inspect_public_key(armored.as_bytes(), now).map_err(|e| ServiceError::invalid(field, e.to_string()))?;
    Ok(PgpKeySummary {
        fingerprint: k.fingerprint,
        algorithm: k.algorithm,
        user_ids: k.user_ids,
        created_at: rfc3339(k.created_at),
        expires_at: k.expires_at.map(rfc3339),
        can_encrypt: k.can_encrypt,
        armored: k.armored,
    })
}

impl Services {
    pub async fn list_states(&self) -> Result<Vec<StateRecord>> {
        Ok(self.store.states().await?)
    }

    /// Records reads of TLP:AMBER-or-stricter entries in one transaction.
    async fn audit_reads(&self, ctx: &Ctx, kind: &str, ids: Vec<(Uuid, Tlp)>) -> Result<()> {
        let sensitive: Vec<_> = ids.into_iter().filter(|(_, t)| must_audit_read(*t)).collect();
        if sensitive.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        for (id, tlp) in sensitive {
            tx.audit_append(&audit_entry(ctx, &format!("{kind}.read"), kind, Some(id.to_string()), serde_json::json!({"tlp": tlp})), now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_organisations(&self, ctx: &Ctx, country: Option<&CountryCode>) -> Result<Vec<Organisation>> {
        let all = self.store.org_list(country.map(|c| c.as_str())).await?;
        let visible: Vec<Organisation> = all.into_iter().filter(|o| allowed(&ctx.subject, Access::Read, &org_target(o))).collect();
        self.audit_reads(ctx, "organisation", visible.iter().map(|o| (o.id, o.body.tlp)).collect()).await?;
        Ok(visible)
    }

    /// One organisation; `NotFound` also when it exists but is not shared with the caller.
    pub async fn get_organisation(&self, ctx: &Ctx, id: Uuid) -> Result<Organisation> {
        let o = self.visible_org(ctx, id).await?;
        self.audit_reads(ctx, "organisation", vec![(o.id, o.body.tlp)]).await?;
        Ok(o)
    }

    async fn visible_org(&self, ctx: &Ctx, id: Uuid) -> Result<Organisation> {
        let o = self.store.org_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("organisation {id}")))?;
        if !allowed(&ctx.subject, Access::Read, &org_target(&o)) {
            return Err(ServiceError::NotFound(format!("organisation {id}")));
        }
        Ok(o)
    }

    pub async fn create_organisation(&self, ctx: &Ctx, input: NewOrganisation) -> Result<Organisation> {
        require(ctx, Access::Write, &Target::NewOrganisation)?;
        let body = OrganisationBody::from_new(input);
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let org = tx.org_insert(&body, false, &ctx.subject.actor(), now).await?;
        tx.audit_append(&audit_entry(ctx, "organisation.create", "organisation", Some(org.id.to_string()), serde_json::json!({"name": org.body.name})), now).await?;
        tx.commit().await?;
        Ok(org)
    }

    /// Applies a partial update. With `if_version`, refuses when the entry changed meanwhile.
    pub async fn update_organisation(&self, ctx: &Ctx, id: Uuid, patch: OrganisationPatch, if_version: Option<i64>) -> Result<Organisation> {
        let current = self.visible_org(ctx, id).await?;
        require(ctx, Access::Write, &org_target(&current))?;
        if let Some(v) = if_version {
            if v != current.version {
                return Err(ServiceError::Conflict { field: "version".into(), reason: format!("the entry is at version {}, not {v}", current.version) });
            }
        }
        let mut body = current.body.clone();
        body.apply(patch);
        if body.country.is_none() && !current.home {
            return Err(ServiceError::invalid("country", "is required"));
        }
        if body == current.body {
            return Ok(current);
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let org = tx.org_update(id, current.version, &body, &ctx.subject.actor(), now).await?;
        tx.audit_append(&audit_entry(ctx, "organisation.update", "organisation", Some(id.to_string()), serde_json::json!({"version": org.version})), now).await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn delete_organisation(&self, ctx: &Ctx, id: Uuid) -> Result<()> {
        let current = self.visible_org(ctx, id).await?;
        require(ctx, Access::Write, &org_target(&current))?;
        if current.home {
            return Err(ServiceError::Conflict { field: "organisation".into(), reason: "the node's own organisation cannot be deleted".into() });
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.org_delete(id, current.version, &ctx.subject.actor(), now).await?;
        tx.audit_append(&audit_entry(ctx, "organisation.delete", "organisation", Some(id.to_string()), serde_json::json!({"name": current.body.name})), now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_contacts(&self, ctx: &Ctx, org_id: Uuid) -> Result<Vec<Contact>> {
        self.visible_org(ctx, org_id).await?;
        let visible: Vec<Contact> =
            self.store.contact_list(org_id).await?.into_iter().filter(|c| allowed(&ctx.subject, Access::Read, &contact_target(c))).collect();
        self.audit_reads(ctx, "contact", visible.iter().map(|c| (c.id, c.body.tlp)).collect()).await?;
        Ok(visible)
    }

    async fn visible_contact(&self, ctx: &Ctx, org_id: Uuid, id: Uuid) -> Result<Contact> {
        self.visible_org(ctx, org_id).await?;
        let c = self.store.contact_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("contact {id}")))?;
        if c.organisation_id != org_id || !allowed(&ctx.subject, Access::Read, &contact_target(&c)) {
            return Err(ServiceError::NotFound(format!("contact {id}")));
        }
        Ok(c)
    }

    pub async fn get_contact(&self, ctx: &Ctx, org_id: Uuid, id: Uuid) -> Result<Contact> {
        let c = self.visible_contact(ctx, org_id, id).await?;
        self.audit_reads(ctx, "contact", vec![(c.id, c.body.tlp)]).await?;
        Ok(c)
    }

    pub async fn create_contact(&self, ctx: &Ctx, org_id: Uuid, input: NewContact) -> Result<Contact> {
        let org = self.visible_org(ctx, org_id).await?;
        require(ctx, Access::Write, &Target::Contact { org_id: org.id, tlp: input.tlp, roles: &input.roles })?;
        let now = self.now();
        let pgp_key = match input.pgp_key.as_deref().map(str::trim) {
            Some(k) if !k.is_empty() => Some(inspect_key(k, "pgp_key", now)?),
            _ => None,
        };
        let mut roles = input.roles;
        roles.sort();
        roles.dedup();
        let body = ContactBody {
            name: input.name,
            roles,
            email: input.email,
            phone: input.phone,
            emergency_phone: input.emergency_phone,
            pgp_key,
            languages: input.languages,
            tlp: input.tlp,
        };
        body.check()?;
        let mut tx = self.store.begin().await?;
        let c = tx.contact_insert(org.id, &body, &ctx.subject.actor(), now).await?;
        tx.audit_append(&audit_entry(ctx, "contact.create", "contact", Some(c.id.to_string()), serde_json::json!({"organisation": org.id})), now).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn update_contact(&self, ctx: &Ctx, org_id: Uuid, id: Uuid, patch: ContactPatch) -> Result<Contact> {
        let current = self.visible_contact(ctx, org_id, id).await?;
        require(ctx, Access::Write, &contact_target(&current))?;
        let now = self.now();
        let mut body = current.body.clone();
        if let Some(v) = patch.name { body.name = v; }
        if let Some(mut v) = patch.roles {
            v.sort();
            v.dedup();
            body.roles = v;
        }
        if let Some(v) = patch.email { body.email = Some(v); }
        if let Some(v) = patch.phone { body.phone = Some(v); }
        if let Some(v) = patch.emergency_phone { body.emergency_phone = Some(v); }
        if let Some(v) = patch.languages { body.languages = v; }
        if let Some(v) = patch.tlp { body.tlp = v; }
        if let Some(k) = patch.pgp_key {
            body.pgp_key = if k.trim().is_empty() { None } else { Some(inspect_key(k.trim(), "pgp_key", now)?) };
        }
        body.check()?;
        if body == current.body {
            return Ok(current);
        }
        let mut tx = self.store.begin().await?;
        let c = tx.contact_update(id, current.version, &body, &ctx.subject.actor(), now).await?;
        tx.audit_append(&audit_entry(ctx, "contact.update", "contact", Some(id.to_string()), serde_json::json!({"version": c.version})), now).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn delete_contact(&self, ctx: &Ctx, org_id: Uuid, id: Uuid) -> Result<()> {
        let current = self.visible_contact(ctx, org_id, id).await?;
        require(ctx, Access::Write, &contact_target(&current))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.contact_delete(&current, &ctx.subject.actor(), now).await?;
        tx.audit_append(&audit_entry(ctx, "contact.delete", "contact", Some(id.to_string()), serde_json::json!({"organisation": org_id})), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every recorded change of an organisation and its contacts, as far as the caller may see
    /// the content of each version (otherwise the entry is listed without content).
    pub async fn organisation_history(&self, ctx: &Ctx, org_id: Uuid) -> Result<Vec<HistoryEntry>> {
        let org = self.visible_org(ctx, org_id).await?;
        let mut out = self.store.history_for_org(org_id).await?;
        let mut audited = vec![];
        for h in &mut out {
            let tlp = h
                .content
                .as_ref()
                .and_then(|c| c.get("tlp"))
                .and_then(|t| serde_json::from_value::<Tlp>(t.clone()).ok())
                .unwrap_or(Tlp::Red);
            let roles: Vec<atalaya_model::directory::ContactRole> = h
                .content
                .as_ref()
                .and_then(|c| c.get("roles"))
                .and_then(|r| serde_json::from_value(r.clone()).ok())
                .unwrap_or_default();
            let target = if h.entity == "contact" {
                Target::Contact { org_id: org.id, tlp, roles: &roles }
            } else {
                Target::Organisation { org_id: org.id, tlp }
            };
            if h.content.is_some() && !allowed(&ctx.subject, Access::Read, &target) {
                h.content = None;
            } else if h.content.is_some() {
                audited.push((h.entity_id, tlp));
            }
        }
        self.audit_reads(ctx, "history", audited).await?;
        Ok(out)
    }
}
