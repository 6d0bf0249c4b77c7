//! The correlation index.

use std::hint::black_box;
use std::mem::size_of;

use crate::hash::{random_seeds, Fingerprinter, Fp};
use crate::postings::{Arena, Handle, View, EMPTY};
use crate::sorted::{SortedSet, SortedStrings};
use crate::table::{Table, Vacancy};
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
        Config {
            cidr: true,
            frequent_threshold: 10_000,
            domain_hierarchy: true,
        }
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

// Fingerprint domain-separation tags (first 64-bit word of the message).
const TAG_DOMAIN: u64 = b'D' as u64;
const TAG_URL: u64 = b'U' as u64;
const TAG_EMAIL: u64 = b'E' as u64;
const TAG_ASN: u64 = b'A' as u64;
const TAG_HASH: u64 = b'H' as u64;
const TAG_OTHER: u64 = b'O' as u64;

#[derive(Clone, Copy, Debug)]
struct DomEntry {
    postings: Handle,
    /// Number of distinct stored domains strictly below this name.
    desc: u32,
}

/// An entry with no postings and no descendants is removed, so that state
/// marks a vacant slot.
impl Vacancy for DomEntry {
    const VACANT: DomEntry = DomEntry {
        postings: EMPTY,
        desc: 0,
    };
    #[inline]
    fn is_vacant(&self) -> bool {
        self.postings == EMPTY && self.desc == 0
    }
}

/// IPv6 address as two words (keeps table slots 8-aligned: 24 bytes).
type V6 = (u64, u64);

#[inline]
fn v6(a: u128) -> V6 {
    ((a >> 64) as u64, a as u64)
}

/// Contained-network candidates probed together (memory-level parallelism).
const PROBE_BATCH: usize = 32;

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
/// * every stored value is a key of an open-addressing hash table (key and
///   value in one slot) whose value is a one-word posting handle: a single
///   seq inline, else a sorted `Vec<u64>` or a frequent summary in an arena.
///   Only postings are stored — never object-to-object pairs;
/// * URLs, e-mails, ASNs, hashes and other kinds are keyed by their keyed
///   128-bit SipHash fingerprint only (collisions treated as impossible, see
///   the crate documentation); the matched value reported is the query;
/// * IPv4/IPv6: one table per populated prefix length keyed by the masked
///   address. Containing networks: probe each populated shorter length (for
///   IPv4 pruned by a per-/20 bitmap of the lengths present, 4 MiB, built
///   once 65 536 IPv4 keys are stored). Contained networks: range scan of an
///   ordered set of `(address, length)` keys (sorted arrays with a radix
///   directory plus a small B-tree of recent inserts);
/// * domains: keyed by the fingerprint of the reversed-label name
///   (`com.example.www`); each name's entry counts its stored descendants, so
///   parents are found by walking the labels top-down (stopping at the first
///   absent name) and subdomains by a prefix scan of an ordered arena of
///   reversed names, done only when that count is non-zero;
/// * lookups load the slots of independent probes (the containing-network
///   lengths, a batch of contained networks or subdomains, then their
///   posting lists) before using them, so that their cache misses overlap.
///
/// Memory (measured RSS, `examples/bench.rs`, 10 million values): about 30
/// bytes per IPv4-address posting, 28 per SHA-256 posting, 46 for the
/// realistic mix (domains keep their names for subdomain scans).
///
/// `CorrelationIndex` is `Send + Sync`: lookups take `&self` and can run on
/// several threads behind a read lock.
pub struct CorrelationIndex {
    config: Config,
    fpr: Fingerprinter,
    arena: Arena,
    exact: Table<Fp, Handle>,
    domains: Table<Fp, DomEntry>,
    dom_sorted: SortedStrings,
    v4: Vec<Table<u32, Handle>>,
    v4_pop: u64,
    v4_keys: usize,
    v4_sorted: SortedSet<u64>,
    v4_filter: Option<Box<[u32]>>,
    v4_filter_min_keys: usize,
    v6: Vec<Table<V6, Handle>>,
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

/// A reversed-label name built without a heap allocation when it fits
/// (every valid domain name does: at most 253 bytes).
enum RevName {
    Stack([u8; 256], usize),
    Heap(String),
}

impl RevName {
    fn new(d: &str) -> RevName {
        let b = d.as_bytes();
        if b.len() > 256 {
            return RevName::Heap(reverse_labels(d));
        }
        let mut buf = [0u8; 256];
        let mut n = 0;
        for (i, label) in b.rsplit(|&c| c == b'.').enumerate() {
            if i > 0 {
                buf[n] = b'.';
                n += 1;
            }
            buf[n..n + label.len()].copy_from_slice(label);
            n += label.len();
        }
        RevName::Stack(buf, n)
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            RevName::Stack(b, n) => &b[..*n],
            RevName::Heap(s) => s.as_bytes(),
        }
    }
}

/// Ancestors kept on the stack by a domain lookup (more spill to the heap).
const STACK_LABELS: usize = 24;

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
    rev.iter()
        .enumerate()
        .filter(|(_, &b)| b == b'.')
        .map(|(i, _)| i)
}

/// Appends the postings of one matched value; false once `limit` is hit.
fn emit(
    arena: &Arena,
    out: &mut Lookup,
    limit: usize,
    h: Handle,
    value: impl FnOnce() -> Value,
    kind: MatchKind,
) -> bool {
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
        CorrelationIndex {
            config,
            fpr: Fingerprinter::new(k0, k1),
            arena: Arena::default(),
            exact: Table::new(seed),
            domains: Table::new(seed),
            dom_sorted: SortedStrings::default(),
            v4: (0..=32).map(|_| Table::new(seed)).collect(),
            v4_pop: 0,
            v4_keys: 0,
            v4_sorted: SortedSet::default(),
            v4_filter: None,
            v4_filter_min_keys: V4_FILTER_MIN_KEYS,
            v6: (0..=128).map(|_| Table::new(seed)).collect(),
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
            Value::Asn(n) => Key::Exact(self.fpr.fp(TAG_ASN | (*n as u64) << 8, &[])),
            Value::Hash(algo, b) => {
                Key::Exact(self.fpr.fp(TAG_HASH | (algo.code() as u64) << 8, &[b]))
            }
            Value::Other(k, s) => Key::Exact(self.fpr.fp(
                TAG_OTHER | (k.len() as u64) << 8,
                &[k.as_bytes(), s.as_bytes()],
            )),
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
                    let (added, new_key) = upsert(
                        &mut self.exact,
                        &mut self.arena,
                        fp,
                        seq,
                        self.config.frequent_threshold,
                    );
                    self.n_values += new_key as usize;
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
                    let Some(h) = self.exact.get_mut(&fp) else {
                        continue;
                    };
                    let (new, removed) = self.arena.remove(*h, seq);
                    self.n_postings -= removed as usize;
                    if new == EMPTY {
                        self.exact.remove(&fp);
                        self.n_values -= 1;
                    } else {
                        *h = new;
                    }
                }
                Key::Invalid => {}
            }
        }
    }

    fn insert_v4(&mut self, seq: u64, a: u32, l: u8) {
        let (added, new_key) = upsert(
            &mut self.v4[l as usize],
            &mut self.arena,
            a,
            seq,
            self.config.frequent_threshold,
        );
        self.n_postings += added as usize;
        if !new_key {
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
            for a in self.v4[l as usize].keys() {
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
        let (added, new_key) = upsert(
            &mut self.v6[l as usize],
            &mut self.arena,
            v6(a),
            seq,
            self.config.frequent_threshold,
        );
        self.n_postings += added as usize;
        if !new_key {
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
        let Some(h) = map.get_mut(&v6(a)) else { return };
        let (new, removed) = self.arena.remove(*h, seq);
        self.n_postings -= removed as usize;
        if new != EMPTY {
            *h = new;
            return;
        }
        map.remove(&v6(a));
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
        let was_empty = match self.domains.get_mut(&fp) {
            Some(e) => {
                let was_empty = e.postings == EMPTY;
                let (new, added) = self.arena.add(e.postings, seq, thr);
                e.postings = new;
                self.n_postings += added as usize;
                was_empty
            }
            None => {
                let (new, _) = self.arena.add(EMPTY, seq, thr);
                self.domains.get_or_insert_with(fp, || DomEntry {
                    postings: new,
                    desc: 0,
                });
                self.n_postings += 1;
                true
            }
        };
        if !was_empty {
            return;
        }
        self.n_values += 1;
        if !self.config.domain_hierarchy {
            return;
        }
        for end in ancestor_ends(rev.as_bytes()) {
            let afp = fp_domain(&self.fpr, &rev.as_bytes()[..end]);
            let (a, inserted) = self.domains.get_or_insert_with(afp, || DomEntry {
                postings: EMPTY,
                desc: 1,
            });
            if !inserted {
                a.desc = a.desc.saturating_add(1);
            }
        }
        let (domains, fpr) = (&self.domains, self.fpr);
        self.dom_sorted
            .insert(rev.as_bytes(), |s| dom_live(domains, &fpr, s));
    }

    fn remove_domain(&mut self, seq: u64, rev: &str) {
        let fp = fp_domain(&self.fpr, rev.as_bytes());
        let Some(e) = self.domains.get_mut(&fp) else {
            return;
        };
        if e.postings == EMPTY {
            return;
        }
        let (new, removed) = self.arena.remove(e.postings, seq);
        self.n_postings -= removed as usize;
        if new != EMPTY {
            e.postings = new;
            return;
        }
        // Never write the vacant state through `get_mut`: remove instead.
        if e.desc == 0 {
            self.domains.remove(&fp);
        } else {
            e.postings = EMPTY;
        }
        self.n_values -= 1;
        if self.config.domain_hierarchy {
            for end in ancestor_ends(rev.as_bytes()) {
                let afp = fp_domain(&self.fpr, &rev.as_bytes()[..end]);
                if let Some(a) = self.domains.get_mut(&afp) {
                    if a.desc <= 1 && a.postings == EMPTY {
                        self.domains.remove(&afp);
                    } else {
                        a.desc = a.desc.saturating_sub(1);
                    }
                }
            }
            let (domains, fpr) = (&self.domains, self.fpr);
            self.dom_sorted
                .remove(rev.as_bytes(), |s| dom_live(domains, &fpr, s));
        }
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
        if let Value::Domain(d) = v {
            // Reversed on the stack: no allocation for the key.
            self.lookup_domain(RevName::new(d).as_bytes(), v, limit, &mut out);
            return out;
        }
        match self.key(v) {
            Key::V4(a, p) => self.lookup_v4(a, p, limit, &mut out),
            Key::V6(a, p) => self.lookup_v6(a, p, limit, &mut out),
            Key::Domain(_) => unreachable!("domains are looked up above"),
            Key::Exact(fp) => {
                if let Some(h) = self.exact.get(&fp) {
                    emit(
                        &self.arena,
                        &mut out,
                        limit,
                        h,
                        || v.clone(),
                        MatchKind::Exact,
                    );
                }
            }
            Key::Invalid => {}
        }
        out
    }

    fn lookup_v4(&self, a: u32, p: u8, limit: usize, out: &mut Lookup) {
        // Containing networks: every populated shorter length, pruned by the
        // /20 filter. Touch all home slots first so the misses overlap.
        // (The exact slot is touched before the filter word is read, so
        // that both misses are in flight together.)
        let mut acc = self.v4[p as usize].touch(&a);
        let mut lens = 0;
        if self.config.cidr {
            lens = self.v4_pop & ((1u64 << p) - 1);
            if let Some(f) = &self.v4_filter {
                let bits = f[(a >> V4_FILTER_SHIFT) as usize] as u64;
                lens &= (bits << V4_FILTER_MIN_LEN) | ((1u64 << V4_FILTER_MIN_LEN) - 1);
            }
        }
        let mut rest = lens;
        while rest != 0 {
            let l = 63 - rest.leading_zeros() as u8;
            rest &= !(1u64 << l);
            acc ^= self.v4[l as usize].touch(&(a & mask4(l)));
        }
        black_box(acc);

        // Exact first, then containing networks, most specific first.
        let mut hits: [(u32, u8, Handle); 34] = [(0, 0, EMPTY); 34];
        let mut n = 0;
        if let Some(h) = self.v4[p as usize].get(&a) {
            hits[n] = (a, p, h);
            n += 1;
        }
        while lens != 0 {
            let l = 63 - lens.leading_zeros() as u8;
            lens &= !(1u64 << l);
            let na = a & mask4(l);
            if let Some(h) = self.v4[l as usize].get(&na) {
                hits[n] = (na, l, h);
                n += 1;
            }
        }
        if n > 1 {
            black_box(self.arena.touch(hits[..n].iter().map(|x| x.2)));
        }
        for &(na, l, h) in &hits[..n] {
            let kind = if l == p {
                MatchKind::Exact
            } else {
                MatchKind::Contains
            };
            if !emit(&self.arena, out, limit, h, || Value::Ipv4Net(na, l), kind) {
                return;
            }
        }
        if !self.config.cidr {
            return;
        }
        // Contained addresses and networks, probed in batches.
        if p < 32 && (self.v4_pop >> (p + 1)) != 0 {
            out.matches.reserve(limit.min(PROBE_BATCH));
            let end = a | !mask4(p);
            let mut batch: Vec<(u32, u8)> = Vec::with_capacity(PROBE_BATCH);
            let mut go = true;
            let mut found: Vec<(u32, u8, Handle)> = Vec::with_capacity(PROBE_BATCH);
            let mut flush = |batch: &mut Vec<(u32, u8)>, out: &mut Lookup| -> bool {
                // Three overlapped stages: table slots, arena slots, emit.
                let mut acc = 0;
                for (ka, kl) in batch.iter() {
                    acc ^= self.v4[*kl as usize].touch(ka);
                }
                black_box(acc);
                found.clear();
                found.extend(
                    batch
                        .drain(..)
                        .filter_map(|(ka, kl)| self.v4[kl as usize].get(&ka).map(|h| (ka, kl, h))),
                );
                black_box(self.arena.touch(found.iter().map(|f| f.2)));
                for &(ka, kl, h) in &found {
                    if !emit(
                        &self.arena,
                        out,
                        limit,
                        h,
                        || Value::Ipv4Net(ka, kl),
                        MatchKind::ContainedBy,
                    ) {
                        return false;
                    }
                }
                true
            };
            self.v4_sorted
                .for_each_in(v4_pack(a, p + 1), v4_pack(end, 32), |k| {
                    let (ka, kl) = ((k >> 8) as u32, (k & 0xff) as u8);
                    if kl > p {
                        batch.push((ka, kl));
                    }
                    if batch.len() == PROBE_BATCH {
                        go = flush(&mut batch, out);
                    }
                    go
                });
            if go {
                flush(&mut batch, out);
            }
        }
    }

    fn lookup_v6(&self, a: u128, p: u8, limit: usize, out: &mut Lookup) {
        if let Some(h) = self.v6[p as usize].get(&v6(a)) {
            if !emit(
                &self.arena,
                out,
                limit,
                h,
                || Value::Ipv6Net(a, p),
                MatchKind::Exact,
            ) {
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
            if let Some(h) = self.v6[l as usize].get(&v6(na)) {
                if !emit(
                    &self.arena,
                    out,
                    limit,
                    h,
                    || Value::Ipv6Net(na, l),
                    MatchKind::Contains,
                ) {
                    return;
                }
            }
        }
        if p < 128 {
            let end = a | !mask6(p);
            self.v6_sorted
                .for_each_in(v6_key(a, p + 1), v6_key(end, 128), |(hi, lo, kl)| {
                    if kl <= p {
                        return true;
                    }
                    let ka = ((hi as u128) << 64) | lo as u128;
                    match self.v6[kl as usize].get(&(hi, lo)) {
                        Some(h) => emit(
                            &self.arena,
                            out,
                            limit,
                            h,
                            || Value::Ipv6Net(ka, kl),
                            MatchKind::ContainedBy,
                        ),
                        None => true,
                    }
                });
        }
    }

    fn lookup_domain(&self, bytes: &[u8], v: &Value, limit: usize, out: &mut Lookup) {
        let fp = fp_domain(&self.fpr, bytes);
        if !self.config.domain_hierarchy {
            if let Some(e) = self.domains.get(&fp) {
                emit(
                    &self.arena,
                    out,
                    limit,
                    e.postings,
                    || v.clone(),
                    MatchKind::Exact,
                );
            }
            return;
        }
        // Fingerprints of the ancestors, top-down; touch all their slots.
        // (On the stack for names of up to STACK_LABELS labels.)
        let mut anc_stack = [(0usize, Fp::default()); STACK_LABELS];
        let mut anc_heap: Vec<(usize, Fp)> = Vec::new();
        let mut n_anc = 0;
        for end in ancestor_ends(bytes) {
            let e = (end, fp_domain(&self.fpr, &bytes[..end]));
            if n_anc < STACK_LABELS {
                anc_stack[n_anc] = e;
            } else {
                if anc_heap.is_empty() {
                    anc_heap.extend_from_slice(&anc_stack);
                }
                anc_heap.push(e);
            }
            n_anc += 1;
        }
        let ancestors: &[(usize, Fp)] = if n_anc <= STACK_LABELS {
            &anc_stack[..n_anc]
        } else {
            &anc_heap
        };
        black_box(
            ancestors
                .iter()
                .fold(self.domains.touch(&fp), |acc, (_, f)| {
                    acc ^ self.domains.touch(f)
                }),
        );
        // Walk the ancestors top-down; an absent name means nothing is
        // stored at or below it.
        let mut par_stack = [(0usize, EMPTY); STACK_LABELS];
        let mut par_heap: Vec<(usize, Handle)> = Vec::new();
        let mut n_par = 0;
        let mut reached = true;
        for &(end, afp) in ancestors {
            match self.domains.get(&afp) {
                None => {
                    reached = false;
                    break;
                }
                Some(e) => {
                    if e.postings != EMPTY {
                        if n_par < STACK_LABELS {
                            par_stack[n_par] = (end, e.postings);
                        } else {
                            if par_heap.is_empty() {
                                par_heap.extend_from_slice(&par_stack);
                            }
                            par_heap.push((end, e.postings));
                        }
                        n_par += 1;
                    }
                    if e.desc == 0 {
                        reached = false;
                        break;
                    }
                }
            }
        }
        let exact = if reached { self.domains.get(&fp) } else { None };
        if let Some(e) = exact {
            if !emit(
                &self.arena,
                out,
                limit,
                e.postings,
                || v.clone(),
                MatchKind::Exact,
            ) {
                return;
            }
        }
        let parents: &[(usize, Handle)] = if n_par <= STACK_LABELS {
            &par_stack[..n_par]
        } else {
            &par_heap
        };
        for &(end, h) in parents.iter().rev() {
            if !emit(
                &self.arena,
                out,
                limit,
                h,
                || Value::Domain(unreverse(&bytes[..end])),
                MatchKind::ParentDomain,
            ) {
                return;
            }
        }
        let Some(e) = exact else { return };
        if e.desc == 0 {
            return;
        }
        // Subdomains, probed in overlapped batches.
        let mut prefix = Vec::with_capacity(bytes.len() + 1);
        prefix.extend_from_slice(bytes);
        prefix.push(b'.');
        // Batch: names concatenated in `names`, (end, fingerprint) in `batch`.
        let mut names: Vec<u8> = Vec::new();
        let mut batch: Vec<(usize, Fp)> = Vec::with_capacity(PROBE_BATCH);
        let mut found: Vec<(usize, Handle)> = Vec::with_capacity(PROBE_BATCH);
        let mut flush =
            |names: &mut Vec<u8>, batch: &mut Vec<(usize, Fp)>, out: &mut Lookup| -> bool {
                black_box(
                    batch
                        .iter()
                        .fold(0, |acc, (_, f)| acc ^ self.domains.touch(f)),
                );
                found.clear();
                for (i, (_, f)) in batch.iter().enumerate() {
                    if let Some(c) = self.domains.get(f) {
                        if c.postings != EMPTY {
                            found.push((i, c.postings));
                        }
                    }
                }
                black_box(self.arena.touch(found.iter().map(|f| f.1)));
                let mut go = true;
                for &(i, h) in &found {
                    let start = if i == 0 { 0 } else { batch[i - 1].0 };
                    let name = &names[start..batch[i].0];
                    if !emit(
                        &self.arena,
                        out,
                        limit,
                        h,
                        || Value::Domain(unreverse(name)),
                        MatchKind::Subdomain,
                    ) {
                        go = false;
                        break;
                    }
                }
                names.clear();
                batch.clear();
                go
            };
        let mut go = true;
        self.dom_sorted.for_each_prefixed(&prefix, |s| {
            names.extend_from_slice(s);
            batch.push((names.len(), fp_domain(&self.fpr, s)));
            if batch.len() == PROBE_BATCH {
                go = flush(&mut names, &mut batch, out);
            }
            go
        });
        if go {
            flush(&mut names, &mut batch, out);
        }
    }

    fn handle(&self, v: &Value) -> Handle {
        match self.key(v) {
            Key::V4(a, l) => self.v4[l as usize].get(&a).unwrap_or(EMPTY),
            Key::V6(a, l) => self.v6[l as usize].get(&v6(a)).unwrap_or(EMPTY),
            Key::Domain(rev) => self
                .domains
                .get(&fp_domain(&self.fpr, rev.as_bytes()))
                .map(|e| e.postings)
                .unwrap_or(EMPTY),
            Key::Exact(fp) => self.exact.get(&fp).unwrap_or(EMPTY),
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

    /// Merges the ordered sets' recent-insert buffers into their main
    /// arrays. Optional (lookups are correct without it); useful after a
    /// bulk load, as it makes range scans (contained networks, subdomains)
    /// search one array instead of three levels.
    pub fn compact(&mut self) {
        let maps = &self.v4;
        self.v4_sorted.compact_all(|k| v4_live(maps, *k));
        let maps = &self.v6;
        self.v6_sorted.compact_all(|k| v6_live(maps, k));
        let (domains, fpr) = (&self.domains, self.fpr);
        self.dom_sorted.compact_all(|s| dom_live(domains, &fpr, s));
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
        n += self.exact.memory_bytes() + self.domains.memory_bytes();
        n += self.v4.iter().map(Table::memory_bytes).sum::<usize>()
            + self.v4.capacity() * size_of::<Table<u32, Handle>>();
        n += self.v6.iter().map(Table::memory_bytes).sum::<usize>()
            + self.v6.capacity() * size_of::<Table<V6, Handle>>();
        n += self.v4_filter.as_ref().map_or(0, |f| f.len() * 4);
        n += self.v4_sorted.memory_bytes()
            + self.v6_sorted.memory_bytes()
            + self.dom_sorted.memory_bytes();
        n += self.arena.memory_bytes();
        n
    }
}

/// Adds `seq` to the postings of `k`; returns (posting added, key new).
fn upsert<K: crate::table::TableKey + Default>(
    table: &mut Table<K, Handle>,
    arena: &mut Arena,
    k: K,
    seq: u64,
    threshold: usize,
) -> (bool, bool) {
    if let Some(h) = table.get_mut(&k) {
        let (new, added) = arena.add(*h, seq, threshold);
        *h = new;
        return (added, false);
    }
    let (new, _) = arena.add(EMPTY, seq, threshold);
    table.get_or_insert_with(k, || new);
    (true, true)
}

fn v4_live(maps: &[Table<u32, Handle>], k: u64) -> bool {
    maps.get((k & 0xff) as usize)
        .is_some_and(|m| m.contains_key(&((k >> 8) as u32)))
}

fn v6_live(maps: &[Table<V6, Handle>], k: &V6Key) -> bool {
    maps.get(k.2 as usize)
        .is_some_and(|m| m.contains_key(&(k.0, k.1)))
}

fn dom_live(domains: &Table<Fp, DomEntry>, fpr: &Fingerprinter, rev: &[u8]) -> bool {
    domains
        .get(&fp_domain(fpr, rev))
        .is_some_and(|e| e.postings != EMPTY)
}

fn v4_filter_mark(f: &mut [u32], a: u32, l: u8) {
    if l < V4_FILTER_MIN_LEN {
        return;
    }
    let bit = 1u32 << (l - V4_FILTER_MIN_LEN);
    let first = (a >> V4_FILTER_SHIFT) as usize;
    let n = if l >= 32 - V4_FILTER_SHIFT as u8 {
        1
    } else {
        1usize << (32 - V4_FILTER_SHIFT as u8 - l)
    };
    for b in &mut f[first..first + n] {
        *b |= bit;
    }
}
