//! HQ's push-body decoder: any bytes give a request or a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onsite_core::sync::protocol::decode_push;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = decode_push(data) {
        // What decodes re-encodes to something that decodes the same.
        let again = serde_json::to_vec(&req).expect("encode");
        assert_eq!(decode_push(&again).expect("re-decode"), req);
    }
});
