//! HQ's push-body decoder: see `onsite_fuzz::push_decoder` for what is checked.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onsite_fuzz::push_decoder(data));
