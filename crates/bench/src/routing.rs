//! `atalaya-bench routing`: routing lookups over the full IP-to-country table plus declared
//! constituencies; a case with 10,000 observables routed through the services; and the CSV feed
//! job (parse, route, de-duplicate, store) end to end. See bench/README.md.
use atalaya_model::directory::{Constituency, NewOrganisation};
use atalaya_model::incident::{NewIncident, Observable};
use atalaya_routing::{ConstituencyIndex, OrgRef, Router};
use atalaya_services::{Ctx, ServiceConfig, Services};
use clap::Args;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
pub struct RoutingArgs {
    /// IP-to-country directory (default: shared/data/ip-country beside the repository).
    #[arg(long)]
    ip_country: Option<PathBuf>,
    /// Declared constituencies (organisations, 3 prefixes + 2 domains + 1 ASN each).
    #[arg(long, default_value_t = 1000)]
    constituencies: usize,
    /// Route lookups timed.
    #[arg(long, default_value_t = 2_000_000)]
    lookups: usize,
    /// Observables of the routed case.
    #[arg(long, default_value_t = 10_000)]
    case_observables: usize,
    /// Events of the CSV feed (about 10 % duplicates).
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Working directory (default target/bench/routing).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Real addresses: starts of ranges of the data (plus an offset), so lookups hit the table.
fn sample_addresses(dir: &Path, n: usize, rng: &mut Rng) -> Result<Vec<Ipv4Addr>, String> {
    let text = std::fs::read_to_string(dir.join("geo-whois-asn-country-ipv4.csv")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let starts: Vec<(u32, u32)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.split(',');
            let a: Ipv4Addr = f.next()?.parse().ok()?;
            let b: Ipv4Addr = f.next()?.parse().ok()?;
            Some((u32::from(a), u32::from(b)))
        })
        .collect();
    Ok((0..n)
        .map(|_| {
            let (a, b) = starts[(rng.next() % starts.len() as u64) as usize];
            Ipv4Addr::from(a + (rng.next() % u64::from(b - a + 1)) as u32)
        })
        .collect())
}

fn constituency(i: usize, rng: &mut Rng, addrs: &[Ipv4Addr]) -> Constituency {
    let mut prefixes = Vec::new();
    for k in 0..3 {
        let a = u32::from(addrs[(rng.next() % addrs.len() as u64) as usize]);
        let len = 16 + (k * 4) as u8;
        let net = a & (u32::MAX << (32 - u32::from(len)));
        if let Ok(p) = format!("{}/{len}", Ipv4Addr::from(net)).parse() {
            prefixes.push(p);
        }
    }
    Constituency {
        prefixes,
        asns: vec![format!("AS{}", 64512 + i).parse().unwrap_or_else(|_| unreachable!())],
        domains: vec![format!("org{i}.example.net").parse().unwrap_or_else(|_| unreachable!()), format!("gob{i}.example.org").parse().unwrap_or_else(|_| unreachable!())],
        sectors: vec![],
    }
}

pub async fn run(a: RoutingArgs, root: &Path) -> Result<String, String> {
    let ip_dir = a.ip_country.clone().unwrap_or_else(|| root.join("../shared/data/ip-country"));
    let work = a.work_dir.clone().unwrap_or_else(|| root.join("target/bench/routing"));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut out = String::new();
    let (machine, load) = crate::sys::machine();
    let _ = writeln!(out, "# Routing benchmark\n\nmachine: {machine}; load before: {load}\n");

    // 1. Table load.
    let t = Instant::now();
    let table = atalaya_services::routing::load_ip_country(&ip_dir)?;
    let load_s = t.elapsed().as_secs_f64();
    let (v4, v6) = table.ranges();
    let _ = writeln!(out, "IP-to-country: {} rows read → {v4} IPv4 + {v6} IPv6 flattened ranges in {load_s:.2} s (once per process)", table.rows);

    // 2. Constituencies.
    let addrs = sample_addresses(&ip_dir, 200_000, &mut rng)?;
    let mut idx = ConstituencyIndex::default();
    let orgs: Vec<(OrgRef, Constituency)> = (0..a.constituencies)
        .map(|i| (OrgRef { id: uuid::Uuid::new_v4(), name: format!("CSIRT {i}"), state: None }, constituency(i, &mut rng, &addrs)))
        .collect();
    for (o, c) in &orgs {
        idx.add(o.clone(), c);
    }
    let router = Router { orgs: &idx, ip: Some(&table) };

    // 3. Lookups: full route() (declared constituency first, reasoning text) vs the raw table.
    let probes: Vec<IpAddr> = (0..a.lookups).map(|i| IpAddr::V4(addrs[i % addrs.len()])).collect();
    let obs: Vec<Observable> = probes.iter().map(|ip| Observable::Ip(*ip)).collect();
    let t = Instant::now();
    let mut declared = 0usize;
    for o in &obs {
        let r = router.route(o);
        declared += usize::from(!r.organisations.is_empty());
    }
    let route_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut hits = 0usize;
    for ip in &probes {
        hits += usize::from(table.country_of(*ip).is_some());
    }
    let raw_s = t.elapsed().as_secs_f64();
    let route_rate = a.lookups as f64 / route_s;
    let raw_rate = a.lookups as f64 / raw_s;
    let _ = writeln!(
        out,
        "\n## Lookups ({} addresses, {} declared constituencies)\n\n| path | lookups/s |\n|---|---|\n| route(): constituency + country + reasoning | {:.0} |\n| raw table binary search (limit) | {:.0} |\n| ratio route/raw | {:.2} |\n\n{declared} routed to a declared constituency, {hits} with a country.",
        a.lookups, a.constituencies, route_rate, raw_rate, route_rate / raw_rate
    );

    // 4. A case with N observables routed through the services (store, directory, policy).
    let cfg = {
        let mut c = ServiceConfig { node_name: "Bench CSIRT".into(), node_country: Some("UY".into()), ..Default::default() };
        c.incidents.ip_country_dir = Some(ip_dir.clone());
        c.incidents.data_dir = Some(work.join("node"));
        c
    };
    let svc = Services::open(&work.join("node"), None, cfg).await.map_err(|e| e.to_string())?;
    let ctx = Ctx::operator();
    let t = Instant::now();
    for (i, (o, c)) in orgs.iter().enumerate() {
        let cc = ["AR", "BR", "CL", "CO", "MX", "PE", "PY", "UY", "US", "CA"][i % 10];
        let new: NewOrganisation = serde_json::from_value(serde_json::json!({"name": o.name, "kind": if i < 10 { "national-csirt" } else { "sector-csirt" }, "country": cc, "constituency": c}))
            .map_err(|e| e.to_string())?;
        svc.create_organisation(&ctx, new).await.map_err(|e| e.to_string())?;
    }
    let dir_s = t.elapsed().as_secs_f64();
    let _ = svc.ip_country();
    let case_obs: Vec<String> = (0..a.case_observables)
        .map(|i| match i % 5 {
            0 => format!("https://host{i}.org{}.example.net/p", i % a.constituencies.max(1)),
            1 => format!("AS{}", 64512 + i % a.constituencies.max(1)),
            _ => addrs[(i * 7919) % addrs.len()].to_string(),
        })
        .collect();
    let new: NewIncident = serde_json::from_value(serde_json::json!({"title": "Bench case", "rsit": "rsit:fraud=\"phishing\"", "severity": 3, "observables": case_obs}))
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    let inc = svc.create_incident(&ctx, new).await.map_err(|e| e.to_string())?;
    let create_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let proposal = svc.route_incident(&ctx, inc.id).await.map_err(|e| e.to_string())?;
    let case_s = t.elapsed().as_secs_f64();
    let _ = writeln!(
        out,
        "\n## A case with {} observables\n\ndirectory of {} organisations created in {dir_s:.1} s.\n\n| step | seconds | goal |\n|---|---|---|\n| create the case with its observables (one transaction) | {create_s:.3} | |\n| route the case (read, route, group, reasoning) | {case_s:.3} | < 1 s |\n\n{} recipients proposed, {} observables unrouted.",
        a.case_observables,
        orgs.len(),
        proposal.proposed.len(),
        proposal.unrouted
    );

    // 5. The feed job.
    let mut csv = String::from("time,ip,url\n");
    let mut lines: Vec<String> = Vec::with_capacity(a.events);
    for i in 0..a.events {
        if i > 0 && rng.next() % 10 == 0 {
            let dup = lines[(rng.next() % lines.len() as u64) as usize].clone();
            lines.push(dup);
            continue;
        }
        let ts = 1_790_000_000 + (i as u64 / 3);
        let line = if i % 4 == 3 {
            format!("{ts},,http://bad{}.example{}.{}/x", rng.next() % 100_000, i % 50, ["br", "ar", "com", "mx", "cl"][i % 5])
        } else {
            format!("{ts},{},", addrs[(rng.next() % addrs.len() as u64) as usize])
        };
        lines.push(line);
    }
    for l in &lines {
        csv.push_str(l);
        csv.push('\n');
    }
    let feed_path = work.join("feed.csv");
    std::fs::write(&feed_path, &csv).map_err(|e| e.to_string())?;
    drop(csv);
    let t = Instant::now();
    let text = std::fs::read_to_string(&feed_path).map_err(|e| e.to_string())?;
    let report = svc.import_feed(&ctx, "feed.csv", &text, &|_| {}).await.map_err(|e| e.to_string())?;
    let feed_s = t.elapsed().as_secs_f64();
    let rate = report.rows as f64 / feed_s;
    let stored = svc.store.feed_event_count().await.map_err(|e| e.to_string())?;
    let _ = writeln!(
        out,
        "\n## Feed job: {} CSV events (~10 % duplicates), parsed, routed, de-duplicated, stored (SQLite)\n\n| | value |\n|---|---|\n| rows | {} |\n| stored | {} (table holds {stored}) |\n| duplicates | {} |\n| rejected | {} |\n| seconds | {feed_s:.3} |\n| events/s | {rate:.0} |\n| goal | 63,000 |\n| IntelMQ 3.5.0 on this machine (brief) | ~630 |\n| ratio to IntelMQ | {:.0}× |",
        a.events,
        report.rows,
        report.stored,
        report.duplicates,
        report.rejected,
        rate / 630.0
    );
    svc.store.close().await;
    match raw_feed_insert(&work.join("node/atalaya.db"), &work.join("raw.db")) {
        Ok((n, secs)) => {
            let _ = writeln!(
                out,
                "| raw limit: the same {n} rows inserted by plain SQLite (one prepared statement, one transaction, same table and indexes, WAL + synchronous=FULL) | {secs:.3} s = {:.0} rows/s |\n| Atalaya end to end / raw insert alone | {:.2} |",
                n as f64 / secs,
                (report.rows as f64 / feed_s) / (n as f64 / secs)
            );
        }
        Err(e) => {
            let _ = writeln!(out, "raw baseline failed: {e}");
        }
    }
    let _ = writeln!(out, "\npeak RSS: {} MiB", crate::sys::peak_rss() / (1024 * 1024));
    Ok(out)
}

/// The raw limit of the feed's storage: the rows Atalaya stored, inserted again by plain SQLite
/// into a fresh database with the same `feed_events` DDL (table and indexes copied).
fn raw_feed_insert(atalaya_db: &Path, raw_db: &Path) -> Result<(usize, f64), String> {
    use rusqlite::{Connection, OpenFlags};
    let e = |e: rusqlite::Error| e.to_string();
    let src = Connection::open_with_flags(atalaya_db, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(e)?;
    let mut ddl = vec![];
    let mut q = src.prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'feed_events' AND sql IS NOT NULL ORDER BY type = 'table' DESC, rowid").map_err(e)?;
    for s in q.query_map([], |r| r.get::<_, String>(0)).map_err(e)? {
        ddl.push(s.map_err(e)?);
    }
    type R = (String, i64, String, String, Option<String>, Option<String>, String, String, i64);
    let mut q = src.prepare("SELECT dedup_key, observed_at, kind, value, state, org_id, basis, source, imported_at FROM feed_events").map_err(e)?;
    let rows: Vec<R> = q
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)))
        .map_err(e)?
        .collect::<Result<_, _>>()
        .map_err(e)?;
    let _ = std::fs::remove_file(raw_db);
    let mut c = Connection::open(raw_db).map_err(e)?;
    c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").map_err(e)?;
    for d in &ddl {
        c.execute_batch(d).map_err(e)?;
    }
    let t = Instant::now();
    let tx = c.transaction().map_err(e)?;
    {
        let mut ins = tx
            .prepare("INSERT INTO feed_events (dedup_key, observed_at, kind, value, state, org_id, basis, source, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (dedup_key) DO NOTHING")
            .map_err(e)?;
        for r in &rows {
            ins.execute(rusqlite::params![r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8]).map_err(e)?;
        }
    }
    tx.commit().map_err(e)?;
    Ok((rows.len(), t.elapsed().as_secs_f64()))
}
