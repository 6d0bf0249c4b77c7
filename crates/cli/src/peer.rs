//! `atalaya peer …`: the operator's view of federation peers, on the node's store (the running
//! node picks changes up within a second).
use crate::{init_logging, load, open, Failure, NodeArgs};
use atalaya_services::federation::{PeerView, RetractInput};
use atalaya_services::Ctx;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub(crate) enum PeerCommand {
    /// Ask another node for peering (its administrators compare fingerprints and accept).
    Add {
        #[command(flatten)]
        node: NodeArgs,
        /// Base URL of the other node, e.g. https://csirt.example.
        url: String,
        /// The other node is a relay (hub) that forwards for nodes behind it.
        #[arg(long)]
        relay: bool,
        /// A note to the other administrators.
        #[arg(long)]
        message: Option<String>,
    },
    /// Known nodes with state, fingerprint, lag, last error and last contact.
    List {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// One peer in detail (ID: node id or at least 8 hex digits of its fingerprint).
    Show {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
    },
    /// Accept a pending peer request (compare the fingerprint out of band first).
    Accept {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
        /// The peer is a relay (hub) that forwards for nodes behind it.
        #[arg(long)]
        relay: bool,
    },
    /// Reject a pending request, or end an active peering.
    Reject {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Revoke a peer's key: its messages and the items it signed (also through relays) are
    /// refused and audited from now on; nothing more is sent to it. Final (remove, then peer anew).
    Revoke {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Set when a peer's key expires (RFC 3339, e.g. 2027-06-30T00:00:00Z), or clear it.
    Expire {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
        /// The instant after which the key is refused.
        #[arg(long, conflicts_with = "never", required_unless_present = "never")]
        at: Option<String>,
        /// The key does not expire.
        #[arg(long)]
        never: bool,
    },
    /// End the peering and forget the node.
    Remove {
        #[command(flatten)]
        node: NodeArgs,
        id: String,
    },
    /// Revoke, delete or narrow the distribution of one of this node's objects everywhere it went.
    Retract {
        #[command(flatten)]
        node: NodeArgs,
        /// STIX id of the object.
        stix_id: String,
        /// revoke, delete or downgrade.
        #[arg(long)]
        action: String,
        /// One version to delete (default: every version).
        #[arg(long)]
        version: Option<String>,
        #[arg(long, default_value = "")]
        reason: String,
        /// For downgrade: the new distribution as JSON, e.g. '{"organisations":["…"]}'.
        #[arg(long)]
        distribution: Option<String>,
    },
}

fn print_peer(p: &PeerView) {
    println!("id:            {}", p.id);
    println!("name:          {}", p.name);
    println!("state:         {}", p.state);
    println!("fingerprint:   {}", p.fingerprint);
    println!("node id:       {}", p.node_id);
    println!("url:           {}", p.url);
    println!("country:       {}", p.country.as_deref().unwrap_or("-"));
    println!("relay:         {}", if p.relay { "yes" } else { "no" });
    if let Some(v) = &p.via {
        println!("via relay:     {v}");
    }
    if let Some(m) = &p.message {
        println!("message:       {m}");
    }
    println!("lag:           {}", p.lag);
    println!("acked:         {}", p.acked.as_deref().unwrap_or("-"));
    println!("applied:       {}", p.applied.as_deref().unwrap_or("-"));
    println!("last contact:  {}", p.last_contact.as_deref().unwrap_or("never"));
    println!("last delivery: {}", p.last_delivery.as_deref().unwrap_or("never"));
    println!("last error:    {}", p.last_error.as_deref().unwrap_or("-"));
    println!("key expires:   {}", p.key_expires_at.as_deref().unwrap_or("never"));
}

pub(crate) async fn run(cmd: PeerCommand) -> Result<ExitCode, Failure> {
    let node = match &cmd {
        PeerCommand::Add { node, .. }
        | PeerCommand::List { node }
        | PeerCommand::Show { node, .. }
        | PeerCommand::Accept { node, .. }
        | PeerCommand::Reject { node, .. }
        | PeerCommand::Remove { node, .. }
        | PeerCommand::Revoke { node, .. }
        | PeerCommand::Expire { node, .. }
        | PeerCommand::Retract { node, .. } => node.clone(),
    };
    let l = load(&node)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    let svc = open(&l).await?;
    let ctx = Ctx::operator();
    let out = match cmd {
        PeerCommand::Add { url, relay, message, .. } => {
            let p = svc.peer_add(&ctx, &url, relay, message).await?;
            eprintln!("peer request sent; compare this fingerprint with the other administrator, out of band:");
            print_peer(&p);
            Ok(ExitCode::SUCCESS)
        }
        PeerCommand::List { .. } => {
            let peers = svc.peer_list(&ctx).await?;
            println!("{:<16}  {:<9}  {:>6}  {:<24}  {:<20}  {}", "ID", "STATE", "LAG", "NAME", "LAST CONTACT", "LAST ERROR");
            for p in peers {
                println!(
                    "{:<16}  {:<9}  {:>6}  {:<24}  {:<20}  {}",
                    p.id,
                    p.state,
                    p.lag,
                    p.name.chars().take(24).collect::<String>(),
                    p.last_contact.as_deref().map(|s| s.chars().take(19).collect::<String>()).unwrap_or_else(|| "never".into()),
                    p.last_error.as_deref().unwrap_or("-")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PeerCommand::Show { id, .. } => {
            print_peer(&svc.peer_show(&ctx, &id).await?);
            Ok(ExitCode::SUCCESS)
        }
        PeerCommand::Accept { id, relay, .. } => {
            print_peer(&svc.peer_accept(&ctx, &id, relay).await?);
            Ok(ExitCode::SUCCESS)
        }
        PeerCommand::Reject { id, reason, .. } => {
            print_peer(&svc.peer_reject(&ctx, &id, reason).await?);
            Ok(ExitCode::SUCCESS)
        }
        PeerCommand::Revoke { id, reason, .. } => {
            print_peer(&svc.peer_revoke(&ctx, &id, reason).await?);
            Ok(ExitCode::SUCCESS)
        }
        PeerCommand::Expire { id, at, .. } => {
            let at = match at {
                Some(a) => Some(
                    time::OffsetDateTime::parse(a.trim(), &time::format_description::well_known::Rfc3339)
                        .map_err(|_| Failure(format!("--at: {a:?} is not an RFC 3339 timestamp (e.g. 2027-06-30T00:00:00Z)")))?,
                ),
                None => None,
            };
            print_peer(&svc.peer_set_key_expiry(&ctx, &id, at).await?);
            Ok(ExitCode::SUCCESS)
        }
        PeerCommand::Remove { id, .. } => {
            svc.peer_remove(&ctx, &id).await?;
            eprintln!("peer removed");
            Ok(ExitCode::SUCCESS)
        }
        PeerCommand::Retract { stix_id, action, version, reason, distribution, .. } => {
            let distribution = match distribution {
                Some(d) => Some(serde_json::from_str(&d).map_err(|e| Failure(format!("--distribution: {e}")))?),
                None => None,
            };
            let r = svc.federation_retract(&ctx, RetractInput { stix_id, action, version, reason, distribution }).await?;
            println!("{} {}: {} peer(s) notified", r.action, r.stix_id, r.notified.len());
            Ok(ExitCode::SUCCESS)
        }
    };
    svc.store.close().await;
    out
}
