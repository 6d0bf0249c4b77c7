//! `atalaya backup` / `atalaya restore` on the real binary: a backup taken while imports keep
//! committing is a consistent snapshot (whole transactions only, audit chain intact), the restored
//! node has the same identity and the same objects; damaged archives and non-empty targets are
//! refused with one line and nothing left behind; a PostgreSQL node is pointed to pg_dump.
use atalaya_testkit::{Backend, TestNode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BATCH: usize = 150;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).env_remove("ATALAYA_DATA_DIR").env_remove("ATALAYA_DATABASE").output().expect("run atalaya")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
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
                "object_marking_refs": ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]
            })
        })
        .collect();
    json!({"type": "bundle", "id": format!("bundle--{:08x}-0000-4000-8000-000000000000", batch), "objects": objects})
}

/// Every object of a node's data directory, by id, through `atalaya export` (offline, operator).
fn export_all(data_dir: &Path) -> BTreeMap<String, Value> {
    let out = tempfile::Builder::new().suffix(".json").tempfile().expect("tmp");
    let path = out.path().display().to_string();
    drop(out);
    let o = run(&["export", "--data-dir", &data_dir.display().to_string(), "--format", "stix", "--out", &path]);
    assert!(o.status.success(), "export failed: {}", text(&o.stderr));
    let b: Value = serde_json::from_slice(&std::fs::read(&path).expect("read export")).expect("json");
    let _ = std::fs::remove_file(&path);
    b["objects"].as_array().expect("objects").iter().filter(|o| o["type"] == "indicator").map(|o| (o["id"].as_str().unwrap_or("").to_string(), o.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_importing_restores_a_consistent_node() {
    let node = TestNode::start(bin(), Backend::Sqlite).await;
    let work = tempfile::tempdir().expect("tmp");
    let archive = work.path().join("node-backup.tar.gz");

    // A writer keeps committing 150-object bundles (one transaction each) during the backup.
    for b in 0..3 {
        let (s, r) = node.post("/api/v1/stix/bundles", Some(&node.admin_token), &bundle(b)).await;
        assert!(s < 300, "{s} {r}");
    }
    let url = node.url.clone();
    let token = node.admin_token.clone();
    let client = node.client();
    let writer = tokio::spawn(async move {
        for b in 3..40 {
            let r = client.post(format!("{url}/api/v1/stix/bundles")).bearer_auth(&token).json(&bundle(b)).send().await.expect("post");
            assert!(r.status().is_success(), "{}", r.status());
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut args: Vec<String> = vec!["backup".into()];
    args.extend(node.store_args());
    args.extend(["--out".into(), archive.display().to_string()]);
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "backup failed: {}", text(&o.stderr));
    assert!(text(&o.stdout).contains("backup written"), "{}", text(&o.stdout));
    writer.await.expect("writer");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&archive).expect("archive").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the archive holds the node key: it must not be readable by others");
    }

    // Restore into a new directory: audit chain verified by the command itself.
    let restored = work.path().join("restored");
    let o = run(&["restore", &archive.display().to_string(), "--data-dir", &restored.display().to_string()]);
    assert!(o.status.success(), "restore failed: {} {}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("audit log intact"), "{}", text(&o.stdout));

    // Same identity.
    let show = |dir: &Path| {
        let o = run(&["node", "show", "--data-dir", &dir.display().to_string()]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stdout).lines().find(|l| l.starts_with("fingerprint:")).unwrap_or_default().to_string()
    };
    assert_eq!(show(node.data_dir.path()), show(&restored));

    // Whole transactions only, and every restored object is the original.
    let original = export_all(node.data_dir.path());
    let copy = export_all(&restored);
    assert_eq!(original.len(), 40 * BATCH);
    assert!(copy.len() >= 3 * BATCH, "the snapshot lost objects committed before it started: {}", copy.len());
    assert_eq!(copy.len() % BATCH, 0, "the snapshot holds part of a transaction: {} objects", copy.len());
    for (id, o) in &copy {
        assert_eq!(original.get(id), Some(o), "restored {id} differs from the original");
    }
    eprintln!("backup during import: {} of {} objects in the snapshot", copy.len(), original.len());

    // The restored node serves, and accepts the original's tokens.
    let mut child = Command::new(bin())
        .args(["serve", "--data-dir", &restored.display().to_string(), "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    // Keep reading the server's stdout for as long as it runs: closing the pipe would make its
    // next line of output fail.
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut first = true;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if first {
                let _ = tx.send(line);
                first = false;
            }
        }
    });
    let line = rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the restored node reports its address");
    let addr = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
    let res = reqwest::Client::new().get(format!("{addr}/api/v1/stix/objects?limit=5")).bearer_auth(&node.admin_token).send().await.expect("get");
    let status = res.status();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "the restored node must accept the original's tokens and serve its objects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_archives_and_non_empty_targets_are_refused() {
    let node = TestNode::start(bin(), Backend::Sqlite).await;
    let (s, r) = node.post("/api/v1/stix/bundles", Some(&node.admin_token), &bundle(1)).await;
    assert!(s < 300, "{s} {r}");
    let work = tempfile::tempdir().expect("tmp");
    let archive = work.path().join("b.tar.gz");
    let mut args: Vec<String> = vec!["backup".into()];
    args.extend(node.store_args());
    args.extend(["--out".into(), archive.display().to_string()]);
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", text(&o.stderr));

    // Writing over an existing file is refused.
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("exists already"), "{}", text(&o.stderr));

    // Non-empty target.
    let busy = work.path().join("busy");
    std::fs::create_dir_all(&busy).expect("mkdir");
    std::fs::write(busy.join("keep.txt"), "x").expect("write");
    let o = run(&["restore", &archive.display().to_string(), "--data-dir", &busy.display().to_string()]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read_to_string(busy.join("keep.txt")).expect("kept"), "x");

    // A truncated archive, and one whose database was altered: refused, nothing left behind.
    let bytes = std::fs::read(&archive).expect("read");
    let cut = work.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let altered = work.path().join("altered.tar.gz");
    std::fs::write(&altered, alter_database(&bytes)).expect("write");
    for (bad, why) in [(&cut, "damaged|cut short|not a backup"), (&altered, "SHA-256")] {
        let target = work.path().join(format!("t-{}", bad.file_name().and_then(|n| n.to_str()).unwrap_or("x")));
        let o = run(&["restore", &bad.display().to_string(), "--data-dir", &target.display().to_string()]);
        let err = text(&o.stderr);
        assert!(!o.status.success(), "{} was restored", bad.display());
        assert!(why.split('|').any(|w| err.contains(w)), "{}: {err}", bad.display());
        assert!(!target.exists(), "a refused restore left {} behind", target.display());
        let leftovers: Vec<PathBuf> = std::fs::read_dir(work.path()).expect("ls").flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().contains("restore-tmp")).collect();
        assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
    }
}

/// Re-packs the archive with one byte of `atalaya.db` changed (manifest untouched).
fn alter_database(gz: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut raw).expect("gunzip");
    // The database is the first entry: a 512-byte header naming it, then its data.
    assert_eq!(&raw[..10], b"atalaya.db", "the database is the first entry");
    raw[512 + 200] ^= 0x55;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&raw).expect("gzip");
    enc.finish().expect("gzip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_nodes_are_pointed_to_pg_dump() {
    if !Backend::all().contains(&Backend::Postgres) {
        eprintln!("skipped: no PostgreSQL (ATALAYA_TEST_DATABASE_URL)");
        return;
    }
    let node = TestNode::start(bin(), Backend::Postgres).await;
    let work = tempfile::tempdir().expect("tmp");
    let out = work.path().join("pg.tar.gz");
    let mut args: Vec<String> = vec!["backup".into()];
    args.extend(node.store_args());
    args.extend(["--out".into(), out.display().to_string()]);
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("pg_dump"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!out.exists(), "no archive may be left behind");
    let leftovers = std::fs::read_dir(work.path()).expect("ls").count();
    assert_eq!(leftovers, 0, "temporary files left behind");
}
