//! Envelope signing and every receiving check.
mod common;
use atalaya_federation::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use ed25519_dalek::Verifier;
use rand::SeedableRng;
use serde_json::{json, Value};
use time::Duration;

fn b_verifies(env: &Envelope, peers: &PeerDirectory, guard: &mut ReplayGuard) -> Result<Verified, FedError> {
    verify_envelope(env, &id(&b()), peers, NOW, DEFAULT_WINDOW, guard)
}

fn a_active() -> PeerDirectory {
    dir_with(&[(&a(), PeerStatus::Active)])
}

#[test]
fn sign_verify_round_trip_through_json() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let msg = Message::PullRequest(PullRequest { cursor: Some("17".into()), limit: 100 });
    let env = seal(&a(), &id(&b()), NOW, &mut rng, &msg);
    assert_eq!(env.from, id(&a()));
    assert_eq!(env.kind, MessageKind::PullRequest);
    let wire = env.to_json();
    let back = Envelope::from_slice(wire.as_bytes()).expect("parses");
    assert_eq!(back, env);
    let v = b_verifies(&back, &a_active(), &mut ReplayGuard::default()).expect("verifies");
    assert_eq!(v.from, id(&a()));
    assert_eq!(v.message, msg);
    assert_eq!(v.sent_at, NOW);
    assert_eq!(v.nonce, env.nonce);
}

#[test]
fn every_message_kind_round_trips() {
    let item = object_version(&a(), atalaya_model::Tlp::Amber, Distribution::network());
    let retraction = match sign_item(
        &a(),
        Item::Retraction(Retraction {
            origin: id(&a()),
            stix_id: INDICATOR_ID.into(),
            version: None,
            reason: "false positive".into(),
            kind: RetractionKind::Revoke,
            origin_signature: String::new(),
        }),
    ) {
        Item::Retraction(r) => r,
        _ => unreachable!(),
    };
    let msgs = vec![
        Message::PeerRequest(PeerRequest {
            name: "CERT.uy".into(),
            country: Some(cc("UY")),
            url: "https://atalaya.cert.uy".into(),
            message: None,
        }),
        Message::PeerAccept(PeerAccept { name: "CERT.br".into(), country: None, url: "https://atalaya.cert.br".into() }),
        Message::PeerReject(PeerReject { reason: Some("unknown to us".into()) }),
        Message::Push(Push { items: vec![item.clone()], after: None, cursor: "1".into() }),
        Message::PullRequest(PullRequest { cursor: None, limit: 500 }),
        Message::PullResponse(PullResponse { items: vec![item], next_cursor: "2".into(), more: false }),
        Message::Ack(Ack {
            up_to: "2".into(),
            rejected: vec![ItemRejection { index: 0, code: "bad_signature".into(), message: "x".into() }],
        }),
        Message::Retract(Retract { retractions: vec![retraction] }),
        Message::ErrorReport(ErrorReport::from_error(&FedError::Replay { node: "n".into(), nonce: "x".into() }, Some(&nonce(1)))),
    ];
    assert_eq!(msgs.len(), MessageKind::ALL.len());
    let mut guard = ReplayGuard::default();
    for (i, m) in msgs.iter().enumerate() {
        let env = sign_envelope(&a(), Envelope::new(id(&a()), id(&b()), NOW, nonce(i as u8 * 16), m));
        let back = Envelope::from_slice(env.to_json().as_bytes()).expect("parses");
        let v = b_verifies(&back, &a_active(), &mut guard).unwrap_or_else(|e| panic!("{:?}: {e}", m.kind()));
        assert_eq!(&v.message, m);
        assert_eq!(serde_json::to_value(&back).expect("json")["kind"], json!(m.kind().as_str()));
    }
}

#[test]
fn sign_envelope_sets_from_to_the_signer() {
    let mut env = env_a_to_b(&ack("1"));
    env.from = id(&c());
    let signed = sign_envelope(&a(), env);
    assert_eq!(signed.from, id(&a()));
    assert!(b_verifies(&signed, &a_active(), &mut ReplayGuard::default()).is_ok());
}

#[test]
fn unknown_peer_is_rejected() {
    let env = sign_envelope(&a(), env_a_to_b(&ack("1")));
    let err = b_verifies(&env, &PeerDirectory::new(), &mut ReplayGuard::default()).unwrap_err();
    assert!(matches!(err, FedError::UnknownPeer { .. }), "{err}");
    // Known only through a relay: its envelopes are still refused.
    let err = b_verifies(&env, &dir_with(&[(&a(), PeerStatus::Known)]), &mut ReplayGuard::default()).unwrap_err();
    assert!(matches!(err, FedError::UnknownPeer { .. }), "{err}");
    // A signature by C claiming to be A fails; C is unknown anyway.
    let mut forged = sign_envelope(&c(), env_a_to_b(&ack("1")));
    forged.from = id(&a());
    let err = b_verifies(&forged, &a_active(), &mut ReplayGuard::default()).unwrap_err();
    assert!(matches!(err, FedError::BadSignature { .. }), "{err}");
}

#[test]
fn requested_peer_may_only_send_peering_messages() {
    let dir = dir_with(&[(&a(), PeerStatus::Requested)]);
    let push = sign_envelope(&a(), env_a_to_b(&Message::Push(Push { items: vec![], after: None, cursor: "0".into() })));
    assert!(matches!(b_verifies(&push, &dir, &mut ReplayGuard::default()), Err(FedError::UnknownPeer { .. })));
    let accept = sign_envelope(
        &a(),
        env_a_to_b(&Message::PeerAccept(PeerAccept { name: "A".into(), country: Some(cc("AR")), url: "https://a.example".into() })),
    );
    assert!(b_verifies(&accept, &dir, &mut ReplayGuard::default()).is_ok());
}

#[test]
fn tampered_body_is_rejected() {
    let mut env = sign_envelope(&a(), env_a_to_b(&ack("1")));
    env.body["up_to"] = json!("2");
    let err = b_verifies(&env, &a_active(), &mut ReplayGuard::default()).unwrap_err();
    assert!(matches!(err, FedError::BadSignature { what: "envelope", .. }), "{err}");
    // Any other signed member too.
    for tamper in [
        (|e: &mut Envelope| e.sent_at = "2025-01-15T12:00:01Z".into()) as fn(&mut Envelope),
        |e: &mut Envelope| e.nonce = nonce(99),
        |e: &mut Envelope| e.kind = MessageKind::PullRequest,
    ] {
        let mut env = sign_envelope(&a(), env_a_to_b(&ack("1")));
        tamper(&mut env);
        let r = b_verifies(&env, &a_active(), &mut ReplayGuard::default());
        assert!(matches!(r, Err(FedError::BadSignature { .. })), "{r:?}");
    }
}

#[test]
fn tampered_signature_is_rejected() {
    let env = sign_envelope(&a(), env_a_to_b(&ack("1")));
    let mut sig = STANDARD.decode(&env.signature).expect("b64");
    sig[10] ^= 1;
    let mut bad = env.clone();
    bad.signature = STANDARD.encode(&sig);
    assert!(matches!(b_verifies(&bad, &a_active(), &mut ReplayGuard::default()), Err(FedError::BadSignature { .. })));
    let mut garbage = env.clone();
    garbage.signature = "not base64!".into();
    let err = b_verifies(&garbage, &a_active(), &mut ReplayGuard::default()).unwrap_err();
    assert_eq!(err, FedError::Malformed { field: "signature".into(), reason: "must be standard base64 of a 64-byte Ed25519 signature".into() });
    let mut short = env;
    short.signature = STANDARD.encode([0u8; 63]);
    assert!(matches!(b_verifies(&short, &a_active(), &mut ReplayGuard::default()), Err(FedError::Malformed { .. })));
}

/// L, the order of the Ed25519 base point, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0x10,
];

fn add_le(a: &[u8], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = a[i] as u16 + b[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

#[test]
fn non_canonical_s_is_rejected() {
    let env = sign_envelope(&a(), env_a_to_b(&ack("1")));
    let sig = STANDARD.decode(&env.signature).expect("b64");
    // (R, S + L) is the same signature mathematically ([S+L]B = [S]B), but S is not reduced.
    let mut malleated = sig[..32].to_vec();
    malleated.extend(add_le(&sig[32..], &L));
    assert_ne!(malleated, sig);
    let mut bad = env.clone();
    bad.signature = STANDARD.encode(&malleated);
    let err = b_verifies(&bad, &a_active(), &mut ReplayGuard::default()).unwrap_err();
    assert!(matches!(err, FedError::BadSignature { .. }), "{err}");
    // The original still verifies.
    assert!(b_verifies(&env, &a_active(), &mut ReplayGuard::default()).is_ok());
}

#[test]
fn small_order_key_accepted_by_verify_is_rejected_by_verify_strict() {
    // The identity point as public key, R = identity, S = 0: [0]B = R + [k]A holds for every
    // message, so cofactorless `verify` accepts it; `verify_strict` refuses small-order points.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = NodeId::parse(&STANDARD.encode(identity)).expect("node id");
    let mut env = Envelope::new(weak.clone(), id(&b()), NOW, nonce(0), &ack("1"));
    let mut sig = [0u8; 64];
    sig[0] = 1;
    env.signature = STANDARD.encode(sig);
    let vk = weak.verifying_key().expect("decompresses");
    let bytes = envelope_signing_bytes(&env).expect("bytes");
    assert!(vk.verify(&bytes, &ed25519_dalek::Signature::from_bytes(&sig)).is_ok(), "plain verify accepts");
    let peers: PeerDirectory = [PeerKey::active(weak)].into_iter().collect();
    let err = b_verifies(&env, &peers, &mut ReplayGuard::default()).unwrap_err();
    assert!(matches!(err, FedError::BadSignature { .. }), "{err}");
}

#[test]
fn wrong_recipient_is_rejected() {
    let env = sign_envelope(&a(), Envelope::new(id(&a()), id(&c()), NOW, nonce(0), &ack("1")));
    let err = b_verifies(&env, &a_active(), &mut ReplayGuard::default()).unwrap_err();
    assert_eq!(err, FedError::WrongRecipient { to: id(&c()).to_string(), us: id(&b()).to_string() });
    assert_eq!(err.http_status(), 421);
}

#[test]
fn too_old_and_too_new_are_rejected() {
    for (offset, ok) in [(-301, false), (-300, true), (0, true), (300, true), (301, false), (-86400, false), (86400, false)] {
        let env = sign_envelope(&a(), Envelope::new(id(&a()), id(&b()), NOW + Duration::seconds(offset), nonce(1), &ack("1")));
        let r = b_verifies(&env, &a_active(), &mut ReplayGuard::default());
        if ok {
            assert!(r.is_ok(), "{offset}: {r:?}");
        } else {
            assert!(matches!(r, Err(FedError::OutOfWindow { window_secs: 300, .. })), "{offset}: {r:?}");
        }
    }
    // A custom window.
    let env = sign_envelope(&a(), Envelope::new(id(&a()), id(&b()), NOW - Duration::seconds(100), nonce(1), &ack("1")));
    let r = verify_envelope(&env, &id(&b()), &a_active(), NOW, Duration::seconds(60), &mut ReplayGuard::default());
    assert!(matches!(r, Err(FedError::OutOfWindow { window_secs: 60, .. })));
    // sent_at that is not RFC 3339 (signed as such).
    let mut env = env_a_to_b(&ack("1"));
    env.sent_at = "15/01/2025 12:00".into();
    let env = sign_envelope(&a(), env);
    let r = b_verifies(&env, &a_active(), &mut ReplayGuard::default());
    assert!(matches!(r, Err(FedError::Malformed { ref field, .. }) if field == "sent_at"), "{r:?}");
    // Offsets other than Z are fine.
    let mut env = env_a_to_b(&ack("1"));
    env.sent_at = "2025-01-15T09:00:00-03:00".into();
    assert!(b_verifies(&sign_envelope(&a(), env), &a_active(), &mut ReplayGuard::default()).is_ok());
}

#[test]
fn replayed_nonce_is_rejected() {
    let mut guard = ReplayGuard::default();
    let env = sign_envelope(&a(), env_a_to_b(&ack("1")));
    assert!(b_verifies(&env, &a_active(), &mut guard).is_ok());
    let err = b_verifies(&env, &a_active(), &mut guard).unwrap_err();
    assert!(matches!(err, FedError::Replay { .. }), "{err}");
    assert_eq!(err.http_status(), 409);
    // Also after a JSON round trip and a few seconds later.
    let again = Envelope::from_slice(env.to_json().as_bytes()).expect("parses");
    let r = verify_envelope(&again, &id(&b()), &a_active(), NOW + Duration::seconds(10), DEFAULT_WINDOW, &mut guard);
    assert!(matches!(r, Err(FedError::Replay { .. })));
    // A fresh nonce is fine.
    let env2 = sign_envelope(&a(), Envelope::new(id(&a()), id(&b()), NOW, nonce(50), &ack("1")));
    assert!(b_verifies(&env2, &a_active(), &mut guard).is_ok());
    // The same nonce from another peer is a different message.
    let peers = dir_with(&[(&a(), PeerStatus::Active), (&c(), PeerStatus::Active)]);
    let env3 = sign_envelope(&c(), Envelope::new(id(&c()), id(&b()), NOW, nonce(0), &ack("1")));
    assert!(b_verifies(&env3, &peers, &mut guard).is_ok());
    // A rejected (forged) message does not burn the nonce.
    let mut forged = sign_envelope(&a(), Envelope::new(id(&a()), id(&b()), NOW, nonce(200), &ack("1")));
    forged.body["up_to"] = json!("9");
    assert!(b_verifies(&forged, &a_active(), &mut guard).is_err());
    let genuine = sign_envelope(&a(), Envelope::new(id(&a()), id(&b()), NOW, nonce(200), &ack("1")));
    assert!(b_verifies(&genuine, &a_active(), &mut guard).is_ok());
}

#[test]
fn expired_and_revoked_keys_are_rejected() {
    let env = sign_envelope(&a(), env_a_to_b(&ack("1")));
    let mut peers = a_active();
    peers.get_mut(&id(&a())).expect("a").expires_at = Some(NOW - Duration::seconds(1));
    let err = b_verifies(&env, &peers, &mut ReplayGuard::default()).unwrap_err();
    assert_eq!(err, FedError::Expired { node: id(&a()).to_string(), expired_at: "2025-01-15T11:59:59Z".into() });
    peers.get_mut(&id(&a())).expect("a").expires_at = Some(NOW);
    assert!(matches!(b_verifies(&env, &peers, &mut ReplayGuard::default()), Err(FedError::Expired { .. })));
    peers.get_mut(&id(&a())).expect("a").expires_at = Some(NOW + Duration::days(30));
    assert!(b_verifies(&env, &peers, &mut ReplayGuard::default()).is_ok());
    peers.get_mut(&id(&a())).expect("a").revoked = true;
    assert_eq!(
        b_verifies(&env, &peers, &mut ReplayGuard::default()).unwrap_err(),
        FedError::Revoked { node: id(&a()).to_string() }
    );
}

#[test]
fn peering_needs_both_sides() {
    // C (unknown to B) asks to peer.
    let req = Message::PeerRequest(PeerRequest {
        name: "CSIRT C".into(),
        country: Some(cc("CL")),
        url: "https://c.example".into(),
        message: Some("hello from C".into()),
    });
    let env = sign_envelope(&c(), Envelope::new(id(&c()), id(&b()), NOW, nonce(3), &req));
    let b_peers = PeerDirectory::new();
    assert!(matches!(b_verifies(&env, &b_peers, &mut ReplayGuard::default()), Err(FedError::UnknownPeer { .. })));
    let mut guard = ReplayGuard::default();
    let v = verify_peer_request(&env, &id(&b()), &b_peers, NOW, DEFAULT_WINDOW, &mut guard).expect("self-signed request");
    assert_eq!(v.message, req);
    // What B's administrators compare out of band.
    assert_eq!(v.from.fingerprint(), fingerprint_of(c().verifying_key().as_bytes()));
    assert!(matches!(
        verify_peer_request(&env, &id(&b()), &b_peers, NOW, DEFAULT_WINDOW, &mut guard),
        Err(FedError::Replay { .. })
    ));
    // Forged request (body changed) fails.
    let mut forged = env.clone();
    forged.body["url"] = json!("https://evil.example");
    assert!(matches!(
        verify_peer_request(&forged, &id(&b()), &b_peers, NOW, DEFAULT_WINDOW, &mut ReplayGuard::default()),
        Err(FedError::BadSignature { .. })
    ));
    // Only peer requests go through this door.
    let push = sign_envelope(&c(), Envelope::new(id(&c()), id(&b()), NOW, nonce(4), &ack("1")));
    assert!(matches!(
        verify_peer_request(&push, &id(&b()), &b_peers, NOW, DEFAULT_WINDOW, &mut ReplayGuard::default()),
        Err(FedError::Malformed { ref field, .. }) if field == "kind"
    ));
    // A revoked node cannot ask again.
    let revoked: PeerDirectory = [PeerKey { node: id(&c()), status: PeerStatus::Known, expires_at: None, revoked: true }].into_iter().collect();
    assert!(matches!(
        verify_peer_request(&env, &id(&b()), &revoked, NOW, DEFAULT_WINDOW, &mut ReplayGuard::default()),
        Err(FedError::Revoked { .. })
    ));
    // B's administrators accept: B records C as Active and tells C; C had recorded B as Requested.
    let accept = Message::PeerAccept(PeerAccept { name: "CSIRT B".into(), country: Some(cc("BR")), url: "https://b.example".into() });
    let env = sign_envelope(&b(), Envelope::new(id(&b()), id(&c()), NOW, nonce(5), &accept));
    let c_peers = dir_with(&[(&b(), PeerStatus::Requested)]);
    let v = verify_envelope(&env, &id(&c()), &c_peers, NOW, DEFAULT_WINDOW, &mut ReplayGuard::default()).expect("accept");
    assert_eq!(v.message, accept);
}

#[test]
fn unsupported_versions_are_rejected_specifically() {
    let env = sign_envelope(&a(), env_a_to_b(&ack("1")));
    let mut v: Value = serde_json::to_value(&env).expect("json");
    v["version"] = json!(2);
    v["something_new"] = json!(true);
    let err = Envelope::from_slice(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(err, FedError::UnsupportedVersion { got: 2, supported: 1 });
    assert_eq!(err.code(), "unsupported_version");
    v["version"] = json!(0);
    assert!(matches!(Envelope::from_slice(v.to_string().as_bytes()), Err(FedError::UnsupportedVersion { got: 0, .. })));
    v["version"] = json!("1");
    assert!(matches!(Envelope::from_slice(v.to_string().as_bytes()), Err(FedError::Malformed { ref field, .. }) if field == "version"));
    // A struct built by hand with another version is refused by the verifier too.
    let mut env2 = env_a_to_b(&ack("1"));
    env2.version = 9;
    let env2 = sign_envelope(&a(), env2);
    assert!(matches!(
        b_verifies(&env2, &a_active(), &mut ReplayGuard::default()),
        Err(FedError::UnsupportedVersion { got: 9, .. })
    ));
}

#[test]
fn malformed_envelopes_name_the_field() {
    let env = sign_envelope(&a(), env_a_to_b(&ack("1")));
    let good: Value = serde_json::to_value(&env).expect("json");
    let field_of = |v: &Value| match Envelope::from_slice(v.to_string().as_bytes()) {
        Err(FedError::Malformed { field, .. }) => field,
        other => panic!("expected malformed, got {other:?}"),
    };
    let mut v = good.clone();
    v["nonce"] = json!("short");
    assert_eq!(field_of(&v), "nonce");
    let mut v = good.clone();
    v["from"] = json!("AAAA");
    assert_eq!(field_of(&v), "from");
    let mut v = good.clone();
    v["kind"] = json!("gossip");
    assert_eq!(field_of(&v), "kind");
    let mut v = good.clone();
    v["extra"] = json!(1);
    assert_eq!(field_of(&v), "extra");
    let mut v = good.clone();
    v.as_object_mut().expect("obj").remove("signature");
    assert_eq!(field_of(&v), "envelope");
    assert!(matches!(Envelope::from_slice(b"{not json"), Err(FedError::Malformed { .. })));
    assert!(matches!(Envelope::from_slice(b"[]"), Err(FedError::Malformed { .. })));
    assert!(matches!(Envelope::from_slice(b""), Err(FedError::Malformed { .. })));

    // Bodies: checked after the signature, naming the body field.
    let body_field = |kind: MessageKind, body: Value| {
        let mut e = env_a_to_b(&ack("1"));
        e.kind = kind;
        e.body = body;
        let e = sign_envelope(&a(), e);
        match b_verifies(&e, &a_active(), &mut ReplayGuard::default()) {
            Err(FedError::Malformed { field, .. }) => field,
            other => panic!("expected malformed, got {other:?}"),
        }
    };
    assert_eq!(body_field(MessageKind::PullRequest, json!({"cursor": null, "limit": 0})), "body.limit");
    assert_eq!(body_field(MessageKind::PullRequest, json!({"cursor": null, "limit": -1})), "body.limit");
    assert_eq!(body_field(MessageKind::PullRequest, json!({"limit": 10})), "body");
    assert_eq!(body_field(MessageKind::Ack, json!({"up_to": "a b", "rejected": []})), "body.up_to");
    assert_eq!(body_field(MessageKind::Push, json!({"items": [{"type": "gossip"}], "after": null, "cursor": "1"})), "body.items[0].type");
    assert_eq!(body_field(MessageKind::Push, json!({"items": [42], "after": null, "cursor": "1"})), "body.items[0]");
    assert_eq!(body_field(MessageKind::Push, json!("items")), "body");
    assert_eq!(body_field(MessageKind::Push, json!({"items": [], "cursor": "1"})), "body");
    assert_eq!(body_field(MessageKind::Push, json!({"items": [], "after": "\n", "cursor": "1"})), "body.after");
    assert_eq!(body_field(MessageKind::PeerRequest, json!({"name": "x", "country": "uy", "url": "https://x", "message": null})), "body.country");
    assert_eq!(body_field(MessageKind::PeerRequest, json!({"name": "x", "country": null, "url": "ftp://x", "message": null})), "body.url");
    let too_many: Vec<Value> = (0..=MAX_BATCH_ITEMS).map(|_| json!({})).collect();
    assert_eq!(body_field(MessageKind::PullResponse, json!({"items": too_many, "next_cursor": "1", "more": true})), "body.items");
    let item = serde_json::to_value(object_version(&a(), atalaya_model::Tlp::Green, Distribution::network())).expect("json");
    assert_eq!(body_field(MessageKind::Retract, json!({"retractions": [item]})), "body.retractions[0].type");
}

#[test]
fn errors_have_codes_statuses_and_one_line_messages() {
    let all = [
        (FedError::UnknownPeer { node: "n".into() }, "unknown_peer", 403),
        (FedError::BadSignature { what: "envelope", signer: "n".into() }, "bad_signature", 401),
        (FedError::Replay { node: "n".into(), nonce: "x".into() }, "replay", 409),
        (FedError::Expired { node: "n".into(), expired_at: "t".into() }, "expired", 403),
        (FedError::Revoked { node: "n".into() }, "revoked", 403),
        (FedError::OutOfWindow { sent_at: "t".into(), now: "u".into(), window_secs: 300 }, "out_of_window", 401),
        (FedError::WrongRecipient { to: "x".into(), us: "y".into() }, "wrong_recipient", 421),
        (FedError::Malformed { field: "body.limit".into(), reason: "must be 1 to 500".into() }, "malformed", 400),
        (FedError::UnsupportedVersion { got: 2, supported: 1 }, "unsupported_version", 400),
        (FedError::NotOwner { what: "x".into(), owner: "o".into(), claimed: "c".into() }, "not_owner", 403),
    ];
    for (e, code, status) in all {
        assert_eq!(e.code(), code);
        assert_eq!(e.http_status(), status);
        let msg = e.to_string();
        assert!(!msg.contains('\n') && !msg.is_empty(), "{msg}");
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Arbitrary bytes never panic the parser.
        #[test]
        fn arbitrary_bytes_do_not_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Envelope::from_slice(&bytes);
        }

        /// Mutating any member of a valid signed envelope to an arbitrary JSON scalar never panics
        /// and never verifies.
        #[test]
        fn mutated_envelopes_are_refused(member in 0usize..8, s in ".{0,40}", n in any::<i64>(), b in any::<bool>(), which in 0u8..4) {
            let item = object_version(&a(), atalaya_model::Tlp::Amber, Distribution::network());
            let env = sign_envelope(&a(), env_a_to_b(&Message::Push(Push { items: vec![item], after: None, cursor: "1".into() })));
            let mut v = serde_json::to_value(&env).unwrap();
            let keys = ["version", "from", "to", "sent_at", "nonce", "kind", "body", "signature"];
            let replacement = match which { 0 => json!(s), 1 => json!(n), 2 => json!(b), _ => Value::Null };
            if v[keys[member]] == replacement { return Ok(()); }
            v[keys[member]] = replacement;
            if let Ok(e) = Envelope::from_slice(v.to_string().as_bytes()) {
                prop_assert!(b_verifies(&e, &a_active(), &mut ReplayGuard::default()).is_err());
            }
        }

        /// Mutating a field deep inside a pushed item never panics; if the envelope is re-signed
        /// (a malicious peer) the item's origin signature or its checks still refuse it.
        #[test]
        fn mutated_items_are_refused(field in 0usize..8, s in ".{0,40}") {
            let item = object_version(&a(), atalaya_model::Tlp::Amber, Distribution::network());
            let mut iv = serde_json::to_value(&item).unwrap();
            let keys = ["origin", "owner_org", "stix_id", "version", "tlp", "distribution", "object", "origin_signature"];
            if iv[keys[field]] == json!(s) { return Ok(()); }
            iv[keys[field]] = json!(s);
            let mut e = env_a_to_b(&ack("1"));
            e.kind = MessageKind::Push;
            e.body = json!({"items": [iv], "after": null, "cursor": "1"});
            let e = sign_envelope(&c(), e);
            let peers = dir_with(&[(&a(), PeerStatus::Known), (&c(), PeerStatus::Active)]);
            match verify_envelope(&e, &id(&b()), &peers, NOW, DEFAULT_WINDOW, &mut ReplayGuard::default()) {
                Err(_) => {}
                Ok(v) => match v.message {
                    Message::Push(p) => prop_assert!(verify_item(&p.items[0], &peers, NOW).is_err()),
                    _ => prop_assert!(false),
                },
            }
        }
    }
}

#[test]
fn node_info_document() {
    let info = NodeInfo::new(id(&a()), "CERT A".into(), Some(cc("AR")), "https://a.example".into());
    info.check().expect("consistent");
    assert_eq!(info.protocol_versions, vec![PROTOCOL_VERSION]);
    let v = serde_json::to_value(&info).expect("json");
    assert_eq!(v["fingerprint"], json!(a_fingerprint()));
    let back: NodeInfo = serde_json::from_value(v.clone()).expect("parses");
    assert_eq!(back, info);
    let mut bad = info.clone();
    bad.fingerprint = id(&b()).fingerprint();
    assert!(matches!(bad.check(), Err(FedError::Malformed { ref field, .. }) if field == "fingerprint"));
}

fn a_fingerprint() -> String {
    fingerprint_of(a().verifying_key().as_bytes())
}
