//! Envelope signatures and the receiving checks.
use crate::item::decode_signature;
use crate::message::{Envelope, Message, MessageKind};
use crate::peers::{KeyLookup, PeerStatus};
use crate::replay::ReplayGuard;
use crate::{jcs, FedError, NodeId, Nonce, PROTOCOL_VERSION};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// Prefix of the bytes a sender signs (domain separation from item signatures).
pub const ENVELOPE_SIGNING_CONTEXT: &[u8] = b"atalaya-federation/v1 envelope\0";

/// The bytes an envelope's sender signs: [`ENVELOPE_SIGNING_CONTEXT`] followed by the RFC 8785
/// (JCS) form of the envelope's JSON without its `signature` member.
pub fn envelope_signing_bytes(env: &Envelope) -> Result<Vec<u8>, FedError> {
    let mut v = serde_json::to_value(env).map_err(|e| FedError::malformed("envelope", e.to_string()))?;
    if let Value::Object(m) = &mut v {
        m.remove("signature");
    }
    let mut out = ENVELOPE_SIGNING_CONTEXT.to_vec();
    out.extend(jcs::canonical_json(&v)?);
    Ok(out)
}

/// Signs `env`: sets `from` to `key`'s node id and fills `signature`.
///
/// An envelope that cannot be canonicalised (a non-finite number, impossible with plain
/// `serde_json`) is returned with an empty signature, which every receiver refuses.
pub fn sign_envelope(key: &SigningKey, mut env: Envelope) -> Envelope {
    env.from = NodeId::from_verifying_key(&key.verifying_key());
    env.signature = match envelope_signing_bytes(&env) {
        Ok(bytes) => STANDARD.encode(key.sign(&bytes).to_bytes()),
        Err(_) => String::new(),
    };
    env
}

/// Builds and signs an envelope carrying `message` from `key`'s node to `to`, sent `now`, with
/// a fresh nonce from `rng`.
pub fn seal<R: rand::RngCore + rand::CryptoRng>(
    key: &SigningKey,
    to: &NodeId,
    now: OffsetDateTime,
    rng: &mut R,
    message: &Message,
) -> Envelope {
    let from = NodeId::from_verifying_key(&key.verifying_key());
    sign_envelope(key, Envelope::new(from, to.clone(), now, Nonce::random(rng), message))
}

/// An envelope that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub from: NodeId,
    pub sent_at: OffsetDateTime,
    pub nonce: Nonce,
    pub message: Message,
}

/// Message kinds accepted from a node whose peering we requested but that has not accepted yet.
fn allowed_while_requested(kind: MessageKind) -> bool {
    matches!(kind, MessageKind::PeerRequest | MessageKind::PeerAccept | MessageKind::PeerReject | MessageKind::ErrorReport)
}

/// Verifies an envelope received from a peer. In order:
/// 1. `version` is [`PROTOCOL_VERSION`] (`UnsupportedVersion`);
/// 2. `to` is `us` (`WrongRecipient`);
/// 3. `from` is a known peer — `Active`, or `Requested` for peering messages (`UnknownPeer`);
/// 4. its key is neither revoked nor expired at `now` (`Revoked`, `Expired`);
/// 5. `sent_at` is RFC 3339 and within `now ± window` (`Malformed`, `OutOfWindow`);
/// 6. `signature` verifies under `verify_strict` (`Malformed`, `BadSignature`);
/// 7. the body is well-formed for its `kind` (`Malformed`, naming the field);
/// 8. the nonce was not seen from this sender (`Replay`) — then it is recorded.
pub fn verify_envelope(
    env: &Envelope,
    us: &NodeId,
    keys: &impl KeyLookup,
    now: OffsetDateTime,
    window: Duration,
    guard: &mut ReplayGuard,
) -> Result<Verified, FedError> {
    check_version_and_recipient(env, us)?;
    let known = keys.lookup(&env.from).ok_or_else(|| FedError::UnknownPeer { node: env.from.to_string() })?;
    let admitted = match known.status {
        PeerStatus::Active => true,
        PeerStatus::Requested => allowed_while_requested(env.kind),
        PeerStatus::Known => false,
    };
    if !admitted {
        return Err(FedError::UnknownPeer { node: env.from.to_string() });
    }
    known.check_usable(now)?;
    verify_rest(env, now, window, guard)
}

/// Verifies a `peer_request` from a node that may be unknown: the same checks as
/// [`verify_envelope`], with the key taken from `from` itself (self-signed) — the request is
/// then shown to the administrators with [`NodeId::fingerprint`] to compare out of band.
/// A revoked or expired key known in `keys` is still refused.
pub fn verify_peer_request(
    env: &Envelope,
    us: &NodeId,
    keys: &impl KeyLookup,
    now: OffsetDateTime,
    window: Duration,
    guard: &mut ReplayGuard,
) -> Result<Verified, FedError> {
    check_version_and_recipient(env, us)?;
    if env.kind != MessageKind::PeerRequest {
        return Err(FedError::malformed("kind", "only a peer_request may come from a node that is not a peer"));
    }
    if let Some(known) = keys.lookup(&env.from) {
        known.check_usable(now)?;
    }
    verify_rest(env, now, window, guard)
}

fn check_version_and_recipient(env: &Envelope, us: &NodeId) -> Result<(), FedError> {
    if env.version != PROTOCOL_VERSION {
        return Err(FedError::UnsupportedVersion { got: u64::from(env.version), supported: PROTOCOL_VERSION });
    }
    if &env.to != us {
        return Err(FedError::WrongRecipient { to: env.to.to_string(), us: us.to_string() });
    }
    Ok(())
}

fn verify_rest(env: &Envelope, now: OffsetDateTime, window: Duration, guard: &mut ReplayGuard) -> Result<Verified, FedError> {
    let sent_at = OffsetDateTime::parse(&env.sent_at, &Rfc3339)
        .map_err(|e| FedError::malformed("sent_at", format!("not an RFC 3339 timestamp: {e}")))?;
    if (now - sent_at).abs() > window {
        return Err(FedError::OutOfWindow {
            sent_at: env.sent_at.clone(),
            now: crate::rfc3339(now),
            window_secs: window.whole_seconds(),
        });
    }
    let sig = decode_signature(&env.signature, "signature")?;
    let key = env.from.verifying_key()?;
    let bytes = envelope_signing_bytes(env)?;
    key.verify_strict(&bytes, &sig)
        .map_err(|_| FedError::BadSignature { what: "envelope", signer: env.from.to_string() })?;
    let message = env.message()?;
    guard.check_and_record(&env.from, &env.nonce, sent_at, now, window)?;
    Ok(Verified { from: env.from.clone(), sent_at, nonce: env.nonce.clone(), message })
}
