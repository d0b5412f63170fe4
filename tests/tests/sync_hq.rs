//! Phone core <-> HQ over real HTTP on 127.0.0.1, on SQLite and on PostgreSQL.
//! Each story is written once and run against both databases.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Utc};
use onsite_core::sample;
use onsite_core::signature::record::content_hash;
use onsite_core::visit::Status;
use onsite_hq::api::{Assign, Cancel, Handover, NewTechnician};
use onsite_hq::rules::{MethodLine, Reconciliation, Tally};
use onsite_tests::harness::{assert_in_step_with_hq, hq_and_phone, Backend, Hq, Phone, ADMIN};
use onsite_tests::on_both;
use onsite_tests::proxy::{Faults, Proxy};
use serde_json::json;

fn happy_path(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T1");
    let order = sample::leak_order("HP-1", "T1", Utc::now() + Duration::hours(1));
    hq.dispatch(&order);
    let r = phone.sync();
    assert_eq!(r.changes_pulled, 1);
    assert_eq!(
        r.receipt_blocks, 1,
        "the phone asks for receipt numbers while online"
    );
    assert_eq!(phone.tech.job("HP-1").unwrap().status, Status::Dispatched);

    // Offline: the whole visit (full_visit re-dispatches locally; use a second job for that).
    let job = "HP-2";
    hq.dispatch(&sample::leak_order(
        job,
        "T1",
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
    let t = &phone.tech;
    t.accept_job(job).unwrap();
    drive_to_handover(t, job);
    let queued = t.outbox_len().unwrap();
    assert!(queued > 10);
    let r = phone.sync();
    assert_eq!(r.ops_pushed as i64, queued);
    assert_eq!(r.ops_applied as i64, queued);
    assert_eq!(
        t.outbox_len().unwrap(),
        0,
        "the outbox is trimmed after HQ acknowledges"
    );

    let v = hq.order(job);
    assert_eq!(v["status"], "handed_over");
    assert_eq!(v["acceptance"]["fix_uncertain"], true);
    let receipt = v["receipt"]["number"].as_str().unwrap().to_string();
    assert!(receipt.starts_with("R-"), "{receipt}");
    let f = hq.followups();
    assert!(
        f.iter()
            .any(|e| e.job_id == job && e.reason == "fix_uncertain"),
        "{f:?}"
    );
    // Syncing again changes nothing.
    let r = phone.sync();
    assert_eq!((r.ops_pushed, r.changes_pulled), (0, 0));
    hq.stop();
}
on_both!(happy_path);

/// Walks an already dispatched and accepted job to handover.
fn drive_to_handover(t: &onsite_core::Technician, job: &str) {
    drive_to_settled(t, job, onsite_core::payment::Method::WechatPay);
    t.hand_over(job).unwrap();
}

/// Walks an already dispatched and accepted job to a receipt issued for a
/// payment by `method`; returns the receipt's number.
fn drive_to_settled(
    t: &onsite_core::Technician,
    job: &str,
    method: onsite_core::payment::Method,
) -> String {
    onsite_tests::drive_accepted_to_acceptance(
        t,
        job,
        onsite_tests::refused_signature(onsite_core::visit::Rating::Satisfied, true),
    )
    .unwrap();
    let due = t.job(job).unwrap().due_on_site().fen();
    let reference = (method != onsite_core::payment::Method::Cash).then(|| "WX1".to_string());
    t.take_payment(job, method, due, reference, true).unwrap();
    t.issue_receipt(job, false).unwrap().number
}

fn reassign_and_cancel_while_offline_become_conflicts(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T1");
    hq.ok(hq.api.create_technician(&NewTechnician {
        technician_id: "T2".into(),
        name: "张师傅".into(),
    }));
    for job in ["RC-1", "RC-2"] {
        hq.dispatch(&sample::leak_order(
            job,
            "T1",
            Utc::now() + Duration::hours(1),
        ));
    }
    phone.sync();
    // Offline, the technician works both jobs a little...
    for job in ["RC-1", "RC-2"] {
        phone.tech.accept_job(job).unwrap();
        sample::complete_checklist(
            &phone.tech,
            job,
            onsite_core::checklist::Phase::BeforeLeaving,
        )
        .unwrap();
        phone.tech.depart(job).unwrap();
    }
    // ...while HQ reassigns one and cancels the other.
    hq.ok(hq.api.assign(
        "RC-1",
        &Assign {
            technician_id: "T2".into(),
        },
    ));
    hq.ok(hq.api.cancel(
        "RC-2",
        &Cancel {
            reason: "业主已自行维修".into(),
        },
    ));
    let r = phone.sync();
    assert!(r.ops_rejected > 0);
    let c1 = phone.tech.conflicts("RC-1").unwrap();
    assert!(
        !c1.is_empty() && c1.iter().all(|c| c.code == "reassigned"),
        "{c1:?}"
    );
    // The technician reads it in Chinese, from the codes; HQ's English stays in `message`.
    let told = c1[0].describe(onsite_core::locale::Lang::ZhCn);
    assert!(
        told.contains("工单已改派给其他维修人员")
            && !told.chars().any(|ch| ch.is_ascii_alphabetic()),
        "{told}"
    );
    let c2 = phone.tech.conflicts("RC-2").unwrap();
    assert!(
        c2.iter()
            .any(|c| c.code == "job_cancelled" && c.message.contains("业主已自行维修")),
        "{c2:?}"
    );
    // Once HQ has seen the ops, the pulled changes apply: both jobs stop.
    assert_eq!(phone.tech.job("RC-1").unwrap().status, Status::Cancelled);
    assert_eq!(phone.tech.job("RC-2").unwrap().status, Status::Cancelled);
    assert_eq!(phone.tech.outbox_len().unwrap(), 0);
    hq.stop();
}
on_both!(reassign_and_cancel_while_offline_become_conflicts);

fn a_lost_response_then_retry_applies_once(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T1", "李师傅");
    hq.dispatch(&sample::leak_order(
        "LR-1",
        "T1",
        Utc::now() + Duration::hours(1),
    ));
    // The phone already holds its receipt numbers and the job (synced
    // directly), and works the visit offline.
    let phone = Phone::enroll(&hq.url, &code, "DEV-LR");
    phone.sync();
    let t = &phone.tech;
    t.accept_job("LR-1").unwrap();
    drive_to_handover(t, "LR-1");
    // Then it syncs through a proxy that gives every request its own fate and
    // loses HQ's answers to the first two pushes: the push is applied, its
    // answer lost, and the retried push must come back as duplicates.
    let upstream = hq.url.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(
        upstream,
        Faults {
            lose_first_pushes: 2,
            ..Faults::none()
        },
    );
    let mut config = onsite_core::sync::SyncConfig::new(&proxy.url, &phone.token);
    config.base_backoff_ms = 20;
    config.max_backoff_ms = 200;
    config.max_attempts = 12;
    let via_proxy = onsite_core::sync::SyncClient::new(config).unwrap();
    let report = via_proxy.sync_now(t, None).unwrap();
    assert_eq!(
        (proxy.faulted_pushes(), proxy.faulted()),
        (2, 2),
        "the first two pushes, and nothing else, lost their answers"
    );
    assert!(
        report.ops_duplicate > 0,
        "the push itself was retried after a lost answer: {report:?}"
    );
    // Every op the phone committed is applied at HQ exactly once, and HQ's
    // visit is the phone's.
    assert_eq!(hq.order("LR-1")["status"], "handed_over");
    assert_in_step_with_hq(&hq.backend.url(), t, "DEV-LR", &BTreeMap::new());
    hq.stop();
}
on_both!(a_lost_response_then_retry_applies_once);

fn a_flaky_network_still_converges(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T1", "李师傅");
    let upstream = hq.url.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(
        upstream,
        Faults {
            drop: 0.08,
            stall: 0.06,
            lose_response: 0.10,
            delay: 0.08,
            truncate: 0.06,
            duplicate: 0.08,
            stall_for: std::time::Duration::from_millis(300),
            seed: 0x5eed,
            ..Faults::none()
        },
    );
    let phone = Phone::enroll_via(&hq.url, &proxy.url, &code, "DEV-FL");
    for i in 0..4 {
        hq.dispatch(&sample::leak_order(
            &format!("FL-{i}"),
            "T1",
            Utc::now() + Duration::hours(1),
        ));
    }
    let mut tries = 0;
    while phone.client.sync_now(&phone.tech, None).is_err() {
        tries += 1;
        assert!(tries < 20, "never converged");
    }
    // Each visit is pushed on its own, so several pushes meet the faults.
    let mut duplicates = 0;
    for i in 0..4 {
        let job = format!("FL-{i}");
        phone.tech.accept_job(&job).unwrap();
        drive_to_handover(&phone.tech, &job);
        while phone.tech.outbox_len().unwrap() > 0 {
            if let Ok(r) = phone.client.sync_now(&phone.tech, None) {
                duplicates += r.ops_duplicate;
            }
            tries += 1;
            assert!(tries < 60, "never converged");
        }
    }
    // The pushes themselves met faults, and a push HQ had applied was sent again.
    assert!(
        proxy.faulted_pushes() > 0,
        "no push met a fault: {:?}",
        proxy.served()
    );
    assert!(
        duplicates > 0,
        "no push was retried after HQ applied it: {:?}",
        proxy.served()
    );
    for i in 0..4 {
        assert_eq!(hq.order(&format!("FL-{i}"))["status"], "handed_over");
    }
    assert_in_step_with_hq(&hq.backend.url(), &phone.tech, "DEV-FL", &BTreeMap::new());
    hq.stop();
}
on_both!(a_flaky_network_still_converges);

fn tokens_and_scopes_are_enforced(b: Backend) {
    let hq = Hq::start(b);
    let code_a = hq.technician("TA", "甲");
    let code_b = hq.technician("TB", "乙");
    let a = Phone::enroll(&hq.url, &code_a, "DEV-A");
    let bph = Phone::enroll(&hq.url, &code_b, "DEV-B");
    hq.dispatch(&sample::leak_order("B-JOB", "TB", Utc::now()));
    // Missing, wrong tokens.
    assert_eq!(hq.call("GET", "/v1/jobs", None, None).0, 401);
    assert_eq!(hq.call("GET", "/v1/jobs", Some("nope"), None).0, 401);
    let (s, body) = hq.call(
        "POST",
        "/v1/sync/push",
        Some("nope"),
        Some(json!({"ops": []})),
    );
    assert_eq!(s, 401);
    assert_eq!(body["error"], "unauthorized");
    // A used enrollment code does not work twice.
    assert_eq!(
        hq.call(
            "POST",
            "/v1/enroll",
            None,
            Some(json!({"code": code_a, "device_id": "DEV-X"}))
        )
        .0,
        401
    );
    // A sees none of B's jobs or blobs.
    let (s, jobs) = hq.call("GET", "/v1/jobs", Some(&a.token), None);
    assert_eq!(s, 200);
    assert!(jobs.as_array().unwrap().is_empty());
    assert_eq!(
        hq.call("GET", "/v1/jobs/B-JOB", Some(&a.token), None).0,
        404
    );
    assert_eq!(
        hq.call("GET", "/v1/jobs/B-JOB", Some(&bph.token), None).0,
        200
    );
    let sha = bph
        .tech
        .put_blob("image/png", b"B's photo", Some("B-JOB"))
        .unwrap();
    bph.sync();
    assert_eq!(
        hq.call("GET", &format!("/v1/blobs/{sha}"), Some(&a.token), None)
            .0,
        404
    );
    let (s, body) = hq.call("GET", &format!("/v1/blobs/{sha}"), Some(&bph.token), None);
    assert_eq!(s, 200, "{body}");
    // Devices cannot use the dispatch API.
    assert_eq!(hq.call("GET", "/v1/orders", Some(&a.token), None).0, 403);
    // Revoked tokens stop working.
    hq.ok(hq.api.revoke_device("DEV-A"));
    assert_eq!(hq.call("GET", "/v1/jobs", Some(&a.token), None).0, 401);
    assert!(matches!(
        a.client.sync_now(&a.tech, None),
        Err(onsite_core::Error::Hq { status: 401, .. })
    ));
    // The health check needs no token.
    assert_eq!(hq.call("GET", "/v1/health", None, None).0, 200);
    hq.stop();
}
on_both!(tokens_and_scopes_are_enforced);

fn malformed_and_oversized_bodies_get_typed_errors(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T1");
    let rt = &hq.rt;
    let raw = |body: Vec<u8>, ct: &str| -> (u16, serde_json::Value) {
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(format!("{}/v1/sync/push", hq.url))
                .bearer_auth(&phone.token)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (
                s,
                serde_json::from_slice(&r.bytes().await.unwrap())
                    .unwrap_or(serde_json::Value::Null),
            )
        })
    };
    for body in [
        b"{".to_vec(),
        b"null".to_vec(),
        b"{\"ops\": [{\"seq\": \"x\"}]}".to_vec(),
        vec![0xff, 0xfe, 0x00],
    ] {
        let (s, e) = raw(body, "application/json");
        assert_eq!(s, 400, "{e}");
        assert_eq!(e["error"], "bad_request");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let (s, e) = raw(vec![b' '; 5 * 1024 * 1024], "application/json");
    assert_eq!(s, 413);
    assert_eq!(e["error"], "too_large");
    // A blob that does not hash to its address, and one too large.
    let (s, _) = hq.call(
        "PUT",
        &format!("/v1/blobs/{}", content_hash(b"x")),
        Some(&phone.token),
        Some(json!("y")),
    );
    assert_eq!(s, 400);
    // The server keeps serving.
    assert_eq!(hq.call("GET", "/v1/health", None, None).0, 200);
    assert_eq!(phone.sync().ops_pushed, 0);
    let _ = ADMIN;
    hq.stop();
}
on_both!(malformed_and_oversized_bodies_get_typed_errors);

/// Every JSON route checks the caller before it reads the body, and answers a
/// wrong caller, a malformed body, an oversized body and a malformed query with
/// HQ's typed JSON error (never axum's plain-text rejection).
fn every_route_checks_the_caller_first_and_answers_typed_errors(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T1");
    let raw = |path: &str, token: Option<&str>, body: Vec<u8>| -> (u16, serde_json::Value) {
        hq.rt.block_on(async {
            let mut req = reqwest::Client::new()
                .post(format!("{}{path}", hq.url))
                .header("content-type", "application/json")
                .body(body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            let s = r.status().as_u16();
            let bytes = r.bytes().await.unwrap();
            let v = serde_json::from_slice(&bytes).unwrap_or_else(
                |_| json!({"not json": String::from_utf8_lossy(&bytes).to_string()}),
            );
            (s, v)
        })
    };
    let admin_routes = [
        "/v1/technicians",
        "/v1/enrollments",
        "/v1/orders",
        "/v1/orders/J-0/assign",
        "/v1/orders/J-0/reschedule",
        "/v1/orders/J-0/cancel",
        "/v1/orders/J-0/charge-instruction",
        "/v1/orders/J-0/charge-code",
        "/v1/handovers",
        "/v1/keys",
    ];
    for path in admin_routes {
        let typed = |token: Option<&str>, body: Vec<u8>, status: u16, code: &str| {
            let (s, e) = raw(path, token, body);
            assert_eq!(
                (s, e["error"].as_str()),
                (status, Some(code)),
                "{path}: {e}"
            );
            assert!(!e["message"].as_str().unwrap().is_empty(), "{path}: {e}");
        };
        // The caller is checked before the body is even read.
        typed(None, b"{".to_vec(), 401, "unauthorized");
        typed(Some(&phone.token), b"{".to_vec(), 403, "forbidden");
        for body in [&b"{"[..], b"null", b"[1]", b"{\"technician_id\": 7}"] {
            typed(Some(ADMIN), body.to_vec(), 400, "bad_request");
        }
        typed(Some(ADMIN), vec![b' '; 5 * 1024 * 1024], 413, "too_large");
    }
    // Device routes refuse the admin token with the same typed error.
    let (s, e) = raw("/v1/sync/push", Some(ADMIN), b"{".to_vec());
    assert_eq!((s, e["error"].as_str()), (403, Some("forbidden")), "{e}");
    // A query that does not fit its parameters is a typed 400 too.
    for q in [
        "/v1/reconciliation?technician_id=T1&day=tomorrow",
        "/v1/reconciliation",
    ] {
        let (s, e) = hq.call("GET", q, Some(ADMIN), None);
        assert_eq!(
            (s, e["error"].as_str()),
            (400, Some("bad_request")),
            "{q}: {e}"
        );
    }
    let (s, e) = hq.call("GET", "/v1/sync/pull?cursor=x", Some(&phone.token), None);
    assert_eq!((s, e["error"].as_str()), (400, Some("bad_request")), "{e}");
    hq.stop();
}
on_both!(every_route_checks_the_caller_first_and_answers_typed_errors);

fn every_documented_operation_is_routed(b: Backend) {
    let hq = Hq::start(b);
    // The contract is public: no token needed to read it.
    let (status, doc) = hq.call("GET", "/v1/openapi.json", None, None);
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut n = 0;
    for (path, ops) in paths {
        for (method, _) in ops.as_object().unwrap() {
            let concrete = path
                .replace("{device_id}", "DEV-0")
                .replace("{name}", "K-0")
                .replace("{job_id}", "J-0")
                .replace("{sha256}", &"0".repeat(64));
            let (status, body) = hq.call(&method.to_uppercase(), &concrete, Some(ADMIN), None);
            assert_ne!(
                body["message"], "route not found",
                "{method} {path} is documented but not routed"
            );
            // A route that exists only under another method is not this operation.
            assert_ne!(
                status, 405,
                "{method} {path} is documented but routed under another method"
            );
            n += 1;
        }
    }
    // Every route of the router is documented (the fallback is not a route).
    assert_eq!(n, 39, "operations documented");
    let (s, body) = hq.call("GET", "/v1/nothing-here", Some(ADMIN), None);
    assert_eq!(
        (s, body["message"].as_str()),
        (404, Some("route not found"))
    );
    hq.stop();
}
on_both!(every_documented_operation_is_routed);

fn receipt_blocks_never_overlap(b: Backend) {
    let hq = Hq::start(b);
    let mut ranges = Vec::new();
    for d in 0..3 {
        let code = hq.technician(&format!("T{d}"), "师傅");
        let p = Phone::enroll(&hq.url, &code, &format!("DEV-{d}"));
        for _ in 0..2 {
            let (s, v) = hq.call("POST", "/v1/receipt-blocks", Some(&p.token), None);
            assert_eq!(s, 201);
            ranges.push((v["first"].as_i64().unwrap(), v["last"].as_i64().unwrap()));
        }
    }
    ranges.sort();
    for w in ranges.windows(2) {
        assert!(w[0].1 < w[1].0, "{ranges:?}");
    }
    hq.stop();
}
on_both!(receipt_blocks_never_overlap);

fn handover_reconciliation_balances_money_by_method(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T1");
    hq.dispatch(&sample::leak_order(
        "RE-1",
        "T1",
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
    phone.tech.accept_job("RE-1").unwrap();
    drive_to_handover(&phone.tech, "RE-1");
    phone.sync();
    let day = china_today();
    let due = phone.tech.job("RE-1").unwrap().due_on_site().fen();
    let r = hq.reconciliation("T1", day);
    assert!(!r.balanced, "{r:?}");
    assert_eq!(r.lines[0].method, "wechat_pay");
    assert_eq!(r.lines[0].issued, Tally { count: 1, fen: due });
    assert_eq!(r.lines[0].net_fen, due);
    assert_eq!(r.lines[0].difference_fen, -due);
    hand_over(&hq, day, "wechat_pay", due);
    let r = hq.reconciliation("T1", day);
    assert!(r.balanced, "{r:?}");
    hq.stop();
}
on_both!(handover_reconciliation_balances_money_by_method);

fn china_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&onsite_core::documents::china_time())
        .date_naive()
}

/// T1 hands in `fen` of `method` for `day`.
fn hand_over(hq: &Hq, day: NaiveDate, method: &str, fen: i64) {
    hq.ok(hq.api.handover(&Handover {
        technician_id: "T1".into(),
        day,
        method: method.into(),
        amount_fen: fen,
    }));
}

fn line<'a>(r: &'a Reconciliation, method: &str) -> &'a MethodLine {
    r.lines
        .iter()
        .find(|l| l.method == method)
        .unwrap_or_else(|| panic!("no {method} line in {r:?}"))
}

/// Issue, void and reissue while HQ is unreachable; HQ learns of all three on
/// the next sync and its reconciliation counts each, with the net money.
fn void_and_reissue_offline_then_reconcile(b: Backend) {
    use onsite_core::payment::Method;
    let (hq, phone) = hq_and_phone(b, "T1");
    for job in ["VR-1", "VR-2"] {
        hq.dispatch(&sample::leak_order(
            job,
            "T1",
            Utc::now() + Duration::hours(1),
        ));
    }
    assert_eq!(phone.sync().receipt_blocks, 1);
    let t = &phone.tech;

    // HQ goes away; the phone works on.
    let addr: std::net::SocketAddr = hq.url.trim_start_matches("http://").parse().unwrap();
    let backend = hq.backend.clone();
    hq.stop();
    for job in ["VR-1", "VR-2"] {
        t.accept_job(job).unwrap();
    }
    // VR-1 by WeChat Pay: issued, voided (wrong method written), reissued, handed over.
    let first = drive_to_settled(t, "VR-1", Method::WechatPay);
    t.void_receipt(&first, "金额写错").unwrap();
    let second = t.reissue_receipt(&first).unwrap().number;
    assert_ne!(first, second);
    t.hand_over("VR-1").unwrap();
    // VR-2 in cash: issued and voided, not reissued.
    let cash = drive_to_settled(t, "VR-2", Method::Cash);
    t.void_receipt(&cash, "客户要求撤销").unwrap();
    let due1 = t.job("VR-1").unwrap().due_on_site().fen();
    let due2 = t.job("VR-2").unwrap().due_on_site().fen();
    assert!(due1 > 0 && due2 > 0);
    assert!(
        matches!(
            phone.client.sync_now(t, None),
            Err(onsite_core::Error::Offline { .. })
        ),
        "HQ is unreachable"
    );
    let queued = t.outbox_len().unwrap();
    assert!(queued > 0);

    // HQ is back: everything applies, nothing is rejected.
    let hq = Hq::start_on(backend, addr);
    let r = phone.sync();
    assert_eq!(r.ops_applied as i64, queued, "{r:?}");
    assert_eq!(r.ops_rejected, 0, "{:?}", t.conflicts("VR-1").unwrap());
    assert_eq!(t.outbox_len().unwrap(), 0);
    let v1 = hq.order("VR-1");
    assert_eq!(v1["status"], "handed_over");
    assert_eq!(v1["receipt"]["number"], second.as_str());
    assert_eq!(v1["voided_receipts"], json!([first.clone()]));

    let day = china_today();
    let r = hq.reconciliation("T1", day);
    let once = |fen| Tally { count: 1, fen };
    let wx = line(&r, "wechat_pay");
    assert_eq!(wx.issued, once(due1), "{r:?}");
    assert_eq!(wx.voided, once(due1), "{r:?}");
    assert_eq!(wx.reissued, once(due1), "{r:?}");
    assert_eq!(wx.net_fen, due1, "one payment, counted once");
    let cash_line = line(&r, "cash");
    assert_eq!(cash_line.issued, once(due2));
    assert_eq!(cash_line.voided, once(due2));
    assert_eq!(cash_line.reissued, Tally::default());
    assert_eq!(
        cash_line.net_fen, 0,
        "a void alone leaves nothing to hand in"
    );

    // Handing in the WeChat payment balances it; handing in the voided cash does not.
    for (method, fen) in [("wechat_pay", due1), ("cash", due2)] {
        hand_over(&hq, day, method, fen);
    }
    let r = hq.reconciliation("T1", day);
    assert_eq!(line(&r, "wechat_pay").difference_fen, 0);
    assert_eq!(line(&r, "cash").difference_fen, due2, "{r:?}");
    assert!(!r.balanced, "voided money was handed in: {r:?}");
    hand_over(&hq, day, "cash", 0);
    let before = hq.reconciliation("T1", day);
    assert!(before.balanced, "{before:?}");

    // A second device of the same technician sends voids and reissues HQ
    // cannot take: each is rejected with a code, none changes the money.
    let code = hq.technician("T1", "李师傅");
    let other = Phone::enroll(&hq.url, &code, "DEV-T1-B");
    let op = |seq: i64, job: &str, event: serde_json::Value| {
        json!({
            "op_id": format!("crafted-{seq}"), "device_id": "DEV-T1-B", "seq": seq,
            "hlc": format!("{:016}-00000-DEV-T1-B", seq), "job_id": job,
            "actor": {"role": "technician", "id": "T1"}, "at": Utc::now(), "event": event,
        })
    };
    let sha = "0".repeat(64);
    let ops = vec![
        op(
            1,
            "VR-2",
            json!({"type": "receipt_voided", "number": "R-99999999", "reason": "x"}),
        ),
        op(
            2,
            "VR-2",
            json!({"type": "receipt_voided", "number": cash, "reason": "x"}),
        ),
        op(
            3,
            "VR-2",
            json!({"type": "receipt_voided", "number": second, "reason": "x"}),
        ),
        op(
            4,
            "VR-1",
            json!({"type": "receipt_reissued", "receipt": {"number": "R-77777777", "sha256": sha}, "replaces": second}),
        ),
        op(
            5,
            "VR-1",
            json!({"type": "receipt_reissued", "receipt": {"number": "R-77777777", "sha256": sha}, "replaces": first}),
        ),
        op(
            6,
            "VR-2",
            json!({"type": "receipt_reissued", "receipt": {"number": second, "sha256": sha}, "replaces": cash}),
        ),
    ];
    let (s, resp) = hq.call(
        "POST",
        "/v1/sync/push",
        Some(&other.token),
        Some(json!({"ops": ops})),
    );
    assert_eq!(s, 200, "{resp}");
    let codes: Vec<&str> = resp["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "rejected", "{r}");
            r["code"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        codes,
        [
            "unknown_receipt",          // no such number at HQ
            "receipt_already_void",     // voided already
            "unknown_receipt",          // VR-1's receipt, not VR-2's
            "rule_broken",              // the standing receipt is not void
            "rule_broken",              // that void was already reissued
            "duplicate_receipt_number", // a number HQ has
        ]
    );
    assert_eq!(hq.reconciliation("T1", day), before);
    hq.stop();
}
on_both!(void_and_reissue_offline_then_reconcile);
