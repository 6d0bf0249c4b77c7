//! Observable values of SCOs, for correlation. (Indicator patterns are handled by
//! [`crate::pattern`].)

use serde_json::Value;

use super::stix_object::StixObject;

/// What an observable value is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObservableKind {
    Ipv4,
    Ipv6,
    Domain,
    Url,
    Email,
    Asn,
    Md5,
    Sha1,
    Sha256,
    Sha512,
    /// Anything else, named by its STIX object path in the form the patterning grammar uses:
    /// `mac-addr:value`, `mutex:name`, `windows-registry-key:key`, `file:hashes.'SHA3-256'`,
    /// `x509-certificate:serial_number`, `software:cpe`, `user-account:user_id`, …
    Other(String),
}

/// One observable value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Observable {
    pub kind: ObservableKind,
    pub value: String,
}

impl StixObject {
    /// The observable values of an SCO (empty for SDOs, SROs and meta objects):
    /// - `ipv4-addr` / `ipv6-addr`: `value` as given (single addresses or CIDR blocks);
    /// - `domain-name`: `value` lowercased; `email-addr`: `value` lowercased; `url`: `value` as given;
    /// - `autonomous-system`: `number` in decimal;
    /// - `file` and `artifact`: hashes `MD5`, `SHA-1`, `SHA-256`, `SHA-512` as lowercase hex (values
    ///   that are not hex of the right length are skipped); other algorithms as
    ///   `Other("file:hashes.'ALG'")` with the value as given;
    /// - `mac-addr:value`, `mutex:name`, `windows-registry-key:key`, `x509-certificate` hashes and
    ///   `serial_number`, `software:cpe`, `user-account:user_id` as [`ObservableKind::Other`].
    ///
    /// Defanged objects (`defanged: true`) are reported as given; nothing is re-fanged.
    pub fn observables(&self) -> Vec<Observable> {
        let mut out = Vec::new();
        let j = &self.json;
        let s = |k: &str| j.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
        let mut push = |kind: ObservableKind, value: String| out.push(Observable { kind, value });
        let t = self.object_type.as_str();
        match t {
            "ipv4-addr" => {
                if let Some(v) = s("value") {
                    push(ObservableKind::Ipv4, v.to_owned());
                }
            }
            "ipv6-addr" => {
                if let Some(v) = s("value") {
                    push(ObservableKind::Ipv6, v.to_owned());
                }
            }
            "domain-name" => {
                if let Some(v) = s("value") {
                    push(ObservableKind::Domain, v.to_lowercase());
                }
            }
            "url" => {
                if let Some(v) = s("value") {
                    push(ObservableKind::Url, v.to_owned());
                }
            }
            "email-addr" => {
                if let Some(v) = s("value") {
                    push(ObservableKind::Email, v.to_lowercase());
                }
            }
            "autonomous-system" => {
                if let Some(n) = j.get("number").and_then(Value::as_i64) {
                    push(ObservableKind::Asn, n.to_string());
                }
            }
            "mac-addr" => {
                if let Some(v) = s("value") {
                    push(
                        ObservableKind::Other("mac-addr:value".into()),
                        v.to_lowercase(),
                    );
                }
            }
            "mutex" => {
                if let Some(v) = s("name") {
                    push(ObservableKind::Other("mutex:name".into()), v.to_owned());
                }
            }
            "windows-registry-key" => {
                if let Some(v) = s("key") {
                    push(
                        ObservableKind::Other("windows-registry-key:key".into()),
                        v.to_owned(),
                    );
                }
            }
            "software" => {
                if let Some(v) = s("cpe") {
                    push(ObservableKind::Other("software:cpe".into()), v.to_owned());
                }
            }
            "user-account" => {
                if let Some(v) = s("user_id") {
                    push(
                        ObservableKind::Other("user-account:user_id".into()),
                        v.to_owned(),
                    );
                }
            }
            "x509-certificate" => {
                if let Some(v) = s("serial_number") {
                    push(
                        ObservableKind::Other("x509-certificate:serial_number".into()),
                        v.to_owned(),
                    );
                }
            }
            _ => {}
        }
        if matches!(t, "file" | "artifact" | "x509-certificate") {
            if let Some(hashes) = j.get("hashes").and_then(Value::as_object) {
                for (alg, v) in hashes {
                    let Some(v) = v.as_str() else { continue };
                    let known = match (t, alg.as_str()) {
                        ("x509-certificate", _) => None,
                        (_, "MD5") => Some((ObservableKind::Md5, 32)),
                        (_, "SHA-1") => Some((ObservableKind::Sha1, 40)),
                        (_, "SHA-256") => Some((ObservableKind::Sha256, 64)),
                        (_, "SHA-512") => Some((ObservableKind::Sha512, 128)),
                        _ => None,
                    };
                    match known {
                        Some((kind, len))
                            if v.len() == len && v.bytes().all(|c| c.is_ascii_hexdigit()) =>
                        {
                            push(kind, v.to_ascii_lowercase());
                        }
                        Some(_) => {}
                        None if !v.is_empty() => {
                            push(
                                ObservableKind::Other(format!("{t}:hashes.'{alg}'")),
                                v.to_owned(),
                            );
                        }
                        None => {}
                    }
                }
            }
        }
        out
    }
}
