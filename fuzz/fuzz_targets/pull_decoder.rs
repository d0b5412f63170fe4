//! The phone's pull-page decoder: see `onsite_fuzz::pull_decoder` for what is checked.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onsite_fuzz::pull_decoder(data));
