//! Reception and the dispatch board over real HTTP: a call becomes an order
//! with its recorder, search finds it, the unassigned queue reaches a real
//! phone, reassign/reschedule/cancel reach the board and the audit trail,
//! bad order forms write nothing, and roles are held to the table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_hq::centre::audit::{Actor, AuditEntry};
use onsite_hq::centre::people::Role;
use onsite_tests::console::{add_person, Browser};
use onsite_tests::harness::{Backend, Hq, Phone};
use onsite_tests::on_both;
use reqwest::StatusCode;

fn trail(hq: &Hq, job: &str) -> Vec<AuditEntry> {
    hq.rt
        .block_on(async {
            let store = onsite_hq::open(&hq.backend.url()).await?;
            store.audit_trail(job).await
        })
        .unwrap()
}

/// A `datetime-local` value in China time, `minutes` from now.
fn china_in(minutes: i64) -> String {
    (Utc::now() + Duration::minutes(minutes) + Duration::hours(8))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The order form's fields for a plain property repair.
fn order_fields<'a>(tech: &'a str, appointment: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("category", "property_repair"),
        ("site", "翠湖花园"),
        ("customer_name", "陈先生"),
        ("customer_phone", "138-0013-8000"),
        ("location", "3-1201"),
        ("reported_at", appointment),
        ("appointment_at", appointment),
        ("service", "水管维修"),
        ("fault", "厨房水管漏水"),
        ("default_payer", "owner"),
        ("unpaid_balance", "12.50"),
        ("technician_id", tech),
    ]
}

/// Writes an order through the form; returns its number.
fn write(b: &mut Browser, fields: &[(&str, &str)]) -> String {
    let p = b.post("/orders", fields);
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let loc = p.location.unwrap();
    let job = loc.split("written=").nth(1).unwrap().to_string();
    assert!(
        job.starts_with("WO-") && job.len() == "WO-20261128-0001".len(),
        "{job}"
    );
    job
}

fn call_becomes_an_order_with_its_recorder_and_is_found(b: Backend) {
    let hq = Hq::start(b);
    hq.technician("T1", "李师傅");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");

    let p = desk.post(
        "/reception",
        &[
            ("channel", "phone"),
            ("caller", "陈先生"),
            ("phone", "138-0013-8000"),
            ("site", "翠湖花园"),
            ("location", "3-1201"),
            ("category", "property_repair"),
            ("request", "厨房水管漏水"),
        ],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let id = p.location.unwrap().rsplit('=').next().unwrap().to_string();
    let list = desk.get("/reception");
    assert!(list.body.contains("陈先生") && list.body.contains("厨房水管漏水"));
    assert!(list.body.contains(&format!("/orders/new?call={id}")));

    let form = desk.get(&format!("/orders/new?call={id}"));
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("value=\"陈先生\"") && form.body.contains("value=\"3-1201\""),
        "the form is prefilled from the call: {}",
        form.body
    );
    assert!(
        form.body.contains("value=\"王芳\" readonly")
            || form.body.contains("readonly value=\"王芳\"")
    );

    let appointment = china_in(120);
    let mut fields = order_fields("T1", &appointment);
    fields.push(("call", &id));
    // A recorder posted by hand is not taken: the signed-in person records.
    fields.push(("recorder", "冒名"));
    let job = write(&mut desk, &fields);
    let v = hq.visit(&job);
    assert_eq!(v.order.recorder, "王芳");
    assert_eq!(v.order.customer.name, "陈先生");
    assert_eq!(v.order.unpaid_balance_fen, 1250);
    assert!(
        desk.get("/reception").body.contains(&job),
        "the call links to its order"
    );
    let again = desk.post("/orders", &fields);
    assert_eq!(again.status, StatusCode::CONFLICT, "a call makes one order");

    let day = job[3..11].to_string();
    let day = format!("{}-{}-{}", &day[..4], &day[4..6], &day[6..]);
    let appointment_day = &appointment[..10];
    for q in [
        format!("/orders?q={job}"),
        "/orders?q=%E9%99%88".to_string(), // 陈
        "/orders?q=1380013".to_string(),
        "/orders?q=138-0013-8000".to_string(),
        "/orders?q=3-12".to_string(),
        format!("/orders?day={appointment_day}"),
    ] {
        let found = desk.get(&q);
        assert!(
            found.body.contains(&job),
            "{q} finds {job} (order day {day})"
        );
    }
    for q in [
        "/orders?q=%E7%8E%8B".to_string(),
        "/orders?q=139".to_string(),
        "/orders?day=2020-01-01".to_string(),
    ] {
        assert!(!desk.get(&q).body.contains(&job), "{q} does not find it");
    }
    let entries = trail(&hq, &job);
    assert_eq!(entries[0].action, "order.create");
    assert_eq!(entries[0].actor, Actor::Person("wang".into()));
}
on_both!(call_becomes_an_order_with_its_recorder_and_is_found);

fn an_unassigned_order_waits_until_assigned_to_a_phone(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-T1");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");
    let appointment = china_in(90);
    let job = write(&mut desk, &order_fields("", &appointment));

    let board = desk.get("/board");
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains("data-refresh=\"60\""));
    let queue = board
        .body
        .split("<h2>待派工")
        .nth(1)
        .unwrap()
        .split("需关注")
        .next()
        .unwrap()
        .to_string();
    assert!(
        queue.contains(&job),
        "the order waits in the queue: {}",
        board.body
    );
    phone.sync();
    assert!(
        phone.tech.job(&job).is_err(),
        "a queued order reaches no phone"
    );

    let p = desk.post(
        "/board/assign",
        &[("job_id", &job), ("technician_id", "T1")],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    phone.sync();
    let v = phone.tech.job(&job).unwrap();
    assert_eq!(v.order.technician_id, "T1");
    assert_eq!(v.order.recorder, "王芳");
    let board = desk.get("/board");
    assert!(board.body.contains("没有待派工的工单"), "{}", board.body);
    let actions: Vec<_> = trail(&hq, &job).into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["order.create", "order.assign"]);
}
on_both!(an_unassigned_order_waits_until_assigned_to_a_phone);

fn reassign_reschedule_and_cancel_reach_the_board_and_the_trail(b: Backend) {
    let hq = Hq::start(b);
    hq.technician("T1", "李师傅");
    hq.technician("T2", "张师傅");
    add_person(&hq, "zhou", "周主管", Role::Supervisor);
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut sup = Browser::signed_in(&hq, "zhou");
    let mut desk = Browser::signed_in(&hq, "wang");
    let appointment = china_in(180);
    let job = write(&mut sup, &order_fields("T1", &appointment));

    // The front desk may not reassign or cancel: 403, and nothing changes.
    for (path, fields) in [
        (
            "/board/reassign",
            vec![("job_id", job.as_str()), ("technician_id", "T2")],
        ),
        (
            "/board/cancel",
            vec![("job_id", job.as_str()), ("reason", "客户取消")],
        ),
    ] {
        assert_eq!(
            desk.post(path, &fields).status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(hq.visit(&job).order.technician_id, "T1");

    let p = sup.post(
        "/board/reassign",
        &[("job_id", &job), ("technician_id", "T2")],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let new_time = china_in(300);
    let p = sup.post(
        "/board/reschedule",
        &[
            ("job_id", &job),
            ("appointment_at", &new_time),
            ("reason", "客户要求改到下午"),
            ("agreed_by", "陈先生"),
            ("consent_channel", "phone"),
        ],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let v = hq.visit(&job);
    assert_eq!(v.order.technician_id, "T2");
    assert_eq!(v.appointment_consent.unwrap().agreed_by, "陈先生");
    let day = &new_time[..10];
    let board = sup.get(&format!("/board?day={day}&tech=T2"));
    assert!(
        board.body.contains(&job) && board.body.contains("已派工"),
        "{}",
        board.body
    );

    // A reschedule without the customer's consent, a forged or scripted
    // order number: refused with a message, nothing changes.
    let before = hq.visit(&job).order.appointment_at;
    let p = sup.post(
        "/board/reschedule",
        &[
            ("job_id", &job),
            ("appointment_at", &china_in(400)),
            ("reason", "改约"),
            ("agreed_by", " "),
            ("consent_channel", "phone"),
        ],
    );
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("同意人:请填写"), "{}", p.body);
    assert_eq!(hq.visit(&job).order.appointment_at, before);
    let p = sup.post(
        "/board/cancel",
        &[("job_id", "WO-20200101-9999"), ("reason", "x")],
    );
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.body.contains("找不到该记录"));
    let p = sup.post(
        "/board/reassign",
        &[("job_id", "<script>x</script>"), ("technician_id", "T1")],
    );
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.body.contains("工单编号不对") && !p.body.contains("<script>x"));
    let p = sup.post(
        "/board/reassign",
        &[("job_id", &job), ("technician_id", "T9")],
    );
    assert_eq!(p.status, StatusCode::NOT_FOUND, "an unknown technician");
    assert_eq!(hq.visit(&job).order.technician_id, "T2");
    let found = sup.get("/orders?q=%3Cscript%3Ealert(1)%3C/script%3E");
    assert!(
        found
            .body
            .contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"")
            && !found.body.contains("<script>alert")
    );

    let refused = sup.post("/board/cancel", &[("job_id", &job), ("reason", "")]);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("请填写"), "{}", refused.body);
    let p = sup.post(
        "/board/cancel",
        &[("job_id", &job), ("reason", "客户已自行修好")],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let board = sup.get(&format!("/board?day={day}&tech=T2"));
    assert!(board.body.contains("已取消"), "{}", board.body);

    let entries = trail(&hq, &job);
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "order.create",
            "order.reassign",
            "order.reschedule",
            "order.cancel"
        ]
    );
    assert!(entries
        .iter()
        .all(|e| e.actor == Actor::Person("zhou".into())));
    // The append-only trail names no customer: who agreed stays in the
    // order, which retention anonymises.
    assert!(
        entries.iter().all(|e| !e.detail.contains("陈先生")),
        "{entries:?}"
    );
}
on_both!(reassign_reschedule_and_cancel_reach_the_board_and_the_trail);

fn late_and_urgent_orders_are_flagged_on_the_board(b: Backend) {
    let hq = Hq::start(b);
    hq.technician("T1", "李师傅");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");
    // An appointment 20 minutes ago, nobody there yet: late.
    let past = china_in(-20);
    let late = write(&mut desk, &order_fields("T1", &past));
    // Urgent, called in now: the 30-minute clock runs.
    let now = china_in(0);
    let mut fields = order_fields("T1", &now);
    fields.push(("urgent", "on"));
    let urgent = write(&mut desk, &fields);
    // Tomorrow, on time: no flag.
    let later = china_in(24 * 60);
    write(&mut desk, &order_fields("T1", &later));

    let board = desk.get(&format!("/board?day={}", &past[..10]));
    let attention = board.body.split("需关注").nth(1).unwrap().to_string();
    let row_of = |job: &str| {
        let at = attention
            .find(job)
            .unwrap_or_else(|| panic!("{job} listed: {attention}"));
        attention[at..].split("</tr>").next().unwrap().to_string()
    };
    assert!(row_of(&late).contains("flag late"), "{}", row_of(&late));
    let u = row_of(&urgent);
    assert!(u.contains("flag urgent") && !u.contains("flag late"), "{u}");
}
on_both!(late_and_urgent_orders_are_flagged_on_the_board);

fn bad_order_forms_are_shown_again_and_write_nothing(b: Backend) {
    let hq = Hq::start(b);
    hq.technician("T1", "李师傅");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");
    let appointment = china_in(60);
    let long = "长".repeat(101);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("fault", "", "故障描述:请填写"),
        ("customer_name", &long, "客户:最多 100 个字"),
        ("unpaid_balance", "abc", "欠费金额"),
        ("unpaid_balance", "-5", "欠费金额"),
        ("appointment_at", "tomorrow", "预约时间"),
        ("category", "rocket", "请选择类别"),
        ("technician_id", "T9", "找不到该技术员"),
        ("call", "999", "找不到"),
    ];
    for (field, value, message) in cases {
        let mut fields: Vec<(&str, &str)> = order_fields("T1", &appointment)
            .into_iter()
            .filter(|(k, _)| *k != field && *k != "site")
            .collect();
        fields.push((field, value));
        fields.push(("site", "<script>alert(1)</script>"));
        let p = desk.post("/orders", &fields);
        assert!(
            p.status == StatusCode::UNPROCESSABLE_ENTITY || p.status == StatusCode::NOT_FOUND,
            "{field}={value}: {}",
            p.status
        );
        assert!(p.body.contains(message), "{field}={value}: {}", p.body);
        assert!(
            p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                && !p.body.contains("<script>alert"),
            "the values come back, escaped"
        );
    }
    let all = desk.get("/orders");
    assert!(
        all.body.contains("没有找到工单"),
        "nothing was written: {}",
        all.body
    );
}
on_both!(bad_order_forms_are_shown_again_and_write_nothing);

#[test]
fn a_call_without_what_they_want_is_refused_and_shown_again() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");
    let p = desk.post(
        "/reception",
        &[
            ("channel", "phone"),
            ("caller", "<b>x</b>"),
            ("category", "appliance"),
            ("request", " "),
        ],
    );
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("反映事项:请填写") && p.body.contains("&lt;b&gt;x&lt;/b&gt;"));
    assert!(desk.get("/reception").body.contains("当天没有记录"));
}

/// Builds HQ's database at schema version 5 with one order, as an older HQ
/// left it; HQ then migrates it and fills the new columns from the JSON.
fn orders_written_before_version_6_are_found_and_counted(b: Backend) {
    use onsite_hq::storage::migrations;
    let appointment = Utc::now() + Duration::hours(3);
    let order = onsite_core::sample::leak_order("OLD-1", "T1", appointment);
    let visit =
        serde_json::to_string(&onsite_core::visit::Visit::dispatched(order).unwrap().0).unwrap();
    let at = "2026-11-24T02:00:00.000Z";
    match &b {
        Backend::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            for step in &migrations::SQLITE[..5] {
                c.execute_batch(step).unwrap();
            }
            c.execute(
                "INSERT INTO technicians(technician_id, name, approval_key, created_at) VALUES ('T1', '李师傅', 'k', ?1)",
                [at],
            )
            .unwrap();
            c.execute(
                "INSERT INTO orders(job_id, technician_id, status, visit, created_at, updated_at) VALUES ('OLD-1', 'T1', 'dispatched', ?1, ?2, ?2)",
                [visit.as_str(), at],
            )
            .unwrap();
            c.pragma_update(None, "user_version", 5).unwrap();
        }
        Backend::Postgres(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            for step in &migrations::POSTGRES[..5] {
                c.batch_execute(step).unwrap();
            }
            c.batch_execute("CREATE TABLE hq_schema (version BIGINT NOT NULL); INSERT INTO hq_schema(version) VALUES (5)")
                .unwrap();
            c.execute(
                "INSERT INTO technicians(technician_id, name, approval_key, created_at) VALUES ('T1', '李师傅', 'k', $1)",
                &[&at],
            )
            .unwrap();
            c.execute(
                "INSERT INTO orders(job_id, technician_id, status, visit, created_at, updated_at) VALUES ('OLD-1', 'T1', 'dispatched', $1, $2, $2)",
                &[&visit, &at],
            )
            .unwrap();
        }
    }
    let hq = Hq::start(b);
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");
    let day = (appointment + Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string();
    for q in [
        "/orders?q=%E7%8E%8B%E5%A5%B3%E5%A3%AB".to_string(), // 王女士
        "/orders?q=13800138000".to_string(),
        "/orders?q=3%E6%A0%8B".to_string(), // 3栋
        format!("/orders?day={day}"),
    ] {
        assert!(desk.get(&q).body.contains("OLD-1"), "{q}");
    }
    let board = desk.get(&format!("/board?day={day}&tech=T1"));
    assert!(
        board.body.contains("<td class=\"num\">1</td>"),
        "{}",
        board.body
    );
    assert!(board.body.contains("OLD-1"));
}
on_both!(orders_written_before_version_6_are_found_and_counted);

/// Two HQ processes on one database never give the same order number.
fn two_hq_processes_number_orders_apart(b: Backend) {
    let one = Hq::start(b.clone());
    let two = Hq::start(b);
    one.technician("T1", "李师傅");
    add_person(&one, "wang", "王芳", Role::FrontDesk);
    let appointment = china_in(60);
    let jobs: Vec<String> = std::thread::scope(|s| {
        let hqs = [&one, &two, &one, &two];
        let handles: Vec<_> = hqs
            .into_iter()
            .map(|hq| {
                let appointment = appointment.clone();
                s.spawn(move || {
                    let mut b = Browser::signed_in(hq, "wang");
                    (0..5)
                        .map(|_| write(&mut b, &order_fields("T1", &appointment)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut unique = jobs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 20, "{jobs:?}");
    assert!(unique.last().unwrap().ends_with("-0020"), "{unique:?}");
}
on_both!(two_hq_processes_number_orders_apart);

/// A technician's row of counts on the board: dispatched, en route, on
/// site, waiting for approval, done, handed over, returned.
fn counts(body: &str, tech: &str) -> Vec<i64> {
    let row = body
        .split(&format!("tech={tech}\">"))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    row.split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().parse().unwrap())
        .collect()
}

fn the_board_follows_the_phone_as_it_syncs(b: Backend) {
    use onsite_core::checklist::Phase;
    use onsite_core::quote::{LineItem, LineKind, LineRequest};
    use onsite_core::sample;
    let hq = Hq::start(b);
    let code = hq.technician("T1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-T1");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");
    // The appointment was 30 minutes ago: the technician will arrive late.
    let appointment = china_in(-30);
    let job = write(&mut desk, &order_fields("T1", &appointment));
    let board_path = format!("/board?day={}", &appointment[..10]);
    let board = desk.get(&board_path);
    assert_eq!(counts(&board.body, "T1"), [1, 0, 0, 0, 0, 0, 0]);
    assert!(board.body.contains("从未"), "no device has synced yet");

    phone.sync();
    let t = &phone.tech;
    t.accept_job(&job).unwrap();
    sample::complete_checklist(t, &job, Phase::BeforeLeaving).unwrap();
    t.depart(&job).unwrap();
    phone.sync();
    let board = desk.get(&board_path);
    assert_eq!(counts(&board.body, "T1"), [0, 1, 0, 0, 0, 0, 0]);
    assert!(!board.body.contains("从未"), "the phone's sync shows");

    t.arrive_with_reason(&job, "路上堵车").unwrap();
    sample::complete_checklist(t, &job, Phase::Arrival).unwrap();
    t.assess(
        &job,
        onsite_core::visit::Assessment {
            findings: "角阀老化".into(),
            ..Default::default()
        },
    )
    .unwrap();
    phone.sync();
    assert_eq!(
        counts(&desk.get(&board_path).body, "T1"),
        [0, 0, 1, 0, 0, 0, 0]
    );

    t.add_quote_line(
        &job,
        &LineRequest {
            item: LineItem::OffSchedule {
                kind: LineKind::Service,
                description: "拆除旧吊顶".into(),
                unit_price_fen: 15_000,
            },
            qty: 1,
            payer: None,
        },
    )
    .unwrap();
    phone.sync();
    let board = desk.get(&board_path);
    assert_eq!(counts(&board.body, "T1"), [0, 0, 0, 1, 0, 0, 0]);
    let attention = board.body.split("需关注").nth(1).unwrap();
    let row = attention
        .split(&job)
        .nth(2)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(
        row.contains("待审批") && row.contains("flag late"),
        "arrived late, waits for approval: {row}"
    );
}
on_both!(the_board_follows_the_phone_as_it_syncs);

fn every_field_of_the_order_form_reaches_the_order(b: Backend) {
    let hq = Hq::start(b);
    hq.technician("T1", "李师傅");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");
    let appointment = china_in(120);
    let desired = china_in(240);
    let mut fields: Vec<(&str, &str)> = order_fields("T1", &appointment)
        .into_iter()
        .filter(|(k, _)| *k != "category" && *k != "default_payer")
        .collect();
    fields.extend([
        ("category", "furniture"),
        ("default_payer", "property"),
        ("urgent", "on"),
        ("desired_completion_at", desired.as_str()),
        ("product_model", "KFR-35GW"),
        ("product_serial", "SN123"),
        ("product_purchase_date", "2025-06-01"),
        ("product_in_warranty", "on"),
        ("vehicle_plate", "粤B12345"),
        ("vehicle_model", "厢式货车"),
        ("driver_name", "赵师傅"),
        ("driver_phone", "139 0000 1111"),
        (
            "delivery_items",
            "沙发 | 灰 | 三人位 | 2\n茶几 | 白 | 120cm | 1\n",
        ),
    ]);
    let job = write(&mut desk, &fields);
    let o = hq.visit(&job).order;
    assert_eq!(o.category, onsite_core::checklist::Category::Furniture);
    assert_eq!(o.default_payer, onsite_core::order::Payer::Property);
    assert!(o.urgent);
    assert!(o.desired_completion_at.is_some());
    let p = o.product.unwrap();
    assert_eq!(
        (p.model.as_str(), p.serial.as_str(), p.in_warranty),
        ("KFR-35GW", "SN123", true)
    );
    assert_eq!(p.purchase_date.unwrap().to_string(), "2025-06-01");
    assert_eq!(o.vehicle.unwrap().driver_name, "赵师傅");
    assert_eq!(o.delivery_items.len(), 2);
    assert_eq!(
        (
            o.delivery_items[0].model.as_str(),
            o.delivery_items[0].quantity
        ),
        ("沙发", 2)
    );

    let bad: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| {
            if *k == "delivery_items" {
                (*k, "沙发 | 灰 | 三人位 | 0")
            } else {
                (*k, *v)
            }
        })
        .collect();
    let p = desk.post("/orders", &bad);
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("送货清单") && p.body.contains("沙发 | 灰 | 三人位 | 0"));
}
on_both!(every_field_of_the_order_form_reaches_the_order);

/// The job numbers on a search page, in the order shown.
fn listed(body: &str, prefix: &str) -> Vec<String> {
    body.split(&format!(">{prefix}"))
        .skip(1)
        .map(|rest| format!("{prefix}{}", rest.split('<').next().unwrap()))
        .collect()
}

/// A search with more than 500 matches (a surname alone) is answered from
/// the newest orders down: the same pages, newest first, as a narrow search
/// would give - the queued order written last on top, then the dispatched
/// ones by the time they were reported, page after page, and an older
/// queued order in its place among them.
fn a_broad_search_lists_the_newest_matches_page_by_page(b: Backend) {
    let hq = Hq::start(b);
    hq.technician("T1", "李师傅");
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");
    let start = Utc::now() - Duration::days(2);
    for i in 0..560i64 {
        let mut o = onsite_core::sample::leak_order(
            &format!("J-{i:04}"),
            "T1",
            start + Duration::days(1) + Duration::minutes(i),
        );
        o.reported_at = start + Duration::minutes(i);
        // Every 14th order is someone else's: 520 王, 40 李.
        o.customer.name = if i % 14 == 13 {
            format!("李{i}")
        } else {
            format!("王{i}")
        };
        hq.dispatch(&o);
    }
    // Queued orders: one reported now, one between J-0549 and J-0550.
    let appointment = china_in(90);
    let queued = |desk: &mut Browser, name: &str, reported: &str| {
        let mut f = order_fields("", &appointment);
        f.retain(|(k, _)| *k != "customer_name" && *k != "reported_at");
        f.push(("customer_name", name));
        f.push(("reported_at", reported));
        write(desk, &f)
    };
    let queued_new = queued(&mut desk, "王新", &china_in(0));
    let between = (start + Duration::minutes(549) + Duration::seconds(30) + Duration::hours(8))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let queued_old = queued(&mut desk, "王旧", &between);

    let wang: Vec<String> = (0..560i64)
        .rev()
        .filter(|i| i % 14 != 13)
        .map(|i| format!("J-{i:04}"))
        .collect();
    let mut expected = vec![queued_new.clone()];
    for j in &wang {
        if j == "J-0549" {
            expected.push(queued_old.clone());
        }
        expected.push(j.clone());
    }
    for page in 0..3 {
        let p = desk.get(&format!("/orders?q=%E7%8E%8B&page={page}")); // 王
        assert_eq!(p.status, StatusCode::OK);
        let shown: Vec<String> = listed(&p.body, "J-")
            .into_iter()
            .chain(listed(&p.body, "WO-"))
            .collect();
        let mut shown_in_order = shown.clone();
        shown_in_order.sort_by_key(|j| p.body.find(&format!(">{j}<")).unwrap());
        let want = &expected[page * 50..(page + 1) * 50];
        assert_eq!(shown_in_order, want, "page {page}");
    }
}
on_both!(a_broad_search_lists_the_newest_matches_page_by_page);
