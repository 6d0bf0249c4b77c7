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

#[cfg(test)]
mod tests;
