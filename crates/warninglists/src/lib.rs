//! MISP warninglists — lists of known false positives (private address ranges, public DNS resolvers, TLDs,
//! hashes of the empty file, …) — and checking indicator values against them.
//!
//! A list is MISP's `list.json` ([`parse_list`]); a [`Warninglists`] set holds lists, each enabled or
//! disabled, and [`Warninglists::check`] returns every enabled list that matches a value of a given
//! [`Kind`].
//!
//! ```
//! use atalaya_warninglists::{parse_list, Warninglists};
//!
//! let json = br#"{"name": "RFC 1918", "description": "private", "version": 5, "type": "cidr",
//!     "list": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "10.0.0.0/33"],
//!     "matching_attributes": ["ip-src", "ip-dst", "domain|ip"]}"#;
//! let list = parse_list(json).unwrap();
//! assert_eq!(list.entries, 3);
//! assert_eq!(list.warnings, ["list[3]: '10.0.0.0/33' is not a CIDR; skipped"]);
//!
//! let mut lists = Warninglists::new();
//! lists.add(list);
//! let hits = lists.check("ipv4", "192.168.1.20");
//! assert_eq!((hits[0].list.as_str(), hits[0].matched.as_str()), ("RFC 1918", "192.168.0.0/16"));
//! assert_eq!(lists.check("url", "http://10.1.2.3:8080/")[0].checked, "10.1.2.3");
//! assert!(lists.check("ipv4", "8.8.8.8").is_empty());
//! lists.set_enabled("RFC 1918", false);
//! assert!(lists.check("ipv4", "192.168.1.20").is_empty());
//! ```
//!
//! # Which lists are consulted
//!
//! A list is consulted for a value of kind `k` when its `matching_attributes` names one of the MISP
//! attribute types of `k` ([`Kind::misp_types`]: `ip-src`, `ip-dst`, `ip-src|port`, `ip-dst|port`,
//! `domain|ip` for `ipv4`/`ipv6`; `domain`, `hostname`, `domain|ip`, `hostname|port` for `domain`; `url`,
//! `uri`, `link` for `url`; `email`, `email-src`, `email-dst`, … for `email`; `md5`, `filename|md5`,
//! `malware-sample`; `sha1`, `filename|sha1`; and so on), or `ALL`, or when it has no `matching_attributes`
//! (MISP's reading: `ALL`). Other lists are not consulted — except for URLs, see below.
//!
//! # Semantics per list type (value normalisation first)
//!
//! Values are trimmed. `domain` values are lower-cased and lose trailing dots; `email`, hash and IP values
//! are lower-cased; `url` values are kept as given (paths are case-sensitive). The *host* of a URL
//! (scheme, user-info, port and path removed; brackets removed from an IPv6 literal; lower-cased; trailing
//! dots removed) and the *domain* of an e-mail address (after the last `@`) are derived when needed.
//!
//! * `cidr`: entries are IPv4/IPv6 addresses and networks (host bits set are cleared, with a warning).
//!   An address value matches an entry that contains it; a network value (`10.1.0.0/16`) matches an entry
//!   it overlaps — one that contains it or one inside it. IPv4 and IPv6 never match each other (no
//!   IPv4-mapped translation, as in MISP). For `url`/`email` values the host/domain is used when it is an
//!   IP literal. The most specific containing entry is reported.
//! * `hostname`: entries are lower-cased, leading/trailing dots and a leading `*.` are removed. A value
//!   matches an entry equal to it or to one of its parent domains (`www.example.com` matches
//!   `example.com`, `notexample.com` does not). For `url` values the host is used and for `email` values
//!   the domain (MISP's `evalHostname` does the same by cutting the value at `/` and `@`). An IP value
//!   (lists with `domain|ip` apply to IPs too) must equal an entry: an address has no parent domains. The
//!   most specific entry is reported.
//! * `string`: equality. Case-insensitive (both sides lower-cased, trailing dots removed) for every kind
//!   but `url`, whose full value is compared exactly; a URL's host is then compared case-insensitively too.
//! * `substring`: an entry contained in the value; case-insensitive for every kind but `url`.
//! * `regex`: MISP's PCRE patterns (`/…/i`) translated for the `regex` crate (see the `pcre` module
//!   notes); an entry that cannot be translated or compiled (backreferences, look-around, unknown
//!   modifiers, missing delimiters) is skipped with a warning. Matched against the normalised value.
//!
//! # URLs
//!
//! A `url` value is checked in full against lists covering `url` (as above: hostname lists look at its
//! host, cidr lists at its host if that is an IP literal, string lists at the full URL and then its host).
//! In addition, its host is checked as a `domain` value against lists that cover `domain` but not `url`
//! (or, when the host is an IP literal, as an `ipv4`/`ipv6` value against lists covering those), so
//! `https://www.example.com/x` hits the RFC 6761 list and `http://10.1.2.3/` hits RFC 1918. [`Hit::checked`]
//! tells which part matched.
//!
//! # Invalid input
//!
//! Malformed JSON, a missing or wrongly-typed `name`, `version`, `type` or `list`, or an unknown `type`
//! make [`parse_list`] fail with a [`ListError`] naming the field. Bad *entries* (not a string, empty,
//! `10.0.0.0/33` in a cidr list, an uncompilable regex, …) are skipped with a warning
//! (`list[12]: '10.0.0.0/33' is not a CIDR; skipped`) kept in [`Warninglist::warnings`], as MISP tolerates
//! some junk in upstream lists; [`parse_list_strict`] turns those into errors instead. Nothing panics on
//! any input.

mod kind;
mod matcher;
mod parse;
mod pcre;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use kind::{Kind, UnknownKind};
use matcher::{fold, IpQuery, Matcher};

/// The type of a warninglist (`type` in `list.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    Cidr,
    String,
    Substring,
    Hostname,
    Regex,
}

impl ListKind {
    /// MISP's name (`cidr`, `string`, `substring`, `hostname`, `regex`).
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Cidr => "cidr",
            ListKind::String => "string",
            ListKind::Substring => "substring",
            ListKind::Hostname => "hostname",
            ListKind::Regex => "regex",
        }
    }

    /// Parses MISP's name, ASCII case-insensitively.
    pub fn parse(s: &str) -> Option<ListKind> {
        [
            ListKind::Cidr,
            ListKind::String,
            ListKind::Substring,
            ListKind::Hostname,
            ListKind::Regex,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for ListKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Why a list (or a directory of lists) could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The bytes are not JSON.
    #[error("malformed JSON: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// A required field is absent (or `null`).
    #[error("{field}: missing")]
    Missing { field: String },
    /// A field (or an entry, `list[12]`, in strict mode) has a wrong type or value.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Reading a file or directory failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A list file in a directory failed to parse.
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: Box<ListError>,
    },
}

impl ListError {
    /// The field the error is about (`"type"`, `"list[12]"`, …), if any; looks through [`ListError::File`].
    pub fn field(&self) -> Option<&str> {
        match self {
            ListError::Missing { field } | ListError::Invalid { field, .. } => Some(field),
            ListError::File { source, .. } => source.field(),
            _ => None,
        }
    }
}

/// One warninglist, compiled for matching.
///
/// The public fields describe the list; matching uses what [`parse_list`] compiled from `list`, so changing
/// `kind` or `entries` afterwards changes nothing. `matching_attributes` is read again when the list is
/// [added](Warninglists::add) to a set.
#[derive(Debug, Clone)]
pub struct Warninglist {
    pub name: String,
    pub description: String,
    pub version: u64,
    pub kind: ListKind,
    /// MISP attribute types the list applies to; empty means all (MISP's `ALL`).
    pub matching_attributes: Vec<String>,
    /// MISP's `category` (`false-positive`, `known`), when given.
    pub category: Option<String>,
    /// Distinct usable entries compiled into the matcher.
    pub entries: usize,
    /// Entries skipped as unusable (each has a warning, up to a cap).
    pub skipped: usize,
    /// What was tolerated while parsing: skipped entries, duplicates, a missing description, …
    pub warnings: Vec<String>,
    values: Vec<Box<str>>,
    matcher: Matcher,
    coverage: u16,
}

/// Parses a MISP `list.json`. Unusable entries are skipped and recorded in [`Warninglist::warnings`].
pub fn parse_list(json: &[u8]) -> Result<Warninglist, ListError> {
    parse::parse(json, false)
}

/// Like [`parse_list`], but the first unusable entry (or other tolerated oddity: a missing description, a
/// version given as a string, a cidr entry with host bits set) is an error.
pub fn parse_list_strict(json: &[u8]) -> Result<Warninglist, ListError> {
    parse::parse(json, true)
}

/// One list that matched a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hit {
    /// The list's `name`.
    pub list: String,
    pub list_version: u64,
    /// The list entry that matched, as written in the list.
    pub matched: String,
    /// What was compared with it: the normalised value, a URL's host or an e-mail address's domain.
    pub checked: String,
}

impl Warninglist {
    /// The accepted entries, in list order (without skipped and duplicate entries).
    pub fn values(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.values.iter().map(|v| &**v)
    }

    /// Whether the list is consulted for values of this kind (its `matching_attributes` as parsed).
    pub fn covers(&self, kind: Kind) -> bool {
        self.coverage & kind.bit() != 0
    }

    /// Checks one value against this list alone, with the same rules as [`Warninglists::check_kind`].
    pub fn check(&self, kind: Kind, value: &str) -> Option<Hit> {
        let p = Prepared::new(kind, value);
        let host = p.host_as_value();
        self.eval(&p, host.as_ref())
    }

    fn hit(&self, idx: u32, checked: &str) -> Hit {
        Hit {
            list: self.name.clone(),
            list_version: self.version,
            matched: self
                .values
                .get(idx as usize)
                .map(|v| v.to_string())
                .unwrap_or_default(),
            checked: checked.to_string(),
        }
    }

    fn eval(&self, p: &Prepared<'_>, host: Option<&Prepared<'_>>) -> Option<Hit> {
        if self.coverage & p.kind.bit() != 0 {
            if let Some((idx, checked)) = self.eval_direct(p) {
                return Some(self.hit(idx, checked));
            }
            return None;
        }
        // A URL's host, checked as a domain / IP against lists that cover those kinds but not URLs.
        let host = host?;
        if self.coverage & host.kind.bit() != 0 {
            if let Some((idx, checked)) = self.eval_direct(host) {
                return Some(self.hit(idx, checked));
            }
        }
        None
    }

    fn eval_direct<'p>(&self, p: &'p Prepared<'_>) -> Option<(u32, &'p str)> {
        let via_host = matches!(p.kind, Kind::Url | Kind::Email);
        match &self.matcher {
            Matcher::Cidr(m) => {
                if via_host {
                    let h = p.host.as_ref()?;
                    m.find(h.ip.as_ref()?).map(|i| (i, h.text.as_str()))
                } else {
                    m.find(p.ip.as_ref()?).map(|i| (i, &*p.norm))
                }
            }
            Matcher::Hostname(m) => {
                if via_host {
                    let h = p.host.as_ref()?;
                    m.find(&h.text).map(|i| (i, h.text.as_str()))
                } else if p.ip.is_some() {
                    // An IP address has no parent domains: only the address itself can match.
                    m.find_exact(&p.norm).map(|i| (i, &*p.norm))
                } else {
                    m.find(&p.norm).map(|i| (i, &*p.norm))
                }
            }
            Matcher::String(m) => {
                if p.kind == Kind::Url {
                    if let Some(i) = m.find_exact(&p.norm) {
                        return Some((i, &*p.norm));
                    }
                    let h = p.host.as_ref()?;
                    m.find_folded(&h.text).map(|i| (i, h.text.as_str()))
                } else {
                    m.find_folded(&fold(&p.norm)).map(|i| (i, &*p.norm))
                }
            }
            Matcher::Substring(m) => {
                let found = if p.kind == Kind::Url {
                    m.find_exact(&p.norm)
                } else {
                    m.find_folded(&p.norm)
                };
                found.map(|i| (i, &*p.norm))
            }
            Matcher::Regex(m) => m.find(&p.norm).map(|i| (i, &*p.norm)),
        }
    }
}

/// A URL's host or an e-mail address's domain.
#[derive(Debug)]
struct HostPart {
    /// Lower-case, trailing dots removed, IPv6 brackets removed.
    text: String,
    ip: Option<IpQuery>,
}

/// A value normalised once for all lists.
#[derive(Debug)]
struct Prepared<'a> {
    kind: Kind,
    norm: Cow<'a, str>,
    ip: Option<IpQuery>,
    host: Option<HostPart>,
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

fn host_part(text: &str) -> Option<HostPart> {
    let text = text.trim().trim_end_matches('.');
    if text.is_empty() {
        return None;
    }
    let text = lower(text).into_owned();
    let ip = IpQuery::parse(&text);
    let text = match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(inner) => inner.to_string(),
        None => text,
    };
    Some(HostPart { text, ip })
}

/// The host of a URL: after `scheme://` (or `//`), before the first `/`, `?`, `#` or `\`, without
/// user-info and port. A value without a scheme is read as `host/path`, like MISP does.
fn url_host(url: &str) -> Option<&str> {
    let rest = match url.find("://") {
        Some(i) if !url[..i].contains(['/', '?', '#', '@']) => &url[i + 3..],
        _ => url.strip_prefix("//").unwrap_or(url),
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = match authority.rfind('@') {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    let host = if hostport.starts_with('[') {
        match hostport.find(']') {
            Some(i) => &hostport[..=i],
            None => hostport,
        }
    } else {
        match hostport.rfind(':') {
            Some(i) if hostport[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &hostport[..i],
            _ => hostport,
        }
    };
    (!host.is_empty()).then_some(host)
}

impl<'a> Prepared<'a> {
    fn new(kind: Kind, value: &'a str) -> Prepared<'a> {
        let v = value.trim();
        match kind {
            Kind::Url => Prepared {
                kind,
                norm: Cow::Borrowed(v),
                ip: None,
                host: url_host(v).and_then(host_part),
            },
            Kind::Email => {
                let norm = lower(v);
                let host = v.rfind('@').and_then(|i| host_part(&v[i + 1..]));
                Prepared {
                    kind,
                    norm,
                    ip: None,
                    host,
                }
            }
            Kind::Domain => {
                let t = v.trim_end_matches('.');
                let norm = lower(if t.is_empty() { v } else { t });
                Prepared {
                    kind,
                    norm,
                    ip: None,
                    host: None,
                }
            }
            Kind::Ipv4 | Kind::Ipv6 => Prepared {
                kind,
                norm: lower(v),
                ip: IpQuery::parse(v),
                host: None,
            },
            Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512 => Prepared {
                kind,
                norm: lower(v),
                ip: None,
                host: None,
            },
        }
    }

    /// For a URL: its host as a value of its own (`domain`, or `ipv4`/`ipv6` for an IP literal).
    fn host_as_value(&self) -> Option<Prepared<'_>> {
        if self.kind != Kind::Url {
            return None;
        }
        let h = self.host.as_ref()?;
        Some(match h.ip {
            Some(ip) => Prepared {
                kind: if ip.v6 { Kind::Ipv6 } else { Kind::Ipv4 },
                norm: Cow::Borrowed(&h.text),
                ip: Some(ip),
                host: None,
            },
            None => Prepared {
                kind: Kind::Domain,
                norm: Cow::Borrowed(&h.text),
                ip: None,
                host: None,
            },
        })
    }
}

#[derive(Debug, Clone)]
struct Slot {
    list: Warninglist,
    enabled: bool,
}

/// A set of warninglists, each enabled or disabled, keyed by name.
#[derive(Debug, Clone, Default)]
pub struct Warninglists {
    slots: Vec<Slot>,
    by_name: HashMap<String, usize>,
}

impl Warninglists {
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every `lists/*/list.json` under `path` (or `*/list.json` when `path` has no `lists/` folder,
    /// as in a copy of just the lists), in folder-name order, all enabled. Returns the set and the
    /// warnings, each prefixed with its folder name. A list that fails to parse fails the whole load with
    /// [`ListError::File`]; see [`Warninglists::load_dir_lenient`] to skip it instead. Folders without a
    /// `list.json` are skipped with a warning.
    pub fn load_dir(path: impl AsRef<Path>) -> Result<(Self, Vec<String>), ListError> {
        Self::load(path.as_ref(), false)
    }

    /// Like [`Warninglists::load_dir`], but a list that fails to parse is skipped with a warning.
    pub fn load_dir_lenient(path: impl AsRef<Path>) -> Result<(Self, Vec<String>), ListError> {
        Self::load(path.as_ref(), true)
    }

    fn load(path: &Path, lenient: bool) -> Result<(Self, Vec<String>), ListError> {
        let nested = path.join("lists");
        let root = if nested.is_dir() {
            nested
        } else {
            path.to_path_buf()
        };
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |source| ListError::Io { path: p, source }
        };
        let mut dirs = Vec::new();
        for entry in std::fs::read_dir(&root).map_err(io(&root))? {
            let entry = entry.map_err(io(&root))?;
            if entry.path().is_dir() {
                dirs.push(entry.path());
            }
        }
        dirs.sort();
        let mut set = Warninglists::new();
        let mut warnings = Vec::new();
        for dir in dirs {
            let folder = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let file = dir.join("list.json");
            if !file.is_file() {
                warnings.push(format!("{folder}: no list.json, skipped"));
                continue;
            }
            let bytes = std::fs::read(&file).map_err(io(&file))?;
            let list = match parse_list(&bytes) {
                Ok(list) => list,
                Err(e) if lenient => {
                    warnings.push(format!("{folder}: list skipped: {e}"));
                    continue;
                }
                Err(e) => {
                    return Err(ListError::File {
                        path: file,
                        source: Box::new(e),
                    })
                }
            };
            warnings.extend(list.warnings.iter().map(|w| format!("{folder}: {w}")));
            if set.by_name.contains_key(&list.name) {
                warnings.push(format!(
                    "{folder}: list name '{}' already loaded, replaced",
                    list.name
                ));
            }
            set.add(list);
        }
        Ok((set, warnings))
    }

    /// Adds a list, enabled. A list of the same name is replaced in place and keeps its enabled state.
    pub fn add(&mut self, mut list: Warninglist) {
        list.coverage = kind::coverage(&list.matching_attributes);
        match self.by_name.get(&list.name) {
            Some(&i) => self.slots[i].list = list,
            None => {
                self.by_name.insert(list.name.clone(), self.slots.len());
                self.slots.push(Slot {
                    list,
                    enabled: true,
                });
            }
        }
    }

    /// Removes a list by name.
    pub fn remove(&mut self, name: &str) -> Option<Warninglist> {
        let i = self.by_name.remove(name)?;
        let slot = self.slots.remove(i);
        for idx in self.by_name.values_mut() {
            if *idx > i {
                *idx -= 1;
            }
        }
        Some(slot.list)
    }

    /// Enables or disables a list; false when there is no list of that name.
    pub fn set_enabled(&mut self, name: &str, on: bool) -> bool {
        match self.by_name.get(name) {
            Some(&i) => {
                self.slots[i].enabled = on;
                true
            }
            None => false,
        }
    }

    /// Whether the named list is enabled; `None` when there is no such list.
    pub fn is_enabled(&self, name: &str) -> Option<bool> {
        self.by_name.get(name).map(|&i| self.slots[i].enabled)
    }

    pub fn get(&self, name: &str) -> Option<&Warninglist> {
        self.by_name.get(name).map(|&i| &self.slots[i].list)
    }

    /// Every list with its enabled state, in the order added.
    pub fn lists(&self) -> impl ExactSizeIterator<Item = (&Warninglist, bool)> + '_ {
        self.slots.iter().map(|s| (&s.list, s.enabled))
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// All enabled lists matching `value` of kind `kind` (an Atalaya kind name: `ipv4`, `ipv6`, `domain`,
    /// `url`, `email`, `md5`, `sha1`, `sha256`, `sha512`; see [`Kind::parse`]). An unknown kind matches
    /// nothing. At most one hit per list, in the order the lists were added.
    pub fn check(&self, kind: &str, value: &str) -> Vec<Hit> {
        match Kind::parse(kind) {
            Some(k) => self.check_kind(k, value),
            None => Vec::new(),
        }
    }

    /// [`Warninglists::check`] with a parsed kind.
    pub fn check_kind(&self, kind: Kind, value: &str) -> Vec<Hit> {
        let p = Prepared::new(kind, value);
        let host = p.host_as_value();
        self.slots
            .iter()
            .filter(|s| s.enabled)
            .filter_map(|s| s.list.eval(&p, host.as_ref()))
            .collect()
    }

    /// Whether any enabled list matches.
    pub fn is_listed(&self, kind: Kind, value: &str) -> bool {
        let p = Prepared::new(kind, value);
        let host = p.host_as_value();
        self.slots
            .iter()
            .filter(|s| s.enabled)
            .any(|s| s.list.eval(&p, host.as_ref()).is_some())
    }
}

impl FromIterator<Warninglist> for Warninglists {
    fn from_iter<I: IntoIterator<Item = Warninglist>>(iter: I) -> Self {
        let mut set = Warninglists::new();
        for l in iter {
            set.add(l);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("https://user:pw@WWW.Example.com:8443/a?b#c"),
            Some("WWW.Example.com")
        );
        assert_eq!(url_host("http://[2001:db8::1]:80/x"), Some("[2001:db8::1]"));
        assert_eq!(url_host("http://[2001:db8::1/x"), Some("[2001:db8::1"));
        assert_eq!(url_host("example.com/path"), Some("example.com"));
        assert_eq!(url_host("//example.com"), Some("example.com"));
        assert_eq!(url_host("http:///path"), None);
        assert_eq!(url_host(""), None);
        assert_eq!(url_host("http://host:abc/"), Some("host:abc"));
        assert_eq!(url_host("example.com/a//b"), Some("example.com"));
        assert_eq!(url_host("example.com/a://b"), Some("example.com"));
        let h = host_part("[2001:DB8::1]").unwrap();
        assert_eq!(h.text, "2001:db8::1");
        assert!(h.ip.is_some());
        let h = host_part("Example.COM.").unwrap();
        assert_eq!(h.text, "example.com");
        assert!(host_part(" . ").is_none());
    }

    #[test]
    fn list_kind_names() {
        assert_eq!(ListKind::parse("CIDR"), Some(ListKind::Cidr));
        assert_eq!(ListKind::parse("regex"), Some(ListKind::Regex));
        assert_eq!(ListKind::parse("ip"), None);
        assert_eq!(
            serde_json::to_string(&ListKind::Hostname).unwrap(),
            "\"hostname\""
        );
    }
}
