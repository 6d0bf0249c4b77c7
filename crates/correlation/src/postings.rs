//! Posting lists: the set of object seqs that contain one value.
//!
//! A posting list is referred to by a one-word [`Handle`] stored as the value
//! of the index's hash maps:
//!
//! * `EMPTY` (`u64::MAX`): no postings;
//! * top bit clear: exactly one posting, the seq itself, stored inline (no
//!   allocation — the common case for most indicator values);
//! * top bit set: index of a [`Slot`] in the [`Arena`], holding either a
//!   sorted `Vec<u64>` of seqs or, once the list grew past the frequent
//!   threshold, a [`Frequent`] summary (count + the most recent seqs).
//!
//! Seqs with the top bit set cannot be inlined and always live in a slot.

pub(crate) type Handle = u64;

pub(crate) const EMPTY: Handle = u64::MAX;
const TAG: u64 = 1 << 63;

/// Number of most recent seqs kept for a frequent value.
pub const FREQUENT_SAMPLE: usize = 16;

#[derive(Debug, Clone)]
pub(crate) struct Frequent {
    /// Number of postings (pairs inserted minus pairs removed).
    pub count: u64,
    /// Highest (most recent) seqs seen, ascending; at most `FREQUENT_SAMPLE`.
    pub recent: Vec<u64>,
}

#[derive(Debug)]
enum Slot {
    Free,
    Many(Vec<u64>),
    Frequent(Box<Frequent>),
}

/// Read-only view of a posting list.
pub(crate) enum View<'a> {
    Empty,
    One(u64),
    Many(&'a [u64]),
    Frequent(&'a Frequent),
}

impl View<'_> {
    pub(crate) fn count(&self) -> u64 {
        match self {
            View::Empty => 0,
            View::One(_) => 1,
            View::Many(v) => v.len() as u64,
            View::Frequent(f) => f.count,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Arena {
    slots: Vec<Slot>,
    free: Vec<usize>,
}

impl Arena {
    fn alloc(&mut self, slot: Slot) -> Handle {
        if let Some(i) = self.free.pop() {
            self.slots[i] = slot;
            TAG | i as u64
        } else {
            self.slots.push(slot);
            TAG | (self.slots.len() - 1) as u64
        }
    }

    fn release(&mut self, i: usize) {
        self.slots[i] = Slot::Free;
        self.free.push(i);
    }

    #[inline]
    pub(crate) fn view(&self, h: Handle) -> View<'_> {
        if h == EMPTY {
            View::Empty
        } else if h & TAG == 0 {
            View::One(h)
        } else {
            match self.slots.get((h & !TAG) as usize) {
                Some(Slot::Many(v)) => View::Many(v),
                Some(Slot::Frequent(f)) => View::Frequent(f),
                _ => View::Empty,
            }
        }
    }

    /// Loads the slots of `hs` (then the first seq of each list) and
    /// returns a word of them: issuing these independent loads together
    /// overlaps their cache misses before the lists are read one by one.
    pub(crate) fn touch(&self, hs: impl Iterator<Item = Handle> + Clone) -> u64 {
        let mut acc = 0u64;
        let slot = |h: Handle| {
            if h != EMPTY && h & TAG != 0 {
                self.slots.get((h & !TAG) as usize)
            } else {
                None
            }
        };
        for h in hs.clone() {
            if let Some(Slot::Frequent(_)) | Some(Slot::Free) = slot(h) {
                acc = acc.wrapping_add(1);
            }
        }
        for h in hs {
            if let Some(Slot::Many(v)) = slot(h) {
                acc ^= v.first().copied().unwrap_or(0);
            }
        }
        acc
    }

    #[inline]
    pub(crate) fn count(&self, h: Handle) -> u64 {
        self.view(h).count()
    }

    fn single(&mut self, seq: u64) -> Handle {
        if seq & TAG == 0 {
            seq
        } else {
            self.alloc(Slot::Many(vec![seq]))
        }
    }

    /// Adds `seq`; returns the new handle and whether a posting was added
    /// (false when the pair was already present).
    pub(crate) fn add(&mut self, h: Handle, seq: u64, threshold: usize) -> (Handle, bool) {
        let (h, added) = if h == EMPTY {
            (self.single(seq), true)
        } else if h & TAG == 0 {
            if h == seq {
                return (h, false);
            }
            let v = if h < seq { vec![h, seq] } else { vec![seq, h] };
            (self.alloc(Slot::Many(v)), true)
        } else {
            let i = (h & !TAG) as usize;
            match &mut self.slots[i] {
                Slot::Many(v) => {
                    match v.last() {
                        Some(&last) if last < seq => v.push(seq),
                        _ => match v.binary_search(&seq) {
                            Ok(_) => return (h, false),
                            Err(pos) => v.insert(pos, seq),
                        },
                    }
                    (h, true)
                }
                Slot::Frequent(f) => return (h, frequent_add(f, seq)),
                Slot::Free => (self.single(seq), true),
            }
        };
        if added && self.count(h) > threshold as u64 {
            return (self.summarise(h), true);
        }
        (h, added)
    }

    /// Converts a list into a frequent summary.
    fn summarise(&mut self, h: Handle) -> Handle {
        let seqs: Vec<u64> = match self.view(h) {
            View::Empty => return h,
            View::Frequent(_) => return h,
            View::One(s) => vec![s],
            View::Many(v) => v.to_vec(),
        };
        let count = seqs.len() as u64;
        let recent = seqs[seqs.len().saturating_sub(FREQUENT_SAMPLE)..].to_vec();
        let f = Box::new(Frequent { count, recent });
        if h & TAG != 0 {
            let i = (h & !TAG) as usize;
            self.slots[i] = Slot::Frequent(f);
            h
        } else {
            self.alloc(Slot::Frequent(f))
        }
    }

    /// Removes `seq`; returns the new handle and whether a posting was
    /// removed. For a frequent value the seq cannot be verified (only a count
    /// is kept), so the count is decremented whenever it is positive.
    pub(crate) fn remove(&mut self, h: Handle, seq: u64) -> (Handle, bool) {
        if h == EMPTY {
            return (h, false);
        }
        if h & TAG == 0 {
            return if h == seq { (EMPTY, true) } else { (h, false) };
        }
        let i = (h & !TAG) as usize;
        match &mut self.slots[i] {
            Slot::Free => (EMPTY, false),
            Slot::Many(v) => {
                let Ok(pos) = v.binary_search(&seq) else {
                    return (h, false);
                };
                v.remove(pos);
                match v.len() {
                    0 => {
                        self.release(i);
                        (EMPTY, true)
                    }
                    1 if v[0] & TAG == 0 => {
                        let s = v[0];
                        self.release(i);
                        (s, true)
                    }
                    n => {
                        if n * 4 < v.capacity() && v.capacity() > 8 {
                            v.shrink_to(n * 2);
                        }
                        (h, true)
                    }
                }
            }
            Slot::Frequent(f) => {
                if f.count == 0 {
                    return (h, false);
                }
                if let Ok(pos) = f.recent.binary_search(&seq) {
                    f.recent.remove(pos);
                }
                f.count -= 1;
                if f.count == 0 {
                    self.release(i);
                    return (EMPTY, true);
                }
                (h, true)
            }
        }
    }

    /// Heap bytes used by the arena (estimate: capacities, not allocator
    /// overhead).
    pub(crate) fn memory_bytes(&self) -> usize {
        let mut n = self.slots.capacity() * std::mem::size_of::<Slot>() + self.free.capacity() * 8;
        for s in &self.slots {
            match s {
                Slot::Free => {}
                Slot::Many(v) => n += v.capacity() * 8,
                Slot::Frequent(f) => n += std::mem::size_of::<Frequent>() + f.recent.capacity() * 8,
            }
        }
        n
    }
}

fn frequent_add(f: &mut Frequent, seq: u64) -> bool {
    match f.recent.binary_search(&seq) {
        Ok(_) => false,
        Err(pos) => {
            f.count += 1;
            if f.recent.len() < FREQUENT_SAMPLE {
                f.recent.insert(pos, seq);
            } else if pos > 0 {
                // Newer than the oldest sampled seq: drop the oldest.
                f.recent.remove(0);
                f.recent.insert(pos - 1, seq);
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(a: &Arena, h: Handle) -> Vec<u64> {
        match a.view(h) {
            View::Empty => vec![],
            View::One(s) => vec![s],
            View::Many(v) => v.to_vec(),
            View::Frequent(f) => f.recent.clone(),
        }
    }

    #[test]
    fn inline_then_list_then_back() {
        let mut a = Arena::default();
        let (h, added) = a.add(EMPTY, 7, 100);
        assert!(added);
        assert_eq!(h, 7, "one posting is inline");
        assert!(!a.add(h, 7, 100).1);
        let (h, _) = a.add(h, 3, 100);
        let (h, _) = a.add(h, 5, 100);
        assert_eq!(seqs(&a, h), vec![3, 5, 7]);
        let (h, r) = a.remove(h, 5);
        assert!(r);
        assert!(!a.remove(h, 5).1);
        let (h, _) = a.remove(h, 7);
        assert_eq!(h, 3, "back to inline");
        assert_eq!(a.free.len(), 1);
        let (h, _) = a.remove(h, 3);
        assert_eq!(h, EMPTY);
    }

    #[test]
    fn huge_seqs_are_not_inlined() {
        let mut a = Arena::default();
        let big = u64::MAX - 1;
        let (h, _) = a.add(EMPTY, big, 100);
        assert_ne!(h, big);
        assert_eq!(seqs(&a, h), vec![big]);
        let (h, _) = a.add(h, 1, 100);
        let (h, _) = a.remove(h, 1);
        assert_eq!(seqs(&a, h), vec![big]);
        let (h, r) = a.remove(h, big);
        assert!(r);
        assert_eq!(h, EMPTY);
        let (h, _) = a.add(EMPTY, u64::MAX, 100);
        assert_eq!(a.count(h), 1);
    }

    #[test]
    fn summarised_past_threshold() {
        let mut a = Arena::default();
        let mut h = EMPTY;
        for s in 1..=5 {
            h = a.add(h, s, 4).0;
        }
        let View::Frequent(f) = a.view(h) else {
            panic!("not frequent")
        };
        assert_eq!(f.count, 5);
        for s in 6..=100 {
            h = a.add(h, s, 4).0;
        }
        assert_eq!(a.count(h), 100);
        assert_eq!(seqs(&a, h), (85..=100).collect::<Vec<_>>());
        // Re-adding a sampled seq is idempotent; an old unsampled one counts.
        assert!(!a.add(h, 100, 4).1);
        assert!(a.add(h, 2, 4).1);
        assert_eq!(a.count(h), 101);
        assert!(a.remove(h, 100).1);
        assert_eq!(a.count(h), 100);
        assert_eq!(seqs(&a, h).len(), FREQUENT_SAMPLE - 1);
        assert!(a.memory_bytes() < 1024);
    }

    #[test]
    fn threshold_zero_summarises_immediately() {
        let mut a = Arena::default();
        let (h, _) = a.add(EMPTY, 1, 0);
        assert!(matches!(a.view(h), View::Frequent(_)));
        let (h, _) = a.remove(h, 1);
        assert_eq!(h, EMPTY);
    }
}
