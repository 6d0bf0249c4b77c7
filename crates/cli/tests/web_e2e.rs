//! The web interface in a real browser: a real `atalaya serve` (SQLite and PostgreSQL), seeded
//! through the REST API, driven by `crates/web/e2e/run.mjs` (playwright-core + Debian's
//! Chromium, headless). Scenarios: a wrong password is refused, log in, import a bundle with the
//! upload form, search and open an object, open a case, route it (reasoning shown) and notify
//! the proposed organisation, POSTs without a valid CSRF token are refused (403) and change
//! nothing, sign-out revokes the session, the notified state acknowledges, every main screen in
//! en/es/pt/fr (screenshots in `target/screenshots/`), and a read-only user's pages hold no link,
//! button or object they may not use or see.
//!
//! Needs `/usr/bin/chromium` and `crates/web/e2e/node_modules` (`.ci/setup`); skipped with a
//! message without them, except under `CI`.
use atalaya_testkit::{on_all_backends, Backend, TestNode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/e2e")
}

fn chromium() -> PathBuf {
    PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()))
}

/// Whether the browser and playwright-core are installed; under `CI` they must be.
fn available() -> bool {
    let missing: Vec<String> = [
        (!chromium().exists()).then(|| format!("{} (apt-get install chromium)", chromium().display())),
        (!e2e_dir().join("node_modules/playwright-core").exists()).then(|| "crates/web/e2e/node_modules (npm ci in crates/web/e2e)".to_string()),
        std::process::Command::new("node").arg("--version").output().is_err().then(|| "node".to_string()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(std::env::var("CI").is_err(), "CI must run the browser test; missing: {}", missing.join(", "));
    eprintln!("SKIPPED web_e2e: missing {}", missing.join(", "));
    false
}

const PASSWORD: &str = "correct horse battery staple";
const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

async fn user(n: &TestNode, org: &str, username: &str, role: &str) -> Value {
    let (s, b) = n.post("/api/v1/users", Some(&n.admin_token), &json!({"username": username, "organisation_id": org, "role": role, "password": PASSWORD})).await;
    assert_eq!(s, 201, "{b}");
    json!({"username": username, "password": PASSWORD})
}

async fn token_of(n: &TestNode, username: &str) -> String {
    let (s, b) = n.post("/api/v1/auth/login", None, &json!({"username": username, "password": PASSWORD})).await;
    assert_eq!(s, 200, "{b}");
    b["token"].as_str().expect("token").to_string()
}

fn bundle() -> (Value, String) {
    let now = "2026-01-10T12:00:00.000Z";
    let bad_id = "indicator--7d0b2c1e-5f3a-4c41-9a2e-0d6b1e4f9a10";
    let b = json!({
        "type": "bundle",
        "id": "bundle--2f6a1c3e-8b0d-4d9e-9f4b-1c2d3e4f5a6b",
        "objects": [
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
             "created": now, "modified": now, "name": "C2 beacon 198.51.100.23",
             "pattern": "[ipv4-addr:value = '198.51.100.23']", "pattern_type": "stix", "valid_from": now,
             "indicator_types": ["malicious-activity"], "object_marking_refs": [GREEN]},
            {"type": "malware", "spec_version": "2.1", "id": "malware--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
             "created": now, "modified": now, "name": "Webshell Cardinal", "is_family": true, "object_marking_refs": [GREEN]},
            // No pattern: refused, naming the object and the field.
            {"type": "indicator", "spec_version": "2.1", "id": bad_id, "created": now, "modified": now,
             "pattern_type": "stix", "valid_from": now, "object_marking_refs": [GREEN]}
        ]
    });
    (b, bad_id.to_string())
}

on_all_backends!(web_interface_in_a_real_browser, |backend: Backend| async move {
    if !available() {
        return;
    }
    let n = TestNode::start_with(bin(), backend, &[("ATALAYA_NODE_NAME", "CSIRT A"), ("ATALAYA_COUNTRY", "UY")]).await;
    let (_, me) = n.get("/api/v1/me", Some(&n.admin_token)).await;
    let home = me["user"]["organisation_id"].as_str().or_else(|| me["organisation_id"].as_str()).expect("home org").to_string();
    let (s, b) = n
        .post(
            "/api/v1/organisations",
            Some(&n.admin_token),
            &json!({"name": "CSIRT B", "kind": "national-csirt", "country": "PY", "sectors": ["government"],
                    "constituency": {"prefixes": ["198.51.100.0/24"], "asns": [64500], "domains": ["gov.example.py"]}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let b_org = b["id"].as_str().expect("id").to_string();
    let users = json!({
        "analyst": user(&n, &home, "ana", "analyst").await,
        "chief": user(&n, &home, "chief", "admin").await,
        "reader": user(&n, &home, "reader", "read-only").await,
        "duty_b": user(&n, &b_org, "b-duty", "duty-officer").await,
    });
    // A TLP:RED indicator for its importer only (named individuals: the importing analyst).
    let ana = token_of(&n, "ana").await;
    let red_name = "red-eyes-only-indicator";
    let red_id = "indicator--9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    let red = json!({"type": "bundle", "id": "bundle--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": red_id, "created": "2026-01-10T12:00:00Z", "modified": "2026-01-10T12:00:00Z",
         "name": red_name, "pattern": "[domain-name:value = 'red.example.net']", "pattern_type": "stix",
         "valid_from": "2026-01-10T12:00:00Z", "object_marking_refs": [RED]}]});
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&ana), &red).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["stored"], 1, "{r}");

    // Headers and cookies of the web interface, seen by a plain HTTP client.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let root = http.get(format!("{}/", n.url)).send().await.expect("GET /");
    assert!(root.status().is_redirection(), "{}", root.status());
    assert_eq!(root.headers()["location"], "/ui/");
    let anon = http.get(format!("{}/ui/incidents", n.url)).send().await.expect("GET /ui/incidents");
    assert!(anon.status().is_redirection() && anon.headers()["location"].to_str().unwrap_or("").starts_with("/ui/login?next="), "{:?}", anon.headers());
    let form = http.get(format!("{}/ui/login", n.url)).header("accept-language", "pt-BR,pt;q=0.9,en;q=0.5").send().await.expect("GET /ui/login");
    assert_eq!(form.status(), 200);
    let h = form.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap_or("");
    for part in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(part), "CSP lacks {part}: {csp}");
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("referrer-policy"));
    assert!(!h.contains_key("strict-transport-security"), "HSTS only when the node is reached over https");
    let cookie = h["set-cookie"].to_str().unwrap_or("");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(cookie.contains(flag), "cookie lacks {flag}: {cookie}");
    }
    let html = form.text().await.expect("body");
    assert!(html.contains("<html lang=\"pt\"") && html.contains("Nome de usuário"), "Accept-Language not followed");

    let dir = tempfile::tempdir().expect("tmp");
    let (b, bad_id) = bundle();
    let bundle_path = dir.path().join("bundle.json");
    std::fs::write(&bundle_path, serde_json::to_vec_pretty(&b).expect("json")).expect("write bundle");
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots").join(backend.name());
    let _ = std::fs::remove_dir_all(&shots);
    let config = json!({
        "users": users,
        "bundle": bundle_path,
        "screenshots": shots,
        "red_name": red_name,
        "red_id": red_id,
        "case": {"title": "C2 traffic to state B government network", "observables": ["198.51.100.23", "AS64500", "evil.example.com"]},
        "expect": {"stored": 2, "rejected": 1, "rejected_id": bad_id, "search_value": "198.51.100.23",
                   "indicator_name": "C2 beacon 198.51.100.23", "routed_org": "CSIRT B"},
    });
    let config_path = dir.path().join("config.json");
    std::fs::write(&config_path, serde_json::to_vec(&config).expect("json")).expect("write config");

    // The node is another process: blocking this test's thread while the browser runs is fine.
    let out = std::process::Command::new("node")
        .arg(e2e_dir().join("run.mjs"))
        .arg(&n.url)
        .arg(&config_path)
        .env("CHROMIUM", chromium())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(out.status.success(), "browser test failed on {}:\n{stdout}\n{stderr}", backend.name());
    assert!(stdout.contains("all checks passed"), "{stdout}");
    for lang in ["en", "es", "pt", "fr"] {
        for screen in ["dashboard", "intel", "object", "import", "incidents", "case", "directory", "organisation", "evidence", "peers", "audit"] {
            let p = shots.join(format!("{lang}-{screen}.png"));
            let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            assert!(len > 1000, "screenshot {} missing or empty", p.display());
        }
    }

    // What the browser did is in the store: the case, B's acknowledgement, the audit trail.
    let (s, cases) = n.get("/api/v1/incidents", Some(&ana)).await;
    assert_eq!(s, 200, "{cases}");
    let case = cases.as_array().and_then(|a| a.iter().find(|c| c["title"] == "C2 traffic to state B government network")).cloned().expect("case created in the browser");
    let (s, full) = n.get(&format!("/api/v1/incidents/{}", case["id"].as_str().expect("id")), Some(&ana)).await;
    assert_eq!(s, 200, "{full}");
    let part = full["participants"].as_array().and_then(|a| a.iter().find(|p| p["org_name"] == "CSIRT B")).cloned().expect("B takes part");
    assert_eq!(part["status"], "acknowledged", "{part}");
    let (s, audit) = n.get("/api/v1/audit?limit=1000", Some(&n.admin_token)).await;
    assert_eq!(s, 200, "{audit}");
    let text = audit.to_string();
    for action in ["login.success", "login.failure", "incident.create", "incident.status", "token.revoke"] {
        assert!(text.contains(action), "audit log lacks {action}");
    }
    assert!(text.contains("(web)"), "web requests are not marked in the audit source");
});

/// `atalaya demo`: three nodes come up, seeded and peered, and the printed logins work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_starts_three_seeded_peered_nodes() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = std::process::Command::new(bin())
        .args(["demo", "--port", "0", "--dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start demo");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut urls = vec![];
    let mut password = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while urls.len() < 3 || password.is_empty() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("demo printed {} URLs before the deadline", urls.len());
            }
        };
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            urls.push(u.trim_end_matches("/ui/").to_string());
        }
        if let Some(p) = line.split("password: ").nth(1) {
            password = p.trim_end_matches("):").to_string();
        }
    }
    let http = reqwest::Client::new();
    let login = |url: String, user: &'static str, password: String| {
        let http = http.clone();
        async move {
            let r: Value = http.post(format!("{url}/api/v1/auth/login")).json(&json!({"username": user, "password": password})).send().await.expect("login").json().await.expect("json");
            r["token"].as_str().unwrap_or_else(|| panic!("login {user} at {url}: {r}")).to_string()
        }
    };
    let admin = login(urls[0].clone(), "admin", password.clone()).await;
    let peers: Value = http.get(format!("{}/api/v1/federation/peers", urls[0])).bearer_auth(&admin).send().await.expect("peers").json().await.expect("json");
    let active = peers.as_array().map(|a| a.iter().filter(|p| p["state"] == "active").count()).unwrap_or(0);
    let analyst = login(urls[0].clone(), "analyst", password.clone()).await;
    let cases: Value = http.get(format!("{}/api/v1/incidents", urls[0])).bearer_auth(&analyst).send().await.expect("cases").json().await.expect("json");
    let objects: Value = http.get(format!("{}/api/v1/stix/objects", urls[1])).bearer_auth(login(urls[1].clone(), "analyst", password.clone()).await).send().await.expect("objects").json().await.expect("json");
    let page = http.get(format!("{}/ui/login", urls[2])).send().await.expect("ui");
    let ui_ok = page.status() == 200;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(active, 2, "the first node should be peered with the other two: {peers}");
    let case = cases.as_array().and_then(|a| a.iter().find(|c| c["exercise"] == false)).cloned().expect("a real case");
    assert!(case["participants"].as_u64().unwrap_or(0) >= 2, "the cross-border case notifies two states: {case}");
    assert!(objects.to_string().contains("C2 server seen by PY"), "the PY node holds its own intelligence: {objects}");
    assert!(ui_ok, "the web interface answers on the third node");
}
