//! [`Technician`]: the signed-in technician's store and the whole public API.
//!
//! One object per technician (as `LoginStore` in application-services): its
//! methods are named after what the technician does. Each one loads the job,
//! lets [`Visit`] decide by the rules, and records the resulting event in one
//! transaction (event, job projection, outbox op, audit row).

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::checklist::{Answer, Answers, Checklists, Item, Phase, Template};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Field, Problem, Result, Rule};
use crate::material::{ConcessionNote, Inspection, MaterialRequest, PartReplacement};
use crate::order::{validate_id, WorkOrder};
use crate::payment::Method;
use crate::quote::{FeeSchedule, LineRequest};
use crate::receipt::{verify_chain, ChainFault, EntryKind, NumberBlock, Receipt, StoredEntry};
use crate::signature::record::{check_encoded_ink, content_hash, SignatureRecord, SignerRole};
use crate::store::{
    audit, blobs, events, jobs, meta, outbox, purge, receipts, Store, StoreKey, Writer,
};
use crate::visit::{
    Acceptance, Actor, Assessment, AvailableAction, Complaint, Context, Event, IdentityCheck,
    ItemDecision, MessageNote, Op, Opinion, ReceiptRef, Recorded, SignOff, Status, Visit,
    WithheldFill,
};
use crate::visit::{ContactKind, RescheduleConsent};

pub use crate::store::audit::AuditEntry;

/// Who is signed in on this device. HQ provides it at enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// The customer's acceptance as the technician enters it: both opinions
/// (each a rating or a refusal to rate, with its reason), the sign-off, and
/// the technician's own signature strokes on the order.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptanceInput {
    /// Repair quality (维修质量).
    pub quality: Opinion,
    /// Service attitude (服务态度).
    pub attitude: Opinion,
    pub comment: String,
    pub fix_uncertain: bool,
    pub sign: SignInput,
    /// The technician's signature strokes on the order (compact encoding), if
    /// signed now; bound to the same content as the customer's.
    pub technician_ink: Option<Vec<u8>>,
}

/// A line of the job list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobSummary {
    pub job_id: String,
    pub status: Status,
    pub appointment_at: DateTime<Utc>,
    pub site: String,
    /// The location down to the building (`9栋**`), never the room: lists
    /// are masked ([`crate::privacy::short_location`]).
    pub location: String,
    /// The customer's phone masked (`138****8000`, [`crate::privacy::mask_phone`]).
    #[serde(default)]
    pub customer_phone: String,
    pub urgent: bool,
    /// The customer complained before: take special care (HQ's mark).
    #[serde(default)]
    pub complained_before: bool,
}

impl JobSummary {
    fn of(v: &Visit) -> JobSummary {
        JobSummary {
            job_id: v.order.job_id.clone(),
            status: v.status,
            appointment_at: v.order.appointment_at,
            site: v.order.site.clone(),
            location: crate::privacy::short_location(&v.order.location),
            customer_phone: crate::privacy::mask_phone(&v.order.customer.phone),
            urgent: v.order.urgent,
            complained_before: v.order.complained_before,
        }
    }
}

/// A checklist as the technician sees it now: shown items and what is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistView {
    pub template: Template,
    pub visible: Vec<Item>,
    pub answers: Answers,
    pub missing_required: Vec<String>,
}

pub struct Technician {
    pub(crate) store: Store,
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
    /// Opens this technician's store file, encrypted with `key` (created,
    /// encrypted if it is a plain store of an earlier version, and migrated as
    /// needed). A store encrypted with another key is
    /// [`Error::WrongStoreKey`], left untouched. This is the phone's open.
    pub fn open_encrypted(
        path: impl AsRef<Path>,
        key: &StoreKey,
        profile: Profile,
    ) -> Result<Technician> {
        Self::open_encrypted_with_clock(path, key, profile, Arc::new(SystemClock))
    }

    pub fn open_encrypted_with_clock(
        path: impl AsRef<Path>,
        key: &StoreKey,
        profile: Profile,
        clock: Arc<dyn Clock>,
    ) -> Result<Technician> {
        validate_id(Field::TechnicianId, &profile.technician_id)?;
        validate_id(Field::DeviceId, &profile.device_id)?;
        Self::with_store(Store::open_encrypted(path.as_ref(), key)?, profile, clock)
    }

    /// Opens a PLAIN (unencrypted) store file: for tests and tools only (the
    /// crash and fault suites, benchmarks' unencrypted baseline). The shells,
    /// the FFI and the CLI demo open with a key: [`Technician::open_encrypted`].
    pub fn open(path: impl AsRef<Path>, profile: Profile) -> Result<Technician> {
        Self::open_with_clock(path, profile, Arc::new(SystemClock))
    }

    /// [`Technician::open`] with a clock: a plain store, tests and tools only.
    pub fn open_with_clock(
        path: impl AsRef<Path>,
        profile: Profile,
        clock: Arc<dyn Clock>,
    ) -> Result<Technician> {
        validate_id(Field::TechnicianId, &profile.technician_id)?;
        validate_id(Field::DeviceId, &profile.device_id)?;
        Self::with_store(Store::open(path.as_ref())?, profile, clock)
    }

    fn with_store(store: Store, profile: Profile, clock: Arc<dyn Clock>) -> Result<Technician> {
        // One file per technician: refuse to open someone else's store.
        store.write(|tx| match meta::get(tx, meta::TECHNICIAN_ID)? {
            Some(owner) if owner != profile.technician_id => {
                Err(Error::StoreOfAnotherTechnician { owner })
            }
            Some(_) => Ok(()),
            None => {
                meta::set(tx, meta::TECHNICIAN_ID, &profile.technician_id)?;
                meta::set(tx, meta::DEVICE_ID, &profile.device_id)
            }
        })?;
        Ok(Technician {
            store,
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
        validate_id(Field::JobId, job_id)?;
        let writer = self.writer(actor);
        let ctx = self.context(writer.now);
        let visit = self.store.write(|tx| {
            let mut visit = jobs::load(tx, job_id)?;
            let event = decide(&visit, &ctx)?;
            visit.apply(&event, writer.now);
            writer.record(tx, &visit, &event)?;
            Ok(visit)
        })?;
        self.changed([job_id]);
        Ok(visit)
    }

    fn context(&self, now: DateTime<Utc>) -> Context<'_> {
        Context {
            now,
            checklists: self.checklists,
            schedule: self.schedule,
            approval_key: self.profile.approval_key.as_bytes(),
        }
    }

    // --- from HQ ----------------------------------------------------------------

    /// A job dispatched by HQ arrives on the device.
    pub fn receive_order(&self, order: WorkOrder) -> Result<Visit> {
        if order.technician_id != self.profile.technician_id {
            return Err(Error::AssignedToAnother {
                job_id: order.job_id,
                assigned_to: order.technician_id,
            });
        }
        let visit = Visit::new_dispatched(order)?;
        self.store.write(|tx| {
            if jobs::exists(tx, visit.job_id())? {
                return Err(Error::DuplicateJob {
                    job_id: visit.job_id().to_string(),
                });
            }
            self.writer(Actor::Hq("dispatch".into()))
                .record_new_job(tx, &visit)?;
            Ok(())
        })?;
        self.changed([visit.job_id()]);
        Ok(visit)
    }

    /// HQ cancels the job (allowed until settlement).
    pub fn cancel_by_hq(&self, job_id: &str, reason: &str) -> Result<Visit> {
        self.act(job_id, Actor::Hq("dispatch".into()), |v, _| {
            v.cancel(reason)
        })
    }

    /// HQ moves the appointment (allowed until settlement), with the customer's consent.
    pub fn reschedule_by_hq(
        &self,
        job_id: &str,
        appointment_at: DateTime<Utc>,
        reason: &str,
        consent: Option<&RescheduleConsent>,
    ) -> Result<Visit> {
        self.act(job_id, Actor::Hq("dispatch".into()), |v, _| {
            v.reschedule(appointment_at, reason, consent)
        })
    }

    /// The technician agrees a new time with the customer (consent required);
    /// the fact goes to HQ, which moves the order.
    pub fn reschedule_with_customer(
        &self,
        job_id: &str,
        appointment_at: DateTime<Utc>,
        reason: &str,
        consent: Option<&RescheduleConsent>,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| {
            v.reschedule_with_customer(appointment_at, reason, consent)
        })
    }

    /// Records a contact with the customer before the visit (furniture: the
    /// 5-working-day contact and the call 1 hour before arriving).
    pub fn record_contact(&self, job_id: &str, kind: ContactKind, note: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| {
            v.record_contact(kind, note, ctx)
        })
    }

    /// Checklist answers that raise a flag (a supply voltage outside 180-250 V...).
    pub fn checklist_flags(&self, job_id: &str) -> Result<Vec<crate::checklist::Flag>> {
        let v = self.load(job_id)?;
        Ok(v.checklist_flags(&self.context(self.clock.now())))
    }

    /// What the arrival's verdict would be now, for a screen to show before arriving.
    pub fn punctuality_now(&self, job_id: &str) -> Result<crate::punctuality::Punctuality> {
        self.load(job_id)?.punctuality_at(self.clock.now())
    }

    // --- the visit, step by step --------------------------------------------------

    pub fn accept_job(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.accept_job())
    }

    pub fn depart(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), super::visit::Visit::depart)
    }

    /// Arrives; refused with `late_reason_required` when the verdict is late.
    pub fn arrive(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| v.arrive(ctx, None))
    }

    /// Arrives, with the reason in case the verdict is late (the visit goes on).
    pub fn arrive_with_reason(&self, job_id: &str, late_reason: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| v.arrive(ctx, Some(late_reason)))
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
            if !self.has_blob(sha)? {
                return Err(Error::PhotoNotStored {
                    sha256: sha.clone(),
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

    /// The inspection's time is this device's clock at the moment it is
    /// recorded, whatever the caller put in `inspection.at`.
    pub fn inspect_material(
        &self,
        job_id: &str,
        material_id: &str,
        mut inspection: Inspection,
    ) -> Result<Visit> {
        for sha in &inspection.photos {
            if !self.has_blob(sha)? {
                return Err(Error::PhotoNotStored {
                    sha256: sha.clone(),
                });
            }
        }
        self.act(job_id, self.me(), |v, ctx| {
            inspection.at = ctx.now;
            v.inspect_material(material_id, inspection)
        })
    }

    /// The customer's consent is stamped with this device's clock when it is
    /// recorded, whatever the caller put in `note.consented_at`.
    pub fn note_concession(
        &self,
        job_id: &str,
        material_id: &str,
        mut note: ConcessionNote,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| {
            note.consented_at = ctx.now;
            v.note_concession(material_id, note)
        })
    }

    pub fn use_material(&self, job_id: &str, material_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.use_material(material_id))
    }

    pub fn replace_part(&self, job_id: &str, replacement: PartReplacement) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.replace_part(replacement))
    }

    /// GPS: corrects the vehicle details on site; the correction reaches HQ.
    pub fn correct_vehicle(&self, job_id: &str, vehicle: crate::order::Vehicle) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.correct_vehicle(vehicle))
    }

    /// Parts short on site: the centre's oral approval (who, when, what to do).
    pub fn record_parts_short(
        &self,
        job_id: &str,
        approval: crate::visit::PartsShortApproval,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.record_parts_short(approval))
    }

    /// Damage the technician caused, with its compensation.
    pub fn record_damage(&self, job_id: &str, damage: crate::visit::Damage) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.record_damage(damage))
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
        let technician_name = self.profile.technician_name.clone();
        let trim = |o: Opinion| match o {
            Opinion::Declined { reason } => Opinion::Declined {
                reason: reason.trim().to_string(),
            },
            rated => rated,
        };
        let quality = trim(input.quality);
        let attitude = trim(input.attitude);
        let comment = input.comment.trim().to_string();
        self.act(job_id, me, |v, ctx| {
            let content =
                || v.acceptance_content(&quality, &attitude, &comment, input.fix_uncertain);
            let record =
                |role: SignerRole, signer_name: &str, ink: &[u8]| -> Result<SignatureRecord> {
                    check_encoded_ink(ink)?;
                    Ok(SignatureRecord {
                        signature_id: uuid::Uuid::new_v4().to_string(),
                        role,
                        signer_name: signer_name.trim().to_string(),
                        device_id: device_id.clone(),
                        signed_at: ctx.now,
                        hlc: String::new(),
                        ink: base64::engine::general_purpose::STANDARD.encode(ink),
                        content_sha256: content_hash(&content()?),
                    })
                };
            let sign_off = match &input.sign {
                SignInput::Refuse { reason } => SignOff::Refused {
                    reason: reason.clone(),
                },
                SignInput::Sign { signer_name, ink } => SignOff::Signed {
                    signature: record(SignerRole::Customer, signer_name, ink)?,
                },
            };
            let technician_signature = match &input.technician_ink {
                Some(ink) => Some(record(SignerRole::Technician, &technician_name, ink)?),
                None => None,
            };
            v.accept_by_customer(
                &Acceptance {
                    quality: quality.clone(),
                    attitude: Some(attitude.clone()),
                    comment: comment.clone(),
                    fix_uncertain: input.fix_uncertain,
                    sign_off,
                    technician_signature,
                },
                ctx,
            )
        })
    }

    /// Fills in the fault cause and repair measures the assessment withheld
    /// from the customer (back at the service point, before the handover).
    pub fn fill_withheld(&self, job_id: &str, findings: &str, solution: &str) -> Result<Visit> {
        let fill = WithheldFill {
            findings: findings.to_string(),
            solution: solution.to_string(),
        };
        self.act(job_id, self.me(), |v, _| v.fill_withheld(fill.clone()))
    }

    /// Furniture: records how the householder's identity was checked before unloading.
    pub fn check_identity(&self, job_id: &str, check: IdentityCheck) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.check_identity(check.clone()))
    }

    /// Furniture: the customer accepts or rejects one item of the delivery list (1-based).
    pub fn decide_delivery_item(
        &self,
        job_id: &str,
        item_no: u32,
        decision: ItemDecision,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| {
            v.decide_delivery_item(item_no, decision.clone())
        })
    }

    /// Records a complaint the customer makes on site, in the customer's words.
    pub fn record_complaint(&self, job_id: &str, complaint: Complaint) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| {
            v.record_complaint(complaint.clone())
        })
    }

    /// Takes payment of what is due. For cash, `cash_checked` confirms the
    /// notes were checked for counterfeits and counted in front of the customer.
    pub fn take_payment(
        &self,
        job_id: &str,
        method: Method,
        received_fen: i64,
        reference: Option<String>,
        cash_checked: bool,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| {
            v.take_payment(method, received_fen, reference, cash_checked, ctx)
        })
    }

    /// The customer disputes the charge: escalated to the service centre (the
    /// event waits in the outbox when offline) and the job waits for its instruction.
    pub fn dispute_charge(
        &self,
        job_id: &str,
        dispute: &crate::charge::ChargeDispute,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.dispute_charge(dispute))
    }

    /// The centre's instruction read out by a supervisor, with its code.
    pub fn enter_charge_instruction(
        &self,
        job_id: &str,
        instruction: crate::charge::Instruction,
        supervisor: &str,
        code: &str,
    ) -> Result<Visit> {
        self.act(job_id, self.me(), |v, ctx| {
            v.enter_charge_instruction(instruction, supervisor, code, ctx)
        })
    }

    /// The invoice the customer asked for.
    pub fn record_invoice(&self, job_id: &str, invoice: &crate::charge::Invoice) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.record_invoice(invoice))
    }

    /// Issues the receipt and settles the job, taking the next number from an
    /// HQ block in the same transaction. With `emergency`, numbers come from the
    /// device's own clearly marked series (use only when blocks are exhausted).
    pub fn issue_receipt(&self, job_id: &str, emergency: bool) -> Result<Receipt> {
        validate_id(Field::JobId, job_id)?;
        let writer = self.writer(self.me());
        let receipt = self.store.write(|tx| {
            let mut visit = jobs::load(tx, job_id)?;
            visit.check_receipt_allowed()?;
            let (number, kind) = if emergency {
                (
                    receipts::take_emergency_number(tx, &self.profile.device_id)?,
                    EntryKind::Emergency,
                )
            } else {
                (receipts::take_number(tx)?, EntryKind::Original)
            };
            let mut receipt = self.receipt_for(&visit, number, kind, None, writer.now)?;
            let sha256 = receipts::append(tx, &mut receipt)?;
            let event = Event::ReceiptIssued {
                receipt: ReceiptRef {
                    number: receipt.number.clone(),
                    sha256,
                },
            };
            visit.apply(&event, writer.now);
            writer.record(tx, &visit, &event)?;
            Ok(receipt)
        })?;
        self.changed([job_id]);
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
            charge_instruction: visit.charge_instruction.clone(),
            balance: Some(visit.balance_due()?).filter(|b| *b != crate::money::Fen::ZERO),
            payment: visit.payment.clone(),
            void_reason: None,
            prev_sha256: String::new(),
        })
    }

    /// Voids a receipt: a ledger entry that keeps the voided number, and a
    /// `receipt_voided` event on its job that goes to HQ like every other fact,
    /// so HQ's reconciliation stops counting its money.
    pub fn void_receipt(&self, number: &str, reason: &str) -> Result<()> {
        let writer = self.writer(self.me());
        let job_id = self.store.write(|tx| {
            let original = receipts::find(tx, number)?.ok_or_else(|| Error::UnknownReceipt {
                number: number.to_string(),
            })?;
            if receipts::is_voided(tx, number)? {
                return Err(Error::ReceiptAlreadyVoid {
                    number: number.to_string(),
                });
            }
            let mut visit = jobs::load(tx, &original.job_id)?;
            let event = visit.void_receipt(number, reason)?;
            let mut void = Receipt {
                kind: EntryKind::Void,
                refers_to: Some(number.to_string()),
                issued_at: writer.now,
                void_reason: Some(reason.trim().to_string()),
                ..original
            };
            receipts::append(tx, &mut void)?;
            visit.apply(&event, writer.now);
            writer.record(tx, &visit, &event)?;
            Ok(void.job_id)
        })?;
        self.changed([job_id]);
        Ok(())
    }

    /// Reissues a voided receipt under a new number that refers to it; the
    /// `receipt_reissued` event tells HQ.
    pub fn reissue_receipt(&self, voided_number: &str) -> Result<Receipt> {
        let writer = self.writer(self.me());
        let receipt = self.store.write(|tx| {
            let original =
                receipts::find(tx, voided_number)?.ok_or_else(|| Error::UnknownReceipt {
                    number: voided_number.to_string(),
                })?;
            if !receipts::is_voided(tx, voided_number)? {
                return Err(Error::ReceiptNotVoided {
                    number: voided_number.to_string(),
                });
            }
            let mut visit = jobs::load(tx, &original.job_id)?;
            // The visit's rules first, so a refused reissue burns no number.
            visit.reissue_receipt(
                voided_number,
                ReceiptRef {
                    number: String::new(),
                    sha256: String::new(),
                },
            )?;
            let number = receipts::take_number(tx)?;
            let mut receipt = self.receipt_for(
                &visit,
                number,
                EntryKind::Reissue,
                Some(voided_number.to_string()),
                writer.now,
            )?;
            let sha256 = receipts::append(tx, &mut receipt)?;
            let event = visit.reissue_receipt(
                voided_number,
                ReceiptRef {
                    number: receipt.number.clone(),
                    sha256,
                },
            )?;
            visit.apply(&event, writer.now);
            writer.record(tx, &visit, &event)?;
            Ok(receipt)
        })?;
        self.changed([receipt.job_id.as_str()]);
        Ok(receipt)
    }

    pub fn hand_over(&self, job_id: &str) -> Result<Visit> {
        self.act(job_id, self.me(), |v, _| v.hand_over())
    }

    // --- receipt numbers ------------------------------------------------------------

    /// Stores a block of receipt numbers granted by HQ.
    pub fn grant_receipt_block(&self, block: &NumberBlock) -> Result<()> {
        let now = self.clock.now();
        self.store.write(|tx| {
            receipts::grant_block(tx, block, &now.to_rfc3339())?;
            audit::append(
                tx,
                &AuditEntry {
                    at: now,
                    actor: self.me().to_string(),
                    device_id: self.profile.device_id.clone(),
                    job_id: None,
                    action: "receipt_block_granted".into(),
                    detail: format!("{} {}..={}", block.series, block.first, block.last),
                },
            )
        })
    }

    pub fn receipt_numbers_left(&self) -> Result<i64> {
        self.store.read(receipts::remaining)
    }

    pub fn receipt_ledger(&self) -> Result<Vec<StoredEntry>> {
        self.store.read(receipts::ledger)
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
        let (r, visit, voided) = self.store.read(|conn| {
            let r = receipts::find(conn, number)?.ok_or_else(|| Error::UnknownReceipt {
                number: number.to_string(),
            })?;
            let visit = jobs::load(conn, &r.job_id).ok();
            Ok((r, visit, receipts::is_voided(conn, number)?))
        })?;
        let mut doc =
            crate::documents::receipt(&r, visit.as_ref(), lang, crate::documents::china_time());
        if voided {
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
        let v = self.load(job_id)?;
        if v.no_access.is_none() {
            return Err(Error::illegal(
                crate::visit::Action::RecordNoAccess,
                v.status,
                Rule::MessageNoteNeedsNoAccess,
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
            &self.load(job_id)?,
            lang,
            crate::documents::china_time(),
        ))
    }

    // --- photos and other blobs ------------------------------------------------------

    /// Stores a blob (photo, signature image) content-addressed; returns its SHA-256.
    pub fn put_blob(&self, media_type: &str, bytes: &[u8], job_id: Option<&str>) -> Result<String> {
        let now = self.clock.now();
        self.store
            .write(|tx| blobs::put(tx, media_type, bytes, job_id, now))
    }

    /// Processes a camera photo (upright, no location, bounded size) and stores
    /// it and its thumbnail content-addressed; answer a photo checklist item or
    /// an inspection with `full_sha256`.
    pub fn add_photo(
        &self,
        job_id: &str,
        bytes: &[u8],
        policy: &crate::photo::PhotoPolicy,
    ) -> Result<crate::photo::ProcessedPhoto> {
        crate::order::validate_id(crate::error::Field::JobId, job_id)?;
        let p = crate::photo::process(bytes, policy)?;
        let now = self.clock.now();
        self.store.write(|tx| {
            blobs::put(tx, p.media_type, &p.full, Some(job_id), now)?;
            blobs::put(tx, p.media_type, &p.thumb, Some(job_id), now)
        })?;
        Ok(p)
    }

    /// A stored blob and its media type.
    pub fn blob(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
        self.store.read(|c| blobs::get(c, sha256))
    }

    /// Whether a blob is stored on this device (without reading its bytes).
    pub fn has_blob(&self, sha256: &str) -> Result<bool> {
        self.store.read(|c| blobs::exists(c, sha256))
    }

    /// Blobs HQ does not hold yet, smallest first.
    pub fn pending_blobs(&self) -> Result<Vec<String>> {
        Ok(self
            .pending_uploads()?
            .into_iter()
            .map(|p| p.sha256)
            .collect())
    }

    /// Blobs HQ does not hold yet with their sizes and how far their upload
    /// got, smallest first (the order the sync sends them in).
    pub fn pending_uploads(&self) -> Result<Vec<blobs::PendingBlob>> {
        self.store.read(blobs::pending)
    }

    /// How many blobs HQ does not hold yet (the shell's "photos waiting").
    pub fn pending_blob_count(&self) -> Result<u64> {
        self.store.read(blobs::pending_count)
    }

    /// Which of these blobs HQ does not hold yet (each once, in order).
    pub fn unsent_among(&self, shas: Vec<String>) -> Result<Vec<String>> {
        self.store.read(|c| {
            let mut out: Vec<String> = Vec::new();
            for sha in shas {
                if !out.contains(&sha) && blobs::is_pending(c, &sha)? {
                    out.push(sha);
                }
            }
            Ok(out)
        })
    }

    /// HQ acknowledged the first `acked` bytes of a blob's upload.
    pub fn note_blob_progress(&self, sha256: &str, acked: u64) -> Result<()> {
        self.store.write(|tx| blobs::set_acked(tx, sha256, acked))
    }

    /// HQ holds the whole blob.
    pub fn mark_blob_uploaded(&self, sha256: &str) -> Result<()> {
        self.store.write(|tx| blobs::mark_uploaded(tx, sha256))
    }

    // --- reading ------------------------------------------------------------------

    /// The whole job as stored (the core's API for the CLI and the tests);
    /// a shell's job screen shows [`Technician::job_view`] instead.
    pub fn job(&self, job_id: &str) -> Result<Visit> {
        self.load(job_id)
    }

    /// A job as its screen shows it: the customer's full phone and location
    /// only on the day of the appointment (China time); any other day they
    /// are masked as in the lists, and [`Technician::reveal_job`] shows them.
    pub fn job_view(&self, job_id: &str) -> Result<Visit> {
        let mut v = self.load(job_id)?;
        if !crate::privacy::contact_open_on(v.order.appointment_at, self.clock.now()) {
            // 「客户档案保密」: seen by need; the list's masking outside the day of the visit.
            v.order.customer.phone = crate::privacy::mask_phone(&v.order.customer.phone);
            v.order.location = crate::privacy::short_location(&v.order.location);
        }
        Ok(v)
    }

    /// The technician explicitly opens a job's customer contact (full phone
    /// and location) whatever the day; every reveal is an audit row
    /// (`contact_revealed`), on the appointment day too.
    pub fn reveal_job(&self, job_id: &str) -> Result<Visit> {
        validate_id(Field::JobId, job_id)?;
        let now = self.clock.now();
        let actor = self.me().to_string();
        self.store.write(|tx| {
            let v = jobs::load(tx, job_id)?;
            audit::append(
                tx,
                &AuditEntry {
                    at: now,
                    actor,
                    device_id: self.profile.device_id.clone(),
                    job_id: Some(job_id.to_string()),
                    action: "contact_revealed".into(),
                    detail: String::new(),
                },
            )?;
            Ok(v)
        })
    }

    /// The whole job, for the core's own use (documents, rules, signatures).
    fn load(&self, job_id: &str) -> Result<Visit> {
        validate_id(Field::JobId, job_id)?;
        self.store.read(|c| jobs::load(c, job_id))
    }

    /// HQ's remote wipe, once everything unsent was handed in (the sync
    /// client checks): deletes this technician's store file; the shell then
    /// deletes its key and signs out.
    pub(crate) fn wipe_store(&self) -> Result<()> {
        self.store.wipe()
    }

    // --- how long customer data stays on the phone ----------------------------------

    /// Days a handed-over job's customer data is kept once HQ has all of it:
    /// HQ's setting as last pulled, else [`crate::privacy::DEFAULT_RETENTION_DAYS`].
    pub fn retention_days(&self) -> Result<u32> {
        let days = self.store.read(|c| meta::get(c, meta::RETENTION_DAYS))?;
        Ok(days
            .and_then(|d| d.parse().ok())
            .unwrap_or(crate::privacy::DEFAULT_RETENTION_DAYS))
    }

    /// Whether this job's customer data was purged from the phone.
    pub fn is_purged(&self, job_id: &str) -> Result<bool> {
        validate_id(Field::JobId, job_id)?;
        self.store.read(|c| purge::is_purged(c, job_id))
    }

    /// Purges the customer personal data of every job whose time is up: handed
    /// over more than the retention period ago, or cancelled / reassigned
    /// away; never before HQ has acknowledged all of the job's ops and holds
    /// all its photos. Each purge is audited (`customer_data_purged`); then
    /// the file is rewritten so the purged bytes are gone from it. Returns the
    /// purged jobs. The sync runs it after each pull.
    // 「档案保管期满后销毁」 (the retention and destruction of customer records)
    pub fn purge_due(&self) -> Result<Vec<String>> {
        let now = self.clock.now();
        let days = self.retention_days()?;
        let device_id = self.profile.device_id.clone();
        let purged = self.store.write(|tx| {
            let due = purge::due(tx, now, days)?;
            for (job_id, reason) in &due {
                purge::purge(tx, job_id, *reason, "device:retention", &device_id, now)?;
            }
            Ok(due.into_iter().map(|(j, _)| j).collect::<Vec<_>>())
        })?;
        if !purged.is_empty() {
            self.store.read(purge::scrub_file)?;
            self.changed(purged.iter().map(String::as_str));
        }
        Ok(purged)
    }

    /// The customer's signature on a job as a PNG (white background), for a screen.
    pub fn signature_png(&self, job_id: &str, width: u32, height: u32) -> Result<Vec<u8>> {
        let v = self.load(job_id)?;
        let sig = v.customer_signature().ok_or_else(|| Error::NotSigned {
            job_id: job_id.to_string(),
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
        self.load(job_id)?.verify_signature()
    }

    pub fn jobs(&self) -> Result<Vec<JobSummary>> {
        Ok(self
            .store
            .read(jobs::all)?
            .iter()
            .map(JobSummary::of)
            .collect())
    }

    /// Jobs whose appointment falls on `day` in the technician's local time.
    /// A day that cannot be placed in time (beyond chrono's range) is an
    /// invalid input, never a panic.
    pub fn jobs_for_day(&self, day: NaiveDate, offset: FixedOffset) -> Result<Vec<JobSummary>> {
        let out_of_range = || Error::invalid(Field::Day, Problem::NotInTimeZone);
        let start = day
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(offset).single())
            .ok_or_else(out_of_range)?
            .with_timezone(&Utc);
        let end = start
            .checked_add_signed(chrono::Duration::days(1))
            .ok_or_else(out_of_range)?;
        Ok(self
            .store
            .read(|c| jobs::between(c, start, end))?
            .iter()
            .map(JobSummary::of)
            .collect())
    }

    /// What a screen may offer on this job now, each with the rule that blocks it if any.
    pub fn available_actions(&self, job_id: &str) -> Result<Vec<AvailableAction>> {
        let v = self.load(job_id)?;
        Ok(v.available_actions(&self.context(self.clock.now())))
    }

    /// The checklist of a phase for a job, as shown now.
    pub fn checklist(&self, job_id: &str, phase: Phase) -> Result<ChecklistView> {
        let v = self.load(job_id)?;
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
        self.store.read(|c| events::of_job(c, job_id))
    }

    pub fn audit_trail(&self, job_id: &str) -> Result<Vec<AuditEntry>> {
        self.store.read(|c| audit::trail(c, job_id))
    }

    /// Ops waiting for HQ, oldest first.
    pub fn pending_ops(&self, limit: usize) -> Result<Vec<Op>> {
        self.store.read(|c| outbox::pending(c, limit))
    }

    /// Up to `limit` ops waiting for HQ numbered after `seq`, oldest first.
    pub fn pending_ops_after(&self, seq: i64, limit: usize) -> Result<Vec<Op>> {
        self.store.read(|c| outbox::pending_after(c, seq, limit))
    }

    /// The last outbox sequence number this device assigned.
    pub fn last_seq(&self) -> Result<i64> {
        self.store.read(outbox::last_seq)
    }
}
