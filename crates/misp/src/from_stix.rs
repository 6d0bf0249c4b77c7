//! STIX 2.1 back to MISP events.
//!
//! - Objects that came from MISP carry their MISP JSON (`x_misp_event` on the report,
//!   `x_misp_attribute` / `x_misp_object` on the attribute's and object's STIX object): the event
//!   is rebuilt from those, exactly; a revoked STIX object gives `"deleted": true`. Only the
//!   objects the reader may see are passed in, so an export never holds more than the reader's
//!   share of the event.
//! - Other STIX content (a report, or objects no report references) is mapped: an indicator's
//!   equality comparisons become attributes (`to_ids` true; several comparisons become a MISP
//!   object of the matching template), yara/snort/sigma/suricata patterns become attributes of
//!   that type, SCOs (directly or through observed-data) become attributes with `to_ids` false,
//!   vulnerabilities become `vulnerability` attributes, threat actors, intrusion sets, malware,
//!   tools, attack patterns and courses of action become galaxy clusters with their
//!   `misp-galaxy:` tag, sightings become the attribute's sightings, labels become tags, the TLP
//!   marking becomes a `tlp:` tag, `x_atalaya_pap` a `PAP:` tag, `x_atalaya_incident_classification`
//!   `rsit:` tags.
use crate::to_stix::tag_of_tlp;
use crate::{types, NAMESPACE};
use atalaya_model::Tlp;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// A visible stored object.
#[derive(Debug, Clone)]
pub struct Item {
    pub object: Value,
    pub revoked: bool,
}

/// The event-level facts of an event that no MISP JSON describes.
#[derive(Debug, Clone)]
pub struct EventMeta {
    pub uuid: Uuid,
    pub info: String,
    pub date: String,
    pub timestamp: i64,
    pub orgc_uuid: Uuid,
    pub orgc_name: String,
    pub tlp: Option<Tlp>,
    pub labels: Vec<String>,
}

fn epoch(s: Option<&str>) -> Option<i64> {
    OffsetDateTime::parse(s?, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

fn tlp_of(o: &Value) -> Option<Tlp> {
    o.get("object_marking_refs")?.as_array()?.iter().filter_map(|m| m.as_str()).filter_map(Tlp::from_marking_definition_id).max()
}

fn uuid_of(id: &str) -> Option<Uuid> {
    Uuid::parse_str(id.split_once("--")?.1).ok()
}

/// A label that is not MISP bookkeeping (`misp:type="…"` etc. describe the attribute itself).
fn tag_labels(o: &Value) -> Vec<String> {
    o.get("labels")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).filter(|l| !l.starts_with("misp:")).map(str::to_string).collect())
        .unwrap_or_default()
}

fn tags_json(names: &[String]) -> Value {
    Value::Array(names.iter().map(|n| json!({"name": n})).collect())
}

/// Tags of an object's own fields: TLP, PAP, RSIT and labels.
fn field_tags(o: &Value, tlp: Option<Tlp>) -> Vec<String> {
    let mut out = vec![];
    if let Some(t) = tlp {
        out.push(tag_of_tlp(t).to_string());
    }
    if let Some(p) = o.get("x_atalaya_pap").and_then(Value::as_str) {
        out.push(p.to_string());
    }
    for c in o.get("x_atalaya_incident_classification").and_then(Value::as_array).into_iter().flatten() {
        if let Some(class) = c.get("class").and_then(Value::as_str) {
            out.push(match c.get("type").and_then(Value::as_str) {
                Some(t) => format!("rsit:{class}=\"{t}\""),
                None => format!("rsit:{class}"),
            });
        }
    }
    for l in tag_labels(o) {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

/// (MISP type, object relation) of an SCO property path.
fn misp_type_of(object_type: &str, path: &str) -> Option<(&'static str, &'static str)> {
    let hash = |p: &str| -> Option<(&'static str, &'static str)> {
        let algo = p.trim_start_matches("hashes.").trim_matches('\'').to_ascii_uppercase().replace('-', "");
        Some(match algo.as_str() {
            "MD5" => ("md5", "md5"),
            "SHA1" => ("sha1", "sha1"),
            "SHA224" => ("sha224", "sha224"),
            "SHA256" => ("sha256", "sha256"),
            "SHA384" => ("sha384", "sha384"),
            "SHA512" => ("sha512", "sha512"),
            "SHA3224" => ("sha3-224", "sha3-224"),
            "SHA3256" => ("sha3-256", "sha3-256"),
            "SHA3384" => ("sha3-384", "sha3-384"),
            "SHA3512" => ("sha3-512", "sha3-512"),
            "SSDEEP" => ("ssdeep", "ssdeep"),
            "TLSH" => ("tlsh", "tlsh"),
            _ => return None,
        })
    };
    Some(match (object_type, path) {
        ("ipv4-addr", "value") | ("ipv6-addr", "value") => ("ip-dst", "ip"),
        ("domain-name", "value") => ("domain", "domain"),
        ("domain-name", p) if p.starts_with("resolves_to_refs") => ("ip-dst", "ip"),
        ("url", "value") => ("url", "url"),
        ("email-addr", "value") => ("email", "email"),
        ("email-message", "subject") => ("email-subject", "subject"),
        ("email-message", "body") => ("email-body", "email-body"),
        ("email-message", "message_id") => ("email-message-id", "message-id"),
        ("email-message", p) if p.starts_with("from_ref") => ("email-src", "from"),
        ("email-message", p) if p.starts_with("to_refs") => ("email-dst", "to"),
        ("file", "name") => ("filename", "filename"),
        ("file", "size") => ("size-in-bytes", "size-in-bytes"),
        ("file", "mime_type") => ("mime-type", "mimetype"),
        ("file", p) if p.starts_with("hashes.") => return hash(p),
        ("file", p) if p.ends_with("imphash") => ("imphash", "imphash"),
        ("autonomous-system", "number") => ("AS", "asn"),
        ("mutex", "name") => ("mutex", "name"),
        ("mac-addr", "value") => ("mac-address", "mac-address"),
        ("windows-registry-key", "key") => ("regkey", "key"),
        ("windows-registry-key", p) if p.ends_with(".data") => ("text", "data"),
        ("network-traffic", p) if p.starts_with("dst_ref") => ("ip-dst", "ip-dst"),
        ("network-traffic", p) if p.starts_with("src_ref") => ("ip-src", "ip-src"),
        ("network-traffic", "dst_port") => ("port", "dst-port"),
        ("network-traffic", "src_port") => ("port", "src-port"),
        ("network-traffic", p) if p.contains("User-Agent") => ("user-agent", "user-agent"),
        ("x509-certificate", p) if p.starts_with("hashes.") => {
            let (t, _) = hash(p)?;
            match t {
                "md5" => ("x509-fingerprint-md5", "x509-fingerprint-md5"),
                "sha1" => ("x509-fingerprint-sha1", "x509-fingerprint-sha1"),
                "sha256" => ("x509-fingerprint-sha256", "x509-fingerprint-sha256"),
                _ => return None,
            }
        }
        _ => return None,
    })
}

fn template_of(object_type: &str) -> &'static str {
    match object_type {
        "file" => "file",
        "domain-name" | "ipv4-addr" | "ipv6-addr" => "domain-ip",
        "network-traffic" => "ip-port",
        "email-message" | "email-addr" => "email",
        "url" => "url",
        "x509-certificate" => "x509",
        "windows-registry-key" => "registry-key",
        _ => "annotation",
    }
}

struct Builder {
    attributes: Vec<Value>,
    objects: Vec<Value>,
    galaxies: Vec<Value>,
    tags: Vec<String>,
    seen_uuids: HashSet<String>,
    timestamp: i64,
    event_tlp: Option<Tlp>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn attr(&self, t: &str, value: String, to_ids: bool, uuid: Uuid, o: &Value, tlp: Option<Tlp>, revoked: bool) -> Map<String, Value> {
        let (cat, _) = types::type_info(t).unwrap_or(("Other", false));
        let mut a = Map::new();
        a.insert("uuid".into(), json!(uuid.to_string()));
        a.insert("type".into(), json!(t));
        a.insert("category".into(), json!(cat));
        a.insert("value".into(), json!(value));
        a.insert("to_ids".into(), json!(to_ids));
        let comment = o.get("description").or_else(|| o.get("name")).and_then(Value::as_str).unwrap_or("");
        a.insert("comment".into(), json!(comment));
        let ts = epoch(o.get("modified").and_then(Value::as_str)).or_else(|| epoch(o.get("created").and_then(Value::as_str))).unwrap_or(self.timestamp);
        a.insert("timestamp".into(), json!(ts.to_string()));
        if let Some(f) = o.get("valid_from").or_else(|| o.get("first_observed")).and_then(Value::as_str) {
            a.insert("first_seen".into(), json!(f));
        }
        if let Some(l) = o.get("valid_until").or_else(|| o.get("last_observed")).and_then(Value::as_str) {
            if o.get("valid_until").is_some() || o.get("first_observed").and_then(Value::as_str) != Some(l) {
                a.insert("last_seen".into(), json!(l));
            }
        }
        let mut tags = vec![];
        if tlp.is_some() && tlp != self.event_tlp {
            tags.push(tag_of_tlp(tlp.unwrap_or(Tlp::Amber)).to_string());
        }
        tags.extend(tag_labels(o));
        if !tags.is_empty() {
            a.insert("Tag".into(), tags_json(&tags));
        }
        a.insert("disable_correlation".into(), json!(false));
        a.insert("deleted".into(), json!(revoked));
        a
    }

    fn push_attr(&mut self, a: Map<String, Value>) {
        let u = a.get("uuid").and_then(Value::as_str).unwrap_or("").to_string();
        if self.seen_uuids.insert(u) {
            if let Some(ts) = a.get("timestamp").and_then(Value::as_str).and_then(|s| s.parse::<i64>().ok()) {
                self.timestamp = self.timestamp.max(ts);
            }
            self.attributes.push(Value::Object(a));
        }
    }

    /// (type, value, relation) facts of an SCO.
    fn sco_facts(sco: &Value, by_id: &HashMap<String, &Item>) -> Vec<(&'static str, String, &'static str)> {
        let t = sco.get("type").and_then(Value::as_str).unwrap_or("");
        let s = |k: &str| sco.get(k).and_then(Value::as_str).map(str::to_string);
        let mut out = vec![];
        match t {
            "ipv4-addr" | "ipv6-addr" => out.extend(s("value").map(|v| ("ip-dst", v, "ip"))),
            "domain-name" => {
                out.extend(s("value").map(|v| ("domain", v, "domain")));
                for r in sco.get("resolves_to_refs").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(ip) = r.as_str().and_then(|id| by_id.get(id)).and_then(|i| i.object.get("value")).and_then(Value::as_str) {
                        out.push(("ip-dst", ip.to_string(), "ip"));
                    }
                }
            }
            "url" => out.extend(s("value").map(|v| ("url", v, "url"))),
            "email-addr" => out.extend(s("value").map(|v| ("email", v, "email"))),
            "mac-addr" => out.extend(s("value").map(|v| ("mac-address", v, "mac-address"))),
            "mutex" => out.extend(s("name").map(|v| ("mutex", v, "name"))),
            "windows-registry-key" => out.extend(s("key").map(|v| ("regkey", v, "key"))),
            "autonomous-system" => out.extend(sco.get("number").and_then(Value::as_i64).map(|n| ("AS", format!("AS{n}"), "asn"))),
            "email-message" => {
                out.extend(s("subject").map(|v| ("email-subject", v, "subject")));
                out.extend(s("message_id").map(|v| ("email-message-id", v, "message-id")));
            }
            "file" | "x509-certificate" => {
                if t == "file" {
                    out.extend(s("name").map(|v| ("filename", v, "filename")));
                }
                for (algo, v) in sco.get("hashes").and_then(Value::as_object).into_iter().flatten() {
                    if let (Some((mt, rel)), Some(v)) = (misp_type_of(t, &format!("hashes.{algo}")), v.as_str()) {
                        out.push((mt, v.to_string(), rel));
                    }
                }
                if t == "file" {
                    out.extend(sco.get("size").and_then(Value::as_i64).map(|n| ("size-in-bytes", n.to_string(), "size-in-bytes")));
                }
            }
            "network-traffic" => {
                for (k, mt) in [("dst_ref", "ip-dst"), ("src_ref", "ip-src")] {
                    if let Some(v) = sco.get(k).and_then(Value::as_str).and_then(|id| by_id.get(id)).and_then(|i| i.object.get("value")).and_then(Value::as_str) {
                        out.push((mt, v.to_string(), mt));
                    }
                }
                for (k, rel) in [("dst_port", "dst-port"), ("src_port", "src-port")] {
                    if let Some(n) = sco.get(k).and_then(Value::as_i64) {
                        out.push(("port", n.to_string(), rel));
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// Facts as attributes (one fact) or as a MISP object (several).
    #[allow(clippy::too_many_arguments)]
    fn facts(&mut self, facts: Vec<(&'static str, String, &'static str)>, template: &str, to_ids: bool, uuid: Uuid, o: &Value, tlp: Option<Tlp>, revoked: bool) {
        if facts.is_empty() {
            return;
        }
        if facts.len() == 1 {
            let (t, v, _) = facts.into_iter().next().unwrap_or(("text", String::new(), "text"));
            let a = self.attr(t, v, to_ids, uuid, o, tlp, revoked);
            self.push_attr(a);
            return;
        }
        if !self.seen_uuids.insert(uuid.to_string()) {
            return;
        }
        let mut attrs = vec![];
        for (i, (t, v, rel)) in facts.into_iter().enumerate() {
            let mut a = self.attr(t, v, to_ids, Uuid::new_v5(&uuid, format!("fact:{i}").as_bytes()), o, tlp, revoked);
            a.insert("object_relation".into(), json!(rel));
            attrs.push(Value::Object(a));
        }
        let ts = epoch(o.get("modified").and_then(Value::as_str)).unwrap_or(self.timestamp);
        self.timestamp = self.timestamp.max(ts);
        let meta_category = match template {
            "file" => "file",
            "email" => "network",
            _ => "network",
        };
        self.objects.push(json!({
            "uuid": uuid.to_string(),
            "name": template,
            "meta-category": meta_category,
            "description": format!("From STIX {}", o.get("id").and_then(Value::as_str).unwrap_or("")),
            "comment": o.get("description").or_else(|| o.get("name")).and_then(Value::as_str).unwrap_or(""),
            "timestamp": ts.to_string(),
            "deleted": revoked,
            "Attribute": attrs,
        }));
    }

    fn galaxy(&mut self, o: &Value) {
        let t = o.get("type").and_then(Value::as_str).unwrap_or("");
        let Some(name) = o.get("name").and_then(Value::as_str) else { return };
        let Some(u) = o.get("id").and_then(Value::as_str).and_then(uuid_of) else { return };
        let gtype = o.get("x_misp_galaxy_type").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| {
            match t {
                "threat-actor" => "threat-actor",
                "intrusion-set" => "mitre-intrusion-set",
                "malware" => "mitre-malware",
                "tool" => "mitre-tool",
                "attack-pattern" => "mitre-attack-pattern",
                _ => "mitre-course-of-action",
            }
            .to_string()
        });
        let tag = format!("misp-galaxy:{gtype}=\"{name}\"");
        if self.tags.contains(&tag) {
            return;
        }
        self.tags.push(tag.clone());
        let mut c = json!({"uuid": u.to_string(), "type": gtype, "value": name, "tag_name": tag, "description": o.get("description").and_then(Value::as_str).unwrap_or("")});
        if let Some(al) = o.get("aliases") {
            c["meta"] = json!({"synonyms": al});
        }
        self.galaxies.push(json!({"type": gtype, "name": gtype, "uuid": Uuid::new_v5(&NAMESPACE, format!("galaxy:{gtype}").as_bytes()).to_string(), "GalaxyCluster": [c]}));
    }

    /// A STIX object without MISP JSON.
    fn generic(&mut self, item: &Item, by_id: &HashMap<String, &Item>, skip_scos: &HashSet<String>) {
        let o = &item.object;
        let t = o.get("type").and_then(Value::as_str).unwrap_or("");
        let id = o.get("id").and_then(Value::as_str).unwrap_or("");
        let Some(u) = uuid_of(id) else { return };
        let tlp = tlp_of(o);
        match t {
            "indicator" => {
                let pt = o.get("pattern_type").and_then(Value::as_str).unwrap_or("");
                let pattern = o.get("pattern").and_then(Value::as_str).unwrap_or("");
                match pt {
                    "yara" | "snort" | "sigma" | "suricata" => {
                        let a = self.attr(pt, pattern.to_string(), true, u, o, tlp, item.revoked);
                        self.push_attr(a);
                    }
                    "stix" => {
                        let mut facts = vec![];
                        let mut template = "annotation";
                        let mut all = true;
                        if let Ok(p) = atalaya_stix::pattern::parse(pattern) {
                            for (i, c) in p.comparisons().iter().enumerate() {
                                match misp_type_of(&c.object_type, &c.path) {
                                    Some((mt, rel)) if !c.negated && c.operator == "=" && c.values.len() == 1 => {
                                        if i == 0 {
                                            template = template_of(&c.object_type);
                                        }
                                        facts.push((mt, c.values[0].clone(), rel));
                                    }
                                    _ => all = false,
                                }
                            }
                        }
                        if facts.is_empty() || !all {
                            let a = self.attr("stix2-pattern", pattern.to_string(), true, u, o, tlp, item.revoked);
                            self.push_attr(a);
                        } else {
                            self.facts(facts, template, true, u, o, tlp, item.revoked);
                        }
                    }
                    _ => {}
                }
            }
            "observed-data" => {
                let mut facts = vec![];
                let mut template = "annotation";
                for r in o.get("object_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                    if let Some(sco) = by_id.get(r) {
                        let f = Self::sco_facts(&sco.object, by_id);
                        if facts.is_empty() && !f.is_empty() {
                            template = template_of(sco.object.get("type").and_then(Value::as_str).unwrap_or(""));
                        }
                        facts.extend(f);
                    }
                }
                self.facts(facts, template, false, u, o, tlp, item.revoked);
            }
            "vulnerability" => {
                let cve = o
                    .get("external_references")
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().find(|r| r.get("source_name").and_then(Value::as_str) == Some("cve")))
                    .and_then(|r| r.get("external_id"))
                    .and_then(Value::as_str)
                    .or_else(|| o.get("name").and_then(Value::as_str));
                if let Some(v) = cve {
                    let a = self.attr("vulnerability", v.to_string(), false, u, o, tlp, item.revoked);
                    self.push_attr(a);
                }
            }
            "campaign" => {
                if let Some(n) = o.get("name").and_then(Value::as_str) {
                    let a = self.attr("campaign-name", n.to_string(), false, u, o, tlp, item.revoked);
                    self.push_attr(a);
                }
            }
            "threat-actor" | "intrusion-set" | "malware" | "tool" | "attack-pattern" | "course-of-action" => self.galaxy(o),
            _ if atalaya_stix::object::category_of(t) == atalaya_stix::object::ObjectCategory::Sco && !skip_scos.contains(id) => {
                let facts = Self::sco_facts(o, by_id);
                self.facts(facts, template_of(t), false, Uuid::new_v5(&NAMESPACE, id.as_bytes()), o, tlp, item.revoked);
            }
            _ => {}
        }
    }
}

fn sightings_json(sightings: &[Value], of: &str) -> Vec<Value> {
    sightings
        .iter()
        .filter(|s| s.get("sighting_of_ref").and_then(Value::as_str) == Some(of))
        .filter_map(|s| {
            let u = uuid_of(s.get("id")?.as_str()?)?;
            let when = epoch(s.get("last_seen").or_else(|| s.get("first_seen")).or_else(|| s.get("created")).and_then(Value::as_str)).unwrap_or(0);
            Some(json!({"uuid": u.to_string(), "type": "0", "date_sighting": when.to_string(), "source": "atalaya"}))
        })
        .collect()
}

/// Builds the event: from `x_misp_event` when `base` has it, else from `meta`.
fn build(base: Option<&Map<String, Value>>, meta: &EventMeta, items: &[Item], sightings: &[Value]) -> Value {
    let by_id: HashMap<String, &Item> = items.iter().filter_map(|i| i.object.get("id").and_then(Value::as_str).map(|id| (id.to_string(), i))).collect();
    // SCOs reached through an observed-data (MISP-made or not) are part of it.
    let mut skip_scos = HashSet::new();
    for i in items {
        if i.object.get("type").and_then(Value::as_str) == Some("observed-data") {
            for r in i.object.get("object_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                skip_scos.insert(r.to_string());
                if let Some(sco) = by_id.get(r) {
                    for k in ["resolves_to_refs", "dst_ref", "src_ref"] {
                        match sco.object.get(k) {
                            Some(Value::String(s)) => {
                                skip_scos.insert(s.clone());
                            }
                            Some(Value::Array(a)) => skip_scos.extend(a.iter().filter_map(Value::as_str).map(str::to_string)),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    let mut b = Builder { attributes: vec![], objects: vec![], galaxies: vec![], tags: vec![], seen_uuids: HashSet::new(), timestamp: meta.timestamp, event_tlp: meta.tlp };
    let mut generic_seen = false;
    for i in items {
        let o = &i.object;
        if let Some(Value::Object(a)) = o.get("x_misp_attribute") {
            let mut a = a.clone();
            if i.revoked {
                a.insert("deleted".into(), json!(true));
            }
            let u = a.get("uuid").and_then(Value::as_str).unwrap_or("").to_string();
            if b.seen_uuids.insert(u) {
                b.attributes.push(Value::Object(a));
            }
        } else if let Some(Value::Object(ob)) = o.get("x_misp_object") {
            let mut ob = ob.clone();
            if i.revoked {
                ob.insert("deleted".into(), json!(true));
            }
            let u = ob.get("uuid").and_then(Value::as_str).unwrap_or("").to_string();
            if b.seen_uuids.insert(u) {
                b.objects.push(Value::Object(ob));
            }
        } else if base.is_some() && (o.get("x_misp_galaxy_type").is_some() || o.get("x_misp_sighting").is_some() || matches!(o.get("type").and_then(Value::as_str), Some("identity" | "relationship" | "sighting" | "opinion"))) {
            // Part of the MISP JSON already (galaxies, sightings, the creator, references).
        } else {
            let before = b.attributes.len() + b.objects.len();
            b.generic(i, &by_id, &skip_scos);
            generic_seen |= b.attributes.len() + b.objects.len() > before;
        }
    }
    // Sightings of mapped indicators.
    if !sightings.is_empty() {
        for a in b.attributes.iter_mut() {
            let Some(u) = a.get("uuid").and_then(Value::as_str).map(str::to_string) else { continue };
            if a.get("Sighting").is_some() {
                continue;
            }
            for ty in ["indicator", "observed-data"] {
                let s = sightings_json(sightings, &format!("{ty}--{u}"));
                if !s.is_empty() {
                    a["Sighting"] = Value::Array(s);
                }
            }
        }
    }
    let mut e = match base {
        Some(m) => m.clone(),
        None => {
            let mut m = Map::new();
            m.insert("uuid".into(), json!(meta.uuid.to_string()));
            m.insert("info".into(), json!(meta.info));
            m.insert("date".into(), json!(meta.date));
            m.insert("published".into(), json!(true));
            m.insert("analysis".into(), json!("2"));
            m.insert("threat_level_id".into(), json!("4"));
            m.insert("Orgc".into(), json!({"uuid": meta.orgc_uuid.to_string(), "name": meta.orgc_name}));
            let mut tags = vec![];
            if let Some(t) = meta.tlp {
                tags.push(tag_of_tlp(t).to_string());
            }
            tags.extend(meta.labels.iter().cloned());
            m.insert("Tag".into(), tags_json(&tags));
            m
        }
    };
    let ts_raw = e.get("timestamp").and_then(|v| v.as_str().and_then(|s| s.parse::<i64>().ok()).or_else(|| v.as_i64()));
    let ts = match ts_raw {
        Some(t) if !generic_seen => t,
        Some(t) => t.max(b.timestamp),
        None => b.timestamp.max(meta.timestamp),
    };
    e.insert("timestamp".into(), json!(ts.to_string()));
    if !e.contains_key("date") {
        e.insert("date".into(), json!(meta.date));
    }
    if !e.contains_key("Orgc") {
        e.insert("Orgc".into(), json!({"uuid": meta.orgc_uuid.to_string(), "name": meta.orgc_name}));
    }
    if !b.tags.is_empty() {
        let tags = e.entry("Tag").or_insert_with(|| json!([]));
        if let Value::Array(a) = tags {
            for t in &b.tags {
                if !a.iter().any(|x| x.get("name").and_then(Value::as_str) == Some(t)) {
                    a.push(json!({"name": t}));
                }
            }
        }
    }
    if !b.galaxies.is_empty() {
        let g = e.entry("Galaxy").or_insert_with(|| json!([]));
        if let Value::Array(a) = g {
            a.extend(b.galaxies);
        }
    }
    e.insert("Attribute".into(), Value::Array(b.attributes));
    e.insert("Object".into(), Value::Array(b.objects));
    json!({ "Event": e })
}

/// The event of a report (or grouping) with the visible objects it references (and visible
/// sightings of them).
pub fn event_from_report(report: &Value, items: &[Item], sightings: &[Value], orgc: (Uuid, String)) -> Value {
    let u = report.get("id").and_then(Value::as_str).and_then(uuid_of).unwrap_or_else(Uuid::nil);
    let modified = epoch(report.get("modified").and_then(Value::as_str)).unwrap_or(0);
    let date = report
        .get("published")
        .or_else(|| report.get("created"))
        .and_then(Value::as_str)
        .map(|s| s.chars().take(10).collect::<String>())
        .unwrap_or_else(|| "1970-01-01".into());
    let tlp = tlp_of(report);
    let mut labels = field_tags(report, None);
    labels.retain(|l| !l.starts_with("tlp:"));
    let meta = EventMeta {
        uuid: u,
        info: report.get("name").and_then(Value::as_str).unwrap_or("STIX report").to_string(),
        date,
        timestamp: modified,
        orgc_uuid: orgc.0,
        orgc_name: orgc.1,
        tlp,
        labels,
    };
    build(report.get("x_misp_event").and_then(Value::as_object), &meta, items, sightings)
}

/// One event holding objects that no report references.
pub fn event_from_objects(meta: &EventMeta, items: &[Item], sightings: &[Value]) -> Value {
    build(None, meta, items, sightings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_value, ParseOptions};
    use crate::to_stix::event_to_stix;

    #[test]
    fn round_trip_is_lossless() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/misp-feed/57c4445b-c548-4654-af0b-4be3950d210f.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let p = parse_value(&v, &ParseOptions { strict: true }).unwrap().remove(0);
        let c = event_to_stix(&p.event);
        let report = c.objects[0].object.clone();
        let items: Vec<Item> = c.objects[1..].iter().map(|o| Item { object: o.object.clone(), revoked: false }).collect();
        let back = event_from_report(&report, &items, &[], (Uuid::nil(), "x".into()));
        let orig = &v["Event"]["Attribute"];
        let got = &back["Event"]["Attribute"];
        assert_eq!(orig.as_array().unwrap().len(), got.as_array().unwrap().len());
        for (a, b) in orig.as_array().unwrap().iter().zip(got.as_array().unwrap()) {
            for k in ["type", "category", "value", "to_ids", "comment", "uuid"] {
                assert_eq!(a[k], b[k], "{k}");
            }
        }
        assert_eq!(back["Event"]["Tag"], v["Event"]["Tag"]);
        assert_eq!(back["Event"]["timestamp"], v["Event"]["timestamp"]);
    }

    #[test]
    fn generic_indicators_become_attributes_and_objects() {
        let ind = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--11111111-1111-4111-8111-111111111111", "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": "c2", "pattern": "[ipv4-addr:value = '203.0.113.7']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "labels": ["botnet"],
            "object_marking_refs": [Tlp::Green.marking_definition_id()]});
        let file = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--22222222-2222-4222-8222-222222222222", "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
            "pattern": "[file:name = 'a.exe' AND file:hashes.'SHA-256' = 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
        let meta = EventMeta { uuid: Uuid::nil(), info: "x".into(), date: "2026-01-01".into(), timestamp: 0, orgc_uuid: Uuid::nil(), orgc_name: "o".into(), tlp: Some(Tlp::Green), labels: vec![] };
        let e = event_from_objects(&meta, &[Item { object: ind, revoked: false }, Item { object: file, revoked: true }], &[]);
        let a = &e["Event"]["Attribute"][0];
        assert_eq!((a["type"].as_str(), a["value"].as_str(), a["to_ids"].as_bool()), (Some("ip-dst"), Some("203.0.113.7"), Some(true)));
        assert_eq!(a["Tag"][0]["name"], "botnet");
        let o = &e["Event"]["Object"][0];
        assert_eq!(o["name"], "file");
        assert_eq!(o["Attribute"][1]["type"], "sha256");
        assert_eq!(o["deleted"], true);
        assert_eq!(e["Event"]["Tag"][0]["name"], "tlp:green");
        assert_eq!(e["Event"]["timestamp"], "1767312000");
    }
}
