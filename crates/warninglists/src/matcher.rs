//! Compiled matchers, one per list type.
//!
//! * cidr: for each address family, one sorted vector of network addresses per prefix length present in the
//!   list. A query is at most one binary search per distinct prefix length (33 for IPv4, 129 for IPv6 at
//!   worst; real lists have a handful), so a list of 60,000 addresses answers in well under a microsecond.
//! * hostname: a hash map of the normalised entries; a query walks up the labels of the value.
//! * string: two hash maps, exact and case-folded.
//! * substring: a literal alternation compiled by the `regex` crate (Aho-Corasick underneath), with a
//!   linear scan as fallback for small lists or when the alternation is too big to compile.
//! * regex: the translated patterns in one `RegexSet`, each also compiled alone as fallback.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::pcre;
use crate::ListKind;

/// Maximum size of any compiled regex (per pattern, per set, per substring alternation).
const REGEX_SIZE_LIMIT: usize = 32 << 20;
/// Substring lists with more entries than this get an Aho-Corasick alternation.
const SUBSTRING_LINEAR_MAX: usize = 16;

/// A fast keyed hash for the entry tables (SipHash, std's default, dominates a check otherwise). The
/// tables hold only list entries; a per-process random key keeps their layout unpredictable anyway.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastHash(u64);

impl Default for FastHash {
    fn default() -> Self {
        use std::hash::BuildHasher;
        static KEY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        FastHash(*KEY.get_or_init(|| {
            std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1
        }))
    }
}

impl std::hash::BuildHasher for FastHash {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(self.0)
    }
}

pub(crate) struct FastHasher(u64);

#[inline]
fn folded_mul(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xa076_1d64_78bd_642f;

impl std::hash::Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = folded_mul(self.0 ^ w, K1);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.0 = folded_mul(
                self.0 ^ u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59),
                K1,
            );
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = folded_mul(self.0 ^ (i as u64) ^ 0x100, K2);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.0 = folded_mul(self.0 ^ (i as u64), K2);
    }
    #[inline]
    fn finish(&self) -> u64 {
        folded_mul(self.0, K2)
    }
}

type Map<K, V> = HashMap<K, V, FastHash>;

/// A value parsed as an IP address (`len` = full width) or a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpQuery {
    pub v6: bool,
    pub start: u128,
    pub len: u8,
}

impl IpQuery {
    /// Parses `1.2.3.4`, `1.2.3.4/24`, `2001:db8::1`, `2001:db8::/32`, `[2001:db8::1]`. Host bits of a network
    /// are ignored.
    pub fn parse(s: &str) -> Option<IpQuery> {
        let s = s.trim();
        let s = s
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(s);
        if s.contains('/') {
            let net: IpNet = s.parse().ok()?;
            Some(Self::from_net(net.trunc()))
        } else {
            let ip: IpAddr = s.parse().ok()?;
            Some(Self::from_ip(ip))
        }
    }

    pub fn from_ip(ip: IpAddr) -> IpQuery {
        match ip {
            IpAddr::V4(a) => IpQuery {
                v6: false,
                start: u32::from(a) as u128,
                len: 32,
            },
            IpAddr::V6(a) => IpQuery {
                v6: true,
                start: u128::from(a),
                len: 128,
            },
        }
    }

    fn from_net(net: IpNet) -> IpQuery {
        match net {
            IpNet::V4(n) => IpQuery {
                v6: false,
                start: u32::from(n.network()) as u128,
                len: n.prefix_len(),
            },
            IpNet::V6(n) => IpQuery {
                v6: true,
                start: u128::from(n.network()),
                len: n.prefix_len(),
            },
        }
    }
}

fn full(width: u8) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

/// Network mask of a prefix of `len` bits in an address of `width` bits (low bits of a u128).
fn mask(width: u8, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        let len = len.min(width);
        full(width) & !((1u128 << (width - len)) - 1)
    }
}

/// Sorted network addresses of one prefix length: `u32` for IPv4 (a quarter of the memory, so a binary search
/// over tens of thousands of addresses stays in cache), `u128` for IPv6.
#[derive(Debug, Clone)]
enum Keys {
    V4(Vec<u32>),
    V6(Vec<u128>),
}

impl Keys {
    fn len(&self) -> usize {
        match self {
            Keys::V4(k) => k.len(),
            Keys::V6(k) => k.len(),
        }
    }
    fn get(&self, i: usize) -> Option<u128> {
        match self {
            Keys::V4(k) => k.get(i).map(|&x| x as u128),
            Keys::V6(k) => k.get(i).copied(),
        }
    }
    fn position(&self, key: u128) -> Option<usize> {
        match self {
            Keys::V4(k) => k.binary_search(&u32::try_from(key).ok()?).ok(),
            Keys::V6(k) => k.binary_search(&key).ok(),
        }
    }
    /// Index of the first key >= `key`.
    fn lower_bound(&self, key: u128) -> usize {
        match self {
            Keys::V4(k) => match u32::try_from(key) {
                Ok(key) => k.partition_point(|&n| n < key),
                Err(_) => k.len(),
            },
            Keys::V6(k) => k.partition_point(|&n| n < key),
        }
    }
}

#[derive(Debug, Clone)]
struct Prefixes {
    len: u8,
    keys: Keys,
    /// Entry index of each key.
    idx: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
struct Family {
    width: u8,
    /// One table per prefix length present, longest prefix first.
    by_len: Vec<Prefixes>,
}

impl Family {
    fn new(width: u8, mut nets: HashMap<u8, Vec<(u128, u32)>>) -> Family {
        let mut by_len: Vec<Prefixes> = nets
            .drain()
            .map(|(len, mut v)| {
                v.sort_unstable();
                v.dedup_by_key(|(n, _)| *n);
                let keys = if width == 32 {
                    Keys::V4(v.iter().map(|(n, _)| *n as u32).collect())
                } else {
                    Keys::V6(v.iter().map(|(n, _)| *n).collect())
                };
                Prefixes {
                    len,
                    keys,
                    idx: v.iter().map(|(_, i)| *i).collect(),
                }
            })
            .collect();
        by_len.sort_unstable_by_key(|p| std::cmp::Reverse(p.len));
        Family { width, by_len }
    }

    /// An entry that contains the query (most specific first), else an entry inside it (widest first).
    fn find(&self, start: u128, len: u8) -> Option<u32> {
        let len = len.min(self.width);
        for p in &self.by_len {
            if p.len <= len {
                if let Some(i) = p.keys.position(start & mask(self.width, p.len)) {
                    return p.idx.get(i).copied();
                }
            }
        }
        let start = start & mask(self.width, len);
        let end = start | (full(self.width) & !mask(self.width, len));
        for p in self.by_len.iter().rev() {
            if p.len > len {
                let i = p.keys.lower_bound(start);
                if i < p.keys.len() && p.keys.get(i)? <= end {
                    return p.idx.get(i).copied();
                }
            }
        }
        None
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CidrMatcher {
    v4: Family,
    v6: Family,
}

impl CidrMatcher {
    pub fn find(&self, q: &IpQuery) -> Option<u32> {
        if q.v6 {
            self.v6.find(q.start, q.len)
        } else {
            self.v4.find(q.start, q.len)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct HostnameMatcher {
    map: Map<Box<str>, u32>,
}

impl HostnameMatcher {
    /// `host` must be lower-case without trailing dots. Only the host itself, no parent domain.
    pub fn find_exact(&self, host: &str) -> Option<u32> {
        self.map.get(host).copied()
    }

    /// `host` must be lower-case without trailing dots. Tries the host itself, then each parent domain.
    pub fn find(&self, host: &str) -> Option<u32> {
        let mut cur = host;
        loop {
            if let Some(&i) = self.map.get(cur) {
                return Some(i);
            }
            match cur.find('.') {
                Some(p) => cur = &cur[p + 1..],
                None => return None,
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct StringMatcher {
    exact: Map<Box<str>, u32>,
    folded: Map<Box<str>, u32>,
}

impl StringMatcher {
    pub fn find_exact(&self, v: &str) -> Option<u32> {
        self.exact.get(v).copied()
    }
    /// `v` must already be folded with [`fold`].
    pub fn find_folded(&self, v: &str) -> Option<u32> {
        self.folded.get(v).copied()
    }
}

#[derive(Debug, Clone)]
struct Literals {
    items: Vec<(Box<str>, u32)>,
    re: Option<Regex>,
    by_text: Map<Box<str>, u32>,
}

impl Literals {
    fn new(items: Vec<(Box<str>, u32)>) -> Literals {
        let mut re = None;
        if items.len() > SUBSTRING_LINEAR_MAX {
            let alternation = items
                .iter()
                .map(|(s, _)| regex::escape(s))
                .collect::<Vec<_>>()
                .join("|");
            re = RegexBuilder::new(&alternation)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .build()
                .ok();
        }
        let by_text = if re.is_some() {
            items.iter().cloned().collect()
        } else {
            Map::default()
        };
        Literals { items, re, by_text }
    }

    fn find(&self, v: &str) -> Option<u32> {
        if let Some(re) = &self.re {
            let m = re.find(v)?;
            if let Some(&i) = self.by_text.get(m.as_str()) {
                return Some(i);
            }
        }
        self.items
            .iter()
            .find(|(s, _)| v.contains(&**s))
            .map(|(_, i)| *i)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SubstringMatcher {
    exact: Literals,
    folded: Literals,
}

impl SubstringMatcher {
    pub fn find_exact(&self, v: &str) -> Option<u32> {
        self.exact.find(v)
    }
    /// `v` must already be folded with [`fold`].
    pub fn find_folded(&self, v: &str) -> Option<u32> {
        self.folded.find(v)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RegexMatcher {
    /// (compiled pattern, entry index)
    regexes: Vec<(Regex, u32)>,
    set: Option<RegexSet>,
}

impl RegexMatcher {
    pub fn find(&self, v: &str) -> Option<u32> {
        if let Some(set) = &self.set {
            return set
                .matches(v)
                .iter()
                .next()
                .and_then(|i| self.regexes.get(i))
                .map(|(_, i)| *i);
        }
        self.regexes
            .iter()
            .find(|(r, _)| r.is_match(v))
            .map(|(_, i)| *i)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    Cidr(CidrMatcher),
    String(StringMatcher),
    Substring(SubstringMatcher),
    Hostname(HostnameMatcher),
    Regex(RegexMatcher),
}

/// Case folding used for the case-insensitive comparisons: lower-case, trailing dots removed (a domain's
/// root dot), unless that would leave nothing.
pub(crate) fn fold(s: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let t = s.trim_end_matches('.');
    let t = if t.is_empty() { s } else { t };
    if t.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        Cow::Owned(t.to_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// What happened to one list entry given to the builder.
pub(crate) enum Pushed {
    Added,
    /// Added, with a remark worth a warning.
    AddedWithNote(String),
    /// Same as an earlier entry: not counted again.
    Duplicate,
}

/// Accumulates the entries of one list, then compiles them.
pub(crate) struct Builder {
    kind: ListKind,
    entries: Vec<Box<str>>,
    keys: HashSet<Box<str>>,
    v4: HashMap<u8, Vec<(u128, u32)>>,
    v6: HashMap<u8, Vec<(u128, u32)>>,
    regexes: Vec<(Regex, String, u32)>,
}

impl Builder {
    pub fn new(kind: ListKind) -> Builder {
        Builder {
            kind,
            entries: Vec::new(),
            keys: HashSet::new(),
            v4: HashMap::new(),
            v6: HashMap::new(),
            regexes: Vec::new(),
        }
    }

    /// Number of distinct accepted entries so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds one entry (already trimmed, non-empty). `Err` says why the entry was refused.
    pub fn push(&mut self, entry: &str) -> Result<Pushed, String> {
        let idx = self.entries.len() as u32;
        let mut note = None;
        match self.kind {
            ListKind::Cidr => {
                let (q, n) = parse_cidr_entry(entry)?;
                note = n;
                let key: Box<str> = format!("{}/{}/{}", q.v6, q.start, q.len).into();
                if !self.keys.insert(key) {
                    return Ok(Pushed::Duplicate);
                }
                let fam = if q.v6 { &mut self.v6 } else { &mut self.v4 };
                fam.entry(q.len).or_default().push((q.start, idx));
            }
            ListKind::Hostname => {
                let key = normalize_hostname(entry)?;
                if !self.keys.insert(key.into()) {
                    return Ok(Pushed::Duplicate);
                }
            }
            ListKind::String | ListKind::Substring => {
                if !self.keys.insert(entry.into()) {
                    return Ok(Pushed::Duplicate);
                }
            }
            ListKind::Regex => {
                if self.keys.contains(entry) {
                    return Ok(Pushed::Duplicate);
                }
                let pattern = pcre::translate(entry)?;
                let re = RegexBuilder::new(&pattern)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .dfa_size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| format!("cannot be compiled: {}", regex_error_reason(&e)))?;
                self.keys.insert(entry.into());
                self.regexes.push((re, pattern, idx));
            }
        }
        self.entries.push(entry.into());
        Ok(match note {
            Some(n) => Pushed::AddedWithNote(n),
            None => Pushed::Added,
        })
    }

    /// Compiles the accepted entries; returns the matcher and the entries (index = entry index).
    pub fn finish(self) -> (Matcher, Vec<Box<str>>) {
        let Builder {
            kind,
            entries,
            keys,
            v4,
            v6,
            regexes,
        } = self;
        drop(keys);
        let matcher = match kind {
            ListKind::Cidr => Matcher::Cidr(CidrMatcher {
                v4: Family::new(32, v4),
                v6: Family::new(128, v6),
            }),
            ListKind::Hostname => {
                let map = entries
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| {
                        normalize_hostname(e)
                            .ok()
                            .map(|k| (k.into_boxed_str(), i as u32))
                    })
                    .collect();
                Matcher::Hostname(HostnameMatcher { map })
            }
            ListKind::String => {
                let mut exact = Map::with_capacity_and_hasher(entries.len(), FastHash::default());
                let mut folded = Map::with_capacity_and_hasher(entries.len(), FastHash::default());
                for (i, e) in entries.iter().enumerate() {
                    exact.entry(e.clone()).or_insert(i as u32);
                    folded
                        .entry(fold(e).into_owned().into_boxed_str())
                        .or_insert(i as u32);
                }
                Matcher::String(StringMatcher { exact, folded })
            }
            ListKind::Substring => {
                let exact: Vec<(Box<str>, u32)> = entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.clone(), i as u32))
                    .collect();
                let mut seen = HashSet::new();
                let folded: Vec<(Box<str>, u32)> = entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.to_lowercase().into_boxed_str(), i as u32))
                    .filter(|(e, _)| seen.insert(e.clone()))
                    .collect();
                Matcher::Substring(SubstringMatcher {
                    exact: Literals::new(exact),
                    folded: Literals::new(folded),
                })
            }
            ListKind::Regex => {
                let set = if regexes.len() > 1 {
                    RegexSetBuilder::new(regexes.iter().map(|(_, p, _)| p.as_str()))
                        .size_limit(REGEX_SIZE_LIMIT)
                        .dfa_size_limit(REGEX_SIZE_LIMIT)
                        .build()
                        .ok()
                } else {
                    None
                };
                let regexes = regexes.into_iter().map(|(r, _, i)| (r, i)).collect();
                Matcher::Regex(RegexMatcher { regexes, set })
            }
        };
        (matcher, entries)
    }
}

/// A cidr-list entry: an address or a network. Host bits set are cleared, with a note.
fn parse_cidr_entry(entry: &str) -> Result<(IpQuery, Option<String>), String> {
    if entry.contains('/') {
        let net: IpNet = entry.parse().map_err(|_| "is not a CIDR".to_string())?;
        let t = net.trunc();
        let note = (t != net).then(|| format!("has host bits set, used as {t}"));
        Ok((IpQuery::from_net(t), note))
    } else {
        let ip: IpAddr = entry
            .parse()
            .map_err(|_| "is not an IP address or CIDR".to_string())?;
        Ok((IpQuery::from_ip(ip), None))
    }
}

/// A hostname-list entry as it is looked up: lower-case, without leading/trailing dots or a leading `*.`.
pub(crate) fn normalize_hostname(entry: &str) -> Result<String, String> {
    let e = entry.trim();
    let e = e.strip_prefix("*.").unwrap_or(e);
    let e = e.trim_matches('.');
    if e.is_empty() {
        return Err("is not a hostname (empty)".to_string());
    }
    if let Some(c) = e.chars().find(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '\\' | '@' | '?' | '#' | '"' | '<' | '>' | '|' | '^' | '`' | '{' | '}'
            )
    }) {
        return Err(format!("is not a hostname (contains {c:?})"));
    }
    Ok(e.to_lowercase())
}

/// The useful part of a `regex` error (its last line, without the pattern echo and caret).
fn regex_error_reason(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(s) => s
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| l.trim_start_matches("error: ").to_string())
            .unwrap_or_else(|| "syntax error".to_string()),
        regex::Error::CompiledTooBig(n) => format!("compiled pattern exceeds {n} bytes"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(kind: ListKind, entries: &[&str]) -> (Matcher, Vec<Box<str>>) {
        let mut b = Builder::new(kind);
        for e in entries {
            let _ = b.push(e);
        }
        b.finish()
    }

    fn cidr(entries: &[&str]) -> (CidrMatcher, Vec<Box<str>>) {
        match build(ListKind::Cidr, entries) {
            (Matcher::Cidr(c), e) => (c, e),
            _ => unreachable!(),
        }
    }

    fn hit<'a>(m: &CidrMatcher, e: &'a [Box<str>], v: &str) -> Option<&'a str> {
        m.find(&IpQuery::parse(v)?).map(|i| &*e[i as usize])
    }

    #[test]
    fn masks() {
        assert_eq!(mask(32, 0), 0);
        assert_eq!(mask(32, 8), 0xff00_0000);
        assert_eq!(mask(32, 32), 0xffff_ffff);
        assert_eq!(mask(128, 128), u128::MAX);
        assert_eq!(mask(128, 1), 1u128 << 127);
    }

    #[test]
    fn cidr_points_and_networks() {
        let (m, e) = cidr(&[
            "10.0.0.0/8",
            "10.1.0.0/16",
            "192.0.2.1",
            "2001:db8::/32",
            "::1",
            "0.0.0.0/0x",
        ]);
        assert_eq!(e.len(), 5);
        assert_eq!(hit(&m, &e, "10.1.2.3"), Some("10.1.0.0/16"));
        assert_eq!(hit(&m, &e, "10.2.2.3"), Some("10.0.0.0/8"));
        assert_eq!(hit(&m, &e, "11.0.0.0"), None);
        assert_eq!(hit(&m, &e, "192.0.2.1"), Some("192.0.2.1"));
        assert_eq!(hit(&m, &e, "192.0.2.2"), None);
        assert_eq!(
            hit(&m, &e, "192.0.2.0/24"),
            Some("192.0.2.1"),
            "network containing an entry overlaps"
        );
        assert_eq!(hit(&m, &e, "10.3.0.0/16"), Some("10.0.0.0/8"));
        assert_eq!(
            hit(&m, &e, "8.0.0.0/6"),
            Some("10.0.0.0/8"),
            "8.0.0.0/6 covers 10/8"
        );
        assert_eq!(hit(&m, &e, "12.0.0.0/6"), None);
        assert_eq!(hit(&m, &e, "2001:db8:1::1"), Some("2001:db8::/32"));
        assert_eq!(hit(&m, &e, "[::1]"), Some("::1"));
        assert_eq!(hit(&m, &e, "::2"), None);
        assert_eq!(
            hit(&m, &e, "::/0"),
            Some("2001:db8::/32"),
            "widest entry inside"
        );
        // v4 and v6 do not mix
        assert_eq!(hit(&m, &e, "::ffff:10.0.0.1"), None);
    }

    #[test]
    fn cidr_entry_errors() {
        assert_eq!(
            parse_cidr_entry("10.0.0.0/33").unwrap_err(),
            "is not a CIDR"
        );
        assert!(parse_cidr_entry("10.0.0.256").is_err());
        assert!(parse_cidr_entry("example.com").is_err());
        let (_, note) = parse_cidr_entry("10.1.2.3/8").unwrap();
        assert_eq!(note.unwrap(), "has host bits set, used as 10.0.0.0/8");
    }

    #[test]
    fn hostname_walk() {
        let (m, e) = build(
            ListKind::Hostname,
            &[".Example.COM", "*.foo.org", "a.b.c", "bad host", "x\\"],
        );
        let Matcher::Hostname(m) = m else {
            unreachable!()
        };
        assert_eq!(e.len(), 3);
        let f = |h: &str| m.find(h).map(|i| &*e[i as usize]);
        assert_eq!(f("example.com"), Some(".Example.COM"));
        assert_eq!(f("www.example.com"), Some(".Example.COM"));
        assert_eq!(f("notexample.com"), None);
        assert_eq!(f("com"), None);
        assert_eq!(f("foo.org"), Some("*.foo.org"));
        assert_eq!(f("b.c"), None);
        assert_eq!(f("x.a.b.c"), Some("a.b.c"));
        assert_eq!(f(""), None);
    }

    #[test]
    fn substring_both_paths() {
        let many: Vec<String> = (0..100).map(|i| format!("needle{i}x")).collect();
        let mut refs: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
        refs.push("Mixed");
        for entries in [vec!["abc", "Mixed"], refs] {
            let (m, e) = build(ListKind::Substring, &entries);
            let Matcher::Substring(m) = m else {
                unreachable!()
            };
            if entries.len() > SUBSTRING_LINEAR_MAX {
                assert!(m.exact.re.is_some());
                assert_eq!(
                    m.find_exact("zzneedle42xzz").map(|i| &*e[i as usize]),
                    Some("needle42x")
                );
            }
            assert_eq!(
                m.find_exact("a Mixed b").map(|i| &*e[i as usize]),
                Some("Mixed")
            );
            assert_eq!(m.find_exact("a mixed b"), None);
            assert_eq!(
                m.find_folded("a mixed b").map(|i| &*e[i as usize]),
                Some("Mixed")
            );
            assert_eq!(m.find_folded("nothing here"), None);
        }
    }

    #[test]
    fn regex_list() {
        let mut b = Builder::new(ListKind::Regex);
        assert!(b.push(r"/^foo\d+$/").is_ok());
        assert!(b.push(r"/BAR/i").is_ok());
        let err = b.push(r"/(a)\1/").err().unwrap();
        assert!(err.contains("backreferences"), "{err}");
        let err = b.push(r"/x(?=y)/").err().unwrap();
        assert!(err.contains("look-around"), "{err}");
        assert!(b.push("nodelim").is_err());
        let (m, e) = b.finish();
        let Matcher::Regex(m) = m else { unreachable!() };
        assert!(m.set.is_some());
        assert_eq!(
            m.find("foo12").map(|i| &*e[i as usize]),
            Some(r"/^foo\d+$/")
        );
        assert_eq!(m.find("xbarx").map(|i| &*e[i as usize]), Some("/BAR/i"));
        assert_eq!(m.find("foo"), None);
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Example.COM."), "example.com");
        assert_eq!(fold("..."), "...");
        assert_eq!(fold("abc"), "abc");
    }
}
