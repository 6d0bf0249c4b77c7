//! Reading and verifying the audit log.
use crate::{require, Ctx, Result, Services};
use atalaya_model::audit::{AuditEntry, AuditVerification};
use atalaya_policy::{Access, Target};

impl Services {
    /// Entries after `after` (sequence number), oldest first, at most `limit` (≤ 1000).
    pub async fn audit_list(&self, ctx: &Ctx, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        require(ctx, Access::Read, &Target::AuditLog)?;
        Ok(self.store.audit_list(after.max(0), limit.clamp(1, 1000)).await?)
    }

    pub async fn audit_verify(&self, ctx: &Ctx) -> Result<AuditVerification> {
        require(ctx, Access::Read, &Target::AuditLog)?;
        Ok(self.store.audit_verify().await?)
    }
}
