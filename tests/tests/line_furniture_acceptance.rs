//! Furniture delivery: the householder's identity checked before unloading,
//! then acceptance item by item against the delivery list; a rejected item
//! goes back to HQ as its own follow-up. HQ's side runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::{Duration, Utc};
use common::{appointment, fixture};
use onsite_core::checklist::Phase;
use onsite_core::documents;
use onsite_core::error::Field;
use onsite_core::locale::Lang;
use onsite_core::payment::Method;
use onsite_core::sample;
use onsite_core::visit::{
    Action, Assessment, ContactKind, IdMethod, IdentityCheck, ItemDecision, Rating, Status,
};
use onsite_core::{Error, Technician};
use onsite_tests::harness::{Backend, Hq, Phone, ADMIN};
use onsite_tests::on_both;
use serde_json::json;

/// A dispatched furniture job walked to the door (arrived).
fn to_arrived(t: &Technician, job: &str) {
    t.accept_job(job).unwrap();
    sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
    // The two contacts the furniture book asks for, before leaving and arriving.
    t.record_contact(job, ContactKind::AdvanceNotice, "")
        .unwrap();
    t.record_contact(job, ContactKind::HourBeforeCall, "")
        .unwrap();
    t.depart(job).unwrap();
    t.arrive_with_reason(job, "路上堵车").unwrap();
    sample::complete_checklist(t, job, Phase::Arrival).unwrap();
}

/// From arrived to work done (assembly), ready for acceptance.
fn to_work_done(t: &Technician, job: &str) {
    t.assess(
        job,
        Assessment {
            findings: "送货安装".into(),
            ..Default::default()
        },
    )
    .unwrap();
    sample::add_schedule_line(t, job, 1).unwrap();
    t.present_quote(job).unwrap();
    t.customer_consents(job, "王女士").unwrap();
    t.start_work(job).unwrap();
    sample::complete_checklist(t, job, Phase::WorkRules).unwrap();
    t.finish_work(job, 60, "床架组装完毕,床垫就位").unwrap();
    sample::complete_checklist(t, job, Phase::Completion).unwrap();
}

fn dispatch(f: &common::Fixture, job: &str) {
    f.tech
        .receive_order(sample::furniture_order(job, "T-0107", appointment()))
        .unwrap();
}

#[test]
fn items_are_decided_only_after_the_householder_s_identity_is_checked() {
    let f = fixture();
    dispatch(&f, "FU-1");
    to_arrived(&f.tech, "FU-1");
    // Offered, but blocked by the identity check.
    let offered = f.tech.available_actions("FU-1").unwrap();
    assert!(offered
        .iter()
        .any(|a| a.action == Action::DecideDeliveryItem
            && matches!(a.blocked, Some(Error::IdentityNotChecked))));
    assert!(matches!(
        f.tech.decide_delivery_item("FU-1", 1, sample::accepted()),
        Err(Error::IdentityNotChecked)
    ));
    let v = f
        .tech
        .check_identity("FU-1", sample::householder_check("王女士"))
        .unwrap();
    assert_eq!(
        v.identity_check.as_ref().unwrap().id_last4.as_deref(),
        Some("123X")
    );
    f.tech
        .decide_delivery_item("FU-1", 1, sample::accepted())
        .unwrap();
}

#[test]
fn only_the_last_four_characters_of_an_id_card_are_ever_kept() {
    let f = fixture();
    dispatch(&f, "FU-2");
    to_arrived(&f.tech, "FU-2");
    let full = IdentityCheck {
        method: IdMethod::IdCardLast4,
        householder_name: "王女士".into(),
        id_last4: Some("11010519491231002X".into()),
    };
    assert!(matches!(
        f.tech.check_identity("FU-2", full),
        Err(Error::InvalidInput {
            field: Field::IdLast4,
            ..
        })
    ));
    let name_with_number = IdentityCheck {
        method: IdMethod::NameMatch,
        householder_name: "王女士".into(),
        id_last4: Some("1234".into()),
    };
    assert!(matches!(
        f.tech.check_identity("FU-2", name_with_number),
        Err(Error::InvalidInput {
            field: Field::IdLast4,
            ..
        })
    ));
    let by_name = IdentityCheck {
        method: IdMethod::NameMatch,
        householder_name: "王女士".into(),
        id_last4: None,
    };
    f.tech.check_identity("FU-2", by_name).unwrap();
    // Nothing longer than four characters was stored anywhere in the job's events.
    let events = serde_json::to_string(&f.tech.events("FU-2").unwrap()).unwrap();
    assert!(!events.contains("11010519491231002X"));
}

#[test]
fn acceptance_of_a_delivery_needs_every_item_accepted_or_rejected() {
    let f = fixture();
    dispatch(&f, "FU-3");
    to_arrived(&f.tech, "FU-3");
    f.tech
        .check_identity("FU-3", sample::householder_check("王女士"))
        .unwrap();
    f.tech
        .decide_delivery_item("FU-3", 1, sample::accepted())
        .unwrap();
    // A rejection says what was wrong; the list has three items.
    assert!(matches!(
        f.tech.decide_delivery_item(
            "FU-3",
            2,
            ItemDecision {
                accepted: false,
                note: " ".into(),
            }
        ),
        Err(Error::InvalidInput {
            field: Field::ItemNote,
            ..
        })
    ));
    assert!(matches!(
        f.tech.decide_delivery_item("FU-3", 4, sample::accepted()),
        Err(Error::UnknownDeliveryItem { item_no: 4 })
    ));
    assert!(matches!(
        f.tech.decide_delivery_item("FU-3", 0, sample::accepted()),
        Err(Error::UnknownDeliveryItem { item_no: 0 })
    ));
    to_work_done(&f.tech, "FU-3");
    let e = f
        .tech
        .record_acceptance(
            "FU-3",
            onsite_tests::refused_signature(Rating::Satisfied, false),
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::DeliveryItemsUndecided { item_nos } if item_nos == &[2, 3]),
        "{e:?}"
    );
    assert!(e.message(Lang::ZhCn).contains("2, 3"));
    // Decided during the work too (before acceptance): item 2 rejected, item 3 accepted.
    f.tech
        .decide_delivery_item("FU-3", 2, sample::rejected("床架侧板划伤"))
        .unwrap();
    f.tech
        .decide_delivery_item("FU-3", 3, sample::accepted())
        .unwrap();
    let v = f
        .tech
        .record_acceptance(
            "FU-3",
            onsite_tests::refused_signature(Rating::Satisfied, false),
        )
        .unwrap();
    assert_eq!(v.status, Status::CustomerAccepted);
    // The customer's copy lists each item with its decision.
    let text = documents::to_text(&f.tech.work_order_copy("FU-3", Lang::ZhCn).unwrap());
    assert!(text.contains("LZ-B180 床架 胡桃色 180×200 cm"), "{text}");
    assert!(text.contains("拒收: 床架侧板划伤"), "{text}");
    assert!(text.contains("户主身份已核实: 王女士"), "{text}");
}

#[test]
fn a_job_without_a_delivery_list_offers_no_item_checks() {
    let f = fixture();
    f.dispatch("FU-4");
    to_arrived(&f.tech, "FU-4");
    let offered = f.tech.available_actions("FU-4").unwrap();
    assert!(!offered
        .iter()
        .any(|a| matches!(a.action, Action::DecideDeliveryItem | Action::CheckIdentity)));
}

fn a_rejected_item_goes_back_to_hq_as_its_own_follow_up(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-T1");
    // HQ's order body carries the delivery list (as JSON, the way a console sends it).
    let mut order = serde_json::to_value(sample::furniture_order(
        "FU-HQ",
        "T1",
        Utc::now() + Duration::hours(1),
    ))
    .unwrap();
    order["delivery_items"] = json!([
        {"model": "LZ-M180 床垫", "colour": "米白", "size": "180×200 cm", "quantity": 1},
        {"model": "LZ-B180 床架", "colour": "胡桃色", "size": "180×200 cm", "quantity": 1},
        {"model": "LZ-N45 床头柜", "colour": "胡桃色", "size": "45×40×50 cm", "quantity": 2}
    ]);
    let (status, answer) = hq.call("POST", "/v1/orders", Some(ADMIN), Some(order));
    assert_eq!(status, 201, "{answer}");
    phone.sync();
    let t = &phone.tech;
    assert_eq!(t.job("FU-HQ").unwrap().order.delivery_items.len(), 3);
    to_arrived(t, "FU-HQ");
    t.check_identity("FU-HQ", sample::householder_check("王女士"))
        .unwrap();
    t.decide_delivery_item("FU-HQ", 1, sample::accepted())
        .unwrap();
    t.decide_delivery_item("FU-HQ", 2, sample::rejected("颜色不符,订的是胡桃色"))
        .unwrap();
    t.decide_delivery_item("FU-HQ", 3, sample::rejected("一只床头柜抽屉损坏"))
        .unwrap();
    to_work_done(t, "FU-HQ");
    t.record_acceptance(
        "FU-HQ",
        onsite_tests::refused_signature(Rating::Satisfied, false),
    )
    .unwrap();
    let due = t.job("FU-HQ").unwrap().due_on_site().fen();
    t.take_payment("FU-HQ", Method::Cash, due, None, true)
        .unwrap();
    t.issue_receipt("FU-HQ", false).unwrap();
    t.hand_over("FU-HQ").unwrap();
    let r = phone.sync();
    assert_eq!(r.ops_pushed, r.ops_applied);
    let mine: Vec<_> = hq
        .followups()
        .into_iter()
        .filter(|f| f.job_id == "FU-HQ")
        .collect();
    assert_eq!(mine.len(), 2, "one follow-up per rejected item: {mine:?}");
    assert_eq!(mine[0].reason, "rejected_item:2");
    let detail = mine[0].detail.as_deref().unwrap();
    assert!(
        detail.contains("LZ-B180 床架") && detail.contains("颜色不符"),
        "{detail}"
    );
    assert_eq!(mine[1].reason, "rejected_item:3");
    assert!(mine[1].detail.as_deref().unwrap().contains("抽屉损坏"));
    // HQ holds the identity check and the decisions.
    let v = hq.order("FU-HQ");
    assert_eq!(v["identity_check"]["id_last4"], "123X");
    assert_eq!(v["item_decisions"]["2"]["accepted"], false);
    hq.stop();
}
on_both!(a_rejected_item_goes_back_to_hq_as_its_own_follow_up);
