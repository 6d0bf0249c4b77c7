//! `atalaya-bench taxii`: a compiled TAXII 2.1 load generator for Atalaya's high rates (the
//! Python harness of ../shared/bench tops out near 1,000 requests/s). reqwest + tokio, keep-alive
//! connections, N concurrent workers; every answer is checked (status, media type, the object
//! asked for, every object of a walk exactly once). Steps:
//!
//! - `walk`: GET objects/?limit=L following `next`: objects/s and per-page latency.
//! - `one`: single-object GETs of ids drawn from the data set, all of them (the typical TLP mix:
//!   TLP:AMBER and stricter reads are audited, one audit commit each) and CLEAR/GREEN only.
//! - `filtered`: first pages of objects/?match[type]=indicator&limit=100.
//!
//! Prints one JSON document (and writes it with --out).
use clap::Args;
use std::collections::HashSet;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TAXII: &str = "application/taxii+json;version=2.1";
const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
const GREEN1: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const WHITE1: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";

#[derive(Args)]
pub struct TaxiiArgs {
    /// Base URL of the node, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// Bearer token.
    #[arg(long, env = "ATALAYA_TOKEN")]
    token: String,
    /// The data set the node holds (JSON lines): ids to ask for, and the expected count.
    #[arg(long)]
    objects: PathBuf,
    /// Concurrent connections for single GETs.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Single-object GETs per id class.
    #[arg(long, default_value_t = 20_000)]
    single_gets: usize,
    /// Filtered GETs.
    #[arg(long, default_value_t = 2_000)]
    filtered_gets: usize,
    /// Page size of the walk.
    #[arg(long, default_value_t = 1000)]
    page_limit: usize,
    /// Label of the run.
    #[arg(long, default_value = "atalaya")]
    label: String,
    /// Also write the JSON result here.
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

struct Data {
    all: Vec<String>,
    shareable: Vec<String>,
    distinct: usize,
}

fn load(path: &PathBuf) -> Result<Data, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut all = vec![];
    let mut shareable = vec![];
    let mut seen = HashSet::new();
    for line in std::io::BufReader::with_capacity(1 << 20, f).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        // Only the id and the markings are needed: a cheap scan, not a parse of every line.
        let Some(i) = line.find("\"id\"") else { continue };
        let rest = &line[i + 4..];
        let Some(q1) = rest.find('"') else { continue };
        let Some(q2) = rest[q1 + 1..].find('"') else { continue };
        let id = rest[q1 + 1..q1 + 1 + q2].to_string();
        if !seen.insert(id.clone()) {
            continue;
        }
        if [CLEAR, GREEN, GREEN1, WHITE1].iter().any(|m| line.contains(m)) {
            shareable.push(id.clone());
        }
        all.push(id);
    }
    Ok(Data { distinct: seen.len(), all, shareable })
}

#[derive(serde::Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    objects: Vec<IdOnly>,
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn lat(mut v: Vec<f64>) -> serde_json::Value {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    serde_json::json!({"p50_ms": pct(&v, 0.5), "p90_ms": pct(&v, 0.9), "p99_ms": pct(&v, 0.99), "max_ms": v.last().copied().unwrap_or(0.0), "n": v.len()})
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> Result<(Envelope, f64), String> {
    let t = Instant::now();
    let r = client.get(url).header("accept", TAXII).bearer_auth(token).send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = r.status();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = r.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if !status.is_success() {
        return Err(format!("{url}: HTTP {status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)])));
    }
    if ct != TAXII {
        return Err(format!("{url}: Content-Type '{ct}'"));
    }
    let env: Envelope = serde_json::from_slice(&body).map_err(|e| format!("{url}: {e}"))?;
    Ok((env, ms))
}

/// A tiny deterministic generator (xorshift) so runs draw the same ids.
fn draw(seed: u64, n: usize, len: usize) -> Vec<usize> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % len.max(1) as u64) as usize
        })
        .collect()
}

async fn singles(client: &reqwest::Client, base: &str, token: &str, ids: Arc<Vec<String>>, picks: Vec<usize>, conc: usize) -> Result<serde_json::Value, String> {
    let picks = Arc::new(picks);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let mut tasks = vec![];
    for _ in 0..conc.max(1) {
        let (client, base, token, ids, picks, next) = (client.clone(), base.to_string(), token.to_string(), ids.clone(), picks.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut l = vec![];
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&k) = picks.get(i) else { return Ok::<Vec<f64>, String>(l) };
                let id = &ids[k];
                let (env, ms) = get(&client, &format!("{base}{id}/"), &token).await?;
                if env.objects.len() != 1 || env.objects[0].id != *id {
                    return Err(format!("GET {id}: wrong answer ({} objects)", env.objects.len()));
                }
                l.push(ms);
            }
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.map_err(|e| e.to_string())??);
    }
    let secs = t.elapsed().as_secs_f64();
    let n = all.len();
    let mut v = lat(all);
    v["requests_per_s"] = serde_json::json!(n as f64 / secs);
    v["concurrency"] = serde_json::json!(conc);
    Ok(v)
}

pub async fn run(a: TaxiiArgs) -> Result<serde_json::Value, String> {
    let data = load(&a.objects)?;
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(a.concurrency * 2).timeout(Duration::from_secs(600)).build().map_err(|e| e.to_string())?;
    let base = a.url.trim_end_matches('/').to_string();
    let (colls, _) = {
        let r = client.get(format!("{base}/taxii2/api/collections/")).header("accept", TAXII).bearer_auth(&a.token).send().await.map_err(|e| e.to_string())?;
        (r.json::<serde_json::Value>().await.map_err(|e| e.to_string())?, ())
    };
    let coll = colls["collections"][0]["id"].as_str().ok_or("no collection")?.to_string();
    let objs = format!("{base}/taxii2/api/collections/{coll}/objects/");
    eprintln!("[{}] {} distinct ids ({} CLEAR/GREEN); walking {objs}", a.label, data.distinct, data.shareable.len());

    // Walk.
    let mut seen: HashSet<String> = HashSet::with_capacity(data.distinct);
    let mut page_ms = vec![];
    let mut next: Option<String> = None;
    let t = Instant::now();
    loop {
        let url = match &next {
            Some(n) => format!("{objs}?limit={}&next={n}", a.page_limit),
            None => format!("{objs}?limit={}", a.page_limit),
        };
        let (env, ms) = get(&client, &url, &a.token).await?;
        page_ms.push(ms);
        for o in env.objects {
            if !seen.insert(o.id.clone()) {
                return Err(format!("walk: {} came twice", o.id));
            }
        }
        if !env.more {
            break;
        }
        next = Some(env.next.ok_or("more without next")?);
    }
    let walk_secs = t.elapsed().as_secs_f64();
    if seen.len() != data.distinct {
        return Err(format!("walk: {} objects, the data set has {}", seen.len(), data.distinct));
    }
    let pages = page_ms.len();
    let mut walk = lat(page_ms);
    walk["objects"] = serde_json::json!(seen.len());
    walk["pages"] = serde_json::json!(pages);
    walk["objects_per_s"] = serde_json::json!(seen.len() as f64 / walk_secs);
    eprintln!("[{}] walk: {:.0} objects/s", a.label, seen.len() as f64 / walk_secs);
    drop(seen);

    // Single GETs: the typical mix, then CLEAR/GREEN only.
    let all = Arc::new(data.all);
    let mix = singles(&client, &objs, &a.token, all.clone(), draw(a.seed, a.single_gets, all.len()), a.concurrency).await?;
    eprintln!("[{}] single GETs (mix): {mix}", a.label);
    let share = Arc::new(data.shareable);
    let green = singles(&client, &objs, &a.token, share.clone(), draw(a.seed + 1, a.single_gets, share.len()), a.concurrency).await?;
    eprintln!("[{}] single GETs (CLEAR/GREEN): {green}", a.label);
    // Unloaded latency: one connection.
    let seq = singles(&client, &objs, &a.token, share.clone(), draw(a.seed + 2, a.single_gets.min(5000), share.len()), 1).await?;
    let seq_mix = singles(&client, &objs, &a.token, all.clone(), draw(a.seed + 3, a.single_gets.min(5000), all.len()), 1).await?;

    // Filtered first pages.
    let mut fl = vec![];
    let t = Instant::now();
    for _ in 0..a.filtered_gets {
        let (env, ms) = get(&client, &format!("{objs}?match[type]=indicator&limit=100"), &a.token).await?;
        if env.objects.is_empty() || !env.objects.iter().all(|o| o.id.starts_with("indicator--")) {
            return Err("filtered GET: wrong answer".into());
        }
        fl.push(ms);
    }
    let fsecs = t.elapsed().as_secs_f64();
    let mut filtered = lat(fl);
    filtered["requests_per_s"] = serde_json::json!(a.filtered_gets as f64 / fsecs.max(1e-9));

    let v = serde_json::json!({
        "label": a.label, "tool": "atalaya-bench taxii (Rust, reqwest + tokio, keep-alive)",
        "objects": data.distinct, "walk": walk, "single_mix": mix, "single_clear_green": green,
        "single_clear_green_one_connection": seq, "single_mix_one_connection": seq_mix, "filtered_first_page": filtered,
    });
    if let Some(p) = &a.out {
        std::fs::write(p, serde_json::to_string_pretty(&v).unwrap_or_default()).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(v)
}
