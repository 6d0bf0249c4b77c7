//! CSV and free-text indicator lists (one indicator per line), with type detection: IPv4/IPv6
//! addresses and networks, domain names, URLs, e-mail addresses, MD5/SHA-1/SHA-256/SHA-512.
//! Defanged values (`hxxp://`, `evil[.]example`) are refanged.
use crate::util::{format_stix, pattern_quote};
use serde_json::{json, Value};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Ipv4,
    Ipv6,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Kind {
    /// The MISP attribute type of this kind.
    pub fn misp_type(self) -> &'static str {
        match self {
            Kind::Ipv4 | Kind::Ipv6 => "ip-dst",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
            Kind::Sha512 => "sha512",
        }
    }

    /// The STIX pattern asserting this value.
    pub fn pattern(self, v: &str) -> String {
        let q = pattern_quote(v);
        match self {
            Kind::Ipv4 => format!("[ipv4-addr:value = {q}]"),
            Kind::Ipv6 => format!("[ipv6-addr:value = {q}]"),
            Kind::Domain => format!("[domain-name:value = {q}]"),
            Kind::Url => format!("[url:value = {q}]"),
            Kind::Email => format!("[email-addr:value = {q}]"),
            Kind::Md5 => format!("[file:hashes.'MD5' = {q}]"),
            Kind::Sha1 => format!("[file:hashes.'SHA-1' = {q}]"),
            Kind::Sha256 => format!("[file:hashes.'SHA-256' = {q}]"),
            Kind::Sha512 => format!("[file:hashes.'SHA-512' = {q}]"),
        }
    }
}

/// One value found in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub kind: Kind,
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

/// A line that holds no indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub line: usize,
    pub reason: String,
}

fn refang(s: &str) -> String {
    let mut v = s.trim().trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>').to_string();
    for (a, b) in [("[.]", "."), ("(.)", "."), ("{.}", "."), ("[dot]", "."), ("[:]", ":"), ("[@]", "@"), ("[at]", "@")] {
        v = v.replace(a, b);
    }
    let lower = v.to_ascii_lowercase();
    for (a, b) in [("hxxps://", "https://"), ("hxxp://", "http://"), ("fxp://", "ftp://")] {
        if lower.starts_with(a) {
            v = format!("{b}{}", &v[a.len()..]);
        }
    }
    v
}

fn is_domain(s: &str) -> bool {
    if s.len() > 253 || !s.contains('.') {
        return false;
    }
    let labels: Vec<&str> = s.trim_end_matches('.').split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let tld = labels[labels.len() - 1];
    if !(tld.len() >= 2 && (tld.bytes().all(|b| b.is_ascii_alphabetic()) || tld.starts_with("xn--"))) {
        return false;
    }
    labels.iter().all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// The kind and normalised value of one token, if it is an indicator.
pub fn detect(token: &str) -> Option<(Kind, String)> {
    let v = refang(token);
    if v.is_empty() || v.chars().any(char::is_whitespace) {
        return None;
    }
    if let Some(i) = v.find("://") {
        let scheme = &v[..i];
        if !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b)) && v.len() > i + 3 {
            return Some((Kind::Url, v));
        }
        return None;
    }
    if let Ok(ip) = v.parse::<std::net::IpAddr>() {
        return Some((if ip.is_ipv4() { Kind::Ipv4 } else { Kind::Ipv6 }, v));
    }
    if let Ok(net) = v.parse::<ipnet::IpNet>() {
        return Some((if matches!(net, ipnet::IpNet::V4(_)) { Kind::Ipv4 } else { Kind::Ipv6 }, v));
    }
    if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        let kind = match v.len() {
            32 => Kind::Md5,
            40 => Kind::Sha1,
            64 => Kind::Sha256,
            128 => Kind::Sha512,
            _ => return None,
        };
        return Some((kind, v.to_ascii_lowercase()));
    }
    if let Some((local, domain)) = v.rsplit_once('@') {
        if !local.is_empty() && is_domain(domain) && !local.contains('@') {
            return Some((Kind::Email, v.to_ascii_lowercase()));
        }
        return None;
    }
    if is_domain(&v) {
        return Some((Kind::Domain, v.trim_end_matches('.').to_ascii_lowercase()));
    }
    None
}

fn comment_or_blank(l: &str) -> bool {
    let t = l.trim();
    t.is_empty() || t.starts_with('#') || t.starts_with("//") || t.starts_with(';')
}

const NOT_AN_INDICATOR: &str = "not an IP address or network, domain, URL, e-mail address or MD5/SHA-1/SHA-256/SHA-512 hash";

/// A free-text list: the first word of every line that is not blank or a comment.
pub fn parse_lines(text: &str) -> (Vec<Detected>, Vec<Skipped>) {
    let mut found = vec![];
    let mut skipped = vec![];
    for (i, l) in text.lines().enumerate() {
        if comment_or_blank(l) {
            continue;
        }
        let token = l.split_whitespace().next().unwrap_or("");
        match detect(token) {
            Some((kind, value)) => found.push(Detected { kind, value, line: i + 1 }),
            None => skipped.push(Skipped { line: i + 1, reason: format!("'{}': {NOT_AN_INDICATOR}", crate::util::truncate(token, 80)) }),
        }
    }
    (found, skipped)
}

fn csv_fields(line: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A CSV list: the value of `column` (0-based), or else the first field of each row that is an
/// indicator. A first row without an indicator is taken as a header.
pub fn parse_csv(text: &str, column: Option<usize>) -> (Vec<Detected>, Vec<Skipped>) {
    let mut found = vec![];
    let mut skipped = vec![];
    for (i, l) in text.lines().enumerate() {
        if comment_or_blank(l) {
            continue;
        }
        let fields = csv_fields(l);
        let hit = match column {
            Some(c) => fields.get(c).and_then(|f| detect(f)),
            None => fields.iter().find_map(|f| detect(f)),
        };
        match hit {
            Some((kind, value)) => found.push(Detected { kind, value, line: i + 1 }),
            None if found.is_empty() && skipped.is_empty() => {} // header
            None => skipped.push(Skipped {
                line: i + 1,
                reason: match column {
                    Some(c) if fields.len() <= c => format!("no column {} (the row has {})", c + 1, fields.len()),
                    Some(c) => format!("column {}: '{}': {NOT_AN_INDICATOR}", c + 1, crate::util::truncate(&fields[c], 80)),
                    None => format!("no field is an indicator ({NOT_AN_INDICATOR})"),
                },
            }),
        }
    }
    (found, skipped)
}

/// The STIX id of a list value: the same value of the same list of the same owner always gets the
/// same id (`namespace` names the list and its owner).
pub fn indicator_id(namespace: Uuid, d: &Detected) -> String {
    format!("indicator--{}", Uuid::new_v5(&namespace, format!("{}:{}", d.kind.misp_type(), d.value).as_bytes()))
}

/// A STIX indicator for a list value.
pub fn indicator(namespace: Uuid, d: &Detected, now: time::OffsetDateTime, list: &str, marking: Option<&str>) -> Value {
    let t = format_stix(now);
    let mut o = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id(namespace, d),
        "created": t,
        "modified": t,
        "name": d.value,
        "description": format!("From the list {list}, line {}", d.line),
        "indicator_types": ["malicious-activity"],
        "pattern": d.kind.pattern(&d.value),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": t,
        "labels": [format!("misp:type=\"{}\"", d.kind.misp_type())],
        "x_atalaya_list": list,
    });
    if let Some(m) = marking {
        o["object_marking_refs"] = json!([m]);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kinds() {
        assert_eq!(detect("203.0.113.7"), Some((Kind::Ipv4, "203.0.113.7".into())));
        assert_eq!(detect("198.51.100.0/24").map(|x| x.0), Some(Kind::Ipv4));
        assert_eq!(detect("2001:db8::1").map(|x| x.0), Some(Kind::Ipv6));
        assert_eq!(detect("Evil[.]Example.com"), Some((Kind::Domain, "evil.example.com".into())));
        assert_eq!(detect("hxxp://evil.example/a?b=1").map(|x| x.0), Some(Kind::Url));
        assert_eq!(detect("Bad@Evil.example").map(|x| x.0), Some(Kind::Email));
        assert_eq!(detect("0749bae92ca336a02c83d126e04ec628").map(|x| x.0), Some(Kind::Md5));
        assert_eq!(detect("77b0c41b7d340b8a3d903f21347bbf06aa766b5b").map(|x| x.0), Some(Kind::Sha1));
        assert_eq!(detect("b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68").map(|x| x.0), Some(Kind::Sha256));
        assert_eq!(detect("hello"), None);
        assert_eq!(detect("1.2.3"), None);
    }

    #[test]
    fn lists_and_csv() {
        let (f, s) = parse_lines("# comment\n203.0.113.7 scanner\n\nnot-an-indicator\nevil.example\n");
        assert_eq!(f.len(), 2);
        assert_eq!(s, vec![Skipped { line: 4, reason: format!("'not-an-indicator': {NOT_AN_INDICATOR}") }]);
        let (f, s) = parse_csv("first_seen,value,comment\n2024-01-01,203.0.113.9,\"a, b\"\n2024-01-02,nope,x\n", Some(1));
        assert_eq!(f.len(), 1);
        assert_eq!(s.len(), 1);
        assert!(s[0].reason.contains("column 2"));
    }
}
