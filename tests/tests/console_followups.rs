//! The follow-up page over real HTTP with a real phone over real sync: the
//! queue due first with overdue ones flagged, a call recorded and closed, a
//! revisit opened, dispatched and linked (and its own follow-up back in the
//! queue once rated), the month's rate, bad input refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_core::visit::{Rating, Status};
use onsite_hq::centre::audit::Actor;
use onsite_hq::centre::people::Role;
use onsite_tests::console::{add_person, Browser, Page};
use onsite_tests::harness::{hq_and_phone, sqlite_backend, Backend, Hq, Phone};
use onsite_tests::{
    drive_accepted_to_acceptance, drive_accepted_to_handover, on_both, refused_signature,
};
use reqwest::StatusCode;

fn dispatch(hq: &Hq, phone: &Phone, job: &str) {
    hq.dispatch(&sample::leak_order(
        job,
        &phone.tech.profile().technician_id,
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
}

/// The queue's row of `job` for `reason` text, if listed.
fn row<'a>(p: &'a Page, job: &str, reason_text: &str) -> Option<&'a str> {
    let at = p.body.find("id=\"queue\"")?;
    p.body[at..]
        .split("<tr")
        .find(|r| r.contains(&format!("data-job=\"{job}\"")) && r.contains(reason_text))
}

fn trail(hq: &Hq, job: &str) -> Vec<onsite_hq::centre::audit::AuditEntry> {
    hq.rt
        .block_on(async {
            let store = onsite_hq::open(&hq.backend.url()).await?;
            store.audit_trail(job).await
        })
        .unwrap()
}

fn call(job: &str, reason: &str, satisfied: &str, outcome: &str) -> Vec<(String, String)> {
    [
        ("job_id", job),
        ("reason", reason),
        ("reached", "yes"),
        ("satisfied", satisfied),
        ("notes", "客户说明情况"),
        ("outcome", outcome),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn post(b: &mut Browser<'_>, fields: &[(String, String)]) -> Page {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post("/followups/call", &f)
}

fn follow_ups_are_called_closed_and_revisited(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T-41");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let t = &phone.tech;
    // An average rating, handed over: called at once, and the month's only completed order.
    dispatch(&hq, &phone, "WO-F-1");
    drive_accepted_to_handover(t, "WO-F-1").unwrap();
    // Satisfied but the fix uncertain: called 3 hours later.
    dispatch(&hq, &phone, "WO-F-2");
    t.accept_job("WO-F-2").unwrap();
    drive_accepted_to_acceptance(t, "WO-F-2", refused_signature(Rating::Satisfied, true)).unwrap();
    phone.sync();

    let mut desk = Browser::signed_in(&hq, "wang");
    let q = desk.get("/followups");
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    let rating = row(&q, "WO-F-1", "评价一般或不满意").expect("rating row");
    let unsure = row(&q, "WO-F-2", "没有彻底修复把握").expect("fix_uncertain row");
    assert!(
        row(&q, "WO-F-1", "月度抽样").is_some(),
        "30% of one order is one"
    );
    assert!(rating.contains("class=\"overdue\"") && rating.contains("已超时"));
    assert!(!unsure.contains("overdue"), "due in 3 hours: {unsure}");
    assert!(
        q.body.find("data-job=\"WO-F-1\"").unwrap() < q.body.find("data-job=\"WO-F-2\"").unwrap(),
        "due first"
    );
    assert!(
        q.body.contains("0%") && q.body.contains("(0 / 1"),
        "{}",
        q.body
    );

    // Satisfied: recorded and closed.
    let done = post(&mut desk, &call("WO-F-2", "fix_uncertain", "yes", "close"));
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("已记录回访"));
    assert!(row(&done, "WO-F-2", "没有彻底修复把握").is_none(), "closed");

    // Not satisfied: a revisit to the same technician, linked.
    let rv = post(&mut desk, &call("WO-F-1", "rating", "no", "revisit"));
    assert_eq!(rv.status, StatusCode::OK, "{}", rv.body);
    assert!(rv.body.contains("WO-F-1-R1"), "{}", rv.body);
    assert!(row(&rv, "WO-F-1", "评价一般或不满意").is_none());
    assert!(
        rv.body.contains("100%") && rv.body.contains("(1 / 1"),
        "{}",
        rv.body
    );
    let revisit = hq.visit("WO-F-1-R1");
    assert_eq!(revisit.status, Status::Dispatched);
    assert_eq!(revisit.order.technician_id, "T-41");
    assert_eq!(revisit.order.customer, hq.visit("WO-F-1").order.customer);
    let actions: Vec<_> = trail(&hq, "WO-F-1")
        .into_iter()
        .filter(|e| e.actor == Actor::Person("wang".into()))
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["followup.revisit", "followup.call"]);

    // The revisit reaches the phone; rated dissatisfied, it is back in the queue, linked.
    phone.sync();
    t.accept_job("WO-F-1-R1").unwrap();
    drive_accepted_to_acceptance(
        t,
        "WO-F-1-R1",
        refused_signature(Rating::Dissatisfied, false),
    )
    .unwrap();
    phone.sync();
    let again = desk.get("/followups");
    let back = row(&again, "WO-F-1-R1", "评价一般或不满意").expect("the revisit's follow-up");
    assert!(back.contains("返修自 WO-F-1"), "{back}");
}
on_both!(follow_ups_are_called_closed_and_revisited);

#[test]
fn bad_calls_are_refused_and_nothing_saved() {
    let (_d, b) = sqlite_backend();
    let (hq, phone) = hq_and_phone(b, "T-42");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    add_person(&hq, "root", "管理员", Role::Admin);
    dispatch(&hq, &phone, "WO-F-3");
    phone.tech.accept_job("WO-F-3").unwrap();
    drive_accepted_to_acceptance(
        &phone.tech,
        "WO-F-3",
        refused_signature(Rating::Dissatisfied, false),
    )
    .unwrap();
    phone.sync();
    let mut desk = Browser::signed_in(&hq, "wang");
    let long = "长".repeat(1001);
    let with = |k: &str, v: &str| {
        let mut f = call("WO-F-3", "rating", "no", "revisit");
        f.retain(|(key, _)| key != k);
        f.push((k.to_string(), v.to_string()));
        f
    };
    let cases = [
        (
            with("notes", "  "),
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写所有必填项",
        ),
        (
            with("notes", &long),
            StatusCode::UNPROCESSABLE_ENTITY,
            "内容过长",
        ),
        (
            with("notes", "<script>alert(1)</script>"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "不能包含",
        ),
        (
            with("reached", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "是否联系上",
        ),
        (
            with("outcome", "close"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "客户满意才能结束回访",
        ),
        (
            with("job_id", "WO-NOPE"),
            StatusCode::NOT_FOUND,
            "找不到该工单或该回访",
        ),
        (
            with("reason", "fix_uncertain"),
            StatusCode::NOT_FOUND,
            "找不到该工单或该回访",
        ),
        (
            with("technician", "T-NOPE"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "没有这个技术员编号",
        ),
    ];
    for (fields, status, message) in &cases {
        let p = post(&mut desk, fields);
        assert_eq!(p.status, *status, "{fields:?}: {}", p.body);
        assert!(p.body.contains(message), "{fields:?}: {}", p.body);
        assert!(!p.body.contains("<script>alert"), "escaped");
    }
    let q = desk.get("/followups");
    let r = row(&q, "WO-F-3", "评价一般或不满意").expect("still open");
    assert!(r.contains("<td class=\"num\">0</td>"), "no call saved: {r}");
    assert!(trail(&hq, "WO-F-3")
        .iter()
        .all(|e| !e.action.starts_with("followup.")));
    assert!(
        hq.rt.block_on(hq.api.get_order("WO-F-3-R1")).is_err(),
        "no revisit"
    );

    let bad_month = desk.get("/followups?month=2026-13");
    assert_eq!(bad_month.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_month.body.contains("月份格式应为"),
        "{}",
        bad_month.body
    );

    // An administrator runs the system, not the calls.
    let mut admin = Browser::signed_in(&hq, "root");
    assert_eq!(admin.get("/followups").status, StatusCode::FORBIDDEN);
    let p = post(&mut admin, &call("WO-F-3", "rating", "no", "revisit"));
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}
