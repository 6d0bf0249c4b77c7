//! A MISP event as STIX 2.1 objects (after the public misp-stix mapping where it exists; the
//! differences are listed in `docs/misp-mapping.md`).
//!
//! | MISP | STIX 2.1 |
//! |---|---|
//! | event | `report--<event uuid>` (`object_refs` = everything below), `x_misp_event` = the event JSON without attributes/objects |
//! | Orgc | `identity--<org uuid>`, `created_by_ref` of every object |
//! | attribute, `to_ids` | `indicator--<attribute uuid>` with a STIX pattern (or a yara/snort/sigma/suricata pattern) |
//! | attribute, no `to_ids` | `observed-data--<attribute uuid>` + SCOs (deterministic ids) |
//! | attribute with no STIX equivalent | `x-misp-attribute--<attribute uuid>` |
//! | vulnerability / campaign-name / threat-actor attribute | `vulnerability` / `campaign` / `threat-actor` |
//! | object | one `indicator` (any attribute `to_ids`; composite pattern) or `observed-data` + SCOs, id = object uuid; `x-misp-object` when nothing maps |
//! | object reference | `relationship--<reference uuid>` |
//! | tag | label; `tlp:*` → `object_marking_refs` (TLP 2.0); `rsit:*` → `x_atalaya_incident_classification`; `PAP:*` → `x_atalaya_pap` (and labels) |
//! | galaxy cluster | `threat-actor`, `intrusion-set`, `malware`, `tool`, `attack-pattern`, `course-of-action` `--<cluster uuid>` (others: label) + `relationship` from the attribute |
//! | sighting type 0 / 1 | `sighting` / `opinion` (strongly-disagree) |
use crate::event::{Attribute, Cluster, Event, Galaxy, Object, Sighting, Tag};
use crate::util::{format_stix, pattern_quote, stix_time, truncate};
use atalaya_model::Tlp;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// One STIX object of a converted event.
#[derive(Debug, Clone)]
pub struct StixOut {
    pub object: Value,
    /// The MISP distribution level governing it (0 organisation, 1 community, 2 connected
    /// communities, 3 all, 4 sharing group), after "inherit event"; `None` when the event says
    /// nothing.
    pub distribution: Option<u8>,
    pub sharing_group: Option<Uuid>,
    /// Shared by many events (organisation identities, galaxy SDOs, SCOs with deterministic
    /// ids): when another organisation already published this id, an importer leaves it out and
    /// keeps the reference.
    pub shared: bool,
}

/// An event converted.
#[derive(Debug, Clone, Default)]
pub struct Conversion {
    pub objects: Vec<StixOut>,
    /// Elements not carried over (or carried over approximately), each naming the element.
    pub warnings: Vec<String>,
}

/// The TLP level a MISP tag stands for (`tlp:white` is TLP:CLEAR).
pub fn tlp_of_tag(name: &str) -> Option<Tlp> {
    let n = name.trim().to_ascii_lowercase();
    let rest = n.strip_prefix("tlp:")?;
    Some(match rest.trim_matches('"') {
        "white" | "clear" => Tlp::Clear,
        "green" => Tlp::Green,
        "amber" => Tlp::Amber,
        "amber+strict" => Tlp::AmberStrict,
        "red" => Tlp::Red,
        _ => return None,
    })
}

/// The MISP tag of a TLP level (TLP 2.0 names: `tlp:clear`).
pub fn tag_of_tlp(t: Tlp) -> &'static str {
    match t {
        Tlp::Clear => "tlp:clear",
        Tlp::Green => "tlp:green",
        Tlp::Amber => "tlp:amber",
        Tlp::AmberStrict => "tlp:amber+strict",
        Tlp::Red => "tlp:red",
    }
}

/// `rsit:malicious-code="ransomware"` → {"class": "malicious-code", "type": "ransomware"}.
pub fn rsit_of_tag(name: &str) -> Option<Value> {
    let rest = name.trim().strip_prefix("rsit:")?;
    let (class, ty) = match rest.split_once('=') {
        Some((c, t)) => (c.trim(), Some(t.trim().trim_matches('"'))),
        None => (rest.trim(), None),
    };
    if class.is_empty() {
        return None;
    }
    let mut m = Map::new();
    m.insert("class".into(), Value::String(class.into()));
    if let Some(t) = ty.filter(|t| !t.is_empty()) {
        m.insert("type".into(), Value::String(t.into()));
    }
    Some(Value::Object(m))
}

/// `PAP:AMBER` → `PAP:AMBER` (normalised upper case; `PAP:WHITE` is kept as written).
pub fn pap_of_tag(name: &str) -> Option<String> {
    let n = name.trim();
    if n.len() > 4 && n[..4].eq_ignore_ascii_case("pap:") {
        let level = n[4..].trim_matches('"').to_ascii_uppercase();
        if ["RED", "AMBER", "GREEN", "CLEAR", "WHITE"].contains(&level.as_str()) {
            return Some(format!("PAP:{level}"));
        }
    }
    None
}

/// The most restrictive TLP among tags.
fn tlp_of(tags: &[Tag]) -> Option<Tlp> {
    tags.iter().filter_map(|t| tlp_of_tag(&t.name)).max()
}

/// STIX SDO type for a MISP galaxy (cluster) type; `None`: kept as a label.
pub fn galaxy_sdo_type(galaxy_type: &str) -> Option<&'static str> {
    let t = galaxy_type.to_ascii_lowercase();
    Some(match t.as_str() {
        "threat-actor" => "threat-actor",
        "intrusion-set" | "mitre-intrusion-set" | "microsoft-activity-group" => "intrusion-set",
        "malware" | "mitre-malware" | "malpedia" | "ransomware" | "rat" | "banker" | "botnet" | "stealer" | "backdoor" | "android" | "exploit-kit" => "malware",
        "tool" | "mitre-tool" => "tool",
        "attack-pattern" | "mitre-attack-pattern" => "attack-pattern",
        "mitre-course-of-action" | "course-of-action" => "course-of-action",
        _ if t.starts_with("mitre-") && t.ends_with("-attack-pattern") => "attack-pattern",
        _ if t.starts_with("mitre-") && t.ends_with("-malware") => "malware",
        _ if t.starts_with("mitre-") && t.ends_with("-tool") => "tool",
        _ if t.starts_with("mitre-") && t.ends_with("-intrusion-set") => "intrusion-set",
        _ if t.starts_with("mitre-") && t.ends_with("-course-of-action") => "course-of-action",
        _ => return None,
    })
}

/// One observable fact an attribute asserts.
#[derive(Debug, Clone)]
enum Facet {
    Addr { v6: bool, value: String },
    Domain(String),
    Resolves { v6: bool, ip: String },
    Url(String),
    Email(String),
    EmailMsg { prop: &'static str, value: String },
    XMailer(String),
    FileName(String),
    Hash { algo: &'static str, value: String },
    Imphash(String),
    Size(i64),
    Mime(String),
    Asn(i64),
    Mutex(String),
    RegKey(String),
    RegData(String),
    Mac(String),
    Port { src: bool, port: i64 },
    NetAddr { src: bool, v6: bool, value: String },
    NetDomain(String),
    UserAgent(String),
    X509Hash { algo: &'static str, value: String },
}

impl Facet {
    fn sco_type(&self) -> &'static str {
        match self {
            Facet::Addr { v6: false, .. } => "ipv4-addr",
            Facet::Addr { v6: true, .. } => "ipv6-addr",
            Facet::Domain(_) | Facet::Resolves { .. } => "domain-name",
            Facet::Url(_) => "url",
            Facet::Email(_) => "email-addr",
            Facet::EmailMsg { .. } | Facet::XMailer(_) => "email-message",
            Facet::FileName(_) | Facet::Hash { .. } | Facet::Imphash(_) | Facet::Size(_) | Facet::Mime(_) => "file",
            Facet::Asn(_) => "autonomous-system",
            Facet::Mutex(_) => "mutex",
            Facet::RegKey(_) | Facet::RegData(_) => "windows-registry-key",
            Facet::Mac(_) => "mac-addr",
            Facet::Port { .. } | Facet::NetAddr { .. } | Facet::NetDomain(_) | Facet::UserAgent(_) => "network-traffic",
            Facet::X509Hash { .. } => "x509-certificate",
        }
    }

    /// (object path, literal) of the comparison.
    fn comparison(&self) -> (String, String) {
        let q = |s: &str| pattern_quote(s);
        match self {
            Facet::Addr { value, .. } | Facet::Domain(value) | Facet::Url(value) | Facet::Email(value) | Facet::Mac(value) => ("value".into(), q(value)),
            Facet::Resolves { ip, .. } => ("resolves_to_refs[*].value".into(), q(ip)),
            Facet::EmailMsg { prop, value } => ((*prop).into(), q(value)),
            Facet::XMailer(v) => ("additional_header_fields.'X-Mailer'".into(), q(v)),
            Facet::FileName(v) => ("name".into(), q(v)),
            Facet::Hash { algo, value } => (format!("hashes.'{algo}'"), q(value)),
            Facet::Imphash(v) => ("extensions.'windows-pebinary-ext'.imphash".into(), q(v)),
            Facet::Size(n) => ("size".into(), n.to_string()),
            Facet::Mime(v) => ("mime_type".into(), q(v)),
            Facet::Asn(n) => ("number".into(), n.to_string()),
            Facet::Mutex(v) => ("name".into(), q(v)),
            Facet::RegKey(v) => ("key".into(), q(v)),
            Facet::RegData(v) => ("values[*].data".into(), q(v)),
            Facet::Port { src, port } => ((if *src { "src_port" } else { "dst_port" }).into(), port.to_string()),
            Facet::NetAddr { src, value, .. } => ((if *src { "src_ref.value" } else { "dst_ref.value" }).into(), q(value)),
            Facet::NetDomain(v) => ("dst_ref.value".into(), q(v)),
            Facet::UserAgent(v) => ("extensions.'http-request-ext'.request_header.'User-Agent'".into(), q(v)),
            Facet::X509Hash { algo, value } => (format!("hashes.'{algo}'"), q(value)),
        }
    }
}

/// What an attribute becomes.
#[derive(Debug, Clone)]
enum Mapping {
    Facets(Vec<Facet>),
    /// An indicator whose pattern is the value, in this pattern language.
    Pattern(&'static str),
    Sdo(&'static str),
    /// No STIX equivalent: `x-misp-attribute`. The reason, when it is worth a warning.
    Custom(Option<String>),
}

fn hash_ok(algo: &str, v: &str) -> bool {
    let hex = |n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_hexdigit());
    match algo {
        "MD5" => hex(32),
        "SHA-1" => hex(40),
        "SHA-224" | "SHA3-224" => hex(56),
        "SHA-256" | "SHA3-256" => hex(64),
        "SHA-384" | "SHA3-384" => hex(96),
        "SHA-512" | "SHA3-512" => hex(128),
        "SSDEEP" => !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"/+:.".contains(&b)),
        "TLSH" => v.len() >= 70 && v.len() <= 74 && v.bytes().all(|b| b.is_ascii_alphanumeric()),
        _ => false,
    }
}

fn hash_algo(misp: &str) -> Option<&'static str> {
    Some(match misp {
        "md5" => "MD5",
        "sha1" => "SHA-1",
        "sha224" => "SHA-224",
        "sha256" => "SHA-256",
        "sha384" => "SHA-384",
        "sha512" => "SHA-512",
        "sha3-224" => "SHA3-224",
        "sha3-256" => "SHA3-256",
        "sha3-384" => "SHA3-384",
        "sha3-512" => "SHA3-512",
        "ssdeep" => "SSDEEP",
        "tlsh" => "TLSH",
        _ => return None,
    })
}

fn ip_facet(v: &str) -> Option<(bool, String)> {
    let v = v.trim();
    if let Ok(ip) = v.parse::<std::net::IpAddr>() {
        return Some((ip.is_ipv6(), v.to_string()));
    }
    if let Ok(net) = v.parse::<ipnet::IpNet>() {
        return Some((matches!(net, ipnet::IpNet::V6(_)), v.to_string()));
    }
    None
}

fn hash_facets(algo_name: &str, value: &str) -> Result<Vec<Facet>, String> {
    if algo_name == "imphash" {
        return if value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) { Ok(vec![Facet::Imphash(value.to_string())]) } else { Err(format!("'{value}' is not an imphash")) };
    }
    let Some(algo) = hash_algo(algo_name) else { return Err(format!("no STIX hash algorithm for '{algo_name}'")) };
    if !hash_ok(algo, value) {
        return Err(format!("'{}' is not a valid {algo} hash", truncate(value, 80)));
    }
    Ok(vec![Facet::Hash { algo, value: value.to_string() }])
}

fn mapping(attr_type: &str, value: &str) -> Mapping {
    let bad = |why: String| Mapping::Custom(Some(why));
    let two = || value.split_once('|').map(|(a, b)| (a.trim().to_string(), b.trim().to_string()));
    match attr_type {
        "ip-src" | "ip-dst" => match ip_facet(value) {
            Some((v6, v)) => Mapping::Facets(vec![Facet::Addr { v6, value: v }]),
            None => bad(format!("'{}' is not an IP address or network", truncate(value, 80))),
        },
        "ip-src|port" | "ip-dst|port" => {
            let src = attr_type == "ip-src|port";
            match two().and_then(|(ip, p)| Some((ip_facet(&ip)?, p.parse::<i64>().ok().filter(|n| (0..=65535).contains(n))?))) {
                Some(((v6, ip), port)) => Mapping::Facets(vec![Facet::NetAddr { src, v6, value: ip }, Facet::Port { src, port }]),
                None => bad(format!("'{}' is not IP|port", truncate(value, 80))),
            }
        }
        "hostname" | "domain" => Mapping::Facets(vec![Facet::Domain(value.to_string())]),
        "hostname|port" => match two().and_then(|(h, p)| Some((h, p.parse::<i64>().ok().filter(|n| (0..=65535).contains(n))?))) {
            Some((h, port)) => Mapping::Facets(vec![Facet::NetDomain(h), Facet::Port { src: false, port }]),
            None => bad(format!("'{}' is not host|port", truncate(value, 80))),
        },
        "domain|ip" => match two().and_then(|(d, ip)| Some((d, ip_facet(&ip)?))) {
            Some((d, (v6, ip))) => Mapping::Facets(vec![Facet::Domain(d), Facet::Resolves { v6, ip }]),
            None => bad(format!("'{}' is not domain|IP", truncate(value, 80))),
        },
        "email" | "email-src" | "email-dst" | "target-email" | "whois-registrant-email" | "dns-soa-email" | "email-reply-to" | "eppn" => Mapping::Facets(vec![Facet::Email(value.to_string())]),
        "email-subject" => Mapping::Facets(vec![Facet::EmailMsg { prop: "subject", value: value.to_string() }]),
        "email-body" => Mapping::Facets(vec![Facet::EmailMsg { prop: "body", value: value.to_string() }]),
        "email-message-id" => Mapping::Facets(vec![Facet::EmailMsg { prop: "message_id", value: value.to_string() }]),
        "email-x-mailer" => Mapping::Facets(vec![Facet::XMailer(value.to_string())]),
        "url" | "uri" | "link" => Mapping::Facets(vec![Facet::Url(value.to_string())]),
        "user-agent" => Mapping::Facets(vec![Facet::UserAgent(value.to_string())]),
        "filename" | "email-attachment" | "attachment" => Mapping::Facets(vec![Facet::FileName(value.to_string())]),
        "malware-sample" => match two() {
            Some((name, md5)) => match hash_facets("md5", &md5) {
                Ok(mut f) => {
                    f.insert(0, Facet::FileName(name));
                    Mapping::Facets(f)
                }
                Err(e) => bad(e),
            },
            None => Mapping::Facets(vec![Facet::FileName(value.to_string())]),
        },
        "mutex" => Mapping::Facets(vec![Facet::Mutex(value.to_string())]),
        "regkey" => Mapping::Facets(vec![Facet::RegKey(value.to_string())]),
        "regkey|value" => match two() {
            Some((k, v)) => Mapping::Facets(vec![Facet::RegKey(k), Facet::RegData(v)]),
            None => bad("regkey|value without '|'".into()),
        },
        "mac-address" => Mapping::Facets(vec![Facet::Mac(value.to_ascii_lowercase())]),
        "AS" => match value.trim().trim_start_matches(['A', 'S', 'a', 's']).trim().parse::<i64>() {
            Ok(n) if n >= 0 => Mapping::Facets(vec![Facet::Asn(n)]),
            _ => bad(format!("'{}' is not an AS number", truncate(value, 80))),
        },
        "port" => match value.trim().parse::<i64>() {
            Ok(n) if (0..=65535).contains(&n) => Mapping::Facets(vec![Facet::Port { src: false, port: n }]),
            _ => bad(format!("'{}' is not a port", truncate(value, 80))),
        },
        "size-in-bytes" => match value.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Mapping::Facets(vec![Facet::Size(n)]),
            _ => bad(format!("'{}' is not a size", truncate(value, 80))),
        },
        "mime-type" => Mapping::Facets(vec![Facet::Mime(value.to_string())]),
        "x509-fingerprint-sha1" | "x509-fingerprint-md5" | "x509-fingerprint-sha256" => {
            let algo = match attr_type {
                "x509-fingerprint-sha1" => "SHA-1",
                "x509-fingerprint-md5" => "MD5",
                _ => "SHA-256",
            };
            let v = value.replace(':', "").to_ascii_lowercase();
            if hash_ok(algo, &v) {
                Mapping::Facets(vec![Facet::X509Hash { algo, value: v }])
            } else {
                bad(format!("'{}' is not a valid {algo} fingerprint", truncate(value, 80)))
            }
        }
        "yara" => Mapping::Pattern("yara"),
        "snort" => Mapping::Pattern("snort"),
        "suricata" => Mapping::Pattern("suricata"),
        "sigma" => Mapping::Pattern("sigma"),
        "stix2-pattern" => match atalaya_stix::pattern::parse(value) {
            Ok(_) => Mapping::Pattern("stix"),
            Err(e) => bad(format!("not a valid STIX pattern ({})", e.message)),
        },
        "vulnerability" => Mapping::Sdo("vulnerability"),
        "campaign-name" => Mapping::Sdo("campaign"),
        "threat-actor" => Mapping::Sdo("threat-actor"),
        t => {
            if let Some(h) = t.strip_prefix("filename|") {
                return match two() {
                    Some((name, hv)) => match hash_facets(h, &hv) {
                        Ok(mut f) => {
                            f.insert(0, Facet::FileName(name));
                            Mapping::Facets(f)
                        }
                        Err(e) => bad(e),
                    },
                    None => bad(format!("'{t}' without '|'")),
                };
            }
            if hash_algo(t).is_some() || t == "imphash" {
                return match hash_facets(t, value) {
                    Ok(f) => Mapping::Facets(f),
                    Err(e) => bad(e),
                };
            }
            Mapping::Custom(None)
        }
    }
}

/// Pattern of facets: one observation per SCO type (the k-th repeat of a property opens the
/// k-th observation of that type), observations joined with AND.
fn pattern_of(facets: &[Facet]) -> Option<String> {
    let groups = group(facets);
    if groups.is_empty() {
        return None;
    }
    let obs: Vec<String> = groups
        .iter()
        .map(|(t, fs)| {
            let cmp: Vec<String> = fs
                .iter()
                .map(|f| {
                    let (p, lit) = f.comparison();
                    format!("{t}:{p} = {lit}")
                })
                .collect();
            format!("[{}]", cmp.join(" AND "))
        })
        .collect();
    Some(obs.join(" AND "))
}

fn group(facets: &[Facet]) -> Vec<(&'static str, Vec<&Facet>)> {
    let mut groups: Vec<(&'static str, Vec<&Facet>)> = vec![];
    for f in facets {
        let t = f.sco_type();
        let (p, _) = f.comparison();
        match groups.iter_mut().find(|(gt, fs)| *gt == t && !fs.iter().any(|x| x.comparison().0 == p)) {
            Some((_, fs)) => fs.push(f),
            None => groups.push((t, vec![f])),
        }
    }
    groups
}

fn sco_with_id(mut m: Map<String, Value>, fallback: Uuid) -> Value {
    m.insert("spec_version".into(), json!("2.1"));
    let id = atalaya_stix::object::deterministic_sco_id(&m).unwrap_or_else(|| format!("{}--{fallback}", m.get("type").and_then(Value::as_str).unwrap_or("x")));
    m.insert("id".into(), Value::String(id));
    Value::Object(m)
}

fn addr_sco(v6: bool, value: &str) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(if v6 { "ipv6-addr" } else { "ipv4-addr" }));
    m.insert("value".into(), json!(value));
    sco_with_id(m, Uuid::nil())
}

/// SCOs of facets (empty when nothing can stand as an SCO, e.g. a port alone).
fn scos_of(facets: &[Facet], seed: Uuid) -> Vec<Value> {
    let mut out = vec![];
    for (i, (t, fs)) in group(facets).into_iter().enumerate() {
        let mut m = Map::new();
        m.insert("type".into(), json!(t));
        let mut extra = vec![];
        match t {
            "network-traffic" => {
                for f in &fs {
                    match f {
                        Facet::NetAddr { src, v6, value } => {
                            let a = addr_sco(*v6, value);
                            m.insert((if *src { "src_ref" } else { "dst_ref" }).into(), a["id"].clone());
                            extra.push(a);
                        }
                        Facet::NetDomain(d) => {
                            let mut dm = Map::new();
                            dm.insert("type".into(), json!("domain-name"));
                            dm.insert("value".into(), json!(d));
                            let a = sco_with_id(dm, Uuid::nil());
                            m.insert("dst_ref".into(), a["id"].clone());
                            extra.push(a);
                        }
                        Facet::Port { src, port } => {
                            m.insert((if *src { "src_port" } else { "dst_port" }).into(), json!(port));
                        }
                        _ => {}
                    }
                }
                if !m.contains_key("src_ref") && !m.contains_key("dst_ref") {
                    continue;
                }
                m.insert("protocols".into(), json!(["tcp"]));
            }
            _ => {
                for f in &fs {
                    match f {
                        Facet::Addr { value, .. } | Facet::Domain(value) | Facet::Url(value) | Facet::Email(value) | Facet::Mac(value) => {
                            m.insert("value".into(), json!(value));
                        }
                        Facet::Resolves { v6, ip } => {
                            let a = addr_sco(*v6, ip);
                            let refs = m.entry("resolves_to_refs").or_insert_with(|| json!([]));
                            if let Value::Array(r) = refs {
                                r.push(a["id"].clone());
                            }
                            extra.push(a);
                        }
                        Facet::EmailMsg { prop, value } => {
                            m.insert((*prop).into(), json!(value));
                        }
                        Facet::XMailer(v) => {
                            m.insert("additional_header_fields".into(), json!({"X-Mailer": v}));
                        }
                        Facet::FileName(v) => {
                            m.insert("name".into(), json!(v));
                        }
                        Facet::Hash { algo, value } => {
                            let h = m.entry("hashes").or_insert_with(|| json!({}));
                            if let Value::Object(h) = h {
                                h.insert((*algo).into(), json!(value));
                            }
                        }
                        Facet::Size(n) => {
                            m.insert("size".into(), json!(n));
                        }
                        Facet::Mime(v) => {
                            m.insert("mime_type".into(), json!(v));
                        }
                        Facet::Asn(n) => {
                            m.insert("number".into(), json!(n));
                        }
                        Facet::Mutex(v) => {
                            m.insert("name".into(), json!(v));
                        }
                        Facet::RegKey(v) => {
                            m.insert("key".into(), json!(v));
                        }
                        Facet::RegData(v) => {
                            m.insert("values".into(), json!([{"data": v}]));
                        }
                        Facet::X509Hash { algo, value } => {
                            m.insert("hashes".into(), json!({ *algo: value }));
                        }
                        Facet::Imphash(_) | Facet::Port { .. } | Facet::NetAddr { .. } | Facet::NetDomain(_) | Facet::UserAgent(_) => {}
                    }
                }
                if t == "email-message" {
                    m.insert("is_multipart".into(), json!(false));
                }
                // A domain-name whose only fact is a resolution, a file with only an imphash…:
                // nothing to stand on.
                let has_core = match t {
                    "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" | "mac-addr" => m.contains_key("value"),
                    "file" => m.contains_key("name") || m.contains_key("hashes"),
                    "autonomous-system" => m.contains_key("number"),
                    "mutex" => m.contains_key("name"),
                    "windows-registry-key" => m.contains_key("key"),
                    "email-message" => m.len() > 2,
                    "x509-certificate" => m.contains_key("hashes"),
                    _ => false,
                };
                if !has_core {
                    continue;
                }
            }
        }
        let fallback = Uuid::new_v5(&seed, format!("sco:{i}").as_bytes());
        out.push(sco_with_id(m, fallback));
        out.extend(extra);
    }
    // De-duplicate (the same address may be referenced twice).
    let mut seen = std::collections::HashSet::new();
    out.retain(|o| seen.insert(o["id"].as_str().unwrap_or("").to_string()));
    out
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "related-to".into() } else { out }
}

/// Narrower of two MISP distribution levels (4, a sharing group, wins over the others).
fn effective(event: Option<u8>, own: Option<u8>, event_sg: Option<Uuid>, own_sg: Option<Uuid>) -> (Option<u8>, Option<Uuid>) {
    match (event, own) {
        (e, None) | (e, Some(5)) => (e, event_sg),
        (None, Some(o)) => (Some(o), own_sg),
        (Some(4), Some(o)) if o != 4 => (Some(4), event_sg),
        (Some(_), Some(4)) => (Some(4), own_sg.or(event_sg)),
        (Some(e), Some(o)) => (Some(e.min(o)), None),
    }
}

struct Ctx<'a> {
    ev: &'a Event,
    out: Vec<StixOut>,
    warnings: Vec<String>,
    identity: String,
    event_tlp: Option<Tlp>,
    event_time: i64,
    /// MISP uuid (attribute or object) → STIX id.
    ids: HashMap<Uuid, String>,
    /// Galaxy cluster uuid → STIX id (converted clusters).
    clusters: HashMap<Uuid, String>,
    identities: std::collections::HashSet<String>,
}

impl Ctx<'_> {
    fn push(&mut self, object: Value, dist: (Option<u8>, Option<Uuid>), shared: bool) {
        self.out.push(StixOut { object, distribution: dist.0, sharing_group: dist.1, shared });
    }

    fn event_dist(&self) -> (Option<u8>, Option<Uuid>) {
        (self.ev.distribution, self.ev.sharing_group)
    }

    fn marking(&self, tlp: Option<Tlp>) -> Option<Value> {
        tlp.map(|t| json!([t.marking_definition_id()]))
    }

    /// Common properties of an SDO/SRO made from this event.
    fn base(&self, ty: &str, uuid: Uuid, time: i64, tlp: Option<Tlp>) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), json!(ty));
        m.insert("spec_version".into(), json!("2.1"));
        m.insert("id".into(), json!(format!("{ty}--{uuid}")));
        m.insert("created".into(), json!(stix_time(time)));
        m.insert("modified".into(), json!(stix_time(time)));
        m.insert("created_by_ref".into(), json!(self.identity));
        if let Some(mk) = self.marking(tlp) {
            m.insert("object_marking_refs".into(), mk);
        }
        m
    }

    /// Labels of tags: every tag but TLP (a field) and galaxy tags of converted clusters.
    fn labels(&self, tags: &[Tag], extra: Vec<String>) -> Vec<String> {
        let converted: std::collections::HashSet<String> = self.all_clusters().filter(|c| self.clusters.contains_key(&c.uuid)).map(|c| c.tag_name.clone()).collect();
        let mut out = extra;
        for t in tags {
            if tlp_of_tag(&t.name).is_some() || converted.contains(&t.name) {
                continue;
            }
            if !out.contains(&t.name) {
                out.push(t.name.clone());
            }
        }
        out
    }

    fn all_clusters(&self) -> impl Iterator<Item = &Cluster> {
        let ev = self.ev;
        ev.galaxies
            .iter()
            .chain(ev.attributes.iter().flat_map(|a| a.galaxies.iter()))
            .chain(ev.objects.iter().flat_map(|o| o.attributes.iter().flat_map(|a| a.galaxies.iter())))
            .flat_map(|g| g.clusters.iter())
    }

    fn identity_for(&mut self, uuid: Uuid, name: &str, tlp: Option<Tlp>) -> String {
        let id = format!("identity--{uuid}");
        if self.identities.insert(id.clone()) {
            let mut m = Map::new();
            m.insert("type".into(), json!("identity"));
            m.insert("spec_version".into(), json!("2.1"));
            m.insert("id".into(), json!(id));
            m.insert("created".into(), json!("1970-01-01T00:00:00.000Z"));
            m.insert("modified".into(), json!("1970-01-01T00:00:00.000Z"));
            m.insert("name".into(), json!(name));
            m.insert("identity_class".into(), json!("organization"));
            if let Some(mk) = self.marking(tlp) {
                m.insert("object_marking_refs".into(), mk);
            }
            let d = self.event_dist();
            self.push(Value::Object(m), d, true);
        }
        id
    }

    fn galaxy_sdos(&mut self, galaxies: &[Galaxy], tlp: Option<Tlp>) -> Vec<(String, &'static str)> {
        let mut out = vec![];
        for g in galaxies {
            for c in &g.clusters {
                let Some(ty) = galaxy_sdo_type(&c.cluster_type).or_else(|| galaxy_sdo_type(&g.galaxy_type)) else { continue };
                let id = format!("{ty}--{}", c.uuid);
                if let std::collections::hash_map::Entry::Vacant(slot) = self.clusters.entry(c.uuid) {
                    slot.insert(id.clone());
                    let t = stix_time(c.version.unwrap_or(0).clamp(0, 4_000_000_000));
                    let mut m = Map::new();
                    m.insert("type".into(), json!(ty));
                    m.insert("spec_version".into(), json!("2.1"));
                    m.insert("id".into(), json!(id));
                    m.insert("created".into(), json!(t));
                    m.insert("modified".into(), json!(t));
                    m.insert("name".into(), json!(c.value));
                    if let Some(d) = c.description.as_deref().filter(|d| !d.is_empty()) {
                        m.insert("description".into(), json!(d));
                    }
                    m.insert("labels".into(), json!([c.tag_name]));
                    let synonyms: Vec<Value> = c.meta.get("synonyms").and_then(Value::as_array).map(|a| a.iter().filter(|s| s.as_str().is_some_and(|s| !s.is_empty())).cloned().collect()).unwrap_or_default();
                    if !synonyms.is_empty() && ty != "course-of-action" {
                        m.insert("aliases".into(), Value::Array(synonyms));
                    }
                    if ty == "malware" {
                        m.insert("is_family".into(), json!(true));
                    }
                    let mut refs = vec![];
                    if let Some(ext) = c.meta.get("external_id").and_then(Value::as_array).and_then(|a| a.first()).and_then(Value::as_str) {
                        refs.push(json!({"source_name": "mitre-attack", "external_id": ext}));
                    }
                    for u in c.meta.get("refs").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).take(20).collect::<Vec<_>>()).unwrap_or_default() {
                        refs.push(json!({"source_name": "misp-galaxy", "url": u}));
                    }
                    if !refs.is_empty() {
                        m.insert("external_references".into(), Value::Array(refs));
                    }
                    m.insert("x_misp_galaxy_type".into(), json!(c.cluster_type));
                    if let Some(mk) = self.marking(tlp) {
                        m.insert("object_marking_refs".into(), mk);
                    }
                    let d = self.event_dist();
                    self.push(Value::Object(m), d, true);
                }
                out.push((id, ty));
            }
        }
        out
    }

    fn sightings(&mut self, sightings: &[Sighting], of: &str, time: i64, tlp: Option<Tlp>, dist: (Option<u8>, Option<Uuid>), at: &str) {
        for (i, s) in sightings.iter().enumerate() {
            let t = s.date_sighting.unwrap_or(time);
            let where_ref = s.org.as_ref().and_then(|o| o.uuid.map(|u| (u, o.name.clone().unwrap_or_else(|| format!("MISP organisation {u}")))));
            match s.kind {
                0 => {
                    let mut m = self.base("sighting", s.uuid, t, tlp);
                    m.insert("sighting_of_ref".into(), json!(of));
                    m.insert("count".into(), json!(1));
                    m.insert("first_seen".into(), json!(stix_time(t)));
                    m.insert("last_seen".into(), json!(stix_time(t)));
                    if let Some((u, name)) = where_ref {
                        let id = self.identity_for(u, &name, tlp);
                        m.insert("where_sighted_refs".into(), json!([id]));
                    }
                    if let Some(src) = &s.source {
                        m.insert("description".into(), json!(format!("source: {src}")));
                    }
                    m.insert("x_misp_sighting".into(), Value::Object(s.raw.clone()));
                    self.push(Value::Object(m), dist, false);
                }
                1 => {
                    let mut m = self.base("opinion", s.uuid, t, tlp);
                    m.insert("opinion".into(), json!("strongly-disagree"));
                    m.insert("explanation".into(), json!(format!("MISP false-positive sighting{}", s.source.as_ref().map(|x| format!(" (source: {x})")).unwrap_or_default())));
                    m.insert("object_refs".into(), json!([of]));
                    m.insert("x_misp_sighting".into(), Value::Object(s.raw.clone()));
                    self.push(Value::Object(m), dist, false);
                }
                _ => self.warnings.push(format!("{at}.Sighting[{i}]: expiration sightings have no STIX equivalent (kept in the attribute's x_misp_attribute)")),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn galaxy_links(&mut self, from: &str, from_type: &str, galaxies: &[Galaxy], time: i64, tlp: Option<Tlp>, dist: (Option<u8>, Option<Uuid>), seed: Uuid) {
        for (target, ty) in self.galaxy_sdos(galaxies, tlp) {
            let rel = if from_type == "indicator" && ty != "course-of-action" { "indicates" } else { "related-to" };
            let rid = Uuid::new_v5(&seed, target.as_bytes());
            let mut m = self.base("relationship", rid, time, tlp);
            m.insert("relationship_type".into(), json!(rel));
            m.insert("source_ref".into(), json!(from));
            m.insert("target_ref".into(), json!(target));
            self.push(Value::Object(m), dist, false);
        }
    }

    fn attr_time(&self, a: &Attribute) -> i64 {
        a.timestamp.unwrap_or(self.event_time)
    }

    fn attribute(&mut self, a: &Attribute, at: &str) {
        let time = self.attr_time(a);
        let tlp = tlp_of(&a.tags).or(self.event_tlp);
        let dist = effective(self.ev.distribution, a.distribution, self.ev.sharing_group, a.sharing_group);
        let mut labels = vec![format!("misp:type=\"{}\"", a.attr_type), format!("misp:category=\"{}\"", a.category)];
        if a.to_ids {
            labels.push("misp:to_ids=\"True\"".into());
        }
        let labels = self.labels(&a.tags, labels);
        let m = mapping(&a.attr_type, &a.value);
        let (stix_type, mut obj, scos) = match m {
            Mapping::Facets(f) if a.to_ids => {
                let mut o = self.base("indicator", a.uuid, time, tlp);
                o.insert("pattern".into(), json!(pattern_of(&f).unwrap_or_default()));
                o.insert("pattern_type".into(), json!("stix"));
                o.insert("pattern_version".into(), json!("2.1"));
                ("indicator", o, vec![])
            }
            Mapping::Pattern(lang) if a.to_ids => {
                let mut o = self.base("indicator", a.uuid, time, tlp);
                o.insert("pattern".into(), json!(a.value));
                o.insert("pattern_type".into(), json!(lang));
                if lang == "stix" {
                    o.insert("pattern_version".into(), json!("2.1"));
                }
                ("indicator", o, vec![])
            }
            Mapping::Facets(f) if !scos_of(&f, a.uuid).is_empty() => {
                let scos = scos_of(&f, a.uuid);
                let mut o = self.base("observed-data", a.uuid, time, tlp);
                let first = a.first_seen.map(format_stix).unwrap_or_else(|| stix_time(time));
                let last = a.last_seen.filter(|l| a.first_seen.is_none_or(|f| *l >= f)).map(format_stix).filter(|l| *l >= first).unwrap_or_else(|| first.clone());
                o.insert("first_observed".into(), json!(first));
                o.insert("last_observed".into(), json!(last));
                o.insert("number_observed".into(), json!(1));
                o.insert("object_refs".into(), Value::Array(scos.iter().map(|s| s["id"].clone()).collect()));
                ("observed-data", o, scos)
            }
            Mapping::Sdo(ty) => {
                let mut o = self.base(ty, a.uuid, time, tlp);
                o.insert("name".into(), json!(a.value));
                if ty == "vulnerability" {
                    let v = a.value.trim().to_ascii_uppercase();
                    if v.starts_with("CVE-") {
                        o.insert("external_references".into(), json!([{"source_name": "cve", "external_id": v}]));
                    }
                }
                (ty, o, vec![])
            }
            other => {
                if let Mapping::Custom(Some(why)) = &other {
                    self.warnings.push(format!("{at}: {why}; kept as x-misp-attribute"));
                }
                let mut o = self.base("x-misp-attribute", a.uuid, time, tlp);
                o.insert("x_misp_type".into(), json!(a.attr_type));
                o.insert("x_misp_category".into(), json!(a.category));
                o.insert("x_misp_value".into(), json!(a.value));
                if !a.comment.is_empty() {
                    o.insert("x_misp_comment".into(), json!(a.comment));
                }
                ("x-misp-attribute", o, vec![])
            }
        };
        if stix_type == "indicator" {
            o_indicator_common(&mut obj, a.first_seen, a.last_seen, time, &format!("{} ({})", truncate(&a.value, 200), a.attr_type), &a.category);
        }
        if !a.comment.is_empty() && stix_type != "x-misp-attribute" {
            obj.insert("description".into(), json!(a.comment));
        }
        if !labels.is_empty() {
            obj.insert("labels".into(), json!(labels));
        }
        if a.deleted {
            obj.insert("revoked".into(), json!(true));
        }
        obj.insert("x_misp_attribute".into(), Value::Object(a.raw.clone()));
        let id = obj["id"].as_str().unwrap_or_default().to_string();
        self.ids.insert(a.uuid, id.clone());
        self.push(Value::Object(obj), dist, false);
        let mk = self.marking(tlp);
        for mut s in scos {
            if let (Some(mk), Some(m)) = (&mk, s.as_object_mut()) {
                m.insert("object_marking_refs".into(), mk.clone());
            }
            self.push(s, dist, true);
        }
        self.sightings(&a.sightings, &id, time, tlp, dist, at);
        self.galaxy_links(&id, stix_type, &a.galaxies, time, tlp, dist, a.uuid);
    }

    fn object(&mut self, o: &Object, at: &str) {
        let time = o.timestamp.or_else(|| o.attributes.iter().filter_map(|a| a.timestamp).max()).unwrap_or(self.event_time);
        let own_tlp = o.attributes.iter().flat_map(|a| a.tags.iter()).chain(o.tags.iter()).filter_map(|t| tlp_of_tag(&t.name)).max();
        let tlp = own_tlp.or(self.event_tlp);
        let dist = effective(self.ev.distribution, o.distribution, self.ev.sharing_group, o.sharing_group);
        let mut facets = vec![];
        let mut to_ids = false;
        for (i, a) in o.attributes.iter().enumerate() {
            match mapping(&a.attr_type, &a.value) {
                Mapping::Facets(f) => {
                    to_ids |= a.to_ids;
                    facets.extend(f);
                }
                Mapping::Custom(Some(why)) => self.warnings.push(format!("{at}.Attribute[{i}]: {why}; kept in x_misp_object only")),
                _ => {}
            }
        }
        let mut labels = vec![format!("misp:name=\"{}\"", o.name)];
        if let Some(mc) = &o.meta_category {
            labels.push(format!("misp:meta-category=\"{mc}\""));
        }
        if to_ids {
            labels.push("misp:to_ids=\"True\"".into());
        }
        let attr_tags: Vec<Tag> = o.tags.iter().cloned().chain(o.attributes.iter().flat_map(|a| a.tags.iter().cloned())).collect();
        let labels = self.labels(&attr_tags, labels);
        let scos = if to_ids { vec![] } else { scos_of(&facets, o.uuid) };
        let (stix_type, mut obj) = if to_ids && !facets.is_empty() {
            let mut m = self.base("indicator", o.uuid, time, tlp);
            m.insert("pattern".into(), json!(pattern_of(&facets).unwrap_or_default()));
            m.insert("pattern_type".into(), json!("stix"));
            m.insert("pattern_version".into(), json!("2.1"));
            o_indicator_common(&mut m, o.first_seen, o.last_seen, time, &format!("{} object", o.name), o.meta_category.as_deref().unwrap_or("misc"));
            ("indicator", m)
        } else if !scos.is_empty() {
            let mut m = self.base("observed-data", o.uuid, time, tlp);
            let first = o.first_seen.map(format_stix).unwrap_or_else(|| stix_time(time));
            let last = o.last_seen.map(format_stix).filter(|l| *l >= first).unwrap_or_else(|| first.clone());
            m.insert("first_observed".into(), json!(first));
            m.insert("last_observed".into(), json!(last));
            m.insert("number_observed".into(), json!(1));
            m.insert("object_refs".into(), Value::Array(scos.iter().map(|s| s["id"].clone()).collect()));
            ("observed-data", m)
        } else {
            let mut m = self.base("x-misp-object", o.uuid, time, tlp);
            m.insert("x_misp_name".into(), json!(o.name));
            if let Some(mc) = &o.meta_category {
                m.insert("x_misp_meta_category".into(), json!(mc));
            }
            ("x-misp-object", m)
        };
        if !o.comment.is_empty() {
            obj.insert(if stix_type == "x-misp-object" { "x_misp_comment" } else { "description" }.into(), json!(o.comment));
        }
        if !labels.is_empty() {
            obj.insert("labels".into(), json!(labels));
        }
        if o.deleted {
            obj.insert("revoked".into(), json!(true));
        }
        obj.insert("x_misp_object".into(), Value::Object(o.raw.clone()));
        let id = obj["id"].as_str().unwrap_or_default().to_string();
        self.ids.insert(o.uuid, id.clone());
        for a in &o.attributes {
            self.ids.insert(a.uuid, id.clone());
        }
        self.push(Value::Object(obj), dist, false);
        let mk = self.marking(tlp);
        for mut s in scos {
            if let (Some(mk), Some(m)) = (&mk, s.as_object_mut()) {
                m.insert("object_marking_refs".into(), mk.clone());
            }
            self.push(s, dist, true);
        }
        for (i, a) in o.attributes.iter().enumerate() {
            let at_a = format!("{at}.Attribute[{i}]");
            self.sightings(&a.sightings, &id, self.attr_time(a), tlp, dist, &at_a);
            self.galaxy_links(&id, stix_type, &a.galaxies, time, tlp, dist, a.uuid);
        }
    }

    fn references(&mut self, o: &Object, at: &str) {
        let time = o.timestamp.unwrap_or(self.event_time);
        let tlp = o.attributes.iter().flat_map(|a| a.tags.iter()).chain(o.tags.iter()).filter_map(|t| tlp_of_tag(&t.name)).max().or(self.event_tlp);
        let dist = effective(self.ev.distribution, o.distribution, self.ev.sharing_group, o.sharing_group);
        for (i, r) in o.references.iter().enumerate() {
            let (Some(src), Some(dst)) = (self.ids.get(&r.object_uuid).cloned(), self.ids.get(&r.referenced_uuid).cloned()) else {
                self.warnings.push(format!("{at}.ObjectReference[{i}]: {} is not in this event; the reference is kept in x_misp_object only", r.referenced_uuid));
                continue;
            };
            if src == dst {
                continue;
            }
            let mut m = self.base("relationship", r.uuid, time, tlp);
            m.insert("relationship_type".into(), json!(slug(&r.relationship_type)));
            m.insert("source_ref".into(), json!(src));
            m.insert("target_ref".into(), json!(dst));
            if !r.comment.is_empty() {
                m.insert("description".into(), json!(r.comment));
            }
            if slug(&r.relationship_type) != r.relationship_type {
                m.insert("x_misp_relationship_type".into(), json!(r.relationship_type));
            }
            self.push(Value::Object(m), dist, false);
        }
    }
}

fn o_indicator_common(o: &mut Map<String, Value>, first_seen: Option<time::OffsetDateTime>, last_seen: Option<time::OffsetDateTime>, time: i64, name: &str, category: &str) {
    let from = first_seen.map(format_stix).unwrap_or_else(|| stix_time(time));
    o.insert("name".into(), json!(name));
    o.insert("valid_from".into(), json!(from));
    if let Some(l) = last_seen.map(format_stix) {
        if l > from {
            o.insert("valid_until".into(), json!(l));
        }
    }
    o.insert("kill_chain_phases".into(), json!([{"kill_chain_name": "misp-category", "phase_name": slug(category)}]));
}

/// Converts one event. Never fails: what cannot be carried over is kept in the `x_misp_*`
/// properties and named in [`Conversion::warnings`].
pub fn event_to_stix(ev: &Event) -> Conversion {
    let date_t = ev.date.as_deref().and_then(crate::util::date_epoch);
    let event_time = ev.timestamp.or(date_t).or(ev.publish_timestamp).unwrap_or(0);
    let created_t = date_t.filter(|d| *d <= event_time).unwrap_or(event_time);
    let event_tlp = tlp_of(&ev.tags);
    let mut warnings = vec![];
    if ev.tags.iter().filter(|t| tlp_of_tag(&t.name).is_some()).count() > 1 {
        warnings.push(format!("Event.Tag: several TLP tags; the most restrictive ({}) applies", event_tlp.map(|t| t.label()).unwrap_or("")));
    }
    let mut cx = Ctx {
        ev,
        out: vec![],
        warnings,
        identity: String::new(),
        event_tlp,
        event_time,
        ids: HashMap::new(),
        clusters: HashMap::new(),
        identities: Default::default(),
    };
    let (org_uuid, org_name) = match &ev.orgc {
        Some(o) => {
            let u = o.uuid.unwrap_or_else(|| Uuid::new_v5(&crate::NAMESPACE, format!("org:{}", o.name.clone().unwrap_or_default()).as_bytes()));
            (u, o.name.clone().unwrap_or_else(|| format!("MISP organisation {u}")))
        }
        None => (Uuid::new_v5(&ev.uuid, b"orgc"), "MISP event creator (not named in the event)".to_string()),
    };
    cx.identity = cx.identity_for(org_uuid, &org_name, event_tlp);
    let event_galaxies: Vec<String> = cx.galaxy_sdos(&ev.galaxies, event_tlp).into_iter().map(|(id, _)| id).collect();
    let _ = event_galaxies;
    for (i, a) in ev.attributes.iter().enumerate() {
        cx.attribute(a, &format!("Event.Attribute[{i}]"));
    }
    for (i, o) in ev.objects.iter().enumerate() {
        cx.object(o, &format!("Event.Object[{i}]"));
    }
    for (i, o) in ev.objects.iter().enumerate() {
        cx.references(o, &format!("Event.Object[{i}]"));
    }
    // The report.
    let mut r = cx.base("report", ev.uuid, created_t, event_tlp);
    r.insert("modified".into(), json!(stix_time(event_time.max(created_t))));
    r.insert("name".into(), json!(if ev.info.trim().is_empty() { format!("MISP event {}", ev.uuid) } else { ev.info.clone() }));
    let published = ev.publish_timestamp.filter(|p| *p > 0).unwrap_or(event_time);
    r.insert("published".into(), json!(stix_time(published)));
    r.insert("report_types".into(), json!(["threat-report"]));
    let labels = cx.labels(&ev.tags, vec![]);
    if !labels.is_empty() {
        r.insert("labels".into(), json!(labels));
    }
    let rsit: Vec<Value> = ev.tags.iter().filter_map(|t| rsit_of_tag(&t.name)).collect();
    if !rsit.is_empty() {
        r.insert("x_atalaya_incident_classification".into(), Value::Array(rsit));
    }
    if let Some(p) = ev.tags.iter().filter_map(|t| pap_of_tag(&t.name)).next() {
        r.insert("x_atalaya_pap".into(), json!(p));
    }
    let refs: Vec<Value> = {
        let mut seen = std::collections::HashSet::new();
        cx.out.iter().filter_map(|o| o.object["id"].as_str().map(str::to_string)).filter(|id| seen.insert(id.clone())).map(Value::String).collect()
    };
    r.insert("object_refs".into(), Value::Array(refs));
    r.insert("x_misp_event".into(), Value::Object(ev.meta.clone()));
    let d = cx.event_dist();
    cx.push(Value::Object(r), d, false);
    // The report first: readers meet the event before its parts.
    let report = cx.out.pop();
    let mut objects = vec![];
    objects.extend(report);
    objects.append(&mut cx.out);
    Conversion { objects, warnings: cx.warnings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_value, ParseOptions};

    fn convert(v: Value) -> Conversion {
        let p = parse_value(&v, &ParseOptions::default()).unwrap().remove(0);
        event_to_stix(&p.event)
    }

    fn check_all(c: &Conversion) {
        for o in &c.objects {
            if let Err(e) = atalaya_stix::object::check_object(o.object.clone()) {
                panic!("{e:?}\n{}", serde_json::to_string_pretty(&o.object).unwrap());
            }
        }
    }

    #[test]
    fn feed_event_maps_and_checks() {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/misp-feed/57c4445b-c548-4654-af0b-4be3950d210f.json")).unwrap()).unwrap();
        let c = convert(v);
        check_all(&c);
        let report = &c.objects[0].object;
        assert_eq!(report["id"], "report--57c4445b-c548-4654-af0b-4be3950d210f");
        assert_eq!(report["object_marking_refs"][0], Tlp::Clear.marking_definition_id());
        assert_eq!(report["x_atalaya_incident_classification"], Value::Null);
        let md5 = c.objects.iter().find(|o| o.object["id"] == "indicator--57c4448b-454c-4d17-90d1-4d2f950d210f").expect("md5 indicator");
        assert_eq!(md5.object["pattern"], "[file:hashes.'MD5' = '0749bae92ca336a02c83d126e04ec628']");
        let link = c.objects.iter().find(|o| o.object["id"] == "observed-data--57c5300c-0560-4146-bfaa-40e802de0b81").expect("link observed");
        assert_eq!(link.object["number_observed"], 1);
    }

    #[test]
    fn objects_references_galaxies_sightings() {
        let v = json!({"Event": {"info": "t", "uuid": "5a3c2fcd-8328-42bb-a95e-4f4402de0b81", "timestamp": "1513948642", "date": "2017-12-21",
            "Tag": [{"name": "tlp:amber"}, {"name": "rsit:malicious-code=\"ransomware\""}, {"name": "PAP:GREEN"}, {"name": "misp-galaxy:threat-actor=\"Sofacy\""}],
            "Galaxy": [{"type": "threat-actor", "name": "Threat Actor", "GalaxyCluster": [{"uuid": "7cdff317-a673-4474-84ec-4f1754947823", "type": "threat-actor", "value": "Sofacy", "tag_name": "misp-galaxy:threat-actor=\"Sofacy\"", "meta": {"synonyms": ["APT28"]}}]}],
            "Attribute": [{"uuid": "5a3c3045-ab0c-4d38-8efe-459002de0b81", "type": "domain|ip", "category": "Network activity", "value": "evil.example|203.0.113.7", "to_ids": false,
                "Sighting": [{"type": "0", "date_sighting": "1513948000", "Organisation": {"uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f", "name": "CIRCL"}}, {"type": "1", "uuid": "5a3c3045-ab0c-4d38-8efe-459002de0b82"}]}],
            "Object": [{"name": "file", "uuid": "5a3cda96-85c4-45a1-82ea-c5ed950d210f", "Attribute": [
                {"type": "filename", "object_relation": "filename", "value": "a.exe", "to_ids": true},
                {"type": "sha1", "object_relation": "sha1", "value": "77b0c41b7d340b8a3d903f21347bbf06aa766b5b", "to_ids": true},
                {"type": "text", "object_relation": "state", "value": "Malicious"}],
                "ObjectReference": [{"referenced_uuid": "5a3c3045-ab0c-4d38-8efe-459002de0b81", "relationship_type": "communicates-with"}]}]}});
        let c = convert(v);
        check_all(&c);
        let r = &c.objects[0].object;
        assert_eq!(r["object_marking_refs"][0], Tlp::Amber.marking_definition_id());
        assert_eq!(r["x_atalaya_incident_classification"][0]["type"], "ransomware");
        assert_eq!(r["x_atalaya_pap"], "PAP:GREEN");
        assert!(!r["labels"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().starts_with("tlp:")));
        let find = |id: &str| c.objects.iter().find(|o| o.object["id"] == id).map(|o| o.object.clone());
        assert!(find("threat-actor--7cdff317-a673-4474-84ec-4f1754947823").is_some());
        let ind = find("indicator--5a3cda96-85c4-45a1-82ea-c5ed950d210f").expect("file indicator");
        assert_eq!(ind["pattern"], "[file:name = 'a.exe' AND file:hashes.'SHA-1' = '77b0c41b7d340b8a3d903f21347bbf06aa766b5b']");
        assert!(c.objects.iter().any(|o| o.object["type"] == "relationship" && o.object["relationship_type"] == "communicates-with"));
        assert!(c.objects.iter().any(|o| o.object["type"] == "sighting"));
        assert!(find("opinion--5a3c3045-ab0c-4d38-8efe-459002de0b82").is_some());
        let obs = find("observed-data--5a3c3045-ab0c-4d38-8efe-459002de0b81").expect("observed");
        assert_eq!(obs["object_refs"].as_array().unwrap().len(), 2);
    }
}

#[cfg(test)]
mod shared_files {
    use super::*;
    use crate::event::{parse_document, ParseOptions};

    /// Every PyMISP test file: events convert into objects the STIX checker accepts; the others
    /// are refused with a message saying what they are.
    #[test]
    fn pymisp_test_files() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/misp-events");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            match parse_document(&bytes, &ParseOptions::default()) {
                Ok(events) => {
                    for p in events {
                        let c = event_to_stix(&p.event);
                        eprintln!("{}: {} objects, {} parse warnings, {} conversion warnings", f.display(), c.objects.len(), p.warnings.len(), c.warnings.len());
                        for o in &c.objects {
                            if let Err(e) = atalaya_stix::object::check_object(o.object.clone()) {
                                panic!("{}: {e:?}\n{}", f.display(), serde_json::to_string_pretty(&o.object).unwrap());
                            }
                        }
                    }
                }
                Err(e) => eprintln!("{}: refused: {e}", f.display()),
            }
        }
    }
}
