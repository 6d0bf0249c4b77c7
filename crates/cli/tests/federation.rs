//! Federation end to end: real `atalaya serve` processes on loopback peering with both
//! administrators' consent, then propagation by TLP and distribution, retraction, downgrade,
//! forged / replayed / unknown envelopes, restart catch-up, kill -9 during sync, and a relay
//! that alters an object (refused downstream).
use atalaya_federation::{self as fed, Message, NodeId};
use atalaya_testkit::{on_all_backends, Backend, TestNode};
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

async fn node(backend: Backend, name: &str, country: &str, relay: bool) -> TestNode {
    let mut env = vec![("ATALAYA_NODE_NAME", name), ("ATALAYA_COUNTRY", country)];
    if relay {
        env.push(("ATALAYA_FEDERATION_RELAY", "1"));
    }
    TestNode::start_with(bin(), backend, &env).await
}

async fn home_org(n: &TestNode) -> String {
    let (s, v) = n.get("/api/v1/node", Some(&n.admin_token)).await;
    assert_eq!(s, 200, "{v}");
    v["home_organisation"].as_str().expect("home organisation").to_string()
}

async fn peers(n: &TestNode) -> Vec<Value> {
    let (s, v) = n.get("/api/v1/federation/peers", Some(&n.admin_token)).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().cloned().unwrap_or_default()
}

/// `a` asks `b` (CLI), `b`'s administrator accepts (REST) after seeing the same fingerprint.
async fn peer(a: &TestNode, b: &TestNode, relay_flag_on_a: bool, relay_flag_on_b: bool) {
    let mut args = vec!["peer", "add", b.url.as_str()];
    if relay_flag_on_a {
        args.push("--relay");
    }
    let out = a.cli(&args);
    assert!(out.status.success(), "peer add: {}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8_lossy(&out.stdout).to_string();
    let b_fp = b.get("/federation/v1/node", None).await.1["fingerprint"].as_str().expect("fp").to_string();
    assert!(shown.contains(&b_fp), "peer add shows the other node's fingerprint: {shown}");
    let a_fp = a.get("/federation/v1/node", None).await.1["fingerprint"].as_str().expect("fp").to_string();
    let pending = peers(b).await.into_iter().find(|p| p["fingerprint"] == a_fp).expect("request listed on the other side");
    assert_eq!(pending["state"], "pending");
    let id = pending["id"].as_str().expect("id").to_string();
    let (s, v) = b.post(&format!("/api/v1/federation/peers/{id}/accept"), Some(&b.admin_token), &json!({"relay": relay_flag_on_b})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "active");
    wait("peering active on the asking side", Duration::from_secs(20), || async {
        peers(a).await.iter().any(|p| p["fingerprint"] == b_fp && p["state"] == "active")
    })
    .await;
}

async fn wait<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !f().await {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn count(n: &TestNode, stix_id: &str) -> i64 {
    n.sql_count(&format!("SELECT COUNT(*) FROM stix_objects WHERE stix_id = '{stix_id}'")).await
}

fn indicator(id: &str, tlp_marking: &str, name: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2025-01-10T09:00:00.000Z", "modified": "2025-01-10T09:00:00.000Z",
        "name": name, "pattern": "[ipv4-addr:value = '203.0.113.7']", "pattern_type": "stix",
        "valid_from": "2025-01-10T09:00:00Z", "object_marking_refs": [tlp_marking]
    })
}

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

async fn import(n: &TestNode, query: &str, objects: Vec<Value>) {
    let bundle = json!({"type": "bundle", "id": "bundle--0f0a6c62-7c10-4c8b-9fb5-52e4a3c7c0a1", "objects": objects});
    let (s, v) = n.post(&format!("/api/v1/stix/bundles{query}"), Some(&n.admin_token), &bundle).await;
    assert!(s == 200 || s == 201, "import: {s} {v}");
    assert_eq!(v["rejected"], 0, "{v}");
}

fn uuid_id(ty: &str) -> String {
    format!("{ty}--{}", uuid_v4())
}

fn uuid_v4() -> String {
    let b: [u8; 16] = rand::random();
    let h = b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!("{}-{}-4{}-8{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

async fn node_id(n: &TestNode) -> NodeId {
    NodeId::parse(n.get("/federation/v1/node", None).await.1["node_id"].as_str().expect("node id")).expect("node id")
}

async fn post_envelope(n: &TestNode, env: &fed::Envelope) -> (u16, Value) {
    let resp = n
        .client()
        .post(format!("{}/federation/v1/inbox", n.url))
        .header("content-type", "application/json")
        .body(env.to_json())
        .send()
        .await
        .expect("post");
    let s = resp.status().as_u16();
    (s, serde_json::from_str(&resp.text().await.unwrap_or_default()).unwrap_or(Value::Null))
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn key_of(n: &TestNode) -> SigningKey {
    let pem = std::fs::read_to_string(n.data_dir.path().join("node.key")).expect("node key");
    SigningKey::from_pkcs8_pem(&pem).expect("pkcs8")
}

on_all_backends!(mesh_propagation_tlp_retraction_downgrade, |backend: Backend| async move {
    // A (UY) and C (BR) on the backend under test; B (AR) always on SQLite: mixed backends.
    let a = node(backend, "CSIRT A", "UY", false).await;
    let b = node(Backend::Sqlite, "CSIRT B", "AR", false).await;
    let c = node(backend, "CSIRT C", "BR", false).await;
    peer(&a, &b, false, false).await;
    peer(&a, &c, false, false).await;
    peer(&b, &c, false, false).await;
    let (org_b, org_c) = (home_org(&b).await, home_org(&c).await);
    // Directory entries flow first: A learns which node hosts which organisation.
    wait("directory entries of B and C reach A", Duration::from_secs(30), || async {
        a.sql_count(&format!("SELECT COUNT(*) FROM fed_remote_orgs WHERE org_id IN ('{org_b}', '{org_c}')")).await == 2
    })
    .await;

    let green = uuid_id("indicator");
    let strict_b = uuid_id("indicator");
    let red = uuid_id("indicator");
    let amber_br = uuid_id("indicator");
    let later_narrowed = uuid_id("indicator");
    import(&a, "?network=true", vec![indicator(&green, GREEN, "green for all"), indicator(&later_narrowed, GREEN, "to be narrowed")]).await;
    import(&a, &format!("?organisations={org_b}"), vec![indicator(&strict_b, AMBER_STRICT, "strict for B")]).await;
    import(&a, "?network=true", vec![indicator(&red, RED, "red, nobody named")]).await;
    import(&a, "?states=BR", vec![indicator(&amber_br, AMBER, "amber for Brazil")]).await;
    let start = Instant::now();
    wait("GREEN reaches B and C; AMBER+STRICT reaches B; AMBER/BR reaches C", Duration::from_secs(30), || async {
        count(&b, &green).await == 1 && count(&c, &green).await == 1 && count(&b, &strict_b).await == 1 && count(&c, &amber_br).await == 1
    })
    .await;
    eprintln!("propagation to 2 nodes took {:?}", start.elapsed());
    // B may relay nothing (mesh): after a push round more, the refused ones are still absent.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count(&c, &strict_b).await, 0, "AMBER+STRICT only to the named organisation's node");
    assert_eq!(count(&b, &amber_br).await, 0, "AMBER for BR does not go to AR");
    assert_eq!(count(&b, &red).await + count(&c, &red).await, 0, "RED never leaves without named individuals");
    // Each received version carries A's origin signature and is owned by A's organisation.
    let org_a = home_org(&a).await;
    assert_eq!(b.sql_count(&format!("SELECT COUNT(*) FROM stix_objects WHERE stix_id = '{green}' AND owner_org = '{org_a}'")).await, 1);
    assert_eq!(b.sql_count(&format!("SELECT COUNT(*) FROM fed_origins WHERE stix_id = '{green}'")).await, 1);
    // Idempotent: the same item twice (push + pull) is stored once.
    assert_eq!(count(&c, &green).await, 1);
    // Readers on B see it through B's own policy.
    let (s, v) = b.get(&format!("/api/v1/stix/objects/{green}"), Some(&b.admin_token)).await;
    assert_eq!(s, 200, "{v}");

    // Retraction: A deletes the GREEN object; every node that received it deletes it.
    let (s, v) = a.post("/api/v1/federation/retractions", Some(&a.admin_token), &json!({"stix_id": green, "action": "delete", "reason": "shared by mistake"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["notified"].as_array().map(Vec::len), Some(2), "{v}");
    wait("deletion reaches B and C", Duration::from_secs(20), || async { count(&b, &green).await == 0 && count(&c, &green).await == 0 }).await;
    // Downgrade: narrowed to B's organisation; C no longer qualifies and deletes it, B keeps it.
    wait("narrowable object on B and C", Duration::from_secs(20), || async { count(&b, &later_narrowed).await == 1 && count(&c, &later_narrowed).await == 1 }).await;
    let (s, v) = a
        .post("/api/v1/federation/retractions", Some(&a.admin_token), &json!({"stix_id": later_narrowed, "action": "downgrade", "reason": "need to know", "distribution": {"organisations": [org_b]}}))
        .await;
    assert_eq!(s, 200, "{v}");
    wait("downgrade: C deletes", Duration::from_secs(20), || async { count(&c, &later_narrowed).await == 0 }).await;
    assert_eq!(count(&b, &later_narrowed).await, 1, "B still qualifies and keeps it");
    // A re-publication of the deleted object by a replay of the old item is not resurrected:
    // the tombstone stays (pull again from scratch would skip it).
    assert_eq!(c.sql_count(&format!("SELECT COUNT(*) FROM fed_origins WHERE stix_id = '{later_narrowed}' AND deleted = 1")).await, 1);

    // Operator view: lag and contact.
    let pa = peers(&a).await;
    assert!(pa.iter().all(|p| p["state"] == "active" && !p["last_contact"].is_null()), "{pa:?}");
    let out = a.cli(&["peer", "list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("CSIRT B"));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_and_unknown_envelopes_are_refused_and_audited() {
    let a = node(Backend::Sqlite, "CSIRT A", "UY", false).await;
    let b = node(Backend::Sqlite, "CSIRT B", "AR", false).await;
    peer(&a, &b, false, false).await;
    let to = node_id(&b).await;
    let stranger = SigningKey::generate(&mut rand::rngs::OsRng);
    let ack = Message::Ack(fed::Ack { up_to: "1.0".into(), rejected: vec![] });
    // Unknown sender.
    let env = fed::seal(&stranger, &to, now(), &mut rand::rngs::OsRng, &ack);
    let (s, v) = post_envelope(&b, &env).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("unknown_peer")), "{v}");
    // Forged: claims to be A, signed by someone else.
    let mut forged = fed::seal(&stranger, &to, now(), &mut rand::rngs::OsRng, &ack);
    forged.from = node_id(&a).await;
    let (s, v) = post_envelope(&b, &forged).await;
    assert_eq!((s, v["code"].as_str()), (401, Some("bad_signature")), "{v}");
    // Replayed: a genuine envelope from A (A's key), sent twice.
    let real = fed::seal(&key_of(&a), &to, now(), &mut rand::rngs::OsRng, &ack);
    let (s, _) = post_envelope(&b, &real).await;
    assert_eq!(s, 204);
    let (s, v) = post_envelope(&b, &real).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("replay")), "{v}");
    // Out of the time window.
    let old = fed::seal(&key_of(&a), &to, now() - time::Duration::minutes(10), &mut rand::rngs::OsRng, &ack);
    let (s, v) = post_envelope(&b, &old).await;
    assert_eq!((s, v["code"].as_str()), (401, Some("out_of_window")), "{v}");
    // Addressed to another node.
    let wrong = fed::seal(&key_of(&a), &node_id(&a).await, now(), &mut rand::rngs::OsRng, &ack);
    let (s, v) = post_envelope(&b, &wrong).await;
    assert_eq!((s, v["code"].as_str()), (421, Some("wrong_recipient")), "{v}");
    // A newer protocol version.
    let mut newer: Value = serde_json::from_str(&real.to_json()).expect("json");
    newer["version"] = json!(2);
    let resp = b.client().post(format!("{}/federation/v1/inbox", b.url)).header("content-type", "application/json").body(newer.to_string()).send().await.expect("post");
    assert_eq!(resp.status().as_u16(), 400);
    let v: Value = resp.json().await.expect("problem");
    assert_eq!(v["code"], "unsupported_version");
    assert_eq!(v["supported"], json!([1]));
    // Not JSON.
    let resp = b.client().post(format!("{}/federation/v1/inbox", b.url)).header("content-type", "text/plain").body("hi").send().await.expect("post");
    assert_eq!(resp.status().as_u16(), 415);
    // Every refusal is in the audit log.
    let refused = b.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'federation.refused'").await;
    assert!(refused >= 5, "refusals audited: {refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_peer_catches_up_and_kill9_loses_nothing() {
    let a = node(Backend::Sqlite, "CSIRT A", "UY", false).await;
    let mut b = node(Backend::Sqlite, "CSIRT B", "AR", false).await;
    peer(&a, &b, false, false).await;
    b.stop();
    // Published while B is down.
    let ids: Vec<String> = (0..50).map(|_| uuid_id("indicator")).collect();
    import(&a, "?network=true", ids.iter().map(|id| indicator(id, GREEN, "while B was down")).collect()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    b.restart_same_port();
    wait("B catches up after restart", Duration::from_secs(60), || async {
        b.sql_count("SELECT COUNT(*) FROM fed_origins").await >= ids.len() as i64
    })
    .await;
    // kill -9 of the receiver in the middle of a larger sync: nothing lost, nothing twice.
    let many: Vec<String> = (0..3000).map(|_| uuid_id("indicator")).collect();
    import(&a, "?network=true", many.iter().map(|id| indicator(id, GREEN, "bulk")).collect()).await;
    wait("sync under way", Duration::from_secs(60), || async { b.sql_count("SELECT COUNT(*) FROM fed_origins").await > ids.len() as i64 }).await;
    b.kill9();
    b.restart_same_port();
    let total = (ids.len() + many.len()) as i64;
    wait("everything arrives after kill -9", Duration::from_secs(120), || async { b.sql_count("SELECT COUNT(*) FROM fed_origins").await >= total }).await;
    assert_eq!(b.sql_count("SELECT COUNT(*) FROM fed_origins").await, total, "no duplicates");
    let dupes = b.sql_count("SELECT COUNT(*) FROM (SELECT stix_id FROM stix_objects GROUP BY stix_id HAVING COUNT(*) > 1) d").await;
    assert_eq!(dupes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_forwards_verbatim_and_altered_items_are_refused() {
    let a = node(Backend::Sqlite, "CSIRT A", "UY", false).await;
    let r = node(Backend::Sqlite, "Secretariat relay", "US", true).await;
    let c = node(Backend::Sqlite, "CSIRT C", "BR", false).await;
    peer(&a, &r, true, false).await;
    peer(&c, &r, true, false).await;
    let obj = uuid_id("indicator");
    import(&a, "?network=true", vec![indicator(&obj, GREEN, "through the hub")]).await;
    wait("object reaches C through the relay", Duration::from_secs(30), || async { count(&c, &obj).await == 1 }).await;
    let a_id = node_id(&a).await;
    // C knows A (introduced by the relay) and holds A's origin signature, untouched.
    assert_eq!(c.sql_count(&format!("SELECT COUNT(*) FROM fed_origins WHERE stix_id = '{obj}' AND origin = '{a_id}'")).await, 1);
    // The relay alters an object of A (widens nothing, just the name) and pushes it to C
    // wrapped in its own, validly signed envelope: C refuses the item (bad origin signature).
    let sig: String = {
        let resp = c.sql_count(&format!("SELECT COUNT(*) FROM fed_peers WHERE node_id = '{a_id}' AND state = 'known'")).await;
        assert_eq!(resp, 1, "A is known to C through the relay");
        String::new()
    };
    let _ = sig;
    let victim = uuid_id("indicator");
    let good = fed::sign_item(
        &key_of(&a),
        fed::Item::ObjectVersion(fed::ObjectVersion {
            origin: a_id.clone(),
            owner_org: fed::OrgId(uuid_parse(&home_org(&a).await)),
            stix_id: victim.clone(),
            version: "2025-01-10T09:00:00.000Z".into(),
            tlp: atalaya_model_tlp_green(),
            distribution: fed::Distribution::network(),
            object: indicator(&victim, GREEN, "original"),
            origin_signature: String::new(),
        }),
    );
    let mut altered = good.clone();
    if let fed::Item::ObjectVersion(o) = &mut altered {
        o.object["name"] = json!("altered by the relay");
    }
    let c_id = node_id(&c).await;
    let r_peer = peers(&c).await.into_iter().find(|p| p["name"] == "Secretariat relay").expect("relay peer");
    assert!(!r_peer["applied"].is_null(), "C applied batches of the relay already");
    // `after: null` does not match C's cursor for the relay: C applies (verifies) the items
    // but keeps its cursor.
    let push = Message::Push(fed::Push { items: vec![altered], after: None, cursor: "999999.999999".into() });
    let env = fed::seal(&key_of(&r), &c_id, now(), &mut rand::rngs::OsRng, &push);
    let (s, v) = post_envelope(&c, &env).await;
    assert_eq!(s, 200, "{v}");
    let ack = v["body"]["rejected"].as_array().cloned().unwrap_or_default();
    assert_eq!(ack.len(), 1, "{v}");
    assert_eq!(ack[0]["code"], "bad_signature");
    assert_eq!(count(&c, &victim).await, 0, "the altered object is not stored");
}

fn uuid_parse(s: &str) -> fed_uuid::Uuid {
    fed_uuid::Uuid::parse_str(s).expect("uuid")
}

mod fed_uuid {
    pub use ::uuid::Uuid;
}

fn atalaya_model_tlp_green() -> atalaya_model::Tlp {
    atalaya_model::Tlp::Green
}

on_all_backends!(revoked_and_expired_peer_keys_are_refused_and_audited, |backend: Backend| async move {
    let a = node(backend, "CSIRT A", "UY", false).await;
    let b = node(backend, "CSIRT B", "AR", false).await;
    peer(&a, &b, false, false).await;
    let to_a = node_id(&a).await;
    let b_fp = b.get("/federation/v1/node", None).await.1["fingerprint"].as_str().expect("fp").to_string();
    let b_id = peers(&a).await.into_iter().find(|p| p["fingerprint"] == b_fp).expect("B listed on A")["id"].as_str().expect("id").to_string();
    let ack = || Message::Ack(fed::Ack { up_to: String::new(), rejected: vec![] });

    // Bad input: one readable line, exit ≠ 0; REST names the field.
    let out = a.cli(&["peer", "expire", &b_id, "--at", "next tuesday"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--at") && err.trim().lines().count() == 1, "{err}");
    let (s, v) = a.call("PUT", &format!("/api/v1/federation/peers/{b_id}/key-expiry"), Some(&a.admin_token), Some(&json!({"expires_at": "yesterday"}))).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["field"], "expires_at", "{v}");

    // Expired key (CLI): B's envelopes are refused as `expired` and audited; nothing flows.
    let out = a.cli(&["peer", "expire", &b_id, "--at", "2020-01-01T00:00:00Z"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2020-01-01"));
    let (s, v) = post_envelope(&a, &fed::seal(&key_of(&b), &to_a, now(), &mut rand::rngs::OsRng, &ack())).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("expired")), "{v}");
    let during_expiry = uuid_id("indicator");
    import(&b, "?network=true", vec![indicator(&during_expiry, GREEN, "sent while B's key is expired at A")]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(&a, &during_expiry).await, 0, "nothing from an expired key is applied");
    assert!(a.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'federation.refused' AND detail LIKE '%expired%'").await >= 1);
    assert_eq!(a.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'federation.peer_key_expiry'").await, 1);

    // A new expiry in the future (REST): B's backlog arrives.
    let (s, v) = a.call("PUT", &format!("/api/v1/federation/peers/{b_id}/key-expiry"), Some(&a.admin_token), Some(&json!({"expires_at": "2099-01-01T00:00:00Z"}))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["key_expires_at"].as_str().map(|t| t.starts_with("2099-01-01")), Some(true), "{v}");
    wait("B's object arrives once its key is valid again", Duration::from_secs(30), || async { count(&a, &during_expiry).await == 1 }).await;

    // Revoked (REST): refused as `revoked`, audited, and final (a new peer request is refused too).
    let (s, v) = a.post(&format!("/api/v1/federation/peers/{b_id}/revoke"), Some(&a.admin_token), &json!({"reason": "key compromised"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "revoked");
    let (s, v) = post_envelope(&a, &fed::seal(&key_of(&b), &to_a, now(), &mut rand::rngs::OsRng, &ack())).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("revoked")), "{v}");
    let request = Message::PeerRequest(fed::PeerRequest { name: "CSIRT B".into(), country: None, url: b.url.clone(), message: None });
    let (s, v) = post_envelope(&a, &fed::seal(&key_of(&b), &to_a, now(), &mut rand::rngs::OsRng, &request)).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("revoked")), "{v}");
    let after_revocation = uuid_id("indicator");
    import(&b, "?network=true", vec![indicator(&after_revocation, GREEN, "after revocation")]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(&a, &after_revocation).await, 0, "nothing from a revoked key is applied");
    assert_eq!(peers(&a).await.into_iter().find(|p| p["fingerprint"] == b_fp).expect("B")["state"], "revoked");
    assert!(a.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'federation.refused' AND detail LIKE '%revoked%'").await >= 2);
    assert_eq!(a.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'federation.peer_revoke'").await, 1);
    // Nothing more is sent to a revoked peer.
    let from_a = uuid_id("indicator");
    import(&a, "?network=true", vec![indicator(&from_a, GREEN, "not for a revoked peer")]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(&b, &from_a).await, 0);

    // CLI revoke on the other side.
    let a_fp = a.get("/federation/v1/node", None).await.1["fingerprint"].as_str().expect("fp").to_string();
    let out = b.cli(&["peer", "revoke", &a_fp.replace(' ', "")[..16], "--reason", "peering ended"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("revoked"));
});

on_all_backends!(sighting_on_another_node_flows_back_to_the_origin, |backend: Backend| async move {
    // Mesh of three: A (UY) publishes, C (BR) sights, B (AR) is in the sighting's distribution.
    let a = node(backend, "CSIRT A", "UY", false).await;
    let b = node(Backend::Sqlite, "CSIRT B", "AR", false).await;
    let c = node(backend, "CSIRT C", "BR", false).await;
    peer(&a, &b, false, false).await;
    peer(&a, &c, false, false).await;
    peer(&b, &c, false, false).await;
    let org_c = home_org(&c).await;
    wait("C's directory entry reaches A", Duration::from_secs(30), || async {
        a.sql_count(&format!("SELECT COUNT(*) FROM fed_remote_orgs WHERE org_id = '{org_c}'")).await == 1
    })
    .await;
    let green = uuid_id("indicator");
    import(&a, "?network=true", vec![indicator(&green, GREEN, "green, sighted elsewhere")]).await;
    wait("the indicator reaches C", Duration::from_secs(30), || async { count(&c, &green).await == 1 }).await;
    let sighting = uuid_id("sighting");
    import(
        &c,
        "?network=true",
        vec![json!({
            "type": "sighting", "spec_version": "2.1", "id": sighting,
            "created": "2025-02-01T10:00:00.000Z", "modified": "2025-02-01T10:00:00.000Z",
            "sighting_of_ref": green, "count": 3,
            "first_seen": "2025-02-01T08:00:00Z", "last_seen": "2025-02-01T09:00:00Z",
            "object_marking_refs": [GREEN]
        })],
    )
    .await;
    // The origin receives it as a contribution signed by C and counts it for C's state.
    wait("C's contribution reaches A", Duration::from_secs(30), || async {
        a.sql_count(&format!("SELECT COUNT(*) FROM fed_events WHERE kind = 'contribution' AND subject = '{green}'")).await == 1
    })
    .await;
    wait("A counts C's sighting for BR", Duration::from_secs(30), || async {
        let (s, v) = a.get(&format!("/api/v1/stix/objects/{green}/sightings"), Some(&a.admin_token)).await;
        s == 200 && v["by_state"]["BR"] == 3 && v["total"] == 3
    })
    .await;
    assert_eq!(a.sql_count(&format!("SELECT COUNT(*) FROM stix_objects WHERE stix_id = '{sighting}' AND owner_org = '{org_c}'")).await, 1, "stored once, as C's");
    // B is in the sighting's distribution (network): it gets it, and counts it for BR too.
    wait("B receives the sighting", Duration::from_secs(30), || async { count(&b, &sighting).await == 1 }).await;
    let (s, v) = b.get(&format!("/api/v1/stix/objects/{green}/sightings"), Some(&b.admin_token)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["by_state"]["BR"], 3, "{v}");
    // A sighting C keeps to its own organisation does not leave C, not even to the origin.
    let private = uuid_id("sighting");
    import(
        &c,
        &format!("?organisations={org_c}"),
        vec![json!({
            "type": "sighting", "spec_version": "2.1", "id": private,
            "created": "2025-02-02T10:00:00.000Z", "modified": "2025-02-02T10:00:00.000Z",
            "sighting_of_ref": green, "object_marking_refs": [AMBER]
        })],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(&a, &private).await, 0);
    assert_eq!(a.sql_count(&format!("SELECT COUNT(*) FROM fed_events WHERE kind = 'contribution' AND subject = '{green}'")).await, 1);
});
