//! Indicator kinds as Atalaya names them, and how they map onto MISP attribute types
//! (a warninglist's `matching_attributes`).

use std::fmt;
use std::str::FromStr;

/// The kind of an indicator value being checked.
///
/// These are Atalaya's indicator kinds. Each maps to the MISP attribute types that a warninglist names in
/// its `matching_attributes` ([`Kind::misp_types`]); a list is consulted for a kind only when one of those
/// types (or `ALL`) is in the list's `matching_attributes`, or when the list has none at all (MISP treats
/// an absent or empty `matching_attributes` as `ALL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// Every kind, in a fixed order.
    pub const ALL: [Kind; 9] = [
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Domain,
        Kind::Url,
        Kind::Email,
        Kind::Md5,
        Kind::Sha1,
        Kind::Sha256,
        Kind::Sha512,
    ];

    /// Atalaya's name for the kind (`"ipv4"`, `"domain"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
            Kind::Sha512 => "sha512",
        }
    }

    /// Parses an Atalaya kind name, ASCII case-insensitively, surrounding whitespace ignored.
    /// Also accepts the aliases `hostname` (→ domain), `uri` and `link` (→ url).
    pub fn parse(name: &str) -> Option<Kind> {
        let name = name.trim();
        let k = match () {
            _ if name.eq_ignore_ascii_case("ipv4") => Kind::Ipv4,
            _ if name.eq_ignore_ascii_case("ipv6") => Kind::Ipv6,
            _ if name.eq_ignore_ascii_case("domain") || name.eq_ignore_ascii_case("hostname") => {
                Kind::Domain
            }
            _ if name.eq_ignore_ascii_case("url")
                || name.eq_ignore_ascii_case("uri")
                || name.eq_ignore_ascii_case("link") =>
            {
                Kind::Url
            }
            _ if name.eq_ignore_ascii_case("email") => Kind::Email,
            _ if name.eq_ignore_ascii_case("md5") => Kind::Md5,
            _ if name.eq_ignore_ascii_case("sha1") => Kind::Sha1,
            _ if name.eq_ignore_ascii_case("sha256") => Kind::Sha256,
            _ if name.eq_ignore_ascii_case("sha512") => Kind::Sha512,
            _ => return None,
        };
        Some(k)
    }

    /// The MISP attribute types that cover this kind. A composite MISP type such as `domain|ip` or
    /// `filename|md5` covers the kind of each of its parts (MISP checks both halves of a composite value).
    pub fn misp_types(self) -> &'static [&'static str] {
        match self {
            Kind::Ipv4 | Kind::Ipv6 => &[
                "ip-src",
                "ip-dst",
                "ip-src|port",
                "ip-dst|port",
                "domain|ip",
            ],
            Kind::Domain => &["domain", "hostname", "domain|ip", "hostname|port"],
            Kind::Url => &["url", "uri", "link"],
            Kind::Email => &[
                "email",
                "email-src",
                "email-dst",
                "target-email",
                "whois-registrant-email",
                "email-reply-to",
                "dns-soa-email",
            ],
            Kind::Md5 => &["md5", "filename|md5", "malware-sample"],
            Kind::Sha1 => &["sha1", "filename|sha1"],
            Kind::Sha256 => &["sha256", "filename|sha256"],
            Kind::Sha512 => &["sha512", "filename|sha512"],
        }
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Error of [`Kind::from_str`]: the name is not a kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown indicator kind '{0}' (expected one of ipv4, ipv6, domain, url, email, md5, sha1, sha256, sha512)")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::parse(s).ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// Bit set of kinds covered by a list's `matching_attributes`.
pub(crate) const ALL_KINDS: u16 = (1 << Kind::ALL.len()) - 1;

/// The kinds covered by these MISP attribute types. Empty (MISP: no types given) or `ALL` covers every kind.
/// Types that are not known (or that Atalaya has no kind for, such as `sha224` or `ssdeep`) cover nothing.
pub(crate) fn coverage(matching_attributes: &[String]) -> u16 {
    if matching_attributes.is_empty() {
        return ALL_KINDS;
    }
    let mut mask = 0u16;
    for attr in matching_attributes {
        let attr = attr.trim();
        if attr.eq_ignore_ascii_case("all") {
            return ALL_KINDS;
        }
        for k in Kind::ALL {
            if k.misp_types().iter().any(|t| t.eq_ignore_ascii_case(attr)) {
                mask |= k.bit();
            }
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names_and_aliases() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
            assert_eq!(Kind::parse(&k.as_str().to_uppercase()), Some(k));
        }
        assert_eq!(Kind::parse(" hostname "), Some(Kind::Domain));
        assert_eq!(Kind::parse("URI"), Some(Kind::Url));
        assert_eq!(Kind::parse("ip-src"), None);
        assert!("sha224".parse::<Kind>().is_err());
    }

    #[test]
    fn coverage_of_types() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(coverage(&[]), ALL_KINDS);
        assert_eq!(coverage(&v(&["ALL"])), ALL_KINDS);
        let m = coverage(&v(&["ip-src", "ip-dst"]));
        assert_eq!(m, Kind::Ipv4.bit() | Kind::Ipv6.bit());
        let m = coverage(&v(&["domain|ip"]));
        assert_eq!(m, Kind::Ipv4.bit() | Kind::Ipv6.bit() | Kind::Domain.bit());
        let m = coverage(&v(&["filename|sha256", "ssdeep", "sha224"]));
        assert_eq!(m, Kind::Sha256.bit());
        assert_eq!(coverage(&v(&["nonsense"])), 0);
    }
}
