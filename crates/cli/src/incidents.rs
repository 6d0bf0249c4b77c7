//! `atalaya incident …` (talks to a running node over its REST API) and `atalaya feed import`
//! (the CSV feed job, offline on the node's store), plus the `[incidents]` configuration.
use crate::{init_logging, load, open, Failure, NodeArgs};
use atalaya_services::incidents::{Deadline, IncidentsConfig};
use atalaya_services::notify::{SmtpSecurity, SmtpSettings, WebhookSettings};
use atalaya_services::{Ctx, ServiceConfig};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Configuration: [incidents]

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentsSection {
    /// Directory of IP-to-country CSV files (default DATA_DIR/ip-country).
    pub ip_country_dir: Option<PathBuf>,
    /// Notify routed states automatically from this severity (0–4) on.
    pub auto_notify_min_severity: Option<u8>,
    pub max_attempts: Option<i64>,
    pub tick_secs: Option<u64>,
    pub public_url: Option<String>,
    #[serde(default)]
    pub deadlines: DeadlinesSection,
    pub smtp: Option<SmtpSection>,
    #[serde(default)]
    pub webhooks: Vec<WebhookSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesSection {
    pub informational: Option<DeadlineSection>,
    pub low: Option<DeadlineSection>,
    pub medium: Option<DeadlineSection>,
    pub high: Option<DeadlineSection>,
    pub critical: Option<DeadlineSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSection {
    pub acknowledge_minutes: u64,
    pub first_update_minutes: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSection {
    pub host: String,
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    pub security: Option<String>,
    pub username: Option<String>,
    /// Better in `ATALAYA_SMTP_PASSWORD`.
    pub password: Option<String>,
    pub from: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    pub url: String,
    pub secret: String,
}

/// Applies `[incidents]` (and `ATALAYA_SMTP_PASSWORD`, `ATALAYA_TEST_CLOCK_HOOK`) to the services configuration.
pub fn configure(service: &mut ServiceConfig, s: &IncidentsSection, data_dir: &Path) -> Result<(), Failure> {
    let mut c = IncidentsConfig { data_dir: Some(data_dir.to_path_buf()), ..IncidentsConfig::default() };
    c.ip_country_dir = s.ip_country_dir.clone();
    if let Some(n) = s.auto_notify_min_severity {
        if n > 4 {
            return Err(Failure("incidents.auto_notify_min_severity: must be 0–4".into()));
        }
        c.auto_notify_min_severity = Some(n);
    }
    if let Some(n) = s.max_attempts {
        c.max_attempts = n.max(1);
    }
    if let Some(t) = s.tick_secs {
        c.tick = Duration::from_secs(t.max(1));
    }
    c.public_url = s.public_url.clone();
    let d = &s.deadlines;
    for (i, v) in [&d.informational, &d.low, &d.medium, &d.high, &d.critical].into_iter().enumerate() {
        if let Some(v) = v {
            c.deadlines[i] = Some(Deadline {
                acknowledge: Duration::from_secs(v.acknowledge_minutes * 60),
                first_update: Duration::from_secs(v.first_update_minutes * 60),
            });
        }
    }
    if let Some(m) = &s.smtp {
        let security = match m.security.as_deref().unwrap_or("starttls") {
            "starttls" => SmtpSecurity::StartTls,
            "tls" => SmtpSecurity::Tls,
            "none" => SmtpSecurity::None,
            other => return Err(Failure(format!("incidents.smtp.security: expected starttls, tls or none, got '{other}'"))),
        };
        let port = m.port.unwrap_or(match security {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        });
        c.smtp = Some(SmtpSettings {
            host: m.host.clone(),
            port,
            security,
            username: m.username.clone(),
            password: std::env::var("ATALAYA_SMTP_PASSWORD").ok().or_else(|| m.password.clone()),
            from: m.from.clone(),
        });
    }
    for (i, w) in s.webhooks.iter().enumerate() {
        if !(w.url.starts_with("https://") || w.url.starts_with("http://")) {
            return Err(Failure(format!("incidents.webhooks[{i}].url: expected an http(s) URL")));
        }
        if w.secret.len() < 16 {
            return Err(Failure(format!("incidents.webhooks[{i}].secret: at least 16 characters")));
        }
        c.webhooks.push(WebhookSettings { url: w.url.clone(), secret: w.secret.clone() });
    }
    c.test_clock_hook = std::env::var("ATALAYA_TEST_CLOCK_HOOK").as_deref() == Ok("1");
    service.incidents = c;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// atalaya incident …

#[derive(Args, Clone)]
pub struct Remote {
    /// Base URL of the node, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "ATALAYA_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Bearer token.
    #[arg(long, env = "ATALAYA_TOKEN")]
    token: String,
    /// Print the JSON answer instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Open a case; prints its id.
    Create {
        #[command(flatten)]
        remote: Remote,
        #[arg(long)]
        title: String,
        /// RSIT classification: rsit:CLASS="TYPE" or CLASS/TYPE.
        #[arg(long)]
        rsit: String,
        /// 0 informational, 1 low, 2 medium, 3 high, 4 critical (or the word).
        #[arg(long)]
        severity: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, default_value = "TLP:AMBER")]
        tlp: String,
        /// STIX industry sector (repeatable).
        #[arg(long = "sector")]
        sectors: Vec<String>,
        /// Observable (repeatable): IP, prefix, domain, URL, e-mail, ASN.
        #[arg(long = "observable")]
        observables: Vec<String>,
        /// An exercise: marked everywhere, out of statistics, never sent to real contacts.
        #[arg(long)]
        exercise: bool,
        /// For exercises: an address that may receive the exercise's messages (repeatable).
        #[arg(long = "exercise-recipient")]
        exercise_recipients: Vec<String>,
    },
    /// Cases visible to you.
    List {
        #[command(flatten)]
        remote: Remote,
        /// true: exercises only; false: real cases only.
        #[arg(long)]
        exercise: Option<bool>,
    },
    /// One case with participants, deadlines and timeline.
    Show {
        #[command(flatten)]
        remote: Remote,
        id: String,
    },
    /// Where the case's observables go, with the reasoning.
    Route {
        #[command(flatten)]
        remote: Remote,
        id: String,
    },
    /// Add observables to a case; prints the routing proposal.
    Observe {
        #[command(flatten)]
        remote: Remote,
        id: String,
        observables: Vec<String>,
    },
    /// Notify the routed organisations (--routed), states' national CSIRTs (--state) or organisations (--org).
    Notify {
        #[command(flatten)]
        remote: Remote,
        id: String,
        #[arg(long)]
        routed: bool,
        #[arg(long = "state")]
        states: Vec<String>,
        #[arg(long = "org")]
        orgs: Vec<String>,
    },
    /// Acknowledge a case for your organisation.
    Ack {
        #[command(flatten)]
        remote: Remote,
        id: String,
    },
    /// Set your organisation's status: investigating, mitigated, closed, declined (with --reason).
    Status {
        #[command(flatten)]
        remote: Remote,
        id: String,
        status: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Statistics by state and sector (exercises excluded).
    Stats {
        #[command(flatten)]
        remote: Remote,
    },
}

async fn call(r: &Remote, method: &str, path: &str, body: Option<Value>) -> Result<Value, Failure> {
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(120)).build().map_err(|e| Failure(e.to_string()))?;
    let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| Failure(e.to_string()))?;
    let mut req = client.request(m, format!("{}{}", r.url.trim_end_matches('/'), path)).bearer_auth(&r.token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.map_err(|e| Failure(format!("{}: {e}", r.url)))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| Failure(e.to_string()))?;
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if !status.is_success() {
        let detail = v.get("detail").and_then(Value::as_str).unwrap_or(text.as_str());
        return Err(Failure(format!("HTTP {}: {detail}", status.as_u16())));
    }
    Ok(v)
}

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    }
}

fn print_proposal(p: &Value) {
    for r in p["proposed"].as_array().into_iter().flatten() {
        println!(
            "{} ({}){}: {} observable(s)",
            s(&r["organisation"], "name"),
            s(r, "state"),
            if r["participating"].as_bool() == Some(true) { " [participating]" } else { "" },
            r["observables"]
        );
        for why in r["reasons"].as_array().into_iter().flatten() {
            println!("    {}", why.as_str().unwrap_or(""));
        }
    }
    for c in p["states_without_csirt"].as_array().into_iter().flatten() {
        println!("no national CSIRT in the directory for {}", c.as_str().unwrap_or(""));
    }
    println!("{} observable(s), {} unrouted", p["observables"], p["unrouted"]);
}

pub async fn incident(cmd: IncidentCommand) -> Result<ExitCode, Failure> {
    match cmd {
        IncidentCommand::Create { remote, title, rsit, severity, description, tlp, sectors, observables, exercise, exercise_recipients } => {
            let sev: atalaya_model::incident::Severity = severity.parse().map_err(|e| Failure(format!("--severity: {e}")))?;
            let tlp: atalaya_model::Tlp = tlp.parse().map_err(|e| Failure(format!("--tlp: {e}")))?;
            let rsit: atalaya_model::incident::Rsit = rsit.parse().map_err(|e| Failure(format!("--rsit: {e}")))?;
            for (i, o) in observables.iter().enumerate() {
                o.parse::<atalaya_model::incident::Observable>().map_err(|e| Failure(format!("--observable #{}: {e}", i + 1)))?;
            }
            let body = json!({"title": title, "rsit": rsit, "severity": sev, "description": description, "tlp": tlp,
                "sectors": sectors, "observables": observables, "exercise": exercise, "exercise_recipients": exercise_recipients});
            let v = call(&remote, "POST", "/api/v1/incidents", Some(body)).await?;
            if remote.json {
                println!("{v}");
            } else {
                println!("{}", s(&v, "id"));
            }
        }
        IncidentCommand::List { remote, exercise } => {
            let q = exercise.map(|e| format!("?exercise={e}")).unwrap_or_default();
            let v = call(&remote, "GET", &format!("/api/v1/incidents{q}"), None).await?;
            if remote.json {
                println!("{v}");
            } else {
                for c in v.as_array().into_iter().flatten() {
                    println!(
                        "{}  sev {}  {:<16}  {}{}  ({} participant(s))",
                        s(c, "id"),
                        c["severity"],
                        s(c, "tlp"),
                        if c["exercise"].as_bool() == Some(true) { "[EXERCISE] " } else { "" },
                        s(c, "title"),
                        c["participants"]
                    );
                }
            }
        }
        IncidentCommand::Show { remote, id } => {
            let v = call(&remote, "GET", &format!("/api/v1/incidents/{id}"), None).await?;
            if remote.json {
                println!("{v}");
                return Ok(ExitCode::SUCCESS);
            }
            if v["exercise"].as_bool() == Some(true) {
                println!("*** EXERCISE ***");
            }
            println!("{}  {}", s(&v, "id"), s(&v, "title"));
            println!("rsit:{}=\"{}\"  severity {} ({})  {}  phase {}", s(&v["rsit"], "class"), s(&v["rsit"], "type"), v["severity"], s(&v, "severity_label"), s(&v, "tlp"), s(&v, "phase"));
            println!("observables: {}", v["observables"].as_array().map(Vec::len).unwrap_or(0));
            for p in v["participants"].as_array().into_iter().flatten() {
                println!("  {} ({}): {}  ack due {}  update due {}  escalated {}", s(p, "org_name"), s(p, "state"), s(p, "status"), s(p, "ack_due"), s(p, "update_due"), s(p, "escalated_at"));
            }
            let t = call(&remote, "GET", &format!("/api/v1/incidents/{id}/timeline"), None).await?;
            for e in t.as_array().into_iter().flatten() {
                println!("{}  {:<12} {}  {}", s(e, "at"), s(e, "kind"), s(e, "actor"), s(e, "text"));
            }
        }
        IncidentCommand::Route { remote, id } => {
            let v = call(&remote, "GET", &format!("/api/v1/incidents/{id}/routing"), None).await?;
            if remote.json {
                println!("{v}");
            } else {
                print_proposal(&v);
            }
        }
        IncidentCommand::Observe { remote, id, observables } => {
            for (i, o) in observables.iter().enumerate() {
                o.parse::<atalaya_model::incident::Observable>().map_err(|e| Failure(format!("observable #{}: {e}", i + 1)))?;
            }
            let v = call(&remote, "POST", &format!("/api/v1/incidents/{id}/observables"), Some(json!({"observables": observables}))).await?;
            if remote.json {
                println!("{v}");
            } else {
                print_proposal(&v);
            }
        }
        IncidentCommand::Notify { remote, id, routed, states, orgs } => {
            let v = call(&remote, "POST", &format!("/api/v1/incidents/{id}/notify"), Some(json!({"routed": routed, "states": states, "organisations": orgs}))).await?;
            if remote.json {
                println!("{v}");
            } else {
                for p in v["participants"].as_array().into_iter().flatten() {
                    println!("{} ({}): {}", s(p, "org_name"), s(p, "state"), s(p, "status"));
                }
            }
        }
        IncidentCommand::Ack { remote, id } => {
            let v = call(&remote, "POST", &format!("/api/v1/incidents/{id}/status"), Some(json!({"status": "acknowledged"}))).await?;
            println!("{} ({}): {}", s(&v, "org_name"), s(&v, "state"), s(&v, "status"));
        }
        IncidentCommand::Status { remote, id, status, reason } => {
            let v = call(&remote, "POST", &format!("/api/v1/incidents/{id}/status"), Some(json!({"status": status, "reason": reason}))).await?;
            println!("{} ({}): {}", s(&v, "org_name"), s(&v, "state"), s(&v, "status"));
        }
        IncidentCommand::Stats { remote } => {
            let v = call(&remote, "GET", "/api/v1/incidents/statistics", None).await?;
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// atalaya feed import

#[derive(Subcommand)]
pub enum FeedCommand {
    /// Import a CSV feed of events (header with `time` and `ip`, `url` and/or `domain`):
    /// parsed, routed to state and constituency, de-duplicated, stored.
    Import {
        #[command(flatten)]
        node: NodeArgs,
        path: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[arg(long)]
        quiet: bool,
    },
}

pub async fn feed(cmd: FeedCommand) -> Result<ExitCode, Failure> {
    let FeedCommand::Import { node, path, json, quiet } = cmd;
    let l = load(&node)?;
    init_logging(l.file.log.format.as_deref(), l.file.log.level.as_deref(), true);
    let text = std::fs::read_to_string(&path).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    let svc = open(&l).await?;
    let bar = ProgressBar::new(text.len() as u64);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar.set_message("routing");
    let started = std::time::Instant::now();
    let source = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "feed".into());
    let progress = |n: u64| bar.set_position(n);
    let report = svc.import_feed(&Ctx::operator(), &source, &text, &progress).await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    svc.store.close().await;
    if json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        println!(
            "{} rows: {} stored, {} duplicates, {} rejected in {:.2} s ({:.0} events/s)",
            report.rows,
            report.stored,
            report.duplicates,
            report.rejected,
            secs,
            report.rows as f64 / secs.max(1e-9)
        );
        for (state, n) in &report.by_state {
            println!("  {state}: {n}");
        }
        for e in &report.errors {
            eprintln!("rejected: {e}");
        }
    }
    Ok(if report.rejected > 0 { ExitCode::from(4) } else { ExitCode::SUCCESS })
}
