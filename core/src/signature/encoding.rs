//! Compact binary encoding of a signature's strokes, for storage and sync.
//!
//! JSON of 1 000 points is ~60 KB; this is ~2–4 KB. Layout (all integers are
//! LEB128 varints, signed ones zigzag-encoded):
//!
//! ```text
//! "OSG" version(1)
//! canvas width, height, density  (f32 little-endian each)
//! stroke count
//! per stroke: point count, flags (bit 0: one pressure for the stroke,
//!             bit 1: one time step for the stroke)
//!   [constant pressure u8] [constant dt]
//!   first point: x, y (signed, 1/10 px), dt from the previous point (ms)
//!   then per point: dx, dy (signed, 1/10 px), [dt], [pressure u8]
//! ```
//!
//! Coordinates are quantised to 1/10 px and pressure to 1/255, far below what
//! a finger or stylus resolves. Decoding never trusts a count from the input
//! for an allocation, and re-validates the result.

use super::ink::{Canvas, Ink, Point, Stroke, MAX_POINTS, MAX_STROKES};
use super::SignatureError;

const MAGIC: &[u8; 3] = b"OSG";
const VERSION: u8 = 1;
const FLAG_CONST_PRESSURE: u8 = 1;
const FLAG_CONST_DT: u8 = 2;

fn q(v: f32) -> i64 {
    (v * 10.0).round() as i64
}

fn put_uvar(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_ivar(out: &mut Vec<u8>, v: i64) {
    put_uvar(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn pressure_byte(p: f32) -> u8 {
    (p.clamp(0.0, 1.0) * 255.0).round() as u8
}

impl Ink {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.point_count() * 3);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        for v in [self.canvas.width, self.canvas.height, self.canvas.density] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        put_uvar(&mut out, self.strokes.len() as u64);
        let mut prev_t = 0u32;
        for s in &self.strokes {
            put_uvar(&mut out, s.points.len() as u64);
            let Some(first) = s.points.first() else {
                out.push(0);
                continue;
            };
            let p0 = pressure_byte(first.pressure);
            let const_p = s.points.iter().all(|p| pressure_byte(p.pressure) == p0);
            let dts: Vec<u32> = s
                .points
                .windows(2)
                .map(|w| w[1].t_ms.saturating_sub(w[0].t_ms))
                .collect();
            let const_dt = dts.first().is_some_and(|d| dts.iter().all(|x| x == d));
            let flags = (if const_p { FLAG_CONST_PRESSURE } else { 0 })
                | (if const_dt { FLAG_CONST_DT } else { 0 });
            out.push(flags);
            if const_p {
                out.push(p0);
            }
            if const_dt {
                put_uvar(&mut out, u64::from(dts[0]));
            }
            put_ivar(&mut out, q(first.x));
            put_ivar(&mut out, q(first.y));
            put_uvar(&mut out, u64::from(first.t_ms.saturating_sub(prev_t)));
            if !const_p {
                out.push(p0);
            }
            let (mut px, mut py) = (q(first.x), q(first.y));
            for (i, p) in s.points.iter().enumerate().skip(1) {
                let (x, y) = (q(p.x), q(p.y));
                put_ivar(&mut out, x - px);
                put_ivar(&mut out, y - py);
                (px, py) = (x, y);
                if !const_dt {
                    put_uvar(&mut out, u64::from(dts[i - 1]));
                }
                if !const_p {
                    out.push(pressure_byte(p.pressure));
                }
            }
            prev_t = s.points.last().map_or(prev_t, |p| p.t_ms);
        }
        out
    }

    /// Decodes and validates; arbitrary bytes give an error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Ink, SignatureError> {
        let mut r = Reader { b: bytes, i: 0 };
        if r.take(3)? != MAGIC {
            return Err(SignatureError::Malformed("not an Onsite signature".into()));
        }
        let version = r.byte()?;
        if version != VERSION {
            return Err(SignatureError::Malformed(format!(
                "unknown version {version}"
            )));
        }
        let width = r.f32()?;
        let height = r.f32()?;
        let density = r.f32()?;
        let n_strokes = r.count(MAX_STROKES)?;
        let mut strokes = Vec::with_capacity(n_strokes.min(64));
        let mut total = 0usize;
        let mut t = 0u64;
        for _ in 0..n_strokes {
            let n = r.count(MAX_POINTS)?;
            total += n;
            if total > MAX_POINTS {
                return Err(SignatureError::TooLarge {
                    what: "points",
                    count: total,
                    max: MAX_POINTS,
                });
            }
            let flags = r.byte()?;
            if n == 0 {
                strokes.push(Stroke::default());
                continue;
            }
            let const_p = (flags & FLAG_CONST_PRESSURE != 0)
                .then(|| r.byte())
                .transpose()?;
            let const_dt = (flags & FLAG_CONST_DT != 0).then(|| r.uvar()).transpose()?;
            // Each point takes at least two bytes, so the input bounds the allocation.
            let mut points = Vec::with_capacity(n.min(r.remaining() / 2 + 1));
            let mut x = r.ivar()?;
            let mut y = r.ivar()?;
            t = t.saturating_add(r.uvar()?);
            let mut p = match const_p {
                Some(p) => p,
                None => r.byte()?,
            };
            for i in 0..n {
                if i > 0 {
                    x = x.saturating_add(r.ivar()?);
                    y = y.saturating_add(r.ivar()?);
                    t = t.saturating_add(match const_dt {
                        Some(d) => d,
                        None => r.uvar()?,
                    });
                    if const_p.is_none() {
                        p = r.byte()?;
                    }
                }
                points.push(Point {
                    x: x as f32 / 10.0,
                    y: y as f32 / 10.0,
                    t_ms: u32::try_from(t)
                        .map_err(|_| SignatureError::Malformed("time overflows".into()))?,
                    pressure: f32::from(p) / 255.0,
                });
            }
            strokes.push(Stroke { points });
        }
        if r.remaining() != 0 {
            return Err(SignatureError::Malformed(format!(
                "{} trailing bytes",
                r.remaining()
            )));
        }
        let ink = Ink {
            canvas: Canvas {
                width,
                height,
                density,
            },
            strokes,
        };
        ink.validate()?;
        Ok(ink)
    }
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.b.len() - self.i
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], SignatureError> {
        let end = self
            .i
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| SignatureError::Malformed("truncated".into()))?;
        let s = &self.b[self.i..end];
        self.i = end;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8, SignatureError> {
        Ok(self.take(1)?[0])
    }
    fn f32(&mut self) -> Result<f32, SignatureError> {
        let s = self.take(4)?;
        Ok(f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn uvar(&mut self) -> Result<u64, SignatureError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(SignatureError::Malformed("varint too long".into()))
    }
    fn ivar(&mut self) -> Result<i64, SignatureError> {
        let u = self.uvar()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    fn count(&mut self, max: usize) -> Result<usize, SignatureError> {
        let n = self.uvar()?;
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= max)
            .ok_or(SignatureError::TooLarge {
                what: "count",
                count: n.min(usize::MAX as u64) as usize,
                max,
            })
    }
}
