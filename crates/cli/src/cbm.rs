//! `atalaya cbm`: the registry of confidence-building measures on the node's store (operator).
use crate::{init_logging, load, open, Failure, NodeArgs};
use atalaya_services::Ctx;
use clap::{Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum CbmKind {
    /// National cyber policy or strategy (CBM 1).
    Policy,
    /// Policy-level or foreign-affairs point of contact (CBMs 2–3).
    Designation,
    /// Implementation report on one OAS CBM.
    Implementation,
    /// Voluntary report on one UN GGE 2015 norm.
    Norm,
}

#[derive(Subcommand)]
pub(crate) enum CbmCommand {
    /// List current entries (tab-separated: id, state, kind, topic, visibility, title).
    List {
        #[command(flatten)]
        node: NodeArgs,
        #[arg(long)]
        state: Option<String>,
        #[arg(long, value_enum)]
        kind: Option<CbmKind>,
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Add an entry from a JSON file (the fields of the REST endpoint of its kind; docs/cbm.md).
    Add {
        #[command(flatten)]
        node: NodeArgs,
        #[arg(value_enum)]
        kind: CbmKind,
        file: PathBuf,
    },
    /// Remove an entry (it stays on record).
    Remove {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
    },
    /// The OAS CBMs and the UN GGE 2015 norms.
    Reference,
}

fn kind_str(k: CbmKind) -> &'static str {
    match k {
        CbmKind::Policy => "policy",
        CbmKind::Designation => "designation",
        CbmKind::Implementation => "implementation",
        CbmKind::Norm => "norm",
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| Failure(format!("{}: {}: {}", path.display(), e.path(), e.inner())))
}

pub(crate) async fn run(cmd: CbmCommand) -> Result<ExitCode, Failure> {
    let node = match &cmd {
        CbmCommand::List { node, .. } | CbmCommand::Add { node, .. } | CbmCommand::Remove { node, .. } => node.clone(),
        CbmCommand::Reference => {
            let r = atalaya_services::cbm::reference();
            for e in r.cbms {
                println!("CBM {}\t{}", e.id, e.title);
            }
            for e in r.norms {
                println!("norm {}\t{}", e.id, e.title);
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let l = load(&node)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    let svc = open(&l).await?;
    let ctx = Ctx::operator();
    let result = async {
        match cmd {
            CbmCommand::List { state, kind, json, .. } => {
                let list = svc.cbm_list(&ctx, state.as_deref(), kind.map(kind_str)).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&list).map_err(|e| Failure(e.to_string()))?);
                } else {
                    for e in list {
                        println!("{}\t{}\t{}\t{}\t{}\t{}", e.id, e.state, e.kind, e.topic, e.visibility, e.title.replace(['\n', '\t'], " "));
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            CbmCommand::Add { kind, file, .. } => {
                let e = match kind {
                    CbmKind::Policy => svc.cbm_add_policy(&ctx, read_json(&file)?).await?,
                    CbmKind::Designation => svc.cbm_designate(&ctx, read_json(&file)?).await?,
                    CbmKind::Implementation => svc.cbm_report_implementation(&ctx, read_json(&file)?).await?,
                    CbmKind::Norm => svc.cbm_report_norm(&ctx, read_json(&file)?).await?,
                };
                println!("{}", e.id);
                Ok(ExitCode::SUCCESS)
            }
            CbmCommand::Remove { id, .. } => {
                let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| Failure(format!("id: '{id}' is not a UUID")))?;
                svc.cbm_remove(&ctx, id).await?;
                eprintln!("removed {id}");
                Ok(ExitCode::SUCCESS)
            }
            CbmCommand::Reference => Ok(ExitCode::SUCCESS),
        }
    }
    .await;
    svc.store.close().await;
    result
}
