//! Deterministic SCO identifiers (STIX 2.1 sections 2.9 and 3.4) and the JSON Canonicalization
//! Scheme (RFC 8785) they are computed over.

use serde_json::{Map, Number, Value};
use uuid::Uuid;

use super::spec::type_spec;

/// The namespace of deterministic SCO ids.
pub const SCO_NAMESPACE: Uuid = Uuid::from_bytes([
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
]);

/// Hash algorithms in the order of preference of section 6 ("include only one hash").
const HASH_PREFERENCE: &[&str] = &["MD5", "SHA-1", "SHA-256", "SHA-512"];

/// The deterministic id `TYPE--UUIDv5` of an SCO: UUIDv5 in the namespace
/// `00abedb4-aa42-466c-9c01-fed23315a9b7` over the RFC 8785 canonical JSON of the object's ID
/// contributing properties, as given (values are used verbatim).
///
/// From `hashes` only one hash contributes: MD5, else SHA-1, else SHA-256, else SHA-512, else
/// (a choice the specification leaves open) the alphabetically first algorithm.
///
/// `None` when the type is not a STIX 2.1 SCO, has no ID contributing properties (`process`), or
/// none of them is present on the object (then the id must be a UUIDv4).
pub fn deterministic_sco_id(obj: &Map<String, Value>) -> Option<String> {
    let object_type = obj.get("type")?.as_str()?;
    let spec = type_spec(object_type)?;
    let mut contributing = Map::new();
    for &prop in spec.id_contributing {
        let Some(v) = obj.get(prop) else { continue };
        if prop == "hashes" {
            let hashes = v.as_object()?;
            let chosen = HASH_PREFERENCE
                .iter()
                .find_map(|alg| hashes.get_key_value(*alg))
                .or_else(|| hashes.iter().min_by(|a, b| a.0.cmp(b.0)));
            let Some((alg, value)) = chosen else { continue };
            let mut one = Map::new();
            one.insert(alg.clone(), value.clone());
            contributing.insert(prop.to_owned(), Value::Object(one));
        } else {
            contributing.insert(prop.to_owned(), v.clone());
        }
    }
    if contributing.is_empty() {
        return None;
    }
    let canonical = canonical_json(&Value::Object(contributing));
    Some(format!(
        "{object_type}--{}",
        Uuid::new_v5(&SCO_NAMESPACE, canonical.as_bytes())
    ))
}

/// RFC 8785 (JCS) serialization: object members sorted by their UTF-16 code units, no
/// whitespace, ECMAScript number formatting, minimal string escaping.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                if let Some(v) = m.get(*k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_number(n: &Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else if let Some(f) = n.as_f64() {
        out.push_str(&es6_number(f));
    }
}

/// ECMAScript `Number.prototype.toString` for a finite double (what RFC 8785 prescribes).
fn es6_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddddde±x".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exp + 1; // position of the decimal point relative to the digits
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        if k == 1 {
            format!("{digits}e{e_sign}{}", e.abs())
        } else {
            format!("{}.{}e{e_sign}{}", &digits[..1], &digits[1..], e.abs())
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn es6_numbers() {
        let cases = [
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123456789.125, "123456789.125"),
            (4.50, "4.5"),
            (2e-3, "0.002"),
            (0.000001234, "0.000001234"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ];
        for (x, want) in cases {
            assert_eq!(es6_number(x), want, "{x}");
        }
    }

    /// RFC 8785 section 3.2.2 sample (structure and string escaping; numbers checked above).
    #[test]
    fn jcs_sorting_and_escaping() {
        let v = json!({"b": [true, null, "\u{20ac}$\u{f}\nA'B\"\\\\\"/"], "a": {"z": 1, "\u{e9}": 2, "A": 3}, "\u{1d11e}": 0, "\u{fb33}": 1});
        assert_eq!(
            canonical_json(&v),
            "{\"a\":{\"A\":3,\"z\":1,\"\u{e9}\":2},\"b\":[true,null,\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"],\"\u{1d11e}\":0,\"\u{fb33}\":1}"
        );
    }

    #[test]
    fn namespace_constant() {
        assert_eq!(
            SCO_NAMESPACE.to_string(),
            "00abedb4-aa42-466c-9c01-fed23315a9b7"
        );
    }
}
