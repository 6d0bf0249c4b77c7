//! Hashing primitives, all std-only.
//!
//! * [`Fingerprinter`]: keyed SipHash-1-3 with the 128-bit output mode of the
//!   reference design. Keys are random per index (taken from std's
//!   `RandomState`), so an adversary who does not know them cannot construct
//!   two values with the same fingerprint; the collision probability for `n`
//!   stored values is about `n² / 2¹²⁹` (≈ 1.5·10⁻²⁵ for 10⁷ values), which the
//!   index treats as zero: values that are only reachable through their
//!   fingerprint are not stored in full.
//!
//! Integer keys (IP networks) are hashed by the table itself (seeded folded
//! multiply, see `table.rs`).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// A 128-bit fingerprint of a canonical value encoding. 8-byte aligned so that
/// a `(Fp, u64)` hash-map entry is 24 bytes (a `u128` would be 16-aligned).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub(crate) struct Fp(pub u64, pub u64);

/// Three random 64-bit words from std's randomly keyed `RandomState`.
pub(crate) fn random_seeds() -> [u64; 3] {
    let rs = RandomState::new();
    [
        rs.hash_one(0x5eed_0000_u64),
        rs.hash_one(0x5eed_0001_u64),
        rs.hash_one(0x5eed_0002_u64),
    ]
}

/// Keyed SipHash-c-d with 128-bit output.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fingerprinter {
    k0: u64,
    k1: u64,
}

#[inline(always)]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13);
    v[1] ^= v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16);
    v[3] ^= v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21);
    v[3] ^= v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17);
    v[1] ^= v[2];
    v[2] = v[2].rotate_left(32);
}

/// Streaming SipHash state over a message given as several byte slices
/// (concatenated), so callers can prepend a tag without allocating.
struct SipState<const C: usize, const D: usize> {
    v: [u64; 4],
    buf: u64,
    nbuf: usize,
    total: usize,
}

impl<const C: usize, const D: usize> SipState<C, D> {
    #[inline]
    fn new(k0: u64, k1: u64) -> Self {
        SipState {
            v: [
                k0 ^ 0x736f_6d65_7073_6575,
                k1 ^ 0x646f_7261_6e64_6f6d ^ 0xee,
                k0 ^ 0x6c79_6765_6e65_7261,
                k1 ^ 0x7465_6462_7974_6573,
            ],
            buf: 0,
            nbuf: 0,
            total: 0,
        }
    }

    #[inline(always)]
    fn block(&mut self, m: u64) {
        self.v[3] ^= m;
        for _ in 0..C {
            sip_round(&mut self.v);
        }
        self.v[0] ^= m;
    }

    #[inline]
    fn write(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len());
        // Fill a partially filled buffer first.
        while self.nbuf != 0 && !data.is_empty() {
            self.buf |= (data[0] as u64) << (8 * self.nbuf);
            self.nbuf += 1;
            data = &data[1..];
            if self.nbuf == 8 {
                let m = self.buf;
                self.block(m);
                self.buf = 0;
                self.nbuf = 0;
            }
        }
        if data.is_empty() {
            return;
        }
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.block(u64::from_le_bytes(b));
        }
        for (i, &byte) in chunks.remainder().iter().enumerate() {
            self.buf |= (byte as u64) << (8 * i);
        }
        self.nbuf = chunks.remainder().len();
    }

    #[inline]
    fn finish128(mut self) -> (u64, u64) {
        let b = self.buf | ((self.total as u64 & 0xff) << 56);
        self.block(b);
        self.v[2] ^= 0xee;
        for _ in 0..D {
            sip_round(&mut self.v);
        }
        let lo = self.v[0] ^ self.v[1] ^ self.v[2] ^ self.v[3];
        self.v[1] ^= 0xdd;
        for _ in 0..D {
            sip_round(&mut self.v);
        }
        let hi = self.v[0] ^ self.v[1] ^ self.v[2] ^ self.v[3];
        (lo, hi)
    }
}

impl Fingerprinter {
    pub(crate) fn new(k0: u64, k1: u64) -> Self {
        Fingerprinter { k0, k1 }
    }

    /// Fingerprint of `tag ‖ parts[0] ‖ parts[1] ‖ …`, the tag being one
    /// little-endian 64-bit word (so the parts start block-aligned and are
    /// hashed straight from their slices). Callers make the encoding
    /// unambiguous.
    #[inline]
    pub(crate) fn fp(&self, tag: u64, parts: &[&[u8]]) -> Fp {
        let mut s = SipState::<1, 3>::new(self.k0, self.k1);
        s.block(tag);
        s.total = 8;
        for p in parts {
            s.write(p);
        }
        let (lo, hi) = s.finish128();
        Fp(lo, hi)
    }
}

#[cfg(test)]
pub(crate) fn siphash24_128(k0: u64, k1: u64, data: &[u8]) -> [u8; 16] {
    let mut s = SipState::<2, 4>::new(k0, k1);
    // Split the input to exercise the streaming path.
    let mid = data.len() / 3;
    s.write(&data[..mid]);
    s.write(&data[mid..]);
    let (lo, hi) = s.finish128();
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&lo.to_le_bytes());
    out[8..].copy_from_slice(&hi.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex16(s: &str) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// Reference vectors `vectors_sip128` (SipHash-2-4, 128-bit output, key
    /// 00..0f, message 00..len-1) from the SipHash reference implementation.
    #[test]
    fn siphash_128_reference_vectors() {
        let k0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        let k1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
        let msg: Vec<u8> = (0u8..64).collect();
        let cases = [
            (0, "a3817f04ba25a8e66df67214c7550293"),
            (1, "da87c1d86b99af44347659119b22fc45"),
            (2, "8177228da4a45dc7fca38bdef60affe4"),
            (7, "a1f1ebbed8dbc153c0b84aa61ff08239"),
            (8, "3b62a9ba6258f5610f83e264f31497b4"),
            (9, "264499060ad9baabc47f8b02bb6d71ed"),
            (15, "5493e99933b0a8117e08ec0f97cfc3d9"),
            (16, "6ee2a4ca67b054bbfd3315bf85230577"),
            (63, "5150d1772f50834a503e069a973fbd7c"),
        ];
        for (len, want) in cases {
            assert_eq!(siphash24_128(k0, k1, &msg[..len]), hex16(want), "len {len}");
        }
    }

    #[test]
    fn fingerprint_depends_on_tag_key_and_data() {
        let f = Fingerprinter::new(1, 2);
        let g = Fingerprinter::new(1, 3);
        assert_eq!(f.fp(1, &[b"abc"]), f.fp(1, &[b"a", b"bc"]));
        assert_ne!(f.fp(1, &[b"abc"]), f.fp(2, &[b"abc"]));
        assert_ne!(f.fp(1, &[b"abc"]), g.fp(1, &[b"abc"]));
        assert_ne!(f.fp(1, &[b"abc"]), f.fp(1, &[b"abd"]));
        // Splitting the message differently gives the same fingerprint.
        let long: Vec<u8> = (0..500u32).map(|i| (i * 7) as u8).collect();
        for cut in [0, 1, 7, 8, 9, 123, 499, 500] {
            assert_eq!(
                f.fp(1, &[&long]),
                f.fp(1, &[&long[..cut], &long[cut..]]),
                "{cut}"
            );
        }
        assert_ne!(f.fp(1, &[&long]), f.fp(1, &[&long[..499]]));
    }
}
