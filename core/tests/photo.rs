//! Camera photos: upright, bounded, stripped of location, and never a crash.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::io::Cursor;

use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use onsite_core::photo::{process, PhotoError, PhotoPolicy};
use proptest::prelude::*;

/// A 40×20 photo, white with a red block in the top-left corner.
fn marked(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        if x < w / 4 && y < h / 4 {
            Rgb([255, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// An EXIF APP1 segment with Orientation and a GPS IFD (latitude ref "N", latitude 31°).
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    // IFD0: 2 entries.
    t.extend_from_slice(&2u16.to_be_bytes());
    t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    t.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
    t.extend_from_slice(&0u32.to_be_bytes());
    // GPS IFD at 38: 1 entry, GPSLatitudeRef = "N".
    t.extend_from_slice(&1u16.to_be_bytes());
    t.extend_from_slice(&[0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    t.extend_from_slice(&0u32.to_be_bytes());
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((t.len() + 8) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&t);
    seg
}

fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&exif_app1(orientation));
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn red_at(bytes: &[u8], x: u32, y: u32) -> bool {
    let img = image::load_from_memory(bytes).unwrap().to_rgb8();
    let p = img.get_pixel(x, y).0;
    p[0] > 200 && p[1] < 80 && p[2] < 80
}

#[test]
fn exif_orientation_is_applied_and_location_is_stripped() {
    let src = jpeg(&marked(40, 20));
    let tagged = with_exif(&src, 6);
    assert!(tagged.windows(4).any(|w| w == b"Exif"));
    let p = process(&tagged, &PhotoPolicy::default()).unwrap();
    // Orientation 6: rotate 90° clockwise; the red corner moves to the top right.
    assert_eq!((p.width, p.height), (20, 40));
    assert!(red_at(&p.full, 17, 2), "red corner not at top right");
    assert!(!red_at(&p.full, 2, 2));
    // No metadata survives: no APP1/Exif segment, no GPS.
    assert!(!p.full.windows(4).any(|w| w == b"Exif"));
    assert!(!p.full.windows(2).any(|w| w == [0xFF, 0xE1]));
    for (o, size, corner) in [
        (1u16, (40, 20), (2, 2)),
        (3, (40, 20), (37, 17)),
        (8, (20, 40), (2, 37)),
    ] {
        let p = process(&with_exif(&src, o), &PhotoPolicy::default()).unwrap();
        assert_eq!((p.width, p.height), size, "orientation {o}");
        assert!(red_at(&p.full, corner.0, corner.1), "orientation {o}");
    }
}

#[test]
fn size_is_bounded_and_small_photos_are_not_upscaled() {
    let p = process(&jpeg(&marked(4000, 3000)), &PhotoPolicy::default()).unwrap();
    assert_eq!((p.width, p.height), (1600, 1200));
    assert!(p.thumb_width <= 320 && p.thumb_height <= 320);
    assert_eq!(image::load_from_memory(&p.full).unwrap().width(), 1600);
    let p = process(&jpeg(&marked(640, 480)), &PhotoPolicy::default()).unwrap();
    assert_eq!((p.width, p.height), (640, 480));
    assert_eq!(
        p.full_sha256,
        onsite_core::signature::record::content_hash(&p.full)
    );
}

#[test]
fn png_with_transparency_becomes_a_jpeg_on_white() {
    let img = RgbaImage::from_fn(30, 30, |x, _| {
        if x < 15 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([0, 0, 255, 255])
        }
    });
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(img.as_raw(), 30, 30, image::ExtendedColorType::Rgba8)
        .unwrap();
    let p = process(&png, &PhotoPolicy::default()).unwrap();
    assert_eq!(p.media_type, "image/jpeg");
    let out = image::load_from_memory(&p.full).unwrap().to_rgb8();
    assert!(
        out.get_pixel(3, 3).0.iter().all(|c| *c > 240),
        "transparent became white"
    );
    assert!(out.get_pixel(25, 3).0[2] > 200);
}

#[test]
fn the_same_photo_gives_the_same_content_address() {
    let src = jpeg(&marked(800, 600));
    assert_eq!(
        process(&src, &PhotoPolicy::default()).unwrap().full_sha256,
        process(&src, &PhotoPolicy::default()).unwrap().full_sha256
    );
}

/// A PNG header declaring `w`×`h`, with a valid CRC, and no pixel data to speak of.
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // A tiny compressed stream: the file is a few dozen bytes, the image would be 30 GB.
    let mut idat = b"IDAT".to_vec();
    idat.extend_from_slice(&[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    out.extend_from_slice(&8u32.to_be_bytes());
    out.extend_from_slice(&idat);
    out.extend_from_slice(&crc32(&idat).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(b"IEND");
    out.extend_from_slice(&crc32(b"IEND").to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in data {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn bombs_garbage_and_truncated_files_are_typed_errors() {
    let start = std::time::Instant::now();
    assert_eq!(
        process(&png_bomb(100_000, 100_000), &PhotoPolicy::default()).unwrap_err(),
        PhotoError::DimensionsTooLarge {
            width: 100_000,
            height: 100_000
        }
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "the bomb was decoded, not refused"
    );
    assert_eq!(
        process(b"", &PhotoPolicy::default()).unwrap_err(),
        PhotoError::Empty
    );
    assert_eq!(
        process(b"GIF89a....", &PhotoPolicy::default()).unwrap_err(),
        PhotoError::UnsupportedFormat
    );
    assert_eq!(
        process(b"%PDF-1.4", &PhotoPolicy::default()).unwrap_err(),
        PhotoError::UnsupportedFormat
    );
    let src = jpeg(&marked(200, 100));
    assert!(matches!(
        process(&src[..src.len() / 3], &PhotoPolicy::default()),
        Err(PhotoError::Corrupt(_))
    ));
    let small = PhotoPolicy {
        max_input_bytes: 100,
        ..PhotoPolicy::default()
    };
    assert!(matches!(
        process(&src, &small),
        Err(PhotoError::TooLarge { .. })
    ));
    let _ = Cursor::new(());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn arbitrary_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..4096), kind in 0u8..3) {
        match kind {
            0 => { bytes.splice(0..0, [0xFF, 0xD8, 0xFF]); }
            1 => { bytes.splice(0..0, *b"\x89PNG\r\n\x1a\n"); }
            _ => {}
        }
        let _ = process(&bytes, &PhotoPolicy::default());
    }
}
