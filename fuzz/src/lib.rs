//! What each fuzz target checks, as plain functions: the targets in
//! `fuzz_targets/` call them under libFuzzer, and the workspace test
//! `tests/tests/decoder_props.rs` includes this file to run every seed of
//! `corpus/` through the same checks on stable Rust, so the corpus and the
//! targets' assertions are exercised by the ordinary test command.
//!
//! Each function takes any bytes: a typed error is a pass, a panic is a find.

use onsite_core::documents::escpos::{self, Align, Column, EscPos, PrinterProfile};
use onsite_core::signature::{render_png, Background, Ink};
use onsite_core::sync::encoding::{decode, encode, Coding};
use onsite_core::sync::protocol::{decode_pull, decode_push, ChangeKind};

/// HQ's push-body decoder: any bytes give a request or a typed error, and
/// what decodes re-encodes to something that decodes the same.
pub fn push_decoder(data: &[u8]) {
    if let Ok(req) = decode_push(data) {
        let again = serde_json::to_vec(&req).expect("a decoded push encodes");
        assert_eq!(decode_push(&again).expect("re-decode"), req);
    }
}

/// The phone's pull-page decoder: any bytes give a page or a typed error;
/// a page's cursors go forward and never pass its `next_cursor`, and a
/// dispatch carries the order of the job it names.
pub fn pull_decoder(data: &[u8]) {
    if let Ok(page) = decode_pull(data) {
        let mut last = i64::MIN;
        for c in &page.changes {
            assert!(c.cursor > last && c.cursor <= page.next_cursor);
            if let ChangeKind::Dispatched { order } = &c.change {
                assert_eq!(order.job_id, c.job_id);
            }
            last = c.cursor;
        }
    }
}

fn check_ink(bytes: &[u8]) {
    if let Ok(ink) = Ink::decode(bytes) {
        let _ = ink.validate();
        let _ = render_png(&ink, 60, 20, Background::White);
    }
}

/// The signature stroke decoder: any bytes give ink or a typed error, and
/// whatever decodes validates and renders without a panic. Besides the raw
/// input, the input also edits a valid encoding (position, value triples and
/// a cut), so the fuzzer gets past the header even without a seed.
pub fn stroke_decoder(data: &[u8]) {
    check_ink(data);
    let mut v = Ink::sample().encode();
    for e in data.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([e[0], e[1]])) % v.len();
        v[at] = e[2];
    }
    if data.len() % 3 == 1 {
        let cut = usize::from(data[0]) * v.len() / 256;
        v.truncate(cut);
    }
    check_ink(&v);
}

/// ESC/POS: the decoder takes any bytes; the input read as text lays out in
/// lines that fit both papers and the stream decodes back.
pub fn escpos_layout(data: &[u8]) {
    let _ = escpos::decode(data);
    let text = String::from_utf8_lossy(data);
    let half = text
        .char_indices()
        .nth(text.chars().count() / 2)
        .map_or(0, |(i, _)| i);
    let (left, right) = text.split_at(half);
    for profile in [PrinterProfile::mm58(), PrinterProfile::mm80()] {
        for line in escpos::wrap(&text, profile.columns) {
            assert!(escpos::display_width(&line) <= profile.columns);
        }
        let mut p = EscPos::new(&profile);
        p.init().chinese_mode(true).line(left).pair(left, right);
        let width = usize::from(data.first().copied().unwrap_or(8)) % 40;
        p.columns_line(&[
            Column {
                text: left,
                width,
                align: Align::Left,
            },
            Column {
                text: right,
                width: 8,
                align: Align::Right,
            },
        ]);
        p.cut();
        let bytes = p.finish();
        assert!(escpos::decode(&bytes).is_ok());
    }
}

/// The decoder of compressed sync bodies: any bytes, read as zstd and as
/// gzip, give at most the limit of plain bytes or a typed error (a bomb is
/// refused, not inflated); and any bytes compressed then decoded are
/// themselves.
pub fn body_decoder(data: &[u8]) {
    const LIMIT: usize = 1 << 20;
    for c in [Coding::Zstd, Coding::Gzip] {
        if let Ok(plain) = decode(c, data, LIMIT) {
            assert!(plain.len() <= LIMIT);
        }
        let packed = encode(c, data).expect("any bytes compress");
        assert_eq!(decode(c, &packed, data.len()).expect("round trip"), data);
    }
}

/// A resumable upload's chunks: any header bytes decode to a chunk that fits
/// its blob or a typed error; and chunks at any offsets, in any order, resent
/// or overlapping, placed as HQ places them, leave HQ holding exactly the
/// blob's first bytes, never a byte out of place.
pub fn upload_decoder(data: &[u8]) {
    use onsite_core::sync::upload::{decode_chunk, place, Placement, MAX_BLOB_BYTES};
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let cut = usize::from(split).min(rest.len());
    let (offset, length) = rest.split_at(cut);
    let mid = length.len() / 2;
    if let Ok(c) = decode_chunk(Some(&length[..mid]), Some(offset), mid) {
        assert!(c.len > 0 && c.end() <= c.length && c.length <= MAX_BLOB_BYTES);
    }

    let size = 1 + usize::from(split) * 3;
    let blob: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    let mut held: Vec<u8> = Vec::new();
    for pair in rest.chunks(2) {
        let start = usize::from(pair[0]) * size / 256;
        let len = 1 + usize::from(*pair.get(1).unwrap_or(&0)) % 64;
        let end = (start + len).min(size);
        let Ok(c) = decode_chunk(
            Some(start.to_string().as_bytes()),
            Some(size.to_string().as_bytes()),
            end - start,
        ) else {
            continue;
        };
        match place(held.len() as u64, &c) {
            Placement::Gap => assert!(start > held.len()),
            Placement::Held => assert!(end <= held.len()),
            Placement::Append { skip } => {
                held.extend_from_slice(&blob[start + skip as usize..end]);
            }
        }
        assert!(blob.starts_with(&held), "HQ holds the blob's first bytes");
    }
}
