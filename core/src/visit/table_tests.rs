//! The transition table, tested pair by pair and without a database: for every
//! (status, action) the phone's workflow method and HQ's `admits` both agree
//! with the table written out below, independently of `Action::allowed_from`.

use chrono::{TimeZone, Utc};

use super::*;
use crate::checklist::Answer;
use crate::material::{Source, Verdict};
use crate::payment::Method;
use crate::punctuality::Punctuality;
use crate::quote::{LineItem, LineRequest};

/// The table as the procedure states it: action, then the statuses it is allowed from.
const EXPECTED: &[(Action, &str)] = &[
    (Action::AcceptJob, "dispatched"),
    (Action::Depart, "accepted"),
    (Action::Arrive, "en_route"),
    (Action::RecordNoAccess, "en_route arrived"),
    (
        Action::AnswerChecklist,
        "dispatched accepted en_route arrived no_access assessed quoted consented declined in_progress work_done",
    ),
    (Action::Assess, "arrived"),
    (Action::AddQuoteLine, "assessed declined"),
    (Action::RemoveQuoteLine, "assessed declined"),
    (Action::ApproveQuoteLine, "assessed declined"),
    (Action::PresentQuote, "assessed declined"),
    (Action::CustomerConsents, "quoted"),
    (Action::CustomerDeclines, "quoted"),
    (
        Action::AddMaterial,
        "arrived assessed quoted consented in_progress work_done",
    ),
    (
        Action::InspectMaterial,
        "arrived assessed quoted consented in_progress work_done",
    ),
    (
        Action::NoteConcession,
        "arrived assessed quoted consented in_progress work_done",
    ),
    (Action::UseMaterial, "consented in_progress"),
    (Action::ReplacePart, "in_progress"),
    (Action::StartWork, "consented"),
    (Action::FinishWork, "in_progress"),
    (Action::RecordAcceptance, "work_done"),
    (Action::TakePayment, "customer_accepted"),
    (Action::IssueReceipt, "customer_accepted"),
    (Action::VoidReceipt, "settled handed_over"),
    (Action::ReissueReceipt, "settled handed_over"),
    (Action::HandOver, "settled"),
    (Action::DisputeCharge, "quoted customer_accepted"),
    (Action::EnterChargeInstruction, "quoted customer_accepted"),
    (Action::RecordInvoice, "customer_accepted settled"),
    (
        Action::CorrectVehicle,
        "arrived assessed quoted consented in_progress work_done",
    ),
    (
        Action::RecordPartsShort,
        "arrived assessed quoted consented in_progress work_done",
    ),
    (
        Action::RecordDamage,
        "arrived assessed quoted consented in_progress work_done",
    ),
    (
        Action::RescheduleWithCustomer,
        "dispatched accepted en_route arrived no_access",
    ),
    (Action::RecordContact, "dispatched accepted en_route"),
    (
        Action::FillWithheld,
        "assessed quoted consented declined in_progress work_done customer_accepted settled",
    ),
    (
        Action::CheckIdentity,
        "arrived assessed quoted consented in_progress work_done",
    ),
    (
        Action::DecideDeliveryItem,
        "arrived assessed quoted consented in_progress work_done",
    ),
    (
        Action::RecordComplaint,
        "arrived assessed quoted consented declined in_progress work_done customer_accepted settled",
    ),
];

fn expected(action: Action, status: Status) -> bool {
    EXPECTED.iter().find(|(a, _)| *a == action).map_or_else(
        || panic!("{action} is missing from EXPECTED"),
        |(_, list)| list.split_whitespace().any(|s| s == status.as_str()),
    )
}

fn visit_in(status: Status) -> Visit {
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap();
    let (mut v, _) = Visit::dispatched(crate::sample::leak_order("J", "T", at)).unwrap();
    v.status = status;
    if status == Status::Cancelled {
        v.cancelled_reason = Some("客户取消".into());
    }
    v
}

fn ctx() -> Context<'static> {
    Context {
        now: Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap(),
        checklists: crate::checklist::Checklists::shipped().unwrap(),
        schedule: crate::quote::FeeSchedule::shipped().unwrap(),
        approval_key: b"key",
    }
}

/// Runs the workflow method of `action` with plausible input.
fn decide(v: &Visit, action: Action, ctx: &Context) -> Result<Event> {
    let now = ctx.now;
    match action {
        Action::AcceptJob => v.accept_job(),
        Action::Depart => v.depart(ctx),
        Action::Arrive => v.arrive(ctx, Some("堵车")),
        Action::RecordNoAccess => v.no_access(MessageNote {
            text: "您好，维修人员来访未遇".into(),
            waited_minutes: 5,
            phoned_customer: true,
            calls_made: 1,
            asked_neighbours: false,
        }),
        Action::AnswerChecklist => {
            let t = ctx
                .checklists
                .template(v.order.category, Phase::BeforeLeaving)
                .unwrap();
            let item = &t.items[0];
            v.answer(
                &t.id,
                &item.id,
                crate::sample::plausible_answer(&item.kind),
                ctx,
            )
        }
        Action::Assess => v.assess(
            Assessment {
                findings: "角阀老化".into(),
                ..Assessment::default()
            },
            ctx,
        ),
        Action::AddQuoteLine => v.add_quote_line(
            &LineRequest {
                item: LineItem::Schedule {
                    code: "PR-S-001".into(),
                    warranty_card_price_fen: None,
                },
                qty: 1,
                payer: None,
            },
            ctx,
        ),
        Action::RemoveQuoteLine => v.remove_quote_line(1),
        Action::ApproveQuoteLine => v.approve_quote_line(1, "主管", "000000", ctx),
        Action::PresentQuote => v.present_quote(),
        Action::CustomerConsents => v.customer_consents("王女士"),
        Action::CustomerDeclines => v.customer_declines("太贵"),
        Action::AddMaterial => v.add_material(&MaterialRequest {
            material_id: "m1".into(),
            source: Source::CustomerSupplied,
            description: "角阀".into(),
            qty: 1,
            part_code: None,
        }),
        Action::InspectMaterial => v.inspect_material(
            "m1",
            Inspection {
                verdict: Verdict::Pass,
                findings: String::new(),
                photos: vec![],
                at: now,
            },
        ),
        Action::NoteConcession => v.note_concession(
            "m1",
            ConcessionNote {
                defect: "d".into(),
                explanation: "e".into(),
                customer_name: "王女士".into(),
                customer_consents: true,
                consented_at: now,
            },
        ),
        Action::UseMaterial => v.use_material("m1"),
        Action::ReplacePart => v.replace_part(PartReplacement {
            part_code: "P1".into(),
            description: "角阀".into(),
            old_serial: "A".into(),
            new_serial: "B".into(),
            old_part_recovered: true,
            old_part_registration: Some("R-1".into()),
            ..PartReplacement::default()
        }),
        Action::StartWork => v.start_work(),
        Action::FinishWork => v.finish_work(30, "更换角阀", ctx),
        Action::RecordAcceptance => v.accept_by_customer(
            &Acceptance {
                quality: Opinion::Rated {
                    rating: Rating::Satisfied,
                },
                attitude: Some(Opinion::Declined {
                    reason: "不想评价".into(),
                }),
                comment: String::new(),
                fix_uncertain: false,
                sign_off: SignOff::Refused {
                    reason: "不便签字".into(),
                },
                technician_signature: None,
            },
            ctx,
        ),
        Action::TakePayment => v.take_payment(Method::Cash, 0, None, true, ctx),
        Action::IssueReceipt => v.check_receipt_allowed().map(|()| Event::ReceiptIssued {
            receipt: receipt_ref("R-1"),
        }),
        Action::VoidReceipt => v.void_receipt("R-1", "金额有误"),
        Action::ReissueReceipt => v.reissue_receipt("R-1", receipt_ref("R-2")),
        Action::HandOver => v.hand_over(),
        Action::DisputeCharge => v.dispute_charge(&dispute()),
        Action::EnterChargeInstruction => {
            v.enter_charge_instruction(crate::charge::Instruction::Waive, "主管", "000000", ctx)
        }
        Action::RecordInvoice => v.record_invoice(&invoice()),
        Action::CorrectVehicle => v.correct_vehicle(crate::sample::vehicle()),
        Action::RecordPartsShort => v.record_parts_short(PartsShortApproval {
            what_short: "电源线束".into(),
            approver: "GPS事业部 王经理".into(),
            approved_at: now,
            instruction: "先用旧线束,三日内补装".into(),
        }),
        Action::RecordDamage => v.record_damage(Damage {
            what: "搬动冰箱划伤地板".into(),
            amount: crate::money::Fen::new(20_000).unwrap(),
            customer_agreed: true,
        }),
        Action::RescheduleWithCustomer => {
            v.reschedule_with_customer(now, "客户要求改约", Some(&consent(now)))
        }
        Action::RecordContact => v.record_contact(ContactKind::HourBeforeCall, "", ctx),
        Action::FillWithheld => v.fill_withheld(WithheldFill {
            findings: "f".into(),
            solution: "s".into(),
        }),
        Action::CheckIdentity => v.check_identity(IdentityCheck {
            method: IdMethod::NameMatch,
            householder_name: "王女士".into(),
            id_last4: None,
        }),
        Action::DecideDeliveryItem => v.decide_delivery_item(
            1,
            ItemDecision {
                accepted: true,
                note: String::new(),
            },
        ),
        Action::RecordComplaint => v.record_complaint(Complaint {
            kind: ComplaintKind::Soft,
            words: "师傅态度不好".into(),
        }),
    }
}

fn dispute() -> crate::charge::ChargeDispute {
    crate::charge::ChargeDispute {
        disputed: Fen::new(5000).unwrap(),
        ask: crate::charge::CustomerAsk::Refuses,
        explained_sanbao: true,
        explained_warranty_scope: true,
        customer_words: "不愿付费".into(),
    }
}

fn invoice() -> crate::charge::Invoice {
    crate::charge::Invoice {
        title: "王女士".into(),
        tax_number: String::new(),
        delivery: crate::charge::InvoiceDelivery::OnSite,
    }
}

fn consent(at: chrono::DateTime<Utc>) -> RescheduleConsent {
    RescheduleConsent {
        agreed_by: "王女士".into(),
        agreed_at: at,
        channel: ConsentChannel::Phone,
    }
}

fn receipt_ref(number: &str) -> ReceiptRef {
    ReceiptRef {
        number: number.into(),
        sha256: "0".repeat(64),
    }
}

/// A representative event of each action, for HQ's `admits`.
fn event_of(action: Action) -> Event {
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap();
    match action {
        Action::AcceptJob => Event::JobAccepted,
        Action::Depart => Event::Departed,
        Action::Arrive => Event::Arrived {
            punctuality: Punctuality::judge(
                at,
                at,
                at,
                false,
                &crate::service_line::ServiceLine::of(crate::checklist::Category::PropertyRepair)
                    .unwrap()
                    .arrival,
            ),
        },
        Action::RecordNoAccess => Event::NoAccess {
            note: MessageNote {
                text: "t".into(),
                waited_minutes: 5,
                phoned_customer: false,
                calls_made: 0,
                asked_neighbours: false,
            },
        },
        Action::AnswerChecklist => Event::ChecklistAnswered {
            template_id: "t".into(),
            item_id: "i".into(),
            answer: Answer::Check(true),
        },
        Action::Assess => Event::Assessed {
            assessment: Assessment::default(),
        },
        Action::AddQuoteLine => decide(&visit_in(Status::Assessed), action, &ctx()).unwrap(),
        Action::PresentQuote => Event::QuotePresented {
            totals: crate::quote::Totals::default(),
        },
        Action::TakePayment => Event::PaymentTaken {
            payment: crate::payment::Payment::take(Method::Cash, Fen::ZERO, 0, None, true, at)
                .unwrap(),
        },
        Action::RemoveQuoteLine => Event::QuoteLineRemoved { line_no: 1 },
        Action::ApproveQuoteLine => Event::QuoteLineApproved {
            line_no: 1,
            approval: crate::quote::Approval {
                supervisor: "s".into(),
                code: "c".into(),
            },
        },
        Action::CustomerConsents => Event::CustomerConsented {
            customer_name: "c".into(),
        },
        Action::CustomerDeclines => Event::CustomerDeclined { reason: "r".into() },
        Action::AddMaterial => decide(&visit_in(Status::Arrived), action, &ctx()).unwrap(),
        Action::InspectMaterial => Event::MaterialInspected {
            material_id: "m1".into(),
            inspection: Inspection {
                verdict: Verdict::Pass,
                findings: String::new(),
                photos: vec![],
                at,
            },
        },
        Action::NoteConcession => Event::ConcessionNoted {
            material_id: "m1".into(),
            note: ConcessionNote {
                defect: "d".into(),
                explanation: "e".into(),
                customer_name: "c".into(),
                customer_consents: true,
                consented_at: at,
            },
        },
        Action::UseMaterial => Event::MaterialUsed {
            material_id: "m1".into(),
        },
        Action::ReplacePart => Event::PartReplaced {
            replacement: PartReplacement {
                part_code: "P".into(),
                description: "d".into(),
                old_serial: "a".into(),
                new_serial: "b".into(),
                old_part_recovered: true,
                old_part_registration: Some("R-1".into()),
                ..PartReplacement::default()
            },
        },
        Action::StartWork => Event::WorkStarted,
        Action::FinishWork => Event::WorkDone {
            labour_minutes: 1,
            summary: "s".into(),
        },
        Action::RecordAcceptance => Event::CustomerAccepted {
            acceptance: Acceptance {
                quality: Opinion::Rated {
                    rating: Rating::Satisfied,
                },
                attitude: Some(Opinion::Rated {
                    rating: Rating::Satisfied,
                }),
                comment: String::new(),
                fix_uncertain: false,
                sign_off: SignOff::Refused { reason: "r".into() },
                technician_signature: None,
            },
        },
        Action::IssueReceipt => Event::ReceiptIssued {
            receipt: receipt_ref("R-1"),
        },
        Action::VoidReceipt => Event::ReceiptVoided {
            number: "R-1".into(),
            reason: "r".into(),
        },
        Action::ReissueReceipt => Event::ReceiptReissued {
            receipt: receipt_ref("R-2"),
            replaces: "R-1".into(),
        },
        Action::HandOver => Event::HandedOver,
        Action::DisputeCharge => Event::ChargeDisputed { dispute: dispute() },
        Action::EnterChargeInstruction => Event::ChargeInstructionEntered {
            instruction: crate::charge::ChargeInstruction {
                instruction: crate::charge::Instruction::Waive,
                by: "s".into(),
                source: crate::charge::InstructionSource::SupervisorCode { code: "c".into() },
            },
        },
        Action::RecordInvoice => Event::InvoiceRecorded { invoice: invoice() },
        Action::CorrectVehicle => Event::VehicleCorrected {
            vehicle: crate::sample::vehicle(),
        },
        Action::RecordPartsShort => Event::PartsShortApproved {
            approval: PartsShortApproval {
                what_short: "w".into(),
                approver: "a".into(),
                approved_at: ctx().now,
                instruction: String::new(),
            },
        },
        Action::RecordDamage => Event::DamageRecorded {
            damage: Damage {
                what: "w".into(),
                amount: crate::money::Fen::new(1).unwrap(),
                customer_agreed: true,
            },
        },
        Action::RescheduleWithCustomer => Event::AppointmentAgreed {
            appointment_at: at,
            reason: "r".into(),
            consent: consent(at),
        },
        Action::RecordContact => Event::CustomerContacted {
            contact: CustomerContact {
                kind: ContactKind::AdvanceNotice,
                at,
                late: false,
                note: String::new(),
            },
        },
        Action::FillWithheld => Event::WithheldFilled {
            fill: WithheldFill {
                findings: "f".into(),
                solution: "s".into(),
            },
        },
        Action::CheckIdentity => Event::IdentityChecked {
            check: IdentityCheck {
                method: IdMethod::IdCardLast4,
                householder_name: "h".into(),
                id_last4: Some("123X".into()),
            },
        },
        Action::DecideDeliveryItem => Event::DeliveryItemDecided {
            item_no: 1,
            decision: ItemDecision {
                accepted: false,
                note: "划痕".into(),
            },
        },
        Action::RecordComplaint => Event::ComplaintRecorded {
            complaint: Complaint {
                kind: ComplaintKind::Hard,
                words: "w".into(),
            },
        },
    }
}

/// A refusal by the table itself (as opposed to a finer rule of the step).
fn refused_by_table(action: Action, r: &Result<Event>) -> bool {
    match r {
        Err(Error::IllegalTransition {
            action: a, rule, ..
        }) => *a == action && *rule == Rule::WrongStatus,
        Err(Error::VisitSealed | Error::JobCancelled { .. }) => true,
        _ => false,
    }
}

#[test]
fn every_status_and_action_pair_follows_the_table_on_the_phone_and_at_hq() {
    let ctx = ctx();
    let mut checked = 0;
    for status in Status::ALL {
        for action in Action::ALL {
            let allowed = expected(action, status);
            let v = visit_in(status);
            let phone = decide(&v, action, &ctx);
            assert_eq!(
                !refused_by_table(action, &phone),
                allowed,
                "phone: {action} from {status}: {phone:?}"
            );
            // HQ also re-runs the step's content rules against its own state of
            // the job (missing material, unknown line...): only the table's own
            // refusal counts here.
            let hq = v.admits(&event_of(action), ctx.approval_key);
            let hq_refused = match &hq {
                Err(Error::IllegalTransition {
                    action: a, rule, ..
                }) => *a == action && *rule == Rule::WrongStatus,
                Err(Error::JobCancelled { .. }) => true,
                _ => false,
            };
            assert_eq!(!hq_refused, allowed, "hq: {action} from {status}: {hq:?}");
            if !allowed && status != Status::Cancelled {
                assert!(
                    matches!(
                        hq,
                        Err(Error::IllegalTransition { action: a, status: s, .. }) if a == action && s == status
                    ),
                    "hq names the action and status: {hq:?}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, Status::ALL.len() * Action::ALL.len());
}

#[test]
fn each_action_records_its_own_event_kind() {
    for action in Action::ALL {
        let e = event_of(action);
        assert_eq!(Action::of_event(&e), Some(action));
        assert_eq!(e.kind(), action.event_kind(), "{action}");
    }
}

#[test]
fn a_cancelled_job_offers_nothing_and_hq_events_are_not_actions() {
    let v = visit_in(Status::Cancelled);
    assert!(v.available_actions(&ctx()).is_empty());
    for e in [
        Event::Cancelled { reason: "r".into() },
        Event::Rescheduled {
            appointment_at: ctx().now,
            reason: String::new(),
            consent: None,
        },
    ] {
        assert_eq!(Action::of_event(&e), None);
    }
}

#[test]
fn available_actions_follow_the_table_and_name_what_blocks() {
    let ctx = ctx();
    for status in Status::ALL {
        let v = visit_in(status);
        for a in v.available_actions(&ctx) {
            assert!(
                expected(a.action, status),
                "{} offered from {status}",
                a.action
            );
        }
    }
    // Accepted: leaving is offered but blocked by the unanswered before-leaving checklist.
    let offered = visit_in(Status::Accepted).available_actions(&ctx);
    let depart = offered.iter().find(|a| a.action == Action::Depart).unwrap();
    assert!(
        matches!(&depart.blocked, Some(Error::ChecklistIncomplete { phase, items }) if *phase == Phase::BeforeLeaving && !items.is_empty()),
        "{depart:?}"
    );
    // Assessed with an unapproved off-schedule line: approval is offered, the quote is blocked.
    let mut v = visit_in(Status::Assessed);
    let line = v
        .add_quote_line(
            &LineRequest {
                item: LineItem::OffSchedule {
                    kind: crate::quote::LineKind::Service,
                    description: "加急".into(),
                    unit_price_fen: 5000,
                },
                qty: 1,
                payer: None,
            },
            &ctx,
        )
        .unwrap();
    v.apply(&line, ctx.now);
    let offered = v.available_actions(&ctx);
    assert!(offered
        .iter()
        .any(|a| a.action == Action::ApproveQuoteLine && a.blocked.is_none()));
    let present = offered
        .iter()
        .find(|a| a.action == Action::PresentQuote)
        .unwrap();
    assert!(
        matches!(
            present.blocked,
            Some(Error::OffScheduleNeedsApproval { line_no: 1 })
        ),
        "{present:?}"
    );
    // Consented with failed customer material and no concession: use is blocked by the concession.
    let mut v = visit_in(Status::Consented);
    v.apply(&decide(&v, Action::AddMaterial, &ctx).unwrap(), ctx.now);
    v.apply(
        &v.inspect_material(
            "m1",
            Inspection {
                verdict: Verdict::Fail,
                findings: "锈蚀".into(),
                photos: vec![],
                at: ctx.now,
            },
        )
        .unwrap(),
        ctx.now,
    );
    let offered = v.available_actions(&ctx);
    let use_it = offered
        .iter()
        .find(|a| a.action == Action::UseMaterial)
        .unwrap();
    assert!(
        matches!(&use_it.blocked, Some(Error::ConcessionRequired { material_id, .. }) if material_id == "m1"),
        "{use_it:?}"
    );
    assert!(offered
        .iter()
        .any(|a| a.action == Action::NoteConcession && a.blocked.is_none()));
}
