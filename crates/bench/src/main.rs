//! `atalaya-bench ingest`: generate STIX 2.1, ingest it through Atalaya, insert the same rows
//! raw, time correlation lookups on a big index, report peak RSS. See bench/README.md.

mod corr;
mod federation;
mod raw;
mod routing;
mod sys;
mod taxii;

use atalaya_services::intel::{ImportOptions, ImportReport};
use atalaya_services::{Ctx, ServiceConfig, Services};
use clap::{Args, Parser, Subcommand};
use std::fmt::Write as _;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "atalaya-bench", about = "Benchmarks of Atalaya (see bench/README.md)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest throughput vs a raw SQLite insert, correlation lookups, peak RSS.
    Ingest(IngestArgs),
    /// Federation: N nodes, propagation p50/p99, bytes on the wire per object.
    Federation(federation::FederationArgs),
    /// Routing lookups/s, a 10,000-observable case, the CSV feed job (bench/run-routing).
    Routing(routing::RoutingArgs),
    /// TAXII 2.1 load generator for Atalaya's high rates (bench/run-taxii).
    Taxii(taxii::TaxiiArgs),
}

#[derive(Args)]
struct IngestArgs {
    /// STIX objects to generate and ingest (1000000, 1M, 100k, 100_000).
    #[arg(long, default_value = "1M", value_parser = parse_count)]
    objects: u64,
    /// Values stored in the correlation index for the lookup benchmark.
    #[arg(long, default_value = "10M", value_parser = parse_count)]
    values: u64,
    /// Lookups timed (each on one thread, then split over two threads).
    #[arg(long, default_value = "2M", value_parser = parse_count)]
    lookups: u64,
    /// Objects per import transaction (the default of `atalaya import`).
    #[arg(long, default_value_t = 5000)]
    batch_size: usize,
    /// Ingest this file (bundle or JSON lines) instead of generated data.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Working directory: generated data is kept here (same N = same bytes, so it is reused);
    /// the databases are made anew on every run. Default: target/bench in the repository.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// The generator (default: shared/bench/make_stix.py beside the repository).
    #[arg(long, env = "ATALAYA_MAKE_STIX")]
    generator: Option<PathBuf>,
    /// Python interpreter for the generator.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Folder of MISP warninglists (one sub-folder with list.json per list) stored and enabled
    /// on the node before the ingest (default: shared/data/misp-warninglists beside the
    /// repository, when present).
    #[arg(long)]
    warninglists: Option<PathBuf>,
    /// Ingest with no warninglist stored.
    #[arg(long)]
    no_warninglists: bool,
    /// Page cache of the raw insert's connection in KiB: by default the 64 MiB Atalaya's writer
    /// connection uses (SQLite's own default is 2000).
    #[arg(long, default_value_t = 65536)]
    raw_cache_kib: i64,
    /// Parse between batches on the import's own task (parse a batch, import it, parse the
    /// next), instead of on a reader thread overlapped with the import as `atalaya import` does.
    #[arg(long)]
    inline_parse: bool,
    /// Skip the raw insert.
    #[arg(long)]
    skip_raw: bool,
    /// Skip the correlation lookups.
    #[arg(long)]
    skip_lookups: bool,
    /// Folder of the results file (default: bench/results in the repository).
    #[arg(long)]
    results_dir: Option<PathBuf>,
    /// Write no results file.
    #[arg(long)]
    no_results: bool,
    /// Development aid: only the raw insert, of the rows of the previous run's database.
    #[arg(long, hide = true)]
    raw_only: bool,
}

fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim().replace(['_', ','], "");
    let (num, mul) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1_000),
        Some('m' | 'M') => (&t[..t.len() - 1], 1_000_000),
        _ => (t.as_str(), 1),
    };
    num.parse::<u64>().map(|n| n * mul).map_err(|_| format!("not a count: {s}"))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

/// 1234567 → "1,234,567".
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn short(n: u64) -> String {
    if n >= 1_000_000 && n % 1_000_000 == 0 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 && n % 1000 == 0 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

fn mib(b: u64) -> f64 {
    b as f64 / 1024.0 / 1024.0
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

/// Generates (or reuses) `objects-N.jsonl` with make_stix.py.
fn generate(a: &IngestArgs, work: &Path, root: &Path) -> Result<PathBuf, String> {
    let file = work.join(format!("objects-{}.jsonl", a.objects));
    if file.is_file() {
        eprintln!("[1/4] reusing {} (make_stix.py output is a function of N and the seed)", file.display());
        return Ok(file);
    }
    let gen = a.generator.clone().unwrap_or_else(|| root.join("../shared/bench/make_stix.py"));
    if !gen.is_file() {
        return Err(format!("generator {} not found (pass --generator or --input)", gen.display()));
    }
    eprintln!("[1/4] generating {} objects with {} …", thousands(a.objects), gen.display());
    let tmp = work.join(format!("objects-{}.jsonl.part", a.objects));
    let t = Instant::now();
    let st = std::process::Command::new(&a.python)
        .arg(&gen)
        .args(["-n", &a.objects.to_string(), "--format", "jsonl", "-o"])
        .arg(&tmp)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("{}: {e}", a.python))?;
    if !st.success() {
        return Err(format!("{} failed ({st})", gen.display()));
    }
    std::fs::rename(&tmp, &file).map_err(|e| e.to_string())?;
    eprintln!("      generated in {:.1} s", t.elapsed().as_secs_f64());
    Ok(file)
}

struct IngestResult {
    objects: u64,
    bytes: u64,
    elapsed: Duration,
    parse: Duration,
    cpu: f64,
    peak_rss: u64,
    rss_before: u64,
    report: ImportReport,
    lists: usize,
    db_bytes: u64,
    /// CPU seconds per thread name during the ingest.
    threads: Vec<(String, f64)>,
}

/// The loop of `atalaya import` (crates/cli/src/intel.rs), in process: stream the file,
/// batches of `batch_size`, `Services::import_batch` per batch (one transaction each).
async fn ingest(a: &IngestArgs, input: &Path, work: &Path, root: &Path) -> Result<IngestResult, String> {
    let data_dir = work.join("atalaya-data");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    }
    let config = ServiceConfig { node_name: "Bench CSIRT".into(), node_country: Some("AR".into()), ..Default::default() };
    let svc = Services::open(&data_dir, None, config).await.map_err(|e| e.to_string())?;
    let ctx = Ctx::operator();
    let mut lists = 0;
    if !a.no_warninglists {
        let dir = a.warninglists.clone().unwrap_or_else(|| root.join("../shared/data/misp-warninglists"));
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path().join("list.json")).filter(|p| p.is_file()).collect();
            files.sort();
            for f in files {
                let bytes = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
                svc.put_warninglist(&ctx, &bytes).await.map_err(|e| format!("{}: {e}", f.display()))?;
                lists += 1;
            }
        } else if a.warninglists.is_some() {
            return Err(format!("{}: not a folder", dir.display()));
        }
    }
    let bytes = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let opts = ImportOptions::default();
    let f = std::fs::File::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let threads0 = sys::cpu_by_thread();
    let peak_reset = sys::reset_peak_rss();
    let rss_before = sys::status_bytes("VmRSS:");
    let cpu0 = sys::cpu_seconds();
    let t = Instant::now();
    let mut parse = Duration::ZERO;
    let mut report = ImportReport::default();
    let mut index = 0u64;
    if a.inline_parse {
        // Parse a batch, import it, parse the next.
        let mut stream = atalaya_stix::object::ObjectStream::new(BufReader::with_capacity(1 << 20, f));
        let mut batch = Vec::with_capacity(a.batch_size);
        loop {
            let tp = Instant::now();
            let item = stream.next();
            parse += tp.elapsed();
            let end = item.is_none();
            match item {
                Some(Ok(v)) => batch.push(v),
                Some(Err(e)) => return Err(format!("{}: {e}", input.display())),
                None => {}
            }
            if batch.len() >= a.batch_size || (end && !batch.is_empty()) {
                let n = batch.len() as u64;
                let r = svc.import_batch(&ctx, std::mem::take(&mut batch), index, &opts).await.map_err(|e| e.to_string())?;
                index += n;
                report.merge(r);
            }
            if end {
                break;
            }
        }
    } else {
        // As `atalaya import` (crates/cli/src/intel.rs): the file is parsed on a thread of its
        // own, the next batch while one is imported (two batches ahead at most).
        let (send, mut recv) = tokio::sync::mpsc::channel::<Result<Vec<serde_json::Value>, String>>(2);
        let batch_size = a.batch_size;
        let name = input.display().to_string();
        let reader = std::thread::Builder::new()
            .name("reader".into())
            .spawn(move || {
                let mut parse = Duration::ZERO;
                let mut stream = atalaya_stix::object::ObjectStream::new(BufReader::with_capacity(1 << 20, f));
                let mut batch = Vec::with_capacity(batch_size);
                loop {
                    let tp = Instant::now();
                    let item = stream.next();
                    parse += tp.elapsed();
                    let end = item.is_none();
                    match item {
                        Some(Ok(v)) => batch.push(v),
                        Some(Err(e)) => {
                            let _ = send.blocking_send(Err(format!("{name}: {e}")));
                            break;
                        }
                        None => {}
                    }
                    if (batch.len() >= batch_size || (end && !batch.is_empty()))
                        && send.blocking_send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)))).is_err()
                    {
                        break;
                    }
                    if end {
                        break;
                    }
                }
                parse
            })
            .map_err(|e| e.to_string())?;
        while let Some(batch) = recv.recv().await {
            let batch = batch?;
            let n = batch.len() as u64;
            let r = svc.import_batch(&ctx, batch, index, &opts).await.map_err(|e| e.to_string())?;
            index += n;
            report.merge(r);
        }
        parse = reader.join().map_err(|_| "reader thread panicked".to_string())?;
    }
    let elapsed = t.elapsed();
    let cpu = sys::cpu_seconds() - cpu0;
    let peak_rss = if peak_reset { sys::peak_rss() } else { 0 };
    let mut threads: Vec<(String, f64)> = sys::cpu_by_thread()
        .into_iter()
        .map(|(name, s)| {
            let before = threads0.get(&name).copied().unwrap_or(0.0);
            (name, s - before)
        })
        .filter(|(_, s)| *s >= 0.01)
        .collect();
    threads.sort_by(|a, b| b.1.total_cmp(&a.1));
    svc.store.close().await;
    let db_bytes = ["atalaya.db", "atalaya.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(data_dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    Ok(IngestResult { objects: index, bytes, elapsed, parse, cpu, peak_rss, rss_before, report, lists, db_bytes, threads })
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let a = match cli.command {
        Command::Ingest(a) => a,
        Command::Routing(r) => {
            let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return fail(e.to_string()),
            };
            return match rt.block_on(routing::run(r, &repo_root())) {
                Ok(report) => {
                    print!("{report}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            };
        }
        Command::Taxii(t) => {
            let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return fail(e.to_string()),
            };
            return match rt.block_on(taxii::run(t)) {
                Ok(v) => {
                    println!("{}", serde_json::to_string(&v).unwrap_or_default());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            };
        }
        Command::Federation(f) => {
            return match federation::run_bench(f, &repo_root()) {
                Ok(report) => {
                    print!("{report}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    };
    let root = repo_root();
    let work = a.work_dir.clone().unwrap_or_else(|| root.join("target/bench"));
    if let Err(e) = std::fs::create_dir_all(&work) {
        return fail(format!("{}: {e}", work.display()));
    }
    let (machine, load) = sys::machine();
    let started = time::OffsetDateTime::now_utc();

    // 1. Data.
    let input = match &a.input {
        Some(p) => p.clone(),
        None => match generate(&a, &work, &root) {
            Ok(p) => p,
            Err(e) => return fail(e),
        },
    };

    if a.raw_only {
        let db = work.join("atalaya-data/atalaya.db");
        let t = Instant::now();
        return match raw::load(&db).and_then(|(ddl, rows)| {
            eprintln!("loaded {} rows in {:.2} s", rows.len(), t.elapsed().as_secs_f64());
            raw::insert(&work.join("raw.db"), &ddl, &rows, a.batch_size, a.raw_cache_kib)
        }) {
            Ok(r) => {
                println!("raw: {} rows/s ({} in {:.2} s, {:.2} s CPU)", thousands(rate(r.rows as u64, r.elapsed) as u64), r.rows, r.elapsed.as_secs_f64(), r.cpu);
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }

    // 2. Atalaya.
    eprintln!("[2/4] ingesting {} through Atalaya (Services::import_batch, batches of {}) …", input.display(), a.batch_size);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    let ing = match rt.block_on(ingest(&a, &input, &work, &root)) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    drop(rt);
    let stored = ing.report.stored + ing.report.updated;
    eprintln!(
        "      {} objects: {} stored, {} skipped, {} rejected in {:.2} s",
        thousands(ing.objects),
        thousands(stored),
        thousands(ing.report.skipped),
        thousands(ing.report.rejected),
        ing.elapsed.as_secs_f64()
    );

    // 3. Raw.
    let raw = if a.skip_raw {
        None
    } else {
        eprintln!("[3/4] raw SQLite insert of the same {} rows …", thousands(stored));
        let db = work.join("atalaya-data/atalaya.db");
        let res = raw::load(&db).and_then(|(ddl, rows)| raw::insert(&work.join("raw.db"), &ddl, &rows, a.batch_size, a.raw_cache_kib));
        match res {
            Ok(r) => Some(r),
            Err(e) => return fail(format!("raw insert: {e}")),
        }
    };

    // 4. Correlation lookups.
    let corr = if a.skip_lookups {
        None
    } else {
        eprintln!("[4/4] correlation index of {} values, {} lookups …", thousands(a.values), thousands(a.lookups));
        Some(corr::bench(a.values, a.lookups))
    };

    // Report.
    let atalaya_rate = rate(stored, ing.elapsed);
    let mut t = String::new();
    let date = started.date();
    let _ = writeln!(t, "# Atalaya ingest benchmark, {date}\n");
    let _ = writeln!(
        t,
        "{} objects ({:.0} MB JSON lines{}), batches of {}, {} warninglists enabled. Machine: {machine}; load average at start {load}, at the end {}; CPU pressure (share of time something waited for a core, last 60 s) at the end {}.\n",
        thousands(ing.objects),
        ing.bytes as f64 / 1e6,
        if a.input.is_some() { format!(", {}", input.display()) } else { ", make_stix.py default seed".into() },
        thousands(a.batch_size as u64),
        ing.lists,
        sys::machine().1,
        sys::cpu_pressure()
    );
    let _ = writeln!(t, "| measure | result | target |");
    let _ = writeln!(t, "|---|---|---|");
    let _ = writeln!(
        t,
        "| Atalaya ingest{} (parse, validate, store, audit, correlation index, warninglists) | **{} objects/s** ({} in {:.2} s; {:.1} s CPU, stream parsing {:.2} s, on the reader thread unless --inline-parse) | ≥ 100,000 objects/s |",
        if a.inline_parse { ", parsing between batches (--inline-parse)" } else { "" },
        thousands(atalaya_rate as u64),
        thousands(stored),
        ing.elapsed.as_secs_f64(),
        ing.cpu,
        ing.parse.as_secs_f64()
    );
    if let Some(r) = &raw {
        let raw_rate = rate(r.rows as u64, r.elapsed);
        let _ = writeln!(
            t,
            "| raw SQLite insert of the same rows (rusqlite, one prepared statement, WAL, synchronous=FULL, cache {} KiB) | **{} rows/s** ({} in {:.2} s; {:.1} s CPU) | |",
            a.raw_cache_kib,
            thousands(raw_rate as u64),
            thousands(r.rows as u64),
            r.elapsed.as_secs_f64(),
            r.cpu
        );
        let _ = writeln!(
            t,
            "| Atalaya / raw | **{:.0} %** of the raw rate (per CPU-second: {} vs {}, {:.0} %) | ≥ 50 % |",
            100.0 * atalaya_rate / raw_rate,
            thousands((stored as f64 / ing.cpu.max(1e-9)) as u64),
            thousands((r.rows as f64 / r.cpu.max(1e-9)) as u64),
            100.0 * (stored as f64 / ing.cpu.max(1e-9)) / (r.rows as f64 / r.cpu.max(1e-9))
        );
    }
    if let Some(c) = &corr {
        let _ = writeln!(
            t,
            "| correlation lookups, {} values ({} distinct), 1 thread | **{} lookups/s** ({:.2} matches per lookup) | ≥ 1,000,000 lookups/s |",
            short(c.values),
            thousands(c.distinct as u64),
            thousands(rate(c.lookups, c.one_thread) as u64),
            c.matches_per_lookup
        );
        let _ = writeln!(t, "| correlation lookups, same index, 2 threads | **{} lookups/s** | |", thousands(rate(c.lookups, c.two_threads) as u64));
        let _ = writeln!(
            t,
            "| correlation lookups, 1 thread, index compacted (as after a restart's catch-up; compaction {:.2} s) | **{} lookups/s** | ≥ 1,000,000 lookups/s |",
            c.compact.as_secs_f64(),
            thousands(rate(c.lookups, c.compacted) as u64)
        );
        let _ = writeln!(
            t,
            "| correlation index build / size | {} values/s; {:.0} MiB (the index's own estimate) | |",
            thousands(rate(c.values, c.build) as u64),
            mib(c.index_bytes as u64)
        );
        let total: f64 = c.breakdown.iter().map(|b| b.2).sum();
        let _ = writeln!(
            t,
            "| lookup time by query class (separate pass, each lookup timed) | {} | |",
            c.breakdown
                .iter()
                .map(|(class, n, secs, m)| format!(
                    "{class}: {:.0} % of lookups, {:.0} % of time, {:.2} µs each, {:.1} matches",
                    100.0 * *n as f64 / c.breakdown.iter().map(|b| b.1).sum::<u64>().max(1) as f64,
                    100.0 * secs / total.max(1e-12),
                    1e6 * secs / (*n).max(1) as f64,
                    *m as f64 / (*n).max(1) as f64
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let _ = writeln!(
        t,
        "| peak RSS of the ingest (VmHWM, reset before it) | **{:.0} MiB** ({:.0} MiB before) | reported |",
        mib(ing.peak_rss),
        mib(ing.rss_before)
    );
    let _ = writeln!(t, "| database after the ingest (file + WAL) | {:.0} MiB | |", mib(ing.db_bytes));
    let _ = writeln!(
        t,
        "| CPU of the ingest per thread | {} | |",
        ing.threads.iter().map(|(n, s)| format!("{n} {s:.1} s")).collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(
        t,
        "| import report | {} stored, {} updated, {} skipped, {} rejected; {} warninglist hits, {} correlations listed | |",
        thousands(ing.report.stored),
        thousands(ing.report.updated),
        thousands(ing.report.skipped),
        thousands(ing.report.rejected),
        thousands(ing.report.warninglist_hit_count),
        ing.report.correlations.len()
    );
    let cmd: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<String> = cmd.iter().skip(1).cloned().collect();
    let _ = writeln!(t, "\nCommand: `{}`", ["bench/run-ingest".to_string()].into_iter().chain(args).collect::<Vec<_>>().join(" "));
    println!("{t}");
    if !a.no_results {
        let dir = a.results_dir.clone().unwrap_or_else(|| root.join("bench/results"));
        let mut name = format!("ingest-{date}");
        if a.objects != 1_000_000 || a.input.is_some() {
            name += &format!("-{}", short(ing.objects));
        }
        if a.inline_parse {
            name += "-inline-parse";
        }
        name += ".md";
        let path = dir.join(name);
        match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, &t)) {
            Ok(()) => eprintln!("results written to {}", path.display()),
            Err(e) => return fail(format!("{}: {e}", path.display())),
        }
    }
    if ing.report.rejected > 0 || stored + ing.report.skipped != ing.objects {
        return fail("not every object was stored (see the import report)");
    }
    ExitCode::SUCCESS
}
