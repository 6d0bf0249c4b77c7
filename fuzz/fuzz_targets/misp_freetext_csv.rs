//! Free-text and CSV indicator lists (`atalaya misp import` of text feeds): every detected value
//! becomes an indicator whose pattern the STIX pattern parser accepts.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (lines, _) = atalaya_misp::freetext::parse_lines(text);
    let (csv, _) = atalaya_misp::freetext::parse_csv(text, None);
    let (col, _) = atalaya_misp::freetext::parse_csv(text, Some(1));
    for d in lines.iter().chain(csv.iter()).chain(col.iter()) {
        let pattern = d.kind.pattern(&d.value);
        if let Err(e) = atalaya_stix::pattern::parse(&pattern) {
            panic!("freetext produced an unparsable pattern {pattern:?}: {e}");
        }
    }
});
