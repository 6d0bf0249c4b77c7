//! Writing complete `csaf_security_advisory` documents from a simple input.
use crate::{tlp_to_csaf, validate, Issue, SECTORS_NOTE_TITLE};
use atalaya_model::Tlp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The status of one product with respect to the advisory's vulnerabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    KnownAffected,
    Fixed,
    KnownNotAffected,
    UnderInvestigation,
}

impl ProductStatus {
    fn key(self) -> &'static str {
        match self {
            ProductStatus::KnownAffected => "known_affected",
            ProductStatus::Fixed => "fixed",
            ProductStatus::KnownNotAffected => "known_not_affected",
            ProductStatus::UnderInvestigation => "under_investigation",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub vendor: String,
    pub product: String,
    /// A single version (`2.4.1`), or a version range in `vers:` notation (`vers:semver/<2.4.2`).
    pub version: String,
    pub status: ProductStatus,
    /// The CVEs this status applies to (default: every vulnerability of the advisory).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VulnerabilityInput {
    /// `CVE-YYYY-NNNN`, when one is assigned.
    pub cve: Option<String>,
    pub title: Option<String>,
    /// Description (default: the advisory summary).
    pub description: Option<String>,
    /// CVSS v3.0/v3.1 vector (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`); the base score
    /// and severity are computed from it and given to the affected products.
    pub cvss_v3: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RemediationCategory {
    VendorFix,
    Mitigation,
    Workaround,
    NoneAvailable,
    NoFixPlanned,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediationInput {
    pub category: RemediationCategory,
    pub details: String,
    pub url: Option<String>,
    /// Indexes into `products` (0-based); default: every known_affected product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceInput {
    pub url: String,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    Draft,
    Interim,
    Final,
}

/// What an analyst writes; [`build`] makes the CSAF document of it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorInput {
    pub title: String,
    pub summary: String,
    pub tlp: Tlp,
    /// Language of the text (BCP 47, default `en`).
    pub lang: Option<String>,
    /// Default `final`.
    pub status: Option<TrackingStatus>,
    #[schema(min_items = 1)]
    pub products: Vec<ProductInput>,
    #[schema(min_items = 1)]
    pub vulnerabilities: Vec<VulnerabilityInput>,
    #[serde(default)]
    pub remediations: Vec<RemediationInput>,
    /// Sectors concerned (e.g. `energy`, `health-care`).
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub references: Vec<ReferenceInput>,
    /// Incident cases of this node the advisory relates to (ids). Kept by Atalaya beside the
    /// document, not written into it.
    #[serde(default)]
    pub incidents: Vec<String>,
    /// STIX indicators (`indicator--…`) the advisory relates to; kept beside the document.
    #[serde(default)]
    pub indicators: Vec<String>,
}

/// Who publishes, and the tracking facts of this revision.
#[derive(Debug, Clone)]
pub struct AuthorContext {
    pub tracking_id: String,
    pub publisher_name: String,
    pub publisher_namespace: String,
    pub now: OffsetDateTime,
    pub generator_version: String,
}

fn issue(path: impl Into<String>, message: impl Into<String>) -> Issue {
    Issue { test: "input".into(), path: path.into(), message: message.into() }
}

fn text(errs: &mut Vec<Issue>, path: &str, v: &str, max: usize) -> String {
    let t = v.trim();
    if t.is_empty() {
        errs.push(issue(path, "must not be empty"));
    } else if t.chars().count() > max {
        errs.push(issue(path, format!("at most {max} characters")));
    }
    t.to_string()
}

const RANGE_WORDS: &[&str] = &["<", ">", "after", "all", "before", "earlier", "later", "prior", "versions", "and above", "and below"];

fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).unwrap_or_default()
}

/// Builds the document. `previous` is the document of the last revision when this is a new
/// revision: its tracking dates and revision history are carried on, the version goes up by one
/// and `revision_summary` becomes the new history entry.
pub fn build(input: &AuthorInput, cx: &AuthorContext, previous: Option<&Value>, revision_summary: Option<&str>) -> Result<Value, Vec<Issue>> {
    let mut errs = vec![];
    let title = text(&mut errs, "/title", &input.title, 500);
    let summary = text(&mut errs, "/summary", &input.summary, 20_000);
    let lang = input.lang.clone().unwrap_or_else(|| "en".into());
    if input.products.is_empty() {
        errs.push(issue("/products", "name at least one product"));
    }
    if input.vulnerabilities.is_empty() {
        errs.push(issue("/vulnerabilities", "name at least one vulnerability"));
    }

    // Product tree: vendor → product name → version, ids CSAFPID-0001… in input order.
    let mut ids = vec![];
    type Leaves = Vec<(String, Vec<Value>)>;
    let mut vendors: Vec<(String, Leaves)> = vec![];
    for (i, p) in input.products.iter().enumerate() {
        let vendor = text(&mut errs, &format!("/products/{i}/vendor"), &p.vendor, 200);
        let product = text(&mut errs, &format!("/products/{i}/product"), &p.product, 200);
        let version = text(&mut errs, &format!("/products/{i}/version"), &p.version, 200);
        let range = version.starts_with("vers:");
        if !range {
            let low = version.to_ascii_lowercase();
            if RANGE_WORDS.iter().any(|w| low.split_whitespace().any(|x| x == *w) || (w.len() == 1 && low.contains(w))) {
                errs.push(issue(format!("/products/{i}/version"), "a single version; write ranges in vers: notation (vers:semver/<2.4.2)"));
            }
        }
        for c in &p.cves {
            if !input.vulnerabilities.iter().any(|v| v.cve.as_deref() == Some(c.as_str())) {
                errs.push(issue(format!("/products/{i}/cves"), format!("{c} is not one of the advisory's vulnerabilities")));
            }
        }
        let id = format!("CSAFPID-{:04}", i + 1);
        let leaf = json!({
            "category": if range { "product_version_range" } else { "product_version" },
            "name": version,
            "product": {"product_id": id, "name": format!("{vendor} {product} {version}")},
        });
        ids.push(id);
        let vi = match vendors.iter().position(|(v, _)| *v == vendor) {
            Some(x) => x,
            None => {
                vendors.push((vendor.clone(), vec![]));
                vendors.len() - 1
            }
        };
        let prods = &mut vendors[vi].1;
        match prods.iter_mut().find(|(n, _)| *n == product) {
            Some((_, leaves)) => leaves.push(leaf),
            None => prods.push((product, vec![leaf])),
        }
    }
    let branches: Vec<Value> = vendors
        .into_iter()
        .map(|(v, prods)| {
            json!({"category": "vendor", "name": v, "branches": prods.into_iter().map(|(n, leaves)| json!({"category": "product_name", "name": n, "branches": leaves})).collect::<Vec<_>>()})
        })
        .collect();

    // Vulnerabilities.
    let mut vulns = vec![];
    for (i, v) in input.vulnerabilities.iter().enumerate() {
        let path = format!("/vulnerabilities/{i}");
        let mut out = serde_json::Map::new();
        if let Some(cve) = &v.cve {
            if !crate::validate::cve_ok(cve.trim()) {
                errs.push(issue(format!("{path}/cve"), format!("'{cve}' is not a CVE id (CVE-YYYY-NNNN)")));
            }
            out.insert("cve".into(), json!(cve.trim()));
        }
        if let Some(t) = &v.title {
            out.insert("title".into(), json!(text(&mut errs, &format!("{path}/title"), t, 500)));
        }
        let desc = match &v.description {
            Some(d) => text(&mut errs, &format!("{path}/description"), d, 20_000),
            None => summary.clone(),
        };
        out.insert("notes".into(), json!([{"category": "description", "title": "Vulnerability description", "text": desc}]));
        let applies = |p: &ProductInput| p.cves.is_empty() || v.cve.as_ref().is_some_and(|c| p.cves.contains(c));
        let mut status = serde_json::Map::new();
        let mut affected = vec![];
        for (j, p) in input.products.iter().enumerate() {
            if applies(p) {
                let e = status.entry(p.status.key()).or_insert_with(|| json!([]));
                if let Some(a) = e.as_array_mut() {
                    a.push(json!(ids[j]));
                }
                if p.status == ProductStatus::KnownAffected {
                    affected.push(ids[j].clone());
                }
            }
        }
        if status.is_empty() {
            errs.push(issue(&path, "no product has a status for this vulnerability"));
        }
        out.insert("product_status".into(), Value::Object(status));
        if let Some(vec) = &v.cvss_v3 {
            match vec.trim().parse::<cvss::v3::Vector>() {
                Ok(parsed) if vec.trim().starts_with("CVSS:3.") => {
                    let score = parsed.base_score();
                    if !affected.is_empty() {
                        out.insert(
                            "scores".into(),
                            json!([{"products": affected, "cvss_v3": {
                                "version": format!("3.{}", parsed.minor_version),
                                "vectorString": parsed.to_string(),
                                "baseScore": score.value(),
                                "baseSeverity": score.severity().as_str().to_ascii_uppercase(),
                            }}]),
                        );
                    }
                }
                _ => errs.push(issue(format!("{path}/cvss_v3"), format!("'{vec}' is not a CVSS v3 vector (CVSS:3.1/AV:N/AC:L/…)"))),
            }
        }
        let mut rems = vec![];
        for (k, r) in input.remediations.iter().enumerate() {
            let rp = format!("/remediations/{k}");
            let mut pids = vec![];
            if r.products.is_empty() {
                pids.extend(affected.iter().cloned());
            } else {
                for (n, idx) in r.products.iter().enumerate() {
                    match input.products.get(*idx) {
                        Some(p) if applies(p) => pids.push(ids[*idx].clone()),
                        Some(_) => {}
                        None => errs.push(issue(format!("{rp}/products/{n}"), format!("there is no product {idx} (products are numbered from 0)"))),
                    }
                }
            }
            if pids.is_empty() {
                if i == 0 && r.products.is_empty() && !input.products.iter().any(|p| p.status == ProductStatus::KnownAffected) {
                    errs.push(issue(format!("{rp}/products"), "no known_affected product: name the products this remediation is for"));
                }
                continue;
            }
            let cat = serde_json::to_value(r.category).unwrap_or(Value::Null);
            let mut rem = json!({"category": cat, "details": text(&mut errs, &format!("{rp}/details"), &r.details, 20_000), "product_ids": pids});
            if let Some(u) = &r.url {
                url_ok(&mut errs, &format!("{rp}/url"), u);
                rem["url"] = json!(u.trim());
            }
            rems.push(rem);
        }
        if !rems.is_empty() {
            out.insert("remediations".into(), json!(rems));
        }
        vulns.push(Value::Object(out));
    }
    let mut cves: Vec<&String> = input.vulnerabilities.iter().filter_map(|v| v.cve.as_ref()).collect();
    cves.sort();
    if cves.windows(2).any(|w| w[0] == w[1]) {
        errs.push(issue("/vulnerabilities", "a CVE appears twice"));
    }

    // Document notes and references.
    let mut notes = vec![json!({"category": "summary", "title": "Summary", "text": summary})];
    let sectors: Vec<String> = input.sectors.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    for (i, s) in sectors.iter().enumerate() {
        if s.contains(',') || s.chars().count() > 100 {
            errs.push(issue(format!("/sectors/{i}"), "a sector name has no commas and at most 100 characters"));
        }
    }
    if !sectors.is_empty() {
        notes.push(json!({"category": "other", "title": SECTORS_NOTE_TITLE, "text": sectors.join(", ")}));
    }
    let mut refs = vec![];
    for (i, r) in input.references.iter().enumerate() {
        url_ok(&mut errs, &format!("/references/{i}/url"), &r.url);
        refs.push(json!({"category": "external", "url": r.url.trim(), "summary": text(&mut errs, &format!("/references/{i}/summary"), &r.summary, 1000)}));
    }

    // Tracking.
    let now = rfc3339(cx.now);
    let status = match input.status.unwrap_or(TrackingStatus::Final) {
        TrackingStatus::Draft => "draft",
        TrackingStatus::Interim => "interim",
        TrackingStatus::Final => "final",
    };
    let (version, initial, mut history) = match previous {
        Some(prev) => {
            let hist = prev.pointer("/document/tracking/revision_history").and_then(Value::as_array).cloned().unwrap_or_default();
            let last: u64 = prev.pointer("/document/tracking/version").and_then(Value::as_str).and_then(|v| v.parse().ok()).unwrap_or(hist.len() as u64);
            let initial = prev.pointer("/document/tracking/initial_release_date").and_then(Value::as_str).unwrap_or(&now).to_string();
            ((last + 1).to_string(), initial, hist)
        }
        None => ("1".to_string(), now.clone(), vec![]),
    };
    let rev_summary = match (previous, revision_summary) {
        (_, Some(s)) => text(&mut errs, "/revision_summary", s, 1000),
        (None, None) => "Initial version.".to_string(),
        (Some(_), None) => {
            errs.push(issue("/revision_summary", "say what changed in this revision"));
            String::new()
        }
    };
    history.push(json!({"date": now, "number": version, "summary": rev_summary}));
    if !errs.is_empty() {
        return Err(errs);
    }

    let (label, dist_text) = tlp_to_csaf(input.tlp);
    let mut distribution = json!({"tlp": {"label": label, "url": "https://www.first.org/tlp/"}});
    if let Some(t) = dist_text {
        distribution["text"] = json!(t);
    }
    let mut document = json!({
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "lang": lang,
        "title": title,
        "publisher": {"category": "coordinator", "name": cx.publisher_name, "namespace": cx.publisher_namespace},
        "distribution": distribution,
        "notes": notes,
        "tracking": {
            "id": cx.tracking_id,
            "status": status,
            "version": version,
            "initial_release_date": initial,
            "current_release_date": now,
            "revision_history": history,
            "generator": {"date": now, "engine": {"name": "Atalaya", "version": cx.generator_version}},
        },
    });
    if !refs.is_empty() {
        document["references"] = json!(refs);
    }
    let doc = json!({"document": document, "product_tree": {"branches": branches}, "vulnerabilities": vulns});
    let issues = validate(&doc);
    if issues.is_empty() {
        Ok(doc)
    } else {
        Err(issues)
    }
}

fn url_ok(errs: &mut Vec<Issue>, path: &str, u: &str) {
    let u = u.trim();
    if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() < 10 || u.contains(char::is_whitespace) {
        errs.push(issue(path, "an absolute http(s) URL"));
    }
}
