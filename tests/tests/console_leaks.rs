//! Leak response (issue 14, item 8), over real HTTP on SQLite and
//! PostgreSQL: a manager records a suspected leak naming a phone and a
//! person; the phone is revoked with wipe at once (its next sync is told to
//! wipe), and the leak's page lists exactly the customers whose data that
//! phone or person read in the chosen period — from the access log, with
//! the customers' names and phones — and nobody else's. Reading the list is
//! itself logged; its CSV says who exported it. A report naming something
//! unknown does nothing at all.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_hq::centre::people::Role;
use onsite_tests::console::{add_person, Browser};
use onsite_tests::harness::{Backend, Hq, Phone};
use onsite_tests::{on_both, peek};
use reqwest::header::COOKIE;
use reqwest::StatusCode;

/// Three orders for three customers: WO-L1 on T-1's phone, WO-L2 and WO-L3 on T-2's.
fn orders(hq: &Hq) {
    let at = Utc::now() + Duration::hours(2);
    for (job, tech, name, phone) in [
        ("WO-L1", "T-1", "陈先生", "139-1111-2222"),
        ("WO-L2", "T-2", "刘女士", "137-3333-4444"),
        ("WO-L3", "T-2", "赵先生", "136-5555-6666"),
    ] {
        let mut o = sample::leak_order(job, tech, at);
        o.customer.name = name.into();
        o.customer.phone = phone.into();
        hq.dispatch(&o);
    }
}

fn china_day(days_from_today: i64) -> String {
    (Utc::now() + Duration::hours(8) + Duration::days(days_from_today))
        .format("%Y-%m-%d")
        .to_string()
}

fn count(hq: &Hq, sql: &str) -> i64 {
    peek::query(&hq.backend.url(), sql, &[])[0].int(0)
}

fn a_recorded_leak_wipes_the_phone_and_lists_whom_it_concerns(b: Backend) {
    let hq = Hq::start(b);
    add_person(&hq, "mgr", "赵经理", Role::Manager);
    add_person(&hq, "desk", "王芳", Role::FrontDesk);
    add_person(&hq, "sup", "孙主管", Role::Supervisor);
    let lost = Phone::enroll(&hq.url, &hq.technician("T-1", "张师傅"), "DEV-T1");
    let other = Phone::enroll(&hq.url, &hq.technician("T-2", "李师傅"), "DEV-T2");
    orders(&hq);
    // The phones take their jobs (a read by each phone), the front desk
    // opens WO-L2, the supervisor WO-L3.
    lost.client.sync_now(&lost.tech, None).unwrap();
    other.client.sync_now(&other.tech, None).unwrap();
    let mut desk = Browser::signed_in(&hq, "desk");
    assert_eq!(desk.get("/orders/WO-L2").status, StatusCode::OK);
    let mut sup = Browser::signed_in(&hq, "sup");
    assert_eq!(sup.get("/orders/WO-L3").status, StatusCode::OK);

    // Only a manager responds to a leak.
    let refused = desk.get("/leaks");
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!desk.get("/").body.contains("泄露处置"));
    assert_eq!(
        desk.post(
            "/leaks",
            &[
                ("what", "x"),
                ("noticed_at", "2026-11-28T10:00"),
                ("device", "DEV-T1")
            ]
        )
        .status,
        StatusCode::FORBIDDEN
    );

    let mut mgr = Browser::signed_in(&hq, "mgr");
    let form = mgr.get("/leaks");
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("DEV-T1") && form.body.contains("王芳"));

    // Something unknown among the suspects: nothing is done, not even to the known phone.
    let typo = mgr.post(
        "/leaks",
        &[
            ("what", "手机在地铁上丢失"),
            ("noticed_at", "2026-11-28T10:00"),
            ("from", &china_day(-1)),
            ("to", &china_day(0)),
            ("device", "DEV-T1"),
            ("device", "DEV-NOPE"),
        ],
    );
    assert_eq!(typo.status, StatusCode::NOT_FOUND, "{}", typo.body);
    assert!(typo.body.contains("未作任何处置"), "{}", typo.body);
    assert_eq!(count(&hq, "SELECT COUNT(*) FROM leaks"), 0);
    assert_eq!(
        count(
            &hq,
            "SELECT COUNT(*) FROM devices WHERE wipe_ordered_at IS NOT NULL"
        ),
        0
    );
    // A period that ends before it starts.
    let reversed = mgr.post(
        "/leaks",
        &[
            ("what", "手机在地铁上丢失"),
            ("noticed_at", "2026-11-28T10:00"),
            ("from", &china_day(0)),
            ("to", &china_day(-3)),
            ("device", "DEV-T1"),
        ],
    );
    assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reversed.body.contains("截止日期早于起始日期"));

    let recorded = mgr.post(
        "/leaks",
        &[
            ("what", "手机在地铁上丢失;客服专员电脑疑被他人使用"),
            ("noticed_at", "2026-11-28T10:00"),
            ("from", &china_day(-1)),
            ("to", &china_day(0)),
            ("device", "DEV-T1"),
            ("person", "desk"),
        ],
    );
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let at = recorded.location.clone().unwrap();
    let page = mgr.get(&at);
    assert_eq!(page.status, StatusCode::OK);
    // The customers the phone and the front desk read, whole, and no one else.
    assert!(page.body.contains("WO-L1") && page.body.contains("陈先生"));
    assert!(page.body.contains("139-1111-2222"));
    assert!(page.body.contains("WO-L2") && page.body.contains("刘女士"));
    assert!(
        !page.body.contains("WO-L3") && !page.body.contains("赵先生"),
        "the supervisor's read is not the suspects': {}",
        page.body
    );
    assert!(page.body.contains("已吊销并远程擦除"));

    // The phone is told to wipe at its next contact; the other phone is not.
    let wiped = lost.client.sync_now(&lost.tech, None);
    assert!(matches!(wiped, Err(onsite_core::Error::Wiped)), "{wiped:?}");
    other.client.sync_now(&other.tech, None).unwrap();

    // Audited as the manager's acts; listing the customers is a logged look.
    let trail = peek::query(
        &hq.backend.url(),
        "SELECT actor, action FROM audit WHERE action IN ('leak.record', 'device.wipe') ORDER BY id",
        &[],
    );
    let trail: Vec<(String, String)> = trail.iter().map(|r| (r.text(0), r.text(1))).collect();
    assert_eq!(
        trail,
        [
            ("person:mgr".to_string(), "device.wipe".to_string()),
            ("person:mgr".to_string(), "leak.record".to_string()),
        ]
    );
    assert_eq!(
        count(
            &hq,
            "SELECT COUNT(*) FROM access_log WHERE reader = 'person:mgr' AND kind = 'leak' AND job_id IN ('WO-L1', 'WO-L2')"
        ),
        2
    );

    // The file carries who exported it, and the same customers.
    let res = hq
        .rt
        .block_on(
            reqwest::Client::new()
                .get(format!("{}{at}/customers.csv", hq.url))
                .header(COOKIE, mgr.cookie.clone().unwrap())
                .send(),
        )
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csv = hq.rt.block_on(res.text()).unwrap();
    assert!(
        csv.contains("导出人") && csv.contains("赵经理 (mgr)"),
        "{csv}"
    );
    assert!(csv.contains("陈先生") && csv.contains("刘女士") && !csv.contains("赵先生"));

    // A period before any of it lists no one.
    let earlier = mgr.post(
        "/leaks",
        &[
            ("what", "旧事复查"),
            ("noticed_at", "2026-11-28T10:00"),
            ("from", "2025-01-01"),
            ("to", "2025-01-31"),
            ("person", "desk"),
        ],
    );
    let page = mgr.get(&earlier.location.unwrap());
    assert!(
        page.body.contains("没有查阅过任何客户资料"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("WO-L2"));
    // The list of leaks shows both, newest first.
    let list = mgr.get("/leaks").body;
    let (a, b) = (
        list.find("旧事复查").unwrap(),
        list.find("手机在地铁上丢失").unwrap(),
    );
    assert!(a < b);
}
on_both!(a_recorded_leak_wipes_the_phone_and_lists_whom_it_concerns);
