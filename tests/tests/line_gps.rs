//! The GPS terminal line (GPS 安装维修), true to its book: design and
//! installation on site are free; out-of-warranty repairs charge parts only;
//! the vehicle is on the order and corrected on site; old and new terminal
//! and SIM numbers are recorded as pairs; a returned terminal is tagged with
//! the plate and the fault; parts short on site go ahead on the centre's
//! oral approval, recorded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::{Duration, Utc};
use common::{appointment, fixture};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::documents;
use onsite_core::error::Field;
use onsite_core::locale::Lang;
use onsite_core::material::{PartReplacement, ReturnTag};
use onsite_core::money::Fen;
use onsite_core::order::Vehicle;
use onsite_core::payment::Method;
use onsite_core::quote::{approval_code, FreeReason, LineItem, LineKind, LineRequest};
use onsite_core::sample;
use onsite_core::visit::{Assessment, Event, PartsShortApproval, Rating, Status, Visit};
use onsite_core::{Error, Technician};
use onsite_hq::api::OldPartsQuery;
use onsite_tests::harness::{hq_and_phone, sqlite_backend, Backend};
use onsite_tests::on_both;

const COMPLETION: &str = "gps_install.completion";

fn sched(code: &str, qty: u32) -> LineRequest {
    LineRequest {
        item: LineItem::Schedule {
            code: code.into(),
            warranty_card_price_fen: None,
        },
        qty,
        payer: None,
    }
}

fn off_schedule_labour() -> LineRequest {
    LineRequest {
        item: LineItem::OffSchedule {
            kind: LineKind::Service,
            description: "拆装仪表台".into(),
            unit_price_fen: 5_000,
        },
        qty: 1,
        payer: None,
    }
}

/// From an accepted job to work in progress, quoting `lines` (off-schedule
/// lines approved with the supervisor's code).
fn walk_to_work(t: &Technician, job: &str, lines: &[LineRequest]) -> Visit {
    sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
    t.depart(job).unwrap();
    t.arrive(job).unwrap();
    sample::complete_checklist(t, job, Phase::Arrival).unwrap();
    t.assess(
        job,
        Assessment {
            inspected_parts: vec!["仪表台下方".into()],
            findings: "终端供电正常,定位模块无输出".into(),
            ..Default::default()
        },
    )
    .unwrap();
    for l in lines {
        let v = t.add_quote_line(job, l).unwrap();
        let line = v.quote_lines.last().unwrap().clone();
        if line.needs_approval() {
            let key = t.profile().approval_key.clone();
            let code = approval_code(key.as_bytes(), job, &line);
            t.approve_quote_line(job, line.line_no, "GPS事业部 王经理", &code)
                .unwrap();
        }
    }
    t.present_quote(job).unwrap();
    t.customer_consents(job, "顺达物流 刘经理").unwrap();
    t.start_work(job).unwrap()
}

/// Work done, terminal and SIM numbers written on the completion checklist,
/// the customer accepts, pays what is due, the receipt and the handover.
fn finish_and_settle(t: &Technician, job: &str, terminal: &str, sim: &str) -> Visit {
    sample::complete_checklist(t, job, Phase::WorkRules).unwrap();
    t.finish_work(job, 50, "安装终端,平台上线").unwrap();
    t.answer(
        job,
        COMPLETION,
        "terminal_number",
        Answer::Text(terminal.into()),
    )
    .unwrap();
    t.answer(job, COMPLETION, "sim_number", Answer::Text(sim.into()))
        .unwrap();
    sample::complete_checklist(t, job, Phase::Completion).unwrap();
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

/// The installation story, synced to HQ: the order arrives with its vehicle,
/// the driver's phone is corrected on site, design and installation cost
/// ¥0.00, and HQ holds the vehicle, the terminal and SIM numbers.
#[test]
fn a_gps_installation_is_free_with_vehicle_terminal_and_sim_numbers() {
    let (_dir, b) = sqlite_backend();
    let (hq, phone) = hq_and_phone(b, "T1");
    let job = "GPS-I-1";
    hq.dispatch(&sample::gps_install_order(
        job,
        "T1",
        Utc::now() + Duration::hours(1),
    ));
    // HQ refuses an order whose vehicle has no plate.
    let mut bad = sample::gps_install_order("GPS-I-BAD", "T1", Utc::now());
    bad.vehicle = Some(Vehicle {
        plate: String::new(),
        ..sample::vehicle()
    });
    let (status, body) = hq.refused(hq.api.create_order(&bad));
    assert_eq!(
        (status, body.error.as_str()),
        (400, "bad_request"),
        "{body:?}"
    );
    phone.sync();
    let t = &phone.tech;
    let v = t.job(job).unwrap();
    assert_eq!(v.order.vehicle.as_ref().unwrap().plate, "粤B·12345");
    t.accept_job(job).unwrap();
    let v = walk_to_work(t, job, &[sched("GP-S-000", 1), sched("GP-S-001", 1)]);
    assert_eq!(v.quote_totals.clone().unwrap().total, Fen::ZERO);
    assert!(v
        .quote_lines
        .iter()
        .all(|l| l.free == Some(FreeReason::FreeService)));
    // The driver changed: corrected on site.
    let v = t
        .correct_vehicle(
            job,
            Vehicle {
                driver_phone: "138-0000-1111".into(),
                ..sample::vehicle()
            },
        )
        .unwrap();
    assert_eq!(
        v.order.vehicle.as_ref().unwrap().driver_phone,
        "138-0000-1111"
    );
    let v = finish_and_settle(t, job, "T860000937", "1440098765432");
    assert_eq!(v.status, Status::HandedOver);
    assert_eq!(v.payment.as_ref().unwrap().due.display_yuan(), "¥0.00");
    let copy = documents::to_text(&t.work_order_copy(job, Lang::ZhCn).unwrap());
    assert!(
        copy.contains("粤B·12345") && copy.contains("免费服务") && copy.contains("¥0.00"),
        "{copy}"
    );

    let r = phone.sync();
    assert_eq!(r.ops_applied, r.ops_pushed, "{r:?}");
    let on_hq = hq.order(job);
    assert_eq!(on_hq["status"], "handed_over");
    assert_eq!(on_hq["order"]["vehicle"]["plate"], "粤B·12345");
    assert_eq!(on_hq["order"]["vehicle"]["driver_phone"], "138-0000-1111");
    let answers = &on_hq["answers"][COMPLETION];
    assert_eq!(
        answers["terminal_number"]["value"], "T860000937",
        "{answers}"
    );
    assert_eq!(answers["sim_number"]["value"], "1440098765432");
    assert_eq!(on_hq["quote_totals"]["total"], 0);
}

/// Corrected rule: GPS design and installation on site are free (the
/// installation used to be charged ¥100).
#[test]
fn gps_installation_is_not_charged() {
    let f = fixture();
    let t = &f.tech;
    t.receive_order(sample::gps_install_order("G", "T-0107", appointment()))
        .unwrap();
    t.accept_job("G").unwrap();
    sample::complete_checklist(t, "G", Phase::BeforeLeaving).unwrap();
    t.depart("G").unwrap();
    t.arrive("G").unwrap();
    sample::complete_checklist(t, "G", Phase::Arrival).unwrap();
    t.assess(
        "G",
        Assessment {
            findings: "新车加装".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let v = t.add_quote_line("G", &sched("GP-S-001", 1)).unwrap();
    assert_eq!(v.quote_lines[0].line_total, Fen::ZERO);
    assert_eq!(v.quote_lines[0].free, Some(FreeReason::FreeService));
}

on_both!(a_gps_repair_out_of_warranty_charges_parts_only);
/// The out-of-warranty repair story, synced to HQ: labour (on the schedule
/// or not) is priced 0 with its reason, the terminal and SIM are charged;
/// the replacement records both number pairs and the returned terminal's tag,
/// which HQ lists with the old parts.
fn a_gps_repair_out_of_warranty_charges_parts_only(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T1");
    let job = "GPS-R-1";
    hq.dispatch(&sample::gps_repair_order(
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
            sched("GP-S-005", 1),
            sched("GP-P-001", 1),
            sched("GP-P-002", 1),
            off_schedule_labour(),
        ],
    );
    let labour: Vec<_> = v
        .quote_lines
        .iter()
        .filter(|l| l.kind == LineKind::Service)
        .collect();
    assert_eq!(labour.len(), 2);
    assert!(labour
        .iter()
        .all(|l| l.line_total == Fen::ZERO && l.free == Some(FreeReason::PartsOnly)));
    assert_eq!(
        v.due_on_site().fen(),
        39_800 + 3_000,
        "terminal and SIM only"
    );
    t.replace_part(job, sample::gps_replacement()).unwrap();
    let v = finish_and_settle(t, job, "T860000937", "1440098765432");
    assert_eq!(v.payment.as_ref().unwrap().received.fen(), 42_800);
    let copy = documents::to_text(&t.work_order_copy(job, Lang::ZhCn).unwrap());
    assert!(
        copy.contains("SIM 1440012345678 → 1440098765432") && copy.contains("返修标签"),
        "{copy}"
    );

    let r = phone.sync();
    assert_eq!(r.ops_applied, r.ops_pushed, "{r:?}");
    let on_hq = hq.order(job);
    assert_eq!(on_hq["parts"][0]["sim"]["old_sim"], "1440012345678");
    assert_eq!(on_hq["parts"][0]["new_serial"], "T860000937");
    let old = hq.ok(hq.api.old_parts(&OldPartsQuery {
        job_id: Some(job.into()),
    }));
    assert_eq!(old[0].old_serial, "T860000001", "{old:?}");
    assert_eq!(old[0].return_plate.as_deref(), Some("粤B·12345"));
    assert_eq!(old[0].return_fault.as_deref(), Some("不定位,平台离线"));
    assert!(!old[0].in_warranty);
}

/// Corrected rule: labour on a GPS repair out of warranty is not charged
/// (the wiring repair used to cost ¥60), on the schedule or off it.
#[test]
fn labour_on_a_gps_repair_is_not_charged() {
    let f = fixture();
    let t = &f.tech;
    t.receive_order(sample::gps_repair_order("R", "T-0107", appointment()))
        .unwrap();
    t.accept_job("R").unwrap();
    sample::complete_checklist(t, "R", Phase::BeforeLeaving).unwrap();
    t.depart("R").unwrap();
    t.arrive("R").unwrap();
    sample::complete_checklist(t, "R", Phase::Arrival).unwrap();
    t.assess(
        "R",
        Assessment {
            findings: "线束虚接".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let v = t.add_quote_line("R", &sched("GP-S-004", 1)).unwrap();
    assert_eq!(v.quote_lines[0].line_total, Fen::ZERO);
    assert_eq!(v.quote_lines[0].free, Some(FreeReason::PartsOnly));
    let v = t.add_quote_line("R", &off_schedule_labour()).unwrap();
    assert_eq!(v.quote_lines[1].line_total, Fen::ZERO);
    let v = t.add_quote_line("R", &sched("GP-P-003", 2)).unwrap();
    assert_eq!(
        v.quote_lines[2].line_total.fen(),
        5_000,
        "parts are charged"
    );
}

/// HQ refuses a labour line charged on a GPS order (an old phone's price).
#[test]
fn hq_refuses_charged_labour_on_a_gps_order() {
    let (mut v, _) =
        Visit::dispatched(sample::gps_repair_order("R", "T-0107", appointment())).unwrap();
    v.status = Status::Assessed;
    let mut line = onsite_core::quote::QuoteLine::price(
        1,
        &sched("AP-S-001", 1),
        onsite_core::quote::FeeSchedule::shipped().unwrap(),
        onsite_core::checklist::Category::Appliance,
        false,
        onsite_core::order::Payer::Owner,
    )
    .unwrap();
    assert_eq!(line.line_total.fen(), 5_000);
    assert!(v
        .admits(&Event::QuoteLineAdded { line: line.clone() }, b"")
        .is_err());
    line.unit_price = Fen::ZERO;
    line.line_total = Fen::ZERO;
    line.free = Some(FreeReason::PartsOnly);
    v.admits(&Event::QuoteLineAdded { line }, b"").unwrap();
}

fn field_of(e: Error) -> Field {
    match e {
        Error::InvalidInput { field, .. } => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// New rule: a GPS replacement records the old and new terminal numbers and
/// the old and new SIM numbers, and a returned terminal carries its tag
/// with the vehicle's plate and the fault.
#[test]
fn a_gps_replacement_records_both_pairs_and_tags_the_returned_terminal() {
    let f = fixture();
    let t = &f.tech;
    t.receive_order(sample::gps_repair_order("R", "T-0107", appointment()))
        .unwrap();
    t.accept_job("R").unwrap();
    walk_to_work(t, "R", &[sched("GP-P-001", 1)]);
    let good = sample::gps_replacement();
    let no_old_terminal = PartReplacement {
        old_serial: String::new(),
        ..good.clone()
    };
    assert_eq!(
        field_of(t.replace_part("R", no_old_terminal).unwrap_err()),
        Field::Serial
    );
    let no_sim = PartReplacement {
        sim: None,
        ..good.clone()
    };
    assert_eq!(
        field_of(t.replace_part("R", no_sim).unwrap_err()),
        Field::OldSim
    );
    let untagged = PartReplacement {
        return_tag: None,
        ..good.clone()
    };
    assert_eq!(
        field_of(t.replace_part("R", untagged).unwrap_err()),
        Field::ReturnTag
    );
    let other_truck = PartReplacement {
        return_tag: Some(ReturnTag {
            plate: "粤B·99999".into(),
            fault: "不定位".into(),
        }),
        ..good.clone()
    };
    assert_eq!(
        field_of(t.replace_part("R", other_truck).unwrap_err()),
        Field::ReturnTag
    );
    // The plate as written on tape may differ in spacing and case.
    let v = t
        .replace_part(
            "R",
            PartReplacement {
                return_tag: Some(ReturnTag {
                    plate: "粤b 12345".into(),
                    fault: "不定位".into(),
                }),
                ..good
            },
        )
        .unwrap();
    assert_eq!(v.parts.len(), 1);
}

/// New rule: the vehicle details are corrected only on a GPS order, with a plate.
#[test]
fn vehicle_corrections_need_a_plate_and_a_gps_order() {
    let f = fixture();
    let t = &f.tech;
    t.receive_order(sample::gps_install_order("G", "T-0107", appointment()))
        .unwrap();
    t.accept_job("G").unwrap();
    walk_to_work(t, "G", &[sched("GP-S-001", 1)]);
    assert_eq!(
        field_of(
            t.correct_vehicle(
                "G",
                Vehicle {
                    plate: " ".into(),
                    ..sample::vehicle()
                }
            )
            .unwrap_err()
        ),
        Field::VehiclePlate
    );
    f.to_in_progress("P");
    assert!(matches!(
        t.correct_vehicle("P", sample::vehicle()),
        Err(Error::InvalidInput { .. })
    ));
}

/// New rule: parts short on site go ahead on the centre's oral approval,
/// recorded with who approved and when; it reaches HQ.
#[test]
fn parts_short_on_site_records_the_centres_oral_approval() {
    let (_dir, b) = sqlite_backend();
    let (hq, phone) = hq_and_phone(b, "T1");
    let job = "GPS-S-1";
    hq.dispatch(&sample::gps_install_order(
        job,
        "T1",
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
    let t = &phone.tech;
    t.accept_job(job).unwrap();
    walk_to_work(t, job, &[sched("GP-S-001", 1)]);
    let approval = PartsShortApproval {
        what_short: "电源线束".into(),
        approver: "GPS事业部 王经理".into(),
        approved_at: Utc::now(),
        instruction: "先用原车线束取电,三日内补装".into(),
    };
    assert_eq!(
        field_of(
            t.record_parts_short(
                job,
                PartsShortApproval {
                    approver: String::new(),
                    ..approval.clone()
                }
            )
            .unwrap_err()
        ),
        Field::PartsShortApprover
    );
    let v = t.record_parts_short(job, approval).unwrap();
    assert_eq!(v.parts_short[0].approver, "GPS事业部 王经理");
    let copy = documents::to_text(&t.work_order_copy(job, Lang::ZhCn).unwrap());
    assert!(
        copy.contains("中心口头批准") && copy.contains("电源线束"),
        "{copy}"
    );
    let r = phone.sync();
    assert_eq!(r.ops_applied, r.ops_pushed, "{r:?}");
    let on_hq = hq.order(job);
    assert_eq!(on_hq["parts_short"][0]["approver"], "GPS事业部 王经理");
    assert_eq!(on_hq["parts_short"][0]["what_short"], "电源线束");
}
