//! Cross-border incident cases: open, read, change, route, notify, coordinate, review.
//!
//! Every read and change asks `atalaya_policy::decide_case`; every change is one transaction
//! holding the change, its timeline entry, its audit entry and the notifications it causes (the
//! outbox). All changes of a case pass through [`Services::case_changed`]: the one place where a
//! federation hook will later queue the case's new version for the participating states' nodes.
use crate::notify::{NodePgp, SmtpSettings, WebhookSettings};
use crate::routing::RoutingProposal;
use crate::{audit_entry, Ctx, Result, ServiceError, Services};
use atalaya_model::directory::{Contact, ContactRole, OrgKind, Organisation};
use atalaya_model::incident::{
    Attachment, Incident, IncidentCore, IncidentPatch, IncidentSummary, NewAttachment, NewIncident, NewTask, NewTimelineEntry,
    NotifyRequest, Observable, Participant, ParticipationStatus, StatusChange, StatusUpdate, Task, TimelineEntry,
};
use atalaya_model::time_util::{micros_rfc3339, rfc3339, to_micros};
use atalaya_model::{CountryCode, Tlp};
use atalaya_policy::{decide_case, may_notify, must_audit_read, CaseAccess, CaseAction, Decision, Subject};
use atalaya_routing::IpCountryTable;
use atalaya_store::incidents::{NewIncidentRow, ParticipantRow};
pub use atalaya_store::incidents::OutboxItem;
use atalaya_store::Tx;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// Deadlines of one severity level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// A notified state acknowledges within this time.
    pub acknowledge: Duration,
    /// An acknowledging state gives a first update (investigating or later) within this time.
    pub first_update: Duration,
}

const H: u64 = 3600;

/// Default deadlines by severity 0–4 (documented in docs/incidents.md). Severity 0
/// (informational) has none.
pub fn default_deadlines() -> [Option<Deadline>; 5] {
    let d = |a: u64, u: u64| Some(Deadline { acknowledge: Duration::from_secs(a), first_update: Duration::from_secs(u) });
    [None, d(72 * H, 7 * 24 * H), d(24 * H, 72 * H), d(4 * H, 24 * H), d(H, 4 * H)]
}

/// State shared by the clones of a node's services (loaded once).
#[derive(Default)]
pub struct IncidentRuntime {
    pub ip: OnceLock<Option<Arc<IpCountryTable>>>,
    pub ip_init: Mutex<()>,
    pub pgp: OnceLock<Arc<NodePgp>>,
    pub pgp_init: Mutex<()>,
}

impl std::fmt::Debug for IncidentRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncidentRuntime").field("ip_loaded", &self.ip.get().is_some()).finish()
    }
}

/// Settings of incident coordination and notifications (`[incidents]` in atalaya.toml).
#[derive(Debug, Clone)]
pub struct IncidentsConfig {
    /// The node's data directory (OpenPGP key, default IP-to-country directory).
    pub data_dir: Option<PathBuf>,
    /// Directory of IP-to-country CSV files (default `DATA_DIR/ip-country`).
    pub ip_country_dir: Option<PathBuf>,
    /// Deadlines by severity 0–4.
    pub deadlines: [Option<Deadline>; 5],
    /// Operator rule: from this severity on, routed states' national CSIRTs are notified
    /// automatically when observables are added. `None`: proposals only.
    pub auto_notify_min_severity: Option<u8>,
    pub smtp: Option<SmtpSettings>,
    pub webhooks: Vec<WebhookSettings>,
    /// Delivery attempts before a message is marked failed.
    pub max_attempts: i64,
    /// How often the background task looks for due messages and missed deadlines.
    pub tick: Duration,
    /// Base URL of this node for links in messages.
    pub public_url: Option<String>,
    /// Test-only: `POST /api/v1/test/clock` moves the node's clock (never in production).
    pub test_clock_hook: bool,
    pub runtime: Arc<IncidentRuntime>,
}

impl Default for IncidentsConfig {
    fn default() -> Self {
        IncidentsConfig {
            data_dir: None,
            ip_country_dir: None,
            deadlines: default_deadlines(),
            auto_notify_min_severity: None,
            smtp: None,
            webhooks: vec![],
            max_attempts: 8,
            tick: Duration::from_secs(30),
            public_url: None,
            test_clock_hook: false,
            runtime: Arc::new(IncidentRuntime::default()),
        }
    }
}

/// Figures for after-action review of one state.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct StateFigures {
    pub state: String,
    pub cases: u64,
    pub acknowledged: u64,
    pub mitigated: u64,
    pub declined: u64,
    /// Mean seconds from notification to acknowledgement.
    pub mean_time_to_acknowledge_secs: Option<f64>,
    pub max_time_to_acknowledge_secs: Option<i64>,
    /// Mean seconds from notification to mitigation.
    pub mean_time_to_mitigate_secs: Option<f64>,
}

/// Statistics of real cases (exercises excluded), over the cases visible to the caller.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentStatistics {
    pub cases: u64,
    pub by_state: Vec<StateFigures>,
    pub by_sector: BTreeMap<String, u64>,
    pub by_severity: BTreeMap<String, u64>,
    pub by_rsit_class: BTreeMap<String, u64>,
    pub exercises_excluded: u64,
}

/// Filters of the case list.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub exercise: Option<bool>,
    pub state: Option<CountryCode>,
}

fn access(inc: &Incident) -> (Tlp, Uuid, Vec<Uuid>) {
    (inc.core.tlp, inc.reporting_org, inc.participants.iter().map(|p| p.org_id).collect())
}

fn check(ctx: &Ctx, action: CaseAction, inc: &Incident) -> Decision {
    let (tlp, reporting_org, participants) = access(inc);
    decide_case(&ctx.subject, action, &CaseAccess { tlp, reporting_org, participants: &participants })
}

fn deny(ctx: &Ctx, d: Decision) -> ServiceError {
    match (d, &ctx.subject) {
        (_, Subject::Anonymous) => ServiceError::Unauthenticated("authentication required".into()),
        (Decision::Deny(r), _) => ServiceError::Forbidden(r.to_string()),
        (Decision::Allow, _) => ServiceError::Internal("allowed".into()),
    }
}

fn summary(i: &Incident) -> IncidentSummary {
    IncidentSummary {
        id: i.id,
        title: i.core.title.to_string(),
        rsit: i.core.rsit.clone(),
        severity: i.core.severity,
        tlp: i.core.tlp,
        phase: i.core.phase,
        exercise: i.core.exercise,
        reporting_org: i.reporting_org,
        reporting_state: i.reporting_state.clone(),
        affected_states: i.core.affected_states.clone(),
        participants: i.participants.len(),
        version: i.version,
        created_at: i.created_at.clone(),
        updated_at: i.updated_at.clone(),
    }
}

fn org_of(ctx: &Ctx) -> Option<Uuid> {
    ctx.subject.principal().map(|p| p.org_id)
}

fn dur(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

impl Services {
    /// Reads a case the caller may see (`NotFound` otherwise, also when it exists).
    async fn visible_case(&self, ctx: &Ctx, id: Uuid) -> Result<Incident> {
        let inc = self.store.incident_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("incident {id}")))?;
        if !check(ctx, CaseAction::Read, &inc).allowed() {
            return Err(ServiceError::NotFound(format!("incident {id}")));
        }
        Ok(inc)
    }

    async fn case_for(&self, ctx: &Ctx, id: Uuid, action: CaseAction) -> Result<Incident> {
        let inc = self.visible_case(ctx, id).await?;
        match check(ctx, action, &inc) {
            Decision::Allow => Ok(inc),
            d => Err(deny(ctx, d)),
        }
    }

    /// Every change of a case ends here, inside its transaction: version bump, timeline entry,
    /// webhooks. Federation will add the outgoing item for participating nodes here.
    async fn case_changed(&self, tx: &mut Tx, ctx: &Ctx, inc: &Incident, kind: &str, text: String, now: OffsetDateTime) -> Result<TimelineEntry> {
        tx.incident_touch(inc.id, now).await?;
        let entry = TimelineEntry { id: Uuid::new_v4(), at: rfc3339(now), actor: ctx.subject.actor(), org_id: org_of(ctx), kind: kind.to_string(), text };
        tx.timeline_append(inc.id, &entry, now).await?;
        for hook in &self.config.incidents.webhooks {
            let payload = serde_json::json!({
                "event": format!("incident.{kind}"),
                "incident": inc.id,
                "exercise": inc.core.exercise,
                "tlp": inc.core.tlp,
                "severity": inc.core.severity,
                "title": inc.core.title,
                "at": entry.at,
                "actor": entry.actor,
                "text": entry.text,
                "node": self.identity.fingerprint(),
            });
            tx.outbox_enqueue("webhook", Some(inc.id), &hook.url, &format!("incident.{kind}"), &payload.to_string(), now).await?;
        }
        Ok(entry)
    }

    pub async fn create_incident(&self, ctx: &Ctx, input: NewIncident) -> Result<Incident> {
        let (org, state) = match &ctx.subject {
            Subject::User(p) => (p.org_id, p.org_country.clone()),
            Subject::Operator => {
                let home = self.store.org_home().await?.ok_or_else(|| ServiceError::Internal("no home organisation".into()))?;
                (home.id, home.body.country.clone())
            }
            Subject::Anonymous => return Err(ServiceError::Unauthenticated("authentication required".into())),
        };
        let d = decide_case(&ctx.subject, CaseAction::EditCore, &CaseAccess { tlp: input.tlp, reporting_org: org, participants: &[] });
        if !d.allowed() {
            return Err(deny(ctx, d));
        }
        if input.exercise && input.exercise_recipients.is_empty() {
            // Allowed: an exercise without recipients notifies nobody by e-mail.
        }
        let core = IncidentCore::from_new(&input);
        let now = self.now();
        let id = Uuid::new_v4();
        let row = NewIncidentRow { id, origin_node: self.identity.fingerprint(), reporting_org: org, reporting_state: state, core };
        let mut tx = self.store.begin().await?;
        tx.incident_insert(&row, now).await?;
        if !input.observables.is_empty() {
            tx.incident_add_observables(id, &input.observables, now).await?;
        }
        let entry = TimelineEntry {
            id: Uuid::new_v4(),
            at: rfc3339(now),
            actor: ctx.subject.actor(),
            org_id: Some(org),
            kind: "created".into(),
            text: format!(
                "{}case opened: {} ({}, severity {} {})",
                if input.exercise { "[EXERCISE] " } else { "" },
                input.title,
                input.rsit.machine_tag(),
                input.severity.value(),
                input.severity.label()
            ),
        };
        tx.timeline_append(id, &entry, now).await?;
        tx.audit_append(
            &audit_entry(ctx, "incident.create", "incident", Some(id.to_string()), serde_json::json!({"tlp": input.tlp, "exercise": input.exercise, "severity": input.severity})),
            now,
        )
        .await?;
        tx.commit().await?;
        let inc = self.store.incident_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("incident {id}")))?;
        if self.auto_notify_applies(&inc) {
            self.auto_notify(&inc).await?;
            return self.store.incident_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("incident {id}")));
        }
        Ok(inc)
    }

    pub async fn list_incidents(&self, ctx: &Ctx, f: &IncidentFilter) -> Result<Vec<IncidentSummary>> {
        let all = self.store.incident_list().await?;
        Ok(all
            .iter()
            .filter(|i| check(ctx, CaseAction::Read, i).allowed())
            .filter(|i| f.exercise.is_none_or(|e| i.core.exercise == e))
            .filter(|i| {
                f.state.as_ref().is_none_or(|s| {
                    i.core.affected_states.contains(s) || i.reporting_state.as_ref() == Some(s) || i.participants.iter().any(|p| p.state.as_ref() == Some(s))
                })
            })
            .map(summary)
            .collect())
    }

    pub async fn get_incident(&self, ctx: &Ctx, id: Uuid) -> Result<Incident> {
        let inc = self.visible_case(ctx, id).await?;
        if must_audit_read(inc.core.tlp) {
            let now = self.now();
            let mut tx = self.store.begin().await?;
            tx.audit_append(&audit_entry(ctx, "incident.read", "incident", Some(id.to_string()), serde_json::json!({"tlp": inc.core.tlp})), now).await?;
            tx.commit().await?;
        }
        Ok(inc)
    }

    /// Changes core fields (reporting organisation). `if_version` guards against lost updates.
    pub async fn update_incident(&self, ctx: &Ctx, id: Uuid, patch: IncidentPatch, if_version: Option<i64>) -> Result<Incident> {
        let inc = self.case_for(ctx, id, CaseAction::EditCore).await?;
        if let Some(v) = if_version {
            if v != inc.version {
                return Err(ServiceError::Conflict { field: "version".into(), reason: format!("the case is at version {}, not {v}", inc.version) });
            }
        }
        let mut core = inc.core.clone();
        core.apply(patch);
        if core == inc.core {
            return Ok(inc);
        }
        let mut changes = vec![];
        if core.phase != inc.core.phase {
            changes.push(format!("phase {} → {}", inc.core.phase, core.phase));
        }
        if core.severity != inc.core.severity {
            changes.push(format!("severity {} → {}", inc.core.severity.value(), core.severity.value()));
        }
        if core.tlp != inc.core.tlp {
            changes.push(format!("{} → {}", inc.core.tlp, core.tlp));
        }
        if changes.is_empty() {
            changes.push("details changed".into());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.incident_update_core(id, inc.version, &core, now).await?;
        let mut shown = inc.clone();
        shown.core = core;
        self.case_changed(&mut tx, ctx, &shown, "updated", changes.join("; "), now).await?;
        tx.audit_append(&audit_entry(ctx, "incident.update", "incident", Some(id.to_string()), serde_json::json!({"changes": changes})), now).await?;
        tx.commit().await?;
        self.store.incident_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("incident {id}")))
    }

    /// Adds observables (any participant) and answers the routing proposal of the whole case.
    pub async fn add_observables(&self, ctx: &Ctx, id: Uuid, obs: Vec<Observable>) -> Result<RoutingProposal> {
        let inc = self.case_for(ctx, id, CaseAction::Contribute).await?;
        if obs.is_empty() {
            return Err(ServiceError::invalid("observables", "at least one observable is required"));
        }
        if obs.len() > 100_000 {
            return Err(ServiceError::invalid("observables", "at most 100000 observables per request"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let added = tx.incident_add_observables(id, &obs, now).await?;
        self.case_changed(&mut tx, ctx, &inc, "observables", format!("{added} observable(s) added ({} given)", obs.len()), now).await?;
        tx.audit_append(&audit_entry(ctx, "incident.observables", "incident", Some(id.to_string()), serde_json::json!({"added": added})), now).await?;
        tx.commit().await?;
        let inc = self.store.incident_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("incident {id}")))?;
        if self.auto_notify_applies(&inc) {
            self.auto_notify(&inc).await?;
        }
        self.route_incident(ctx, id).await
    }

    /// Where the case's observables go, with the reasoning.
    pub async fn route_incident(&self, ctx: &Ctx, id: Uuid) -> Result<RoutingProposal> {
        let inc = self.visible_case(ctx, id).await?;
        let parts: HashSet<Uuid> = inc.participants.iter().map(|p| p.org_id).collect();
        self.route_observables(ctx, &inc.observables, &parts).await
    }

    fn auto_notify_applies(&self, inc: &Incident) -> bool {
        self.config.incidents.auto_notify_min_severity.is_some_and(|m| inc.core.severity.value() >= m) && !inc.observables.is_empty()
    }

    /// The operator's rule: notify every routed organisation, as the node itself.
    async fn auto_notify(&self, inc: &Incident) -> Result<()> {
        let ctx = Ctx { subject: Subject::Operator, source: "rule:auto-notify".into() };
        self.notify_incident(&ctx, inc.id, NotifyRequest { organisations: vec![], states: vec![], routed: true }).await.map(|_| ())
    }

    /// Adds participants (reporting organisation) and queues their notifications.
    pub async fn notify_incident(&self, ctx: &Ctx, id: Uuid, req: NotifyRequest) -> Result<Incident> {
        let inc = self.case_for(ctx, id, CaseAction::EditCore).await?;
        let mut targets: Vec<(Organisation, Vec<String>)> = vec![];
        let mut errors = atalaya_model::ValidationErrors::default();
        for (i, oid) in req.organisations.iter().enumerate() {
            match self.store.org_get(*oid).await? {
                Some(o) => targets.push((o, vec![format!("named by {}", ctx.subject.actor())])),
                None => errors.push(format!("organisations[{i}]"), format!("no organisation {oid} in the directory")),
            }
        }
        if !req.states.is_empty() {
            let orgs = self.store.org_list(None).await?;
            for (i, cc) in req.states.iter().enumerate() {
                match orgs.iter().find(|o| o.body.kind == OrgKind::NationalCsirt && o.body.country.as_ref() == Some(cc)) {
                    Some(o) => targets.push((o.clone(), vec![format!("national CSIRT of {cc}")])),
                    None => errors.push(format!("states[{i}]"), format!("the directory has no national CSIRT of {cc}")),
                }
            }
        }
        errors.into_result()?;
        if req.routed {
            let parts: HashSet<Uuid> = inc.participants.iter().map(|p| p.org_id).collect();
            let proposal = self.route_observables(&Ctx::operator(), &inc.observables, &parts).await?;
            for p in proposal.proposed {
                if let Some(o) = self.store.org_get(p.organisation.id).await? {
                    targets.push((o, p.reasons));
                }
            }
        }
        let mut seen: HashSet<Uuid> = inc.participants.iter().map(|p| p.org_id).collect();
        seen.insert(inc.reporting_org);
        targets.retain(|(o, _)| seen.insert(o.id));
        if targets.is_empty() {
            return Ok(inc);
        }
        let now = self.now();
        let deadline = self.config.incidents.deadlines[usize::from(inc.core.severity.value().min(4))];
        let reporter = self.store.org_get(inc.reporting_org).await?;
        let pgp = if self.config.incidents.smtp.is_some() { Some(self.node_pgp()?) } else { None };
        let mut tx = self.store.begin().await?;
        for (org, reasons) in &targets {
            let ack_due = deadline.map(|d| now + dur(d.acknowledge));
            let update_due = deadline.map(|d| now + dur(d.first_update));
            let p = Participant {
                org_id: org.id,
                org_name: org.body.name.to_string(),
                state: org.body.country.clone(),
                status: ParticipationStatus::Notified,
                reason: None,
                history: vec![StatusChange { status: ParticipationStatus::Notified, at: rfc3339(now), actor: ctx.subject.actor(), reason: None }],
                ack_due: ack_due.map(rfc3339),
                update_due: update_due.map(rfc3339),
                escalated_at: None,
            };
            tx.participant_put(
                id,
                &ParticipantRow {
                    body: p.clone(),
                    notified_at: to_micros(now),
                    acknowledged_at: None,
                    mitigated_at: None,
                    ack_due: ack_due.map(to_micros),
                    update_due: update_due.map(to_micros),
                    escalated_at: None,
                },
            )
            .await?;
            let contacts = self.store.contact_list(org.id).await?;
            let recipients = notification_contacts(&contacts, &[ContactRole::Technical, ContactRole::Emergency]);
            let body = self.notification_text(&inc, reporter.as_ref(), org, reasons, &p);
            let (sent, held) = self.queue_mail(&mut tx, &inc, &recipients, &format!("[Atalaya] {}case {}: notification", ex(&inc), short(inc.id)), &body, pgp.as_deref(), now).await?;
            let mut text = format!("notified {} ({})", org.body.name, org.body.country.as_ref().map(|c| c.as_str()).unwrap_or("-"));
            if let Some(r) = reasons.first() {
                text.push_str(&format!(": {r}"));
            }
            text.push_str(&format!("; {sent} message(s) queued"));
            if held > 0 {
                text.push_str(&format!(", {held} withheld (exercise: not an exercise recipient)"));
            }
            self.case_changed(&mut tx, ctx, &inc, "notified", text, now).await?;
        }
        tx.audit_append(
            &audit_entry(ctx, "incident.notify", "incident", Some(id.to_string()), serde_json::json!({"organisations": targets.iter().map(|(o, _)| o.id).collect::<Vec<_>>()})),
            now,
        )
        .await?;
        tx.commit().await?;
        self.store.incident_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("incident {id}")))
    }

    /// Queues one signed (and, with the recipient's key, encrypted) e-mail per recipient that
    /// policy allows; returns (queued, withheld).
    #[allow(clippy::too_many_arguments)]
    async fn queue_mail(&self, tx: &mut Tx, inc: &Incident, recipients: &[&Contact], subject: &str, body: &str, pgp: Option<&NodePgp>, now: OffsetDateTime) -> Result<(usize, usize)> {
        let Some(pgp) = pgp else { return Ok((0, 0)) };
        let (mut sent, mut held) = (0, 0);
        for c in recipients {
            let Some(email) = &c.body.email else { continue };
            let in_exercise = inc.core.exercise_recipients.iter().any(|e| e.as_str().eq_ignore_ascii_case(email.as_str()));
            if !may_notify(inc.core.exercise, in_exercise).allowed() {
                held += 1;
                continue;
            }
            let payload = match c.body.pgp_key.as_ref().filter(|k| k.can_encrypt) {
                Some(k) => pgp.sign_and_encrypt(body, &k.armored)?,
                None => pgp.sign_cleartext(body)?,
            };
            tx.outbox_enqueue("email", Some(inc.id), email.as_str(), subject, &payload, now).await?;
            sent += 1;
        }
        Ok((sent, held))
    }

    fn notification_text(&self, inc: &Incident, reporter: Option<&Organisation>, org: &Organisation, reasons: &[String], p: &Participant) -> String {
        let mut t = String::new();
        if inc.core.exercise {
            t.push_str("*** EXERCISE — THIS IS NOT A REAL INCIDENT ***\n\n");
        }
        t.push_str(&format!("Atalaya cross-border incident notification for {}\n\n", org.body.name));
        t.push_str(&format!("Case:           {}\n", inc.core.title));
        t.push_str(&format!("Case id:        {}\n", inc.id));
        t.push_str(&format!(
            "Reported by:    {}{}\n",
            reporter.map(|r| r.body.name.to_string()).unwrap_or_else(|| inc.reporting_org.to_string()),
            inc.reporting_state.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
        ));
        t.push_str(&format!("Classification: {}\n", inc.core.rsit.machine_tag()));
        t.push_str(&format!("Severity:       {} ({})\n", inc.core.severity.value(), inc.core.severity.label()));
        t.push_str(&format!("TLP:            {}\n", inc.core.tlp));
        t.push_str(&format!("Phase:          {}\n", inc.core.phase));
        if let Some(d) = &p.ack_due {
            t.push_str(&format!("Acknowledge by: {d}\n"));
        }
        if let Some(d) = &p.update_due {
            t.push_str(&format!("First update by: {d}\n"));
        }
        if !reasons.is_empty() {
            t.push_str("\nWhy you:\n");
            for r in reasons.iter().take(20) {
                t.push_str(&format!("  - {r}\n"));
            }
        }
        if inc.core.tlp <= Tlp::Amber && !inc.core.description.as_str().is_empty() {
            t.push_str(&format!("\n{}\n", inc.core.description.as_str()));
        }
        let base = self.config.incidents.public_url.clone().unwrap_or_default();
        t.push_str(&format!(
            "\nAcknowledge: POST {base}/api/v1/incidents/{}/status {{\"status\":\"acknowledged\"}}\n\
             or: atalaya incident ack {}\n",
            inc.id, inc.id
        ));
        t
    }

    /// A participating organisation changes its own status.
    pub async fn set_participation(&self, ctx: &Ctx, id: Uuid, upd: StatusUpdate) -> Result<Participant> {
        let org = upd.organisation.or_else(|| org_of(ctx)).ok_or_else(|| ServiceError::invalid("organisation", "name the participating organisation"))?;
        let inc = self.case_for(ctx, id, CaseAction::UpdateStatus { participant_org: org }).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut row = tx.participant_get(id, org).await?.ok_or_else(|| ServiceError::invalid("organisation", "this organisation does not take part in the case"))?;
        let from = row.body.status;
        if from == upd.status {
            return Ok(row.body);
        }
        if !from.may_become(upd.status) {
            return Err(ServiceError::Conflict { field: "status".into(), reason: format!("cannot go from {from} to {}", upd.status) });
        }
        let reason = upd.reason.map(|r| r.to_string()).filter(|r| !r.is_empty());
        if upd.status == ParticipationStatus::Declined && reason.is_none() {
            return Err(ServiceError::invalid("reason", "a reason is required to decline"));
        }
        row.body.status = upd.status;
        row.body.reason = if upd.status == ParticipationStatus::Declined { reason.clone() } else { row.body.reason };
        row.body.history.push(StatusChange { status: upd.status, at: rfc3339(now), actor: ctx.subject.actor(), reason: reason.clone() });
        let at = to_micros(now);
        match upd.status {
            ParticipationStatus::Acknowledged => row.acknowledged_at = row.acknowledged_at.or(Some(at)),
            ParticipationStatus::Investigating | ParticipationStatus::Closed => {
                row.acknowledged_at = row.acknowledged_at.or(Some(at));
            }
            ParticipationStatus::Mitigated => {
                row.acknowledged_at = row.acknowledged_at.or(Some(at));
                row.mitigated_at = Some(at);
            }
            _ => {}
        }
        tx.participant_put(id, &row).await?;
        let text = format!(
            "{} ({}): {from} → {}{}",
            row.body.org_name,
            row.body.state.as_ref().map(|c| c.as_str()).unwrap_or("-"),
            upd.status,
            reason.map(|r| format!(" — {r}")).unwrap_or_default()
        );
        self.case_changed(&mut tx, ctx, &inc, "status", text, now).await?;
        tx.audit_append(&audit_entry(ctx, "incident.status", "incident", Some(id.to_string()), serde_json::json!({"organisation": org, "from": from, "to": upd.status})), now).await?;
        tx.commit().await?;
        Ok(row.body)
    }

    pub async fn incident_timeline(&self, ctx: &Ctx, id: Uuid) -> Result<Vec<TimelineEntry>> {
        self.visible_case(ctx, id).await?;
        Ok(self.store.incident_timeline(id).await?)
    }

    pub async fn add_timeline_entry(&self, ctx: &Ctx, id: Uuid, e: NewTimelineEntry) -> Result<TimelineEntry> {
        let inc = self.case_for(ctx, id, CaseAction::Contribute).await?;
        if e.text.as_str().is_empty() {
            return Err(ServiceError::invalid("text", "must not be empty"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let entry = self.case_changed(&mut tx, ctx, &inc, "note", e.text.as_str().to_string(), now).await?;
        tx.audit_append(&audit_entry(ctx, "incident.note", "incident", Some(id.to_string()), serde_json::json!({})), now).await?;
        tx.commit().await?;
        Ok(entry)
    }

    pub async fn add_task(&self, ctx: &Ctx, id: Uuid, t: NewTask) -> Result<Task> {
        let inc = self.case_for(ctx, id, CaseAction::Contribute).await?;
        let assignee = self.store.org_get(t.assignee).await?.ok_or_else(|| ServiceError::invalid("assignee", "no such organisation in the directory"))?;
        if assignee.id != inc.reporting_org && !inc.participants.iter().any(|p| p.org_id == assignee.id) {
            return Err(ServiceError::invalid("assignee", "tasks go to the reporting or a participating organisation"));
        }
        let now = self.now();
        let task = Task { id: Uuid::new_v4(), title: t.title, assignee: assignee.id, due: t.due.map(rfc3339), done: false, created_at: rfc3339(now), created_by: ctx.subject.actor() };
        let mut tx = self.store.begin().await?;
        tx.task_put(id, &task, now).await?;
        let text = format!("task for {}: {}{}", assignee.body.name, task.title, task.due.as_ref().map(|d| format!(" (due {d})")).unwrap_or_default());
        self.case_changed(&mut tx, ctx, &inc, "task", text, now).await?;
        tx.audit_append(&audit_entry(ctx, "incident.task", "incident", Some(id.to_string()), serde_json::json!({"task": task.id})), now).await?;
        tx.commit().await?;
        Ok(task)
    }

    pub async fn update_task(&self, ctx: &Ctx, id: Uuid, task_id: Uuid, done: bool) -> Result<Task> {
        let inc = self.case_for(ctx, id, CaseAction::Contribute).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut task, created) = tx.task_get(id, task_id).await?.ok_or_else(|| ServiceError::NotFound(format!("task {task_id}")))?;
        if task.done == done {
            return Ok(task);
        }
        task.done = done;
        tx.task_put(id, &task, atalaya_model::time_util::from_micros(created)).await?;
        self.case_changed(&mut tx, ctx, &inc, "task", format!("task {}: {}", task.title, if done { "done" } else { "reopened" }), now).await?;
        tx.audit_append(&audit_entry(ctx, "incident.task", "incident", Some(id.to_string()), serde_json::json!({"task": task.id, "done": done})), now).await?;
        tx.commit().await?;
        Ok(task)
    }

    pub async fn add_attachment(&self, ctx: &Ctx, id: Uuid, a: NewAttachment) -> Result<Attachment> {
        let inc = self.case_for(ctx, id, CaseAction::Contribute).await?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(a.content_base64.trim())
            .map_err(|e| ServiceError::invalid("content_base64", format!("not base64: {e}")))?;
        let media_type = a.media_type.unwrap_or_else(|| "application/octet-stream".into());
        if media_type.len() > 200 || !media_type.contains('/') || media_type.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ServiceError::invalid("media_type", "not a media type like text/plain"));
        }
        let now = self.now();
        let att = Attachment {
            id: Uuid::new_v4(),
            filename: a.filename.to_string(),
            media_type,
            size: bytes.len() as i64,
            sha256: hex::encode(Sha256::digest(&bytes)),
            created_at: rfc3339(now),
            created_by: ctx.subject.actor(),
        };
        let mut tx = self.store.begin().await?;
        tx.attachment_insert(id, &att, &base64::engine::general_purpose::STANDARD.encode(&bytes), now).await?;
        self.case_changed(&mut tx, ctx, &inc, "attachment", format!("attachment {} ({} bytes, sha256 {})", att.filename, att.size, att.sha256), now).await?;
        tx.audit_append(&audit_entry(ctx, "incident.attachment", "incident", Some(id.to_string()), serde_json::json!({"sha256": att.sha256})), now).await?;
        tx.commit().await?;
        Ok(att)
    }

    /// An attachment's metadata and content; the SHA-256 is checked on the way out.
    pub async fn get_attachment(&self, ctx: &Ctx, id: Uuid, att: Uuid) -> Result<(Attachment, Vec<u8>)> {
        self.visible_case(ctx, id).await?;
        let (meta, b64) = self.store.incident_attachment(id, att).await?.ok_or_else(|| ServiceError::NotFound(format!("attachment {att}")))?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| ServiceError::Internal(format!("attachment {att}: {e}")))?;
        if hex::encode(Sha256::digest(&bytes)) != meta.sha256 {
            return Err(ServiceError::Internal(format!("attachment {att}: content does not match its SHA-256")));
        }
        Ok((meta, bytes))
    }

    /// Messages of one case (reporting organisation).
    pub async fn incident_outbox(&self, ctx: &Ctx, id: Uuid) -> Result<Vec<OutboxItem>> {
        self.case_for(ctx, id, CaseAction::EditCore).await?;
        Ok(self.store.outbox_list(Some(id)).await?)
    }

    /// Escalates every missed deadline to the state's 24/7 and emergency contacts; returns how
    /// many participants were escalated. Run by the background task of `atalaya serve`.
    pub async fn escalate_overdue(&self) -> Result<usize> {
        let now = self.now();
        let overdue = self.store.incident_overdue(now).await?;
        let ctx = Ctx { subject: Subject::Operator, source: "deadline".into() };
        let mut done = 0;
        for o in overdue {
            let Some(inc) = self.store.incident_get(o.incident_id).await? else { continue };
            let pgp = if self.config.incidents.smtp.is_some() { Some(self.node_pgp()?) } else { None };
            let mut tx = self.store.begin().await?;
            let Some(mut row) = tx.participant_get(o.incident_id, o.org_id).await? else { continue };
            if row.escalated_at.is_some() {
                continue;
            }
            row.escalated_at = Some(to_micros(now));
            row.body.escalated_at = Some(rfc3339(now));
            tx.participant_put(o.incident_id, &row).await?;
            let state = row.body.state.clone();
            let mut contacts: Vec<Contact> = self.store.contact_list(o.org_id).await?;
            if let Some(cc) = &state {
                for org in self.store.org_list(Some(cc.as_str())).await? {
                    if org.id != o.org_id {
                        contacts.extend(self.store.contact_list(org.id).await?);
                    }
                }
            }
            let recipients = escalation_contacts(&contacts);
            let due = micros_rfc3339(o.due);
            let body = format!(
                "{}Atalaya ESCALATION: a deadline of a cross-border incident case was missed.\n\n\
                 Case:        {}\nCase id:     {}\nSeverity:    {} ({})\nTLP:         {}\n\
                 Participant: {} ({})\nMissed:      {} deadline, due {}\nStatus:      {}\n\n\
                 Please acknowledge or give a first update: atalaya incident ack {}\n",
                if inc.core.exercise { "*** EXERCISE — THIS IS NOT A REAL INCIDENT ***\n\n" } else { "" },
                inc.core.title,
                inc.id,
                inc.core.severity.value(),
                inc.core.severity.label(),
                inc.core.tlp,
                row.body.org_name,
                state.as_ref().map(|c| c.as_str()).unwrap_or("-"),
                o.deadline,
                due,
                row.body.status,
                inc.id
            );
            let subject = format!("[Atalaya] ESCALATION {}case {}: {} deadline missed", ex(&inc), short(inc.id), o.deadline);
            let (sent, held) = self.queue_mail(&mut tx, &inc, &recipients, &subject, &body, pgp.as_deref(), now).await?;
            let text = format!(
                "escalated: {} ({}) missed the {} deadline (due {due}); {sent} message(s) to 24/7 and emergency contacts{}",
                row.body.org_name,
                state.as_ref().map(|c| c.as_str()).unwrap_or("-"),
                o.deadline,
                if held > 0 { format!(", {held} withheld (exercise)") } else { String::new() }
            );
            self.case_changed(&mut tx, &ctx, &inc, "escalated", text, now).await?;
            tx.audit_append(&audit_entry(&ctx, "incident.escalate", "incident", Some(inc.id.to_string()), serde_json::json!({"organisation": o.org_id, "deadline": o.deadline})), now).await?;
            tx.commit().await?;
            done += 1;
        }
        Ok(done)
    }

    /// After-action figures of one case, per participating state.
    pub async fn incident_after_action(&self, ctx: &Ctx, id: Uuid) -> Result<Vec<StateFigures>> {
        self.visible_case(ctx, id).await?;
        let rows = self.store.incident_participants(id).await?;
        Ok(figures(rows.iter().map(|r| (r.body.state.as_ref().map(|c| c.to_string()), r.body.status.as_str().to_string(), r.notified_at, r.acknowledged_at, r.mitigated_at))))
    }

    /// Statistics by state, sector, severity and class, exercises excluded.
    pub async fn incident_statistics(&self, ctx: &Ctx) -> Result<IncidentStatistics> {
        let cases = self.store.incident_list().await?;
        let visible: HashSet<Uuid> = cases.iter().filter(|i| check(ctx, CaseAction::Read, i).allowed()).map(|i| i.id).collect();
        let real: Vec<&Incident> = cases.iter().filter(|i| visible.contains(&i.id) && !i.core.exercise).collect();
        let exercises = cases.iter().filter(|i| visible.contains(&i.id) && i.core.exercise).count() as u64;
        let mut by_sector = BTreeMap::new();
        let mut by_severity = BTreeMap::new();
        let mut by_class = BTreeMap::new();
        for i in &real {
            for s in &i.core.sectors {
                *by_sector.entry(s.to_string()).or_insert(0u64) += 1;
            }
            *by_severity.entry(format!("{} {}", i.core.severity.value(), i.core.severity.label())).or_insert(0u64) += 1;
            *by_class.entry(i.core.rsit.class.clone()).or_insert(0u64) += 1;
        }
        let facts = self.store.incident_facts().await?;
        let by_state = figures(facts.iter().filter(|f| visible.contains(&f.incident_id)).map(|f| (f.state.clone(), f.status.clone(), f.notified_at, f.acknowledged_at, f.mitigated_at)));
        Ok(IncidentStatistics { cases: real.len() as u64, by_state, by_sector, by_severity, by_rsit_class: by_class, exercises_excluded: exercises })
    }
}

fn figures(rows: impl Iterator<Item = (Option<String>, String, i64, Option<i64>, Option<i64>)>) -> Vec<StateFigures> {
    let mut m: BTreeMap<String, (StateFigures, Vec<i64>, Vec<i64>)> = BTreeMap::new();
    for (state, status, notified, ack, mitigated) in rows {
        let key = state.unwrap_or_else(|| "-".into());
        let e = m.entry(key.clone()).or_insert_with(|| (StateFigures { state: key, ..Default::default() }, vec![], vec![]));
        e.0.cases += 1;
        if let Some(a) = ack {
            e.0.acknowledged += 1;
            e.1.push((a - notified) / 1_000_000);
        }
        if let Some(x) = mitigated {
            e.0.mitigated += 1;
            e.2.push((x - notified) / 1_000_000);
        }
        if status == "declined" {
            e.0.declined += 1;
        }
    }
    let mean = |v: &[i64]| (!v.is_empty()).then(|| v.iter().sum::<i64>() as f64 / v.len() as f64);
    m.into_values()
        .map(|(mut f, acks, mits)| {
            f.mean_time_to_acknowledge_secs = mean(&acks);
            f.max_time_to_acknowledge_secs = acks.iter().copied().max();
            f.mean_time_to_mitigate_secs = mean(&mits);
            f
        })
        .collect()
}

fn ex(inc: &Incident) -> &'static str {
    if inc.core.exercise {
        "[EXERCISE] "
    } else {
        ""
    }
}

fn short(id: Uuid) -> String {
    id.to_string()[..8].to_string()
}

/// Contacts with an e-mail address and one of `roles` (all contacts with e-mail if none has).
fn notification_contacts<'a>(contacts: &'a [Contact], roles: &[ContactRole]) -> Vec<&'a Contact> {
    let with_mail: Vec<&Contact> = contacts.iter().filter(|c| c.body.email.is_some()).collect();
    let matching: Vec<&Contact> = with_mail.iter().copied().filter(|c| c.body.roles.iter().any(|r| roles.contains(r))).collect();
    if matching.is_empty() {
        with_mail
    } else {
        matching
    }
}

/// The state's 24/7 and emergency contacts.
fn escalation_contacts(contacts: &[Contact]) -> Vec<&Contact> {
    let mut seen = HashSet::new();
    contacts
        .iter()
        .filter(|c| c.body.email.is_some() && c.body.roles.iter().any(|r| matches!(r, ContactRole::Emergency | ContactRole::LawEnforcement247)))
        .filter(|c| seen.insert(c.id))
        .collect()
}

/// Runs in `atalaya serve`: loads the IP-to-country data, then every `tick` escalates missed
/// deadlines and delivers due outbox messages (so messages queued before a restart go out).
pub fn spawn_background(svc: Services) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let s = svc.clone();
        let _ = tokio::task::spawn_blocking(move || {
            s.ip_country();
        })
        .await;
        let mut interval = tokio::time::interval(svc.config.incidents.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = svc.escalate_overdue().await {
                tracing::error!(error = %e, "deadline escalation failed");
            }
            match svc.deliver_outbox().await {
                Ok((sent, failed)) if sent + failed > 0 => tracing::info!(sent, failed, "outbox delivered"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox delivery failed"),
            }
        }
    })
}
