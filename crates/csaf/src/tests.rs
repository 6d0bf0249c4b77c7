use super::*;
use crate::author::{AuthorContext, AuthorInput};
use serde_json::json;
use std::path::PathBuf;

fn examples() -> Vec<PathBuf> {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf-examples");
    let mut out = vec![];
    for dir in [base.clone(), base.join("csaf_vex")] {
        for e in std::fs::read_dir(&dir).expect("shared/data/csaf-examples beside the project").flatten() {
            if e.path().extension().is_some_and(|x| x == "json") {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_oasis_example_is_valid_and_summarised() {
    let files = examples();
    assert_eq!(files.len(), 19);
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        let d = parse(&bytes).unwrap_or_else(|e| panic!("{}: {:?}", f.display(), e));
        assert!(!d.summary.tracking_id.is_empty());
        assert!(!d.summary.products.is_empty() || d.summary.category == "csaf_base", "{}", f.display());
    }
}

fn example(name: &str) -> Value {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf-examples");
    serde_json::from_slice(&std::fs::read(base.join(name)).expect("read")).expect("json")
}

fn tests_of(doc: &Value) -> Vec<(String, String)> {
    validate(doc).into_iter().map(|i| (i.test, i.path)).collect()
}

#[test]
fn broken_documents_name_path_and_test() {
    let base = example("bsi-2022-0001.json");
    let mut d = base.clone();
    d["vulnerabilities"][0]["product_status"]["fixed"][0] = json!("CSAFPID-9999");
    assert!(tests_of(&d).contains(&("6.1.1".into(), "/vulnerabilities/0/product_status/fixed/0".into())), "{:?}", tests_of(&d));

    let mut d = base.clone();
    d["document"]["tracking"]["version"] = json!("7");
    assert!(tests_of(&d).iter().any(|(t, p)| t == "6.1.16" && p == "/document/tracking/version"), "{:?}", tests_of(&d));

    let mut d = base.clone();
    d["document"]["distribution"] = json!({"tlp": {"label": "PINK"}});
    assert!(tests_of(&d).iter().any(|(t, p)| t == "schema" && p == "/document/distribution/tlp/label"));

    let e = parse(b"{\"document\": {").expect_err("truncated");
    assert_eq!(e[0].test, "json");

    // 6.1.2 multiple definitions; 6.1.3 circular; 6.1.4/6.1.5 groups; 6.1.22/6.1.21/6.1.14 history.
    let mut d = example("cisco-sa-20180328-smi2.json");
    let first_id = summarize(&d).products[0].product_id.clone();
    d["product_tree"]["full_product_names"] = json!([{"product_id": first_id, "name": "dup"}]);
    assert!(tests_of(&d).iter().any(|(t, _)| t == "6.1.2"), "{:?}", tests_of(&d));
    d["product_tree"]["full_product_names"] = json!([{"product_id": "A", "name": "a"}, {"product_id": "B", "name": "b"}]);
    d["product_tree"]["relationships"] = json!([{"category": "installed_on", "product_reference": "A", "relates_to_product_reference": "C",
        "full_product_name": {"product_id": "C", "name": "A on C"}}]);
    assert!(tests_of(&d).iter().any(|(t, p)| t == "6.1.3" && p == "/product_tree/relationships/0/full_product_name/product_id"));
    d["product_tree"]["product_groups"] = json!([{"group_id": "G", "product_ids": ["A", "B"]}, {"group_id": "G", "product_ids": ["A", "B"]}]);
    d["vulnerabilities"][0]["remediations"] = json!([{"category": "workaround", "details": "x", "group_ids": ["H"]}, {"category": "workaround", "details": "y"}]);
    let t = tests_of(&d);
    for n in ["6.1.4", "6.1.5", "6.1.29"] {
        assert!(t.iter().any(|(x, _)| x == n), "{n}: {t:?}");
    }

    let mut d = base.clone();
    let h = d["document"]["tracking"]["revision_history"][0].clone();
    let mut h2 = h.clone();
    h2["date"] = json!("2030-01-01T00:00:00Z");
    d["document"]["tracking"]["revision_history"] = json!([h, h2]);
    assert!(tests_of(&d).iter().any(|(t, _)| t == "6.1.22"));
    let mut h3 = h2.clone();
    h3["number"] = json!("3");
    d["document"]["tracking"]["revision_history"] = json!([h3, d["document"]["tracking"]["revision_history"][0].clone()]);
    d["document"]["tracking"]["version"] = json!("3");
    assert!(tests_of(&d).iter().any(|(t, _)| t == "6.1.21"), "{:?}", tests_of(&d));
    let mut h0 = h.clone();
    h0["number"] = json!("2");
    let mut hl = h2.clone();
    hl["number"] = json!("1");
    d["document"]["tracking"]["revision_history"] = json!([h0, hl]);
    d["document"]["tracking"]["version"] = json!("1");
    assert!(tests_of(&d).iter().any(|(t, _)| t == "6.1.14"), "{:?}", tests_of(&d));
}

fn input(tlp: Tlp) -> AuthorInput {
    serde_json::from_value(json!({
        "title": "Remote code execution in ExampleSCADA HMI",
        "summary": "A crafted request lets an unauthenticated attacker run code on the HMI.",
        "tlp": tlp,
        "products": [
            {"vendor": "Example Industrial", "product": "ExampleSCADA HMI", "version": "4.2.0", "status": "known_affected"},
            {"vendor": "Example Industrial", "product": "ExampleSCADA HMI", "version": "4.2.1", "status": "fixed"},
            {"vendor": "Other Corp", "product": "Gateway", "version": "vers:semver/<2.0.0", "status": "under_investigation", "cves": ["CVE-2026-10001"]}
        ],
        "vulnerabilities": [
            {"cve": "CVE-2026-10001", "title": "Deserialisation", "cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
            {"cve": "CVE-2026-10002"}
        ],
        "remediations": [{"category": "vendor_fix", "details": "Update to 4.2.1.", "url": "https://example.com/fix"}],
        "sectors": ["energy", "water"]
    }))
    .expect("input")
}

fn cx() -> AuthorContext {
    AuthorContext {
        tracking_id: "ATALAYA-UY-2026-0001".into(),
        publisher_name: "CERTuy".into(),
        publisher_namespace: "https://www.cert.uy".into(),
        now: time::macros::datetime!(2026-11-22 10:00 UTC),
        generator_version: "0.1.0".into(),
    }
}

#[test]
fn authored_advisories_are_valid_at_every_tlp_and_revise() {
    for tlp in Tlp::ALL {
        let doc = author::build(&input(tlp), &cx(), None, None).expect("valid");
        let d = from_value(doc.clone()).expect("validates");
        if let Ok(dir) = std::env::var("ATALAYA_CSAF_DUMP") {
            let _ = std::fs::write(format!("{dir}/authored-{tlp:?}.json"), serde_json::to_vec_pretty(&doc).unwrap_or_default());
        }
        assert_eq!(d.summary.tlp, Some(tlp));
        assert_eq!(d.summary.sectors, vec!["energy", "water"]);
        assert_eq!(d.summary.cves, vec!["CVE-2026-10001", "CVE-2026-10002"]);
        assert_eq!(d.summary.products.len(), 3);
        assert_eq!(d.summary.products[2].vendor.as_deref(), Some("Other Corp"));
        assert_eq!(doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"], json!(9.8));
        assert_eq!(doc["vulnerabilities"][1]["product_status"].get("under_investigation"), None);
        let mut later = cx();
        later.now = time::macros::datetime!(2026-11-23 10:00 UTC);
        let rev = author::build(&input(tlp), &later, Some(&doc), Some("Fix released for 4.2.x.")).expect("revision");
        assert_eq!(rev["document"]["tracking"]["version"], "2");
        assert_eq!(rev["document"]["tracking"]["revision_history"].as_array().map(Vec::len), Some(2));
        assert_eq!(rev["document"]["tracking"]["initial_release_date"], doc["document"]["tracking"]["initial_release_date"]);
        assert!(validate(&rev).is_empty());
    }
    let mut bad = input(Tlp::Green);
    bad.products[0].version = "all versions before 4.2.1".into();
    bad.vulnerabilities[0].cve = Some("CVE-26-1".into());
    let e = author::build(&bad, &cx(), None, None).expect_err("bad");
    let paths: Vec<_> = e.iter().map(|i| i.path.as_str()).collect();
    assert!(paths.contains(&"/products/0/version") && paths.contains(&"/vulnerabilities/0/cve"), "{paths:?}");
}
