//! Observable values and their normalisation.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest raw value accepted by [`Value::parse`] (bytes, after trimming).
pub const MAX_VALUE_LEN: usize = 8192;

/// Digest algorithm of a [`Value::Hash`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgo {
    /// MD5 (16 bytes).
    Md5,
    /// SHA-1 (20 bytes).
    Sha1,
    /// SHA-256 (32 bytes).
    Sha256,
    /// SHA-512 (64 bytes).
    Sha512,
}

impl HashAlgo {
    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlgo::Md5 => 16,
            HashAlgo::Sha1 => 20,
            HashAlgo::Sha256 => 32,
            HashAlgo::Sha512 => 64,
        }
    }

    /// Lower-case kind name (`"md5"`, `"sha1"`, `"sha256"`, `"sha512"`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Md5 => "md5",
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Sha256 => "sha256",
            HashAlgo::Sha512 => "sha512",
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            HashAlgo::Md5 => 1,
            HashAlgo::Sha1 => 2,
            HashAlgo::Sha256 => 3,
            HashAlgo::Sha512 => 4,
        }
    }
}

/// A normalised observable value.
///
/// Build values with [`Value::parse`], which normalises them. Values built
/// directly from the variants are used as given by the index, except that IP
/// networks have their host bits masked and networks with an out-of-range
/// prefix length (> 32 / > 128) are ignored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// IPv4 network: address (host bits zero) and prefix length 0..=32; an
    /// address is a `/32`.
    Ipv4Net(u32, u8),
    /// IPv6 network: address (host bits zero) and prefix length 0..=128.
    Ipv6Net(u128, u8),
    /// Lower-case domain name without trailing dot.
    Domain(String),
    /// URL as given, with scheme and host lower-cased.
    Url(String),
    /// Lower-case e-mail address.
    Email(String),
    /// Autonomous system number.
    Asn(u32),
    /// Digest bytes (length matches the algorithm when built by `parse`).
    Hash(HashAlgo, Box<[u8]>),
    /// Any other kind: (lower-case kind, value as given, trimmed).
    Other(String, String),
}

impl Value {
    /// Parses and normalises `raw` as a value of `kind`.
    ///
    /// Kinds (case-insensitive; STIX and MISP spellings accepted as aliases):
    /// `ipv4` (`ipv4-addr`), `ipv6` (`ipv6-addr`), `ip` / `ip-src` / `ip-dst`
    /// (family detected), `domain` (`domain-name`, `hostname`), `url`
    /// (`uri`), `email` (`email-addr`, `email-src`, `email-dst`), `asn`
    /// (`autonomous-system`), `md5`, `sha1` (`sha-1`), `sha256` (`sha-256`),
    /// `sha512` (`sha-512`); any other kind gives [`Value::Other`].
    ///
    /// Never panics; malformed input gives `Err` with a message.
    pub fn parse(kind: &str, raw: &str) -> Result<Value, String> {
        let kind = kind.trim().to_ascii_lowercase();
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(format!("empty {kind} value"));
        }
        if raw.len() > MAX_VALUE_LEN {
            return Err(format!("{kind} value longer than {MAX_VALUE_LEN} bytes"));
        }
        match kind.as_str() {
            "ipv4" | "ipv4-addr" | "ip4" => parse_ipv4(raw),
            "ipv6" | "ipv6-addr" | "ip6" => parse_ipv6(raw),
            "ip" | "ip-src" | "ip-dst" | "ip-addr" => {
                if raw.contains(':') {
                    parse_ipv6(raw)
                } else {
                    parse_ipv4(raw)
                }
            }
            "domain" | "domain-name" | "hostname" | "fqdn" => {
                normalize_domain(raw).map(Value::Domain)
            }
            "url" | "uri" => normalize_url(raw).map(Value::Url),
            "email" | "email-addr" | "email-src" | "email-dst" => {
                normalize_email(raw).map(Value::Email)
            }
            "asn" | "as" | "autonomous-system" => parse_asn(raw).map(Value::Asn),
            "md5" => parse_hash(HashAlgo::Md5, raw),
            "sha1" | "sha-1" => parse_hash(HashAlgo::Sha1, raw),
            "sha256" | "sha-256" => parse_hash(HashAlgo::Sha256, raw),
            "sha512" | "sha-512" => parse_hash(HashAlgo::Sha512, raw),
            "" => Err("empty kind".to_string()),
            _ => {
                if kind.len() > 256 {
                    return Err("kind longer than 256 bytes".to_string());
                }
                Ok(Value::Other(kind, raw.to_string()))
            }
        }
    }

    /// The canonical kind name of this value.
    pub fn kind(&self) -> &str {
        match self {
            Value::Ipv4Net(..) => "ipv4",
            Value::Ipv6Net(..) => "ipv6",
            Value::Domain(_) => "domain",
            Value::Url(_) => "url",
            Value::Email(_) => "email",
            Value::Asn(_) => "asn",
            Value::Hash(a, _) => a.name(),
            Value::Other(k, _) => k,
        }
    }

    /// Convenience: an IPv4 host address (`/32`).
    pub fn ipv4(addr: Ipv4Addr) -> Value {
        Value::Ipv4Net(u32::from(addr), 32)
    }

    /// Convenience: an IPv6 host address (`/128`).
    pub fn ipv6(addr: Ipv6Addr) -> Value {
        Value::Ipv6Net(u128::from(addr), 128)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Ipv4Net(a, 32) => write!(f, "{}", Ipv4Addr::from(*a)),
            Value::Ipv4Net(a, l) => write!(f, "{}/{}", Ipv4Addr::from(*a), l),
            Value::Ipv6Net(a, 128) => write!(f, "{}", Ipv6Addr::from(*a)),
            Value::Ipv6Net(a, l) => write!(f, "{}/{}", Ipv6Addr::from(*a), l),
            Value::Domain(s) | Value::Url(s) | Value::Email(s) => f.write_str(s),
            Value::Asn(n) => write!(f, "AS{n}"),
            Value::Hash(_, b) => {
                for byte in b.iter() {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
            Value::Other(_, v) => f.write_str(v),
        }
    }
}

/// Network mask of an IPv4 prefix length (`len` ≤ 32).
#[inline]
pub(crate) fn mask4(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len.min(32) as u32)
    }
}

/// Network mask of an IPv6 prefix length (`len` ≤ 128).
#[inline]
pub(crate) fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - len.min(128) as u32)
    }
}

fn split_prefix(raw: &str, max: u8) -> Result<(&str, Option<u8>), String> {
    match raw.split_once('/') {
        None => Ok((raw, None)),
        Some((a, l)) => {
            if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("invalid prefix length {l:?}"));
            }
            let n: u16 = l
                .parse()
                .map_err(|_| format!("invalid prefix length {l:?}"))?;
            if n > max as u16 {
                return Err(format!("prefix length {n} exceeds {max}"));
            }
            Ok((a, Some(n as u8)))
        }
    }
}

fn parse_ipv4(raw: &str) -> Result<Value, String> {
    let (a, len) = split_prefix(raw, 32)?;
    let addr: Ipv4Addr = a
        .parse()
        .map_err(|_| format!("invalid IPv4 address {a:?}"))?;
    let len = len.unwrap_or(32);
    Ok(Value::Ipv4Net(u32::from(addr) & mask4(len), len))
}

fn parse_ipv6(raw: &str) -> Result<Value, String> {
    let (a, len) = split_prefix(raw, 128)?;
    let addr: Ipv6Addr = a
        .parse()
        .map_err(|_| format!("invalid IPv6 address {a:?}"))?;
    let len = len.unwrap_or(128);
    Ok(Value::Ipv6Net(u128::from(addr) & mask6(len), len))
}

fn lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// Lower-cases a domain name, strips one trailing dot and checks its labels.
pub(crate) fn normalize_domain(raw: &str) -> Result<String, String> {
    let s = raw.strip_suffix('.').unwrap_or(raw);
    if s.is_empty() {
        return Err("empty domain".to_string());
    }
    let s = lower(s);
    if s.len() > 253 {
        return Err("domain longer than 253 bytes".to_string());
    }
    for label in s.split('.') {
        if label.is_empty() {
            return Err(format!("empty label in domain {raw:?}"));
        }
        if label.len() > 63 {
            return Err(format!("label longer than 63 bytes in domain {raw:?}"));
        }
        let ok = label.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c == '-'
                || c == '_'
                || (!c.is_ascii() && c.is_alphanumeric())
        });
        if !ok {
            return Err(format!("invalid character in domain {raw:?}"));
        }
    }
    Ok(s)
}

fn has_space_or_control(s: &str) -> bool {
    s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn normalize_email(raw: &str) -> Result<String, String> {
    if has_space_or_control(raw) {
        return Err(format!("invalid character in e-mail address {raw:?}"));
    }
    let (local, domain) = raw
        .rsplit_once('@')
        .ok_or_else(|| format!("e-mail address without '@': {raw:?}"))?;
    if local.is_empty() {
        return Err(format!("e-mail address with empty local part: {raw:?}"));
    }
    let domain = if domain.starts_with('[') && domain.ends_with(']') && domain.len() > 2 {
        lower(domain)
    } else {
        normalize_domain(domain)?
    };
    Ok(format!("{}@{}", lower(local), domain))
}

fn normalize_url(raw: &str) -> Result<String, String> {
    if has_space_or_control(raw) {
        return Err(format!("invalid character in URL {raw:?}"));
    }
    let (scheme, rest) = match raw.find("://") {
        Some(i) => {
            let scheme = &raw[..i];
            let mut chars = scheme.chars();
            let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !valid {
                return Err(format!("invalid URL scheme {scheme:?}"));
            }
            (Some(scheme), &raw[i + 3..])
        }
        None => (None, raw),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    if hostport.is_empty() {
        return Err(format!("URL without host: {raw:?}"));
    }
    let mut out = String::with_capacity(raw.len());
    if let Some(s) = scheme {
        out.push_str(&s.to_ascii_lowercase());
        out.push_str("://");
    }
    if let Some(u) = userinfo {
        out.push_str(u);
        out.push('@');
    }
    out.push_str(&lower(hostport));
    out.push_str(tail);
    Ok(out)
}

fn parse_u32_digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_asn(raw: &str) -> Result<u32, String> {
    let s = raw.to_ascii_lowercase();
    let s = s.strip_prefix("as").map(str::trim_start).unwrap_or(&s);
    if let Some((hi, lo)) = s.split_once('.') {
        // asdot notation
        let (hi, lo) = match (parse_u32_digits(hi), parse_u32_digits(lo)) {
            (Some(h), Some(l)) if h <= 0xffff && l <= 0xffff => (h, l),
            _ => return Err(format!("invalid ASN {raw:?}")),
        };
        return Ok((hi << 16) | lo);
    }
    parse_u32_digits(s).ok_or_else(|| format!("invalid ASN {raw:?}"))
}

fn parse_hash(algo: HashAlgo, raw: &str) -> Result<Value, String> {
    let want = algo.digest_len() * 2;
    if raw.len() != want {
        return Err(format!(
            "{} must be {want} hex digits, got {}",
            algo.name(),
            raw.len()
        ));
    }
    let mut out = vec![0u8; algo.digest_len()];
    let bytes = raw.as_bytes();
    for (i, o) in out.iter_mut().enumerate() {
        let hi = hex_digit(bytes[2 * i]);
        let lo = hex_digit(bytes[2 * i + 1]);
        match (hi, lo) {
            (Some(h), Some(l)) => *o = (h << 4) | l,
            _ => return Err(format!("{} is not hexadecimal", algo.name())),
        }
    }
    Ok(Value::Hash(algo, out.into_boxed_slice()))
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(kind: &str, raw: &str) -> Value {
        Value::parse(kind, raw).unwrap_or_else(|e| panic!("{kind} {raw}: {e}"))
    }

    #[test]
    fn ipv4_normalisation() {
        assert_eq!(p("ipv4", "10.1.2.3"), Value::Ipv4Net(0x0a01_0203, 32));
        assert_eq!(p("ipv4", " 10.1.2.3/24 "), Value::Ipv4Net(0x0a01_0200, 24));
        assert_eq!(p("IPv4", "10.1.2.3/0"), Value::Ipv4Net(0, 0));
        assert_eq!(
            p("ip-dst", "192.168.0.1/32"),
            Value::Ipv4Net(0xc0a8_0001, 32)
        );
        assert_eq!(
            p("ipv4-addr", "10.255.255.255/8"),
            Value::Ipv4Net(0x0a00_0000, 8)
        );
        for bad in [
            "10.1.2",
            "10.1.2.3/33",
            "10.1.2.3/",
            "10.1.2.3/+4",
            "::1",
            "10.1.2.3/24/1",
            "a.b.c.d",
            "10.1.2.256",
        ] {
            assert!(Value::parse("ipv4", bad).is_err(), "{bad}");
        }
        assert_eq!(p("ipv4", "10.1.2.3/24").to_string(), "10.1.2.0/24");
        assert_eq!(p("ipv4", "10.1.2.3").to_string(), "10.1.2.3");
    }

    #[test]
    fn ipv6_normalisation() {
        let v = p("ipv6", "2001:DB8::1/32");
        assert_eq!(v, Value::Ipv6Net(0x2001_0db8u128 << 96, 32));
        assert_eq!(v.to_string(), "2001:db8::/32");
        assert_eq!(p("ip", "::1"), Value::Ipv6Net(1, 128));
        assert_eq!(p("ipv6", "::/0"), Value::Ipv6Net(0, 0));
        for bad in ["2001:db8::/129", "1.2.3.4", "fe80::1%eth0", "2001:db8::g"] {
            assert!(Value::parse("ipv6", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domain_normalisation() {
        assert_eq!(
            p("domain", "WWW.Example.COM."),
            Value::Domain("www.example.com".into())
        );
        assert_eq!(
            p("hostname", "xn--bcher-kva.example"),
            Value::Domain("xn--bcher-kva.example".into())
        );
        assert_eq!(
            p("domain", "Bücher.Example"),
            Value::Domain("bücher.example".into())
        );
        assert_eq!(
            p("domain", "_dmarc.example.com"),
            Value::Domain("_dmarc.example.com".into())
        );
        for bad in [
            "",
            ".",
            "a..b",
            ".example.com",
            "exa mple.com",
            "a/b.com",
            "x@y.com",
            "example.com..",
            &"a".repeat(64),
        ] {
            assert!(Value::parse("domain", bad).is_err(), "{bad:?}");
        }
        let long = vec!["abcdefghi"; 26].join(".");
        assert!(long.len() > 253);
        assert!(Value::parse("domain", &long).is_err());
    }

    #[test]
    fn email_normalisation() {
        assert_eq!(
            p("email", "John.Doe@Example.COM"),
            Value::Email("john.doe@example.com".into())
        );
        assert_eq!(p("email-src", "a@b"), Value::Email("a@b".into()));
        for bad in [
            "nobody",
            "@example.com",
            "a@",
            "a b@example.com",
            "a@exa mple.com",
        ] {
            assert!(Value::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn url_normalisation() {
        assert_eq!(
            p("url", "HTTP://User:Pw@WWW.Example.COM:8080/Path?Q=A#F"),
            Value::Url("http://User:Pw@www.example.com:8080/Path?Q=A#F".into())
        );
        assert_eq!(
            p("url", "hxxps://Evil.Example/X"),
            Value::Url("hxxps://evil.example/X".into())
        );
        assert_eq!(
            p("url", "Evil.Example/Login"),
            Value::Url("evil.example/Login".into())
        );
        for bad in ["http://", "http:///path", "1http://a", "http://a b", "://x"] {
            assert!(Value::parse("url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn asn_and_hash_normalisation() {
        assert_eq!(p("asn", "AS13335"), Value::Asn(13335));
        assert_eq!(p("asn", "as 64512"), Value::Asn(64512));
        assert_eq!(p("asn", "1.10"), Value::Asn(65546));
        for bad in ["AS", "ASX", "4294967296", "1.70000", "-1"] {
            assert!(Value::parse("asn", bad).is_err(), "{bad}");
        }
        let h = p("SHA256", &"AB".repeat(32));
        assert_eq!(
            h,
            Value::Hash(HashAlgo::Sha256, vec![0xab; 32].into_boxed_slice())
        );
        assert_eq!(h.to_string(), "ab".repeat(32));
        assert_eq!(p("md5", &"0".repeat(32)).kind(), "md5");
        assert_eq!(p("sha-1", &"f".repeat(40)).kind(), "sha1");
        assert_eq!(p("sha512", &"9".repeat(128)).kind(), "sha512");
        assert!(Value::parse("sha256", &"a".repeat(63)).is_err());
        assert!(Value::parse("md5", &"g".repeat(32)).is_err());
        assert!(Value::parse("md5", "é".repeat(16).as_str()).is_err());
    }

    #[test]
    fn other_kinds() {
        assert_eq!(
            p("Mutex", " Global\\X "),
            Value::Other("mutex".into(), "Global\\X".into())
        );
        assert!(Value::parse("", "x").is_err());
        assert!(Value::parse("mutex", "   ").is_err());
        assert!(Value::parse("mutex", &"x".repeat(MAX_VALUE_LEN + 1)).is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask4(0), 0);
        assert_eq!(mask4(8), 0xff00_0000);
        assert_eq!(mask4(32), u32::MAX);
        assert_eq!(mask6(0), 0);
        assert_eq!(mask6(128), u128::MAX);
    }
}
