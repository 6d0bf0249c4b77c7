//! CSAF 2.0 (OASIS Common Security Advisory Framework) in the model layer.
//!
//! A document is kept verbatim as JSON (what was imported is what is exported, byte for byte in
//! meaning); [`Summary`] is the typed view Atalaya needs to index, search and decide on it:
//! tracking, title, publisher, TLP, the product tree flattened (vendor → product → version,
//! product ids: the supply chain), CVEs and sectors. [`validate`] checks the required fields and
//! enumerations of the JSON schema and the mandatory tests of §6.1 (each issue names the JSON
//! pointer and the test), and [`author::build`] writes complete `csaf_security_advisory`
//! documents. Decisions (documented in `docs/csaf.md`):
//! - TLP: CSAF 2.0 carries TLP 1.0 labels. TLP:CLEAR ↔ WHITE. TLP:AMBER+STRICT has no CSAF 2.0
//!   label: it is written as `AMBER` with `distribution.text` starting `TLP:AMBER+STRICT`, and read
//!   back as AMBER+STRICT when the text says so.
//! - Sectors: a `document.notes` entry with category `other` and title `Sectors`, the text a
//!   comma-separated list.
pub mod author;
mod validate;
pub mod version;

use atalaya_model::Tlp;
use serde::Serialize;
use serde_json::Value;

pub use validate::validate;

/// Title of the document note that lists the sectors concerned.
pub const SECTORS_NOTE_TITLE: &str = "Sectors";
/// How `distribution.text` marks TLP:AMBER+STRICT (CSAF 2.0 has no such label).
pub const AMBER_STRICT_TEXT: &str =
    "TLP:AMBER+STRICT — limited disclosure, recipients may share it only within their own organisation (FIRST TLP 2.0). CSAF 2.0 has no label for it; the TLP label above is AMBER.";

/// One validation failure: the test (`schema`, `json` or a CSAF §6.1 test number), the JSON
/// pointer of the offending value, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub test: String,
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() { "/" } else { &self.path };
        if self.test == "schema" || self.test == "json" {
            write!(f, "{path}: {} ({})", self.message, self.test)
        } else {
            write!(f, "{path}: {} (CSAF mandatory test {})", self.message, self.test)
        }
    }
}

/// A product of the product tree, flattened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub product_id: String,
    pub name: String,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
}

/// What Atalaya reads out of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub category: String,
    pub title: String,
    pub lang: Option<String>,
    pub publisher_name: String,
    pub publisher_namespace: String,
    pub publisher_category: String,
    pub tracking_id: String,
    pub version: String,
    pub status: String,
    pub initial_release_date: String,
    pub current_release_date: String,
    /// `None` when the document states no TLP.
    pub tlp: Option<Tlp>,
    pub products: Vec<Product>,
    pub cves: Vec<String>,
    pub sectors: Vec<String>,
}

/// A validated document and its summary.
#[derive(Debug, Clone)]
pub struct Document {
    pub json: Value,
    pub summary: Summary,
}

/// Parses and validates; the answer lists every issue found.
pub fn parse(bytes: &[u8]) -> Result<Document, Vec<Issue>> {
    let json: Value = serde_json::from_slice(bytes).map_err(|e| {
        vec![Issue { test: "json".into(), path: String::new(), message: format!("not valid JSON: {e}") }]
    })?;
    from_value(json)
}

/// Validates a parsed document.
pub fn from_value(json: Value) -> Result<Document, Vec<Issue>> {
    let issues = validate(&json);
    if !issues.is_empty() {
        return Err(issues);
    }
    let summary = summarize(&json);
    Ok(Document { json, summary })
}

fn s(v: &Value, ptr: &str) -> String {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// CSAF 2.0 TLP label (and `distribution.text`, for AMBER+STRICT) of a TLP 2.0 level.
pub fn tlp_to_csaf(t: Tlp) -> (&'static str, Option<&'static str>) {
    match t {
        Tlp::Clear => ("WHITE", None),
        Tlp::Green => ("GREEN", None),
        Tlp::Amber => ("AMBER", None),
        Tlp::AmberStrict => ("AMBER", Some(AMBER_STRICT_TEXT)),
        Tlp::Red => ("RED", None),
    }
}

/// The TLP 2.0 level a document states, if any.
pub fn tlp_of(doc: &Value) -> Option<Tlp> {
    let label = doc.pointer("/document/distribution/tlp/label").and_then(Value::as_str)?;
    let text = doc.pointer("/document/distribution/text").and_then(Value::as_str).unwrap_or_default();
    Some(match label {
        "WHITE" => Tlp::Clear,
        "GREEN" => Tlp::Green,
        "AMBER" if text.to_ascii_uppercase().contains("TLP:AMBER+STRICT") => Tlp::AmberStrict,
        "AMBER" => Tlp::Amber,
        "RED" => Tlp::Red,
        _ => return None,
    })
}

fn walk(branches: &Value, vendor: Option<&str>, product: Option<&str>, version: Option<&str>, out: &mut Vec<Product>, depth: usize) {
    let Some(list) = branches.as_array() else { return };
    if depth > 30 {
        return;
    }
    for b in list {
        let cat = b.get("category").and_then(Value::as_str).unwrap_or_default();
        let name = b.get("name").and_then(Value::as_str);
        let (mut ve, mut pr, mut vs) = (vendor, product, version);
        match cat {
            "vendor" => ve = name,
            "product_name" | "product_family" if pr.is_none() || cat == "product_name" => pr = name,
            "product_version" | "product_version_range" => vs = name,
            _ => {}
        }
        if let Some(p) = b.get("product") {
            out.push(Product {
                product_id: s(p, "/product_id"),
                name: s(p, "/name"),
                vendor: ve.map(str::to_string),
                product: pr.map(str::to_string),
                version: vs.map(str::to_string),
            });
        }
        if let Some(sub) = b.get("branches") {
            walk(sub, ve, pr, vs, out, depth + 1);
        }
    }
}

/// The typed view of a (valid) document.
pub fn summarize(doc: &Value) -> Summary {
    let mut products = vec![];
    if let Some(pt) = doc.get("product_tree") {
        if let Some(b) = pt.get("branches") {
            walk(b, None, None, None, &mut products, 0);
        }
        let mut plain = |p: &Value| {
            products.push(Product { product_id: s(p, "/product_id"), name: s(p, "/name"), vendor: None, product: None, version: None })
        };
        for f in pt.get("full_product_names").and_then(Value::as_array).into_iter().flatten() {
            plain(f);
        }
        for r in pt.get("relationships").and_then(Value::as_array).into_iter().flatten() {
            if let Some(f) = r.get("full_product_name") {
                plain(f);
            }
        }
    }
    let cves = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("cve").and_then(Value::as_str).map(str::to_string))
        .collect();
    let sectors = doc
        .pointer("/document/notes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|n| n.get("category").and_then(Value::as_str) == Some("other") && n.get("title").and_then(Value::as_str) == Some(SECTORS_NOTE_TITLE))
        .flat_map(|n| n.get("text").and_then(Value::as_str).unwrap_or_default().split(',').map(|x| x.trim().to_string()).collect::<Vec<_>>())
        .filter(|x| !x.is_empty())
        .collect();
    Summary {
        category: s(doc, "/document/category"),
        title: s(doc, "/document/title"),
        lang: doc.pointer("/document/lang").and_then(Value::as_str).map(str::to_string),
        publisher_name: s(doc, "/document/publisher/name"),
        publisher_namespace: s(doc, "/document/publisher/namespace"),
        publisher_category: s(doc, "/document/publisher/category"),
        tracking_id: s(doc, "/document/tracking/id"),
        version: s(doc, "/document/tracking/version"),
        status: s(doc, "/document/tracking/status"),
        initial_release_date: s(doc, "/document/tracking/initial_release_date"),
        current_release_date: s(doc, "/document/tracking/current_release_date"),
        tlp: tlp_of(doc),
        products,
        cves,
        sectors,
    }
}

#[cfg(test)]
mod tests;
