//! MISP JSON (an event, a list of events, a feed file) parsed leniently and strictly, then mapped
//! to STIX 2.1: every object the mapping produces passes the STIX checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for strict in [false, true] {
        let opts = atalaya_misp::ParseOptions { strict };
        if let Ok(events) = atalaya_misp::parse_document(data, &opts) {
            for ev in events {
                let conv = atalaya_misp::to_stix::event_to_stix(&ev.event);
                for out in conv.objects {
                    if let Err(e) = atalaya_stix::object::check_object(out.object.clone()) {
                        panic!("MISP mapping produced an invalid STIX object: {e}\n{}", out.object);
                    }
                }
            }
        }
    }
});
