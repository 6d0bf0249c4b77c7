//! `atalaya backup` and `atalaya restore`.
use crate::{init_logging, load, open, Failure, NodeArgs};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct BackupArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// The archive to write (.tar.gz, mode 0600; it holds the node's private key).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// A backup written by `atalaya backup`.
    archive: PathBuf,
    /// The data directory to create (must not exist, or be empty).
    #[arg(long, env = "ATALAYA_DATA_DIR")]
    data_dir: PathBuf,
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

/// Takes a consistent backup while the node may be running.
pub(crate) async fn backup(args: BackupArgs) -> Result<ExitCode, Failure> {
    let l = load(&args.node)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    let svc = open(&l).await?;
    let spinner = indicatif::ProgressBar::new_spinner().with_message(format!("writing {}", args.out.display()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let result = svc.backup(&atalaya_services::Ctx::operator(), &args.node.data_dir, &args.out).await;
    spinner.finish_and_clear();
    svc.store.close().await;
    let m = result?;
    let size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup written: {} ({} files, {} of data, {} compressed), node {}, schema {}",
        args.out.display(),
        m.files.len(),
        mib(m.total_bytes()),
        mib(size),
        m.node_fingerprint,
        m.schema_version
    );
    Ok(ExitCode::SUCCESS)
}

/// Restores a backup into a new data directory, then opens it and checks the audit chain.
pub(crate) async fn restore(args: RestoreArgs) -> Result<ExitCode, Failure> {
    init_logging(None, None, true);
    let m = atalaya_services::backup::restore(&args.archive, &args.data_dir)?;
    println!("restored {} files ({}) of node {} into {}", m.files.len(), mib(m.total_bytes()), m.node_fingerprint, args.data_dir.display());
    let node = NodeArgs { data_dir: args.data_dir.clone(), database: None, config: None, node_name: None, country: None };
    let l = load(&node)?;
    let svc = open(&l).await?;
    let info = svc.node_info().await?;
    let v = svc.audit_verify(&atalaya_services::Ctx::operator()).await?;
    svc.store.close().await;
    if info.fingerprint != m.node_fingerprint {
        return Err(Failure(format!("the restored node key ({}) is not the one the backup names ({})", info.fingerprint, m.node_fingerprint)));
    }
    if !v.ok {
        eprintln!("error: the restored audit log is broken at entry {}: {}", v.first_bad_seq.unwrap_or(0), v.problem.unwrap_or_default());
        return Ok(ExitCode::from(3));
    }
    println!("audit log intact: {} entries verified; start the node with `atalaya serve --data-dir {}`", v.entries, args.data_dir.display());
    Ok(ExitCode::SUCCESS)
}
