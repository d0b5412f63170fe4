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

#[cfg(test)]
mod tests {
    //! The layout byte for byte (written out by hand from the format above), and
    //! each limit of the decoder on both sides of its edge.
    use super::*;

    fn pt(x: f32, y: f32, t_ms: u32, pressure: f32) -> Point {
        Point {
            x,
            y,
            t_ms,
            pressure,
        }
    }

    /// A stroke with one pressure and one time step, then one with neither.
    fn two_strokes() -> Ink {
        Ink {
            canvas: Canvas {
                width: 300.0,
                height: 100.0,
                density: 2.0,
            },
            strokes: vec![
                Stroke {
                    points: vec![
                        pt(10.0, 20.0, 0, 0.5),
                        pt(12.5, 19.0, 10, 0.5),
                        pt(200.0, 19.0, 20, 0.5),
                    ],
                },
                Stroke {
                    points: vec![
                        pt(50.0, 50.0, 100, 0.2),
                        pt(49.9, 60.0, 130, 0.6),
                        pt(50.0, 80.5, 190, 1.0),
                    ],
                },
            ],
        }
    }

    const TWO_STROKES: [u8; 49] = [
        b'O', b'S', b'G', 0x01, // magic, version
        0x00, 0x00, 0x96, 0x43, 0x00, 0x00, 0xc8, 0x42, 0x00, 0x00, 0x00, 0x40, // 300, 100, 2
        0x02, // strokes
        0x03, 0x03, 0x80, 0x0a, // 3 points, both flags, pressure 128, dt 10
        0xc8, 0x01, 0x90, 0x03, 0x00, // x 100, y 200 (zigzag 200, 400), dt 0
        0x32, 0x13, // dx +25, dy -10
        0xa6, 0x1d, 0x00, // dx +1875 (two-byte varint), dy 0
        0x03, 0x00, // 3 points, no flags
        0xe8, 0x07, 0xe8, 0x07, 0x50, 0x33, // x 500, y 500, dt 80 after the last stroke, p 51
        0x01, 0xc8, 0x01, 0x1e, 0x99, // dx -1, dy +100, dt 30, p 153
        0x02, 0x9a, 0x03, 0x3c, 0xff, // dx +1, dy +205, dt 60, p 255
    ];

    fn same_points(a: &Ink, b: &Ink) {
        assert_eq!(a.strokes.len(), b.strokes.len());
        for (sa, sb) in a.strokes.iter().zip(&b.strokes) {
            assert_eq!(sa.points.len(), sb.points.len());
            for (p, r) in sa.points.iter().zip(&sb.points) {
                assert_eq!((q(p.x), q(p.y), p.t_ms), (q(r.x), q(r.y), r.t_ms));
                assert_eq!(pressure_byte(p.pressure), pressure_byte(r.pressure));
            }
        }
    }

    #[test]
    fn the_encoding_is_the_documented_layout() {
        assert_eq!(two_strokes().encode(), TWO_STROKES);
        let back = Ink::decode(&TWO_STROKES).unwrap();
        assert_eq!(back.canvas, two_strokes().canvas);
        same_points(&back, &two_strokes());
        // Decoded values are the quantised ones exactly.
        assert_eq!(back.strokes[1].points[1].x, 49.9);
        assert_eq!(back.strokes[1].points[0].pressure, 0.2);
        assert_eq!(back.strokes[1].points[2].t_ms, 190);
    }

    #[test]
    fn varints_round_trip_at_every_width() {
        for v in [
            0u64,
            1,
            0x7f,
            0x80,
            0x3fff,
            0x4000,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_uvar(&mut out, v);
            let mut r = Reader { b: &out, i: 0 };
            assert_eq!(r.uvar().unwrap(), v, "{v}");
            assert_eq!(r.remaining(), 0, "{v}: every byte used");
        }
        for v in [0i64, 1, -1, 63, -64, 64, -65, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            put_ivar(&mut out, v);
            assert_eq!(Reader { b: &out, i: 0 }.ivar().unwrap(), v, "{v}");
        }
        let eleven = [0xffu8; 11];
        assert!(matches!(
            Reader { b: &eleven, i: 0 }.uvar(),
            Err(SignatureError::Malformed(m)) if m.contains("too long")
        ));
        assert_eq!(
            Reader {
                b: &[1, 2, 3, 4, 5],
                i: 1
            }
            .remaining(),
            4
        );
    }

    #[test]
    fn quantisation_rounds_to_the_nearest_step() {
        assert_eq!(q(12.34), 123);
        assert_eq!(q(12.36), 124);
        assert_eq!(q(-0.26), -3);
        assert_eq!(pressure_byte(0.0), 0);
        assert_eq!(pressure_byte(1.0), 255);
        assert_eq!(pressure_byte(0.5), 128);
        assert_eq!(pressure_byte(3.0), 255, "clamped");
        assert_eq!(pressure_byte(-1.0), 0, "clamped");
    }

    #[test]
    fn each_header_fault_is_refused() {
        let mut magic = TWO_STROKES;
        magic[0] = b'X';
        assert!(
            matches!(Ink::decode(&magic), Err(SignatureError::Malformed(m)) if m.contains("not an Onsite"))
        );
        let mut version = TWO_STROKES;
        version[3] = 2;
        assert!(
            matches!(Ink::decode(&version), Err(SignatureError::Malformed(m)) if m.contains("version 2"))
        );
        let mut trailing = TWO_STROKES.to_vec();
        trailing.push(0);
        assert!(
            matches!(Ink::decode(&trailing), Err(SignatureError::Malformed(m)) if m.contains("1 trailing"))
        );
        for cut in 0..TWO_STROKES.len() {
            assert!(
                matches!(
                    Ink::decode(&TWO_STROKES[..cut]),
                    Err(SignatureError::Malformed(_))
                ),
                "cut at {cut}"
            );
        }
        // A canvas read back wrong is caught by validation.
        let mut canvas = TWO_STROKES;
        canvas[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(matches!(
            Ink::decode(&canvas),
            Err(SignatureError::BadCanvas { .. })
        ));
    }

    /// One stroke of `n` points along the canvas, every step different.
    fn long_stroke(n: usize) -> Ink {
        let points = (0..n)
            .map(|i| {
                pt(
                    (i % 2000) as f32 * 0.5,
                    (i % 7) as f32,
                    i as u32,
                    (i % 5) as f32 / 4.0,
                )
            })
            .collect();
        Ink {
            canvas: Canvas {
                width: 1000.0,
                height: 100.0,
                density: 1.0,
            },
            strokes: vec![Stroke { points }],
        }
    }

    #[test]
    fn exactly_the_limits_decode_and_one_more_is_refused_before_reading() {
        let full = long_stroke(MAX_POINTS);
        let bytes = full.encode();
        same_points(&Ink::decode(&bytes).unwrap(), &full);

        // Claim a second stroke of one point after a full one: refused on the
        // count, before any of its bytes are read (there are none).
        let mut over = bytes.clone();
        assert_eq!(over[16], 1, "the stroke count");
        over[16] = 2;
        over.push(1);
        assert!(matches!(
            Ink::decode(&over),
            Err(SignatureError::TooLarge { what: "points", count, .. }) if count == MAX_POINTS + 1
        ));

        let many = Ink {
            canvas: Canvas {
                width: 1000.0,
                height: 1000.0,
                density: 1.0,
            },
            strokes: (0..MAX_STROKES)
                .map(|i| Stroke {
                    points: vec![
                        pt(i as f32, 0.0, 2 * i as u32, 0.5),
                        pt(i as f32, 900.0, 2 * i as u32 + 1, 0.5),
                    ],
                })
                .collect(),
        };
        assert_eq!(
            Ink::decode(&many.encode()).unwrap().strokes.len(),
            MAX_STROKES
        );
        let mut too_many = TWO_STROKES.to_vec();
        too_many.splice(16..17, {
            let mut v = Vec::new();
            put_uvar(&mut v, MAX_STROKES as u64 + 1);
            v
        });
        assert!(matches!(
            Ink::decode(&too_many),
            Err(SignatureError::TooLarge { what: "count", count, max }) if count == MAX_STROKES + 1 && max == MAX_STROKES
        ));
    }

    #[test]
    fn time_that_overflows_is_refused() {
        let mut ink = two_strokes();
        ink.strokes[1].points[0].t_ms = u32::MAX - 100;
        ink.strokes[1].points[1].t_ms = u32::MAX - 60;
        ink.strokes[1].points[2].t_ms = u32::MAX;
        let bytes = ink.encode();
        same_points(&Ink::decode(&bytes).unwrap(), &ink);
        // The last step made 127 ms instead of 60 ends past u32::MAX.
        let mut past = bytes.clone();
        let at = past.len() - 2;
        past[at] = 0x7f;
        assert!(
            matches!(Ink::decode(&past), Err(SignatureError::Malformed(m)) if m.contains("time"))
        );
    }

    #[test]
    fn an_empty_stroke_keeps_its_place() {
        let mut ink = two_strokes();
        ink.strokes.insert(1, Stroke::default());
        let back = Ink::decode(&ink.encode()).unwrap();
        assert_eq!(back.strokes.len(), 3);
        assert!(back.strokes[1].points.is_empty());
        same_points(&back, &ink);
    }
}
