//! `atalaya import` and `atalaya export`.
use crate::{init_logging, load, open, Failure, NodeArgs};
use atalaya_services::intel::{ExportFilter, ExportFormat, ImportOptions, ImportReport};
use atalaya_services::Ctx;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// A bundle (.json), JSON lines (.jsonl/.ndjson), or a directory of them.
    path: PathBuf,
    /// Import into a running node at this base URL (e.g. http://127.0.0.1:8080) instead of the data directory.
    #[arg(long)]
    url: Option<String>,
    /// Bearer token for --url.
    #[arg(long, env = "ATALAYA_TOKEN")]
    token: Option<String>,
    /// Objects per transaction (per request with --url).
    #[arg(long, default_value_t = 5000)]
    batch_size: usize,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// stix, csv or blocklist.
    #[arg(long)]
    format: String,
    /// Comma-separated STIX types (default: all).
    #[arg(long = "type")]
    types: Option<String>,
    /// Highest TLP to include (e.g. TLP:GREEN).
    #[arg(long)]
    tlp: Option<String>,
    /// Only objects added at or after this RFC 3339 time.
    #[arg(long)]
    since: Option<String>,
    /// Only objects concerning this critical-infrastructure sector (e.g. energy).
    #[arg(long)]
    sector: Option<String>,
    /// Output file (written to a temporary name, then renamed).
    #[arg(long)]
    out: PathBuf,
}

fn input_files(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = vec![];
    let rd = std::fs::read_dir(path).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    for e in rd.flatten() {
        let p = e.path();
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if p.is_file() && matches!(ext, "json" | "jsonl" | "ndjson") {
            files.push(p);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Failure(format!("{}: no .json, .jsonl or .ndjson files", path.display())));
    }
    Ok(files)
}

enum Sink {
    Local(atalaya_services::Services),
    Remote { client: reqwest::Client, url: String, token: String },
}

impl Sink {
    async fn send(&self, values: Vec<serde_json::Value>, first_index: u64) -> Result<ImportReport, Failure> {
        match self {
            Sink::Local(svc) => Ok(svc.import_batch(&Ctx::operator(), values, first_index, &ImportOptions::default()).await?),
            Sink::Remote { client, url, token } => {
                let bundle = serde_json::json!({"type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": values});
                let resp = client
                    .post(format!("{}/api/v1/stix/bundles", url.trim_end_matches('/')))
                    .bearer_auth(token)
                    .json(&bundle)
                    .send()
                    .await
                    .map_err(|e| Failure(format!("{url}: {e}")))?;
                let status = resp.status();
                let text = resp.text().await.map_err(|e| Failure(format!("{url}: {e}")))?;
                if !status.is_success() {
                    let detail = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_string))
                        .unwrap_or(text);
                    return Err(Failure(format!("{url} answered {status}: {detail}")));
                }
                let mut report: ImportReport = serde_json::from_str(&text).map_err(|e| Failure(format!("{url}: unexpected answer: {e}")))?;
                for r in &mut report.rejections {
                    r.index += first_index;
                }
                Ok(report)
            }
        }
    }
}

/// What the reader thread of `atalaya import` hands to the import loop, in file order.
enum Read {
    /// Objects, and the bytes read so far over all files (progress).
    Batch(Vec<serde_json::Value>, u64),
    /// A file is done: bytes read so far.
    Progress(u64),
    /// A parse error in a file (reported at the end; the rest of the file is still read).
    Error(String),
    /// A file could not be opened: the import stops.
    Fatal(String),
}

/// Streams every file in batches of `batch_size` (a multi-GB file is never held in memory).
/// Stops when the import loop hangs up.
fn read_files(files: &[PathBuf], batch_size: usize, tx: &tokio::sync::mpsc::Sender<Read>) {
    let mut done_bytes = 0u64;
    for file in files {
        let f = match std::fs::File::open(file) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.blocking_send(Read::Fatal(format!("{}: {e}", file.display())));
                return;
            }
        };
        let mut stream = atalaya_stix::object::ObjectStream::new(BufReader::with_capacity(1 << 20, f));
        let mut batch = Vec::with_capacity(batch_size);
        loop {
            let item = stream.next();
            let end = item.is_none();
            match item {
                Some(Ok(v)) => batch.push(v),
                Some(Err(e)) => {
                    if tx.blocking_send(Read::Error(format!("{}: {e}", file.display()))).is_err() {
                        return;
                    }
                }
                None => {}
            }
            if batch.len() >= batch_size || (end && !batch.is_empty()) {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                if tx.blocking_send(Read::Batch(full, done_bytes + stream.bytes_read())).is_err() {
                    return;
                }
            }
            if end {
                break;
            }
        }
        done_bytes += std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        if tx.blocking_send(Read::Progress(done_bytes)).is_err() {
            return;
        }
    }
}

pub async fn import(args: ImportArgs) -> Result<ExitCode, Failure> {
    if args.batch_size == 0 || args.batch_size > 100_000 {
        return Err(Failure("--batch-size: must be between 1 and 100000".into()));
    }
    let files = input_files(&args.path)?;
    let sink = match &args.url {
        Some(url) => {
            let token = args.token.clone().ok_or_else(|| Failure("--token (or ATALAYA_TOKEN) is required with --url".into()))?;
            init_logging(None, None, true);
            let client = reqwest::Client::builder().no_proxy().build().map_err(|e| Failure(e.to_string()))?;
            Sink::Remote { client, url: url.clone(), token }
        }
        None => {
            let l = load(&args.node)?;
            init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
            Sink::Local(open(&l).await?)
        }
    };
    let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = ProgressBar::with_draw_target(Some(total), if args.quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() });
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut report = ImportReport::default();
    let mut errors: Vec<String> = vec![];
    let mut index = 0u64;
    // The files are parsed on a thread of their own, overlapped with the import of the batch
    // before (two batches ahead at most: memory stays bounded).
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Read>(2);
    let batch_size = args.batch_size;
    let reader = std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || read_files(&files, batch_size, &tx))
        .map_err(|e| Failure(format!("starting the reader thread: {e}")))?;
    while let Some(msg) = rx.recv().await {
        match msg {
            Read::Batch(batch, pos) => {
                let n = batch.len() as u64;
                let r = sink.send(batch, index).await?;
                index += n;
                report.merge(r);
                bar.set_position(pos);
                bar.set_message(format!("{} stored, {} rejected", report.stored + report.updated, report.rejected));
            }
            Read::Progress(pos) => bar.set_position(pos),
            Read::Error(e) => errors.push(e),
            Read::Fatal(e) => return Err(Failure(e)),
        }
    }
    if reader.join().is_err() {
        return Err(Failure("the reader thread failed".into()));
    }
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        println!(
            "{} objects read: {} stored, {} updated, {} skipped (already stored), {} rejected",
            index, report.stored, report.updated, report.skipped, report.rejected
        );
        for r in report.rejections.iter().take(50) {
            println!("rejected #{} {}: {}: {}", r.index, r.id.as_deref().unwrap_or("(no id)"), r.field, r.reason);
        }
        if report.rejected > 50 {
            println!("… and {} more rejections (use --json for the first 1000)", report.rejected - 50);
        }
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    if let Sink::Local(svc) = &sink {
        svc.store.close().await;
    }
    Ok(if !errors.is_empty() { ExitCode::from(1) } else if report.rejected > 0 { ExitCode::from(4) } else { ExitCode::SUCCESS })
}

pub async fn export(args: ExportArgs) -> Result<ExitCode, Failure> {
    let format: ExportFormat = args.format.parse().map_err(|e| Failure(format!("--format: {e}")))?;
    let max_tlp = match &args.tlp {
        Some(t) => Some(t.parse().map_err(|e| Failure(format!("--tlp: {e}")))?),
        None => None,
    };
    let since_us = match &args.since {
        Some(s) => Some(
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map(atalaya_model::time_util::to_micros)
                .map_err(|_| Failure(format!("--since: '{s}' is not an RFC 3339 time")))?,
        ),
        None => None,
    };
    let types = args.types.as_deref().map(|t| t.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()).unwrap_or_default();
    let l = load(&args.node)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    let svc = open(&l).await?;
    let dir = args.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.partial", args.out.file_name().and_then(|n| n.to_str()).unwrap_or("export")));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(|e| Failure(format!("--out: {}: {e}", tmp.display())))?);
    let sector = match &args.sector {
        Some(s) => Some(s.parse::<atalaya_model::directory::Sector>().map_err(|e| Failure(format!("--sector: {e}")))?.to_string()),
        None => None,
    };
    let filter = ExportFilter { types, max_tlp, since_us, include_revoked: false, sector };
    let n = svc.export(&Ctx::operator(), &filter, format, &mut f).await;
    let n = match n {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
    };
    use std::io::Write;
    f.flush().map_err(|e| Failure(format!("--out: {e}")))?;
    drop(f);
    std::fs::rename(&tmp, &args.out).map_err(|e| Failure(format!("--out: {}: {e}", args.out.display())))?;
    eprintln!("exported {n} objects to {}", args.out.display());
    svc.store.close().await;
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Subcommand)]
pub enum WarninglistCommand {
    /// Load MISP warninglists: a list.json, or a directory of NAME/list.json (e.g. a misp-warninglists checkout's lists/).
    Import {
        #[command(flatten)]
        node: NodeArgs,
        path: PathBuf,
    },
    /// Show the node's warninglists.
    List {
        #[command(flatten)]
        node: NodeArgs,
    },
}

pub async fn warninglists(cmd: WarninglistCommand) -> Result<ExitCode, Failure> {
    match cmd {
        WarninglistCommand::Import { node, path } => {
            let l = load(&node)?;
            init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
            let mut files = vec![];
            if path.is_file() {
                files.push(path.clone());
            } else {
                let base = if path.join("lists").is_dir() { path.join("lists") } else { path.clone() };
                let rd = std::fs::read_dir(&base).map_err(|e| Failure(format!("{}: {e}", base.display())))?;
                for e in rd.flatten() {
                    let f = e.path().join("list.json");
                    if f.is_file() {
                        files.push(f);
                    }
                }
                files.sort();
            }
            if files.is_empty() {
                return Err(Failure(format!("{}: no list.json found", path.display())));
            }
            let svc = open(&l).await?;
            for f in &files {
                let bytes = std::fs::read(f).map_err(|e| Failure(format!("{}: {e}", f.display())))?;
                let info = svc.put_warninglist(&Ctx::operator(), &bytes).await.map_err(|e| Failure(format!("{}: {}", f.display(), Failure::from(e).0)))?;
                println!("{}: {} entries ({}, version {}){}", info.name, info.entries, info.kind, info.version,
                    if info.warnings.is_empty() { String::new() } else { format!(", {} skipped", info.warnings.len()) });
            }
            svc.store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        WarninglistCommand::List { node } => {
            let l = load(&node)?;
            init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
            let svc = open(&l).await?;
            for w in svc.list_warninglists(&Ctx::operator()).await? {
                println!("{}\t{}\t{} entries\t{}", if w.enabled { "on " } else { "off" }, w.name, w.entries, w.kind);
            }
            svc.store.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}
