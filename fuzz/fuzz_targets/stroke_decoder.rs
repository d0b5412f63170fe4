//! The signature stroke decoder: any bytes give ink or a typed error, and
//! whatever decodes validates and renders without a panic. Besides the raw
//! input, the input also edits a valid encoding (position, value triples and
//! a cut), so the fuzzer gets past the header without a seed corpus.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onsite_core::signature::{render_png, Background, Ink};

fn check(bytes: &[u8]) {
    if let Ok(ink) = Ink::decode(bytes) {
        let _ = ink.validate();
        let _ = render_png(&ink, 60, 20, Background::White);
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut v = Ink::sample().encode();
    for e in data.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([e[0], e[1]])) % v.len();
        v[at] = e[2];
    }
    if data.len() % 3 == 1 {
        let cut = usize::from(data[0]) * v.len() / 256;
        v.truncate(cut);
    }
    check(&v);
});
