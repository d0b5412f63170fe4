//! Photos from the phone camera, made safe and small for storage and sync.
//!
//! Checklist photo items and material inspections take photos. The camera's
//! JPEG or PNG is decoded under strict limits (a small file declaring huge
//! dimensions is refused before anything is allocated), turned upright by its
//! EXIF orientation, stripped of all metadata (GPS location included: only
//! pixels are re-encoded), downsized to a maximum edge and re-encoded as JPEG,
//! with a thumbnail. Both are content-addressed by SHA-256 for sync.

use std::io::Cursor;

use image::{DynamicImage, ImageEncoder, ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};

use crate::signature::record::content_hash;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoPolicy {
    /// Longest edge of the stored photo, px (never upscaled).
    pub max_edge: u32,
    pub jpeg_quality: u8,
    pub thumb_edge: u32,
    /// Largest camera file accepted.
    pub max_input_bytes: usize,
    /// Largest declared width × height accepted (a decompression-bomb guard).
    pub max_pixels: u64,
}

impl Default for PhotoPolicy {
    fn default() -> Self {
        PhotoPolicy {
            max_edge: 1600,
            jpeg_quality: 82,
            thumb_edge: 320,
            max_input_bytes: 40 * 1024 * 1024,
            max_pixels: 50_000_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedPhoto {
    pub full: Vec<u8>,
    pub full_sha256: String,
    pub width: u32,
    pub height: u32,
    pub thumb: Vec<u8>,
    pub thumb_sha256: String,
    pub thumb_width: u32,
    pub thumb_height: u32,
    pub media_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo is empty")]
    Empty,
    #[error("the photo is {bytes} bytes, more than the {max} accepted")]
    TooLarge { bytes: usize, max: usize },
    #[error("not a JPEG or PNG photo")]
    UnsupportedFormat,
    #[error("the photo declares {width}×{height} pixels, more than a camera takes")]
    DimensionsTooLarge { width: u32, height: u32 },
    #[error("the photo is truncated or corrupt: {0}")]
    Corrupt(String),
    #[error("re-encoding the photo failed: {0}")]
    Encode(String),
}

fn sniff(bytes: &[u8]) -> Result<ImageFormat, PhotoError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(ImageFormat::Png)
    } else {
        Err(PhotoError::UnsupportedFormat)
    }
}

/// EXIF orientation (1..=8) of a JPEG; 1 when absent or unreadable.
fn orientation(bytes: &[u8]) -> u8 {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
        .and_then(|e| {
            e.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
                .and_then(|f| f.value.get_uint(0))
        })
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1)
}

fn reader<'a>(
    bytes: &'a [u8],
    format: ImageFormat,
    policy: &PhotoPolicy,
) -> ImageReader<Cursor<&'a [u8]>> {
    let mut r = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    let side = u32::try_from(policy.max_pixels.min(u64::from(u32::MAX))).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    limits.max_alloc = Some(
        policy
            .max_pixels
            .saturating_mul(4)
            .saturating_add(64 * 1024 * 1024),
    );
    r.limits(limits);
    r
}

fn jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let rgb = flatten(img);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .write_image(
            rgb.as_raw(),
            rgb.width(),
            rgb.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

/// Composites transparency onto white: JPEG has no alpha.
fn flatten(img: &DynamicImage) -> image::RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])])
    })
}

/// Processes a camera photo by the policy; see the module documentation.
pub fn process(bytes: &[u8], policy: &PhotoPolicy) -> Result<ProcessedPhoto, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > policy.max_input_bytes {
        return Err(PhotoError::TooLarge {
            bytes: bytes.len(),
            max: policy.max_input_bytes,
        });
    }
    let format = sniff(bytes)?;
    let (w, h) = reader(bytes, format, policy)
        .into_dimensions()
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    if u64::from(w) * u64::from(h) > policy.max_pixels || w == 0 || h == 0 {
        return Err(PhotoError::DimensionsTooLarge {
            width: w,
            height: h,
        });
    }
    let mut img = reader(bytes, format, policy)
        .decode()
        .map_err(|e| match e {
            image::ImageError::Limits(_) => PhotoError::DimensionsTooLarge {
                width: w,
                height: h,
            },
            e => PhotoError::Corrupt(e.to_string()),
        })?;
    if format == ImageFormat::Jpeg {
        if let Some(o) = image::metadata::Orientation::from_exif(orientation(bytes)) {
            img.apply_orientation(o);
        }
    }
    let edge = policy.max_edge.max(1);
    if img.width() > edge || img.height() > edge {
        img = img.resize(edge, edge, image::imageops::FilterType::Lanczos3);
    }
    let thumb = img.thumbnail(policy.thumb_edge.max(1), policy.thumb_edge.max(1));
    let full = jpeg(&img, policy.jpeg_quality)?;
    let thumb_bytes = jpeg(&thumb, policy.jpeg_quality)?;
    Ok(ProcessedPhoto {
        full_sha256: content_hash(&full),
        thumb_sha256: content_hash(&thumb_bytes),
        width: img.width(),
        height: img.height(),
        thumb_width: thumb.width(),
        thumb_height: thumb.height(),
        full,
        thumb: thumb_bytes,
        media_type: "image/jpeg",
    })
}
