//! STIX patterning: parse arbitrary text; an error's position lies inside the input; a pattern
//! that parses yields its comparisons without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match atalaya_stix::pattern::parse(text) {
        Ok(p) => {
            let _ = p.comparisons();
            let _ = p.qualifiers();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
