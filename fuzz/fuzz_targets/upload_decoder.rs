//! Resumable upload chunks: see `onsite_fuzz::upload_decoder` for what is checked.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onsite_fuzz::upload_decoder(data));
