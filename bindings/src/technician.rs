//! `SignedInTechnician`: the one object the shells hold. Each method forwards
//! to [`onsite_core::Technician`] and converts records; none decides a rule.

use std::sync::{Arc, Mutex};

use onsite_core::documents::{self, escpos::PrinterProfile};
use onsite_core::locale::Lang;
use onsite_core::material::{ConcessionNote, Inspection, MaterialRequest, PartReplacement};
use onsite_core::photo::PhotoPolicy;
use onsite_core::quote::{LineItem, LineRequest};
use onsite_core::signature::Ink;
use onsite_core::sync::{CancelHandle, SyncClient, SyncConfig};
use onsite_core::visit::MessageNote;

use crate::error::{guard_async, OnsiteError, Result};
use crate::http::{HttpBackend, Platform};
use crate::records::*;

/// Hears sync progress; Kotlin turns it into a Flow, Swift into an AsyncStream.
#[uniffi::export(with_foreign)]
pub trait SyncObserver: Send + Sync {
    fn on_progress(&self, progress: SyncProgress);
}

/// Hears which jobs a local step or a sync changed (their ids); re-read what
/// the screen shows. Kotlin turns it into a Flow, Swift into an AsyncStream.
/// Called on the thread that wrote (after the commit, outside any lock): keep
/// it short, e.g. post to a channel.
#[uniffi::export(with_foreign)]
pub trait JobsObserver: Send + Sync {
    fn jobs_changed(&self, job_ids: Vec<String>);
}

struct JobsRelay(Arc<dyn JobsObserver>);

impl onsite_core::changes::JobsListener for JobsRelay {
    fn jobs_changed(&self, job_ids: Vec<String>) {
        // The core skips a listener that panics; nothing to catch here.
        self.0.jobs_changed(job_ids);
    }
}

struct Relay(Arc<dyn SyncObserver>);

impl onsite_core::sync::SyncListener for Relay {
    fn on_state(&self, state: onsite_core::sync::SyncState) {
        // A foreign observer that throws must not take the sync down with it.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.0.on_progress(state.into());
        }));
    }
}

#[derive(uniffi::Object)]
pub struct SignedInTechnician {
    core: Arc<onsite_core::Technician>,
    sync: Mutex<Option<(Arc<SyncClient>, CancelHandle)>>,
    lang: Mutex<Lang>,
}

/// Exchanges an enrollment code for this device's credentials (network).
///
/// Async exports need no `async_runtime = "tokio"`: uniffi implements that
/// with async-compat, which starts a runtime of its own whenever a Kotlin or
/// Swift executor polls. The core's async calls already run on the core's one
/// runtime and hand back a future any executor can poll.
///
/// Its errors are told in zh-CN: there is no technician, hence no language, yet.
#[uniffi::export]
pub async fn enroll(
    hq_url: String,
    code: String,
    device_id: String,
    http: Arc<dyn HttpBackend>,
) -> Result<Enrollment> {
    guard_async(Lang::ZhCn, async move {
        let e =
            SyncClient::enroll_over(Platform::transport(http), &hq_url, &code, &device_id).await?;
        Ok(Enrollment {
            profile: TechnicianProfile {
                technician_id: e.technician_id,
                technician_name: e.technician_name,
                device_id: e.device_id,
                approval_key: e.approval_key,
            },
            token: e.token,
        })
    })
    .await
}

impl SignedInTechnician {
    fn lang(&self) -> Lang {
        *self
            .lang
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` at the boundary, telling its error in the technician's language.
    fn guard<T>(&self, f: impl FnOnce() -> onsite_core::Result<T>) -> Result<T> {
        crate::error::guard(self.lang(), f)
    }

    fn detail(&self, v: onsite_core::visit::Visit) -> onsite_core::Result<JobDetail> {
        let conflicts = self.core.conflicts(v.job_id())?;
        Ok(JobDetail::from_core(&v, self.lang(), conflicts))
    }

    fn step(
        &self,
        f: impl FnOnce(&onsite_core::Technician) -> onsite_core::Result<onsite_core::visit::Visit>,
    ) -> Result<JobDetail> {
        self.guard(|| {
            let v = f(&self.core)?;
            self.detail(v)
        })
    }
}

#[uniffi::export]
impl SignedInTechnician {
    /// Opens (or creates) this technician's store file, encrypted with
    /// `store_key`: the 32 random bytes the shell created once and keeps in
    /// the platform's keystore. A plain store of an earlier version is
    /// encrypted on this first open; a store encrypted with another key is
    /// `OnsiteError.WrongStoreKey`, left untouched.
    #[uniffi::constructor]
    pub fn open(
        store_path: String,
        store_key: Vec<u8>,
        profile: TechnicianProfile,
    ) -> Result<Arc<Self>> {
        let store_key = zeroize::Zeroizing::new(store_key);
        crate::error::guard(Lang::ZhCn, || {
            let key = onsite_core::StoreKey::from_bytes(&store_key)?;
            let core = onsite_core::Technician::open_encrypted(
                &store_path,
                &key,
                onsite_core::Profile {
                    technician_id: profile.technician_id,
                    technician_name: profile.technician_name,
                    device_id: profile.device_id,
                    approval_key: profile.approval_key,
                },
            )?;
            Ok(Arc::new(SignedInTechnician {
                core: Arc::new(core),
                sync: Mutex::new(None),
                lang: Mutex::new(Lang::ZhCn),
            }))
        })
    }

    /// The language of labels, documents and error messages (zh-CN by default).
    pub fn set_language(&self, language: Language) {
        *self
            .lang
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = language.into();
    }

    /// Points sync at HQ with the token from enrollment, sending through
    /// `http` (the platform's HTTP stack; the shells pass theirs).
    pub fn connect(&self, hq_url: String, token: String, http: Arc<dyn HttpBackend>) -> Result<()> {
        self.guard(|| {
            let client =
                SyncClient::over(Platform::transport(http), SyncConfig::new(hq_url, token));
            let cancel = client.cancel_handle();
            *self
                .sync
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some((Arc::new(client), cancel));
            Ok(())
        })
    }

    /// Uploads photos, pushes the outbox, pulls HQ's changes (network).
    pub async fn sync_now(&self, observer: Option<Arc<dyn SyncObserver>>) -> Result<SyncReport> {
        let client = self
            .sync
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|(c, _)| c.clone())
            .ok_or_else(|| {
                OnsiteError::from_core(
                    onsite_core::Error::Offline {
                        reason: "not connected to HQ: call connect first".into(),
                    },
                    self.lang(),
                )
            })?;
        let core = self.core.clone();
        let relay =
            observer.map(|o| Arc::new(Relay(o)) as Arc<dyn onsite_core::sync::SyncListener>);
        guard_async(self.lang(), async move {
            let r = client.sync(core, relay).await?;
            Ok(SyncReport {
                photos_uploaded: r.blobs_uploaded,
                ops_pushed: r.ops_pushed,
                ops_applied: r.ops_applied,
                ops_rejected: r.ops_rejected,
                changes_pulled: r.changes_pulled,
                jobs_purged: r.jobs_purged,
            })
        })
        .await
    }

    /// Calls `observer` after every local step and every sync that changes
    /// jobs, until [`Self::unsubscribe_jobs`] with the returned id.
    pub fn subscribe_jobs(&self, observer: Arc<dyn JobsObserver>) -> u64 {
        self.core.add_jobs_listener(Arc::new(JobsRelay(observer)))
    }

    /// Stops calling the observer of `subscribe_jobs`; an unknown id is ignored.
    pub fn unsubscribe_jobs(&self, subscription: u64) {
        self.core.remove_jobs_listener(subscription);
    }

    /// Stops a running sync at the next safe point.
    pub fn cancel_sync(&self) {
        if let Some((_, c)) = self
            .sync
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            c.cancel();
        }
    }

    pub fn jobs(&self) -> Result<Vec<JobSummary>> {
        self.guard(|| {
            Ok(self
                .core
                .jobs()?
                .into_iter()
                .map(|j| JobSummary {
                    job_id: j.job_id,
                    status: j.status.into(),
                    appointment_at_ms: ms(j.appointment_at),
                    site: j.site,
                    location: j.location,
                    customer_phone: j.customer_phone,
                    urgent: j.urgent,
                    complained_before: j.complained_before,
                })
                .collect())
        })
    }

    /// The job's screen: the customer's full phone and address only on the
    /// day of the appointment (China time), masked on other days (the core's rule).
    pub fn job(&self, job_id: String) -> Result<JobDetail> {
        self.step(|t| t.job_view(&job_id))
    }

    /// The technician explicitly opens the customer's full phone and address,
    /// whatever the day; every call is an audit row on the phone.
    pub fn reveal_job(&self, job_id: String) -> Result<JobDetail> {
        self.step(|t| t.reveal_job(&job_id))
    }

    /// The actions a screen may offer on this job now, in workflow order, each
    /// with what blocks it (from the core's transition table and rules).
    pub fn available_actions(&self, job_id: String) -> Result<Vec<ActionOffer>> {
        let lang = self.lang();
        self.guard(|| {
            Ok(self
                .core
                .available_actions(&job_id)?
                .iter()
                .map(|a| ActionOffer::from_core(a, lang))
                .collect())
        })
    }

    pub fn pending_ops(&self) -> Result<i64> {
        self.guard(|| self.core.outbox_len())
    }

    /// Changes and photos still to send to HQ: while above zero, keep a sync
    /// scheduled (a photo may wait after its visit's changes went).
    pub fn pending_work(&self) -> Result<u64> {
        self.guard(|| self.core.unsynced())
    }

    pub fn checklist(&self, job_id: String, phase: ChecklistPhase) -> Result<Checklist> {
        self.guard(|| {
            let lang = self.lang();
            let view = self.core.checklist(&job_id, phase.into())?;
            Ok(Checklist {
                template_id: view.template.id.clone(),
                title: view.template.title.get(lang).to_string(),
                items: view
                    .visible
                    .iter()
                    .map(|i| ChecklistItem {
                        item_id: i.id.clone(),
                        label: i.label.get(lang).to_string(),
                        input: item_input(&i.kind, lang),
                        required: i.required,
                        answer: view.answers.get(&i.id).map(AnswerValue::from),
                    })
                    .collect(),
                missing_required: view.missing_required,
            })
        })
    }

    pub fn answer(
        &self,
        job_id: String,
        template_id: String,
        item_id: String,
        answer: AnswerValue,
    ) -> Result<JobDetail> {
        self.step(|t| t.answer(&job_id, &template_id, &item_id, answer.into()))
    }

    pub fn accept_job(&self, job_id: String) -> Result<JobDetail> {
        self.step(|t| t.accept_job(&job_id))
    }

    pub fn depart(&self, job_id: String) -> Result<JobDetail> {
        self.step(|t| t.depart(&job_id))
    }

    pub fn arrive(&self, job_id: String) -> Result<JobDetail> {
        self.step(|t| t.arrive(&job_id))
    }

    /// Arrives with the reason for being late (the visit goes on).
    pub fn arrive_with_reason(&self, job_id: String, late_reason: String) -> Result<JobDetail> {
        self.step(|t| t.arrive_with_reason(&job_id, &late_reason))
    }

    /// The verdict an arrival now would get (ask for a reason when `late`).
    pub fn punctuality_preview(&self, job_id: String) -> Result<PunctualityPreview> {
        let lang = self.lang();
        self.guard(|| {
            let p = self.core.punctuality_now(&job_id)?;
            Ok(PunctualityPreview {
                label: p.label(lang),
                late: p.is_late(),
                minutes_from_reference: p.minutes_from_reference,
            })
        })
    }

    pub fn record_no_access(
        &self,
        job_id: String,
        note: String,
        waited_minutes: u32,
        calls_made: u32,
        asked_neighbours: bool,
    ) -> Result<JobDetail> {
        self.step(|t| {
            t.record_no_access(
                &job_id,
                MessageNote {
                    text: note,
                    waited_minutes,
                    phoned_customer: calls_made > 0,
                    calls_made,
                    asked_neighbours,
                },
            )
        })
    }

    /// A new time agreed with the customer (who, when in Unix ms, how).
    pub fn reschedule_with_customer(
        &self,
        job_id: String,
        appointment_at_ms: i64,
        reason: String,
        agreed_by: String,
        agreed_at_ms: i64,
        channel: ConsentChannel,
    ) -> Result<JobDetail> {
        self.step(|t| {
            let at = from_ms(appointment_at_ms)?;
            let consent = onsite_core::visit::RescheduleConsent {
                agreed_by: agreed_by.clone(),
                agreed_at: from_ms(agreed_at_ms)?,
                channel: channel.into(),
            };
            t.reschedule_with_customer(&job_id, at, &reason, Some(&consent))
        })
    }

    /// Records a contact with the customer before a furniture visit.
    pub fn record_contact(
        &self,
        job_id: String,
        kind: ContactKind,
        note: String,
    ) -> Result<JobDetail> {
        self.step(|t| t.record_contact(&job_id, kind.into(), &note))
    }

    pub fn assess(&self, job_id: String, assessment: Assessment) -> Result<JobDetail> {
        self.step(|t| {
            t.assess(
                &job_id,
                onsite_core::visit::Assessment {
                    inspected_parts: assessment.inspected_parts,
                    findings: assessment.findings,
                    repair_items: assessment.repair_items,
                    solution: assessment.solution,
                    estimated_minutes: assessment.estimated_minutes,
                    withheld: assessment.withheld,
                },
            )
        })
    }

    pub fn add_quote_line(&self, job_id: String, item: QuoteItem, qty: u32) -> Result<JobDetail> {
        let item = match item {
            QuoteItem::Schedule {
                code,
                warranty_card_price_fen,
            } => LineItem::Schedule {
                code,
                warranty_card_price_fen,
            },
            QuoteItem::OffSchedule {
                kind,
                description,
                unit_price_fen,
            } => LineItem::OffSchedule {
                kind: kind.into(),
                description,
                unit_price_fen,
            },
        };
        self.step(|t| {
            t.add_quote_line(
                &job_id,
                &LineRequest {
                    item,
                    qty,
                    payer: None,
                },
            )
        })
    }

    /// The fee schedule and parts price list for one service category.
    pub fn fee_schedule(&self, category: ServiceCategory) -> Vec<ScheduleEntry> {
        let lang = self.lang();
        let schedule = self.core.fee_schedule();
        let category: onsite_core::checklist::Category = category.into();
        let entries = |kind: QuoteLineKind, list: &[onsite_core::quote::ScheduleEntry]| {
            list.iter()
                .filter(|e| e.category == category)
                .map(|e| ScheduleEntry {
                    code: e.code.clone(),
                    kind,
                    category: e.category.into(),
                    name: e.name.get(lang).to_string(),
                    unit: e.unit.get(lang).to_string(),
                    price_fen: e.price_fen,
                })
                .collect::<Vec<_>>()
        };
        let mut all = entries(QuoteLineKind::Service, &schedule.services);
        all.extend(entries(QuoteLineKind::Part, &schedule.parts));
        all
    }

    pub fn approve_quote_line(
        &self,
        job_id: String,
        line_no: u32,
        supervisor: String,
        code: String,
    ) -> Result<JobDetail> {
        self.step(|t| t.approve_quote_line(&job_id, line_no, &supervisor, &code))
    }

    pub fn present_quote(&self, job_id: String) -> Result<JobDetail> {
        self.step(|t| t.present_quote(&job_id))
    }

    pub fn customer_consents(&self, job_id: String, customer_name: String) -> Result<JobDetail> {
        self.step(|t| t.customer_consents(&job_id, &customer_name))
    }

    pub fn customer_declines(&self, job_id: String, reason: String) -> Result<JobDetail> {
        self.step(|t| t.customer_declines(&job_id, &reason))
    }

    pub fn add_material(&self, job_id: String, material: MaterialInput) -> Result<JobDetail> {
        self.step(|t| {
            t.add_material(
                &job_id,
                &MaterialRequest {
                    material_id: material.material_id,
                    source: material.source.into(),
                    description: material.description,
                    qty: material.qty,
                    part_code: material.part_code,
                },
            )
        })
    }

    pub fn inspect_material(
        &self,
        job_id: String,
        material_id: String,
        verdict: InspectionVerdict,
        findings: String,
        photos: Vec<String>,
    ) -> Result<JobDetail> {
        self.step(|t| {
            let at = t.now();
            t.inspect_material(
                &job_id,
                &material_id,
                Inspection {
                    verdict: verdict.into(),
                    findings,
                    photos,
                    at,
                },
            )
        })
    }

    pub fn note_concession(
        &self,
        job_id: String,
        material_id: String,
        note: ConcessionInput,
    ) -> Result<JobDetail> {
        self.step(|t| {
            let consented_at = t.now();
            t.note_concession(
                &job_id,
                &material_id,
                ConcessionNote {
                    defect: note.defect,
                    explanation: note.explanation,
                    customer_name: note.customer_name,
                    customer_consents: note.customer_consents,
                    consented_at,
                },
            )
        })
    }

    pub fn use_material(&self, job_id: String, material_id: String) -> Result<JobDetail> {
        self.step(|t| t.use_material(&job_id, &material_id))
    }

    pub fn replace_part(&self, job_id: String, part: PartReplacementInput) -> Result<JobDetail> {
        self.step(|t| {
            t.replace_part(
                &job_id,
                PartReplacement {
                    part_code: part.part_code,
                    description: part.description,
                    old_serial: part.old_serial,
                    new_serial: part.new_serial,
                    old_part_recovered: part.old_part_recovered,
                    old_part_registration: part.old_part_registration,
                    sim: match (part.old_sim, part.new_sim) {
                        (None, None) => None,
                        (old_sim, new_sim) => Some(onsite_core::material::SimSwap {
                            old_sim: old_sim.unwrap_or_default(),
                            new_sim: new_sim.unwrap_or_default(),
                        }),
                    },
                    return_tag: match (part.return_plate, part.return_fault) {
                        (None, None) => None,
                        (plate, fault) => Some(onsite_core::material::ReturnTag {
                            plate: plate.unwrap_or_default(),
                            fault: fault.unwrap_or_default(),
                        }),
                    },
                },
            )
        })
    }

    /// GPS: corrects the vehicle details on site.
    pub fn correct_vehicle(&self, job_id: String, vehicle: VehicleInfo) -> Result<JobDetail> {
        self.step(|t| t.correct_vehicle(&job_id, vehicle.into()))
    }

    /// Parts short on site: the centre's oral approval, recorded now.
    pub fn record_parts_short(&self, job_id: String, input: PartsShortInput) -> Result<JobDetail> {
        self.step(|t| {
            let approved_at = t.now();
            t.record_parts_short(
                &job_id,
                onsite_core::visit::PartsShortApproval {
                    what_short: input.what_short,
                    approver: input.approver,
                    approved_at,
                    instruction: input.instruction,
                },
            )
        })
    }

    /// Damage the technician caused, with its compensation.
    pub fn record_damage(&self, job_id: String, damage: DamageInput) -> Result<JobDetail> {
        self.step(|t| {
            t.record_damage(
                &job_id,
                onsite_core::visit::Damage {
                    what: damage.what,
                    amount: onsite_core::money::Fen::new(damage.amount_fen)?,
                    customer_agreed: damage.customer_agreed,
                },
            )
        })
    }

    pub fn start_work(&self, job_id: String) -> Result<JobDetail> {
        self.step(|t| t.start_work(&job_id))
    }

    pub fn finish_work(
        &self,
        job_id: String,
        labour_minutes: u32,
        summary: String,
    ) -> Result<JobDetail> {
        self.step(|t| t.finish_work(&job_id, labour_minutes, &summary))
    }

    /// Processes and stores a camera photo; answer photo items with its sha256.
    pub fn add_photo(&self, job_id: String, jpeg_or_png: Vec<u8>) -> Result<Photo> {
        self.guard(|| {
            let p = self
                .core
                .add_photo(&job_id, &jpeg_or_png, &PhotoPolicy::default())?;
            Ok(Photo {
                sha256: p.full_sha256,
                thumb_sha256: p.thumb_sha256,
                width: p.width,
                height: p.height,
            })
        })
    }

    /// The customer's acceptance: signature from the pad's points, or a refusal.
    pub fn record_acceptance(&self, job_id: String, input: AcceptanceInput) -> Result<JobDetail> {
        let sign = match input.sign_off {
            SignOff::Sign { signer_name, pad } => onsite_core::SignInput::Sign {
                signer_name,
                ink: Ink::from(pad).encode(),
            },
            SignOff::Refuse { reason } => onsite_core::SignInput::Refuse { reason },
        };
        let technician_ink = input.technician_pad.map(|pad| Ink::from(pad).encode());
        self.step(|t| {
            t.record_acceptance(
                &job_id,
                onsite_core::AcceptanceInput {
                    quality: input.quality.into(),
                    attitude: input.attitude.into(),
                    comment: input.comment,
                    fix_uncertain: input.fix_uncertain,
                    sign,
                    technician_ink,
                },
            )
        })
    }

    /// Fills in the fault cause and repair measures withheld from the customer.
    pub fn fill_withheld(
        &self,
        job_id: String,
        findings: String,
        solution: String,
    ) -> Result<JobDetail> {
        self.step(|t| t.fill_withheld(&job_id, &findings, &solution))
    }

    /// Furniture: how the householder's identity was checked before unloading.
    pub fn check_identity(&self, job_id: String, check: IdentityCheckInput) -> Result<JobDetail> {
        self.step(|t| t.check_identity(&job_id, check.into()))
    }

    /// Furniture: one delivery-list item (1-based) accepted or rejected with a note.
    pub fn decide_delivery_item(
        &self,
        job_id: String,
        item_no: u32,
        accepted: bool,
        note: String,
    ) -> Result<JobDetail> {
        self.step(|t| {
            t.decide_delivery_item(
                &job_id,
                item_no,
                onsite_core::visit::ItemDecision { accepted, note },
            )
        })
    }

    /// A complaint the customer makes on site (`hard`: about the product), in their words.
    pub fn record_complaint(&self, job_id: String, hard: bool, words: String) -> Result<JobDetail> {
        let kind = if hard {
            onsite_core::visit::ComplaintKind::Hard
        } else {
            onsite_core::visit::ComplaintKind::Soft
        };
        self.step(|t| t.record_complaint(&job_id, onsite_core::visit::Complaint { kind, words }))
    }

    pub fn verify_signature(&self, job_id: String) -> Result<bool> {
        self.guard(|| self.core.verify_signature(&job_id))
    }

    /// The customer's signature as a PNG (white background).
    pub fn signature_png(&self, job_id: String, width: u32, height: u32) -> Result<Vec<u8>> {
        self.guard(|| self.core.signature_png(&job_id, width, height))
    }

    /// For cash, `cash_checked` confirms the notes were checked for
    /// counterfeits and counted in front of the customer (refused without it).
    pub fn take_payment(
        &self,
        job_id: String,
        method: PaymentMethod,
        received_fen: i64,
        reference: Option<String>,
        cash_checked: bool,
    ) -> Result<JobDetail> {
        self.step(|t| {
            t.take_payment(
                &job_id,
                method.into(),
                received_fen,
                reference,
                cash_checked,
            )
        })
    }

    /// The customer disputes the charge: escalated to the service centre
    /// (waits in the outbox when offline); payment waits for the instruction.
    pub fn dispute_charge(
        &self,
        job_id: String,
        dispute: crate::records::ChargeDisputeInput,
    ) -> Result<JobDetail> {
        self.step(|t| t.dispute_charge(&job_id, &dispute.to_core()?))
    }

    /// The centre's instruction read out by a supervisor, with its code.
    pub fn enter_charge_instruction(
        &self,
        job_id: String,
        instruction: crate::records::ChargeInstructionInput,
        supervisor: String,
        code: String,
    ) -> Result<JobDetail> {
        self.step(|t| {
            t.enter_charge_instruction(&job_id, instruction.to_core()?, &supervisor, &code)
        })
    }

    /// The invoice the customer asked for: title, tax number, how it is delivered.
    pub fn record_invoice(
        &self,
        job_id: String,
        invoice: crate::records::InvoiceInput,
    ) -> Result<JobDetail> {
        self.step(|t| t.record_invoice(&job_id, &invoice.to_core()))
    }

    /// Issues the receipt; with `emergency` it uses the device's marked emergency series.
    pub fn issue_receipt(&self, job_id: String, emergency: bool) -> Result<Receipt> {
        self.guard(|| Ok(receipt(&self.core.issue_receipt(&job_id, emergency)?)))
    }

    /// Voids a receipt; its number stays used.
    pub fn void_receipt(&self, number: String, reason: String) -> Result<()> {
        self.guard(|| self.core.void_receipt(&number, &reason))
    }

    /// Reissues a voided receipt under a new number that refers to it.
    pub fn reissue_receipt(&self, voided_number: String) -> Result<Receipt> {
        self.guard(|| Ok(receipt(&self.core.reissue_receipt(&voided_number)?)))
    }

    /// Receipt numbers left in the blocks HQ granted this device.
    pub fn receipt_numbers_left(&self) -> Result<i64> {
        self.guard(|| self.core.receipt_numbers_left())
    }

    /// Checks that no receipt on this device was edited or removed.
    pub fn verify_receipt_chain(&self) -> Result<ReceiptChain> {
        use onsite_core::receipt::ChainFault;
        self.guard(|| {
            Ok(match self.core.verify_receipt_chain()? {
                None => ReceiptChain::Intact,
                Some(ChainFault::Edited { number }) => ReceiptChain::Edited { number },
                Some(ChainFault::Broken { number }) => ReceiptChain::Broken { number },
            })
        })
    }

    pub fn receipt_text(&self, number: String) -> Result<String> {
        self.guard(|| {
            Ok(documents::to_text(
                &self.core.receipt_document(&number, self.lang())?,
            ))
        })
    }

    pub fn receipt_html(&self, number: String) -> Result<String> {
        self.guard(|| {
            Ok(documents::to_html(
                &self.core.receipt_document(&number, self.lang())?,
            ))
        })
    }

    /// ESC/POS bytes to send to a thermal printer (Bluetooth or TCP 9100).
    pub fn receipt_escpos(&self, number: String, paper: Paper) -> Result<Vec<u8>> {
        self.guard(|| {
            Ok(escpos(
                &self.core.receipt_document(&number, self.lang())?,
                paper,
            ))
        })
    }

    /// The customer's copy of the work order.
    pub fn work_order_text(&self, job_id: String) -> Result<String> {
        self.guard(|| {
            Ok(documents::to_text(
                &self.core.work_order_copy(&job_id, self.lang())?,
            ))
        })
    }

    pub fn work_order_html(&self, job_id: String) -> Result<String> {
        self.guard(|| {
            Ok(documents::to_html(
                &self.core.work_order_copy(&job_id, self.lang())?,
            ))
        })
    }

    pub fn work_order_escpos(&self, job_id: String, paper: Paper) -> Result<Vec<u8>> {
        self.guard(|| {
            Ok(escpos(
                &self.core.work_order_copy(&job_id, self.lang())?,
                paper,
            ))
        })
    }

    /// The message note (留言条) left when nobody was home.
    pub fn message_note_text(&self, job_id: String) -> Result<String> {
        self.guard(|| {
            Ok(documents::to_text(
                &self.core.message_note(&job_id, self.lang())?,
            ))
        })
    }

    pub fn message_note_escpos(&self, job_id: String, paper: Paper) -> Result<Vec<u8>> {
        self.guard(|| {
            Ok(escpos(
                &self.core.message_note(&job_id, self.lang())?,
                paper,
            ))
        })
    }

    pub fn hand_over(&self, job_id: String) -> Result<JobDetail> {
        self.step(|t| t.hand_over(&job_id))
    }
}

fn escpos(doc: &documents::Doc, paper: Paper) -> Vec<u8> {
    let profile = match paper {
        Paper::Mm58 => PrinterProfile::mm58(),
        Paper::Mm80 => PrinterProfile::mm80(),
    };
    documents::to_escpos(doc, &profile)
}

fn receipt(r: &onsite_core::receipt::Receipt) -> Receipt {
    Receipt {
        number: r.number.clone(),
        job_id: r.job_id.clone(),
        total_fen: r.totals.total.fen(),
        received_fen: r.payment.as_ref().map_or(0, |p| p.received.fen()),
        change_fen: r.payment.as_ref().map_or(0, |p| p.change.fen()),
        emergency: r.is_emergency(),
        issued_at_ms: ms(r.issued_at),
    }
}
