//! HQ's log, captured as `onsite hq serve` writes it (the same subscriber, at
//! the most verbose level): requests, pushes, rejections, enrollments,
//! revocations and errors are there, each request's lines under its request
//! id; customer names, phones, addresses,
//! free text, tokens and database messages meant for the log only are not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::io::Write;
use std::sync::{Mutex, Once};

use chrono::{Duration, Utc};
use onsite_core::checklist::Phase;
use onsite_core::payment::Method;
use onsite_core::sample;
use onsite_core::visit::{Assessment, Rating, Status};
use onsite_core::{AcceptanceInput, SignInput};
use onsite_hq::api::FollowQuery;
use onsite_tests::harness::{
    admin_client, enrollment_code, fresh_postgres, ok, Backend, Hq, Phone, ADMIN,
};
use serde_json::json;

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| assert!(onsite_hq::logs::init_with("trace", || Capture)));
}

fn log_text() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned()
}

const CUSTOMER: &str = "欧阳秀英";
const PHONE: &str = "13912345678";
const ADDRESS: &str = "幸福里7号楼1单元302室";
const FAULT: &str = "阳台水管爆裂漏水严重";
const COMMENT: &str = "欧阳阿姨说修得很好";
const CANCEL_REASON: &str = "业主来电取消,回拨13912345678";

fn order(job: &str, tech: &str) -> onsite_core::order::WorkOrder {
    let mut o = sample::leak_order(job, tech, Utc::now() + Duration::hours(1));
    o.customer.name = CUSTOMER.into();
    o.customer.phone = PHONE.into();
    o.location = ADDRESS.into();
    o.fault = FAULT.into();
    o.service = FAULT.into();
    o
}

fn work_to_handover(t: &onsite_core::Technician, job: &str) {
    t.accept_job(job).unwrap();
    sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
    t.depart(job).unwrap();
    t.arrive(job).unwrap();
    sample::complete_checklist(t, job, Phase::Arrival).unwrap();
    t.assess(
        job,
        Assessment {
            findings: FAULT.into(),
            ..Default::default()
        },
    )
    .unwrap();
    sample::add_schedule_line(t, job, 1).unwrap();
    t.present_quote(job).unwrap();
    t.customer_consents(job, CUSTOMER).unwrap();
    t.start_work(job).unwrap();
    sample::complete_checklist(t, job, Phase::WorkRules).unwrap();
    t.finish_work(job, 30, FAULT).unwrap();
    sample::complete_checklist(t, job, Phase::Completion).unwrap();
    t.record_acceptance(
        job,
        AcceptanceInput {
            quality: onsite_core::visit::Opinion::Rated {
                rating: Rating::Average,
            },
            attitude: onsite_core::visit::Opinion::Rated {
                rating: Rating::Average,
            },
            technician_ink: None,
            comment: COMMENT.into(),
            fix_uncertain: false,
            sign: SignInput::Refuse {
                reason: COMMENT.into(),
            },
        },
    )
    .unwrap();
    let due = t.job(job).unwrap().due_on_site().fen();
    t.take_payment(job, Method::Cash, due, None, true).unwrap();
    t.issue_receipt(job, false).unwrap();
    t.hand_over(job).unwrap();
}

fn hq_logs_name_ids_and_counts_never_customer_data(b: Backend, name: &str) {
    capture_logs();
    let tech = format!("T-LOG-{name}");
    let device = format!("DEV-LOG-{name}");
    let hq = Hq::start(b.clone());
    let code = hq.technician(&tech, "赵师傅");
    let phone = Phone::enroll(&hq.url, &code, &device);
    let (done, cancelled) = (format!("LOG-{name}-1"), format!("LOG-{name}-2"));
    hq.dispatch(&order(&done, &tech));
    hq.dispatch(&order(&cancelled, &tech));
    phone.sync();

    // A whole visit, and a fact on a job HQ cancels meanwhile (a rejection
    // whose message quotes HQ's reason).
    work_to_handover(&phone.tech, &done);
    phone.tech.accept_job(&cancelled).unwrap();
    // Cancelled by the dispatch desk's own key: the log names the key, never its secret.
    let (s, key) = hq.call(
        "POST",
        "/v1/keys",
        Some(ADMIN),
        Some(json!({"name": "log-desk", "scopes": ["dispatch"]})),
    );
    assert_eq!(s, 201, "{key}");
    let desk = key["secret"].as_str().unwrap().to_string();
    let (s, body) = hq.call(
        "POST",
        &format!("/v1/orders/{cancelled}/cancel"),
        Some(&desk),
        Some(json!({ "reason": CANCEL_REASON })),
    );
    assert_eq!(s, 200, "{body}");
    let r = phone.sync();
    assert!(r.ops_applied > 10 && r.ops_rejected == 1, "{r:?}");

    // A malformed push whose decoding error quotes the customer: the caller
    // gets the message, the log does not.
    let (s, body) = hq.call(
        "POST",
        "/v1/sync/push",
        Some(&phone.token),
        Some(json!({"ops": [{"seq": format!("{CUSTOMER} {PHONE}")}]})),
    );
    assert_eq!(s, 400, "{body}");

    // A database failure: the client gets a generic message with a reference,
    // the log gets the database's message under that reference.
    match &b {
        Backend::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch("DROP TABLE followups")
            .unwrap(),
        Backend::Postgres(url) => postgres::Client::connect(url, postgres::NoTls)
            .unwrap()
            .batch_execute("DROP TABLE followups")
            .unwrap(),
    }
    let (s, body) = hq.refused(hq.api.followups(&FollowQuery::default()));
    assert_eq!((s, body.error.as_str()), (500, "internal"), "{body:?}");
    let message = body.message.as_str();
    assert!(
        !message.contains("followups")
            && !message.contains("sqlite")
            && !message.contains("postgres"),
        "a raw database message reached the client: {message}"
    );
    let reference = message
        .split("ref ")
        .nth(1)
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no reference in {message}"))
        .to_string();

    hq.ok(hq.api.revoke_device(&device));
    hq.stop();

    let log = log_text();
    let mine: Vec<&str> = log.lines().filter(|l| l.contains(&device)).collect();
    let has = |needle: &str| mine.iter().any(|l| l.contains(needle));
    let requests: Vec<&str> = log.lines().filter(|l| l.contains("request done")).collect();
    assert!(
        !requests.is_empty() && requests.iter().all(|l| l.contains("http{request_id=")),
        "a request's line without its request id:\n{}",
        requests.join("\n")
    );
    for needle in [
        "route=/v1/sync/push",
        "status=200",
        "push settled",
        "op rejected",
        "job_cancelled",
        "pull served",
        "device enrolled",
        "device revoked",
        &tech,
    ] {
        assert!(
            has(needle),
            "no {needle:?} in HQ's log lines for {device}:\n{}",
            mine.join("\n")
        );
    }
    assert!(
        log.lines()
            .any(|l| l.contains(r#"caller="key" key="log-desk""#)
                && l.contains("route=/v1/orders/{job_id}/cancel")
                && l.contains("request done")),
        "the cancel's request line does not name the key:\n{log}"
    );
    assert!(
        log.lines().any(|l| l.contains(&reference)
            && l.contains("request failed")
            && l.contains("followups")),
        "the database error is not logged under {reference}:\n{log}"
    );
    for secret in [
        CUSTOMER,
        PHONE,
        ADDRESS,
        FAULT,
        COMMENT,
        CANCEL_REASON,
        "欧阳",
        "1391234",
        phone.token.as_str(),
        code.as_str(),
        ADMIN,
        desk.as_str(),
    ] {
        assert!(!log.contains(secret), "HQ's log holds {secret:?}:\n{log}");
    }
}

mod hq_logs_name_ids_and_counts_never_customer_data {
    #[test]
    fn sqlite() {
        let dir = tempfile::tempdir().unwrap();
        super::hq_logs_name_ids_and_counts_never_customer_data(
            super::Backend::Sqlite(dir.path().join("hq.sqlite3")),
            "sqlite",
        );
    }
    #[test]
    fn postgres() {
        super::hq_logs_name_ids_and_counts_never_customer_data(
            super::fresh_postgres("hq_logs"),
            "postgres",
        );
    }
}

/// HQ as its own process with `--log-format json` at debug level, as a log
/// collector receives it: a whole visit of the demo order through handover.
/// Every line is a JSON object, every request's line names its request id,
/// and the demo customer's name, phone and address appear nowhere.
#[test]
fn json_logs_of_a_whole_visit_hold_request_ids_and_no_customer() {
    let (dir, b) = onsite_tests::harness::sqlite_backend();
    let log_path = dir.path().join("hq.log");
    let port = onsite_tests::harness::free_port();
    let hq = onsite_tests::harness::HqProcess::spawn_with(
        std::path::Path::new(env!("CARGO_BIN_EXE_hq_server")),
        &b.url(),
        port,
        &[("ONSITE_HQ_LOG_FORMAT", "json"), ("RUST_LOG", "debug")],
        std::fs::File::create(&log_path).unwrap().into(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = admin_client(&hq.url);
    let code = enrollment_code(&rt, &api, "T-JSON", "赵师傅");
    let order = sample::leak_order("JSON-1", "T-JSON", Utc::now() + Duration::hours(1));
    let customer = order.customer.clone();
    let address = order.location.clone();
    ok(&rt, api.create_order(&order));
    let phone = Phone::enroll(&hq.url, &code, "DEV-JSON");
    phone.sync();
    onsite_tests::drive_accepted_to_handover(&phone.tech, "JSON-1").unwrap();
    assert!(phone.sync().ops_applied > 10);
    assert_eq!(ok(&rt, api.get_order("JSON-1")).status, Status::HandedOver);
    hq.kill();

    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let requests: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "request done")
        .collect();
    assert!(requests.len() >= 8, "too few request lines:\n{log}");
    for r in &requests {
        let id = r["spans"][0]["request_id"].as_str().unwrap_or_default();
        assert!(
            id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit()),
            "a request line without its request id: {r}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "push settled"),
        "no push in the log:\n{log}"
    );
    let digits: String = customer
        .phone
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let street = address.split_whitespace().next().unwrap();
    for secret in [
        customer.name.as_str(),
        &customer.phone,
        &digits,
        &address,
        street,
    ] {
        assert!(!log.contains(secret), "HQ's log holds {secret:?}:\n{log}");
    }
}
