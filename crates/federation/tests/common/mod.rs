//! Fixtures shared by the integration tests.
#![allow(dead_code)]
use atalaya_federation::*;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

/// RFC 8032 §7.1 TEST 1 secret key.
pub const KEY_A: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// RFC 8032 §7.1 TEST 2 secret key.
pub const KEY_B: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
/// RFC 8032 §7.1 TEST 3 secret key.
pub const KEY_C: &str = "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7";

pub fn key(hex_secret: &str) -> SigningKey {
    let b: [u8; 32] = hex::decode(hex_secret).expect("hex").try_into().expect("32 bytes");
    SigningKey::from_bytes(&b)
}

pub fn id(k: &SigningKey) -> NodeId {
    NodeId::from_verifying_key(&k.verifying_key())
}

pub fn a() -> SigningKey {
    key(KEY_A)
}
pub fn b() -> SigningKey {
    key(KEY_B)
}
pub fn c() -> SigningKey {
    key(KEY_C)
}

pub const NOW: OffsetDateTime = datetime!(2025-01-15 12:00:00 UTC);

pub fn nonce(n: u8) -> Nonce {
    let mut b = [0u8; 16];
    for (i, x) in b.iter_mut().enumerate() {
        *x = n.wrapping_add(i as u8);
    }
    Nonce::from_bytes(b)
}

pub fn org(n: u128) -> OrgId {
    OrgId(uuid::Uuid::from_u128(n))
}
pub fn group(n: u128) -> GroupId {
    GroupId(uuid::Uuid::from_u128(n))
}
pub fn user(n: u128) -> UserId {
    UserId(uuid::Uuid::from_u128(n))
}
pub fn cc(s: &str) -> atalaya_model::CountryCode {
    s.parse().expect("country")
}

/// Peers directory of B: A active.
pub fn dir_with(peers: &[(&SigningKey, PeerStatus)]) -> PeerDirectory {
    peers
        .iter()
        .map(|(k, s)| PeerKey { node: id(k), status: *s, expires_at: None, revoked: false })
        .collect()
}

pub fn ack(up_to: &str) -> Message {
    Message::Ack(Ack { up_to: up_to.into(), rejected: vec![] })
}

/// An unsigned envelope A → B sent at NOW.
pub fn env_a_to_b(msg: &Message) -> Envelope {
    Envelope::new(id(&a()), id(&b()), NOW, nonce(0), msg)
}

pub const INDICATOR_ID: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";

pub fn indicator(modified: &str, tlp_marking: Option<&str>) -> Value {
    let mut v = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": INDICATOR_ID,
        "created": "2025-01-10T09:00:00.000Z",
        "modified": modified,
        "name": "C2 server",
        "pattern": "[ipv4-addr:value = '203.0.113.7']",
        "pattern_type": "stix",
        "valid_from": "2025-01-10T09:00:00Z",
        "confidence": 80
    });
    if let Some(m) = tlp_marking {
        v["object_marking_refs"] = json!([m]);
    }
    v
}

pub fn object_version(origin: &SigningKey, tlp: atalaya_model::Tlp, distribution: Distribution) -> Item {
    sign_item(
        origin,
        Item::ObjectVersion(ObjectVersion {
            origin: id(origin),
            owner_org: org(1),
            stix_id: INDICATOR_ID.into(),
            version: "2025-01-15T11:00:00.000Z".into(),
            tlp,
            distribution,
            object: indicator("2025-01-15T11:00:00.000Z", Some(tlp.marking_definition_id())),
            origin_signature: String::new(),
        }),
    )
}
