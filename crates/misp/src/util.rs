//! Small helpers: lenient MISP scalars (MISP writes numbers as strings and booleans as "0"/"1"),
//! timestamps.
use crate::MispError;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub(crate) fn path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A string property (absent or null → None).
pub(crate) fn opt_str(o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<String>, MispError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(MispError::new(path(at, key), format!("expected a string, found {}", kind(v)))),
    }
}

/// A string or number property rendered as a string (MISP values such as counters or ports).
pub(crate) fn opt_scalar(o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<String>, MispError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(if *b { "1".into() } else { "0".into() })),
        Some(v) => Err(MispError::new(path(at, key), format!("expected a string, found {}", kind(v)))),
    }
}

/// An integer written as a number or a string of digits ("" → None).
pub(crate) fn opt_int(o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<i64>, MispError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| MispError::new(path(at, key), format!("expected an integer, found {n}"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| MispError::new(path(at, key), format!("expected an integer, found '{s}'"))),
        Some(v) => Err(MispError::new(path(at, key), format!("expected an integer, found {}", kind(v)))),
    }
}

/// An integer within a range.
pub(crate) fn opt_level(o: &Map<String, Value>, key: &str, at: &str, allowed: std::ops::RangeInclusive<i64>, meaning: &str) -> Result<Option<u8>, MispError> {
    match opt_int(o, key, at)? {
        None => Ok(None),
        Some(n) if allowed.contains(&n) => Ok(Some(n as u8)),
        Some(n) => Err(MispError::new(path(at, key), format!("{n} is not a valid {key} ({meaning})"))),
    }
}

/// A boolean written as true/false, 0/1 or "0"/"1"/"true"/"false".
pub(crate) fn opt_bool(o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<bool>, MispError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Ok(Some(true)),
            "0" | "false" | "" => Ok(Some(false)),
            _ => Err(MispError::new(path(at, key), format!("expected a boolean, found '{s}'"))),
        },
        Some(v) => Err(MispError::new(path(at, key), format!("expected a boolean, found {}", kind(v)))),
    }
}

/// A list of objects (absent/null → empty).
pub(crate) fn opt_list<'a>(o: &'a Map<String, Value>, key: &str, at: &str) -> Result<Vec<&'a Map<String, Value>>, MispError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| v.as_object().ok_or_else(|| MispError::new(format!("{}[{i}]", path(at, key)), format!("expected an object, found {}", kind(v)))))
            .collect(),
        // MISP sometimes writes a single element instead of a list.
        Some(Value::Object(m)) => Ok(vec![m]),
        Some(v) => Err(MispError::new(path(at, key), format!("expected a list, found {}", kind(v)))),
    }
}

/// STIX timestamp (UTC, milliseconds) of a Unix time.
pub(crate) fn stix_time(epoch: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(epoch).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format_stix(t)
}

pub(crate) fn format_stix(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let ms = t.millisecond();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        ms
    )
}

/// Parses a MISP `first_seen`/`last_seen` (RFC 3339, or `YYYY-MM-DD HH:MM:SS`, or a date, or
/// Unix seconds) into UTC.
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    if let Ok(n) = s.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp(n).ok();
    }
    let fixed = s.replacen(' ', "T", 1);
    if let Ok(t) = OffsetDateTime::parse(&fixed, &Rfc3339) {
        return Some(t);
    }
    if let Ok(t) = OffsetDateTime::parse(&format!("{fixed}Z"), &Rfc3339) {
        return Some(t);
    }
    if fixed.len() == 10 {
        return OffsetDateTime::parse(&format!("{fixed}T00:00:00Z"), &Rfc3339).ok();
    }
    None
}

/// Unix seconds of an ISO date `YYYY-MM-DD` (midnight UTC).
pub(crate) fn date_epoch(d: &str) -> Option<i64> {
    if d.len() != 10 {
        return None;
    }
    OffsetDateTime::parse(&format!("{d}T00:00:00Z"), &Rfc3339).ok().map(|t| t.unix_timestamp())
}

/// Escapes a string for a STIX pattern literal.
pub(crate) fn pattern_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Truncates a string to at most `n` characters.
pub(crate) fn truncate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
