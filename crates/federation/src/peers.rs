//! What this node knows about other nodes' keys. Kept by the caller (database); this crate only
//! reads it through [`KeyLookup`].
use crate::{FedError, NodeId};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// How far peering with a node has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerStatus {
    /// Both administrators consented: every message kind is accepted from it.
    Active,
    /// We sent a `peer_request` and wait for their administrator: only `peer_request`,
    /// `peer_accept`, `peer_reject` and `error_report` are accepted from it.
    Requested,
    /// Not peered, but known (e.g. a node behind a relay, learnt from a signed directory):
    /// its origin signatures on items are checked, its envelopes are refused.
    Known,
}

/// One known key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerKey {
    pub node: NodeId,
    pub status: PeerStatus,
    /// After this instant the key is no longer accepted.
    pub expires_at: Option<OffsetDateTime>,
    /// Revoked by an administrator: never accepted again.
    pub revoked: bool,
}

impl PeerKey {
    pub fn active(node: NodeId) -> PeerKey {
        PeerKey { node, status: PeerStatus::Active, expires_at: None, revoked: false }
    }

    /// `Revoked` or `Expired` when the key may not be used at `now`.
    pub fn check_usable(&self, now: OffsetDateTime) -> Result<(), FedError> {
        if self.revoked {
            return Err(FedError::Revoked { node: self.node.to_string() });
        }
        if let Some(exp) = self.expires_at {
            if now >= exp {
                return Err(FedError::Expired { node: self.node.to_string(), expired_at: crate::rfc3339(exp) });
            }
        }
        Ok(())
    }
}

/// Lookup of known keys by node id.
pub trait KeyLookup {
    fn lookup(&self, node: &NodeId) -> Option<PeerKey>;
}

/// A simple in-memory [`KeyLookup`].
#[derive(Debug, Clone, Default)]
pub struct PeerDirectory {
    keys: BTreeMap<NodeId, PeerKey>,
}

impl PeerDirectory {
    pub fn new() -> PeerDirectory {
        PeerDirectory::default()
    }

    pub fn insert(&mut self, key: PeerKey) {
        self.keys.insert(key.node.clone(), key);
    }

    pub fn remove(&mut self, node: &NodeId) -> Option<PeerKey> {
        self.keys.remove(node)
    }

    pub fn get(&self, node: &NodeId) -> Option<&PeerKey> {
        self.keys.get(node)
    }

    pub fn get_mut(&mut self, node: &NodeId) -> Option<&mut PeerKey> {
        self.keys.get_mut(node)
    }

    pub fn iter(&self) -> impl Iterator<Item = &PeerKey> {
        self.keys.values()
    }
}

impl FromIterator<PeerKey> for PeerDirectory {
    fn from_iter<I: IntoIterator<Item = PeerKey>>(iter: I) -> Self {
        let mut d = PeerDirectory::new();
        for k in iter {
            d.insert(k);
        }
        d
    }
}

impl KeyLookup for PeerDirectory {
    fn lookup(&self, node: &NodeId) -> Option<PeerKey> {
        self.keys.get(node).cloned()
    }
}

impl<T: KeyLookup + ?Sized> KeyLookup for &T {
    fn lookup(&self, node: &NodeId) -> Option<PeerKey> {
        (**self).lookup(node)
    }
}
