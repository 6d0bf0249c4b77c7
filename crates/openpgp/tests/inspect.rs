//! Behaviour of `inspect_public_key` on real GnuPG-made keys (see `fixtures/generate.sh`).

mod common;

use atalaya_openpgp::{inspect_public_key, KeyError, KeyInfo, MAX_KEY_SIZE};
use common::{date, dearmor, fixture, gpg_record};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn ok(name: &str, now: OffsetDateTime) -> KeyInfo {
    inspect_public_key(&fixture(name), now).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn err(input: &[u8], now: OffsetDateTime) -> KeyError {
    match inspect_public_key(input, now) {
        Ok(info) => panic!("accepted {}", info.fingerprint),
        Err(e) => {
            let text = e.to_string();
            assert!(
                !text.contains('\n') && !text.contains('\r'),
                "multi-line: {text:?}"
            );
            assert!(!text.is_empty());
            e
        }
    }
}

fn assert_matches_gpg(info: &KeyInfo, name: &str) {
    assert_identity_matches_gpg(info, name);
    assert_eq!(
        info.can_encrypt,
        gpg_record(name).can_encrypt(),
        "{name}: can_encrypt"
    );
}

/// Everything but capabilities, which gpg evaluates at the time it ran.
fn assert_identity_matches_gpg(info: &KeyInfo, name: &str) {
    let gpg = gpg_record(name);
    assert_eq!(info.fingerprint, gpg.fingerprint, "{name}: fingerprint");
    assert_eq!(info.fingerprint.len(), 40);
    assert_eq!(info.key_id, gpg.key_id, "{name}: key id");
    assert_eq!(
        info.key_id,
        info.fingerprint[24..],
        "{name}: key id is the fingerprint's tail"
    );
    assert_eq!(info.user_ids, gpg.user_ids, "{name}: user ids");
    assert_eq!(info.created_at, gpg.created, "{name}: created");
    assert_eq!(info.expires_at, gpg.expires, "{name}: expires");
}

#[test]
fn ed25519_key_matches_gpg() {
    let info = ok("ed25519.asc", now());
    assert_matches_gpg(&info, "ed25519");
    assert_eq!(info.user_ids, vec!["Test <test@example.org>".to_string()]);
    assert_eq!(info.algorithm, "EdDSA");
    assert!(info.can_encrypt, "cv25519 subkey");
    assert_eq!(info.expires_at, None);
    assert!(info
        .armored
        .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    assert!(info
        .armored
        .trim_end()
        .ends_with("-----END PGP PUBLIC KEY BLOCK-----"));
}

#[test]
fn normalised_armor_round_trips() {
    let info = ok("ed25519.asc", now());
    let again = inspect_public_key(info.armored.as_bytes(), now()).expect("re-armored key parses");
    assert_eq!(again, info);
}

#[test]
fn binary_key_is_accepted() {
    let binary = ok("ed25519.gpg", now());
    let armored = ok("ed25519.asc", now());
    assert_eq!(binary, armored);
}

#[test]
fn crlf_and_surrounding_text_are_tolerated() {
    let text = String::from_utf8(fixture("ed25519.asc")).expect("ascii");
    let crlf = text.replace('\n', "\r\n");
    let pasted = format!("  \nHere is my key:\n{text}\nThanks!\n");
    let reference = ok("ed25519.asc", now());
    for input in [crlf, pasted] {
        let info = inspect_public_key(input.as_bytes(), now()).expect("accepted");
        assert_eq!(info.fingerprint, reference.fingerprint);
    }
}

#[test]
fn rsa3072_key_matches_gpg() {
    let info = ok("rsa3072.asc", now());
    assert_matches_gpg(&info, "rsa3072");
    assert_eq!(info.algorithm, "RSA 3072");
    assert_eq!(
        info.user_ids,
        vec!["RSA Test <rsa@example.org>".to_string()]
    );
    assert!(info.can_encrypt, "RSA encryption subkey");
}

#[test]
fn signing_only_key_cannot_encrypt() {
    let info = ok("signonly.asc", now());
    assert_matches_gpg(&info, "signonly");
    assert!(!info.can_encrypt);
    assert_eq!(info.algorithm, "EdDSA");
}

#[test]
fn third_party_certifications_are_accepted_and_dropped() {
    let certified = ok("certified.asc", now());
    assert_matches_gpg(&certified, "certified");
    let plain = ok("ed25519.asc", now());
    assert_eq!(certified.fingerprint, plain.fingerprint);
    // Only self-signatures are kept, so both normalise to the same armor.
    assert_eq!(certified.armored, plain.armored);
    assert!(fixture("certified.asc").len() > fixture("ed25519.asc").len());
}

#[test]
fn key_is_valid_before_its_expiry() {
    let gpg = gpg_record("expired");
    let expiry = gpg.expires.expect("gpg reports an expiry");
    assert_eq!(
        expiry.year(),
        2020,
        "created 2020-01-01 with a one-year lifetime"
    );

    let info = ok("expired.asc", date(2020, 6, 1));
    assert_identity_matches_gpg(&info, "expired");
    assert_eq!(info.expires_at, Some(expiry));
    // gpg listed it after expiry (no usable capability); in mid-2020 its cv25519 subkey was valid.
    assert!(!gpg.can_encrypt());
    assert!(info.can_encrypt);

    let just_before = expiry - time::Duration::seconds(1);
    assert!(inspect_public_key(&fixture("expired.asc"), just_before).is_ok());
}

#[test]
fn key_is_rejected_at_and_after_its_expiry() {
    let gpg = gpg_record("expired");
    let expiry = gpg.expires.expect("gpg reports an expiry");
    for when in [expiry, date(2021, 6, 1), now()] {
        match err(&fixture("expired.asc"), when) {
            KeyError::Expired {
                fingerprint,
                expired,
            } => {
                assert_eq!(fingerprint, gpg.fingerprint);
                assert_eq!(expired, expiry.format(&Rfc3339).expect("format"));
                assert_eq!(
                    OffsetDateTime::parse(&expired, &Rfc3339).expect("RFC 3339"),
                    expiry
                );
            }
            other => panic!("expected Expired, got {other:?}"),
        }
    }
    let message = err(&fixture("expired.asc"), now()).to_string();
    assert!(
        message.starts_with(&format!("key {} expired on 2020-", gpg.fingerprint)),
        "{message}"
    );
}

#[test]
fn revoked_key_is_rejected() {
    let gpg = gpg_record("revoked");
    assert!(
        gpg.capabilities.chars().all(|c| !c.is_ascii_uppercase()),
        "gpg sees it revoked"
    );
    match err(&fixture("revoked.asc"), now()) {
        KeyError::Revoked { fingerprint } => assert_eq!(fingerprint, gpg.fingerprint),
        other => panic!("expected Revoked, got {other:?}"),
    }
}

#[test]
fn secret_key_is_rejected() {
    assert!(matches!(
        err(&fixture("secret.asc"), now()),
        KeyError::SecretKey
    ));
    // Same packets without the PRIVATE KEY armor label: caught at the packet level.
    let binary = dearmor(&fixture("secret.asc"));
    assert!(matches!(err(&binary, now()), KeyError::SecretKey));
    let relabelled = String::from_utf8(fixture("secret.asc"))
        .expect("ascii")
        .replace("PRIVATE KEY BLOCK", "PUBLIC KEY BLOCK");
    assert!(matches!(
        err(relabelled.as_bytes(), now()),
        KeyError::SecretKey
    ));
    assert_eq!(
        KeyError::SecretKey.to_string(),
        "contains a secret key; paste the public key only"
    );
}

#[test]
fn tampered_user_id_fails_signature_check() {
    let mut binary = fixture("ed25519.gpg");
    let uid = b"Test <test@example.org>";
    let at = binary
        .windows(uid.len())
        .position(|w| w == uid)
        .expect("user id in the binary key");
    binary[at + 3] = b'x'; // "Tesx <...>", same length
    assert!(matches!(err(&binary, now()), KeyError::BadSignature));
}

#[test]
fn tampered_subkey_fails_signature_check() {
    let reference = ok("ed25519.gpg", now());
    let mut binary = fixture("ed25519.gpg");
    // The last bytes of the subkey packet are its public key material; flip one in the middle of
    // the cv25519 point. The subkey packet is the one before the final signature; find it by its
    // curve OID (1.3.6.1.4.1.3029.1.5.1).
    let oid = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01];
    let at = binary
        .windows(oid.len())
        .position(|w| w == oid)
        .expect("cv25519 oid");
    binary[at + oid.len() + 10] ^= 0x01;
    match inspect_public_key(&binary, now()) {
        Err(KeyError::BadSignature) => {}
        other => panic!(
            "expected BadSignature, got {other:?} (reference {})",
            reference.fingerprint
        ),
    }
}

#[test]
fn broken_armor_is_rejected() {
    for name in ["truncated.asc", "garbled.asc"] {
        match err(&fixture(name), now()) {
            KeyError::Malformed(reason) => assert!(!reason.is_empty(), "{name}"),
            other => panic!("{name}: expected Malformed, got {other:?}"),
        }
    }
    let e = err(&fixture("garbled.asc"), now()).to_string();
    assert!(e.starts_with("not an OpenPGP public key: "), "{e}");
}

#[test]
fn garbage_is_rejected() {
    let cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"   \n\t ".to_vec(),
        b"hello world".to_vec(),
        b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG user@host".to_vec(),
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----\n"
            .to_vec(),
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n".to_vec(),
        b"-----BEGIN PGP MESSAGE-----\n\nwcBMA0\n-----END PGP MESSAGE-----\n".to_vec(),
        b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n".to_vec(),
        vec![0xff; 64],
        vec![0x99, 0xff, 0xff],
        vec![0xc6, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00],
        vec![0x00; 1000],
        (0..=255u8).collect(),
    ];
    for case in cases {
        assert!(
            matches!(err(&case, now()), KeyError::Malformed(_)),
            "{:?}",
            String::from_utf8_lossy(&case)
        );
    }
}

#[test]
fn non_key_armor_is_named() {
    let msg = b"-----BEGIN PGP SIGNATURE-----\n\nwsBzBAABCAAnBYJ\n-----END PGP SIGNATURE-----\n";
    let e = err(msg, now()).to_string();
    assert!(e.contains("PGP SIGNATURE"), "{e}");
}

#[test]
fn oversized_input_is_rejected() {
    let mut big = fixture("ed25519.asc");
    big.resize(MAX_KEY_SIZE + 1, b'\n');
    match err(&big, now()) {
        KeyError::Malformed(reason) => assert_eq!(reason, "key is larger than 1 MiB"),
        other => panic!("expected Malformed, got {other:?}"),
    }
    // Exactly at the limit is still parsed (trailing whitespace after the armor is ignored).
    let mut at_limit = fixture("ed25519.asc");
    at_limit.resize(MAX_KEY_SIZE, b'\n');
    assert!(inspect_public_key(&at_limit, now()).is_ok());
}

#[test]
fn two_keys_are_rejected() {
    let mut two = fixture("ed25519.gpg");
    two.extend(dearmor(&fixture("rsa3072.asc")));
    match err(&two, now()) {
        KeyError::Malformed(reason) => assert!(reason.contains("more than one key"), "{reason}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn error_messages_are_single_readable_lines() {
    let samples = [
        KeyError::Malformed("key is larger than 1 MiB".into()),
        KeyError::SecretKey,
        KeyError::Expired {
            fingerprint: "AB".into(),
            expired: "2021-01-01T00:00:00Z".into(),
        },
        KeyError::Revoked {
            fingerprint: "AB".into(),
        },
        KeyError::BadSignature,
    ];
    let texts: Vec<String> = samples.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "not an OpenPGP public key: key is larger than 1 MiB",
            "contains a secret key; paste the public key only",
            "key AB expired on 2021-01-01T00:00:00Z",
            "key AB is revoked",
            "the key's self-signatures do not verify",
        ]
    );
}

/// Binary ed25519 key with the user ID's self-signature repeated `extra` more times.
fn with_repeated_self_signature(extra: usize) -> Vec<u8> {
    let binary = fixture("ed25519.gpg");
    let uid = b"Test <test@example.org>";
    let uid_at = binary
        .windows(uid.len())
        .position(|w| w == uid)
        .expect("user id");
    let sig_start = uid_at + uid.len();
    assert_eq!(
        binary[sig_start], 0x88,
        "old-format signature packet, 1-byte length"
    );
    let sig_end = sig_start + 2 + usize::from(binary[sig_start + 1]);
    let mut out = binary[..sig_end].to_vec();
    for _ in 0..extra {
        out.extend_from_slice(&binary[sig_start..sig_end]);
    }
    out.extend_from_slice(&binary[sig_end..]);
    out
}

#[test]
fn number_of_verified_self_signatures_is_bounded() {
    // 999 user ID self-signatures + 1 subkey binding = 1000 verifications: accepted.
    let info = inspect_public_key(&with_repeated_self_signature(998), now()).expect("accepted");
    assert_eq!(info.fingerprint, ok("ed25519.asc", now()).fingerprint);
    match err(&with_repeated_self_signature(999), now()) {
        KeyError::Malformed(reason) => assert!(reason.contains("self-signatures"), "{reason}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn oversized_dsa_key_is_rejected_before_verification() {
    // v4 DSA public key with a 4096-bit p and a 256-bit q, followed by a user ID.
    let mut body = vec![4, 0, 0, 0, 1, 17];
    let mpi = |bits: u16, fill: u8| {
        let mut m = bits.to_be_bytes().to_vec();
        let len = usize::from(bits).div_ceil(8);
        m.push(0x80 | fill);
        m.extend(std::iter::repeat_n(fill, len - 1));
        m
    };
    body.extend(mpi(4096, 0x35));
    body.extend(mpi(256, 0x13));
    body.extend([0, 2, 2, 0, 2, 3]); // g = 2, y = 3
    let len = body.len() - 192;
    let mut key = vec![0xc6, 192 + (len >> 8) as u8, (len & 0xff) as u8];
    key.extend(body);
    key.extend([0xcd, 1, b'x']);
    match err(&key, now()) {
        KeyError::Malformed(reason) => assert!(reason.contains("DSA"), "{reason}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
}
