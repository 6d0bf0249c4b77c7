//! Correlation index benchmark.
//!
//! ```text
//! cargo run --release -p atalaya-correlation --example bench -- [N] [mix|ipv4|sha256] [LOOKUPS]
//! ```
//!
//! Inserts N values (default 1 000 000) over N/3 objects, then times LOOKUPS
//! (default 2 000 000) lookups with limit 100, single-threaded and on two
//! threads. The `mix` workload is 50 % IPv4 addresses, 10 % IPv4 CIDRs
//! (/16–/30), 15 % domains, 15 % SHA-256, 5 % URLs, 5 % e-mails, with shared
//! values (pools, a few hot addresses) so that correlations exist. `ipv4` and
//! `sha256` store only that kind, to measure bytes per posting. Deterministic
//! (splitmix64); no dependencies.
//!
//! Lookup rates are printed both as wall-clock and as on-CPU rates (thread
//! CPU time from /proc/thread-self/schedstat), which stay meaningful when
//! other processes share the cores. Lookups are dominated by cache and TLB
//! misses; where transparent huge pages are `madvise`-only, running with
//! `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` lets glibc back the large tables
//! with huge pages. `BENCH_ONLY=<class>` loops over one query class (for
//! profiling).

use std::hint::black_box;
use std::time::{Duration, Instant};

use atalaya_correlation::{Config, CorrelationIndex, HashAlgo, Value};

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
const SUBS: [&str; 8] = [
    "www", "mail", "cdn", "api", "login", "secure", "update", "portal",
];

#[derive(Clone, Copy, PartialEq)]
enum Workload {
    Mix,
    Ipv4,
    Sha256,
}

struct Gen {
    n: u64,
    workload: Workload,
}

impl Gen {
    fn sld(&self, k: u64) -> String {
        let pool = (self.n / 30).max(100);
        let k = k % pool;
        format!(
            "w{:x}{}.{}",
            mix64(k ^ 0x51d) & 0x00ff_ffff,
            k % 97,
            TLDS[(k % 8) as usize]
        )
    }

    fn ipv4_addr(&self, r: &mut Rng) -> Value {
        let p = r.below(100);
        let a = if p < 1 {
            // 4 hot addresses (1 %): frequent at N ≥ ~4M.
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
        let x = if r.below(100) < 15 {
            mix64(r.below((self.n / 200).max(100)) ^ 0x5a)
        } else {
            r.next()
        };
        let mut b = [0u8; 32];
        for (i, c) in b.chunks_mut(8).enumerate() {
            c.copy_from_slice(&mix64(x ^ i as u64).to_le_bytes());
        }
        Value::Hash(HashAlgo::Sha256, Box::new(b))
    }

    /// The i-th inserted value (a pure function of i).
    fn value(&self, i: u64) -> Value {
        let mut r = Rng(mix64(i ^ 0x1234_5678));
        match self.workload {
            Workload::Ipv4 => return self.ipv4_addr(&mut r),
            Workload::Sha256 => return self.sha256(&mut r),
            Workload::Mix => {}
        }
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

    /// A lookup: ~40 % stored values (hits), IPv4 addresses and networks
    /// exercising containment, and misses of every kind.
    fn query(&self, r: &mut Rng) -> (usize, Value) {
        let k = r.below(100);
        if k < 40 {
            let v = self.value(r.below(self.n));
            let c = match &v {
                Value::Ipv4Net(_, 32) => 0,
                Value::Ipv4Net(..) => 6,
                Value::Domain(_) => 7,
                Value::Hash(..) => 8,
                _ => 9,
            };
            (c, v)
        } else if self.workload == Workload::Sha256 {
            (4, self.sha256(r))
        } else if k < 65 || self.workload == Workload::Ipv4 {
            (1, Value::Ipv4Net(r.next() as u32, 32))
        } else if k < 72 {
            let len = 16 + r.below(13) as u8;
            (
                2,
                Value::Ipv4Net(r.next() as u32 & (u32::MAX << (32 - len)), len),
            )
        } else if k < 82 {
            if r.below(2) == 0 {
                (
                    3,
                    Value::Domain(format!("x{:x}.{}", r.next() & 0xffff, self.sld(r.next()))),
                )
            } else {
                (
                    3,
                    Value::Domain(format!(
                        "miss{:x}.example.{}",
                        r.next() & 0xffff_ffff,
                        TLDS[r.below(8) as usize]
                    )),
                )
            }
        } else if k < 92 {
            let mut b = [0u8; 32];
            for c in b.chunks_mut(8) {
                c.copy_from_slice(&r.next().to_le_bytes());
            }
            (4, Value::Hash(HashAlgo::Sha256, Box::new(b)))
        } else if k < 96 {
            (
                5,
                Value::Url(format!(
                    "https://{}/{:08x}/index.php",
                    self.sld(r.next()),
                    r.next() & 0xffff_ffff
                )),
            )
        } else {
            (
                5,
                Value::Email(format!(
                    "nobody{:x}@{}",
                    r.next() & 0xffff,
                    self.sld(r.next())
                )),
            )
        }
    }
}

fn proc_status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|x| x.parse::<u64>().ok())
            })
        })
        .unwrap_or(0)
        * 1024
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// On-CPU time of the calling thread (ns), from /proc/thread-self/schedstat:
/// unlike wall time it is not inflated when other processes share the cores.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

struct Run {
    wall: Duration,
    cpu: Duration,
    matches: u64,
    frequent: u64,
}

fn run_lookups(index: &CorrelationIndex, qs: &[Value]) -> Run {
    let mut matches = 0u64;
    let mut frequent = 0u64;
    let c = cpu_ns();
    let t = Instant::now();
    for q in qs {
        let l = index.lookup(black_box(q), 100);
        matches += l.matches.len() as u64;
        frequent += l.frequent.len() as u64;
        black_box(&l);
    }
    let wall = t.elapsed();
    Run {
        wall,
        cpu: Duration::from_nanos(cpu_ns().saturating_sub(c)),
        matches,
        frequent,
    }
}

const CLASSES: [&str; 10] = [
    "stored IPv4 addresses (hits)",
    "random IPv4 addresses",
    "IPv4 networks /16-/28",
    "domains (sub of stored / miss)",
    "random SHA-256 (miss)",
    "URL / e-mail (miss)",
    "stored IPv4 networks (hits)",
    "stored domains (hits)",
    "stored SHA-256 (hits)",
    "stored URL / e-mail (hits)",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let workload = match args.next().as_deref() {
        None | Some("mix") => Workload::Mix,
        Some("ipv4") => Workload::Ipv4,
        Some("sha256") => Workload::Sha256,
        Some(other) => {
            eprintln!("unknown workload {other:?} (mix|ipv4|sha256)");
            std::process::exit(2);
        }
    };
    let n_lookups: usize = args
        .next()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(2_000_000);
    let gen = Gen { n, workload };
    let rss0 = proc_status("VmRSS:");

    // Build: values are generated per chunk outside the timed region.
    let mut index = CorrelationIndex::new(Config::default());
    let objects = (n / 3).max(1);
    let mut build = Duration::ZERO;
    let mut build_cpu = 0u64;
    let chunk = 30_000u64;
    let mut obj = 0u64;
    let mut next_value = 0u64;
    while obj < objects {
        let end = (obj + chunk).min(objects);
        let mut batch: Vec<(u64, Vec<Value>)> = Vec::with_capacity((end - obj) as usize);
        for o in obj..end {
            // Values 3o, 3o+1, 3o+2; the last object takes the remainder.
            let stop = if o + 1 == objects {
                n
            } else {
                (3 * (o + 1)).min(n)
            };
            let vals: Vec<Value> = (next_value..stop).map(|i| gen.value(i)).collect();
            next_value = stop;
            batch.push((o + 1, vals));
        }
        let c = cpu_ns();
        let t = Instant::now();
        for (seq, vals) in &batch {
            index.insert(*seq, vals);
        }
        build += t.elapsed();
        build_cpu += cpu_ns().saturating_sub(c);
        obj = end;
    }
    let rss_built = proc_status("VmRSS:");
    let hwm_built = proc_status("VmHWM:");
    let mem = index.memory_bytes() as u64;

    println!(
        "workload            {}",
        match workload {
            Workload::Mix => "mix",
            Workload::Ipv4 => "ipv4",
            Workload::Sha256 => "sha256",
        }
    );
    println!("values inserted     {n} over {objects} objects");
    println!("distinct values     {}", index.len_values());
    println!("postings            {}", index.len_postings());
    println!(
        "build               {:.2} s wall ({:.2} M values/s), {:.2} s on CPU ({:.2} M values/s)",
        build.as_secs_f64(),
        n as f64 / build.as_secs_f64() / 1e6,
        build_cpu as f64 / 1e9,
        n as f64 / (build_cpu as f64 / 1e9) / 1e6
    );
    println!(
        "memory estimate     {:.1} MiB  ({:.1} B/posting, {:.1} B/value)",
        mib(mem),
        mem as f64 / index.len_postings().max(1) as f64,
        mem as f64 / index.len_values().max(1) as f64
    );
    println!(
        "RSS after build     {:.1} MiB  ({:.1} B/posting over start), peak {:.1} MiB",
        mib(rss_built),
        (rss_built.saturating_sub(rss0)) as f64 / index.len_postings().max(1) as f64,
        mib(hwm_built)
    );

    let mut r = Rng(0xBEEF);
    let mut qs: Vec<Value> = Vec::with_capacity(n_lookups);
    let mut by_class: Vec<Vec<Value>> = vec![Vec::new(); CLASSES.len()];
    for _ in 0..n_lookups {
        let (c, q) = gen.query(&mut r);
        if by_class[c].len() < 100_000 {
            by_class[c].push(q.clone());
        }
        qs.push(q);
    }
    // Profiling aid: BENCH_ONLY=<class index> loops over one query class.
    if let Some(c) = std::env::var("BENCH_ONLY")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    {
        if let Some(qs) = by_class.get(c) {
            for _ in 0..20 {
                let run = run_lookups(&index, qs);
                println!(
                    "{}: {:.0} ns/lookup on CPU",
                    CLASSES[c],
                    run.cpu.as_nanos() as f64 / qs.len().max(1) as f64
                );
            }
        }
        return;
    }
    // Warm-up pass over a slice, then the timed run.
    run_lookups(&index, &qs[..qs.len().min(50_000)]);
    let run = run_lookups(&index, &qs);
    println!(
        "lookups, 1 thread   {n_lookups}: {:.2} M lookups/s wall ({:.3} s), {:.2} M lookups/s on CPU ({:.0} ns each); {:.2} matches + {:.3} frequent per lookup",
        n_lookups as f64 / run.wall.as_secs_f64() / 1e6,
        run.wall.as_secs_f64(),
        n_lookups as f64 / run.cpu.as_secs_f64() / 1e6,
        run.cpu.as_nanos() as f64 / n_lookups as f64,
        run.matches as f64 / n_lookups as f64,
        run.frequent as f64 / n_lookups as f64
    );
    for (name, qs) in CLASSES.iter().zip(&by_class) {
        if qs.is_empty() {
            continue;
        }
        let run = run_lookups(&index, qs);
        println!(
            "  {name:<31} {:>6.0} ns/lookup on CPU, {:.2} matches",
            run.cpu.as_nanos() as f64 / qs.len() as f64,
            run.matches as f64 / qs.len() as f64
        );
    }
    let t = Instant::now();
    index.compact();
    println!("compact             {:.2} s", t.elapsed().as_secs_f64());
    let run = run_lookups(&index, &qs);
    println!(
        "lookups, compacted  {:.2} M lookups/s wall, {:.2} M lookups/s on CPU ({:.0} ns each)",
        n_lookups as f64 / run.wall.as_secs_f64() / 1e6,
        n_lookups as f64 / run.cpu.as_secs_f64() / 1e6,
        run.cpu.as_nanos() as f64 / n_lookups as f64,
    );
    let threads = 2;
    let t = Instant::now();
    std::thread::scope(|s| {
        for part in qs.chunks(qs.len().div_ceil(threads).max(1)) {
            let index = &index;
            s.spawn(move || run_lookups(index, part));
        }
    });
    let t2 = t.elapsed();
    println!(
        "lookups, {threads} threads  {n_lookups} in {:.3} s = {:.2} M lookups/s",
        t2.as_secs_f64(),
        n_lookups as f64 / t2.as_secs_f64() / 1e6
    );
    println!(
        "peak RSS (VmHWM)    {:.1} MiB (includes the query set)",
        mib(proc_status("VmHWM:"))
    );
}
