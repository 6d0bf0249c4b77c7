//! One JSON value through every STIX 2.1 MUST rule; an accepted object, kept verbatim, must be
//! accepted again with the same id, type and version (the checks are a fixed point).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(obj) = atalaya_stix::object::check_object(value) {
        let again = serde_json::Value::Object(obj.json.clone());
        let second = atalaya_stix::object::check_object(again).expect("an accepted object is accepted again");
        assert_eq!((&second.id, &second.object_type, second.version()), (&obj.id, &obj.object_type, obj.version()), "checking is not idempotent");
        assert_eq!(second.json, obj.json, "the object is not kept verbatim");
    }
});
