//! The CBM registry through the real binary on SQLite and PostgreSQL: nominations of the
//! policy-level and foreign-affairs points of contact (CBMs 2–3) are made and withdrawn only by
//! the state's national point of contact (admin or duty officer of its national CSIRT or cyber
//! authority), per role; policies with language versions, implementation and norm reports;
//! public entries readable without login, network-only ones not; bad input named; the CLI.
use atalaya_testkit::{on_all_backends, TestNode};
use serde_json::{json, Value};
use std::path::Path;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

async fn org(node: &TestNode, name: &str, kind: &str, country: &str) -> String {
    let (s, b) = node.post("/api/v1/organisations", Some(&node.admin_token), &json!({"name": name, "kind": kind, "country": country})).await;
    assert!(s < 300, "{s} {b}");
    b["id"].as_str().expect("id").to_string()
}


fn designation(role: &str, name: &str, visibility: &str) -> Value {
    json!({"state": "UY", "role": role, "name": name, "position": "Director de Ciberseguridad", "organisation": "Ministerio de Relaciones Exteriores",
           "email": "ciber@mrree.gub.uy", "phone": "+59829021010", "visibility": visibility})
}

async fn delete(node: &TestNode, path: &str, token: &str) -> u16 {
    node.client().delete(format!("{}{path}", node.url)).bearer_auth(token).send().await.expect("delete").status().as_u16()
}

on_all_backends!(cbm_registry_nomination_rules, |backend| async move {
    let node = TestNode::start_with(bin(), backend, &[("ATALAYA_COUNTRY", "UY")]).await;
    let authority = org(&node, "Agesic", "national-cyber-authority", "UY").await;
    let sector = org(&node, "CSIRT Energía UY", "sector-csirt", "UY").await;
    let argentina = org(&node, "CERT.ar", "national-csirt", "AR").await;
    let mut tokens = vec![];
    for (o, oname) in [(&authority, "auth"), (&sector, "sector"), (&argentina, "ar")] {
        for role in ["admin", "duty-officer", "analyst", "read-only", "auditor"] {
            let t = node.user_token(o, &format!("{oname}-{role}"), role).await;
            tokens.push((oname, role, t));
        }
    }

    // 1. Nomination per role: only admin and duty officer of the UY national authority.
    let mut nominated = vec![];
    for (oname, role, t) in &tokens {
        let (s, b) = node.post("/api/v1/cbm/designations", Some(t), &designation("foreign-affairs", &format!("Nominee of {oname} {role}"), "public")).await;
        let expected = *oname == "auth" && (*role == "admin" || *role == "duty-officer");
        if expected {
            assert_eq!(s, 201, "{oname} {role}: {b}");
            assert_eq!(b["topic"], "foreign-affairs");
            nominated.push(b["id"].as_str().expect("id").to_string());
        } else {
            assert_eq!(s, 403, "{oname} {role} must not nominate for UY: {b}");
        }
    }
    let (s, _) = node.post("/api/v1/cbm/designations", None, &designation("policy-level", "Anon", "public")).await;
    assert_eq!(s, 401);
    // Argentina's national point of contact nominates for Argentina, not for Uruguay.
    let ar_admin = &tokens.iter().find(|(o, r, _)| *o == "ar" && *r == "admin").expect("ar admin").2;
    let mut ar = designation("policy-level", "Punto de contacto AR", "network");
    ar["state"] = json!("AR");
    let (s, b) = node.post("/api/v1/cbm/designations", Some(ar_admin), &ar).await;
    assert_eq!(s, 201, "{b}");
    let ar_id = b["id"].as_str().expect("id").to_string();

    // 2. Removal per role: same rule.
    for (oname, role, t) in &tokens {
        if *oname == "auth" && (*role == "admin" || *role == "duty-officer") {
            continue;
        }
        assert_eq!(delete(&node, &format!("/api/v1/cbm/{}", nominated[0]), t).await, 403, "{oname} {role} must not remove");
    }
    assert_eq!(delete(&node, &format!("/api/v1/cbm/{ar_id}"), &tokens[0].2).await, 403, "UY does not remove AR's nominee");
    let duty = &tokens.iter().find(|(o, r, _)| *o == "auth" && *r == "duty-officer").expect("duty").2;
    assert_eq!(delete(&node, &format!("/api/v1/cbm/{}", nominated[0]), duty).await, 204);
    assert_eq!(delete(&node, &format!("/api/v1/cbm/{}", nominated[0]), duty).await, 404);
    let (_, l) = node.get("/api/v1/cbm?state=UY&kind=designation", Some(duty)).await;
    assert_eq!(l.as_array().map(Vec::len), Some(1), "{l}");
    assert_eq!(node.sql_count("SELECT COUNT(*) FROM cbm_items WHERE removed_at IS NOT NULL").await, 1, "removed entries stay on record");
    assert_eq!(node.sql_count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'cbm.designation.%'").await, 4);

    // 3. Policy with language versions, implementation and norm reports; bad input named.
    let admin = &tokens[0].2;
    let (s, b) = node
        .post("/api/v1/cbm/policies", Some(admin), &json!({"state": "UY", "title": "Estrategia Nacional de Ciberseguridad 2024-2030", "category": "strategy",
            "adoption_date": "2024-05-20", "visibility": "public",
            "documents": [{"lang": "es", "title": "Estrategia Nacional de Ciberseguridad", "url": "https://www.gub.uy/estrategia-ciberseguridad"},
                          {"lang": "en", "title": "National Cybersecurity Strategy", "text": "Unofficial translation…"}]}))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["details"]["documents"].as_array().map(Vec::len), Some(2));
    let (s, b) = node.post("/api/v1/cbm/implementation-reports", Some(admin), &json!({"state": "UY", "cbm": 4, "year": 2025, "text": "Three workshops for diplomats.", "visibility": "network"})).await;
    assert_eq!(s, 201, "{b}");
    assert!(b["topic_title"].as_str().unwrap_or_default().contains("capacity"), "{b}");
    let (s, b) = node.post("/api/v1/cbm/norm-reports", Some(admin), &json!({"state": "UY", "norm": "k", "year": 2025, "text": "CSIRTs are protected by law 19.xxx.", "visibility": "public"})).await;
    assert_eq!(s, 201, "{b}");
    assert!(b["topic_title"].as_str().unwrap_or_default().contains("emergency response teams"), "{b}");
    let (s, b) = node.post("/api/v1/cbm/norm-reports", Some(admin), &json!({"state": "UY", "norm": "z", "year": 1990, "text": "", "visibility": "public"})).await;
    assert_eq!(s, 422);
    let fields: Vec<String> = b["errors"].as_array().into_iter().flatten().map(|e| e["field"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(fields, vec!["norm", "year", "text"], "{b}");
    let (s, b) = node
        .post("/api/v1/cbm/policies", Some(admin), &json!({"state": "UY", "title": "X", "category": "strategy", "visibility": "public", "documents": [{"lang": "es", "title": "X"}]}))
        .await;
    assert_eq!(s, 422);
    assert!(b.to_string().contains("documents[0]"), "{b}");

    // 4. Visibility: anonymous readers see public entries only; members see network ones too.
    let (s, anon) = node.get("/api/v1/cbm", None).await;
    assert_eq!(s, 200);
    let vis: Vec<&str> = anon.as_array().into_iter().flatten().map(|e| e["visibility"].as_str().unwrap_or_default()).collect();
    assert_eq!(vis.len(), 3, "{anon}");
    assert!(vis.iter().all(|v| *v == "public"));
    let (_, member) = node.get("/api/v1/cbm", Some(&tokens[3].2)).await;
    assert_eq!(member.as_array().map(Vec::len), Some(5), "{member}");
    let (s, r) = node.get("/api/v1/cbm/reference", None).await;
    assert_eq!((s, r["norms"].as_array().map(Vec::len)), (200, Some(11)));

    // 5. The CLI (operator): add from a file, list, refuse bad input with one line.
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("d.json");
    std::fs::write(&f, serde_json::to_vec(&designation("policy-level", "Operador CLI", "network")).expect("ser")).expect("write");
    let fs = f.display().to_string();
    let out = node.cli(&["cbm", "add", "designation", &fs]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = node.cli(&["cbm", "list", "--state", "UY", "--kind", "designation"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("Operador CLI"));
    std::fs::write(&f, br#"{"state": "UY", "role": "ambassador"}"#).expect("write");
    let out = node.cli(&["cbm", "add", "designation", &fs]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("role") && err.trim().lines().count() == 1, "{err}");
});
