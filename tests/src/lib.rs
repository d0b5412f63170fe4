//! Support for the end-to-end tests: a scripted visit that the crash worker
//! and the stories share. The tests themselves live in `tests/tests/`.

// Test and benchmark support: a failed unwrap is a failed run, not a crash in the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod console;
pub mod harness;
pub mod link;
pub mod peek;
pub mod platform;
pub mod proxy;

use chrono::{DateTime, Utc};
use onsite_core::checklist::Phase;
use onsite_core::payment::Method;
use onsite_core::sample;
use onsite_core::visit::{Assessment, Opinion, Rating};
use onsite_core::{AcceptanceInput, Result, SignInput, Technician};

/// Walks one job from dispatch to handover, calling `after_step` after every
/// committed change with the device's last outbox sequence number.
pub fn full_visit(
    tech: &Technician,
    job: &str,
    appointment: DateTime<Utc>,
    after_step: &mut dyn FnMut(i64),
) -> Result<()> {
    let mut step = |r: Result<()>| -> Result<()> {
        r?;
        after_step(tech.last_seq()?);
        Ok(())
    };
    let tid = tech.profile().technician_id.clone();
    step(
        tech.receive_order(sample::leak_order(job, &tid, appointment))
            .map(drop),
    )?;
    step(tech.accept_job(job).map(drop))?;
    step(sample::complete_checklist(tech, job, Phase::BeforeLeaving).map(drop))?;
    step(tech.depart(job).map(drop))?;
    // Whatever the clock says: a late arrival is recorded with its reason.
    step(tech.arrive_with_reason(job, "路上堵车").map(drop))?;
    step(sample::complete_checklist(tech, job, Phase::Arrival).map(drop))?;
    step(
        tech.assess(
            job,
            Assessment {
                findings: "角阀老化".into(),
                ..Default::default()
            },
        )
        .map(drop),
    )?;
    step(sample::add_schedule_line(tech, job, 2).map(drop))?;
    step(tech.present_quote(job).map(drop))?;
    step(tech.customer_consents(job, "王女士").map(drop))?;
    step(tech.start_work(job).map(drop))?;
    step(sample::complete_checklist(tech, job, Phase::WorkRules).map(drop))?;
    step(tech.finish_work(job, 30, "更换角阀").map(drop))?;
    step(sample::complete_checklist(tech, job, Phase::Completion).map(drop))?;
    step(
        tech.record_acceptance(job, declined_to_rate_and_sign("客户赶时间"))
            .map(drop),
    )?;
    let due = tech.job(job)?.due_on_site().fen();
    step(
        tech.take_payment(job, Method::Cash, due, None, true)
            .map(drop),
    )?;
    step(tech.issue_receipt(job, false).map(drop))?;
    step(tech.hand_over(job).map(drop))?;
    Ok(())
}

/// Walks an accepted job through the visit (checklists, assessment, a
/// schedule line, consent, work) to the customer's acceptance, recorded as
/// `acceptance` says.
pub fn drive_accepted_to_acceptance(
    tech: &Technician,
    job: &str,
    acceptance: AcceptanceInput,
) -> Result<()> {
    drive_accepted_to_quote(tech, job)?;
    tech.customer_consents(job, "王女士")?;
    tech.start_work(job)?;
    sample::complete_checklist(tech, job, Phase::WorkRules)?;
    tech.finish_work(job, 30, "更换角阀")?;
    sample::complete_checklist(tech, job, Phase::Completion)?;
    tech.record_acceptance(job, acceptance)?;
    Ok(())
}

/// Walks an accepted job to the customer (checklists, contacts, departure,
/// arrival), an assessment and one schedule line, to the quote presented.
pub fn drive_accepted_to_quote(tech: &Technician, job: &str) -> Result<()> {
    sample::complete_checklist(tech, job, Phase::BeforeLeaving)?;
    // A furniture delivery needs its two contacts before leaving and arriving.
    if tech.job(job)?.order.category == onsite_core::checklist::Category::Furniture {
        tech.record_contact(job, onsite_core::visit::ContactKind::AdvanceNotice, "")?;
        tech.record_contact(job, onsite_core::visit::ContactKind::HourBeforeCall, "")?;
    }
    tech.depart(job)?;
    tech.arrive_with_reason(job, "路上堵车")?;
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
    Ok(())
}

/// A rating the customer gave.
pub fn rated(rating: Rating) -> Opinion {
    Opinion::Rated { rating }
}

/// The customer gives both ratings (quality and attitude the same) and
/// declines to sign (busy): an acceptance every story can use.
pub fn refused_signature(rating: Rating, fix_uncertain: bool) -> AcceptanceInput {
    AcceptanceInput {
        quality: rated(rating),
        attitude: rated(rating),
        comment: String::new(),
        fix_uncertain,
        sign: SignInput::Refuse {
            reason: "赶时间".into(),
        },
        technician_ink: None,
    }
}

/// The customer will neither rate nor sign, for `reason`: recorded as
/// declined, never as a rating (「不要强迫用户签名」, appliance book).
pub fn declined_to_rate_and_sign(reason: &str) -> AcceptanceInput {
    AcceptanceInput {
        quality: Opinion::Declined {
            reason: reason.into(),
        },
        attitude: Opinion::Declined {
            reason: reason.into(),
        },
        comment: String::new(),
        fix_uncertain: false,
        sign: SignInput::Refuse {
            reason: reason.into(),
        },
        technician_ink: None,
    }
}

/// Walks a dispatched job from acceptance to handover (no signature: the
/// customer declines to sign), as a technician would offline.
pub fn drive_accepted_to_handover(tech: &Technician, job: &str) -> Result<()> {
    tech.accept_job(job)?;
    drive_accepted_to_acceptance(tech, job, refused_signature(Rating::Average, false))?;
    paid_and_handed_over(tech, job)
}

/// As [`drive_accepted_to_handover`], with a distinct grainy photo of the
/// finished work (`photo_seed`) for the sync to upload; returns its SHA-256.
pub fn drive_accepted_to_handover_with_photo(
    tech: &Technician,
    job: &str,
    photo_seed: u64,
) -> Result<String> {
    tech.accept_job(job)?;
    let photo = drive_accepted_with_photo(tech, job, photo_seed)?;
    tech.record_acceptance(job, refused_signature(Rating::Average, false))?;
    paid_and_handed_over(tech, job)?;
    Ok(photo)
}

/// Cash for what is due, the receipt, the handover.
fn paid_and_handed_over(tech: &Technician, job: &str) -> Result<()> {
    let due = tech.job(job)?.due_on_site().fen();
    tech.take_payment(job, Method::Cash, due, None, true)?;
    tech.issue_receipt(job, false)?;
    tech.hand_over(job)?;
    Ok(())
}

/// A camera-like PNG frame of `w`x`h` whose pixels differ for every `n`
/// (shading plus grain), so the core's JPEG of it is tens of KB, like a
/// real photo and unlike a flat test card: large enough to go in several
/// chunks.
pub fn grainy_photo(n: u64, w: u32, h: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let grain = (state & 0x1F) as i32 - 16;
        let shade = 90 + ((x * 160 / w.max(1)) as i32) - ((y * 60 / h.max(1)) as i32);
        let c = |k: i32| (shade + k + grain).clamp(0, 255) as u8;
        image::Rgb([c(0), c(20), c(-20)])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("encode the frame");
    out
}

/// Works an accepted job to its work done and completion checklist, with its
/// photo a distinct grainy one (`photo_seed`); returns the photo's SHA-256.
pub fn drive_accepted_with_photo(tech: &Technician, job: &str, photo_seed: u64) -> Result<String> {
    drive_accepted_to_quote(tech, job)?;
    tech.customer_consents(job, "王女士")?;
    tech.start_work(job)?;
    sample::complete_checklist(tech, job, Phase::WorkRules)?;
    tech.finish_work(job, 30, "更换角阀")?;
    let photo = tech.add_photo(
        job,
        &grainy_photo(photo_seed, 960, 720),
        &onsite_core::photo::PhotoPolicy::default(),
    )?;
    let view = tech.checklist(job, Phase::Completion)?;
    tech.answer(
        job,
        &view.template.id,
        "finished_photo",
        onsite_core::checklist::Answer::Photo(photo.full_sha256.clone()),
    )?;
    sample::complete_checklist(tech, job, Phase::Completion)?;
    Ok(photo.full_sha256)
}
