//! Federation input as a peer's node would send it: an envelope or an item, parsed, canonicalised
//! (RFC 8785) and verified against a key directory that knows every sender — forged input must be
//! rejected with an error, never a panic, and never accepted.
#![no_main]
use atalaya_federation::{canonical_json, verify_envelope, verify_item, Envelope, Item, KeyLookup, NodeId, PeerKey, ReplayGuard};
use libfuzzer_sys::fuzz_target;

struct EveryoneKnown;
impl KeyLookup for EveryoneKnown {
    fn lookup(&self, node: &NodeId) -> Option<PeerKey> {
        Some(PeerKey::active(node.clone()))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let _ = canonical_json(&value);
    let now = time::OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("time");
    if let Ok(env) = serde_json::from_value::<Envelope>(value.clone()) {
        let us = env.to.clone();
        let mut guard = ReplayGuard::new(16);
        // Random bytes cannot carry a valid Ed25519 signature of the sender's key.
        assert!(
            verify_envelope(&env, &us, &EveryoneKnown, now, time::Duration::days(36500), &mut guard).is_err(),
            "a fuzzed envelope verified"
        );
    }
    if let Ok(item) = serde_json::from_value::<Item>(value) {
        let _ = item.validate();
        assert!(verify_item(&item, &EveryoneKnown, now).is_err(), "a fuzzed item verified");
    }
});
