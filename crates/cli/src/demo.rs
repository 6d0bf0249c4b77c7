//! `atalaya demo`: a first look for newcomers. Starts three local nodes (three states) in one
//! process, each with its own data directory and SQLite database, seeds them through the
//! services (directory with the neighbours' CSIRTs and their constituencies, accounts with a
//! password, intelligence, a cross-border case routed and notified), asks the nodes to peer,
//! and prints the web addresses and logins. Ctrl-C stops all three; the data stays in `--dir`.
use crate::Failure;
use atalaya_model::incident::{NewIncident, NotifyRequest};
use atalaya_model::Role;
use atalaya_policy::Subject;
use atalaya_services::users::NewUser;
use atalaya_services::{Ctx, ServiceConfig, Services};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct DemoArgs {
    /// Where the three nodes keep their data (re-used on the next run).
    #[arg(long, default_value = "./atalaya-demo")]
    dir: PathBuf,
    /// First port (the nodes listen on PORT, PORT+1, PORT+2; 0 picks free ports).
    #[arg(long, default_value_t = 8080)]
    port: u16,
}

/// The demo's password for every account (printed; a demo is local and throwaway).
const PASSWORD: &str = "atalaya-demo-2026";

struct State {
    code: &'static str,
    name: &'static str,
    prefix: &'static str,
    domain: &'static str,
    asn: u32,
}

const STATES: [State; 3] = [
    State { code: "UY", name: "CERT Uruguay (demo)", prefix: "192.0.2.0/24", domain: "gub.example.uy", asn: 64501 },
    State { code: "PY", name: "CERT Paraguay (demo)", prefix: "198.51.100.0/24", domain: "gov.example.py", asn: 64502 },
    State { code: "AR", name: "CERT Argentina (demo)", prefix: "203.0.113.0/24", domain: "gob.example.ar", asn: 64503 },
];

fn fail(what: &str) -> impl Fn(atalaya_services::ServiceError) -> Failure + '_ {
    move |e| Failure(format!("demo: {what}: {e}"))
}

async fn user_ctx(svc: &Services, username: &str) -> Result<Ctx, Failure> {
    let u = svc.store.user_by_name(username).await.map_err(|e| Failure(format!("demo: {e}")))?.ok_or_else(|| Failure(format!("demo: no user {username}")))?;
    let p = svc.principal_of(&u.user).await.map_err(fail("principal"))?;
    Ok(Ctx { subject: Subject::User(p), source: "demo".into() })
}

fn indicator(name: &str, pattern: &str, tlp_id: &str, sectors: &[&str]) -> serde_json::Value {
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid::Uuid::new_v4()),
           "created": now, "modified": now, "valid_from": now, "name": name, "pattern": pattern, "pattern_type": "stix",
           "indicator_types": ["malicious-activity"], "confidence": 80, "x_atalaya_sectors": sectors,
           "object_marking_refs": [tlp_id]})
}

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";

/// First run only: accounts, directory, intelligence and (on the first node) a case.
async fn seed(i: usize, svc: &Services) -> Result<(), Failure> {
    let me = &STATES[i];
    svc.bootstrap_token("admin", None, None).await.map_err(fail("admin"))?;
    svc.operator_set_password("admin", PASSWORD.into()).await.map_err(fail("admin password"))?;
    let op = Ctx::operator();
    let home = svc.store.org_home().await.map_err(|e| Failure(format!("demo: {e}")))?.ok_or_else(|| Failure("demo: no home organisation".into()))?;
    for (name, role) in [("analyst", Role::Analyst), ("duty", Role::DutyOfficer), ("reader", Role::ReadOnly), ("auditor", Role::Auditor)] {
        let u = NewUser { username: name.into(), organisation_id: home.id, role, display_name: None, password: Some(PASSWORD.into()) };
        svc.create_user(&op, u).await.map_err(fail("user"))?;
    }
    // The home organisation's constituency, and the neighbours' national CSIRTs with theirs.
    let admin = user_ctx(svc, "admin").await?;
    let patch = serde_json::from_value(json!({"constituency": {"prefixes": [me.prefix], "domains": [me.domain], "asns": [me.asn]}, "sectors": ["government"]}))
        .map_err(|e| Failure(format!("demo: {e}")))?;
    svc.update_organisation(&admin, home.id, patch, None).await.map_err(fail("home constituency"))?;
    for (j, other) in STATES.iter().enumerate() {
        if j == i {
            continue;
        }
        let org = serde_json::from_value(json!({"name": other.name, "kind": "national-csirt", "country": other.code, "sectors": ["government"],
            "constituency": {"prefixes": [other.prefix], "domains": [other.domain], "asns": [other.asn]}}))
            .map_err(|e| Failure(format!("demo: {e}")))?;
        svc.create_organisation(&admin, org).await.map_err(fail("organisation"))?;
    }
    // Intelligence of this state.
    let analyst = user_ctx(svc, "analyst").await?;
    let prefix_host = me.prefix.trim_end_matches(".0/24");
    let objects = vec![
        indicator(&format!("C2 server seen by {}", me.code), &format!("[ipv4-addr:value = '{prefix_host}.66']"), GREEN, &["government"]),
        indicator(&format!("Phishing domain against {}", me.domain), &format!("[domain-name:value = 'login-{}']", me.domain), AMBER, &["finance"]),
        indicator("Ransomware payload (SHA-256)", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", CLEAR, &["healthcare"]),
        indicator("Shared scanner 203.0.113.250", "[ipv4-addr:value = '203.0.113.250']", GREEN, &["energy"]),
    ];
    svc.import_batch(&analyst, objects, 0, &Default::default()).await.map_err(fail("intelligence"))?;
    if i == 0 {
        let input: NewIncident = serde_json::from_value(json!({
            "title": "Ransomware C2 infrastructure across three states",
            "description": "Beaconing from government networks towards C2 servers hosted in the region.",
            "rsit": {"class": "malicious-code", "type": "c2-server"}, "severity": 3, "tlp": "TLP:AMBER",
            "sectors": ["government", "healthcare"], "affected_states": ["UY", "PY", "AR"],
            "observables": ["198.51.100.23", "203.0.113.250", "portal.gov.example.py", "AS64503", "evil.example.com"]}))
        .map_err(|e| Failure(format!("demo: {e}")))?;
        let case = svc.create_incident(&analyst, input).await.map_err(fail("case"))?;
        svc.notify_incident(&analyst, case.id, NotifyRequest { organisations: vec![], states: vec![], routed: true }).await.map_err(fail("notify"))?;
        let exercise: NewIncident = serde_json::from_value(json!({
            "title": "Regional exercise: DDoS on payment systems", "rsit": {"class": "availability", "type": "ddos"},
            "severity": 2, "exercise": true, "affected_states": ["PY"], "tlp": "TLP:GREEN"}))
        .map_err(|e| Failure(format!("demo: {e}")))?;
        svc.create_incident(&analyst, exercise).await.map_err(fail("exercise"))?;
    }
    Ok(())
}

pub(crate) async fn run(args: DemoArgs) -> Result<ExitCode, Failure> {
    crate::init_logging(None, None, true);
    std::fs::create_dir_all(&args.dir).map_err(|e| Failure(format!("--dir {}: {e}", args.dir.display())))?;
    let mut nodes = vec![];
    for (i, st) in STATES.iter().enumerate() {
        let dir = args.dir.join(st.code.to_lowercase());
        let fresh = !dir.join("demo-seeded").exists();
        let cfg = ServiceConfig { node_name: st.name.into(), node_country: Some(st.code.into()), ..Default::default() };
        let svc = Services::open(&dir, None, cfg).await?;
        let port = if args.port == 0 { 0 } else { args.port.saturating_add(i as u16) };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| Failure(format!("--port: cannot listen on 127.0.0.1:{port}: {e}")))?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| Failure(e.to_string()))?);
        svc.federation_start(&url);
        if fresh {
            eprintln!("seeding {} ({}) …", st.name, st.code);
            seed(i, &svc).await?;
            std::fs::write(dir.join("demo-seeded"), b"").map_err(|e| Failure(format!("demo: {e}")))?;
        }
        nodes.push((svc, listener, url, fresh));
    }
    // Serve first: peering calls the other nodes over HTTP.
    let all_fresh = nodes.iter().all(|n| n.3);
    let mut tasks = vec![];
    let mut running = vec![];
    for (svc, listener, url, _) in nodes {
        let background = atalaya_services::incidents::spawn_background(svc.clone());
        running.push((svc.clone(), url));
        tasks.push(tokio::spawn(async move {
            let r = atalaya_api::serve(listener, svc, atalaya_api::HttpConfig::default(), crate::shutdown_signal()).await;
            background.abort();
            r
        }));
    }
    // Peering (first run): the first node asks the others; they accept (both administrators consent).
    if all_fresh {
        let admin0 = user_ctx(&running[0].0, "admin").await?;
        for j in 1..running.len() {
            let url = running[j].1.clone();
            if let Err(e) = running[0].0.peer_add(&admin0, &url, false, Some("atalaya demo".into())).await {
                eprintln!("note: peering with {url} failed: {e}");
                continue;
            }
            let admin = user_ctx(&running[j].0, "admin").await?;
            match running[j].0.peer_list(&admin).await {
                Ok(peers) => {
                    for p in peers.iter().filter(|p| p.state.contains("pending")) {
                        if let Err(e) = running[j].0.peer_accept(&admin, &p.id, false).await {
                            eprintln!("note: accepting the peer request on {url} failed: {e}");
                        }
                    }
                }
                Err(e) => eprintln!("note: {e}"),
            }
        }
    }
    println!("Atalaya demo: three nodes, one per state (data in {}).", args.dir.display());
    println!();
    for ((_, url), st) in running.iter().zip(STATES.iter()) {
        println!("  {} ({})  {url}/ui/", st.name, st.code);
    }
    println!();
    println!("Logins on every node (password: {PASSWORD}):");
    println!("  admin    administrator (federation peers, audit log)");
    println!("  analyst  analyst (intelligence, cases: the cross-border case is on the UY node)");
    println!("  duty     duty officer");
    println!("  reader   read-only");
    println!("  auditor  auditor (audit log)");
    println!();
    println!("Press Ctrl-C to stop.");
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(Failure(format!("server error: {e}"))),
            Err(e) => return Err(Failure(format!("server task: {e}"))),
        }
    }
    Ok(ExitCode::SUCCESS)
}
