//! The correlation index.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::mem::size_of;

use crate::hash::{random_seeds, Fingerprinter, FoldBuild, Fp, FpBuild};
use crate::postings::{Arena, Handle, View, EMPTY};
use crate::sorted::{SortedSet, SortedStrings};
use crate::value::{mask4, mask6, Value};

/// Index configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// IP lookups also match containing and contained networks (default true).
    /// When false, IP networks match exactly only.
    pub cidr: bool,
    /// A value with more postings than this is summarised: only its count and
    /// the [`FREQUENT_SAMPLE`](crate::FREQUENT_SAMPLE) most recent seqs are
    /// kept, and lookups report it in [`Lookup::frequent`] (default 10 000).
    pub frequent_threshold: usize,
    /// Domain lookups also match parent domains and subdomains (default
    /// true). When false, domains match exactly only.
    pub domain_hierarchy: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config { cidr: true, frequent_threshold: 10_000, domain_hierarchy: true }
    }
}

/// How a matched stored value relates to the queried value. The kind
/// describes the *stored* value relative to the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKind {
    /// The stored value equals the query.
    Exact,
    /// The stored network contains the queried address or network.
    Contains,
    /// The stored address or network lies inside the queried network.
    ContainedBy,
    /// The stored domain is a subdomain of the queried domain.
    Subdomain,
    /// The stored domain is a parent domain of the queried domain.
    ParentDomain,
}

/// Result of [`CorrelationIndex::lookup`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lookup {
    /// `(seq, stored value, kind)`. Order: exact matches, then containing
    /// networks / parent domains (most specific first), then contained
    /// networks / subdomains (in address / reversed-name order); within one
    /// value, newest seq first.
    pub matches: Vec<(u64, Value, MatchKind)>,
    /// Matched values that are summarised as frequent: `(value, count)`.
    /// Their seqs are not listed in `matches`.
    pub frequent: Vec<(Value, u64)>,
    /// True when more matches (or more frequent values) existed than `limit`.
    pub truncated: bool,
}

/// IPv4 containment filter: one `u32` per /20 bucket (4 MiB), bit `l - 12`
/// set when some stored network of length `l` (12..=32) overlaps the bucket.
const V4_FILTER_SHIFT: u32 = 12;
const V4_FILTER_MIN_LEN: u8 = 12;
const V4_FILTER_MIN_KEYS: usize = 65_536;

const TAG_DOMAIN: u8 = b'D';
const TAG_URL: u8 = b'U';
const TAG_EMAIL: u8 = b'E';
const TAG_ASN: u8 = b'A';
const TAG_HASH: u8 = b'H';
const TAG_OTHER: u8 = b'O';

#[derive(Clone, Copy, Debug)]
struct DomEntry {
    postings: Handle,
    /// Number of distinct stored domains strictly below this name.
    desc: u32,
}

/// IPv6 address as two words (keeps map entries 8-aligned: 24 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
struct V6(u64, u64);

impl Hash for V6 {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0);
        state.write_u64(self.1);
    }
}

impl V6 {
    fn from(a: u128) -> Self {
        V6((a >> 64) as u64, a as u64)
    }
}

type V6Key = (u64, u64, u8);

enum Key {
    V4(u32, u8),
    V6(u128, u8),
    /// Reversed-label domain name.
    Domain(String),
    Exact(Fp),
    Invalid,
}

/// In-memory correlation index: value → seqs of the objects containing it.
///
/// Design:
/// * every stored value is a key of a hash map whose value is a one-word
///   posting handle (a single seq inline, else a sorted `Vec<u64>` or a
///   frequent summary in an arena) — no object-to-object pairs are stored;
/// * URLs, e-mails, ASNs, hashes and other kinds are keyed by a keyed 128-bit
///   SipHash fingerprint only (collisions treated as impossible, see
///   [`crate::hash`]); the matched value reported is the query itself;
/// * IPv4/IPv6: one map per populated prefix length keyed by the masked
///   address; containing networks are found by probing each populated shorter
///   length (IPv4: pruned by a per-/20 bitmap of lengths present), contained
///   networks by a range scan of a sorted `(address, length)` set;
/// * domains: keyed by the fingerprint of the reversed-label name
///   (`com.example.www`); each name's entry counts its stored descendants, so
///   parents are found by walking the labels top-down (stopping at the first
///   absent name) and subdomains by a prefix scan of a sorted arena of
///   reversed names, done only when the count is non-zero.
pub struct CorrelationIndex {
    config: Config,
    fpr: Fingerprinter,
    arena: Arena,
    exact: HashMap<Fp, Handle, FpBuild>,
    domains: HashMap<Fp, DomEntry, FpBuild>,
    dom_sorted: SortedStrings,
    v4: Vec<HashMap<u32, Handle, FoldBuild>>,
    v4_pop: u64,
    v4_keys: usize,
    v4_sorted: SortedSet<u64>,
    v4_filter: Option<Box<[u32]>>,
    v4_filter_min_keys: usize,
    v6: Vec<HashMap<V6, Handle, FoldBuild>>,
    v6_pop: [u64; 3],
    v6_sorted: SortedSet<V6Key>,
    n_values: usize,
    n_postings: usize,
}

impl Default for CorrelationIndex {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl std::fmt::Debug for CorrelationIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorrelationIndex")
            .field("config", &self.config)
            .field("values", &self.n_values)
            .field("postings", &self.n_postings)
            .finish_non_exhaustive()
    }
}

#[inline]
fn v4_pack(a: u32, l: u8) -> u64 {
    ((a as u64) << 8) | l as u64
}

#[inline]
fn v6_key(a: u128, l: u8) -> V6Key {
    ((a >> 64) as u64, a as u64, l)
}

/// `www.example.com` → `com.example.www`.
fn reverse_labels(d: &str) -> String {
    let mut out = String::with_capacity(d.len());
    for (i, label) in d.rsplit('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(label);
    }
    out
}

fn unreverse(rev: &[u8]) -> String {
    reverse_labels(&String::from_utf8_lossy(rev))
}

#[inline]
fn fp_domain(fpr: &Fingerprinter, rev: &[u8]) -> Fp {
    fpr.fp(TAG_DOMAIN, &[rev])
}

/// Byte offsets of the proper ancestors of a reversed name (ends of its
/// label prefixes, excluding the whole name).
fn ancestor_ends(rev: &[u8]) -> impl Iterator<Item = usize> + '_ {
    rev.iter().enumerate().filter(|(_, &b)| b == b'.').map(|(i, _)| i)
}

fn map_bytes<K, V, S>(m: &HashMap<K, V, S>) -> usize {
    let cap = m.capacity();
    if cap == 0 {
        return 0;
    }
    let buckets = if cap < 8 { (cap + 1).next_power_of_two() } else { (cap * 8 / 7).next_power_of_two() };
    buckets * (size_of::<(K, V)>() + 1) + 16
}

/// Appends the postings of one matched value; false once `limit` is hit.
fn emit(arena: &Arena, out: &mut Lookup, limit: usize, h: Handle, value: impl FnOnce() -> Value, kind: MatchKind) -> bool {
    match arena.view(h) {
        View::Empty => true,
        View::One(s) => {
            if out.matches.len() >= limit {
                out.truncated = true;
                return false;
            }
            out.matches.push((s, value(), kind));
            true
        }
        View::Many(seqs) => {
            if out.matches.len() >= limit {
                out.truncated = true;
                return false;
            }
            let v = value();
            for &s in seqs.iter().rev() {
                if out.matches.len() >= limit {
                    out.truncated = true;
                    return false;
                }
                out.matches.push((s, v.clone(), kind));
            }
            true
        }
        View::Frequent(f) => {
            if out.frequent.len() >= limit {
                out.truncated = true;
                return false;
            }
            out.frequent.push((value(), f.count));
            true
        }
    }
}

impl CorrelationIndex {
    /// Creates an empty index with random hashing keys.
    pub fn new(config: Config) -> Self {
        let [k0, k1, seed] = random_seeds();
        let fold = FoldBuild::new(seed);
        CorrelationIndex {
            config,
            fpr: Fingerprinter::new(k0, k1),
            arena: Arena::default(),
            exact: HashMap::with_hasher(FpBuild),
            domains: HashMap::with_hasher(FpBuild),
            dom_sorted: SortedStrings::default(),
            v4: (0..=32).map(|_| HashMap::with_hasher(fold)).collect(),
            v4_pop: 0,
            v4_keys: 0,
            v4_sorted: SortedSet::default(),
            v4_filter: None,
            v4_filter_min_keys: V4_FILTER_MIN_KEYS,
            v6: (0..=128).map(|_| HashMap::with_hasher(fold)).collect(),
            v6_pop: [0; 3],
            v6_sorted: SortedSet::default(),
            n_values: 0,
            n_postings: 0,
        }
    }

    /// The configuration the index was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Test hook: build the IPv4 filter once `n` IPv4 keys are stored.
    #[doc(hidden)]
    pub fn set_v4_filter_min_keys(&mut self, n: usize) {
        self.v4_filter_min_keys = n;
        self.maybe_build_v4_filter();
    }

    #[cfg(test)]
    pub(crate) fn v4_filter_built(&self) -> bool {
        self.v4_filter.is_some()
    }

    fn key(&self, v: &Value) -> Key {
        match v {
            Value::Ipv4Net(a, l) if *l <= 32 => Key::V4(a & mask4(*l), *l),
            Value::Ipv6Net(a, l) if *l <= 128 => Key::V6(a & mask6(*l), *l),
            Value::Ipv4Net(..) | Value::Ipv6Net(..) => Key::Invalid,
            Value::Domain(d) => Key::Domain(reverse_labels(d)),
            Value::Url(s) => Key::Exact(self.fpr.fp(TAG_URL, &[s.as_bytes()])),
            Value::Email(s) => Key::Exact(self.fpr.fp(TAG_EMAIL, &[s.as_bytes()])),
            Value::Asn(n) => Key::Exact(self.fpr.fp(TAG_ASN, &[&n.to_le_bytes()])),
            Value::Hash(algo, b) => Key::Exact(self.fpr.fp(TAG_HASH, &[&[algo.code()], b])),
            Value::Other(k, s) => {
                Key::Exact(self.fpr.fp(TAG_OTHER, &[&(k.len() as u64).to_le_bytes(), k.as_bytes(), s.as_bytes()]))
            }
        }
    }

    /// Records that object `seq` contains `values` (duplicates and pairs
    /// already present are ignored).
    pub fn insert(&mut self, seq: u64, values: &[Value]) {
        for v in values {
            match self.key(v) {
                Key::V4(a, l) => self.insert_v4(seq, a, l),
                Key::V6(a, l) => self.insert_v6(seq, a, l),
                Key::Domain(rev) => self.insert_domain(seq, &rev),
                Key::Exact(fp) => {
                    let thr = self.config.frequent_threshold;
                    let h = self.exact.entry(fp).or_insert(EMPTY);
                    let was_empty = *h == EMPTY;
                    let (new, added) = self.arena.add(*h, seq, thr);
                    *h = new;
                    self.n_values += was_empty as usize;
                    self.n_postings += added as usize;
                }
                Key::Invalid => {}
            }
        }
    }

    /// Removes the pairs `(seq, v)` for `v` in `values` (revocation or
    /// deletion of an object version). Pairs not present are ignored, except
    /// that a frequent value only keeps a count, which is decremented.
    pub fn remove(&mut self, seq: u64, values: &[Value]) {
        for v in values {
            match self.key(v) {
                Key::V4(a, l) => self.remove_v4(seq, a, l),
                Key::V6(a, l) => self.remove_v6(seq, a, l),
                Key::Domain(rev) => self.remove_domain(seq, &rev),
                Key::Exact(fp) => {
                    let Some(h) = self.exact.get_mut(&fp) else { continue };
                    let (new, removed) = self.arena.remove(*h, seq);
                    self.n_postings -= removed as usize;
                    if new == EMPTY {
                        self.exact.remove(&fp);
                        self.n_values -= 1;
                        shrink_if_sparse(&mut self.exact);
                    } else {
                        *h = new;
                    }
                }
                Key::Invalid => {}
            }
        }
    }

    fn insert_v4(&mut self, seq: u64, a: u32, l: u8) {
        let thr = self.config.frequent_threshold;
        let h = self.v4[l as usize].entry(a).or_insert(EMPTY);
        let was_empty = *h == EMPTY;
        let (new, added) = self.arena.add(*h, seq, thr);
        *h = new;
        self.n_postings += added as usize;
        if !was_empty {
            return;
        }
        self.n_values += 1;
        self.v4_keys += 1;
        self.v4_pop |= 1 << l;
        if !self.config.cidr {
            return;
        }
        let maps = &self.v4;
        self.v4_sorted.insert(v4_pack(a, l), |k| v4_live(maps, *k));
        if let Some(f) = &mut self.v4_filter {
            v4_filter_mark(f, a, l);
        } else {
            self.maybe_build_v4_filter();
        }
    }

    fn maybe_build_v4_filter(&mut self) {
        if self.v4_filter.is_some() || !self.config.cidr || self.v4_keys < self.v4_filter_min_keys {
            return;
        }
        let mut f = vec![0u32; 1 << (32 - V4_FILTER_SHIFT)].into_boxed_slice();
        for l in V4_FILTER_MIN_LEN..=32 {
            for &a in self.v4[l as usize].keys() {
                v4_filter_mark(&mut f, a, l);
            }
        }
        self.v4_filter = Some(f);
    }

    fn remove_v4(&mut self, seq: u64, a: u32, l: u8) {
        let map = &mut self.v4[l as usize];
        let Some(h) = map.get_mut(&a) else { return };
        let (new, removed) = self.arena.remove(*h, seq);
        self.n_postings -= removed as usize;
        if new != EMPTY {
            *h = new;
            return;
        }
        map.remove(&a);
        shrink_if_sparse(map);
        if map.is_empty() {
            self.v4_pop &= !(1 << l);
        }
        self.n_values -= 1;
        self.v4_keys -= 1;
        if self.config.cidr {
            // The filter stays conservative (bits are not cleared).
            let maps = &self.v4;
            self.v4_sorted.remove(&v4_pack(a, l), |k| v4_live(maps, *k));
        }
    }

    fn insert_v6(&mut self, seq: u64, a: u128, l: u8) {
        let thr = self.config.frequent_threshold;
        let h = self.v6[l as usize].entry(V6::from(a)).or_insert(EMPTY);
        let was_empty = *h == EMPTY;
        let (new, added) = self.arena.add(*h, seq, thr);
        *h = new;
        self.n_postings += added as usize;
        if !was_empty {
            return;
        }
        self.n_values += 1;
        self.v6_pop[l as usize / 64] |= 1 << (l % 64);
        if self.config.cidr {
            let maps = &self.v6;
            self.v6_sorted.insert(v6_key(a, l), |k| v6_live(maps, k));
        }
    }

    fn remove_v6(&mut self, seq: u64, a: u128, l: u8) {
        let map = &mut self.v6[l as usize];
        let Some(h) = map.get_mut(&V6::from(a)) else { return };
        let (new, removed) = self.arena.remove(*h, seq);
        self.n_postings -= removed as usize;
        if new != EMPTY {
            *h = new;
            return;
        }
        map.remove(&V6::from(a));
        shrink_if_sparse(map);
        if map.is_empty() {
            self.v6_pop[l as usize / 64] &= !(1 << (l % 64));
        }
        self.n_values -= 1;
        if self.config.cidr {
            let maps = &self.v6;
            self.v6_sorted.remove(&v6_key(a, l), |k| v6_live(maps, k));
        }
    }

    fn insert_domain(&mut self, seq: u64, rev: &str) {
        let thr = self.config.frequent_threshold;
        let fp = fp_domain(&self.fpr, rev.as_bytes());
        let e = self.domains.entry(fp).or_insert(DomEntry { postings: EMPTY, desc: 0 });
        let was_empty = e.postings == EMPTY;
        let (new, added) = self.arena.add(e.postings, seq, thr);
        e.postings = new;
        self.n_postings += added as usize;
        if !was_empty {
            return;
        }
        self.n_values += 1;
        if !self.config.domain_hierarchy {
            return;
        }
        for end in ancestor_ends(rev.as_bytes()) {
            let afp = fp_domain(&self.fpr, &rev.as_bytes()[..end]);
            let a = self.domains.entry(afp).or_insert(DomEntry { postings: EMPTY, desc: 0 });
            a.desc = a.desc.saturating_add(1);
        }
        let (domains, fpr) = (&self.domains, self.fpr);
        self.dom_sorted.insert(rev.as_bytes(), |s| dom_live(domains, &fpr, s));
    }

    fn remove_domain(&mut self, seq: u64, rev: &str) {
        let fp = fp_domain(&self.fpr, rev.as_bytes());
        let Some(e) = self.domains.get_mut(&fp) else { return };
        if e.postings == EMPTY {
            return;
        }
        let (new, removed) = self.arena.remove(e.postings, seq);
        self.n_postings -= removed as usize;
        e.postings = new;
        if new != EMPTY {
            return;
        }
        if e.desc == 0 {
            self.domains.remove(&fp);
        }
        self.n_values -= 1;
        if self.config.domain_hierarchy {
            for end in ancestor_ends(rev.as_bytes()) {
                let afp = fp_domain(&self.fpr, &rev.as_bytes()[..end]);
                if let Some(a) = self.domains.get_mut(&afp) {
                    a.desc = a.desc.saturating_sub(1);
                    if a.desc == 0 && a.postings == EMPTY {
                        self.domains.remove(&afp);
                    }
                }
            }
            let (domains, fpr) = (&self.domains, self.fpr);
            self.dom_sorted.remove(rev.as_bytes(), |s| dom_live(domains, &fpr, s));
        }
        shrink_if_sparse(&mut self.domains);
    }

    /// Objects sharing `v`, at most `limit` matches (and at most `limit`
    /// frequent values):
    /// * exact matches, for every kind;
    /// * IP networks (when `cidr`): stored networks containing `v`
    ///   ([`MatchKind::Contains`]) and, when `v` is a network, stored
    ///   addresses and networks inside it ([`MatchKind::ContainedBy`]);
    /// * domains (when `domain_hierarchy`): stored parent domains of `v`
    ///   ([`MatchKind::ParentDomain`]) and stored subdomains of `v`
    ///   ([`MatchKind::Subdomain`]).
    pub fn lookup(&self, v: &Value, limit: usize) -> Lookup {
        let mut out = Lookup::default();
        if limit == 0 {
            return out;
        }
        match self.key(v) {
            Key::V4(a, p) => self.lookup_v4(a, p, limit, &mut out),
            Key::V6(a, p) => self.lookup_v6(a, p, limit, &mut out),
            Key::Domain(rev) => self.lookup_domain(&rev, v, limit, &mut out),
            Key::Exact(fp) => {
                if let Some(&h) = self.exact.get(&fp) {
                    emit(&self.arena, &mut out, limit, h, || v.clone(), MatchKind::Exact);
                }
            }
            Key::Invalid => {}
        }
        out
    }

    fn lookup_v4(&self, a: u32, p: u8, limit: usize, out: &mut Lookup) {
        if let Some(&h) = self.v4[p as usize].get(&a) {
            if !emit(&self.arena, out, limit, h, || Value::Ipv4Net(a, p), MatchKind::Exact) {
                return;
            }
        }
        if !self.config.cidr {
            return;
        }
        // Containing networks: every populated shorter length, most specific
        // first, pruned by the /20 filter.
        let mut lens = self.v4_pop & ((1u64 << p) - 1);
        if let Some(f) = &self.v4_filter {
            let bits = f[(a >> V4_FILTER_SHIFT) as usize] as u64;
            lens &= (bits << V4_FILTER_MIN_LEN) | ((1u64 << V4_FILTER_MIN_LEN) - 1);
        }
        while lens != 0 {
            let l = 63 - lens.leading_zeros() as u8;
            lens &= !(1u64 << l);
            let na = a & mask4(l);
            if let Some(&h) = self.v4[l as usize].get(&na) {
                if !emit(&self.arena, out, limit, h, || Value::Ipv4Net(na, l), MatchKind::Contains) {
                    return;
                }
            }
        }
        // Contained addresses and networks.
        if p < 32 && (self.v4_pop >> (p + 1)) != 0 {
            let end = a | !mask4(p);
            self.v4_sorted.for_each_in(v4_pack(a, p + 1), v4_pack(end, 32), |k| {
                let (ka, kl) = ((k >> 8) as u32, (k & 0xff) as u8);
                if kl <= p {
                    return true;
                }
                match self.v4[kl as usize].get(&ka) {
                    Some(&h) => emit(&self.arena, out, limit, h, || Value::Ipv4Net(ka, kl), MatchKind::ContainedBy),
                    None => true,
                }
            });
        }
    }

    fn lookup_v6(&self, a: u128, p: u8, limit: usize, out: &mut Lookup) {
        if let Some(&h) = self.v6[p as usize].get(&V6::from(a)) {
            if !emit(&self.arena, out, limit, h, || Value::Ipv6Net(a, p), MatchKind::Exact) {
                return;
            }
        }
        if !self.config.cidr {
            return;
        }
        for l in (0..p).rev() {
            if self.v6_pop[l as usize / 64] & (1 << (l % 64)) == 0 {
                continue;
            }
            let na = a & mask6(l);
            if let Some(&h) = self.v6[l as usize].get(&V6::from(na)) {
                if !emit(&self.arena, out, limit, h, || Value::Ipv6Net(na, l), MatchKind::Contains) {
                    return;
                }
            }
        }
        if p < 128 {
            let end = a | !mask6(p);
            self.v6_sorted.for_each_in(v6_key(a, p + 1), v6_key(end, 128), |(hi, lo, kl)| {
                if kl <= p {
                    return true;
                }
                let ka = ((hi as u128) << 64) | lo as u128;
                match self.v6[kl as usize].get(&V6(hi, lo)) {
                    Some(&h) => emit(&self.arena, out, limit, h, || Value::Ipv6Net(ka, kl), MatchKind::ContainedBy),
                    None => true,
                }
            });
        }
    }

    fn lookup_domain(&self, rev: &str, v: &Value, limit: usize, out: &mut Lookup) {
        let bytes = rev.as_bytes();
        if !self.config.domain_hierarchy {
            if let Some(e) = self.domains.get(&fp_domain(&self.fpr, bytes)) {
                emit(&self.arena, out, limit, e.postings, || v.clone(), MatchKind::Exact);
            }
            return;
        }
        // Walk the ancestors top-down; an absent name means nothing is
        // stored at or below it.
        let mut parents: Vec<(usize, Handle)> = Vec::new();
        let mut reached = true;
        for end in ancestor_ends(bytes) {
            match self.domains.get(&fp_domain(&self.fpr, &bytes[..end])) {
                None => {
                    reached = false;
                    break;
                }
                Some(e) => {
                    if e.postings != EMPTY {
                        parents.push((end, e.postings));
                    }
                    if e.desc == 0 {
                        reached = false;
                        break;
                    }
                }
            }
        }
        let exact = if reached { self.domains.get(&fp_domain(&self.fpr, bytes)).copied() } else { None };
        if let Some(e) = exact {
            if !emit(&self.arena, out, limit, e.postings, || v.clone(), MatchKind::Exact) {
                return;
            }
        }
        for &(end, h) in parents.iter().rev() {
            if !emit(&self.arena, out, limit, h, || Value::Domain(unreverse(&bytes[..end])), MatchKind::ParentDomain) {
                return;
            }
        }
        if let Some(e) = exact {
            if e.desc > 0 {
                let mut prefix = Vec::with_capacity(bytes.len() + 1);
                prefix.extend_from_slice(bytes);
                prefix.push(b'.');
                self.dom_sorted.for_each_prefixed(&prefix, |s| match self.domains.get(&fp_domain(&self.fpr, s)) {
                    Some(c) if c.postings != EMPTY => {
                        emit(&self.arena, out, limit, c.postings, || Value::Domain(unreverse(s)), MatchKind::Subdomain)
                    }
                    _ => true,
                });
            }
        }
    }

    fn handle(&self, v: &Value) -> Handle {
        match self.key(v) {
            Key::V4(a, l) => self.v4[l as usize].get(&a).copied().unwrap_or(EMPTY),
            Key::V6(a, l) => self.v6[l as usize].get(&V6::from(a)).copied().unwrap_or(EMPTY),
            Key::Domain(rev) => {
                self.domains.get(&fp_domain(&self.fpr, rev.as_bytes())).map(|e| e.postings).unwrap_or(EMPTY)
            }
            Key::Exact(fp) => self.exact.get(&fp).copied().unwrap_or(EMPTY),
            Key::Invalid => EMPTY,
        }
    }

    /// Number of objects containing exactly `v` (for a frequent value, its
    /// summarised count).
    pub fn count(&self, v: &Value) -> u64 {
        self.arena.count(self.handle(v))
    }

    /// Whether `v` is summarised as frequent.
    pub fn is_frequent(&self, v: &Value) -> bool {
        matches!(self.arena.view(self.handle(v)), View::Frequent(_))
    }

    /// Seqs of the objects containing exactly `v`, newest first, at most
    /// `limit`. For a frequent value, only the most recent sampled seqs.
    pub fn seqs(&self, v: &Value, limit: usize) -> Vec<u64> {
        match self.arena.view(self.handle(v)) {
            View::Empty => vec![],
            View::One(s) => vec![s].into_iter().take(limit).collect(),
            View::Many(s) => s.iter().rev().take(limit).copied().collect(),
            View::Frequent(f) => f.recent.iter().rev().take(limit).copied().collect(),
        }
    }

    /// Number of distinct stored values.
    pub fn len_values(&self) -> usize {
        self.n_values
    }

    /// Number of stored `(value, seq)` postings (frequent values count their
    /// summarised count).
    pub fn len_postings(&self) -> usize {
        self.n_postings
    }

    /// Whether the index holds no value.
    pub fn is_empty(&self) -> bool {
        self.n_values == 0
    }

    /// Estimated heap bytes (table capacities and element sizes; allocator
    /// overhead not included).
    pub fn memory_bytes(&self) -> usize {
        let mut n = size_of::<Self>();
        n += map_bytes(&self.exact) + map_bytes(&self.domains);
        n += self.v4.iter().map(map_bytes).sum::<usize>() + self.v4.capacity() * size_of::<HashMap<u32, Handle>>();
        n += self.v6.iter().map(map_bytes).sum::<usize>() + self.v6.capacity() * size_of::<HashMap<V6, Handle>>();
        n += self.v4_filter.as_ref().map_or(0, |f| f.len() * 4);
        n += self.v4_sorted.memory_bytes() + self.v6_sorted.memory_bytes() + self.dom_sorted.memory_bytes();
        n += self.arena.memory_bytes();
        n
    }
}

fn v4_live(maps: &[HashMap<u32, Handle, FoldBuild>], k: u64) -> bool {
    maps.get((k & 0xff) as usize).is_some_and(|m| m.contains_key(&((k >> 8) as u32)))
}

fn v6_live(maps: &[HashMap<V6, Handle, FoldBuild>], k: &V6Key) -> bool {
    maps.get(k.2 as usize).is_some_and(|m| m.contains_key(&V6(k.0, k.1)))
}

fn dom_live(domains: &HashMap<Fp, DomEntry, FpBuild>, fpr: &Fingerprinter, rev: &[u8]) -> bool {
    domains.get(&fp_domain(fpr, rev)).is_some_and(|e| e.postings != EMPTY)
}

fn v4_filter_mark(f: &mut [u32], a: u32, l: u8) {
    if l < V4_FILTER_MIN_LEN {
        return;
    }
    let bit = 1u32 << (l - V4_FILTER_MIN_LEN);
    let first = (a >> V4_FILTER_SHIFT) as usize;
    let n = if l >= 32 - V4_FILTER_SHIFT as u8 { 1 } else { 1usize << (32 - V4_FILTER_SHIFT as u8 - l) };
    for b in &mut f[first..first + n] {
        *b |= bit;
    }
}

fn shrink_if_sparse<K: Eq + Hash, V, S: std::hash::BuildHasher>(m: &mut HashMap<K, V, S>) {
    let cap = m.capacity();
    if cap > 1024 && m.len() * 4 < cap {
        m.shrink_to(m.len() * 2);
    }
}
