//! Which peers receive an item: distribution combined with TLP, computed purely.
//!
//! | TLP | goes to peers hosting (or relaying for a node hosting) … |
//! |---|---|
//! | CLEAR, GREEN, AMBER | any organisation of the expanded distribution: `network` → every peer; `states` → nodes of those states; `organisations` → nodes hosting them; `groups` → nodes hosting a member |
//! | AMBER+STRICT | an organisation named in `organisations` (never expanded from states, groups or the network) |
//! | RED | the organisation of a named individual (`named_users[].org`) |
//!
//! The node hosting the owner organisation (the origin) is never a recipient: it has the object.
//! An empty distribution means the owner organisation only: nobody receives it.
//!
//! A relay (hub) is a peer whose [`PeerInfo::relays_for`] lists the nodes it forwards to; it is
//! a recipient when it, or a node behind it, qualifies. It computes its own onward recipients
//! with the same function over its own peers.
use crate::distribution::Distribution;
use crate::ids::{GroupId, OrgId};
use crate::NodeId;
use atalaya_model::{CountryCode, Tlp};
use std::collections::BTreeSet;

/// The facts of an item that decide where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemMeta {
    pub tlp: Tlp,
    pub owner_org: OrgId,
    pub distribution: Distribution,
}

/// A node reached through a relay.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RelayedNode {
    pub node: Option<NodeId>,
    pub country: Option<CountryCode>,
    /// Organisations the node hosts.
    pub orgs: Vec<OrgId>,
    /// Sharing groups its organisations belong to.
    pub groups: Vec<GroupId>,
}

/// A peer, as recipient computation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub node: NodeId,
    /// The peer's state.
    pub country: Option<CountryCode>,
    /// Organisations the peer itself hosts.
    pub orgs: Vec<OrgId>,
    /// Sharing groups its organisations belong to.
    pub groups: Vec<GroupId>,
    /// For a relay (hub): the nodes it forwards to. Empty in a mesh.
    pub relays_for: Vec<RelayedNode>,
}

impl PeerInfo {
    pub fn new(node: NodeId, country: Option<CountryCode>, orgs: Vec<OrgId>, groups: Vec<GroupId>) -> PeerInfo {
        PeerInfo { node, country, orgs, groups, relays_for: Vec::new() }
    }
}

/// Whether one node (hosting `orgs` in `country`, member of `groups`) may receive the item.
fn node_qualifies(meta: &ItemMeta, country: Option<&CountryCode>, orgs: &[OrgId], groups: &[GroupId]) -> bool {
    if orgs.contains(&meta.owner_org) {
        return false;
    }
    let d = &meta.distribution;
    match meta.tlp {
        Tlp::Clear | Tlp::Green | Tlp::Amber => {
            d.network
                || orgs.iter().any(|o| d.organisations.contains(o))
                || country.is_some_and(|c| d.states.contains(c))
                || groups.iter().any(|g| d.groups.contains(g))
        }
        Tlp::AmberStrict => orgs.iter().any(|o| d.organisations.contains(o)),
        Tlp::Red => orgs.iter().any(|o| d.named_users.iter().any(|u| u.org == *o)),
    }
}

/// Whether `peer` (itself, or a node it relays for) may receive the item.
pub fn is_recipient(meta: &ItemMeta, peer: &PeerInfo) -> bool {
    node_qualifies(meta, peer.country.as_ref(), &peer.orgs, &peer.groups)
        || peer.relays_for.iter().any(|r| node_qualifies(meta, r.country.as_ref(), &r.orgs, &r.groups))
}

/// The peers an object version (or directory entry) goes to, sorted, without duplicates.
pub fn recipients(meta: &ItemMeta, peers: &[PeerInfo]) -> Vec<NodeId> {
    peers.iter().filter(|p| is_recipient(meta, p)).map(|p| p.node.clone()).collect::<BTreeSet<_>>().into_iter().collect()
}

/// A revocation or deletion goes to every peer that received an earlier version of the object
/// (`delivered`, kept by the caller), whatever the distribution is now.
pub fn retraction_recipients(delivered: &[NodeId]) -> Vec<NodeId> {
    delivered.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect()
}

/// What a downgrade of distribution means for each peer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DowngradePlan {
    /// Every peer that received the object: each gets the downgrade retraction.
    pub notify: Vec<NodeId>,
    /// Received it and still qualifies: keeps it under the new distribution.
    pub keep: Vec<NodeId>,
    /// Received it and no longer qualifies (or is no longer a peer): must delete it.
    pub must_delete: Vec<NodeId>,
    /// Qualifies under the new distribution but never received it. A downgrade never sends the
    /// object to anyone new; a non-empty list means the change widened the distribution, which
    /// is done by publishing a new version instead.
    pub not_delivered: Vec<NodeId>,
}

/// Plans a downgrade to `new` (same TLP and owner, narrower distribution), given the peers that
/// received the object.
pub fn downgrade_plan(new: &ItemMeta, peers: &[PeerInfo], delivered: &[NodeId]) -> DowngradePlan {
    let delivered: BTreeSet<NodeId> = delivered.iter().cloned().collect();
    let now_eligible: BTreeSet<NodeId> = recipients(new, peers).into_iter().collect();
    DowngradePlan {
        notify: delivered.iter().cloned().collect(),
        keep: delivered.intersection(&now_eligible).cloned().collect(),
        must_delete: delivered.difference(&now_eligible).cloned().collect(),
        not_delivered: now_eligible.difference(&delivered).cloned().collect(),
    }
}

/// Where a contribution (sighting, note, proposal) about an object of `target_origin` goes:
/// to the origin itself when it is a peer, else to a relay that forwards to it.
pub fn contribution_route(target_origin: &NodeId, peers: &[PeerInfo]) -> Option<NodeId> {
    if let Some(p) = peers.iter().find(|p| &p.node == target_origin) {
        return Some(p.node.clone());
    }
    peers
        .iter()
        .filter(|p| p.relays_for.iter().any(|r| r.node.as_ref() == Some(target_origin)))
        .map(|p| p.node.clone())
        .min()
}
