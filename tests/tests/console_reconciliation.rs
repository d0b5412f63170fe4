//! The handover and reconciliation page: a technician's day of real
//! receipts (a phone's visit over sync) against money handed in, recorded by
//! the front desk and signed by the manager only; bad amounts refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_hq::centre::audit::Actor;
use onsite_hq::centre::people::Role;
use onsite_hq::centre::reconciliation::Decision;
use onsite_hq::console::page::{today, yuan};
use onsite_hq::HqError;
use onsite_tests::console::{add_person, Browser};
use onsite_tests::harness::{hq_and_phone, Backend, Hq, Store};
use onsite_tests::on_both;
use reqwest::StatusCode;

/// The store's operations: handovers audited and checked, a day that does
/// not balance is not confirmed but its difference is recorded with a note,
/// once; active days list their sign-off.
fn reconciliation_store_operations(b: Backend) {
    let db = Store::open(&b.url()).unwrap();
    let s = &db.store;
    let now = Utc::now();
    let day = today(now);
    let desk = Actor::Person("wang".into());
    let boss = Actor::Person("zhao".into());
    db.run(s.create_technician("T-1", "李师傅", now)).unwrap();
    db.run(s.create_technician("T-2", "刘师傅", now)).unwrap();
    let e = db.run(s.hand_in(&desk, "NOBODY", day, "cash", 100, now));
    assert!(matches!(e, Err(HqError::NotFound(_))), "{e:?}");
    let e = db.run(s.hand_in(&desk, "T-1", day, "cash", -1, now));
    assert!(matches!(e, Err(HqError::BadRequest(_))), "{e:?}");
    assert!(
        db.run(s.active_days(day)).unwrap().is_empty(),
        "nothing saved"
    );

    db.run(s.hand_in(&desk, "T-1", day, "cash", 10_000, now))
        .unwrap();
    db.run(s.hand_in(&desk, "T-2", day, "cash", 0, now))
        .unwrap();
    let d = db.run(s.handover_day("T-1", day)).unwrap();
    assert_eq!(d.reconciliation.lines[0].handed_in_fen, 10_000);
    assert!(!d.reconciliation.balanced);
    assert!(d.signoff.is_none());

    let e = db.run(s.sign_day(&boss, "T-1", day, Decision::Confirm, now));
    assert!(
        matches!(e, Err(HqError::BadRequest(_))),
        "unbalanced: {e:?}"
    );
    let blank = Decision::Difference { note: " ".into() };
    let e = db.run(s.sign_day(&boss, "T-1", day, blank, now));
    assert!(matches!(e, Err(HqError::BadRequest(_))), "no note: {e:?}");
    let note = Decision::Difference {
        note: "多交100元,次日退还".into(),
    };
    let signed = db.run(s.sign_day(&boss, "T-1", day, note, now)).unwrap();
    assert_eq!(
        (
            signed.outcome.as_str(),
            signed.difference_fen,
            signed.signed_by.as_str()
        ),
        ("difference", 10_000, "zhao")
    );
    let e = db.run(s.sign_day(&boss, "T-1", day, Decision::Confirm, now));
    assert!(matches!(e, Err(HqError::Conflict(_))), "signed once: {e:?}");
    db.run(s.sign_day(&boss, "T-2", day, Decision::Confirm, now))
        .unwrap();

    let active = db.run(s.active_days(day)).unwrap();
    let outcomes: Vec<_> = active
        .iter()
        .map(|a| {
            (
                a.technician_id.as_str(),
                a.signoff.as_ref().map(|s| s.outcome.as_str()),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("T-1", Some("difference")), ("T-2", Some("confirmed"))]
    );
    let audit = db.run(s.recent_audit(None, 10)).unwrap();
    let actions: Vec<_> = audit.iter().rev().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "handover.record",
            "handover.record",
            "reconciliation.difference",
            "reconciliation.confirm"
        ]
    );
}
on_both!(reconciliation_store_operations);

/// A phone's real visit (paid in cash, receipt issued) reaches HQ; the
/// front desk sees the day and records the cash handed in; the supervisor
/// and the front desk may not sign; the manager confirms and the page says
/// who and when.
fn a_day_of_real_receipts_is_handed_in_and_confirmed_by_the_manager(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T-1");
    hq.dispatch(&sample::leak_order(
        "J-1",
        "T-1",
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
    onsite_tests::drive_accepted_to_handover(&phone.tech, "J-1").unwrap();
    phone.sync();
    let day = today(Utc::now());
    let cash = hq.reconciliation("T-1", day).lines.remove(0);
    assert_eq!((cash.method.as_str(), cash.issued.count), ("cash", 1));
    let net = cash.net_fen;
    let typed = format!("{}.{:02}", net / 100, net % 100);

    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    add_person(&hq, "li", "李主管", Role::Supervisor);
    add_person(&hq, "zhao", "赵经理", Role::Manager);
    let mut desk = Browser::signed_in(&hq, "wang");
    let path = format!("/handover?technician=T-1&day={day}");
    let p = desk.get(&path);
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(&yuan(net)), "{}", p.body);
    assert!(p.body.contains("未签核"));
    assert!(p.body.contains("J-1"), "the order handed over that day");
    assert!(
        !p.body.contains("确认对账无误并签核"),
        "the desk cannot sign"
    );
    let day_s = day.to_string();
    let fields = [
        ("technician", "T-1"),
        ("day", day_s.as_str()),
        ("method", "cash"),
        ("amount", typed.as_str()),
    ];
    let p = desk.post("/handover", &fields);
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = desk.get(p.location.as_deref().unwrap());
    assert!(p.body.contains("交款已记录"), "{}", p.body);
    assert!(hq.reconciliation("T-1", day).balanced);

    let sign = [
        ("technician", "T-1"),
        ("day", day_s.as_str()),
        ("outcome", "confirm"),
    ];
    assert_eq!(
        desk.post("/handover/sign", &sign).status,
        StatusCode::FORBIDDEN
    );
    let mut sup = Browser::signed_in(&hq, "li");
    assert_eq!(
        sup.post("/handover/sign", &sign).status,
        StatusCode::FORBIDDEN
    );
    assert!(hq.rt.block_on(async {
        let s = onsite_hq::open(&hq.backend.url()).await.unwrap();
        s.handover_day("T-1", day).await.unwrap().signoff.is_none()
    }));

    let mut boss = Browser::signed_in(&hq, "zhao");
    let p = boss.get(&path);
    assert!(p.body.contains("确认对账无误并签核"), "{}", p.body);
    let p = boss.post("/handover/sign", &sign);
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = boss.get(p.location.as_deref().unwrap());
    assert!(p.body.contains("已确认"), "{}", p.body);
    assert!(p.body.contains("签核人 zhao"), "{}", p.body);
    assert!(!p.body.contains("确认对账无误并签核"), "signed once");
    hq.stop();
}
on_both!(a_day_of_real_receipts_is_handed_in_and_confirmed_by_the_manager);

#[test]
fn bad_handovers_are_refused_with_a_message_and_nothing_saved() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    hq.technician("T-1", "李师傅");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut b = Browser::signed_in(&hq, "wang");
    let day = today(Utc::now()).to_string();
    for (tech, amount, status, message) in [
        ("T-1", "abc", 422, "金额应为0到1,000,000元之间的数字"),
        ("T-1", "-5", 422, "金额应为0到1,000,000元之间的数字"),
        (
            "T-1",
            "99999999999",
            422,
            "金额应为0到1,000,000元之间的数字",
        ),
        ("T-1", "12.345", 422, "金额应为0到1,000,000元之间的数字"),
        (
            "T-1",
            "<script>alert(1)</script>",
            422,
            "金额应为0到1,000,000元之间的数字",
        ),
        ("NOBODY", "100", 404, "找不到该技术员"),
    ] {
        let fields = [
            ("technician", tech),
            ("day", day.as_str()),
            ("method", "cash"),
            ("amount", amount),
        ];
        let p = b.post("/handover", &fields);
        assert_eq!(p.status.as_u16(), status, "{amount}: {}", p.body);
        assert!(p.body.contains(message), "{amount}: {}", p.body);
        assert!(!p.body.contains("<script>alert"), "escaped");
    }
    let p = b.post(
        "/handover",
        &[
            ("technician", "T-1"),
            ("day", "yesterday"),
            ("method", "cash"),
            ("amount", "1"),
        ],
    );
    assert_eq!(p.status.as_u16(), 422);
    assert!(p.body.contains("日期格式应为"));
    let p = b.post(
        "/handover",
        &[
            ("technician", "T-1"),
            ("day", day.as_str()),
            ("method", "gold"),
            ("amount", "1"),
        ],
    );
    assert!(p.body.contains("请选择收款方式"));
    let r = hq.reconciliation("T-1", today(Utc::now()));
    assert!(r.lines.is_empty(), "nothing saved: {r:?}");
    assert!(b.get("/handover").body.contains("近14天没有收款或交款"));
    hq.stop();
}
