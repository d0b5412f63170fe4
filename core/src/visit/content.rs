//! The content rules of each event, shared by the phone and HQ.
//!
//! The phone runs these checks while it decides a step (they are the same
//! functions); HQ runs [`Event::validate`] on every pushed op when it decodes
//! a push, so a fact that no phone could have recorded (an empty refusal
//! reason, a payment whose change does not add up, a 3 MB note) is refused
//! at the door with a typed error instead of entering HQ's books.

use super::{
    Acceptance, Assessment, Complaint, CustomerContact, Event, IdMethod, IdentityCheck,
    ItemDecision, MessageNote, Opinion, RescheduleConsent, SignOff, WithheldFill,
};
use crate::error::{Error, Field, Problem, Result};
use crate::material::{Inspection, Verdict};
use crate::punctuality::Punctuality;

/// Longest free text the core stores in one field.
pub const MAX_TEXT: usize = 2000;

pub(crate) fn check_text(what: Field, s: &str, required: bool) -> Result<()> {
    if required && s.trim().is_empty() {
        return Err(Error::invalid(what, Problem::Empty));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(Error::invalid(what, Problem::TooLong { max: MAX_TEXT }));
    }
    Ok(())
}

/// Longest wait at a door worth recording (a day), and most calls.
const MAX_WAIT_MINUTES: u32 = 24 * 60;
const MAX_CALLS: u32 = 100;

/// A message note says something; its wait and calls are plausible. The
/// service line's minimum is checked with the job ([`super::Visit::check_no_access_minimum`]).
pub(crate) fn check_message_note(note: &MessageNote) -> Result<()> {
    check_text(Field::MessageNote, &note.text, true)?;
    if note.waited_minutes > MAX_WAIT_MINUTES || note.calls_made > MAX_CALLS {
        return Err(Error::invalid(
            Field::MessageNote,
            Problem::OutOfRange {
                min: 0.0,
                max: f64::from(MAX_WAIT_MINUTES),
            },
        ));
    }
    Ok(())
}

/// A late arrival carries a reason (the verdict itself is recomputed by no one:
/// it is the phone's clock against the order).
pub(crate) fn check_late_reason(p: &Punctuality) -> Result<()> {
    match p.late_reason.as_deref() {
        None if p.is_late() => Err(Error::LateReasonRequired {
            minutes_late: p.minutes_from_reference,
        }),
        None => Ok(()),
        Some(r) => check_text(Field::LateReason, r, p.is_late()),
    }
}

/// A reschedule consent names who agreed.
pub(crate) fn check_consent(c: &RescheduleConsent) -> Result<()> {
    check_text(Field::ConsentGivenBy, &c.agreed_by, true)
}

pub(crate) fn check_contact(c: &CustomerContact) -> Result<()> {
    check_text(Field::ContactNote, &c.note, false)
}

pub(crate) fn check_assessment(a: &Assessment) -> Result<()> {
    // A withheld fault cause may be left empty now and filled in later.
    check_text(Field::AssessmentFindings, &a.findings, !a.withheld)?;
    check_text(Field::Solution, &a.solution, false)?;
    for p in a.inspected_parts.iter().chain(&a.repair_items) {
        check_text(Field::InspectedPart, p, true)?;
    }
    if a.inspected_parts.len() + a.repair_items.len() > 100 {
        return Err(Error::invalid(
            Field::Assessment,
            Problem::TooMany { max: 100 },
        ));
    }
    Ok(())
}

/// The acceptance's own content; the signature's binding to the job needs the job.
pub(crate) fn check_acceptance(a: &Acceptance) -> Result<()> {
    check_text(Field::Comment, &a.comment, false)?;
    // 「如果用户不填意见和签名,不要强迫用户签名」 (appliance book): a refusal to
    // rate is recorded with its reason, never turned into a rating.
    for o in a.opinions() {
        if let Opinion::Declined { reason } = o {
            check_text(Field::RatingDeclineReason, reason, true)?;
        }
    }
    if let Some(t) = &a.technician_signature {
        check_text(Field::SignerName, &t.signer_name, true)?;
    }
    match &a.sign_off {
        SignOff::Refused { reason } if reason.trim().is_empty() => {
            Err(Error::RefusalReasonRequired)
        }
        SignOff::Refused { reason } => check_text(Field::RefusalReason, reason, true),
        SignOff::Signed { signature } => {
            check_text(Field::SignerName, &signature.signer_name, true)
        }
    }
}

pub(crate) fn check_withheld_fill(f: &WithheldFill) -> Result<()> {
    check_text(Field::WithheldFindings, &f.findings, true)?;
    check_text(Field::WithheldSolution, &f.solution, true)
}

/// Only the last four characters of an ID card are ever stored.
pub(crate) fn check_identity(c: &IdentityCheck) -> Result<()> {
    check_text(Field::HouseholderName, &c.householder_name, true)?;
    match (c.method, &c.id_last4) {
        (IdMethod::IdCardLast4, Some(l4))
            if l4.chars().count() == 4
                && l4
                    .chars()
                    .all(|ch| ch.is_ascii_digit() || ch == 'X' || ch == 'x') =>
        {
            Ok(())
        }
        (IdMethod::IdCardLast4, _) => Err(Error::invalid(
            Field::IdLast4,
            Problem::Length { min: 4, max: 4 },
        )),
        (IdMethod::NameMatch, None) => Ok(()),
        (IdMethod::NameMatch, Some(_)) => Err(Error::invalid(
            Field::IdLast4,
            Problem::Inconsistent {
                detail: "an ID number is kept only for an ID card check".into(),
            },
        )),
    }
}

/// A rejected item says why (damage, wrong colour...).
pub(crate) fn check_item_decision(d: &ItemDecision) -> Result<()> {
    check_text(Field::ItemNote, &d.note, !d.accepted)
}

pub(crate) fn check_complaint(c: &Complaint) -> Result<()> {
    check_text(Field::ComplaintWords, &c.words, true)
}

pub(crate) fn check_inspection(material_id: &str, i: &Inspection) -> Result<()> {
    check_text(Field::InspectionFindings, &i.findings, false)?;
    if i.verdict == Verdict::Fail && i.findings.trim().is_empty() {
        return Err(Error::FindingsRequired {
            material_id: material_id.to_string(),
        });
    }
    if i.photos.len() > 20 {
        return Err(Error::invalid(
            Field::InspectionPhotos,
            Problem::TooMany { max: 20 },
        ));
    }
    for p in &i.photos {
        if p.len() != 64 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid(
                Field::InspectionPhoto,
                Problem::NotPhotoHash,
            ));
        }
    }
    Ok(())
}

/// Actual labour (实做工时) is at most a week.
pub(crate) fn check_labour_minutes(minutes: u32) -> Result<()> {
    if minutes > 7 * 24 * 60 {
        return Err(Error::invalid(
            Field::LabourMinutes,
            Problem::OutOfRange {
                min: 0.0,
                max: f64::from(7 * 24 * 60),
            },
        ));
    }
    Ok(())
}

fn check_receipt_number(n: &str) -> Result<()> {
    if n.is_empty() || n.len() > 64 || n.chars().any(char::is_control) {
        return Err(Error::invalid(
            Field::ReceiptNumber,
            Problem::Length { min: 1, max: 64 },
        ));
    }
    Ok(())
}

pub(crate) fn check_damage(d: &super::event::Damage) -> Result<()> {
    check_text(Field::DamageDescription, &d.what, true)?;
    if d.amount == crate::money::Fen::ZERO {
        return Err(Error::invalid(Field::DamageAmount, Problem::Empty));
    }
    Ok(())
}

pub(crate) fn check_parts_short(a: &super::event::PartsShortApproval) -> Result<()> {
    check_text(Field::PartsShortWhat, &a.what_short, true)?;
    check_text(Field::PartsShortApprover, &a.approver, true)?;
    check_text(Field::Comment, &a.instruction, false)
}

impl Event {
    /// The content rules of this event, without the job's state: what HQ
    /// checks on every pushed op before deciding whether it applies.
    pub fn validate(&self) -> Result<()> {
        match self {
            Event::Dispatched { order } => order.validate(),
            Event::Rescheduled { reason, .. } => check_text(Field::RescheduleReason, reason, false),
            Event::Cancelled { reason } => check_text(Field::CancellationReason, reason, true),
            Event::JobAccepted | Event::Departed | Event::WorkStarted | Event::HandedOver => Ok(()),
            Event::Arrived { punctuality } => check_late_reason(punctuality),
            Event::NoAccess { note } => check_message_note(note),
            Event::ChecklistAnswered {
                template_id,
                item_id,
                answer,
            } => {
                check_text(Field::ChecklistTemplate, template_id, true)?;
                check_text(Field::ChecklistItem, item_id, true)?;
                // Without the job there is no template to name the item by:
                // these refusals name the answer (HQ's, for a pushed fact).
                match answer {
                    crate::checklist::Answer::Text(t) | crate::checklist::Answer::Choice(t) => {
                        check_text(Field::Answer, t, false)
                    }
                    crate::checklist::Answer::Number(n) if !n.is_finite() => {
                        Err(Error::invalid(Field::Answer, Problem::NotFinite))
                    }
                    crate::checklist::Answer::Photo(sha)
                        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) =>
                    {
                        Err(Error::invalid(Field::Answer, Problem::NotPhotoHash))
                    }
                    _ => Ok(()),
                }
            }
            Event::Assessed { assessment } => check_assessment(assessment),
            Event::QuoteLineAdded { line } => line.check(),
            Event::QuoteLineRemoved { .. } => Ok(()),
            Event::QuoteLineApproved { approval, .. } => {
                check_text(Field::Supervisor, &approval.supervisor, true)?;
                check_text(Field::ApprovalCode, &approval.code, true)
            }
            Event::QuotePresented { .. } => Ok(()),
            Event::CustomerConsented { customer_name } => {
                check_text(Field::CustomerName, customer_name, true)
            }
            Event::CustomerDeclined { reason } => check_text(Field::DeclineReason, reason, false),
            Event::MaterialAdded { material } => material.check(),
            Event::MaterialInspected {
                material_id,
                inspection,
            } => check_inspection(material_id, inspection),
            Event::ConcessionNoted { note, .. } => {
                check_text(Field::ConcessionDefect, &note.defect, false)?;
                check_text(Field::ConcessionExplanation, &note.explanation, false)?;
                note.validate()
            }
            Event::MaterialUsed { material_id } => {
                crate::order::validate_id(Field::MaterialId, material_id)
            }
            Event::PartReplaced { replacement } => replacement.validate(false),
            Event::WorkDone {
                labour_minutes,
                summary,
            } => {
                check_text(Field::WorkSummary, summary, true)?;
                check_labour_minutes(*labour_minutes)?;
                Ok(())
            }
            Event::CustomerAccepted { acceptance } => check_acceptance(acceptance),
            Event::PaymentTaken { payment } => payment.check(),
            Event::ReceiptIssued { receipt } => check_receipt_number(&receipt.number),
            Event::ReceiptVoided { number, reason } => {
                check_receipt_number(number)?;
                check_text(Field::VoidReason, reason, true)
            }
            Event::ReceiptReissued { receipt, replaces } => {
                check_receipt_number(&receipt.number)?;
                check_receipt_number(replaces)
            }
            Event::ChargeDisputed { dispute } => dispute.check(),
            Event::ChargeInstructed { instruction }
            | Event::ChargeInstructionEntered { instruction } => instruction.check(),
            Event::InvoiceRecorded { invoice } => invoice.check(),
            Event::VehicleCorrected { vehicle } => vehicle.validate(),
            Event::PartsShortApproved { approval } => check_parts_short(approval),
            Event::DamageRecorded { damage } => check_damage(damage),
            Event::AppointmentAgreed {
                reason, consent, ..
            } => {
                check_text(Field::RescheduleReason, reason, false)?;
                check_consent(consent)
            }
            Event::CustomerContacted { contact } => check_contact(contact),
            Event::WithheldFilled { fill } => check_withheld_fill(fill),
            Event::IdentityChecked { check } => check_identity(check),
            Event::DeliveryItemDecided { decision, .. } => check_item_decision(decision),
            Event::ComplaintRecorded { complaint } => check_complaint(complaint),
        }
    }
}
