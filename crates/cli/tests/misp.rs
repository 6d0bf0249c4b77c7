//! MISP interoperability through the real binary, on SQLite and PostgreSQL: PyMISP's test events
//! imported and exported back (checked by PyMISP itself), a MISP feed consumed incrementally, a
//! node serving its data as a MISP feed (read by PyMISP and by another node), bad input refused
//! naming the field with nothing written, CSV and free-text lists.
use atalaya_testkit::{on_all_backends, TestNode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Output;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel)
}

fn oracle(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle").join(name)
}

/// The venv python with PyMISP and the OASIS validator; required under CI, optional locally.
fn python() -> Option<String> {
    match std::env::var("STIX2_VALIDATOR_PYTHON") {
        Ok(p) => Some(p),
        Err(_) => {
            assert!(std::env::var("CI").is_err(), "CI must set STIX2_VALIDATOR_PYTHON (see .ci/test)");
            eprintln!("note: STIX2_VALIDATOR_PYTHON unset: PyMISP and OASIS checks skipped");
            None
        }
    }
}

fn py(python: &str, script: &str, args: &[&str]) -> Output {
    std::process::Command::new(python).arg(oracle(script)).args(args).output().expect("run python")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn report_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("no JSON report: {}\n{}", text(&out.stdout), text(&out.stderr)))
}

fn event_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(shared("misp-events")).expect("shared misp-events").flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    v.sort();
    assert!(v.len() >= 9, "expected PyMISP's test files beside the project");
    v
}

async fn stix_count(n: &TestNode) -> i64 {
    n.sql_count("SELECT COUNT(*) FROM stix_objects").await
}

const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const EXISTING: &str = "5a3c2fcd-8328-42bb-a95e-4f4402de0b81";
const FEED_EVENT: &str = "57c4445b-c548-4654-af0b-4be3950d210f";

on_all_backends!(pymisp_test_events_import_and_export_back_for_pymisp, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let mut imported: Vec<(PathBuf, String)> = vec![];
    for f in event_files() {
        let name = f.file_name().and_then(|x| x.to_str()).unwrap_or_default().to_string();
        let before = stix_count(&n).await;
        let out = n.cli(&["misp", "import", "--quiet", "--json", &f.display().to_string()]);
        match name.as_str() {
            // Not events: a clear error naming what they are, nothing written.
            "galaxy.json" | "simple.json" => {
                assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out.stderr));
                let err = text(&out.stderr);
                assert!(err.contains(if name == "galaxy.json" { "MISP galaxy" } else { "not a MISP event" }), "{name}: {err}");
                assert_eq!(stix_count(&n).await, before, "{name}: nothing written");
            }
            _ => {
                assert!(out.status.success(), "{name}: {}\n{}", text(&out.stdout), text(&out.stderr));
                let r = report_of(&out);
                assert_eq!((r["refused"].as_u64(), r["stix"]["rejected"].as_u64()), (Some(0), Some(0)), "{name}: {r}");
                assert!(r["imported"].as_u64() >= Some(1), "{name}: {r}");
                for d in r["details"].as_array().expect("details") {
                    imported.push((f.clone(), d["uuid"].as_str().expect("uuid").to_string()));
                }
            }
        }
    }
    assert_eq!(imported.len(), 7, "{imported:?}");
    // A sighting and an object template alone are not events either.
    for (file, body, says) in [
        ("sighting.json", json!({"uuid": "5a4cb1c7-fa84-45fa-8d27-4822950d2100", "type": "0", "date_sighting": "1514975687", "source": "probe"}), "MISP sighting"),
        ("template.json", json!({"name": "x", "meta-category": "file", "uuid": "5a4cb1c7-fa84-45fa-8d27-4822950d2101", "version": 1, "attributes": {}, "required": []}), "object template"),
        ("list.json", json!([]), "no MISP event"),
    ] {
        let p = tmp.path().join(file);
        std::fs::write(&p, body.to_string()).expect("write");
        let out = n.cli(&["misp", "import", "--quiet", &p.display().to_string()]);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains(says), "{file}: {}", text(&out.stderr));
    }
    // Importing again changes nothing (uuids derived for PyMISP's uuid-less files are stable).
    let before = stix_count(&n).await;
    for f in [shared("misp-events/existing_event.json"), shared("misp-events/attribute.json")] {
        let r = report_of(&n.cli(&["misp", "import", "--quiet", "--json", &f.display().to_string()]));
        assert_eq!((r["stix"]["stored"].as_u64(), r["stix"]["updated"].as_u64()), (Some(0), Some(0)), "{r}");
    }
    assert_eq!(stix_count(&n).await, before);

    // The mapping, read back through the API.
    let t = n.admin_token.clone();
    let (s, v) = n.get(&format!("/api/v1/stix/objects/report--{EXISTING}"), None).await;
    assert_eq!(s, 200, "tlp:white is TLP:CLEAR: anonymous reads it: {v}");
    let report = &v[0]["object"];
    assert_eq!(v[0]["tlp"], "TLP:CLEAR");
    assert_eq!(report["object_marking_refs"], json!([CLEAR]));
    assert_eq!(report["name"], "OSINT - Sednit update: How Fancy Bear Spent the Year");
    assert_eq!(report["x_misp_event"]["uuid"], EXISTING);
    assert!(report["labels"].as_array().expect("labels").iter().all(|l| !l.as_str().unwrap_or("").starts_with("tlp:")));
    let (s, ta) = n.get("/api/v1/stix/objects/threat-actor--7cdff317-a673-4474-84ec-4f1754947823", None).await;
    assert_eq!((s, ta[0]["object"]["name"].as_str()), (200, Some("Sofacy")), "galaxy cluster → threat-actor");
    assert!(ta[0]["object"]["aliases"].as_array().expect("aliases").iter().any(|a| a == "APT28"));
    let (s, rel) = n.get("/api/v1/stix/objects/relationship--5a3cdba2-2fdc-4f9a-a4eb-4dae950d210f", None).await;
    assert_eq!(s, 200, "object reference → relationship");
    assert_eq!(rel[0]["object"]["relationship_type"], "communicates-with");
    assert_eq!(rel[0]["object"]["source_ref"], "indicator--5a3cda96-85c4-45a1-82ea-c5ed950d210f");
    assert_eq!(rel[0]["object"]["target_ref"], "indicator--5a3c3045-ab0c-4d38-8efe-459002de0b81");
    let (s, ind) = n.get("/api/v1/stix/objects/indicator--5a3c3045-ab0c-4d38-8efe-459002de0b81", None).await;
    assert_eq!(s, 200);
    assert_eq!(ind[0]["object"]["pattern"], "[domain-name:value = 'movieultimate.com']");
    assert_eq!(ind[0]["object"]["x_misp_attribute"]["category"], "Network activity");
    // shadow.json: distribution 0 (the organisation only), no TLP tag (node default).
    let (s, _) = n.get("/api/v1/stix/objects/observed-data--5a4cb1c7-fa84-45fa-8d27-4822950d210f", None).await;
    assert_eq!(s, 404);
    let (s, od) = n.get("/api/v1/stix/objects/observed-data--5a4cb1c7-fa84-45fa-8d27-4822950d210f", Some(&t)).await;
    assert_eq!((s, od[0]["tlp"].as_str()), (200, Some("TLP:AMBER")), "{od}");
    assert_eq!(od[0]["object"]["x_misp_attribute"]["value"], "blah.exe");
    let (s, corr) = n.get("/api/v1/stix/correlate?value=movieultimate.com", Some(&t)).await;
    assert_eq!(s, 200);
    assert!(corr["matches"].as_array().is_some_and(|m| !m.is_empty()), "MISP values correlate: {corr}");

    // Back to MISP: a feed directory PyMISP loads, with the original content.
    let feed = tmp.path().join("feed");
    let out = n.cli(&["misp", "export", "--quiet", "--feed", &feed.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(feed.join("manifest.json")).expect("manifest")).expect("json");
    for (_, u) in &imported {
        assert!(manifest.get(u).is_some(), "{u} not in the manifest");
        assert!(feed.join(format!("{u}.json")).is_file());
    }
    assert!(std::fs::read_to_string(feed.join("hashes.csv")).expect("hashes").lines().any(|l| l.ends_with(&format!(",{EXISTING}"))));
    if let Some(p) = python() {
        for (orig, u) in &imported {
            let exported = feed.join(format!("{u}.json"));
            let out = py(&p, "pymisp_compare.py", &[&orig.display().to_string(), &exported.display().to_string()]);
            assert!(out.status.success(), "{} vs {u}:\n{}\n{}", orig.display(), text(&out.stdout), text(&out.stderr));
            assert!(text(&out.stdout).contains("match"), "{}", text(&out.stdout));
        }
        // The oracle does see differences.
        let other = imported.iter().find(|(f, _)| f.ends_with("attribute.json")).expect("attribute.json").1.clone();
        let out = py(&p, "pymisp_compare.py", &[&shared("misp-events/existing_event.json").display().to_string(), &feed.join(format!("{other}.json")).display().to_string()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        // The STIX made of the events passes the OASIS validator.
        let bundle = tmp.path().join("stix.json");
        let out = n.cli(&["export", "--format", "stix", "--out", &bundle.display().to_string()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = py(&p, "stix_validate.py", &[&bundle.display().to_string()]);
        assert!(out.status.success() && text(&out.stdout).contains("1 passed, 0 failed"), "stix2-validator refused our STIX:\n{}\n{}", text(&out.stdout), text(&out.stderr));
    }
});

/// A feed directory holding the PyMISP feed event, with the manifest MISP's feed generator
/// would write.
fn write_feed(dir: &Path, events: &[Value]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let mut manifest = serde_json::Map::new();
    for e in events {
        let ev = &e["Event"];
        let u = ev["uuid"].as_str().expect("uuid");
        std::fs::write(dir.join(format!("{u}.json")), e.to_string()).expect("write");
        manifest.insert(u.to_string(), json!({"info": ev["info"], "Orgc": ev["Orgc"], "Tag": ev["Tag"], "date": ev["date"], "analysis": ev["analysis"], "threat_level_id": ev["threat_level_id"], "timestamp": ev["timestamp"]}));
    }
    std::fs::write(dir.join("manifest.json"), Value::Object(manifest).to_string()).expect("manifest");
    std::fs::write(dir.join("hashes.csv"), "").expect("hashes");
}

on_all_backends!(misp_feed_is_consumed_incrementally, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let original: Value = serde_json::from_str(&std::fs::read_to_string(shared(&format!("misp-feed/{FEED_EVENT}.json"))).expect("feed event")).expect("json");
    let feed = tmp.path().join("feed");
    write_feed(&feed, std::slice::from_ref(&original));
    let out = n.cli(&["misp", "import", "--quiet", "--json", &feed.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = report_of(&out);
    assert_eq!((r["imported"].as_u64(), r["refused"].as_u64()), (Some(1), Some(0)), "{r}");
    assert!(r["stix"]["stored"].as_u64() >= Some(11), "{r}");
    let (s, v) = n.get("/api/v1/stix/objects/indicator--57c4448b-454c-4d17-90d1-4d2f950d210f", None).await;
    assert_eq!(s, 200);
    assert_eq!(v[0]["object"]["pattern"], "[file:hashes.'MD5' = '0749bae92ca336a02c83d126e04ec628']");
    // The same timestamp again: skipped without reading the event; also through manifest.json.
    let count = stix_count(&n).await;
    for src in [feed.clone(), feed.join("manifest.json")] {
        let r = report_of(&n.cli(&["misp", "import", "--quiet", "--json", &src.display().to_string()]));
        assert_eq!((r["imported"].as_u64(), r["unchanged"].as_u64()), (Some(0), Some(1)), "{r}");
    }
    assert_eq!(stix_count(&n).await, count);
    // The event changes upstream: new timestamp, one more attribute.
    let mut changed = original.clone();
    let ts: i64 = original["Event"]["timestamp"].as_str().expect("ts").parse().expect("int");
    changed["Event"]["timestamp"] = json!((ts + 100).to_string());
    changed["Event"]["Attribute"].as_array_mut().expect("attrs").push(json!({
        "uuid": "57c4445b-0000-4000-8000-000000000001", "type": "ip-dst", "category": "Network activity",
        "value": "203.0.113.9", "to_ids": true, "comment": "C2", "timestamp": (ts + 100).to_string()}));
    write_feed(&feed, std::slice::from_ref(&changed));
    let r = report_of(&n.cli(&["misp", "import", "--quiet", "--json", &feed.display().to_string()]));
    assert_eq!(r["imported"], 1, "{r}");
    assert_eq!((r["stix"]["stored"].as_u64(), r["stix"]["updated"].as_u64()), (Some(1), Some(1)), "the new attribute and a new report version: {r}");
    let (s, v) = n.get("/api/v1/stix/objects/indicator--57c4445b-0000-4000-8000-000000000001", None).await;
    assert_eq!(s, 200);
    assert_eq!(v[0]["object"]["pattern"], "[ipv4-addr:value = '203.0.113.9']");
    let (_, versions) = n.get(&format!("/api/v1/stix/objects/report--{FEED_EVENT}"), None).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2));
    // A feed event whose file has no uuid (or another one) is refused naming the field; the
    // manifest key alone does not identify it.
    let bad_feed = tmp.path().join("bad");
    let mut no_uuid = original.clone();
    no_uuid["Event"]["uuid"] = json!("5b000000-0000-4000-8000-000000000001");
    write_feed(&bad_feed, std::slice::from_ref(&no_uuid));
    let mut body = no_uuid.clone();
    body["Event"].as_object_mut().expect("event").remove("uuid");
    std::fs::write(bad_feed.join("5b000000-0000-4000-8000-000000000001.json"), body.to_string()).expect("write");
    let count = stix_count(&n).await;
    let out = n.cli(&["misp", "import", "--quiet", "--json", &bad_feed.display().to_string()]);
    assert_eq!(out.status.code(), Some(4));
    let r = report_of(&out);
    assert_eq!(r["refused"], 1);
    assert!(r["details"][0]["field"].as_str().unwrap_or("").ends_with("Event.uuid"), "{r}");
    assert_eq!(stix_count(&n).await, count);
    // Back to MISP: PyMISP finds the upstream event in our export.
    if let Some(p) = python() {
        let out_dir = tmp.path().join("out");
        assert!(n.cli(&["misp", "export", "--quiet", "--feed", &out_dir.display().to_string()]).status.success());
        let src = tmp.path().join("changed.json");
        std::fs::write(&src, changed.to_string()).expect("write");
        let out = py(&p, "pymisp_compare.py", &[&src.display().to_string(), &out_dir.join(format!("{FEED_EVENT}.json")).display().to_string()]);
        assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    }
});

fn amber_event() -> Value {
    json!({"Event": {
        "uuid": "5c000000-0000-4000-8000-000000000001", "info": "Amber campaign", "date": "2026-02-01", "timestamp": "1769904000",
        "analysis": "2", "threat_level_id": "2", "distribution": "3", "published": true,
        "Orgc": {"uuid": "5c000000-0000-4000-8000-0000000000aa", "name": "CSIRT Test"},
        "Tag": [{"name": "tlp:amber"}, {"name": "rsit:malicious-code=\"c2-server\""}, {"name": "PAP:AMBER"}],
        "Attribute": [
            {"uuid": "5c000000-0000-4000-8000-000000000002", "type": "ip-dst", "category": "Network activity", "value": "198.51.100.77", "to_ids": true, "comment": "c2",
             "first_seen": "2026-01-30T10:00:00.000000+00:00", "last_seen": "2026-02-01T10:00:00.000000+00:00",
             "Sighting": [{"uuid": "5c000000-0000-4000-8000-000000000003", "type": "0", "date_sighting": "1769900000", "source": "sensor"}]},
            {"uuid": "5c000000-0000-4000-8000-000000000004", "type": "text", "category": "Other", "value": "free text", "to_ids": false}
        ]}})
}

on_all_backends!(node_serves_a_misp_feed_read_by_pymisp_and_by_another_node, |backend| async move {
    let a = TestNode::start(bin(), backend).await;
    let t = a.admin_token.clone();
    assert!(a.cli(&["misp", "import", "--quiet", &shared("misp-events/existing_event.json").display().to_string()]).status.success());
    let (s, r) = a.post("/api/v1/misp/events", Some(&t), &amber_event()).await;
    assert_eq!((s, r["imported"].as_u64()), (200, Some(1)), "{r}");
    let (_, rep) = a.get("/api/v1/stix/objects/report--5c000000-0000-4000-8000-000000000001", Some(&t)).await;
    assert_eq!(rep[0]["object"]["x_atalaya_incident_classification"], json!([{"class": "malicious-code", "type": "c2-server"}]));
    assert_eq!(rep[0]["object"]["x_atalaya_pap"], "PAP:AMBER");
    let (s, sg) = a.get("/api/v1/stix/objects/indicator--5c000000-0000-4000-8000-000000000002/sightings", Some(&t)).await;
    assert_eq!((s, sg["total"].as_u64()), (200, Some(1)), "{sg}");
    // Plain STIX too: one CLEAR and one AMBER indicator outside any report.
    let ind = |id: &str, m: &str, ip: &str| json!({"type": "indicator", "spec_version": "2.1", "id": id, "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "scanner", "pattern": format!("[ipv4-addr:value = '{ip}']"), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [m]});
    let bundle = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        ind("indicator--11111111-1111-4111-8111-111111111111", CLEAR, "203.0.113.7"), ind("indicator--22222222-2222-4222-8222-222222222222", AMBER, "203.0.113.8")]});
    let (s, r) = a.post("/api/v1/stix/bundles", Some(&t), &bundle).await;
    assert_eq!((s, r["stored"].as_u64()), (200, Some(2)), "{r}");

    // Anonymous: TLP:CLEAR only.
    let (s, m) = a.get("/misp/feed/manifest.json", None).await;
    assert_eq!(s, 200, "{m}");
    let anon: Vec<String> = m.as_object().expect("manifest").keys().cloned().collect();
    assert!(anon.contains(&EXISTING.to_string()));
    assert!(!anon.contains(&"5c000000-0000-4000-8000-000000000001".to_string()));
    assert_eq!(anon.len(), 2, "the CLEAR MISP event and a day event for the CLEAR indicator: {m}");
    let (s, _) = a.get("/misp/feed/5c000000-0000-4000-8000-000000000001.json", None).await;
    assert_eq!(s, 404);
    let (s, e) = a.get(&format!("/misp/feed/{EXISTING}.json"), None).await;
    assert_eq!(s, 200);
    assert_eq!((e["Event"]["Attribute"].as_array().map(Vec::len), e["Event"]["Object"].as_array().map(Vec::len)), (Some(9), Some(49)));
    assert_eq!(e["Event"]["timestamp"], m[EXISTING]["timestamp"].to_string().trim_matches('"'), "event and manifest agree");
    let (s, _) = a.get("/misp/feed/not-a-uuid.json", None).await;
    assert_eq!(s, 404);
    let (s, e) = a.get("/misp/feed/5c000000-0000-4000-8000-000000000001.json", Some(&t)).await;
    assert_eq!((s, e["Event"]["info"].as_str()), (200, Some("Amber campaign")), "{e}");
    assert!(e["Event"].get("distribution").is_none() && e["Event"]["Attribute"][0].get("distribution").is_none(), "no instance-local sharing data in feeds");
    let hashes = a.client().get(format!("{}/misp/feed/hashes.csv", a.url)).send().await.expect("hashes").text().await.expect("text");
    assert!(hashes.lines().all(|l| l.len() == 32 + 1 + 36), "{hashes}");
    assert!(hashes.lines().count() > 10);
    // HTTP Basic with the token as password (what a MISP feed definition can send).
    let resp = a.client().get(format!("{}/misp/feed/manifest.json", a.url)).basic_auth("misp", Some(&t)).send().await.expect("get");
    let full: Value = resp.json().await.expect("json");
    assert_eq!(full.as_object().map(|m| m.len()), Some(4), "{full}");
    // Objects outside reports: one event per day and TLP.
    let mut values = vec![];
    for k in full.as_object().expect("m").keys().filter(|k| !k.starts_with("5a3c2fcd") && !k.starts_with("5c000000")) {
        let (_, day) = a.get(&format!("/misp/feed/{k}.json"), Some(&t)).await;
        let tags: Vec<&str> = day["Event"]["Tag"].as_array().expect("tags").iter().filter_map(|x| x["name"].as_str()).collect();
        for x in day["Event"]["Attribute"].as_array().expect("attrs") {
            values.push((x["value"].as_str().unwrap_or("").to_string(), tags.join(",")));
        }
    }
    values.sort();
    assert_eq!(values, vec![("203.0.113.7".to_string(), "tlp:clear".to_string()), ("203.0.113.8".to_string(), "tlp:amber".to_string())]);

    let feed_url = format!("{}/misp/feed", a.url);
    if let Some(p) = python() {
        let out = py(&p, "pymisp_feed_reader.py", &[&feed_url]);
        assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
        let seen: Value = serde_json::from_slice(&out.stdout).expect("reader output");
        assert_eq!(seen["events"], 2, "{seen}");
        let out = py(&p, "pymisp_feed_reader.py", &[&feed_url, &t]);
        assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
        let seen: Value = serde_json::from_slice(&out.stdout).expect("reader output");
        assert_eq!(seen["events"], 4, "{seen}");
    }

    // Another node pulls the feed with our own client: anonymously first, then with a token.
    let b = TestNode::start(bin(), backend).await;
    let out = b.cli(&["misp", "import", "--quiet", "--json", &feed_url]);
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    let r = report_of(&out);
    assert_eq!((r["imported"].as_u64(), r["refused"].as_u64()), (Some(2), Some(0)), "{r}");
    let r = report_of(&b.cli(&["misp", "import", "--quiet", "--json", &feed_url]));
    assert_eq!((r["imported"].as_u64(), r["unchanged"].as_u64()), (Some(0), Some(2)), "{r}");
    let (s, v) = b.get("/api/v1/stix/objects/indicator--11111111-1111-4111-8111-111111111111", Some(&b.admin_token)).await;
    assert_eq!(s, 200, "the plain STIX indicator travels as a MISP attribute: {v}");
    assert_eq!(v[0]["object"]["pattern"], "[ipv4-addr:value = '203.0.113.7']");
    let (s, _) = b.get(&format!("/api/v1/stix/objects/report--{EXISTING}"), None).await;
    assert_eq!(s, 200);
    let (s, _) = b.get("/api/v1/stix/objects/report--5c000000-0000-4000-8000-000000000001", Some(&b.admin_token)).await;
    assert_eq!(s, 404);
    // With a token the feed is another one (it shows more): every event is read again, the
    // objects already stored are skipped.
    let out = b.cli(&["misp", "import", "--quiet", "--json", "--token", &t, &feed_url]);
    let r = report_of(&out);
    assert_eq!((r["imported"].as_u64(), r["refused"].as_u64()), (Some(4), Some(0)), "{r}");
    let (s, v) = b.get("/api/v1/stix/objects/indicator--22222222-2222-4222-8222-222222222222", Some(&b.admin_token)).await;
    assert_eq!((s, v[0]["tlp"].as_str()), (200, Some("TLP:AMBER")), "{v}");
    let (s, v) = b.get("/api/v1/stix/objects/report--5c000000-0000-4000-8000-000000000001", Some(&b.admin_token)).await;
    assert_eq!((s, v[0]["tlp"].as_str()), (200, Some("TLP:AMBER")), "{v}");
    let (s, v) = b.get("/api/v1/stix/objects/indicator--5c000000-0000-4000-8000-000000000002/sightings", Some(&b.admin_token)).await;
    assert_eq!((s, v["total"].as_u64()), (200, Some(1)), "the MISP sighting travelled: {v}");
});

on_all_backends!(bad_misp_input_is_refused_naming_the_field_with_nothing_written, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let u = |i: u32| format!("5e000000-0000-4000-8000-{i:012}");
    let good = json!({"Event": {"uuid": u(1), "info": "good", "Attribute": [{"uuid": u(2), "type": "domain", "value": "good.example", "to_ids": true}]}});
    let cases: Vec<(&str, String, Vec<&str>, &str)> = vec![
        ("broken.json", "{\"Event\": {\"info\": \"x\", \"Attribute\": [".to_string(), vec![], "malformed JSON"),
        ("type.json", json!({"Event": {"uuid": u(10), "info": "x", "Attribute": [{"uuid": u(11), "type": "domain", "value": "a.example"}, {"uuid": u(12), "type": "no-such-type", "value": "x"}]}}).to_string(), vec![], "Event.Attribute[1].type: unknown MISP attribute type 'no-such-type'"),
        ("category.json", json!({"Event": {"uuid": u(20), "info": "x", "Attribute": [{"uuid": u(21), "type": "domain", "category": "Nope", "value": "a.example"}]}}).to_string(), vec![], "Event.Attribute[0].category"),
        ("value.json", json!({"Event": {"uuid": u(30), "info": "x", "Attribute": [{"uuid": u(31), "type": "domain", "value": ""}]}}).to_string(), vec![], "Event.Attribute[0].value"),
        ("uuid.json", json!({"Event": {"uuid": u(40), "info": "x", "Attribute": [{"type": "domain", "value": "a.example"}]}}).to_string(), vec!["--strict"], "Event.Attribute[0].uuid: missing"),
        ("event-uuid.json", json!({"Event": {"info": "x", "Attribute": []}}).to_string(), vec!["--strict"], "Event.uuid: missing"),
        ("reference.json", json!({"Event": {"uuid": u(50), "info": "x", "Object": [{"uuid": u(51), "name": "file", "Attribute": [{"uuid": u(52), "type": "filename", "object_relation": "filename", "value": "a.exe"}],
            "ObjectReference": [{"uuid": u(53), "relationship_type": "drops"}]}]}}).to_string(), vec![], "Event.Object[0].ObjectReference[0].referenced_uuid: missing"),
        ("dangling.json", json!({"Event": {"uuid": u(60), "info": "x", "Object": [{"uuid": u(61), "name": "file", "Attribute": [{"uuid": u(62), "type": "filename", "object_relation": "filename", "value": "a.exe"}],
            "ObjectReference": [{"uuid": u(63), "referenced_uuid": "b", "relationship_type": "drops"}]}]}}).to_string(), vec![], "Event.Object[0].ObjectReference[0].referenced_uuid: 'b' is not a UUID"),
        ("seen.json", json!({"Event": {"uuid": u(70), "info": "x", "Attribute": [{"uuid": u(71), "type": "domain", "value": "a.example", "first_seen": "yesterday"}]}}).to_string(), vec![], "Event.Attribute[0].first_seen"),
        ("relation.json", json!({"Event": {"uuid": u(80), "info": "x", "Object": [{"uuid": u(81), "name": "file", "Attribute": [{"uuid": u(82), "type": "filename", "value": "a.exe"}]}]}}).to_string(), vec![], "Event.Object[0].Attribute[0].object_relation"),
        ("level.json", json!({"Event": {"uuid": u(90), "info": "x", "threat_level_id": "9"}}).to_string(), vec![], "Event.threat_level_id"),
    ];
    let before = stix_count(&n).await;
    for (file, content, extra, says) in &cases {
        let p = tmp.path().join(file);
        std::fs::write(&p, content).expect("write");
        let mut args = vec!["misp", "import", "--quiet"];
        args.extend(extra.iter().copied());
        let ps = p.display().to_string();
        args.push(&ps);
        let out = n.cli(&args);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", text(&out.stdout));
        assert!(text(&out.stderr).contains(says), "{file}: expected '{says}' in: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("panicked"), "{file}");
    }
    assert_eq!(stix_count(&n).await, before, "nothing written");
    // A directory with one bad file: nothing written; --skip-invalid imports the good one.
    let dir = tmp.path().join("dir");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("a-good.json"), good.to_string()).expect("write");
    std::fs::write(dir.join("b-bad.json"), &cases[1].1).expect("write");
    let out = n.cli(&["misp", "import", "--quiet", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("b-bad.json") && text(&out.stderr).contains("nothing imported"), "{}", text(&out.stderr));
    assert_eq!(stix_count(&n).await, before);
    let out = n.cli(&["misp", "import", "--quiet", "--json", "--skip-invalid", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert_eq!(report_of(&out)["imported"], 1);
    assert!(stix_count(&n).await > before);
    // REST: the same errors, as problems naming the field.
    let t = n.admin_token.clone();
    let before = stix_count(&n).await;
    let (s, p) = n.post("/api/v1/misp/events", Some(&t), &serde_json::from_str(&cases[1].1).expect("json")).await;
    assert_eq!((s, p["field"].as_str()), (422, Some("Event.Attribute[1].type")), "{p}");
    let (s, p) = n.post("/api/v1/misp/events", Some(&t), &json!({"name": "Tea Matrix", "GalaxyCluster": []})).await;
    assert_eq!((s, p["field"].as_str()), (422, Some("Event")), "{p}");
    let (s, p) = n.post("/api/v1/misp/events?strict=true", Some(&t), &serde_json::from_str(&cases[4].1).expect("json")).await;
    assert_eq!((s, p["field"].as_str()), (422, Some("Event.Attribute[0].uuid")), "{p}");
    let resp = n.client().post(format!("{}/api/v1/misp/events", n.url)).bearer_auth(&t).header("content-type", "application/json").body(cases[0].1.clone()).send().await.expect("post");
    assert_eq!(resp.status(), 400);
    let (s, _) = n.post("/api/v1/misp/events", None, &good).await;
    assert_eq!(s, 401, "anonymous callers do not import");
    assert_eq!(stix_count(&n).await, before);
    let out = n.cli(&["misp", "import", "--quiet", "--format", "pdf", &dir.display().to_string()]);
    assert!(!out.status.success() && text(&out.stderr).contains("--format"));
});

on_all_backends!(csv_and_free_text_lists_become_indicators, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let list = tmp.path().join("blocklist.txt");
    std::fs::write(&list, "# a blocklist\n203.0.113.7\n198.51.100.0/24 scanners\nevil[.]example\nhxxp://evil.example/a\nbad@evil.example\n0749bae92ca336a02c83d126e04ec628\nnot an indicator\n2001:db8::1\n").expect("write");
    let out = n.cli(&["misp", "import", "--quiet", "--json", &list.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = report_of(&out);
    assert_eq!((r["values"].as_u64(), r["stix"]["stored"].as_u64()), (Some(7), Some(7)), "{r}");
    assert_eq!(r["skipped_lines"][0]["line"], 8, "{r}");
    let r = report_of(&n.cli(&["misp", "import", "--quiet", "--json", &list.display().to_string()]));
    assert_eq!((r["stix"]["stored"].as_u64(), r["stix"]["skipped"].as_u64()), (Some(0), Some(7)), "de-duplicated: {r}");
    let t = n.admin_token.clone();
    let (s, c) = n.get("/api/v1/stix/correlate?value=198.51.100.9", Some(&t)).await;
    assert_eq!(s, 200);
    assert!(c["matches"].as_array().is_some_and(|m| !m.is_empty()), "CIDR from the list correlates: {c}");
    let (s, c) = n.get("/api/v1/stix/correlate?value=www.evil.example", Some(&t)).await;
    assert_eq!(s, 200);
    assert!(c["matches"].as_array().is_some_and(|m| !m.is_empty()), "refanged domain correlates: {c}");
    let csv = tmp.path().join("iocs.csv");
    std::fs::write(&csv, "seen,ioc,comment\n2026-01-01,203.0.113.50,\"a, b\"\n2026-01-02,evil2.example,x\n2026-01-03,nothing,y\n").expect("write");
    let out = n.cli(&["misp", "import", "--quiet", "--json", "--column", "2", "--tlp", "TLP:CLEAR", &csv.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = report_of(&out);
    assert_eq!((r["stix"]["stored"].as_u64(), r["skipped_lines"].as_array().map(Vec::len)), (Some(2), Some(1)), "{r}");
    let (s, list) = n.get("/api/v1/stix/objects?type=indicator&limit=1000", None).await;
    assert_eq!(s, 200);
    let patterns: Vec<&str> = list.as_array().expect("list").iter().filter_map(|o| o["object"]["pattern"].as_str()).collect();
    assert_eq!(patterns, vec!["[ipv4-addr:value = '203.0.113.50']", "[domain-name:value = 'evil2.example']"], "only the TLP:CLEAR list is public");
});
