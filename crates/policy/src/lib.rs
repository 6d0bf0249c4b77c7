//! The one place that decides who may see or change what.
//!
//! Every interface (REST, TAXII, web UI, CLI, federation, exports, notifications) asks this
//! crate; nothing else compares roles, organisations or TLP levels. Decisions are pure functions
//! of a [`Subject`] and a [`Target`], so they are easy to test exhaustively.
//!
//! Rules in short (see `ARCHITECTURE.md` for the table):
//! - TLP:CLEAR — anyone, even anonymous. TLP:GREEN — authenticated members of the network.
//! - TLP:AMBER — the recipient organisations (owner, named organisations, organisations of named
//!   states, sharing-group members, or everyone for network-wide distribution) and, inside them,
//!   only roles with need-to-know (not partners, not auditors).
//! - TLP:AMBER+STRICT — only organisations named explicitly (never expanded from states, groups
//!   or the network), need-to-know roles.
//! - TLP:RED — named individuals only.
//! - Directory entries are changed only by their own organisation's admins; organisations are
//!   created by admins of the node's operating ("home") organisation.
//! - The audit log is read by auditors and by admins of the home organisation.

use atalaya_model::directory::{ContactRole, OrgKind};
use atalaya_model::{CountryCode, Role, Tlp};
use uuid::Uuid;

/// An authenticated user, as far as policy needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    pub org_id: Uuid,
    pub org_kind: OrgKind,
    pub org_country: Option<CountryCode>,
    pub role: Role,
    /// The user belongs to the organisation that operates this node.
    pub home_org: bool,
    /// Sharing groups the user's organisation belongs to.
    pub groups: Vec<Uuid>,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// No credentials.
    Anonymous,
    /// A user authenticated by password session or API token.
    User(Principal),
    /// The operator on the node's own machine (offline CLI commands on the data directory).
    Operator,
}

impl Subject {
    /// How the audit log names this subject.
    pub fn actor(&self) -> String {
        match self {
            Subject::Anonymous => "anonymous".into(),
            Subject::User(p) => format!("user:{}", p.username),
            Subject::Operator => "operator".into(),
        }
    }
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Subject::User(p) => Some(p),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    /// Create, change or delete.
    Write,
}

/// To whom an object is distributed (in addition to its owner organisation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Distribution {
    pub orgs: Vec<Uuid>,
    pub states: Vec<CountryCode>,
    pub groups: Vec<Uuid>,
    /// Every member of the network.
    pub network: bool,
}

/// The access-relevant facts of a shared object (intelligence, incident, request…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectAccess<'a> {
    pub tlp: Tlp,
    pub owner_org: Uuid,
    pub distribution: &'a Distribution,
    /// For TLP:RED: the individuals it is shared with.
    pub named_users: &'a [Uuid],
}

/// What is being accessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'a> {
    /// Node identity and status.
    Node,
    /// Reference data (member states, vocabularies).
    ReferenceData,
    /// One organisation entry of the directory.
    Organisation { org_id: Uuid, tlp: Tlp },
    /// Creating a new organisation entry.
    NewOrganisation,
    /// A point of contact of `org_id`.
    Contact { org_id: Uuid, tlp: Tlp, roles: &'a [ContactRole] },
    /// The accounts of an organisation (list, create).
    Users { org_id: Uuid },
    /// One account.
    User { user_id: Uuid, org_id: Uuid },
    /// Tokens of one user.
    Tokens { owner: Uuid, owner_org: Uuid },
    /// The audit log.
    AuditLog,
    /// A shared object.
    Object(ObjectAccess<'a>),
}

/// The answer. A denial carries a reason that may be shown to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(&'static str),
}

impl Decision {
    pub fn allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
    fn from_bool(ok: bool, reason: &'static str) -> Decision {
        if ok {
            Decision::Allow
        } else {
            Decision::Deny(reason)
        }
    }
}

/// Roles with need-to-know for TLP:AMBER material of their organisation.
pub fn has_need_to_know(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Analyst | Role::DutyOfficer | Role::LawEnforcement | Role::ReadOnly)
}

/// Reading material at this level is recorded in the audit log.
pub fn must_audit_read(tlp: Tlp) -> bool {
    tlp >= Tlp::Amber
}

/// Whether `role` may be held by a user of an organisation of `kind`.
pub fn role_allowed_in(kind: OrgKind, role: Role) -> Result<(), &'static str> {
    match role {
        Role::LawEnforcement if kind != OrgKind::LawEnforcementCyberUnit => {
            Err("the law-enforcement role is only for users of a law-enforcement cyber unit")
        }
        Role::Partner if kind != OrgKind::Partner => Err("the partner role is only for users of partner organisations"),
        Role::Analyst | Role::DutyOfficer | Role::LawEnforcement | Role::Auditor if kind == OrgKind::Partner => {
            Err("users of partner organisations can be partner, admin or read-only")
        }
        _ => Ok(()),
    }
}

fn is_org_admin(p: &Principal, org: Uuid) -> bool {
    p.role == Role::Admin && p.org_id == org
}

fn is_node_admin(p: &Principal) -> bool {
    p.role == Role::Admin && p.home_org
}

/// Directory TLP: CLEAR public, GREEN members, AMBER(+STRICT) non-partner members with
/// need-to-know, RED only the organisation itself. The owner always reads its own entries.
fn directory_read(subject: &Subject, owner: Uuid, tlp: Tlp) -> bool {
    match subject {
        Subject::Operator => true,
        Subject::Anonymous => tlp == Tlp::Clear,
        Subject::User(p) => {
            if p.org_id == owner || tlp <= Tlp::Green {
                return true;
            }
            match tlp {
                Tlp::Amber | Tlp::AmberStrict => {
                    p.org_kind != OrgKind::Partner && has_need_to_know(p.role)
                }
                _ => false,
            }
        }
    }
}

/// May this principal's organisation receive an object with this distribution?
fn in_distribution(p: &Principal, d: &Distribution, explicit_only: bool) -> bool {
    if d.orgs.contains(&p.org_id) {
        return true;
    }
    if explicit_only {
        return false;
    }
    d.network
        || p.org_country.as_ref().is_some_and(|c| d.states.contains(c))
        || p.groups.iter().any(|g| d.groups.contains(g))
}

fn object_read(subject: &Subject, o: &ObjectAccess<'_>) -> bool {
    match subject {
        Subject::Operator => true,
        Subject::Anonymous => o.tlp == Tlp::Clear,
        Subject::User(p) => match o.tlp {
            Tlp::Clear => true,
            Tlp::Red => o.named_users.contains(&p.user_id),
            _ if p.org_id == o.owner_org => o.tlp == Tlp::Green || has_need_to_know(p.role),
            Tlp::Green => in_distribution(p, o.distribution, false),
            Tlp::Amber => has_need_to_know(p.role) && in_distribution(p, o.distribution, false),
            Tlp::AmberStrict => has_need_to_know(p.role) && in_distribution(p, o.distribution, true),
        },
    }
}

/// The decision for `subject` doing `access` on `target`.
pub fn decide(subject: &Subject, access: Access, target: &Target<'_>) -> Decision {
    if let Subject::Operator = subject {
        return Decision::Allow;
    }
    let p = subject.principal();
    match (access, target) {
        (Access::Read, Target::Node | Target::ReferenceData) => Decision::Allow,
        (Access::Write, Target::Node | Target::ReferenceData) => {
            Decision::from_bool(p.is_some_and(is_node_admin), "only administrators of the node's organisation")
        }
        (Access::Read, Target::Organisation { org_id, tlp }) => {
            Decision::from_bool(directory_read(subject, *org_id, *tlp), "this directory entry is not shared with you")
        }
        (Access::Write, Target::Organisation { org_id, .. }) => Decision::from_bool(
            p.is_some_and(|p| is_org_admin(p, *org_id)),
            "only the organisation's own administrators change its entries",
        ),
        (_, Target::NewOrganisation) => {
            Decision::from_bool(p.is_some_and(is_node_admin), "only administrators of the node's organisation add organisations")
        }
        (Access::Read, Target::Contact { org_id, tlp, roles }) => {
            let le_only = roles.contains(&ContactRole::LawEnforcement247)
                && p.is_some_and(|p| p.org_id != *org_id && matches!(p.role, Role::Partner | Role::ReadOnly | Role::Auditor));
            Decision::from_bool(directory_read(subject, *org_id, *tlp) && !le_only, "this contact is not shared with you")
        }
        (Access::Write, Target::Contact { org_id, .. }) => Decision::from_bool(
            p.is_some_and(|p| is_org_admin(p, *org_id)),
            "only the organisation's own administrators change its contacts",
        ),
        (_, Target::Users { org_id }) => Decision::from_bool(
            p.is_some_and(|p| is_org_admin(p, *org_id) || is_node_admin(p)),
            "only administrators of the organisation manage its accounts",
        ),
        (Access::Read, Target::User { user_id, org_id }) => Decision::from_bool(
            p.is_some_and(|p| p.user_id == *user_id || is_org_admin(p, *org_id) || is_node_admin(p)),
            "you may only see your own account",
        ),
        (Access::Write, Target::User { org_id, .. }) => Decision::from_bool(
            p.is_some_and(|p| is_org_admin(p, *org_id) || is_node_admin(p)),
            "only administrators of the organisation change its accounts",
        ),
        (Access::Read, Target::Tokens { owner, owner_org }) => Decision::from_bool(
            p.is_some_and(|p| p.user_id == *owner || is_org_admin(p, *owner_org)),
            "you may only see your own tokens",
        ),
        (Access::Write, Target::Tokens { owner, owner_org }) => Decision::from_bool(
            p.is_some_and(|p| p.user_id == *owner || is_org_admin(p, *owner_org)),
            "you may only manage your own tokens",
        ),
        (Access::Read, Target::AuditLog) => Decision::from_bool(
            p.is_some_and(|p| p.role == Role::Auditor || is_node_admin(p)),
            "only auditors and the node's administrators read the audit log",
        ),
        (Access::Write, Target::AuditLog) => Decision::Deny("the audit log is append-only"),
        (Access::Read, Target::Object(o)) => Decision::from_bool(object_read(subject, o), "this object is not shared with you"),
        (Access::Write, Target::Object(o)) => Decision::from_bool(
            p.is_some_and(|p| {
                p.org_id == o.owner_org
                    && matches!(p.role, Role::Admin | Role::Analyst | Role::DutyOfficer | Role::LawEnforcement)
            }),
            "only the owner organisation's analysts change its objects",
        ),
    }
}

/// Shorthand: is the decision an allow?
pub fn allowed(subject: &Subject, access: Access, target: &Target<'_>) -> bool {
    decide(subject, access, target).allowed()
}

/// Federation egress: may an item (object version or directory entry, described by `meta`) go
/// to `peer`? The peer qualifies itself, or relays for a node that qualifies; TLP:AMBER+STRICT
/// only to nodes hosting an organisation named explicitly, TLP:RED only to nodes hosting a named
/// individual's organisation (docs/federation.md §9). Every outbound path asks this.
pub fn may_federate(meta: &atalaya_federation::ItemMeta, peer: &atalaya_federation::PeerInfo) -> bool {
    atalaya_federation::is_recipient(meta, peer)
}

/// The peers an item goes to (each through [`may_federate`]), sorted.
pub fn federation_recipients(meta: &atalaya_federation::ItemMeta, peers: &[atalaya_federation::PeerInfo]) -> Vec<atalaya_federation::NodeId> {
    let mut out: Vec<_> = peers.iter().filter(|p| may_federate(meta, p)).map(|p| p.node.clone()).collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod federation_tests {
    use super::*;
    use atalaya_federation::{Distribution, ItemMeta, NamedUser, NodeId, OrgId, PeerInfo, UserId};

    fn node(i: u8) -> NodeId {
        let key = ed25519_dalek_key(i);
        NodeId::parse(&key).expect("node id")
    }
    fn ed25519_dalek_key(i: u8) -> String {
        // Any 32 bytes spell a node id; the egress rule does not check keys.
        use std::fmt::Write;
        let mut b = [0u8; 32];
        b[0] = i;
        let mut s = String::new();
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes: Vec<u8> = b.to_vec();
        for chunk in bytes.chunks(3) {
            let n = (u32::from(chunk[0]) << 16) | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8) | u32::from(*chunk.get(2).unwrap_or(&0));
            let k = chunk.len() + 1;
            for j in 0..4 {
                if j < k {
                    let _ = s.write_char(table[((n >> (18 - 6 * j)) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    }
    fn org(i: u128) -> OrgId {
        OrgId(Uuid::from_u128(i))
    }

    #[test]
    fn egress_follows_tlp_and_distribution() {
        let uy: CountryCode = "UY".parse().expect("UY");
        let ar: CountryCode = "AR".parse().expect("AR");
        let owner = org(1);
        let b = PeerInfo::new(node(2), Some(uy.clone()), vec![org(2)], vec![]);
        let c = PeerInfo::new(node(3), Some(ar), vec![org(3)], vec![]);
        let peers = vec![b.clone(), c.clone()];
        let meta = |tlp, distribution| ItemMeta { tlp, owner_org: owner, distribution };
        // GREEN to the network: everyone.
        assert_eq!(federation_recipients(&meta(Tlp::Green, Distribution::network()), &peers).len(), 2);
        // AMBER to a state: only that state's node.
        assert_eq!(federation_recipients(&meta(Tlp::Amber, Distribution::states([uy])), &peers), vec![node(2)]);
        // AMBER+STRICT: never expanded from the network; only the named organisation's node.
        assert!(federation_recipients(&meta(Tlp::AmberStrict, Distribution::network()), &peers).is_empty());
        assert_eq!(federation_recipients(&meta(Tlp::AmberStrict, Distribution::orgs([org(3)])), &peers), vec![node(3)]);
        // RED: only the node of a named individual's organisation.
        assert!(federation_recipients(&meta(Tlp::Red, Distribution::network()), &peers).is_empty());
        let named = Distribution::named_users([NamedUser { org: org(2), user: UserId(Uuid::from_u128(9)) }]);
        assert!(may_federate(&meta(Tlp::Red, named.clone()), &b));
        assert!(!may_federate(&meta(Tlp::Red, named), &c));
        // Owner-only distribution: nobody.
        assert!(federation_recipients(&meta(Tlp::Clear, Distribution::own_org()), &peers).is_empty());
    }
}

/// The access-relevant facts of an incident case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseAccess<'a> {
    pub tlp: Tlp,
    pub reporting_org: Uuid,
    /// Organisations taking part (notified states' organisations).
    pub participants: &'a [Uuid],
}

/// What is done to an incident case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseAction {
    /// See the case (lists, reads, timeline, attachments).
    Read,
    /// Change the core fields (title, classification, severity, TLP, phase) or notify more
    /// organisations: the reporting organisation only.
    EditCore,
    /// Add timeline entries, tasks, observables, attachments: any participant.
    Contribute,
    /// Change the participation status of `participant_org`: that organisation only.
    UpdateStatus { participant_org: Uuid },
}

fn acts_on_cases(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Analyst | Role::DutyOfficer | Role::LawEnforcement)
}

/// Incident cases. Participants' organisations (and the reporting one) see a case per its TLP:
/// TLP:CLEAR anyone; TLP:GREEN every user of a participating organisation; TLP:AMBER and
/// TLP:AMBER+STRICT their users with need-to-know; TLP:RED only their administrators and duty
/// officers. Only the reporting organisation edits core fields and notifies; each participating
/// organisation updates its own status; every participant contributes (analyst-level roles).
pub fn decide_case(subject: &Subject, action: CaseAction, case: &CaseAccess<'_>) -> Decision {
    let p = match subject {
        Subject::Operator => return Decision::Allow,
        Subject::Anonymous => {
            return Decision::from_bool(action == CaseAction::Read && case.tlp == Tlp::Clear, "this case is not shared with you")
        }
        Subject::User(p) => p,
    };
    let member = p.org_id == case.reporting_org || case.participants.contains(&p.org_id);
    let reads = case.tlp == Tlp::Clear
        || (member
            && match case.tlp {
                Tlp::Clear | Tlp::Green => true,
                Tlp::Amber | Tlp::AmberStrict => has_need_to_know(p.role),
                Tlp::Red => matches!(p.role, Role::Admin | Role::DutyOfficer),
            });
    match action {
        CaseAction::Read => Decision::from_bool(reads, "this case is not shared with you"),
        CaseAction::EditCore => Decision::from_bool(
            reads && p.org_id == case.reporting_org && acts_on_cases(p.role),
            "only the reporting organisation's analysts change the case or notify others",
        ),
        CaseAction::Contribute => Decision::from_bool(
            reads && member && acts_on_cases(p.role),
            "only participants' analysts add to a case",
        ),
        CaseAction::UpdateStatus { participant_org } => Decision::from_bool(
            reads && p.org_id == participant_org && case.participants.contains(&participant_org) && acts_on_cases(p.role),
            "each participating organisation changes only its own status",
        ),
    }
}

/// Notification egress: an exercise case is never sent to a real contact, only to the
/// addresses named as taking part in the exercise. Holds for every subject, the node itself
/// included.
pub fn may_notify(exercise: bool, recipient_in_exercise: bool) -> Decision {
    Decision::from_bool(!exercise || recipient_in_exercise, "exercise cases are only sent to the exercise's own recipients")
}

#[cfg(test)]
mod incident_tests {
    use super::*;

    fn user(org: Uuid, role: Role) -> Subject {
        Subject::User(Principal {
            user_id: Uuid::new_v4(),
            username: "u".into(),
            org_id: org,
            org_kind: OrgKind::NationalCsirt,
            org_country: None,
            role,
            home_org: false,
            groups: vec![],
        })
    }

    #[test]
    fn case_rules() {
        let (a, b, c, x) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let parts = [b, c];
        let case = |tlp| CaseAccess { tlp, reporting_org: a, participants: &parts };
        let amber = case(Tlp::Amber);
        for (who, role, read) in [(a, Role::Analyst, true), (b, Role::ReadOnly, true), (b, Role::Auditor, false), (x, Role::Admin, false)] {
            assert_eq!(decide_case(&user(who, role), CaseAction::Read, &amber).allowed(), read, "{role:?}");
        }
        assert!(!decide_case(&Subject::Anonymous, CaseAction::Read, &amber).allowed());
        assert!(decide_case(&Subject::Anonymous, CaseAction::Read, &case(Tlp::Clear)).allowed());
        assert!(decide_case(&user(x, Role::Analyst), CaseAction::Read, &case(Tlp::Clear)).allowed());
        assert!(!decide_case(&user(x, Role::Analyst), CaseAction::Contribute, &case(Tlp::Clear)).allowed());
        assert!(!decide_case(&user(x, Role::Analyst), CaseAction::Read, &case(Tlp::Green)).allowed());
        assert!(decide_case(&user(b, Role::DutyOfficer), CaseAction::Read, &case(Tlp::Red)).allowed());
        assert!(!decide_case(&user(b, Role::Analyst), CaseAction::Read, &case(Tlp::Red)).allowed());
        // Core edits: reporting organisation only.
        assert!(decide_case(&user(a, Role::Analyst), CaseAction::EditCore, &amber).allowed());
        assert!(!decide_case(&user(b, Role::Admin), CaseAction::EditCore, &amber).allowed());
        assert!(!decide_case(&user(a, Role::ReadOnly), CaseAction::EditCore, &amber).allowed());
        // Status: each state its own.
        let own = CaseAction::UpdateStatus { participant_org: b };
        assert!(decide_case(&user(b, Role::DutyOfficer), own, &amber).allowed());
        assert!(!decide_case(&user(c, Role::Admin), own, &amber).allowed());
        assert!(!decide_case(&user(a, Role::Admin), own, &amber).allowed());
        assert!(!decide_case(&user(a, Role::Admin), CaseAction::UpdateStatus { participant_org: a }, &amber).allowed());
        // Contributions: any participant with an analyst-level role.
        assert!(decide_case(&user(c, Role::Analyst), CaseAction::Contribute, &amber).allowed());
        assert!(!decide_case(&user(c, Role::ReadOnly), CaseAction::Contribute, &amber).allowed());
        assert!(decide_case(&Subject::Operator, CaseAction::EditCore, &amber).allowed());
    }

    #[test]
    fn exercises_never_reach_real_contacts() {
        assert!(may_notify(false, false).allowed());
        assert!(!may_notify(true, false).allowed());
        assert!(may_notify(true, true).allowed());
    }
}

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------------------------
// Evidence ([6/11]): records held for investigations, with a chain of custody.
//
// | who (in the owner or the current custodian organisation) | metadata + custody | content | add / hand over |
// |---|---|---|---|
// | law-enforcement                                          | yes | yes | yes |
// | analyst, duty officer, admin                              | unless restricted | unless restricted | unless restricted |
// | auditor                                                   | yes (to review custody) | no | no |
// | partner, read-only, anyone else, anonymous               | no | no | no |
// Restricted records (law-enforcement material) are for law-enforcement roles only. Only the
// current custodian organisation hands a record over.

/// What is being done to an evidence record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceAction {
    /// Its description, hashes and chain of custody.
    ReadRecord,
    /// Its content (the bytes).
    ReadContent,
    /// Register new evidence for an organisation (`owner_org`).
    Create,
    /// Record a hand-over, release or disposal (current custodian only).
    HandOver,
}

/// An evidence record as policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvidenceAccess {
    pub owner_org: Uuid,
    pub custodian_org: Uuid,
    pub restricted: bool,
}

pub fn decide_evidence(subject: &Subject, action: EvidenceAction, e: &EvidenceAccess) -> Decision {
    let p = match subject {
        Subject::Operator => return Decision::Allow,
        Subject::Anonymous => return Decision::Deny("authentication required"),
        Subject::User(p) => p,
    };
    let holder = p.org_id == e.custodian_org;
    let member = p.org_id == e.owner_org || holder;
    if !member {
        return Decision::Deny("this evidence is held by another organisation");
    }
    let investigator = match p.role {
        Role::LawEnforcement => true,
        Role::Analyst | Role::DutyOfficer | Role::Admin => !e.restricted,
        _ => false,
    };
    match action {
        EvidenceAction::ReadRecord => Decision::from_bool(investigator || p.role == Role::Auditor, "your role may not see evidence records"),
        EvidenceAction::ReadContent => Decision::from_bool(investigator, "your role may not open evidence"),
        EvidenceAction::Create => Decision::from_bool(investigator && p.org_id == e.owner_org, "your role may not register evidence"),
        EvidenceAction::HandOver => {
            if !holder {
                return Decision::Deny("only the current custodian organisation hands evidence over");
            }
            Decision::from_bool(investigator, "your role may not hand evidence over")
        }
    }
}

#[cfg(test)]
mod evidence_tests {
    use super::*;

    fn user(org: Uuid, role: Role) -> Subject {
        Subject::User(Principal {
            user_id: Uuid::new_v4(),
            username: "u".into(),
            org_id: org,
            org_kind: OrgKind::NationalCsirt,
            org_country: None,
            role,
            home_org: true,
            groups: vec![],
        })
    }

    #[test]
    fn evidence_rules_follow_the_table() {
        let (owner, custodian, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        for restricted in [false, true] {
            let e = EvidenceAccess { owner_org: owner, custodian_org: custodian, restricted };
            for role in Role::ALL {
                for org in [owner, custodian, other] {
                    let s = user(org, role);
                    let member = org != other;
                    let investigator = role == Role::LawEnforcement || (!restricted && matches!(role, Role::Analyst | Role::DutyOfficer | Role::Admin));
                    let d = |a| decide_evidence(&s, a, &e).allowed();
                    assert_eq!(d(EvidenceAction::ReadRecord), member && (investigator || role == Role::Auditor), "{role:?} read record");
                    assert_eq!(d(EvidenceAction::ReadContent), member && investigator, "{role:?} read content");
                    assert_eq!(d(EvidenceAction::Create), org == owner && investigator, "{role:?} create");
                    assert_eq!(d(EvidenceAction::HandOver), org == custodian && investigator, "{role:?} hand over");
                }
            }
            assert!(!decide_evidence(&Subject::Anonymous, EvidenceAction::ReadRecord, &e).allowed());
            assert!(decide_evidence(&Subject::Operator, EvidenceAction::HandOver, &e).allowed());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Confidence-building measures (OAS CBMs, UN GGE 2015 norms) — [7/11] §2
//
// | who                                                                  | read public | read network | write for state S |
// |----------------------------------------------------------------------|-------------|--------------|-------------------|
// | anonymous                                                            | yes         | no           | no                |
// | any authenticated user                                               | yes         | yes          | no                |
// | national point of contact of S: admin or duty-officer of an          | yes         | yes          | yes               |
// |   organisation of S of kind national-csirt or national-cyber-authority|            |              |                   |
// | operator (offline CLI on the node)                                   | yes         | yes          | yes               |
// Writes are: nominating or removing the policy-level and foreign-affairs points of contact
// (CBMs 2–3), registering national policies (CBM 1), implementation reports and norm reports.

/// Is this principal the national point of contact of `state`?
pub fn is_national_point_of_contact(p: &Principal, state: &CountryCode) -> bool {
    matches!(p.org_kind, OrgKind::NationalCsirt | OrgKind::NationalCyberAuthority)
        && p.org_country.as_ref() == Some(state)
        && matches!(p.role, Role::Admin | Role::DutyOfficer)
}

/// May `subject` change the CBM registry entries of `state` (nominate or remove its points of
/// contact, register its policies and reports)?
pub fn decide_cbm_write(subject: &Subject, state: &CountryCode) -> Decision {
    match subject {
        Subject::Operator => Decision::Allow,
        Subject::Anonymous => Decision::Deny("authentication required"),
        Subject::User(p) => Decision::from_bool(
            is_national_point_of_contact(p, state),
            "only the state's national point of contact (admin or duty officer of its national CSIRT or cyber authority) changes its CBM entries",
        ),
    }
}

/// May `subject` read a CBM registry entry (`public` or network-only)?
pub fn may_read_cbm(subject: &Subject, public: bool) -> bool {
    public || !matches!(subject, Subject::Anonymous)
}

#[cfg(test)]
mod cbm_tests {
    use super::*;

    fn user(kind: OrgKind, country: &str, role: Role) -> Subject {
        Subject::User(Principal {
            user_id: Uuid::new_v4(),
            username: "u".into(),
            org_id: Uuid::new_v4(),
            org_kind: kind,
            org_country: Some(country.parse().expect("country")),
            role,
            home_org: false,
            groups: vec![],
        })
    }

    #[test]
    fn only_the_national_point_of_contact_writes() {
        let uy: CountryCode = "UY".parse().expect("UY");
        for kind in [OrgKind::NationalCsirt, OrgKind::NationalCyberAuthority, OrgKind::SectorCsirt, OrgKind::GovernmentCsirt, OrgKind::LawEnforcementCyberUnit] {
            for role in Role::ALL {
                for country in ["UY", "AR"] {
                    let expected = country == "UY"
                        && matches!(kind, OrgKind::NationalCsirt | OrgKind::NationalCyberAuthority)
                        && matches!(role, Role::Admin | Role::DutyOfficer);
                    assert_eq!(decide_cbm_write(&user(kind, country, role), &uy).allowed(), expected, "{kind:?} {role:?} {country}");
                }
            }
        }
        assert!(!decide_cbm_write(&Subject::Anonymous, &uy).allowed());
        assert!(decide_cbm_write(&Subject::Operator, &uy).allowed());
        assert!(may_read_cbm(&Subject::Anonymous, true) && !may_read_cbm(&Subject::Anonymous, false));
        assert!(may_read_cbm(&user(OrgKind::Partner, "AR", Role::Partner), false));
    }
}
