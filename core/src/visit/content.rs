//! The content rules of each event, shared by the phone and HQ.
//!
//! The phone runs these checks while it decides a step (they are the same
//! functions); HQ runs [`Event::validate`] on every pushed op when it decodes
//! a push, so a fact that no phone could have recorded (an empty refusal
//! reason, a payment whose change does not add up, a 3 MB note) is refused
//! at the door with a typed error instead of entering HQ's books.

use super::{Acceptance, Assessment, Event, MessageNote, SignOff};
use crate::error::{Error, Result};
use crate::material::{Inspection, Verdict};

/// Longest free text the core stores in one field.
pub const MAX_TEXT: usize = 2000;

pub(crate) fn check_text(what: &str, s: &str, required: bool) -> Result<()> {
    if required && s.trim().is_empty() {
        return Err(Error::invalid(what, "must not be empty"));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(Error::invalid(
            what,
            format!("longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

/// A message note says something, and is left after waiting or phoning.
pub(crate) fn check_message_note(note: &MessageNote) -> Result<()> {
    check_text("message note", &note.text, true)?;
    if note.waited_minutes < 2 && !note.phoned_customer {
        return Err(Error::invalid(
            "message note",
            "wait at least 2 minutes or phone the customer before leaving a message note",
        ));
    }
    Ok(())
}

pub(crate) fn check_assessment(a: &Assessment) -> Result<()> {
    check_text("findings", &a.findings, true)?;
    check_text("solution", &a.solution, false)?;
    for p in a.inspected_parts.iter().chain(&a.repair_items) {
        check_text("inspected part or repair item", p, true)?;
    }
    if a.inspected_parts.len() + a.repair_items.len() > 100 {
        return Err(Error::invalid("assessment", "more than 100 parts or items"));
    }
    Ok(())
}

/// The acceptance's own content; the signature's binding to the job needs the job.
pub(crate) fn check_acceptance(a: &Acceptance) -> Result<()> {
    check_text("comment", &a.comment, false)?;
    match &a.sign_off {
        SignOff::Refused { reason } if reason.trim().is_empty() => {
            Err(Error::AcceptanceIncomplete {
                missing: "the reason the customer refused to sign".into(),
            })
        }
        SignOff::Refused { reason } => check_text("refusal reason", reason, true),
        SignOff::Signed { signature } => check_text("signer name", &signature.signer_name, true),
    }
}

pub(crate) fn check_inspection(material_id: &str, i: &Inspection) -> Result<()> {
    check_text("findings", &i.findings, false)?;
    if i.verdict == Verdict::Fail && i.findings.trim().is_empty() {
        return Err(Error::MaterialRule {
            material_id: material_id.to_string(),
            reason: "failed inspection needs findings that say what is wrong".into(),
        });
    }
    if i.photos.len() > 20 {
        return Err(Error::invalid("inspection photos", "more than 20"));
    }
    for p in &i.photos {
        if p.len() != 64 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid("inspection photo", "must be a SHA-256 hex"));
        }
    }
    Ok(())
}

fn check_receipt_number(n: &str) -> Result<()> {
    if n.is_empty() || n.len() > 64 || n.chars().any(char::is_control) {
        return Err(Error::invalid(
            "receipt number",
            "must be 1 to 64 characters",
        ));
    }
    Ok(())
}

impl Event {
    /// The content rules of this event, without the job's state: what HQ
    /// checks on every pushed op before deciding whether it applies.
    pub fn validate(&self) -> Result<()> {
        match self {
            Event::Dispatched { order } => order.validate(),
            Event::Rescheduled { reason, .. } => check_text("reschedule reason", reason, false),
            Event::Cancelled { reason } => check_text("cancellation reason", reason, true),
            Event::JobAccepted | Event::Departed | Event::WorkStarted | Event::HandedOver => Ok(()),
            Event::Arrived { .. } => Ok(()),
            Event::NoAccess { note } => check_message_note(note),
            Event::ChecklistAnswered {
                template_id,
                item_id,
                answer,
            } => {
                check_text("checklist template", template_id, true)?;
                check_text("checklist item", item_id, true)?;
                match answer {
                    crate::checklist::Answer::Text(t) | crate::checklist::Answer::Choice(t) => {
                        check_text("answer", t, false)
                    }
                    crate::checklist::Answer::Number(n) if !n.is_finite() => {
                        Err(Error::InvalidAnswer {
                            item_id: item_id.clone(),
                            reason: "not a finite number".into(),
                        })
                    }
                    crate::checklist::Answer::Photo(sha)
                        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) =>
                    {
                        Err(Error::InvalidAnswer {
                            item_id: item_id.clone(),
                            reason: "a photo answer is a SHA-256 hex".into(),
                        })
                    }
                    _ => Ok(()),
                }
            }
            Event::Assessed { assessment } => check_assessment(assessment),
            Event::QuoteLineAdded { line } => line.check(),
            Event::QuoteLineRemoved { .. } => Ok(()),
            Event::QuoteLineApproved { approval, .. } => {
                check_text("supervisor", &approval.supervisor, true)?;
                check_text("approval code", &approval.code, true)
            }
            Event::QuotePresented { .. } => Ok(()),
            Event::CustomerConsented { customer_name } => {
                check_text("customer name", customer_name, true)
            }
            Event::CustomerDeclined { reason } => check_text("reason", reason, false),
            Event::MaterialAdded { material } => material.check(),
            Event::MaterialInspected {
                material_id,
                inspection,
            } => check_inspection(material_id, inspection),
            Event::ConcessionNoted { note, .. } => {
                check_text("concession defect", &note.defect, false)?;
                check_text("concession explanation", &note.explanation, false)?;
                note.validate()
            }
            Event::MaterialUsed { material_id } => {
                crate::order::validate_id("material id", material_id)
            }
            Event::PartReplaced { replacement } => replacement.validate(false),
            Event::WorkDone {
                labour_minutes,
                summary,
            } => {
                check_text("work summary", summary, true)?;
                if *labour_minutes > 7 * 24 * 60 {
                    return Err(Error::invalid("labour minutes", "more than a week"));
                }
                Ok(())
            }
            Event::CustomerAccepted { acceptance } => check_acceptance(acceptance),
            Event::PaymentTaken { payment } => payment.check(),
            Event::ReceiptIssued { receipt } => check_receipt_number(&receipt.number),
            Event::ReceiptVoided { number, reason } => {
                check_receipt_number(number)?;
                check_text("void reason", reason, true)
            }
            Event::ReceiptReissued { receipt, replaces } => {
                check_receipt_number(&receipt.number)?;
                check_receipt_number(replaces)
            }
        }
    }
}
