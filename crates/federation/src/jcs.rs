//! RFC 8785 JSON Canonicalization Scheme (JCS) over `serde_json::Value`.
//!
//! - Object members sorted by their names as arrays of UTF-16 code units; no whitespace.
//! - Strings: `"` and `\` escaped, U+0008/0009/000A/000C/000D as `\b \t \n \f \r`, the other
//!   controls below U+0020 as `\u00xx` (lower-case hex); everything else (including non-ASCII,
//!   DEL and U+2028) written literally as UTF-8.
//! - Numbers: the IEEE 754 double they denote, written as ECMAScript `Number.prototype.toString`
//!   does (`1e+21`, `1e-7`, `0.000001`, `4.5`, `-0` → `0`). Integers beyond ±2^53 are first
//!   rounded to the nearest double, as JCS requires.
//! - `null`, `true`, `false` literally.
use crate::FedError;
use serde_json::Value;
use std::cmp::Ordering;

/// The JCS form of `v`. Fails only for numbers that are not finite doubles, which plain
/// `serde_json` cannot produce (possible only with its `arbitrary_precision` feature).
pub fn canonical_json(v: &Value) -> Result<Vec<u8>, FedError> {
    let mut out = Vec::with_capacity(256);
    write_value(v, &mut out)?;
    Ok(out)
}

/// The JCS form of `v` as a string (see [`canonical_json`]).
pub fn canonical_json_string(v: &Value) -> Result<String, FedError> {
    // Only valid UTF-8 is ever written.
    canonical_json(v).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn write_value(v: &Value, out: &mut Vec<u8>) -> Result<(), FedError> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(x, out)?;
            }
            out.push(b']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| utf16_cmp(a, b));
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(&m[k], out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

const MAX_SAFE_INTEGER: u64 = 1 << 53;

fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) -> Result<(), FedError> {
    if let Some(u) = n.as_u64() {
        if u <= MAX_SAFE_INTEGER {
            out.extend_from_slice(u.to_string().as_bytes());
            return Ok(());
        }
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= MAX_SAFE_INTEGER {
            out.extend_from_slice(i.to_string().as_bytes());
            return Ok(());
        }
    }
    match n.as_f64() {
        Some(f) if f.is_finite() => {
            out.extend_from_slice(es_number(f).as_bytes());
            Ok(())
        }
        _ => Err(FedError::malformed("number", format!("{n} is not a finite IEEE 754 double"))),
    }
}

/// ECMAScript `Number.prototype.toString(10)` of a finite double.
pub(crate) fn es_number(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    let neg = f < 0.0;
    // Rust's `{:e}` gives the shortest digits that round-trip, e.g. `1.2345e-7`, `5e-324`.
    let e = format!("{:e}", f.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((e.as_str(), "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exp + 1;
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    // `split_at` positions below are within bounds: 0 < n < k in the second branch, k >= 1.
    if k <= n && n <= 21 {
        s.push_str(&digits);
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at((n as usize).min(digits.len()));
        s.push_str(int);
        s.push('.');
        s.push_str(frac);
    } else if -6 < n && n <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-n) as usize));
        s.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        s.push_str(first);
        if !rest.is_empty() {
            s.push('.');
            s.push_str(rest);
        }
        s.push('e');
        s.push(if n > 0 { '+' } else { '-' });
        s.push_str(&(n - 1).abs().to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jcs(s: &str) -> String {
        canonical_json_string(&serde_json::from_str(s).expect("json")).expect("jcs")
    }

    /// RFC 8785 §3.2.2 example.
    #[test]
    fn rfc8785_example() {
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        assert_eq!(
            jcs(input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    /// RFC 8785 §3.2.3: sorting by UTF-16 code units.
    #[test]
    fn rfc8785_sorting() {
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let v: Value = serde_json::from_str(input).expect("json");
        let out = jcs(input);
        let order: Vec<String> = {
            let mut keys: Vec<String> = v.as_object().expect("obj").keys().cloned().collect();
            keys.sort_by_key(|k| out.find(&format!("\"{}\":", k.replace('\r', "\\r"))).expect("key present"));
            keys
        };
        assert_eq!(order, vec!["\r", "1", "\u{80}", "\u{f6}", "\u{20ac}", "\u{1f600}", "\u{fb33}"]);
    }

    /// Number serialisation (ECMAScript), RFC 8785 appendix B values and edge cases.
    #[test]
    fn numbers() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (5e-324, "5e-324"),
            (-5e-324, "-5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (9007199254740992.0, "9007199254740992"),
            (295147905179352830000.0, "295147905179352830000"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (123e-20, "1.23e-18"),
            (4.35, "4.35"),
            (0.002, "0.002"),
            (1152921504606846976.0, "1152921504606847000"),
            (333333333.3333333, "333333333.3333333"),
        ];
        for (f, want) in cases {
            assert_eq!(es_number(*f), *want, "{f:e}");
        }
        // Integers beyond 2^53 are rounded to a double first.
        assert_eq!(jcs("9007199254740993"), "9007199254740992");
        assert_eq!(jcs("-9007199254740993"), "-9007199254740992");
        assert_eq!(jcs("18446744073709551615"), "18446744073709552000");
        assert_eq!(jcs("[1.0, -0, 10, 1e2]"), "[1,0,10,100]");
    }

    #[test]
    fn strings_and_nesting() {
        assert_eq!(jcs(r#"{"b":[{"z":1,"a":"\u001f\u007f\u2028"}],"a":{}}"#), "{\"a\":{},\"b\":[{\"a\":\"\\u001f\u{7f}\u{2028}\",\"z\":1}]}");
        assert_eq!(jcs(r#""\b\f\t""#), r#""\b\f\t""#);
    }
}
