//! Raw bytes as a bundle or JSON-lines file through the streaming reader (what `atalaya import`,
//! `POST /api/v1/stix/bundles` and TAXII POST read): never a panic, never more objects than bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let stream = atalaya_stix::object::ObjectStream::new(data).with_max_object_bytes(1 << 16);
    let mut n = 0usize;
    for item in stream {
        n += 1;
        assert!(n <= data.len() + 1, "more items than input bytes");
        let _ = item;
    }
});
