//! The complaints page (顾客投诉记录): a complaint recorded by a person, its
//! clocks by the books (a soft complaint not answered in 15 minutes is a
//! breach), each step with who took it, the follow-up after handling, and
//! the mark that reaches the phone with the customer's next order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_core::visit::{Complaint, ComplaintKind};
use onsite_hq::centre::audit::Actor;
use onsite_hq::centre::complaints::{Kind, NewComplaint, NewStep, Step};
use onsite_hq::centre::people::{hash_password, Person, Role};
use onsite_hq::console::page::local;
use onsite_hq::HqError;
use onsite_tests::console::{add_person, Browser};
use onsite_tests::harness::{Backend, Hq, Phone, Store};
use onsite_tests::on_both;
use reqwest::StatusCode;

fn complaint(owner: &str, minutes_ago: i64, job: Option<&str>) -> NewComplaint {
    NewComplaint {
        kind: Kind::Soft,
        channel: "phone".into(),
        customer_name: "张女士".into(),
        customer_phone: "139-8888-7777".into(),
        job_id: job.map(str::to_string),
        words: "师傅态度不好".into(),
        owner: owner.into(),
        received_at: Utc::now() - Duration::minutes(minutes_ago),
    }
}

fn step(s: Step) -> NewStep {
    NewStep {
        step: s,
        solution_day: None,
        satisfied: (s == Step::CalledBack).then_some(true),
        note: String::new(),
    }
}

/// The store's operations: a complaint with an unknown owner or order is
/// refused and leaves nothing; clocks run out into breaches; steps go in
/// order with who took them; handling queues the call-back; a closed
/// complaint has no open breach.
fn complaint_store_operations(b: Backend) {
    let db = Store::open(&b.url()).unwrap();
    let s = &db.store;
    let now = Utc::now();
    let wang = Actor::Person("wang".into());
    let person = Person {
        username: "wang".into(),
        display_name: "王芳".into(),
        role: Role::FrontDesk,
    };
    db.run(s.create_person(
        &Actor::Operator,
        person,
        hash_password("a test password").unwrap(),
        now,
    ))
    .unwrap();
    let e = db.run(s.record_complaint(&wang, complaint("nobody", 1, None), now));
    assert!(matches!(e, Err(HqError::NotFound(_))), "{e:?}");
    let e = db.run(s.record_complaint(&wang, complaint("wang", 1, Some("NO-SUCH")), now));
    assert!(matches!(e, Err(HqError::NotFound(_))), "{e:?}");
    assert!(
        db.run(s.complaint_book()).unwrap().is_empty(),
        "nothing half-saved"
    );

    db.run(s.create_technician("T-1", "李师傅", now)).unwrap();
    db.run(s.create_order(
        sample::leak_order("J-1", "T-1", now + Duration::hours(2)),
        now,
    ))
    .unwrap();
    let id = db
        .run(s.record_complaint(&wang, complaint("wang", 20, Some("J-1")), now))
        .unwrap();
    let breaches = db.run(s.open_breaches(now)).unwrap();
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(breaches[0].step, Step::Responded);
    assert_eq!(breaches[0].job_id.as_deref(), Some("J-1"));

    let e = db.run(s.record_complaint_step(&wang, &id, step(Step::Handled), now));
    assert!(
        matches!(e, Err(HqError::Conflict(_))),
        "steps go in order: {e:?}"
    );
    for st in [Step::Responded, Step::Checked, Step::Handled] {
        db.run(s.record_complaint_step(&wang, &id, step(st), now))
            .unwrap();
    }
    let c = db.run(s.complaint_book()).unwrap().remove(0);
    let steps: Vec<_> = c.steps.iter().map(|t| (t.step, t.by.as_str())).collect();
    assert_eq!(
        steps,
        [
            (Step::Responded, "wang"),
            (Step::Checked, "wang"),
            (Step::Handled, "wang")
        ]
    );
    let f = db.run(s.followups(None)).unwrap();
    let f = f
        .iter()
        .find(|f| f.reason == "complaint")
        .expect("call-back queued");
    assert_eq!(f.job_id, "J-1");
    // Responded 20 minutes after receipt is late and stays late while open.
    assert_eq!(db.run(s.open_breaches(now)).unwrap().len(), 1);
    db.run(s.record_complaint_step(&wang, &id, step(Step::CalledBack), now))
        .unwrap();
    assert!(db.run(s.open_breaches(now)).unwrap().is_empty(), "closed");
    let trail = db.run(s.audit_trail("J-1")).unwrap();
    let actions: Vec<_> = trail.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "complaint.record",
            "complaint.step",
            "complaint.step",
            "complaint.step",
            "complaint.step"
        ]
    );
}
on_both!(complaint_store_operations);

fn complaint_id(body: &str) -> String {
    let at =
        body.find("name=\"complaint\" value=\"").unwrap() + "name=\"complaint\" value=\"".len();
    let end = body[at..].find('"').unwrap() + at;
    body[at..end].to_string()
}

/// Over HTTP: a soft complaint received 20 minutes ago and not answered is
/// flagged; each step shows who took it; handling puts the call-back on the
/// follow-up queue; the customer's next order reaches the phone marked.
fn a_late_complaint_is_flagged_handled_step_by_step_and_marks_the_customer(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T-1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-T-1");
    hq.dispatch(&sample::leak_order(
        "J-1",
        "T-1",
        Utc::now() + Duration::hours(2),
    ));
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut b = Browser::signed_in(&hq, "wang");
    assert_eq!(b.get("/complaints").status, StatusCode::OK);
    let received = local(Utc::now() - Duration::minutes(20));
    let p = b.post(
        "/complaints",
        &[
            ("kind", "soft"),
            ("channel", "phone"),
            ("customer_name", "赵先生"),
            ("customer_phone", "136 1234 5678"),
            ("job_id", "J-1"),
            ("words", "<script>alert(1)</script>师傅迟到"),
            ("owner", "wang"),
            ("received_at", &received),
        ],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = b.get(p.location.as_deref().unwrap());
    assert!(page.body.contains("投诉已记录"), "{}", page.body);
    assert!(page.body.contains("赵先生"));
    assert!(
        page.body.contains("&lt;script&gt;alert(1)"),
        "shown escaped"
    );
    assert!(!page.body.contains("<script>alert"), "never run");
    assert!(page.body.contains("class=\"flag breach\""), "{}", page.body);
    assert!(page.body.contains("投诉超时"), "the banner: {}", page.body);
    let id = complaint_id(&page.body);

    // Out of order: refused with a message, nothing recorded.
    let p = b.post(
        "/complaints/step",
        &[("complaint", &id), ("step", "handled")],
    );
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("不是该投诉的下一步"), "{}", p.body);
    for st in ["responded", "checked", "handled"] {
        let p = b.post(
            "/complaints/step",
            &[("complaint", &id), ("step", st), ("note", "已致歉")],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{st}: {}", p.body);
    }
    let page = b.get("/complaints");
    assert!(
        page.body.contains("处理后回访满意度"),
        "the next step is the call-back"
    );
    assert_eq!(
        page.body.matches("<td>wang</td>").count(),
        3,
        "{}",
        page.body
    );
    let f = hq.followups();
    assert!(
        f.iter()
            .any(|f| f.job_id == "J-1" && f.reason == "complaint"),
        "{f:?}"
    );
    // The call-back needs the customer's answer.
    let p = b.post(
        "/complaints/step",
        &[("complaint", &id), ("step", "called_back")],
    );
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("回访须记录顾客是否满意"));

    // The customer's next order reaches the phone marked.
    let mut next = sample::leak_order("J-2", "T-1", Utc::now() + Duration::hours(26));
    next.customer.phone = "13612345678".into();
    hq.dispatch(&next);
    phone.sync();
    assert!(phone.tech.job("J-2").unwrap().order.complained_before);
    assert!(!phone.tech.job("J-1").unwrap().order.complained_before);

    // A complaint the technician recorded on site shows too, its clock
    // running from when HQ received it, with a form for its first step.
    phone.tech.accept_job("J-2").unwrap();
    onsite_tests::drive_accepted_to_quote(&phone.tech, "J-2").unwrap();
    let words = Complaint {
        kind: ComplaintKind::Hard,
        words: "上次换的龙头又坏了".into(),
    };
    phone.tech.record_complaint("J-2", words).unwrap();
    phone.sync();
    let page = b.get("/complaints");
    assert!(page.body.contains("上次换的龙头又坏了"), "{}", page.body);
    assert!(page.body.contains("上门现场"));
    assert!(page.body.contains("第一反应(1小时内)"));
    assert_eq!(page.body.matches("name=\"complaint\"").count(), 2);
    hq.stop();
}
on_both!(a_late_complaint_is_flagged_handled_step_by_step_and_marks_the_customer);

#[test]
fn bad_complaints_are_refused_with_a_message_and_nothing_saved() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    add_person(&hq, "root", "管理员", Role::Admin);
    let mut b = Browser::signed_in(&hq, "wang");
    b.get("/complaints");
    let good = [
        ("kind", "hard"),
        ("channel", "visit"),
        ("customer_name", "赵先生"),
        ("customer_phone", "136 1234 5678"),
        ("job_id", ""),
        ("words", "柜门开裂"),
        ("owner", "wang"),
        ("received_at", ""),
    ];
    let with = |k: &str, v: &'static str| {
        good.iter()
            .map(|(gk, gv)| (*gk, if *gk == k { v } else { *gv }))
            .collect::<Vec<_>>()
    };
    let long = "长".repeat(2001).leak();
    for (field, value, status, message) in [
        ("customer_name", "", 422, "请填写顾客姓名"),
        ("customer_phone", "abc", 422, "至少要有5位数字"),
        ("words", &*long, 422, "超出长度限制"),
        ("job_id", "FORGED-1", 404, "找不到该工单号"),
        ("owner", "root", 422, "负责人不是客服中心的在职人员"),
        ("owner", "nobody", 422, "负责人不是客服中心的在职人员"),
        ("kind", "furious", 422, "请选择投诉类别"),
        ("received_at", "yesterday", 422, "接到时间格式"),
        ("received_at", "2099-01-01 10:00", 422, "不能晚于现在"),
    ] {
        let p = b.post("/complaints", &with(field, value));
        assert_eq!(p.status.as_u16(), status, "{field}={value}: {}", p.body);
        assert!(p.body.contains(message), "{field}={value}: {}", p.body);
        assert!(
            p.body.contains("柜门开裂") || field == "words",
            "values kept"
        );
    }
    assert!(
        b.get("/complaints").body.contains("暂无投诉"),
        "nothing saved"
    );
    // The admin runs the system, not complaints.
    let mut admin = Browser::signed_in(&hq, "root");
    assert_eq!(admin.get("/complaints").status, StatusCode::FORBIDDEN);
    assert_eq!(
        admin.post("/complaints", &good).status,
        StatusCode::FORBIDDEN
    );
    hq.stop();
}
