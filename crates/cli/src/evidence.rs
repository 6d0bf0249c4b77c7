//! `atalaya evidence`: register, list, report and verify evidence on the node's store (operator).
use crate::{init_logging, load, open, Failure, NodeArgs};
use atalaya_services::evidence::NewEvidence;
use atalaya_services::Ctx;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub(crate) enum EvidenceCommand {
    /// Register a file as evidence (hashed with SHA-256 while it is copied into the data directory).
    Add {
        #[command(flatten)]
        node: NodeArgs,
        /// The file.
        file: PathBuf,
        /// What it is, where and how it was obtained.
        #[arg(long)]
        description: String,
        /// Person or unit holding it.
        #[arg(long)]
        custodian: Option<String>,
        /// Media type (default application/octet-stream).
        #[arg(long)]
        media_type: Option<String>,
        /// Law-enforcement material: visible to law-enforcement roles only.
        #[arg(long)]
        restricted: bool,
        /// The incident case or assistance request it belongs to.
        #[arg(long)]
        case_ref: Option<String>,
    },
    /// List evidence records.
    List {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Print the custody report of one record (JSON, or a printable HTML page with --html FILE).
    Report {
        #[command(flatten)]
        node: NodeArgs,
        /// Evidence id.
        id: String,
        /// Write the HTML report to this file instead of printing JSON.
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// Re-hash every record's content; exit 3 naming each mismatch or missing file.
    Verify {
        #[command(flatten)]
        node: NodeArgs,
    },
}

pub(crate) async fn run(cmd: EvidenceCommand) -> Result<ExitCode, Failure> {
    let node = match &cmd {
        EvidenceCommand::Add { node, .. } | EvidenceCommand::List { node } | EvidenceCommand::Report { node, .. } | EvidenceCommand::Verify { node } => node.clone(),
    };
    let l = load(&node)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    let svc = open(&l).await?;
    let ctx = Ctx::operator();
    let result = async {
        match cmd {
            EvidenceCommand::Add { file, description, custodian, media_type, restricted, case_ref, .. } => {
                let f = tokio::fs::File::open(&file).await.map_err(|e| Failure(format!("{}: {e}", file.display())))?;
                let size = f.metadata().await.map(|m| m.len()).unwrap_or(0);
                let bar = indicatif::ProgressBar::new(size).with_style(
                    indicatif::ProgressStyle::with_template("{spinner} hashing and storing {bytes}/{total_bytes} {wide_bar} {eta}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                let reader = bar.wrap_async_read(f);
                let filename = file.file_name().map(|n| n.to_string_lossy().into_owned());
                let r = svc
                    .evidence_register(&ctx, NewEvidence { description, filename, media_type, custodian, restricted, case_ref }, reader)
                    .await;
                bar.finish_and_clear();
                let r = r?;
                println!("{}", r.evidence.id);
                eprintln!("registered {} ({} bytes), SHA-256 {}", r.evidence.id, r.evidence.size, r.evidence.sha256);
                Ok(ExitCode::SUCCESS)
            }
            EvidenceCommand::List { .. } => {
                for e in svc.evidence_list(&ctx, None).await? {
                    println!("{}  {}  {:>12}  {:<9} {}  {}", e.id, e.sha256, e.size, e.state, e.custodian, e.description.replace('\n', " "));
                }
                Ok(ExitCode::SUCCESS)
            }
            EvidenceCommand::Report { id, html, .. } => {
                let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| Failure(format!("id: '{id}' is not a UUID")))?;
                let r = svc.evidence_report(&ctx, id).await?;
                match html {
                    Some(path) => {
                        std::fs::write(&path, atalaya_services::evidence::report_html(&r)).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
                        eprintln!("custody report written to {}", path.display());
                    }
                    None => println!("{}", serde_json::to_string_pretty(&r).map_err(|e| Failure(e.to_string()))?),
                }
                Ok(ExitCode::SUCCESS)
            }
            EvidenceCommand::Verify { .. } => {
                let bar = indicatif::ProgressBar::new(0).with_style(
                    indicatif::ProgressStyle::with_template("{spinner} re-hashing {bytes}/{total_bytes} {wide_bar} {eta}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                let b = bar.clone();
                let results = svc
                    .evidence_verify(&ctx, &move |done, total| {
                        b.set_length(total);
                        b.set_position(done);
                    })
                    .await;
                bar.finish_and_clear();
                let results = results?;
                let bad: Vec<_> = results.iter().filter(|r| !r.ok).collect();
                for r in &bad {
                    eprintln!("error: evidence {}: expected SHA-256 {}, found {}", r.id, r.expected, r.actual);
                }
                if bad.is_empty() {
                    println!("evidence intact: {} records verified", results.len());
                    Ok(ExitCode::SUCCESS)
                } else {
                    eprintln!("{} of {} records do not match their SHA-256", bad.len(), results.len());
                    Ok(ExitCode::from(3))
                }
            }
        }
    }
    .await;
    svc.store.close().await;
    result
}
