//! To whom a shared object is distributed, in addition to its owner organisation.
use crate::ids::{de_countries, GroupId, OrgId, UserId};
use atalaya_model::CountryCode;
use serde::{Deserialize, Serialize};

/// The wire form of an object's distribution. Every member is required (empty lists and
/// `false` included), so the form that is signed is the form that is parsed.
///
/// An all-empty distribution means "the owner organisation only".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// Organisations named explicitly.
    pub organisations: Vec<OrgId>,
    /// States (ISO 3166-1 alpha-2, upper case): every organisation of these states.
    #[serde(deserialize_with = "de_countries")]
    pub states: Vec<CountryCode>,
    /// Sharing groups: every member organisation.
    pub groups: Vec<GroupId>,
    /// Every member of the network.
    pub network: bool,
    /// For TLP:RED: the individuals it is shared with, each with the organisation they belong to.
    pub named_users: Vec<NamedUser>,
}

/// One named individual (TLP:RED), with the organisation that hosts their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedUser {
    pub org: OrgId,
    pub user: UserId,
}

impl Distribution {
    /// The owner organisation only.
    pub fn own_org() -> Distribution {
        Distribution::default()
    }

    /// Every member of the network.
    pub fn network() -> Distribution {
        Distribution { network: true, ..Default::default() }
    }

    pub fn orgs(orgs: impl IntoIterator<Item = OrgId>) -> Distribution {
        Distribution { organisations: orgs.into_iter().collect(), ..Default::default() }
    }

    pub fn states(states: impl IntoIterator<Item = CountryCode>) -> Distribution {
        Distribution { states: states.into_iter().collect(), ..Default::default() }
    }

    pub fn groups(groups: impl IntoIterator<Item = GroupId>) -> Distribution {
        Distribution { groups: groups.into_iter().collect(), ..Default::default() }
    }

    pub fn named_users(users: impl IntoIterator<Item = NamedUser>) -> Distribution {
        Distribution { named_users: users.into_iter().collect(), ..Default::default() }
    }
}
