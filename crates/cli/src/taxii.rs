//! `atalaya taxii`: pull from and push to remote TAXII 2.1 servers, remote feeds pulled on a
//! schedule by `atalaya serve`, and the collections this node serves. Offline on the node's
//! store (like `atalaya import`), as the node operator unless `--run-as` names a user.
use crate::{init_logging, load, open, Failure, NodeArgs};
use atalaya_services::taxii::NewCollection;
use atalaya_services::taxii_client::{self, NewFeed, PullReport, PushReport, RemoteAuth, TaxiiClient};
use atalaya_services::{Ctx, Services};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand)]
pub enum TaxiiCommand {
    /// Pull a remote collection into this node (resumes where the last pull of it stopped).
    Pull(PullArgs),
    /// Push a STIX bundle or JSON lines file to a remote collection.
    Push(PushArgs),
    /// Remote feeds pulled on a schedule by `atalaya serve`.
    #[command(subcommand)]
    Feed(FeedCommand),
    /// Collections this node serves over TAXII (views by TLP, type and sector).
    #[command(subcommand)]
    Collection(CollectionCommand),
}

#[derive(Args, Clone)]
pub struct Credentials {
    /// User name for HTTP Basic.
    #[arg(long)]
    user: Option<String>,
    /// Password for HTTP Basic (better: ATALAYA_TAXII_PASSWORD).
    #[arg(long, env = "ATALAYA_TAXII_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Bearer token (better: ATALAYA_TAXII_TOKEN).
    #[arg(long, env = "ATALAYA_TAXII_TOKEN", hide_env_values = true, conflicts_with_all = ["user"])]
    token: Option<String>,
}

impl Credentials {
    fn auth(&self) -> Result<RemoteAuth, Failure> {
        match (&self.user, &self.password, &self.token) {
            (Some(_), _, Some(_)) => Err(Failure("--token: give either --token or --user/--password".into())),
            (Some(u), Some(p), None) => Ok(RemoteAuth::Basic { username: u.clone(), password: p.clone() }),
            (Some(_), None, None) => Err(Failure("--password (or ATALAYA_TAXII_PASSWORD) is required with --user".into())),
            (None, _, Some(t)) => Ok(RemoteAuth::Bearer { token: t.clone() }),
            (None, _, None) => Ok(RemoteAuth::None),
        }
    }
}

#[derive(Args)]
pub struct PullArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// The remote API root (or discovery) URL, e.g. https://taxii.example/api1/.
    url: String,
    /// The remote collection id.
    #[arg(long)]
    collection: String,
    /// Only objects added after this RFC 3339 time (instead of resuming).
    #[arg(long, conflicts_with = "from_start")]
    since: Option<String>,
    /// Fetch everything again instead of resuming.
    #[arg(long)]
    from_start: bool,
    #[command(flatten)]
    creds: Credentials,
    /// Store the objects as this user of the node (default: the node's organisation).
    #[arg(long)]
    run_as: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
pub struct PushArgs {
    /// The remote API root (or discovery) URL.
    url: String,
    /// The remote collection id.
    #[arg(long)]
    collection: String,
    /// A bundle (.json) or JSON lines file.
    file: PathBuf,
    #[command(flatten)]
    creds: Credentials,
    /// Objects per request.
    #[arg(long, default_value_t = 1000)]
    per_request: usize,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Subcommand)]
pub enum FeedCommand {
    /// Add a remote feed.
    Add {
        #[command(flatten)]
        node: NodeArgs,
        /// A unique name (letters, digits, '-', '_', '.').
        name: String,
        /// The remote API root (or discovery) URL.
        url: String,
        #[arg(long)]
        collection: String,
        /// Pull interval: 30s, 15m, 1h, 1d (none: pulled with `feed run` only).
        #[arg(long)]
        every: Option<String>,
        /// Start at this date added instead of the beginning.
        #[arg(long)]
        since: Option<String>,
        #[command(flatten)]
        creds: Credentials,
        /// Store the objects as this user of the node (default: the node's organisation).
        #[arg(long)]
        run_as: Option<String>,
    },
    /// List the feeds with their last run.
    List {
        #[command(flatten)]
        node: NodeArgs,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one feed: cursor, last run, last error, objects fetched.
    Show {
        #[command(flatten)]
        node: NodeArgs,
        name: String,
    },
    /// Pull a feed now.
    Run {
        #[command(flatten)]
        node: NodeArgs,
        name: String,
        #[arg(long)]
        quiet: bool,
    },
    /// Remove a feed (the objects it brought stay).
    Remove {
        #[command(flatten)]
        node: NodeArgs,
        name: String,
    },
}

#[derive(Subcommand)]
pub enum CollectionCommand {
    /// Define a collection (a view over the node's objects).
    Add {
        #[command(flatten)]
        node: NodeArgs,
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        alias: Option<String>,
        /// Highest TLP shown, e.g. TLP:GREEN (TLP:CLEAR makes the collection public).
        #[arg(long)]
        max_tlp: Option<String>,
        /// STIX types shown (repeatable; default all).
        #[arg(long = "type")]
        types: Vec<String>,
        /// Sectors shown (repeatable; default all).
        #[arg(long = "sector")]
        sectors: Vec<String>,
        /// Refuse adds and deletes through this collection.
        #[arg(long)]
        read_only: bool,
    },
    /// List the collections.
    List {
        #[command(flatten)]
        node: NodeArgs,
        #[arg(long)]
        json: bool,
    },
    /// Remove a collection definition (the objects stay).
    Remove {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
    },
}

async fn node(args: &NodeArgs) -> Result<Services, Failure> {
    let l = load(args)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    open(&l).await
}

fn bar(quiet: bool, len: Option<u64>) -> ProgressBar {
    let b = ProgressBar::with_draw_target(len, if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() });
    let tpl = if len.is_some() {
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} objects ({per_sec}) {msg}"
    } else {
        "{spinner} [{elapsed_precise}] {pos} objects ({per_sec}) {msg}"
    };
    b.set_style(ProgressStyle::with_template(tpl).unwrap_or_else(|_| ProgressStyle::default_bar()));
    b.enable_steady_tick(Duration::from_millis(200));
    b
}

fn print_pull(r: &PullReport, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
    } else {
        println!(
            "{} objects fetched in {} pages: {} stored, {} updated, {} skipped (already stored), {} rejected; cursor {}",
            r.fetched,
            r.pages,
            r.stored,
            r.updated,
            r.skipped,
            r.rejected,
            r.cursor.as_deref().unwrap_or("(none)")
        );
        for x in r.rejections.iter().take(50) {
            println!("rejected {x}");
        }
    }
    if let Some(e) = &r.error {
        eprintln!("error: {} (what was fetched before is stored; run again to resume)", e.replace('\n', " "));
        return ExitCode::from(1);
    }
    if r.rejected > 0 {
        ExitCode::from(4)
    } else {
        ExitCode::SUCCESS
    }
}

async fn run_pull(svc: &Services, ctx: &Ctx, name: &str, auth: Option<RemoteAuth>, since: Option<String>, quiet: bool, json: bool) -> Result<ExitCode, Failure> {
    let pb = bar(quiet, None);
    let pb2 = pb.clone();
    let progress = move |r: &PullReport| {
        pb2.set_position(r.fetched);
        pb2.set_message(format!("{} stored, {} skipped, {} rejected", r.stored + r.updated, r.skipped, r.rejected));
    };
    let r = svc.taxii_feed_run(ctx, name, auth, since, &progress).await;
    pb.finish_and_clear();
    Ok(print_pull(&r?, json))
}

pub async fn run(cmd: TaxiiCommand) -> Result<ExitCode, Failure> {
    let ctx = Ctx::operator();
    match cmd {
        TaxiiCommand::Pull(a) => {
            let auth = a.creds.auth()?;
            if let Some(s) = &a.since {
                if atalaya_services::taxii::parse_timestamp(s).is_none() {
                    return Err(Failure(format!("--since: '{s}' is not an RFC 3339 timestamp")));
                }
            }
            let svc = node(&a.node).await?;
            let name = svc.taxii_pull_feed(&ctx, &a.url, &a.collection, a.run_as.as_deref()).await?;
            let since = if a.from_start { Some("1970-01-01T00:00:00Z".to_string()) } else { a.since.clone() };
            let code = run_pull(&svc, &ctx, &name, Some(auth), since, a.quiet, a.json).await;
            svc.store.close().await;
            code
        }
        TaxiiCommand::Push(a) => push(a).await,
        TaxiiCommand::Feed(FeedCommand::Add { node: n, name, url, collection, every, since, creds, run_as }) => {
            let interval_secs = match every {
                Some(e) => Some(taxii_client::parse_interval(&e).map_err(|m| Failure(format!("--every: {m}")))?),
                None => None,
            };
            let (username, password, token) = match creds.auth()? {
                RemoteAuth::None => (None, None, None),
                RemoteAuth::Basic { username, password } => (Some(username), Some(password), None),
                RemoteAuth::Bearer { token } => (None, None, Some(token)),
            };
            let svc = node(&n).await?;
            let f = svc.taxii_feed_create(&ctx, NewFeed { name, url, collection, username, password, token, interval_secs, run_as, since }).await;
            svc.store.close().await;
            let f = f?;
            println!("feed '{}' added: {} collection {}{}", f.name, f.url, f.collection, f.interval_secs.map(|s| format!(", every {s} s")).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        TaxiiCommand::Feed(FeedCommand::List { node: n, json }) => {
            let svc = node(&n).await?;
            let feeds = svc.taxii_feeds(&ctx).await;
            svc.store.close().await;
            let feeds = feeds?;
            if json {
                println!("{}", serde_json::to_string_pretty(&feeds).unwrap_or_default());
            } else if feeds.is_empty() {
                println!("no feeds");
            } else {
                println!("{:<20} {:>8} {:<27} {:>10}  url collection  last error", "name", "every", "last run", "fetched");
                for f in feeds {
                    println!(
                        "{:<20} {:>8} {:<27} {:>10}  {} {}  {}",
                        f.name,
                        f.interval_secs.map(|s| format!("{s}s")).unwrap_or_else(|| "-".into()),
                        f.last_run_at.unwrap_or_else(|| "never".into()),
                        f.total_fetched,
                        f.url,
                        f.collection,
                        f.last_error.unwrap_or_else(|| "-".into()),
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TaxiiCommand::Feed(FeedCommand::Show { node: n, name }) => {
            let svc = node(&n).await?;
            let f = svc.taxii_feed(&ctx, &name).await;
            svc.store.close().await;
            println!("{}", serde_json::to_string_pretty(&f?).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        TaxiiCommand::Feed(FeedCommand::Run { node: n, name, quiet }) => {
            let svc = node(&n).await?;
            let code = run_pull(&svc, &ctx, &name, None, None, quiet, false).await;
            svc.store.close().await;
            code
        }
        TaxiiCommand::Feed(FeedCommand::Remove { node: n, name }) => {
            let svc = node(&n).await?;
            let r = svc.taxii_feed_remove(&ctx, &name).await;
            svc.store.close().await;
            r?;
            println!("feed '{name}' removed");
            Ok(ExitCode::SUCCESS)
        }
        TaxiiCommand::Collection(CollectionCommand::Add { node: n, title, description, alias, max_tlp, types, sectors, read_only }) => {
            let max_tlp = match max_tlp {
                Some(t) => Some(t.parse().map_err(|e| Failure(format!("--max-tlp: {e}")))?),
                None => None,
            };
            let mut secs = vec![];
            for s in sectors {
                secs.push(serde_json::from_value(serde_json::Value::String(s.clone())).map_err(|e| Failure(format!("--sector: '{s}': {e}")))?);
            }
            let svc = node(&n).await?;
            let c = svc.taxii_collection_create(&ctx, NewCollection { title, description, alias, max_tlp, types, sectors: secs, read_only }).await;
            svc.store.close().await;
            let c = c?;
            println!("{}", c.id);
            Ok(ExitCode::SUCCESS)
        }
        TaxiiCommand::Collection(CollectionCommand::List { node: n, json }) => {
            let svc = node(&n).await?;
            let cs = svc.taxii_all_collections().await;
            svc.store.close().await;
            let cs = cs?;
            if json {
                println!("{}", serde_json::to_string_pretty(&cs).unwrap_or_default());
            } else {
                for c in cs {
                    println!(
                        "{}  {:<30} max_tlp={} types={} sectors={}{}{}",
                        c.id,
                        c.title,
                        c.max_tlp.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
                        if c.types.is_empty() { "all".into() } else { c.types.join(",") },
                        if c.sectors.is_empty() { "all".into() } else { c.sectors.join(",") },
                        if c.read_only { " read-only" } else { "" },
                        if c.default { " (default)" } else { "" }
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TaxiiCommand::Collection(CollectionCommand::Remove { node: n, id }) => {
            let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| Failure(format!("'{id}' is not a collection id (a UUID)")))?;
            let svc = node(&n).await?;
            let r = svc.taxii_collection_delete(&ctx, id).await;
            svc.store.close().await;
            r?;
            println!("collection {id} removed");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn push(a: PushArgs) -> Result<ExitCode, Failure> {
    init_logging(None, None, true);
    if a.per_request == 0 || a.per_request > 100_000 {
        return Err(Failure("--per-request: must be between 1 and 100000".into()));
    }
    taxii_client::check_remote(&a.url, &a.collection)?;
    let auth = a.creds.auth()?;
    let f = std::fs::File::open(&a.file).map_err(|e| Failure(format!("{}: {e}", a.file.display())))?;
    let client = TaxiiClient::for_url(&a.url, auth, Duration::from_secs(300))?;
    let api_root = client.api_root(&a.url).await?;
    let mut stream = atalaya_stix::object::ObjectStream::new(BufReader::with_capacity(1 << 20, f));
    let pb = bar(a.quiet, None);
    let mut rep = PushReport::default();
    let mut chunk = Vec::with_capacity(a.per_request);
    let mut bad = vec![];
    loop {
        let item = stream.next();
        let end = item.is_none();
        match item {
            Some(Ok(v)) => chunk.push(v),
            Some(Err(e)) => bad.push(format!("{}: {e}", a.file.display())),
            None => {}
        }
        if chunk.len() >= a.per_request || (end && !chunk.is_empty()) {
            if let Err(e) = client.push(&api_root, &a.collection, &chunk, &mut rep).await {
                pb.finish_and_clear();
                return Err(Failure(format!("{e} ({} objects were accepted before)", rep.successes)));
            }
            chunk.clear();
            pb.set_position(rep.total);
            pb.set_message(format!("{} accepted, {} failed", rep.successes, rep.failures));
        }
        if end {
            break;
        }
    }
    pb.finish_and_clear();
    println!("{} objects sent in {} requests: {} succeeded, {} failed, {} pending", rep.total, rep.envelopes, rep.successes, rep.failures, rep.pendings);
    for m in rep.failure_messages.iter().take(50) {
        println!("failed {m}");
    }
    for e in &bad {
        eprintln!("error: {e}");
    }
    Ok(if !bad.is_empty() { ExitCode::from(1) } else if rep.failures > 0 { ExitCode::from(4) } else { ExitCode::SUCCESS })
}
