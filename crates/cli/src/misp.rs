//! `atalaya misp import` and `atalaya misp export`.
use crate::{init_logging, load, open, Failure, NodeArgs};
use atalaya_misp::freetext::{parse_csv, parse_lines};
use atalaya_misp::{parse_document, ParseOptions, ParsedEvent};
use atalaya_services::misp::{feed_id, MispEventOutcome, MispImportReport};
use atalaya_services::{Ctx, Services};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand)]
pub enum MispCommand {
    /// Import MISP events as STIX 2.1: an event JSON, a directory of events, a MISP feed
    /// (directory or URL with manifest.json), or a CSV / free-text indicator list.
    Import(ImportArgs),
    /// Write the node's data as a MISP feed directory (manifest.json, hashes.csv, <uuid>.json).
    Export(ExportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// A MISP event file (.json), a directory of them, a feed directory (with manifest.json), a
    /// feed URL (its base or …/manifest.json), an event URL (…/UUID.json), or a list (.csv, .txt).
    source: String,
    /// What SOURCE is: auto (from its name and content), misp, feed, csv or freetext.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Refuse events, attributes and objects without a valid uuid (feeds are always strict).
    #[arg(long)]
    strict: bool,
    /// Import the valid events of a directory and report the others (default: one invalid file
    /// stops the import before anything is written).
    #[arg(long)]
    skip_invalid: bool,
    /// CSV lists: the column (1-based) holding the indicator (default: the first that holds one).
    #[arg(long)]
    column: Option<usize>,
    /// Lists: TLP of the created indicators (default: the node's default TLP).
    #[arg(long)]
    tlp: Option<String>,
    /// Lists: the name recorded on the indicators (default: SOURCE).
    #[arg(long)]
    list_name: Option<String>,
    /// Bearer token sent when SOURCE is a URL (e.g. another Atalaya node's feed).
    #[arg(long, env = "ATALAYA_FEED_TOKEN")]
    token: Option<String>,
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
    /// Output directory of the feed (created if needed).
    #[arg(long)]
    feed: PathBuf,
    /// Highest TLP to include (e.g. TLP:CLEAR for a public feed).
    #[arg(long)]
    tlp: Option<String>,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

pub async fn run(cmd: MispCommand) -> Result<ExitCode, Failure> {
    match cmd {
        MispCommand::Import(a) => import(a).await,
        MispCommand::Export(a) => export(a).await,
    }
}

fn bar(len: u64, quiet: bool, unit: &str) -> ProgressBar {
    let b = ProgressBar::with_draw_target(Some(len), if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() });
    b.set_style(
        ProgressStyle::with_template(&format!("{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} (eta {{eta}}) {{msg}}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
}

/// Where the data comes from.
enum Source {
    Url { client: reqwest::Client, token: Option<String> },
    Local,
}

impl Source {
    async fn get(&self, what: &str) -> Result<Vec<u8>, String> {
        match self {
            Source::Local => std::fs::read(what).map_err(|e| format!("{what}: {e}")),
            Source::Url { client, token } => {
                let mut req = client.get(what);
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let resp = req.send().await.map_err(|e| format!("{what}: {e}"))?;
                let status = resp.status();
                let bytes = resp.bytes().await.map_err(|e| format!("{what}: {e}"))?;
                if !status.is_success() {
                    return Err(format!("{what}: the server answered {status}"));
                }
                Ok(bytes.to_vec())
            }
        }
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

fn client_for(url: &str) -> Result<reqwest::Client, Failure> {
    let host = url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    let local = host == "localhost" || host.starts_with("127.") || host == "[" || url.contains("://[::1]");
    let mut b = reqwest::Client::builder().timeout(Duration::from_secs(120)).connect_timeout(Duration::from_secs(20));
    if local {
        b = b.no_proxy();
    }
    b.build().map_err(|e| Failure(e.to_string()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Events,
    Feed,
    Csv,
    Freetext,
}

fn detect_format(args: &ImportArgs) -> Result<Format, Failure> {
    let s = args.source.as_str();
    let lower = s.to_ascii_lowercase();
    let by_name = |p: &str| -> Format {
        if p.ends_with(".csv") {
            Format::Csv
        } else if p.ends_with("manifest.json") {
            Format::Feed
        } else if p.ends_with(".json") {
            Format::Events
        } else {
            Format::Freetext
        }
    };
    Ok(match args.format.as_str() {
        "misp" => Format::Events,
        "feed" => Format::Feed,
        "csv" => Format::Csv,
        "freetext" => Format::Freetext,
        "auto" if is_url(s) => {
            let path = lower.split(['?', '#']).next().unwrap_or("");
            if path.ends_with(".csv") || path.ends_with(".txt") || path.ends_with(".json") {
                by_name(path)
            } else {
                Format::Feed
            }
        }
        "auto" => {
            let p = Path::new(s);
            if p.is_dir() {
                if p.join("manifest.json").is_file() { Format::Feed } else { Format::Events }
            } else {
                by_name(&lower)
            }
        }
        other => return Err(Failure(format!("--format: unknown format '{other}' (expected auto, misp, feed, csv or freetext)"))),
    })
}

fn print_report(report: &MispImportReport, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(report).unwrap_or_default());
        return;
    }
    println!(
        "{} events: {} imported, {} unchanged, {} refused; STIX objects: {} stored, {} updated, {} skipped (already stored)",
        report.events, report.imported, report.unchanged, report.refused, report.stix.stored, report.stix.updated, report.stix.skipped
    );
    for d in report.details.iter().filter(|d| d.outcome == "refused").take(50) {
        println!("refused {} ({}): {}: {}", d.uuid, d.info, d.field.as_deref().unwrap_or(""), d.reason.as_deref().unwrap_or(""));
    }
    for d in &report.details {
        for w in d.warnings.iter().take(20) {
            println!("note {}: {w}", d.uuid);
        }
        if d.warnings.len() > 20 {
            println!("note {}: … and {} more (use --json)", d.uuid, d.warnings.len() - 20);
        }
    }
}

pub async fn import(args: ImportArgs) -> Result<ExitCode, Failure> {
    let format = detect_format(&args)?;
    let tlp = match &args.tlp {
        Some(t) => Some(t.parse::<atalaya_model::Tlp>().map_err(|e| Failure(format!("--tlp: {e}")))?),
        None => None,
    };
    if args.column == Some(0) {
        return Err(Failure("--column: columns are numbered from 1".into()));
    }
    let source = if is_url(&args.source) {
        Source::Url { client: client_for(&args.source)?, token: args.token.clone() }
    } else {
        if !Path::new(&args.source).exists() {
            return Err(Failure(format!("{}: no such file or directory", args.source)));
        }
        Source::Local
    };
    let l = load(&args.node)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    let svc = open(&l).await?;
    let result = match format {
        Format::Feed => import_feed(&svc, &args, &source).await,
        Format::Events => import_events(&svc, &args, &source).await,
        Format::Csv | Format::Freetext => import_list(&svc, &args, &source, format == Format::Csv, tlp).await,
    };
    svc.store.close().await;
    result
}

/// Event files: everything is read and checked first; one bad file stops the import before
/// anything is written (unless --skip-invalid).
async fn import_events(svc: &Services, args: &ImportArgs, source: &Source) -> Result<ExitCode, Failure> {
    let files: Vec<String> = if is_url(&args.source) || Path::new(&args.source).is_file() {
        vec![args.source.clone()]
    } else {
        let dir = Path::new(&args.source);
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Failure(format!("{}: {e}", dir.display())))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
            .collect();
        v.sort();
        if v.is_empty() {
            return Err(Failure(format!("{}: no .json files", dir.display())));
        }
        v.into_iter().map(|p| p.display().to_string()).collect()
    };
    let opts = ParseOptions { strict: args.strict };
    let read = bar(files.len() as u64, args.quiet, "files read");
    let mut events: Vec<(String, ParsedEvent)> = vec![];
    let mut errors: Vec<String> = vec![];
    for f in &files {
        match source.get(f).await {
            Ok(bytes) => match parse_document(&bytes, &opts) {
                Ok(evs) => events.extend(evs.into_iter().map(|e| (f.clone(), e))),
                Err(e) => errors.push(format!("{f}: {e}")),
            },
            Err(e) => errors.push(e),
        }
        read.inc(1);
    }
    read.finish_and_clear();
    if !errors.is_empty() && !args.skip_invalid {
        for e in &errors {
            eprintln!("error: {e}");
        }
        eprintln!("error: nothing imported ({} of {} files refused; --skip-invalid imports the others)", errors.len(), files.len());
        return Ok(ExitCode::from(1));
    }
    let b = bar(events.len() as u64, args.quiet, "events");
    let mut report = MispImportReport::default();
    let ctx = Ctx::operator();
    for (f, p) in &events {
        let (mut outcome, stix) = svc.misp_import_event(&ctx, p, None).await?;
        if outcome.outcome == "refused" {
            outcome.info = format!("{} — {f}", outcome.info);
        }
        report.add(outcome, stix);
        b.inc(1);
        b.set_message(format!("{} imported, {} refused", report.imported, report.refused));
    }
    b.finish_and_clear();
    print_report(&report, args.json);
    for e in &errors {
        eprintln!("error: {e}");
    }
    Ok(if !errors.is_empty() || report.refused > 0 { ExitCode::from(4) } else { ExitCode::SUCCESS })
}

/// A MISP feed: manifest.json, then each event whose timestamp is newer than the one imported.
async fn import_feed(svc: &Services, args: &ImportArgs, source: &Source) -> Result<ExitCode, Failure> {
    let base = if is_url(&args.source) {
        args.source.trim_end_matches('/').trim_end_matches("/manifest.json").to_string()
    } else {
        let p = Path::new(&args.source);
        let dir = if p.is_file() { p.parent().unwrap_or(Path::new(".")).to_path_buf() } else { p.to_path_buf() };
        std::fs::canonicalize(&dir).unwrap_or(dir).display().to_string()
    };
    let sep = "/";
    let manifest_bytes = source.get(&format!("{base}{sep}manifest.json")).await.map_err(Failure)?;
    let manifest = atalaya_misp::feed::parse_manifest(&manifest_bytes).map_err(|e| Failure(e.to_string()))?;
    let feed = feed_id(&base, match source {
        Source::Url { token, .. } => token.as_deref(),
        Source::Local => None,
    });
    let ctx = Ctx::operator();
    let b = bar(manifest.len() as u64, args.quiet, "events");
    let mut report = MispImportReport::default();
    let opts = ParseOptions { strict: true };
    for entry in &manifest {
        b.inc(1);
        if svc.misp_feed_seen(&feed, entry.uuid).await?.is_some_and(|seen| seen >= entry.timestamp) {
            report.add(MispEventOutcome { uuid: entry.uuid.to_string(), info: entry.info.clone().unwrap_or_default(), outcome: "unchanged".into(), ..Default::default() }, None);
            continue;
        }
        let name = format!("{base}{sep}{}.json", entry.uuid);
        let refuse = |field: String, reason: String| MispEventOutcome {
            uuid: entry.uuid.to_string(),
            info: entry.info.clone().unwrap_or_default(),
            outcome: "refused".into(),
            field: Some(field),
            reason: Some(reason),
            ..Default::default()
        };
        let bytes = match source.get(&name).await {
            Ok(b) => b,
            Err(e) => {
                report.add(refuse(format!("{}.json", entry.uuid), e), None);
                continue;
            }
        };
        let parsed = match parse_document(&bytes, &opts) {
            Ok(mut v) if v.len() == 1 => v.remove(0),
            Ok(v) => {
                report.add(refuse(format!("{}.json", entry.uuid), format!("holds {} events; a feed file holds one", v.len())), None);
                continue;
            }
            Err(e) => {
                report.add(refuse(format!("{}.json: {}", entry.uuid, e.field), e.reason), None);
                continue;
            }
        };
        if parsed.event.uuid != entry.uuid {
            report.add(refuse(format!("{}.json: Event.uuid", entry.uuid), format!("{} does not match the manifest entry", parsed.event.uuid)), None);
            continue;
        }
        let (outcome, stix) = svc.misp_import_event(&ctx, &parsed, Some((&feed, entry.timestamp))).await?;
        report.add(outcome, stix);
        b.set_message(format!("{} imported, {} unchanged, {} refused", report.imported, report.unchanged, report.refused));
    }
    b.finish_and_clear();
    print_report(&report, args.json);
    Ok(if report.refused > 0 { ExitCode::from(4) } else { ExitCode::SUCCESS })
}

async fn import_list(svc: &Services, args: &ImportArgs, source: &Source, csv: bool, tlp: Option<atalaya_model::Tlp>) -> Result<ExitCode, Failure> {
    let bytes = source.get(&args.source).await.map_err(Failure)?;
    let text = String::from_utf8_lossy(&bytes);
    let (found, skipped) = if csv { parse_csv(&text, args.column.map(|c| c - 1)) } else { parse_lines(&text) };
    let list = args.list_name.clone().unwrap_or_else(|| args.source.clone());
    let b = bar(found.len() as u64, args.quiet, "values");
    let report = svc.misp_import_list(&Ctx::operator(), &list, &found, tlp).await?;
    b.set_position(found.len() as u64);
    b.finish_and_clear();
    if args.json {
        let v = serde_json::json!({"values": found.len(), "skipped_lines": skipped.iter().map(|s| serde_json::json!({"line": s.line, "reason": s.reason})).collect::<Vec<_>>(), "stix": report});
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!(
            "{} values: {} indicators stored, {} skipped (already imported); {} lines without an indicator",
            found.len(),
            report.stored + report.updated,
            report.skipped,
            skipped.len()
        );
        for s in skipped.iter().take(50) {
            println!("line {}: {}", s.line, s.reason);
        }
    }
    Ok(if report.rejected > 0 { ExitCode::from(4) } else { ExitCode::SUCCESS })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let tmp = path.with_file_name(format!(".{}.partial", path.file_name().and_then(|n| n.to_str()).unwrap_or("x")));
    std::fs::write(&tmp, bytes).map_err(|e| Failure(format!("{}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| Failure(format!("{}: {e}", path.display())))
}

pub async fn export(args: ExportArgs) -> Result<ExitCode, Failure> {
    let tlp = match &args.tlp {
        Some(t) => Some(t.parse::<atalaya_model::Tlp>().map_err(|e| Failure(format!("--tlp: {e}")))?),
        None => None,
    };
    let l = load(&args.node)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    std::fs::create_dir_all(&args.feed).map_err(|e| Failure(format!("--feed: {}: {e}", args.feed.display())))?;
    let svc = open(&l).await?;
    let ctx = Ctx::operator();
    let events = svc.misp_events(&ctx, tlp).await?;
    let b = bar(events.len() as u64, args.quiet, "events");
    let mut manifest = serde_json::Map::new();
    let mut hashes = String::new();
    for e in &events {
        let (uuid, entry) = atalaya_misp::feed::manifest_entry(e);
        let body = serde_json::to_vec_pretty(&atalaya_misp::feed::feed_form(e)).map_err(|e| Failure(e.to_string()))?;
        write_atomic(&args.feed.join(format!("{uuid}.json")), &body)?;
        for h in atalaya_misp::feed::hash_lines(e) {
            hashes.push_str(&h);
            hashes.push('\n');
        }
        manifest.insert(uuid, entry);
        b.inc(1);
    }
    // The manifest last: a reader never sees it name a file not yet written.
    write_atomic(&args.feed.join("hashes.csv"), hashes.as_bytes())?;
    write_atomic(&args.feed.join("manifest.json"), &serde_json::to_vec(&serde_json::Value::Object(manifest)).map_err(|e| Failure(e.to_string()))?)?;
    b.finish_and_clear();
    svc.misp_audit_export(&ctx, events.len(), &args.feed.display().to_string()).await?;
    eprintln!("exported {} MISP events to {}", events.len(), args.feed.display());
    svc.store.close().await;
    Ok(ExitCode::SUCCESS)
}
