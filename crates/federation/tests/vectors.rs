//! Fixed test vectors: fixed keys (RFC 8032 §7.1 TEST 1 and TEST 2), fixed messages, expected
//! canonical bytes and signatures. `docs/federation.md` quotes them; another implementation
//! must reproduce them byte for byte.
mod common;
use atalaya_federation::*;
use atalaya_model::Tlp;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use serde_json::json;

pub const OWNER_ORG: &str = "b7f3c2e1-0a4d-4e5f-8a6b-1c2d3e4f5a6b";

fn ack_envelope() -> Envelope {
    let nonce = Nonce::from_bytes(core::array::from_fn(|i| i as u8));
    sign_envelope(&a(), Envelope::new(id(&a()), id(&b()), NOW, nonce, &ack("42")))
}

fn vector_item() -> Item {
    sign_item(
        &a(),
        Item::ObjectVersion(ObjectVersion {
            origin: id(&a()),
            owner_org: OrgId(OWNER_ORG.parse().expect("uuid")),
            stix_id: INDICATOR_ID.into(),
            version: "2025-01-15T11:00:00.000Z".into(),
            tlp: Tlp::Amber,
            distribution: Distribution::states([cc("UY"), cc("AR")]),
            object: indicator("2025-01-15T11:00:00.000Z", Some(Tlp::Amber.marking_definition_id())),
            origin_signature: String::new(),
        }),
    )
}

fn push_envelope() -> Envelope {
    let nonce = Nonce::from_bytes(core::array::from_fn(|i| 16 + i as u8));
    let msg = Message::Push(Push { items: vec![vector_item()], after: Some("0".into()), cursor: "1".into() });
    sign_envelope(&a(), Envelope::new(id(&a()), id(&b()), NOW, nonce, &msg))
}

fn canonical_after_context(bytes: &[u8], context: &[u8]) -> String {
    assert!(bytes.starts_with(context));
    String::from_utf8(bytes[context.len()..].to_vec()).expect("utf-8")
}

#[test]
fn keys() {
    assert_eq!(id(&a()).as_str(), "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_eq!(id(&b()).as_str(), "PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=");
    assert_eq!(hex::encode(a().verifying_key().as_bytes()), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    assert_eq!(
        id(&a()).fingerprint(),
        fingerprint_of(&hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a").expect("hex"))
    );
    assert_eq!(id(&a()).fingerprint(), VECTOR_FINGERPRINT_A);
}

pub const VECTOR_FINGERPRINT_A: &str = "21FE 31DF A154 A261 626B F854 046F D227 1B7B ED4B 6ABE 45AA 5887 7EF4 7F97 21B9";

pub const VECTOR_ACK_CANONICAL: &str = r#"{"body":{"rejected":[],"up_to":"42"},"from":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=","kind":"ack","nonce":"AAECAwQFBgcICQoLDA0ODw","sent_at":"2025-01-15T12:00:00Z","to":"PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=","version":1}"#;
pub const VECTOR_ACK_SIGNATURE: &str = "oMu+YFQVM47f9v8GIQQxStVso5cgfwoQMkKnqfToqNmca+KuPy0oHtVDH6EneaXTgMalNeSuiQcEnu1y51LaBA==";

pub const VECTOR_ITEM_CANONICAL: &str = r#"{"distribution":{"groups":[],"named_users":[],"network":false,"organisations":[],"states":["UY","AR"]},"object":{"confidence":80,"created":"2025-01-10T09:00:00.000Z","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","modified":"2025-01-15T11:00:00.000Z","name":"C2 server","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],"pattern":"[ipv4-addr:value = '203.0.113.7']","pattern_type":"stix","spec_version":"2.1","type":"indicator","valid_from":"2025-01-10T09:00:00Z"},"origin":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=","owner_org":"b7f3c2e1-0a4d-4e5f-8a6b-1c2d3e4f5a6b","stix_id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","tlp":"TLP:AMBER","type":"object_version","version":"2025-01-15T11:00:00.000Z"}"#;
pub const VECTOR_ITEM_SIGNATURE: &str = "dTJSn9BnK8bAHcaabjvYtmP07OjdD+jw5yjzAELh/RlQ/ElrKQS254suHUYttnTAQAjQvsUaLT6kWKZgnL1gDg==";

pub const VECTOR_PUSH_SIGNATURE: &str = "pZURGofzwh5ZmxqRY2iba0he3j6pAlv5Yu6uzaSdJ4D4BrQJeGGKncPkxvFgDQemPDs2F4c7my8rhOt+Wc7gCg==";

/// The push envelope as another implementation would send it (member order and whitespace
/// are irrelevant: signatures are over the canonical form).
pub const VECTOR_PUSH_WIRE: &str = r#"{
  "version": 1,
  "from": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
  "to": "PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=",
  "sent_at": "2025-01-15T12:00:00Z",
  "nonce": "EBESExQVFhcYGRobHB0eHw",
  "kind": "push",
  "body": {
    "items": [
      {
        "type": "object_version",
        "origin": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        "owner_org": "b7f3c2e1-0a4d-4e5f-8a6b-1c2d3e4f5a6b",
        "stix_id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "version": "2025-01-15T11:00:00.000Z",
        "tlp": "TLP:AMBER",
        "distribution": {"organisations": [], "states": ["UY", "AR"], "groups": [], "network": false, "named_users": []},
        "object": {
          "type": "indicator",
          "spec_version": "2.1",
          "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
          "created": "2025-01-10T09:00:00.000Z",
          "modified": "2025-01-15T11:00:00.000Z",
          "name": "C2 server",
          "pattern": "[ipv4-addr:value = '203.0.113.7']",
          "pattern_type": "stix",
          "valid_from": "2025-01-10T09:00:00Z",
          "confidence": 80,
          "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]
        },
        "origin_signature": "dTJSn9BnK8bAHcaabjvYtmP07OjdD+jw5yjzAELh/RlQ/ElrKQS254suHUYttnTAQAjQvsUaLT6kWKZgnL1gDg=="
      }
    ],
    "after": "0",
    "cursor": "1"
  },
  "signature": "pZURGofzwh5ZmxqRY2iba0he3j6pAlv5Yu6uzaSdJ4D4BrQJeGGKncPkxvFgDQemPDs2F4c7my8rhOt+Wc7gCg=="
}"#;

#[test]
fn ack_envelope_vector() {
    let e = ack_envelope();
    let bytes = envelope_signing_bytes(&e).expect("bytes");
    assert_eq!(canonical_after_context(&bytes, ENVELOPE_SIGNING_CONTEXT), VECTOR_ACK_CANONICAL);
    assert_eq!(ENVELOPE_SIGNING_CONTEXT, b"atalaya-federation/v1 envelope\0");
    assert_eq!(e.nonce.as_str(), "AAECAwQFBgcICQoLDA0ODw");
    assert_eq!(e.signature, VECTOR_ACK_SIGNATURE);
    // Verifying the signature from first principles.
    let sig = ed25519_dalek::Signature::from_bytes(&STANDARD.decode(VECTOR_ACK_SIGNATURE).unwrap().try_into().unwrap());
    let mut msg = b"atalaya-federation/v1 envelope\0".to_vec();
    msg.extend(VECTOR_ACK_CANONICAL.as_bytes());
    a().verifying_key().verify_strict(&msg, &sig).expect("vector verifies");
}

#[test]
fn item_vector() {
    let i = vector_item();
    let bytes = item_signing_bytes(&i).expect("bytes");
    assert_eq!(ITEM_SIGNING_CONTEXT, b"atalaya-federation/v1 item\0");
    assert_eq!(canonical_after_context(&bytes, ITEM_SIGNING_CONTEXT), VECTOR_ITEM_CANONICAL);
    assert_eq!(i.origin_signature(), VECTOR_ITEM_SIGNATURE);
}

#[test]
fn push_envelope_vector_from_the_wire() {
    assert_eq!(push_envelope().signature, VECTOR_PUSH_SIGNATURE);
    let e = Envelope::from_slice(VECTOR_PUSH_WIRE.as_bytes()).expect("parses");
    assert_eq!(e, push_envelope());
    let peers = dir_with(&[(&a(), PeerStatus::Active)]);
    let v = verify_envelope(&e, &id(&b()), &peers, NOW, DEFAULT_WINDOW, &mut ReplayGuard::default()).expect("verifies");
    let Message::Push(p) = v.message else { panic!("push") };
    assert_eq!(p.cursor, "1");
    assert_eq!(p.after.as_deref(), Some("0"));
    assert_eq!(p.items, vec![vector_item()]);
    verify_item(&p.items[0], &peers, NOW).expect("origin signature");
    let json: serde_json::Value = serde_json::from_str(VECTOR_PUSH_WIRE).unwrap();
    assert_eq!(json["body"]["items"][0]["origin_signature"], json!(VECTOR_ITEM_SIGNATURE));
}
