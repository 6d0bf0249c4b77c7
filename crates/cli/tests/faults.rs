//! Storage faults on the real binary: the data directory on a small file system that fills up,
//! and one that is read-only when the node starts. Writes must fail with a clear error and
//! roll back whole (nothing half-written), reads keep working, the node recovers when space or
//! write access returns, and afterwards every acknowledged object is there exactly once and the
//! audit chain verifies. Needs `mount` (root); skipped elsewhere, except under CI.
use atalaya_testkit::{Backend, TestNode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const BATCH: usize = 100;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

/// A tmpfs of `mib` MiB, unmounted on drop.
struct Fs {
    dir: tempfile::TempDir,
}

impl Fs {
    fn mount(mib: u32) -> Option<Fs> {
        let dir = tempfile::Builder::new().prefix("atalaya-fault-").tempdir().expect("tmp");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m,mode=0700"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(std::env::var("CI").is_err(), "CI runs as root and must be able to mount a tmpfs for the fault tests");
            eprintln!("skipped: cannot mount a tmpfs (needs root)");
            return None;
        }
        Some(Fs { dir })
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn remount(&self, opts: &str) {
        let s = Command::new("mount").args(["-o", &format!("remount,{opts}")]).arg(self.path()).status().expect("mount");
        assert!(s.success(), "remount {opts}");
    }
}

impl Drop for Fs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

fn bundle(batch: usize) -> Value {
    let objects: Vec<Value> = (0..BATCH)
        .map(|i| {
            json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{:08x}-0000-4000-8000-{:012x}", batch, i),
                "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                "name": format!("batch {batch} host {i} — {}", "padding ".repeat(20)),
                "description": "x".repeat(300),
                "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", batch % 250, i / 250, i % 250),
                "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]
            })
        })
        .collect();
    json!({"type": "bundle", "id": format!("bundle--{:08x}-0000-4000-8000-000000000000", batch), "objects": objects})
}

/// Indicator ids and their number of versions, through `atalaya export` (operator, offline).
fn stored(node: &TestNode) -> BTreeMap<String, usize> {
    let out = tempfile::Builder::new().suffix(".json").tempfile().expect("tmp");
    let path: PathBuf = out.path().to_path_buf();
    drop(out);
    let o = node.cli(&["export", "--format", "stix", "--out", &path.display().to_string()]);
    assert!(o.status.success(), "export: {}", String::from_utf8_lossy(&o.stderr));
    let b: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    let _ = std::fs::remove_file(&path);
    let mut m = BTreeMap::new();
    for o in b["objects"].as_array().expect("objects") {
        if o["type"] == "indicator" {
            *m.entry(o["id"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
        }
    }
    m
}

fn audit_ok(node: &TestNode) {
    let o = node.cli(&["audit", "verify"]);
    assert!(o.status.success(), "audit verify: {} {}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_refuses_whole_batches_and_recovers() {
    let Some(fs) = Fs::mount(3) else { return };
    let node = TestNode::start_in(bin(), Backend::Sqlite, &[], fs.path()).await;
    let mut acked = Vec::new();
    let mut refused = None;
    for b in 0..400 {
        let (s, body) = node.post("/api/v1/stix/bundles", Some(&node.admin_token), &bundle(b)).await;
        if s < 300 {
            acked.push(b);
            continue;
        }
        assert!(s == 507 || s == 503, "disk full must be a 503/507, got {s}: {body}");
        let detail = body["detail"].as_str().unwrap_or_default().to_ascii_lowercase();
        assert!(detail.contains("full") || detail.contains("space"), "the error must say the disk is full: {body}");
        refused = Some(b);
        break;
    }
    let refused = refused.expect("the file system never filled up: make the tmpfs smaller");
    assert!(!acked.is_empty(), "nothing fitted at all: make the tmpfs larger");
    eprintln!("disk full after {} batches of {BATCH}", acked.len());

    // The node is up and still answers reads.
    let (s, _) = node.get("/healthz", None).await;
    assert_eq!(s, 200);
    let (s, _) = node.get("/api/v1/stix/objects?limit=5", Some(&node.admin_token)).await;
    assert_eq!(s, 200, "reads must keep working on a full disk");

    // Space comes back: the refused batch goes in, once.
    fs.remount("size=64m");
    let (s, body) = node.post("/api/v1/stix/bundles", Some(&node.admin_token), &bundle(refused)).await;
    assert!(s < 300, "after freeing space: {s} {body}");
    let ids = stored(&node);
    assert_eq!(ids.len(), (acked.len() + 1) * BATCH, "acknowledged objects lost or refused ones kept");
    assert!(ids.values().all(|&n| n == 1), "an object was stored twice");
    audit_ok(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_data_dir_is_refused_clearly_and_nothing_is_lost() {
    let Some(fs) = Fs::mount(64) else { return };
    let mut node = TestNode::start_in(bin(), Backend::Sqlite, &[], fs.path()).await;
    let (s, body) = node.post("/api/v1/stix/bundles", Some(&node.admin_token), &bundle(1)).await;
    assert!(s < 300, "{s} {body}");
    assert!(node.stop(), "clean stop");

    // The data directory's file system is now read-only (a full disk remounted ro by the
    // kernel after errors, a snapshot mounted for inspection…).
    fs.remount("ro");
    let o = Command::new(bin())
        .args(["serve", "--data-dir", &node.data_dir.path().display().to_string(), "--listen", "127.0.0.1:0"])
        .env("ATALAYA_LOG", "off")
        .output()
        .expect("serve");
    assert!(!o.status.success(), "a node must not start without write access to its data");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    let lower = err.to_ascii_lowercase();
    assert!(lower.contains("read-only") || lower.contains("readonly"), "the error must say read-only: {err}");

    fs.remount("rw");
    node.restart();
    let (s, body) = node.post("/api/v1/stix/bundles", Some(&node.admin_token), &bundle(2)).await;
    assert!(s < 300, "after write access returns: {s} {body}");
    let ids = stored(&node);
    assert_eq!(ids.len(), 2 * BATCH);
    assert!(ids.values().all(|&n| n == 1));
    audit_ok(&node);
}
