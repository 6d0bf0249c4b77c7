//! The pure protocol layer of Atalaya federation (model layer: no I/O, no database, no HTTP;
//! the clock and the random source are injected). The wire protocol is specified in
//! `docs/federation.md`; this crate is its reference implementation.
//!
//! - [`Envelope`]: the signed unit of transport (`from`, `to`, `sent_at`, `nonce`, `kind`,
//!   `body`, `signature`). [`sign_envelope`] / [`verify_envelope`] (known sender, addressed to
//!   us, `verify_strict`, time window, nonce not replayed via [`ReplayGuard`], key usable).
//! - [`Item`]: what flows (object versions, retractions, directory entries, contributions), each
//!   signed by its origin ([`sign_item`] / [`verify_item`]) so relays cannot alter it.
//! - [`recipients()`]: distribution × TLP → which peers receive an item; [`downgrade_plan`],
//!   [`retraction_recipients`], [`contribution_route`].
//! - Canonicalisation: a context string followed by RFC 8785 (JCS) JSON ([`canonical_json`]).

pub mod distribution;
pub mod envelope;
pub mod error;
pub mod ids;
pub mod item;
pub mod jcs;
pub mod message;
pub mod peers;
pub mod recipients;
pub mod replay;

pub use distribution::{Distribution, NamedUser};
pub use envelope::{
    envelope_signing_bytes, seal, sign_envelope, verify_envelope, verify_peer_request, Verified, ENVELOPE_SIGNING_CONTEXT,
};
pub use error::FedError;
pub use ids::{fingerprint_of, EntryId, GroupId, NodeId, Nonce, OrgId, UserId};
pub use item::{
    check_ownership, item_signing_bytes, sign_item, verify_item, Contribution, DirectoryEntry, EntryType, Item, ItemKey,
    ObjectVersion, Retraction, RetractionKind, ITEM_SIGNING_CONTEXT,
};
pub use jcs::{canonical_json, canonical_json_string};
pub use message::{
    Ack, Envelope, ErrorReport, ItemRejection, Message, MessageKind, NodeInfo, PeerAccept, PeerReject, PeerRequest, PullRequest,
    PullResponse, Push, Retract, MAX_BATCH_ITEMS, MAX_CURSOR_LEN, MAX_PULL_LIMIT,
};
pub use peers::{KeyLookup, PeerDirectory, PeerKey, PeerStatus};
pub use recipients::{
    contribution_route, downgrade_plan, is_recipient, recipients, retraction_recipients, DowngradePlan, ItemMeta, PeerInfo,
    RelayedNode,
};
pub use replay::ReplayGuard;

/// The protocol version this crate speaks (`Envelope::version`).
pub const PROTOCOL_VERSION: u16 = 1;

/// Default tolerance between `sent_at` and the receiver's clock: ±300 s.
pub const DEFAULT_WINDOW: time::Duration = time::Duration::seconds(300);

/// RFC 3339 in UTC (`2025-01-15T12:00:00Z`, fractional seconds only when non-zero).
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
