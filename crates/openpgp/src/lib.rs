//! Inspection of pasted OpenPGP public keys (RFC 4880 / RFC 9580 "transferable public keys"),
//! built on rPGP (the `pgp` crate).
//!
//! [`inspect_public_key`] accepts exactly one key, ASCII-armored (`-----BEGIN PGP PUBLIC KEY
//! BLOCK-----`, leading text and CRLF line ends are tolerated) or binary, and checks, in this order:
//!
//! 1. **Size**: at most 1 MiB of input ([`KeyError::Malformed`] "key is larger than 1 MiB").
//! 2. **Framing**: the armor must be complete, its CRC-24 checksum (when present) must match, and
//!    every packet length must fit in the data; any damaged packet is [`KeyError::Malformed`].
//!    Packets rPGP reports as unsupported (e.g. an unknown subkey version) are skipped together with
//!    their signatures.
//! 3. **Secret material**: a `PRIVATE KEY BLOCK` armor, or any secret-key / secret-subkey packet,
//!    is [`KeyError::SecretKey`]; the data is not parsed any further.
//! 4. **Shape**: only key, user ID, user attribute and signature packets are allowed (trust,
//!    marker and padding packets are dropped); the data must start with the primary key and hold
//!    exactly one primary key. Anything else is [`KeyError::Malformed`].
//! 5. **Self-signatures**: every signature that names the primary key as issuer (or names no
//!    issuer) is verified cryptographically: user ID / user attribute certifications and their
//!    revocations, direct-key signatures, key revocations, subkey bindings and subkey revocations.
//!    One that does not verify makes the whole key [`KeyError::BadSignature`]. Signatures by other
//!    keys (third-party certifications, designated revokers) cannot be checked here and are
//!    dropped. At least one user ID with a valid self-certification whose newest self-signature is
//!    not a revocation is required.
//!    Primary keys whose checks would be needlessly expensive (DSA above 3072 bits, RSA above
//!    16384 bits) and keys with more than 1000 self-signatures are [`KeyError::Malformed`].
//! 6. **Revocation**: a verified key revocation signature makes the key [`KeyError::Revoked`].
//! 7. **Expiry**: the primary key expires at creation time + the key expiration time of the
//!    newest self-signature on the primary user ID (falling back to the newest direct-key
//!    signature); if that instant is at or before `now` the key is [`KeyError::Expired`].
//!
//! The returned [`KeyInfo::can_encrypt`] is true when the primary key, or a subkey that is bound by
//! a valid binding signature and neither revoked nor expired at `now`, has an encryption algorithm
//! and the encrypt-communications or encrypt-storage key flag (an algorithm alone counts when the
//! binding signature carries no key-flags subpacket, as for old keys).
//!
//! [`KeyInfo::armored`] is re-armored from what was verified: the primary key, its verified
//! revocations and direct-key signatures, the self-signed user IDs and user attributes with only
//! their self-signatures, and the validly bound subkeys with their binding/revocation signatures.
//! Third-party certifications are therefore not carried over.
//!
//! No input makes this function panic: lengths are checked before rPGP sees a packet, and as a last
//! line of defence a panic inside rPGP is caught and reported as [`KeyError::Malformed`].

use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pgp::armor::{BlockType, Dearmor};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::public_key::PublicKeyAlgorithm;
use pgp::errors::Error as PgpError;
use pgp::packet::{Packet, PacketParser, Signature, SignatureType, SubpacketData};
use pgp::types::{
    EcdhPublicParams, EcdsaPublicParams, Mpi, PublicKeyTrait, PublicParams, SignedUser,
    SignedUserAttribute, Tag,
};
use pgp::{ArmorOptions, SignedKeyDetails, SignedPublicKey, SignedPublicKeyParser};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Largest accepted input, armored or binary.
pub const MAX_KEY_SIZE: usize = 1024 * 1024;

/// What [`inspect_public_key`] learned about a valid public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Uppercase hex, no spaces (v4: 40 hex chars).
    pub fingerprint: String,
    /// The OpenPGP key ID, uppercase hex (for v4 keys: the last 16 hex chars of the fingerprint).
    pub key_id: String,
    /// Human readable primary key algorithm, e.g. "EdDSA", "RSA 3072", "ECDSA NIST P-256".
    pub algorithm: String,
    /// Self-signed, non-revoked user IDs; the primary user ID comes first, then the others in key
    /// order. Never empty.
    pub user_ids: Vec<String>,
    pub created_at: OffsetDateTime,
    /// Primary key expiry, from the self-signature key expiration time.
    pub expires_at: Option<OffsetDateTime>,
    /// The primary key or a valid (bound, unrevoked, unexpired) subkey can encrypt.
    pub can_encrypt: bool,
    /// Normalised ASCII-armored public key, re-armored from the verified parts of the parsed key.
    pub armored: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not an OpenPGP public key: {0}")]
    Malformed(String),
    #[error("contains a secret key; paste the public key only")]
    SecretKey,
    /// `expired` is formatted as RFC 3339.
    #[error("key {fingerprint} expired on {expired}")]
    Expired {
        fingerprint: String,
        expired: String,
    },
    #[error("key {fingerprint} is revoked")]
    Revoked { fingerprint: String },
    #[error("the key's self-signatures do not verify")]
    BadSignature,
}

/// Parse one ASCII-armored (or binary) transferable public key, verify its self-signatures, and
/// reject it when malformed, secret, revoked, or expired at `now`.
///
/// See the crate documentation for exactly what is checked.
pub fn inspect_public_key(input: &[u8], now: OffsetDateTime) -> Result<KeyInfo, KeyError> {
    if input.len() > MAX_KEY_SIZE {
        return Err(malformed("key is larger than 1 MiB"));
    }
    match catch_unwind(AssertUnwindSafe(|| inspect(input, now))) {
        Ok(result) => result,
        Err(_) => Err(malformed("the key data could not be parsed")),
    }
}

fn inspect(input: &[u8], now: OffsetDateTime) -> Result<KeyInfo, KeyError> {
    let data = decode_transport(input)?;
    let raw = split_packets(&data)?;
    let packets = parse_packets(&raw)?;
    let key = assemble_key(packets)?;
    validate(key, now)
}

// ---------------------------------------------------------------------------------------------
// Transport: armor / binary
// ---------------------------------------------------------------------------------------------

/// Returns the binary packet stream, de-armoring when the input is text.
fn decode_transport(input: &[u8]) -> Result<Vec<u8>, KeyError> {
    let start = input.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(malformed("the input is empty"));
    };
    let trimmed = &input[start..];
    if trimmed[0] & 0x80 != 0 {
        // A binary packet header always has the high bit set; armor is 7-bit text.
        return Ok(trimmed.to_vec());
    }
    if !contains(trimmed, b"-----BEGIN PGP ") {
        return Err(malformed(
            "expected an ASCII-armored key (-----BEGIN PGP PUBLIC KEY BLOCK-----) or binary OpenPGP data",
        ));
    }

    let mut dearmor = Dearmor::new(trimmed);
    if dearmor.read_header().is_err() {
        return Err(malformed("the ASCII armor header is invalid"));
    }
    match &dearmor.typ {
        Some(BlockType::PublicKey) | Some(BlockType::File) => {}
        Some(BlockType::PrivateKey) => return Err(KeyError::SecretKey),
        Some(other) => {
            return Err(malformed(format!(
                "expected a PGP PUBLIC KEY BLOCK, found a {other}"
            )))
        }
        None => return Err(malformed("the ASCII armor header is invalid")),
    }

    let mut bytes = Vec::new();
    // The decoded body is always shorter than the (already size-limited) text.
    if let Err(err) = dearmor
        .by_ref()
        .take(MAX_KEY_SIZE as u64)
        .read_to_end(&mut bytes)
    {
        let text = err.to_string();
        return Err(malformed(if text.contains("crc24") {
            "the ASCII armor checksum does not match (the key was altered or truncated)"
        } else if text.contains("footer") || text.contains("not enough bytes") {
            "the ASCII armor is truncated (missing -----END PGP PUBLIC KEY BLOCK-----)"
        } else {
            "the ASCII armor is damaged"
        }));
    }
    if bytes.is_empty() {
        return Err(malformed("the ASCII armor contains no data"));
    }
    Ok(bytes)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Packet framing (done here so that rPGP only ever sees complete, bounded packets)
// ---------------------------------------------------------------------------------------------

struct RawPacket<'a> {
    tag: u8,
    /// Header and body.
    bytes: &'a [u8],
}

fn split_packets(data: &[u8]) -> Result<Vec<RawPacket<'_>>, KeyError> {
    const TRUNCATED: &str = "the key data is truncated";
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let at = |i: usize| -> Result<usize, KeyError> {
            data.get(pos + i)
                .map(|b| usize::from(*b))
                .ok_or_else(|| malformed(TRUNCATED))
        };
        let first = at(0)?;
        if first & 0x80 == 0 {
            return Err(malformed("invalid OpenPGP packet header"));
        }
        let (tag, header_len, body_len) = if first & 0x40 != 0 {
            // New format.
            let tag = first & 0x3f;
            let o1 = at(1)?;
            match o1 {
                0..=191 => (tag, 2, o1),
                192..=223 => (tag, 3, ((o1 - 192) << 8) + at(2)? + 192),
                255 => (
                    tag,
                    6,
                    (at(2)? << 24) | (at(3)? << 16) | (at(4)? << 8) | at(5)?,
                ),
                _ => {
                    return Err(malformed(
                        "partial body lengths are not allowed in a public key",
                    ))
                }
            }
        } else {
            // Legacy format.
            let tag = (first >> 2) & 0x0f;
            match first & 0x03 {
                0 => (tag, 2, at(1)?),
                1 => (tag, 3, (at(1)? << 8) | at(2)?),
                2 => (
                    tag,
                    5,
                    (at(1)? << 24) | (at(2)? << 16) | (at(3)? << 8) | at(4)?,
                ),
                // Indeterminate length: the packet runs to the end of the data.
                _ => (tag, 1, data.len().saturating_sub(pos + 1)),
            }
        };
        let end = pos
            .checked_add(header_len)
            .and_then(|v| v.checked_add(body_len))
            .filter(|end| *end <= data.len())
            .ok_or_else(|| malformed(TRUNCATED))?;
        out.push(RawPacket {
            tag: u8::try_from(tag).unwrap_or(0),
            bytes: &data[pos..end],
        });
        pos = end;
    }
    if out.is_empty() {
        return Err(malformed("no OpenPGP packets found"));
    }
    Ok(out)
}

const TAG_SIGNATURE: u8 = 2;
const TAG_SECRET_KEY: u8 = 5;
const TAG_PUBLIC_KEY: u8 = 6;
const TAG_SECRET_SUBKEY: u8 = 7;
const TAG_MARKER: u8 = 10;
const TAG_TRUST: u8 = 12;
const TAG_USER_ID: u8 = 13;
const TAG_PUBLIC_SUBKEY: u8 = 14;
const TAG_USER_ATTRIBUTE: u8 = 17;
const TAG_PADDING: u8 = 21;

fn tag_name(tag: u8) -> &'static str {
    match tag {
        1 => "encrypted session key",
        TAG_SIGNATURE => "signature",
        3 => "symmetric session key",
        4 => "one-pass signature",
        TAG_SECRET_KEY => "secret key",
        TAG_PUBLIC_KEY => "public key",
        TAG_SECRET_SUBKEY => "secret subkey",
        8 => "compressed data",
        9 | 18 | 20 => "encrypted data",
        11 => "literal data",
        TAG_USER_ID => "user ID",
        TAG_PUBLIC_SUBKEY => "public subkey",
        TAG_USER_ATTRIBUTE => "user attribute",
        19 => "modification detection code",
        _ => "unknown",
    }
}

/// Parses each packet with rPGP. Rejects secret keys and non-key packets, drops trust, marker
/// and padding packets, and skips packets rPGP does not support (with their signatures).
fn parse_packets(raw: &[RawPacket<'_>]) -> Result<Vec<Packet>, KeyError> {
    if raw
        .iter()
        .any(|p| p.tag == TAG_SECRET_KEY || p.tag == TAG_SECRET_SUBKEY)
    {
        return Err(KeyError::SecretKey);
    }
    let mut packets = Vec::with_capacity(raw.len());
    let mut skipping_signatures = false;
    for (index, packet) in raw.iter().enumerate() {
        match packet.tag {
            TAG_TRUST | TAG_MARKER | TAG_PADDING => continue,
            TAG_SIGNATURE | TAG_PUBLIC_KEY | TAG_PUBLIC_SUBKEY | TAG_USER_ID
            | TAG_USER_ATTRIBUTE => {}
            other => {
                return Err(malformed(format!(
                    "unexpected {} packet (tag {other}); expected a public key",
                    tag_name(other)
                )))
            }
        }
        if index == 0 && packet.tag != TAG_PUBLIC_KEY {
            return Err(malformed(format!(
                "the data starts with a {} packet instead of a public key",
                tag_name(packet.tag)
            )));
        }
        if packet.tag == TAG_SIGNATURE && skipping_signatures {
            continue;
        }
        skipping_signatures = false;

        let parsed = PacketParser::new(packet.bytes).next();
        match parsed {
            Some(Ok(p)) => packets.push(p),
            Some(Err(err)) if is_unsupported(&err) && packet.tag != TAG_PUBLIC_KEY => {
                // e.g. a subkey of a version or algorithm rPGP does not know: leave it out
                // together with the signatures that belong to it.
                skipping_signatures = packet.tag != TAG_SIGNATURE;
            }
            Some(Err(err)) => {
                return Err(malformed(format!(
                    "damaged {} packet: {}",
                    tag_name(packet.tag),
                    short(&err.to_string())
                )))
            }
            None => {
                return Err(malformed(format!(
                    "damaged {} packet",
                    tag_name(packet.tag)
                )))
            }
        }
    }
    Ok(packets)
}

fn is_unsupported(err: &PgpError) -> bool {
    match err {
        PgpError::Unsupported(_) => true,
        PgpError::InvalidPacketContent(inner) => matches!(**inner, PgpError::Unsupported(_)),
        _ => false,
    }
}

fn assemble_key(packets: Vec<Packet>) -> Result<SignedPublicKey, KeyError> {
    let primaries = packets.iter().filter(|p| p.tag() == Tag::PublicKey).count();
    if primaries > 1 {
        return Err(malformed(
            "the data contains more than one key; paste a single public key",
        ));
    }
    let mut parser = SignedPublicKeyParser::from_packets(packets.into_iter().map(Ok).peekable());
    let key = match parser.next() {
        Some(Ok(key)) => key,
        Some(Err(err)) => {
            return Err(malformed(format!(
                "invalid key structure: {}",
                short(&err.to_string())
            )))
        }
        None => return Err(malformed("no public key found")),
    };
    if let Some(Ok(extra)) = parser.into_inner().next() {
        return Err(malformed(format!(
            "unexpected {} packet after the subkeys",
            tag_name(u8::from(extra.tag()))
        )));
    }
    Ok(key)
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// Whether `sig` claims to be made by `key` (or does not say who made it).
fn issued_by(sig: &Signature, key: &impl PublicKeyTrait) -> bool {
    let ids = sig.issuer();
    let fingerprints = sig.issuer_fingerprint();
    if ids.is_empty() && fingerprints.is_empty() {
        return true;
    }
    let id = key.key_id();
    let fingerprint = key.fingerprint();
    ids.iter().any(|i| **i == id) || fingerprints.iter().any(|f| **f == fingerprint)
}

fn created_ts(sig: &Signature) -> i64 {
    sig.created().map_or(i64::MIN, |c| c.timestamp())
}

/// The newest of `sigs` (by creation time; later position wins ties).
fn newest<'a, I: IntoIterator<Item = &'a Signature>>(sigs: I) -> Option<&'a Signature> {
    sigs.into_iter()
        .fold(None, |best: Option<&Signature>, s| match best {
            Some(b) if created_ts(b) > created_ts(s) => Some(b),
            _ => Some(s),
        })
}

fn has_key_flags(sig: &Signature) -> bool {
    sig.config
        .hashed_subpackets()
        .any(|p| matches!(p.data, SubpacketData::KeyFlags(_)))
}

/// Key expiry relative to key creation, `None` when absent or zero (= never).
fn expiration_secs(sig: &Signature) -> Option<i64> {
    sig.key_expiration_time()
        .map(|d| d.num_seconds())
        .filter(|s| *s > 0)
}

fn algorithm_can_encrypt(alg: PublicKeyAlgorithm) -> bool {
    matches!(
        alg,
        PublicKeyAlgorithm::RSA
            | PublicKeyAlgorithm::RSAEncrypt
            | PublicKeyAlgorithm::ElgamalSign // id 16: Elgamal encrypt-only in RFC 4880
            | PublicKeyAlgorithm::Elgamal
            | PublicKeyAlgorithm::ECDH
            | PublicKeyAlgorithm::X25519
            | PublicKeyAlgorithm::X448
    )
}

/// Encryption capability of a key whose usage is described by `sig`.
fn can_encrypt(alg: PublicKeyAlgorithm, sig: Option<&Signature>) -> bool {
    if !algorithm_can_encrypt(alg) {
        return false;
    }
    match sig {
        Some(sig) if has_key_flags(sig) => {
            let flags = sig.key_flags();
            flags.encrypt_comms() || flags.encrypt_storage()
        }
        _ => true,
    }
}

fn to_time(unix: i64) -> Result<OffsetDateTime, KeyError> {
    OffsetDateTime::from_unix_timestamp(unix).map_err(|_| malformed("a timestamp is out of range"))
}

/// Upper bound on verified self-signatures; real keys carry a few dozen at most.
const MAX_SELF_SIGNATURES: usize = 1000;

/// Counts signature verifications so that a crafted key cannot make us verify without end.
struct VerifyBudget(usize);

impl VerifyBudget {
    fn verify(&mut self, check: impl FnOnce() -> pgp::errors::Result<()>) -> Result<(), KeyError> {
        if self.0 == 0 {
            return Err(malformed(format!(
                "the key has more than {MAX_SELF_SIGNATURES} self-signatures"
            )));
        }
        self.0 -= 1;
        check().map_err(|_| KeyError::BadSignature)
    }
}

/// Rejects primary keys whose parameters would make signature checks needlessly expensive
/// (DSA verification cost grows with the size of p and q, which nothing else bounds).
fn check_key_size(key: &impl PublicKeyTrait) -> Result<(), KeyError> {
    match key.public_params() {
        PublicParams::DSA { p, q, .. } if mpi_bits(p) > 3072 || mpi_bits(q) > 256 => Err(
            malformed("DSA keys larger than 3072 bits are not supported"),
        ),
        PublicParams::RSA { n, .. } if mpi_bits(n) > 16384 => Err(malformed(
            "RSA keys larger than 16384 bits are not supported",
        )),
        _ => Ok(()),
    }
}

fn validate(key: SignedPublicKey, now: OffsetDateTime) -> Result<KeyInfo, KeyError> {
    let SignedPublicKey {
        primary_key,
        details,
        public_subkeys,
    } = key;
    let fingerprint = hex_upper(primary_key.fingerprint().as_bytes());
    let created_unix = primary_key.created_at().timestamp();
    let now_unix = now.unix_timestamp();
    check_key_size(&primary_key)?;
    let mut budget = VerifyBudget(MAX_SELF_SIGNATURES);

    // Key revocations and direct-key signatures.
    let mut revocation_signatures = Vec::new();
    for sig in details.revocation_signatures {
        if issued_by(&sig, &primary_key) {
            budget.verify(|| sig.verify_key(&primary_key))?;
            revocation_signatures.push(sig);
        }
    }
    let mut direct_signatures = Vec::new();
    for sig in details.direct_signatures {
        if sig.typ() == SignatureType::Key && issued_by(&sig, &primary_key) {
            budget.verify(|| sig.verify_key(&primary_key))?;
            direct_signatures.push(sig);
        }
    }

    // User IDs: keep the self-signatures, which must all verify.
    let mut users = Vec::new();
    for user in details.users {
        let mut own = Vec::new();
        for sig in user.signatures {
            if issued_by(&sig, &primary_key) {
                budget.verify(|| sig.verify_certification(&primary_key, Tag::UserId, &user.id))?;
                own.push(sig);
            }
        }
        if !own.is_empty() {
            users.push(SignedUser {
                id: user.id,
                signatures: own,
            });
        }
    }
    let mut user_attributes = Vec::new();
    for attr in details.user_attributes {
        let mut own = Vec::new();
        for sig in attr.signatures {
            if issued_by(&sig, &primary_key) {
                budget.verify(|| {
                    sig.verify_certification(&primary_key, Tag::UserAttribute, &attr.attr)
                })?;
                own.push(sig);
            }
        }
        if !own.is_empty() {
            user_attributes.push(SignedUserAttribute {
                attr: attr.attr,
                signatures: own,
            });
        }
    }
    if users.is_empty() {
        return Err(malformed("the key has no self-signed user ID"));
    }

    // Valid user IDs: the newest self-signature is a certification, not a revocation.
    let valid_users: Vec<(&SignedUser, &Signature)> = users
        .iter()
        .filter_map(|u| newest(&u.signatures).map(|s| (u, s)))
        .filter(|(_, s)| s.typ() != SignatureType::CertRevocation)
        .collect();
    let primary_index = valid_users
        .iter()
        .enumerate()
        .filter(|(_, (_, s))| s.is_primary())
        .max_by_key(|(_, (_, s))| created_ts(s))
        .map_or(0, |(i, _)| i);
    let Some((_, primary_binding)) = valid_users.get(primary_index).copied() else {
        return Err(malformed("all user IDs of the key are revoked"));
    };
    let mut user_ids = Vec::with_capacity(valid_users.len());
    if let Some((user, _)) = valid_users.get(primary_index) {
        user_ids.push(String::from_utf8_lossy(user.id.id()).into_owned());
    }
    for (i, (user, _)) in valid_users.iter().enumerate() {
        if i != primary_index {
            user_ids.push(String::from_utf8_lossy(user.id.id()).into_owned());
        }
    }

    // Primary key usage and expiry: primary user ID binding, else newest direct-key signature.
    let newest_direct = newest(&direct_signatures);
    let expiry_secs =
        expiration_secs(primary_binding).or_else(|| newest_direct.and_then(expiration_secs));
    let expires_at = match expiry_secs {
        Some(secs) => Some(to_time(created_unix.saturating_add(secs))?),
        None => None,
    };
    let usage_sig = if has_key_flags(primary_binding) {
        Some(primary_binding)
    } else {
        newest_direct.filter(|s| has_key_flags(s))
    };
    let mut encrypt = can_encrypt(primary_key.algorithm(), usage_sig);

    // Subkeys: binding and revocation signatures by the primary key must verify.
    let mut subkeys = Vec::new();
    for mut subkey in public_subkeys {
        let mut own = Vec::new();
        for sig in std::mem::take(&mut subkey.signatures) {
            if issued_by(&sig, &primary_key) {
                budget.verify(|| sig.verify_key_binding(&primary_key, &subkey.key))?;
                own.push(sig);
            }
        }
        let binding = newest(
            own.iter()
                .filter(|s| s.typ() == SignatureType::SubkeyBinding),
        );
        let Some(binding) = binding else {
            continue; // not bound to this key by the key itself
        };
        let revoked = own
            .iter()
            .any(|s| s.typ() == SignatureType::SubkeyRevocation);
        let expired = expiration_secs(binding).is_some_and(|secs| {
            subkey.key.created_at().timestamp().saturating_add(secs) <= now_unix
        });
        if !revoked && !expired && can_encrypt(subkey.key.algorithm(), Some(binding)) {
            encrypt = true;
        }
        subkey.signatures = own;
        subkeys.push(subkey);
    }

    if !revocation_signatures.is_empty() {
        return Err(KeyError::Revoked { fingerprint });
    }
    if let Some(expiry) = expires_at {
        if expiry <= now {
            let expired = expiry
                .format(&Rfc3339)
                .unwrap_or_else(|_| expiry.unix_timestamp().to_string());
            return Err(KeyError::Expired {
                fingerprint,
                expired,
            });
        }
    }

    let info_algorithm = describe_algorithm(&primary_key);
    let key_id = hex_upper(primary_key.key_id().as_ref());
    let created_at = to_time(created_unix)?;
    let normalised = SignedPublicKey {
        primary_key,
        details: SignedKeyDetails {
            revocation_signatures,
            direct_signatures,
            users,
            user_attributes,
        },
        public_subkeys: subkeys,
    };
    let armored = normalised
        .to_armored_string(ArmorOptions::default())
        .map_err(|err| {
            malformed(format!(
                "the key cannot be re-encoded: {}",
                short(&err.to_string())
            ))
        })?;

    Ok(KeyInfo {
        fingerprint,
        key_id,
        algorithm: info_algorithm,
        user_ids,
        created_at,
        expires_at,
        can_encrypt: encrypt,
        armored,
    })
}

fn describe_algorithm(key: &impl PublicKeyTrait) -> String {
    let curve = |c: &ECCCurve| c.name().to_string();
    match key.public_params() {
        PublicParams::RSA { n, .. } => format!("RSA {}", mpi_bits(n)),
        PublicParams::DSA { p, .. } => format!("DSA {}", mpi_bits(p)),
        PublicParams::Elgamal { p, .. } => format!("ElGamal {}", mpi_bits(p)),
        PublicParams::ECDSA(params) => {
            let name = match params {
                EcdsaPublicParams::P256 { .. } => "NIST P-256".to_string(),
                EcdsaPublicParams::P384 { .. } => "NIST P-384".to_string(),
                EcdsaPublicParams::P521 { .. } => "NIST P-521".to_string(),
                EcdsaPublicParams::Secp256k1 { .. } => "secp256k1".to_string(),
                EcdsaPublicParams::Unsupported { curve: c, .. } => curve(c),
            };
            format!("ECDSA {name}")
        }
        PublicParams::ECDH(params) => {
            let c = match params {
                EcdhPublicParams::Known { curve, .. }
                | EcdhPublicParams::Unsupported { curve, .. } => curve,
            };
            format!("ECDH {}", curve(c))
        }
        PublicParams::EdDSALegacy { curve: c, .. } => match c {
            ECCCurve::Ed25519 => "EdDSA".to_string(),
            other => format!("EdDSA {}", curve(other)),
        },
        PublicParams::Ed25519 { .. } => "Ed25519".to_string(),
        PublicParams::X25519 { .. } => "X25519".to_string(),
        PublicParams::X448 { .. } => "X448".to_string(),
        PublicParams::Unknown { .. } => match key.algorithm() {
            PublicKeyAlgorithm::Ed448 => "Ed448".to_string(),
            other => format!("unknown algorithm {}", u8::from(other)),
        },
    }
}

fn mpi_bits(mpi: &Mpi) -> usize {
    let bytes = mpi.as_bytes();
    let bytes = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => return 0,
    };
    (bytes.len() - 1) * 8 + (8 - bytes[0].leading_zeros() as usize)
}

fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

fn malformed(reason: impl Into<String>) -> KeyError {
    KeyError::Malformed(reason.into())
}

/// One printable line of at most 120 characters, for messages that quote rPGP.
fn short(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(120)
        .collect();
    if text.chars().count() > 120 {
        out.push('…');
    }
    out
}
