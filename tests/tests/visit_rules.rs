//! Each rule of the visit, broken on purpose, gives its own typed error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::Duration;
use common::{appointment, fixture, NowUtc};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::error::Rule as Refusal;
use onsite_core::locale::Lang;
use onsite_core::material::{
    ConcessionNote, Inspection, MaterialRequest, PartReplacement, Source, Verdict,
};
use onsite_core::payment::Method;
use onsite_core::punctuality::{Rule, Verdict as Punct};
use onsite_core::quote::{LineItem, LineKind, LineRequest};
use onsite_core::receipt::NumberBlock;
use onsite_core::sample;
use onsite_core::visit::Action;
use onsite_core::visit::{MessageNote, Rating, Status};
use onsite_core::{AcceptanceInput, Error, SignInput, Technician};

fn missing_phase(e: Error) -> Phase {
    match e {
        Error::ChecklistIncomplete { phase, items } => {
            assert!(!items.is_empty());
            phase
        }
        other => panic!("expected ChecklistIncomplete, got {other:?}"),
    }
}

#[test]
fn leaving_needs_the_before_leaving_checklist() {
    let f = fixture();
    f.dispatch("J");
    f.tech.accept_job("J").unwrap();
    assert_eq!(
        missing_phase(f.tech.depart("J").unwrap_err()),
        Phase::BeforeLeaving
    );
}

#[test]
fn assessing_needs_the_arrival_checklist() {
    let f = fixture();
    f.to_arrived("J");
    let e = f.tech.assess("J", Default::default()).unwrap_err();
    assert_eq!(missing_phase(e), Phase::Arrival);
}

#[test]
fn finishing_needs_the_work_rules_checklist() {
    let f = fixture();
    f.to_in_progress("J");
    assert_eq!(
        missing_phase(f.tech.finish_work("J", 30, "done").unwrap_err()),
        Phase::WorkRules
    );
}

#[test]
fn acceptance_needs_the_completion_checklist() {
    let f = fixture();
    f.to_work_done("J");
    let e = f
        .tech
        .record_acceptance(
            "J",
            AcceptanceInput {
                quality: onsite_core::visit::Opinion::Rated {
                    rating: Rating::Satisfied,
                },
                attitude: onsite_core::visit::Opinion::Rated {
                    rating: Rating::Satisfied,
                },
                technician_ink: None,
                comment: String::new(),
                fix_uncertain: false,
                sign: SignInput::Refuse {
                    reason: "忙".into(),
                },
            },
        )
        .unwrap_err();
    assert_eq!(missing_phase(e), Phase::Completion);
}

#[test]
fn steps_out_of_order_name_the_rule() {
    let f = fixture();
    f.dispatch("J");
    let e = f.tech.arrive("J").unwrap_err();
    match &e {
        Error::IllegalTransition {
            action,
            rule,
            status,
        } => {
            assert_eq!(*action, Action::Arrive);
            assert_eq!(*status, Status::Dispatched);
            assert_eq!(*rule, Refusal::WrongStatus);
            assert_eq!(action.allowed_from(), &[Status::EnRoute]);
        }
        e => panic!("{e:?}"),
    }
    assert!(e.message(Lang::En).contains("leave for the site"), "{e}");
    assert!(e.message(Lang::ZhCn).contains("出发"), "{e}");
    f.tech.accept_job("J").unwrap();
    assert!(matches!(
        f.tech.accept_job("J"),
        Err(Error::IllegalTransition { .. })
    ));
}

#[test]
fn work_starts_only_after_consent() {
    let f = fixture();
    f.to_quoted("J");
    let e = f.tech.start_work("J").unwrap_err();
    assert!(
        matches!(
            &e,
            Error::IllegalTransition {
                action: Action::StartWork,
                rule: Refusal::WrongStatus,
                status: Status::Quoted
            }
        ),
        "{e:?}"
    );
    assert!(e.message(Lang::En).contains("consents"), "{e}");
    assert!(e.message(Lang::ZhCn).contains("客户同意"), "{e}");
}

#[test]
fn off_schedule_lines_need_a_valid_supervisor_code_before_the_quote_is_shown() {
    let f = fixture();
    f.to_assessed("J");
    let v = f
        .tech
        .add_quote_line(
            "J",
            &LineRequest {
                item: LineItem::OffSchedule {
                    kind: LineKind::Service,
                    description: "拆除旧吊顶".into(),
                    unit_price_fen: 15_000,
                },
                qty: 1,
                payer: None,
            },
        )
        .unwrap();
    let line_no = v.quote_lines[0].line_no;
    assert!(matches!(
        f.tech.present_quote("J").unwrap_err(),
        Error::OffScheduleNeedsApproval { line_no: l } if l == line_no
    ));
    assert!(matches!(
        f.tech
            .approve_quote_line("J", line_no, "陈工", "000000")
            .unwrap_err(),
        Error::InvalidApprovalCode { line_no: l } if l == line_no
    ));
}

#[test]
fn an_empty_quote_cannot_be_shown_and_unknown_codes_are_refused() {
    let f = fixture();
    f.to_assessed("J");
    assert!(matches!(
        f.tech.present_quote("J").unwrap_err(),
        Error::EmptyQuote
    ));
    let e = f
        .tech
        .add_quote_line(
            "J",
            &LineRequest {
                item: LineItem::Schedule {
                    code: "NO-SUCH".into(),
                    warranty_card_price_fen: None,
                },
                qty: 1,
                payer: None,
            },
        )
        .unwrap_err();
    assert!(matches!(e, Error::UnknownScheduleCode { .. }));
}

fn customer_valve(f: &common::Fixture) {
    f.tech
        .add_material(
            "J",
            &MaterialRequest {
                material_id: "m1".into(),
                source: Source::CustomerSupplied,
                description: "客户自备水龙头".into(),
                qty: 1,
                part_code: None,
            },
        )
        .unwrap();
}

#[test]
fn customer_material_must_be_inspected_before_use() {
    let f = fixture();
    f.to_in_progress("J");
    customer_valve(&f);
    assert!(matches!(
        f.tech.use_material("J", "m1").unwrap_err(),
        Error::InspectionRequired { material_id, .. } if material_id == "m1"
    ));
}

#[test]
fn failed_material_needs_a_consented_concession_note() {
    let f = fixture();
    f.to_in_progress("J");
    customer_valve(&f);
    f.tech
        .inspect_material(
            "J",
            "m1",
            Inspection {
                verdict: Verdict::Fail,
                findings: "螺纹规格不符".into(),
                photos: vec![],
                at: f.clock.now_utc(),
            },
        )
        .unwrap();
    assert!(matches!(
        f.tech.use_material("J", "m1").unwrap_err(),
        Error::ConcessionRequired { material_id, .. } if material_id == "m1"
    ));
    let note = ConcessionNote {
        defect: "螺纹规格不符".into(),
        explanation: "需加转接头,可能渗漏".into(),
        customer_name: "王女士".into(),
        customer_consents: false,
        consented_at: f.clock.now_utc(),
    };
    assert!(matches!(
        f.tech.note_concession("J", "m1", note.clone()),
        Err(Error::ConcessionIncomplete { .. })
    ));
    assert!(matches!(
        f.tech.note_concession(
            "J",
            "m1",
            ConcessionNote {
                explanation: " ".into(),
                customer_consents: true,
                ..note.clone()
            }
        ),
        Err(Error::ConcessionIncomplete { .. })
    ));
    f.tech
        .note_concession(
            "J",
            "m1",
            ConcessionNote {
                customer_consents: true,
                ..note
            },
        )
        .unwrap();
    assert!(f.tech.use_material("J", "m1").unwrap().materials[0].used);
}

#[test]
fn in_warranty_parts_are_free_and_the_old_part_must_be_recovered() {
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
            onsite_core::visit::Assessment {
                findings: "压缩机损坏".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let part = f
        .tech
        .fee_schedule()
        .parts
        .iter()
        .find(|p| p.category == onsite_core::checklist::Category::Appliance)
        .unwrap()
        .clone();
    let v = f
        .tech
        .add_quote_line(
            "W",
            &LineRequest {
                item: LineItem::Schedule {
                    code: part.code.clone(),
                    warranty_card_price_fen: None,
                },
                qty: 1,
                payer: None,
            },
        )
        .unwrap();
    assert!(v.quote_lines[0].free_in_warranty);
    assert_eq!(v.quote_lines[0].line_total.fen(), 0);
    f.tech.present_quote("W").unwrap();
    f.tech.customer_consents("W", "赵先生").unwrap();
    f.tech.start_work("W").unwrap();
    let replacement = PartReplacement {
        part_code: part.code,
        description: "压缩机".into(),
        old_serial: "C-OLD-1".into(),
        new_serial: "C-NEW-2".into(),
        old_part_recovered: false,
        ..PartReplacement::default()
    };
    assert!(matches!(
        f.tech.replace_part("W", replacement.clone()),
        Err(Error::OldPartNotRecovered { .. })
    ));
    let v = f
        .tech
        .replace_part(
            "W",
            PartReplacement {
                old_part_recovered: true,
                old_part_registration: Some("JJ-0001".into()),
                ..replacement
            },
        )
        .unwrap();
    assert_eq!(v.parts[0].old_serial, "C-OLD-1");
}

#[test]
fn payment_is_never_typed_and_never_a_tip() {
    let f = fixture();
    let v = f.to_customer_accepted("J");
    let due = v.due_on_site().fen();
    assert!(matches!(
        f.tech.issue_receipt("J", false),
        Err(Error::IllegalTransition { .. })
    ));
    assert!(matches!(
        f.tech
            .take_payment("J", Method::Cash, due - 1, None, true)
            .unwrap_err(),
        Error::Underpaid {
            due_fen,
            received_fen
        } if due_fen == due && received_fen == due - 1
    ));
    assert!(matches!(
        f.tech
            .take_payment("J", Method::WechatPay, due + 500, None, false),
        Err(Error::NotExactAmount { .. })
    ));
    assert!(matches!(
        f.tech
            .take_payment("J", Method::Alipay, i64::MAX, None, false),
        Err(Error::AmountOutOfRange { .. })
    ));
    f.tech
        .take_payment(
            "J",
            Method::Alipay,
            due,
            Some("2026112422001".into()),
            false,
        )
        .unwrap();
    assert!(matches!(
        f.tech.take_payment("J", Method::Cash, due, None, true),
        Err(Error::IllegalTransition { .. })
    ));
}

#[test]
fn a_receipt_needs_acceptance_first() {
    let f = fixture();
    f.to_work_done("J");
    let e = f.tech.issue_receipt("J", false).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::IllegalTransition {
                action: Action::IssueReceipt,
                rule: Refusal::WrongStatus,
                status: Status::WorkDone
            }
        ),
        "{e:?}"
    );
    assert!(e.message(Lang::En).contains("acceptance"), "{e}");
}

#[test]
fn a_refusal_to_sign_needs_a_reason_and_a_signed_visit_is_sealed() {
    let f = fixture();
    f.to_work_done("J");
    sample::complete_checklist(&f.tech, "J", Phase::Completion).unwrap();
    let refuse = |reason: &str| AcceptanceInput {
        quality: onsite_core::visit::Opinion::Rated {
            rating: Rating::Dissatisfied,
        },
        attitude: onsite_core::visit::Opinion::Rated {
            rating: Rating::Dissatisfied,
        },
        technician_ink: None,
        comment: "等待时间长".into(),
        fix_uncertain: true,
        sign: SignInput::Refuse {
            reason: reason.into(),
        },
    };
    assert!(matches!(
        f.tech.record_acceptance("J", refuse("  ")),
        Err(Error::RefusalReasonRequired)
    ));
    f.tech.record_acceptance("J", refuse("不愿签字")).unwrap();
    let t = f
        .tech
        .checklists()
        .template(
            onsite_core::checklist::Category::PropertyRepair,
            Phase::Completion,
        )
        .unwrap();
    let item = &t.items[0];
    assert!(matches!(
        f.tech
            .answer("J", &t.id, &item.id, sample::plausible_answer(&item.kind))
            .unwrap_err(),
        Error::VisitSealed
    ));
}

#[test]
fn checklist_answers_must_exist_and_fit() {
    let f = fixture();
    f.dispatch("J");
    assert!(matches!(
        f.tech.answer(
            "J",
            "property_repair.before_leaving",
            "no_such_item",
            Answer::Check(true)
        ),
        Err(Error::UnknownChecklistItem { .. })
    ));
    assert!(matches!(
        f.tech
            .answer("J", "furniture.before_leaving", "x", Answer::Check(true)),
        Err(Error::UnknownChecklistItem { .. })
    ));
    let t = f
        .tech
        .checklists()
        .by_id("property_repair.before_leaving")
        .unwrap();
    let item = &t.items[0];
    assert!(matches!(
        f.tech
            .answer("J", &t.id, &item.id, Answer::Photo("not-a-hash".into())),
        Err(Error::PhotoNotStored { .. })
    ));
    // A wrong answer is named by the item's title, not its id.
    let e = f
        .tech
        .answer("J", &t.id, &item.id, Answer::Number(3.0))
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidAnswer { item_id, label, .. }
            if *item_id == item.id && *label == item.label),
        "{e:?}"
    );
    assert!(e.message(Lang::ZhCn).contains(&item.label.zh), "{e}");
    assert!(!e.message(Lang::ZhCn).contains(&item.id), "{e}");
}

#[test]
fn no_access_needs_waiting_or_a_phone_call() {
    let f = fixture();
    f.to_arrived("J");
    let e = f
        .tech
        .record_no_access(
            "J",
            MessageNote {
                text: "无人".into(),
                waited_minutes: 0,
                phoned_customer: false,
                calls_made: 0,
                asked_neighbours: false,
            },
        )
        .unwrap_err();
    // A content rule of the note (HQ checks it too), not a state transition.
    assert!(matches!(e, Error::MessageNoteTooEarly { .. }), "{e:?}");
    assert!(e.message(Lang::En).contains("2 minutes"), "{e}");
    assert!(e.message(Lang::ZhCn).contains("2分钟"), "{e}");
}

#[test]
fn urgent_jobs_are_judged_against_thirty_minutes_from_the_call() {
    // 「如客戶要求馬上上門則必須在30分鐘內到達現場」 (property book 4.2.2): from the
    // customer's call (the order's report time), no longer from dispatch.
    let f = fixture();
    let mut order = sample::leak_order("U", "T-0107", appointment());
    order.urgent = true;
    order.reported_at = appointment();
    order.dispatched_at = appointment();
    f.tech.receive_order(order).unwrap();
    f.tech.accept_job("U").unwrap();
    sample::complete_checklist(&f.tech, "U", Phase::BeforeLeaving).unwrap();
    f.tech.depart("U").unwrap();
    f.clock.set(appointment() + Duration::minutes(31));
    let p = f
        .tech
        .arrive_with_reason("U", "路上堵车")
        .unwrap()
        .punctuality
        .unwrap();
    assert_eq!((p.verdict, p.rule), (Punct::Late, Rule::UrgentDeadline));
    // The verdict is stored, not recomputed.
    assert_eq!(f.tech.job("U").unwrap().punctuality, Some(p));
}

#[test]
fn unknown_and_malformed_ids_are_typed_errors() {
    let f = fixture();
    assert!(matches!(
        f.tech.accept_job("WO-404").unwrap_err(),
        Error::UnknownJob { job_id } if job_id == "WO-404"
    ));
    for bad in ["", "a b", "x'; DROP TABLE jobs;--", &"x".repeat(65), "工单"] {
        assert!(
            matches!(f.tech.job(bad), Err(Error::InvalidInput { .. })),
            "{bad}"
        );
    }
}

#[test]
fn orders_are_received_once_and_only_for_their_technician() {
    let f = fixture();
    f.dispatch("J");
    assert!(matches!(
        f.tech
            .receive_order(sample::leak_order("J", "T-0107", appointment())),
        Err(Error::DuplicateJob { .. })
    ));
    assert!(matches!(
        f.tech
            .receive_order(sample::leak_order("K", "T-9999", appointment())),
        Err(Error::AssignedToAnother { assigned_to, .. }) if assigned_to == "T-9999"
    ));
}

#[test]
fn a_store_belongs_to_one_technician() {
    let f = fixture();
    let path = f.dir.path().join("tech.sqlite3");
    let mut other = sample::profile();
    other.technician_id = "T-0200".into();
    assert!(matches!(
        Technician::open(&path, other),
        Err(Error::StoreOfAnotherTechnician { owner }) if owner == "T-0107"
    ));
}

#[test]
fn visit_events_are_append_only_in_the_file() {
    let f = fixture();
    f.dispatch("J");
    let conn = rusqlite::Connection::open(f.dir.path().join("tech.sqlite3")).unwrap();
    assert!(conn.execute("UPDATE events SET kind = 'x'", []).is_err());
    assert!(conn.execute("DELETE FROM events", []).is_err());
}

#[test]
fn exhausted_receipt_blocks_give_a_typed_error_and_an_emergency_series() {
    let f = common::fixture_with_block(NumberBlock {
        series: "SH09".into(),
        first: 7,
        last: 7,
    });
    assert!(matches!(
        f.tech.grant_receipt_block(&NumberBlock {
            series: "SH09".into(),
            first: 5,
            last: 9
        }),
        Err(Error::InvalidInput { .. })
    ));
    let v = f.to_settled("J1");
    assert_eq!(v.receipt.unwrap().number, "SH09-00000007");
    assert_eq!(f.tech.receipt_numbers_left().unwrap(), 0);

    let v = f.to_customer_accepted("J2");
    f.tech
        .take_payment("J2", Method::Cash, v.due_on_site().fen(), None, true)
        .unwrap();
    assert!(matches!(
        f.tech.issue_receipt("J2", false),
        Err(Error::ReceiptNumbersExhausted)
    ));
    let r = f.tech.issue_receipt("J2", true).unwrap();
    assert!(r.is_emergency());
    assert_eq!(r.number, "EM-DEV-7F3A-00000001");
}
