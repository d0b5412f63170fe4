//! Integration keys through real HTTP on both databases (made, scoped and
//! revoked over the admin API; stored only hashed), what the admin API
//! changes on the audit trail by its key, and enrollment's wrong
//! codes limited per address: one address guessing is refused with 429, a
//! technician on another address still enrolls.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::net::IpAddr;

use onsite_hq::api::NewKey;
use onsite_hq::keys::Scope;
use onsite_tests::harness::{sqlite_backend, Backend, Hq};
use onsite_tests::on_both;
use onsite_tests::peek;
use serde_json::json;

fn keys_are_scoped_revocable_and_stored_hashed(b: Backend) {
    let hq = Hq::start(b.clone());
    let made = hq.ok(hq.api.create_key(&NewKey {
        name: "dispatch-desk".into(),
        scopes: vec![Scope::Dispatch],
    }));
    assert_eq!(made.scopes, [Scope::Dispatch]);
    let desk = made.secret;

    // The dispatch scope dispatches, and nothing else.
    let (s, v) = hq.call(
        "POST",
        "/v1/technicians",
        Some(&desk),
        Some(json!({"technician_id": "T-K", "name": "K"})),
    );
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")), "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("admin"),
        "names the scope: {v}"
    );
    let (s, v) = hq.call("GET", "/v1/orders", Some(&desk), None);
    assert_eq!(s, 403, "no read scope: {v}");
    let (s, v) = hq.call(
        "POST",
        "/v1/orders/NO-SUCH/cancel",
        Some(&desk),
        Some(json!({"reason": "x"})),
    );
    assert_eq!(s, 404, "past the scope check to the order: {v}");
    let (s, _) = hq.call("GET", "/v1/keys", Some(&desk), None);
    assert_eq!(s, 403, "only admin keys manage keys");

    // Listed without secrets; a name is not reused; revoked is refused at once.
    let list = hq.ok(hq.api.keys());
    assert_eq!(list[0].name, "dispatch-desk");
    assert!(
        !format!("{list:?}").contains(&desk),
        "a listing holds no secret"
    );
    let (s, _) = hq.call(
        "POST",
        "/v1/keys",
        Some(onsite_tests::harness::ADMIN),
        Some(json!({"name": "dispatch-desk", "scopes": ["read"]})),
    );
    assert_eq!(s, 409);
    hq.ok(hq.api.revoke_key("dispatch-desk"));
    let (s, v) = hq.call(
        "POST",
        "/v1/orders/NO-SUCH/cancel",
        Some(&desk),
        Some(json!({"reason": "x"})),
    );
    assert_eq!((s, v["error"].as_str()), (401, Some("unauthorized")), "{v}");
    let list = hq.ok(hq.api.keys());
    assert!(list[0].revoked_at.is_some(), "{list:?}");
    hq.stop();

    if let Backend::Sqlite(path) = &b {
        for f in [path.clone(), path.with_extension("sqlite3-wal")] {
            let bytes = std::fs::read(&f).unwrap_or_default();
            assert!(
                !bytes.windows(desk.len()).any(|w| w == desk.as_bytes()),
                "{} holds the secret in clear",
                f.display()
            );
        }
    }
}
on_both!(keys_are_scoped_revocable_and_stored_hashed);

/// What the admin API changes is on HQ's audit trail as the console's own
/// changes are, by the key that made it, once: a repeat the API accepts (a
/// retry after a lost answer) adds no second line, and a refusal none.
fn admin_api_changes_are_on_the_trail_by_their_key(b: Backend) {
    let hq = Hq::start(b);
    let admin = Some(onsite_tests::harness::ADMIN);
    let tech = json!({"technician_id": "T-TRAIL", "name": "李师傅"});
    for _ in 0..2 {
        let (s, v) = hq.call("POST", "/v1/technicians", admin, Some(tech.clone()));
        assert_eq!(s, 201, "registering again is accepted: {v}");
    }
    let (s, v) = hq.call(
        "POST",
        "/v1/enrollments",
        admin,
        Some(json!({"technician_id": "T-TRAIL"})),
    );
    assert_eq!(s, 201, "{v}");
    let code = v["code"].as_str().unwrap().to_string();
    let (s, v) = hq.call(
        "POST",
        "/v1/enroll",
        None,
        Some(json!({"code": code, "device_id": "D-TRAIL"})),
    );
    assert_eq!(s, 201, "{v}");
    for _ in 0..2 {
        let (s, v) = hq.call("POST", "/v1/devices/D-TRAIL/revoke", admin, None);
        assert_eq!(s, 204, "revoking again is accepted: {v}");
    }
    let (s, _) = hq.call("POST", "/v1/devices/D-NOBODY/revoke", admin, None);
    assert_eq!(s, 404);
    hq.ok(hq.api.create_key(&NewKey {
        name: "reporting".into(),
        scopes: vec![Scope::Read, Scope::Dispatch],
    }));
    hq.ok(hq.api.revoke_key("reporting"));
    let (s, _) = hq.call("POST", "/v1/keys/reporting/revoke", admin, None);
    assert_eq!(s, 404, "a revoked key is not revoked twice");

    let trail: Vec<String> = peek::query(
        &hq.backend.url(),
        "SELECT actor, action, detail FROM audit ORDER BY id",
        &[],
    )
    .iter()
    .map(|r| format!("{} {} {}", r.text(0), r.text(1), r.text(2)))
    .collect();
    assert_eq!(
        trail,
        [
            "key:admin technician.create T-TRAIL 李师傅",
            "key:admin enrollment.create T-TRAIL",
            "key:admin device.revoke D-TRAIL (T-TRAIL)",
            "key:admin key.create reporting (dispatch,read)",
            "key:admin key.revoke reporting",
        ]
    );
    assert!(
        !trail.iter().any(|l| l.contains(&code)),
        "an enrollment code is a secret until used: not on the trail"
    );
    hq.stop();
}
on_both!(admin_api_changes_are_on_the_trail_by_their_key);

/// POST /v1/enroll from the local address `from`; (status, error code, Retry-After).
fn enroll_from(hq: &Hq, from: IpAddr, code: &str, device: &str) -> (u16, String, Option<u64>) {
    hq.rt.block_on(async {
        let resp = reqwest::Client::builder()
            .local_address(from)
            .build()
            .unwrap()
            .post(format!("{}/v1/enroll", hq.url))
            .json(&json!({"code": code, "device_id": device}))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let retry = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let v: serde_json::Value = resp.json().await.unwrap_or_default();
        (status, v["error"].as_str().unwrap_or("").to_string(), retry)
    })
}

#[test]
fn a_hundred_wrong_codes_are_refused_and_another_address_still_enrolls() {
    let (_dir, b) = sqlite_backend();
    let hq = Hq::start(b);
    let code = hq.technician("T-RATE", "Rate");
    let guesser: IpAddr = "127.0.0.1".parse().unwrap();
    let technician: IpAddr = "127.0.0.2".parse().unwrap();

    let answers: Vec<_> = (0..100)
        .map(|i| enroll_from(&hq, guesser, &format!("WRONG{i:07}"), "DEV-GUESS"))
        .collect();
    assert_eq!(answers[0].0, 401, "a wrong code is a 401 at first");
    let refused: Vec<_> = answers.iter().filter(|a| a.0 == 429).collect();
    assert!(
        refused.len() >= 80,
        "of 100 wrong codes in a row only {} were refused with 429",
        refused.len()
    );
    for (_, error, retry) in &refused {
        assert_eq!(error, "too_many_requests");
        assert!(retry.is_some_and(|s| s > 0), "a 429 says when to try again");
    }
    assert_eq!(
        enroll_from(&hq, guesser, &code, "DEV-GUESS").0,
        429,
        "the guessing address is refused even with the right code"
    );
    let (status, error, _) = enroll_from(&hq, technician, &code, "DEV-RATE");
    assert_eq!(
        (status, error.as_str()),
        (201, ""),
        "the right code from another address enrolls"
    );
    hq.stop();
}
