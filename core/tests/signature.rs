//! Signature strokes: validation, compact encoding, deterministic rendering.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use onsite_core::signature::{
    render_gray, render_png, render_svg, Background, Canvas, Ink, Point, SignatureError, Stroke,
};
use proptest::prelude::*;

fn canvas() -> Canvas {
    Canvas {
        width: 600.0,
        height: 200.0,
        density: 2.0,
    }
}

fn line(x0: f32, y0: f32, x1: f32, y1: f32, n: usize, t0: u32) -> Stroke {
    Stroke {
        points: (0..n)
            .map(|i| {
                let u = i as f32 / (n - 1) as f32;
                Point {
                    x: x0 + (x1 - x0) * u,
                    y: y0 + (y1 - y0) * u,
                    t_ms: t0 + i as u32 * 10,
                    pressure: 0.5,
                }
            })
            .collect(),
    }
}

/// A horizontal line across the middle of the left half: ink only there.
fn fixed() -> Ink {
    Ink {
        canvas: canvas(),
        strokes: vec![line(50.0, 100.0, 290.0, 100.0, 60, 0)],
    }
}

#[test]
fn each_validation_rule_has_its_error() {
    let ok = fixed();
    assert!(ok.validate().is_ok());
    let with = |f: &dyn Fn(&mut Ink)| {
        let mut i = ok.clone();
        f(&mut i);
        i.validate().unwrap_err()
    };
    assert_eq!(with(&|i| i.strokes.clear()), SignatureError::NoStrokes);
    assert_eq!(
        with(&|i| i.strokes = vec![Stroke::default()]),
        SignatureError::NoStrokes
    );
    assert!(matches!(
        with(&|i| i.strokes = vec![line(100.0, 100.0, 110.0, 100.0, 5, 0)]),
        SignatureError::TooLittleInk { .. }
    ));
    assert!(matches!(
        with(&|i| i.strokes = vec![
            line(100.0, 100.0, 110.0, 102.0, 200, 0),
            line(110.0, 102.0, 100.0, 100.0, 200, 3000)
        ]),
        SignatureError::TooLittleInk { .. }
    ));
    assert!(matches!(
        with(&|i| i.strokes[0].points[3].x = 900.0),
        SignatureError::OutsideCanvas {
            stroke: 0,
            point: 3,
            ..
        }
    ));
    assert!(matches!(
        with(&|i| i.strokes[0].points[2].y = f32::NAN),
        SignatureError::NotFinite { .. }
    ));
    assert!(matches!(
        with(&|i| i.strokes[0].points[4].x = f32::INFINITY),
        SignatureError::NotFinite { .. }
    ));
    assert!(matches!(
        with(&|i| i.strokes[0].points[5].t_ms = 1),
        SignatureError::TimeBackwards {
            stroke: 0,
            point: 5
        }
    ));
    assert!(matches!(
        with(&|i| i.strokes.push(line(50.0, 150.0, 290.0, 150.0, 10, 0))),
        SignatureError::TimeBackwards {
            stroke: 1,
            point: 0
        }
    ));
    assert!(matches!(
        with(&|i| i.strokes = vec![line(0.0, 0.0, 600.0, 200.0, 100_001, 0)]),
        SignatureError::TooLarge { what: "points", .. }
    ));
    assert!(matches!(
        with(&|i| i.canvas.width = 0.0),
        SignatureError::BadCanvas { .. }
    ));
    assert!(matches!(
        with(&|i| i.canvas.height = f32::NAN),
        SignatureError::BadCanvas { .. }
    ));
}

#[test]
fn a_thousand_point_signature_encodes_in_a_few_kilobytes_and_round_trips() {
    let ink = Ink::sample();
    assert_eq!(ink.point_count(), 1000);
    ink.validate().unwrap();
    let bytes = ink.encode();
    assert!(bytes.len() < 4096, "{} bytes", bytes.len());
    let json = serde_json::to_vec(&ink).unwrap();
    assert!(
        bytes.len() * 10 < json.len(),
        "{} vs JSON {}",
        bytes.len(),
        json.len()
    );
    let back = Ink::decode(&bytes).unwrap();
    assert_eq!(back.point_count(), 1000);
    for (a, b) in ink
        .strokes
        .iter()
        .flat_map(|s| &s.points)
        .zip(back.strokes.iter().flat_map(|s| &s.points))
    {
        assert!(
            (a.x - b.x).abs() <= 0.05 && (a.y - b.y).abs() <= 0.05,
            "{a:?} {b:?}"
        );
        assert_eq!(a.t_ms, b.t_ms);
        assert!((a.pressure - b.pressure).abs() <= 0.5 / 255.0 + 1e-6);
    }
    // Varying pressure and timing still round-trip.
    let mut varied = fixed();
    for (i, p) in varied.strokes[0].points.iter_mut().enumerate() {
        p.pressure = (i % 7) as f32 / 7.0;
        p.t_ms = (i * i) as u32;
    }
    let back = Ink::decode(&varied.encode()).unwrap();
    assert_eq!(back.strokes[0].points[9].t_ms, 81);
}

#[test]
fn rendering_has_the_requested_size_and_ink_where_the_strokes_are() {
    let ink = fixed();
    let img = render_gray(&ink, 600, 200).unwrap();
    assert_eq!(img.dimensions(), (600, 200));
    // The stroke runs along y = 100 from x = 50 to 290.
    for x in [60, 150, 280] {
        assert!(img.get_pixel(x, 100).0[0] < 128, "no ink at ({x}, 100)");
    }
    for (x, y) in [(400, 100), (150, 20), (150, 180), (20, 100), (590, 190)] {
        assert_eq!(img.get_pixel(x, y).0[0], 255, "ink at ({x}, {y})");
    }
    // Another aspect ratio: centred, scaled.
    let img = render_gray(&ink, 300, 300).unwrap();
    assert_eq!(img.dimensions(), (300, 300));
    assert!(img.get_pixel(75, 150).0[0] < 128);
    assert_eq!(img.get_pixel(75, 60).0[0], 255);

    let png = render_png(&ink, 600, 200, Background::White).unwrap();
    let decoded = image::load_from_memory(&png).unwrap().to_luma8();
    assert_eq!(decoded.dimensions(), (600, 200));
    assert!(decoded.get_pixel(150, 100).0[0] < 128);
    let png = render_png(&ink, 600, 200, Background::Transparent).unwrap();
    let rgba = image::load_from_memory(&png).unwrap().to_rgba8();
    assert_eq!(
        rgba.get_pixel(400, 20).0[3],
        0,
        "transparent away from the ink"
    );
    assert!(rgba.get_pixel(150, 100).0[3] > 128);
}

#[test]
fn faster_strokes_are_thinner() {
    let slow = Ink {
        canvas: canvas(),
        strokes: vec![Stroke {
            points: line(50.0, 100.0, 290.0, 100.0, 60, 0)
                .points
                .into_iter()
                .enumerate()
                .map(|(i, p)| Point {
                    t_ms: i as u32 * 80,
                    ..p
                })
                .collect(),
        }],
    };
    let fast = Ink {
        canvas: canvas(),
        strokes: vec![Stroke {
            points: line(50.0, 100.0, 290.0, 100.0, 60, 0)
                .points
                .into_iter()
                .enumerate()
                .map(|(i, p)| Point {
                    t_ms: i as u32,
                    ..p
                })
                .collect(),
        }],
    };
    let ink_px = |i: &Ink| {
        render_gray(i, 600, 200)
            .unwrap()
            .pixels()
            .filter(|p| p.0[0] < 128)
            .count()
    };
    assert!(
        ink_px(&slow) > ink_px(&fast),
        "slow {} fast {}",
        ink_px(&slow),
        ink_px(&fast)
    );
}

#[test]
fn rendering_is_deterministic_and_svg_matches() {
    let ink = Ink::sample();
    assert_eq!(
        render_png(&ink, 600, 200, Background::White).unwrap(),
        render_png(&ink, 600, 200, Background::White).unwrap()
    );
    let svg = render_svg(&ink, 600, 200).unwrap();
    assert_eq!(svg, render_svg(&ink, 600, 200).unwrap());
    assert!(svg.starts_with("<svg") && svg.contains(r#"viewBox="0 0 600 200""#));
    assert_eq!(svg.matches("<path").count(), 1000 - 3);
    assert!(matches!(
        render_png(&ink, 0, 10, Background::White),
        Err(SignatureError::BadRenderSize { .. })
    ));
    assert!(matches!(
        render_png(&ink, 5000, 10, Background::White),
        Err(SignatureError::BadRenderSize { .. })
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Ink::decode(&bytes);
        let mut b = b"OSG\x01".to_vec();
        b.extend_from_slice(&bytes);
        let _ = Ink::decode(&b);
    }

    #[test]
    fn valid_inks_round_trip(points in proptest::collection::vec((0.0f32..600.0, 0.0f32..200.0, 0u32..50, 0.0f32..=1.0), 40..400)) {
        let mut t = 0;
        let pts: Vec<Point> = points.iter().map(|(x, y, dt, p)| { t += dt; Point { x: *x, y: *y, t_ms: t, pressure: *p } }).collect();
        let ink = Ink { canvas: canvas(), strokes: vec![Stroke { points: pts }] };
        prop_assume!(ink.validate().is_ok());
        let back = Ink::decode(&ink.encode()).unwrap();
        for (a, b) in ink.strokes[0].points.iter().zip(&back.strokes[0].points) {
            prop_assert!((a.x - b.x).abs() <= 0.051 && (a.y - b.y).abs() <= 0.051);
            prop_assert_eq!(a.t_ms, b.t_ms);
        }
    }
}
