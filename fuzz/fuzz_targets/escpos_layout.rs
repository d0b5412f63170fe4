//! ESC/POS text layout and decoding: see `onsite_fuzz::escpos_layout` for what is checked.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| onsite_fuzz::escpos_layout(data));
