//! The appliance after-sales line (家电售后), true to its book: in warranty the
//! whole service is free once the old part is recovered and numbered (and HQ
//! holds the number for review); out of warranty (超保) the schedule is
//! charged, at the lower of schedule and warranty card; damage the technician
//! caused is compensated, shown on the order and reported to HQ.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::{Duration, Utc};
use common::{appointment, fixture};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::documents;
use onsite_core::locale::Lang;
use onsite_core::material::PartReplacement;
use onsite_core::money::Fen;
use onsite_core::payment::Method;
use onsite_core::quote::{FreeReason, LineItem, LineKind, LineRequest};
use onsite_core::sample;
use onsite_core::visit::{Action, Assessment, Damage, Rating, Status, Visit};
use onsite_core::{Error, Technician};
use onsite_hq::api::OldPartsQuery;
use onsite_tests::harness::{hq_and_phone, sqlite_backend, Backend};
use onsite_tests::on_both;

const COMPLETION: &str = "appliance.completion";

fn sched(code: &str, card: Option<i64>, qty: u32) -> LineRequest {
    LineRequest {
        item: LineItem::Schedule {
            code: code.into(),
            warranty_card_price_fen: card,
        },
        qty,
        payer: None,
    }
}

/// From an accepted job to work in progress, quoting `lines`.
fn walk_to_work(t: &Technician, job: &str, lines: &[LineRequest]) -> Visit {
    sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
    t.depart(job).unwrap();
    t.arrive(job).unwrap();
    sample::complete_checklist(t, job, Phase::Arrival).unwrap();
    t.assess(
        job,
        Assessment {
            inspected_parts: vec!["压缩机".into()],
            findings: "压缩机不启动,绕组短路".into(),
            repair_items: vec!["更换压缩机".into()],
            solution: "更换压缩机,抽真空后加注制冷剂".into(),
            estimated_minutes: 120,
            withheld: false,
        },
    )
    .unwrap();
    for l in lines {
        t.add_quote_line(job, l).unwrap();
    }
    t.present_quote(job).unwrap();
    t.customer_consents(job, "王女士").unwrap();
    t.start_work(job).unwrap()
}

/// Work done and the completion checklist answered, `replaced` saying whether
/// a part was replaced and its old part recovered and numbered.
fn finish(t: &Technician, job: &str, replaced: bool) {
    sample::complete_checklist(t, job, Phase::WorkRules).unwrap();
    t.finish_work(job, 90, "更换压缩机,试机制冷正常").unwrap();
    t.answer(job, COMPLETION, "old_part_taken", Answer::YesNo(replaced))
        .unwrap();
    if replaced {
        t.answer(job, COMPLETION, "old_part_bagged", Answer::YesNo(true))
            .unwrap();
    }
    sample::complete_checklist(t, job, Phase::Completion).unwrap();
}

fn accept_pay_hand_over(t: &Technician, job: &str) -> Visit {
    t.record_acceptance(
        job,
        onsite_tests::refused_signature(Rating::Satisfied, false),
    )
    .unwrap();
    let due = t.job(job).unwrap().due_on_site().fen();
    t.take_payment(job, Method::Cash, due, None, true).unwrap();
    t.issue_receipt(job, false).unwrap();
    t.hand_over(job).unwrap()
}

on_both!(a_visit_in_warranty_is_free_and_hq_holds_the_old_part_registration);
/// The whole in-warranty story, synced to HQ: labour and parts free
/// (total ¥0.00), the compressor's old part recovered with its registration
/// number, which HQ keeps in its list of old parts for review.
fn a_visit_in_warranty_is_free_and_hq_holds_the_old_part_registration(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T1");
    let job = "AP-W-1";
    hq.dispatch(&sample::warranty_order(
        job,
        "T1",
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
    let t = &phone.tech;
    t.accept_job(job).unwrap();
    let v = walk_to_work(
        t,
        job,
        &[
            sched("AP-S-001", None, 1),
            sched("AP-S-002", None, 1),
            sched("AP-P-001", None, 1),
        ],
    );
    let totals = v.quote_totals.clone().unwrap();
    assert_eq!(
        totals.total,
        Fen::ZERO,
        "labour and parts are free in warranty"
    );
    assert!(v
        .quote_lines
        .iter()
        .all(|l| l.free == Some(FreeReason::InWarranty) && l.line_total == Fen::ZERO));
    t.replace_part(job, sample::warranty_replacement()).unwrap();
    finish(t, job, true);
    let v = accept_pay_hand_over(t, job);
    assert_eq!(v.status, Status::HandedOver);
    assert_eq!(v.due_on_site().display_yuan(), "¥0.00");
    let receipt = v.receipt.clone().unwrap().number;
    let text = documents::to_text(&t.receipt_document(&receipt, Lang::ZhCn).unwrap());
    assert!(
        text.contains("¥0.00") && text.contains("保修期内免费"),
        "{text}"
    );

    let r = phone.sync();
    assert_eq!(r.ops_applied, r.ops_pushed, "{r:?}");
    let on_hq = hq.order(job);
    assert_eq!(on_hq["status"], "handed_over");
    assert_eq!(on_hq["parts"][0]["old_part_registration"], "JJ-202611-0042");
    let old_parts = |job_id: Option<&str>| {
        hq.ok(hq.api.old_parts(&OldPartsQuery {
            job_id: job_id.map(str::to_string),
        }))
    };
    let old = old_parts(None);
    assert_eq!(old.len(), 1, "{old:?}");
    assert_eq!(old[0].registration, "JJ-202611-0042");
    assert_eq!(old[0].job_id, job);
    assert_eq!(old[0].old_serial, "CMP-2025-0311-77");
    assert!(old[0].in_warranty);
    assert_eq!(old_parts(Some(job)).len(), 1);
    assert!(old_parts(Some("NOPE")).is_empty());
}

/// Corrected rule: in warranty labour is free too (it used to be charged).
#[test]
fn in_warranty_labour_is_not_charged() {
    let f = fixture();
    f.tech
        .receive_order(sample::warranty_order("W", "T-0107", appointment()))
        .unwrap();
    f.tech.accept_job("W").unwrap();
    sample::complete_checklist(&f.tech, "W", Phase::BeforeLeaving).unwrap();
    f.tech.depart("W").unwrap();
    f.tech.arrive("W").unwrap();
    sample::complete_checklist(&f.tech, "W", Phase::Arrival).unwrap();
    f.tech
        .assess(
            "W",
            Assessment {
                findings: "主控板损坏".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let v = f
        .tech
        .add_quote_line("W", &sched("AP-S-004", None, 1))
        .unwrap();
    assert_eq!(v.quote_lines[0].line_total, Fen::ZERO);
    assert_eq!(v.quote_lines[0].free, Some(FreeReason::InWarranty));
    // Off-schedule labour too: in warranty nothing is charged.
    let v = f
        .tech
        .add_quote_line(
            "W",
            &LineRequest {
                item: LineItem::OffSchedule {
                    kind: LineKind::Service,
                    description: "高空外机拆装".into(),
                    unit_price_fen: 15_000,
                },
                qty: 1,
                payer: None,
            },
        )
        .unwrap();
    assert_eq!(v.quote_lines[1].line_total, Fen::ZERO);
}

/// Out of warranty (超保) the schedule is charged, at the lower of schedule
/// and warranty card; the whole visit takes the money and the old part may
/// stay with the customer.
#[test]
fn out_of_warranty_is_charged_at_the_lower_of_schedule_and_warranty_card() {
    let f = fixture();
    let t = &f.tech;
    t.receive_order(sample::out_of_warranty_order("O", "T-0107", appointment()))
        .unwrap();
    t.accept_job("O").unwrap();
    let v = walk_to_work(
        t,
        "O",
        &[
            // Diagnosis: schedule ¥50, card ¥40 → ¥40.
            sched("AP-S-001", Some(4_000), 1),
            // Control board: schedule ¥260, card ¥300 → ¥260.
            sched("AP-P-002", Some(30_000), 1),
            // Board replacement labour: schedule ¥80, no card.
            sched("AP-S-004", None, 1),
        ],
    );
    let prices: Vec<i64> = v.quote_lines.iter().map(|l| l.unit_price.fen()).collect();
    assert_eq!(prices, vec![4_000, 26_000, 8_000]);
    assert!(v.quote_lines.iter().all(|l| l.free.is_none()));
    assert_eq!(v.due_on_site().fen(), 38_000);
    t.replace_part(
        "O",
        PartReplacement {
            part_code: "AP-P-002".into(),
            description: "主控板".into(),
            old_serial: "CB-OLD-1".into(),
            new_serial: "CB-NEW-7".into(),
            old_part_recovered: false,
            ..PartReplacement::default()
        },
    )
    .unwrap();
    sample::complete_checklist(t, "O", Phase::WorkRules).unwrap();
    t.finish_work("O", 60, "更换主控板").unwrap();
    t.answer("O", COMPLETION, "old_part_taken", Answer::YesNo(true))
        .unwrap();
    t.answer("O", COMPLETION, "old_part_bagged", Answer::YesNo(false))
        .unwrap();
    sample::complete_checklist(t, "O", Phase::Completion).unwrap();
    let v = accept_pay_hand_over(t, "O");
    assert_eq!(v.payment.unwrap().received.fen(), 38_000);
}

/// New rule: the free repair needs the old part recovered AND numbered.
#[test]
fn a_free_repair_needs_the_old_part_recovered_with_a_registration_number() {
    let f = fixture();
    let t = &f.tech;
    t.receive_order(sample::warranty_order("W", "T-0107", appointment()))
        .unwrap();
    t.accept_job("W").unwrap();
    walk_to_work(t, "W", &[sched("AP-P-001", None, 1)]);
    let unnumbered = PartReplacement {
        old_part_registration: None,
        ..sample::warranty_replacement()
    };
    assert!(matches!(
        t.replace_part("W", unnumbered),
        Err(Error::OldPartNotRecovered { .. })
    ));
    let blank = PartReplacement {
        old_part_registration: Some("  ".into()),
        ..sample::warranty_replacement()
    };
    assert!(matches!(
        t.replace_part("W", blank),
        Err(Error::InvalidInput { .. })
    ));
    let v = t.replace_part("W", sample::warranty_replacement()).unwrap();
    assert_eq!(
        v.parts[0].old_part_registration.as_deref(),
        Some("JJ-202611-0042")
    );
}

/// New rule: the completion checklist's "part replaced / old part recovered"
/// answers must agree with the replacements recorded, checked with the
/// completion gate (the screen shows the acceptance blocked by it).
#[test]
fn the_old_part_answers_must_agree_with_the_recorded_replacements() {
    let f = fixture();
    let t = &f.tech;
    t.receive_order(sample::warranty_order("W", "T-0107", appointment()))
        .unwrap();
    t.accept_job("W").unwrap();
    walk_to_work(t, "W", &[sched("AP-P-001", None, 1)]);
    t.replace_part("W", sample::warranty_replacement()).unwrap();
    // "No part replaced", with a replacement recorded.
    finish(t, "W", false);
    let e = t
        .record_acceptance(
            "W",
            onsite_tests::refused_signature(Rating::Satisfied, false),
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::OldPartAnswerMismatch { item_id, answered_yes: false } if item_id == "old_part_taken"),
        "{e:?}"
    );
    assert_eq!(e.code(), "old_part_answer_mismatch");
    assert!(e.message(Lang::ZhCn).contains("旧件"));
    let offered = t.available_actions("W").unwrap();
    let accept = offered
        .iter()
        .find(|a| a.action == Action::RecordAcceptance)
        .unwrap();
    assert!(
        matches!(accept.blocked, Some(Error::OldPartAnswerMismatch { .. })),
        "{accept:?}"
    );
    // Answered truthfully, the customer can accept.
    t.answer("W", COMPLETION, "old_part_taken", Answer::YesNo(true))
        .unwrap();
    t.answer("W", COMPLETION, "old_part_bagged", Answer::YesNo(true))
        .unwrap();
    let v = t
        .record_acceptance(
            "W",
            onsite_tests::refused_signature(Rating::Satisfied, false),
        )
        .unwrap();
    assert_eq!(v.status, Status::CustomerAccepted);

    // And the other way round: "a part was replaced" with none recorded.
    t.receive_order(sample::out_of_warranty_order("O", "T-0107", appointment()))
        .unwrap();
    t.accept_job("O").unwrap();
    walk_to_work(t, "O", &[sched("AP-S-005", None, 1)]);
    finish(t, "O", true);
    assert!(matches!(
        t.record_acceptance(
            "O",
            onsite_tests::refused_signature(Rating::Satisfied, false)
        ),
        Err(Error::OldPartAnswerMismatch {
            answered_yes: true,
            ..
        })
    ));
}

/// New rule: damage the technician caused is recorded (what, amount,
/// customer's agreement), shown on the work order and held by HQ.
#[test]
fn damage_compensation_is_recorded_shown_on_the_order_and_reaches_hq() {
    let (_dir, b) = sqlite_backend();
    let (hq, phone) = hq_and_phone(b, "T1");
    let job = "AP-D-1";
    hq.dispatch(&sample::out_of_warranty_order(
        job,
        "T1",
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
    let t = &phone.tech;
    t.accept_job(job).unwrap();
    walk_to_work(t, job, &[sched("AP-S-005", None, 1)]);
    let damage = Damage {
        what: "搬动冰箱时划伤木地板约20厘米".into(),
        amount: Fen::new(20_000).unwrap(),
        customer_agreed: true,
    };
    assert!(matches!(
        t.record_damage(
            job,
            Damage {
                amount: Fen::ZERO,
                ..damage.clone()
            }
        ),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        t.record_damage(
            job,
            Damage {
                what: " ".into(),
                ..damage.clone()
            }
        ),
        Err(Error::InvalidInput { .. })
    ));
    let v = t.record_damage(job, damage).unwrap();
    assert_eq!(v.damages.len(), 1);
    finish(t, job, false);
    accept_pay_hand_over(t, job);
    for (lang, words) in [
        (Lang::ZhCn, ["损坏赔偿", "¥200.00"]),
        (Lang::En, ["Damage compensation", "¥200.00"]),
    ] {
        let doc = t.work_order_copy(job, lang).unwrap();
        let text = documents::to_text(&doc);
        let html = documents::to_html(&doc);
        for w in words {
            assert!(text.contains(w), "{text}");
            assert!(html.contains(w), "{html}");
        }
    }
    let r = phone.sync();
    assert_eq!(r.ops_applied, r.ops_pushed, "{r:?}");
    let on_hq = hq.order(job);
    assert_eq!(on_hq["damages"][0]["amount"], 20_000);
    assert_eq!(on_hq["damages"][0]["customer_agreed"], true);
    assert_eq!(on_hq["damages"][0]["what"], "搬动冰箱时划伤木地板约20厘米");
}

/// The sample technician (the demo's) answers the old-part items as recorded,
/// so a warranty visit with a replacement goes through to the customer's acceptance.
#[test]
fn the_sample_checklist_answers_the_old_part_items_as_recorded() {
    let f = fixture();
    let t = &f.tech;
    t.receive_order(sample::warranty_order("W", "T-0107", appointment()))
        .unwrap();
    t.accept_job("W").unwrap();
    walk_to_work(t, "W", &[sched("AP-P-001", None, 1)]);
    t.replace_part("W", sample::warranty_replacement()).unwrap();
    sample::complete_checklist(t, "W", Phase::WorkRules).unwrap();
    t.finish_work("W", 90, "更换压缩机").unwrap();
    let v = sample::complete_checklist(t, "W", Phase::Completion).unwrap();
    assert_eq!(
        v.answers[COMPLETION].get("old_part_taken"),
        Some(&Answer::YesNo(true))
    );
    assert_eq!(
        v.answers[COMPLETION].get("old_part_bagged"),
        Some(&Answer::YesNo(true))
    );
    let v = accept_pay_hand_over(t, "W");
    assert_eq!(v.status, Status::HandedOver);
    assert_eq!(v.payment.unwrap().received, Fen::ZERO);
}
