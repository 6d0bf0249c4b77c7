//! MISP feeds: `manifest.json` (event uuid → summary with `timestamp`), `hashes.csv`
//! (`md5(value),event uuid` per attribute value) and one `<uuid>.json` (`{"Event": {...}}`) per
//! event — the layout MISP's feed generator and PyMISP's `feed_meta_generator` write.
use crate::util::{kind, opt_int};
use crate::MispError;
use md5::{Digest, Md5};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// One event of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    pub uuid: Uuid,
    pub timestamp: i64,
    pub info: Option<String>,
}

/// Reads `manifest.json`; errors name the entry (`manifest.json: <uuid>.timestamp`).
pub fn parse_manifest(bytes: &[u8]) -> Result<Vec<ManifestEntry>, MispError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| MispError::new("manifest.json", format!("malformed JSON: {e}")))?;
    let Value::Object(m) = v else {
        return Err(MispError::new("manifest.json", format!("expected an object of event uuid → summary, found {}", kind(&v))));
    };
    let mut out = Vec::with_capacity(m.len());
    for (k, e) in &m {
        let at = format!("manifest.json: {k}");
        let uuid = Uuid::parse_str(k).map_err(|_| MispError::new(&at, "the key is not an event uuid"))?;
        let Value::Object(e) = e else {
            return Err(MispError::new(at, format!("expected an object, found {}", kind(e))));
        };
        let timestamp = opt_int(e, "timestamp", &at)?.ok_or_else(|| MispError::new(format!("{at}.timestamp"), "missing: the feed cannot be read incrementally without it"))?;
        out.push(ManifestEntry { uuid, timestamp, info: e.get("info").and_then(Value::as_str).map(str::to_string) });
    }
    out.sort_by_key(|e| (e.timestamp, e.uuid));
    Ok(out)
}

fn md5_hex(s: &str) -> String {
    let d = Md5::digest(s.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `hashes.csv` lines of an event (`{"Event": …}` or a bare body): `md5,event uuid` for every
/// attribute value (each part of a composite value).
pub fn hash_lines(event: &Value) -> Vec<String> {
    let e = event.get("Event").unwrap_or(event);
    let uuid = e.get("uuid").and_then(Value::as_str).unwrap_or_default();
    let mut out = vec![];
    let mut add = |a: &Value| {
        let t = a.get("type").and_then(Value::as_str).unwrap_or("");
        let v = match a.get("value") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return,
        };
        if t.contains('|') || t == "malware-sample" {
            for p in v.split('|') {
                out.push(format!("{},{uuid}", md5_hex(p)));
            }
        } else {
            out.push(format!("{},{uuid}", md5_hex(&v)));
        }
    };
    for a in e.get("Attribute").and_then(Value::as_array).into_iter().flatten() {
        add(a);
    }
    for o in e.get("Object").and_then(Value::as_array).into_iter().flatten() {
        for a in o.get("Attribute").and_then(Value::as_array).into_iter().flatten() {
            add(a);
        }
    }
    out
}

/// The manifest entry of an event: (uuid, summary).
pub fn manifest_entry(event: &Value) -> (String, Value) {
    let e = event.get("Event").unwrap_or(event);
    let uuid = e.get("uuid").and_then(Value::as_str).unwrap_or_default().to_string();
    let int = |k: &str, d: i64| -> Value {
        match e.get(k) {
            Some(Value::Number(n)) => json!(n.as_i64().unwrap_or(d)),
            Some(Value::String(s)) => json!(s.parse::<i64>().unwrap_or(d)),
            _ => json!(d),
        }
    };
    let tags: Vec<Value> = e
        .get("Tag")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    let name = t.get("name")?.as_str()?;
                    let mut m = Map::new();
                    m.insert("name".into(), json!(name));
                    if let Some(c) = t.get("colour").and_then(Value::as_str) {
                        m.insert("colour".into(), json!(c));
                    }
                    Some(Value::Object(m))
                })
                .collect()
        })
        .unwrap_or_default();
    let orgc = e.get("Orgc").cloned().unwrap_or_else(|| json!({"name": "unknown", "uuid": Uuid::nil().to_string()}));
    let orgc = json!({"name": orgc.get("name").cloned().unwrap_or(json!("unknown")), "uuid": orgc.get("uuid").cloned().unwrap_or(json!(Uuid::nil().to_string()))});
    (
        uuid,
        json!({
            "Orgc": orgc,
            "Tag": tags,
            "info": e.get("info").cloned().unwrap_or(json!("")),
            "date": e.get("date").cloned().unwrap_or(json!("1970-01-01")),
            "analysis": int("analysis", 2),
            "threat_level_id": int("threat_level_id", 4),
            "timestamp": int("timestamp", 0),
        }),
    )
}

/// Keys an exported event (and its attributes and objects) never carries: ids of the source
/// instance, its sharing groups and local organisation.
const NOT_IN_FEEDS: &[&str] = &["id", "event_id", "object_id", "sharing_group_id", "SharingGroup", "org_id", "orgc_id", "Org", "attribute_count", "event_creator_email", "locked", "proposal_email_lock", "distribution", "RelatedEvent", "ShadowAttribute"];

/// An event in feed form: `{"Event": …}` without instance-local keys.
pub fn feed_form(event: &Value) -> Value {
    fn strip(v: &mut Value) {
        if let Value::Object(m) = v {
            for k in NOT_IN_FEEDS {
                m.remove(*k);
            }
            for key in ["Attribute", "Object"] {
                if let Some(Value::Array(a)) = m.get_mut(key) {
                    for x in a.iter_mut() {
                        strip(x);
                    }
                }
            }
        }
    }
    let mut e = event.get("Event").unwrap_or(event).clone();
    strip(&mut e);
    json!({ "Event": e })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_errors_name_the_entry() {
        let e = parse_manifest(br#"{"57c4445b-c548-4654-af0b-4be3950d210f": {"info": "x"}}"#).unwrap_err();
        assert_eq!(e.field, "manifest.json: 57c4445b-c548-4654-af0b-4be3950d210f.timestamp");
        let m = parse_manifest(br#"{"57c4445b-c548-4654-af0b-4be3950d210f": {"info": "x", "timestamp": "1472541011"}}"#).unwrap();
        assert_eq!(m[0].timestamp, 1472541011);
        assert!(parse_manifest(b"{").is_err());
    }

    #[test]
    fn hashes_split_composites() {
        let e = json!({"Event": {"uuid": "u", "Attribute": [{"type": "ip-dst|port", "value": "1.2.3.4|80"}, {"type": "domain", "value": "a.example"}]}});
        let h = hash_lines(&e);
        assert_eq!(h.len(), 3);
        assert_eq!(h[1], format!("{},u", md5_hex("80")));
    }
}
