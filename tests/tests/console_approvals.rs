//! The approvals page over real HTTP with a real phone over real sync: the
//! code a supervisor reads out approves the phone's off-schedule line
//! offline; the same code with another amount or for another order is
//! refused on the phone; once the phone syncs, the page shows it matched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::charge::{charge_code, Instruction};
use onsite_core::checklist::Phase;
use onsite_core::money::Fen;
use onsite_core::quote::{LineItem, LineKind, LineRequest};
use onsite_core::visit::Assessment;
use onsite_core::{sample, Error, Technician};
use onsite_hq::centre::audit::Actor;
use onsite_hq::centre::people::Role;
use onsite_hq::console::page::yuan;
use onsite_tests::console::{add_person, Browser, Page};
use onsite_tests::harness::{hq_and_phone, sqlite_backend, Backend, Hq, Phone};
use onsite_tests::{drive_accepted_to_quote, on_both};
use reqwest::StatusCode;

/// The code shown on the page after an approval.
fn code_of(p: &Page) -> String {
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let at = p.body.find("id=\"code\">").expect("a code on the page") + "id=\"code\">".len();
    p.body[at..at + 6].to_string()
}

/// The row of the recent approvals that shows `code`.
fn row_of<'a>(p: &'a Page, code: &str) -> &'a str {
    let table = &p.body[p.body.find("id=\"recent\"").expect("the list")..];
    table
        .split("<tr>")
        .find(|r| r.contains(&format!(">{code}<")))
        .unwrap_or_else(|| panic!("no row with {code}: {table}"))
}

/// Dispatches `job` to the phone's technician and walks it, offline, to an
/// assessed visit with one off-schedule line (拆除旧吊顶, ¥150 × 1) awaiting approval.
fn job_with_off_schedule_line(hq: &Hq, phone: &Phone, job: &str) {
    let t: &Technician = &phone.tech;
    hq.dispatch(&sample::leak_order(
        job,
        &t.profile().technician_id,
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
    t.accept_job(job).unwrap();
    sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
    t.depart(job).unwrap();
    t.arrive_with_reason(job, "路上堵车").unwrap();
    sample::complete_checklist(t, job, Phase::Arrival).unwrap();
    t.assess(
        job,
        Assessment {
            findings: "吊顶内管道渗漏".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let v = t
        .add_quote_line(
            job,
            &LineRequest {
                item: LineItem::OffSchedule {
                    kind: LineKind::Part,
                    description: "拆除旧吊顶".into(),
                    unit_price_fen: 15_000,
                },
                qty: 1,
                payer: None,
            },
        )
        .unwrap();
    assert_eq!(v.quote_lines[0].unit_price.fen(), 15_000);
}

fn line_fields<'a>(job: &'a str, price: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("job_id", job),
        ("line_no", "1"),
        ("kind", "part"),
        ("item", "拆除旧吊顶"),
        ("unit_price", price),
        ("qty", "1"),
    ]
}

fn approval_code_matches_on_the_phone(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T-31");
    add_person(&hq, "zhao", "赵主管", Role::Supervisor);
    job_with_off_schedule_line(&hq, &phone, "WO-AP-1");
    job_with_off_schedule_line(&hq, &phone, "WO-AP-2");
    let mut sup = Browser::signed_in(&hq, "zhao");

    let found = sup.get("/approvals?job_id=WO-AP-1");
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains("T-31"), "the technician is shown");
    // HQ holds what the phone last synced (the second job's sync carried the first's steps).
    assert!(found.body.contains("已查勘"), "the status: {}", found.body);
    assert!(
        found.body.contains("拆除旧吊顶") && found.body.contains("待审批"),
        "the quote line awaiting approval"
    );

    let code = code_of(&sup.post("/approvals/line", &line_fields("WO-AP-1", "150")));
    let dearer = code_of(&sup.post("/approvals/line", &line_fields("WO-AP-1", "160.00")));
    let other_order = code_of(&sup.post("/approvals/line", &line_fields("WO-AP-2", "150")));
    assert_ne!(code, dearer);
    assert_ne!(code, other_order);

    // On the phone, offline: the code for another amount or order fails.
    let t = &phone.tech;
    for wrong in [&dearer, &other_order] {
        assert!(
            matches!(
                t.approve_quote_line("WO-AP-1", 1, "赵主管", wrong),
                Err(Error::InvalidApprovalCode { line_no: 1 })
            ),
            "{wrong} must fail"
        );
    }
    let before = sup.get("/approvals");
    assert!(
        row_of(&before, &code).contains("未同步"),
        "not matched before sync"
    );
    t.approve_quote_line("WO-AP-1", 1, "赵主管", &code).unwrap();
    phone.sync();

    let after = sup.get("/approvals");
    assert!(row_of(&after, &code).contains("已匹配"), "{}", after.body);
    assert!(row_of(&after, &dearer).contains("未同步"));
    assert!(row_of(&after, &other_order).contains("未同步"));

    // A disputed charge: the decision's code works on the phone for that
    // amount only, and the page shows it matched after sync.
    let job = "WO-AP-5";
    hq.dispatch(&sample::leak_order(
        job,
        &t.profile().technician_id,
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
    t.accept_job(job).unwrap();
    drive_accepted_to_quote(t, job).unwrap();
    let charge = t.job(job).unwrap().quoted_charge();
    t.dispute_charge(job, &sample::refused_charge(charge))
        .unwrap();
    let half = charge.fen() / 2;
    let half_yuan = format!("{}.{:02}", half / 100, half % 100);
    let page = sup.post(
        "/approvals/charge",
        &[
            ("job_id", job),
            ("decision", "reduce"),
            ("reduce_to", &half_yuan),
        ],
    );
    let reduce_code = code_of(&page);
    let reduce = Instruction::Reduce {
        to: Fen::new(half).unwrap(),
    };
    let key = t.profile().approval_key.clone();
    assert_eq!(
        reduce_code,
        charge_code(key.as_bytes(), job, reduce),
        "the core's code"
    );
    assert!(
        page.body.contains(&format!("减至 {}", yuan(half))),
        "{}",
        page.body
    );
    let other_amount = Instruction::Reduce {
        to: Fen::new(half - 100).unwrap(),
    };
    assert!(matches!(
        t.enter_charge_instruction(job, other_amount, "赵主管", &reduce_code),
        Err(Error::InvalidChargeCode)
    ));
    t.enter_charge_instruction(job, reduce, "赵主管", &reduce_code)
        .unwrap();
    phone.sync();
    let listed = sup.get("/approvals");
    assert!(
        row_of(&listed, &reduce_code).contains("已匹配"),
        "{}",
        listed.body
    );

    // Who gave each code is on the order's trail.
    let trail = hq
        .rt
        .block_on(async {
            let store = onsite_hq::open(&hq.backend.url()).await?;
            store.audit_trail("WO-AP-1").await
        })
        .unwrap();
    let lines: Vec<_> = trail
        .iter()
        .filter(|e| e.action == "approval.line")
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines
        .iter()
        .all(|e| e.actor == Actor::Person("zhao".into())));
}
on_both!(approval_code_matches_on_the_phone);

/// Fields posted, the status expected and a piece of the message.
type Case<'a> = (Vec<(&'a str, &'a str)>, StatusCode, &'a str);

#[test]
fn bad_input_is_refused_with_a_message_and_nothing_saved() {
    let (_d, b) = sqlite_backend();
    let (hq, phone) = hq_and_phone(b, "T-32");
    add_person(&hq, "zhao", "赵主管", Role::Supervisor);
    job_with_off_schedule_line(&hq, &phone, "WO-AP-3");
    let mut sup = Browser::signed_in(&hq, "zhao");
    let long = "长".repeat(201);
    let cases: Vec<Case> = vec![
        (
            vec![
                ("job_id", "WO-AP-3"),
                ("line_no", "1"),
                ("kind", "part"),
                ("item", " "),
                ("unit_price", "150"),
                ("qty", "1"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写所有必填项",
        ),
        (
            vec![
                ("job_id", "WO-AP-3"),
                ("line_no", "1"),
                ("kind", "part"),
                ("item", &long),
                ("unit_price", "150"),
                ("qty", "1"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "内容过长",
        ),
        (
            vec![
                ("job_id", "WO-AP-3"),
                ("line_no", "1"),
                ("kind", "part"),
                ("item", "<script>alert(1)</script>"),
                ("unit_price", "150"),
                ("qty", "1"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "不能包含 &lt; &gt;",
        ),
        (
            vec![
                ("job_id", "WO-AP-3"),
                ("line_no", "1"),
                ("kind", "part"),
                ("item", "拆除旧吊顶"),
                ("unit_price", "1.234"),
                ("qty", "1"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "单价应为金额",
        ),
        (
            vec![
                ("job_id", "WO-AP-3"),
                ("line_no", "x"),
                ("kind", "part"),
                ("item", "拆除旧吊顶"),
                ("unit_price", "150"),
                ("qty", "1"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "行号应为",
        ),
        (
            vec![
                ("job_id", "WO-NOPE"),
                ("line_no", "1"),
                ("kind", "part"),
                ("item", "拆除旧吊顶"),
                ("unit_price", "150"),
                ("qty", "1"),
            ],
            StatusCode::NOT_FOUND,
            "没有这个工单号",
        ),
    ];
    for (fields, status, message) in cases {
        let p = sup.post("/approvals/line", &fields);
        assert_eq!(p.status, status, "{fields:?}: {}", p.body);
        assert!(p.body.contains(message), "{fields:?}: {}", p.body);
        assert!(!p.body.contains("<script>alert"), "escaped: {fields:?}");
        assert!(!p.body.contains("id=\"code\""), "no code given: {fields:?}");
    }
    let charge = sup.post(
        "/approvals/charge",
        &[
            ("job_id", "WO-AP-3"),
            ("decision", "reduce"),
            ("reduce_to", "abc"),
        ],
    );
    assert_eq!(charge.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(charge.body.contains("减至金额应为金额"), "{}", charge.body);
    let nothing = sup.get("/approvals");
    assert!(
        nothing.body.contains("还没有审批"),
        "nothing saved: {}",
        nothing.body
    );
    let unknown = sup.get("/approvals?job_id=WO-NOPE");
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("没有这个工单号"));
}

#[test]
fn front_desk_may_not_approve() {
    let (_d, b) = sqlite_backend();
    let (hq, phone) = hq_and_phone(b, "T-33");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    job_with_off_schedule_line(&hq, &phone, "WO-AP-4");
    let mut desk = Browser::signed_in(&hq, "wang");
    assert_eq!(desk.get("/approvals").status, StatusCode::FORBIDDEN);
    assert_eq!(
        desk.get("/approvals?job_id=WO-AP-4").status,
        StatusCode::FORBIDDEN
    );
    let p = desk.post("/approvals/line", &line_fields("WO-AP-4", "150"));
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(!p.body.contains("id=\"code\""));
    let c = desk.post(
        "/approvals/charge",
        &[("job_id", "WO-AP-4"), ("decision", "waive")],
    );
    assert_eq!(c.status, StatusCode::FORBIDDEN);
    let trail = hq
        .rt
        .block_on(async {
            let store = onsite_hq::open(&hq.backend.url()).await?;
            store.audit_trail("WO-AP-4").await
        })
        .unwrap();
    assert!(trail.iter().all(|e| !e.action.starts_with("approval.")));
}
