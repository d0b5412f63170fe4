//! `onsite hq key create/list/revoke` as an operator runs them, on the
//! database a real HQ serves from: a key works for its scopes only, a
//! revoked key is refused at once, and each change is on HQ's audit trail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;

/// Runs `onsite hq key ARGS` on `db`; (succeeded, stdout, stderr).
fn key(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["hq", "key"])
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("ONSITE_HQ_DB")
        .env_remove("ONSITE_HQ_CONFIG")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One request with `token`; (status, error code, message).
fn call(
    rt: &tokio::runtime::Runtime,
    url: &str,
    method: &str,
    path: &str,
    token: &str,
) -> (u16, String, String) {
    // The product's TLS crypto; reqwest brings none of its own here.
    onsite_core::sync::ensure_tls_provider();
    rt.block_on(async {
        let mut req = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{url}{path}"))
            .bearer_auth(token);
        if method == "POST" {
            req = req.json(&serde_json::json!({"technician_id": "T-KEYS", "name": "Keys"}));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let v: serde_json::Value = resp.json().await.unwrap_or_default();
        (
            status,
            v["error"].as_str().unwrap_or("").to_string(),
            v["message"].as_str().unwrap_or("").to_string(),
        )
    })
}

#[test]
fn keys_made_revoked_and_listed_by_the_cli_govern_what_hq_lets_them_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");

    let (ok, reporting, err) = key(&db, &["create", "reporting", "--scope", "read"]);
    assert!(ok, "create failed: {err}");
    let reporting = reporting.trim().to_string();
    assert!(
        reporting.len() >= 32,
        "the secret is printed: {reporting:?}"
    );
    let (ok, desk, _) = key(&db, &["create", "desk", "--scope", "dispatch,read"]);
    assert!(ok);
    let desk = desk.trim().to_string();
    let (ok, _, err) = key(&db, &["create", "desk", "--scope", "read"]);
    assert!(!ok && err.contains("exists"), "a name is not reused: {err}");
    let (ok, _, err) = key(&db, &["create", "ops", "--scope", "root"]);
    assert!(
        !ok && err.contains("root"),
        "an unknown scope is refused: {err}"
    );

    // HQ serves from the same file, with its own bootstrap admin token.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let path = db.display().to_string();
    let hq = rt
        .block_on(async {
            let store = onsite_hq::open(&path).await?;
            onsite_hq::Server::start(
                store,
                "bootstrap-admin-token",
                "127.0.0.1:0".parse().unwrap(),
            )
            .await
        })
        .unwrap();
    let url = hq.url();
    assert_eq!(
        call(&rt, &url, "GET", "/v1/orders", &reporting).0,
        200,
        "a read key reads the board"
    );
    let (status, code, message) = call(&rt, &url, "POST", "/v1/technicians", &reporting);
    assert_eq!((status, code.as_str()), (403, "forbidden"), "{message}");
    assert!(
        message.contains("reporting") && message.contains("admin"),
        "the refusal names the key and the missing scope: {message}"
    );
    assert_eq!(call(&rt, &url, "GET", "/v1/complaints", &desk).0, 200);
    assert_eq!(
        call(&rt, &url, "GET", "/metrics", &desk).0,
        403,
        "metrics need the admin scope"
    );
    assert_eq!(
        call(
            &rt,
            &url,
            "POST",
            "/v1/technicians",
            "bootstrap-admin-token"
        )
        .0,
        201,
        "the --admin-token key keeps working"
    );

    let (ok, list, _) = key(&db, &["list"]);
    assert!(ok);
    assert!(list.contains("desk\tdispatch,read\t"), "{list}");
    assert!(list.contains("reporting\tread\t"), "{list}");
    assert!(list.contains("last used"), "a use is noted: {list}");
    assert!(
        !list.contains(&reporting) && !list.contains(&desk),
        "a listing never shows a secret"
    );

    let (ok, out, err) = key(&db, &["revoke", "reporting"]);
    assert!(ok, "revoke failed: {err}");
    assert!(out.contains("reporting"));
    let (status, code, _) = call(&rt, &url, "GET", "/v1/orders", &reporting);
    assert_eq!(
        (status, code.as_str()),
        (401, "unauthorized"),
        "a revoked key is refused at once"
    );
    assert_eq!(
        call(&rt, &url, "GET", "/v1/orders", &desk).0,
        200,
        "revoking one key leaves the others working"
    );
    let (ok, _, err) = key(&db, &["revoke", "reporting"]);
    assert!(!ok && err.contains("reporting"), "{err}");
    let (_, list, _) = key(&db, &["list"]);
    assert!(
        list.contains("reporting\tread\tcreated ") && list.contains("revoked "),
        "{list}"
    );
    rt.block_on(hq.stop());

    // Each change is on HQ's audit trail with who made it: the operator for
    // the commands, the admin key for the API call; refusals left no line.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let trail: Vec<(String, String, String)> = conn
        .prepare("SELECT actor, action, detail FROM audit ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let line = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        trail,
        [
            line("operator", "key.create", "reporting (read)"),
            line("operator", "key.create", "desk (dispatch,read)"),
            line("key:admin", "technician.create", "T-KEYS Keys"),
            line("operator", "key.revoke", "reporting"),
        ]
    );
}
