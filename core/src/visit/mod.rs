//! The visit workflow: a job's state and the rules for every step of DOMAIN.md.
//!
//! Separating *decide* from *apply* (as application-services does for sync):
//! each workflow method on [`Visit`] checks the rules against the current state
//! and returns the [`Event`] to record, without changing anything; [`Visit::apply`]
//! folds an event into the state. The store runs both in one transaction; the
//! rules can be tested without a database.

pub mod action;
pub mod content;
pub mod event;
pub mod status;

#[cfg(test)]
mod table_tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use action::Action;
pub use event::{
    Acceptance, Actor, Assessment, Damage, Event, MessageNote, Op, PartsShortApproval, Rating,
    ReceiptRef, Recorded, SignOff,
};
pub use event::{
    Complaint, ComplaintKind, IdMethod, IdentityCheck, ItemDecision, Opinion, WithheldFill,
};
pub use event::{ConsentChannel, ContactKind, CustomerContact, RescheduleConsent};
pub use status::Status;

use crate::charge::{
    charge_code, ChargeDispute, ChargeInstruction, Instruction, InstructionSource, Invoice,
};
use crate::checklist::{Answer, Answers, Checklists, Phase};
use crate::error::{Error, Field, HqDecision, Problem, Result, Rule};
use crate::material::{ConcessionNote, Inspection, Material, MaterialRequest, PartReplacement};
use crate::money::Fen;
use crate::order::WorkOrder;
use crate::payment::{Method, Payment};
use crate::punctuality::Punctuality;
use crate::quote::{approval_code, Approval, FeeSchedule, LineRequest, QuoteLine, Totals};
use crate::service_line::{working_days_between, ServiceLine};
use crate::signature::record::SignatureRecord;

/// An action a screen may offer now; `blocked` is the rule that stops it, if any.
#[derive(Debug)]
pub struct AvailableAction {
    pub action: Action,
    pub blocked: Option<Error>,
}

/// What the rules need besides the job itself.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub checklists: &'a Checklists,
    pub schedule: &'a FeeSchedule,
    /// Key shared with HQ that supervisors' approval codes are made with.
    pub approval_key: &'a [u8],
}

/// The work actually done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Work {
    pub started_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    /// Actual labour (实做工时), minutes.
    pub labour_minutes: u32,
    pub summary: String,
}

/// The customer's consent to the quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    pub customer_name: String,
    pub at: DateTime<Utc>,
}

/// A job and everything recorded about it on this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    pub order: WorkOrder,
    pub status: Status,
    pub accepted_at: Option<DateTime<Utc>>,
    pub departed_at: Option<DateTime<Utc>>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub punctuality: Option<Punctuality>,
    pub no_access: Option<MessageNote>,
    /// Answers per checklist template id.
    pub answers: BTreeMap<String, Answers>,
    pub assessment: Option<Assessment>,
    pub quote_lines: Vec<QuoteLine>,
    next_line_no: u32,
    /// Set when the quote is shown to the customer.
    pub quote_totals: Option<Totals>,
    pub consent: Option<Consent>,
    pub declined_reason: Option<String>,
    pub materials: Vec<Material>,
    pub parts: Vec<PartReplacement>,
    pub work: Work,
    pub acceptance: Option<Acceptance>,
    pub accepted_by_customer_at: Option<DateTime<Utc>>,
    pub payment: Option<Payment>,
    /// The receipt that stands for this job: the first issued, or the reissue
    /// that replaced a voided one.
    pub receipt: Option<ReceiptRef>,
    /// Numbers of this job's receipts that were voided (kept: a void keeps its number).
    #[serde(default)]
    pub voided_receipts: Vec<String>,
    pub handed_over_at: Option<DateTime<Utc>>,
    pub cancelled_reason: Option<String>,
    /// How many times HQ rescheduled the visit.
    pub reschedules: u32,
    /// A charge the customer disputed, escalated to the service centre.
    #[serde(default)]
    pub charge_dispute: Option<ChargeDispute>,
    /// The service centre's instruction on the disputed charge.
    #[serde(default)]
    pub charge_instruction: Option<ChargeInstruction>,
    /// The invoice the customer asked for.
    #[serde(default)]
    pub invoice: Option<Invoice>,
    /// Parts short on site, each with the centre's oral approval.
    #[serde(default)]
    pub parts_short: Vec<PartsShortApproval>,
    /// Damage the technician caused, with its compensation.
    #[serde(default)]
    pub damages: Vec<Damage>,
    /// The customer's consent to the current appointment, when it was moved.
    #[serde(default)]
    pub appointment_consent: Option<RescheduleConsent>,
    /// Contacts with the customer before the visit (furniture), in order.
    #[serde(default)]
    pub contacts: Vec<CustomerContact>,
    /// The withheld fault cause and repair measures, filled in after the visit.
    #[serde(default)]
    pub withheld_fill: Option<WithheldFill>,
    /// Furniture: the householder's identity, checked before unloading.
    #[serde(default)]
    pub identity_check: Option<IdentityCheck>,
    /// Furniture: each delivery-list item's decision, by 1-based item number.
    #[serde(default)]
    pub item_decisions: BTreeMap<u32, ItemDecision>,
    /// Complaints the customer made on site.
    #[serde(default)]
    pub complaints: Vec<Complaint>,
}

use content::{
    check_acceptance, check_assessment, check_complaint, check_consent, check_identity,
    check_item_decision, check_labour_minutes, check_late_reason, check_message_note, check_text,
    check_withheld_fill,
};

impl Visit {
    /// A job as it arrives from HQ.
    pub fn dispatched(order: WorkOrder) -> Result<(Visit, Event)> {
        let mut v = Visit::new_dispatched(order)?;
        let event = Event::Dispatched {
            order: v.order.clone(),
        };
        v.apply(&event, v.order.dispatched_at);
        Ok((v, event))
    }

    /// The state [`Visit::dispatched`] gives, without the event: a pull of a
    /// thousand new jobs stores each one's dispatch by reference to its
    /// order (`crate::store::events`), so no copy of the order is made for it.
    pub fn new_dispatched(order: WorkOrder) -> Result<Visit> {
        order.validate()?;
        Ok(Visit {
            order,
            status: Status::Dispatched,
            accepted_at: None,
            departed_at: None,
            arrived_at: None,
            punctuality: None,
            no_access: None,
            answers: BTreeMap::new(),
            assessment: None,
            quote_lines: Vec::new(),
            next_line_no: 1,
            quote_totals: None,
            consent: None,
            declined_reason: None,
            materials: Vec::new(),
            parts: Vec::new(),
            work: Work::default(),
            acceptance: None,
            accepted_by_customer_at: None,
            payment: None,
            receipt: None,
            voided_receipts: Vec::new(),
            handed_over_at: None,
            cancelled_reason: None,
            reschedules: 0,
            charge_dispute: None,
            charge_instruction: None,
            invoice: None,
            parts_short: Vec::new(),
            damages: Vec::new(),
            appointment_consent: None,
            contacts: Vec::new(),
            withheld_fill: None,
            identity_check: None,
            item_decisions: BTreeMap::new(),
            complaints: Vec::new(),
        })
    }

    /// Rebuilds a job's state from its recorded events (the first must be the dispatch).
    ///
    /// The store keeps a projection for speed; replaying proves it matches the facts.
    pub fn replay(events: &[Recorded]) -> Result<Visit> {
        let Some((first, rest)) = events.split_first() else {
            return Err(Error::Corrupt {
                reason: "a job without events".into(),
            });
        };
        let Event::Dispatched { order } = &first.event else {
            return Err(Error::Corrupt {
                reason: format!("job {} does not start with its dispatch", first.job_id),
            });
        };
        let (mut v, _) = Visit::dispatched(order.clone())?;
        for r in rest {
            v.apply(&r.event, r.at);
        }
        Ok(v)
    }

    pub fn job_id(&self) -> &str {
        &self.order.job_id
    }

    // --- guards ---------------------------------------------------------------

    /// Refuses any technician action on a cancelled job, naming HQ's reason.
    fn live(&self) -> Result<()> {
        match (&self.status, &self.cancelled_reason) {
            (Status::Cancelled, reason) => Err(Error::JobCancelled {
                reason: reason.clone().unwrap_or_default(),
            }),
            _ => Ok(()),
        }
    }

    /// The transition table's check for `action` (see [`action`]): a cancelled
    /// job refuses everything, a sealed visit refuses changes to its facts.
    fn expect(&self, action: Action) -> Result<()> {
        self.live()?;
        if action.is_allowed_from(self.status) {
            Ok(())
        } else if self.status.sealed() && !action.allowed_from().iter().any(|s| s.sealed()) {
            Err(Error::VisitSealed)
        } else {
            Err(Error::illegal(action, self.status, Rule::WrongStatus))
        }
    }

    /// Required items of a phase gate the transition out of it.
    fn gate(&self, phase: Phase, checklists: &Checklists) -> Result<()> {
        let Some(t) = checklists.template(self.order.category, phase) else {
            return Ok(());
        };
        let empty = Answers::new();
        let answers = self.answers.get(&t.id).unwrap_or(&empty);
        match t.incomplete(answers) {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// What is due on site ([`Visit::amount_due`]). Reaching a state where
    /// the sum overflows is refused when the quote is built, so this only
    /// saturates in theory; the rules use the checked [`Visit::amount_due`].
    pub fn due_on_site(&self) -> Fen {
        self.amount_due()
            .unwrap_or_else(|_| Fen::try_from(crate::money::MAX_TOTAL_FEN).unwrap_or(Fen::ZERO))
    }

    /// The owner's share of the presented quote: the charge for this visit.
    pub fn quoted_charge(&self) -> Fen {
        self.quote_totals
            .as_ref()
            .map_or(Fen::ZERO, Totals::due_on_site)
    }

    /// The charge after the service centre's instruction on a dispute
    /// (waive = 0, reduce = the amount, insist = as quoted).
    pub fn charge_due(&self) -> Fen {
        let charge = self.quoted_charge();
        match &self.charge_instruction {
            Some(i) => i.instruction.applied_to(charge),
            None => charge,
        }
    }

    /// The order's outstanding balance (尾款) HQ asks to collect, a line of
    /// its own that the technician cannot change.
    /// 「查看客户是否有尾款未收」 (furniture book)
    pub fn balance_due(&self) -> Result<Fen> {
        Fen::new(self.order.unpaid_balance_fen)
    }

    /// What is due on site, checked: the charge after any instruction, plus the balance.
    pub fn amount_due(&self) -> Result<Fen> {
        self.charge_due().checked_add(self.balance_due()?)
    }

    /// A dispute waits for the service centre's instruction.
    pub fn charge_dispute_open(&self) -> bool {
        self.charge_dispute.is_some() && self.charge_instruction.is_none()
    }

    fn no_open_dispute(&self) -> Result<()> {
        if self.charge_dispute_open() {
            Err(Error::ChargeDisputeOpen)
        } else {
            Ok(())
        }
    }

    pub fn material(&self, material_id: &str) -> Result<&Material> {
        self.materials
            .iter()
            .find(|m| m.material_id == material_id)
            .ok_or_else(|| Error::UnknownMaterial {
                material_id: material_id.to_string(),
            })
    }

    // --- HQ's decisions -------------------------------------------------------

    /// HQ cancels: allowed until the job is settled.
    pub fn cancel(&self, reason: &str) -> Result<Event> {
        check_text(Field::CancellationReason, reason, true)?;
        if !self.status.hq_may_change() {
            return Err(Error::TooLateForHq {
                decision: HqDecision::Cancel,
                status: self.status,
            });
        }
        Ok(Event::Cancelled {
            reason: reason.trim().to_string(),
        })
    }

    /// HQ moves the appointment: allowed until the job is settled; the job goes
    /// back to dispatched and the technician takes it again.
    ///
    /// 「服务人员需在用户同意的前提下改约上门服务时间」 (furniture book 二.2.1): the
    /// customer's consent (who, when, how) is required; without it, a typed error.
    pub fn reschedule(
        &self,
        appointment_at: DateTime<Utc>,
        reason: &str,
        consent: Option<&RescheduleConsent>,
    ) -> Result<Event> {
        let consent = consent.ok_or(Error::RescheduleConsentRequired)?;
        self.hq_reschedule(appointment_at, reason, Some(consent))
    }

    /// HQ's reschedule as the phone applies it from the feed: HQ checked the
    /// consent when it decided (a feed written before consent was required
    /// has none, and HQ's decision still stands).
    pub fn hq_reschedule(
        &self,
        appointment_at: DateTime<Utc>,
        reason: &str,
        consent: Option<&RescheduleConsent>,
    ) -> Result<Event> {
        check_text(Field::RescheduleReason, reason, false)?;
        if let Some(c) = consent {
            check_consent(c)?;
        }
        if !self.status.hq_may_change() {
            return Err(Error::TooLateForHq {
                decision: HqDecision::Reschedule,
                status: self.status,
            });
        }
        Ok(Event::Rescheduled {
            appointment_at,
            reason: reason.trim().to_string(),
            consent: consent.map(|c| RescheduleConsent {
                agreed_by: c.agreed_by.trim().to_string(),
                ..c.clone()
            }),
        })
    }

    /// The technician agrees a new time with the customer (「如延误比较长,在用户同意的前提下
    /// 改约上门时间」, furniture book 三.5); the fact goes to HQ, which moves the order.
    pub fn reschedule_with_customer(
        &self,
        appointment_at: DateTime<Utc>,
        reason: &str,
        consent: Option<&RescheduleConsent>,
    ) -> Result<Event> {
        self.expect(Action::RescheduleWithCustomer)?;
        check_text(Field::RescheduleReason, reason, false)?;
        let consent = consent.ok_or(Error::RescheduleConsentRequired)?;
        check_consent(consent)?;
        Ok(Event::AppointmentAgreed {
            appointment_at,
            reason: reason.trim().to_string(),
            consent: RescheduleConsent {
                agreed_by: consent.agreed_by.trim().to_string(),
                ..consent.clone()
            },
        })
    }

    /// Records a contact with the customer before the visit; whether it was in
    /// time is computed from the appointment and the line's data.
    pub fn record_contact(&self, kind: ContactKind, note: &str, ctx: &Context) -> Result<Event> {
        self.expect(Action::RecordContact)?;
        check_text(Field::ContactNote, note, false)?;
        let contact = CustomerContact {
            kind,
            at: ctx.now,
            late: self.contact_late(kind, ctx.now)?,
            note: note.trim().to_string(),
        };
        Ok(Event::CustomerContacted { contact })
    }

    /// Whether a contact at `at` comes later than the line's rule asks:
    /// 「至少在预约5个工作日以前」 / 「在上门前1小时再次联系客户」 (furniture book 二.1).
    /// Working days are Mon-Fri in Asia/Shanghai, without a holiday calendar.
    pub fn contact_late(&self, kind: ContactKind, at: DateTime<Utc>) -> Result<bool> {
        let line = ServiceLine::of(self.order.category)?;
        let Some(rule) = line.advance_contact else {
            return Ok(false);
        };
        Ok(match kind {
            ContactKind::AdvanceNotice => {
                working_days_between(at, self.order.appointment_at)
                    < i64::from(rule.working_days_before)
            }
            ContactKind::HourBeforeCall => {
                self.order.appointment_at - at < chrono::Duration::minutes(rule.call_minutes_before)
            }
        })
    }

    /// The latest recorded contact of a kind.
    pub fn contact(&self, kind: ContactKind) -> Option<&CustomerContact> {
        self.contacts.iter().rev().find(|c| c.kind == kind)
    }

    /// A line with advance contacts (furniture) needs the contact recorded
    /// before the step: the 5-day contact before leaving, the 1-hour call
    /// before arriving. A late contact is recorded as late, not refused.
    fn contacted(&self, kind: ContactKind) -> Result<()> {
        let line = ServiceLine::of(self.order.category)?;
        if line.advance_contact.is_some() && self.contact(kind).is_none() {
            return Err(Error::ContactNotRecorded { kind });
        }
        Ok(())
    }

    // --- the technician's steps -------------------------------------------------

    pub fn accept_job(&self) -> Result<Event> {
        self.expect(Action::AcceptJob)?;
        Ok(Event::JobAccepted)
    }

    /// Leaving for the site needs the before-leaving checklist.
    pub fn depart(&self, ctx: &Context) -> Result<Event> {
        self.expect(Action::Depart)?;
        self.gate(Phase::BeforeLeaving, ctx.checklists)?;
        self.contacted(ContactKind::AdvanceNotice)?;
        Ok(Event::Departed)
    }

    /// Answers that raise a flag (a supply voltage outside 180-250 V...):
    /// recorded, shown, never refused.
    pub fn checklist_flags(&self, ctx: &Context) -> Vec<crate::checklist::Flag> {
        self.answers
            .iter()
            .filter_map(|(tid, answers)| Some(ctx.checklists.by_id(tid)?.flags(answers)))
            .flatten()
            .collect()
    }

    /// The punctuality verdict an arrival at `now` would get, for a screen to
    /// show before arriving (and to ask for a reason when it would be late):
    /// the line's window around the appointment, or, when urgent, the line's
    /// deadline from the customer's call (the order's `reported_at`).
    pub fn punctuality_at(&self, now: DateTime<Utc>) -> Result<Punctuality> {
        let line = ServiceLine::of(self.order.category)?;
        Ok(Punctuality::judge(
            now,
            self.order.appointment_at,
            self.order.reported_at,
            self.order.urgent,
            &line.arrival,
        ))
    }

    /// Arrival: the verdict is computed, never ticked. A late arrival needs the
    /// technician's reason (typed error without it) and then goes on.
    pub fn arrive(&self, ctx: &Context, late_reason: Option<&str>) -> Result<Event> {
        self.expect(Action::Arrive)?;
        self.contacted(ContactKind::HourBeforeCall)?;
        let mut punctuality = self.punctuality_at(ctx.now)?;
        let reason = late_reason.map(str::trim).filter(|r| !r.is_empty());
        if punctuality.is_late() && reason.is_none() {
            return Err(Error::LateReasonRequired {
                minutes_late: punctuality.minutes_from_reference,
            });
        }
        punctuality.late_reason = reason.map(str::to_string);
        check_late_reason(&punctuality)?;
        Ok(Event::Arrived { punctuality })
    }

    /// Nobody answers: the message note is recorded and the job returns to HQ,
    /// once the line's minimum wait and calls are met.
    pub fn no_access(&self, note: MessageNote) -> Result<Event> {
        self.expect(Action::RecordNoAccess)?;
        check_message_note(&note)?;
        self.check_no_access_minimum(&note)?;
        Ok(Event::NoAccess { note })
    }

    /// The line's minimum before a no-access note: property 「間隔約半分鐘再次按門鈴
    /// 或敲門。如客戶暫不在家,則視情況等待2~5分鐘」 (4.3.4); furniture 「3分钟后再不开门
    /// 则电话联系」 (四.2.1). Phoning does not replace waiting.
    pub fn check_no_access_minimum(&self, note: &MessageNote) -> Result<()> {
        let min = ServiceLine::of(self.order.category)?.no_access;
        if note.waited_minutes < min.min_wait_minutes || note.calls() < min.min_calls {
            return Err(Error::MessageNoteTooEarly {
                min_wait_minutes: min.min_wait_minutes,
                min_calls: min.min_calls,
            });
        }
        Ok(())
    }

    pub fn answer(
        &self,
        template_id: &str,
        item_id: &str,
        answer: Answer,
        ctx: &Context,
    ) -> Result<Event> {
        self.expect(Action::AnswerChecklist)?;
        self.check_answer(template_id, item_id, &answer, ctx.checklists)?;
        Ok(Event::ChecklistAnswered {
            template_id: template_id.to_string(),
            item_id: item_id.to_string(),
            answer,
        })
    }

    /// An answer belongs to a template of this job's line, to an item shown
    /// given the earlier answers, and has the item's kind and range.
    fn check_answer(
        &self,
        template_id: &str,
        item_id: &str,
        answer: &Answer,
        checklists: &Checklists,
    ) -> Result<()> {
        let t = checklists
            .by_id(template_id)
            .filter(|t| t.category == self.order.category)
            .ok_or_else(|| Error::UnknownChecklistItem {
                template_id: template_id.to_string(),
                item_id: item_id.to_string(),
            })?;
        let empty = Answers::new();
        let answers = self.answers.get(template_id).unwrap_or(&empty);
        t.check_answer(item_id, answer, answers)
    }

    /// Assessment starts once inside: the arrival checklist must be complete.
    pub fn assess(&self, assessment: Assessment, ctx: &Context) -> Result<Event> {
        self.expect(Action::Assess)?;
        self.gate(Phase::Arrival, ctx.checklists)?;
        check_assessment(&assessment)?;
        Ok(Event::Assessed { assessment })
    }

    pub fn add_quote_line(&self, req: &LineRequest, ctx: &Context) -> Result<Event> {
        self.expect(Action::AddQuoteLine)?;
        self.room_for_line()?;
        let line = QuoteLine::price(
            self.next_line_no,
            req,
            ctx.schedule,
            self.order.category,
            self.order.in_warranty(),
            self.order.default_payer,
        )?;
        self.total_with(&line)?;
        Ok(Event::QuoteLineAdded { line })
    }

    /// A quote holds at most [`crate::quote::MAX_LINES`] lines.
    fn room_for_line(&self) -> Result<()> {
        if self.quote_lines.len() >= crate::quote::MAX_LINES {
            return Err(Error::invalid(
                Field::Quote,
                Problem::TooMany {
                    max: crate::quote::MAX_LINES,
                },
            ));
        }
        Ok(())
    }

    /// With `line`, what is due on site still adds up without overflowing.
    fn total_with(&self, line: &QuoteLine) -> Result<()> {
        let mut lines = self.quote_lines.clone();
        lines.push(line.clone());
        Totals::of(&lines)?
            .due_on_site()
            .checked_add(self.balance_due()?)?;
        Ok(())
    }

    fn quote_line(&self, line_no: u32) -> Result<&QuoteLine> {
        self.quote_lines
            .iter()
            .find(|l| l.line_no == line_no)
            .ok_or(Error::UnknownQuoteLine { line_no })
    }

    pub fn remove_quote_line(&self, line_no: u32) -> Result<Event> {
        self.expect(Action::RemoveQuoteLine)?;
        self.quote_line(line_no)?;
        Ok(Event::QuoteLineRemoved { line_no })
    }

    /// A supervisor approves an off-schedule line with a code read out to the technician.
    pub fn approve_quote_line(
        &self,
        line_no: u32,
        supervisor: &str,
        code: &str,
        ctx: &Context,
    ) -> Result<Event> {
        self.expect(Action::ApproveQuoteLine)?;
        check_text(Field::Supervisor, supervisor, true)?;
        self.check_approval(line_no, code, ctx.approval_key)?;
        Ok(Event::QuoteLineApproved {
            line_no,
            approval: Approval {
                supervisor: supervisor.trim().to_string(),
                code: code.trim().to_string(),
            },
        })
    }

    /// Only an off-schedule line is approved, with the code made for it from
    /// the key the technician shares with HQ.
    fn check_approval(&self, line_no: u32, code: &str, approval_key: &[u8]) -> Result<()> {
        let line = self.quote_line(line_no)?;
        if !line.needs_approval() {
            return Err(Error::ApprovalNotNeeded { line_no });
        }
        if approval_code(approval_key, self.job_id(), line) != code.trim() {
            return Err(Error::InvalidApprovalCode { line_no });
        }
        Ok(())
    }

    /// Shows the quote to the customer: every off-schedule line must be approved.
    pub fn present_quote(&self) -> Result<Event> {
        self.expect(Action::PresentQuote)?;
        self.quote_ready()?;
        Ok(Event::QuotePresented {
            totals: Totals::of(&self.quote_lines)?,
        })
    }

    /// Work starts only after the customer agrees (DOMAIN.md step 4).
    pub fn customer_consents(&self, customer_name: &str) -> Result<Event> {
        self.expect(Action::CustomerConsents)?;
        self.no_open_dispute()?;
        check_text(Field::CustomerName, customer_name, true)?;
        Ok(Event::CustomerConsented {
            customer_name: customer_name.trim().to_string(),
        })
    }

    pub fn customer_declines(&self, reason: &str) -> Result<Event> {
        self.expect(Action::CustomerDeclines)?;
        check_text(Field::DeclineReason, reason, false)?;
        Ok(Event::CustomerDeclined {
            reason: reason.trim().to_string(),
        })
    }

    pub fn add_material(&self, req: &MaterialRequest) -> Result<Event> {
        self.expect(Action::AddMaterial)?;
        self.room_for_material(&req.material_id)?;
        Ok(Event::MaterialAdded {
            material: Material::new(req)?,
        })
    }

    /// A material id is recorded once per job, and a job holds at most 200.
    fn room_for_material(&self, material_id: &str) -> Result<()> {
        if self.material(material_id).is_ok() {
            return Err(Error::DuplicateMaterial {
                material_id: material_id.to_string(),
            });
        }
        if self.materials.len() >= 200 {
            return Err(Error::invalid(
                Field::Materials,
                Problem::TooMany { max: 200 },
            ));
        }
        Ok(())
    }

    pub fn inspect_material(&self, material_id: &str, inspection: Inspection) -> Result<Event> {
        self.expect(Action::InspectMaterial)?;
        check_text(Field::InspectionFindings, &inspection.findings, false)?;
        self.material(material_id)?.check_inspection(&inspection)?;
        Ok(Event::MaterialInspected {
            material_id: material_id.to_string(),
            inspection,
        })
    }

    /// Concession use (让步使用): failed customer material used with the customer's consent.
    pub fn note_concession(&self, material_id: &str, note: ConcessionNote) -> Result<Event> {
        self.expect(Action::NoteConcession)?;
        check_text(Field::ConcessionDefect, &note.defect, false)?;
        check_text(Field::ConcessionExplanation, &note.explanation, false)?;
        self.material(material_id)?.check_concession(&note)?;
        Ok(Event::ConcessionNoted {
            material_id: material_id.to_string(),
            note,
        })
    }

    pub fn use_material(&self, material_id: &str) -> Result<Event> {
        self.expect(Action::UseMaterial)?;
        self.check_use(material_id)?;
        Ok(Event::MaterialUsed {
            material_id: material_id.to_string(),
        })
    }

    /// A material goes into the work once, and only when inspected (or
    /// conceded) as usable.
    fn check_use(&self, material_id: &str) -> Result<()> {
        let m = self.material(material_id)?;
        if m.used {
            return Err(Error::MaterialInUse {
                material_id: material_id.to_string(),
                description: m.description.clone(),
            });
        }
        m.check_usable()
    }

    pub fn replace_part(&self, replacement: PartReplacement) -> Result<Event> {
        self.expect(Action::ReplacePart)?;
        replacement.validate_for(&self.order)?;
        Ok(Event::PartReplaced { replacement })
    }

    pub fn start_work(&self) -> Result<Event> {
        self.expect(Action::StartWork)?;
        Ok(Event::WorkStarted)
    }

    /// Reporting the work done needs the work-rules checklist (floors protected, tools checked...).
    pub fn finish_work(&self, labour_minutes: u32, summary: &str, ctx: &Context) -> Result<Event> {
        self.expect(Action::FinishWork)?;
        check_text(Field::WorkSummary, summary, true)?;
        check_labour_minutes(labour_minutes)?;
        self.gate(Phase::WorkRules, ctx.checklists)?;
        Ok(Event::WorkDone {
            labour_minutes,
            summary: summary.trim().to_string(),
        })
    }

    /// The canonical content the customer's and the technician's signatures
    /// are bound to: the job as it is now with both opinions (or their refusal).
    ///
    /// Serialised as JSON with sorted keys (serde_json's default map), so the
    /// same content always gives the same bytes on every device and on HQ.
    /// Format v2 adds the two opinions, the identity check and the delivery
    /// list's decisions; acceptances recorded before it stay bound to v1
    /// ([`Self::acceptance_content_v1`]).
    pub fn acceptance_content(
        &self,
        quality: &Opinion,
        attitude: &Opinion,
        comment: &str,
        fix_uncertain: bool,
    ) -> Result<Vec<u8>> {
        let doc = serde_json::json!({
            "format": "onsite-acceptance-v2",
            "order": self.order,
            "assessment": self.assessment,
            "work": self.work,
            "quote_lines": self.quote_lines,
            "quote_totals": self.quote_totals,
            "consent": self.consent,
            "materials": self.materials,
            "parts": self.parts,
            "identity_check": self.identity_check,
            "item_decisions": self.item_decisions,
            "quality": quality,
            "attitude": attitude,
            "comment": comment,
            "fix_uncertain": fix_uncertain,
        });
        Ok(serde_json::to_vec(&doc)?)
    }

    /// The content format of acceptances recorded with one rating (before v2).
    fn acceptance_content_v1(
        &self,
        rating: Rating,
        comment: &str,
        fix_uncertain: bool,
    ) -> Result<Vec<u8>> {
        let mut doc = serde_json::json!({
            "format": "onsite-acceptance-v1",
            "order": self.order,
            "assessment": self.assessment,
            "work": self.work,
            "quote_lines": self.quote_lines,
            "quote_totals": self.quote_totals,
            "consent": self.consent,
            "materials": self.materials,
            "parts": self.parts,
            "rating": rating,
            "comment": comment,
            "fix_uncertain": fix_uncertain,
        });
        // The customer signs the compensation too; absent when there is none,
        // so signatures made before damages were recorded still verify.
        if !self.damages.is_empty() {
            if let Some(map) = doc.as_object_mut() {
                map.insert("damages".into(), serde_json::to_value(&self.damages)?);
            }
        }
        Ok(serde_json::to_vec(&doc)?)
    }

    /// The content an acceptance's signatures are bound to: v2, or v1 for an
    /// acceptance recorded before the two ratings.
    fn content_of(&self, a: &Acceptance) -> Result<Vec<u8>> {
        match (&a.attitude, &a.quality) {
            (Some(attitude), quality) => {
                self.acceptance_content(quality, attitude, &a.comment, a.fix_uncertain)
            }
            (None, Opinion::Rated { rating }) => {
                self.acceptance_content_v1(*rating, &a.comment, a.fix_uncertain)
            }
            (None, Opinion::Declined { .. }) => Err(Error::SignatureNotBound),
        }
    }

    /// Acceptance needs the completion checklist; a refusal to sign needs a
    /// reason, and so does a refusal to rate; a furniture delivery needs
    /// every item of the delivery list accepted or rejected.
    pub fn accept_by_customer(&self, acceptance: &Acceptance, ctx: &Context) -> Result<Event> {
        self.expect(Action::RecordAcceptance)?;
        self.gate(Phase::Completion, ctx.checklists)?;
        self.check_old_part_answers(ctx.checklists)?;
        check_acceptance(acceptance)?;
        if acceptance.is_legacy() {
            // Both opinions are asked today (appliance book): an acceptance
            // without the attitude only comes from stored history.
            return Err(Error::invalid(Field::RatingDeclineReason, Problem::Empty));
        }
        self.delivery_decided()?;
        self.check_signature_binding(acceptance)?;
        Ok(Event::CustomerAccepted {
            acceptance: acceptance.clone(),
        })
    }

    /// A signed acceptance must be bound to this job's content as it is now
    /// (the phone checks it when the customer signs, HQ when the fact arrives).
    fn check_signature_binding(&self, acceptance: &Acceptance) -> Result<()> {
        let signatures = match &acceptance.sign_off {
            SignOff::Signed { signature } => Some(signature),
            SignOff::Refused { .. } => None,
        }
        .into_iter()
        .chain(acceptance.technician_signature.as_ref());
        let mut content = None;
        for signature in signatures {
            let bytes = match &content {
                Some(c) => c,
                None => content.insert(self.content_of(acceptance)?),
            };
            if !signature.verify(bytes) {
                return Err(Error::SignatureNotBound);
            }
        }
        Ok(())
    }

    /// Verifies the customer's signature against the content as it is now.
    pub fn verify_signature(&self) -> Result<bool> {
        match &self.acceptance {
            Some(
                a @ Acceptance {
                    sign_off: SignOff::Signed { signature },
                    ..
                },
            ) => Ok(signature.verify(&self.content_of(a)?)),
            _ => Ok(false),
        }
    }

    /// Verifies the technician's signature on the order against the content as it is now.
    pub fn verify_technician_signature(&self) -> Result<bool> {
        match &self.acceptance {
            Some(
                a @ Acceptance {
                    technician_signature: Some(signature),
                    ..
                },
            ) => Ok(signature.verify(&self.content_of(a)?)),
            _ => Ok(false),
        }
    }

    pub fn technician_signature(&self) -> Option<&SignatureRecord> {
        self.acceptance
            .as_ref()
            .and_then(|a| a.technician_signature.as_ref())
    }

    /// Furniture: every item of the delivery list accepted or rejected.
    fn delivery_decided(&self) -> Result<()> {
        let item_nos: Vec<u32> = (1..=self.order.delivery_items.len())
            .filter_map(|n| u32::try_from(n).ok())
            .filter(|n| !self.item_decisions.contains_key(n))
            .collect();
        if item_nos.is_empty() {
            Ok(())
        } else {
            Err(Error::DeliveryItemsUndecided { item_nos })
        }
    }

    /// The withheld fault cause and repair measures are filled in before the handover.
    fn withheld_filled(&self) -> Result<()> {
        match &self.assessment {
            Some(a) if a.withheld && self.withheld_fill.is_none() => {
                if a.findings.trim().is_empty() || a.solution.trim().is_empty() {
                    Err(Error::WithheldNotFilled)
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Fills in the fault cause and repair measures withheld from the customer.
    pub fn fill_withheld(&self, fill: WithheldFill) -> Result<Event> {
        self.expect(Action::FillWithheld)?;
        if !self.assessment.as_ref().is_some_and(|a| a.withheld) {
            return Err(Error::NothingWithheld);
        }
        check_withheld_fill(&fill)?;
        Ok(Event::WithheldFilled {
            fill: WithheldFill {
                findings: fill.findings.trim().to_string(),
                solution: fill.solution.trim().to_string(),
            },
        })
    }

    /// Furniture: the householder's identity, checked before unloading.
    pub fn check_identity(&self, check: IdentityCheck) -> Result<Event> {
        self.expect(Action::CheckIdentity)?;
        check_identity(&check)?;
        Ok(Event::IdentityChecked { check })
    }

    /// Furniture: one delivery-list item accepted or rejected, after the identity check.
    pub fn decide_delivery_item(&self, item_no: u32, decision: ItemDecision) -> Result<Event> {
        self.expect(Action::DecideDeliveryItem)?;
        self.check_item_decision(item_no)?;
        check_item_decision(&decision)?;
        Ok(Event::DeliveryItemDecided { item_no, decision })
    }

    fn check_item_decision(&self, item_no: u32) -> Result<()> {
        let known = usize::try_from(item_no)
            .ok()
            .is_some_and(|n| n >= 1 && n <= self.order.delivery_items.len());
        if !known {
            return Err(Error::UnknownDeliveryItem { item_no });
        }
        // 「证实对方身份」 before 「按订单内容逐项请客户验收」 (furniture book)
        if self.identity_check.is_none() {
            return Err(Error::IdentityNotChecked);
        }
        Ok(())
    }

    /// A complaint the customer makes on site, in the customer's words.
    pub fn record_complaint(&self, complaint: Complaint) -> Result<Event> {
        self.expect(Action::RecordComplaint)?;
        check_complaint(&complaint)?;
        Ok(Event::ComplaintRecorded {
            complaint: Complaint {
                kind: complaint.kind,
                words: complaint.words.trim().to_string(),
            },
        })
    }

    pub fn customer_signature(&self) -> Option<&SignatureRecord> {
        match &self.acceptance {
            Some(Acceptance {
                sign_off: SignOff::Signed { signature },
                ..
            }) => Some(signature),
            _ => None,
        }
    }

    /// Payment of what is due ([`Visit::amount_due`]); never typed, never a
    /// tip; never while a disputed charge waits for the centre's instruction.
    pub fn take_payment(
        &self,
        method: Method,
        received_fen: i64,
        reference: Option<String>,
        cash_checked: bool,
        ctx: &Context,
    ) -> Result<Event> {
        self.expect(Action::TakePayment)?;
        if self.payment.is_some() {
            return Err(Error::illegal(
                Action::TakePayment,
                self.status,
                Rule::PaymentAlreadyTaken,
            ));
        }
        // 「根据服务中心批示处理」: the job waits, it is not put on account.
        self.no_open_dispute()?;
        Ok(Event::PaymentTaken {
            payment: Payment::take(
                method,
                self.amount_due()?,
                received_fen,
                reference,
                cash_checked,
                ctx.now,
            )?,
        })
    }

    // --- disputed charge and invoice (DOMAIN.md step 8) -------------------------

    /// The customer refuses the charge or asks a reduction, still after 三包
    /// and the warranty scope were explained: it goes to the service centre.
    /// 「服务工程师要详细向用户解释国家三保规定及保修期范围」
    /// 「如果用户一再坚持则将信息处理结果报回服务中心」 (appliance book)
    pub fn dispute_charge(&self, dispute: &ChargeDispute) -> Result<Event> {
        self.expect(Action::DisputeCharge)?;
        self.check_dispute(dispute)?;
        Ok(Event::ChargeDisputed {
            dispute: ChargeDispute {
                customer_words: dispute.customer_words.trim().to_string(),
                ..dispute.clone()
            },
        })
    }

    fn check_dispute(&self, dispute: &ChargeDispute) -> Result<()> {
        if self.charge_dispute.is_some() {
            return Err(Error::ChargeAlreadyDisputed);
        }
        if self.payment.is_some() {
            return Err(Error::illegal(
                Action::DisputeCharge,
                self.status,
                Rule::PaymentAlreadyTaken,
            ));
        }
        if self.quoted_charge() == Fen::ZERO {
            return Err(Error::NothingToDispute);
        }
        if dispute.disputed != self.quoted_charge() {
            return Err(Error::invalid(
                Field::Payment,
                Problem::Inconsistent {
                    detail: "the disputed charge is not the owner's share of the quote".into(),
                },
            ));
        }
        dispute.check()
    }

    /// The instruction a supervisor read out, with its code, entered offline.
    pub fn enter_charge_instruction(
        &self,
        instruction: Instruction,
        supervisor: &str,
        code: &str,
        ctx: &Context,
    ) -> Result<Event> {
        self.expect(Action::EnterChargeInstruction)?;
        let given = ChargeInstruction {
            instruction,
            by: supervisor.trim().to_string(),
            source: InstructionSource::SupervisorCode {
                code: code.trim().to_string(),
            },
        };
        self.check_instruction(&given)?;
        self.check_charge_code(&given, ctx.approval_key)?;
        Ok(Event::ChargeInstructionEntered { instruction: given })
    }

    /// An instruction entered on the phone carries the code its supervisor
    /// read out, made from the key the technician shares with HQ.
    fn check_charge_code(&self, given: &ChargeInstruction, approval_key: &[u8]) -> Result<()> {
        match &given.source {
            InstructionSource::SupervisorCode { code }
                if charge_code(approval_key, self.job_id(), given.instruction) == code.trim() =>
            {
                Ok(())
            }
            _ => Err(Error::InvalidChargeCode),
        }
    }

    /// HQ's instruction on the open dispute (applied on the phone when pulled).
    pub fn instruct_charge(&self, instruction: Instruction, by: &str) -> Result<Event> {
        self.live()?;
        let given = ChargeInstruction {
            instruction,
            by: by.trim().to_string(),
            source: InstructionSource::Sync,
        };
        self.check_instruction(&given)?;
        Ok(Event::ChargeInstructed { instruction: given })
    }

    fn check_instruction(&self, given: &ChargeInstruction) -> Result<()> {
        given.check()?;
        if !self.charge_dispute_open() {
            return Err(Error::NoOpenChargeDispute);
        }
        given.instruction.check_against(self.quoted_charge())
    }

    /// The invoice asked for: title and tax number, handed over or promised.
    /// 「如用户要求开发票,则必须给用户开发票」 (appliance book)
    pub fn record_invoice(&self, invoice: &Invoice) -> Result<Event> {
        self.expect(Action::RecordInvoice)?;
        invoice.check()?;
        Ok(Event::InvoiceRecorded {
            invoice: Invoice {
                title: invoice.title.trim().to_string(),
                ..invoice.clone()
            },
        })
    }

    /// A receipt is issued once acceptance is recorded and payment taken.
    pub fn check_receipt_allowed(&self) -> Result<()> {
        self.expect(Action::IssueReceipt)?;
        if self.payment.is_none() {
            return Err(Error::illegal(
                Action::IssueReceipt,
                self.status,
                Rule::PaymentBeforeReceipt,
            ));
        }
        Ok(())
    }

    /// The job's standing receipt when it was voided and not yet replaced.
    pub fn voided_receipt_pending(&self) -> Option<&str> {
        self.receipt
            .as_ref()
            .map(|r| r.number.as_str())
            .filter(|n| self.voided_receipts.iter().any(|v| v == n))
    }

    /// Voids the job's standing receipt. Corrections are new facts, as in
    /// accounting: the number stays used, the money no longer counts.
    pub fn void_receipt(&self, number: &str, reason: &str) -> Result<Event> {
        self.expect(Action::VoidReceipt)?;
        check_text(Field::VoidReason, reason, true)?;
        let standing = self.receipt.as_ref().map(|r| r.number.as_str());
        if standing != Some(number) {
            return Err(Error::ReceiptNotStanding {
                number: number.to_string(),
            });
        }
        if self.voided_receipt_pending().is_some() {
            return Err(Error::ReceiptAlreadyVoid {
                number: number.to_string(),
            });
        }
        Ok(Event::ReceiptVoided {
            number: number.to_string(),
            reason: reason.trim().to_string(),
        })
    }

    /// Reissues the job's voided receipt: `receipt` is the new ledger entry.
    pub fn reissue_receipt(&self, voided: &str, receipt: ReceiptRef) -> Result<Event> {
        self.expect(Action::ReissueReceipt)?;
        if self.voided_receipt_pending() != Some(voided) {
            return Err(Error::ReceiptNotVoided {
                number: voided.to_string(),
            });
        }
        Ok(Event::ReceiptReissued {
            receipt,
            replaces: voided.to_string(),
        })
    }

    fn is_gps(&self) -> bool {
        self.order.category == crate::checklist::Category::GpsInstall
    }

    /// GPS: the technician corrects the vehicle details on site (they reach HQ).
    pub fn correct_vehicle(&self, vehicle: crate::order::Vehicle) -> Result<Event> {
        self.expect(Action::CorrectVehicle)?;
        if !self.is_gps() {
            return Err(Error::invalid(
                Field::VehiclePlate,
                Problem::Inconsistent {
                    detail: "vehicle details belong to GPS orders".into(),
                },
            ));
        }
        vehicle.validate()?;
        Ok(Event::VehicleCorrected {
            vehicle: crate::order::Vehicle {
                plate: vehicle.plate.trim().to_string(),
                model: vehicle.model.trim().to_string(),
                driver_name: vehicle.driver_name.trim().to_string(),
                driver_phone: vehicle.driver_phone.trim().to_string(),
            },
        })
    }

    /// Parts short on site: records who at the centre approved the way round it, and when.
    pub fn record_parts_short(&self, approval: PartsShortApproval) -> Result<Event> {
        self.expect(Action::RecordPartsShort)?;
        content::check_parts_short(&approval)?;
        Ok(Event::PartsShortApproved {
            approval: PartsShortApproval {
                what_short: approval.what_short.trim().to_string(),
                approver: approval.approver.trim().to_string(),
                instruction: approval.instruction.trim().to_string(),
                ..approval
            },
        })
    }

    /// Damage the technician caused: what, the compensation, whether the customer agreed.
    pub fn record_damage(&self, damage: Damage) -> Result<Event> {
        self.expect(Action::RecordDamage)?;
        content::check_damage(&damage)?;
        Ok(Event::DamageRecorded {
            damage: Damage {
                what: damage.what.trim().to_string(),
                ..damage
            },
        })
    }

    /// The completion checklist's "part replaced / old part recovered"
    /// answers must agree with the replacements recorded: the centre reviews
    /// the old parts by their registration numbers, so a "no" with a part
    /// replaced (or a "yes" without one) is refused before the customer signs.
    pub fn check_old_part_answers(&self, checklists: &Checklists) -> Result<()> {
        let Some(t) = checklists.template(self.order.category, Phase::Completion) else {
            return Ok(());
        };
        let Some(answers) = self.answers.get(&t.id) else {
            return Ok(());
        };
        let replaced = !self.parts.is_empty();
        let all_registered = self
            .parts
            .iter()
            .all(|p| p.old_part_recovered && p.old_part_registration.is_some());
        let mut checks = vec![("old_part_taken", replaced)];
        if replaced {
            checks.push(("old_part_bagged", all_registered));
        }
        for (item_id, recorded) in checks {
            if let Some(Answer::YesNo(said) | Answer::Check(said)) = answers.get(item_id) {
                if *said != recorded {
                    return Err(Error::OldPartAnswerMismatch {
                        item_id: item_id.to_string(),
                        answered_yes: *said,
                    });
                }
            }
        }
        Ok(())
    }

    pub fn hand_over(&self) -> Result<Event> {
        self.expect(Action::HandOver)?;
        self.receipt_standing()?;
        self.withheld_filled()?;
        Ok(Event::HandedOver)
    }

    // --- what a screen may offer -------------------------------------------------

    /// A quote is shown only with lines, and with every off-schedule line approved.
    fn quote_ready(&self) -> Result<()> {
        if self.quote_lines.is_empty() {
            return Err(Error::EmptyQuote);
        }
        match self
            .quote_lines
            .iter()
            .find(|l| l.needs_approval() && l.approval.is_none())
        {
            Some(l) => Err(Error::OffScheduleNeedsApproval { line_no: l.line_no }),
            None => Ok(()),
        }
    }

    /// The handover needs a receipt that stands: a voided one is reissued first.
    fn receipt_standing(&self) -> Result<()> {
        match self.voided_receipt_pending() {
            Some(number) => Err(Error::ReceiptNotReissued {
                number: number.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// The actions a screen may offer now, in workflow order, each with the
    /// rule that blocks it if one does (unanswered required items, a missing
    /// concession, a missing approval...). Derived from the transition table
    /// and the same checks the workflow methods run, so a shell never writes an
    /// `if` on status. Actions with nothing to act on (no quote line needing
    /// approval, no material to inspect) are left out; a cancelled job offers nothing.
    pub fn available_actions(&self, ctx: &Context) -> Vec<AvailableAction> {
        if self.live().is_err() {
            return Vec::new();
        }
        Action::ALL
            .into_iter()
            .filter(|a| a.is_allowed_from(self.status))
            .filter_map(|action| {
                self.blocker(action, ctx).map(|blocked| AvailableAction {
                    action,
                    blocked: blocked.err(),
                })
            })
            .collect()
    }

    /// `None`: nothing to offer; `Some(Err(rule))`: offered but blocked; `Some(Ok)`: go.
    fn blocker(&self, action: Action, ctx: &Context) -> Option<Result<()>> {
        let unused = || self.materials.iter().filter(|m| !m.used);
        Some(match action {
            Action::Depart => self
                .gate(Phase::BeforeLeaving, ctx.checklists)
                .and_then(|()| self.contacted(ContactKind::AdvanceNotice)),
            Action::Arrive => self.contacted(ContactKind::HourBeforeCall),
            Action::Assess => self.gate(Phase::Arrival, ctx.checklists),
            Action::FinishWork => self.gate(Phase::WorkRules, ctx.checklists),
            Action::RecordAcceptance => self
                .gate(Phase::Completion, ctx.checklists)
                .and_then(|()| self.check_old_part_answers(ctx.checklists))
                .and_then(|()| self.delivery_decided()),
            Action::CorrectVehicle if !self.is_gps() => return None,
            Action::PresentQuote => self.quote_ready(),
            Action::RemoveQuoteLine if self.quote_lines.is_empty() => return None,
            Action::ApproveQuoteLine
                if !self
                    .quote_lines
                    .iter()
                    .any(|l| l.needs_approval() && l.approval.is_none()) =>
            {
                return None
            }
            Action::InspectMaterial if unused().next().is_none() => return None,
            Action::NoteConcession
                if !self.materials.iter().any(|m| {
                    !m.used
                        && m.concession.is_none()
                        && m.inspection
                            .as_ref()
                            .is_some_and(|i| i.verdict == crate::material::Verdict::Fail)
                }) =>
            {
                return None
            }
            Action::UseMaterial => {
                let mut first_refusal = None;
                for m in unused() {
                    match m.check_usable() {
                        Ok(()) => return Some(Ok(())),
                        Err(e) => {
                            first_refusal.get_or_insert(e);
                        }
                    }
                }
                return first_refusal.map(Err);
            }
            Action::TakePayment if self.payment.is_some() => return None,
            Action::TakePayment | Action::CustomerConsents => self.no_open_dispute(),
            Action::DisputeCharge
                if self.charge_dispute.is_some()
                    || self.payment.is_some()
                    || self.quoted_charge() == Fen::ZERO =>
            {
                return None
            }
            Action::EnterChargeInstruction if !self.charge_dispute_open() => return None,
            Action::IssueReceipt => self.check_receipt_allowed(),
            Action::VoidReceipt
                if self.receipt.is_none() || self.voided_receipt_pending().is_some() =>
            {
                return None
            }
            Action::ReissueReceipt if self.voided_receipt_pending().is_none() => return None,
            Action::HandOver => self
                .receipt_standing()
                .and_then(|()| self.withheld_filled()),
            Action::FillWithheld
                if !self.assessment.as_ref().is_some_and(|a| a.withheld)
                    || self.withheld_fill.is_some() =>
            {
                return None
            }
            Action::CheckIdentity | Action::DecideDeliveryItem
                if self.order.delivery_items.is_empty() =>
            {
                return None
            }
            Action::DecideDeliveryItem if self.identity_check.is_none() => {
                Err(Error::IdentityNotChecked)
            }
            _ => Ok(()),
        })
    }

    // --- checking facts recorded elsewhere -------------------------------------

    /// Whether an event recorded on a device may apply to this state, for HQ,
    /// which receives facts rather than commands. It checks the same transition
    /// table as the phone ([`Action::allowed_from`]) and cancellation, then
    /// every precondition the phone's step checks against the job, with the
    /// same functions (checklist gates, payment before receipt, usable
    /// materials, supervisors' codes made with the technician's
    /// `approval_key`...): a fact no phone could have recorded is refused with
    /// the error the phone would have raised. The content of each event is
    /// checked when a push is decoded ([`crate::sync::protocol::decode_push`]
    /// runs [`Event::validate`]).
    pub fn admits(&self, event: &Event, approval_key: &[u8]) -> Result<()> {
        match Action::of_event(event) {
            None => Ok(()),
            Some(action) => {
                self.live()?;
                if action.is_allowed_from(self.status) {
                    self.admits_content(event, approval_key)
                } else {
                    Err(Error::illegal(action, self.status, Rule::WrongStatus))
                }
            }
        }
    }

    /// The rules of a step that need the job's state, re-run on a fact
    /// received from a device: what the phone checked when it decided the step,
    /// in the phone's order. Rules that depend on the phone's clock (the
    /// punctuality verdict, a contact's lateness) are the phone's facts.
    fn admits_content(&self, event: &Event, approval_key: &[u8]) -> Result<()> {
        let checklists = Checklists::shipped()?;
        match event {
            Event::Departed => {
                self.gate(Phase::BeforeLeaving, checklists)?;
                self.contacted(ContactKind::AdvanceNotice)
            }
            Event::Arrived { .. } => self.contacted(ContactKind::HourBeforeCall),
            Event::ChecklistAnswered {
                template_id,
                item_id,
                answer,
            } => self.check_answer(template_id, item_id, answer, checklists),
            Event::Assessed { .. } => self.gate(Phase::Arrival, checklists),
            Event::WorkDone { .. } => self.gate(Phase::WorkRules, checklists),
            Event::MaterialAdded { material } => self.room_for_material(&material.material_id),
            Event::QuoteLineAdded { line } => {
                if self.quote_lines.iter().any(|l| l.line_no == line.line_no) {
                    return Err(Error::invalid(
                        Field::QuoteLine,
                        Problem::Inconsistent {
                            detail: format!("line {} is already on the quote", line.line_no),
                        },
                    ));
                }
                self.room_for_line()?;
                line.check_terms(
                    self.order.in_warranty(),
                    FeeSchedule::shipped()?.labour_charged(self.order.category),
                )?;
                self.total_with(line)
            }
            Event::QuoteLineRemoved { line_no } => self.quote_line(*line_no).map(|_| ()),
            Event::QuoteLineApproved { line_no, approval } => {
                self.check_approval(*line_no, &approval.code, approval_key)
            }
            Event::QuotePresented { totals } => {
                self.quote_ready()?;
                if *totals != Totals::of(&self.quote_lines)? {
                    return Err(Error::invalid(
                        Field::QuoteTotals,
                        Problem::Inconsistent {
                            detail: "the totals do not add up to the quote's lines".into(),
                        },
                    ));
                }
                Ok(())
            }
            Event::MaterialInspected {
                material_id,
                inspection,
            } => self.material(material_id)?.check_inspection(inspection),
            Event::ConcessionNoted { material_id, note } => {
                self.material(material_id)?.check_concession(note)
            }
            Event::MaterialUsed { material_id } => self.check_use(material_id),
            Event::CustomerConsented { .. } => self.no_open_dispute(),
            Event::ChargeDisputed { dispute } => self.check_dispute(dispute),
            Event::ChargeInstructionEntered { instruction } => {
                self.check_instruction(instruction)?;
                self.check_charge_code(instruction, approval_key)
            }
            Event::PartReplaced { replacement } => replacement.validate_for(&self.order),
            Event::CustomerAccepted { acceptance } => {
                self.gate(Phase::Completion, checklists)?;
                self.check_old_part_answers(checklists)?;
                if !acceptance.is_legacy() {
                    self.delivery_decided()?;
                }
                self.check_signature_binding(acceptance)
            }
            Event::PaymentTaken { payment } => {
                if self.payment.is_some() {
                    return Err(Error::illegal(
                        Action::TakePayment,
                        self.status,
                        Rule::PaymentAlreadyTaken,
                    ));
                }
                self.no_open_dispute()?;
                if payment.due != self.amount_due()? {
                    return Err(Error::invalid(
                        Field::Payment,
                        Problem::Inconsistent {
                            detail: "what was due is not the owner's share of the quote after any instruction, plus the balance".into(),
                        },
                    ));
                }
                Ok(())
            }
            Event::ReceiptIssued { .. } => self.check_receipt_allowed(),
            Event::ReceiptVoided { number, reason } => {
                self.void_receipt(number, reason).map(|_| ())
            }
            Event::ReceiptReissued { receipt, replaces } => {
                self.reissue_receipt(replaces, receipt.clone()).map(|_| ())
            }
            Event::VehicleCorrected { vehicle } => self.correct_vehicle(vehicle.clone()).map(drop),
            Event::NoAccess { note } => self.check_no_access_minimum(note),
            Event::HandedOver => {
                self.receipt_standing()?;
                self.withheld_filled()
            }
            Event::WithheldFilled { fill } => self.fill_withheld(fill.clone()).map(|_| ()),
            Event::DeliveryItemDecided { item_no, .. } => self.check_item_decision(*item_no),
            _ => Ok(()),
        }
    }

    // --- apply ----------------------------------------------------------------

    /// Folds an event into the state. Never fails: events were checked when decided.
    pub fn apply(&mut self, event: &Event, at: DateTime<Utc>) {
        match event {
            Event::Dispatched { order } => {
                self.order = order.clone();
                self.status = Status::Dispatched;
            }
            Event::Rescheduled {
                appointment_at,
                consent,
                ..
            } => {
                self.order.appointment_at = *appointment_at;
                self.status = Status::Dispatched;
                self.reschedules += 1;
                self.punctuality = None;
                self.appointment_consent = consent.clone();
            }
            Event::Cancelled { reason } => {
                self.status = Status::Cancelled;
                self.cancelled_reason = Some(reason.clone());
            }
            Event::JobAccepted => {
                self.status = Status::Accepted;
                self.accepted_at = Some(at);
            }
            Event::Departed => {
                self.status = Status::EnRoute;
                self.departed_at = Some(at);
            }
            Event::Arrived { punctuality } => {
                self.status = Status::Arrived;
                self.arrived_at = Some(at);
                self.punctuality = Some(punctuality.clone());
            }
            Event::NoAccess { note } => {
                self.status = Status::NoAccess;
                self.no_access = Some(note.clone());
            }
            Event::ChecklistAnswered {
                template_id,
                item_id,
                answer,
            } => {
                self.answers
                    .entry(template_id.clone())
                    .or_default()
                    .insert(item_id.clone(), answer.clone());
            }
            Event::Assessed { assessment } => {
                self.status = Status::Assessed;
                self.assessment = Some(assessment.clone());
            }
            Event::QuoteLineAdded { line } => {
                self.next_line_no = self.next_line_no.max(line.line_no.saturating_add(1));
                self.quote_lines.push(line.clone());
            }
            Event::QuoteLineRemoved { line_no } => {
                self.quote_lines.retain(|l| l.line_no != *line_no);
            }
            Event::QuoteLineApproved { line_no, approval } => {
                if let Some(l) = self.quote_lines.iter_mut().find(|l| l.line_no == *line_no) {
                    l.approval = Some(approval.clone());
                }
            }
            Event::QuotePresented { totals } => {
                self.status = Status::Quoted;
                self.quote_totals = Some(totals.clone());
                self.declined_reason = None;
                // A new quote is a new charge: a dispute of the old one no longer applies.
                self.charge_dispute = None;
                self.charge_instruction = None;
            }
            Event::CustomerConsented { customer_name } => {
                self.status = Status::Consented;
                self.consent = Some(Consent {
                    customer_name: customer_name.clone(),
                    at,
                });
            }
            Event::CustomerDeclined { reason } => {
                self.status = Status::Declined;
                self.declined_reason = Some(reason.clone());
            }
            Event::MaterialAdded { material } => self.materials.push(material.clone()),
            Event::MaterialInspected {
                material_id,
                inspection,
            } => {
                if let Some(m) = self.material_mut(material_id) {
                    m.inspection = Some(inspection.clone());
                    m.concession = None;
                }
            }
            Event::ConcessionNoted { material_id, note } => {
                if let Some(m) = self.material_mut(material_id) {
                    m.concession = Some(note.clone());
                }
            }
            Event::MaterialUsed { material_id } => {
                if let Some(m) = self.material_mut(material_id) {
                    m.used = true;
                }
            }
            Event::PartReplaced { replacement } => self.parts.push(replacement.clone()),
            Event::WorkStarted => {
                self.status = Status::InProgress;
                self.work.started_at = Some(at);
            }
            Event::WorkDone {
                labour_minutes,
                summary,
            } => {
                self.status = Status::WorkDone;
                self.work.done_at = Some(at);
                self.work.labour_minutes = *labour_minutes;
                self.work.summary = summary.clone();
            }
            Event::CustomerAccepted { acceptance } => {
                self.status = Status::CustomerAccepted;
                self.acceptance = Some(acceptance.clone());
                self.accepted_by_customer_at = Some(at);
            }
            Event::PaymentTaken { payment } => self.payment = Some(payment.clone()),
            Event::ReceiptIssued { receipt } => {
                self.status = Status::Settled;
                self.receipt = Some(receipt.clone());
            }
            Event::ReceiptVoided { number, .. } => {
                if !self.voided_receipts.contains(number) {
                    self.voided_receipts.push(number.clone());
                }
            }
            Event::ReceiptReissued { receipt, .. } => self.receipt = Some(receipt.clone()),
            Event::HandedOver => {
                self.status = Status::HandedOver;
                self.handed_over_at = Some(at);
            }
            Event::ChargeDisputed { dispute } => self.charge_dispute = Some(dispute.clone()),
            Event::ChargeInstructed { instruction }
            | Event::ChargeInstructionEntered { instruction } => {
                self.charge_instruction = Some(instruction.clone());
            }
            Event::InvoiceRecorded { invoice } => self.invoice = Some(invoice.clone()),
            Event::VehicleCorrected { vehicle } => self.order.vehicle = Some(vehicle.clone()),
            Event::PartsShortApproved { approval } => self.parts_short.push(approval.clone()),
            Event::DamageRecorded { damage } => self.damages.push(damage.clone()),
            Event::AppointmentAgreed {
                appointment_at,
                consent,
                ..
            } => {
                // The technician keeps the job, agreed for the new time.
                self.order.appointment_at = *appointment_at;
                self.status = Status::Accepted;
                self.reschedules += 1;
                self.punctuality = None;
                self.arrived_at = None;
                self.appointment_consent = Some(consent.clone());
            }
            Event::CustomerContacted { contact } => self.contacts.push(contact.clone()),
            Event::WithheldFilled { fill } => self.withheld_fill = Some(fill.clone()),
            Event::IdentityChecked { check } => self.identity_check = Some(check.clone()),
            Event::DeliveryItemDecided { item_no, decision } => {
                self.item_decisions.insert(*item_no, decision.clone());
            }
            Event::ComplaintRecorded { complaint } => self.complaints.push(complaint.clone()),
        }
    }

    fn material_mut(&mut self, material_id: &str) -> Option<&mut Material> {
        self.materials
            .iter_mut()
            .find(|m| m.material_id == material_id)
    }
}
