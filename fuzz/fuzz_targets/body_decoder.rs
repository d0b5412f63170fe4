//! Compressed sync bodies (zstd, gzip): see `onsite_fuzz::body_decoder` for what is checked.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onsite_fuzz::body_decoder(data));
