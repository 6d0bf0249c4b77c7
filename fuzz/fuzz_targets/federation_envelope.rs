//! Federation input as a peer's node would send it: an envelope or an item, parsed, canonicalised
//! (RFC 8785) and verified against a key directory that knows every sender: never a panic; only
//! genuinely signed input verifies, once, and the same input altered never does.
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
        if verify_envelope(&env, &us, &EveryoneKnown, now, time::Duration::days(36500), &mut guard).is_ok() {
            // Only a genuinely signed envelope (the seed test vectors) verifies: the same
            // envelope with its body changed must not, nor may it be accepted twice.
            assert!(verify_envelope(&env, &us, &EveryoneKnown, now, time::Duration::days(36500), &mut guard).is_err(), "replay accepted");
            let mut forged = value.clone();
            forged["body"]["forged"] = serde_json::Value::Bool(true);
            if let Ok(f) = serde_json::from_value::<Envelope>(forged) {
                let mut fresh = ReplayGuard::new(16);
                assert!(verify_envelope(&f, &us, &EveryoneKnown, now, time::Duration::days(36500), &mut fresh).is_err(), "an altered envelope verified");
            }
        }
    }
    if let Ok(item) = serde_json::from_value::<Item>(value) {
        let _ = item.validate();
        if verify_item(&item, &EveryoneKnown, now).is_ok() {
            // Only signed seed items verify; any change to the signed content must break it.
            let mut forged = serde_json::to_value(&item).expect("serialise");
            if let Some(obj) = forged.as_object_mut() {
                obj.insert("forged".into(), serde_json::Value::Bool(true));
            }
            if let Ok(f) = serde_json::from_value::<Item>(forged) {
                if f != item {
                    assert!(verify_item(&f, &EveryoneKnown, now).is_err(), "an altered item verified");
                }
            }
        }
    }
});
