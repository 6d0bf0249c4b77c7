//! Cross-border incident coordination end to end: a real `atalaya serve`, a real SMTP server on
//! loopback (Python aiosmtpd writing a Maildir), and GnuPG as the independent OpenPGP
//! implementation that decrypts and verifies what the node sends. Runs on SQLite and PostgreSQL.
//!
//! State A's node holds directory entries for states B (PY) and C (AR). A's analyst opens a
//! case with observables in B's declared constituency and in C's address space (an address of
//! the NRO data file); B and C are routed (reasoning checked), notified (mail received, signature
//! verified, decrypted by gpg); B acknowledges; C misses the deadline (the node's clock is moved
//! through the test-only hook) and the escalation goes to C's emergency contact.
//!
//! Needs: gpg, python3 with aiosmtpd (`.ci/setup`); `STIX2_VALIDATOR_PYTHON` names the venv's python.
use atalaya_testkit::{on_all_backends, Backend, TestNode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

fn venv_python() -> String {
    std::env::var("STIX2_VALIDATOR_PYTHON").unwrap_or_else(|_| "/tmp/atalaya-venv/bin/python".into())
}

fn ip_country_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ip-country")
}

/// An address of the NRO IPv4 file in a range of `cc` that no other row overlaps, and its row.
fn address_of(cc: &str) -> (String, String, String) {
    let text = std::fs::read_to_string(ip_country_dir().join("geo-whois-asn-country-ipv4.csv")).expect("NRO data");
    let rows: Vec<(u32, u32, &str, &str, &str)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let a: std::net::Ipv4Addr = f[0].parse().expect("ip");
            let b: std::net::Ipv4Addr = f[1].parse().expect("ip");
            (u32::from(a), u32::from(b), f[2], f[0], f[1])
        })
        .collect();
    let i = (1..rows.len() - 1)
        .find(|&i| rows[i].2 == cc && rows[i - 1].1 < rows[i].0 && rows[i + 1].0 > rows[i].1 && rows[i].1 - rows[i].0 > 255)
        .expect("a plain range of the country");
    let mid = std::net::Ipv4Addr::from(rows[i].0 + 7).to_string();
    (mid, rows[i].3.to_string(), rows[i].4.to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

/// A webhook receiver (Python http.server) that checks each delivery's HMAC-SHA256 signature
/// with Python's own `hmac` module and writes it to a directory.
struct Hooks {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Hooks {
    fn start(dir: &Path, secret: &str) -> Hooks {
        let port = free_port();
        let out = dir.join("hooks");
        std::fs::create_dir_all(&out).expect("hooks dir");
        let script = r#"
import hashlib, hmac, http.server, json, os, sys
port, out, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['content-length']))
        ts = self.headers['x-atalaya-timestamp']
        sig = dict(p.split('=', 1) for p in self.headers['x-atalaya-signature'].split(','))
        want = hmac.new(secret, ts.encode() + b'.' + body, hashlib.sha256).hexdigest()
        rec = {'event': self.headers['x-atalaya-event'], 'valid': sig.get('t') == ts and hmac.compare_digest(sig.get('v1', ''), want), 'body': json.loads(body)}
        p = os.path.join(out, '%06d.json' % len(os.listdir(out)))
        open(p + '.tmp', 'w').write(json.dumps(rec)); os.rename(p + '.tmp', p)
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
"#;
        let child = Command::new("python3").args(["-c", script]).arg(port.to_string()).arg(&out).arg(secret).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("python3");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "webhook receiver did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        Hooks { child, dir: out, port }
    }
    fn received(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir).expect("dir").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
        names.sort();
        names.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")).collect()
    }
}

impl Drop for Hooks {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Smtp {
    child: Child,
    maildir: PathBuf,
    port: u16,
}

impl Smtp {
    fn start(dir: &Path) -> Smtp {
        Smtp::start_on(dir, free_port())
    }

    fn start_on(dir: &Path, port: u16) -> Smtp {
        let maildir = dir.join("maildir");
        let child = Command::new(venv_python())
            .args(["-u", "-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (pip install aiosmtpd into the venv: .ci/setup)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        Smtp { child, maildir, port }
    }

    /// Every message received so far: (recipient, subject, decoded body).
    fn messages(&self) -> Vec<(String, String, String)> {
        let script = r#"
import email, email.policy, json, os, sys
d = os.path.join(sys.argv[1], 'new')
out = []
for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
    m = email.message_from_bytes(open(os.path.join(d, f), 'rb').read(), policy=email.policy.default)
    out.append([str(m['To']), str(m['Subject']), m.get_body().get_content()])
print(json.dumps(out))
"#;
        let out = Command::new("python3").args(["-c", script]).arg(&self.maildir).output().expect("python3");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Vec<(String, String, String)> = serde_json::from_slice(&out.stdout).expect("json");
        v
    }

    /// Waits until `pred` holds for the received messages.
    async fn wait_for(&self, what: &str, pred: impl Fn(&[(String, String, String)]) -> bool) -> Vec<(String, String, String)> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let m = self.messages();
            if pred(&m) {
                return m;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; received: {:#?}", m.iter().map(|x| (&x.0, &x.1)).collect::<Vec<_>>());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GnuPG home with the recipients' secret keys and the node's public key.
struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Gpg {
        Gpg { home: tempfile::Builder::new().prefix("atalaya-gpg-").tempdir().expect("gpg home") }
    }
    fn run(&self, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
        let mut cmd = Command::new("gpg");
        cmd.env("GNUPGHOME", self.home.path()).arg("--batch").args(args);
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("gpg");
        if let (Some(t), Some(mut p)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            p.write_all(t.as_bytes()).expect("stdin");
        }
        let out = child.wait_with_output().expect("gpg output");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    }
    /// Generates an Ed25519 + Curve25519 key for `uid` and returns its armored public key.
    fn new_key(&self, uid: &str, email: &str) -> String {
        let (ok, _, err) = self.run(&["--passphrase", "", "--quick-gen-key", uid, "future-default", "default", "never"], None);
        assert!(ok, "gpg keygen: {err}");
        let (ok, out, err) = self.run(&["--armor", "--export", email], None);
        assert!(ok && out.contains("BEGIN PGP PUBLIC KEY BLOCK"), "gpg export: {err}");
        out
    }
    fn import(&self, armored: &str) {
        let (ok, _, err) = self.run(&["--import"], Some(armored));
        assert!(ok, "gpg import: {err}");
    }
    /// Decrypts and verifies; returns (plaintext, status lines).
    fn decrypt(&self, armored: &str) -> (String, String) {
        let f = self.home.path().join("msg.asc");
        std::fs::write(&f, armored).expect("write");
        let out = Command::new("gpg")
            .env("GNUPGHOME", self.home.path())
            .args(["--batch", "--status-fd", "2", "--decrypt"])
            .arg(&f)
            .output()
            .expect("gpg --decrypt");
        assert!(out.status.success(), "gpg --decrypt failed: {}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    }
    fn verify_clear(&self, signed: &str) -> String {
        let f = self.home.path().join("clear.asc");
        std::fs::write(&f, signed).expect("write");
        let out = Command::new("gpg").env("GNUPGHOME", self.home.path()).args(["--batch", "--status-fd", "2", "--verify"]).arg(&f).output().expect("gpg --verify");
        assert!(out.status.success(), "gpg --verify failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").env("GNUPGHOME", self.home.path()).args(["--kill", "all"]).status();
    }
}

async fn user_token(n: &TestNode, admin: &str, org: &str, username: &str, role: &str) -> String {
    let (s, b) = n
        .post("/api/v1/users", Some(admin), &json!({"username": username, "organisation_id": org, "role": role, "password": "correct horse battery"}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = n.post("/api/v1/auth/login", None, &json!({"username": username, "password": "correct horse battery"})).await;
    assert_eq!(s, 200, "{b}");
    b["token"].as_str().expect("token").to_string()
}

fn assert_problem(status: u16, body: &Value, want_status: u16, want_field: &str) {
    assert_eq!(status, want_status, "body: {body}");
    assert_eq!(body["field"], want_field, "problem body: {body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "problem body: {body}");
}

struct World {
    node: TestNode,
    smtp: Smtp,
    gpg: Gpg,
    _dir: tempfile::TempDir,
    analyst: String,
    b_admin: String,
    c_admin: String,
    b_org: String,
    c_org: String,
}

async fn world(backend: Backend) -> World {
    let dir = tempfile::Builder::new().prefix("atalaya-inc-").tempdir().expect("tmp");
    let smtp = Smtp::start(dir.path());
    let cfg = dir.path().join("atalaya.toml");
    std::fs::write(
        &cfg,
        format!(
            "[incidents]\nip_country_dir = \"{}\"\ntick_secs = 1\npublic_url = \"https://atalaya.csirt-a.example\"\n\
             [incidents.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Atalaya CSIRT A <atalaya@csirt-a.example>\"\n",
            ip_country_dir().display(),
            smtp.port
        ),
    )
    .expect("config");
    let cfg_s = cfg.display().to_string();
    let node = TestNode::start_with(
        bin(),
        backend,
        &[("ATALAYA_NODE_NAME", "CSIRT A"), ("ATALAYA_COUNTRY", "UY"), ("ATALAYA_CONFIG", &cfg_s), ("ATALAYA_TEST_CLOCK_HOOK", "1")],
    )
    .await;
    let admin = node.admin_token.clone();
    let (_, me) = node.get("/api/v1/me", Some(&admin)).await;
    let home = me["user"]["organisation_id"].as_str().or_else(|| me["organisation_id"].as_str()).expect("home org").to_string();
    let analyst = user_token(&node, &admin, &home, "ana", "analyst").await;

    let gpg = Gpg::new();
    let (s, b) = node
        .post(
            "/api/v1/organisations",
            Some(&admin),
            &json!({"name": "CSIRT B", "kind": "national-csirt", "country": "PY",
                    "constituency": {"prefixes": ["198.51.100.0/24"], "asns": [64500], "domains": ["gov.example.py"]}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let b_org = b["id"].as_str().expect("id").to_string();
    let (s, c) = node.post("/api/v1/organisations", Some(&admin), &json!({"name": "CSIRT C", "kind": "national-csirt", "country": "AR"})).await;
    assert_eq!(s, 201, "{c}");
    let c_org = c["id"].as_str().expect("id").to_string();
    let b_admin = user_token(&node, &admin, &b_org, "b-admin", "admin").await;
    let c_admin = user_token(&node, &admin, &c_org, "c-admin", "admin").await;
    let contacts = [
        (&b_org, &b_admin, "B technical", "tech@csirt-b.example", "technical", true),
        (&b_org, &b_admin, "B duty desk", "desk@csirt-b.example", "emergency", false),
        (&c_org, &c_admin, "C technical", "tech@csirt-c.example", "technical", true),
        (&c_org, &c_admin, "C 24/7", "soc@csirt-c.example", "emergency", true),
    ];
    for (org, token, name, email, role, with_key) in contacts {
        let mut body = json!({"name": name, "roles": [role], "email": email});
        if with_key {
            body["pgp_key"] = json!(gpg.new_key(&format!("{name} <{email}>"), email));
        }
        let (s, b) = node.post(&format!("/api/v1/organisations/{org}/contacts"), Some(token), &body).await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, k) = node.get("/api/v1/notifications/openpgp-key", None).await;
    assert_eq!(s, 200, "{k}");
    gpg.import(k["armored"].as_str().expect("node key"));
    World { node, smtp, gpg, _dir: dir, analyst, b_admin, c_admin, b_org, c_org }
}

on_all_backends!(cross_border_case_routed_notified_acknowledged_escalated, |backend| async move {
    let w = world(backend).await;
    let n = &w.node;
    let (c_addr, c_first, _c_last) = address_of("AR");
    let (s, case) = n
        .post(
            "/api/v1/incidents",
            Some(&w.analyst),
            &json!({"title": "Ransomware C2 across the region", "rsit": {"class": "malicious-code", "type": "c2-server"},
                    "severity": 3, "sectors": ["healthcare", "government"], "tlp": "TLP:AMBER",
                    "description": "C2 servers seen in two states.",
                    "observables": ["198.51.100.23", c_addr, "AS64500", "https://portal.gov.example.py/x", "evil.example.com"]}),
        )
        .await;
    assert_eq!(s, 201, "{case}");
    let id = case["id"].as_str().expect("id").to_string();
    assert_eq!(case["reporting_state"], "UY");
    assert!(case["origin_node"].as_str().map(str::len).unwrap_or(0) > 10, "{case}");

    // Routing with reasoning.
    let (s, r) = n.get(&format!("/api/v1/incidents/{id}/routing"), Some(&w.analyst)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["ip_country_loaded"], true, "{r}");
    let proposed = r["proposed"].as_array().expect("proposed");
    let find = |name: &str| proposed.iter().find(|p| p["organisation"]["name"] == name).unwrap_or_else(|| panic!("{name} not proposed: {r}"));
    let b = find("CSIRT B");
    let reasons_b: Vec<&str> = b["reasons"].as_array().expect("reasons").iter().filter_map(Value::as_str).collect();
    assert!(reasons_b.contains(&"198.51.100.23 → 198.51.100.0/24 → CSIRT B (PY), declared constituency (prefix)"), "{reasons_b:?}");
    assert!(reasons_b.contains(&"AS64500 → CSIRT B (PY), declared constituency (AS number)"), "{reasons_b:?}");
    assert!(reasons_b.iter().any(|x| x.contains("host portal.gov.example.py → gov.example.py → CSIRT B (PY)")), "{reasons_b:?}");
    assert_eq!(b["observables"], 3);
    let c = find("CSIRT C");
    let reason_c = c["reasons"][0].as_str().expect("reason");
    assert!(reason_c.starts_with(&format!("{c_addr} → ")), "{reason_c}");
    assert!(reason_c.contains(&c_first) || reason_c.contains("–"), "{reason_c}");
    assert!(reason_c.ends_with("→ AR, IP-to-country data (NRO) → CSIRT C, national CSIRT of AR"), "{reason_c}");
    assert_eq!(r["unrouted"], 1, "evil.example.com has a generic TLD: {r}");

    // Notify the routed states.
    let (s, after) = n.post(&format!("/api/v1/incidents/{id}/notify"), Some(&w.analyst), &json!({"routed": true})).await;
    assert_eq!(s, 200, "{after}");
    let parts = after["participants"].as_array().expect("participants");
    assert_eq!(parts.len(), 2, "{after}");
    assert!(parts.iter().all(|p| p["status"] == "notified" && p["ack_due"].is_string()));

    // Mail: four contacts (B technical encrypted, B desk clear-signed, C technical and C 24/7 encrypted).
    let mails = w.smtp.wait_for("4 notifications", |m| m.len() >= 4).await;
    let to = |addr: &str| mails.iter().find(|m| m.0.contains(addr)).unwrap_or_else(|| panic!("no mail to {addr}")).clone();
    let fp = n.get("/api/v1/notifications/openpgp-key", None).await.1["fingerprint"].as_str().expect("fp").to_string();
    for addr in ["tech@csirt-b.example", "tech@csirt-c.example", "soc@csirt-c.example"] {
        let m = to(addr);
        assert!(m.2.contains("-----BEGIN PGP MESSAGE-----"), "encrypted to {addr}: {}", m.2);
        assert!(!m.1.contains("Ransomware"), "the subject leaks no case details: {}", m.1);
        let (plain, status) = w.gpg.decrypt(&m.2);
        assert!(status.contains("GOODSIG") && status.contains(&format!("VALIDSIG {fp}")), "{status}");
        assert!(plain.contains(&id) && plain.contains("Ransomware C2 across the region"), "{plain}");
        assert!(plain.contains("Acknowledge by:"), "{plain}");
    }
    let plain_b = w.gpg.decrypt(&to("tech@csirt-b.example").2).0;
    assert!(plain_b.contains("198.51.100.23 → 198.51.100.0/24 → CSIRT B (PY), declared constituency (prefix)"), "{plain_b}");
    let desk = to("desk@csirt-b.example");
    assert!(desk.2.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"), "{}", desk.2);
    let status = w.gpg.verify_clear(&desk.2);
    assert!(status.contains(&format!("VALIDSIG {fp}")), "{status}");

    // B acknowledges; C may not act for B; an outsider does not see the case.
    let (s, p) = n.post(&format!("/api/v1/incidents/{id}/status"), Some(&w.c_admin), &json!({"status": "acknowledged", "organisation": w.b_org})).await;
    assert_eq!(s, 403, "{p}");
    let (s, p) = n.post(&format!("/api/v1/incidents/{id}/status"), Some(&w.b_admin), &json!({"status": "acknowledged"})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "acknowledged");
    let (s, p) = n.post(&format!("/api/v1/incidents/{id}/status"), Some(&w.b_admin), &json!({"status": "notified"})).await;
    assert_problem(s, &p, 409, "status");
    let (s, p) = n.post(&format!("/api/v1/incidents/{id}/status"), Some(&w.b_admin), &json!({"status": "declined"})).await;
    assert_problem(s, &p, 422, "reason");
    let (s, p) = n.call("PATCH", &format!("/api/v1/incidents/{id}"), Some(&w.b_admin), Some(&json!({"severity": 4}))).await;
    assert_eq!(s, 403, "only the reporting organisation edits: {p}");
    let (s, _) = n.post("/api/v1/organisations", Some(&n.admin_token), &json!({"name": "CSIRT D", "kind": "national-csirt", "country": "CL"})).await;
    assert_eq!(s, 201);

    // C misses its acknowledge deadline (severity 3: 4 hours): move the node's clock 5 hours.
    let (s, b) = n.post("/api/v1/test/clock", Some(&n.admin_token), &json!({"seconds": 5 * 3600})).await;
    assert_eq!(s, 204, "{b}");
    let mails = w.smtp.wait_for("the escalation", |m| m.iter().any(|x| x.1.contains("ESCALATION"))).await;
    let esc: Vec<_> = mails.iter().filter(|m| m.1.contains("ESCALATION")).collect();
    assert_eq!(esc.len(), 1, "only C's emergency contact: {:?}", esc.iter().map(|m| &m.0).collect::<Vec<_>>());
    assert!(esc[0].0.contains("soc@csirt-c.example"), "{}", esc[0].0);
    let (plain, status) = w.gpg.decrypt(&esc[0].2);
    assert!(status.contains(&format!("VALIDSIG {fp}")), "{status}");
    assert!(plain.contains("CSIRT C (AR)") && plain.contains("acknowledge deadline"), "{plain}");

    let (_, got) = n.get(&format!("/api/v1/incidents/{id}"), Some(&w.analyst)).await;
    let part = |name: &str| got["participants"].as_array().expect("parts").iter().find(|p| p["org_name"] == name).cloned().expect("participant");
    assert!(part("CSIRT C")["escalated_at"].is_string(), "{got}");
    assert!(part("CSIRT B")["escalated_at"].is_null(), "{got}");
    let (_, tl) = n.get(&format!("/api/v1/incidents/{id}/timeline"), Some(&w.c_admin)).await;
    let kinds: Vec<&str> = tl.as_array().expect("timeline").iter().filter_map(|e| e["kind"].as_str()).collect();
    for k in ["created", "notified", "status", "escalated"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let (_, aa) = n.get(&format!("/api/v1/incidents/{id}/after-action"), Some(&w.analyst)).await;
    let py = aa.as_array().expect("figures").iter().find(|f| f["state"] == "PY").expect("PY");
    assert_eq!(py["acknowledged"], 1);
    assert!(py["mean_time_to_acknowledge_secs"].as_f64().is_some_and(|t| (0.0..3600.0).contains(&t)), "{aa}");
    // The outbox records deliveries.
    let (_, ob) = n.get(&format!("/api/v1/incidents/{id}/outbox"), Some(&w.analyst)).await;
    assert!(ob.as_array().expect("outbox").iter().filter(|m| m["status"] == "sent").count() >= 5, "{ob}");
    let _ = &w.c_org;
});

on_all_backends!(bad_input_exercises_and_statistics, |backend| async move {
    let w = world(backend).await;
    let n = &w.node;
    let base = json!({"title": "Case", "rsit": "rsit:fraud=\"phishing\"", "severity": 2});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let (s, p) = n.post("/api/v1/incidents", Some(&w.analyst), &with("rsit", json!({"class": "fraud", "type": "ransom"}))).await;
    assert_problem(s, &p, 422, "rsit");
    assert!(p["detail"].as_str().unwrap_or("").contains("unknown RSIT type 'ransom'"), "{p}");
    let (s, p) = n.post("/api/v1/incidents", Some(&w.analyst), &with("severity", json!(7))).await;
    assert_problem(s, &p, 422, "severity");
    let (s, p) = n.post("/api/v1/incidents", Some(&w.analyst), &with("observables", json!(["198.51.100.7", "not an observable"]))).await;
    assert_problem(s, &p, 422, "observables[1]");
    let (s, p) = n.post("/api/v1/incidents", Some(&w.analyst), &with("sectors", json!(["sports"]))).await;
    assert_problem(s, &p, 422, "sectors[0]");
    let (s, p) = n.post("/api/v1/incidents", None, &base).await;
    assert_eq!(s, 401, "{p}");

    // A real case and an exercise.
    let (s, real) = n.post("/api/v1/incidents", Some(&w.analyst), &with("sectors", json!(["energy"]))).await;
    assert_eq!(s, 201, "{real}");
    let rid = real["id"].as_str().expect("id");
    let (s, p) = n.post(&format!("/api/v1/incidents/{rid}/observables"), Some(&w.analyst), &json!({"observables": ["AS0"]})).await;
    assert_problem(s, &p, 422, "observables[0]");
    let (s, p) = n.post(&format!("/api/v1/incidents/{rid}/notify"), Some(&w.analyst), &json!({"states": ["PY", "BR"]})).await;
    assert_problem(s, &p, 422, "states[1]");
    let (s, p) = n.post(&format!("/api/v1/incidents/{rid}/notify"), Some(&w.analyst), &json!({"states": ["PY"]})).await;
    assert_eq!(s, 200, "{p}");
    let (s, ex) = n
        .post(
            "/api/v1/incidents",
            Some(&w.analyst),
            &json!({"title": "Regional exercise CYBER-AMERICAS", "rsit": "rsit:test=\"test\"", "severity": 4, "sectors": ["energy"],
                    "exercise": true, "exercise_recipients": ["tech@csirt-c.example"]}),
        )
        .await;
    assert_eq!(s, 201, "{ex}");
    let xid = ex["id"].as_str().expect("id");
    let (s, p) = n.post(&format!("/api/v1/incidents/{xid}/notify"), Some(&w.analyst), &json!({"states": ["PY", "AR"]})).await;
    assert_eq!(s, 200, "{p}");
    // Real case: B's two contacts; exercise: only C's technical contact (an exercise recipient).
    let mails = w.smtp.wait_for("3 messages", |m| m.len() >= 3).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = if mails.len() == 3 { w.smtp.messages() } else { mails };
    assert_eq!(mails.len(), 3, "{:?}", mails.iter().map(|m| (&m.0, &m.1)).collect::<Vec<_>>());
    let exercise_mail: Vec<_> = mails.iter().filter(|m| m.1.contains("[EXERCISE]")).collect();
    assert_eq!(exercise_mail.len(), 1);
    assert!(exercise_mail[0].0.contains("tech@csirt-c.example"));
    let (plain, _) = w.gpg.decrypt(&exercise_mail[0].2);
    assert!(plain.starts_with("*** EXERCISE"), "{plain}");
    let (_, tl) = n.get(&format!("/api/v1/incidents/{xid}/timeline"), Some(&w.analyst)).await;
    assert!(tl.to_string().contains("withheld (exercise"), "{tl}");

    // Statistics leave the exercise out; lists mark it.
    let (s, st) = n.get("/api/v1/incidents/statistics", Some(&w.analyst)).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["cases"], 1, "{st}");
    assert_eq!(st["exercises_excluded"], 1, "{st}");
    assert_eq!(st["by_sector"]["energy"], 1, "{st}");
    let (_, l) = n.get("/api/v1/incidents?exercise=true", Some(&w.analyst)).await;
    assert_eq!(l.as_array().map(Vec::len), Some(1));
    assert_eq!(l[0]["exercise"], true);

    // Tasks, notes, attachments with SHA-256.
    let (s, t) = n.post(&format!("/api/v1/incidents/{rid}/tasks"), Some(&w.analyst), &json!({"title": "Block the C2", "assignee": w.b_org, "due": "2030-01-01T00:00:00Z"})).await;
    assert_eq!(s, 201, "{t}");
    let (s, p) = n.post(&format!("/api/v1/incidents/{rid}/tasks"), Some(&w.analyst), &json!({"title": "x", "assignee": w.c_org})).await;
    assert_problem(s, &p, 422, "assignee");
    let (s, e) = n.post(&format!("/api/v1/incidents/{rid}/timeline"), Some(&w.b_admin), &json!({"text": "Sinkholed on our side."})).await;
    assert_eq!(s, 201, "{e}");
    let (s, e) = n.post(&format!("/api/v1/incidents/{rid}/timeline"), Some(&w.c_admin), &json!({"text": "not a participant"})).await;
    assert_eq!(s, 404, "C does not take part in the real case: {e}");
    let (s, a) = n.post(&format!("/api/v1/incidents/{rid}/attachments"), Some(&w.b_admin), &json!({"filename": "headers.txt", "media_type": "text/plain", "content_base64": "aGVsbG8="})).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["sha256"], "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    let (s, p) = n.post(&format!("/api/v1/incidents/{rid}/attachments"), Some(&w.b_admin), &json!({"filename": "x", "content_base64": "%%%"})).await;
    assert_problem(s, &p, 422, "content_base64");
    let resp = n.client().get(format!("{}/api/v1/incidents/{rid}/attachments/{}", n.url, a["id"].as_str().expect("id"))).bearer_auth(&w.b_admin).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.bytes().await.expect("bytes").as_ref(), b"hello");

    // The CLI: list, show, route.
    let cli = |args: &[&str]| {
        let out = Command::new(bin()).args(args).args(["--url", &n.url, "--token", &w.analyst]).output().expect("atalaya");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, out, err) = cli(&["incident", "list"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("[EXERCISE] Regional exercise") && out.contains(rid), "{out}");
    let (code, out, err) = cli(&["incident", "show", rid]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("CSIRT B (PY): notified"), "{out}");
    let (code, out, err) = cli(&["incident", "observe", rid, "198.51.100.99"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("198.51.100.99 → 198.51.100.0/24 → CSIRT B (PY), declared constituency (prefix)"), "{out}");
    let (code, _, err) = cli(&["incident", "create", "--title", "x", "--rsit", "fraud/ransom", "--severity", "2"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--rsit") && err.contains("unknown RSIT type"), "{err}");
    let (code, _, err) = cli(&["incident", "create", "--title", "x", "--rsit", "fraud/phishing", "--severity", "9"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--severity"), "{err}");
    let (code, out, err) = cli(&["incident", "create", "--title", "From the CLI", "--rsit", "fraud/phishing", "--severity", "high", "--observable", "evil.example.py"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim().len(), 36, "{out}");
});

on_all_backends!(outbox_retries_survive_a_restart_and_webhooks_are_signed, |backend| async move {
    let dir = tempfile::Builder::new().prefix("atalaya-inc-").tempdir().expect("tmp");
    let secret = "a webhook secret of the SOAR";
    let hooks = Hooks::start(dir.path(), secret);
    let smtp_port = free_port(); // nothing listens there yet: deliveries fail and are retried
    let cfg = dir.path().join("atalaya.toml");
    std::fs::write(
        &cfg,
        format!(
            "[incidents]\nip_country_dir = \"{}\"\ntick_secs = 1\n[incidents.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\n\
             from = \"Atalaya CSIRT A <atalaya@csirt-a.example>\"\n[[incidents.webhooks]]\nurl = \"http://127.0.0.1:{}/hook\"\nsecret = \"{secret}\"\n",
            ip_country_dir().display(),
            hooks.port
        ),
    )
    .expect("config");
    let cfg_s = cfg.display().to_string();
    let mut node = TestNode::start_with(
        bin(),
        backend,
        &[("ATALAYA_NODE_NAME", "CSIRT A"), ("ATALAYA_COUNTRY", "UY"), ("ATALAYA_CONFIG", &cfg_s), ("ATALAYA_TEST_CLOCK_HOOK", "1")],
    )
    .await;
    let admin = node.admin_token.clone();
    let (_, me) = node.get("/api/v1/me", Some(&admin)).await;
    let home = me["organisation_id"].as_str().expect("home").to_string();
    let analyst = user_token(&node, &admin, &home, "ana", "analyst").await;
    let (s, b) = node.post("/api/v1/organisations", Some(&admin), &json!({"name": "CSIRT B", "kind": "national-csirt", "country": "PY"})).await;
    assert_eq!(s, 201, "{b}");
    let b_org = b["id"].as_str().expect("id").to_string();
    let b_admin = user_token(&node, &admin, &b_org, "b-admin", "admin").await;
    let (s, c) = node.post(&format!("/api/v1/organisations/{b_org}/contacts"), Some(&b_admin), &json!({"name": "B tech", "roles": ["technical"], "email": "tech@csirt-b.example"})).await;
    assert_eq!(s, 201, "{c}");
    let (s, case) = node.post("/api/v1/incidents", Some(&analyst), &json!({"title": "DDoS on banks", "rsit": "availability/ddos", "severity": 2, "sectors": ["financial-services"]})).await;
    assert_eq!(s, 201, "{case}");
    let id = case["id"].as_str().expect("id").to_string();
    let (s, p) = node.post(&format!("/api/v1/incidents/{id}/notify"), Some(&analyst), &json!({"states": ["PY"]})).await;
    assert_eq!(s, 200, "{p}");

    // The SMTP server is down: the e-mail fails, stays pending with its error, retried later.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, ob) = node.get(&format!("/api/v1/incidents/{id}/outbox"), Some(&analyst)).await;
        let mail = ob.as_array().expect("outbox").iter().find(|m| m["channel"] == "email").cloned();
        if let Some(m) = mail.filter(|m| m["attempts"].as_i64().unwrap_or(0) >= 1) {
            assert_eq!(m["status"], "pending", "{m}");
            assert!(m["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{m}");
            break;
        }
        assert!(Instant::now() < deadline, "no failed attempt recorded: {ob}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Kill the node, bring the SMTP server up, restart: the queued message is still there and goes out.
    node.kill9();
    let smtp = Smtp::start_on(dir.path(), smtp_port);
    node.restart();
    let (s, b) = node.post("/api/v1/test/clock", Some(&admin), &json!({"seconds": 120})).await;
    assert_eq!(s, 204, "{b}");
    let mails = smtp.wait_for("the retried notification", |m| !m.is_empty()).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].0.contains("tech@csirt-b.example"));
    let gpg = Gpg::new();
    gpg.import(node.get("/api/v1/notifications/openpgp-key", None).await.1["armored"].as_str().expect("key"));
    let status = gpg.verify_clear(&mails[0].2);
    assert!(status.contains("GOODSIG"), "{status}");
    let (_, ob) = node.get(&format!("/api/v1/incidents/{id}/outbox"), Some(&analyst)).await;
    let m = ob.as_array().expect("outbox").iter().find(|m| m["channel"] == "email").cloned().expect("mail");
    assert_eq!(m["status"], "sent", "{m}");
    assert!(m["attempts"].as_i64().unwrap_or(0) >= 2, "{m}");

    // Webhooks: every event delivered, signature valid by Python's hmac.
    let deadline = Instant::now() + Duration::from_secs(30);
    let got = loop {
        let got = hooks.received();
        if got.iter().any(|h| h["event"] == "incident.notified") {
            break got;
        }
        assert!(Instant::now() < deadline, "no webhook: {got:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(got.iter().all(|h| h["valid"] == true), "{got:?}");
    let n = got.iter().find(|h| h["event"] == "incident.notified").expect("notified");
    assert_eq!(n["body"]["incident"], id.as_str());
    assert_eq!(n["body"]["exercise"], false);
});
