//! The TAXII 2.1 server of the real binary, on SQLite and PostgreSQL: the OASIS taxii2-client
//! drives every endpoint (tests/oracle/taxii_client_check.py); media types, filters, limits,
//! authentication, rights, stored status resources, operator collections and policy parity
//! with the REST API are checked from Rust.
use atalaya_testkit::{on_all_backends, TestNode};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

const TAXII: &str = "application/taxii+json;version=2.1";
const PASSWORD: &str = "correct horse battery staple";
const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Basic(&'a str, &'a str),
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn ct(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
}

/// One TAXII request. `accept` None sends the TAXII media type; `body` is (Content-Type, bytes).
async fn taxii(n: &TestNode, method: &str, path: &str, auth: Auth<'_>, accept: Option<&str>, body: Option<(&str, Vec<u8>)>) -> Answer {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = n.client().request(m, format!("{}{}", n.url, path)).header("accept", accept.unwrap_or(TAXII));
    req = match auth {
        Auth::None => req,
        Auth::Bearer(t) => req.bearer_auth(t),
        Auth::Basic(u, p) => req.basic_auth(u, Some(p)),
    };
    if let Some((ct, bytes)) = body {
        req = req.header("content-type", ct).body(bytes);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    Answer { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::Null) }
}

async fn get(n: &TestNode, path: &str, auth: Auth<'_>) -> Answer {
    taxii(n, "GET", path, auth, None, None).await
}

async fn post_envelope(n: &TestNode, path: &str, auth: Auth<'_>, objects: &[Value]) -> Answer {
    let body = serde_json::to_vec(&json!({ "objects": objects })).expect("json");
    taxii(n, "POST", path, auth, None, Some((TAXII, body))).await
}

/// A TAXII error message with this status, naming `param` when given.
fn assert_taxii_error(a: &Answer, status: u16, param: Option<&str>) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.ct(), TAXII, "errors are TAXII messages too");
    assert_eq!(a.body["http_status"], status.to_string(), "{}", a.body);
    assert!(a.body["title"].as_str().is_some_and(|t| !t.is_empty()), "{}", a.body);
    if let Some(p) = param {
        assert_eq!(a.body["details"]["parameter"], p, "{}", a.body);
        assert!(a.body["description"].as_str().unwrap_or("").contains(p), "the description names {p}: {}", a.body);
    }
}

fn indicator(id: &str, modified: &str, marking: Option<&str>, value: &str) -> Value {
    let mut o = json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2026-01-01T00:00:00.000Z", "modified": modified,
        "name": "taxii test", "pattern": format!("[ipv4-addr:value = '{value}']"), "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    });
    if let Some(m) = marking {
        o["object_marking_refs"] = json!([m]);
    }
    o
}

fn uid(n: u32) -> String {
    format!("{n:08x}-1111-4111-8111-111111111111")
}

async fn set_admin_password(n: &TestNode) {
    let out = n.cli_with_stdin(&["user", "set-password", "--user", "admin"], Some(&format!("{PASSWORD}\n")));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

async fn home_org(n: &TestNode) -> String {
    let (s, me) = n.get("/api/v1/me", Some(&n.admin_token)).await;
    assert_eq!(s, 200, "{me}");
    me["organisation_id"].as_str().expect("org").to_string()
}

/// Creates a user with a password; returns (username, session token).
async fn new_user(n: &TestNode, org: &str, username: &str, role: &str) -> String {
    let (s, b) = n
        .post("/api/v1/users", Some(&n.admin_token), &json!({"username": username, "organisation_id": org, "role": role, "password": PASSWORD}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = n.post("/api/v1/auth/login", None, &json!({"username": username, "password": PASSWORD})).await;
    assert_eq!(s, 200, "{b}");
    b["token"].as_str().expect("token").to_string()
}

async fn default_collection(n: &TestNode, auth: Auth<'_>) -> String {
    let a = get(n, "/taxii2/api/collections/", auth).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let c = a.body["collections"].as_array().expect("collections").iter().find(|c| c["alias"] == "all").expect("default collection").clone();
    c["id"].as_str().expect("id").to_string()
}

/// Every (id, version) the REST API lists for this token, and the distinct ids.
async fn rest_view(n: &TestNode, token: Option<&str>) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let mut versions = BTreeSet::new();
    let mut after = 0i64;
    loop {
        let (s, list) = n.get(&format!("/api/v1/stix/objects?limit=1000&after={after}"), token).await;
        assert_eq!(s, 200, "{list}");
        let list = list.as_array().expect("list").clone();
        if list.is_empty() {
            break;
        }
        for v in &list {
            after = v["seq"].as_i64().expect("seq");
            versions.insert((v["id"].as_str().unwrap_or_default().to_string(), v["version"].as_str().unwrap_or_default().to_string()));
        }
    }
    let ids = versions.iter().map(|(i, _)| i.clone()).collect();
    (versions, ids)
}

/// Every object version a TAXII page walk returns (following `next`).
async fn taxii_walk(n: &TestNode, coll: &str, query: &str, auth: Auth<'_>) -> Vec<Value> {
    let mut out = vec![];
    let mut next: Option<String> = None;
    loop {
        let q = match &next {
            Some(c) => format!("{query}&next={c}"),
            None => query.to_string(),
        };
        let a = get(n, &format!("/taxii2/api/collections/{coll}/objects/?{q}"), auth).await;
        assert_eq!(a.status, 200, "{}", a.body);
        out.extend(a.body["objects"].as_array().cloned().unwrap_or_default());
        if a.body["more"] == true {
            next = Some(a.body["next"].as_str().expect("next with more").to_string());
        } else {
            assert!(a.body.get("next").is_none(), "no next without more: {}", a.body);
            return out;
        }
    }
}

fn version_of(o: &Value) -> String {
    o["modified"].as_str().or(o["created"].as_str()).unwrap_or("").to_string()
}

on_all_backends!(taxii2_client_drives_every_endpoint, |backend| async move {
    let Ok(py) = std::env::var("STIX2_VALIDATOR_PYTHON") else {
        assert!(std::env::var("CI").is_err(), "CI must set STIX2_VALIDATOR_PYTHON (see .ci/test)");
        eprintln!("note: STIX2_VALIDATOR_PYTHON not set; taxii2-client check skipped");
        return;
    };
    let n = TestNode::start(bin(), backend).await;
    set_admin_password(&n).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/taxii_client_check.py");
    // HTTP Basic with the user's password, then with an API token as password.
    for (user, pw) in [("admin", PASSWORD), ("admin", n.admin_token.as_str())] {
        let out = std::process::Command::new(&py).arg(&script).arg(&n.url).arg(user).arg(pw).output().expect("run the taxii2-client check");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "taxii2-client check failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("taxii2-client: all checks passed"), "{text}");
    }
});

on_all_backends!(media_types_filters_and_errors, |backend| async move {
    let mut n = TestNode::start(bin(), backend).await;
    let t = n.admin_token.clone();
    let auth = Auth::Bearer(&t);
    // Discovery: exact media type, relative API root.
    let a = get(&n, "/taxii2/", auth).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.ct(), TAXII);
    assert_eq!(a.body["api_roots"], json!(["/taxii2/api/"]));
    for ok in ["application/taxii+json", "*/*", "application/taxii+json;version=2.1", "text/html, application/taxii+json; version=2.1", "application/*"] {
        let a = taxii(&n, "GET", "/taxii2/api/", auth, Some(ok), None).await;
        assert_eq!((a.status, a.ct()), (200, TAXII), "Accept: {ok}");
    }
    for bad in ["application/json", "application/taxii+json;version=2.0", "text/html", "application/stix+json;version=2.1"] {
        let a = taxii(&n, "GET", "/taxii2/api/", auth, Some(bad), None).await;
        assert_taxii_error(&a, 406, Some("Accept"));
    }
    let coll = default_collection(&n, auth).await;
    let objects = format!("/taxii2/api/collections/{coll}/objects/");
    // POST needs the TAXII media type.
    let body = serde_json::to_vec(&json!({"objects": [indicator(&format!("indicator--{}", uid(1)), "2026-01-01T00:00:00.000Z", Some(CLEAR), "198.51.100.1")]})).expect("json");
    for bad_ct in ["application/json", "application/taxii+json", "application/stix+json;version=2.1", "text/plain"] {
        let a = taxii(&n, "POST", &objects, auth, None, Some((bad_ct, body.clone()))).await;
        assert_taxii_error(&a, 415, Some("Content-Type"));
    }
    let a = taxii(&n, "POST", &objects, auth, None, Some(("application/taxii+json; version=2.1", body.clone()))).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.ct(), TAXII);
    let a = taxii(&n, "POST", &objects, auth, None, Some((TAXII, b"{\"objects\": [".to_vec()))).await;
    assert_taxii_error(&a, 400, Some("body"));
    let a = post_envelope(&n, &objects, auth, &[]).await;
    assert_taxii_error(&a, 422, Some("objects"));
    // Bad filters: 400 naming the parameter.
    for (q, param) in [
        ("added_after=yesterday", "added_after"),
        ("added_after=2026-13-01T00:00:00Z", "added_after"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("limit=many", "limit"),
        ("limit=1&limit=2", "limit"),
        ("next=abc", "next"),
        ("match[version]=latest", "match[version]"),
        ("match[version]=first,", "match[version]"),
        ("match[spec_version]=two", "match[spec_version]"),
        ("match[colour]=red", "match[colour]"),
        ("sort=asc", "sort"),
    ] {
        let a = get(&n, &format!("{objects}?{q}"), auth).await;
        assert_taxii_error(&a, 400, Some(param));
        let a = get(&n, &format!("/taxii2/api/collections/{coll}/manifest/?{q}"), auth).await;
        assert_taxii_error(&a, 400, Some(param));
    }
    let a = get(&n, &format!("/taxii2/api/collections/{coll}/objects/indicator--{}/versions/?match[type]=indicator", uid(1)), auth).await;
    assert_taxii_error(&a, 400, Some("match[type]"));
    // A large limit is lowered, not refused.
    let a = get(&n, &format!("{objects}?limit=1000000"), auth).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // Unknown things: 404 as TAXII errors.
    for path in [
        "/taxii2/api/collections/00000000-0000-4000-8000-000000000000/".to_string(),
        "/taxii2/api/collections/not-a-uuid/objects/".to_string(),
        "/taxii2/api/status/00000000-0000-4000-8000-000000000000/".to_string(),
        "/taxii2/api/status/zzz".to_string(),
        "/taxii2/otherroot/".to_string(),
        format!("{objects}indicator--{}/", uid(999)),
        format!("{objects}indicator--{}/versions/", uid(999)),
    ] {
        let a = get(&n, &path, auth).await;
        assert_taxii_error(&a, 404, None);
    }
    let a = post_envelope(&n, "/taxii2/api/collections/00000000-0000-4000-8000-000000000000/objects/", auth, &[json!({})]).await;
    assert_taxii_error(&a, 404, None);
    let a = taxii(&n, "PUT", &objects, auth, None, None).await;
    assert_taxii_error(&a, 405, None);
    // The date headers: the first and last date_added of the page, with microseconds.
    let objs: Vec<Value> = (2..6).map(|i| indicator(&format!("indicator--{}", uid(i)), "2026-01-01T00:00:00.000Z", Some(CLEAR), &format!("198.51.100.{i}"))).collect();
    let a = post_envelope(&n, &objects, auth, &objs).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let man = get(&n, &format!("/taxii2/api/collections/{coll}/manifest/"), auth).await;
    assert_eq!(man.status, 200, "{}", man.body);
    let recs = man.body["objects"].as_array().expect("manifest").clone();
    assert_eq!(recs.len(), 5);
    let first = recs[0]["date_added"].as_str().expect("date").to_string();
    let last = recs[4]["date_added"].as_str().expect("date").to_string();
    let re_us = |s: &str| s.len() == 27 && s.ends_with('Z') && s.as_bytes()[19] == b'.';
    assert!(re_us(&first) && re_us(&last), "{first} {last}");
    assert!(first < last);
    for path in [objects.clone(), format!("/taxii2/api/collections/{coll}/manifest/")] {
        let a = get(&n, &path, auth).await;
        assert_eq!(a.header("x-taxii-date-added-first").as_deref(), Some(first.as_str()), "{path}");
        assert_eq!(a.header("x-taxii-date-added-last").as_deref(), Some(last.as_str()), "{path}");
    }
    let v = get(&n, &format!("{objects}indicator--{}/versions/", uid(3)), auth).await;
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(v.body["versions"], json!(["2026-01-01T00:00:00.000Z"]));
    assert_eq!(v.header("x-taxii-date-added-first"), v.header("x-taxii-date-added-last"));
    assert!(v.header("x-taxii-date-added-first").is_some());
    // added_after at the first date excludes the first object; pagination walks the rest.
    let rest = taxii_walk(&n, &coll, &format!("added_after={first}&limit=2"), auth).await;
    assert_eq!(rest.len(), 4);
    // Huge bodies: 413 (the limit is the API root's max_content_length).
    std::fs::write(n.data_dir.path().join("atalaya.toml"), "[http]\nmax_bundle_bytes = 200000\n").expect("config");
    n.restart();
    let a = get(&n, "/taxii2/api/", auth).await;
    assert_eq!(a.body["max_content_length"], 200000, "{}", a.body);
    let big: Vec<Value> = (0..1500).map(|i| indicator(&format!("indicator--{}", uid(10_000 + i)), "2026-01-01T00:00:00.000Z", Some(CLEAR), "198.51.100.9")).collect();
    let a = post_envelope(&n, &objects, auth, &big).await;
    assert_taxii_error(&a, 413, None);
    assert_eq!(n.sql_count("SELECT COUNT(*) FROM stix_objects").await, 5, "nothing of a refused envelope is stored");
});

on_all_backends!(authentication_rights_and_status, |backend| async move {
    let mut n = TestNode::start(bin(), backend).await;
    set_admin_password(&n).await;
    let t = n.admin_token.clone();
    let home = home_org(&n).await;
    let coll = default_collection(&n, Auth::Bearer(&t)).await;
    let objects = format!("/taxii2/api/collections/{coll}/objects/");
    // Discovery and the API root are public; the default collection is not.
    assert_eq!(get(&n, "/taxii2/", Auth::None).await.status, 200);
    assert_eq!(get(&n, "/taxii2/api/", Auth::None).await.status, 200);
    for path in [objects.clone(), format!("/taxii2/api/collections/{coll}/"), format!("/taxii2/api/collections/{coll}/manifest/")] {
        let a = get(&n, &path, Auth::None).await;
        assert_taxii_error(&a, 401, None);
        assert_eq!(a.header("www-authenticate").as_deref(), Some("Basic realm=\"atalaya\""));
    }
    let a = get(&n, "/taxii2/api/collections/", Auth::None).await;
    assert_eq!(a.status, 200);
    assert!(a.body.get("collections").is_none(), "anonymous sees no private collection: {}", a.body);
    // Basic with password, Basic with a token, Bearer: the same collections.
    for auth in [Auth::Basic("admin", PASSWORD), Auth::Basic("anything", &t), Auth::Bearer(&t)] {
        let a = get(&n, &objects, auth).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    for auth in [Auth::Basic("admin", "wrong password here"), Auth::Bearer("atl_nope"), Auth::Basic("nobody", PASSWORD)] {
        let a = get(&n, &objects, auth).await;
        assert_taxii_error(&a, 401, None);
        assert_eq!(a.header("www-authenticate").as_deref(), Some("Basic realm=\"atalaya\""));
    }
    // Add as the owner: status counts add up, the status is stored and survives a restart.
    let mine: Vec<Value> = (1..=3).map(|i| indicator(&format!("indicator--{}", uid(i)), "2026-01-01T00:00:00.000Z", Some(CLEAR), &format!("198.51.100.{i}"))).collect();
    let mut bad = indicator(&format!("indicator--{}", uid(4)), "2026-01-01T00:00:00.000Z", None, "x");
    bad["pattern"] = json!("[ipv4-addr:value = ");
    let a = post_envelope(&n, &objects, Auth::Basic("admin", PASSWORD), &[mine.clone(), vec![bad]].concat()).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let st = a.body.clone();
    assert_eq!((st["total_count"].as_u64(), st["success_count"].as_u64(), st["failure_count"].as_u64(), st["pending_count"].as_u64()), (Some(4), Some(3), Some(1), Some(0)), "{st}");
    assert_eq!(st["status"], "complete");
    assert_eq!(st["successes"].as_array().map(Vec::len), Some(3));
    assert_eq!(st["failures"][0]["id"], format!("indicator--{}", uid(4)));
    assert_eq!(st["failures"][0]["version"], "2026-01-01T00:00:00.000Z");
    assert!(st["failures"][0]["message"].as_str().unwrap_or("").starts_with("pattern"), "{st}");
    let again = post_envelope(&n, &objects, Auth::Bearer(&t), &mine).await;
    assert_eq!((again.body["success_count"].as_u64(), again.body["failure_count"].as_u64()), (Some(3), Some(0)), "duplicates are successes: {}", again.body);
    let sid = st["id"].as_str().expect("status id").to_string();
    n.restart();
    let a = get(&n, &format!("/taxii2/api/status/{sid}/"), Auth::Bearer(&t)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, st, "the stored status is the one answered");
    let a = get(&n, &format!("/taxii2/api/status/{sid}"), Auth::None).await;
    assert_taxii_error(&a, 401, None);
    // Another organisation: may read CLEAR objects, may not delete them, nor read our status.
    let (s, org) = n.post("/api/v1/organisations", Some(&t), &json!({"name": "Other CSIRT", "kind": "national-csirt", "country": "CO"})).await;
    assert_eq!(s, 201, "{org}");
    let other = new_user(&n, org["id"].as_str().expect("id"), "other", "analyst").await;
    let a = get(&n, &format!("{objects}indicator--{}/", uid(1)), Auth::Bearer(&other)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = taxii(&n, "DELETE", &format!("{objects}indicator--{}/", uid(1)), Auth::Basic("other", PASSWORD), None, None).await;
    assert_taxii_error(&a, 403, None);
    let a = get(&n, &format!("/taxii2/api/status/{sid}/"), Auth::Bearer(&other)).await;
    assert_taxii_error(&a, 404, None);
    // The other organisation's analyst adds its own; we may not publish a version of it.
    let theirs = indicator(&format!("indicator--{}", uid(50)), "2026-01-01T00:00:00.000Z", Some(CLEAR), "203.0.113.50");
    let a = post_envelope(&n, &objects, Auth::Bearer(&other), std::slice::from_ref(&theirs)).await;
    assert_eq!(a.body["success_count"], 1, "{}", a.body);
    let mut v2 = theirs.clone();
    v2["modified"] = json!("2026-03-01T00:00:00.000Z");
    let a = post_envelope(&n, &objects, Auth::Bearer(&t), &[v2]).await;
    assert_eq!((a.body["success_count"].as_u64(), a.body["failure_count"].as_u64()), (Some(0), Some(1)), "{}", a.body);
    assert!(a.body["failures"][0]["message"].as_str().unwrap_or("").starts_with("id"), "{}", a.body);
    // Read-only users: may read, may not add or delete; the collection says so.
    let ro = new_user(&n, &home, "reader", "read-only").await;
    let a = get(&n, &format!("/taxii2/api/collections/{coll}/"), Auth::Bearer(&ro)).await;
    assert_eq!((a.body["can_read"].as_bool(), a.body["can_write"].as_bool()), (Some(true), Some(false)), "{}", a.body);
    let a = post_envelope(&n, &objects, Auth::Bearer(&ro), &mine).await;
    assert_taxii_error(&a, 403, None);
    let a = taxii(&n, "DELETE", &format!("{objects}indicator--{}/", uid(1)), Auth::Bearer(&ro), None, None).await;
    assert_taxii_error(&a, 403, None);
    let a = taxii(&n, "DELETE", &format!("{objects}indicator--{}/", uid(1)), Auth::None, None, None).await;
    assert_taxii_error(&a, 401, None);
    // The owner deletes; it is gone from REST too, and the deletion is audited.
    let a = taxii(&n, "DELETE", &format!("{objects}indicator--{}/", uid(1)), Auth::Bearer(&t), None, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let (s, _) = n.get(&format!("/api/v1/stix/objects/indicator--{}", uid(1)), Some(&t)).await;
    assert_eq!(s, 404);
    assert_eq!(n.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'stix.delete'").await, 1);
    // Password failures are limited like logins: past the limit, 429 even with the right one.
    for _ in 0..5 {
        let a = get(&n, &objects, Auth::Basic("reader", "not the password")).await;
        assert_eq!(a.status, 401);
    }
    let a = get(&n, &objects, Auth::Basic("reader", PASSWORD)).await;
    assert_taxii_error(&a, 429, None);
    let out = n.cli(&["audit", "verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
});

on_all_backends!(operator_collections_are_views, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let t = n.admin_token.clone();
    let home = home_org(&n).await;
    let objs = vec![
        indicator(&format!("indicator--{}", uid(1)), "2026-01-01T00:00:00.000Z", Some(CLEAR), "198.51.100.1"),
        indicator(&format!("indicator--{}", uid(2)), "2026-01-01T00:00:00.000Z", Some(GREEN), "198.51.100.2"),
        indicator(&format!("indicator--{}", uid(3)), "2026-01-01T00:00:00.000Z", Some(AMBER), "198.51.100.3"),
        {
            let mut o = indicator(&format!("indicator--{}", uid(4)), "2026-01-01T00:00:00.000Z", Some(GREEN), "198.51.100.4");
            o["x_atalaya_sectors"] = json!(["energy"]);
            o
        },
        json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.5", "object_marking_refs": [CLEAR]}),
    ];
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&t), &json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objs})).await;
    assert_eq!((s, r["stored"].as_u64()), (200, Some(5)), "{r}");
    // Only the node's administrators define collections; bad definitions name the field.
    let analyst = new_user(&n, &home, "analyst", "analyst").await;
    let (s, _) = n.post("/api/v1/taxii/collections", Some(&analyst), &json!({"title": "Nope"})).await;
    assert_eq!(s, 403);
    let (s, b) = n.post("/api/v1/taxii/collections", Some(&t), &json!({"title": "Bad", "types": ["Not A Type"]})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("types[0]")), "{b}");
    let (s, b) = n.post("/api/v1/taxii/collections", Some(&t), &json!({"title": "Bad", "max_tlp": "TLP:PINK"})).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("max_tlp")), "{b}");
    let (s, public) = n.post("/api/v1/taxii/collections", Some(&t), &json!({"title": "Public feed", "alias": "public", "max_tlp": "TLP:CLEAR", "read_only": true})).await;
    assert_eq!(s, 201, "{public}");
    let (s, green_ind) = n.post("/api/v1/taxii/collections", Some(&t), &json!({"title": "Green indicators", "max_tlp": "TLP:GREEN", "types": ["indicator"]})).await;
    assert_eq!(s, 201, "{green_ind}");
    let (s, energy) = n.post("/api/v1/taxii/collections", Some(&t), &json!({"title": "Energy", "sectors": ["energy"]})).await;
    assert_eq!(s, 201, "{energy}");
    let (s, dup) = n.post("/api/v1/taxii/collections", Some(&t), &json!({"title": "Again", "alias": "public"})).await;
    assert_eq!((s, dup["field"].as_str()), (409, Some("alias")), "{dup}");
    let pid = public["id"].as_str().expect("id").to_string();
    let gid = green_ind["id"].as_str().expect("id").to_string();
    let eid = energy["id"].as_str().expect("id").to_string();
    let ids = |a: &Answer| -> BTreeSet<String> { a.body["objects"].as_array().cloned().unwrap_or_default().iter().map(|o| o["id"].as_str().unwrap_or_default().to_string()).collect() };
    // The public view: anonymous may list and read it; writes are refused.
    let a = get(&n, "/taxii2/api/collections/", Auth::None).await;
    let listed: Vec<&str> = a.body["collections"].as_array().expect("collections").iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(listed, vec![pid.as_str()], "{}", a.body);
    assert_eq!((a.body["collections"][0]["can_read"].as_bool(), a.body["collections"][0]["can_write"].as_bool()), (Some(true), Some(false)));
    let a = get(&n, &format!("/taxii2/api/collections/{pid}/objects/"), Auth::None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(ids(&a), [format!("indicator--{}", uid(1)), "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd".to_string()].into_iter().collect());
    let a = post_envelope(&n, &format!("/taxii2/api/collections/{pid}/objects/"), Auth::Bearer(&t), &[indicator(&format!("indicator--{}", uid(9)), "2026-01-01T00:00:00.000Z", Some(CLEAR), "198.51.100.9")]).await;
    assert_taxii_error(&a, 403, None);
    let a = get(&n, &format!("/taxii2/api/collections/{gid}/objects/"), Auth::None).await;
    assert_taxii_error(&a, 401, None);
    // TLP and type view.
    let a = get(&n, &format!("/taxii2/api/collections/{gid}/objects/"), Auth::Bearer(&t)).await;
    assert_eq!(ids(&a), (1..=2).chain(4..=4).map(|i| format!("indicator--{}", uid(i))).collect());
    let a = get(&n, &format!("/taxii2/api/collections/{gid}/objects/?match[type]=ipv4-addr"), Auth::Bearer(&t)).await;
    assert!(ids(&a).is_empty(), "{}", a.body);
    let a = get(&n, &format!("/taxii2/api/collections/{gid}/objects/indicator--{}/", uid(3)), Auth::Bearer(&t)).await;
    assert_taxii_error(&a, 404, None);
    // Adds to a view must fit it.
    let fits = indicator(&format!("indicator--{}", uid(10)), "2026-01-01T00:00:00.000Z", Some(GREEN), "198.51.100.10");
    let too_high = indicator(&format!("indicator--{}", uid(11)), "2026-01-01T00:00:00.000Z", Some(AMBER), "198.51.100.11");
    let wrong_type = json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53", "value": "198.51.100.12", "object_marking_refs": [CLEAR]});
    let a = post_envelope(&n, &format!("/taxii2/api/collections/{gid}/objects/"), Auth::Bearer(&t), &[fits, too_high, wrong_type]).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!((a.body["success_count"].as_u64(), a.body["failure_count"].as_u64()), (Some(1), Some(2)), "{}", a.body);
    let msgs: Vec<&str> = a.body["failures"].as_array().expect("failures").iter().filter_map(|f| f["message"].as_str()).collect();
    assert!(msgs[0].starts_with("object_marking_refs") && msgs[1].starts_with("type"), "{msgs:?}");
    // Sector view.
    let a = get(&n, &format!("/taxii2/api/collections/{eid}/objects/"), Auth::Bearer(&t)).await;
    assert_eq!(ids(&a), [format!("indicator--{}", uid(4))].into_iter().collect());
    // Definitions are listed, and removed (the objects stay); the default stays.
    let (s, list) = n.get("/api/v1/taxii/collections", Some(&t)).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(4)), "{list}");
    assert_eq!(list[0]["default"], true);
    let (s, _) = n.call("DELETE", &format!("/api/v1/taxii/collections/{eid}"), Some(&t), None).await;
    assert_eq!(s, 204);
    let a = get(&n, &format!("/taxii2/api/collections/{eid}/objects/"), Auth::Bearer(&t)).await;
    assert_taxii_error(&a, 404, None);
    let def = list[0]["id"].as_str().expect("id");
    let (s, b) = n.call("DELETE", &format!("/api/v1/taxii/collections/{def}"), Some(&t), None).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(n.sql_count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'taxii.collection.%'").await, 4);
});

on_all_backends!(policy_parity_with_rest, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let t = n.admin_token.clone();
    let (s, org) = n.post("/api/v1/organisations", Some(&t), &json!({"name": "Other CSIRT", "kind": "national-csirt", "country": "CO"})).await;
    assert_eq!(s, 201, "{org}");
    let org_id = org["id"].as_str().expect("id").to_string();
    let (s, partner_org) = n.post("/api/v1/organisations", Some(&t), &json!({"name": "Partner Co", "kind": "partner", "country": "US"})).await;
    assert_eq!(s, 201, "{partner_org}");
    let other = new_user(&n, &org_id, "other", "analyst").await;
    let partner = new_user(&n, partner_org["id"].as_str().expect("id"), "partner", "partner").await;
    // Every TLP, an unmarked object (default TLP:AMBER), and an object whose newer version is
    // stricter than its older one (TLP:GREEN then TLP:AMBER+STRICT).
    let mut objs = vec![];
    let markings = [Some(CLEAR), Some(GREEN), Some(AMBER), Some(AMBER_STRICT), Some(RED), None];
    for i in 0..60u32 {
        objs.push(indicator(&format!("indicator--{}", uid(i)), "2026-01-01T00:00:00.000Z", markings[i as usize % 6], &format!("198.51.100.{i}")));
    }
    objs.push(indicator(&format!("indicator--{}", uid(100)), "2026-01-01T00:00:00.000Z", Some(GREEN), "203.0.113.1"));
    objs.push(indicator(&format!("indicator--{}", uid(100)), "2026-02-01T00:00:00.000Z", Some(AMBER_STRICT), "203.0.113.1"));
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&t), &json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objs})).await;
    assert_eq!((s, r["rejected"].as_u64()), (200, Some(0)), "{r}");
    // The other organisation adds some of its own, through TAXII.
    let coll = default_collection(&n, Auth::Bearer(&t)).await;
    let theirs: Vec<Value> = (200..210u32).map(|i| indicator(&format!("indicator--{}", uid(i)), "2026-01-01T00:00:00.000Z", markings[i as usize % 6], &format!("203.0.113.{}", i - 190))).collect();
    let a = post_envelope(&n, &format!("/taxii2/api/collections/{coll}/objects/"), Auth::Bearer(&other), &theirs).await;
    assert_eq!(a.body["success_count"], 10, "{}", a.body);
    for (who, token) in [("admin", Some(t.as_str())), ("other", Some(other.as_str())), ("partner", Some(partner.as_str()))] {
        let auth = Auth::Bearer(token.expect("token"));
        let (rest_versions, rest_ids) = rest_view(&n, token).await;
        assert!(!rest_ids.is_empty(), "{who} sees something");
        let all = taxii_walk(&n, &coll, "match[version]=all&limit=7", auth).await;
        let taxii_versions: BTreeSet<(String, String)> = all.iter().map(|o| (o["id"].as_str().unwrap_or_default().to_string(), version_of(o))).collect();
        assert_eq!(all.len(), taxii_versions.len(), "{who}: no version twice");
        assert_eq!(taxii_versions, rest_versions, "{who}: TAXII shows exactly the versions REST shows");
        let latest = taxii_walk(&n, &coll, "limit=5", auth).await;
        let latest_ids: BTreeSet<String> = latest.iter().map(|o| o["id"].as_str().unwrap_or_default().to_string()).collect();
        assert_eq!(latest.len(), latest_ids.len(), "{who}: one version per object by default");
        assert_eq!(latest_ids, rest_ids, "{who}: TAXII shows exactly the objects REST shows");
        for o in &latest {
            let id = o["id"].as_str().unwrap_or_default();
            let newest = rest_versions.iter().filter(|(i, _)| i == id).map(|(_, v)| v.clone()).max();
            assert_eq!(Some(version_of(o)), newest, "{who}: the latest visible version of {id}");
        }
        let man = get(&n, &format!("/taxii2/api/collections/{coll}/manifest/?match[version]=all&limit=10000"), auth).await;
        let man_versions: BTreeSet<(String, String)> = man.body["objects"].as_array().cloned().unwrap_or_default().iter()
            .map(|r| (r["id"].as_str().unwrap_or_default().to_string(), r["version"].as_str().unwrap_or_default().to_string())).collect();
        assert_eq!(man_versions, rest_versions, "{who}: the manifest agrees");
    }
    // The stricter newer version is invisible to the other organisation: it gets the older one.
    let a = get(&n, &format!("/taxii2/api/collections/{coll}/objects/indicator--{}/", uid(100)), Auth::Bearer(&other)).await;
    assert_eq!(a.body["objects"].as_array().map(|v| v.iter().map(version_of).collect::<Vec<_>>()), Some(vec!["2026-01-01T00:00:00.000Z".to_string()]), "{}", a.body);
    let a = get(&n, &format!("/taxii2/api/collections/{coll}/objects/indicator--{}/", uid(100)), Auth::Bearer(&t)).await;
    assert_eq!(a.body["objects"].as_array().map(|v| v.iter().map(version_of).collect::<Vec<_>>()), Some(vec!["2026-02-01T00:00:00.000Z".to_string()]), "{}", a.body);
    // Invisible objects are 404, like REST.
    let red = format!("indicator--{}", uid(4));
    let (s, _) = n.get(&format!("/api/v1/stix/objects/{red}"), Some(&other)).await;
    assert_eq!(s, 404);
    let a = get(&n, &format!("/taxii2/api/collections/{coll}/objects/{red}/"), Auth::Bearer(&other)).await;
    assert_taxii_error(&a, 404, None);
    let a = get(&n, &format!("/taxii2/api/collections/{coll}/objects/{red}/versions/"), Auth::Bearer(&other)).await;
    assert_taxii_error(&a, 404, None);
    // A version added after the first reads (the multi-version index is built by then)
    // replaces the old one under the default `last`, for everyone.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let v2 = indicator(&format!("indicator--{}", uid(0)), "2026-05-01T00:00:00.000Z", Some(CLEAR), "198.51.100.250");
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&t), &json!({"type": "bundle", "id": "bundle--6d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [v2]})).await;
    assert_eq!((s, r["updated"].as_u64()), (200, Some(1)), "{r}");
    for token in [&t, &other] {
        let latest = taxii_walk(&n, &coll, "limit=9", Auth::Bearer(token)).await;
        let mine: Vec<String> = latest.iter().filter(|o| o["id"] == format!("indicator--{}", uid(0))).map(version_of).collect();
        assert_eq!(mine, vec!["2026-05-01T00:00:00.000Z".to_string()]);
        let firsts = taxii_walk(&n, &coll, "limit=9&match[version]=first", Auth::Bearer(token)).await;
        let mine: Vec<String> = firsts.iter().filter(|o| o["id"] == format!("indicator--{}", uid(0))).map(version_of).collect();
        assert_eq!(mine, vec!["2026-01-01T00:00:00.000Z".to_string()]);
    }
    // Reads of TLP:AMBER and stricter are audited (one entry per page).
    let before = n.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'stix.read'").await;
    let a = get(&n, &format!("/taxii2/api/collections/{coll}/objects/?match[type]=indicator"), Auth::Bearer(&other)).await;
    assert_eq!(a.status, 200);
    assert_eq!(n.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'stix.read'").await, before + 1);
});

on_all_backends!(latest_versions_while_the_multi_version_index_catches_up, |backend| async move {
    let n = TestNode::start(bin(), backend).await;
    let t = n.admin_token.clone();
    let auth = Auth::Bearer(&t);
    let a = format!("indicator--{}", uid(1));
    let bundle = |objects: Vec<Value>| json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects});
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&t), &bundle(vec![indicator(&a, "2026-01-01T00:00:00.000Z", Some(CLEAR), "198.51.100.1")])).await;
    assert_eq!(s, 200, "{r}");
    let coll = default_collection(&n, auth).await;
    // The first read starts building the index (in the background).
    assert_eq!(get(&n, &format!("/taxii2/api/collections/{coll}/objects/?limit=1"), auth).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // More new versions than one refresh step covers, the last a new version of `a`.
    let mut many: Vec<Value> = (0..25_000u32).map(|i| indicator(&format!("indicator--{}", uid(1_000_000 + i)), "2026-01-01T00:00:00.000Z", Some(CLEAR), "198.51.100.7")).collect();
    many.push(indicator(&a, "2026-06-01T00:00:00.000Z", Some(CLEAR), "198.51.100.2"));
    let (s, r) = n.post("/api/v1/stix/bundles", Some(&t), &bundle(many)).await;
    assert_eq!((s, r["stored"].as_u64(), r["updated"].as_u64()), (200, Some(25_000), Some(1)), "{r}");
    let all = taxii_walk(&n, &coll, "limit=10000", auth).await;
    assert_eq!(all.len(), 25_001, "one version per object");
    let mine: Vec<String> = all.iter().filter(|o| o["id"] == a).map(version_of).collect();
    assert_eq!(mine, vec!["2026-06-01T00:00:00.000Z".to_string()], "the newest version only, also while the index catches up");
    let firsts = taxii_walk(&n, &coll, "limit=10000&match[version]=first", auth).await;
    let mine: Vec<String> = firsts.iter().filter(|o| o["id"] == a).map(version_of).collect();
    assert_eq!(mine, vec!["2026-01-01T00:00:00.000Z".to_string()]);
});
