//! A settled receipt as the printer and the customer's camera get it, from the
//! phone's own exports (`receipt_escpos`, `receipt_html`), checked against the
//! outside world rather than against Onsite's own decoder:
//!
//! - every ESC/POS command is compared with the byte sequence the Epson ESC/POS
//!   command reference gives for it, written out here by hand;
//! - every printed line fits the paper, counted in the GB18030 bytes the
//!   printer receives (a double-byte character takes two font-A columns);
//! - the QR code in the HTML is drawn from its SVG path into an image and read
//!   back with a QR reader, and must carry the ledger's number and hash.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use onsite_ffi::{Language, Paper, SignedInTechnician, TechnicianProfile};

// The commands Onsite sends, from the ESC/POS reference (hex as printed there).
/// `ESC @`: initialise the printer.
const INIT: [u8; 2] = [0x1b, 0x40];
/// `FS &`: select Kanji (Chinese) character mode, so GB18030 bytes print as Hanzi.
const CHINESE_MODE: [u8; 2] = [0x1c, 0x26];
/// `ESC a n`: justification, n = 0 left, 1 centre.
const LEFT: [u8; 3] = [0x1b, 0x61, 0x00];
const CENTRE: [u8; 3] = [0x1b, 0x61, 0x01];
/// `ESC E n`: emphasis on/off.
const BOLD_ON: [u8; 3] = [0x1b, 0x45, 0x01];
const BOLD_OFF: [u8; 3] = [0x1b, 0x45, 0x00];
/// `GS ! n`: character size, width multiplier in the high nibble, height in the low (0 = ×1).
const DOUBLE_SIZE: [u8; 3] = [0x1d, 0x21, 0x11];
const NORMAL_SIZE: [u8; 3] = [0x1d, 0x21, 0x00];
/// `ESC d 3`: print and feed three lines.
const FEED_3: [u8; 3] = [0x1b, 0x64, 0x03];
/// `GS V m n` with m = 66: feed n lines and partial cut.
const FEED_AND_CUT: [u8; 4] = [0x1d, 0x56, 0x42, 0x03];
/// `GS ( k pL pH cn fn ...`, cn = 49 (QR code): fn 65 model (n1 = 50: model 2, n2 = 0).
const QR_MODEL_2: [u8; 9] = [0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00];
/// fn 69: error correction level, n = 49 (M).
const QR_LEVEL_M: [u8; 8] = [0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31];
/// fn 81 m = 48: print the stored symbol.
const QR_PRINT: [u8; 8] = [0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30];
/// `GS v 0 m xL xH yL yH d...`: raster bit image; Onsite sends m = 0 (normal density).
const RASTER: [u8; 3] = [0x1d, 0x76, 0x30];
const LF: u8 = 0x0a;

/// `GS ( k` fn 67: module size n dots.
fn qr_module_size(n: u8) -> Vec<u8> {
    vec![0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, n]
}

/// `GS ( k` fn 80 m = 48: store the data in the symbol area; pL pH count cn fn m too.
fn qr_store(data: &[u8]) -> Vec<u8> {
    let len = data.len() + 3;
    let mut v = vec![0x1d, 0x28, 0x6b, (len % 256) as u8, (len / 256) as u8];
    v.extend_from_slice(&[0x31, 0x50, 0x30]);
    v.extend_from_slice(data);
    v
}

fn gb18030(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(s);
    assert!(!unmappable, "{s:?} has no GB18030 encoding");
    bytes.into_owned()
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[track_caller]
fn assert_contains(hay: &[u8], needle: &[u8], what: &str) {
    assert!(
        find(hay, needle).is_some(),
        "{what}: {needle:02x?} is not in the stream"
    );
}

/// A settled visit on a store file, as the phone holds it: the number and hash
/// the receipt ledger stored, and the phone's export API opened on that file.
struct Settled {
    _dir: tempfile::TempDir,
    number: String,
    ledger_sha256: String,
    phone: Arc<SignedInTechnician>,
}

fn settled() -> Settled {
    let f = common::fixture();
    let v = f.to_settled("P1");
    let number = v.receipt.unwrap().number;
    let store = f.dir.path().join("tech.sqlite3");
    let conn = rusqlite::Connection::open(&store).unwrap();
    let ledger_sha256: String = conn
        .query_row(
            "SELECT sha256 FROM receipts WHERE number = ?1 AND kind = 'original'",
            [&number],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    // The phone opens its store alone, with its key (which encrypts this
    // plain test store in place on the first open).
    let common::Fixture { dir, tech, .. } = f;
    drop(tech);
    let p = onsite_core::sample::profile();
    let phone = SignedInTechnician::open(
        store.display().to_string(),
        vec![7; 32],
        TechnicianProfile {
            technician_id: p.technician_id,
            technician_name: p.technician_name,
            device_id: p.device_id,
            approval_key: p.approval_key,
        },
    )
    .unwrap();
    Settled {
        _dir: dir,
        number,
        ledger_sha256,
        phone,
    }
}

/// One paper: its name, font-A columns, and the QR module size Onsite picks.
const PAPERS: [(Paper, &str, usize, u8); 2] =
    [(Paper::Mm58, "58 mm", 32, 4), (Paper::Mm80, "80 mm", 48, 6)];

#[test]
fn the_printed_receipt_is_made_of_reference_escpos_commands() {
    let s = settled();
    for lang in [Language::ZhCn, Language::En] {
        s.phone.set_language(lang);
        let title = if lang == Language::ZhCn {
            "收费收据"
        } else {
            "Receipt"
        };
        for (paper, name, _, module) in PAPERS {
            let bytes = s.phone.receipt_escpos(s.number.clone(), paper).unwrap();
            let what = format!("{name} {lang:?}");

            // Reset, then Chinese mode, before anything prints.
            assert_eq!(
                bytes[..4],
                [INIT, CHINESE_MODE].concat()[..],
                "{what}: the stream opens with ESC @ FS &"
            );
            // The title: bold, double width and height, then back to normal.
            let heading = [
                &BOLD_ON[..],
                &DOUBLE_SIZE,
                &gb18030(title),
                &[LF],
                &NORMAL_SIZE,
                &BOLD_OFF,
            ]
            .concat();
            assert_contains(&bytes, &heading, &format!("{what} title"));
            assert_contains(&bytes, &LEFT, &format!("{what} left"));

            // The signature: GS v 0 bands, 384 dots (48 bytes) wide, one right
            // after the other, 128 rows in all (the 600×200 pad scaled to 384).
            let band_rows = if paper == Paper::Mm58 { 24 } else { 48 };
            let mut at = find(&bytes, &RASTER).expect("a raster image");
            let (mut rows, mut bands, mut black) = (0, 0, 0);
            while bytes[at..].starts_with(&RASTER) {
                let h = &bytes[at..at + 8];
                assert_eq!(h[3], 0, "{what}: band {bands} has m = 0, normal density");
                assert_eq!(h[4..6], [48, 0], "{what}: band {bands} is 48 bytes wide");
                let n = usize::from(h[6]) | usize::from(h[7]) << 8;
                assert!(
                    (1..=band_rows).contains(&n),
                    "{what}: band {bands} has {n} rows, the profile sends at most {band_rows}"
                );
                let data = &bytes[at + 8..at + 8 + 48 * n];
                black += data.iter().map(|b| b.count_ones()).sum::<u32>();
                rows += n;
                bands += 1;
                at += 8 + 48 * n;
            }
            assert_eq!(rows, 128, "{what}: the signature's rows");
            assert!(bands > 1, "{what}: sent in bands");
            assert!(
                black > 200,
                "{what}: the signature prints ink ({black} dots)"
            );

            // The QR code: model 2, module size, level M, store number|hash, print.
            let payload = format!("{}|{}", s.number, s.ledger_sha256);
            let qr = [
                &CENTRE[..],
                &QR_MODEL_2,
                &qr_module_size(module),
                &QR_LEVEL_M,
                &qr_store(payload.as_bytes()),
                &QR_PRINT,
            ]
            .concat();
            assert_contains(&bytes, &qr, &format!("{what} QR code"));

            // The end: left, feed three lines, partial cut.
            assert!(
                bytes.ends_with(&[&LEFT[..], &FEED_3, &FEED_AND_CUT].concat()),
                "{what}: the stream ends with ESC a 0, ESC d 3, GS V 66 3: {:02x?}",
                &bytes[bytes.len() - 10..]
            );
        }
    }
}

/// The printed lines of a stream with the width multiplier each byte is printed
/// at, walking it by the command lengths of the ESC/POS reference. Any command
/// Onsite does not use, or a parameter outside the reference's range, fails.
fn printed_lines(bytes: &[u8]) -> Vec<(Vec<u8>, usize)> {
    let mut lines = Vec::new();
    let (mut line, mut columns, mut mult) = (Vec::new(), 0, 1);
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let len = match rest {
            [LF, ..] => {
                lines.push((std::mem::take(&mut line), std::mem::take(&mut columns)));
                1
            }
            [0x1b, 0x40, ..] | [0x1c, 0x26, ..] => 2,
            [0x1b, 0x61, 0..=2, ..] | [0x1b, 0x45, 0 | 1, ..] | [0x1b, 0x64, ..] => 3,
            [0x1d, 0x21, n, ..] => {
                mult = usize::from(n >> 4) + 1;
                assert!(*n & 0x88 == 0, "GS ! {n:#04x} out of range at {i}");
                3
            }
            [0x1d, 0x56, 0x42, _, ..] => 4,
            [0x1d, 0x28, 0x6b, pl, ph, 0x31, f, ..] if [65, 67, 69, 80, 81].contains(f) => {
                5 + (usize::from(*pl) | usize::from(*ph) << 8)
            }
            [0x1d, 0x76, 0x30, 0x00, xl, xh, yl, yh, ..] => {
                8 + (usize::from(*xl) | usize::from(*xh) << 8)
                    * (usize::from(*yl) | usize::from(*yh) << 8)
            }
            [b, ..] if *b < 0x20 || *b == 0x7f => {
                panic!(
                    "a command outside the reference at byte {i}: {:02x?}",
                    &rest[..rest.len().min(8)]
                )
            }
            [b, ..] => {
                line.push(*b);
                columns += mult;
                1
            }
            [] => unreachable!(),
        };
        assert!(i + len <= bytes.len(), "a command runs past the end at {i}");
        i += len;
    }
    assert!(line.is_empty(), "text after the last LF is never printed");
    lines
}

#[test]
fn every_printed_line_fits_the_paper_in_gb18030_bytes() {
    let s = settled();
    for lang in [Language::ZhCn, Language::En] {
        s.phone.set_language(lang);
        for (paper, name, columns, _) in PAPERS {
            let bytes = s.phone.receipt_escpos(s.number.clone(), paper).unwrap();
            let lines = printed_lines(&bytes);
            let mut text = Vec::new();
            for (line, width) in &lines {
                let decoded = encoding_rs::GB18030
                    .decode_without_bom_handling_and_without_replacement(line)
                    .unwrap_or_else(|| panic!("{name}: not GB18030: {line:02x?}"));
                // The width a printer in Chinese mode gives it: one column per byte
                // (a two-byte character is one double-width glyph), times GS !.
                assert_eq!(gb18030(&decoded), *line, "{name}: {decoded:?} re-encodes");
                assert!(
                    *width <= columns,
                    "{name} {lang:?}: {decoded:?} takes {width} columns ({} GB18030 bytes), the paper has {columns}",
                    line.len()
                );
                text.push(decoded.into_owned());
            }
            // The lines that fill the paper exactly (label left, value right) are there.
            assert!(
                lines.iter().any(|(_, w)| *w == columns),
                "{name}: no line fills the paper: {text:?}"
            );
            let all = text.join("\n");
            for expected in [s.number.as_str(), "110.00", "王女士"] {
                assert!(
                    all.contains(expected),
                    "{name}: {expected} not printed:\n{all}"
                );
            }
        }
    }
}

/// The modules of the QR code in the receipt HTML: the SVG's viewBox size and
/// its one path of unit squares (`M x y h1v1h-1z` each), as (size, dark cells).
fn svg_modules(html: &str) -> (usize, Vec<(usize, usize)>) {
    let start = html
        .find("<div class=\"qr\"><svg")
        .expect("the QR code's SVG");
    let svg = &html[start..start + html[start..].find("</svg>").expect("</svg>")];
    let view_box = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a viewBox");
    let size: usize = view_box.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(view_box, format!("{size} {size}"), "a square viewBox");
    let d = svg
        .split("<path d=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("one path");
    let mut cells = Vec::new();
    for square in d.split('M').skip(1) {
        let xy = square
            .strip_suffix("h1v1h-1z")
            .unwrap_or_else(|| panic!("not a unit square: M{square}"));
        let (x, y) = xy.split_once(' ').expect("M x y");
        cells.push((x.parse().unwrap(), y.parse().unwrap()));
    }
    (size, cells)
}

#[test]
fn the_qr_code_in_the_receipt_html_reads_back_as_number_and_hash() {
    let s = settled();
    for lang in [Language::ZhCn, Language::En] {
        s.phone.set_language(lang);
        let html = s.phone.receipt_html(s.number.clone()).unwrap();
        let (size, cells) = svg_modules(&html);
        // Drawn as a screen shows it: white ground, 4 px per module.
        let scale = 4;
        let mut img = image::GrayImage::from_pixel(
            (size * scale) as u32,
            (size * scale) as u32,
            image::Luma([255]),
        );
        for (x, y) in &cells {
            assert!(*x < size && *y < size, "module {x},{y} outside the viewBox");
            for dy in 0..scale {
                for dx in 0..scale {
                    img.put_pixel(
                        (x * scale + dx) as u32,
                        (y * scale + dy) as u32,
                        image::Luma([0]),
                    );
                }
            }
        }
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "{lang:?}: one QR code found");
        let (_, content) = grids[0].decode().expect("the QR code decodes");
        assert_eq!(
            content,
            format!("{}|{}", s.number, s.ledger_sha256),
            "{lang:?}: the QR code carries the receipt number and the ledger's hash"
        );
    }
}
