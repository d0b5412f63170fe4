//! Rendering strokes as the customer saw them: smooth curves whose width
//! varies with pen speed (faster is thinner), the approach of signature_pad
//! and android-signaturepad. PNG (white or transparent background), a
//! grayscale image for thermal printers, and SVG from the same geometry.
//! Rendering is deterministic: the same strokes always give the same bytes.

use std::fmt::Write as _;

use image::{GrayImage, ImageEncoder, Luma};

use super::ink::{Ink, Point};
use super::SignatureError;

/// Largest side of a rendered image.
pub const MAX_RENDER: u32 = 4096;
/// Pen widths in density-independent pixels (signature_pad's defaults are 0.5 and 2.5).
const MIN_WIDTH_DP: f32 = 0.9;
const MAX_WIDTH_DP: f32 = 3.2;
/// Weight of the previous velocity in the filter, as signature_pad.
const VELOCITY_FILTER: f32 = 0.7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Background {
    White,
    Transparent,
}

/// A point on the output image with the pen width there.
#[derive(Debug, Clone, Copy)]
struct Sample {
    x: f32,
    y: f32,
    w: f32,
}

/// Places the canvas in the output, preserving aspect ratio, centred.
struct Fit {
    scale: f32,
    ox: f32,
    oy: f32,
    width_unit: f32,
}

fn fit(ink: &Ink, width: u32, height: u32) -> Result<Fit, SignatureError> {
    if width == 0 || height == 0 || width > MAX_RENDER || height > MAX_RENDER {
        return Err(SignatureError::BadRenderSize { width, height });
    }
    ink.validate()?;
    let c = ink.canvas;
    let scale = (width as f32 / c.width).min(height as f32 / c.height);
    Ok(Fit {
        scale,
        ox: (width as f32 - c.width * scale) / 2.0,
        oy: (height as f32 - c.height * scale) / 2.0,
        width_unit: c.density * scale,
    })
}

/// Per-stroke samples with speed-dependent width, in output coordinates.
fn strokes(ink: &Ink, f: &Fit) -> Vec<Vec<Sample>> {
    let density = ink.canvas.density;
    ink.strokes
        .iter()
        .filter(|s| !s.points.is_empty())
        .map(|s| {
            let mut v_prev = 0.0f32;
            s.points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let v = if i == 0 {
                        0.0
                    } else {
                        let q: &Point = &s.points[i - 1];
                        let d = ((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt() / density;
                        let dt = p.t_ms.saturating_sub(q.t_ms).max(1) as f32;
                        VELOCITY_FILTER * (d / dt) + (1.0 - VELOCITY_FILTER) * v_prev
                    };
                    v_prev = v;
                    let w_dp = (MAX_WIDTH_DP / (v + 1.0)).max(MIN_WIDTH_DP);
                    Sample {
                        x: f.ox + p.x * f.scale,
                        y: f.oy + p.y * f.scale,
                        w: w_dp * f.width_unit,
                    }
                })
                .collect()
        })
        .collect()
}

/// Catmull-Rom segment from b to c as cubic Bézier control points.
fn bezier(a: Sample, b: Sample, c: Sample, d: Sample) -> [(f32, f32); 4] {
    [
        (b.x, b.y),
        (b.x + (c.x - a.x) / 6.0, b.y + (c.y - a.y) / 6.0),
        (c.x - (d.x - b.x) / 6.0, c.y - (d.y - b.y) / 6.0),
        (c.x, c.y),
    ]
}

fn at(p: &[(f32, f32); 4], u: f32) -> (f32, f32) {
    let m = 1.0 - u;
    let (a, b, c, d) = (m * m * m, 3.0 * m * m * u, 3.0 * m * u * u, u * u * u);
    (
        a * p[0].0 + b * p[1].0 + c * p[2].0 + d * p[3].0,
        a * p[0].1 + b * p[1].1 + c * p[2].1 + d * p[3].1,
    )
}

/// Ink coverage (0..=1) per pixel, anti-aliased.
fn coverage(ink: &Ink, width: u32, height: u32) -> Result<Vec<f32>, SignatureError> {
    let f = fit(ink, width, height)?;
    let mut buf = vec![0.0f32; (width * height) as usize];
    let mut disc = |x: f32, y: f32, r: f32| {
        let r = r.max(0.35);
        let x0 = ((x - r - 1.0).floor().max(0.0)) as u32;
        let y0 = ((y - r - 1.0).floor().max(0.0)) as u32;
        let x1 = ((x + r + 1.0).ceil().min(width as f32 - 1.0)).max(0.0) as u32;
        let y1 = ((y + r + 1.0).ceil().min(height as f32 - 1.0)).max(0.0) as u32;
        // Coverage is 1 inside r - 0.5, 0 beyond r + 0.5, a linear ramp between:
        // the square root is needed only on that one-pixel rim.
        let (outer, inner) = ((r + 0.5) * (r + 0.5), (r - 0.5).max(0.0).powi(2));
        for py in y0..=y1 {
            let dy = py as f32 + 0.5 - y;
            let row = (py * width) as usize;
            for px in x0..=x1 {
                let dx = px as f32 + 0.5 - x;
                let d2 = dx * dx + dy * dy;
                if d2 >= outer {
                    continue;
                }
                let c = if d2 <= inner {
                    1.0
                } else {
                    (r + 0.5 - d2.sqrt()).clamp(0.0, 1.0)
                };
                let cell = &mut buf[row + px as usize];
                if c > *cell {
                    *cell = c;
                }
            }
        }
    };
    for s in strokes(ink, &f) {
        if s.len() == 1 {
            disc(s[0].x, s[0].y, s[0].w);
            continue;
        }
        for i in 0..s.len() - 1 {
            let a = s[i.saturating_sub(1)];
            let (b, c) = (s[i], s[i + 1]);
            let d = s[(i + 2).min(s.len() - 1)];
            let p = bezier(a, b, c, d);
            let len = ((c.x - b.x).powi(2) + (c.y - b.y).powi(2)).sqrt();
            // Discs a fraction of their radius apart leave no visible scallops;
            // thin lines still get a disc every half pixel.
            let spacing = (b.w.min(c.w) * 0.25).max(0.5);
            let steps = (len / spacing).ceil().clamp(1.0, 4096.0) as u32;
            for k in 0..=steps {
                let u = k as f32 / steps as f32;
                let (x, y) = at(&p, u);
                disc(x, y, (b.w + (c.w - b.w) * u) / 2.0);
            }
        }
    }
    Ok(buf)
}

/// Coverage 0..=1 to a byte, rounded (coverage is never negative).
fn to_byte(c: f32) -> u8 {
    (c * 255.0 + 0.5) as u8
}

/// Dark ink on white, for thresholding to a thermal printer's 1-bit raster.
pub fn render_gray(ink: &Ink, width: u32, height: u32) -> Result<GrayImage, SignatureError> {
    let cov = coverage(ink, width, height)?;
    Ok(GrayImage::from_fn(width, height, |x, y| {
        Luma([255 - to_byte(cov[(y * width + x) as usize])])
    }))
}

/// PNG at the requested size.
pub fn render_png(
    ink: &Ink,
    width: u32,
    height: u32,
    background: Background,
) -> Result<Vec<u8>, SignatureError> {
    let cov = coverage(ink, width, height)?;
    let mut out = Vec::new();
    // Fast deflate: a signature is mostly background, so the file stays small
    // while encoding takes a fraction of the default level's time.
    let enc = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    let result = match background {
        Background::White => {
            let px: Vec<u8> = cov.iter().map(|&c| 255 - to_byte(c)).collect();
            enc.write_image(&px, width, height, image::ExtendedColorType::L8)
        }
        Background::Transparent => {
            let px: Vec<u8> = cov.iter().flat_map(|&c| [0, 0, 0, to_byte(c)]).collect();
            enc.write_image(&px, width, height, image::ExtendedColorType::Rgba8)
        }
    };
    result.map_err(|e| SignatureError::Render(e.to_string()))?;
    Ok(out)
}

/// SVG with the same curves; each segment drawn at its mean width.
pub fn render_svg(ink: &Ink, width: u32, height: u32) -> Result<String, SignatureError> {
    let f = fit(ink, width, height)?;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><g fill="none" stroke="black" stroke-linecap="round" stroke-linejoin="round">"#
    );
    for s in strokes(ink, &f) {
        if s.len() == 1 {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="{:.2}" fill="black" stroke="none"/>"#,
                s[0].x,
                s[0].y,
                s[0].w / 2.0
            );
            continue;
        }
        for i in 0..s.len() - 1 {
            let a = s[i.saturating_sub(1)];
            let (b, c) = (s[i], s[i + 1]);
            let d = s[(i + 2).min(s.len() - 1)];
            let p = bezier(a, b, c, d);
            let _ = write!(
                svg,
                r#"<path stroke-width="{:.2}" d="M{:.1} {:.1}C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}"/>"#,
                (b.w + c.w) / 2.0,
                p[0].0,
                p[0].1,
                p[1].0,
                p[1].1,
                p[2].0,
                p[2].1,
                p[3].0,
                p[3].1
            );
        }
    }
    svg.push_str("</g></svg>");
    Ok(svg)
}
