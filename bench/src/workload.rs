//! The work the benchmarks measure: completed visits as a technician does
//! them (checklists with photos, two material inspections, a 1 000-point
//! signature, payment, receipt), and where to build them quickly.

use onsite_core::checklist::{Answer, Phase};
use onsite_core::material::{Inspection, MaterialRequest, Source, Verdict};
use onsite_core::payment::Method;
use onsite_core::signature::{Canvas, Ink, Point, Stroke};
use onsite_core::visit::{Assessment, Rating};
use onsite_core::{sample, AcceptanceInput, Result, SignInput, Technician};

/// Checklist answers per visit the figures are stated for.
pub const ANSWERS_PER_VISIT: usize = 20;

/// A 1 000-point handwritten-looking signature on a 600×200 pad.
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

/// Works a job the device already holds from dispatch to handover.
pub fn complete_visit(tech: &Technician, job: &str, ink: &[u8]) -> Result<()> {
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
