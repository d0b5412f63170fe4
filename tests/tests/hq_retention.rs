//! Retention at HQ (issue 14, item 9), on SQLite and PostgreSQL through the
//! real command: `onsite hq retention --dry-run` lists the closed orders
//! older than the company's setting and changes nothing; `--apply`
//! anonymises them — the customer's name, phone and room gone from the
//! order, its list columns, its call, its op payloads and its change feed,
//! its photos deleted — while the amounts, the receipt and the times stay,
//! audited; an open or recent order is untouched; a second run finds
//! nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_hq::centre::dossier::photos_of;
use onsite_tests::browser::onsite_bin;
use onsite_tests::harness::{Backend, Hq, Phone};
use onsite_tests::{drive_accepted_to_handover, on_both, peek};

const NAME: &str = "王女士";

fn retention(b: &Backend, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(onsite_bin())
        .args(["hq", "retention", "--db", &b.url()])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn count(b: &Backend, sql: &str, job: &str) -> i64 {
    peek::query(&b.url(), sql, &[job.into()])[0].int(0)
}

fn closed_orders_are_anonymised_after_the_retention_period(b: Backend) {
    let hq = Hq::start(b.clone());
    let code = hq.technician("T-1", "张师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-1");
    for job in ["WO-OLD", "WO-NEW", "WO-OPEN"] {
        hq.dispatch(&sample::leak_order(job, "T-1", Utc::now()));
    }
    phone.sync();
    for job in ["WO-OLD", "WO-NEW"] {
        drive_accepted_to_handover(&phone.tech, job).unwrap();
    }
    phone.sync();
    let before = hq.visit("WO-OLD");
    let photos = photos_of(&before);
    assert!(!photos.is_empty(), "the visit has photos");
    hq.stop();
    // WO-OLD closed four years ago; the open one is as old but not closed.
    let four_years_ago =
        (Utc::now() - Duration::days(4 * 366)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for job in ["WO-OLD", "WO-OPEN"] {
        peek::exec(
            &b.url(),
            "UPDATE orders SET updated_at = $1 WHERE job_id = $2",
            &[four_years_ago.clone().into(), job.into()],
        );
    }

    // A complaint about each closed order, its handling step's note naming
    // the customer (as the service centre writes them).
    for job in ["WO-OLD", "WO-NEW"] {
        let id = format!("C-{job}");
        peek::exec(
            &b.url(),
            "INSERT INTO complaints(op_id, job_id, technician_id, kind, words, customer_name,
               customer_phone, phone_digits, made_at, received_at)
             VALUES ($1, $2, 'T-1', 'service', '态度不好', $3, '138-0013-8000', '13800138000', $4, $4)",
            &[id.clone().into(), job.into(), NAME.into(), four_years_ago.clone().into()],
        );
        peek::exec(
            &b.url(),
            "INSERT INTO complaint_steps(complaint_id, step, at, by_actor, note)
             VALUES ($1, 'accepted', $2, 'person:desk', $3)",
            &[
                id.into(),
                four_years_ago.clone().into(),
                format!("已致电{NAME},约定上门").into(),
            ],
        );
    }
    let (ok, out, err) = retention(&b, &["--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("retention 3 years") && out.contains("1 due"),
        "{out}"
    );
    assert!(out.contains("WO-OLD") && !out.contains("WO-NEW") && !out.contains("WO-OPEN"));
    let visit_of = |job: &str| {
        peek::query(
            &b.url(),
            "SELECT visit FROM orders WHERE job_id = $1",
            &[job.into()],
        )[0]
        .text(0)
    };
    assert!(
        visit_of("WO-OLD").contains(NAME),
        "a dry run changes nothing"
    );

    let (ok, out, err) = retention(&b, &["--apply"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("1 anonymised") && out.contains("WO-OLD"),
        "{out}"
    );
    let old = visit_of("WO-OLD");
    for gone in [NAME, "138-0013-8000", "1502"] {
        assert!(!old.contains(gone), "{gone} still in the order: {old}");
    }
    assert!(visit_of("WO-NEW").contains(NAME), "a recent order is kept");
    assert!(visit_of("WO-OPEN").contains(NAME), "an open order is kept");
    let row = peek::query(
        &b.url(),
        "SELECT customer_name, phone_digits, location, status FROM orders WHERE job_id = $1",
        &["WO-OLD".into()],
    );
    assert_eq!(
        (
            row[0].text(0),
            row[0].text(1),
            row[0].text(2),
            row[0].text(3)
        ),
        (
            String::new(),
            String::new(),
            String::new(),
            "handed_over".into()
        )
    );
    let notes = |job: &str| {
        peek::query(
            &b.url(),
            "SELECT note FROM complaint_steps WHERE complaint_id = $1",
            &[format!("C-{job}").into()],
        )[0]
        .text(0)
    };
    assert_eq!(notes("WO-OLD"), "", "a handling note names the customer");
    assert!(
        notes("WO-NEW").contains(NAME),
        "a recent order's note is kept"
    );
    for sql in [
        "SELECT COUNT(*) FROM ops WHERE job_id = $1 AND payload <> '{}'",
        "SELECT COUNT(*) FROM changes WHERE job_id = $1",
    ] {
        assert_eq!(count(&b, sql, "WO-OLD"), 0, "{sql}");
    }
    assert!(count(&b, "SELECT COUNT(*) FROM ops WHERE job_id = $1", "WO-OLD") > 0);
    assert!(
        count(
            &b,
            "SELECT COUNT(*) FROM changes WHERE job_id = $1",
            "WO-NEW"
        ) > 0
    );
    for sha in &photos {
        let named_elsewhere = visit_of("WO-NEW").contains(sha.as_str());
        let left = count(&b, "SELECT COUNT(*) FROM blobs WHERE sha256 = $1", sha);
        assert_eq!(left, i64::from(named_elsewhere), "photo {sha}");
    }
    // The figures stay: what was charged and paid, the receipt, the times.
    let hq = Hq::start(b.clone());
    let after = hq.visit("WO-OLD");
    assert_eq!(after.order.customer.name, "");
    assert_eq!(after.quote_totals, before.quote_totals);
    assert_eq!(after.payment, before.payment);
    assert_eq!(after.receipt, before.receipt);
    assert_eq!(after.arrived_at, before.arrived_at);
    assert_eq!(after.status, before.status);
    hq.stop();
    let audited = peek::query(
        &b.url(),
        "SELECT actor, detail FROM audit WHERE action = 'order.anonymise' AND job_id = $1",
        &["WO-OLD".into()],
    );
    assert_eq!(audited.len(), 1);
    assert_eq!(
        (audited[0].text(0), audited[0].text(1)),
        ("operator".into(), "3 years".into())
    );

    let (ok, out, _) = retention(&b, &["--apply"]);
    assert!(ok && out.contains("0 anonymised"), "{out}");
    // The company's setting: 5 years keeps a 4-year-old order.
    let (ok, out, err) = retention(&b, &["--set-years", "5", "--dry-run"]);
    assert!(ok, "{err}");
    assert!(out.contains("retention set to 5 years") && out.contains("retention 5 years"));
    let (ok, _, err) = retention(&b, &["--set-years", "0", "--dry-run"]);
    assert!(!ok && err.contains("1 to 100 years"), "{err}");
}
on_both!(closed_orders_are_anonymised_after_the_retention_period);
