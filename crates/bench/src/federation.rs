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
    /// Objects of the two-node initial sync (loaded at the origin with `atalaya import`
    /// before peering); 0 skips it.
    #[arg(long, default_value_t = 1_000_000)]
    pub sync_objects: usize,
    /// Skip the N-node propagation part (run only the two-node sync).
    #[arg(long)]
    pub sync_only: bool,
}

struct Node {
    dir: PathBuf,
    url: String,
    child: Child,
}

/// CPU seconds (user + system) a process has used so far, from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let Some(rest) = s.rfind(')').map(|i| &s[i + 1..]) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn nodes_cpu(nodes: &[Node]) -> f64 {
    nodes.iter().map(|n| cpu_seconds(n.child.id())).sum()
}

/// `/proc/pressure/cpu` "some" line (share of time runnable tasks waited for a CPU).
fn cpu_pressure() -> String {
    std::fs::read_to_string("/proc/pressure/cpu").ok().and_then(|s| s.lines().next().map(str::to_string)).unwrap_or_else(|| "n/a".into())
}

/// Whole-machine busy CPU seconds so far (all processes), from /proc/stat.
fn machine_cpu() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/stat") else { return 0.0 };
    let Some(l) = s.lines().next() else { return 0.0 };
    let v: Vec<f64> = l.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal
    let busy: f64 = v.iter().enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, x)| x).take(6).sum();
    busy / 100.0
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

fn peer(bin: &Path, hub: &Node, node: &Node) -> Result<(), String> {
    run(bin, &["peer", "add", &hub.url], &node.dir, &[])?;
    let show = run(bin, &["node", "show"], &node.dir, &[])?;
    let fp = show.lines().find_map(|l| l.strip_prefix("fingerprint:")).ok_or("no fingerprint")?.trim().replace(' ', "");
    run(bin, &["peer", "accept", &fp[..16]], &hub.dir, &[])?;
    Ok(())
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
    let t = Instant::now();
    let items: Vec<fed::Item> = objects
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
    let sign_us = t.elapsed().as_secs_f64() * 1e6 / items.len() as f64;
    let mut dir = fed::PeerDirectory::default();
    dir.insert(fed::PeerKey::active(fed::NodeId::from_verifying_key(&key.verifying_key())));
    let t = Instant::now();
    let ok = items.iter().filter(|i| fed::verify_item(i, &dir, time::OffsetDateTime::now_utc()).is_ok()).count();
    let verify_us = t.elapsed().as_secs_f64() * 1e6 / items.len() as f64;
    eprintln!("origin signature: sign {sign_us:.1} µs/item, verify {verify_us:.1} µs/item ({ok}/{} verified), one core, canonical JSON included", items.len());
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
    let mut out = format!("machine: {} CPUs; cpu pressure at start: {}\n", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), cpu_pressure());
    if !a.sync_only {
        out += &propagation(&a, &bin, &work.join("propagation"))?;
    }
    if a.sync_objects > 0 {
        out += &sync(&a, &bin, &work.join("sync"))?;
    }
    let (raw, json, gz) = wire_overhead();
    out += &format!("wire bytes per object: object JSON {raw:.0} B; push envelope {json:.0} B ({:.2}x); gzip'd {gz:.0} B ({:.2}x, goal < 1.3x)\n", json / raw, gz / raw);
    Ok(out)
}

/// Two nodes: `sync_objects` objects imported at A (offline, `atalaya import`), A serves and
/// signs them, then B peers with A; time until B holds them all.
fn sync(a: &FederationArgs, bin: &Path, work: &Path) -> Result<String, String> {
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let n = a.sync_objects;
    let file = work.join("objects.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&file).map_err(|e| e.to_string())?);
    for i in 0..n {
        writeln!(f, "{}", indicator(i)).map_err(|e| e.to_string())?;
    }
    f.flush().map_err(|e| e.to_string())?;
    drop(f);
    let dir_a = work.join("nodeA");
    let dir_b = work.join("nodeB");
    std::fs::create_dir_all(&dir_a).map_err(|e| e.to_string())?;
    let env = [("ATALAYA_NODE_NAME", "CSIRT AR"), ("ATALAYA_COUNTRY", "AR")];
    run(bin, &["token", "create", "--user", "admin"], &dir_a, &env)?;
    eprintln!("sync: importing {n} objects at node A…");
    let t = Instant::now();
    run(bin, &["import", "--quiet", file.to_str().unwrap_or_default()], &dir_a, &env)?;
    let import = t.elapsed().as_secs_f64();
    eprintln!("sync: node A signs them…");
    let t = Instant::now();
    let node_a = start(bin, &dir_a, "CSIRT AR", "AR")?;
    let want = n as i64;
    let deadline = Instant::now() + Duration::from_secs(3600);
    while count(&dir_a) < want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let sign = t.elapsed().as_secs_f64();
    let sign_cpu = nodes_cpu(std::slice::from_ref(&node_a));
    let node_b = start(bin, &dir_b, "CSIRT BR", "BR")?;
    let nodes = [node_a, node_b];
    let cpu0 = nodes_cpu(&nodes);
    let m0 = machine_cpu();
    eprintln!("sync: node B peers with A and pulls {n} objects…");
    let t = Instant::now();
    peer(bin, &nodes[0], &nodes[1])?;
    let mut last = 0;
    while Instant::now() < deadline {
        let c = count(&dir_b);
        if c >= want {
            break;
        }
        if c / 100_000 != last / 100_000 {
            eprintln!("  {c} / {n} after {:.1} s", t.elapsed().as_secs_f64());
        }
        last = c;
        std::thread::sleep(Duration::from_millis(100));
    }
    let sync = t.elapsed().as_secs_f64();
    let got = count(&dir_b);
    let cpu = nodes_cpu(&nodes) - cpu0;
    let mcpu = machine_cpu() - m0;
    let mut out = format!("\ninitial sync, two nodes, {n} objects\n");
    out += &format!("import at A (offline): {import:.1} s; origin signing of {n} versions at A: {sign:.1} s wall, {sign_cpu:.1} CPU-s ({:.1} µs CPU per object)\n", sign_cpu * 1e6 / n as f64);
    out += &format!("B holds {got}/{n} after {sync:.1} s (from `peer add`; goal < 60 s) = {:.0} objects/s\n", got as f64 / sync);
    out += &format!("CPU during the sync: nodes {cpu:.1} CPU-s, whole machine {mcpu:.1} CPU-s of {:.1} available; cpu pressure after: {}\n", sync * std::thread::available_parallelism().map(|n| n.get() as f64).unwrap_or(1.0), cpu_pressure());
    Ok(out)
}

fn propagation(a: &FederationArgs, bin: &Path, work: &Path) -> Result<String, String> {
    let bin = bin.to_path_buf();
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let n = a.nodes.clamp(2, 35);
    eprintln!("starting {n} nodes…");
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        nodes.push(start(&bin, &work.join(format!("node{i:02}")), &format!("CSIRT {}", OAS[i]), OAS[i])?);
    }
    let hub = &nodes[0];
    eprintln!("peering {} nodes with node 0…", n - 1);
    for node in &nodes[1..] {
        peer(&bin, hub, node)?;
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
    let cpu0 = nodes_cpu(&nodes);
    let m0 = machine_cpu();
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
    let wall = t0.elapsed().as_secs_f64();
    let cpu = nodes_cpu(&nodes) - cpu0;
    let mcpu = machine_cpu() - m0;
    let mut times: Vec<f64> = done.iter().flatten().copied().collect();
    times.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
    let mut out = String::new();
    out += &format!("nodes: {n} (node 0 publishes, {} peers)\nobjects: {}\n", n - 1, a.objects);
    out += &format!("import at node 0: {:.2} s\n", import.as_secs_f64());
    out += &format!("nodes complete: {}/{}\n", times.len(), n - 1);
    out += &format!("time until a node holds all objects (from import start): p50 {:.2} s, p99 {:.2} s, max {:.2} s\n", pct(&times, 50.0), pct(&times, 99.0), times.last().copied().unwrap_or(0.0));
    out += &format!("propagation after the import finished: p50 {:.2} s, p99 {:.2} s (goal p99 < 2 s)\n", (pct(&times, 50.0) - import.as_secs_f64()).max(0.0), (pct(&times, 99.0) - import.as_secs_f64()).max(0.0));
    out += &format!("CPU until the last node was complete ({wall:.1} s): nodes {cpu:.1} CPU-s, whole machine {mcpu:.1} CPU-s; cpu pressure after: {}\n", cpu_pressure());
    Ok(out)
}
