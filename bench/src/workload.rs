//! The work the benchmarks measure: completed visits as a technician does
//! them (checklists with photos, two material inspections, a 1 000-point
//! signature, payment, receipt), and where to build them quickly.

use image::ImageEncoder;
use onsite_core::checklist::{Answer, ItemKind, Phase};
use onsite_core::material::{Inspection, MaterialRequest, Source, Verdict};
use onsite_core::payment::Method;
use onsite_core::photo::PhotoPolicy;
use onsite_core::signature::{Canvas, Ink, Point, Stroke};
use onsite_core::visit::{Assessment, Rating};
use onsite_core::{sample, AcceptanceInput, Result, SignInput, Technician};

/// Checklist answers per visit the figures are stated for.
pub const ANSWERS_PER_VISIT: usize = 20;

/// A 1 000-point handwritten-looking signature on a 600×200 pad.
/// [`signature_1000`] as one customer's hand would draw it: every point
/// moved by up to 1.5 px, its pressure by up to 0.05 and its time by up to
/// 3 ms, from a generator seeded by `n` (each visit its own signature, so
/// no batch compresses one visit's strokes against another's).
pub fn signature_1000_of(n: u64) -> Ink {
    let mut ink = signature_1000();
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f32 / (1u64 << 53) as f32
    };
    let mut shift = 0u32;
    for s in &mut ink.strokes {
        for p in &mut s.points {
            p.x += (next() - 0.5) * 3.0;
            p.y += (next() - 0.5) * 3.0;
            p.pressure = (p.pressure + (next() - 0.5) * 0.1).clamp(0.05, 1.0);
            shift += (next() * 3.0) as u32;
            p.t_ms += shift;
        }
    }
    ink
}

pub fn signature_1000() -> Ink {
    let mut strokes = Vec::new();
    let mut t = 0u32;
    for s in 0..5 {
        let x0 = 30.0 + s as f32 * 110.0;
        let points = (0..200)
            .map(|i| {
                let f = i as f32 / 200.0;
                let p = Point {
                    x: x0 + f * 95.0,
                    y: 100.0 + 60.0 * (f * 9.0 + s as f32).sin() * (1.0 - f * 0.4),
                    t_ms: t,
                    pressure: 0.4 + 0.4 * (f * 3.0).sin().abs(),
                };
                t += 4 + (i % 3) as u32;
                p
            })
            .collect();
        strokes.push(Stroke { points });
        t += 180;
    }
    Ink {
        canvas: Canvas {
            width: 600.0,
            height: 200.0,
            density: 2.0,
        },
        strokes,
    }
}

/// A scratch directory on tmpfs when there is one: building thousands of
/// visits there does not wait for the disk. Measured stores live on disk.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().expect("temp dir")
}

/// The size the app stores a photo at: the policy's longest edge, 4:3 like a
/// phone camera (a frame this size is stored without resizing).
pub fn photo_size() -> (u32, u32) {
    let edge = PhotoPolicy::default().max_edge;
    (edge, edge * 3 / 4)
}

/// A camera frame of `photo_size()` whose pixels differ for every `n`:
/// smooth shading plus per-pixel grain, so the core's JPEG of it is about as
/// large as of a real photo (a flat test card would shrink to a few KB).
/// Handed over as an uncompressed PNG, which the core accepts like a camera
/// JPEG: encoding a JPEG here would double the bench's setup time, and what
/// the figures measure is the core's output, the same either way.
pub fn camera_photo(n: u64) -> Vec<u8> {
    let (w, h) = photo_size();
    let phase = (n % 97) as f32 * 0.37;
    let across: Vec<f32> = (0..w)
        .map(|x| (x as f32 / w as f32 * 6.0 + phase).sin())
        .collect();
    let down: Vec<f32> = (0..h)
        .map(|y| (y as f32 / h as f32 * 4.0 - phase).cos())
        .collect();
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        // xorshift64: the grain, different for every photo.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let grain = (state & 0x0F) as f32 - 8.0;
        let shade = 110.0 + 60.0 * across[x as usize] * down[y as usize];
        let tint = (x + y) as f32 / (w + h) as f32;
        let c = |k: f32| (shade * k + grain).clamp(0.0, 255.0) as u8;
        image::Rgb([c(1.0), c(0.9 + 0.2 * tint), c(1.1 - 0.3 * tint)])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Uncompressed,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
    .expect("encode the camera frame");
    out
}

/// Takes one photo for each job: makes its camera frame ([`camera_photo`])
/// and has the core process and store it ([`Technician::add_photo`]), on
/// two threads (the store serialises only the insert). Returns each photo's
/// hash, in job order, for [`complete_visit`].
pub fn take_photos(tech: &Technician, jobs: &[String]) -> anyhow::Result<Vec<String>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take = || -> anyhow::Result<Vec<(usize, String)>> {
        let mut taken = Vec::new();
        loop {
            let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let Some(job) = jobs.get(n) else {
                return Ok(taken);
            };
            let camera = camera_photo(n as u64);
            taken.push((
                n,
                tech.add_photo(job, &camera, &PhotoPolicy::default())?
                    .full_sha256,
            ));
        }
    };
    let mut shas = vec![String::new(); jobs.len()];
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..2).map(|_| s.spawn(take)).collect();
        for w in workers {
            let taken = w
                .join()
                .map_err(|_| anyhow::anyhow!("a photo thread panicked"))??;
            for (n, sha) in taken {
                shas[n] = sha;
            }
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(shas)
}

/// Stores the core's small sample photo once (recorded as `job`'s) and
/// returns its hash, for visits whose photo bytes a figure does not measure:
/// every such visit names this one blob, as a deduplicated photo would.
pub fn shared_photo(tech: &Technician, job: &str) -> Result<String> {
    Ok(tech
        .add_photo(job, &sample::photo_jpeg(), &PhotoPolicy::default())?
        .full_sha256)
}

/// Works a job the device already holds from dispatch to handover; its
/// photo items are answered with `photo`, the hash of a photo the store holds.
pub fn complete_visit(tech: &Technician, job: &str, ink: &[u8], photo: &str) -> anyhow::Result<()> {
    tech.accept_job(job)?;
    sample::complete_checklist(tech, job, Phase::BeforeLeaving)?;
    tech.depart(job)?;
    tech.arrive_with_reason(job, "路上堵车 / traffic")?;
    sample::complete_checklist(tech, job, Phase::Arrival)?;
    tech.assess(
        job,
        Assessment {
            findings: "角阀老化".into(),
            ..Default::default()
        },
    )?;
    sample::add_schedule_line(tech, job, 1)?;
    tech.present_quote(job)?;
    tech.customer_consents(job, "王女士")?;
    for m in ["m1", "m2"] {
        tech.add_material(
            job,
            &MaterialRequest {
                material_id: m.into(),
                source: Source::CustomerSupplied,
                description: "客户自购角阀".into(),
                qty: 1,
                part_code: None,
            },
        )?;
        tech.inspect_material(
            job,
            m,
            Inspection {
                verdict: Verdict::Pass,
                findings: "铜芯,外观完好".into(),
                photos: vec![],
                at: tech.now(),
            },
        )?;
    }
    tech.start_work(job)?;
    tech.use_material(job, "m1")?;
    tech.use_material(job, "m2")?;
    sample::complete_checklist(tech, job, Phase::WorkRules)?;
    tech.finish_work(job, 30, "更换角阀")?;
    answer_photos(tech, job, Phase::Completion, photo)?;
    sample::complete_checklist(tech, job, Phase::Completion)?;
    // Top the answers up to the stated count (a technician corrects a reading).
    let mut answered = 0;
    let mut number_item = None;
    for phase in [
        Phase::BeforeLeaving,
        Phase::Arrival,
        Phase::WorkRules,
        Phase::Completion,
    ] {
        let view = tech.checklist(job, phase)?;
        answered += view.answers.len();
        for (id, a) in &view.answers {
            if let Answer::Photo(sha) = a {
                anyhow::ensure!(
                    sha == photo,
                    "{job}: photo item {id} is not the photo given"
                );
            }
            if number_item.is_none() && matches!(a, Answer::Number(_)) {
                number_item = Some((phase, view.template.id.clone(), id.clone(), a.clone()));
            }
        }
    }
    if let Some((_, template, item, answer)) = number_item {
        for _ in answered..ANSWERS_PER_VISIT {
            tech.answer(job, &template, &item, answer.clone())?;
        }
    }
    tech.record_acceptance(
        job,
        AcceptanceInput {
            quality: onsite_core::visit::Opinion::Rated {
                rating: Rating::Satisfied,
            },
            attitude: onsite_core::visit::Opinion::Rated {
                rating: Rating::Satisfied,
            },
            technician_ink: None,
            comment: String::new(),
            fix_uncertain: false,
            sign: SignInput::Sign {
                signer_name: "王女士".into(),
                ink: ink.to_vec(),
            },
        },
    )?;
    let due = tech.job(job)?.due_on_site().fen();
    tech.take_payment(job, Method::Cash, due, None, true)?;
    tech.issue_receipt(job, false)?;
    tech.hand_over(job)?;
    Ok(())
}

/// Answers the phase's shown photo items with the visit's photo, before the
/// sample answers the rest (with a photo of its own).
fn answer_photos(tech: &Technician, job: &str, phase: Phase, photo: &str) -> Result<()> {
    let view = tech.checklist(job, phase)?;
    for item in view
        .visible
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Photo) && !view.answers.contains_key(&i.id))
    {
        tech.answer(
            job,
            &view.template.id,
            &item.id,
            Answer::Photo(photo.to_string()),
        )?;
    }
    Ok(())
}
