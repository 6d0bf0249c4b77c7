//! Fuzz-ish robustness: truncations and corruptions of valid keys must never panic.
//!
//! `inspect_public_key` catches panics from rPGP as a last line of defence, so this test installs
//! a panic hook that counts panics anywhere in the process: a caught panic still fails the test.
//! It lives in its own test binary so that the hook sees nothing but these inputs.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use atalaya_openpgp::{inspect_public_key, KeyError};
use common::{dearmor, fixture};
use time::OffsetDateTime;

/// Small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn truncations_and_corruptions_never_panic() {
    let panics = Arc::new(AtomicUsize::new(0));
    let counter = panics.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counter.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));

    let now = OffsetDateTime::now_utc();
    let mut checked = 0usize;
    let mut check = |input: &[u8]| {
        if let Err(e) = inspect_public_key(input, now) {
            let text = e.to_string();
            assert!(!text.contains('\n'), "multi-line error: {text:?}");
        }
        checked += 1;
    };

    let armored = [
        fixture("ed25519.asc"),
        fixture("rsa3072.asc"),
        fixture("certified.asc"),
        fixture("revoked.asc"),
        fixture("secret.asc"),
    ];
    let binary: Vec<Vec<u8>> = armored.iter().map(|a| dearmor(a)).collect();

    // Every truncation of every armored and binary key.
    for key in armored.iter().chain(binary.iter()) {
        for len in 0..key.len() {
            check(&key[..len]);
        }
        check(key);
    }

    // Every single-byte change of the binary ed25519 key, to a few values.
    let ed = &binary[0];
    for pos in 0..ed.len() {
        for value in [0x00, 0xff, ed[pos] ^ 0x01, ed[pos] ^ 0x80] {
            let mut corrupted = ed.clone();
            corrupted[pos] = value;
            check(&corrupted);
        }
    }

    // Random multi-byte corruptions, splices and garbage.
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..3000 {
        let source = &binary[rng.below(binary.len())];
        let mut data = source.clone();
        match round % 3 {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(data.len());
                    data[i] = rng.next() as u8;
                }
            }
            1 => {
                let other = &binary[rng.below(binary.len())];
                let cut = rng.below(data.len());
                let from = rng.below(other.len());
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            _ => {
                let len = rng.below(600);
                data = (0..len).map(|_| rng.next() as u8).collect();
                if !data.is_empty() {
                    data[0] |= 0x80; // look like a packet header
                }
            }
        }
        check(&data);
    }

    // Armor with corrupted base64 characters.
    let text = &armored[0];
    for pos in (0..text.len()).step_by(3) {
        let mut corrupted = text.clone();
        corrupted[pos] = b"A+/=\n-!"[pos % 7];
        check(&corrupted);
    }

    // A large but under-limit garbage input is rejected quickly as Malformed.
    let mut rng = Rng(42);
    let mut big: Vec<u8> = (0..1024 * 1024).map(|_| rng.next() as u8).collect();
    big[0] = 0x99;
    assert!(matches!(
        inspect_public_key(&big, now),
        Err(KeyError::Malformed(_))
    ));

    let _ = std::panic::take_hook();
    assert_eq!(
        panics.load(Ordering::SeqCst),
        0,
        "panics observed over {checked} inputs"
    );
    assert!(checked > 10_000, "only {checked} inputs checked");
}
