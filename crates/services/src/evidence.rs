//! Evidence records with a chain of custody ([6/11] §5).
//!
//! The content is streamed (any size) into `DATA_DIR/evidence/`, hashed with SHA-256 on the way
//! in, and stored under its digest (`evidence/ab/abcdef…`); the database holds what it is, who
//! holds it and every hand-over. Each hand-over re-hashes the stored content and, when the
//! receiving party states the digest they computed, compares that too: the result is recorded in
//! the chain either way, and a mismatch stops the hand-over. `verify` re-hashes every record.
//! Every read of a record or its content is audited; what a caller may do is decided by
//! `atalaya_policy::decide_evidence`.
use crate::{audit_entry, Ctx, Result, ServiceError, Services};
use atalaya_policy::{decide_evidence, Decision, EvidenceAccess, EvidenceAction, Subject};
use atalaya_store::evidence::{CustodyRecord, EvidenceRecord};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

/// What the caller says about new evidence (the content comes separately, as a stream).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NewEvidence {
    /// What it is, where and how it was obtained.
    pub description: String,
    /// Original file name, if any.
    pub filename: Option<String>,
    /// Media type of the content (default `application/octet-stream`).
    pub media_type: Option<String>,
    /// Person or unit holding it (default: the registering user).
    pub custodian: Option<String>,
    /// Law-enforcement material: visible to law-enforcement roles only.
    #[serde(default)]
    pub restricted: bool,
    /// The incident case or assistance request it belongs to.
    pub case_ref: Option<String>,
}

/// A step in the chain of custody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CustodyAction {
    /// Handed to another person or organisation.
    Transfer,
    /// Returned to its owner or released from custody (stays on record).
    Release,
    /// Destroyed or deleted under a stated authority (stays on record).
    Dispose,
    /// Integrity checked without a change of custody.
    Check,
}

impl CustodyAction {
    fn as_str(self) -> &'static str {
        match self {
            CustodyAction::Transfer => "transfer",
            CustodyAction::Release => "release",
            CustodyAction::Dispose => "dispose",
            CustodyAction::Check => "check",
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOver {
    pub action: CustodyAction,
    /// Who receives it (person or unit). Required for `transfer`.
    pub to_party: Option<String>,
    /// The receiving organisation on this node (default: unchanged).
    pub to_org: Option<Uuid>,
    /// Why (legal basis, request reference…).
    pub reason: String,
    /// The SHA-256 the receiving party computed over the content, if they did.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustodyEvent {
    pub seq: i64,
    pub action: String,
    pub from_party: String,
    pub to_party: String,
    pub to_org: Option<Uuid>,
    pub reason: String,
    /// The digest of the stored content when this step was recorded (`missing` if it was gone).
    pub sha256_seen: String,
    pub hash_ok: bool,
    pub recorded_by: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    pub id: Uuid,
    pub description: String,
    pub filename: Option<String>,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub owner_org: Uuid,
    pub custodian_org: Uuid,
    pub custodian: String,
    pub restricted: bool,
    pub case_ref: Option<String>,
    /// `held`, `released` or `disposed`.
    pub state: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A record with its whole chain of custody: the custody report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustodyReport {
    pub evidence: Evidence,
    pub chain: Vec<CustodyEvent>,
    /// True when every recorded step found the content intact.
    pub intact: bool,
    pub generated_at: String,
    pub node_fingerprint: String,
}

/// The result of re-hashing one record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyResult {
    pub id: Uuid,
    pub expected: String,
    /// The digest now, or `missing`.
    pub actual: String,
    pub ok: bool,
}

fn ts(us: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .map(atalaya_model::time_util::rfc3339)
        .unwrap_or_default()
}

fn view(r: &EvidenceRecord) -> Evidence {
    Evidence {
        id: r.id,
        description: r.description.clone(),
        filename: r.filename.clone(),
        media_type: r.media_type.clone(),
        size: r.size,
        sha256: r.sha256.clone(),
        owner_org: r.owner_org,
        custodian_org: r.custodian_org,
        custodian: r.custodian.clone(),
        restricted: r.restricted,
        case_ref: r.case_ref.clone(),
        state: r.state.clone(),
        created_by: r.created_by.clone(),
        created_at: ts(r.created_at),
        updated_at: ts(r.updated_at),
    }
}

fn event(c: &CustodyRecord) -> CustodyEvent {
    CustodyEvent {
        seq: c.seq,
        action: c.action.clone(),
        from_party: c.from_party.clone(),
        to_party: c.to_party.clone(),
        to_org: c.to_org,
        reason: c.reason.clone(),
        sha256_seen: c.sha256_seen.clone(),
        hash_ok: c.hash_ok,
        recorded_by: c.recorded_by.clone(),
        at: ts(c.at),
    }
}

fn access(r: &EvidenceRecord) -> EvidenceAccess {
    EvidenceAccess { owner_org: r.owner_org, custodian_org: r.custodian_org, restricted: r.restricted }
}

fn allow(ctx: &Ctx, action: EvidenceAction, r: &EvidenceRecord) -> bool {
    decide_evidence(&ctx.subject, action, &access(r)).allowed()
}

fn text_field(name: &str, v: &str, max: usize) -> Result<String> {
    let t = v.trim();
    if t.is_empty() {
        return Err(ServiceError::invalid(name, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(ServiceError::invalid(name, format!("at most {max} characters")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ServiceError::invalid(name, "must not contain control characters"));
    }
    Ok(t.to_string())
}

fn check_sha256(v: &str) -> Result<String> {
    let t = v.trim().to_ascii_lowercase();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServiceError::invalid("sha256", "expected 64 hexadecimal digits"));
    }
    Ok(t)
}

/// SHA-256 of a stored file, or `None` when it is gone.
async fn hash_file(path: PathBuf) -> Result<Option<String>> {
    tokio::task::spawn_blocking(move || -> std::io::Result<Option<String>> {
        use std::io::Read;
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(Some(hex::encode(h.finalize())))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
    .map_err(|e| ServiceError::Unavailable(format!("cannot read evidence content: {e}")))
}

impl Services {
    fn evidence_dir(&self) -> PathBuf {
        self.data_dir.join("evidence")
    }

    fn evidence_path(&self, r: &EvidenceRecord) -> PathBuf {
        self.data_dir.join(&r.storage)
    }

    async fn evidence_owner(&self, ctx: &Ctx) -> Result<Uuid> {
        match &ctx.subject {
            Subject::User(p) => Ok(p.org_id),
            Subject::Operator => Ok(self
                .store
                .org_home()
                .await?
                .ok_or_else(|| ServiceError::Internal("the node has no home organisation".into()))?
                .id),
            Subject::Anonymous => Err(ServiceError::Unauthenticated("authentication required".into())),
        }
    }

    /// Registers new evidence: streams `content` to the data directory while hashing it, then
    /// records it (with its first custody step, "acquired") and the audit entry in one
    /// transaction. Nothing is kept if any step fails.
    pub async fn evidence_register(&self, ctx: &Ctx, input: NewEvidence, mut content: impl AsyncRead + Unpin) -> Result<CustodyReport> {
        let owner = self.evidence_owner(ctx).await?;
        let description = text_field("description", &input.description, 10_000)?;
        let filename = input.filename.as_deref().map(|f| text_field("filename", f, 255)).transpose()?;
        let media_type = match input.media_type.as_deref() {
            Some(m) => {
                let m = text_field("media_type", m, 127)?;
                if !m.contains('/') || m.contains(char::is_whitespace) {
                    return Err(ServiceError::invalid("media_type", "expected a media type like application/pdf"));
                }
                m
            }
            None => "application/octet-stream".into(),
        };
        let custodian = match input.custodian.as_deref() {
            Some(c) => text_field("custodian", c, 500)?,
            None => ctx.subject.actor(),
        };
        let case_ref = input.case_ref.as_deref().map(|c| text_field("case_ref", c, 200)).transpose()?;
        let probe = EvidenceRecord {
            id: Uuid::nil(),
            description: String::new(),
            filename: None,
            media_type: String::new(),
            size: 0,
            sha256: String::new(),
            storage: String::new(),
            owner_org: owner,
            custodian_org: owner,
            custodian: String::new(),
            restricted: input.restricted,
            case_ref: None,
            state: String::new(),
            created_by: String::new(),
            created_at: 0,
            updated_at: 0,
        };
        match decide_evidence(&ctx.subject, EvidenceAction::Create, &access(&probe)) {
            Decision::Allow => {}
            Decision::Deny(why) => return Err(ServiceError::Forbidden(why.into())),
        }

        // Stream to a temporary file, hashing as we go.
        let tmp_dir = self.evidence_dir().join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await.map_err(|e| ServiceError::Unavailable(format!("cannot create {}: {e}", tmp_dir.display())))?;
        let tmp = tmp_dir.join(Uuid::new_v4().to_string());
        let received = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            let mut h = Sha256::new();
            let mut size: u64 = 0;
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = content.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
                f.write_all(&buf[..n]).await?;
                size += n as u64;
            }
            f.sync_all().await?;
            Ok::<_, std::io::Error>((hex::encode(h.finalize()), size))
        }
        .await;
        let (sha256, size) = match received {
            Ok(v) => v,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(ServiceError::invalid("content", format!("could not be received completely: {e}")));
            }
        };
        let storage = format!("evidence/{}/{}", &sha256[..2], sha256);
        let dest = self.data_dir.join(&storage);
        let existed = tokio::fs::try_exists(&dest).await.unwrap_or(false);
        let placed = async {
            if let Some(p) = dest.parent() {
                tokio::fs::create_dir_all(p).await?;
            }
            if existed {
                tokio::fs::remove_file(&tmp).await
            } else {
                tokio::fs::rename(&tmp, &dest).await
            }
        }
        .await;
        if let Err(e) = placed {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(ServiceError::Unavailable(format!("cannot store evidence content: {e}")));
        }

        let now = self.now();
        let now_us = (now.unix_timestamp_nanos() / 1000) as i64;
        let rec = EvidenceRecord {
            id: Uuid::new_v4(),
            description,
            filename,
            media_type,
            size: size as i64,
            sha256: sha256.clone(),
            storage,
            owner_org: owner,
            custodian_org: owner,
            custodian: custodian.clone(),
            restricted: input.restricted,
            case_ref,
            state: "held".into(),
            created_by: ctx.subject.actor(),
            created_at: now_us,
            updated_at: now_us,
        };
        let first = CustodyRecord {
            evidence_id: rec.id,
            seq: 1,
            action: "acquire".into(),
            from_party: ctx.subject.actor(),
            to_party: custodian,
            to_org: Some(owner),
            reason: "registered".into(),
            sha256_seen: sha256.clone(),
            hash_ok: true,
            recorded_by: ctx.subject.actor(),
            at: now_us,
        };
        let written = async {
            let mut tx = self.store.begin().await?;
            tx.evidence_insert(&rec).await?;
            tx.custody_append(&first).await?;
            tx.audit_append(
                &audit_entry(ctx, "evidence.register", "evidence", Some(rec.id.to_string()), serde_json::json!({"sha256": sha256, "size": size, "restricted": rec.restricted, "case_ref": rec.case_ref})),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        if let Err(e) = written {
            if !existed {
                let _ = tokio::fs::remove_file(&dest).await;
            }
            return Err(e);
        }
        Ok(self.report_of(&rec, vec![first]))
    }

    fn report_of(&self, r: &EvidenceRecord, chain: Vec<CustodyRecord>) -> CustodyReport {
        CustodyReport {
            evidence: view(r),
            intact: chain.iter().all(|c| c.hash_ok),
            chain: chain.iter().map(event).collect(),
            generated_at: atalaya_model::time_util::rfc3339(self.now()),
            node_fingerprint: self.identity.fingerprint(),
        }
    }

    /// A record the caller may see for `action` (invisible records are "not found").
    async fn evidence_visible(&self, ctx: &Ctx, id: Uuid, action: EvidenceAction) -> Result<EvidenceRecord> {
        if matches!(ctx.subject, Subject::Anonymous) {
            return Err(ServiceError::Unauthenticated("authentication required".into()));
        }
        let r = self.store.evidence_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("evidence {id}")))?;
        if !allow(ctx, EvidenceAction::ReadRecord, &r) {
            return Err(ServiceError::NotFound(format!("evidence {id}")));
        }
        match decide_evidence(&ctx.subject, action, &access(&r)) {
            Decision::Allow => Ok(r),
            Decision::Deny(why) => Err(ServiceError::Forbidden(why.into())),
        }
    }

    async fn audit_read(&self, ctx: &Ctx, action: &str, id: Uuid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.audit_append(&audit_entry(ctx, action, "evidence", Some(id.to_string()), serde_json::json!({})), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The records the caller may see (optionally of one case), without their chains.
    pub async fn evidence_list(&self, ctx: &Ctx, case_ref: Option<&str>) -> Result<Vec<Evidence>> {
        if matches!(ctx.subject, Subject::Anonymous) {
            return Err(ServiceError::Unauthenticated("authentication required".into()));
        }
        let all = self.store.evidence_list(case_ref).await?;
        Ok(all.iter().filter(|r| allow(ctx, EvidenceAction::ReadRecord, r)).map(view).collect())
    }

    /// One record with its chain of custody (audited read).
    pub async fn evidence_report(&self, ctx: &Ctx, id: Uuid) -> Result<CustodyReport> {
        let r = self.evidence_visible(ctx, id, EvidenceAction::ReadRecord).await?;
        let chain = self.store.custody_of(id).await?;
        self.audit_read(ctx, "evidence.read", id).await?;
        Ok(self.report_of(&r, chain))
    }

    /// Opens the content for streaming (audited). The digest is not re-checked here: hand-overs
    /// and `verify` do that.
    pub async fn evidence_content(&self, ctx: &Ctx, id: Uuid) -> Result<(Evidence, tokio::fs::File)> {
        let r = self.evidence_visible(ctx, id, EvidenceAction::ReadContent).await?;
        let f = tokio::fs::File::open(self.evidence_path(&r))
            .await
            .map_err(|e| ServiceError::Unavailable(format!("the content of evidence {id} cannot be opened: {e}")))?;
        self.audit_read(ctx, "evidence.read_content", id).await?;
        Ok((view(&r), f))
    }

    /// Records a step in the chain of custody. The stored content is re-hashed first (and the
    /// digest the receiver states, if any, compared): a mismatch is recorded as a failed check
    /// and the hand-over is refused (409).
    pub async fn evidence_hand_over(&self, ctx: &Ctx, id: Uuid, h: HandOver) -> Result<CustodyReport> {
        let r = self.evidence_visible(ctx, id, EvidenceAction::HandOver).await?;
        if r.state == "disposed" {
            return Err(ServiceError::Conflict { field: "action".into(), reason: "this evidence was disposed of".into() });
        }
        let reason = text_field("reason", &h.reason, 2000)?;
        let to_party = match (h.action, h.to_party.as_deref()) {
            (CustodyAction::Transfer, None) => return Err(ServiceError::invalid("to_party", "is required for a transfer")),
            (_, Some(p)) => text_field("to_party", p, 500)?,
            (_, None) => r.custodian.clone(),
        };
        let presented = h.sha256.as_deref().map(check_sha256).transpose()?;
        if let Some(org) = h.to_org {
            if self.store.org_get(org).await?.is_none() {
                return Err(ServiceError::invalid("to_org", "no such organisation on this node"));
            }
        }
        let seen = hash_file(self.evidence_path(&r)).await?;
        let seen_text = seen.clone().unwrap_or_else(|| "missing".into());
        let ok = seen.as_deref() == Some(r.sha256.as_str()) && presented.as_deref().is_none_or(|p| p == r.sha256);
        let now = self.now();
        let now_us = (now.unix_timestamp_nanos() / 1000) as i64;
        let mut tx = self.store.begin().await?;
        // Re-read under the write lock: a concurrent hand-over may have moved it meanwhile.
        let cur = tx.evidence_get_for_update(id).await?.ok_or_else(|| ServiceError::NotFound(format!("evidence {id}")))?;
        if cur.custodian_org != r.custodian_org || cur.custodian != r.custodian || cur.state != r.state {
            return Err(ServiceError::Conflict { field: "custodian".into(), reason: "custody changed meanwhile; reload and retry".into() });
        }
        let action = if ok { h.action.as_str().to_string() } else { format!("{}-refused", h.action.as_str()) };
        let step = CustodyRecord {
            evidence_id: id,
            seq: 0,
            action,
            from_party: r.custodian.clone(),
            to_party: to_party.clone(),
            to_org: h.to_org,
            reason,
            sha256_seen: presented.clone().filter(|p| *p != r.sha256).unwrap_or(seen_text.clone()),
            hash_ok: ok,
            recorded_by: ctx.subject.actor(),
            at: now_us,
        };
        tx.custody_append(&step).await?;
        if ok {
            let (org, party, state) = match h.action {
                CustodyAction::Transfer => (h.to_org.unwrap_or(r.custodian_org), to_party.as_str(), "held"),
                CustodyAction::Release => (h.to_org.unwrap_or(r.custodian_org), to_party.as_str(), "released"),
                CustodyAction::Dispose => (r.custodian_org, r.custodian.as_str(), "disposed"),
                CustodyAction::Check => (r.custodian_org, r.custodian.as_str(), r.state.as_str()),
            };
            tx.evidence_set_custody(id, org, party, state, now_us).await?;
        }
        tx.audit_append(
            &audit_entry(
                ctx,
                "evidence.custody",
                "evidence",
                Some(id.to_string()),
                serde_json::json!({"action": h.action.as_str(), "to_party": to_party, "to_org": h.to_org, "hash_ok": ok, "sha256_seen": seen_text}),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        if !ok {
            let why = match (seen.as_deref(), presented.as_deref()) {
                (None, _) => "the stored content is missing".to_string(),
                (Some(s), _) if s != r.sha256 => format!("the stored content no longer matches its SHA-256 (recorded {}, now {s})", r.sha256),
                (_, Some(p)) => format!("the SHA-256 presented by the receiver ({p}) does not match the record ({})", r.sha256),
                _ => "integrity check failed".into(),
            };
            return Err(ServiceError::Conflict { field: "sha256".into(), reason: format!("{why}; the failed check is recorded in the chain of custody") });
        }
        let r2 = self.store.evidence_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("evidence {id}")))?;
        let chain = self.store.custody_of(id).await?;
        Ok(self.report_of(&r2, chain))
    }

    /// Re-hashes the content of every record the caller may see (all, for the operator), and
    /// records the run in the audit log. Mismatches and missing content are reported, not fixed.
    pub async fn evidence_verify(&self, ctx: &Ctx, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<Vec<VerifyResult>> {
        let all: Vec<EvidenceRecord> = self.store.evidence_list(None).await?.into_iter().filter(|r| allow(ctx, EvidenceAction::ReadRecord, r)).collect();
        let total: u64 = all.iter().map(|r| r.size.max(0) as u64).sum();
        let mut done = 0u64;
        let mut out = Vec::with_capacity(all.len());
        for r in &all {
            let seen = hash_file(self.evidence_path(r)).await?;
            done += r.size.max(0) as u64;
            progress(done, total);
            let actual = seen.unwrap_or_else(|| "missing".into());
            out.push(VerifyResult { id: r.id, ok: actual == r.sha256, expected: r.sha256.clone(), actual });
        }
        let bad: Vec<String> = out.iter().filter(|v| !v.ok).map(|v| v.id.to_string()).collect();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.audit_append(&audit_entry(ctx, "evidence.verify", "evidence", None, serde_json::json!({"records": out.len(), "bad": bad})), now).await?;
        tx.commit().await?;
        Ok(out)
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// The custody report as a self-contained, printable HTML page (no scripts, no external files).
pub fn report_html(r: &CustodyReport) -> String {
    let e = &r.evidence;
    let mut rows = String::new();
    for c in &r.chain {
        rows.push_str(&format!(
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
            if c.hash_ok { "" } else { " class=\"bad\"" },
            c.seq,
            esc(&c.at),
            esc(&c.action),
            esc(&c.from_party),
            esc(&c.to_party),
            esc(&c.reason),
            esc(&c.sha256_seen),
            if c.hash_ok { "intact" } else { "MISMATCH" },
            esc(&c.recorded_by)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Chain of custody — {id}</title>\n\
<style>body{{font-family:sans-serif;margin:2em;color:#111}}table{{border-collapse:collapse;width:100%}}th,td{{border:1px solid #888;padding:4px 6px;text-align:left;vertical-align:top;font-size:0.9em}}\
tr.bad td{{background:#fdd}}code{{word-break:break-all}}.status{{font-weight:bold}}@media print{{body{{margin:0}}}}</style></head><body>\n\
<h1>Chain of custody</h1>\n<p class=\"status\">{status}</p>\n<dl>\n<dt>Evidence</dt><dd><code>{id}</code></dd>\n<dt>Description</dt><dd>{desc}</dd>\n\
<dt>File</dt><dd>{file} ({media}, {size} bytes)</dd>\n<dt>SHA-256</dt><dd><code>{sha}</code></dd>\n<dt>Case</dt><dd>{case}</dd>\n\
<dt>Current custodian</dt><dd>{cust} (organisation <code>{corg}</code>), state: {state}</dd>\n<dt>Restricted to law enforcement</dt><dd>{restricted}</dd>\n</dl>\n\
<table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">When (UTC)</th><th scope=\"col\">Step</th><th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\">Reason</th><th scope=\"col\">SHA-256 observed</th><th scope=\"col\">Integrity</th><th scope=\"col\">Recorded by</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n\
<p>Generated {gen} by node {node}.</p>\n</body></html>\n",
        id = e.id,
        status = if r.intact { "Every recorded step found the content intact." } else { "WARNING: at least one step found the content altered or missing." },
        desc = esc(&e.description),
        file = esc(e.filename.as_deref().unwrap_or("(no file name)")),
        media = esc(&e.media_type),
        size = e.size,
        sha = esc(&e.sha256),
        case = esc(e.case_ref.as_deref().unwrap_or("—")),
        cust = esc(&e.custodian),
        corg = e.custodian_org,
        state = esc(&e.state),
        restricted = if e.restricted { "yes" } else { "no" },
        rows = rows,
        gen = esc(&r.generated_at),
        node = esc(&r.node_fingerprint),
    )
}

/// Where evidence content lives under a data directory (for operators' documentation and backups).
pub fn content_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence")
}
