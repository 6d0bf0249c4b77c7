//! Test harness for Atalaya: real processes, real databases, real HTTP on 127.0.0.1.
//!
//! - [`Backend::all`] lists the backends a test must cover: SQLite always; PostgreSQL when
//!   `ATALAYA_TEST_DATABASE_URL` names a server where the role may `CREATE DATABASE` (the CI
//!   starts one with `.ci/pg-throwaway.sh`). Without it the suite fails, unless
//!   `ATALAYA_TEST_SKIP_POSTGRES=1` says to skip PostgreSQL on purpose.
//! - [`fresh_database`] gives each test its own empty database.
//! - [`TestNode`] runs `atalaya serve` on a free port with a temporary data directory and an
//!   administrator token; [`start_network`] starts N of them (federation tests).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Backends every conformance/integration test runs on.
    pub fn all() -> Vec<Backend> {
        if std::env::var("ATALAYA_TEST_DATABASE_URL").is_ok() {
            vec![Backend::Sqlite, Backend::Postgres]
        } else if std::env::var("ATALAYA_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("note: PostgreSQL tests skipped (ATALAYA_TEST_SKIP_POSTGRES=1)");
            vec![Backend::Sqlite]
        } else {
            panic!(
                "ATALAYA_TEST_DATABASE_URL is not set: start PostgreSQL with `eval \"$(.ci/pg-throwaway.sh)\"` and export \
                 ATALAYA_TEST_DATABASE_URL=$DATABASE_URL (or set ATALAYA_TEST_SKIP_POSTGRES=1 to skip it knowingly)"
            )
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database for one test: a SQLite file in `dir`, or a new empty PostgreSQL database.
pub async fn fresh_database(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = std::env::var("ATALAYA_TEST_DATABASE_URL").expect("ATALAYA_TEST_DATABASE_URL");
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to the test PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("CREATE DATABASE");
            let _ = conn.close().await;
            match admin.rfind('/') {
                Some(i) => format!("{}/{name}", &admin[..i]),
                None => panic!("ATALAYA_TEST_DATABASE_URL has no database part"),
            }
        }
    }
}

/// An extra `atalaya serve` process of a [`TestNode`] (see [`TestNode::spawn_extra`]); killed on drop.
pub struct ExtraProcess {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl ExtraProcess {
    /// SIGKILL: no shutdown path runs.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for ExtraProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A running `atalaya serve`.
pub struct TestNode {
    pub bin: PathBuf,
    pub data_dir: tempfile::TempDir,
    /// `postgres://…` for the PostgreSQL backend; `None` for the embedded SQLite.
    pub database: Option<String>,
    pub backend: Backend,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// Bearer token of the node's first administrator (`admin`).
    pub admin_token: String,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

impl TestNode {
    /// Initialises a data directory, creates the administrator token, starts the server.
    pub async fn start(bin: &Path, backend: Backend) -> TestNode {
        Self::start_with(bin, backend, &[]).await
    }

    /// Like [`start`](Self::start), with environment variables for every command of this node
    /// (e.g. `ATALAYA_NODE_NAME`, `ATALAYA_COUNTRY`).
    pub async fn start_with(bin: &Path, backend: Backend, env: &[(&str, &str)]) -> TestNode {
        Self::start_in(bin, backend, env, &std::env::temp_dir()).await
    }

    /// Like [`start_with`](Self::start_with), with the data directory created inside `parent`
    /// (e.g. a small or read-only file system for fault tests).
    pub async fn start_in(bin: &Path, backend: Backend, env: &[(&str, &str)], parent: &Path) -> TestNode {
        let data_dir = tempfile::Builder::new().prefix("atalaya-test-").tempdir_in(parent).expect("tempdir");
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_database(backend, data_dir.path()).await),
        };
        let mut node = TestNode {
            bin: bin.to_path_buf(),
            data_dir,
            database,
            backend,
            url: String::new(),
            admin_token: String::new(),
            child: None,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        };
        let out = node.cli(&["token", "create", "--user", "admin"]);
        assert!(out.status.success(), "token create failed: {}", String::from_utf8_lossy(&out.stderr));
        node.admin_token = String::from_utf8_lossy(&out.stdout).trim().to_string();
        node.spawn();
        node
    }

    /// `--data-dir` and `--database` arguments for this node.
    pub fn store_args(&self) -> Vec<String> {
        let mut v = vec!["--data-dir".to_string(), self.data_dir.path().display().to_string()];
        if let Some(db) = &self.database {
            v.push("--database".into());
            v.push(db.clone());
        }
        v
    }

    /// Runs an `atalaya` subcommand against this node's store (offline commands).
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_with_stdin(args, None)
    }

    pub fn cli_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args).args(self.store_args()).env_remove("ATALAYA_DATABASE").env_remove("ATALAYA_DATA_DIR").envs(self.env.clone());
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn atalaya");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("atalaya output")
    }

    fn spawn(&mut self) {
        self.spawn_at("127.0.0.1:0");
    }

    /// Starts the server again on the same data AND the same address (federation peers keep
    /// its URL), after `kill9` or `stop`.
    pub fn restart_same_port(&mut self) {
        self.kill9();
        let listen = self.url.trim_start_matches("http://").to_string();
        let deadline = Instant::now() + Duration::from_secs(10);
        // The port may linger a moment after a kill.
        while std::net::TcpListener::bind(&listen).is_err() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        self.spawn_at(&listen);
    }

    /// Another `atalaya serve` process on this node's data directory and database, as a
    /// scaled-out deployment runs several behind a reverse proxy (scale-out tests).
    pub fn spawn_extra(&self) -> ExtraProcess {
        let mut clone = TestNode {
            bin: self.bin.clone(),
            data_dir: tempfile::tempdir().expect("tempdir"),
            database: self.database.clone(),
            backend: self.backend,
            url: String::new(),
            admin_token: self.admin_token.clone(),
            child: None,
            env: self.env.clone(),
        };
        // Same data directory (node key, config) as this node.
        let mut cmd_args = vec!["--data-dir".to_string(), self.data_dir.path().display().to_string()];
        if let Some(db) = &self.database {
            cmd_args.push("--database".into());
            cmd_args.push(db.clone());
        }
        clone.spawn_with_args(&cmd_args, "127.0.0.1:0");
        ExtraProcess { child: clone.child.take(), url: clone.url.clone() }
    }

    fn spawn_at(&mut self, listen: &str) {
        let args = self.store_args();
        self.spawn_with_args(&args, listen);
    }

    fn spawn_with_args(&mut self, store_args: &[String], listen: &str) {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("serve").args(store_args).args(["--listen", listen]).envs(self.env.clone());
        cmd.env("ATALAYA_LOG", std::env::var("ATALAYA_TEST_LOG").unwrap_or_else(|_| "warn".into()));
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).stdin(Stdio::null());
        let mut child = cmd.spawn().expect("spawn atalaya serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let mut sent = false;
            // Keep draining so the child never blocks on a full pipe.
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if !sent {
                    if let Some(url) = line.trim().strip_prefix("atalaya listening on ") {
                        let _ = tx.send(url.to_string());
                        sent = true;
                    }
                }
                line.clear();
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("atalaya serve did not report its address within 60 s");
            }
        };
        self.url = url;
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown path runs (durability tests).
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for a clean exit; returns whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        match self.child.take() {
            Some(mut c) => {
                let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
                let deadline = Instant::now() + Duration::from_secs(20);
                loop {
                    if let Ok(Some(st)) = c.try_wait() {
                        return st.success();
                    }
                    if Instant::now() > deadline {
                        let _ = c.kill();
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            None => true,
        }
    }

    /// Starts the server again on the same data (after `kill9` or `stop`).
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Creates a user of organisation `org` with `role` through the REST API (as the node's
    /// administrator), logs them in with a password and returns their session token.
    pub async fn user_token(&self, org: &str, name: &str, role: &str) -> String {
        let password = "correct horse battery staple";
        let body = serde_json::json!({"username": name, "organisation_id": org, "role": role, "password": password});
        let (s, b) = self.post("/api/v1/users", Some(&self.admin_token), &body).await;
        assert!(s < 300, "create {name}: {s} {b}");
        let (s, b) = self.post("/api/v1/auth/login", None, &serde_json::json!({"username": name, "password": password})).await;
        assert_eq!(s, 200, "login {name}: {b}");
        b["token"].as_str().expect("token").to_string()
    }

    /// An HTTP client (no proxies, short timeouts).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("client")
    }

    /// `METHOD path` with an optional bearer token and JSON body → (status, JSON or null).
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&serde_json::Value>) -> (u16, serde_json::Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client().request(m, format!("{}{}", self.url, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        self.call("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &serde_json::Value) -> (u16, serde_json::Value) {
        self.call("POST", path, token, Some(body)).await
    }

    /// The database URL of this node (the embedded SQLite file or its PostgreSQL database).
    pub fn database_url(&self) -> String {
        match &self.database {
            Some(db) => db.clone(),
            None => format!("sqlite://{}", self.sqlite_path().display()),
        }
    }

    /// Runs raw SQL on the node's database, behind its back (tamper and fault tests).
    pub async fn sql(&self, statement: &str) -> u64 {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url()).await.expect("connect to node database");
        let done = sqlx::query(statement).execute(&mut conn).await.expect("raw SQL");
        let _ = conn.close().await;
        done.rows_affected()
    }

    /// Runs a raw `SELECT COUNT(*) …` (or any single-integer query) on the node's database.
    pub async fn sql_count(&self, statement: &str) -> i64 {
        use sqlx::{Connection, Row};
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url()).await.expect("connect to node database");
        let row = sqlx::query(statement).fetch_one(&mut conn).await.expect("raw SQL");
        let n: i64 = row.try_get(0).expect("integer result");
        let _ = conn.close().await;
        n
    }

    /// Path of the SQLite database file (SQLite backend only).
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.path().join("atalaya.db")
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Starts `n` independent nodes (each its own data directory and database).
pub async fn start_network(bin: &Path, n: usize, backend: Backend) -> Vec<TestNode> {
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("Test node {}", i + 1);
        nodes.push(TestNode::start_with(bin, backend, &[("ATALAYA_NODE_NAME", &name)]).await);
    }
    nodes
}

/// Defines a `#[tokio::test]` that runs `$body` (a closure `|backend| async move { … }`) once per
/// backend of [`Backend::all`], naming the backend in the output of a failure.
#[macro_export]
macro_rules! on_all_backends {
    ($name:ident, $body:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for backend in $crate::Backend::all() {
                eprintln!("--- {} on {}", stringify!($name), backend.name());
                let f = $body;
                f(backend).await;
            }
        }
    };
}
