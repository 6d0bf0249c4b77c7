//! Validation of a CSAF 2.0 document: the required fields, types, enumerations and formats of
//! the JSON schema that matter for processing (test name `schema`), then the mandatory tests of
//! CSAF 2.0 §6.1 listed in `docs/csaf.md` (test names `6.1.N`). Every issue names the JSON
//! pointer of the offending value.
use crate::version::Version;
use crate::Issue;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

struct Checker {
    issues: Vec<Issue>,
}

impl Checker {
    fn push(&mut self, test: &str, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue { test: test.to_string(), path: path.into(), message: message.into() });
    }

    /// A required non-empty string.
    fn string<'a>(&mut self, v: &'a Value, key: &str, path: &str) -> Option<&'a str> {
        let p = format!("{path}/{key}");
        match v.get(key) {
            None => {
                self.push("schema", path, format!("required property '{key}' is missing"));
                None
            }
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(Value::String(_)) => {
                self.push("schema", p, "must not be empty");
                None
            }
            Some(_) => {
                self.push("schema", p, "must be a string");
                None
            }
        }
    }

    fn opt_string<'a>(&mut self, v: &'a Value, key: &str, path: &str) -> Option<&'a str> {
        if v.get(key).is_some() {
            self.string(v, key, path)
        } else {
            None
        }
    }

    fn object<'a>(&mut self, v: &'a Value, key: &str, path: &str, required: bool) -> Option<&'a Value> {
        match v.get(key) {
            None if required => {
                self.push("schema", path, format!("required property '{key}' is missing"));
                None
            }
            None => None,
            Some(o @ Value::Object(_)) => Some(o),
            Some(_) => {
                self.push("schema", format!("{path}/{key}"), "must be an object");
                None
            }
        }
    }

    fn array<'a>(&mut self, v: &'a Value, key: &str, path: &str, required: bool) -> &'a [Value] {
        match v.get(key) {
            None => {
                if required {
                    self.push("schema", path, format!("required property '{key}' is missing"));
                }
                &[]
            }
            Some(Value::Array(a)) => {
                if a.is_empty() {
                    self.push("schema", format!("{path}/{key}"), "must have at least one item");
                }
                a
            }
            Some(_) => {
                self.push("schema", format!("{path}/{key}"), "must be an array");
                &[]
            }
        }
    }

    fn one_of(&mut self, v: &Value, key: &str, path: &str, allowed: &[&str], required: bool) -> Option<String> {
        let s = if required { self.string(v, key, path) } else { self.opt_string(v, key, path) }?;
        if allowed.contains(&s) {
            Some(s.to_string())
        } else {
            self.push("schema", format!("{path}/{key}"), format!("'{s}' is not one of {}", allowed.join(", ")));
            None
        }
    }

    fn date(&mut self, v: &Value, key: &str, path: &str) -> Option<OffsetDateTime> {
        let s = self.string(v, key, path)?;
        match OffsetDateTime::parse(s, &Rfc3339) {
            Ok(d) => Some(d),
            Err(_) => {
                self.push("schema", format!("{path}/{key}"), format!("'{s}' is not an RFC 3339 date-time"));
                None
            }
        }
    }

    /// An array of product (or group) id strings, each reported with its path.
    fn ids<'a>(&mut self, v: &'a Value, key: &str, path: &str, out: &mut Vec<(String, &'a str)>) {
        for (i, x) in self.array(v, key, path, false).iter().enumerate() {
            match x.as_str() {
                Some(s) if !s.is_empty() => out.push((format!("{path}/{key}/{i}"), s)),
                _ => self.push("schema", format!("{path}/{key}/{i}"), "must be a non-empty string"),
            }
        }
    }
}

const PUBLISHER_CATEGORIES: &[&str] = &["coordinator", "discoverer", "other", "translator", "user", "vendor"];
const STATUSES: &[&str] = &["draft", "final", "interim"];
const TLP_LABELS: &[&str] = &["AMBER", "GREEN", "RED", "WHITE"];
const NOTE_CATEGORIES: &[&str] = &["description", "details", "faq", "general", "legal_disclaimer", "other", "summary"];
const REMEDIATION_CATEGORIES: &[&str] = &["mitigation", "no_fix_planned", "none_available", "vendor_fix", "workaround"];
const BRANCH_CATEGORIES: &[&str] = &[
    "architecture",
    "host_name",
    "language",
    "legacy",
    "patch_level",
    "product_family",
    "product_name",
    "product_version",
    "product_version_range",
    "service_pack",
    "specification",
    "vendor",
];
const RELATIONSHIP_CATEGORIES: &[&str] =
    &["default_component_of", "external_component_of", "installed_on", "installed_with", "optional_component_of"];
const PRODUCT_STATUS_KEYS: &[&str] = &[
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
];
const THREAT_CATEGORIES: &[&str] = &["exploit_status", "impact", "target_set"];
const REFERENCE_CATEGORIES: &[&str] = &["external", "self"];

fn lang_ok(s: &str) -> bool {
    // BCP 47 shape: primary language subtag of 2–3 (or 5–8) letters, or x-/i- private/grandfathered
    // forms, then subtags of 1–8 alphanumerics.
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or_default();
    let first_ok = (first.len() >= 2 && first.len() <= 8 && first != "i" && first.bytes().all(|b| b.is_ascii_alphabetic()))
        || first.eq_ignore_ascii_case("x");
    first_ok && parts.all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn notes(c: &mut Checker, v: &Value, path: &str) {
    for (i, n) in c.array(v, "notes", path, false).iter().enumerate() {
        let p = format!("{path}/notes/{i}");
        c.one_of(n, "category", &p, NOTE_CATEGORIES, true);
        c.string(n, "text", &p);
        c.opt_string(n, "title", &p);
    }
}

fn references(c: &mut Checker, v: &Value, path: &str) {
    for (i, r) in c.array(v, "references", path, false).iter().enumerate() {
        let p = format!("{path}/references/{i}");
        c.one_of(r, "category", &p, REFERENCE_CATEGORIES, false);
        c.string(r, "summary", &p);
        if let Some(u) = c.string(r, "url", &p) {
            if !u.contains(':') {
                c.push("schema", format!("{p}/url"), "must be an absolute URI");
            }
        }
    }
}

/// Product ids defined by a `full_product_name_t`.
fn full_product_name<'a>(c: &mut Checker, v: &'a Value, path: &str, defs: &mut Vec<(String, &'a str)>) {
    c.string(v, "name", path);
    match v.get("product_id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => defs.push((format!("{path}/product_id"), id)),
        _ => c.push("schema", path, "required property 'product_id' is missing or empty"),
    }
}

fn branches<'a>(c: &mut Checker, v: &'a Value, path: &str, defs: &mut Vec<(String, &'a str)>, depth: usize) {
    if depth > 30 {
        c.push("schema", path, "branches nested more than 30 levels");
        return;
    }
    for (i, b) in c.array(v, "branches", path, false).iter().enumerate() {
        let p = format!("{path}/branches/{i}");
        c.one_of(b, "category", &p, BRANCH_CATEGORIES, true);
        c.string(b, "name", &p);
        let has_product = b.get("product").is_some();
        let has_branches = b.get("branches").is_some();
        if has_product == has_branches {
            c.push("schema", &p, "a branch has either 'product' or 'branches', not both or neither");
        }
        if let Some(prod) = c.object(b, "product", &p, false) {
            full_product_name(c, prod, &format!("{p}/product"), defs);
        }
        if has_branches {
            branches(c, b, &p, defs, depth + 1);
        }
    }
}

/// Runs every check; an empty answer means the document is valid.
pub fn validate(doc: &Value) -> Vec<Issue> {
    let mut c = Checker { issues: vec![] };
    if !doc.is_object() {
        c.push("schema", "", "a CSAF document is a JSON object");
        return c.issues;
    }
    let Some(d) = c.object(doc, "document", "", true) else { return c.issues };
    let category = c.string(d, "category", "/document").unwrap_or_default().to_string();
    match d.get("csaf_version").and_then(Value::as_str) {
        Some("2.0") => {}
        Some(other) => c.push("schema", "/document/csaf_version", format!("'{other}' is not supported (expected 2.0)")),
        None => c.push("schema", "/document", "required property 'csaf_version' is missing"),
    }
    c.string(d, "title", "/document");
    for key in ["lang", "source_lang"] {
        if let Some(l) = c.opt_string(d, key, "/document") {
            if !lang_ok(l) {
                c.push("6.1.12", format!("/document/{key}"), format!("'{l}' is not a valid language tag"));
            }
        }
    }
    if let Some(p) = c.object(d, "publisher", "/document", true) {
        c.one_of(p, "category", "/document/publisher", PUBLISHER_CATEGORIES, true);
        c.string(p, "name", "/document/publisher");
        if let Some(ns) = c.string(p, "namespace", "/document/publisher") {
            if !ns.contains(':') {
                c.push("schema", "/document/publisher/namespace", "must be an absolute URI");
            }
        }
    }
    if let Some(dist) = c.object(d, "distribution", "/document", false) {
        if let Some(t) = c.object(dist, "tlp", "/document/distribution", false) {
            c.one_of(t, "label", "/document/distribution/tlp", TLP_LABELS, true);
        }
        c.opt_string(dist, "text", "/document/distribution");
        if dist.get("tlp").is_none() && dist.get("text").is_none() {
            c.push("schema", "/document/distribution", "needs 'tlp' or 'text'");
        }
    }
    notes(&mut c, d, "/document");
    references(&mut c, d, "/document");
    if let Some(t) = c.object(d, "tracking", "/document", true) {
        tracking(&mut c, t);
    }

    // Product tree: definitions and references.
    let mut defs: Vec<(String, &str)> = vec![];
    let mut refs: Vec<(String, &str)> = vec![];
    let mut group_defs: Vec<(String, &str)> = vec![];
    let mut group_refs: Vec<(String, &str)> = vec![];
    let mut rel_edges: Vec<(String, &str, Vec<&str>)> = vec![];
    let tree = c.object(doc, "product_tree", "", false);
    if let Some(pt) = tree {
        branches(&mut c, pt, "/product_tree", &mut defs, 0);
        for (i, f) in c.array(pt, "full_product_names", "/product_tree", false).iter().enumerate() {
            full_product_name(&mut c, f, &format!("/product_tree/full_product_names/{i}"), &mut defs);
        }
        for (i, r) in c.array(pt, "relationships", "/product_tree", false).iter().enumerate() {
            let p = format!("/product_tree/relationships/{i}");
            c.one_of(r, "category", &p, RELATIONSHIP_CATEGORIES, true);
            let a = c.string(r, "product_reference", &p);
            let b = c.string(r, "relates_to_product_reference", &p);
            if let Some(a) = a {
                refs.push((format!("{p}/product_reference"), a));
            }
            if let Some(b) = b {
                refs.push((format!("{p}/relates_to_product_reference"), b));
            }
            if let Some(f) = c.object(r, "full_product_name", &p, true) {
                let before = defs.len();
                full_product_name(&mut c, f, &format!("{p}/full_product_name"), &mut defs);
                if defs.len() > before {
                    let id = defs[defs.len() - 1].1;
                    rel_edges.push((format!("{p}/full_product_name/product_id"), id, a.into_iter().chain(b).collect()));
                }
            }
        }
        for (i, g) in c.array(pt, "product_groups", "/product_tree", false).iter().enumerate() {
            let p = format!("/product_tree/product_groups/{i}");
            if let Some(id) = c.string(g, "group_id", &p) {
                group_defs.push((format!("{p}/group_id"), id));
            }
            let before = refs.len();
            c.ids(g, "product_ids", &p, &mut refs);
            if refs.len() - before < 2 {
                c.push("schema", format!("{p}/product_ids"), "a product group has at least two products");
            }
        }
    }

    // Vulnerabilities.
    let vulns = c.array(doc, "vulnerabilities", "", false);
    let mut cves: HashMap<&str, String> = HashMap::new();
    for (i, v) in vulns.iter().enumerate() {
        let p = format!("/vulnerabilities/{i}");
        if let Some(cve) = c.opt_string(v, "cve", &p) {
            if !cve_ok(cve) {
                c.push("schema", format!("{p}/cve"), format!("'{cve}' is not a CVE id (CVE-YYYY-NNNN)"));
            }
            if let Some(first) = cves.get(cve) {
                c.push("6.1.23", format!("{p}/cve"), format!("{cve} is already used by {first}"));
            } else {
                cves.insert(cve, format!("{p}/cve"));
            }
        }
        notes(&mut c, v, &p);
        references(&mut c, v, &p);
        // Product status: references, and contradictions (6.1.6).
        let mut status_of: BTreeMap<&str, BTreeSet<&'static str>> = BTreeMap::new();
        if let Some(ps) = c.object(v, "product_status", &p, false) {
            let psp = format!("{p}/product_status");
            let mut any = false;
            for key in PRODUCT_STATUS_KEYS {
                let mut here = vec![];
                c.ids(ps, key, &psp, &mut here);
                any |= !here.is_empty();
                let group: &'static str = match *key {
                    "first_affected" | "known_affected" | "last_affected" => "affected",
                    "known_not_affected" => "not affected",
                    "first_fixed" | "fixed" => "fixed",
                    "under_investigation" => "under investigation",
                    _ => "recommended",
                };
                for (_, id) in &here {
                    if group != "recommended" {
                        status_of.entry(id).or_default().insert(group);
                    }
                }
                refs.extend(here);
            }
            if !any {
                c.push("schema", &psp, "needs at least one product status list");
            }
            for (id, groups) in &status_of {
                if groups.len() > 1 {
                    let g: Vec<_> = groups.iter().copied().collect();
                    c.push("6.1.6", &psp, format!("product {id} is at once {}", g.join(" and ")));
                }
            }
        }
        // Remediations (6.1.29), threats, flags (6.1.32), scores (6.1.7, 6.1.9).
        for (j, r) in c.array(v, "remediations", &p, false).iter().enumerate() {
            let rp = format!("{p}/remediations/{j}");
            c.one_of(r, "category", &rp, REMEDIATION_CATEGORIES, true);
            c.string(r, "details", &rp);
            let (b1, b2) = (refs.len(), group_refs.len());
            c.ids(r, "product_ids", &rp, &mut refs);
            c.ids(r, "group_ids", &rp, &mut group_refs);
            if refs.len() == b1 && group_refs.len() == b2 {
                c.push("6.1.29", rp, "a remediation must name product_ids or group_ids");
            }
        }
        for (j, t) in c.array(v, "threats", &p, false).iter().enumerate() {
            let tp = format!("{p}/threats/{j}");
            c.one_of(t, "category", &tp, THREAT_CATEGORIES, true);
            c.string(t, "details", &tp);
            c.ids(t, "product_ids", &tp, &mut refs);
            c.ids(t, "group_ids", &tp, &mut group_refs);
        }
        for (j, f) in c.array(v, "flags", &p, false).iter().enumerate() {
            let fp = format!("{p}/flags/{j}");
            c.string(f, "label", &fp);
            let (b1, b2) = (refs.len(), group_refs.len());
            c.ids(f, "product_ids", &fp, &mut refs);
            c.ids(f, "group_ids", &fp, &mut group_refs);
            if refs.len() == b1 && group_refs.len() == b2 {
                c.push("6.1.32", fp, "a flag must name product_ids or group_ids");
            }
        }
        let mut score_versions: HashMap<(String, &str), String> = HashMap::new();
        for (j, s) in c.array(v, "scores", &p, false).iter().enumerate() {
            let sp = format!("{p}/scores/{j}");
            let mut prods = vec![];
            c.ids(s, "products", &sp, &mut prods);
            let mut kinds = vec![];
            if let Some(cv) = c.object(s, "cvss_v3", &sp, false) {
                let ver = cvss_v3(&mut c, cv, &format!("{sp}/cvss_v3"));
                kinds.push(format!("cvss_v3 {}", ver.unwrap_or_default()));
            }
            if s.get("cvss_v2").is_some() {
                kinds.push("cvss_v2".to_string());
            }
            if kinds.is_empty() {
                c.push("schema", &sp, "a score needs cvss_v2 or cvss_v3");
            }
            for (pp, id) in &prods {
                for k in &kinds {
                    if let Some(first) = score_versions.get(&(k.clone(), *id)) {
                        c.push("6.1.7", pp.clone(), format!("product {id} already has a {k} score at {first}"));
                    } else {
                        score_versions.insert((k.clone(), id), sp.clone());
                    }
                }
            }
            refs.extend(prods);
        }
        // Profile tests for the vulnerability.
        if (category == "csaf_security_advisory" || category == "csaf_vex") && v.get("notes").is_none() {
            c.push("6.1.27.5", &p, "each vulnerability of this profile needs notes");
        }
        if category == "csaf_security_advisory" && v.get("product_status").is_none() {
            c.push("6.1.27.6", &p, "each vulnerability of a security advisory needs product_status");
        }
        if category == "csaf_vex" {
            let ps = v.get("product_status");
            let has = ["fixed", "known_affected", "known_not_affected", "under_investigation"]
                .iter()
                .any(|k| ps.and_then(|x| x.get(*k)).is_some());
            if !has {
                c.push("6.1.27.7", &p, "a VEX vulnerability needs fixed, known_affected, known_not_affected or under_investigation");
            }
            if v.get("cve").is_none() && v.get("ids").is_none() {
                c.push("6.1.27.8", &p, "a VEX vulnerability needs 'cve' or 'ids'");
            }
        }
    }

    // Profiles (6.1.27.x).
    match category.as_str() {
        "csaf_security_advisory" | "csaf_vex" => {
            if tree.is_none() {
                c.push("6.1.27.4", "", "this profile needs a product_tree");
            }
            if vulns.is_empty() && category == "csaf_vex" {
                c.push("6.1.27.8", "", "a VEX document needs vulnerabilities");
            }
        }
        "csaf_informational_advisory" if !vulns.is_empty() => {
            c.push("6.1.27.3", "/vulnerabilities", "an informational advisory has no vulnerabilities");
        }
        _ => {}
    }

    // 6.1.2 multiple definitions, 6.1.1 missing definitions, 6.1.3 circular definitions.
    let mut defined: HashMap<&str, &str> = HashMap::new();
    for (path, id) in &defs {
        if let Some(first) = defined.get(id) {
            c.push("6.1.2", path.clone(), format!("product id {id} is already defined at {first}"));
        } else {
            defined.insert(id, path);
        }
    }
    for (path, id) in &refs {
        if !defined.contains_key(id) {
            c.push("6.1.1", path.clone(), format!("product id {id} is not defined in the product tree"));
        }
    }
    let edges: HashMap<&str, Vec<&str>> = rel_edges.iter().map(|(_, id, to)| (*id, to.clone())).collect();
    for (path, id, _) in &rel_edges {
        if reaches(&edges, id, id) {
            c.push("6.1.3", path.clone(), format!("product id {id} is defined in terms of itself"));
        }
    }
    // 6.1.5 multiple group definitions, 6.1.4 missing group definitions.
    let mut groups: HashMap<&str, &str> = HashMap::new();
    for (path, id) in &group_defs {
        if let Some(first) = groups.get(id) {
            c.push("6.1.5", path.clone(), format!("group id {id} is already defined at {first}"));
        } else {
            groups.insert(id, path);
        }
    }
    for (path, id) in &group_refs {
        if !groups.contains_key(id) {
            c.push("6.1.4", path.clone(), format!("group id {id} is not defined in the product tree"));
        }
    }
    c.issues
}

fn reaches(edges: &HashMap<&str, Vec<&str>>, from: &str, target: &str) -> bool {
    let mut stack: Vec<&str> = edges.get(from).cloned().unwrap_or_default();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == target {
            return true;
        }
        if seen.insert(n) {
            if let Some(next) = edges.get(n) {
                stack.extend(next.iter().copied());
            }
        }
    }
    false
}

pub(crate) fn cve_ok(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() >= 13
        && s.starts_with("CVE-")
        && b[4..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'-'
        && b[9..].iter().all(u8::is_ascii_digit)
}

/// Checks a `cvss_v3` object; answers its version.
fn cvss_v3(c: &mut Checker, cv: &Value, path: &str) -> Option<String> {
    let version = c.one_of(cv, "version", path, &["3.0", "3.1"], true);
    let vector = c.string(cv, "vectorString", path)?;
    let parsed: Option<cvss::v3::Vector> = vector.parse().ok();
    let Some(parsed) = parsed else {
        c.push("schema", format!("{path}/vectorString"), format!("'{vector}' is not a CVSS v3 vector"));
        return version;
    };
    if let Some(v) = &version {
        if !vector.starts_with(&format!("CVSS:{v}/")) {
            c.push("6.1.10", format!("{path}/vectorString"), format!("the vector does not match version {v}"));
        }
    }
    let computed = parsed.base_score().value();
    match cv.get("baseScore").and_then(Value::as_f64) {
        Some(s) if (s - computed).abs() < 0.05 => {}
        Some(s) => c.push("6.1.9", format!("{path}/baseScore"), format!("{s} differs from {computed} computed from the vector")),
        None => c.push("schema", path, "required property 'baseScore' is missing or not a number"),
    }
    let sev = parsed.base_score().severity().as_str().to_ascii_uppercase();
    match cv.get("baseSeverity").and_then(Value::as_str) {
        Some(s) if s == sev => {}
        Some(s) => c.push("6.1.9", format!("{path}/baseSeverity"), format!("{s} differs from {sev} computed from the vector")),
        None => c.push("schema", path, "required property 'baseSeverity' is missing"),
    }
    version
}

fn tracking(c: &mut Checker, t: &Value) {
    let path = "/document/tracking";
    c.string(t, "id", path);
    c.date(t, "initial_release_date", path);
    c.date(t, "current_release_date", path);
    let status = c.one_of(t, "status", path, STATUSES, true);
    let version = c.string(t, "version", path).and_then(|s| match Version::parse(s) {
        Some(v) => Some(v),
        None => {
            c.push("schema", format!("{path}/version"), format!("'{s}' is neither an integer nor a semantic version"));
            None
        }
    });
    let released = matches!(status.as_deref(), Some("final" | "interim"));
    if let Some(v) = &version {
        if (v.is_zero() || v.is_prerelease()) && status.as_deref() != Some("draft") {
            c.push("6.1.17", format!("{path}/status"), "a document with version 0, 0.y.z or a pre-release must be a draft");
        }
        if released && v.is_prerelease() {
            c.push("6.1.20", format!("{path}/version"), "a final or interim document must not have a pre-release version");
        }
    }
    if let Some(g) = c.object(t, "generator", path, false) {
        if let Some(e) = c.object(g, "engine", &format!("{path}/generator"), true) {
            c.string(e, "name", &format!("{path}/generator/engine"));
        }
    }
    let hist = c.array(t, "revision_history", path, true);
    let mut items: Vec<(usize, OffsetDateTime, Version)> = vec![];
    for (i, r) in hist.iter().enumerate() {
        let p = format!("{path}/revision_history/{i}");
        let date = c.date(r, "date", &p);
        c.string(r, "summary", &p);
        let num = c.string(r, "number", &p).and_then(|s| match Version::parse(s) {
            Some(v) => Some(v),
            None => {
                c.push("schema", format!("{p}/number"), format!("'{s}' is neither an integer nor a semantic version"));
                None
            }
        });
        if let (Some(d), Some(n)) = (date, num) {
            items.push((i, d, n));
        }
    }
    if items.len() != hist.len() || items.is_empty() {
        return;
    }
    if items.iter().any(|(_, _, n)| n.is_integer()) && items.iter().any(|(_, _, n)| !n.is_integer()) {
        c.push("6.1.30", format!("{path}/revision_history"), "integer and semantic versioning are mixed");
        return;
    }
    if let Some(v) = &version {
        if v.is_integer() != items[0].2.is_integer() {
            c.push("6.1.30", format!("{path}/version"), "integer and semantic versioning are mixed");
            return;
        }
    }
    // 6.1.22 duplicates.
    for (a, (i, _, n)) in items.iter().enumerate() {
        if items[..a].iter().any(|(_, _, m)| m.normalized(false) == n.normalized(false)) {
            c.push("6.1.22", format!("{path}/revision_history/{i}/number"), "this version appears twice in the revision history");
        }
    }
    // 6.1.18 released documents list no unreleased versions.
    if released {
        for (i, _, n) in &items {
            if n.is_zero() {
                c.push("6.1.18", format!("{path}/revision_history/{i}/number"), "a final or interim document lists no version 0 or 0.y.z");
            }
        }
    }
    // 6.1.14 sorted by date ⇒ sorted by number.
    let mut by_date = items.clone();
    by_date.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    for w in by_date.windows(2) {
        if w[0].2.precedence(&w[1].2) == std::cmp::Ordering::Greater {
            c.push("6.1.14", format!("{path}/revision_history/{}/number", w[1].0), "revision numbers do not ascend with their dates");
        }
    }
    // 6.1.16 the last (by date) revision is the document version.
    if let (Some(v), Some(last)) = (&version, by_date.last()) {
        let draft = status.as_deref() == Some("draft");
        if v.normalized(draft) != last.2.normalized(draft) {
            c.push("6.1.16", format!("{path}/version"), "does not match the number of the latest revision history entry");
        }
    }
    // 6.1.21 no missing items: major numbers consecutive from 0 or 1.
    let mut majors: Vec<u64> = items.iter().map(|(_, _, n)| n.major()).collect();
    majors.sort_unstable();
    majors.dedup();
    if let Some(first) = majors.first() {
        if *first > 1 {
            c.push("6.1.21", format!("{path}/revision_history"), format!("the revision history starts at {first} (items are missing)"));
        }
    }
    for w in majors.windows(2) {
        if w[1] != w[0] + 1 {
            c.push("6.1.21", format!("{path}/revision_history"), format!("version {} is missing from the revision history", w[0] + 1));
        }
    }
}
