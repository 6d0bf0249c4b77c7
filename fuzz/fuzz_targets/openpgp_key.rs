//! OpenPGP public keys as contacts upload them (armored or binary): inspected or refused with a
//! reason, never a panic or a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = time::OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("time");
    let _ = atalaya_openpgp::inspect_public_key(data, now);
});
