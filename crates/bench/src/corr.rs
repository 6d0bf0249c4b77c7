//! Correlation lookups against a big index: the workload of
//! `crates/correlation/examples/bench.rs` (`mix`), on `atalaya_correlation::CorrelationIndex`
//! directly (the index `Services` keeps in memory).
//!
//! N values over N/3 objects: 50 % IPv4 addresses (a quarter from a shared pool, 1 % four hot
//! addresses), 10 % IPv4 networks /16–/30, 15 % domains, 15 % SHA-256, 5 % URLs, 5 % e-mails.
//! Lookups: ~40 % stored values (hits), the rest random addresses, networks (containment),
//! sub-domains of stored domains, and misses of every kind. Deterministic (splitmix64).

use atalaya_correlation::{Config, CorrelationIndex, HashAlgo, Value};
use std::hint::black_box;
use std::time::{Duration, Instant};

const SEED: u64 = 0x00A7_A1A7_A5EE_D000;

fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        mix64(self.0 ^ SEED)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const TLDS: [&str; 8] = ["com", "net", "org", "ru", "cn", "io", "info", "xyz"];
const SUBS: [&str; 8] = ["www", "mail", "cdn", "api", "login", "secure", "update", "portal"];

struct Gen {
    n: u64,
}

impl Gen {
    fn sld(&self, k: u64) -> String {
        let pool = (self.n / 30).max(100);
        let k = k % pool;
        format!("w{:x}{}.{}", mix64(k ^ 0x51d) & 0x00ff_ffff, k % 97, TLDS[(k % 8) as usize])
    }

    fn ipv4_addr(&self, r: &mut Rng) -> Value {
        let p = r.below(100);
        let a = if p < 1 {
            0x0808_0800 | r.below(4) as u32
        } else if p < 25 {
            let pool = (self.n / 40).max(1000);
            mix64(r.below(pool) ^ 0xadd4) as u32
        } else {
            r.next() as u32
        };
        Value::Ipv4Net(a, 32)
    }

    fn sha256(&self, r: &mut Rng) -> Value {
        let x = if r.below(100) < 15 { mix64(r.below((self.n / 200).max(100)) ^ 0x5a) } else { r.next() };
        let mut b = [0u8; 32];
        for (i, c) in b.chunks_mut(8).enumerate() {
            c.copy_from_slice(&mix64(x ^ i as u64).to_le_bytes());
        }
        Value::Hash(HashAlgo::Sha256, Box::new(b))
    }

    /// The i-th inserted value (a pure function of i).
    fn value(&self, i: u64) -> Value {
        let mut r = Rng(mix64(i ^ 0x1234_5678));
        let k = r.below(100);
        if k < 50 {
            self.ipv4_addr(&mut r)
        } else if k < 60 {
            let len = 16 + r.below(15) as u8;
            let a = r.next() as u32 & (u32::MAX << (32 - len));
            Value::Ipv4Net(a, len)
        } else if k < 75 {
            let sld = self.sld(r.next());
            match r.below(10) {
                0..=3 => Value::Domain(sld),
                4..=6 => Value::Domain(format!("{}.{sld}", SUBS[r.below(8) as usize])),
                _ => Value::Domain(format!("h{:x}.{sld}", r.next() & 0xff_ffff)),
            }
        } else if k < 90 {
            self.sha256(&mut r)
        } else if k < 95 {
            let (host, path) = if r.below(100) < 30 {
                let p = r.below((self.n / 100).max(100));
                (self.sld(mix64(p)), mix64(p ^ 0x77) & 0xffff_ffff)
            } else {
                (self.sld(r.next()), r.next() & 0xffff_ffff)
            };
            Value::Url(format!("https://{host}/{path:08x}/index.php"))
        } else {
            Value::Email(format!("u{:x}@{}", r.next() & 0xf_ffff, self.sld(r.next())))
        }
    }

    fn query(&self, r: &mut Rng) -> Value {
        let k = r.below(100);
        if k < 40 {
            self.value(r.below(self.n))
        } else if k < 65 {
            Value::Ipv4Net(r.next() as u32, 32)
        } else if k < 72 {
            let len = 16 + r.below(13) as u8;
            Value::Ipv4Net(r.next() as u32 & (u32::MAX << (32 - len)), len)
        } else if k < 82 {
            if r.below(2) == 0 {
                Value::Domain(format!("x{:x}.{}", r.next() & 0xffff, self.sld(r.next())))
            } else {
                Value::Domain(format!("miss{:x}.example.{}", r.next() & 0xffff_ffff, TLDS[r.below(8) as usize]))
            }
        } else if k < 92 {
            let mut b = [0u8; 32];
            for c in b.chunks_mut(8) {
                c.copy_from_slice(&r.next().to_le_bytes());
            }
            Value::Hash(HashAlgo::Sha256, Box::new(b))
        } else if k < 96 {
            Value::Url(format!("https://{}/{:08x}/index.php", self.sld(r.next()), r.next() & 0xffff_ffff))
        } else {
            Value::Email(format!("nobody{:x}@{}", r.next() & 0xffff, self.sld(r.next())))
        }
    }
}

/// Query class of a lookup, for the time breakdown.
fn class(v: &Value) -> &'static str {
    match v {
        Value::Ipv4Net(_, 32) => "IPv4 address",
        Value::Ipv4Net(..) => "IPv4 network",
        Value::Ipv6Net(..) => "IPv6",
        Value::Domain(_) => "domain",
        Value::Url(_) => "URL",
        Value::Email(_) => "e-mail",
        Value::Hash(..) => "hash",
        _ => "other",
    }
}

/// Where one-thread lookup time goes, per query class: (class, lookups, seconds, matches).
fn breakdown(index: &CorrelationIndex, qs: &[Value]) -> Vec<(&'static str, u64, f64, u64)> {
    let mut by: std::collections::BTreeMap<&'static str, (u64, Duration, u64)> = Default::default();
    for q in qs {
        let t = Instant::now();
        let l = index.lookup(black_box(q), 100);
        let d = t.elapsed();
        let e = by.entry(class(q)).or_default();
        e.0 += 1;
        e.1 += d;
        e.2 += l.matches.len() as u64;
        black_box(&l);
    }
    let mut v: Vec<_> = by.into_iter().map(|(c, (n, d, m))| (c, n, d.as_secs_f64(), m)).collect();
    v.sort_by(|a, b| b.2.total_cmp(&a.2));
    v
}

pub struct CorrResult {
    pub values: u64,
    pub distinct: usize,
    pub build: Duration,
    pub lookups: u64,
    pub one_thread: Duration,
    pub two_threads: Duration,
    pub matches_per_lookup: f64,
    pub index_bytes: usize,
    /// Lookup time per query class (a separate, individually timed pass).
    pub breakdown: Vec<(&'static str, u64, f64, u64)>,
    /// Time of `compact()` after the lookups above.
    pub compact: Duration,
    /// The same lookups, 1 thread, on the compacted index.
    pub compacted: Duration,
}

fn run(index: &CorrelationIndex, qs: &[Value]) -> (Duration, u64) {
    let t = Instant::now();
    let mut m = 0u64;
    for q in qs {
        let l = index.lookup(black_box(q), 100);
        m += l.matches.len() as u64;
        black_box(&l);
    }
    (t.elapsed(), m)
}

/// Builds an index of `n` values, then times `lookups` lookups (limit 100) on one thread and
/// on two threads sharing the index.
pub fn bench(n: u64, lookups: u64) -> CorrResult {
    let gen = Gen { n };
    let mut index = CorrelationIndex::new(Config::default());
    let objects = (n / 3).max(1);
    let mut build = Duration::ZERO;
    let mut obj = 0u64;
    let mut next_value = 0u64;
    while obj < objects {
        let end = (obj + 30_000).min(objects);
        let mut batch: Vec<(u64, Vec<Value>)> = Vec::with_capacity((end - obj) as usize);
        for o in obj..end {
            let stop = if o + 1 == objects { n } else { (3 * (o + 1)).min(n) };
            batch.push((o + 1, (next_value..stop).map(|i| gen.value(i)).collect()));
            next_value = stop;
        }
        let t = Instant::now();
        for (seq, vals) in &batch {
            index.insert(*seq, vals);
        }
        build += t.elapsed();
        obj = end;
    }
    let mut r = Rng(0xBEEF);
    let qs: Vec<Value> = (0..lookups).map(|_| gen.query(&mut r)).collect();
    run(&index, &qs[..qs.len().min(50_000)]);
    let (one_thread, matches) = run(&index, &qs);
    let t = Instant::now();
    std::thread::scope(|s| {
        for part in qs.chunks(qs.len().div_ceil(2).max(1)) {
            let index = &index;
            s.spawn(move || run(index, part));
        }
    });
    let two_threads = t.elapsed();
    let breakdown = breakdown(&index, &qs[..qs.len().min(500_000)]);
    // As after a restart: the service's catch-up over a big store compacts the index.
    let t = Instant::now();
    index.compact();
    let compact = t.elapsed();
    let (compacted, _) = run(&index, &qs);
    CorrResult {
        values: n,
        distinct: index.len_values(),
        build,
        lookups,
        one_thread,
        two_threads,
        matches_per_lookup: matches as f64 / lookups.max(1) as f64,
        index_bytes: index.memory_bytes(),
        breakdown,
        compact,
        compacted,
    }
}
