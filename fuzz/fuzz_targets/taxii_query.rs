//! TAXII 2.1 query strings (`added_after`, `limit`, `next`, `match[...]`) as every endpoint
//! parses them: a result or a 400 naming the parameter, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

const ALL: &[&str] = &["added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"];

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else { return };
    let _ = atalaya_api::taxii::parse_params(Some(q), ALL);
    let _ = atalaya_api::taxii::parse_params(Some(q), &ALL[..3]);
});
