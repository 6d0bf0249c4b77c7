//! Scale-out on PostgreSQL: two `atalaya serve` processes on one database (as behind a reverse
//! proxy), load on both at once, one killed with SIGKILL in the middle. Afterwards every
//! acknowledged object is there exactly once, objects sent to both processes are stored once,
//! sessions and login limits are shared (no process-local state), the correlation index of the
//! survivor sees what the other stored, and the audit chain — appended to by both — verifies.
use atalaya_testkit::{Backend, TestNode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const BATCH: usize = 50;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

fn bundle(batch: usize) -> Value {
    let objects: Vec<Value> = (0..BATCH)
        .map(|i| {
            json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{:08x}-0000-4000-8000-{:012x}", batch, i),
                "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                "name": format!("batch {batch} host {i}"),
                "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", batch % 250, i / 250, i % 250),
                "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]
            })
        })
        .collect();
    json!({"type": "bundle", "id": format!("bundle--{:08x}-0000-4000-8000-000000000000", batch), "objects": objects})
}

async fn post(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> Result<u16, String> {
    match client.post(format!("{url}/api/v1/stix/bundles")).bearer_auth(token).json(body).send().await {
        Ok(r) => Ok(r.status().as_u16()),
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_share_one_database_and_survive_a_kill() {
    if !Backend::all().contains(&Backend::Postgres) {
        eprintln!("skipped: no PostgreSQL (ATALAYA_TEST_DATABASE_URL)");
        return;
    }
    let a = TestNode::start(bin(), Backend::Postgres).await;
    let mut b = a.spawn_extra();
    let token = a.admin_token.clone();
    let client = reqwest::Client::builder().no_proxy().timeout(std::time::Duration::from_secs(60)).build().expect("client");

    // Shared sessions: a password session opened on A works on B.
    let pw = a.cli_with_stdin(&["user", "set-password", "--user", "admin"], Some("a long enough passphrase\n"));
    assert!(pw.status.success(), "{}", String::from_utf8_lossy(&pw.stderr));
    let r = client.post(format!("{}/api/v1/auth/login", a.url)).json(&json!({"username": "admin", "password": "a long enough passphrase"})).send().await.expect("login");
    let session: Value = r.json().await.expect("json");
    let session = session["token"].as_str().expect("session token").to_string();
    let r = client.get(format!("{}/api/v1/me", b.url)).bearer_auth(&session).send().await.expect("me");
    assert_eq!(r.status(), 200, "a session opened on one process must work on the other");

    // Load on both: writers alternate between the processes; batches 0..10 go to both (the same
    // objects twice); B is killed while the load runs.
    let acked: Arc<Mutex<Vec<usize>>> = Arc::default();
    let mut tasks = Vec::new();
    for w in 0..4usize {
        let (client, token, acked) = (client.clone(), token.clone(), acked.clone());
        let urls = [a.url.clone(), b.url.clone()];
        tasks.push(tokio::spawn(async move {
            for k in 0..15usize {
                let batch = 100 + w * 100 + k;
                let url = &urls[(w + k) % 2];
                if let Ok(s) = post(&client, url, &token, &bundle(batch)).await {
                    if s < 300 {
                        acked.lock().expect("lock").push(batch);
                    }
                }
            }
        }));
    }
    for batch in 0..10usize {
        let body = bundle(batch);
        let (sa, sb) = tokio::join!(post(&client, &a.url, &token, &body), post(&client, &b.url, &token, &body));
        assert!(matches!(sa, Ok(s) if s < 300), "A: {sa:?}");
        assert!(matches!(sb, Ok(s) if s < 300), "B: {sb:?}");
        acked.lock().expect("lock").push(batch);
    }
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    b.kill9();
    for t in tasks {
        t.await.expect("writer");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() > 20, "too little load got through: {}", acked.len());

    // Every acknowledged object exactly once.
    let out: PathBuf = a.data_dir.path().join("export.json");
    let o = a.cli(&["export", "--format", "stix", "--out", &out.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let exported: Value = serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for o in exported["objects"].as_array().expect("objects") {
        if o["type"] == "indicator" {
            *ids.entry(o["id"].as_str().unwrap_or_default().to_string()).or_default() += 1;
        }
    }
    for batch in &acked {
        for i in 0..BATCH {
            let id = format!("indicator--{:08x}-0000-4000-8000-{:012x}", batch, i);
            assert_eq!(ids.get(&id), Some(&1), "{id} (acknowledged) must be stored exactly once");
        }
    }
    let versions = a.sql_count("SELECT COUNT(*) FROM stix_objects WHERE stix_id LIKE 'indicator--00000000-%'").await;
    assert_eq!(versions, BATCH as i64, "the same object sent to both processes must be stored once");

    // The survivor's correlation index sees an object B stored.
    let r = client.get(format!("{}/api/v1/stix/correlate?value=10.1.0.7", a.url)).bearer_auth(&token).send().await.expect("correlate");
    let body: Value = r.json().await.expect("json");
    assert!(body.to_string().contains("indicator--00000001-0000-4000-8000-000000000007"), "correlation misses B's objects: {body}");

    // Login limits are shared: failures on the survivor and on a new process add up.
    let c = a.spawn_extra();
    let mut last = 0;
    for i in 0..8 {
        let url = if i % 2 == 0 { &a.url } else { &c.url };
        let r = client.post(format!("{url}/api/v1/auth/login")).json(&json!({"username": "admin", "password": "wrong"})).send().await.expect("login");
        last = r.status().as_u16();
    }
    assert_eq!(last, 429, "login limits must count failures across processes");

    // Both processes appended to one audit chain; it verifies.
    let v = a.cli(&["audit", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    eprintln!("scale-out: {} batches of {BATCH} acknowledged across two processes, one killed", acked.len());
}
