//! No input can panic the public API, in any state of a job: every public
//! call of [`Technician`] is driven on a job in each of the fifteen statuses,
//! with plausible inputs, with absurd ones (huge, empty, control characters,
//! amounts and dates at the ends of their types) and with arbitrary ones.
//! Each call ends in `Ok` or a typed `Err`; a refused call changes nothing;
//! and the store stays consistent (gap-free outbox, intact receipt chain).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, FixedOffset, Utc};
use common::{appointment, fixture, ink, Fixture};
use onsite_core::charge::{ChargeDispute, CustomerAsk, Instruction, Invoice, InvoiceDelivery};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::clock::ManualClock;
use onsite_core::locale::Lang;
use onsite_core::material::{ConcessionNote, Inspection, MaterialRequest, Source, Verdict};
use onsite_core::money::{Fen, MAX_TOTAL_FEN};
use onsite_core::order::Vehicle;
use onsite_core::payment::Method;
use onsite_core::quote::{LineItem, LineKind, LineRequest};
use onsite_core::receipt::NumberBlock;
use onsite_core::sync::protocol::{
    Change, ChangeKind, OpResult, Outcome, PullResponse, PushResponse,
};
use onsite_core::visit::{
    Assessment, Complaint, ComplaintKind, ConsentChannel, ContactKind, Damage, IdMethod,
    IdentityCheck, ItemDecision, MessageNote, Opinion, PartsShortApproval, Rating,
    RescheduleConsent, Status,
};
use onsite_core::{sample, AcceptanceInput, Result, SignInput, Technician};
use proptest::prelude::*;

/// What the calls are given: one value per kind of argument.
#[derive(Debug, Clone)]
struct Inputs {
    text: String,
    name: String,
    fen: i64,
    qty: u32,
    line_no: u32,
    minutes: u32,
    at: DateTime<Utc>,
    code: String,
    material: String,
    receipt: String,
    sha: String,
    bytes: Vec<u8>,
    answer: Answer,
    method: Method,
    flag: bool,
    size: u32,
    limit: usize,
}

impl Inputs {
    /// What a technician would enter: mostly accepted where the status allows.
    fn plausible(receipt: &str) -> Inputs {
        Inputs {
            text: "角阀老化,已更换".into(),
            name: "王女士".into(),
            fen: 1_000_000,
            qty: 1,
            line_no: 1,
            minutes: 30,
            at: appointment() + Duration::days(1),
            code: "SR-001".into(),
            material: "m1".into(),
            receipt: receipt.into(),
            sha: "0".repeat(64),
            bytes: ink(),
            answer: Answer::Check(true),
            method: Method::Cash,
            flag: true,
            size: 300,
            limit: 100,
        }
    }

    /// Values at and past every bound.
    fn absurd() -> Inputs {
        Inputs {
            text: format!("\u{0}\u{1b}{}\u{202e}", "长".repeat(5_000)),
            name: " \n\t ".into(),
            fen: i64::MIN,
            qty: u32::MAX,
            line_no: u32::MAX,
            minutes: u32::MAX,
            at: DateTime::<Utc>::MAX_UTC,
            code: "\u{0}".repeat(300),
            material: "../../etc/passwd".into(),
            receipt: "R-\u{0}-9999999999999999999999".into(),
            sha: "ZZ".repeat(40),
            bytes: vec![0xff; 70_000],
            answer: Answer::Number(f64::NAN),
            method: Method::OnAccount,
            flag: false,
            size: u32::MAX,
            limit: usize::MAX,
        }
    }
}

fn fen(i: &Inputs) -> Fen {
    Fen::try_from(i.fen.clamp(0, MAX_TOTAL_FEN)).unwrap()
}

fn consent(i: &Inputs) -> RescheduleConsent {
    RescheduleConsent {
        agreed_by: i.name.clone(),
        agreed_at: i.at,
        channel: ConsentChannel::Phone,
    }
}

/// An order for `job` whose appointment and desired completion are `i.at`.
fn order(job: &str, technician: &str, i: &Inputs) -> onsite_core::order::WorkOrder {
    let mut o = sample::leak_order(job, technician, appointment());
    o.appointment_at = i.at;
    o.desired_completion_at = Some(i.at);
    o
}

struct NoListener;
impl onsite_core::changes::JobsListener for NoListener {
    fn jobs_changed(&self, _: Vec<String>) {}
}

type Call = fn(&Technician, &str, &Inputs) -> Result<()>;

/// Every public call of `Technician`, on a job, with the inputs given.
const CALLS: &[(&str, Call)] = &[
    ("receive_order", |t, j, i| {
        t.receive_order(order(j, "T-0107", i)).map(drop)
    }),
    ("receive_order_for_another", |t, j, i| {
        t.receive_order(order(j, &i.code, i)).map(drop)
    }),
    ("cancel_by_hq", |t, j, i| {
        t.cancel_by_hq(j, &i.text).map(drop)
    }),
    ("reschedule_by_hq", |t, j, i| {
        t.reschedule_by_hq(j, i.at, &i.text, Some(&consent(i)))
            .map(drop)
    }),
    ("reschedule_by_hq_without_consent", |t, j, i| {
        t.reschedule_by_hq(j, i.at, &i.text, None).map(drop)
    }),
    ("reschedule_with_customer", |t, j, i| {
        t.reschedule_with_customer(j, i.at, &i.text, Some(&consent(i)))
            .map(drop)
    }),
    ("record_contact", |t, j, i| {
        t.record_contact(j, ContactKind::AdvanceNotice, &i.text)
            .map(drop)
    }),
    ("checklist_flags", |t, j, _| t.checklist_flags(j).map(drop)),
    ("punctuality_now", |t, j, _| t.punctuality_now(j).map(drop)),
    ("accept_job", |t, j, _| t.accept_job(j).map(drop)),
    ("depart", |t, j, _| t.depart(j).map(drop)),
    ("arrive", |t, j, _| t.arrive(j).map(drop)),
    ("arrive_with_reason", |t, j, i| {
        t.arrive_with_reason(j, &i.text).map(drop)
    }),
    ("record_no_access", |t, j, i| {
        let note = MessageNote {
            text: i.text.clone(),
            waited_minutes: i.minutes,
            phoned_customer: i.flag,
            calls_made: i.qty,
            asked_neighbours: i.flag,
        };
        t.record_no_access(j, note).map(drop)
    }),
    ("answer", |t, j, i| {
        t.answer(j, "property_repair.completion", &i.code, i.answer.clone())
            .map(drop)
    }),
    ("answer_unknown_template", |t, j, i| {
        t.answer(j, &i.text, &i.name, i.answer.clone()).map(drop)
    }),
    ("assess", |t, j, i| {
        let a = Assessment {
            inspected_parts: vec![i.text.clone()],
            findings: i.text.clone(),
            repair_items: vec![i.name.clone()],
            solution: i.text.clone(),
            estimated_minutes: i.minutes,
            withheld: !i.flag,
        };
        t.assess(j, a).map(drop)
    }),
    ("add_quote_line_off_schedule", |t, j, i| {
        let item = LineItem::OffSchedule {
            kind: LineKind::Part,
            description: i.text.clone(),
            unit_price_fen: i.fen,
        };
        t.add_quote_line(
            j,
            &LineRequest {
                item,
                qty: i.qty,
                payer: None,
            },
        )
        .map(drop)
    }),
    ("add_quote_line_schedule", |t, j, i| {
        let item = LineItem::Schedule {
            code: i.code.clone(),
            warranty_card_price_fen: Some(i.fen),
        };
        t.add_quote_line(
            j,
            &LineRequest {
                item,
                qty: i.qty,
                payer: None,
            },
        )
        .map(drop)
    }),
    ("remove_quote_line", |t, j, i| {
        t.remove_quote_line(j, i.line_no).map(drop)
    }),
    ("approve_quote_line", |t, j, i| {
        t.approve_quote_line(j, i.line_no, &i.name, &i.code)
            .map(drop)
    }),
    ("present_quote", |t, j, _| t.present_quote(j).map(drop)),
    ("customer_consents", |t, j, i| {
        t.customer_consents(j, &i.name).map(drop)
    }),
    ("customer_declines", |t, j, i| {
        t.customer_declines(j, &i.text).map(drop)
    }),
    ("add_material", |t, j, i| {
        let m = MaterialRequest {
            material_id: i.material.clone(),
            source: Source::CustomerSupplied,
            description: i.text.clone(),
            qty: i.qty,
            part_code: Some(i.code.clone()),
        };
        t.add_material(j, &m).map(drop)
    }),
    ("inspect_material", |t, j, i| {
        let inspection = Inspection {
            verdict: Verdict::Fail,
            findings: i.text.clone(),
            photos: vec![i.sha.clone()],
            at: i.at,
        };
        t.inspect_material(j, &i.material, inspection).map(drop)
    }),
    ("note_concession", |t, j, i| {
        let note = ConcessionNote {
            defect: i.text.clone(),
            explanation: i.text.clone(),
            customer_name: i.name.clone(),
            customer_consents: i.flag,
            consented_at: i.at,
        };
        t.note_concession(j, &i.material, note).map(drop)
    }),
    ("use_material", |t, j, i| {
        t.use_material(j, &i.material).map(drop)
    }),
    ("replace_part", |t, j, i| {
        let mut r = sample::warranty_replacement();
        r.part_code = i.code.clone();
        r.description = i.text.clone();
        r.new_serial = i.name.clone();
        r.old_part_recovered = i.flag;
        t.replace_part(j, r).map(drop)
    }),
    ("correct_vehicle", |t, j, i| {
        let v = Vehicle {
            plate: i.code.clone(),
            model: i.text.clone(),
            driver_name: i.name.clone(),
            driver_phone: i.text.clone(),
        };
        t.correct_vehicle(j, v).map(drop)
    }),
    ("record_parts_short", |t, j, i| {
        let a = PartsShortApproval {
            what_short: i.text.clone(),
            approver: i.name.clone(),
            approved_at: i.at,
            instruction: i.text.clone(),
        };
        t.record_parts_short(j, a).map(drop)
    }),
    ("record_damage", |t, j, i| {
        let d = Damage {
            what: i.text.clone(),
            amount: fen(i),
            customer_agreed: i.flag,
        };
        t.record_damage(j, d).map(drop)
    }),
    ("start_work", |t, j, _| t.start_work(j).map(drop)),
    ("finish_work", |t, j, i| {
        t.finish_work(j, i.minutes, &i.text).map(drop)
    }),
    ("record_acceptance_signed", |t, j, i| {
        let a = AcceptanceInput {
            quality: Opinion::Rated {
                rating: Rating::Satisfied,
            },
            attitude: Opinion::Declined {
                reason: i.text.clone(),
            },
            comment: i.text.clone(),
            fix_uncertain: !i.flag,
            sign: SignInput::Sign {
                signer_name: i.name.clone(),
                ink: i.bytes.clone(),
            },
            technician_ink: Some(i.bytes.clone()),
        };
        t.record_acceptance(j, a).map(drop)
    }),
    ("record_acceptance_refused", |t, j, i| {
        let a = AcceptanceInput {
            quality: Opinion::Declined {
                reason: i.name.clone(),
            },
            attitude: Opinion::Rated {
                rating: Rating::Dissatisfied,
            },
            comment: String::new(),
            fix_uncertain: i.flag,
            sign: SignInput::Refuse {
                reason: i.text.clone(),
            },
            technician_ink: None,
        };
        t.record_acceptance(j, a).map(drop)
    }),
    ("fill_withheld", |t, j, i| {
        t.fill_withheld(j, &i.text, &i.name).map(drop)
    }),
    ("check_identity", |t, j, i| {
        let c = IdentityCheck {
            method: IdMethod::IdCardLast4,
            householder_name: i.name.clone(),
            id_last4: Some(i.code.clone()),
        };
        t.check_identity(j, c).map(drop)
    }),
    ("decide_delivery_item", |t, j, i| {
        let d = ItemDecision {
            accepted: i.flag,
            note: i.text.clone(),
        };
        t.decide_delivery_item(j, i.line_no, d).map(drop)
    }),
    ("record_complaint", |t, j, i| {
        let c = Complaint {
            kind: ComplaintKind::Hard,
            words: i.text.clone(),
        };
        t.record_complaint(j, c).map(drop)
    }),
    ("take_payment", |t, j, i| {
        t.take_payment(j, i.method, i.fen, Some(i.code.clone()), i.flag)
            .map(drop)
    }),
    ("dispute_charge", |t, j, i| {
        let d = ChargeDispute {
            disputed: fen(i),
            ask: CustomerAsk::Reduction { to: fen(i) },
            explained_sanbao: i.flag,
            explained_warranty_scope: true,
            customer_words: i.text.clone(),
        };
        t.dispute_charge(j, &d).map(drop)
    }),
    ("enter_charge_instruction", |t, j, i| {
        let to = fen(i);
        t.enter_charge_instruction(j, Instruction::Reduce { to }, &i.name, &i.code)
            .map(drop)
    }),
    ("record_invoice", |t, j, i| {
        let inv = Invoice {
            title: i.name.clone(),
            tax_number: i.code.clone(),
            delivery: InvoiceDelivery::Post {
                address: i.text.clone(),
            },
        };
        t.record_invoice(j, &inv).map(drop)
    }),
    ("issue_receipt", |t, j, i| {
        t.issue_receipt(j, !i.flag).map(drop)
    }),
    ("void_receipt", |t, _, i| {
        t.void_receipt(&i.receipt, &i.text)
    }),
    ("reissue_receipt", |t, _, i| {
        t.reissue_receipt(&i.receipt).map(drop)
    }),
    ("hand_over", |t, j, _| t.hand_over(j).map(drop)),
    ("grant_receipt_block", |t, _, i| {
        let block = NumberBlock {
            series: i.code.clone(),
            first: i.fen,
            last: i.fen.saturating_add(i64::from(i.qty)),
        };
        t.grant_receipt_block(&block)
    }),
    ("receipt_numbers_left", |t, _, _| {
        t.receipt_numbers_left().map(drop)
    }),
    ("receipt_ledger", |t, _, _| t.receipt_ledger().map(drop)),
    ("verify_receipt_chain", |t, _, _| {
        t.verify_receipt_chain().map(drop)
    }),
    ("receipt_document", |t, _, i| {
        t.receipt_document(&i.receipt, Lang::ZhCn).map(drop)
    }),
    ("message_note", |t, j, _| {
        t.message_note(j, Lang::En).map(drop)
    }),
    ("work_order_copy", |t, j, _| {
        t.work_order_copy(j, Lang::ZhCn).map(drop)
    }),
    ("put_blob", |t, j, i| {
        t.put_blob(&i.text, &i.bytes, Some(j)).map(drop)
    }),
    ("add_photo", |t, j, i| {
        let policy = onsite_core::photo::PhotoPolicy::default();
        let bytes = if i.flag {
            sample::photo_jpeg()
        } else {
            i.bytes.clone()
        };
        t.add_photo(j, &bytes, &policy).map(drop)
    }),
    ("blob", |t, _, i| t.blob(&i.sha).map(drop)),
    ("has_blob", |t, _, i| t.has_blob(&i.sha).map(drop)),
    ("pending_blobs", |t, _, _| t.pending_blobs().map(drop)),
    ("mark_blob_uploaded", |t, _, i| t.mark_blob_uploaded(&i.sha)),
    ("job", |t, j, _| t.job(j).map(drop)),
    ("job_view", |t, j, _| t.job_view(j).map(drop)),
    ("reveal_job", |t, j, _| t.reveal_job(j).map(drop)),
    ("is_purged", |t, j, _| t.is_purged(j).map(drop)),
    ("retention_days", |t, _, _| t.retention_days().map(drop)),
    ("signature_png", |t, j, i| {
        t.signature_png(j, i.size, i.size / 3).map(drop)
    }),
    ("verify_signature", |t, j, _| {
        t.verify_signature(j).map(drop)
    }),
    ("jobs", |t, _, _| t.jobs().map(drop)),
    ("jobs_for_day", |t, _, i| {
        let offset = FixedOffset::east_opt(8 * 3600).unwrap();
        t.jobs_for_day(i.at.date_naive(), offset).map(drop)
    }),
    ("available_actions", |t, j, _| {
        t.available_actions(j).map(drop)
    }),
    ("checklist", |t, j, _| {
        for phase in [
            Phase::BeforeLeaving,
            Phase::Arrival,
            Phase::WorkRules,
            Phase::Completion,
        ] {
            t.checklist(j, phase)?;
        }
        Ok(())
    }),
    ("events", |t, j, _| t.events(j).map(drop)),
    ("audit_trail", |t, j, _| t.audit_trail(j).map(drop)),
    ("pending_ops", |t, _, i| t.pending_ops(i.limit).map(drop)),
    ("last_seq", |t, _, _| t.last_seq().map(drop)),
    ("acknowledge", |t, _, i| {
        // HQ answers for the phone's ops, or (absurd) for ops it never sent.
        let ops = t.pending_ops(3)?;
        let results = if i.flag {
            ops.iter()
                .map(|op| OpResult {
                    op_id: op.op_id.clone(),
                    seq: op.seq,
                    outcome: Outcome::Applied,
                })
                .collect()
        } else {
            vec![OpResult {
                op_id: i.code.clone(),
                seq: i.fen,
                outcome: Outcome::Rejected {
                    code: onsite_core::sync::protocol::RejectCode::RuleBroken,
                    message: i.text.clone(),
                },
            }]
        };
        let last_applied_seq = if i.flag {
            ops.last().map_or(0, |op| op.seq)
        } else {
            i.fen
        };
        t.acknowledge(&PushResponse {
            last_applied_seq,
            results,
            received_at: i.at,
            applied_omitted: i.flag,
        })
        .map(drop)
    }),
    ("apply_pulled", |t, j, i| {
        let cursor = t.pull_cursor()?;
        let next = if i.flag { cursor + 1 } else { i.fen };
        let change = |kind| Change {
            cursor: next,
            job_id: j.to_string(),
            at: i.at,
            change: kind,
        };
        let kind = if i.flag {
            ChangeKind::Rescheduled {
                appointment_at: i.at,
                reason: i.text.clone(),
                consent: Some(consent(i)),
            }
        } else {
            ChangeKind::ChargeInstructed {
                instruction: Instruction::Reduce { to: fen(i) },
                by: i.name.clone(),
            }
        };
        t.apply_pulled(&PullResponse {
            changes: vec![change(kind)],
            next_cursor: next,
            has_more: !i.flag,
            retention_days: None,
        })
        .map(drop)
    }),
    ("apply_pulled_cancel", |t, j, i| {
        let next = t.pull_cursor()?.saturating_add(1);
        t.apply_pulled(&PullResponse {
            changes: vec![Change {
                cursor: next,
                job_id: j.to_string(),
                at: i.at,
                change: ChangeKind::Cancelled {
                    reason: i.text.clone(),
                },
            }],
            next_cursor: next,
            has_more: false,
            retention_days: None,
        })
        .map(drop)
    }),
    ("pull_cursor", |t, _, _| t.pull_cursor().map(drop)),
    ("conflicts", |t, j, _| {
        for c in t.conflicts(j)? {
            assert!(!c.describe(Lang::ZhCn).is_empty());
        }
        Ok(())
    }),
    ("profile_checklists_fee_schedule_now", |t, _, _| {
        let _ = (t.profile(), t.checklists(), t.fee_schedule(), t.now());
        Ok(())
    }),
    ("outbox_len", |t, _, _| t.outbox_len().map(drop)),
    ("jobs_listener", |t, _, i| {
        let id = t.add_jobs_listener(Arc::new(NoListener));
        t.remove_jobs_listener(id);
        t.remove_jobs_listener(i.fen as u64);
        Ok(())
    }),
];

/// A job in `status`, built with the story steps of `common`.
fn drive_to(f: &Fixture, job: &str, status: Status) {
    let t = &f.tech;
    match status {
        Status::Dispatched => drop(f.dispatch(job)),
        Status::Accepted => {
            f.dispatch(job);
            t.accept_job(job).unwrap();
        }
        Status::EnRoute => {
            f.dispatch(job);
            t.accept_job(job).unwrap();
            sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
            t.depart(job).unwrap();
        }
        Status::Arrived => drop(f.to_arrived(job)),
        Status::NoAccess => {
            f.to_arrived(job);
            f.clock.advance(Duration::minutes(30));
            let note = MessageNote {
                text: "敲门无人应答,已留言".into(),
                waited_minutes: 30,
                phoned_customer: true,
                calls_made: 3,
                asked_neighbours: true,
            };
            t.record_no_access(job, note).unwrap();
        }
        Status::Assessed => drop(f.to_assessed(job)),
        Status::Quoted => drop(f.to_quoted(job)),
        Status::Consented => {
            f.to_quoted(job);
            t.customer_consents(job, "王女士").unwrap();
        }
        Status::Declined => {
            f.to_quoted(job);
            t.customer_declines(job, "价格太高").unwrap();
        }
        Status::InProgress => drop(f.to_in_progress(job)),
        Status::WorkDone => drop(f.to_work_done(job)),
        Status::CustomerAccepted => drop(f.to_customer_accepted(job)),
        Status::Settled => drop(f.to_settled(job)),
        Status::HandedOver => {
            f.to_settled(job);
            t.hand_over(job).unwrap();
        }
        Status::Cancelled => {
            f.dispatch(job);
            t.cancel_by_hq(job, "业主已自行维修").unwrap();
        }
    }
    assert_eq!(t.job(job).unwrap().status, status, "{job}");
}

fn job_of(status: Status) -> String {
    format!("S-{}", status.as_str())
}

/// A store holding one job in each status, built once and copied for each
/// run (building it takes hundreds of committed steps).
struct Snapshot {
    dir: tempfile::TempDir,
    now: DateTime<Utc>,
    /// The number of the receipt issued on the settled job.
    receipt: String,
}

fn snapshot() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| {
        let f = fixture();
        for status in Status::ALL {
            f.clock.set(appointment() - Duration::hours(2));
            drive_to(&f, &job_of(status), status);
        }
        let receipt = f
            .tech
            .job(&job_of(Status::Settled))
            .unwrap()
            .receipt
            .unwrap()
            .number;
        let now = onsite_core::clock::Clock::now(&*f.clock);
        let Fixture { dir, tech, .. } = f;
        drop(tech);
        Snapshot { dir, now, receipt }
    })
}

/// A fresh copy of the snapshot store, opened: each run starts from the
/// fifteen jobs as built.
fn open_copy() -> (tempfile::TempDir, Technician) {
    let snap = snapshot();
    // In memory where there is a tmpfs: the store syncs every commit to disk,
    // and a sweep commits a few hundred times.
    let shm = Path::new("/dev/shm");
    let dir = tempfile::tempdir_in(shm)
        .or_else(|_| tempfile::tempdir())
        .unwrap();
    for entry in std::fs::read_dir(snap.dir.path()).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    let path: PathBuf = dir.path().join("tech.sqlite3");
    assert!(Path::new(&path).exists());
    let tech = Technician::open_with_clock(
        &path,
        sample::profile(),
        Arc::new(ManualClock::new(snap.now)),
    )
    .unwrap();
    (dir, tech)
}

/// What a call may change: the outbox, the receipts, the job's events and status.
type Footprint = (i64, i64, usize, i64, i64, Option<usize>, Option<Status>);

fn footprint(t: &Technician, job: &str) -> Footprint {
    (
        t.last_seq().unwrap(),
        t.outbox_len().unwrap(),
        t.receipt_ledger().unwrap().len(),
        t.receipt_numbers_left().unwrap(),
        t.pull_cursor().unwrap(),
        t.events(job).ok().map(|e| e.len()),
        t.job(job).ok().map(|v| v.status),
    )
}

/// Runs `call` on `job`: a refusal is a typed error that changed nothing;
/// returns whether the store changed.
fn run_call(t: &Technician, job: &str, (name, call): &(&str, Call), i: &Inputs) -> bool {
    let before = footprint(t, job);
    let status = before.6;
    let result = call(t, job, i);
    let after = footprint(t, job);
    if let Err(e) = &result {
        assert!(
            !e.to_string().is_empty(),
            "{name} in {status:?}: an empty error"
        );
        assert_eq!(
            before, after,
            "{name} in {status:?} was refused ({e}) but changed the store"
        );
    }
    before != after
}

/// The store is consistent whatever the calls did: every outbox row reads
/// back as an op, sequence numbers have no gap, the receipt chain is intact.
fn check_store(t: &Technician, after: &str) {
    let ops = t.pending_ops(100_000).unwrap();
    assert_eq!(ops.len() as i64, t.outbox_len().unwrap(), "after {after}");
    assert!(
        ops.windows(2).all(|w| w[1].seq == w[0].seq + 1),
        "after {after}: a gap in the outbox"
    );
    assert_eq!(
        t.verify_receipt_chain().unwrap(),
        None,
        "after {after}: the receipt chain is broken"
    );
}

/// Every call, in every status, with plausible and with absurd inputs: each
/// returns `Ok` or a typed error, never a panic. A call that changed the
/// store is followed by a fresh copy, so each call meets the job in the
/// status under test.
#[test]
fn every_call_in_every_status_is_ok_or_a_typed_error() {
    let inputs = [Inputs::plausible(&snapshot().receipt), Inputs::absurd()];
    let mut accepted = std::collections::BTreeSet::new();
    for status in Status::ALL {
        let job = job_of(status);
        let (mut dir, mut t) = open_copy();
        for call in CALLS {
            for i in &inputs {
                assert_eq!(t.job(&job).unwrap().status, status);
                if run_call(&t, &job, call, i) {
                    accepted.insert(call.0);
                    check_store(&t, call.0);
                    drop(t);
                    (dir, t) = open_copy();
                }
            }
        }
        check_store(&t, status.as_str());
        drop(t);
        drop(dir);
    }
    // The plausible inputs are accepted somewhere: the sweep reaches past the status checks.
    for must in [
        "accept_job",
        "record_no_access",
        "add_quote_line_off_schedule",
        "present_quote",
        "customer_consents",
        "start_work",
        "take_payment",
        "void_receipt",
        "hand_over",
        "cancel_by_hq",
        "apply_pulled_cancel",
    ] {
        assert!(
            accepted.contains(must),
            "{must} was never accepted: {accepted:?}"
        );
    }
}

fn any_inputs() -> impl Strategy<Value = Inputs> {
    let text = prop_oneof![".{0,40}", "\\PC{0,3000}", Just(String::new())];
    (
        (
            text.clone(),
            ".{0,20}",
            any::<i64>(),
            any::<u32>(),
            0u32..5,
            any::<u32>(),
        ),
        (
            any::<i64>().prop_map(|s| {
                DateTime::<Utc>::from_timestamp(s % 400_000_000_000, 0).unwrap_or_default()
            }),
            prop_oneof!["[A-Z0-9-]{0,10}", ".{0,70}"],
            prop_oneof![Just("m1".to_string()), ".{0,10}"],
            prop_oneof![Just(snapshot().receipt.clone()), ".{0,30}"],
            prop_oneof!["[0-9a-f]{64}", ".{0,70}"],
            proptest::collection::vec(any::<u8>(), 0..512),
        ),
        (
            prop_oneof![
                any::<bool>().prop_map(Answer::Check),
                any::<f64>().prop_map(Answer::Number),
                ".{0,600}".prop_map(Answer::Text),
                "[0-9a-f]{0,70}".prop_map(Answer::Photo),
            ],
            prop::sample::select(Method::ALL.to_vec()),
            any::<bool>(),
            any::<u32>(),
            any::<usize>(),
        ),
    )
        .prop_map(
            |(
                (text, name, fen, qty, line_no, minutes),
                (at, code, material, receipt, sha, bytes),
                (answer, method, flag, size, limit),
            )| Inputs {
                text,
                name,
                fen,
                qty,
                line_no,
                minutes,
                at,
                code,
                material,
                receipt,
                sha,
                bytes,
                answer,
                method,
                flag,
                size,
                limit,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Arbitrary inputs to every call on a job in any status and on an
    /// arbitrary job id: `Ok` or a typed error that changed nothing.
    #[test]
    fn arbitrary_inputs_in_every_status_give_results_not_panics(
        i in any_inputs(),
        status in prop::sample::select(Status::ALL.to_vec()),
        stranger in prop_oneof![".{0,80}", Just(String::new())],
    ) {
        let (_dir, t) = open_copy();
        for job in [job_of(status), stranger] {
            for call in CALLS {
                run_call(&t, &job, call, &i);
            }
        }
        check_store(&t, "arbitrary calls");
    }
}

/// A store that is not a store (garbage, a directory, a missing folder) is
/// an error at opening, not a panic.
#[test]
fn opening_what_is_not_a_store_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.sqlite3");
    std::fs::write(&garbage, vec![0x5a; 10_000]).unwrap();
    for path in [
        garbage,
        dir.path().to_path_buf(),
        dir.path().join("missing/tech.sqlite3"),
    ] {
        let clock = Arc::new(ManualClock::new(appointment()));
        assert!(
            Technician::open(&path, sample::profile()).is_err(),
            "{path:?}"
        );
        assert!(
            Technician::open_with_clock(&path, sample::profile(), clock).is_err(),
            "{path:?}"
        );
    }
}

/// Days at the edges of chrono's calendar are an invalid input, not a panic.
#[test]
fn jobs_for_extreme_days_is_an_error_not_a_panic() {
    use chrono::{FixedOffset, NaiveDate};
    let f = fixture();
    for day in [NaiveDate::MAX, NaiveDate::MIN] {
        for offset in [
            FixedOffset::east_opt(8 * 3600).unwrap(),
            FixedOffset::west_opt(12 * 3600).unwrap(),
            FixedOffset::east_opt(0).unwrap(),
        ] {
            let r = f.tech.jobs_for_day(day, offset);
            assert!(
                matches!(r, Err(onsite_core::Error::InvalidInput { .. }) | Ok(_)),
                "{day} {offset}: {r:?}"
            );
        }
    }
}

/// HQ decodes a push with the phone's own content rules: a payment whose
/// change does not add up, an amount out of range, or an empty refusal
/// reason is refused at decoding, before any op applies.
#[test]
fn pushed_events_are_checked_with_the_phones_rules() {
    use onsite_core::sync::protocol::decode_push;
    let op = |event: serde_json::Value| {
        serde_json::json!({"ops": [{
            "op_id": "00000000-0000-7000-8000-000000000001", "device_id": "D1", "seq": 1,
            "hlc": "0", "job_id": "J1", "actor": {"role": "technician", "id": "T1"},
            "at": "2026-11-24T02:00:00Z", "event": event
        }]})
        .to_string()
    };
    let payment = |received: i64, change: i64| {
        serde_json::json!({"type": "payment_taken", "payment": {
            "method": "cash", "due": 5000, "received": received, "change": change,
            "reference": null, "at": "2026-11-24T02:00:00Z", "cash_checked": true}})
    };
    assert!(decode_push(op(payment(10000, 5000)).as_bytes()).is_ok());
    // Cash that was not checked and counted in front of the customer (issue 10).
    let mut unchecked = payment(10000, 5000);
    unchecked["payment"]["cash_checked"] = serde_json::json!(false);
    for bad in [
        unchecked,
        payment(10000, 9000),
        payment(i64::MIN, 0),
        payment(10000, -5000),
        serde_json::json!({"type": "customer_accepted", "acceptance": {
            "rating": "satisfied", "comment": "", "fix_uncertain": false,
            "sign_off": {"outcome": "refused", "reason": "  "}}}),
        serde_json::json!({"type": "no_access", "note": {
            "text": "x".repeat(3000), "waited_minutes": 5, "phoned_customer": true}}),
    ] {
        assert!(
            decode_push(op(bad.clone()).as_bytes()).is_err(),
            "accepted {bad}"
        );
    }
}
