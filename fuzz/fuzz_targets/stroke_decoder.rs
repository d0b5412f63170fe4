//! The signature stroke decoder: any bytes give ink or a typed error, and
//! whatever decodes validates and renders without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onsite_core::signature::{render_png, Background, Ink};

fuzz_target!(|data: &[u8]| {
    if let Ok(ink) = Ink::decode(data) {
        let _ = ink.validate();
        let _ = render_png(&ink, 60, 20, Background::White);
    }
});
