//! The public awareness pages' data, without login, on SQLite and PostgreSQL: advisories and
//! campaigns are created at every TLP (each non-CLEAR one carrying a unique marker), then every
//! public URL in every language — and the API read endpoints without credentials — is fetched:
//! the test fails if any non-CLEAR object (or its marker) is reachable. Language fallbacks are
//! marked; the Atom feeds are well-formed XML (checked by Python's parser). The knowledge library
//! (search, staleness, TLP) is tested here too.
use atalaya_testkit::{on_all_backends, TestNode};
use serde_json::{json, Value};
use std::path::Path;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

const TLPS: [&str; 5] = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"];

fn marker(tlp: &str) -> String {
    format!("MARKER{}", tlp.replace("TLP:", "").replace('+', "PLUS"))
}

fn advisory(tlp: &str, lang: &str) -> Value {
    json!({
        "title": format!("Vulnerabilidad en enrutadores {}", marker(tlp)),
        "summary": format!("Resumen {} para el público.", marker(tlp)),
        "tlp": tlp, "lang": lang,
        "products": [{"vendor": "Acme", "product": "Router", "version": "1.0", "status": "known_affected"}],
        "vulnerabilities": [{"title": format!("Flaw {}", marker(tlp))}],
        "remediations": [{"category": "workaround", "details": "Disable remote administration."}]
    })
}

async fn get_text(node: &TestNode, path: &str) -> (u16, String) {
    let r = node.client().get(format!("{}{path}", node.url)).send().await.expect("get");
    let s = r.status().as_u16();
    (s, r.text().await.unwrap_or_default())
}

fn well_formed_xml(text: &str) {
    let py = std::env::var("STIX2_VALIDATOR_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = std::process::Command::new(py)
        .args(["-c", "import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("python");
    assert!(out.status.success(), "Atom feed is not well-formed XML: {}\n{text}", String::from_utf8_lossy(&out.stderr));
}

on_all_backends!(public_pages_show_only_tlp_clear, |backend| async move {
    let node = TestNode::start_with(bin(), backend, &[("ATALAYA_COUNTRY", "BR")]).await;
    let token = node.admin_token.clone();
    let mut clear_ids = vec![];
    let mut hidden_ids = vec![];

    // Advisories at every TLP (authored), plus an imported OASIS example (TLP WHITE = CLEAR).
    for tlp in TLPS {
        let (s, a) = node.post("/api/v1/advisories/author", Some(&token), &advisory(tlp, "es")).await;
        assert_eq!(s, 201, "{a}");
        let id = a["id"].as_str().expect("id").to_string();
        if tlp == "TLP:CLEAR" { clear_ids.push(id) } else { hidden_ids.push(id) }
    }
    let bsi = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf-examples/bsi-2022-0001.json")).expect("read");
    let r = node.client().post(format!("{}/api/v1/advisories", node.url)).bearer_auth(&token).header("content-type", "application/json").body(bsi.clone()).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 201);
    let imported: Value = r.json().await.expect("json");
    clear_ids.push(imported["advisory"]["id"].as_str().expect("id").to_string());
    // The same kind of document imported with ?tlp=amber stays off the public pages.
    let mut amber_doc: Value = serde_json::from_slice(&bsi).expect("json");
    amber_doc["document"]["tracking"]["id"] = json!("BSI-2022-0001-AMBER");
    amber_doc["document"]["title"] = json!(format!("Imported {}", marker("TLP:AMBER")));
    let r = node.client().post(format!("{}/api/v1/advisories?tlp=amber", node.url)).bearer_auth(&token).json(&amber_doc).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 201);
    let v: Value = r.json().await.expect("json");
    hidden_ids.push(v["advisory"]["id"].as_str().expect("id").to_string());

    // Campaigns at every TLP; the CLEAR one in es+en, another CLEAR one only in Portuguese.
    for tlp in TLPS {
        let (s, c) = node
            .post("/api/v1/campaigns", Some(&token), &json!({"tlp": tlp, "translations": {
                "es": {"title": format!("Campaña contra el phishing {}", marker(tlp)), "body": format!("No haga clic {}.", marker(tlp))},
                "en": {"title": format!("Anti-phishing campaign {}", marker(tlp)), "body": format!("Do not click {}.", marker(tlp))}}}))
            .await;
        assert_eq!(s, 201, "{c}");
        let id = c["id"].as_str().expect("id").to_string();
        if tlp == "TLP:CLEAR" { clear_ids.push(id) } else { hidden_ids.push(id) }
    }
    let (s, c) = node
        .post("/api/v1/campaigns", Some(&token), &json!({"tlp": "TLP:CLEAR", "translations": {"pt": {"title": "Senhas fortes", "body": "Use um gerenciador de senhas."}}}))
        .await;
    assert_eq!(s, 201, "{c}");
    let pt_only = c["id"].as_str().expect("id").to_string();
    clear_ids.push(pt_only.clone());
    let (s, b) = node.post("/api/v1/campaigns", Some(&token), &json!({"tlp": "TLP:CLEAR", "translations": {"de": {"title": "x", "body": "y"}}})).await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("translations.de"), "{b}");
    assert_eq!(hidden_ids.len(), 9);

    // Every public URL, every language: only the CLEAR items, no marker of anything else.
    let mut public_urls: Vec<String> = vec![];
    for lang in ["en", "es", "pt", "fr"] {
        public_urls.push(format!("/public/{lang}/advisories"));
        public_urls.push(format!("/public/{lang}/feed.atom"));
    }
    for id in clear_ids.iter().chain(hidden_ids.iter()) {
        public_urls.push(format!("/public/advisories/{id}"));
        // The API without credentials, too.
        public_urls.push(format!("/api/v1/advisories/{id}"));
        public_urls.push(format!("/api/v1/advisories/{id}/csaf"));
    }
    public_urls.extend(["/api/v1/advisories".to_string(), "/api/v1/campaigns".to_string(), "/public/de/advisories".to_string()]);
    for url in &public_urls {
        let (s, body) = get_text(&node, url).await;
        for tlp in &TLPS[1..] {
            assert!(!body.contains(&marker(tlp)), "{url} ({s}) shows a {tlp} object without login:\n{body}");
        }
        for id in hidden_ids.iter().filter(|id| !url.contains(id.as_str())) {
            assert!(!body.contains(id.as_str()), "{url} ({s}) names hidden object {id}");
        }
        if hidden_ids.iter().any(|id| url.contains(id.as_str())) {
            assert!(s == 404 || s == 401, "{url} answers {s} without login");
        }
        if url.starts_with("/api/v1/") {
            assert_eq!(s, 401, "{url} without credentials");
        }
    }
    for id in &hidden_ids {
        let (s, _) = get_text(&node, &format!("/public/advisories/{id}")).await;
        assert_eq!(s, 404);
    }
    let (s, doc) = node.get(&format!("/public/advisories/{}", clear_ids[0]), None).await;
    assert_eq!(s, 200);
    assert_eq!(doc["document"]["distribution"]["tlp"]["label"], "WHITE");
    let (s, _) = get_text(&node, "/public/de/advisories").await;
    assert_eq!(s, 404);

    for lang in ["en", "es", "pt", "fr"] {
        let (s, items) = node.get(&format!("/public/{lang}/advisories"), None).await;
        assert_eq!(s, 200);
        let items = items.as_array().cloned().unwrap_or_default();
        let mut got: Vec<String> = items.iter().map(|i| i["id"].as_str().unwrap_or_default().to_string()).collect();
        let mut want = clear_ids.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{lang}");
        assert!(items.iter().all(|i| i["tlp"] == "TLP:CLEAR"));
        let authored = items.iter().find(|i| i["id"] == json!(clear_ids[0])).expect("authored");
        assert_eq!(authored["fallback"], json!(lang != "es"), "{lang}: {authored}");
        let pt = items.iter().find(|i| i["id"] == json!(pt_only)).expect("pt campaign");
        assert_eq!((pt["lang"].as_str(), pt["fallback"].as_bool()), (Some("pt"), Some(lang != "pt")));
        let campaign = items.iter().find(|i| i["id"] == json!(clear_ids[2])).expect("campaign");
        match lang {
            "es" => assert_eq!((campaign["lang"].as_str(), campaign["fallback"].as_bool()), (Some("es"), Some(false))),
            "en" => assert_eq!((campaign["lang"].as_str(), campaign["fallback"].as_bool()), (Some("en"), Some(false))),
            _ => assert_eq!((campaign["lang"].as_str(), campaign["fallback"].as_bool()), (Some("en"), Some(true)), "{lang}: {campaign}"),
        }
        let r = node.client().get(format!("{}/public/{lang}/feed.atom", node.url)).send().await.expect("feed");
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().starts_with("application/atom+xml"));
        let feed = r.text().await.expect("text");
        well_formed_xml(&feed);
        assert_eq!(feed.matches("<entry").count(), clear_ids.len(), "{feed}");
        for id in &clear_ids {
            assert!(feed.contains(&format!("urn:uuid:{id}")), "{lang}: {id} missing");
        }
        assert!(feed.contains("fallback-language"));
    }
});


fn ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v.as_array().into_iter().flatten().map(|i| i["id"].as_str().unwrap_or_default().to_string()).collect();
    out.sort();
    out
}

// The knowledge library: full-text search in every language version (accents and case
// ignored, same answers on both backends), stale items flagged, reads by TLP.
on_all_backends!(knowledge_library_search_staleness_and_tlp, |backend| async move {
    let node = TestNode::start(bin(), backend).await;
    let (_, orgs) = node.get("/api/v1/organisations", Some(&node.admin_token)).await;
    let home = orgs.as_array().and_then(|a| a.iter().find(|o| o["home"] == true)).expect("home")["id"].as_str().expect("id").to_string();
    let (_, other) = node.post("/api/v1/organisations", Some(&node.admin_token), &json!({"name": "CSIRT Salud", "kind": "sector-csirt", "country": "CL"})).await;
    let other = other["id"].as_str().expect("id").to_string();
    let ana = node.user_token(&home, "ana", "analyst").await;
    let out = node.user_token(&other, "omar", "analyst").await;
    let add = |tlp: &str, kind: &str, category: &str, review: &str, tr: Value| json!({"kind": kind, "category": category, "tlp": tlp, "review_date": review, "translations": tr});
    let items = [
        add("TLP:GREEN", "playbook", "technical", "2099-01-01", json!({
            "es": {"title": "Guía de respuesta a incidentes de ransomware", "body": "Aislar los equipos, preservar evidencia, notificar al CSIRT nacional."},
            "en": {"title": "Ransomware incident response playbook", "body": "Isolate hosts, preserve evidence, notify the national CSIRT.", "url": "https://example.org/playbook"}})),
        add("TLP:AMBER+STRICT", "document", "legal", "2020-01-01", json!({"pt": {"title": "Acordo de cooperação jurídica", "body": "Modelo de acordo para troca de evidências."}})),
        add("TLP:RED", "training", "training", "2099-01-01", json!({"fr": {"title": "Exercice de crise", "body": "Scénario confidentiel de rançongiciel."}})),
        add("TLP:CLEAR", "training", "administrative", "2021-06-30", json!({"en": {"title": "Setting up a CSIRT", "body": "Mandate, constituency, services, funding."}})),
    ];
    let mut created = vec![];
    for i in &items {
        let (s, b) = node.post("/api/v1/library", Some(&ana), i).await;
        assert_eq!(s, 201, "{b}");
        created.push(b["id"].as_str().expect("id").to_string());
    }
    let (s, b) = node.post("/api/v1/library", Some(&ana), &add("TLP:GREEN", "playbook", "finance", "01/02/2026", json!({"es": {"title": "", "body": "x"}}))).await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = b["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, vec!["category", "review_date", "translations.es.title"], "{b}");

    // Search: any language version, accents and case ignored, every word must occur.
    let search = |q: &str| format!("/api/v1/library?q={}", q.replace(' ', "%20"));
    let (_, r) = node.get(&search("GUIA ransomware"), Some(&ana)).await;
    assert_eq!(ids(&r), vec![created[0].clone()]);
    let (_, r) = node.get(&search("isolate evidence"), Some(&ana)).await;
    assert_eq!(ids(&r), vec![created[0].clone()]);
    let (_, r) = node.get(&search("cooperacao"), Some(&ana)).await;
    assert_eq!(ids(&r), vec![created[1].clone()]);
    let (_, r) = node.get(&search("ransomware nonexistentword"), Some(&ana)).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    let (_, r) = node.get("/api/v1/library?category=training", Some(&ana)).await;
    assert_eq!(ids(&r), vec![created[2].clone()]);

    // Stale items flagged.
    let (_, r) = node.get("/api/v1/library?stale=true", Some(&ana)).await;
    let mut want = vec![created[1].clone(), created[3].clone()];
    want.sort();
    assert_eq!(ids(&r), want);
    assert!(r.as_array().into_iter().flatten().all(|i| i["stale"] == true));

    // TLP: another organisation sees GREEN and CLEAR; RED only its author; anonymous callers 401 (the library is for members).
    let (_, r) = node.get("/api/v1/library", Some(&out)).await;
    let mut want = vec![created[0].clone(), created[3].clone()];
    want.sort();
    assert_eq!(ids(&r), want);
    let (s, _) = node.get(&format!("/api/v1/library/{}", created[1]), Some(&out)).await;
    assert_eq!(s, 404);
    let (_, r) = node.get(&search("rancongiciel"), Some(&out)).await;
    assert_eq!(ids(&r), Vec::<String>::new(), "search must not find invisible items");
    let (_, r) = node.get(&search("rancongiciel"), Some(&ana)).await;
    assert_eq!(ids(&r), vec![created[2].clone()]);
    let (s, _) = node.get("/api/v1/library", None).await;
    assert_eq!(s, 401, "the library is for members");
    let (s, _) = node.get(&format!("/api/v1/library/{}", created[3]), None).await;
    assert_eq!(s, 401);
    let (s, b) = node.get(&format!("/api/v1/library/{}", created[0]), Some(&out)).await;
    assert_eq!((s, b["translations"]["es"]["title"].as_str()), (200, Some("Guía de respuesta a incidentes de ransomware")));
});
