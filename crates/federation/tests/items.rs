//! Origin signatures on items: relays cannot alter what they forward.
mod common;
use atalaya_federation::*;
use atalaya_model::Tlp;
use common::*;
use serde_json::{json, Value};
use time::Duration;

fn known_a() -> PeerDirectory {
    // The receiver knows A only through a relay (C), which is an active peer.
    dir_with(&[(&a(), PeerStatus::Known), (&c(), PeerStatus::Active)])
}

fn parse(v: &Value) -> Result<Item, FedError> {
    Item::from_value_at(v, "item")
}

fn amber_to_states() -> Item {
    object_version(&a(), Tlp::Amber, Distribution::states([cc("UY"), cc("AR")]))
}

fn retraction(kind: RetractionKind, version: Option<&str>) -> Item {
    sign_item(
        &a(),
        Item::Retraction(Retraction {
            origin: id(&a()),
            stix_id: INDICATOR_ID.into(),
            version: version.map(str::to_string),
            reason: "shared by mistake".into(),
            kind,
            origin_signature: String::new(),
        }),
    )
}

fn directory_entry(deleted: bool) -> Item {
    sign_item(
        &a(),
        Item::DirectoryEntry(DirectoryEntry {
            origin: id(&a()),
            org_id: org(1),
            entry_type: EntryType::Organisation,
            entry_id: EntryId(uuid::Uuid::from_u128(1)),
            version: 3,
            tlp: Tlp::Green,
            deleted,
            entry: if deleted { Value::Null } else { json!({"name": "CERT A", "country": "AR"}) },
            origin_signature: String::new(),
        }),
    )
}

fn contribution() -> Item {
    sign_item(
        &b(),
        Item::Contribution(Contribution {
            from: id(&b()),
            target_origin: id(&a()),
            target_stix_id: INDICATOR_ID.into(),
            object: json!({
                "type": "sighting", "spec_version": "2.1",
                "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
                "created": "2025-01-15T11:30:00Z", "modified": "2025-01-15T11:30:00Z",
                "sighting_of_ref": INDICATOR_ID, "count": 3
            }),
            origin_signature: String::new(),
        }),
    )
}

fn all_items() -> Vec<Item> {
    vec![
        amber_to_states(),
        retraction(RetractionKind::Revoke, None),
        retraction(RetractionKind::Delete, Some("2025-01-15T11:00:00.000Z")),
        retraction(RetractionKind::Downgrade { distribution: Distribution::orgs([org(5)]) }, None),
        directory_entry(false),
        directory_entry(true),
        contribution(),
    ]
}

#[test]
fn items_sign_verify_and_round_trip_exactly() {
    let peers = dir_with(&[(&a(), PeerStatus::Known), (&b(), PeerStatus::Active)]);
    for item in all_items() {
        verify_item(&item, &peers, NOW).unwrap_or_else(|e| panic!("{item:?}: {e}"));
        let v = serde_json::to_value(&item).expect("json");
        let back = parse(&v).expect("parses");
        assert_eq!(back, item);
        // Parsing and re-serialising is the identity: relays forward exactly what was signed.
        assert_eq!(serde_json::to_value(&back).expect("json"), v);
        // Through serde's Deserialize too.
        let back2: Item = serde_json::from_value(v.clone()).expect("deserialize");
        assert_eq!(back2, item);
        verify_item(&back, &peers, NOW).expect("still verifies");
    }
}

#[test]
fn wire_shapes() {
    let v = serde_json::to_value(amber_to_states()).expect("json");
    assert_eq!(v["type"], "object_version");
    assert_eq!(v["tlp"], "TLP:AMBER");
    assert_eq!(
        v["distribution"],
        json!({"organisations": [], "states": ["UY", "AR"], "groups": [], "network": false, "named_users": []})
    );
    let r = serde_json::to_value(retraction(RetractionKind::Downgrade { distribution: Distribution::network() }, None)).expect("json");
    assert_eq!(r["type"], "retraction");
    assert_eq!(r["version"], Value::Null);
    assert_eq!(r["kind"]["action"], "downgrade");
    assert_eq!(r["kind"]["distribution"]["network"], true);
    let r = serde_json::to_value(retraction(RetractionKind::Revoke, None)).expect("json");
    assert_eq!(r["kind"], json!({"action": "revoke"}));
    assert_eq!(serde_json::to_value(contribution()).expect("json")["type"], "contribution");
    assert_eq!(serde_json::to_value(directory_entry(false)).expect("json")["entry_type"], "organisation");
}

/// A relay that changes anything in what it forwards is caught by the next node.
#[test]
fn relay_tampering_is_detected() {
    let original = amber_to_states();
    let peers = known_a();
    verify_item(&original, &peers, NOW).expect("genuine");
    let Item::ObjectVersion(ov) = original.clone() else { unreachable!() };

    let bad_sig = |i: &Item| matches!(verify_item(i, &peers, NOW), Err(FedError::BadSignature { what: "origin", .. }));

    // Object changed.
    let mut t = ov.clone();
    t.object["pattern"] = json!("[ipv4-addr:value = '198.51.100.1']");
    assert!(bad_sig(&Item::ObjectVersion(t)));
    // Object member added.
    let mut t = ov.clone();
    t.object["x_relay_note"] = json!("hi");
    assert!(bad_sig(&Item::ObjectVersion(t)));
    // Distribution widened: to the whole network, to another state, to an extra organisation.
    let mut t = ov.clone();
    t.distribution.network = true;
    assert!(bad_sig(&Item::ObjectVersion(t)));
    let mut t = ov.clone();
    t.distribution.states.push(cc("BR"));
    assert!(bad_sig(&Item::ObjectVersion(t)));
    let mut t = ov.clone();
    t.distribution.organisations.push(org(9));
    assert!(bad_sig(&Item::ObjectVersion(t)));
    // TLP lowered, marking inside the object lowered with it.
    let mut t = ov.clone();
    t.tlp = Tlp::Green;
    t.object["object_marking_refs"] = json!([Tlp::Green.marking_definition_id()]);
    assert!(bad_sig(&Item::ObjectVersion(t)));
    // TLP lowered in the metadata only: disagrees with the object's marking.
    let mut t = ov.clone();
    t.tlp = Tlp::Clear;
    assert!(matches!(verify_item(&Item::ObjectVersion(t), &peers, NOW), Err(FedError::Malformed { ref field, .. }) if field == "item.tlp"));
    // Owner organisation changed.
    let mut t = ov.clone();
    t.owner_org = org(2);
    assert!(bad_sig(&Item::ObjectVersion(t)));
    // Version changed (object and metadata consistently).
    let mut t = ov.clone();
    t.version = "2025-01-15T11:00:01.000Z".into();
    t.object["modified"] = json!("2025-01-15T11:00:01.000Z");
    assert!(bad_sig(&Item::ObjectVersion(t)));
    // The relay re-signs with its own key but keeps A as origin: fails.
    let Item::ObjectVersion(mut t) = sign_item(&c(), original.clone()) else { unreachable!() };
    t.origin = id(&a());
    assert!(bad_sig(&Item::ObjectVersion(t)));
    // The relay re-signs as itself: the signature is valid, but it does not own the object.
    let stolen = sign_item(&c(), original.clone());
    verify_item(&stolen, &peers, NOW).expect("C's own signature");
    assert_eq!(
        check_ownership(&stolen, Some(&id(&a()))),
        Err(FedError::NotOwner { what: INDICATOR_ID.into(), owner: id(&a()).to_string(), claimed: id(&c()).to_string() })
    );
    // Downgrade retraction: a relay widening the new distribution is caught.
    let Item::Retraction(mut r) = retraction(RetractionKind::Downgrade { distribution: Distribution::orgs([org(5)]) }, None) else {
        unreachable!()
    };
    r.kind = RetractionKind::Downgrade { distribution: Distribution::network() };
    assert!(bad_sig(&Item::Retraction(r)));
    // A retraction turned into a deletion of everything.
    let Item::Retraction(mut r) = retraction(RetractionKind::Revoke, Some("2025-01-15T11:00:00.000Z")) else { unreachable!() };
    r.kind = RetractionKind::Delete;
    r.version = None;
    assert!(bad_sig(&Item::Retraction(r)));
    // Directory entries and contributions too.
    let Item::DirectoryEntry(mut d) = directory_entry(false) else { unreachable!() };
    d.entry["name"] = json!("Evil Corp");
    assert!(bad_sig(&Item::DirectoryEntry(d)));
    let Item::Contribution(mut k) = contribution() else { unreachable!() };
    k.object["count"] = json!(3000);
    let peers_b = dir_with(&[(&b(), PeerStatus::Known)]);
    assert!(matches!(verify_item(&Item::Contribution(k), &peers_b, NOW), Err(FedError::BadSignature { .. })));
}

#[test]
fn item_signer_must_be_known_and_usable() {
    let item = amber_to_states();
    assert!(matches!(verify_item(&item, &PeerDirectory::new(), NOW), Err(FedError::UnknownPeer { .. })));
    let mut peers = known_a();
    peers.get_mut(&id(&a())).expect("a").expires_at = Some(NOW - Duration::hours(1));
    assert!(matches!(verify_item(&item, &peers, NOW), Err(FedError::Expired { .. })));
    peers.get_mut(&id(&a())).expect("a").expires_at = None;
    peers.get_mut(&id(&a())).expect("a").revoked = true;
    assert!(matches!(verify_item(&item, &peers, NOW), Err(FedError::Revoked { .. })));
}

#[test]
fn item_parsing_is_strict() {
    let good = serde_json::to_value(amber_to_states()).expect("json");
    let err_field = |mutate: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        mutate(&mut v);
        match parse(&v) {
            Err(FedError::Malformed { field, .. }) => field,
            other => panic!("expected malformed, got {other:?}"),
        }
    };
    assert_eq!(err_field(&|v| v["distribution"]["states"][1] = json!("uy")), "item.distribution.states[1]");
    assert_eq!(err_field(&|v| v["distribution"]["organisations"] = json!(["6F9619FF-8B86-D011-B42D-00C04FC964FF"])), "item.distribution.organisations[0]");
    assert_eq!(err_field(&|v| { v["distribution"].as_object_mut().unwrap().remove("named_users"); }), "item.distribution");
    assert_eq!(err_field(&|v| v["distribution"]["colour"] = json!("blue")), "item.distribution.colour");
    assert_eq!(err_field(&|v| v["tlp"] = json!("AMBER")), "item.tlp");
    assert_eq!(err_field(&|v| v["tlp"] = json!("TLP:PINK")), "item.tlp");
    assert_eq!(err_field(&|v| v["origin"] = json!("nope")), "item.origin");
    assert_eq!(err_field(&|v| v["extra"] = json!(1)), "item.extra");
    assert_eq!(err_field(&|v| v["stix_id"] = json!("indicator-x")), "item.stix_id");
    assert_eq!(err_field(&|v| v["object"]["id"] = json!("indicator--00000000-0000-4000-8000-000000000000")), "item.object.id");
    assert_eq!(err_field(&|v| v["version"] = json!("2025-01-15T11:00:00Z")), "item.version");
    assert_eq!(err_field(&|v| v["object"] = json!([1])), "item.object");
    assert_eq!(
        err_field(&|v| v["object"]["object_marking_refs"] = json!([Tlp::Amber.marking_definition_id(), Tlp::Red.marking_definition_id()])),
        "item.object.object_marking_refs"
    );
    assert_eq!(err_field(&|v| v["origin_signature"] = json!("AAAA")), "item.origin_signature");
    assert_eq!(err_field(&|v| { v.as_object_mut().unwrap().remove("type"); }), "item.type");
    // A retraction's `version` must be present (null for every version), and its kind exact.
    let r = serde_json::to_value(retraction(RetractionKind::Revoke, None)).expect("json");
    let mut missing = r.clone();
    missing.as_object_mut().unwrap().remove("version");
    assert!(matches!(parse(&missing), Err(FedError::Malformed { .. })));
    let mut extra = r.clone();
    extra["kind"]["distribution"] = json!({});
    assert!(matches!(parse(&extra), Err(FedError::Malformed { ref field, .. }) if field.starts_with("item.kind")), "{:?}", parse(&extra));
    let mut unknown = r.clone();
    unknown["kind"] = json!({"action": "explode"});
    assert!(matches!(parse(&unknown), Err(FedError::Malformed { .. })));
    // Directory entries: deleted ⇔ entry null.
    let mut d = serde_json::to_value(directory_entry(true)).expect("json");
    d["entry"] = json!({"name": "x"});
    assert!(matches!(parse(&d), Err(FedError::Malformed { ref field, .. }) if field == "item.entry"));
    // Objects without TLP markings take the item's TLP; SCOs are unversioned ("").
    let sco = sign_item(
        &a(),
        Item::ObjectVersion(ObjectVersion {
            origin: id(&a()),
            owner_org: org(1),
            stix_id: "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd".into(),
            version: String::new(),
            tlp: Tlp::Green,
            distribution: Distribution::network(),
            object: json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "203.0.113.7"}),
            origin_signature: String::new(),
        }),
    );
    verify_item(&sco, &known_a(), NOW).expect("sco");
}

#[test]
fn idempotency_keys() {
    let v1 = amber_to_states();
    // The same version re-signed (deterministic Ed25519) has the same key.
    assert_eq!(v1.key(), amber_to_states().key());
    assert_eq!(
        v1.key(),
        ItemKey::ObjectVersion { origin: id(&a()), stix_id: INDICATOR_ID.into(), version: "2025-01-15T11:00:00.000Z".into() }
    );
    // Another distribution of the same (origin, stix_id, version) is the same key: applied once.
    assert_eq!(object_version(&a(), Tlp::Amber, Distribution::network()).key(), v1.key());
    let r1 = retraction(RetractionKind::Revoke, None);
    let r2 = retraction(RetractionKind::Delete, None);
    assert_eq!(r1.key(), retraction(RetractionKind::Revoke, None).key());
    assert_ne!(r1.key(), r2.key());
    assert!(matches!(directory_entry(false).key(), ItemKey::DirectoryEntry { version: 3, .. }));
    assert!(matches!(contribution().key(), ItemKey::Contribution { .. }));
}

#[test]
fn ownership() {
    let item = amber_to_states();
    assert_eq!(check_ownership(&item, None), Ok(()));
    assert_eq!(check_ownership(&item, Some(&id(&a()))), Ok(()));
    assert!(matches!(check_ownership(&item, Some(&id(&b()))), Err(FedError::NotOwner { .. })));
    assert!(matches!(check_ownership(&retraction(RetractionKind::Delete, None), Some(&id(&b()))), Err(FedError::NotOwner { .. })));
    assert!(matches!(check_ownership(&directory_entry(false), Some(&id(&c()))), Err(FedError::NotOwner { .. })));
    // Anyone may contribute (a sighting flows back to the origin).
    assert_eq!(check_ownership(&contribution(), Some(&id(&a()))), Ok(()));
}

#[test]
fn meta_of_items() {
    let m = amber_to_states().meta().expect("meta");
    assert_eq!(m.tlp, Tlp::Amber);
    assert_eq!(m.owner_org, org(1));
    let d = directory_entry(false).meta().expect("meta");
    assert!(d.distribution.network);
    assert!(retraction(RetractionKind::Revoke, None).meta().is_none());
    assert!(contribution().meta().is_none());
}

#[test]
fn malformed_message_names_the_path() {
    let mut v = serde_json::to_value(amber_to_states()).expect("json");
    v["distribution"]["states"][0] = json!("uy");
    let err = Item::from_value_at(&v, "body.items[2]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed body.items[2].distribution.states[0]: 'uy' is not an upper-case ISO 3166-1 alpha-2 code"
    );
}
