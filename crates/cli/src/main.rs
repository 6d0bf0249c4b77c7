//! `atalaya`: one binary for a node of the hemispheric CSIRT network.
mod advisory;
mod cbm;
mod backup;
mod config;
mod demo;
mod evidence;
mod incidents;
mod intel;
mod misp;
mod peer;
mod taxii;

use atalaya_model::Role;
use atalaya_services::{ServiceConfig, ServiceError, Services};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "atalaya", version, about = "A sovereign node of the hemispheric CSIRT network", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the node: REST API, health and metrics on the listen address.
    Serve(ServeArgs),
    /// API tokens, created offline on the node's store.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// User accounts, managed offline on the node's store.
    #[command(subcommand)]
    User(UserCommand),
    /// This node's identity.
    #[command(subcommand)]
    Node(NodeCommand),
    /// Import STIX 2.1: a bundle, JSON lines, or a directory of them (offline, or to a running node with --url).
    Import(intel::ImportArgs),
    /// Export visible STIX objects as a bundle, CSV or a blocklist.
    Export(intel::ExportArgs),
    /// MISP-format warninglists (false-positive lists) of this node.
    #[command(subcommand)]
    Warninglists(intel::WarninglistCommand),
    /// MISP: import events, feeds and indicator lists; export the node's data as a MISP feed.
    #[command(subcommand)]
    Misp(misp::MispCommand),
    /// Cross-border incident cases on a running node: create, list, show, route, notify, ack.
    #[command(subcommand)]
    Incident(incidents::IncidentCommand),
    /// CSV event feeds: import (parse, route to state/constituency, de-duplicate, store).
    #[command(subcommand)]
    Feed(incidents::FeedCommand),
    /// Federation peers: add (peer request), list, show, accept, reject, remove; retract objects.
    #[command(subcommand)]
    Peer(peer::PeerCommand),
    /// TAXII 2.1 client (pull, push, scheduled feeds) and the collections this node serves.
    #[command(subcommand)]
    Taxii(taxii::TaxiiCommand),
    /// Evidence records with a chain of custody: add, list, report, verify.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Registry of confidence-building measures (OAS CBMs, UN GGE 2015 norms): list, add, remove.
    #[command(subcommand)]
    Cbm(cbm::CbmCommand),
    /// CSAF 2.0 advisories: import, author, revise, export, list.
    #[command(subcommand)]
    Advisory(advisory::AdvisoryCommand),
    /// Write a consistent backup (.tar.gz) of a node on SQLite, while it runs.
    Backup(backup::BackupArgs),
    /// Restore a backup into a new data directory (then checks the audit log).
    Restore(backup::RestoreArgs),
    /// A first look: three local nodes (three states) with sample data; prints the web addresses and logins.
    Demo(demo::DemoArgs),
}

/// Where the node's data lives (shared by every command).
#[derive(Args, Clone)]
pub(crate) struct NodeArgs {
    /// Data directory (created on first start): node key, SQLite database, config file.
    #[arg(long, env = "ATALAYA_DATA_DIR", default_value = "./atalaya-data")]
    data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://USER:PASS@HOST/DB (default: SQLite in the data dir).
    #[arg(long, env = "ATALAYA_DATABASE")]
    database: Option<String>,
    /// TOML configuration file (default: DATA_DIR/atalaya.toml when present).
    #[arg(long, env = "ATALAYA_CONFIG")]
    config: Option<PathBuf>,
    /// Name of this node and of its operating organisation (first start only).
    #[arg(long, env = "ATALAYA_NODE_NAME")]
    node_name: Option<String>,
    /// ISO 3166-1 alpha-2 country of the operating organisation (first start only).
    #[arg(long, env = "ATALAYA_COUNTRY")]
    country: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "ATALAYA_LISTEN")]
    listen: Option<String>,
    /// Log format: text or json.
    #[arg(long, env = "ATALAYA_LOG_FORMAT")]
    log_format: Option<String>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API bearer token for USER (created if needed; the first user is an administrator).
    Create {
        #[command(flatten)]
        node: NodeArgs,
        /// User name.
        #[arg(long)]
        user: String,
        /// Role of a new user: admin, analyst, duty-officer, law-enforcement, partner, auditor, read-only.
        #[arg(long)]
        role: Option<String>,
        /// Token lifetime in days (default 90).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exits non-zero naming the first bad entry.
    Verify {
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Set a user's password, read from the first line of standard input.
    SetPassword {
        #[command(flatten)]
        node: NodeArgs,
        #[arg(long)]
        user: String,
    },
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Print the node's name, public key and fingerprint.
    Show {
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// A CLI failure: one readable line, and the exit code.
pub(crate) struct Failure(pub String);

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure(match e {
            ServiceError::Invalid(v) => v.to_string(),
            other => other.to_string(),
        })
    }
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure(s)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(Failure(msg)) => {
            eprintln!("error: {}", msg.replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

pub(crate) struct Loaded {
    pub(crate) file: config::FileConfig,
    data_dir: PathBuf,
    database: Option<String>,
    service: ServiceConfig,
}

pub(crate) fn load(args: &NodeArgs) -> Result<Loaded, Failure> {
    let (file, _) = config::load_file(args.config.as_deref(), &args.data_dir)?;
    let mut service = ServiceConfig::default();
    if let Some(n) = args.node_name.clone().or_else(|| file.node.name.clone()) {
        service.node_name = n;
    }
    service.node_country = args.country.clone().or_else(|| file.node.country.clone());
    let a = &file.auth;
    if let Some(h) = a.session_ttl_hours { service.session_ttl = Duration::from_secs(h * 3600); }
    if let Some(d) = a.token_ttl_days { service.token_ttl = Duration::from_secs(d * 86400); }
    if let Some(n) = a.login_max_failures_per_user { service.login_max_failures_per_user = n; }
    if let Some(n) = a.login_max_failures_per_source { service.login_max_failures_per_source = n; }
    if let Some(s) = a.login_window_secs { service.login_window = Duration::from_secs(s); }
    incidents::configure(&mut service, &file.incidents, &args.data_dir)?;
    let database = args.database.clone().or_else(|| file.database.clone());
    Ok(Loaded { data_dir: args.data_dir.clone(), database, service, file })
}

pub(crate) async fn open(l: &Loaded) -> Result<Services, Failure> {
    Ok(Services::open(&l.data_dir, l.database.as_deref(), l.service.clone()).await?)
}

async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Token(TokenCommand::Create { node, user, role, expires_in_days }) => {
            let role = match role {
                Some(r) => Some(r.parse::<Role>().map_err(|e| Failure(format!("--role: {e}")))?),
                None => None,
            };
            if expires_in_days.is_some_and(|d| !(1..=3650).contains(&d)) {
                return Err(Failure("--expires-in-days: must be between 1 and 3650".into()));
            }
            let l = load(&node)?;
            init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
            let svc = open(&l).await?;
            let ttl = expires_in_days.map(|d| Duration::from_secs(u64::from(d) * 86400));
            let (issued, created) = svc.bootstrap_token(&user, role, ttl).await?;
            if let Some(r) = created {
                eprintln!("created user '{user}' with role {r}");
                if role.is_some_and(|asked| asked != r) {
                    eprintln!("note: the first user of a node is always an administrator");
                }
            }
            println!("{}", issued.token);
            svc.store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify { node }) => {
            let l = load(&node)?;
            init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
            let svc = open(&l).await?;
            let v = svc.audit_verify(&atalaya_services::Ctx::operator()).await?;
            svc.store.close().await;
            if v.ok {
                println!("audit log intact: {} entries verified", v.entries);
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "error: audit log broken at entry {}: {}",
                    v.first_bad_seq.unwrap_or(0),
                    v.problem.unwrap_or_default()
                );
                Ok(ExitCode::from(3))
            }
        }
        Command::User(UserCommand::SetPassword { node, user }) => {
            let l = load(&node)?;
            init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| Failure(format!("cannot read the password from stdin: {e}")))?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            let svc = open(&l).await?;
            svc.operator_set_password(&user, password).await?;
            svc.store.close().await;
            eprintln!("password of '{user}' set");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => intel::import(args).await,
        Command::Export(args) => intel::export(args).await,
        Command::Warninglists(cmd) => intel::warninglists(cmd).await,
        Command::Misp(cmd) => misp::run(cmd).await,
        Command::Incident(cmd) => incidents::incident(cmd).await,
        Command::Feed(cmd) => incidents::feed(cmd).await,
        Command::Peer(cmd) => peer::run(cmd).await,
        Command::Taxii(cmd) => taxii::run(cmd).await,
        Command::Evidence(cmd) => evidence::run(cmd).await,
        Command::Advisory(cmd) => advisory::run(cmd).await,
        Command::Cbm(cmd) => cbm::run(cmd).await,
        Command::Backup(args) => backup::backup(args).await,
        Command::Restore(args) => backup::restore(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Node(NodeCommand::Show { node }) => {
            let l = load(&node)?;
            init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
            let svc = open(&l).await?;
            let info = svc.node_info().await?;
            println!("name:        {}", info.name);
            println!("public key:  {}", info.public_key);
            println!("fingerprint: {}", info.fingerprint);
            println!("database:    {} (schema {})", info.database, info.schema_version);
            svc.store.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Logs go to stderr (stdout is for results). Level: `ATALAYA_LOG` > `[log] level` > info
/// (warn for offline commands).
pub(crate) fn init_logging(format: Option<&str>, level: Option<&str>, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = level.unwrap_or(if quiet { "warn" } else { "info" });
    let filter = EnvFilter::try_from_env("ATALAYA_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let b = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if format == Some("json") { b.json().try_init() } else { b.try_init() };
}

/// Like `println!`, but a closed or broken standard output (a supervisor that went away) never
/// takes the running node down.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

async fn serve(args: ServeArgs) -> Result<ExitCode, Failure> {
    let l = load(&args.node)?;
    let format = args.log_format.clone().or_else(|| l.file.log.format.clone());
    if let Some(f) = &format {
        if f != "text" && f != "json" {
            return Err(Failure(format!("--log-format: expected text or json, got '{f}'")));
        }
    }
    init_logging(format.as_deref(), l.file.log.level.as_deref(), false);
    let listen = args.listen.clone().or_else(|| l.file.listen.clone()).unwrap_or_else(|| "127.0.0.1:8080".into());
    let addr: std::net::SocketAddr = listen.parse().map_err(|_| Failure(format!("--listen: '{listen}' is not an address like 127.0.0.1:8080")))?;
    let svc = open(&l).await?;
    let mut http = atalaya_api::HttpConfig::default();
    if let Some(n) = l.file.http.max_body_bytes { http.max_body_bytes = n; }
    if let Some(n) = l.file.http.max_bundle_bytes { http.max_bundle_bytes = n; }
    if let Some(s) = l.file.http.request_timeout_secs { http.request_timeout = Duration::from_secs(s); }
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| Failure(format!("--listen: cannot listen on {addr}: {e}")))?;
    let bound = listener.local_addr().map_err(|e| Failure(e.to_string()))?;
    let info = svc.node_info().await?;
    // Federation: the base URL other nodes reach this node at (behind a TLS proxy in production).
    let public_url = std::env::var("ATALAYA_PUBLIC_URL").unwrap_or_else(|_| format!("http://{bound}"));
    svc.federation_start(&public_url);
    say!("atalaya listening on http://{bound}");
    say!("node fingerprint: {}", info.fingerprint);
    if svc.store.user_list(None).await.map(|u| u.is_empty()).unwrap_or(false) {
        say!(
            "no users yet: create the first administrator with `atalaya token create --data-dir {} --user admin`",
            shell_path(&l.data_dir)
        );
    }
    tracing::info!(%bound, database = info.database, "node started");
    let background = atalaya_services::incidents::spawn_background(svc.clone());
    let store = svc.store.clone();
    atalaya_api::serve(listener, svc, http, shutdown_signal()).await.map_err(|e| Failure(format!("server error: {e}")))?;
    background.abort();
    store.close().await;
    tracing::info!("node stopped");
    Ok(ExitCode::SUCCESS)
}

fn shell_path(p: &Path) -> String {
    p.display().to_string()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
