//! Leak test: random organisations, users, roles and objects at every TLP and distribution;
//! every read path (REST list, REST get, search, export as STIX and as blocklist, correlation,
//! TAXII 2.1 collection, MISP feed) must show each viewer exactly what an independent statement
//! of the TLP rules allows.
use atalaya_testkit::{Backend, TestNode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use md5::Digest;
use std::path::Path;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

#[derive(Clone)]
struct Viewer {
    name: String,
    token: Option<String>,
    user_id: Option<String>,
    org: Option<String>,
    country: Option<String>,
    role: String,
}

struct Obj {
    id: String,
    value: String,
    tlp: usize,
    owner: String,
    importer: String,
    network: bool,
    orgs: Vec<String>,
    states: Vec<String>,
    named: Vec<String>,
}

const TLPS: [(&str, &str); 5] = [
    ("TLP:CLEAR", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"),
    ("TLP:GREEN", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
    ("TLP:AMBER", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
    ("TLP:AMBER+STRICT", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
    ("TLP:RED", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"),
];

/// The TLP 2.0 rules as a table, written independently of atalaya-policy.
fn expected(v: &Viewer, o: &Obj) -> bool {
    let Some(user) = &v.user_id else { return o.tlp == 0 };
    let org = v.org.as_deref().unwrap_or("");
    let ntk = !matches!(v.role.as_str(), "partner" | "auditor");
    let own = org == o.owner;
    let explicit = o.orgs.iter().any(|x| x == org);
    let expanded = o.network || explicit || v.country.as_ref().is_some_and(|c| o.states.contains(c));
    match o.tlp {
        0 => true,
        1 => own || expanded,
        2 => ntk && (own || expanded),
        3 => ntk && (own || explicit),
        _ => {
            if o.named.is_empty() {
                *user == o.importer
            } else {
                o.named.contains(user)
            }
        }
    }
}

async fn run_case(backend: Backend, seed: u64, objects: usize) {
    let n = TestNode::start(bin(), backend).await;
    let admin = n.admin_token.clone();
    let mut rng = Rng(seed);
    // Organisations: (name, kind, country, roles of its users)
    let plan: [(&str, &str, &str, &[&str]); 4] = [
        ("Alpha CSIRT", "national-csirt", "BR", &["analyst", "read-only", "auditor"]),
        ("Bravo CSIRT", "national-csirt", "AR", &["analyst", "admin"]),
        ("Charlie Bank", "partner", "BR", &["partner", "read-only"]),
        ("Delta Police", "law-enforcement-cyber-unit", "MX", &["law-enforcement"]),
    ];
    let mut viewers = vec![Viewer { name: "anonymous".into(), token: None, user_id: None, org: None, country: None, role: "none".into() }];
    let mut writers: Vec<(String, Viewer)> = vec![];
    for (i, (name, kind, country, roles)) in plan.iter().enumerate() {
        let (s, org) = n.post("/api/v1/organisations", Some(&admin), &json!({"name": name, "kind": kind, "country": country})).await;
        assert_eq!(s, 201, "{org}");
        let org_id = org["id"].as_str().expect("id").to_string();
        for (j, role) in roles.iter().enumerate() {
            let username = format!("u{i}{j}");
            let (s, u) = n.post("/api/v1/users", Some(&admin), &json!({"username": username, "organisation_id": org_id, "role": role, "password": "correct horse battery"})).await;
            assert_eq!(s, 201, "{u}");
            let (_, login) = n.post("/api/v1/auth/login", None, &json!({"username": username, "password": "correct horse battery"})).await;
            let v = Viewer {
                name: format!("{username} ({role} of {name})"),
                token: Some(login["token"].as_str().expect("token").to_string()),
                user_id: Some(u["id"].as_str().expect("uid").to_string()),
                org: Some(org_id.clone()),
                country: Some(country.to_string()),
                role: role.to_string(),
            };
            if matches!(*role, "analyst" | "admin" | "law-enforcement") {
                writers.push((org_id.clone(), v.clone()));
            }
            viewers.push(v);
        }
    }
    let org_ids: Vec<String> = viewers.iter().filter_map(|v| v.org.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let user_ids: Vec<String> = viewers.iter().filter_map(|v| v.user_id.clone()).collect();
    let mut objs = vec![];
    for i in 0..objects {
        let (owner, writer) = writers[rng.below(writers.len() as u64) as usize].clone();
        let tlp = rng.below(5) as usize;
        let mut o = Obj {
            id: format!("indicator--{:08x}-0000-4000-8000-{:012x}", seed as u32, i),
            value: format!("45.{}.{}.{}", seed % 200, i / 250, i % 250 + 1),
            tlp,
            owner,
            importer: writer.user_id.clone().expect("writer"),
            network: false,
            orgs: vec![],
            states: vec![],
            named: vec![],
        };
        let mut query = vec![];
        match rng.below(4) {
            0 => o.network = true,
            1 => {
                for org in &org_ids {
                    if rng.chance(40) {
                        o.orgs.push(org.clone());
                    }
                }
                query.push(format!("organisations={}", o.orgs.join(",")));
            }
            2 => {
                for c in ["BR", "AR", "MX"] {
                    if rng.chance(50) {
                        o.states.push(c.to_string());
                    }
                }
                query.push(format!("states={}", o.states.join(",")));
            }
            _ => {}
        }
        if o.network {
            query.push("network=true".into());
        }
        if tlp == 4 && rng.chance(60) {
            for u in &user_ids {
                if rng.chance(30) {
                    o.named.push(u.clone());
                }
            }
            if !o.named.is_empty() {
                query.push(format!("named_users={}", o.named.join(",")));
            }
        }
        if query.is_empty() {
            o.network = true; // no parameter: the whole network
        }
        let body = json!({"type": "bundle", "id": format!("bundle--{:08x}-1111-4111-8111-{:012x}", seed as u32, i), "objects": [{
            "type": "indicator", "spec_version": "2.1", "id": o.id, "created": "2026-05-01T00:00:00.000Z", "modified": "2026-05-01T00:00:00.000Z",
            "name": format!("leakcase {i}"), "pattern": format!("[ipv4-addr:value = '{}']", o.value), "pattern_type": "stix",
            "valid_from": "2026-05-01T00:00:00Z", "object_marking_refs": [TLPS[tlp].1]}]});
        let path = format!("/api/v1/stix/bundles?{}", query.join("&"));
        let (s, r) = n.post(&path, writer.token.as_deref(), &body).await;
        assert_eq!((s, r["stored"].as_u64()), (200, Some(1)), "{path}: {r}");
        objs.push(o);
    }
    let (s, colls) = n.get("/taxii2/api/collections/", Some(&admin)).await;
    let taxii_collection = if s == 200 {
        colls["collections"][0]["id"].as_str().expect("a default TAXII collection").to_string()
    } else {
        // The TAXII endpoints negotiate their media type: ask with the TAXII Accept header.
        let r = n
            .client()
            .get(format!("{}/taxii2/api/collections/", n.url))
            .header("accept", "application/taxii+json;version=2.1")
            .bearer_auth(&admin)
            .send()
            .await
            .expect("taxii collections");
        let body: Value = r.json().await.expect("json");
        body["collections"][0]["id"].as_str().expect("a default TAXII collection").to_string()
    };
    let mut checks = 0usize;
    let mut feed_hits = 0usize;
    for v in &viewers {
        let want: BTreeSet<String> = objs.iter().filter(|o| expected(v, o)).map(|o| o.id.clone()).collect();
        let want_values: BTreeSet<String> = objs.iter().filter(|o| expected(v, o)).map(|o| o.value.clone()).collect();
        let tok = v.token.as_deref();
        let ids = |list: &Value, key: &str| -> BTreeSet<String> {
            list.as_array().map(|a| a.iter().filter_map(|x| x[key].as_str().map(str::to_string)).collect()).unwrap_or_default()
        };
        let (s, list) = n.get("/api/v1/stix/objects?limit=1000&type=indicator", tok).await;
        assert_eq!(s, 200);
        assert_eq!(ids(&list, "id"), want, "REST list for {} (seed {seed})", v.name);
        let (s, hits) = n.get("/api/v1/stix/search?q=leakcase&limit=1000", tok).await;
        assert_eq!(s, 200);
        assert_eq!(ids(&hits, "id"), want, "search for {} (seed {seed})", v.name);
        let (s, bundle) = n.get("/api/v1/stix/export?format=stix&type=indicator", tok).await;
        assert_eq!(s, 200);
        assert_eq!(ids(&bundle["objects"], "id"), want, "STIX export for {} (seed {seed})", v.name);
        let mut req = n.client().get(format!("{}/api/v1/stix/export?format=blocklist", n.url));
        if let Some(t) = tok {
            req = req.bearer_auth(t);
        }
        let text = req.send().await.expect("blocklist").text().await.expect("text");
        let got: BTreeSet<String> = text.lines().map(str::to_string).collect();
        assert_eq!(got, want_values, "blocklist for {} (seed {seed})", v.name);
        let (s, corr) = n.get(&format!("/api/v1/stix/correlate?value=45.{}.0.0/16&limit=1000", seed % 200), tok).await;
        assert_eq!(s, 200, "{corr}");
        assert_eq!(ids(&corr["matches"], "id"), want, "correlation for {} (seed {seed})", v.name);
        // TAXII 2.1: the default collection shows the same objects as the REST API.
        let mut req = n
            .client()
            .get(format!("{}/taxii2/api/collections/{taxii_collection}/objects/?match[type]=indicator&limit=1000", n.url))
            .header("accept", "application/taxii+json;version=2.1");
        if let Some(t) = tok {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("taxii");
        let status = res.status().as_u16();
        if tok.is_none() && status == 401 {
            // Anonymous callers are refused outright by TAXII: nothing shown, nothing leaked.
        } else {
            assert_eq!(status, 200, "TAXII for {}", v.name);
            let env: Value = res.json().await.expect("taxii json");
            assert_eq!(ids(&env["objects"], "id"), want, "TAXII objects for {} (seed {seed})", v.name);
        }
        // MISP feed: every attribute value it lists (md5 in hashes.csv) is one this viewer may see.
        let mut req = n.client().get(format!("{}/misp/feed/hashes.csv", n.url));
        if let Some(t) = tok {
            req = req.bearer_auth(t);
        }
        let text = req.send().await.expect("misp feed").text().await.expect("text");
        let allowed: BTreeSet<String> = want_values.iter().map(|x| format!("{:x}", md5::Md5::digest(x.as_bytes()))).collect();
        let all_values: BTreeSet<String> = objs.iter().map(|o| format!("{:x}", md5::Md5::digest(o.value.as_bytes()))).collect();
        for line in text.lines() {
            let h = line.split(',').next().unwrap_or_default().to_string();
            if all_values.contains(&h) {
                feed_hits += 1;
                assert!(allowed.contains(&h), "MISP feed hashes.csv shows {} a value it may not see (seed {seed})", v.name);
            }
        }
        checks += 2;
        for o in &objs {
            let (s, _) = n.get(&format!("/api/v1/stix/objects/{}", o.id), tok).await;
            assert_eq!(s == 200, expected(v, o), "GET {} ({}) for {} (seed {seed})", o.id, TLPS[o.tlp].0, v.name);
            assert!(s == 200 || s == 404, "GET answered {s}");
            checks += 1;
        }
        checks += 5;
    }
    assert!(feed_hits > 0, "the MISP feed listed none of the test's values: its check proves nothing");
    eprintln!("leak test seed {seed} on {}: {} objects × {} viewers, {checks} checks, no leak", backend.name(), objs.len(), viewers.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_path_agrees_with_the_tlp_rules() {
    for backend in Backend::all() {
        let seeds: &[u64] = if backend == Backend::Sqlite { &[0x9E37_79B9_7F4A_7C15, 0xD1B5_4A32_D192_ED03] } else { &[0x94D0_49BB_1331_11EB] };
        for &seed in seeds {
            run_case(backend, seed, 40).await;
        }
    }
}
