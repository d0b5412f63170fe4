//! The phone's pull-page decoder: any bytes give a page or a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onsite_core::sync::protocol::decode_pull;

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = decode_pull(data) {
        assert!(page.changes.iter().all(|c| c.cursor <= page.next_cursor));
    }
});
