//! Micro-benchmark: load every list, check 1,000,000 values of mixed kinds, print checks/s.
//!
//!     cargo run --release -p atalaya-warninglists --example bench [-- DIR [COUNT]]
//!
//! DIR defaults to shared/data/misp-warninglists beside the project.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use atalaya_warninglists::{Kind, ListKind, Warninglists};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| b"0123456789abcdef"[self.below(16)] as char)
            .collect()
    }
    fn label(&mut self) -> String {
        let len = 3 + self.below(10);
        (0..len)
            .map(|_| (b'a' + self.below(26) as u8) as char)
            .collect()
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/misp-warninglists")
    });
    let count: usize = args
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000_000);

    let t = Instant::now();
    let (set, warnings) = Warninglists::load_dir(&dir).expect("load warninglists");
    let load = t.elapsed();
    let entries: usize = set.lists().map(|(l, _)| l.entries).sum();
    println!(
        "loaded {} lists ({} entries, {} warnings) from {} in {:.1} ms",
        set.len(),
        entries,
        warnings.len(),
        dir.display(),
        load.as_secs_f64() * 1e3
    );

    // Real entries to produce hits.
    let values_of = |kind: ListKind| -> Vec<String> {
        set.lists()
            .filter(|(l, _)| l.kind == kind)
            .flat_map(|(l, _)| l.values().map(str::to_string))
            .collect()
    };
    let ips: Vec<String> = values_of(ListKind::Cidr)
        .into_iter()
        .filter(|v| !v.contains('/') && !v.contains(':'))
        .collect();
    let hosts: Vec<String> = values_of(ListKind::Hostname)
        .into_iter()
        .filter(|v| !v.contains('/'))
        .collect();
    let strings = values_of(ListKind::String);

    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut values: Vec<(Kind, String)> = Vec::with_capacity(count);
    for _ in 0..count {
        let r = rng.below(100);
        let v = match r {
            0..=19 => (
                Kind::Ipv4,
                std::net::Ipv4Addr::from(rng.next() as u32).to_string(),
            ),
            20..=29 => (Kind::Ipv4, ips[rng.below(ips.len())].clone()),
            30..=34 => (
                Kind::Ipv6,
                std::net::Ipv6Addr::from((rng.next() as u128) << 64 | rng.next() as u128)
                    .to_string(),
            ),
            35..=44 => (Kind::Domain, format!("{}.{}.com", rng.label(), rng.label())),
            45..=49 => (
                Kind::Domain,
                format!("www.{}", hosts[rng.below(hosts.len())]),
            ),
            50..=54 => (
                Kind::Domain,
                strings[rng.below(strings.len())].to_lowercase(),
            ),
            55..=64 => (
                Kind::Url,
                format!(
                    "https://{}.{}.net/{}/index.php?id={}",
                    rng.label(),
                    rng.label(),
                    rng.label(),
                    rng.below(9999)
                ),
            ),
            65..=67 => (
                Kind::Url,
                format!("http://{}/dns-query", hosts[rng.below(hosts.len())]),
            ),
            68..=72 => (Kind::Email, format!("{}@{}.org", rng.label(), rng.label())),
            73..=80 => (Kind::Md5, rng.hex(32)),
            81..=85 => (Kind::Sha1, rng.hex(40)),
            86..=93 => (Kind::Sha256, rng.hex(64)),
            94..=97 => (Kind::Sha512, rng.hex(128)),
            _ => (Kind::Md5, "d41d8cd98f00b204e9800998ecf8427e".to_string()),
        };
        values.push(v);
    }

    // Warm up, then measure.
    for (k, v) in values.iter().take(10_000) {
        black_box(set.check_kind(*k, v));
    }
    let t = Instant::now();
    let mut hits = 0usize;
    let mut listed = 0usize;
    for (k, v) in &values {
        let h = set.check_kind(*k, black_box(v));
        listed += !h.is_empty() as usize;
        hits += h.len();
    }
    let el = t.elapsed().as_secs_f64();
    println!(
        "check_kind: {count} values in {:.3} s = {:.0} checks/s ({:.0} ns/check); {listed} values listed, {hits} hits",
        el,
        count as f64 / el,
        el * 1e9 / count as f64
    );

    let t = Instant::now();
    let mut n = 0usize;
    for (k, v) in &values {
        n += set.check(k.as_str(), black_box(v)).len();
    }
    let el = t.elapsed().as_secs_f64();
    assert_eq!(n, hits);
    println!("check (kind by name): {:.0} checks/s", count as f64 / el);

    // The largest cidr list alone, on random IPv4 addresses.
    if let Some((big, _)) = set
        .lists()
        .filter(|(l, _)| l.kind == ListKind::Cidr)
        .max_by_key(|(l, _)| l.entries)
    {
        let probes: Vec<String> = (0..200_000)
            .map(|_| std::net::Ipv4Addr::from(rng.next() as u32).to_string())
            .collect();
        let t = Instant::now();
        let mut n = 0usize;
        for p in &probes {
            n += big.check(Kind::Ipv4, black_box(p)).is_some() as usize;
        }
        let el = t.elapsed().as_secs_f64();
        println!(
            "single cidr list '{}' ({} entries): {:.0} ns/check ({n} hits of {})",
            big.name,
            big.entries,
            el * 1e9 / probes.len() as f64,
            probes.len()
        );
    }
}
