//! A compact open-addressing hash table (Robin Hood linear probing,
//! backward-shift deletion, any capacity, load 0.7–0.875) for small `Copy`
//! keys and values.
//!
//! Why not `std::collections::HashMap`: a std (SwissTable) probe reads a
//! control-byte array and then the bucket array — two dependent cache misses
//! on a large table — whereas here key and value sit in one slot, so a hit
//! usually costs one miss. The home slot of a key is also computable up
//! front ([`Table::touch`]), which lets a lookup issue the loads of several
//! independent probes before using any of them (memory-level parallelism)
//! without `unsafe` prefetch intrinsics.
//!
//! A slot is vacant when its value is [`Vacancy::VACANT`]; stored values are
//! never vacant.

use crate::hash::Fp;

/// Values with a reserved "vacant slot" representation.
pub(crate) trait Vacancy: Copy {
    const VACANT: Self;
    fn is_vacant(&self) -> bool;
}

/// Keys with a 64-bit hash whose high bits are well mixed.
pub(crate) trait TableKey: Copy + Eq {
    fn hash(&self, seed: u64) -> u64;
    /// A cheap word of the key, used to keep touch loads alive.
    fn word(&self) -> u64;
}

#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xD6E8_FEB8_6659_FD93;

impl TableKey for u32 {
    #[inline]
    fn hash(&self, seed: u64) -> u64 {
        fold_mul(fold_mul(*self as u64 ^ seed, K1), K2)
    }
    #[inline]
    fn word(&self) -> u64 {
        *self as u64
    }
}

impl TableKey for (u64, u64) {
    #[inline]
    fn hash(&self, seed: u64) -> u64 {
        fold_mul(fold_mul(self.0 ^ seed, K1) ^ self.1, K2)
    }
    #[inline]
    fn word(&self) -> u64 {
        self.1
    }
}

/// Fingerprints are keyed-PRF outputs: their first word is already uniform
/// and unpredictable without the index's key.
impl TableKey for Fp {
    #[inline]
    fn hash(&self, _seed: u64) -> u64 {
        self.0
    }
    #[inline]
    fn word(&self) -> u64 {
        self.0
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Table<K, V> {
    slots: Vec<(K, V)>,
    len: usize,
    seed: u64,
}

const MIN_CAP: usize = 16;

/// Maximum load (7/8) and the load right after growing (≈ 0.7): with Robin
/// Hood ordering, probes for absent keys still stop after a slot or two.
#[inline]
fn over_max_load(len: usize, cap: usize) -> bool {
    len * 8 > cap * 7
}

fn grown_capacity(len: usize) -> usize {
    (len + len / 2 - len / 14).max(MIN_CAP) // ≈ len / 0.7
}

impl<K: TableKey + Default, V: Vacancy> Table<K, V> {
    pub(crate) fn new(seed: u64) -> Self {
        Table {
            slots: Vec::new(),
            len: 0,
            seed,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Home slot of a hash (multiply-shift range reduction: any capacity).
    #[inline]
    fn home_of(&self, h: u64) -> usize {
        ((h as u128 * self.slots.len() as u128) >> 64) as usize
    }

    #[inline]
    fn home(&self, k: &K) -> usize {
        self.home_of(k.hash(self.seed))
    }

    #[inline]
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.slots.len() {
            0
        } else {
            i + 1
        }
    }

    /// Distance of slot `i` from `home`, cyclically.
    #[inline]
    fn dist(&self, i: usize, home: usize) -> usize {
        if i >= home {
            i - home
        } else {
            i + self.slots.len() - home
        }
    }

    /// Index of `k`'s slot, if present. Robin Hood order: the search stops
    /// at a vacant slot or at an entry closer to its home than `k` would be.
    #[inline]
    fn find(&self, k: &K) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mut i = self.home(k);
        let mut d = 0;
        loop {
            let (sk, sv) = &self.slots[i];
            if sv.is_vacant() {
                return None;
            }
            if sk == k {
                return Some(i);
            }
            if self.dist(i, self.home(sk)) < d {
                return None;
            }
            i = self.next(i);
            d += 1;
        }
    }

    /// Loads the home slot of `k` and returns a word of it. Calling this for
    /// several keys before probing them overlaps their cache misses.
    #[inline]
    pub(crate) fn touch(&self, k: &K) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        self.slots[self.home(k)].0.word()
    }

    #[inline]
    pub(crate) fn get(&self, k: &K) -> Option<V> {
        self.find(k).map(|i| self.slots[i].1)
    }

    pub(crate) fn contains_key(&self, k: &K) -> bool {
        self.find(k).is_some()
    }

    /// Mutable access to the value of `k`. The caller must not store the
    /// vacant value through it (use [`Table::remove`]).
    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k).map(move |i| &mut self.slots[i].1)
    }

    /// The value of `k`, inserting `init()` first when absent; `init` must
    /// not return the vacant value. Returns (value, was_inserted).
    pub(crate) fn get_or_insert_with(&mut self, k: K, init: impl FnOnce() -> V) -> (&mut V, bool) {
        if let Some(i) = self.find(&k) {
            return (&mut self.slots[i].1, false);
        }
        if self.slots.is_empty() || over_max_load(self.len + 1, self.slots.len()) {
            self.resize(grown_capacity(self.len + 1));
        }
        let i = self.place(k, init());
        self.len += 1;
        (&mut self.slots[i].1, true)
    }

    /// Robin Hood insertion of an absent key; returns its slot.
    fn place(&mut self, k: K, v: V) -> usize {
        let mut cur = (k, v);
        let mut i = self.home(&k);
        let mut d = 0;
        let mut mine = None;
        loop {
            if self.slots[i].1.is_vacant() {
                self.slots[i] = cur;
                return mine.unwrap_or(i);
            }
            let sd = self.dist(i, self.home(&self.slots[i].0));
            if sd < d {
                std::mem::swap(&mut cur, &mut self.slots[i]);
                mine.get_or_insert(i);
                d = sd;
            }
            i = self.next(i);
            d += 1;
        }
    }

    /// Removes `k`, returning its value.
    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        let mut hole = self.find(k)?;
        let v = self.slots[hole].1;
        // Backward shift: pull the rest of the cluster one slot closer to
        // home, up to a vacant slot or an entry already at home.
        let mut j = self.next(hole);
        while !self.slots[j].1.is_vacant() && self.dist(j, self.home(&self.slots[j].0)) > 0 {
            self.slots[hole] = self.slots[j];
            hole = j;
            j = self.next(j);
        }
        self.slots[hole] = (K::default(), V::VACANT);
        self.len -= 1;
        if self.slots.len() > 1024 && self.len * 4 < self.slots.len() {
            self.resize(grown_capacity(self.len));
        }
        Some(v)
    }

    fn resize(&mut self, cap: usize) {
        let old = std::mem::replace(
            &mut self.slots,
            vec![(K::default(), V::VACANT); cap.max(MIN_CAP)],
        );
        for (k, v) in old {
            if !v.is_vacant() {
                self.place(k, v);
            }
        }
    }

    /// Stored keys (arbitrary order).
    pub(crate) fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.slots
            .iter()
            .filter(|(_, v)| !v.is_vacant())
            .map(|(k, _)| *k)
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(K, V)>()
    }
}

/// Posting handles: `EMPTY` (`u64::MAX`) is never stored.
impl Vacancy for u64 {
    const VACANT: u64 = crate::postings::EMPTY;
    #[inline]
    fn is_vacant(&self) -> bool {
        *self == crate::postings::EMPTY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_map() {
        let mut t = Table::<u32, u64>::new(7);
        let mut m = std::collections::HashMap::new();
        let mut s = 1u64;
        for step in 0..200_000u64 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            // Small key space so that inserts, hits and removals interleave
            // and clusters form.
            let k = (s % 5000) as u32 * 65536;
            match s % 3 {
                0 | 1 => {
                    let (v, new) = t.get_or_insert_with(k, || step);
                    assert_eq!(new, !m.contains_key(&k));
                    *v = step;
                    m.insert(k, step);
                }
                _ => assert_eq!(t.remove(&k), m.remove(&k)),
            }
            if step % 10_000 == 0 {
                assert_eq!(t.len(), m.len());
                for (k, v) in &m {
                    assert_eq!(t.get(k), Some(*v));
                }
            }
        }
        for k in m.keys().copied().collect::<Vec<_>>() {
            assert_eq!(t.remove(&k), m.remove(&k));
        }
        assert!(t.is_empty());
        assert!(
            t.memory_bytes() <= 4096 * 16,
            "shrinks: {}",
            t.memory_bytes()
        );
        assert_eq!(t.get(&1), None);
        assert_eq!(t.touch(&1), 0);
    }
}
