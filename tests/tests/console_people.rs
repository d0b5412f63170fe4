//! Console accounts over real HTTP: signing in and out, the lockout, the
//! CSRF check, the language switch, and that no token opens a page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use onsite_hq::centre::people::{Role, MAX_FAILED_LOGINS};
use onsite_tests::console::{add_person, Browser, PASSWORD};
use onsite_tests::harness::{Backend, Hq, ADMIN};
use reqwest::StatusCode;

fn hq() -> (tempfile::TempDir, Hq) {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    (dir, hq)
}

#[test]
fn a_person_signs_in_sees_their_pages_and_signs_out() {
    let (_d, hq) = hq();
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut anon = Browser::new(&hq);
    let p = anon.get("/account");
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/login?next=/account"));

    let mut b = Browser::signed_in(&hq, "wang");
    let home = b.get("/");
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("王芳") && home.body.contains("客服专员"),
        "{}",
        home.body
    );
    assert!(home.body.contains("href=\"/reception\""));
    assert!(
        !home.body.contains("href=\"/people\""),
        "front desk sees no admin page"
    );
    let csp = hq
        .rt
        .block_on(reqwest::get(format!("{}/login", hq.url)))
        .unwrap()
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");

    let out = b.post("/logout", &[]);
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        b.get("/").status,
        StatusCode::SEE_OTHER,
        "the old cookie opens nothing"
    );
}

#[test]
fn wrong_passwords_lock_the_account_and_say_so_in_chinese() {
    let (_d, hq) = hq();
    add_person(&hq, "li", "李主管", Role::Supervisor);
    let mut b = Browser::new(&hq);
    for i in 1..MAX_FAILED_LOGINS {
        let p = b.login("li", "wrong password!");
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "try {i}");
        assert!(p.body.contains("用户名或密码不正确"), "{}", p.body);
    }
    let p = b.login("li", "wrong password!");
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(p.body.contains("账号已锁定"), "{}", p.body);
    // Now even the right password is refused until the lock ends.
    let p = b.login("li", PASSWORD);
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(b.cookie.is_none());
    // An unknown name reads like a wrong password.
    let p = b.login("nobody", PASSWORD);
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("用户名或密码不正确"));
}

#[test]
fn a_form_without_its_csrf_secret_is_refused_and_changes_nothing() {
    let (_d, hq) = hq();
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut b = Browser::signed_in(&hq, "wang");
    let p = b.post_raw("/logout", &[]);
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.body.contains("表单已失效"), "{}", p.body);
    let p = b.post_raw("/logout", &[("csrf", "0".repeat(64).as_str())]);
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/").status, StatusCode::OK, "still signed in");
}

#[test]
fn signing_out_everywhere_ends_every_session_of_the_person() {
    let (_d, hq) = hq();
    add_person(&hq, "zhao", "赵经理", Role::Manager);
    let mut office = Browser::signed_in(&hq, "zhao");
    let mut tablet = Browser::signed_in(&hq, "zhao");
    assert_eq!(tablet.get("/").status, StatusCode::OK);
    office.get("/account");
    let p = office.post("/logout-everywhere", &[]);
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(tablet.get("/").status, StatusCode::SEE_OTHER);
    assert_eq!(office.get("/").status, StatusCode::SEE_OTHER);
}

#[test]
fn no_token_opens_a_console_page() {
    let (_d, hq) = hq();
    for token in [ADMIN, "onsite_not_a_key"] {
        let res = hq
            .rt
            .block_on(
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap()
                    .get(format!("{}/", hq.url))
                    .bearer_auth(token)
                    .send(),
            )
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{token}");
    }
}

#[test]
fn the_language_switch_turns_every_word_english() {
    let (_d, hq) = hq();
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut b = Browser::signed_in(&hq, "wang");
    let p = b.get("/lang/en?back=/account");
    assert_eq!(p.location.as_deref(), Some("/account"));
    // The cookie the switch sets, as a browser would send it next.
    b.cookie = Some(format!("{}; onsite_lang=en", b.cookie.clone().unwrap()));
    let page = b.get("/account");
    assert!(
        page.body.contains("My account") && page.body.contains("Front desk"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("我的账号"));
    // An open redirect is not possible.
    assert_eq!(
        b.get("/lang/en?back=//evil.example").location.as_deref(),
        Some("/")
    );
}
