//! Ordered key sets for range queries ("networks inside a network",
//! "subdomains of a domain").
//!
//! Both sets are a small three-level LSM:
//! * `pending`: a B-tree of recent inserts, at most max(4096, |main|/128);
//! * `run`: a sorted array, into which `pending` is merged when full;
//! * `main`: a sorted array, into which `run` is merged when it exceeds 1/8
//!   of `main`.
//!
//! Each key is copied O(1) times on average (about 8 by run→main merges and
//! about 8 by pending→run merges), and a lookup searches two arrays and a
//! small B-tree.
//!
//! Arrays are compact (8 bytes per IPv4 key plus a 0.5-byte radix directory;
//! the bytes of a name plus an 8-byte offset per domain). Lower-bound
//! searches touch one directory entry and one small bucket (keys), or a
//! small separator arena holding every [`SEP`]-th name and then one block of
//! `SEP` names (strings), instead of ~log₂ n cache lines.
//!
//! Deletions are lazy: the owner's hash maps are the source of truth, range
//! scans may yield keys that are no longer live (the caller skips them), and
//! stale keys are dropped by merges, which check liveness when removals
//! happened since the last full compaction.

use std::collections::BTreeSet;
use std::ops::Bound;

/// Smallest limit of the `pending` B-tree.
pub(crate) const PENDING_MIN: usize = 4096;
/// Separator stride of the sorted string arrays.
pub(crate) const SEP: usize = 32;

fn pending_full(pending: usize, main: usize) -> bool {
    pending > PENDING_MIN.max(main / 128)
}

fn run_full(run: usize, main: usize) -> bool {
    run > (4 * PENDING_MIN).max(main / 8)
}

fn compaction_due(stale: usize, total: usize) -> bool {
    stale > PENDING_MIN.max(total / 2)
}

/// Ordered merge of three sorted iterators with deduplication (no
/// allocation); stops when `f` returns false.
fn merge3<T: Ord + Copy>(
    a: impl Iterator<Item = T>,
    b: impl Iterator<Item = T>,
    c: impl Iterator<Item = T>,
    mut f: impl FnMut(T) -> bool,
) {
    let (mut a, mut b, mut c) = (a.peekable(), b.peekable(), c.peekable());
    loop {
        // Usually only one level has keys in the range (always after a
        // compaction): drain it without comparisons.
        match (a.peek().is_some(), b.peek().is_some(), c.peek().is_some()) {
            (_, false, false) => {
                return a
                    .try_for_each(|x| if f(x) { Some(()) } else { None })
                    .unwrap_or(())
            }
            (false, true, false) => {
                return b
                    .try_for_each(|x| if f(x) { Some(()) } else { None })
                    .unwrap_or(())
            }
            (false, false, true) => {
                return c
                    .try_for_each(|x| if f(x) { Some(()) } else { None })
                    .unwrap_or(())
            }
            _ => {}
        }
        let m = [a.peek(), b.peek(), c.peek()]
            .into_iter()
            .flatten()
            .min()
            .copied();
        let Some(m) = m else { return };
        if a.peek() == Some(&m) {
            a.next();
        }
        if b.peek() == Some(&m) {
            b.next();
        }
        if c.peek() == Some(&m) {
            c.next();
        }
        if !f(m) {
            return;
        }
    }
}

/// Keys that expose their leading bits, for the radix directory of a
/// [`KeyRun`]: `radix(bits)` must be monotone in the key order.
pub(crate) trait Radix: Ord + Copy {
    /// The top `bits` (1..=24) bits of the key's ordering.
    fn radix(&self, bits: u32) -> usize;
}

/// IPv4 keys are packed as `(address << 8) | prefix length` (< 2⁴⁰).
impl Radix for u64 {
    #[inline]
    fn radix(&self, bits: u32) -> usize {
        ((*self >> 8) as u32 >> (32 - bits)) as usize
    }
}

/// IPv6 keys: `(high 64 bits, low 64 bits, prefix length)`.
impl Radix for (u64, u64, u8) {
    #[inline]
    fn radix(&self, bits: u32) -> usize {
        (self.0 >> (64 - bits)) as usize
    }
}

/// Sorted array of keys with a radix directory: `dir[r]..dir[r + 1]` is the
/// index range of the keys whose top `bits` bits are `r`, so a lower-bound
/// search costs one directory load plus a search of one small bucket (about
/// 8 keys when keys are spread evenly) instead of ~log₂ n cache misses.
#[derive(Debug)]
struct KeyRun<K> {
    keys: Vec<K>,
    bits: u32,
    dir: Vec<u32>,
}

impl<K> Default for KeyRun<K> {
    fn default() -> Self {
        KeyRun {
            keys: Vec::new(),
            bits: 0,
            dir: Vec::new(),
        }
    }
}

impl<K: Radix> KeyRun<K> {
    fn from_vec(keys: Vec<K>) -> Self {
        let n = keys.len();
        if n < 64 || n > u32::MAX as usize {
            return KeyRun {
                keys,
                bits: 0,
                dir: Vec::new(),
            };
        }
        // About 8 keys per bucket, at most 2^22 buckets (16 MiB directory).
        let bits = (usize::BITS - (n / 8).leading_zeros() - 1).clamp(4, 22);
        let buckets = 1usize << bits;
        let mut dir = Vec::with_capacity(buckets + 1);
        let mut i = 0usize;
        for r in 0..buckets {
            while i < n && keys[i].radix(bits) < r {
                i += 1;
            }
            dir.push(i as u32);
        }
        dir.push(n as u32);
        KeyRun { keys, bits, dir }
    }

    /// Index of the first key `>= k`.
    #[inline]
    fn lower_bound(&self, k: &K) -> usize {
        let (lo, hi) = if self.bits == 0 {
            (0, self.keys.len())
        } else {
            let r = k.radix(self.bits);
            (self.dir[r] as usize, self.dir[r + 1] as usize)
        };
        lo + self.keys[lo..hi].partition_point(|x| x < k)
    }

    /// Keys in `lo..=hi`, in order.
    fn range<'a>(&'a self, lo: &K, hi: &'a K) -> impl Iterator<Item = K> + 'a {
        let a = self.lower_bound(lo);
        self.keys[a..].iter().copied().take_while(move |k| k <= hi)
    }

    fn memory_bytes(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<K>() + self.dir.capacity() * 4
    }
}

/// Ordered set of `Copy` keys.
#[derive(Debug)]
pub(crate) struct SortedSet<K> {
    main: KeyRun<K>,
    run: KeyRun<K>,
    pending: BTreeSet<K>,
    /// Removals since the last full compaction.
    stale: usize,
}

impl<K> Default for SortedSet<K> {
    fn default() -> Self {
        SortedSet {
            main: KeyRun::default(),
            run: KeyRun::default(),
            pending: BTreeSet::new(),
            stale: 0,
        }
    }
}

impl<K: Radix> SortedSet<K> {
    /// Inserts a key that has just become live.
    pub(crate) fn insert(&mut self, k: K, live: impl Fn(&K) -> bool) {
        self.pending.insert(k);
        if pending_full(self.pending.len(), self.main.keys.len()) {
            let merged = self.merged(false, &live);
            self.run = KeyRun::from_vec(merged);
            self.pending.clear();
            if run_full(self.run.keys.len(), self.main.keys.len()) {
                self.compact(&live);
            }
        }
    }

    /// Notes that a key is no longer live (call after the owner's map no
    /// longer holds it).
    pub(crate) fn remove(&mut self, k: &K, live: impl Fn(&K) -> bool) {
        self.pending.remove(k);
        self.stale += 1;
        if compaction_due(self.stale, self.main.keys.len() + self.run.keys.len()) {
            self.compact(&live);
        }
    }

    /// Merges run and pending (and main when `with_main`).
    fn merged(&self, with_main: bool, live: &impl Fn(&K) -> bool) -> Vec<K> {
        let check = self.stale > 0;
        let main: &[K] = if with_main { &self.main.keys } else { &[] };
        let mut out = Vec::with_capacity(main.len() + self.run.keys.len() + self.pending.len());
        merge3(
            main.iter().copied(),
            self.run.keys.iter().copied(),
            self.pending.iter().copied(),
            |k| {
                if !check || live(&k) {
                    out.push(k);
                }
                true
            },
        );
        out
    }

    /// Merges everything into `main` (e.g. after a bulk load).
    pub(crate) fn compact_all(&mut self, live: impl Fn(&K) -> bool) {
        if !self.pending.is_empty() || !self.run.keys.is_empty() || self.stale > 0 {
            self.compact(&live);
        }
    }

    fn compact(&mut self, live: &impl Fn(&K) -> bool) {
        let merged = self.merged(true, live);
        self.main = KeyRun::from_vec(merged);
        self.run = KeyRun::default();
        self.pending.clear();
        self.stale = 0;
    }

    /// Calls `f` on every key in `lo..=hi` in order (each once) until `f`
    /// returns false. Keys may be stale; the caller checks liveness.
    pub(crate) fn for_each_in(&self, lo: K, hi: K, f: impl FnMut(K) -> bool) {
        if lo > hi {
            return;
        }
        if self.run.keys.is_empty() && self.pending.is_empty() {
            // Compacted: one array.
            let mut f = f;
            for k in self.main.range(&lo, &hi) {
                if !f(k) {
                    return;
                }
            }
            return;
        }
        merge3(
            self.main.range(&lo, &hi),
            self.run.range(&lo, &hi),
            self.pending.range(lo..=hi).copied(),
            f,
        );
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        let k = std::mem::size_of::<K>();
        // B-tree nodes: up to 11 keys per node, ~2/3 full, plus node header.
        self.main.memory_bytes() + self.run.memory_bytes() + self.pending.len() * (k * 3 / 2 + 8)
    }
}

/// Sorted byte strings in one arena, with separators.
#[derive(Debug, Default)]
struct StrRun {
    bytes: Vec<u8>,
    /// `ends[i]` is the end of string `i` (its start is `ends[i-1]`, or 0).
    ends: Vec<usize>,
    /// Every `SEP`-th string, in its own small arena.
    sep_bytes: Vec<u8>,
    sep_ends: Vec<usize>,
}

fn arena_get<'a>(bytes: &'a [u8], ends: &[usize], i: usize) -> &'a [u8] {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bytes[start..ends[i]]
}

/// First index in `lo..hi` whose string is `>= k`.
fn arena_lower_bound(
    bytes: &[u8],
    ends: &[usize],
    mut lo: usize,
    mut hi: usize,
    k: &[u8],
) -> usize {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if arena_get(bytes, ends, mid) < k {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

impl StrRun {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &[u8] {
        arena_get(&self.bytes, &self.ends, i)
    }

    fn push(&mut self, s: &[u8]) {
        #[allow(clippy::manual_is_multiple_of)]
        // `is_multiple_of` needs Rust 1.87; the workspace supports 1.85
        if self.ends.len() % SEP == 0 {
            self.sep_bytes.extend_from_slice(s);
            self.sep_ends.push(self.sep_bytes.len());
        }
        self.bytes.extend_from_slice(s);
        self.ends.push(self.bytes.len());
    }

    fn shrink(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.sep_bytes.shrink_to_fit();
        self.sep_ends.shrink_to_fit();
    }

    fn lower_bound(&self, k: &[u8]) -> usize {
        let j = arena_lower_bound(&self.sep_bytes, &self.sep_ends, 0, self.sep_ends.len(), k);
        if j == 0 {
            return 0;
        }
        let start = (j - 1) * SEP + 1;
        let end = (j * SEP).min(self.len());
        arena_lower_bound(&self.bytes, &self.ends, start, end, k)
    }

    fn prefixed<'a>(&'a self, prefix: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        let start = self.lower_bound(prefix);
        (start..self.len())
            .map(move |i| self.get(i))
            .take_while(move |s| s.starts_with(prefix))
    }

    fn memory_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.sep_bytes.capacity()
            + (self.ends.capacity() + self.sep_ends.capacity()) * 8
    }
}

/// Ordered set of byte strings.
#[derive(Debug, Default)]
pub(crate) struct SortedStrings {
    main: StrRun,
    run: StrRun,
    pending: BTreeSet<Box<[u8]>>,
    pending_bytes: usize,
    stale: usize,
}

impl SortedStrings {
    pub(crate) fn insert(&mut self, s: &[u8], live: impl Fn(&[u8]) -> bool) {
        if self.pending.insert(s.into()) {
            self.pending_bytes += s.len();
        }
        if pending_full(self.pending.len(), self.main.len()) {
            self.run = self.merged(false, &live);
            self.pending.clear();
            self.pending_bytes = 0;
            if run_full(self.run.len(), self.main.len()) {
                self.compact(&live);
            }
        }
    }

    pub(crate) fn remove(&mut self, s: &[u8], live: impl Fn(&[u8]) -> bool) {
        if self.pending.remove(s) {
            self.pending_bytes -= s.len();
        }
        self.stale += 1;
        if compaction_due(self.stale, self.main.len() + self.run.len()) {
            self.compact(&live);
        }
    }

    fn merged(&self, with_main: bool, live: &impl Fn(&[u8]) -> bool) -> StrRun {
        let check = self.stale > 0;
        let mut out = StrRun::default();
        let (run, main) = (&self.run, &self.main);
        let main_len = if with_main { main.len() } else { 0 };
        out.bytes.reserve_exact(
            run.bytes.len() + self.pending_bytes + if with_main { main.bytes.len() } else { 0 },
        );
        out.ends
            .reserve_exact(run.len() + self.pending.len() + main_len);
        merge3(
            (0..main_len).map(|i| main.get(i)),
            (0..run.len()).map(|i| run.get(i)),
            self.pending.iter().map(|x| &**x),
            |s| {
                if !check || live(s) {
                    out.push(s);
                }
                true
            },
        );
        out.shrink();
        out
    }

    /// Merges everything into `main` (e.g. after a bulk load).
    pub(crate) fn compact_all(&mut self, live: impl Fn(&[u8]) -> bool) {
        if !self.pending.is_empty() || self.run.len() > 0 || self.stale > 0 {
            self.compact(&live);
        }
    }

    fn compact(&mut self, live: &impl Fn(&[u8]) -> bool) {
        self.main = self.merged(true, live);
        self.run = StrRun::default();
        self.pending.clear();
        self.pending_bytes = 0;
        self.stale = 0;
    }

    /// Calls `f` on every string starting with `prefix`, in order, each once,
    /// until `f` returns false. Strings may be stale.
    pub(crate) fn for_each_prefixed(&self, prefix: &[u8], f: impl FnMut(&[u8]) -> bool) {
        merge3(
            self.main.prefixed(prefix),
            self.run.prefixed(prefix),
            self.pending
                .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
                .map(|x| &**x)
                .take_while(move |s| s.starts_with(prefix)),
            f,
        );
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.main.memory_bytes()
            + self.run.memory_bytes()
            // boxed string (16) + allocation rounding + B-tree share
            + self.pending.len() * 48
            + self.pending_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_run_bounds() {
        // Clustered keys: most in one radix bucket, some spread out.
        let mut keys: Vec<u64> = (0..1000u64)
            .map(|i| (0x0a00_0000 + i * 2) << 8 | 32)
            .collect();
        keys.extend((0..500u64).map(|i| ((i * 8_589_973) % (1 << 32)) << 8 | 24));
        keys.push(u64::MAX >> 24);
        keys.sort();
        keys.dedup();
        let r = KeyRun::from_vec(keys.clone());
        assert!(r.bits > 0);
        // (u64 keys are packed IPv4 keys: < 2^40.)
        let probes = keys
            .iter()
            .flat_map(|&k| [k.saturating_sub(1), k, k + 1])
            .chain([0, u64::MAX >> 24])
            .filter(|k| *k <= u64::MAX >> 24);
        for k in probes {
            assert_eq!(r.lower_bound(&k), keys.partition_point(|x| *x < k), "{k}");
        }
        let lo = (0x0a00_0000u64 + 10) << 8;
        let hi = (0x0a00_0000u64 + 16) << 8 | 32;
        let got: Vec<u64> = r.range(&lo, &hi).collect();
        assert_eq!(
            got,
            keys.iter()
                .copied()
                .filter(|k| (lo..=hi).contains(k))
                .collect::<Vec<_>>()
        );
        assert_eq!(got.len(), 4);
        assert_eq!(r.range(&hi, &lo).count(), 0);
        let e = KeyRun::<u64>::default();
        assert_eq!(e.lower_bound(&5), 0);
        let v6 = KeyRun::from_vec((0..100u64).map(|i| (i << 57, i, 64u8)).collect());
        assert_eq!(v6.lower_bound(&(5 << 57, 0, 0)), 5);
        assert_eq!(v6.lower_bound(&(u64::MAX, 0, 0)), 100);
    }

    #[test]
    fn sorted_set_merges_and_dedups() {
        let mut s = SortedSet::<u64>::default();
        let mut live = std::collections::BTreeSet::new();
        for i in 0..60_000u64 {
            let k = (i * 7919) % 60_013;
            live.insert(k);
            s.insert(k, |_| true);
        }
        // remove some, re-add some
        for k in (0..60_013u64).step_by(3) {
            if live.remove(&k) {
                s.remove(&k, |x| live.contains(x));
            }
        }
        for k in (0..60_013u64).step_by(9) {
            if live.insert(k) {
                s.insert(k, |x| live.contains(x));
            }
        }
        let mut got = Vec::new();
        s.for_each_in(100, 45_000, |k| {
            if live.contains(&k) {
                got.push(k);
            }
            true
        });
        let want: Vec<u64> = live.range(100..=45_000).copied().collect();
        assert_eq!(got, want);
        // no duplicates even counting stale keys
        let mut all = Vec::new();
        s.for_each_in(0, u64::MAX, |k| {
            all.push(k);
            true
        });
        let mut d = all.clone();
        d.dedup();
        assert_eq!(all, d);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        let mut n = 0;
        s.for_each_in(0, u64::MAX, |_| {
            n += 1;
            n < 5
        });
        assert_eq!(n, 5);
    }

    #[test]
    fn sorted_strings_prefix_scan() {
        let mut s = SortedStrings::default();
        let mut live = std::collections::BTreeSet::<Vec<u8>>::new();
        let name = |i: u32| format!("com.ex{}.h{}", i % 50, i).into_bytes();
        for i in 0..40_000u32 {
            live.insert(name(i));
            s.insert(&name(i), |_| true);
        }
        for i in (0..40_000u32).step_by(5) {
            live.remove(&name(i));
            s.remove(&name(i), |x| live.contains(x));
        }
        s.insert(b"com.ex7", |x| live.contains(x));
        live.insert(b"com.ex7".to_vec());
        for p in [
            &b"com.ex7."[..],
            b"com.ex7",
            b"com.",
            b"",
            b"zzz",
            b"com.ex49.h39999",
        ] {
            let mut got = Vec::new();
            s.for_each_prefixed(p, |x| {
                if live.contains(x) {
                    got.push(x.to_vec());
                }
                true
            });
            let want: Vec<Vec<u8>> = live.iter().filter(|x| x.starts_with(p)).cloned().collect();
            assert_eq!(got, want, "{}", String::from_utf8_lossy(p));
        }
    }
}
