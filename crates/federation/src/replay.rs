//! Replay protection: remembers the nonces of accepted envelopes for as long as their `sent_at`
//! is inside the window, in bounded memory.
use crate::{FedError, NodeId, Nonce};
use std::collections::{BTreeMap, HashMap};
use time::{Duration, OffsetDateTime};

/// Nonces seen per sender, with bounded memory.
///
/// Rules (all pure; the caller passes the clock):
/// - an entry is kept while its `sent_at` is inside the window (`sent_at >= now − window`);
///   older ones are evicted, since the window check refuses such messages anyway;
/// - when full, the entry with the oldest `sent_at` is evicted to make room;
/// - every eviction raises a *floor* to the evicted `sent_at`: a message whose `sent_at` is at
///   or below the floor is refused as a replay, because its nonce may have been forgotten.
///   A legitimate sender hit by this simply resends with a fresh `sent_at` and nonce.
///
/// So a replay is never accepted, whatever the capacity; a small capacity only costs
/// refusals of slow messages.
#[derive(Debug, Clone)]
pub struct ReplayGuard {
    capacity: usize,
    seen: HashMap<(NodeId, Nonce), (OffsetDateTime, u64)>,
    order: BTreeMap<(OffsetDateTime, u64), (NodeId, Nonce)>,
    floor: Option<OffsetDateTime>,
    next: u64,
}

impl Default for ReplayGuard {
    fn default() -> Self {
        ReplayGuard::new(ReplayGuard::DEFAULT_CAPACITY)
    }
}

impl ReplayGuard {
    /// Enough for 100 peers sending 1,000 messages each within one window.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A guard remembering at most `capacity` nonces (at least 1).
    pub fn new(capacity: usize) -> ReplayGuard {
        ReplayGuard { capacity: capacity.max(1), seen: HashMap::new(), order: BTreeMap::new(), floor: None, next: 0 }
    }

    /// A guard for a node that just started (its memory of earlier nonces is gone): refuses
    /// every message sent at or before `started`, so nothing sent before a restart can be
    /// replayed after it. Senders whose message is refused this way resend it fresh.
    pub fn starting_at(capacity: usize, started: OffsetDateTime) -> ReplayGuard {
        ReplayGuard { floor: Some(started), ..ReplayGuard::new(capacity) }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Messages sent at or before this instant are refused.
    pub fn floor(&self) -> Option<OffsetDateTime> {
        self.floor
    }

    /// Whether this nonce of this sender is remembered.
    pub fn contains(&self, from: &NodeId, nonce: &Nonce) -> bool {
        self.seen.contains_key(&(from.clone(), nonce.clone()))
    }

    /// Forgets the entries whose `sent_at` is before `now − window`.
    pub fn evict_expired(&mut self, now: OffsetDateTime, window: Duration) {
        let Some(limit) = now.checked_sub(window) else { return };
        while let Some((&(at, seq), _)) = self.order.first_key_value() {
            if at >= limit {
                break;
            }
            self.evict(at, seq);
        }
    }

    fn evict(&mut self, at: OffsetDateTime, seq: u64) {
        if let Some(key) = self.order.remove(&(at, seq)) {
            self.seen.remove(&key);
        }
        self.floor = Some(self.floor.map_or(at, |f| f.max(at)));
    }

    /// Refuses a nonce already seen from `from` (or a `sent_at` at or below the floor);
    /// otherwise remembers it. Call only for envelopes whose signature verified.
    pub fn check_and_record(
        &mut self,
        from: &NodeId,
        nonce: &Nonce,
        sent_at: OffsetDateTime,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<(), FedError> {
        self.evict_expired(now, window);
        let key = (from.clone(), nonce.clone());
        let replay = || FedError::Replay { node: from.to_string(), nonce: nonce.to_string() };
        if self.floor.is_some_and(|f| sent_at <= f) || self.seen.contains_key(&key) {
            return Err(replay());
        }
        while self.seen.len() >= self.capacity {
            match self.order.first_key_value() {
                // Making room would raise the floor to or above this message: refuse it instead.
                Some((&(at, _), _)) if at >= sent_at => return Err(replay()),
                Some((&(at, seq), _)) => self.evict(at, seq),
                None => break,
            }
        }
        let seq = self.next;
        self.next += 1;
        self.seen.insert(key.clone(), (sent_at, seq));
        self.order.insert((sent_at, seq), key);
        Ok(())
    }
}
