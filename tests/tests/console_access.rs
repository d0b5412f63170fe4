//! Customer records at HQ (issue 14, items 5-7), over real HTTP on SQLite
//! and PostgreSQL: every look at an order's customer data is in the access
//! log (who, when, which order, what, from where) and a manager reads it per
//! order and per person; the log refuses UPDATE, DELETE (and TRUNCATE) from
//! any path, SQL included; a look that cannot be logged is not shown; a
//! confidential order is masked for the front desk everywhere it shows,
//! whole for supervisors, managers and its technician's phone, and never in
//! an export; integration keys see customer fields only with the `customer`
//! scope.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_core::visit::Rating;
use onsite_hq::centre::dossier::photos_of;
use onsite_hq::centre::people::Role;
use onsite_tests::console::{add_person, Browser};
use onsite_tests::harness::{Backend, Hq, Phone, ADMIN};
use onsite_tests::peek;
use onsite_tests::{drive_accepted_to_acceptance, on_both, refused_signature};
use reqwest::header::COOKIE;
use reqwest::StatusCode;
use serde_json::{json, Value};

const NAME: &str = "王女士";
const PHONE_DIGITS: &str = "13800138000";
const PHONE_MASKED: &str = "138****8000";
const ROOM: &str = "3栋2单元1502室";
const VIP_ROOM: &str = "9栋9单元0909室";

/// (reader, kind, masked, address, forwarded) of an order's log, oldest first.
fn log_of(hq: &Hq, job: &str) -> Vec<(String, String, i64, String, Option<String>)> {
    peek::query(
        &hq.backend.url(),
        "SELECT reader, kind, masked, address, forwarded FROM access_log WHERE job_id = $1 ORDER BY id",
        &[job.into()],
    )
    .into_iter()
    .map(|r| (r.text(0), r.text(1), r.int(2), r.text(3), r.opt_text(4)))
    .collect()
}

fn count_log(hq: &Hq) -> i64 {
    peek::query(&hq.backend.url(), "SELECT COUNT(*) FROM access_log", &[])[0].int(0)
}

/// Runs SQL on HQ's database as an operator with a shell would, returning the
/// database's refusal if it refused.
fn try_sql(b: &Backend, sql: &str) -> Result<(), String> {
    match b {
        Backend::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch(sql)
            .map_err(|e| e.to_string()),
        Backend::Postgres(url) => {
            let (url, sql) = (url.clone(), sql.to_string());
            std::thread::spawn(move || {
                let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                c.batch_execute(&sql).map_err(|e| format!("{e:?}"))
            })
            .join()
            .unwrap()
        }
    }
}

/// A raw API GET with an optional `X-Forwarded-For`.
fn api_get(hq: &Hq, path: &str, token: &str, forwarded: Option<&str>) -> (u16, Value) {
    hq.rt.block_on(async {
        let mut req = reqwest::Client::new()
            .get(format!("{}{path}", hq.url))
            .bearer_auth(token);
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    })
}

/// A key with these scopes; its secret.
fn key(hq: &Hq, name: &str, scopes: &[&str]) -> String {
    let (s, v) = hq.call(
        "POST",
        "/v1/keys",
        Some(ADMIN),
        Some(json!({"name": name, "scopes": scopes})),
    );
    assert_eq!(s, 201, "{v}");
    v["secret"].as_str().unwrap().to_string()
}

fn download(hq: &Hq, b: &Browser, path: &str) -> (StatusCode, String) {
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
    (status, hq.rt.block_on(res.text()).unwrap())
}

fn every_look_is_logged_and_the_log_cannot_be_changed(b: Backend) {
    let hq = Hq::start(b.clone());
    add_person(&hq, "desk", "王芳", Role::FrontDesk);
    add_person(&hq, "mgr", "赵经理", Role::Manager);
    hq.technician("T-1", "张师傅");
    hq.dispatch(&sample::leak_order("WO-A1", "T-1", Utc::now()));
    hq.dispatch(&sample::leak_order("WO-A2", "T-1", Utc::now()));
    assert_eq!(count_log(&hq), 0, "dispatching is not a look");

    let mut desk = Browser::signed_in(&hq, "desk");
    let page = desk.get("/orders/WO-A1");
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(NAME));
    assert_eq!(desk.get("/orders/WO-A1/print").status, StatusCode::OK);
    // A search lists two orders: a look at both.
    let found = desk.get("/orders?q=WO-A");
    assert!(found.body.contains("WO-A1") && found.body.contains("WO-A2"));
    let board = desk.get("/board?tech=T-1");
    assert!(board.body.contains("WO-A2"), "{}", board.body);
    // An integration key's read, through a proxy that says whom for.
    let erp = key(&hq, "erp", &["read", "customer"]);
    let (s, _) = api_get(&hq, "/v1/orders/WO-A1", &erp, Some("203.0.113.7"));
    assert_eq!(s, 200);
    // A miss shows nothing and logs nothing.
    assert_eq!(desk.get("/orders/WO-NONE").status, StatusCode::NOT_FOUND);
    assert!(log_of(&hq, "WO-NONE").is_empty());

    let a1 = log_of(&hq, "WO-A1");
    let kinds: Vec<(&str, &str)> = a1
        .iter()
        .map(|(r, k, ..)| (r.as_str(), k.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("person:desk", "order"),
            ("person:desk", "print"),
            ("person:desk", "search"),
            ("person:desk", "board"),
            ("key:erp", "api.order"),
        ],
        "{a1:?}"
    );
    assert!(a1
        .iter()
        .all(|(_, _, masked, addr, _)| *masked == 0 && addr == "127.0.0.1"));
    assert_eq!(
        a1[4].4.as_deref(),
        Some("203.0.113.7"),
        "the proxy's claim kept beside"
    );
    assert_eq!(a1[0].4, None);
    let a2 = log_of(&hq, "WO-A2");
    assert_eq!(a2.len(), 2, "listed in the search and on the board: {a2:?}");

    // The manager reads it per order (linked from the order page) and per person.
    let mut mgr = Browser::signed_in(&hq, "mgr");
    assert!(mgr
        .get("/orders/WO-A1")
        .body
        .contains("/access?order=WO-A1"));
    let per_order = mgr.get("/access?order=WO-A1");
    assert_eq!(per_order.status, StatusCode::OK);
    for text in [
        "人员 desk",
        "打开工单",
        "打印工单",
        "集成密钥 erp",
        "代理转发自 203.0.113.7",
    ] {
        assert!(per_order.body.contains(text), "{text}: {}", per_order.body);
    }
    let per_person = mgr.get("/access?person=desk");
    assert!(per_person.body.contains("WO-A2") && per_person.body.contains("出现在查找结果中"));
    assert!(!per_person.body.contains("集成密钥 erp"));
    assert!(mgr.get("/access?key=erp").body.contains("接口读取工单"));
    assert!(!desk.get("/orders/WO-A1").body.contains("/access?order="));
    assert_eq!(
        desk.get("/access?order=WO-A1").status,
        StatusCode::FORBIDDEN
    );

    // Append-only, whoever asks: HQ has no path, and the database refuses SQL.
    let before = count_log(&hq);
    for sql in [
        "UPDATE access_log SET reader = 'person:nobody'",
        "DELETE FROM access_log",
        "DELETE FROM access_log WHERE job_id = 'WO-A2'",
    ] {
        let e = try_sql(&b, sql).expect_err(sql);
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    if let Backend::Postgres(_) = b {
        let e = try_sql(&b, "TRUNCATE access_log").expect_err("truncate");
        assert!(e.contains("append-only"), "{e}");
    }
    assert_eq!(count_log(&hq), before);
    assert_eq!(log_of(&hq, "WO-A1")[0].0, "person:desk");
    hq.stop();
}
on_both!(every_look_is_logged_and_the_log_cannot_be_changed);

fn a_look_that_cannot_be_logged_is_not_shown(b: Backend) {
    let hq = Hq::start(b.clone());
    add_person(&hq, "desk", "王芳", Role::FrontDesk);
    hq.technician("T-1", "张师傅");
    hq.dispatch(&sample::leak_order("WO-B1", "T-1", Utc::now()));
    let erp = key(&hq, "erp", &["read", "customer"]);
    // The log's table stops taking rows (as a full disk or a lost lock would).
    let block = match b {
        Backend::Sqlite(_) => "CREATE TRIGGER no_log BEFORE INSERT ON access_log \
             BEGIN SELECT RAISE(ABORT, 'log unavailable'); END;"
            .to_string(),
        Backend::Postgres(_) => "CREATE FUNCTION no_log() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'log unavailable'; END; $$; \
             CREATE TRIGGER no_log BEFORE INSERT ON access_log \
             FOR EACH STATEMENT EXECUTE FUNCTION no_log();"
            .to_string(),
    };
    try_sql(&b, &block).unwrap();
    let mut desk = Browser::signed_in(&hq, "desk");
    for path in [
        "/orders/WO-B1",
        "/orders/WO-B1/print",
        "/orders?q=WO-B1",
        "/board?tech=T-1",
    ] {
        let p = desk.get(path);
        assert!(p.status.is_server_error(), "{path}: {}", p.status);
        assert!(
            !p.body.contains(NAME),
            "{path} showed the customer unlogged"
        );
    }
    let (s, v) = api_get(&hq, "/v1/orders/WO-B1", &erp, None);
    assert_eq!(s, 500, "{v}");
    assert!(!v.to_string().contains(NAME));
    try_sql(&b, "DROP TRIGGER no_log ON access_log")
        .or_else(|_| try_sql(&b, "DROP TRIGGER no_log"))
        .unwrap();
    assert!(desk.get("/orders/WO-B1").body.contains(NAME));
    hq.stop();
}
on_both!(a_look_that_cannot_be_logged_is_not_shown);

fn a_confidential_order_is_masked_for_the_front_desk_and_never_exported(b: Backend) {
    let hq = Hq::start(b);
    add_person(&hq, "desk", "王芳", Role::FrontDesk);
    add_person(&hq, "sup", "陈主管", Role::Supervisor);
    add_person(&hq, "mgr", "赵经理", Role::Manager);
    add_person(&hq, "adm", "管理员", Role::Admin);
    let code = hq.technician("T-1", "张师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-1");
    let now = Utc::now();
    let mut vip = sample::leak_order("WO-VIP", "T-1", now);
    vip.customer.name = "欧阳娜娜".into();
    vip.customer.phone = "139-0000-1234".into();
    vip.location = VIP_ROOM.into();
    hq.dispatch(&vip);
    hq.dispatch(&sample::leak_order("WO-PLAIN", "T-1", now));

    // The front desk may not mark it; a supervisor may, with a reason.
    let mut desk = Browser::signed_in(&hq, "desk");
    desk.get("/orders/WO-VIP");
    let p = desk.post(
        "/confidential",
        &[
            ("job_id", "WO-VIP"),
            ("confidential", "1"),
            ("reason", "VIP"),
        ],
    );
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let mut sup = Browser::signed_in(&hq, "sup");
    sup.get("/orders/WO-VIP");
    let p = sup.post(
        "/confidential",
        &[("job_id", "WO-VIP"), ("confidential", "1"), ("reason", " ")],
    );
    assert_eq!(
        p.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is needed"
    );
    let p = sup.post(
        "/confidential",
        &[
            ("job_id", "WO-VIP"),
            ("confidential", "1"),
            ("reason", "市领导家,要求保密"),
        ],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let trail = peek::query(
        &hq.backend.url(),
        "SELECT actor, action, detail FROM audit WHERE job_id = 'WO-VIP' ORDER BY id",
        &[],
    );
    let last = trail.last().unwrap();
    assert_eq!(
        (last.text(0), last.text(1), last.text(2)),
        (
            "person:sup".to_string(),
            "order.confidential".to_string(),
            "市领导家,要求保密".to_string()
        )
    );

    // The front desk sees it masked on the order page, in search and on the board.
    let page = desk.get("/orders/WO-VIP");
    assert_eq!(page.status, StatusCode::OK);
    for (path, body) in [
        ("/orders/WO-VIP", page.body),
        ("/orders?q=WO-", desk.get("/orders?q=WO-").body),
        ("/board?tech=T-1", desk.get("/board?tech=T-1").body),
        (
            "/orders/WO-VIP/print",
            desk.get("/orders/WO-VIP/print").body,
        ),
    ] {
        assert!(body.contains("欧**"), "{path} masks the name: {body}");
        assert!(!body.contains("欧阳娜娜"), "{path} shows the name");
        assert!(!body.contains(VIP_ROOM), "{path} shows the room");
        assert!(body.contains("9栋**"), "{path} shows the place short");
        if !path.starts_with("/orders/WO-VIP") {
            assert!(
                body.contains(NAME),
                "{path} still shows the plain order whole"
            );
        }
    }
    let page = desk.get("/orders/WO-VIP").body;
    assert!(
        page.contains("139****1234") && !page.contains("139-0000-1234"),
        "{page}"
    );
    // Searching by the customer's own name finds it, masked.
    let by_name = desk.get(&format!("/orders?q={}", "欧阳"));
    assert!(by_name.body.contains("WO-VIP") && !by_name.body.contains("欧阳娜娜"));
    // A complaint about it names the customer: masked on the complaints page.
    desk.get("/complaints");
    let p = desk.post(
        "/complaints",
        &[
            ("kind", "hard"),
            ("channel", "visit"),
            ("customer_name", "欧阳娜娜"),
            ("customer_phone", "139-0000-1234"),
            ("job_id", "WO-VIP"),
            ("words", "师傅迟到"),
            ("owner", "desk"),
            ("received_at", ""),
        ],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let book = desk.get("/complaints").body;
    assert!(
        book.contains("欧**") && book.contains("139****1234"),
        "{book}"
    );
    assert!(!book.contains("欧阳娜娜") && !book.contains("139-0000-1234"));
    assert!(log_of(&hq, "WO-VIP")
        .iter()
        .any(|(r, k, m, ..)| r == "person:desk" && k == "complaints" && *m == 1));
    // The admin runs the system, not the day: masked too.
    let mut adm = Browser::signed_in(&hq, "adm");
    assert!(!adm.get("/orders/WO-VIP").body.contains("欧阳娜娜"));
    let log = log_of(&hq, "WO-VIP");
    assert!(
        log.iter()
            .filter(|(r, ..)| r == "person:desk")
            .skip(1)
            .all(|(_, _, masked, ..)| *masked == 1),
        "{log:?}"
    );

    // Supervisors and managers see it whole; the list of confidential orders too.
    assert!(sup.get("/orders/WO-VIP").body.contains("欧阳娜娜"));
    assert!(sup.get("/board?tech=T-1").body.contains("欧阳娜娜"));
    assert!(sup.get("/complaints").body.contains("欧阳娜娜"));
    let list = sup.get("/confidential");
    assert!(list.body.contains("WO-VIP") && list.body.contains("市领导家"));
    assert_eq!(desk.get("/confidential").status, StatusCode::FORBIDDEN);
    let mut mgr = Browser::signed_in(&hq, "mgr");
    assert!(mgr.get("/orders/WO-VIP").body.contains("欧阳娜娜"));

    // The assigned technician's phone still gets it whole.
    phone.sync();
    assert_eq!(
        phone.tech.job("WO-VIP").unwrap().order.customer.name,
        "欧阳娜娜"
    );
    let (s, v) = hq.call("GET", "/v1/jobs/WO-VIP", Some(&phone.token), None);
    assert_eq!(
        (s, v["order"]["customer"]["name"].as_str()),
        (200, Some("欧阳娜娜"))
    );
    // Every integration key sees it masked, even one with the customer scope.
    let (s, v) = hq.call("GET", "/v1/orders/WO-VIP", Some(ADMIN), None);
    assert_eq!(s, 200);
    assert_eq!(v["order"]["customer"]["name"], "欧**");
    assert_eq!(v["order"]["customer"]["phone"], "139****1234");

    // Both visits come back; the export leaves the confidential one out entirely.
    for job in ["WO-VIP", "WO-PLAIN"] {
        phone.tech.accept_job(job).unwrap();
        drive_accepted_to_acceptance(
            &phone.tech,
            job,
            refused_signature(Rating::Satisfied, false),
        )
        .unwrap();
    }
    phone.sync();
    let (status, csv) = download(&hq, &mgr, "/reports/daily.csv");
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains("WO-PLAIN") && csv.contains(NAME), "{csv}");
    assert!(!csv.contains("WO-VIP"), "{csv}");
    assert!(!csv.contains("欧"), "not even masked: {csv}");
    assert!(csv.contains("导出人,赵经理 (mgr)"), "{csv}");
    let exported: Vec<_> = log_of(&hq, "WO-PLAIN")
        .into_iter()
        .filter(|(r, k, ..)| r == "person:mgr" && k == "export")
        .collect();
    assert_eq!(exported.len(), 1);
    assert!(!log_of(&hq, "WO-VIP").iter().any(|(_, k, ..)| k == "export"));
    // A printed list of customers is a manager's: for everyone else the
    // print stylesheet leaves the lists out, and every printout says who
    // printed it.
    let board = desk.get("/board?tech=T-1").body;
    assert!(
        board.contains(r#"<body class="lists-unprintable">"#),
        "{board}"
    );
    assert!(
        board.contains(r#"<table class="customer-list">"#),
        "{board}"
    );
    assert!(board.contains("打印人:王芳 (desk)"), "{board}");
    let found = desk.get("/orders?q=WO-").body;
    assert!(
        found.contains(r#"<table class="customer-list">"#),
        "{found}"
    );
    let mgr_board = mgr.get("/board?tech=T-1").body;
    assert!(mgr_board.contains("<body>") && mgr_board.contains("打印人:赵经理 (mgr)"));
    let css = desk.get("/assets/console.css").body;
    assert!(
        css.contains("body.lists-unprintable .customer-list { display: none !important; }"),
        "the print stylesheet hides the lists"
    );
    // The manager's daily summary page shows it, but never on paper.
    let daily = mgr.get("/reports").body;
    assert!(
        daily.contains(r#"<tr class="no-print confidential"><td><a href="/orders/WO-VIP""#),
        "{daily}"
    );
    assert!(
        daily.contains(r#"<tr><td><a href="/orders/WO-PLAIN""#),
        "{daily}"
    );
    assert!(daily.contains("打印时不列出"), "{daily}");
    // Lifted, it is whole again for the front desk.
    let p = sup.post(
        "/confidential",
        &[
            ("job_id", "WO-VIP"),
            ("confidential", "0"),
            ("reason", "客户同意"),
        ],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(desk.get("/orders/WO-VIP").body.contains("欧阳娜娜"));
    hq.stop();
}
on_both!(a_confidential_order_is_masked_for_the_front_desk_and_never_exported);

fn reception_masks_the_call_of_a_confidential_order(b: Backend) {
    let hq = Hq::start(b);
    add_person(&hq, "desk", "王芳", Role::FrontDesk);
    add_person(&hq, "sup", "陈主管", Role::Supervisor);
    hq.technician("T1", "李师傅");
    let mut desk = Browser::signed_in(&hq, "desk");
    let p = desk.post(
        "/reception",
        &[
            ("channel", "phone"),
            ("caller", "欧阳娜娜"),
            ("phone", "138-0013-8000"),
            ("site", "翠湖花园"),
            ("location", ROOM),
            ("category", "property_repair"),
            ("request", "厨房水管漏水"),
        ],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let id = p.location.unwrap().rsplit('=').next().unwrap().to_string();
    let at = (Utc::now() + Duration::hours(10))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let p = desk.post(
        "/orders",
        &[
            ("category", "property_repair"),
            ("site", "翠湖花园"),
            ("customer_name", "欧阳娜娜"),
            ("customer_phone", "138-0013-8000"),
            ("location", ROOM),
            ("reported_at", &at),
            ("appointment_at", &at),
            ("service", "水管维修"),
            ("fault", "厨房水管漏水"),
            ("default_payer", "owner"),
            ("unpaid_balance", "0"),
            ("technician_id", "T1"),
            ("call", &id),
        ],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let job = p
        .location
        .unwrap()
        .split("written=")
        .nth(1)
        .unwrap()
        .to_string();
    assert!(desk.get("/reception").body.contains("欧阳娜娜"));

    let mut sup = Browser::signed_in(&hq, "sup");
    sup.get(&format!("/orders/{job}"));
    let p = sup.post(
        "/confidential",
        &[("job_id", &job), ("confidential", "1"), ("reason", "VIP")],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let list = desk.get("/reception");
    assert!(list.body.contains(&job), "{}", list.body);
    assert!(!list.body.contains("欧阳娜娜") && list.body.contains("欧**"));
    assert!(!list.body.contains(PHONE_DIGITS) && !list.body.contains("138-0013-8000"));
    assert!(list.body.contains(PHONE_MASKED));
    assert!(sup.get("/reception").body.contains("欧阳娜娜"));
    assert!(log_of(&hq, &job)
        .iter()
        .any(|(r, k, m, ..)| r == "person:desk" && k == "reception" && *m == 1));
    hq.stop();
}
on_both!(reception_masks_the_call_of_a_confidential_order);

fn keys_see_customer_fields_only_with_the_customer_scope(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T-1", "张师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-1");
    hq.dispatch(&sample::leak_order("WO-K1", "T-1", Utc::now()));
    let reader = key(&hq, "bi", &["read"]);
    let crm = key(&hq, "crm", &["read", "customer"]);
    let desk = key(&hq, "desk", &["dispatch"]);

    let (s, v) = api_get(&hq, "/v1/orders/WO-K1", &reader, None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["order"]["customer"]["name"], "王**");
    assert_eq!(v["order"]["customer"]["phone"], PHONE_MASKED);
    assert_eq!(v["order"]["location"], "3栋**");
    assert_eq!(v["order"]["site"], "翠湖花园", "not personal: kept");
    assert!(!v.to_string().contains(NAME) && !v.to_string().contains(ROOM));
    let (s, v) = api_get(&hq, "/v1/orders/WO-K1", &crm, None);
    assert_eq!(
        (s, v["order"]["customer"]["name"].as_str()),
        (200, Some(NAME))
    );
    let log = log_of(&hq, "WO-K1");
    assert_eq!(
        log.iter()
            .map(|(r, k, m, ..)| (r.as_str(), k.as_str(), *m))
            .collect::<Vec<_>>(),
        [("key:bi", "api.order", 1), ("key:crm", "api.order", 0)]
    );

    // A photo is the customer's whole or not at all.
    phone.sync();
    phone.tech.accept_job("WO-K1").unwrap();
    drive_accepted_to_acceptance(
        &phone.tech,
        "WO-K1",
        refused_signature(Rating::Satisfied, false),
    )
    .unwrap();
    phone.sync();
    let sha = photos_of(&hq.visit("WO-K1"))[0].clone();
    let (s, _) = hq.call("GET", &format!("/v1/blobs/{sha}"), Some(&reader), None);
    assert_eq!(s, 403);
    let (s, _) = hq.call("GET", &format!("/v1/blobs/{sha}"), Some(&crm), None);
    assert_eq!(s, 200);
    assert!(log_of(&hq, "WO-K1")
        .iter()
        .any(|(r, k, ..)| r == "key:crm" && k == "api.blob"));

    // A dispatch key creates an order confidential, or marks one; a read key may not.
    let mut order = sample::leak_order("WO-K2", "T-1", Utc::now());
    order.customer.name = "欧阳娜娜".into();
    let (s, v) = hq.call(
        "POST",
        "/v1/orders?confidential_reason=VIP",
        Some(&desk),
        Some(serde_json::to_value(&order).unwrap()),
    );
    assert_eq!(s, 201, "{v}");
    let (s, v) = api_get(&hq, "/v1/orders/WO-K2", &crm, None);
    assert_eq!(
        (s, v["order"]["customer"]["name"].as_str()),
        (200, Some("欧**"))
    );
    let (s, _) = hq.call(
        "POST",
        "/v1/orders/WO-K1/confidential",
        Some(&reader),
        Some(json!({"confidential": true, "reason": "VIP"})),
    );
    assert_eq!(s, 403);
    let (s, v) = hq.call(
        "POST",
        "/v1/orders/WO-K1/confidential",
        Some(&desk),
        Some(json!({"confidential": true, "reason": "VIP"})),
    );
    assert_eq!(s, 200, "{v}");
    let (_, v) = api_get(&hq, "/v1/orders/WO-K1", &crm, None);
    assert_eq!(v["order"]["customer"]["name"], "王**");
    let actors = peek::query(
        &hq.backend.url(),
        "SELECT actor FROM audit WHERE action = 'order.confidential' ORDER BY id",
        &[],
    );
    assert_eq!(actors.len(), 2);
    assert!(actors.iter().all(|r| r.text(0) == "key:desk"));
    let (s, v) = hq.call(
        "POST",
        "/v1/orders/WO-NONE/confidential",
        Some(&desk),
        Some(json!({"confidential": true, "reason": "VIP"})),
    );
    assert_eq!(s, 404, "{v}");
    hq.stop();
}
on_both!(keys_see_customer_fields_only_with_the_customer_scope);
