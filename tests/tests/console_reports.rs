//! The manager's reports over real HTTP, on SQLite and PostgreSQL: a phone
//! works three visits over real sync with known ratings and arrivals; the
//! daily summary lists them, the month's figures count them, the CSV
//! downloads say who exported them and when and are on the exporter's
//! trail; a supervisor gets 403.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_core::visit::Rating;
use onsite_hq::centre::people::Role;
use onsite_tests::console::{add_person, Browser};
use onsite_tests::harness::{Backend, Hq, Phone};
use onsite_tests::{
    declined_to_rate_and_sign, drive_accepted_to_acceptance, on_both, refused_signature,
};
use reqwest::header::COOKIE;
use reqwest::StatusCode;

/// A download's status and raw bytes (a browser keeps the byte-order mark).
fn download(hq: &Hq, b: &Browser, path: &str) -> (StatusCode, Vec<u8>) {
    let res = hq
        .rt
        .block_on(
            reqwest::Client::new()
                .get(format!("{}{path}", hq.url))
                .header(COOKIE, b.cookie.clone().unwrap())
                .send(),
        )
        .unwrap();
    let status = res.status();
    (status, hq.rt.block_on(res.bytes()).unwrap().to_vec())
}

fn reports_count_real_visits(b: Backend) {
    let hq = Hq::start(b);
    add_person(&hq, "zhao", "赵经理", Role::Manager);
    add_person(&hq, "li", "李主管", Role::Supervisor);
    let code = hq.technician("T-1", "张师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-1");
    let now = Utc::now();
    // Two on time, one two hours late.
    for (job, at) in [
        ("WO-R1", now),
        ("WO-R2", now),
        ("WO-R3", now - Duration::hours(2)),
    ] {
        hq.dispatch(&sample::leak_order(job, "T-1", at));
    }
    phone.sync();
    for (job, acceptance) in [
        ("WO-R1", refused_signature(Rating::Satisfied, false)),
        ("WO-R2", refused_signature(Rating::Dissatisfied, false)),
        ("WO-R3", declined_to_rate_and_sign("客户赶时间")),
    ] {
        phone.tech.accept_job(job).unwrap();
        drive_accepted_to_acceptance(&phone.tech, job, acceptance).unwrap();
    }
    phone.sync();

    let mut manager = Browser::signed_in(&hq, "zhao");
    let daily = manager.get("/reports");
    assert_eq!(daily.status, StatusCode::OK);
    for text in [
        "WO-R1",
        "WO-R2",
        "WO-R3",
        "翠湖花园",
        "客户已验收",
        "满意",
        "不满意",
        "拒绝评价",
    ] {
        assert!(daily.body.contains(text), "{text}: {}", daily.body);
    }

    let monthly = manager.get("/reports/monthly");
    assert_eq!(monthly.status, StatusCode::OK);
    assert!(
        monthly.body.contains("<dt>准时率</dt><dd>66.7% (2/3)</dd>"),
        "{}",
        monthly.body
    );
    assert!(monthly.body.contains("<dt>工单总数</dt><dd>3</dd>"));
    // Dissatisfied and declined are called back at once; satisfied is not.
    assert!(
        monthly.body.contains("<dt>回访率</dt><dd>66.7% (2/3)</dd>"),
        "{}",
        monthly.body
    );
    assert!(monthly.body.contains("<svg class=\"chart\""), "a chart");
    assert!(!monthly.body.contains("style="), "no inline style");

    let (status, bytes) = download(&hq, &manager, "/reports/monthly.csv");
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(bytes).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(csv.contains("导出人,赵经理 (zhao)\r\n导出时间,"), "{csv}");
    for line in [
        "维修质量,满意,1",
        "维修质量,不满意,1",
        "维修质量,拒绝评价,1",
        "维修质量,一般,0",
        "准时率,2/3,66.7%",
    ] {
        assert!(csv.contains(line), "{line}: {csv}");
    }
    let (status, bytes) = download(&hq, &manager, "/reports/daily.csv");
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(bytes).unwrap();
    assert!(
        csv.starts_with("\u{feff}每日报修记录汇总表 ") && csv.contains("导出人,赵经理 (zhao)"),
        "{csv}"
    );
    assert!(csv.contains("WO-R3") && csv.contains("拒绝评价"));
    let mine = manager.get("/account");
    assert!(
        mine.body.contains("导出每日报修汇总") && mine.body.contains("导出月度报表"),
        "{}",
        mine.body
    );

    // In English, the pages and the file speak English.
    let mut english = Browser::signed_in(&hq, "zhao");
    english.cookie = english.cookie.map(|c| format!("{c}; onsite_lang=en"));
    assert!(english
        .get("/reports")
        .body
        .contains("Daily repair summary"));
    let m = english.get("/reports/monthly");
    assert!(
        m.body.contains("Punctuality") && m.body.contains("Declined to rate"),
        "{}",
        m.body
    );
    let csv = String::from_utf8(download(&hq, &english, "/reports/monthly.csv").1).unwrap();
    assert!(
        csv.contains("Exported by,赵经理 (zhao)") && csv.contains("Repair quality,Satisfied,1"),
        "{csv}"
    );

    // Bad input is refused with a message.
    let p = manager.get("/reports?day=2026-13-45");
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("日期格式应为"));
    let p = manager.get("/reports/monthly?month=%3Cscript%3E");
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("月份格式应为") && !p.body.contains("<script>"));
    assert_eq!(
        download(&hq, &manager, "/reports/daily.csv?day=yesterday").0,
        StatusCode::BAD_REQUEST
    );

    // A supervisor sees no reports and downloads nothing.
    let mut sup = Browser::signed_in(&hq, "li");
    for path in [
        "/reports",
        "/reports/monthly",
        "/reports/daily.csv",
        "/reports/monthly.csv",
    ] {
        assert_eq!(sup.get(path).status, StatusCode::FORBIDDEN, "{path}");
    }
}
on_both!(reports_count_real_visits);

/// The month's complaints within their limits: one answered in time, one whose
/// 15-minute response ran out (clocks judged at a fixed `now`).
fn complaints_within_limits_count_in_the_month(b: Backend) {
    use onsite_hq::centre::audit::Actor;
    use onsite_hq::centre::complaints::{Kind, NewComplaint};
    let hq = Hq::start(b);
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let t = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&Utc)
    };
    let now = t("2026-11-10T10:21:00+08:00");
    let (in_time, missed) = hq.rt.block_on(async {
        let store = onsite_hq::open(&hq.backend.url()).await.unwrap();
        let complaint = |at: &str| NewComplaint {
            kind: Kind::Soft,
            channel: "phone".into(),
            customer_name: "陈女士".into(),
            customer_phone: "13800138000".into(),
            job_id: None,
            words: "师傅迟到".into(),
            owner: "wang".into(),
            received_at: t(at),
        };
        let by = Actor::Person("wang".into());
        let a = store
            .record_complaint(&by, complaint("2026-11-10T10:10:00+08:00"), now)
            .await
            .unwrap();
        let b = store
            .record_complaint(&by, complaint("2026-11-10T10:00:00+08:00"), now)
            .await
            .unwrap();
        let month = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let m = store.monthly_figures(month, now).await.unwrap();
        assert_eq!(m.complaints_soft, 2);
        assert_eq!(
            m.complaints_within_limits, 1,
            "10:00 not answered by 10:15 is out of its limit; 10:10 is still within"
        );
        // Ten minutes later the second one's clock has run out too.
        let later = store
            .monthly_figures(month, now + Duration::minutes(10))
            .await
            .unwrap();
        assert_eq!(later.complaints_within_limits, 0);
        (a, b)
    });
    assert_ne!(in_time, missed);
}
on_both!(complaints_within_limits_count_in_the_month);
