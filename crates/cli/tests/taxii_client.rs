//! The TAXII 2.1 client of the real binary, on SQLite and PostgreSQL: `atalaya taxii push`
//! into one node, `atalaya taxii pull` into another (paging, resuming, a remote that fails
//! part-way: nothing lost), scheduled feeds run by `atalaya serve` with their status over REST
//! and provenance in the audit log, collection administration by CLI and REST, and readable
//! one-line errors for unreachable remotes and bad input.
use atalaya_testkit::{on_all_backends, TestNode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const TAXII: &str = "application/taxii+json;version=2.1";
const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

fn text(o: &Output) -> String {
    format!("status {:?}\nstdout: {}\nstderr: {}", o.status.code(), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// `n` TLP:GREEN indicators with distinct ids and values, tagged with `tag`.
fn indicators(n: usize, tag: &str) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let id = uuid::Uuid::new_v4();
            json!({
                "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{id}"),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "name": format!("{tag} {i}"), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", (i >> 16) & 255, (i >> 8) & 255, i & 255),
                "object_marking_refs": [GREEN],
            })
        })
        .collect()
}

fn write_jsonl(dir: &Path, name: &str, objs: &[Value]) -> std::path::PathBuf {
    let p = dir.join(name);
    let body: String = objs.iter().map(|o| format!("{o}\n")).collect();
    std::fs::write(&p, body).expect("write");
    p
}

fn push(url: &str, collection: &str, token: &str, file: &Path) -> Output {
    Command::new(bin())
        .args(["taxii", "push", url, "--collection", collection, "--quiet"])
        .arg(file)
        .env("ATALAYA_TAXII_TOKEN", token)
        .output()
        .expect("run push")
}

async fn default_collection(n: &TestNode) -> String {
    let resp = n
        .client()
        .get(format!("{}/taxii2/api/collections/", n.url))
        .header("accept", TAXII)
        .bearer_auth(&n.admin_token)
        .send()
        .await
        .expect("collections");
    let v: Value = resp.json().await.expect("json");
    v["collections"][0]["id"].as_str().expect("id").to_string()
}

/// Every object id the node shows over TAXII in its default collection.
async fn ids_on(n: &TestNode) -> BTreeSet<String> {
    let coll = default_collection(n).await;
    let mut out = BTreeSet::new();
    let mut next: Option<String> = None;
    loop {
        let mut url = format!("{}/taxii2/api/collections/{coll}/objects/?limit=1000", n.url);
        if let Some(t) = &next {
            url.push_str(&format!("&next={t}"));
        }
        let v: Value = n.client().get(url).header("accept", TAXII).bearer_auth(&n.admin_token).send().await.expect("get").json().await.expect("json");
        for o in v["objects"].as_array().cloned().unwrap_or_default() {
            out.insert(o["id"].as_str().unwrap_or("").to_string());
        }
        if v["more"] != true {
            return out;
        }
        next = v["next"].as_str().map(str::to_string);
    }
}

fn id_set(objs: &[Value]) -> BTreeSet<String> {
    objs.iter().map(|o| o["id"].as_str().unwrap_or("").to_string()).collect()
}

/// A TAXII pass-through to `upstream` that answers 503 to the `fail_at`-th objects request
/// (1-based) and passes every other request through unchanged.
async fn flaky_proxy(upstream: String, fail_at: usize) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    tokio::spawn(async move {
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let client = client.clone();
            let upstream = upstream.clone();
            let count = c2.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut got = 0;
                loop {
                    let n = sock.read(&mut buf[got..]).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    got += n;
                    if buf[..got].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&buf[..got]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let auth = head.lines().find_map(|l| l.strip_prefix("authorization: ").or_else(|| l.strip_prefix("Authorization: "))).unwrap_or("").to_string();
                let (status, ct, body) = if path.contains("/objects/") && count.fetch_add(1, Ordering::SeqCst) + 1 == fail_at {
                    (503, "content-type: application/taxii+json;version=2.1\r\n".to_string(), br#"{"title":"Service unavailable","description":"maintenance"}"#.to_vec())
                } else {
                    let r = client.get(format!("{upstream}{path}")).header("accept", TAXII).header("authorization", auth).send().await.expect("upstream");
                    let status = r.status().as_u16();
                    let mut headers = String::new();
                    for h in ["content-type", "x-taxii-date-added-first", "x-taxii-date-added-last"] {
                        if let Some(v) = r.headers().get(h).and_then(|v| v.to_str().ok()) {
                            headers.push_str(&format!("{h}: {v}\r\n"));
                        }
                    }
                    let body = r.bytes().await.expect("body").to_vec();
                    (status, headers, body)
                };
                let resp = format!("HTTP/1.1 {status} X\r\n{ct}content-length: {}\r\nconnection: close\r\n\r\n", body.len());
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.write_all(&body).await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

async fn wait_for<F, Fut>(what: &str, secs: u64, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..secs * 4 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out waiting for {what}");
}

on_all_backends!(push_pull_resume_and_failures, |backend| async move {
    let source = TestNode::start_with(bin(), backend, &[("ATALAYA_NODE_NAME", "Source CSIRT")]).await;
    let sink = TestNode::start_with(bin(), backend, &[("ATALAYA_NODE_NAME", "Sink CSIRT")]).await;
    let coll = default_collection(&source).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let discovery = format!("{}/taxii2/", source.url);

    // Push 2,500 objects in envelopes of 1,000: every one accepted.
    let first = indicators(2500, "first");
    let out = push(&discovery, &coll, &source.admin_token, &write_jsonl(dir.path(), "first.jsonl", &first));
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2500 objects sent in 3 requests: 2500 succeeded, 0 failed"), "{}", text(&out));
    assert_eq!(ids_on(&source).await, id_set(&first));

    // Pull through a remote that fails on the third page: two pages are kept, the error is one
    // line, the cursor stops at what was stored.
    let (proxy, hits) = flaky_proxy(source.url.clone(), 3).await;
    let proxy_url = format!("{proxy}/taxii2/api/");
    let tok = source.admin_token.clone();
    let out = sink.cli(&["taxii", "pull", &proxy_url, "--collection", &coll, "--token", &tok, "--quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("HTTP 503") && err.contains("maintenance") && err.lines().count() == 1, "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2000 objects fetched in 2 pages: 2000 stored"), "{}", text(&out));
    assert_eq!(ids_on(&sink).await.len(), 2000);

    // Run again: it resumes just before the last stored date added (objects sharing it may not
    // all have been on page 2, so those are fetched again and skipped) and loses nothing.
    let before = hits.load(Ordering::SeqCst);
    let out = sink.cli(&["taxii", "pull", &proxy_url, "--collection", &coll, "--token", &tok, "--quiet", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let rep: Value = serde_json::from_slice(&out.stdout).expect("report");
    let (stored, skipped, fetched) = (rep["stored"].as_u64().unwrap_or(0), rep["skipped"].as_u64().unwrap_or(0), rep["fetched"].as_u64().unwrap_or(0));
    assert_eq!(stored, 500, "{rep}");
    assert!(fetched <= 1500 && skipped == fetched - stored, "resumed, not started over: {rep}");
    assert!(hits.load(Ordering::SeqCst) > before);
    assert_eq!(ids_on(&sink).await, id_set(&first), "every object arrived exactly once");

    // Incremental: 7 new objects, the next pull stores exactly those.
    let more = indicators(7, "more");
    let out = push(&format!("{}/taxii2/api/", source.url), &coll, &source.admin_token, &write_jsonl(dir.path(), "more.jsonl", &more));
    assert!(out.status.success(), "{}", text(&out));
    // (The pull state is kept per URL and collection: the same URL as before.)
    let out = sink.cli(&["taxii", "pull", &proxy_url, "--collection", &coll, "--token", &tok, "--quiet", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let rep: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!((rep["fetched"].as_u64(), rep["stored"].as_u64(), rep["rejected"].as_u64()), (Some(7), Some(7), Some(0)), "only the new objects: {rep}");
    let mut all = id_set(&first);
    all.extend(id_set(&more));
    assert_eq!(ids_on(&sink).await, all);

    // Pulled objects are identical to imported ones (same JSON, same TLP).
    let probe = more[3]["id"].as_str().expect("id");
    let (s, v) = sink.get(&format!("/api/v1/stix/objects/{probe}"), Some(&sink.admin_token)).await;
    assert_eq!(s, 200, "{v}");
    assert!(v.to_string().contains("more 3"), "{v}");

    // Errors are one readable line with a non-zero exit code.
    let out = sink.cli(&["taxii", "pull", &discovery, "--collection", &coll, "--token", "atl_wrong", "--quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"), "{}", text(&out));
    let out = sink.cli(&["taxii", "pull", "http://127.0.0.1:9/taxii2/", "--collection", &coll, "--quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"), "{}", text(&out));
    let out = sink.cli(&["taxii", "pull", &discovery, "--collection", "not a collection!", "--quiet"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("collection"), "{}", text(&out));
    let out = sink.cli(&["taxii", "pull", &discovery, "--collection", &uuid::Uuid::new_v4().to_string(), "--token", &tok, "--quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("404"), "{}", text(&out));
    let out = push(&discovery, &coll, "atl_wrong", &write_jsonl(dir.path(), "x.jsonl", &indicators(1, "x")));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"), "{}", text(&out));
});

on_all_backends!(scheduled_feeds_and_admin, |backend| async move {
    let source = TestNode::start_with(bin(), backend, &[("ATALAYA_NODE_NAME", "Source CSIRT")]).await;
    let sink = TestNode::start_with(bin(), backend, &[("ATALAYA_NODE_NAME", "Sink CSIRT")]).await;
    let coll = default_collection(&source).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let api = format!("{}/taxii2/api/", source.url);
    let first = indicators(30, "feed");
    assert!(push(&api, &coll, &source.admin_token, &write_jsonl(dir.path(), "a.jsonl", &first)).status.success());

    // A feed added by CLI on the store of the running node is pulled by its scheduler.
    let out = sink.cli(&["taxii", "feed", "add", "source-all", &api, "--collection", &coll, "--every", "1s", "--token", &source.admin_token]);
    assert!(out.status.success(), "{}", text(&out));
    let t = sink.admin_token.clone();
    wait_for("the first scheduled pull", 30, || async {
        let (s, v) = sink.get("/api/v1/taxii/feeds/source-all", Some(&t)).await;
        s == 200 && v["total_fetched"] == 30 && v["last_success_at"].is_string()
    })
    .await;
    assert_eq!(ids_on(&sink).await, id_set(&first));
    let (_, f) = sink.get("/api/v1/taxii/feeds/source-all", Some(&t)).await;
    assert_eq!(f["auth"], "bearer");
    assert!(f.get("secret").is_none() && !f.to_string().contains(&source.admin_token), "secrets never shown: {f}");
    assert!(f["cursor"].is_string() && f["last_error"].is_null(), "{f}");

    // New objects at the source arrive by themselves.
    let later = indicators(5, "later");
    assert!(push(&api, &coll, &source.admin_token, &write_jsonl(dir.path(), "b.jsonl", &later)).status.success());
    let want: BTreeSet<String> = id_set(&first).union(&id_set(&later)).cloned().collect();
    wait_for("the later objects", 30, || async { ids_on(&sink).await == want }).await;

    // Provenance: every pull that brought objects is in the audit log with the feed's name (the
    // entry commits with the cursor, right after the objects).
    let audited = || async {
        let (s, audit) = sink.get("/api/v1/audit?limit=1000", Some(&t)).await;
        assert_eq!(s, 200);
        let pulls: Vec<Value> = audit.as_array().expect("entries").iter().filter(|e| e["action"] == "taxii.pull").cloned().collect();
        assert!(!pulls.is_empty() && pulls.iter().all(|e| e["detail"]["feed"] == "source-all" && e["detail"]["url"] == api.as_str()), "{audit}");
        pulls.iter().map(|e| e["detail"]["objects"].as_u64().unwrap_or(0)).sum::<u64>()
    };
    wait_for("the audit entries of both pulls", 30, || async { audited().await == 35 }).await;

    // A failing remote shows in the status; the CLI lists it.
    let (s, _) = sink
        .post("/api/v1/taxii/feeds", Some(&t), &json!({"name": "dead", "url": "http://127.0.0.1:9/taxii2/", "collection": coll, "interval_secs": 1}))
        .await;
    assert_eq!(s, 201);
    wait_for("the failing feed's status", 30, || async {
        let (_, v) = sink.get("/api/v1/taxii/feeds/dead", Some(&t)).await;
        v["last_error"].as_str().is_some_and(|e| e.contains("cannot connect"))
    })
    .await;
    let out = sink.cli(&["taxii", "feed", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(listing.contains("source-all") && listing.contains("dead") && listing.contains("cannot connect"), "{listing}");

    // Bad input: problem+json naming the field; rights.
    let (s, v) = sink.post("/api/v1/taxii/feeds", Some(&t), &json!({"name": "x", "url": "ftp://example.org/", "collection": coll})).await;
    assert_eq!((s, v["field"].as_str()), (422, Some("url")), "{v}");
    let (s, v) = sink.post("/api/v1/taxii/feeds", Some(&t), &json!({"name": "source-all", "url": api, "collection": coll})).await;
    assert_eq!((s, v["field"].as_str()), (409, Some("name")), "{v}");
    let (s, v) = sink.post("/api/v1/taxii/feeds", Some(&t), &json!({"name": "y", "url": api, "collection": coll, "username": "u"})).await;
    assert_eq!((s, v["field"].as_str()), (422, Some("password")), "{v}");
    let (s, _) = sink.get("/api/v1/taxii/feeds", None).await;
    assert_eq!(s, 401);
    let out = sink.cli(&["taxii", "feed", "add", "z", &api, "--collection", &coll, "--every", "soon"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: --every:"), "{}", text(&out));

    // A feed without a schedule is pulled on demand over REST: everything is already here.
    let (s, v) = sink.post("/api/v1/taxii/feeds", Some(&t), &json!({"name": "manual", "url": api, "collection": coll, "token": source.admin_token})).await;
    assert_eq!(s, 201, "{v}");
    assert!(v["interval_secs"].is_null());
    let (s, rep) = sink.post("/api/v1/taxii/feeds/manual/run", Some(&t), &json!({})).await;
    assert_eq!(s, 200, "{rep}");
    assert_eq!((rep["fetched"].as_u64(), rep["stored"].as_u64(), rep["skipped"].as_u64(), rep["error"].clone()), (Some(35), Some(0), Some(35), Value::Null), "{rep}");
    let (s, _) = sink.post("/api/v1/taxii/feeds/nope/run", Some(&t), &json!({})).await;
    assert_eq!(s, 404);
    assert!(sink.cli(&["taxii", "feed", "remove", "manual"]).status.success());

    // Removal stops the schedule; the objects stay.
    let (s, _) = sink.call("DELETE", "/api/v1/taxii/feeds/dead", Some(&t), None).await;
    assert_eq!(s, 204);
    assert!(sink.cli(&["taxii", "feed", "remove", "source-all"]).status.success());
    let (_, v) = sink.get("/api/v1/taxii/feeds", Some(&t)).await;
    assert_eq!(v, json!([]));
    assert_eq!(ids_on(&sink).await, want);

    // Collections: CLI and REST (in the OpenAPI document).
    let out = sink.cli(&["taxii", "collection", "add", "--title", "Public", "--max-tlp", "TLP:CLEAR", "--type", "indicator"]);
    assert!(out.status.success(), "{}", text(&out));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (s, v) = sink.get("/api/v1/taxii/collections", Some(&t)).await;
    assert_eq!(s, 200);
    assert!(v.as_array().is_some_and(|a| a.len() == 2 && a.iter().any(|c| c["id"] == id.as_str() && c["max_tlp"] == "TLP:CLEAR")), "{v}");
    let out = sink.cli(&["taxii", "collection", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Public"), "{}", text(&out));
    let (s, v) = sink.post("/api/v1/taxii/collections", Some(&t), &json!({"title": "Bad", "types": ["Not A Type"]})).await;
    assert_eq!((s, v["field"].as_str()), (422, Some("types[0]")), "{v}");
    let (s, _) = sink.call("DELETE", &format!("/api/v1/taxii/collections/{id}"), Some(&t), None).await;
    assert_eq!(s, 204);
    let out = sink.cli(&["taxii", "collection", "remove", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let (_, doc) = sink.get("/api/v1/openapi.json", None).await;
    for p in ["/api/v1/taxii/collections", "/api/v1/taxii/collections/{id}", "/api/v1/taxii/feeds", "/api/v1/taxii/feeds/{name}", "/api/v1/taxii/feeds/{name}/run"] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing from the OpenAPI document");
    }
});
