//! STIX 2.1 import, reads and export through the real binary (CLI offline, CLI against a
//! running node, REST), on SQLite and PostgreSQL; exports checked by the OASIS validator.
use atalaya_testkit::{on_all_backends, TestNode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel)
}

fn example_files() -> Vec<PathBuf> {
    let mut v = vec![];
    for dir in ["stix21-examples", "stix-examples"] {
        for e in std::fs::read_dir(shared(dir)).expect("shared data").flatten() {
            if e.path().extension().is_some_and(|x| x == "json") {
                v.push(e.path());
            }
        }
    }
    v.sort();
    assert!(v.len() >= 10, "expected the OASIS examples beside the project");
    v
}

/// id → object for every object of the example bundles.
fn example_objects() -> BTreeMap<(String, String), Value> {
    let mut m = BTreeMap::new();
    for f in example_files() {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).expect("read")).expect("json");
        let objs = v["objects"].as_array().cloned().unwrap_or_else(|| vec![v.clone()]);
        for o in objs {
            let id = o["id"].as_str().unwrap_or_default().to_string();
            let ver = o["modified"].as_str().or(o["created"].as_str()).unwrap_or("").to_string();
            m.insert((id, ver), o);
        }
    }
    m
}


on_all_backends!(examples_round_trip_and_validate, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let expected = example_objects();
    let mut stored = 0u64;
    for f in example_files() {
        let out = n.cli(&["import", "--quiet", "--json", &f.display().to_string()]);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}: {}", f.display(), String::from_utf8_lossy(&out.stderr)));
        assert_eq!(report["rejected"], 0, "{}: {report}", f.display());
        assert!(out.status.success());
        stored += report["stored"].as_u64().unwrap_or(0) + report["updated"].as_u64().unwrap_or(0) + report["skipped"].as_u64().unwrap_or(0);
    }
    assert!(stored as usize >= expected.len());
    // Importing again changes nothing.
    let dir = shared("stix21-examples");
    let out = n.cli(&["import", "--quiet", "--json", &dir.display().to_string()]);
    let again: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!((again["stored"].as_u64(), again["updated"].as_u64()), (Some(0), Some(0)), "{again}");
    // Every stored version comes back with the same JSON semantics.
    let (s, list) = n.get("/api/v1/stix/objects?limit=1000", Some(&n.admin_token)).await;
    assert_eq!(s, 200);
    let list = list.as_array().expect("list").clone();
    // TLP:RED objects imported offline name no individual: nobody reads them through the API.
    let red: Vec<&(String, String)> = expected.keys().filter(|k| {
        let m = &expected[*k]["object_marking_refs"];
        m.as_array().is_some_and(|a| a.iter().any(|x| x == "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" || x == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"))
    }).collect();
    assert_eq!(red.len(), 3);
    assert_eq!(list.len(), expected.len() - red.len());
    for (id, _) in &red {
        let (s, _) = n.get(&format!("/api/v1/stix/objects/{id}"), Some(&n.admin_token)).await;
        assert_eq!(s, 404, "{id} is TLP:RED and names nobody");
    }
    for v in &list {
        let key = (v["id"].as_str().unwrap_or_default().to_string(), v["version"].as_str().unwrap_or_default().to_string());
        assert_eq!(Some(&v["object"]), expected.get(&key), "{key:?} changed on the way");
    }
    // Export and validate with the OASIS validator.
    let tmp = tempfile::tempdir().expect("tmp");
    let bundle = tmp.path().join("export.json");
    let out = n.cli(&["export", "--format", "stix", "--out", &bundle.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&bundle).expect("export")).expect("json");
    assert_eq!(exported["type"], "bundle");
    assert!(exported["objects"].as_array().is_some_and(|a| !a.is_empty()));
    match std::env::var("STIX2_VALIDATOR_PYTHON") {
        Ok(py) => {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/stix_validate.py");
            let out = std::process::Command::new(py).arg(&script).arg(&bundle).output().expect("validator");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "stix2-validator refused our export:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
            assert!(text.contains("1 passed, 0 failed"), "{text}");
            // --strict: the only findings are best practice {302} (external references with a
            // URL but no hash) in the OASIS examples' own content, which we keep verbatim.
            let out = std::process::Command::new(std::env::var("STIX2_VALIDATOR_PYTHON").expect("py")).arg(&script).arg("--strict").arg(&bundle).output().expect("validator");
            let text = String::from_utf8_lossy(&out.stdout);
            let findings: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL") || l.starts_with("WARN")).collect();
            assert!(!findings.is_empty() && findings.iter().all(|l| l.contains("{302}")), "unexpected strict findings:\n{text}");
        }
        Err(_) => assert!(std::env::var("CI").is_err(), "CI must set STIX2_VALIDATOR_PYTHON (see .ci/test)"),
    }
    // CSV and blocklist.
    let csv = tmp.path().join("x.csv");
    assert!(n.cli(&["export", "--format", "csv", "--out", &csv.display().to_string()]).status.success());
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.starts_with("id,type,version,tlp"));
    assert!(text.lines().count() > 10);
    let bl = tmp.path().join("x.txt");
    assert!(n.cli(&["export", "--format", "blocklist", "--out", &bl.display().to_string()]).status.success());
    let text = std::fs::read_to_string(&bl).expect("blocklist");
    assert!(text.lines().any(|l| l.contains("198.51.100.") || l.contains("http")), "{text}");
    let bad = n.cli(&["export", "--format", "pdf", "--out", &bl.display().to_string()]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--format"));
});

fn indicator(id: &str, tlp_marking: Option<&str>, pattern: &str) -> Value {
    let mut o = json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "test", "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    });
    if let Some(m) = tlp_marking {
        o["object_marking_refs"] = json!([m]);
    }
    o
}

const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";

on_all_backends!(rest_import_names_rejections_and_policy_filters_reads, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let t = n.admin_token.clone();
    let good_clear = indicator("indicator--11111111-1111-4111-8111-111111111111", Some(CLEAR), "[ipv4-addr:value = '203.0.113.7']");
    let good_amber = indicator("indicator--22222222-2222-4222-8222-222222222222", Some(AMBER), "[domain-name:value = 'evil.example']");
    let bad_pattern = indicator("indicator--33333333-3333-4333-8333-333333333333", None, "[ipv4-addr:value = ");
    let mut bad_id = indicator("indicator--44444444-4444-4444-8444-444444444444", None, "[url:value = 'http://x.example/']");
    bad_id["id"] = json!("malware--44444444-4444-4444-8444-444444444444");
    let bundle = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
                        "objects": [good_clear, good_amber, bad_pattern, bad_id]});
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&t), &bundle).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["stored"].as_u64(), r["rejected"].as_u64()), (Some(2), Some(2)), "{r}");
    let rej = r["rejections"].as_array().expect("rejections");
    assert_eq!(rej[0]["id"], "indicator--33333333-3333-4333-8333-333333333333");
    assert_eq!(rej[0]["field"], "pattern");
    assert_eq!(rej[1]["field"], "id");
    // Truncated JSON: 400 and nothing written.
    let before = n.sql_count("SELECT COUNT(*) FROM stix_objects").await;
    let resp = n.client().post(format!("{}/api/v1/stix/bundles", n.url)).bearer_auth(&t)
        .header("content-type", "application/json").body(r#"{"type":"bundle","objects":[{"type":"indicator""#).send().await.expect("post");
    assert_eq!(resp.status(), 400);
    assert_eq!(n.sql_count("SELECT COUNT(*) FROM stix_objects").await, before);
    // STIX 2.0 gets a clear message.
    let mut old = indicator("indicator--55555555-5555-4555-8555-555555555555", None, "[ipv4-addr:value = '198.51.100.1']");
    old.as_object_mut().expect("obj").remove("spec_version");
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&t), &json!({"type": "bundle", "id": "bundle--6d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [old]})).await;
    assert_eq!(s, 200);
    assert!(r["rejections"][0]["reason"].as_str().unwrap_or("").contains("2.0"), "{r}");
    // Anonymous sees CLEAR only; the owner sees both; reads of AMBER are audited.
    let (s, anon) = n.get("/api/v1/stix/objects", None).await;
    assert_eq!(s, 200);
    let ids: Vec<&str> = anon.as_array().expect("list").iter().filter_map(|o| o["id"].as_str()).collect();
    assert_eq!(ids, vec!["indicator--11111111-1111-4111-8111-111111111111"]);
    let (s, _) = n.get("/api/v1/stix/objects/indicator--22222222-2222-4222-8222-222222222222", None).await;
    assert_eq!(s, 404);
    let reads = n.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'stix.read'").await;
    let (s, v) = n.get("/api/v1/stix/objects/indicator--22222222-2222-4222-8222-222222222222", Some(&t)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v[0]["tlp"], "TLP:AMBER");
    assert_eq!(n.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'stix.read'").await, reads + 1);
    let resp = n.client().get(format!("{}/api/v1/stix/export?format=blocklist", n.url)).send().await.expect("export");
    let text = resp.text().await.expect("text");
    assert_eq!(text.trim(), "203.0.113.7", "anonymous blocklist must hold CLEAR values only");
    // Another organisation may not publish a new version of our object.
    let (s, org) = n.post("/api/v1/organisations", Some(&t), &json!({"name": "Other CSIRT", "kind": "national-csirt", "country": "CO"})).await;
    assert_eq!(s, 201);
    let (s, _) = n.post("/api/v1/users", Some(&t), &json!({"username": "other", "organisation_id": org["id"], "role": "analyst", "password": "correct horse battery"})).await;
    assert_eq!(s, 201);
    let (_, login) = n.post("/api/v1/auth/login", None, &json!({"username": "other", "password": "correct horse battery"})).await;
    let other = login["token"].as_str().expect("token").to_string();
    let mut v2 = indicator("indicator--11111111-1111-4111-8111-111111111111", Some(CLEAR), "[ipv4-addr:value = '203.0.113.8']");
    v2["modified"] = json!("2026-02-01T00:00:00.000Z");
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&other), &json!({"type": "bundle", "id": "bundle--7d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [v2.clone()]})).await;
    assert_eq!(s, 200);
    assert_eq!((r["rejected"].as_u64(), r["rejections"][0]["field"].as_str()), (Some(1), Some("id")), "{r}");
    // The owner may; the new version is "updated".
    let (_, r) = n.post("/api/v1/stix/bundles", Some(&t), &json!({"type": "bundle", "id": "bundle--8d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [v2]})).await;
    assert_eq!(r["updated"], 1, "{r}");
    let (_, versions) = n.get("/api/v1/stix/objects/indicator--11111111-1111-4111-8111-111111111111", None).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2));
    // Distributed to the network, the AMBER indicator reaches need-to-know roles of every member
    // organisation (the policy property tests cover the narrower distributions).
    let (s, _) = n.get("/api/v1/stix/objects/indicator--22222222-2222-4222-8222-222222222222", Some(&other)).await;
    assert_eq!(s, 200);
    // CLI import against the running node.
    let tmp = tempfile::tempdir().expect("tmp");
    let f = tmp.path().join("lines.jsonl");
    std::fs::write(&f, format!("{}\n{}\n", indicator("indicator--66666666-6666-4666-8666-666666666666", None, "[url:value = 'http://a.example/']"), "{not json")).expect("write");
    let out = std::process::Command::new(bin()).args(["import", "--quiet", "--url", &n.url, "--token", &t, &f.display().to_string()]).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "a broken line is an error: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 stored"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"), "{}", String::from_utf8_lossy(&out.stderr));
});

async fn member(n: &TestNode, admin: &str, name: &str, country: &str, user: &str) -> (String, String) {
    let (s, org) = n.post("/api/v1/organisations", Some(admin), &json!({"name": name, "kind": "national-csirt", "country": country})).await;
    assert_eq!(s, 201, "{org}");
    let (s, u) = n.post("/api/v1/users", Some(admin), &json!({"username": user, "organisation_id": org["id"], "role": "analyst", "password": "correct horse battery"})).await;
    assert_eq!(s, 201, "{u}");
    let (_, login) = n.post("/api/v1/auth/login", None, &json!({"username": user, "password": "correct horse battery"})).await;
    (org["id"].as_str().expect("id").to_string(), login["token"].as_str().expect("token").to_string())
}

fn bundle(objects: Vec<Value>) -> Value {
    json!({"type": "bundle", "id": format!("bundle--{}", uuid_like(objects.len())), "objects": objects})
}

fn uuid_like(n: usize) -> String {
    format!("8d0092c5-5f74-4287-9642-{:012x}", n + 0x33f4c354)
}

on_all_backends!(correlation_sightings_warninglists_search_sectors, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let admin = n.admin_token.clone();
    let out = n.cli(&["warninglists", "import", &shared("misp-warninglists").display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (s, lists) = n.get("/api/v1/warninglists", Some(&admin)).await;
    assert_eq!(s, 200);
    assert_eq!(lists.as_array().map(Vec::len), Some(10), "{lists}");
    let rfc1918 = lists.as_array().expect("lists").iter().find(|l| l["name"].as_str().is_some_and(|x| x.contains("1918"))).expect("rfc1918")["name"].as_str().expect("name").to_string();

    let (_, tok_b) = member(&n, &admin, "CSIRT Bravo", "AR", "bravo").await;
    // Home organisation publishes a network indicator, an address and a private address.
    let net = indicator("indicator--a1111111-1111-4111-8111-111111111111", Some(CLEAR), "[ipv4-addr:value ISSUBSET '45.33.32.0/24']");
    let host = indicator("indicator--a2222222-2222-4222-8222-222222222222", Some(CLEAR), "[ipv4-addr:value = '185.220.101.7']");
    let private = json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--3bd0640e-45ad-5019-a7eb-d3a6da393f89", "value": "10.1.2.3",
                         "object_marking_refs": [CLEAR]});
    let ident = json!({"type": "identity", "spec_version": "2.1", "id": "identity--a3333333-3333-4333-8333-333333333333",
                       "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "name": "Grid operator",
                       "identity_class": "organization", "sectors": ["energy", "utilities"], "object_marking_refs": [CLEAR]});
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&admin), &bundle(vec![net, host, private, ident])).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["rejected"], 0, "{r}");
    assert_eq!(r["warnings"].as_array().map(Vec::len), Some(0), "{r}");
    // 10.1.2.3 is on the RFC 1918 and RFC 5735 lists: flagged, and still stored.
    assert_eq!(r["warninglist_hit_count"], 2, "{r}");
    let hits = r["warninglist_hits"].as_array().expect("hits");
    assert!(hits.iter().all(|h| h["value"] == "10.1.2.3"));
    assert!(hits.iter().any(|h| h["list"] == rfc1918.as_str()));

    // Bravo reports an address inside the home network: its import lists the correlation.
    let mut b1 = indicator("indicator--b1111111-1111-4111-8111-111111111111", Some(CLEAR), "[ipv4-addr:value = '45.33.32.77']");
    b1["name"] = json!("Bravo scanner");
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&tok_b), &bundle(vec![b1])).await;
    assert_eq!(s, 200, "{r}");
    let c = &r["correlations"][0];
    assert_eq!(c["id"], "indicator--b1111111-1111-4111-8111-111111111111", "{r}");
    assert_eq!(c["shared_with"][0]["id"], "indicator--a1111111-1111-4111-8111-111111111111");
    assert_eq!(c["shared_with"][0]["relation"], "contains");
    assert_eq!(c["shared_with"][0]["organisation"]["country"], Value::Null, "the home organisation has no country configured");

    // Who else has seen 45.33.32.77? Both, with organisations and states.
    let (s, a) = n.get("/api/v1/stix/correlate?value=45.33.32.77", Some(&admin)).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["kind"], "ipv4");
    let holders: Vec<&str> = a["matches"].as_array().expect("matches").iter().filter_map(|m| m["organisation"]["name"].as_str()).collect();
    assert!(holders.contains(&"CSIRT Bravo") && holders.len() == 2, "{a}");
    assert!(a["matches"].as_array().expect("m").iter().any(|m| m["organisation"]["country"] == "AR"));
    let (s, a) = n.get("/api/v1/stix/correlate?value=10.1.2.3", Some(&admin)).await;
    assert_eq!(s, 200);
    assert!(a["warninglists"].as_array().expect("wl").iter().any(|h| h["list"] == rfc1918.as_str()), "{a}");
    let (s, b) = n.get("/api/v1/stix/correlate?value=999.1.1.1&kind=ipv4", Some(&admin)).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("value")), "{b}");
    let (s, oc) = n.get("/api/v1/stix/objects/indicator--a1111111-1111-4111-8111-111111111111/correlations", Some(&admin)).await;
    assert_eq!(s, 200);
    assert_eq!(oc[0]["matches"][0]["id"], "indicator--b1111111-1111-4111-8111-111111111111", "{oc}");

    // Sightings per state and the decay score.
    let sighting = json!({"type": "sighting", "spec_version": "2.1", "id": "sighting--b2222222-2222-4222-8222-222222222222",
        "created": "2026-03-01T00:00:00.000Z", "modified": "2026-03-01T00:00:00.000Z", "count": 3,
        "first_seen": "2026-02-27T00:00:00Z", "last_seen": "2026-03-01T00:00:00Z",
        "sighting_of_ref": "indicator--a2222222-2222-4222-8222-222222222222", "object_marking_refs": [CLEAR]});
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&tok_b), &bundle(vec![sighting])).await;
    assert_eq!((s, r["stored"].as_u64()), (200, Some(1)), "{r}");
    let (s, sg) = n.get("/api/v1/stix/objects/indicator--a2222222-2222-4222-8222-222222222222/sightings", None).await;
    assert_eq!(s, 200, "{sg}");
    assert_eq!(sg["total"], 3);
    assert_eq!(sg["by_state"]["AR"], 3);
    let score = sg["decay_score"].as_f64().expect("indicators have a decay score");
    assert!((0.0..=100.0).contains(&score));

    // Full-text search, flagged with warninglists; policy applies.
    let (s, hits) = n.get("/api/v1/stix/search?q=bravo%20scanner", None).await;
    assert_eq!(s, 200);
    assert_eq!(hits[0]["id"], "indicator--b1111111-1111-4111-8111-111111111111", "{hits}");
    let (s, hits) = n.get("/api/v1/stix/search?q=10.1.2.3", Some(&admin)).await;
    assert_eq!(s, 200);
    assert!(hits[0]["warninglists"].as_array().expect("wl").iter().any(|h| h["list"] == rfc1918.as_str()), "{hits}");
    let (s, b) = n.get("/api/v1/stix/search?q=", Some(&admin)).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("q")));

    // Sectors: counted and exported by sector.
    let (s, counts) = n.get("/api/v1/stix/sectors", None).await;
    assert_eq!(s, 200);
    assert_eq!((counts["energy"].as_u64(), counts["utilities"].as_u64()), (Some(1), Some(1)), "{counts}");
    let resp = n.client().get(format!("{}/api/v1/stix/export?format=csv&sector=energy", n.url)).send().await.expect("export");
    let text = resp.text().await.expect("csv");
    assert_eq!(text.lines().count(), 2, "{text}");
    let (s, _) = n.get("/api/v1/stix/export?format=csv&sector=bananas", None).await;
    assert_eq!(s, 400);

    // Only node administrators manage warninglists; a disabled list no longer flags.
    let (s, _) = n.call("PATCH", &format!("/api/v1/warninglists/{}", rfc1918.replace(' ', "%20")), Some(&tok_b), Some(&json!({"enabled": false}))).await;
    assert_eq!(s, 403);
    let (s, _) = n.call("PATCH", &format!("/api/v1/warninglists/{}", rfc1918.replace(' ', "%20")), Some(&admin), Some(&json!({"enabled": false}))).await;
    assert_eq!(s, 204);
    let (_, a) = n.get("/api/v1/stix/correlate?value=10.1.2.3", Some(&admin)).await;
    assert!(a["warninglists"].as_array().expect("wl").iter().all(|h| h["list"] != rfc1918.as_str()), "{a}");
    let resp = n.client().post(format!("{}/api/v1/warninglists", n.url)).bearer_auth(&admin)
        .header("content-type", "application/json").body(r#"{"name": "x", "version": 1, "list": ["a"]}"#).send().await.expect("post");
    assert_eq!(resp.status(), 422);
    let b: Value = resp.json().await.expect("problem");
    assert_eq!(b["field"], "type", "{b}");
});

// `atalaya import` parses on a reader thread overlapped with the import: several files, several
// batches per file, a rejected object and a broken file — indices, counts, errors and the exit
// code are those of reading everything in order.
on_all_backends!(import_streams_files_in_batches, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let id = |i: usize| format!("indicator--{}", uuid_like(9000 + i));
    let mut a = String::new();
    for i in 0..7 {
        // Object #4 has a broken pattern.
        let pattern = if i == 4 { "[ipv4-addr:value = '198.51.100.4'".to_string() } else { format!("[ipv4-addr:value = '198.51.100.{i}']") };
        a.push_str(&indicator(&id(i), Some(CLEAR), &pattern).to_string());
        a.push('\n');
    }
    std::fs::write(dir.path().join("a.jsonl"), a).expect("write");
    let b = format!("{}\n{{\"type\": \"indicator\", \"id\": \"{}\"", indicator(&id(7), Some(CLEAR), "[domain-name:value = 'example.org']"), id(8));
    std::fs::write(dir.path().join("b.jsonl"), b).expect("write");
    let out = n.cli(&["import", "--quiet", "--json", "--batch-size", "3", &dir.path().display().to_string()]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "a parse error exits 1: {report}");
    assert_eq!((report["stored"].as_u64(), report["rejected"].as_u64()), (Some(7), Some(1)), "{report}");
    let rej = &report["rejections"][0];
    assert_eq!((rej["index"].as_u64(), rej["id"].as_str()), (Some(4), Some(id(4).as_str())), "{report}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("b.jsonl"), "{err}");
    for i in [0, 3, 5, 6, 7] {
        let (s, _) = n.get(&format!("/api/v1/stix/objects/{}", id(i)), Some(&n.admin_token)).await;
        assert_eq!(s, 200, "{}", id(i));
    }
    let (s, _) = n.get(&format!("/api/v1/stix/objects/{}", id(4)), Some(&n.admin_token)).await;
    assert_eq!(s, 404);
    // Found by search right after the import.
    let (s, hits) = n.get("/api/v1/stix/search?q=198.51.100.6", Some(&n.admin_token)).await;
    assert_eq!(s, 200);
    assert!(hits.to_string().contains(&id(6)), "{hits}");
    // A missing input is one line and a non-zero exit.
    let out = n.cli(&["import", "--quiet", &dir.path().join("absent.jsonl").display().to_string()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("absent.jsonl"));
});
