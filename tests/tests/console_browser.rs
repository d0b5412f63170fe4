//! The console in a real browser (Debian's headless Chromium through
//! chromedriver) against a real `onsite hq serve`: what a person at the
//! service centre sees when they sign in, switch language, open their account
//! and sign out; a script typed into the sign-in form stays text. Screenshots
//! of each page go to `target/console-screenshots/`.
//!
//! These tests are `#[ignore]`d so that the plain `cargo test --workspace`
//! (which has no browser) skips them; scripts/test.sh installs `chromium` and
//! `chromium-driver`, builds the `onsite` binary and runs them with
//! `cargo test -p onsite-tests --test console_browser -- --ignored --test-threads=1`.
//!
//! One browser session walks every step in order (starting Chromium costs
//! seconds; the steps depend on the sign-in anyway), each step a function so
//! a failure names it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use onsite_tests::browser::{Chromium, HqServe};

/// The administrator the operator creates first, and a front-desk colleague.
const ADMIN: (&str, &str) = ("admin", "王管理");
const DESK: (&str, &str) = ("desk", "李前台");

/// Every browser step, in the order a person meets them.
#[test]
#[ignore = "needs chromium and chromedriver: scripts/test.sh runs it"]
fn the_console_in_a_real_browser() {
    let hq = HqServe::start();
    hq.add_person(ADMIN.0, ADMIN.1, "admin");
    hq.add_person(DESK.0, DESK.1, "front_desk");
    let b = Chromium::start(&hq.url);

    sign_in_page_is_chinese(&b);
    wrong_password_is_refused(&b);
    script_in_the_user_name_stays_text(&b);
    admin_signs_in_to_their_pages(&b);
    language_switches_to_english_and_back(&b);
    account_page_shows_who(&b);
    signing_out_closes_the_console(&b);
    front_desk_sees_only_their_pages(&b);
}

fn sign_in_page_is_chinese(b: &Chromium) {
    b.goto("/");
    b.wait_path("/login");
    assert_eq!(b.text("h1"), "Onsite 客服中心");
    assert_eq!(b.js("return document.documentElement.lang"), "zh-CN");
    assert_eq!(b.text("form[action=\"/login\"] button"), "登录");
    b.screenshot("login");
}

fn wrong_password_is_refused(b: &Chromium) {
    b.goto("/login");
    b.fill("username", ADMIN.0);
    b.fill("password", "not the password");
    b.click_button("登录");
    b.wait_text(".problem", "用户名或密码不正确。");
    assert_eq!(b.wait_path("/login"), "/login");
    assert_eq!(b.prop("input[name=username]", "value").unwrap(), ADMIN.0);
    b.screenshot("login-wrong-password");
}

/// The name is shown back in the form: as text, so the script neither
/// becomes an element nor runs (the global it would set stays undefined).
fn script_in_the_user_name_stays_text(b: &Chromium) {
    // Lower case: the form shows the name as sign-in names are kept.
    let typed = "\"><script>window.pwned_by_name=1</script>";
    b.goto("/login");
    b.fill("username", typed);
    b.fill("password", "whatever");
    b.click_button("登录");
    b.wait_text(".problem", "用户名或密码不正确。");
    assert_eq!(
        b.js("return [...document.scripts].filter(s => s.text.includes('pwned')).length"),
        0,
        "the typed <script> became an element of the page"
    );
    assert_eq!(
        b.js("return typeof window.pwned_by_name"),
        "undefined",
        "the typed script ran"
    );
    assert_eq!(
        b.prop("input[name=username]", "value").unwrap(),
        typed,
        "the name typed is shown back as it was typed"
    );
    b.screenshot("login-script-as-text");
}

fn admin_signs_in_to_their_pages(b: &Chromium) {
    b.sign_in(ADMIN.0);
    b.wait_path("/");
    assert_eq!(b.wait_text("h1", ADMIN.1), format!("您好,{}", ADMIN.1));
    let nav = b.texts("header nav a");
    // 管理员 manages people, technicians and devices.
    for page in ["人员", "技术员与设备"] {
        assert!(
            nav.iter().any(|n| n == page),
            "the admin's nav lacks {page}: {nav:?}"
        );
    }
    assert!(
        b.has(".tiles a[href=\"/people\"]"),
        "no People tile for the admin"
    );
    b.screenshot("home");
}

fn language_switches_to_english_and_back(b: &Chromium) {
    b.click_link("English");
    b.wait_text("h1", &format!("Hello, {}", ADMIN.1));
    assert_eq!(b.here(), "/");
    assert_eq!(b.js("return document.documentElement.lang"), "en");
    let nav = b.texts("header nav a");
    assert!(nav.iter().any(|n| n == "People"), "English nav: {nav:?}");
    b.screenshot("home-en");
    b.click_link("中文");
    b.wait_text("h1", &format!("您好,{}", ADMIN.1));
    assert_eq!(b.js("return document.documentElement.lang"), "zh-CN");
}

fn account_page_shows_who(b: &Chromium) {
    b.click_link(ADMIN.1);
    b.wait_path("/account");
    assert_eq!(b.text("h1"), "我的账号");
    let facts = b.text("dl.facts");
    for fact in [ADMIN.0, ADMIN.1, "管理员"] {
        assert!(facts.contains(fact), "account page lacks {fact}: {facts}");
    }
    assert!(b.has("form[action=\"/logout-everywhere\"] button"));
    b.screenshot("account");
    // The helper that answers a data-confirm button's question, as a person would.
    b.js("setTimeout(() => { window.confirmed = window.confirm('确定吗?'); }, 0); return null");
    b.accept_confirm("确定吗?");
    b.wait_until("the confirmation's answer", |b| {
        (b.js("return window.confirmed") == true).then_some(())
    });
}

fn signing_out_closes_the_console(b: &Chromium) {
    b.sign_out();
    b.goto("/");
    b.wait_path("/login");
    b.goto("/account");
    b.wait_path("/login");
    assert_eq!(b.text("form[action=\"/login\"] button"), "登录");
}

/// Another role, another nav: the front desk has no People page.
fn front_desk_sees_only_their_pages(b: &Chromium) {
    b.sign_in(DESK.0);
    b.wait_text("h1", &format!("您好,{}", DESK.1));
    let nav = b.texts("header nav a");
    assert!(nav.iter().any(|n| n == "接待"), "front desk nav: {nav:?}");
    assert!(
        !nav.iter().any(|n| n == "人员"),
        "front desk nav shows People: {nav:?}"
    );
    b.screenshot("home-front-desk");
    b.sign_out();
}
