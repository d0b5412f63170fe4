//! HQ's typed client (`onsite_hq::client`) against a real HQ on 127.0.0.1:
//! every call round-trips with the server's own types, and every refusal
//! comes back as a typed error carrying HQ's status, code and message.
//! On SQLite and on PostgreSQL: the answers go through HQ's rules.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use chrono::{Duration, Utc};
use onsite_core::charge::Instruction;
use onsite_core::sample;
use onsite_core::sync::protocol::ErrorBody;
use onsite_core::visit::{ConsentChannel, RescheduleConsent, Status};
use onsite_hq::api::{
    Assign, Cancel, ChargeCodeBody, ChargeInstructionBody, FollowQuery, Handover, InvoiceQuery,
    NewEnrollment, NewTechnician, OldPartsQuery, OrderFilter, ReconQuery, Reschedule,
};
use onsite_hq::client::{Client, ClientError};
use onsite_tests::harness::{Backend, Hq, Phone};
use onsite_tests::on_both;

fn technician(id: &str) -> NewTechnician {
    NewTechnician {
        technician_id: id.into(),
        name: "李师傅".into(),
    }
}

fn consent() -> Option<RescheduleConsent> {
    Some(RescheduleConsent {
        agreed_by: "王女士".into(),
        agreed_at: Utc::now(),
        channel: ConsentChannel::Phone,
    })
}

/// A day at the service centre, every admin call once, through the client.
fn every_call_round_trips(b: Backend) {
    let database = match &b {
        Backend::Sqlite(_) => "sqlite",
        Backend::Postgres(_) => "postgres",
    };
    let hq = Hq::start(b);
    let api = &hq.api;

    let health = hq.ok(api.health());
    assert_eq!(
        (health.status.as_str(), health.database.as_str()),
        ("ok", database)
    );
    let ready = hq.ok(api.ready());
    assert_eq!(
        (ready.status.as_str(), ready.database.as_str()),
        ("ready", database)
    );
    hq.ok(api.create_technician(&technician("T1")));
    // Idempotent: the same technician again is no error.
    hq.ok(api.create_technician(&technician("T1")));
    hq.ok(api.create_technician(&technician("T2")));
    let code = hq.ok(api.create_enrollment(&NewEnrollment {
        technician_id: "T1".into(),
    }));
    let phone = Phone::enroll(&hq.url, &code.code, "DEV-T1");

    let soon = Utc::now() + Duration::hours(2);
    let created = hq.ok(api.create_order(&sample::leak_order("J1", "T1", soon)));
    assert_eq!(
        (created.job_id.as_str(), created.technician_id.as_str()),
        ("J1", "T1")
    );
    assert_eq!(created.status, Status::Dispatched);
    hq.ok(api.create_order(&sample::leak_order("J2", "T1", soon)));

    let mine = hq.ok(api.list_orders(&OrderFilter {
        technician_id: Some("T1".into()),
        status: None,
    }));
    let ids: Vec<&str> = mine.iter().map(|o| o.job_id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&"J1") && ids.contains(&"J2"), "{ids:?}");
    let none = hq.ok(api.list_orders(&OrderFilter {
        technician_id: Some("T2".into()),
        status: None,
    }));
    assert!(none.is_empty(), "{none:?}");

    let visit = hq.ok(api.get_order("J1"));
    assert_eq!(visit.order, sample::leak_order("J1", "T1", soon));

    let moved = hq.ok(api.assign(
        "J2",
        &Assign {
            technician_id: "T2".into(),
        },
    ));
    assert_eq!(moved.technician_id, "T2");
    let later = soon + Duration::hours(24);
    let rescheduled = hq.ok(api.reschedule(
        "J2",
        &Reschedule {
            appointment_at: later,
            reason: "客户出差".into(),
            consent: consent(),
        },
    ));
    assert_eq!(rescheduled.appointment_at, later);
    let cancelled = hq.ok(api.cancel(
        "J2",
        &Cancel {
            reason: "业主已自行维修".into(),
        },
    ));
    assert_eq!(cancelled.status, Status::Cancelled);

    // The code a supervisor reads out is the one the technician's phone checks.
    let waive = Instruction::Waive;
    let read_out = hq.ok(api.charge_code("J1", &ChargeCodeBody { instruction: waive }));
    let key = phone.tech.profile().approval_key.clone();
    assert_eq!(
        read_out.code,
        onsite_core::charge::charge_code(key.as_bytes(), "J1", waive)
    );

    // The technician does the job (paid in cash, receipt issued) and syncs:
    // HQ's after-the-visit answers now hold it.
    phone.sync();
    onsite_tests::drive_accepted_to_handover(&phone.tech, "J1").unwrap();
    phone.sync();
    assert_eq!(hq.ok(api.get_order("J1")).status, Status::HandedOver);
    let paid = phone.tech.job("J1").unwrap().due_on_site().fen();
    let day = Utc::now()
        .with_timezone(&onsite_core::documents::china_time())
        .date_naive();
    hq.ok(api.handover(&Handover {
        technician_id: "T1".into(),
        day,
        method: "cash".into(),
        amount_fen: paid,
    }));
    let rec = hq.ok(api.reconciliation(&ReconQuery {
        technician_id: "T1".into(),
        day,
    }));
    let cash = rec.lines.iter().find(|l| l.method == "cash").unwrap();
    assert_eq!((cash.issued.count, cash.net_fen), (1, paid), "{rec:?}");
    assert_eq!(cash.handed_in_fen, paid);
    assert!(rec.balanced, "{rec:?}");

    let queue = hq.ok(api.followups(&FollowQuery {
        month: Some(day.format("%Y-%m").to_string()),
    }));
    assert!(queue.iter().any(|f| f.job_id == "J1"), "{queue:?}");
    assert!(hq.ok(api.followups(&FollowQuery::default())).len() <= queue.len());
    assert!(hq.ok(api.complaints()).is_empty());
    assert!(hq.ok(api.old_parts(&OldPartsQuery::default())).is_empty());
    assert!(hq
        .ok(api.invoices(&InvoiceQuery {
            status: Some("pending".into()),
        }))
        .is_empty());

    // Revoked: the phone's token is refused from then on.
    hq.ok(api.revoke_device("DEV-T1"));
    assert_eq!(hq.call("GET", "/v1/jobs", Some(&phone.token), None).0, 401);

    let doc = hq.ok(api.openapi());
    assert!(doc["paths"]["/v1/orders"].is_object(), "{doc}");
    hq.stop();
}
on_both!(every_call_round_trips);

/// HQ's status and code, its message kept.
fn code((status, body): (u16, ErrorBody)) -> (u16, String) {
    assert!(!body.message.is_empty(), "HQ's message is kept: {body:?}");
    (status, body.error)
}

/// Every kind of refusal comes back typed, with HQ's code and message.
fn refusals_are_typed(b: Backend) {
    let hq = Hq::start(b);
    let api = &hq.api;
    hq.ok(api.create_technician(&technician("T1")));
    let soon = Utc::now() + Duration::hours(2);
    hq.ok(api.create_order(&sample::leak_order("J1", "T1", soon)));

    let err = hq.answer(api.get_order("NOPE")).unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(404), Some("not_found")));
    assert!(err.to_string().contains("404"), "{err}");
    assert_eq!(
        code(hq.refused(api.get_order("NOPE"))),
        (404, "not_found".into())
    );
    // An order number is one path segment, whatever it holds.
    assert_eq!(
        code(hq.refused(api.get_order("J1/assign"))),
        (404, "not_found".into())
    );
    assert_eq!(
        code(hq.refused(api.assign(
            "J1",
            &Assign {
                technician_id: "NOBODY".into()
            }
        ))),
        (404, "not_found".into())
    );
    // The same order twice, and a cancelled order assigned: conflicts.
    assert_eq!(
        code(hq.refused(api.create_order(&sample::leak_order("J1", "T1", soon)))),
        (409, "conflict".into())
    );
    hq.ok(api.cancel(
        "J1",
        &Cancel {
            reason: "业主已自行维修".into(),
        },
    ));
    assert_eq!(
        code(hq.refused(api.assign(
            "J1",
            &Assign {
                technician_id: "T1".into()
            }
        ))),
        (409, "conflict".into())
    );
    // No dispute to instruct on.
    hq.ok(api.create_order(&sample::leak_order("J2", "T1", soon)));
    assert_eq!(
        code(hq.refused(api.charge_instruction(
            "J2",
            &ChargeInstructionBody {
                instruction: Instruction::Insist,
                by: "张主管".into(),
            }
        ))),
        (409, "conflict".into())
    );
    // HQ moves an appointment only with the customer's consent.
    assert_eq!(
        code(hq.refused(api.reschedule(
            "J2",
            &Reschedule {
                appointment_at: soon,
                reason: String::new(),
                consent: None,
            }
        ))),
        (400, "bad_request".into())
    );
    assert_eq!(
        code(hq.refused(api.handover(&Handover {
            technician_id: "T1".into(),
            day: soon.date_naive(),
            method: "bitcoin".into(),
            amount_fen: 100,
        }))),
        (400, "bad_request".into())
    );

    // A wrong key: 401, and nothing done.
    let stranger = Client::new(&hq.url, "not-the-key").unwrap();
    assert_eq!(
        code(hq.refused(stranger.create_technician(&technician("T9")))),
        (401, "unauthorized".into())
    );
    assert_eq!(
        code(hq.refused(api.create_enrollment(&NewEnrollment {
            technician_id: "T9".into()
        }))),
        (404, "not_found".into())
    );
    hq.stop();
}
on_both!(refusals_are_typed);

/// Failures without an HQ to answer are typed too, never a panic.
#[test]
fn no_hq_is_a_typed_failure() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let port = onsite_tests::harness::free_port();
    let nobody = Client::new(&format!("http://127.0.0.1:{port}"), "k").unwrap();
    match rt.block_on(nobody.complaints()) {
        Err(e @ ClientError::Transport { .. }) => {
            assert_eq!((e.status(), e.code()), (None, None));
            assert!(e.to_string().contains("cannot reach HQ"), "{e}");
        }
        other => panic!("expected a transport failure, got {other:?}"),
    }
    for bad in ["", "127.0.0.1:8080", "ftp://hq", "mailto:hq@example.com"] {
        assert!(
            matches!(Client::new(bad, "k"), Err(ClientError::BadUrl(_))),
            "{bad:?}"
        );
    }
    // A path prefix (HQ behind a proxy) and a trailing slash are kept and dropped.
    let c = Client::new("http://127.0.0.1:1/hq/", "secret-admin-key").unwrap();
    assert_eq!(c.base_url(), "http://127.0.0.1:1/hq");
    // Printed, the client names its HQ and keeps its key to itself.
    let printed = format!("{c:?}");
    assert!(
        printed.contains("127.0.0.1:1/hq") && !printed.contains("secret-admin-key"),
        "{printed}"
    );
}

/// Something at `url` that is not HQ: answers one request with `status`
/// and `body`, then closes.
fn not_hq(status: &str, body: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let status = status.to_string();
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut buf).unwrap();
            if n == 0 {
                return;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let answer = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(answer.as_bytes()).unwrap();
    });
    url
}

/// What answers in HQ's place (a proxy's error page, a server speaking
/// another contract) is a typed failure that keeps what it said.
#[test]
fn an_answer_that_is_not_hqs_is_a_typed_failure() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let call = |url: String| rt.block_on(Client::new(&url, "k").unwrap().complaints());

    match call(not_hq("502 Bad Gateway", "<html>Bad Gateway</html>")) {
        Err(e @ ClientError::Unexpected { .. }) => {
            assert_eq!((e.status(), e.code()), (Some(502), None));
            assert!(e.to_string().contains("Bad Gateway"), "{e}");
        }
        other => panic!("expected a failure without HQ's body, got {other:?}"),
    }
    // An error body that is not HQ's form is not passed off as HQ's.
    match call(not_hq("404 Not Found", r#"{"error": 404}"#)) {
        Err(ClientError::Unexpected { status: 404, body }) => {
            assert_eq!(body, r#"{"error": 404}"#);
        }
        other => panic!("expected a failure without HQ's body, got {other:?}"),
    }
    match call(not_hq("200 OK", r#"{"complaints": "none"}"#)) {
        Err(e @ ClientError::Decode { .. }) => {
            assert_eq!(e.status(), Some(200));
            assert!(e.to_string().contains("ComplaintRecord"), "{e}");
        }
        other => panic!("expected an answer that does not decode, got {other:?}"),
    }
}

/// An HQ that accepts the connection and never answers fails the call
/// within the client's timeout: a command never hangs on it.
#[test]
fn a_silent_hq_fails_within_the_timeout() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let api = Client::with_timeout(&url, "k", std::time::Duration::from_millis(300)).unwrap();
    let started = std::time::Instant::now();
    let answer = rt.block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(10), api.complaints()).await
    });
    match answer {
        Ok(Err(ClientError::Transport { source, .. })) => {
            assert!(source.is_timeout(), "{source}");
        }
        Ok(other) => panic!("expected a timeout, got {other:?}"),
        Err(_) => panic!("the call was still waiting after 10 s"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    drop(silent);
}

/// HQ restarted between two calls (a deploy, a crash) is reached again by
/// the same client: no call fails on a connection the old HQ left behind.
#[test]
fn a_restarted_hq_is_reached_again() {
    use onsite_tests::harness::{admin_client, free_port, sqlite_backend, HqProcess};
    let (_dir, b) = sqlite_backend();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_hq_server"));
    let port = free_port();
    // As the CLI and the fault suite run it: nothing polled between calls.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut hq = HqProcess::spawn(bin, &b.url(), port);
    let api = admin_client(&hq.url);
    rt.block_on(api.create_technician(&technician("T1")))
        .unwrap();
    for round in 0..3 {
        hq.kill();
        hq = HqProcess::spawn(bin, &b.url(), port);
        let answer = rt.block_on(api.complaints());
        if answer.is_err() {
            hq.kill(); // no HQ process outlives the test
            panic!("after restart {round}: {answer:?}");
        }
    }
    hq.kill();
}
