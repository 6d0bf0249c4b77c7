//! One JSON value through every STIX 2.1 MUST rule; an accepted object must serialise and be
//! accepted again unchanged (the checks are a fixed point).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(obj) = atalaya_stix::object::check_object(value) {
        let again = serde_json::to_value(&obj).expect("an accepted object serialises");
        let second = atalaya_stix::object::check_object(again.clone()).expect("an accepted object is accepted again");
        assert_eq!(serde_json::to_value(&second).expect("serialises"), again, "checking is not idempotent");
    }
});
