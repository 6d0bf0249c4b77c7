//! `atalaya advisory`: import, author, revise, export and list CSAF 2.0 advisories on the node's
//! store (operator).
use crate::{init_logging, load, open, Failure, NodeArgs};
use atalaya_csaf::author::AuthorInput;
use atalaya_model::Tlp;
use atalaya_services::advisories::{AdvisoryQuery, RevisionInput};
use atalaya_services::Ctx;
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub(crate) enum AdvisoryCommand {
    /// Import CSAF 2.0 documents: one file, or every *.json under a directory. Each refused
    /// document is named with the JSON path and the CSAF test; exit 1 if any was refused.
    Import {
        #[command(flatten)]
        node: NodeArgs,
        /// A CSAF JSON file or a directory.
        path: PathBuf,
        /// TLP for documents that state none (or to override theirs).
        #[arg(long)]
        tlp: Option<String>,
    },
    /// Write a new csaf_security_advisory from an input file (JSON, see docs/csaf.md); prints its id.
    Author {
        #[command(flatten)]
        node: NodeArgs,
        /// The author input (title, summary, tlp, products, vulnerabilities, …).
        input: PathBuf,
    },
    /// A new revision of an advisory written on this node.
    Revise {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
        /// The whole advisory as it is now (same format as `author`).
        input: PathBuf,
        /// What changed.
        #[arg(long)]
        summary: String,
    },
    /// Write the CSAF document of an advisory (stdout, or --output FILE).
    Export {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
        #[arg(long)]
        output: Option<PathBuf>,
        /// An earlier stored version.
        #[arg(long)]
        version: Option<String>,
    },
    /// List advisories (tab-separated: id, tracking id, version, TLP, title).
    List {
        #[command(flatten)]
        node: NodeArgs,
        #[arg(long)]
        vendor: Option<String>,
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        cve: Option<String>,
        #[arg(long)]
        sector: Option<String>,
        #[arg(long)]
        tlp: Option<String>,
        /// Text in the title or tracking id.
        #[arg(long)]
        q: Option<String>,
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
    },
}

fn files_of(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    if path.is_dir() {
        let mut out = vec![];
        let mut stack = vec![path.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).map_err(|e| Failure(format!("{}: {e}", d.display())))?.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "json") {
                    out.push(p);
                }
            }
        }
        out.sort();
        Ok(out)
    } else if path.exists() {
        Ok(vec![path.to_path_buf()])
    } else {
        Err(Failure(format!("{}: no such file or directory", path.display())))
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| Failure(format!("{}: {}: {}", path.display(), e.path(), e.inner())))
}

fn parse_id(id: &str) -> Result<uuid::Uuid, Failure> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| Failure(format!("id: '{id}' is not a UUID")))
}

pub(crate) async fn run(cmd: AdvisoryCommand) -> Result<ExitCode, Failure> {
    let node = match &cmd {
        AdvisoryCommand::Import { node, .. }
        | AdvisoryCommand::Author { node, .. }
        | AdvisoryCommand::Revise { node, .. }
        | AdvisoryCommand::Export { node, .. }
        | AdvisoryCommand::List { node, .. } => node.clone(),
    };
    let l = load(&node)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    let svc = open(&l).await?;
    let ctx = Ctx::operator();
    let result = async {
        match cmd {
            AdvisoryCommand::Import { path, tlp, .. } => {
                let tlp = tlp.as_deref().map(|t| t.parse::<Tlp>().map_err(|e| Failure(format!("--tlp: {e}")))).transpose()?;
                let files = files_of(&path)?;
                let bar = indicatif::ProgressBar::new(files.len() as u64).with_style(
                    indicatif::ProgressStyle::with_template("{spinner} importing advisories {pos}/{len} {wide_bar} {eta}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                let (mut ok, mut bad) = (0usize, 0usize);
                for f in &files {
                    let r = match std::fs::read(f) {
                        Ok(bytes) => svc.advisory_import(&ctx, &bytes, tlp).await.map_err(Failure::from),
                        Err(e) => Err(Failure(e.to_string())),
                    };
                    bar.inc(1);
                    match r {
                        Ok(r) => {
                            ok += 1;
                            bar.suspend(|| println!("{}\t{}\t{}\t{}", r.advisory.id, r.outcome, r.advisory.tracking_id, r.advisory.version));
                        }
                        Err(e) => {
                            bad += 1;
                            bar.suspend(|| eprintln!("error: {}: {}", f.display(), e.0));
                        }
                    }
                }
                bar.finish_and_clear();
                eprintln!("{ok} imported, {bad} refused");
                Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
            }
            AdvisoryCommand::Author { input, .. } => {
                let i: AuthorInput = read_json(&input)?;
                let a = svc.advisory_author(&ctx, i).await?;
                println!("{}", a.id);
                eprintln!("advisory {} version {} ({})", a.tracking_id, a.version, a.tlp);
                Ok(ExitCode::SUCCESS)
            }
            AdvisoryCommand::Revise { id, input, summary, .. } => {
                let i: AuthorInput = read_json(&input)?;
                let a = svc.advisory_revise(&ctx, parse_id(&id)?, RevisionInput { revision_summary: summary, advisory: i }).await?;
                eprintln!("advisory {} now at version {}", a.tracking_id, a.version);
                Ok(ExitCode::SUCCESS)
            }
            AdvisoryCommand::Export { id, output, version, .. } => {
                let doc = svc.advisory_document(&ctx, parse_id(&id)?, version.as_deref()).await?;
                let text = serde_json::to_string_pretty(&doc).map_err(|e| Failure(e.to_string()))?;
                match output {
                    Some(p) => std::fs::write(&p, text + "\n").map_err(|e| Failure(format!("{}: {e}", p.display())))?,
                    None => println!("{text}"),
                }
                Ok(ExitCode::SUCCESS)
            }
            AdvisoryCommand::List { vendor, product, cve, sector, tlp, q, json, .. } => {
                let list = svc.advisory_list(&ctx, &AdvisoryQuery { vendor, product, cve, sector, tlp, q }).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&list).map_err(|e| Failure(e.to_string()))?);
                } else {
                    for a in list {
                        println!("{}\t{}\t{}\t{}\t{}", a.id, a.tracking_id, a.version, a.tlp, a.title.replace(['\n', '\t'], " "));
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }
    .await;
    svc.store.close().await;
    result
}
