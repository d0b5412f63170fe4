//! The service centre's commands (`onsite hq enroll`, `dispatch ...`,
//! `reconcile`, ...) against a running `onsite hq serve`, as a person types
//! them: HQ's answers printed, HQ's refusals a failed command that says
//! HQ's status, code and message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, health, Running};
use serde_json::Value;

const TOKEN: &str = "cli-test-token";

/// `onsite hq ARGS --hq URL`, with the admin token from the environment.
fn onsite(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onsite"))
        .arg("hq")
        .args(args)
        .args(["--hq", url])
        .current_dir(dir)
        .env("ONSITE_ADMIN_TOKEN", TOKEN)
        .output()
        .unwrap()
}

/// Standard output of a command that must succeed.
fn ok(dir: &Path, url: &str, args: &[&str]) -> String {
    let out = onsite(dir, url, args);
    assert!(
        out.status.success(),
        "onsite hq {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Standard error of a command that must fail.
fn refused(dir: &Path, url: &str, args: &[&str]) -> String {
    let out = onsite(dir, url, args);
    assert!(
        !out.status.success(),
        "onsite hq {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_day_at_the_desk_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let _hq = Running(
        Command::new(env!("CARGO_BIN_EXE_onsite"))
            .args(["hq", "serve", "--db", "hq.sqlite3", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .current_dir(d)
            .env_remove("ONSITE_HQ_CONFIG")
            .env("ONSITE_ADMIN_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while health(port).is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "HQ did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let enrolled = ok(d, &url, &["enroll", "T1", "--name", "李师傅"]);
    let code = enrolled
        .trim()
        .strip_prefix("enrollment code for T1: ")
        .unwrap_or_else(|| panic!("{enrolled}"));
    assert!(!code.is_empty(), "{enrolled}");
    ok(d, &url, &["enroll", "T2"]);

    let created: Value = serde_json::from_str(&ok(
        d,
        &url,
        &[
            "dispatch",
            "create",
            "--job",
            "J1",
            "--technician",
            "T1",
            "--site",
            "翠湖花园",
            "--customer",
            "王女士",
            "--fault",
            "水槽漏水",
        ],
    ))
    .unwrap();
    assert_eq!(
        (&created["job_id"], &created["status"]),
        (&Value::from("J1"), &Value::from("dispatched"))
    );
    let board: Value =
        serde_json::from_str(&ok(d, &url, &["dispatch", "list", "--technician", "T1"])).unwrap();
    assert_eq!(board.as_array().unwrap().len(), 1, "{board}");
    let moved: Value = serde_json::from_str(&ok(
        d,
        &url,
        &[
            "dispatch",
            "reschedule",
            "J1",
            "+120",
            "--agreed-by",
            "王女士",
        ],
    ))
    .unwrap();
    assert_eq!(moved["job_id"], "J1");
    let assigned: Value =
        serde_json::from_str(&ok(d, &url, &["dispatch", "assign", "J1", "T2"])).unwrap();
    assert_eq!(assigned["technician_id"], "T2");

    let read_out = ok(d, &url, &["charge-code", "J1", "--reduce-to", "23000"]);
    let digits = read_out.trim().strip_prefix("code for J1: ").unwrap();
    assert!(
        digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()),
        "{read_out}"
    );
    let table = ok(d, &url, &["reconcile", "T1", "2026-11-24", "--lang", "en"]);
    assert!(table.contains("Reconciliation T1 2026-11-24"), "{table}");
    assert!(table.contains("Result: balanced"), "{table}");
    assert_eq!(ok(d, &url, &["followups"]).trim(), "[]");
    assert_eq!(ok(d, &url, &["invoices"]).trim(), "[]");
    let cancelled: Value = serde_json::from_str(&ok(
        d,
        &url,
        &["dispatch", "cancel", "J1", "业主已自行维修"],
    ))
    .unwrap();
    assert_eq!(cancelled["status"], "cancelled");

    // HQ's refusals: the command fails and says what HQ said.
    let unknown = refused(d, &url, &["dispatch", "assign", "NOPE", "T1"]);
    assert!(
        unknown.contains("404") && unknown.contains("not_found") && unknown.contains("NOPE"),
        "{unknown}"
    );
    let conflict = refused(d, &url, &["dispatch", "assign", "J1", "T1"]);
    assert!(
        conflict.contains("409") && conflict.contains("conflict"),
        "{conflict}"
    );
    let wrong_key = refused(
        d,
        &url,
        &["dispatch", "list", "--admin-token", "not-the-token"],
    );
    assert!(
        wrong_key.contains("401") && wrong_key.contains("unauthorized"),
        "{wrong_key}"
    );
    let no_device = refused(d, &url, &["revoke", "DEV-NONE"]);
    assert!(no_device.contains("not_found"), "{no_device}");
    // Typed before it is sent: a day that is not a day never reaches HQ.
    let bad_day = refused(d, &url, &["reconcile", "T1", "yesterday"]);
    assert!(bad_day.contains("is not a day"), "{bad_day}");
    let nobody = refused(
        d,
        &format!("http://127.0.0.1:{}", free_port()),
        &["followups"],
    );
    assert!(nobody.contains("cannot reach HQ"), "{nobody}");
}
