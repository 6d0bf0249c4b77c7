//! CSAF 2.0 documents (`POST /api/v1/advisories`, `atalaya advisory import`): validated with
//! every issue named (never a panic); a document that validates is summarised, and its TLP maps
//! back and forth.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match atalaya_csaf::parse(data) {
        Ok(doc) => {
            let again = atalaya_csaf::from_value(doc.json.clone()).expect("a valid document stays valid");
            assert_eq!(again.json, doc.json);
            if let Some(t) = atalaya_csaf::tlp_of(&doc.json) {
                let _ = atalaya_csaf::tlp_to_csaf(t);
            }
        }
        Err(issues) => assert!(!issues.is_empty(), "refused without naming a problem"),
    }
});
