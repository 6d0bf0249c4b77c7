//! MISP warninglists (`list.json`) parsed leniently and strictly; a parsed list answers lookups.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = atalaya_warninglists::parse_list_strict(data);
    if let Ok(list) = atalaya_warninglists::parse_list(data) {
        let mut lists = atalaya_warninglists::Warninglists::new();
        lists.add(list);
        for (kind, probe) in [("ipv4-addr", "198.51.100.7"), ("domain-name", "example.com"), ("url", "http://example.com/a"), ("ipv6-addr", "2001:db8::1"), ("email-addr", "a@example.com")] {
            let _ = lists.check(kind, probe);
        }
    }
});
