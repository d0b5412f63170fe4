//! The furniture line (家具配送安装) as one whole visit, against a real HQ:
//! the five-working-day contact and the call an hour before, both recorded
//! with their times and gating departure and arrival; 5-10 minutes early is
//! on time; the householder's identity before unloading; acceptance item by
//! item with a rejected item going back to HQ on its own; the order's
//! outstanding balance (尾款) collected as its own line, in cash checked and
//! counted in front of the customer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::sync::Arc;

use chrono::{Duration, Utc};
use onsite_core::checklist::Phase;
use onsite_core::clock::ManualClock;
use onsite_core::documents;
use onsite_core::locale::Lang;
use onsite_core::payment::Method;
use onsite_core::punctuality::Verdict;
use onsite_core::sample;
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::visit::{Assessment, ContactKind, Status};
use onsite_core::{Error, Profile, Technician};
use onsite_tests::harness::{Backend, Hq};
use onsite_tests::on_both;

on_both!(furniture_delivery);

fn furniture_delivery(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T-FU", "周师傅");
    let e = SyncClient::enroll_blocking(&hq.url, &code, "DEV-FU").unwrap();
    let start = Utc::now();
    let clock = Arc::new(ManualClock::new(start));
    let dir = tempfile::tempdir().unwrap();
    let t = Technician::open_with_clock(
        dir.path().join("phone.sqlite3"),
        Profile {
            technician_id: e.technician_id.clone(),
            technician_name: e.technician_name.clone(),
            device_id: "DEV-FU".into(),
            approval_key: e.approval_key.clone(),
        },
        clock.clone(),
    )
    .unwrap();
    let sync = SyncClient::new(SyncConfig::new(&hq.url, &e.token)).unwrap();

    // Booked eight days out (at least five working days), with a ¥1 280.00 balance.
    let job = "FU-STORY-1";
    let appointment = start + Duration::days(8);
    let mut order = sample::furniture_order(job, "T-FU", appointment);
    order.reported_at = start - Duration::hours(1);
    order.dispatched_at = start;
    order.unpaid_balance_fen = 128_000;
    hq.dispatch(&order);
    sync.sync_now(&t, None).unwrap();
    t.accept_job(job).unwrap();
    sample::complete_checklist(&t, job, Phase::BeforeLeaving).unwrap();

    // 「提前与客户取得联系(至少在预约5个工作日以前)」: no departure without it.
    let refused = t.depart(job).unwrap_err();
    assert!(
        matches!(
            refused,
            Error::ContactNotRecorded {
                kind: ContactKind::AdvanceNotice
            }
        ),
        "{refused:?}"
    );
    let v = t
        .record_contact(job, ContactKind::AdvanceNotice, "客户确认当天在家")
        .unwrap();
    let c = v.contact(ContactKind::AdvanceNotice).unwrap();
    assert_eq!(
        (c.at, c.late),
        (start, false),
        "recorded with its time, in time"
    );

    // Delivery day: leave, then 「在上门前1小时再次联系客户」 before arriving.
    clock.set(appointment - Duration::minutes(90));
    t.depart(job).unwrap();
    assert!(matches!(
        t.arrive(job).unwrap_err(),
        Error::ContactNotRecorded {
            kind: ContactKind::HourBeforeCall
        }
    ));
    clock.set(appointment - Duration::minutes(61));
    let v = t
        .record_contact(job, ContactKind::HourBeforeCall, "")
        .unwrap();
    assert!(!v.contact(ContactKind::HourBeforeCall).unwrap().late);

    // 5-10 minutes early is the furniture book's standard: on time, not "early".
    clock.set(appointment - Duration::minutes(12));
    assert_eq!(t.punctuality_now(job).unwrap().verdict, Verdict::Early);
    clock.set(appointment - Duration::minutes(7));
    let v = t.arrive(job).unwrap();
    let p = v.punctuality.unwrap();
    assert_eq!((p.verdict, p.minutes_from_reference), (Verdict::OnTime, -7));
    sample::complete_checklist(&t, job, Phase::Arrival).unwrap();

    // Identity before any item is decided; only the last four characters kept.
    assert!(matches!(
        t.decide_delivery_item(job, 1, sample::accepted())
            .unwrap_err(),
        Error::IdentityNotChecked
    ));
    t.check_identity(job, sample::householder_check("王女士"))
        .unwrap();

    t.assess(
        job,
        Assessment {
            findings: "送货安装".into(),
            ..Default::default()
        },
    )
    .unwrap();
    t.add_quote_line(
        job,
        &onsite_core::quote::LineRequest {
            item: onsite_core::quote::LineItem::Schedule {
                code: "FU-S-004".into(),
                warranty_card_price_fen: None,
            },
            qty: 1,
            payer: None,
        },
    )
    .unwrap();
    t.present_quote(job).unwrap();
    t.customer_consents(job, "王女士").unwrap();
    t.start_work(job).unwrap();
    sample::complete_checklist(&t, job, Phase::WorkRules).unwrap();
    t.finish_work(job, 80, "床架组装完毕").unwrap();
    sample::complete_checklist(&t, job, Phase::Completion).unwrap();

    // Item by item: the frame is rejected; acceptance waits for every item.
    t.decide_delivery_item(job, 1, sample::accepted()).unwrap();
    t.decide_delivery_item(job, 2, sample::rejected("侧板划伤约5厘米"))
        .unwrap();
    assert!(matches!(
        t.record_acceptance(job, onsite_tests::refused_signature(onsite_core::visit::Rating::Satisfied, false))
            .unwrap_err(),
        Error::DeliveryItemsUndecided { ref item_nos } if item_nos == &[3]
    ));
    t.decide_delivery_item(job, 3, sample::accepted()).unwrap();
    t.record_acceptance(
        job,
        onsite_tests::refused_signature(onsite_core::visit::Rating::Satisfied, false),
    )
    .unwrap();

    // The balance is due with the assembly (¥80.00 + ¥1 280.00), in cash
    // checked and counted; the receipt shows it as a line of its own.
    let v = t.job(job).unwrap();
    assert_eq!(v.due_on_site().fen(), 8_000 + 128_000);
    assert!(matches!(
        t.take_payment(job, Method::Cash, 140_000, None, false)
            .unwrap_err(),
        Error::CashNotChecked
    ));
    t.take_payment(job, Method::Cash, 140_000, None, true)
        .unwrap();
    let r = t.issue_receipt(job, false).unwrap();
    let text = documents::to_text(&t.receipt_document(&r.number, Lang::ZhCn).unwrap());
    assert!(text.contains("尾款") && text.contains("¥1280.00"), "{text}");
    assert_eq!(t.hand_over(job).unwrap().status, Status::HandedOver);

    // At HQ: the whole visit, the money, and the rejected frame as its own follow-up.
    let report = sync.sync_now(&t, None).unwrap();
    assert_eq!(report.ops_applied, report.ops_pushed, "{report:?}");
    let on_hq = hq.order(job);
    assert_eq!(on_hq["status"], "handed_over");
    assert_eq!(on_hq["payment"]["due"], 136_000);
    assert_eq!(on_hq["contacts"].as_array().unwrap().len(), 2);
    assert_eq!(on_hq["identity_check"]["id_last4"], "123X");
    let followups = hq.followups();
    let rejected: Vec<_> = followups
        .iter()
        .filter(|f| f.job_id == job && f.reason == "rejected_item:2")
        .collect();
    assert_eq!(rejected.len(), 1, "{followups:?}");
    assert!(
        rejected[0].detail.as_deref().unwrap().contains("侧板划伤"),
        "{followups:?}"
    );
    assert!(
        !followups
            .iter()
            .any(|f| f.reason.starts_with("rejected_item:1")
                || f.reason.starts_with("rejected_item:3")),
        "accepted items raise no follow-up: {followups:?}"
    );
}
