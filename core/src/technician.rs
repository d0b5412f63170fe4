//! [`Technician`]: the signed-in technician's store and the whole public API.
//!
//! One object per technician (as `LoginStore` in application-services): its
//! methods are named after what the technician does. Each one loads the job,
//! lets [`Visit`] decide by the rules, and records the resulting event in one
//! transaction (event, job projection, outbox op, audit row).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rusqlite::{params, Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::checklist::{Answer, Answers, Checklists, Item, Phase, Template};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::material::{ConcessionNote, Inspection, MaterialRequest, PartReplacement};
use crate::order::{validate_id, WorkOrder};
use crate::payment::Method;
use crate::quote::{FeeSchedule, LineRequest};
use crate::receipt::{verify_chain, ChainFault, EntryKind, NumberBlock, Receipt, StoredEntry};
use crate::signature::record::{check_encoded_ink, content_hash, SignatureRecord, SignerRole};
use crate::store::{self, receipts, Writer};
use crate::sync::protocol::Op;
use crate::visit::{
    Acceptance, Actor, Assessment, Context, Event, MessageNote, Rating, ReceiptRef, Recorded,
    SignOff, Status, Visit,
};

/// Who is signed in on this device. HQ provides it at enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub technician_id: String,
    pub technician_name: String,
    pub device_id: String,
    /// Key shared with HQ for supervisors' approval codes.
    pub approval_key: String,
}

/// How the customer ends the acceptance: signs, or refuses with a reason.
#[derive(Debug, Clone, PartialEq)]
pub enum SignInput {
    /// `ink` is the signature strokes in the compact encoding of [`crate::signature`].
    Sign {
        signer_name: String,
        ink: Vec<u8>,
    },
    Refuse {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AcceptanceInput {
    pub rating: Rating,
    pub comment: String,
    pub fix_uncertain: bool,
    pub sign: SignInput,
}

/// A line of the job list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    pub job_id: String,
    pub status: Status,
    pub appointment_at: DateTime<Utc>,
    pub site: String,
    pub location: String,
    pub urgent: bool,
}

/// A checklist as the technician sees it now: shown items and what is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistView {
    pub template: Template,
    pub visible: Vec<Item>,
    pub answers: Answers,
    pub missing_required: Vec<String>,
}

/// An audit trail row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub device_id: String,
    pub job_id: Option<String>,
    pub action: String,
    pub detail: String,
}

pub struct Technician {
    pub(crate) conn: Mutex<Connection>,
    pub(crate) profile: Profile,
    pub(crate) clock: Arc<dyn Clock>,
    checklists: &'static Checklists,
    schedule: &'static FeeSchedule,
    pub(crate) changes: crate::changes::Changes,
}

impl std::fmt::Debug for Technician {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Technician")
            .field("technician_id", &self.profile.technician_id)
            .field("device_id", &self.profile.device_id)
            .finish()
    }
}

impl Technician {
    /// Opens this technician's store file (created and migrated as needed).
    pub fn open(path: impl AsRef<Path>, profile: Profile) -> Result<Technician> {
        Self::open_with_clock(path, profile, Arc::new(SystemClock))
    }

    pub fn open_with_clock(
        path: impl AsRef<Path>,
        profile: Profile,
        clock: Arc<dyn Clock>,
    ) -> Result<Technician> {
        validate_id("technician id", &profile.technician_id)?;
        validate_id("device id", &profile.device_id)?;
        let conn = store::open(path.as_ref())?;
        // One file per technician: refuse to open someone else's store.
        match store::meta_get(&conn, "technician_id")? {
            Some(owner) if owner != profile.technician_id => {
                return Err(Error::invalid(
                    "store",
                    format!(
                        "belongs to technician {owner}, not {}",
                        profile.technician_id
                    ),
                ))
            }
            Some(_) => {}
            None => {
                store::meta_set(&conn, "technician_id", &profile.technician_id)?;
                store::meta_set(&conn, "device_id", &profile.device_id)?;
            }
        }
        Ok(Technician {
            conn: Mutex::new(conn),
            profile,
            clock,
            checklists: Checklists::shipped()?,
            schedule: FeeSchedule::shipped()?,
            changes: Default::default(),
        })
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn checklists(&self) -> &'static Checklists {
        self.checklists
    }

    pub fn fee_schedule(&self) -> &'static FeeSchedule {
        self.schedule
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn conn(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn.lock().map_err(|_| Error::Storage {
            reason: "the store lock was poisoned by an earlier failure".into(),
        })
    }

    pub(crate) fn writer(&self, actor: Actor) -> Writer<'_> {
        Writer {
            device_id: &self.profile.device_id,
            actor,
            now: self.clock.now(),
            batch_hlc: None,
        }
    }

    /// A writer for many events in one transaction; call `finish` before commit.
    pub(crate) fn batch_writer(&self, actor: Actor) -> Writer<'_> {
        Writer {
            batch_hlc: Some(std::cell::RefCell::new(None)),
            ..self.writer(actor)
        }
    }

    fn me(&self) -> Actor {
        Actor::Technician(self.profile.technician_id.clone())
    }

    /// Loads a job, lets the rules decide, and records the event in one transaction.
    fn act(
        &self,
        job_id: &str,
        actor: Actor,
        decide: impl FnOnce(&Visit, &Context) -> Result<Event>,
    ) -> Result<Visit> {
        validate_id("job id", job_id)?;
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut visit = store::load_visit(&tx, job_id)?;
        let writer = self.writer(actor);
        let ctx = Context {
            now: writer.now,
            checklists: self.checklists,
            schedule: self.schedule,
            approval_key: self.profile.approval_key.as_bytes(),
        };
        let event = decide(&visit, &ctx)?;
        visit.apply(&event, writer.now);
        writer.record(&tx, &visit, &event, false)?;
        tx.commit()?;
        self.changed(conn, [job_id]);
        Ok(visit)
    }

    // --- from HQ ----------------------------------------------------------------

    /// A job dispatched by HQ arrives on the device.
    pub fn receive_order(&self, order: WorkOrder) -> Result<Visit> {
        if order.technician_id != self.profile.technician_id {
            return Err(Error::invalid(
                "work order",
                format!(
                    "is assigned to {}, not to {}",
                    order.technician_id, self.profile.technician_id
                ),
            ));
        }
        let (visit, event) = Visit::dispatched(order)?;
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if store::job_exists(&tx, visit.job_id())? {
            return Err(Error::DuplicateJob {
                job_id: visit.job_id().to_string(),
            });
        }
        self.writer(Actor::Hq("dispatch".into()))
            .record(&tx, &visit, &event, true)?;
        tx.commit()?;
        self.changed(conn, [visit.job_id()]);
        Ok(visit)
    }

    /// HQ cancels the job (allowed until settlement).
    pub fn cancel_by_hq(&self, job_id: &str, reason: &str) -> Result<Visit> {
        self.act(job_id, Actor::Hq("dispatch".into()), |v, _| {
            v.cancel(reason)
        })
    }

    /// HQ moves the appointment (allowed until settlement).
    pub fn reschedule_by_hq(
        &self,
        job_id: &str,
        appointment_at: DateTime<Utc>,
        reason: &str,
    ) -> Result<Visit> {
        self.act(job_id, Actor::Hq("dispatch".into()), |v, _| {
            v.reschedule(appointment_at, reason)
        })
    }

    // --- the visit, step by step --------------------------------------------------

    pub fn accept_job(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.accept_job())
    }

    pub fn depart(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| v.depart(ctx))
    }

    pub fn arrive(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| v.arrive(ctx))
    }

    pub fn record_no_access(&self, job_id: &str, note: MessageNote) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.no_access(note))
    }

    pub fn answer(
        &self,
        job_id: &str,
        template_id: &str,
        item_id: &str,
        answer: Answer,
    ) -> Result<Visit> {
        if let Answer::Photo(sha) = &answer {
            if self.blob(sha)?.is_none() {
                return Err(Error::InvalidAnswer {
                    item_id: item_id.to_string(),
                    reason: "the photo is not stored on this device; add it with add_photo first"
                        .into(),
                });
            }
        }
        self.act(job_id, self.me(), |v, ctx| {
            v.answer(template_id, item_id, answer, ctx)
        })
    }

    pub fn assess(&self, job_id: &str, assessment: Assessment) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| v.assess(assessment, ctx))
    }

    /// Adds a priced line; returns the state with the new line last.
    pub fn add_quote_line(&self, job_id: &str, req: &LineRequest) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| v.add_quote_line(req, ctx))
    }

    pub fn remove_quote_line(&self, job_id: &str, line_no: u32) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.remove_quote_line(line_no))
    }

    pub fn approve_quote_line(
        &self,
        job_id: &str,
        line_no: u32,
        supervisor: &str,
        code: &str,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| {
            v.approve_quote_line(line_no, supervisor, code, ctx)
        })
    }

    pub fn present_quote(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.present_quote())
    }

    pub fn customer_consents(&self, job_id: &str, customer_name: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.customer_consents(customer_name))
    }

    pub fn customer_declines(&self, job_id: &str, reason: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.customer_declines(reason))
    }

    pub fn add_material(&self, job_id: &str, req: &MaterialRequest) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.add_material(req))
    }

    pub fn inspect_material(
        &self,
        job_id: &str,
        material_id: &str,
        inspection: Inspection,
    ) -> Result<Visit> {
        for sha in &inspection.photos {
            if self.blob(sha)?.is_none() {
                return Err(Error::invalid(
                    "inspection photo",
                    format!("{sha} is not stored on this device; add it with add_photo first"),
                ));
            }
        }
        self.act(job_id, self.me(), |v, _| {
            v.inspect_material(material_id, inspection)
        })
    }

    pub fn note_concession(
        &self,
        job_id: &str,
        material_id: &str,
        note: ConcessionNote,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| {
            v.note_concession(material_id, note)
        })
    }

    pub fn use_material(&self, job_id: &str, material_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.use_material(material_id))
    }

    pub fn replace_part(&self, job_id: &str, replacement: PartReplacement) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.replace_part(replacement))
    }

    pub fn start_work(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.start_work())
    }

    pub fn finish_work(&self, job_id: &str, labour_minutes: u32, summary: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| {
            v.finish_work(labour_minutes, summary, ctx)
        })
    }

    /// The customer inspects, rates and signs (or refuses). A signature is
    /// bound to the SHA-256 of the content being accepted at this moment.
    pub fn record_acceptance(&self, job_id: &str, input: AcceptanceInput) -> Result<Visit> {
        let me = self.me();
        let device_id = self.profile.device_id.clone();
        self.act(job_id, me, |v, ctx| {
            let sign_off = match input.sign {
                SignInput::Refuse { reason } => SignOff::Refused { reason },
                SignInput::Sign { signer_name, ink } => {
                    check_encoded_ink(&ink)?;
                    let content =
                        v.acceptance_content(input.rating, &input.comment, input.fix_uncertain)?;
                    SignOff::Signed {
                        signature: SignatureRecord {
                            signature_id: uuid::Uuid::new_v4().to_string(),
                            role: SignerRole::Customer,
                            signer_name: signer_name.trim().to_string(),
                            device_id,
                            signed_at: ctx.now,
                            hlc: String::new(),
                            ink: base64::engine::general_purpose::STANDARD.encode(&ink),
                            content_sha256: content_hash(&content),
                        },
                    }
                }
            };
            v.accept_by_customer(
                &Acceptance {
                    rating: input.rating,
                    comment: input.comment.trim().to_string(),
                    fix_uncertain: input.fix_uncertain,
                    sign_off,
                },
                ctx,
            )
        })
    }

    pub fn take_payment(
        &self,
        job_id: &str,
        method: Method,
        received_fen: i64,
        reference: Option<String>,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| {
            v.take_payment(method, received_fen, reference, ctx)
        })
    }

    /// Issues the receipt and settles the job, taking the next number from an
    /// HQ block in the same transaction. With `emergency`, numbers come from the
    /// device's own clearly marked series (use only when blocks are exhausted).
    pub fn issue_receipt(&self, job_id: &str, emergency: bool) -> Result<Receipt> {
        validate_id("job id", job_id)?;
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut visit = store::load_visit(&tx, job_id)?;
        visit.check_receipt_allowed()?;
        let (number, kind) = if emergency {
            (
                receipts::take_emergency_number(&tx, &self.profile.device_id)?,
                EntryKind::Emergency,
            )
        } else {
            (receipts::take_number(&tx)?, EntryKind::Original)
        };
        let writer = self.writer(self.me());
        let mut receipt = self.receipt_for(&visit, number, kind, None, writer.now)?;
        let sha256 = receipts::append(&tx, &mut receipt)?;
        let event = Event::ReceiptIssued {
            receipt: ReceiptRef {
                number: receipt.number.clone(),
                sha256,
            },
        };
        visit.apply(&event, writer.now);
        writer.record(&tx, &visit, &event, false)?;
        tx.commit()?;
        self.changed(conn, [job_id]);
        Ok(receipt)
    }

    fn receipt_for(
        &self,
        visit: &Visit,
        number: String,
        kind: EntryKind,
        refers_to: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Receipt> {
        Ok(Receipt {
            number,
            kind,
            refers_to,
            job_id: visit.job_id().to_string(),
            issued_at: now,
            site: visit.order.site.clone(),
            location: visit.order.location.clone(),
            customer_name: visit.order.customer.name.clone(),
            technician_id: self.profile.technician_id.clone(),
            technician_name: self.profile.technician_name.clone(),
            device_id: self.profile.device_id.clone(),
            lines: visit.quote_lines.clone(),
            totals: visit.quote_totals.clone().unwrap_or_default(),
            payment: visit.payment.clone(),
            void_reason: None,
            prev_sha256: String::new(),
        })
    }

    /// Voids a receipt: a ledger entry that keeps the voided number.
    pub fn void_receipt(&self, number: &str, reason: &str) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(Error::invalid("void reason", "must not be empty"));
        }
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let original = receipts::find(&tx, number)?.ok_or_else(|| Error::ReceiptRule {
            number: number.to_string(),
            reason: "no such receipt on this device".into(),
        })?;
        if receipts::is_voided(&tx, number)? {
            return Err(Error::ReceiptRule {
                number: number.to_string(),
                reason: "is already void".into(),
            });
        }
        let mut void = Receipt {
            kind: EntryKind::Void,
            refers_to: Some(number.to_string()),
            issued_at: self.clock.now(),
            void_reason: Some(reason.trim().to_string()),
            ..original
        };
        receipts::append(&tx, &mut void)?;
        self.audit(&tx, Some(&void.job_id), "receipt_voided", number)?;
        tx.commit()?;
        self.changed(conn, [void.job_id]);
        Ok(())
    }

    /// Reissues a voided receipt under a new number that refers to it.
    pub fn reissue_receipt(&self, voided_number: &str) -> Result<Receipt> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let original = receipts::find(&tx, voided_number)?.ok_or_else(|| Error::ReceiptRule {
            number: voided_number.to_string(),
            reason: "no such receipt on this device".into(),
        })?;
        if !receipts::is_voided(&tx, voided_number)? {
            return Err(Error::ReceiptRule {
                number: voided_number.to_string(),
                reason: "void it before reissuing".into(),
            });
        }
        let visit = store::load_visit(&tx, &original.job_id)?;
        let number = receipts::take_number(&tx)?;
        let mut receipt = self.receipt_for(
            &visit,
            number,
            EntryKind::Reissue,
            Some(voided_number.to_string()),
            self.clock.now(),
        )?;
        receipts::append(&tx, &mut receipt)?;
        self.audit(
            &tx,
            Some(&visit.order.job_id),
            "receipt_reissued",
            &receipt.number,
        )?;
        tx.commit()?;
        self.changed(conn, [receipt.job_id.as_str()]);
        Ok(receipt)
    }

    fn audit(
        &self,
        conn: &Connection,
        job_id: Option<&str>,
        action: &str,
        detail: &str,
    ) -> Result<()> {
        conn.execute(
            "INSERT INTO audit(at, actor, device_id, job_id, action, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                self.clock.now().to_rfc3339(),
                self.me().to_string(),
                self.profile.device_id,
                job_id,
                action,
                detail
            ],
        )?;
        Ok(())
    }

    pub fn hand_over(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.hand_over())
    }

    // --- receipt numbers ------------------------------------------------------------

    /// Stores a block of receipt numbers granted by HQ.
    pub fn grant_receipt_block(&self, block: &NumberBlock) -> Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        receipts::grant_block(&tx, block, &self.clock.now().to_rfc3339())?;
        self.audit(
            &tx,
            None,
            "receipt_block_granted",
            &format!("{} {}..={}", block.series, block.first, block.last),
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn receipt_numbers_left(&self) -> Result<i64> {
        receipts::remaining(&*self.conn()?)
    }

    pub fn receipt_ledger(&self) -> Result<Vec<StoredEntry>> {
        receipts::ledger(&*self.conn()?)
    }

    /// Checks the device's receipt chain; `None` means intact.
    pub fn verify_receipt_chain(&self) -> Result<Option<ChainFault>> {
        verify_chain(&self.receipt_ledger()?)
    }

    // --- documents ------------------------------------------------------------------

    /// The receipt with this number (the latest issue, not a void entry), as a document.
    pub fn receipt_document(
        &self,
        number: &str,
        lang: crate::locale::Lang,
    ) -> Result<crate::documents::Doc> {
        let conn = self.conn()?;
        let r = receipts::find(&conn, number)?.ok_or_else(|| Error::ReceiptRule {
            number: number.to_string(),
            reason: "no such receipt on this device".into(),
        })?;
        let visit = store::load_visit(&conn, &r.job_id).ok();
        let mut doc =
            crate::documents::receipt(&r, visit.as_ref(), lang, crate::documents::china_time());
        if receipts::is_voided(&conn, number)? {
            doc.banner =
                Some(crate::locale::tr(lang, "本收据已作废", "THIS RECEIPT IS VOID").to_string());
        }
        Ok(doc)
    }

    /// The message note (留言条) for a job where nobody answered.
    pub fn message_note(
        &self,
        job_id: &str,
        lang: crate::locale::Lang,
    ) -> Result<crate::documents::Doc> {
        let v = self.job(job_id)?;
        if v.no_access.is_none() {
            return Err(Error::illegal(
                "print a message note",
                v.status,
                "a message note is left when nobody answers the door",
            ));
        }
        Ok(crate::documents::message_note(
            &v,
            lang,
            crate::documents::china_time(),
        ))
    }

    /// The customer's copy of the work order.
    pub fn work_order_copy(
        &self,
        job_id: &str,
        lang: crate::locale::Lang,
    ) -> Result<crate::documents::Doc> {
        Ok(crate::documents::work_order_copy(
            &self.job(job_id)?,
            lang,
            crate::documents::china_time(),
        ))
    }

    // --- reading ------------------------------------------------------------------

    pub fn job(&self, job_id: &str) -> Result<Visit> {
        validate_id("job id", job_id)?;
        store::load_visit(&*self.conn()?, job_id)
    }

    /// The customer's signature on a job as a PNG (white background), for a screen.
    pub fn signature_png(&self, job_id: &str, width: u32, height: u32) -> Result<Vec<u8>> {
        let v = self.job(job_id)?;
        let sig = v.customer_signature().ok_or_else(|| Error::Signature {
            reason: "the customer has not signed this job".into(),
        })?;
        let bytes = sig.ink_bytes().ok_or_else(|| Error::Corrupt {
            reason: format!("the stored signature of {job_id} is not base64"),
        })?;
        let ink = crate::signature::Ink::decode(&bytes)?;
        Ok(crate::signature::render_png(
            &ink,
            width,
            height,
            crate::signature::Background::White,
        )?)
    }

    /// Whether the customer's signature still matches the job's content.
    pub fn verify_signature(&self, job_id: &str) -> Result<bool> {
        self.job(job_id)?.verify_signature()
    }

    pub fn jobs(&self) -> Result<Vec<JobSummary>> {
        self.jobs_where("1 = 1", &[])
    }

    /// Jobs whose appointment falls on `day` in the technician's local time.
    pub fn jobs_for_day(&self, day: NaiveDate, offset: FixedOffset) -> Result<Vec<JobSummary>> {
        let start = day
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(offset).single())
            .ok_or_else(|| Error::invalid("day", "cannot be placed in the local time zone"))?
            .with_timezone(&Utc);
        let end = start + chrono::Duration::days(1);
        self.jobs_where(
            "appointment_at >= ?1 AND appointment_at < ?2",
            &[start.to_rfc3339(), end.to_rfc3339()],
        )
    }

    fn jobs_where(&self, cond: &str, args: &[String]) -> Result<Vec<JobSummary>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT visit FROM jobs WHERE {cond} ORDER BY appointment_at, job_id"
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            let v: Visit = serde_json::from_str(&row?)?;
            out.push(JobSummary {
                job_id: v.order.job_id.clone(),
                status: v.status,
                appointment_at: v.order.appointment_at,
                site: v.order.site.clone(),
                location: v.order.location.clone(),
                urgent: v.order.urgent,
            });
        }
        Ok(out)
    }

    /// The checklist of a phase for a job, as shown now.
    pub fn checklist(&self, job_id: &str, phase: Phase) -> Result<ChecklistView> {
        let v = self.job(job_id)?;
        let template = self
            .checklists
            .template(v.order.category, phase)
            .ok_or_else(|| Error::UnknownChecklistItem {
                template_id: format!("{}.{}", v.order.category.as_str(), phase.as_str()),
                item_id: String::new(),
            })?
            .clone();
        let answers = v.answers.get(&template.id).cloned().unwrap_or_default();
        let visible = template.visible_items(&answers).cloned().collect();
        let missing_required = template.missing_required(&answers);
        Ok(ChecklistView {
            template,
            visible,
            answers,
            missing_required,
        })
    }

    pub fn events(&self, job_id: &str) -> Result<Vec<Recorded>> {
        store::events(&*self.conn()?, job_id)
    }

    pub fn audit_trail(&self, job_id: &str) -> Result<Vec<AuditEntry>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT at, actor, device_id, job_id, action, detail FROM audit WHERE job_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([job_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, actor, device_id, job_id, action, detail) = row?;
            out.push(AuditEntry {
                at: store::parse_time(&at)?,
                actor,
                device_id,
                job_id,
                action,
                detail,
            });
        }
        Ok(out)
    }

    /// Ops waiting for HQ, oldest first.
    pub fn pending_ops(&self, limit: usize) -> Result<Vec<Op>> {
        store::pending_ops(&*self.conn()?, limit)
    }

    /// The last outbox sequence number this device assigned.
    pub fn last_seq(&self) -> Result<i64> {
        Ok(store::meta_get(&*self.conn()?, "last_seq")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }
}
