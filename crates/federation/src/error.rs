//! Typed rejections of the federation protocol. Each has a one-line message, a stable wire
//! `code` (used in `error_report` messages and problem+json bodies) and an HTTP status.

/// Why a message or an item was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FedError {
    /// The sender (or an item's origin) is not a node this node knows, or is not peered for
    /// this kind of message.
    #[error("unknown peer {node}: not peered with this node")]
    UnknownPeer { node: String },
    /// A signature (envelope or origin) does not verify with `verify_strict`.
    #[error("bad signature: the {what} signature does not verify with the key of {signer}")]
    BadSignature { what: &'static str, signer: String },
    /// This nonce was already seen from this sender within the window (or the message is older
    /// than what the replay guard can still vouch for).
    #[error("replay: nonce {nonce} from {node} already seen or too old to be checked")]
    Replay { node: String, nonce: String },
    /// The sender's (or origin's) key expired.
    #[error("expired key: the key of {node} expired at {expired_at}")]
    Expired { node: String, expired_at: String },
    /// The sender's (or origin's) key was revoked.
    #[error("revoked key: the key of {node} was revoked")]
    Revoked { node: String },
    /// `sent_at` is further than the window from the receiver's clock.
    #[error("sent_at {sent_at} is outside ±{window_secs} s of the receiver's clock ({now})")]
    OutOfWindow { sent_at: String, now: String, window_secs: i64 },
    /// The envelope is addressed to another node.
    #[error("wrong recipient: addressed to {to}, this node is {us}")]
    WrongRecipient { to: String, us: String },
    /// A field is missing, of the wrong type or has an invalid value.
    #[error("malformed {field}: {reason}")]
    Malformed { field: String, reason: String },
    /// The envelope's protocol `version` is not one this implementation speaks.
    #[error("unsupported protocol version {got} (supported: {supported})")]
    UnsupportedVersion { got: u64, supported: u16 },
    /// An item changes an object (or directory entry) owned by another node.
    #[error("not owner: {what} belongs to {owner}, not {claimed}")]
    NotOwner { what: String, owner: String, claimed: String },
}

impl FedError {
    pub(crate) fn malformed(field: impl Into<String>, reason: impl Into<String>) -> FedError {
        FedError::Malformed { field: field.into(), reason: reason.into() }
    }

    /// The stable wire code (`error_report.code`, problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            FedError::UnknownPeer { .. } => "unknown_peer",
            FedError::BadSignature { .. } => "bad_signature",
            FedError::Replay { .. } => "replay",
            FedError::Expired { .. } => "expired",
            FedError::Revoked { .. } => "revoked",
            FedError::OutOfWindow { .. } => "out_of_window",
            FedError::WrongRecipient { .. } => "wrong_recipient",
            FedError::Malformed { .. } => "malformed",
            FedError::UnsupportedVersion { .. } => "unsupported_version",
            FedError::NotOwner { .. } => "not_owner",
        }
    }

    /// The HTTP status an inbox or pull endpoint answers with when it refuses an envelope for
    /// this reason (see `docs/federation.md`).
    pub fn http_status(&self) -> u16 {
        match self {
            FedError::Malformed { .. } | FedError::UnsupportedVersion { .. } => 400,
            FedError::BadSignature { .. } | FedError::OutOfWindow { .. } => 401,
            FedError::UnknownPeer { .. } | FedError::Expired { .. } | FedError::Revoked { .. } | FedError::NotOwner { .. } => 403,
            FedError::Replay { .. } => 409,
            FedError::WrongRecipient { .. } => 421,
        }
    }
}
