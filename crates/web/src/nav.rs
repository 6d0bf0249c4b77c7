//! What a user may be offered: every answer comes from `atalaya_policy` (the one place deciding
//! who may see or change what). Pages show only the entries and buttons allowed here; the
//! services check again on every call.

use atalaya_model::Tlp;
use atalaya_policy::{
    allowed, decide_case, decide_evidence, Access, CaseAccess, CaseAction, Distribution, EvidenceAccess, EvidenceAction,
    ObjectAccess, Subject, Target,
};
use uuid::Uuid;

fn own_org(s: &Subject) -> Option<Uuid> {
    s.principal().map(|p| p.org_id)
}

/// May import intelligence as the own organisation (write an object it owns).
pub fn may_import(s: &Subject) -> bool {
    let Some(org) = own_org(s) else { return false };
    let d = Distribution::default();
    allowed(s, Access::Write, &Target::Object(ObjectAccess { tlp: Tlp::Green, owner_org: org, distribution: &d, named_users: &[] }))
}

/// May open a case (edit the core of a case its organisation reports).
pub fn may_open_case(s: &Subject) -> bool {
    let Some(org) = own_org(s) else { return false };
    decide_case(s, CaseAction::EditCore, &CaseAccess { tlp: Tlp::Green, reporting_org: org, participants: &[] }).allowed()
}

pub fn may_edit_case(s: &Subject, tlp: Tlp, reporting_org: Uuid, participants: &[Uuid]) -> bool {
    decide_case(s, CaseAction::EditCore, &CaseAccess { tlp, reporting_org, participants }).allowed()
}

pub fn may_contribute(s: &Subject, tlp: Tlp, reporting_org: Uuid, participants: &[Uuid]) -> bool {
    decide_case(s, CaseAction::Contribute, &CaseAccess { tlp, reporting_org, participants }).allowed()
}

/// May change the own organisation's participation status on a case.
pub fn may_set_own_status(s: &Subject, tlp: Tlp, reporting_org: Uuid, participants: &[Uuid]) -> Option<Uuid> {
    let org = own_org(s)?;
    decide_case(s, CaseAction::UpdateStatus { participant_org: org }, &CaseAccess { tlp, reporting_org, participants })
        .allowed()
        .then_some(org)
}

/// Federation peers are managed by the node's administrators (writes on the node).
pub fn may_see_peers(s: &Subject) -> bool {
    allowed(s, Access::Write, &Target::Node)
}

pub fn may_read_audit(s: &Subject) -> bool {
    allowed(s, Access::Read, &Target::AuditLog)
}

/// May see the evidence records held by the own organisation.
pub fn may_see_evidence(s: &Subject) -> bool {
    let Some(org) = own_org(s) else { return false };
    decide_evidence(s, EvidenceAction::ReadRecord, &EvidenceAccess { owner_org: org, custodian_org: org, restricted: false }).allowed()
        || decide_evidence(s, EvidenceAction::ReadRecord, &EvidenceAccess { owner_org: org, custodian_org: org, restricted: true }).allowed()
}
