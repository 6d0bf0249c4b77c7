//! CSV event feeds (`atalaya feed import`) and IP-to-country range files: every line split,
//! every field tried as a time and as each observable kind; an observable that parses re-parses
//! from its own text with the same kind, and routes (ccTLD, IP-to-country) without panicking.
#![no_main]
use atalaya_model::incident::{Observable, ObservableKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut ranges = atalaya_routing::IpCountryBuilder::default();
    for line in text.lines().take(64) {
        let _ = ranges.add_line(line);
        for field in atalaya_services::routing::split_csv(line) {
            let _ = atalaya_services::routing::parse_time(&field);
            for kind in ObservableKind::ALL {
                if let Ok(o) = Observable::parse_as(*kind, &field) {
                    let again = Observable::parse_as(o.kind(), &o.value()).expect("an observable re-parses from its own value");
                    assert_eq!(again.kind(), o.kind(), "kind changed on re-parse of {:?}", o.value());
                    let _ = atalaya_routing::cctld_country(&o.value());
                }
            }
        }
    }
    let table = ranges.build();
    for probe in ["198.51.100.7", "2001:db8::1", "0.0.0.0", "255.255.255.255", "::"] {
        if let Ok(ip) = probe.parse() {
            let _ = table.lookup(ip);
        }
    }
});
