//! The strokes of a signature, as the phone's touch screen reports them, and
//! the rules that tell a signature from a stray touch or from garbage.

use serde::{Deserialize, Serialize};

use super::SignatureError;

/// Most points a signature may have (a real one has a few hundred to a few thousand).
pub const MAX_POINTS: usize = 100_000;
/// Most strokes a signature may have.
pub const MAX_STROKES: usize = 1_000;
/// Largest canvas side, in pixels.
pub const MAX_CANVAS: f32 = 10_000.0;
/// Points may stray this share of the canvas outside it (fingers overshoot the edge).
pub const EDGE_TOLERANCE: f32 = 0.02;
/// Total ink length below this share of the canvas diagonal is a tap, not a signature.
pub const MIN_LENGTH_SHARE: f32 = 0.15;
/// A bounding box smaller than this share of the canvas on both sides is a dot.
pub const MIN_BOX_SHARE: f32 = 0.05;

/// One sample of the pen or finger.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Point {
    pub x: f32,
    pub y: f32,
    /// Milliseconds since the signature started.
    pub t_ms: u32,
    /// 0..=1; 0 when the screen does not report pressure.
    pub pressure: f32,
}

/// The points between touching the screen and lifting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stroke {
    pub points: Vec<Point>,
}

/// The drawing surface the strokes were captured on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Canvas {
    pub width: f32,
    pub height: f32,
    /// Device pixels per density-independent pixel (Android `density`, iOS `scale`).
    pub density: f32,
}

/// A signature's ink: the canvas and the strokes drawn on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ink {
    pub canvas: Canvas,
    pub strokes: Vec<Stroke>,
}

impl Ink {
    pub fn point_count(&self) -> usize {
        self.strokes.iter().map(|s| s.points.len()).sum()
    }

    /// Total length of all strokes, in canvas pixels.
    pub fn length(&self) -> f32 {
        self.strokes
            .iter()
            .map(|s| {
                s.points
                    .windows(2)
                    .map(|w| ((w[1].x - w[0].x).powi(2) + (w[1].y - w[0].y).powi(2)).sqrt())
                    .sum::<f32>()
            })
            .sum()
    }

    /// (min x, min y, max x, max y) of all points.
    pub fn bounds(&self) -> Option<(f32, f32, f32, f32)> {
        let mut pts = self.strokes.iter().flat_map(|s| &s.points);
        let first = pts.next()?;
        Some(
            pts.fold((first.x, first.y, first.x, first.y), |(a, b, c, d), p| {
                (a.min(p.x), b.min(p.y), c.max(p.x), d.max(p.y))
            }),
        )
    }

    /// Checks the rules in order of cheapness; the first broken one is reported.
    pub fn validate(&self) -> Result<(), SignatureError> {
        let c = self.canvas;
        let sane = |v: f32| v.is_finite() && v > 0.0 && v <= MAX_CANVAS;
        let density_ok = c.density.is_finite() && c.density > 0.0 && c.density <= 10.0;
        if !(sane(c.width) && sane(c.height) && density_ok) {
            return Err(SignatureError::BadCanvas {
                width: c.width,
                height: c.height,
            });
        }
        if self.strokes.len() > MAX_STROKES {
            return Err(SignatureError::TooLarge {
                what: "strokes",
                count: self.strokes.len(),
                max: MAX_STROKES,
            });
        }
        let n = self.point_count();
        if n > MAX_POINTS {
            return Err(SignatureError::TooLarge {
                what: "points",
                count: n,
                max: MAX_POINTS,
            });
        }
        if n == 0 {
            return Err(SignatureError::NoStrokes);
        }
        let (tx, ty) = (c.width * EDGE_TOLERANCE, c.height * EDGE_TOLERANCE);
        let mut last_t = 0u32;
        for (si, s) in self.strokes.iter().enumerate() {
            for (pi, p) in s.points.iter().enumerate() {
                if !p.x.is_finite() || !p.y.is_finite() || !p.pressure.is_finite() {
                    return Err(SignatureError::NotFinite {
                        stroke: si,
                        point: pi,
                    });
                }
                if p.x < -tx || p.y < -ty || p.x > c.width + tx || p.y > c.height + ty {
                    return Err(SignatureError::OutsideCanvas {
                        stroke: si,
                        point: pi,
                        x: p.x,
                        y: p.y,
                    });
                }
                if !(0.0..=1.0).contains(&p.pressure) {
                    return Err(SignatureError::NotFinite {
                        stroke: si,
                        point: pi,
                    });
                }
                if p.t_ms < last_t {
                    return Err(SignatureError::TimeBackwards {
                        stroke: si,
                        point: pi,
                    });
                }
                last_t = p.t_ms;
            }
        }
        let diagonal = (c.width.powi(2) + c.height.powi(2)).sqrt();
        let length = self.length();
        if length < MIN_LENGTH_SHARE * diagonal {
            return Err(SignatureError::TooLittleInk {
                reason: format!(
                    "{length:.0} px of ink, a signature needs at least {:.0} px on this canvas",
                    MIN_LENGTH_SHARE * diagonal
                ),
            });
        }
        if let Some((x0, y0, x1, y1)) = self.bounds() {
            if x1 - x0 < MIN_BOX_SHARE * c.width && y1 - y0 < MIN_BOX_SHARE * c.height {
                return Err(SignatureError::TooLittleInk {
                    reason: format!("the ink covers only {:.0}×{:.0} px", x1 - x0, y1 - y0),
                });
            }
        }
        Ok(())
    }

    /// A realistic customer signature (about 1 000 points in three strokes on a
    /// 600×200 canvas, sampled every 8 ms): sample data for the demo, tests and
    /// benchmarks, never used by the workflow itself.
    #[cfg(any(test, feature = "sample"))]
    pub fn sample() -> Ink {
        let canvas = Canvas {
            width: 600.0,
            height: 200.0,
            density: 2.0,
        };
        let mut t = 0u32;
        let mut stroke = |n: usize, f: &dyn Fn(f32) -> (f32, f32)| {
            let mut points = Vec::with_capacity(n);
            for i in 0..n {
                let u = i as f32 / (n - 1) as f32;
                let (x, y) = f(u);
                points.push(Point {
                    x,
                    y,
                    t_ms: t,
                    pressure: 0.0,
                });
                t += 8;
            }
            t += 180; // the pen is lifted between strokes
            Stroke { points }
        };
        // A looping cursive name, a flourish, and an underline.
        let s1 = stroke(520, &|u| {
            let x = 60.0 + 300.0 * u;
            let y = 95.0 + 38.0 * (u * 19.0).sin() * (1.0 - 0.4 * u) - 14.0 * (u * 5.0).cos();
            (x + 10.0 * (u * 19.0).cos(), y)
        });
        let s2 = stroke(300, &|u| {
            let a = u * std::f32::consts::PI * 3.2;
            (
                390.0 + 70.0 * u + 28.0 * a.sin(),
                90.0 - 40.0 * a.cos() * (1.0 - u * 0.5),
            )
        });
        let s3 = stroke(180, &|u| (70.0 + 440.0 * u, 150.0 + 6.0 * (u * 6.0).sin()));
        Ink {
            canvas,
            strokes: vec![s1, s2, s3],
        }
    }
}
