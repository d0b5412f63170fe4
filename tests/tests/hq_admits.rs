//! HQ's rules are the phone's rules. For every step a phone refuses (a
//! checklist gate, payment before the receipt, a wrong supervisor's code, an
//! uninspected material, the handover before a voided receipt is reissued...)
//! the fact that step would have recorded is pushed straight to a real HQ over
//! HTTP, as a rogue or broken phone could, from a phone whose job HQ holds in
//! the same state. HQ must refuse it with the phone's own refusal (the same
//! error, as its message) and leave the job as it was.
//!
//! A second story takes a real phone's outbox, drops the payment op and sends
//! the receipt op in its place: HQ must not take a receipt without a payment.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use chrono::{Duration, Utc};
use onsite_core::charge::{ChargeInstruction, Instruction, InstructionSource};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::clock::Hlc;
use onsite_core::material::{MaterialRequest, Source};
use onsite_core::payment::Method;
use onsite_core::quote::{Approval, LineItem, LineKind, LineRequest, Totals};
use onsite_core::sync::protocol::{Outcome, PushResponse, RejectCode};
use onsite_core::visit::{Acceptance, Actor, Assessment, Event, Op, Opinion, SignOff, Status};
use onsite_core::{sample, Technician};
use onsite_tests::harness::{Backend, Hq, Phone};
use onsite_tests::{declined_to_rate_and_sign, on_both};

/// How far a case walks its job before the refused step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Accepted,
    Arrived,
    Assessed,
    Quoted,
    InProgress,
    WorkDone,
    CustomerAccepted,
    Paid,
    Settled,
}

/// Walks an accepted job, as the phone does, up to `stage`.
fn walk(t: &Technician, job: &str, stage: Stage) {
    let at = |s: Stage| stage >= s;
    t.accept_job(job).unwrap();
    if at(Stage::Arrived) {
        sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
        t.depart(job).unwrap();
        t.arrive_with_reason(job, "路上堵车").unwrap();
    }
    if at(Stage::Assessed) {
        sample::complete_checklist(t, job, Phase::Arrival).unwrap();
        t.assess(job, findings()).unwrap();
    }
    if at(Stage::Quoted) {
        sample::add_schedule_line(t, job, 1).unwrap();
        t.present_quote(job).unwrap();
    }
    if at(Stage::InProgress) {
        t.customer_consents(job, "王女士").unwrap();
        t.start_work(job).unwrap();
    }
    if at(Stage::WorkDone) {
        sample::complete_checklist(t, job, Phase::WorkRules).unwrap();
        t.finish_work(job, 30, "更换角阀").unwrap();
    }
    if at(Stage::CustomerAccepted) {
        sample::complete_checklist(t, job, Phase::Completion).unwrap();
        t.record_acceptance(job, declined_to_rate_and_sign("客户赶时间"))
            .unwrap();
    }
    if at(Stage::Paid) {
        pay(t, job).unwrap();
    }
    if at(Stage::Settled) {
        t.issue_receipt(job, false).unwrap();
    }
}

fn findings() -> Assessment {
    Assessment {
        findings: "角阀老化".into(),
        ..Default::default()
    }
}

fn pay(t: &Technician, job: &str) -> onsite_core::Result<()> {
    let due = t.job(job)?.due_on_site().fen();
    t.take_payment(job, Method::Cash, due, None, true).map(drop)
}

fn off_schedule_line(t: &Technician, job: &str) {
    let line = LineRequest {
        item: LineItem::OffSchedule {
            kind: LineKind::Service,
            description: "拆除旧吊顶".into(),
            unit_price_fen: 15_000,
        },
        qty: 1,
        payer: None,
    };
    t.add_quote_line(job, &line).unwrap();
}

fn customer_valve() -> MaterialRequest {
    MaterialRequest {
        material_id: "m1".into(),
        source: Source::CustomerSupplied,
        description: "客户自备水龙头".into(),
        qty: 1,
        part_code: None,
    }
}

/// A photo answer naming a photo neither the phone nor HQ holds.
fn never_taken() -> Answer {
    Answer::Photo(onsite_core::signature::record::content_hash(
        b"a photo never taken",
    ))
}

fn declined_acceptance() -> Acceptance {
    let declined = Opinion::Declined {
        reason: "客户赶时间".into(),
    };
    Acceptance {
        quality: declined.clone(),
        attitude: Some(declined),
        comment: String::new(),
        fix_uncertain: false,
        sign_off: SignOff::Refused {
            reason: "客户赶时间".into(),
        },
        technician_signature: None,
    }
}

/// One refused step: the state it is refused in, the phone's step, the fact
/// it would have recorded, and the phone's refusal code.
struct Case {
    name: &'static str,
    /// A furniture delivery (advance contacts, delivery list) instead of a leak repair.
    furniture: bool,
    stage: Stage,
    /// What the case adds after the walk (a line, a dispute, a material...).
    extra: fn(&Technician, &str),
    step: fn(&Technician, &str) -> onsite_core::Result<()>,
    fact: fn(&Technician, &str) -> Event,
    code: &'static str,
}

fn nothing(_: &Technician, _: &str) {}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "depart before the before-leaving checklist",
            furniture: false,
            stage: Stage::Accepted,
            extra: nothing,
            step: |t, j| t.depart(j).map(drop),
            fact: |_, _| Event::Departed,
            code: "checklist_incomplete",
        },
        Case {
            name: "depart before the customer was given advance notice (furniture)",
            furniture: true,
            stage: Stage::Accepted,
            extra: |t, j| {
                sample::complete_checklist(t, j, Phase::BeforeLeaving).unwrap();
            },
            step: |t, j| t.depart(j).map(drop),
            fact: |_, _| Event::Departed,
            code: "contact_not_recorded",
        },
        Case {
            name: "answer an item the job's checklist does not have",
            furniture: false,
            stage: Stage::Accepted,
            extra: nothing,
            step: |t, j| {
                let id = t.checklist(j, Phase::BeforeLeaving)?.template.id;
                t.answer(j, &id, "no_such_item", Answer::Check(true))
                    .map(drop)
            },
            fact: |t, j| Event::ChecklistAnswered {
                template_id: t.checklist(j, Phase::BeforeLeaving).unwrap().template.id,
                item_id: "no_such_item".into(),
                answer: Answer::Check(true),
            },
            code: "unknown_checklist_item",
        },
        Case {
            name: "assess before the arrival checklist",
            furniture: false,
            stage: Stage::Arrived,
            extra: nothing,
            step: |t, j| t.assess(j, findings()).map(drop),
            fact: |_, _| Event::Assessed {
                assessment: findings(),
            },
            code: "checklist_incomplete",
        },
        Case {
            name: "show an empty quote",
            furniture: false,
            stage: Stage::Assessed,
            extra: nothing,
            step: |t, j| t.present_quote(j).map(drop),
            fact: |_, _| Event::QuotePresented {
                totals: Totals::default(),
            },
            code: "empty_quote",
        },
        Case {
            name: "show a quote whose off-schedule line is not approved",
            furniture: false,
            stage: Stage::Assessed,
            extra: off_schedule_line,
            step: |t, j| t.present_quote(j).map(drop),
            fact: |t, j| Event::QuotePresented {
                totals: Totals::of(&t.job(j).unwrap().quote_lines).unwrap(),
            },
            code: "off_schedule_needs_approval",
        },
        Case {
            name: "approve an off-schedule line with a code no supervisor gave",
            furniture: false,
            stage: Stage::Assessed,
            extra: off_schedule_line,
            step: |t, j| t.approve_quote_line(j, 1, "陈工", "000000").map(drop),
            fact: |_, _| Event::QuoteLineApproved {
                line_no: 1,
                approval: Approval {
                    supervisor: "陈工".into(),
                    code: "000000".into(),
                },
            },
            code: "invalid_approval_code",
        },
        Case {
            name: "start work before the customer consents",
            furniture: false,
            stage: Stage::Quoted,
            extra: nothing,
            step: |t, j| t.start_work(j).map(drop),
            fact: |_, _| Event::WorkStarted,
            code: "illegal_transition",
        },
        Case {
            name: "consent while the charge dispute waits for the centre",
            furniture: false,
            stage: Stage::Quoted,
            extra: |t, j| {
                let charge = t.job(j).unwrap().quoted_charge();
                t.dispute_charge(j, &sample::refused_charge(charge))
                    .unwrap();
            },
            step: |t, j| t.customer_consents(j, "王女士").map(drop),
            fact: |_, _| Event::CustomerConsented {
                customer_name: "王女士".into(),
            },
            code: "charge_dispute_open",
        },
        Case {
            name: "enter a charge instruction with a code no supervisor gave",
            furniture: false,
            stage: Stage::Quoted,
            extra: |t, j| {
                let charge = t.job(j).unwrap().quoted_charge();
                t.dispute_charge(j, &sample::refused_charge(charge))
                    .unwrap();
            },
            step: |t, j| {
                t.enter_charge_instruction(j, Instruction::Waive, "赵主管", "000000")
                    .map(drop)
            },
            fact: |_, _| Event::ChargeInstructionEntered {
                instruction: ChargeInstruction {
                    instruction: Instruction::Waive,
                    by: "赵主管".into(),
                    source: InstructionSource::SupervisorCode {
                        code: "000000".into(),
                    },
                },
            },
            code: "invalid_charge_code",
        },
        Case {
            name: "add the same material twice",
            furniture: false,
            stage: Stage::InProgress,
            extra: |t, j| {
                t.add_material(j, &customer_valve()).unwrap();
            },
            step: |t, j| t.add_material(j, &customer_valve()).map(drop),
            fact: |t, j| Event::MaterialAdded {
                material: t.job(j).unwrap().materials[0].clone(),
            },
            code: "duplicate_material",
        },
        Case {
            name: "use the customer's material before inspecting it",
            furniture: false,
            stage: Stage::InProgress,
            extra: |t, j| {
                t.add_material(j, &customer_valve()).unwrap();
            },
            step: |t, j| t.use_material(j, "m1").map(drop),
            fact: |_, _| Event::MaterialUsed {
                material_id: "m1".into(),
            },
            code: "inspection_required",
        },
        Case {
            name: "finish before the work-rules checklist",
            furniture: false,
            stage: Stage::InProgress,
            extra: nothing,
            step: |t, j| t.finish_work(j, 30, "更换角阀").map(drop),
            fact: |_, _| Event::WorkDone {
                labour_minutes: 30,
                summary: "更换角阀".into(),
            },
            code: "checklist_incomplete",
        },
        Case {
            name: "answer the finished-work photo with a photo HQ never received",
            furniture: false,
            stage: Stage::WorkDone,
            extra: nothing,
            step: |t, j| {
                t.answer(
                    j,
                    "property_repair.completion",
                    "finished_photo",
                    never_taken(),
                )
                .map(drop)
            },
            fact: |_, _| Event::ChecklistAnswered {
                template_id: "property_repair.completion".into(),
                item_id: "finished_photo".into(),
                answer: never_taken(),
            },
            code: "photo_not_stored",
        },
        Case {
            name: "record the acceptance before the completion checklist",
            furniture: false,
            stage: Stage::WorkDone,
            extra: nothing,
            step: |t, j| {
                t.record_acceptance(j, declined_to_rate_and_sign("客户赶时间"))
                    .map(drop)
            },
            fact: |_, _| Event::CustomerAccepted {
                acceptance: declined_acceptance(),
            },
            code: "checklist_incomplete",
        },
        Case {
            name: "issue the receipt before the payment",
            furniture: false,
            stage: Stage::CustomerAccepted,
            extra: nothing,
            step: |t, j| t.issue_receipt(j, false).map(drop),
            fact: |_, _| Event::ReceiptIssued {
                receipt: onsite_core::visit::ReceiptRef {
                    number: "R-NO-PAYMENT".into(),
                    sha256: "0".repeat(64),
                },
            },
            code: "illegal_transition",
        },
        Case {
            name: "take the payment before the customer's signed acceptance",
            furniture: false,
            stage: Stage::WorkDone,
            extra: nothing,
            step: pay,
            fact: |t, j| {
                let due = t.job(j).unwrap().due_on_site();
                Event::PaymentTaken {
                    payment: onsite_core::payment::Payment::take(
                        Method::Cash,
                        due,
                        due.fen(),
                        None,
                        true,
                        Utc::now(),
                    )
                    .unwrap(),
                }
            },
            code: "illegal_transition",
        },
        Case {
            name: "take the payment twice",
            furniture: false,
            stage: Stage::Paid,
            extra: nothing,
            step: pay,
            fact: |t, j| Event::PaymentTaken {
                payment: t.job(j).unwrap().payment.unwrap(),
            },
            code: "illegal_transition",
        },
        Case {
            name: "hand over while the voided receipt is not reissued",
            furniture: false,
            stage: Stage::Settled,
            extra: |t, j| {
                let number = t.job(j).unwrap().receipt.unwrap().number;
                t.void_receipt(&number, "金额写错").unwrap();
            },
            step: |t, j| t.hand_over(j).map(drop),
            fact: |_, _| Event::HandedOver,
            code: "receipt_not_reissued",
        },
    ]
}

/// A phone of its own technician `T<n>`, holding job `J<n>` dispatched by HQ.
fn phone_with_job(hq: &Hq, n: usize, furniture: bool) -> (Phone, String) {
    let (tech, job) = (format!("T{n}"), format!("J{n}"));
    let code = hq.technician(&tech, "李师傅");
    let phone = Phone::enroll(&hq.url, &code, &format!("DEV-{tech}"));
    let at = Utc::now() + Duration::hours(1);
    let order = if furniture {
        sample::furniture_order(&job, &tech, at)
    } else {
        sample::leak_order(&job, &tech, at)
    };
    hq.dispatch(&order);
    assert_eq!(phone.sync().changes_pulled, 1, "{job} reaches the phone");
    (phone, job)
}

/// A fact the phone never recorded, as the phone's next op.
fn forged(phone: &Phone, job: &str, event: Event) -> Op {
    let t = &phone.tech;
    let p = t.profile();
    let now = Utc::now();
    Op {
        op_id: format!("forged-{}-{}", p.device_id, t.last_seq().unwrap() + 1),
        device_id: p.device_id.clone(),
        seq: t.last_seq().unwrap() + 1,
        hlc: Hlc {
            wall_ms: now.timestamp_millis(),
            counter: 0,
            node: p.device_id.clone(),
        }
        .encode(),
        job_id: job.into(),
        actor: Actor::Technician(p.technician_id.clone()),
        at: now,
        event,
    }
}

/// POSTs `ops` to HQ's push endpoint with the phone's token, as its sync client would.
fn push(hq: &Hq, phone: &Phone, ops: &[Op]) -> PushResponse {
    let body = serde_json::json!({ "ops": ops });
    let (status, v) = hq.call("POST", "/v1/sync/push", Some(&phone.token), Some(body));
    assert_eq!(status, 200, "push: {v}");
    serde_json::from_value(v).unwrap()
}

fn assert_rejected(resp: &PushResponse, op: &Op, message: &str, what: &str) {
    let r = resp
        .results
        .iter()
        .find(|r| r.op_id == op.op_id)
        .unwrap_or_else(|| panic!("{what}: no result for the op: {resp:?}"));
    assert_eq!(
        r.outcome,
        Outcome::Rejected {
            code: RejectCode::RuleBroken,
            message: message.to_string(),
        },
        "{what}: HQ must refuse the op with the phone's own refusal"
    );
}

fn hq_refuses_every_step_the_phone_refuses(b: Backend) {
    let hq = Hq::start(b);
    for (n, case) in cases().into_iter().enumerate() {
        let (phone, job) = phone_with_job(&hq, n, case.furniture);
        let t = &phone.tech;
        walk(t, &job, case.stage);
        (case.extra)(t, &job);
        let r = phone.sync();
        assert_eq!(r.ops_rejected, 0, "{}: HQ took the walk", case.name);
        assert_eq!(t.outbox_len().unwrap(), 0, "{}", case.name);
        let before = hq.order(&job);
        assert_eq!(
            before["status"].as_str(),
            Some(t.job(&job).unwrap().status.as_str()),
            "{}: HQ holds the phone's state",
            case.name
        );

        let seq = t.last_seq().unwrap();
        let refusal = (case.step)(t, &job).expect_err(case.name);
        assert_eq!(refusal.code(), case.code, "{}: {refusal}", case.name);
        assert_eq!(
            t.last_seq().unwrap(),
            seq,
            "{}: refused, not recorded",
            case.name
        );

        let op = forged(&phone, &job, (case.fact)(t, &job));
        let resp = push(&hq, &phone, std::slice::from_ref(&op));
        assert_rejected(&resp, &op, &refusal.to_string(), case.name);
        assert_eq!(
            hq.order(&job),
            before,
            "{}: the job is unchanged",
            case.name
        );
    }
    hq.stop();
}
on_both!(hq_refuses_every_step_the_phone_refuses);

/// A real outbox with its payment op dropped: the receipt, renumbered into the
/// payment's place, is refused with the phone's rule (payment before the
/// receipt), so no receipt row of amount 0 appears; the handover after it is
/// refused too, and the job stays accepted at HQ.
fn a_receipt_whose_payment_never_reached_hq_is_refused(b: Backend) {
    let hq = Hq::start(b);
    let (phone, job) = phone_with_job(&hq, 0, false);
    let t = &phone.tech;
    walk(t, &job, Stage::CustomerAccepted);
    assert_eq!(phone.sync().ops_rejected, 0);
    let refusal = t.issue_receipt(&job, false).expect_err("no payment yet");

    pay(t, &job).unwrap();
    let receipt = t.issue_receipt(&job, false).unwrap();
    t.hand_over(&job).unwrap();
    let outbox = t.pending_ops(100).unwrap();
    let kinds: Vec<&str> = outbox.iter().map(|o| o.event.kind()).collect();
    assert_eq!(kinds, ["payment_taken", "receipt_issued", "handed_over"]);

    let first = outbox[0].seq;
    let rest: Vec<Op> = outbox[1..]
        .iter()
        .zip(first..)
        .map(|(op, seq)| Op { seq, ..op.clone() })
        .collect();
    let resp = push(&hq, &phone, &rest);
    assert_rejected(&resp, &rest[0], &refusal.to_string(), "receipt");
    assert!(
        matches!(
            &resp.results[1].outcome,
            Outcome::Rejected {
                code: RejectCode::RuleBroken,
                ..
            }
        ),
        "handover after a refused receipt: {resp:?}"
    );
    let order = hq.order(&job);
    assert_eq!(
        order["status"].as_str(),
        Some(Status::CustomerAccepted.as_str())
    );
    assert!(order["receipt"].is_null(), "{order}");
    let receipts = onsite_tests::peek::query(
        &hq.backend.url(),
        "SELECT COUNT(*) FROM receipts WHERE job_id = $1",
        &[job.as_str().into()],
    )[0]
    .int(0);
    assert_eq!(
        receipts, 0,
        "HQ recorded receipt {} without a payment",
        receipt.number
    );
    hq.stop();
}
on_both!(a_receipt_whose_payment_never_reached_hq_is_refused);

/// A fact breaking a content rule the push's schema cannot state (here a
/// blank customer name on the consent) is not a malformed push: HQ answers
/// 200, refuses that op alone with the phone's own refusal, and applies the
/// ops after it, so one bad fact never stops a phone's sync.
fn a_fact_breaking_a_content_rule_is_refused_alone(b: Backend) {
    let hq = Hq::start(b);
    let (phone, job) = phone_with_job(&hq, 0, false);
    let t = &phone.tech;
    walk(t, &job, Stage::Quoted);
    assert_eq!(phone.sync().ops_rejected, 0);
    let refusal = t.customer_consents(&job, "   ").expect_err("a blank name");
    let blank = forged(
        &phone,
        &job,
        Event::CustomerConsented {
            customer_name: "   ".into(),
        },
    );
    let mut named = forged(
        &phone,
        &job,
        Event::CustomerConsented {
            customer_name: "王女士".into(),
        },
    );
    named.seq = blank.seq + 1;
    named.op_id = format!("{}-named", blank.op_id);
    let resp = push(&hq, &phone, &[blank.clone(), named.clone()]);
    assert_rejected(&resp, &blank, &refusal.to_string(), "a blank consent");
    let applied = resp.results.iter().find(|r| r.op_id == named.op_id);
    assert_eq!(
        applied.map(|r| &r.outcome),
        Some(&Outcome::Applied),
        "the op after it applies: {resp:?}"
    );
    assert_eq!(resp.last_applied_seq, named.seq);
    assert_eq!(hq.order(&job)["status"], "consented");
    hq.stop();
}
on_both!(a_fact_breaking_a_content_rule_is_refused_alone);
