//! CSAF 2.0 advisories through the real binary on SQLite and PostgreSQL: every OASIS example
//! imports and exports with the same JSON; advisories authored at every TLP (and revised) are
//! complete documents; every export passes the BSI csaf-validator-lib (schema + all mandatory
//! tests) in one `node` process; broken documents are refused naming the JSON path and the CSAF
//! test; search by vendor, product, CVE, sector and TLP; reads follow TLP policy.
use atalaya_testkit::{on_all_backends, TestNode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

fn examples() -> Vec<PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf-examples");
    let mut out = vec![];
    for dir in [base.clone(), base.join("csaf_vex")] {
        for e in std::fs::read_dir(&dir).expect("shared/data/csaf-examples").flatten() {
            if e.path().extension().is_some_and(|x| x == "json") {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}


async fn post_raw(node: &TestNode, path: &str, token: &str, body: Vec<u8>) -> (u16, Value) {
    let r = node
        .client()
        .post(format!("{}{path}", node.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn author_input(tlp: &str, n: usize) -> Value {
    json!({
        "title": format!("Remote code execution in ExampleSCADA HMI ({tlp})"),
        "summary": "A crafted request lets an unauthenticated attacker run code on the HMI.",
        "tlp": tlp,
        "lang": "es",
        "products": [
            {"vendor": "Example Industrial", "product": "ExampleSCADA HMI", "version": "4.2.0", "status": "known_affected"},
            {"vendor": "Example Industrial", "product": "ExampleSCADA HMI", "version": "4.2.1", "status": "fixed"},
            {"vendor": format!("Grid Vendor {n}"), "product": "Gateway", "version": "vers:semver/<2.0.0", "status": "under_investigation"}
        ],
        "vulnerabilities": [
            {"cve": format!("CVE-2026-{}", 20000 + n), "title": "Deserialisation", "cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
            {"cve": format!("CVE-2026-{}", 30000 + n), "cvss_v3": "CVSS:3.0/AV:A/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:N"}
        ],
        "remediations": [{"category": "vendor_fix", "details": "Update to 4.2.1.", "url": "https://example.com/fix"},
                         {"category": "workaround", "details": "Block TCP 502 from untrusted networks.", "products": [0, 2]}],
        "sectors": ["energy", (["water", "health-care"])[n % 2]],
        "references": [{"url": "https://example.com/advisory", "summary": "Vendor advisory"}]
    })
}

/// Runs the BSI validator on every file in one process; `None` when it is not installed (and
/// not under CI).
fn bsi_validate(files: &[PathBuf]) -> Option<(bool, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/csaf");
    if !dir.join("node_modules/@secvisogram/csaf-validator-lib").exists() {
        assert!(std::env::var_os("CI").is_none(), "CI: run .ci/setup (npm ci in {})", dir.display());
        eprintln!("SKIP BSI csaf-validator-lib: run `npm ci` in {}", dir.display());
        return None;
    }
    let out = Command::new("node").current_dir(&dir).arg("validate-csaf.mjs").args(files).output().expect("node");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    Some((out.status.success(), text))
}

on_all_backends!(csaf_advisories_end_to_end, |backend| async move {
    let node = TestNode::start_with(bin(), backend, &[("ATALAYA_COUNTRY", "UY"), ("ATALAYA_NODE_NAME", "CERTuy")]).await;
    let (_, orgs) = node.get("/api/v1/organisations", Some(&node.admin_token)).await;
    let home = orgs.as_array().and_then(|a| a.iter().find(|o| o["home"] == true)).expect("home org")["id"].as_str().expect("id").to_string();
    let (s, other) = node
        .post("/api/v1/organisations", Some(&node.admin_token), &json!({"name": "CSIRT Energía", "kind": "sector-csirt", "country": "UY"}))
        .await;
    assert!(s < 300, "{s} {other}");
    let other = other["id"].as_str().expect("id").to_string();
    let analyst = node.user_token(&home, "ana", "analyst").await;
    let analyst2 = node.user_token(&home, "beto", "analyst").await;
    let outsider = node.user_token(&other, "carla", "analyst").await;
    let reader = node.user_token(&home, "dora", "read-only").await;
    let out_dir = tempfile::tempdir().expect("tmp");
    let mut exported = vec![];

    // 1. Every OASIS example imports, and exports back with the same JSON.
    let files = examples();
    assert_eq!(files.len(), 19);
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let (s, r) = post_raw(&node, "/api/v1/advisories", &analyst, bytes.clone()).await;
        assert_eq!(s, 201, "{}: {r}", f.display());
        let id = r["advisory"]["id"].as_str().expect("id").to_string();
        let (s, doc) = node.get(&format!("/api/v1/advisories/{id}/csaf"), Some(&analyst)).await;
        assert_eq!(s, 200);
        let original: Value = serde_json::from_slice(&bytes).expect("json");
        assert!(doc == original, "{}: export differs from the import", f.display());
        let p = out_dir.path().join(format!("example-{}", f.file_name().and_then(|n| n.to_str()).unwrap_or("x.json")));
        std::fs::write(&p, serde_json::to_vec(&doc).expect("ser")).expect("write");
        exported.push(p);
        // The same document again changes nothing.
        let (s, r) = post_raw(&node, "/api/v1/advisories", &analyst, bytes).await;
        assert_eq!((s, r["outcome"].as_str()), (200, Some("unchanged")), "{r}");
    }

    // 2. Broken documents are refused, naming the JSON path and the test.
    let bsi: Value = serde_json::from_slice(&std::fs::read(&files[0]).expect("read")).expect("json");
    let mut d = bsi.clone();
    d["document"]["tracking"]["id"] = json!("BROKEN-1");
    d["vulnerabilities"][0]["product_status"]["fixed"][0] = json!("CSAFPID-9999");
    let (s, b) = post_raw(&node, "/api/v1/advisories", &analyst, serde_json::to_vec(&d).expect("ser")).await;
    assert_eq!(s, 422, "{b}");
    let text = b.to_string();
    assert!(text.contains("/vulnerabilities/0/product_status/fixed/0") && text.contains("6.1.1"), "{b}");
    let mut d = bsi.clone();
    d["document"]["tracking"]["id"] = json!("BROKEN-2");
    d["document"]["tracking"]["version"] = json!("9");
    let (s, b) = post_raw(&node, "/api/v1/advisories", &analyst, serde_json::to_vec(&d).expect("ser")).await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("/document/tracking/version") && b.to_string().contains("6.1.16"), "{b}");
    let mut d = bsi.clone();
    d["document"]["tracking"]["id"] = json!("BROKEN-3");
    d["document"]["distribution"]["tlp"]["label"] = json!("TLP:PINK");
    let (s, b) = post_raw(&node, "/api/v1/advisories", &analyst, serde_json::to_vec(&d).expect("ser")).await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("/document/distribution/tlp/label"), "{b}");
    let whole = serde_json::to_vec(&bsi).expect("ser");
    let (s, b) = post_raw(&node, "/api/v1/advisories", &analyst, whole[..whole.len() / 2].to_vec()).await;
    assert_eq!(s, 400, "{b}");
    // Same tracking id and version, other content: a conflict on the version.
    let mut d = bsi.clone();
    d["document"]["title"] = json!("Changed without a new version");
    let (s, b) = post_raw(&node, "/api/v1/advisories", &analyst, serde_json::to_vec(&d).expect("ser")).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(node.sql_count("SELECT COUNT(*) FROM advisories WHERE tracking_id LIKE 'BROKEN-%'").await, 0);
    // A newer version (another organisation brings it in): stored, the old one kept; an older one refused.
    let mut v2 = bsi.clone();
    let mut rev = v2["document"]["tracking"]["revision_history"][0].clone();
    rev["number"] = json!("2");
    rev["date"] = json!("2030-01-01T00:00:00.000Z");
    rev["summary"] = json!("Second version.");
    v2["document"]["tracking"]["revision_history"].as_array_mut().expect("history").push(rev);
    v2["document"]["tracking"]["version"] = json!("2");
    v2["document"]["tracking"]["current_release_date"] = json!("2030-01-01T00:00:00.000Z");
    let (s, r) = post_raw(&node, "/api/v1/advisories", &outsider, serde_json::to_vec(&v2).expect("ser")).await;
    assert_eq!((s, r["outcome"].as_str()), (200, Some("updated")), "{r}");
    assert_eq!(r["advisory"]["versions"], json!(["1", "2"]));
    let (s, r) = post_raw(&node, "/api/v1/advisories", &analyst, serde_json::to_vec(&bsi).expect("ser")).await;
    assert_eq!(s, 409, "an older version is refused: {r}");

    // 3. Author at every TLP; publisher, tracking id, revision history are filled in.
    let mut ids = vec![];
    for (n, tlp) in ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"].iter().enumerate() {
        let (s, a) = node.post("/api/v1/advisories/author", Some(&analyst), &author_input(tlp, n)).await;
        assert_eq!(s, 201, "{tlp}: {a}");
        assert_eq!(a["tlp"], *tlp);
        assert!(a["tracking_id"].as_str().unwrap_or_default().starts_with("ATALAYA-UY-"), "{a}");
        assert!(a["tracking_id"].as_str().unwrap_or_default().ends_with(&format!("-{:04}", n + 1)), "{a}");
        let id = a["id"].as_str().expect("id").to_string();
        let (s, doc) = node.get(&format!("/api/v1/advisories/{id}/csaf"), Some(&analyst)).await;
        assert_eq!(s, 200);
        assert_eq!(doc["document"]["publisher"]["name"], "CERTuy");
        assert_eq!(doc["document"]["tracking"]["version"], "1");
        let label = doc["document"]["distribution"]["tlp"]["label"].as_str().unwrap_or_default().to_string();
        let expected = match *tlp {
            "TLP:CLEAR" => "WHITE",
            "TLP:GREEN" => "GREEN",
            "TLP:RED" => "RED",
            _ => "AMBER",
        };
        assert_eq!(label, expected);
        if *tlp == "TLP:AMBER+STRICT" {
            assert!(doc["document"]["distribution"]["text"].as_str().unwrap_or_default().starts_with("TLP:AMBER+STRICT"));
        }
        let p = out_dir.path().join(format!("authored-{n}.json"));
        std::fs::write(&p, serde_json::to_vec(&doc).expect("ser")).expect("write");
        exported.push(p);
        ids.push(id);
    }
    // Bad author input names the field.
    let mut bad = author_input("TLP:GREEN", 9);
    bad["products"][0]["version"] = json!("all versions before 4.2.1");
    bad["remediations"][1]["products"] = json!([7]);
    let (s, b) = node.post("/api/v1/advisories/author", Some(&analyst), &bad).await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("/products/0/version") && b.to_string().contains("/remediations/1/products/0"), "{b}");
    let mut bad = author_input("TLP:GREEN", 9);
    bad["indicators"] = json!(["indicator--6b2a8f4e-2d8a-4e55-8f2e-3a4b5c6d7e8f"]);
    let (s, b) = node.post("/api/v1/advisories/author", Some(&analyst), &bad).await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("/indicators/0"), "{b}");
    let (s, _) = node.post("/api/v1/advisories/author", Some(&reader), &author_input("TLP:GREEN", 9)).await;
    assert_eq!(s, 403, "read-only users do not author");
    // Links to a real incident case and a real STIX indicator of this node are kept with the advisory.
    let (s, case) = node.post("/api/v1/incidents", Some(&analyst), &json!({"title": "Ransomware en HMI", "rsit": "rsit:malicious-code=\"c2-server\"", "severity": 2})).await;
    assert!(s < 300, "{s} {case}");
    let case_id = case["id"].as_str().expect("case id").to_string();
    let indicator = "indicator--0f6b8c2e-8a7d-4b49-9c1e-2d3f4a5b6c7d";
    let (s, b) = node
        .post("/api/v1/stix/bundles", Some(&analyst), &json!({"type": "bundle", "id": "bundle--1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b", "objects": [{
            "type": "indicator", "spec_version": "2.1", "id": indicator, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
            "name": "HMI exploit source", "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}]}))
        .await;
    assert!(s < 300, "{s} {b}");
    let mut linked = author_input("TLP:AMBER", 7);
    linked["incidents"] = json!([case_id]);
    linked["indicators"] = json!([indicator]);
    let (s, a) = node.post("/api/v1/advisories/author", Some(&analyst), &linked).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!((a["incidents"].clone(), a["indicators"].clone()), (json!([case_id]), json!([indicator])));
    let linked_id = a["id"].as_str().expect("id").to_string();
    let (_, doc) = node.get(&format!("/api/v1/advisories/{linked_id}/csaf"), Some(&analyst)).await;
    assert!(!doc.to_string().contains(&case_id), "links stay beside the document, not in it");
    let p = out_dir.path().join("linked.json");
    std::fs::write(&p, serde_json::to_vec(&doc).expect("ser")).expect("write");
    exported.push(p);

    // 4. A new revision: version 2, two history entries; the old version stays exportable.
    let (s, a) = node
        .post(&format!("/api/v1/advisories/{}/revisions", ids[1]), Some(&analyst), &json!({"revision_summary": "Fix for the gateway.", "advisory": author_input("TLP:GREEN", 1)}))
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["version"], "2");
    assert_eq!(a["versions"], json!(["1", "2"]));
    let (_, doc) = node.get(&format!("/api/v1/advisories/{}/csaf", ids[1]), Some(&analyst)).await;
    assert_eq!(doc["document"]["tracking"]["revision_history"].as_array().map(Vec::len), Some(2));
    let (s, v1) = node.get(&format!("/api/v1/advisories/{}/csaf?version=1", ids[1]), Some(&analyst)).await;
    assert_eq!((s, v1["document"]["tracking"]["version"].as_str()), (200, Some("1")));
    let p = out_dir.path().join("revised.json");
    std::fs::write(&p, serde_json::to_vec(&doc).expect("ser")).expect("write");
    exported.push(p);
    let (s, _) = node
        .post(&format!("/api/v1/advisories/{}/revisions", ids[1]), Some(&outsider), &json!({"revision_summary": "x", "advisory": author_input("TLP:GREEN", 1)}))
        .await;
    assert_eq!(s, 403, "another organisation does not revise our advisory");

    // 5. Every export passes the BSI validator (schema + mandatory tests), in one process.
    if let Some((ok, text)) = bsi_validate(&exported) {
        assert!(ok, "BSI csaf-validator-lib:\n{text}");
        assert!(text.contains(&format!("{} passed, 0 failed", exported.len())), "{text}");
    }
    // …and it does fail on a broken document (the oracle can fail).
    let broken = out_dir.path().join("broken.json");
    let mut d = bsi.clone();
    d["vulnerabilities"][0]["product_status"]["fixed"][0] = json!("CSAFPID-9999");
    std::fs::write(&broken, serde_json::to_vec(&d).expect("ser")).expect("write");
    if let Some((ok, text)) = bsi_validate(&[broken]) {
        assert!(!ok && text.contains("mandatoryTest_6_1_1"), "{text}");
    }

    // 6. Search: vendor, product, CVE, sector, TLP, text.
    let (_, l) = node.get("/api/v1/advisories?vendor=grid%20vendor%203", Some(&analyst)).await;
    assert_eq!(l.as_array().map(|a| a.iter().map(|x| x["id"].clone()).collect::<Vec<_>>()), Some(vec![json!(ids[3])]), "{l}");
    let (_, l) = node.get("/api/v1/advisories?cve=CVE-2026-20002", Some(&analyst)).await;
    assert_eq!(l.as_array().map(Vec::len), Some(1));
    assert_eq!(l[0]["id"], json!(ids[2]));
    let (_, l) = node.get("/api/v1/advisories?sector=health-care", Some(&analyst)).await;
    let n_health = l.as_array().map(Vec::len);
    assert_eq!(n_health, Some(3), "{l}");
    let (_, l) = node.get("/api/v1/advisories?product=examplescada&tlp=clear", Some(&analyst)).await;
    assert_eq!(l.as_array().map(Vec::len), Some(1));
    let (_, l) = node.get("/api/v1/advisories?vendor=Cisco", Some(&analyst)).await;
    assert!(l.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(|x| x["vendors"].to_string().contains("Cisco"))), "{l}");
    let (s, b) = node.get("/api/v1/advisories?tlp=PINK", Some(&analyst)).await;
    assert_eq!(s, 422, "{b}");

    // 7. Policy by TLP: AMBER+STRICT only the owner organisation, RED only the author.
    let (s, _) = node.get(&format!("/api/v1/advisories/{}", ids[3]), Some(&outsider)).await;
    assert_eq!(s, 404);
    let (s, _) = node.get(&format!("/api/v1/advisories/{}", ids[2]), Some(&outsider)).await;
    assert_eq!(s, 200);
    let (s, _) = node.get(&format!("/api/v1/advisories/{}/csaf", ids[4]), Some(&analyst2)).await;
    assert_eq!(s, 404, "TLP:RED is for the named individual");
    let (s, _) = node.get(&format!("/api/v1/advisories/{}", ids[4]), Some(&analyst)).await;
    assert_eq!(s, 200);
    let (_, l) = node.get("/api/v1/advisories?q=ExampleSCADA", Some(&outsider)).await;
    let seen: Vec<String> = l.as_array().into_iter().flatten().map(|x| x["tlp"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(!seen.iter().any(|t| t == "TLP:AMBER+STRICT" || t == "TLP:RED"), "{seen:?}");
    let (s, _) = node.get(&format!("/api/v1/advisories/{}", ids[1]), None).await;
    assert_eq!(s, 401);
    assert!(node.sql_count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'advisory.read' AND object_id = '{}'", ids[2])).await >= 1);

    // 8. The CLI: import a directory (one refused document named, exit 1), list, export.
    let dir = tempfile::tempdir().expect("tmp");
    let mut fresh = bsi.clone();
    fresh["document"]["tracking"]["id"] = json!("CLI-2026-1");
    std::fs::write(dir.path().join("a.json"), serde_json::to_vec(&fresh).expect("ser")).expect("write");
    let mut broken = bsi.clone();
    broken["document"]["tracking"]["id"] = json!("CLI-2026-2");
    broken["document"]["tracking"]["revision_history"][0]["number"] = json!("4");
    std::fs::write(dir.path().join("b.json"), serde_json::to_vec(&broken).expect("ser")).expect("write");
    let dir_s = dir.path().display().to_string();
    let out = node.cli(&["advisory", "import", &dir_s]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("b.json") && err.contains("/document/tracking/version") && err.contains("6.1.16"), "{err}");
    assert!(err.contains("1 imported, 1 refused"), "{err}");
    let out = node.cli(&["advisory", "list", "--q", "CLI-2026"]);
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let id = listed.split('\t').next().unwrap_or_default().to_string();
    let target = dir.path().join("out.json");
    let target_s = target.display().to_string();
    let out = node.cli(&["advisory", "export", &id, "--output", &target_s]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let back: Value = serde_json::from_slice(&std::fs::read(&target).expect("read")).expect("json");
    assert!(back == fresh, "CLI export differs from the import");
    let out = node.cli(&["advisory", "export", "not-a-uuid"]);
    assert!(!out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim().lines().count(), 1);
});
