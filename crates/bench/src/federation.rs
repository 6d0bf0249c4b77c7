//! `atalaya-bench federation`: N real `atalaya serve` processes (the 35 OAS member states by
//! default) peered with node 0; publish objects at node 0 and time until every node holds them
//! (p50/p99 over nodes); bytes on the wire per object vs the object's own size, measured with
//! the node's own encoder (signed items in a gzip'd push envelope). See bench/README.md.
use clap::Args;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OAS: [&str; 35] = [
    "AG", "AR", "BS", "BB", "BZ", "BO", "BR", "CA", "CL", "CO", "CR", "CU", "DM", "DO", "EC", "SV", "US", "GD", "GT", "GY", "HT",
    "HN", "JM", "MX", "NI", "PA", "PY", "PE", "KN", "LC", "VC", "SR", "TT", "UY", "VE",
];

#[derive(Args)]
pub struct FederationArgs {
    /// Nodes (node 0 publishes; the others peer with it).
    #[arg(long, default_value_t = 35)]
    pub nodes: usize,
    /// Objects published at node 0.
    #[arg(long, default_value_t = 10_000)]
    pub objects: usize,
    /// The atalaya binary (default: target/release/atalaya).
    #[arg(long)]
    pub bin: Option<PathBuf>,
    /// Working directory (data directories are made anew).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

struct Node {
    dir: PathBuf,
    url: String,
    child: Child,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(bin: &Path, args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Result<String, String> {
    let out = Command::new(bin)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .envs(env.iter().copied())
        .env_remove("ATALAYA_DATABASE")
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!("atalaya {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

fn start(bin: &Path, dir: &Path, name: &str, country: &str) -> Result<Node, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let env = [("ATALAYA_NODE_NAME", name), ("ATALAYA_COUNTRY", country)];
    run(bin, &["token", "create", "--user", "admin"], dir, &env)?;
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .envs(env)
        .env("ATALAYA_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut line = String::new();
        while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            if let Some(u) = line.trim().strip_prefix("atalaya listening on ") {
                let _ = tx.send(u.to_string());
            }
            line.clear();
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(60)).map_err(|_| format!("{name} did not start"))?;
    Ok(Node { dir: dir.to_path_buf(), url, child })
}

fn count(dir: &Path) -> i64 {
    let Ok(c) = rusqlite::Connection::open_with_flags(dir.join("atalaya.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) else { return 0 };
    c.query_row("SELECT COUNT(*) FROM fed_origins", [], |r| r.get(0)).unwrap_or(0)
}

fn indicator(i: usize) -> serde_json::Value {
    let id = format!("indicator--{:08x}-0000-4000-8000-{:012x}", i as u32, i);
    serde_json::json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2025-01-10T09:00:00.000Z", "modified": "2025-01-10T09:00:00.000Z",
        "name": format!("C2 server {i}"), "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", (i >> 16) & 255, (i >> 8) & 255, i & 255),
        "pattern_type": "stix", "valid_from": "2025-01-10T09:00:00Z",
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    })
}

/// Bytes of a full push (500 signed items, envelope signed, gzip) per object, vs the objects' JSON.
fn wire_overhead() -> (f64, f64, f64) {
    use atalaya_federation as fed;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let to = fed::NodeId::from_verifying_key(&ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]).verifying_key());
    let objects: Vec<serde_json::Value> = (0..fed::MAX_BATCH_ITEMS).map(indicator).collect();
    let raw: usize = objects.iter().map(|o| serde_json::to_string(o).map(|s| s.len()).unwrap_or(0)).sum();
    let items = objects
        .into_iter()
        .map(|o| {
            let id = o["id"].as_str().unwrap_or_default().to_string();
            fed::sign_item(
                &key,
                fed::Item::ObjectVersion(fed::ObjectVersion {
                    origin: to.clone(),
                    owner_org: fed::OrgId(uuid_of(1)),
                    stix_id: id,
                    version: "2025-01-10T09:00:00.000Z".into(),
                    tlp: atalaya_model_green(),
                    distribution: fed::Distribution::network(),
                    object: o,
                    origin_signature: String::new(),
                }),
            )
        })
        .collect();
    let msg = fed::Message::Push(fed::Push { items, after: Some("1.0".into()), cursor: "501.0".into() });
    let env = fed::seal(&key, &to, time::OffsetDateTime::now_utc(), &mut rand::rngs::OsRng, &msg);
    let json = env.to_json();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = gz.write_all(json.as_bytes());
    let gz = gz.finish().unwrap_or_default();
    let n = fed::MAX_BATCH_ITEMS as f64;
    (raw as f64 / n, json.len() as f64 / n, gz.len() as f64 / n)
}

fn uuid_of(i: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(i)
}

fn atalaya_model_green() -> atalaya_model::Tlp {
    atalaya_model::Tlp::Green
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn run_bench(a: FederationArgs, root: &Path) -> Result<String, String> {
    let bin = a.bin.clone().unwrap_or_else(|| root.join("target/release/atalaya"));
    let work = a.work_dir.clone().unwrap_or_else(|| root.join("target/bench/federation"));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let n = a.nodes.clamp(2, 35);
    eprintln!("starting {n} nodes…");
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        nodes.push(start(&bin, &work.join(format!("node{i:02}")), &format!("CSIRT {}", OAS[i]), OAS[i])?);
    }
    let hub = &nodes[0];
    eprintln!("peering {} nodes with node 0…", n - 1);
    for node in &nodes[1..] {
        run(&bin, &["peer", "add", &hub.url], &node.dir, &[])?;
        let show = run(&bin, &["node", "show"], &node.dir, &[])?;
        let fp = show.lines().find_map(|l| l.strip_prefix("fingerprint:")).ok_or("no fingerprint")?.trim().replace(' ', "");
        run(&bin, &["peer", "accept", &fp[..16]], &hub.dir, &[])?;
    }
    // Directory entries settle (every node learns the others' organisations).
    std::thread::sleep(Duration::from_secs(3));
    let file = work.join("objects.jsonl");
    let mut f = std::fs::File::create(&file).map_err(|e| e.to_string())?;
    for i in 0..a.objects {
        writeln!(f, "{}", indicator(i)).map_err(|e| e.to_string())?;
    }
    drop(f);
    let token = run(&bin, &["token", "create", "--user", "admin"], &hub.dir, &[])?.trim().to_string();
    eprintln!("publishing {} objects at node 0…", a.objects);
    let t0 = Instant::now();
    run(&bin, &["import", "--url", &hub.url, "--token", &token, file.to_str().unwrap_or_default()], &hub.dir, &[])?;
    let import = t0.elapsed();
    let want = a.objects as i64;
    let mut done: Vec<Option<f64>> = vec![None; n - 1];
    let deadline = Instant::now() + Duration::from_secs(600);
    while done.iter().any(Option::is_none) && Instant::now() < deadline {
        for (i, node) in nodes[1..].iter().enumerate() {
            if done[i].is_none() && count(&node.dir) >= want {
                done[i] = Some(t0.elapsed().as_secs_f64());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut times: Vec<f64> = done.iter().flatten().copied().collect();
    times.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
    let (raw, json, gz) = wire_overhead();
    let mut out = String::new();
    out += &format!("nodes: {n} (node 0 publishes, {} peers)\nobjects: {}\n", n - 1, a.objects);
    out += &format!("import at node 0: {:.2} s\n", import.as_secs_f64());
    out += &format!("nodes complete: {}/{}\n", times.len(), n - 1);
    out += &format!("time until a node holds all objects (from import start): p50 {:.2} s, p99 {:.2} s, max {:.2} s\n", pct(&times, 50.0), pct(&times, 99.0), times.last().copied().unwrap_or(0.0));
    out += &format!("propagation after the import finished: p50 {:.2} s, p99 {:.2} s (goal p99 < 2 s)\n", (pct(&times, 50.0) - import.as_secs_f64()).max(0.0), (pct(&times, 99.0) - import.as_secs_f64()).max(0.0));
    out += &format!("wire bytes per object: object JSON {raw:.0} B; push envelope {json:.0} B ({:.2}x); gzip'd {gz:.0} B ({:.2}x, goal < 1.3x)\n", json / raw, gz / raw);
    Ok(out)
}
