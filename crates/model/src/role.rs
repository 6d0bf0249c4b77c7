use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A user's role inside their organisation. What each role may do is decided in
/// `atalaya-policy`, nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Analyst,
    DutyOfficer,
    LawEnforcement,
    Partner,
    Auditor,
    ReadOnly,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Analyst,
        Role::DutyOfficer,
        Role::LawEnforcement,
        Role::Partner,
        Role::Auditor,
        Role::ReadOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::DutyOfficer => "duty-officer",
            Role::LawEnforcement => "law-enforcement",
            Role::Partner => "partner",
            Role::Auditor => "auditor",
            Role::ReadOnly => "read-only",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role '{s}' (expected one of: {})", names.join(", "))
            })
    }
}
