//! Evidence with a chain of custody, through the real binary on SQLite and PostgreSQL: content
//! streamed in and hashed (checked against `sha256sum`), read back with its digest, handed over
//! between organisations with the hash checked at each step, a wrong digest refused and recorded,
//! a tampered file found by `atalaya evidence verify`, restricted law-enforcement material hidden
//! from other roles, every read audited, bad input named.
use atalaya_testkit::{on_all_backends, TestNode};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

fn sha256sum(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("content");
    std::fs::write(&p, bytes).expect("write");
    let o = Command::new("sha256sum").arg(&p).output().expect("sha256sum");
    String::from_utf8_lossy(&o.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

/// Deterministic pseudo-random bytes (xorshift), so the content is not compressible or trivial.
fn content(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}


async fn upload(node: &TestNode, token: &str, query: &str, body: Vec<u8>) -> (u16, Value) {
    let r = node
        .client()
        .post(format!("{}/api/v1/evidence?{query}", node.url))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("upload");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

on_all_backends!(evidence_chain_of_custody, |backend| async move {
    let node = TestNode::start(bin(), backend).await;
    let (_, orgs) = node.get("/api/v1/organisations", Some(&node.admin_token)).await;
    let home = orgs.as_array().and_then(|a| a.iter().find(|o| o["home"] == true)).expect("home org")["id"].as_str().expect("id").to_string();
    let (s, le) = node
        .post(
            "/api/v1/organisations",
            Some(&node.admin_token),
            &json!({"name": "Unidad de Delitos Informáticos", "kind": "law-enforcement-cyber-unit", "country": "UY"}),
        )
        .await;
    assert!(s < 300, "{s} {le}");
    let le = le["id"].as_str().expect("id").to_string();
    let analyst = node.user_token(&home, "ana", "analyst").await;
    let auditor = node.user_token(&home, "audi", "auditor").await;
    let readonly = node.user_token(&home, "reader", "read-only").await;
    let officer = node.user_token(&le, "silva", "law-enforcement").await;

    // 1. Register 3 MiB, streamed; the digest is the one sha256sum computes.
    let bytes = content(3 * 1024 * 1024 + 17, 42);
    let expected = sha256sum(&bytes);
    let (s, rep) = upload(&node, &analyst, "description=Disk%20image%20of%20web%20server%20WS-3&filename=ws3.img&case_ref=INC-2026-7", bytes.clone()).await;
    assert_eq!(s, 201, "{rep}");
    assert_eq!(rep["evidence"]["sha256"], expected);
    assert_eq!(rep["evidence"]["size"], bytes.len());
    assert_eq!(rep["chain"][0]["action"], "acquire");
    let id = rep["evidence"]["id"].as_str().expect("id").to_string();

    // 2. Read back: same bytes, digest header; the read is audited.
    let r = node.client().get(format!("{}/api/v1/evidence/{id}/content", node.url)).bearer_auth(&analyst).send().await.expect("get");
    assert_eq!(r.status(), 200);
    let digest = r.headers().get("repr-digest").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(digest.starts_with("sha-256=:") && digest.ends_with(':'), "{digest}");
    let back = r.bytes().await.expect("body");
    assert!(back.as_ref() == bytes.as_slice(), "content differs");
    let reads = node.sql_count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.read_content' AND object_id = '{id}'")).await;
    assert_eq!(reads, 1);

    // 3. Who may see what: read-only and anonymous nothing, the auditor the record but not the content.
    let (s, _) = node.get(&format!("/api/v1/evidence/{id}"), Some(&readonly)).await;
    assert_eq!(s, 404, "read-only users must not see evidence");
    let (s, _) = node.get(&format!("/api/v1/evidence/{id}"), None).await;
    assert_eq!(s, 401);
    let (s, _) = node.get(&format!("/api/v1/evidence/{id}"), Some(&auditor)).await;
    assert_eq!(s, 200);
    let (s, _) = node.get(&format!("/api/v1/evidence/{id}/content"), Some(&auditor)).await;
    assert_eq!(s, 403);
    let (s, list) = node.get("/api/v1/evidence", Some(&readonly)).await;
    assert_eq!((s, list.as_array().map(|a| a.len())), (200, Some(0)));

    // 4. A hand-over whose receiver computed another digest is refused, and recorded.
    let wrong = "0".repeat(64);
    let (s, b) = node
        .post(&format!("/api/v1/evidence/{id}/custody"), Some(&analyst), &json!({"action": "transfer", "to_party": "Det. R. Silva", "to_org": le, "reason": "MLA request 2026/15", "sha256": wrong}))
        .await;
    assert_eq!(s, 409, "{b}");
    assert!(b["detail"].as_str().unwrap_or_default().contains("presented"), "{b}");
    let (_, rep) = node.get(&format!("/api/v1/evidence/{id}"), Some(&analyst)).await;
    assert_eq!(rep["chain"][1]["action"], "transfer-refused");
    assert_eq!(rep["chain"][1]["hash_ok"], false);
    assert_eq!(rep["evidence"]["custodian_org"], home, "a refused hand-over changes nothing");
    assert_eq!(rep["intact"], false);

    // 5. The right digest: custody moves to the law-enforcement unit.
    let (s, rep) = node
        .post(&format!("/api/v1/evidence/{id}/custody"), Some(&analyst), &json!({"action": "transfer", "to_party": "Det. R. Silva", "to_org": le, "reason": "MLA request 2026/15", "sha256": expected}))
        .await;
    assert_eq!(s, 200, "{rep}");
    assert_eq!(rep["evidence"]["custodian_org"], le);
    assert_eq!(rep["chain"][2]["action"], "transfer");
    assert_eq!(rep["chain"][2]["sha256_seen"], expected);
    // The owner still sees it, but only the custodian hands it on.
    let (s, b) = node.post(&format!("/api/v1/evidence/{id}/custody"), Some(&analyst), &json!({"action": "check", "reason": "routine"})).await;
    assert_eq!(s, 403, "{b}");
    let (s, b) = node.post(&format!("/api/v1/evidence/{id}/custody"), Some(&officer), &json!({"action": "check", "reason": "received in lab"})).await;
    assert_eq!(s, 200, "{b}");

    // 6. Restricted law-enforcement material: invisible to the analyst of another organisation.
    let (s, secret) = upload(&node, &officer, "description=Intercepted%20mailbox&restricted=true", content(4096, 7)).await;
    assert_eq!(s, 201, "{secret}");
    let sid = secret["evidence"]["id"].as_str().expect("id").to_string();
    let (s, _) = node.get(&format!("/api/v1/evidence/{sid}"), Some(&analyst)).await;
    assert_eq!(s, 404);
    let (_, list) = node.get("/api/v1/evidence", Some(&officer)).await;
    assert!(list.as_array().is_some_and(|a| a.iter().any(|e| e["id"] == sid.as_str())));

    // 7. Bad input names the field; nothing is kept.
    let files_before = count_files(&node.data_dir.path().join("evidence"));
    let (s, b) = upload(&node, &analyst, "description=", vec![1, 2, 3]).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("description")), "{b}");
    let (s, b) = upload(&node, &analyst, "description=x&media_type=notatype", vec![1, 2, 3]).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("media_type")), "{b}");
    let (s, b) = node.post(&format!("/api/v1/evidence/{id}/custody"), Some(&officer), &json!({"action": "transfer", "reason": "x"})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("to_party")), "{b}");
    let (s, b) = node.post(&format!("/api/v1/evidence/{id}/custody"), Some(&officer), &json!({"action": "check", "reason": "x", "sha256": "abc"})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("sha256")), "{b}");
    assert_eq!(count_files(&node.data_dir.path().join("evidence")), files_before, "refused uploads left files behind");
    let n = node.sql_count("SELECT COUNT(*) FROM evidence").await;
    assert_eq!(n, 2);

    // 8. Tampering on disk: `atalaya evidence verify` names the record; the next hand-over is refused.
    let stored = node.data_dir.path().join("evidence").join(&expected[..2]).join(&expected);
    let mut raw = std::fs::read(&stored).expect("stored content");
    raw[1000] ^= 0xff;
    std::fs::write(&stored, &raw).expect("tamper");
    let o = node.cli(&["evidence", "verify"]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&id), "{}", String::from_utf8_lossy(&o.stderr));
    let (s, b) = node.post(&format!("/api/v1/evidence/{id}/custody"), Some(&officer), &json!({"action": "check", "reason": "before court"})).await;
    assert_eq!(s, 409, "{b}");
    assert!(b["detail"].as_str().unwrap_or_default().contains("no longer matches"), "{b}");

    // 9. The printable report shows every step, the failed ones marked.
    let html_path = node.data_dir.path().join("report.html");
    let o = node.cli(&["evidence", "report", &id, "--html", &html_path.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&html_path).expect("html");
    for needle in ["Chain of custody", "transfer-refused", "Det. R. Silva", "MLA request 2026/15", "MISMATCH", expected.as_str()] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    let r = node.client().get(format!("{}/api/v1/evidence/{id}/report.html", node.url)).bearer_auth(&officer).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().starts_with("text/html"));
});

fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    n += 1;
                }
            }
        }
    }
    n
}
