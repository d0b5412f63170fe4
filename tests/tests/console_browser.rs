//! The console in a real browser (Debian's headless Chromium through
//! chromedriver) against a real `onsite hq serve`: what a person at the
//! service centre sees when they sign in, switch language, open their account
//! and sign out; a script typed into the sign-in form stays text; then a
//! whole day at the service centre (reception writes an order, dispatch
//! assigns it, a real phone works the visit over real sync with an
//! off-schedule line approved from the Approvals page and a dissatisfied
//! rating, the board shows it done, the follow-up opens a revisit, a
//! complaint breaches its 15-minute clock, the manager confirms the day's
//! reconciliation, the daily summary lists the order). Screenshots of every
//! page go to `target/console-screenshots/`.
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

use std::time::Instant;

use chrono::{Duration, NaiveDate, Utc};
use onsite_core::checklist::Phase;
use onsite_core::payment::Method;
use onsite_core::quote::{LineItem, LineKind, LineRequest};
use onsite_core::sample;
use onsite_core::visit::{Assessment, Rating};
use onsite_tests::browser::{Chromium, HqServe};
use onsite_tests::harness::Phone;
use onsite_tests::refused_signature;

/// The administrator the operator creates first, and a front-desk colleague.
const ADMIN: (&str, &str) = ("admin", "王管理");
const DESK: (&str, &str) = ("desk", "李前台");
/// The supervisor who reads out approval codes, and the manager who signs the day.
const SUPERVISOR: (&str, &str) = ("zhou", "周主管");
const MANAGER: (&str, &str) = ("qian", "钱经理");
/// The technician whose phone works the visit.
const TECH: (&str, &str) = ("T1", "李师傅");
/// The fault cause the technician withholds from the customer's copy.
const WITHHELD: &str = "吊顶内管道渗漏";
/// The withheld cause and solution as written in full back at the department.
const FILLED: (&str, &str) = ("管道接头老化渗漏", "更换接头并重做防水");
/// The off-schedule line the technician phones in from the basement.
const OFF_SCHEDULE: (&str, i64) = ("拆除旧吊顶", 15_000);

/// Every browser step, in the order a person meets them.
#[test]
#[ignore = "needs chromium and chromedriver: scripts/test.sh runs it"]
fn the_console_in_a_real_browser() {
    let hq = HqServe::start();
    hq.add_person(ADMIN.0, ADMIN.1, "admin");
    hq.add_person(DESK.0, DESK.1, "front_desk");
    hq.add_person(SUPERVISOR.0, SUPERVISOR.1, "supervisor");
    hq.add_person(MANAGER.0, MANAGER.1, "manager");
    let started = Instant::now();
    let b = Chromium::start(&hq.url);

    sign_in_page_is_chinese(&b);
    wrong_password_is_refused(&b);
    script_in_the_user_name_stays_text(&b);
    admin_signs_in_to_their_pages(&b);
    language_switches_to_english_and_back(&b);
    account_page_shows_who(&b);
    signing_out_closes_the_console(&b);
    front_desk_sees_only_their_pages(&b);

    a_whole_day(&hq, &b);
    eprintln!("the browser suite took {:?}", started.elapsed());
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

/// China time (the console's), `minutes` from now.
fn china(minutes: i64) -> chrono::NaiveDateTime {
    (Utc::now() + Duration::minutes(minutes) + Duration::hours(8)).naive_utc()
}

/// Today in China: the day receipts, handovers and the daily summary count in.
fn china_today() -> NaiveDate {
    china(0).date()
}

/// Fen as the console writes yuan (`150.00`).
fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// The day's order as the story carries it from page to page.
struct Day {
    job: String,
    /// The appointment's day in China: the board's day for it.
    board_day: String,
    phone: Phone,
    /// What the customer paid on site, in fen.
    paid: i64,
}

/// One day at the service centre, each person in their own role, in the
/// order the books run it.
fn a_whole_day(hq: &HqServe, b: &Chromium) {
    let phone = admin_adds_the_technician_and_enrolls_the_phone(hq, b);
    let (job, board_day) = reception_writes_the_order(b);
    let mut day = Day {
        job,
        board_day,
        phone,
        paid: 0,
    };
    dispatch_assigns_it_on_the_board(b, &day);
    phone_phones_in_an_off_schedule_line(b, &day);
    supervisor_approves_it_and_the_phone_finishes(b, &mut day);
    board_shows_it_done_then_handed_over(b, &day);
    follow_up_opens_a_revisit(b, &day);
    complaint_breaches_its_15_minute_clock(b, &day);
    complainants_next_order_reaches_the_phone_marked(b, &day);
    manager_confirms_the_reconciliation(b, &day);
    daily_summary_and_monthly_report_list_it(b, &day);
    order_page_tells_the_whole_visit(b, &day);
    b.sign_out();
}

/// The admin adds the technician, reads the one-time enrollment code (and
/// its QR code) off the Technicians page, and the phone enrolls with it;
/// People and Keys are the admin's other pages.
fn admin_adds_the_technician_and_enrolls_the_phone(hq: &HqServe, b: &Chromium) -> Phone {
    b.sign_in(ADMIN.0);
    b.click_link("技术员与设备");
    b.wait_path("/technicians");
    b.fill("technician_id", TECH.0);
    b.fill("name", TECH.1);
    b.click_button("添加");
    b.wait_row("tbody tr", TECH.1, "尚无设备");
    b.click_button("生成激活码");
    let code = b.wait_text(".enrollment h2", TECH.0);
    assert!(code.contains("激活码"), "{code}");
    let code = b.text(".enrollment .code");
    assert!(
        b.has(".enrollment .qr svg"),
        "no QR code for the phone to scan"
    );
    let phone = Phone::enroll(&hq.url, code.trim(), "DEV-T1");
    b.screenshot("technicians");
    b.goto("/technicians");
    b.wait_row("tbody tr", TECH.1, "DEV-T1");

    b.click_link("人员");
    b.wait_path("/people");
    for (name, shown) in [ADMIN, DESK, SUPERVISOR, MANAGER] {
        b.wait_row("tbody tr", name, shown);
    }
    b.wait_row("tbody tr", SUPERVISOR.0, "主管");
    b.screenshot("people");

    b.goto("/keys");
    b.wait_text("h1", "密钥");
    b.screenshot("keys");
    b.sign_out();
    phone
}

/// The front desk records the call, turns it into an order (the recorder is
/// their own name, not editable), queued for dispatch; returns its number
/// and the board day of its appointment.
fn reception_writes_the_order(b: &Chromium) -> (String, String) {
    b.sign_in(DESK.0);
    b.click_link("接待");
    b.wait_path("/reception");
    b.select("channel", "phone");
    b.fill("caller", "陈先生");
    b.fill("phone", "138-0013-8000");
    b.fill("site", "翠湖花园");
    b.fill("location", "3-1201");
    b.select("category", "property_repair");
    b.fill("request", "厨房水管漏水");
    b.click_button("记录");
    b.wait_text(".notice", "已记录来电");
    let row = b.wait_row("tbody tr", "陈先生", "厨房水管漏水");
    assert!(
        row.contains(DESK.1) && row.contains("开工单"),
        "the call's row names its recorder and offers an order: {row}"
    );
    b.screenshot("reception");

    b.click_link("开工单");
    b.wait_path("/orders/new");
    assert_eq!(b.prop("[name=customer_name]", "value").unwrap(), "陈先生");
    assert_eq!(b.prop("[name=location]", "value").unwrap(), "3-1201");
    assert_eq!(b.prop("[name=recorder_shown]", "value").unwrap(), DESK.1);
    assert_eq!(
        b.js("return document.querySelector('[name=recorder_shown]').readOnly"),
        true,
        "the recorder is the signed-in person, not typed"
    );
    // Due in a few minutes: the phone will be there within the books' ±5 min.
    let appointment = china(3).format("%Y-%m-%dT%H:%M").to_string();
    b.set_value("appointment_at", &appointment);
    b.fill("service", "水管维修");
    b.select("technician_id", "");
    b.screenshot("order-new");
    b.click_button("开单");
    b.wait_path("/orders");
    let notice = b.wait_text(".notice", "已开工单");
    let job = notice.rsplit(' ').next().unwrap().trim().to_string();
    assert!(job.starts_with("WO-"), "the order number: {notice}");
    b.wait_row("tbody tr", &job, "待派工");
    (job, appointment[..10].to_string())
}

/// Dispatch assigns the queued order to the technician on the board; the
/// phone receives it on its next sync.
fn dispatch_assigns_it_on_the_board(b: &Chromium, day: &Day) {
    b.goto(&format!("/board?day={}", day.board_day));
    b.wait_text("h1", "派工看板");
    b.wait_row("tbody tr", &day.job, "陈先生");
    b.fill("technician_id", TECH.0);
    b.click_button("派工");
    b.wait_text(".notice", &day.job);
    b.wait_text("main", "没有待派工的工单。");
    let row = b.wait_row("tbody tr", TECH.1, "从未");
    assert!(row.contains(TECH.0), "{row}");
    day.phone.sync();
    let v = day.phone.tech.job(&day.job).unwrap();
    assert_eq!(v.order.technician_id, TECH.0);
    assert_eq!(
        v.order.recorder, DESK.1,
        "the phone sees who wrote the order"
    );
}

/// The technician accepts, goes, arrives, assesses and adds a line that is
/// not on the schedule; after sync the board shows it waiting for approval.
fn phone_phones_in_an_off_schedule_line(b: &Chromium, day: &Day) {
    let t = &day.phone.tech;
    let job = day.job.as_str();
    t.accept_job(job).unwrap();
    sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
    t.depart(job).unwrap();
    t.arrive_with_reason(job, "路上堵车").unwrap();
    sample::complete_checklist(t, job, Phase::Arrival).unwrap();
    t.assess(
        job,
        Assessment {
            findings: WITHHELD.into(),
            withheld: true,
            ..Default::default()
        },
    )
    .unwrap();
    t.add_quote_line(
        job,
        &LineRequest {
            item: LineItem::OffSchedule {
                kind: LineKind::Part,
                description: OFF_SCHEDULE.0.into(),
                unit_price_fen: OFF_SCHEDULE.1,
            },
            qty: 1,
            payer: None,
        },
    )
    .unwrap();
    day.phone.sync();
    b.goto(&format!("/board?day={}&tech={}", day.board_day, TECH.0));
    let row = b.wait_row("tbody tr", job, "待审批");
    assert!(!row.contains("迟到"), "on time, not late: {row}");
    let tech_row = b.wait_row("tbody tr", TECH.1, TECH.0);
    assert!(
        !tech_row.contains("从未"),
        "the last sync replaces never: {tech_row}"
    );
    b.sign_out();
}

/// The supervisor finds the order, enters the line and reads out the code;
/// the phone refuses a wrong code, takes the right one, and the visit ends
/// with a dissatisfied customer, cash paid and a receipt; after sync the
/// Approvals page shows the code matched.
fn supervisor_approves_it_and_the_phone_finishes(b: &Chromium, day: &mut Day) {
    let job = day.job.clone();
    b.sign_in(SUPERVISOR.0);
    b.click_link("审批");
    b.wait_path("/approvals");
    b.fill("job_id", &job);
    b.click_button("查找");
    let order = b.wait_text("#order", &job);
    assert!(order.contains(TECH.0), "the technician: {order}");
    let line = b.wait_row("#order tbody tr", OFF_SCHEDULE.0, "待审批");
    assert!(line.contains(&yuan(OFF_SCHEDULE.1)), "{line}");
    b.fill("line_no", "1");
    b.select("kind", "part");
    b.fill("item", OFF_SCHEDULE.0);
    b.fill("unit_price", &yuan(OFF_SCHEDULE.1));
    b.fill("qty", "1");
    b.click_button("批准并生成审批码");
    b.wait_text("#given h2", "请向技术员读出审批码");
    let code = b.text("#code").trim().to_string();
    assert_eq!(code.len(), 6, "a six-digit code: {code:?}");
    b.screenshot("approvals");

    let t = &day.phone.tech;
    let wrong = format!("{}{}", &code[..5], (code.as_bytes()[5] - b'0' + 1) % 10);
    assert!(
        matches!(
            t.approve_quote_line(&job, 1, SUPERVISOR.1, &wrong),
            Err(onsite_core::Error::InvalidApprovalCode { line_no: 1 })
        ),
        "a misheard code is refused on the phone"
    );
    t.approve_quote_line(&job, 1, SUPERVISOR.1, &code).unwrap();
    t.present_quote(&job).unwrap();
    t.customer_consents(&job, "陈先生").unwrap();
    t.start_work(&job).unwrap();
    sample::complete_checklist(t, &job, Phase::WorkRules).unwrap();
    t.finish_work(&job, 40, "更换渗漏管段").unwrap();
    sample::complete_checklist(t, &job, Phase::Completion).unwrap();
    t.record_acceptance(&job, refused_signature(Rating::Dissatisfied, false))
        .unwrap();
    day.paid = t.job(&job).unwrap().due_on_site().fen();
    assert!(
        day.paid >= OFF_SCHEDULE.1,
        "the line is charged: {}",
        day.paid
    );
    t.take_payment(&job, Method::Cash, day.paid, None, true)
        .unwrap();
    t.issue_receipt(&job, false).unwrap();
    day.phone.sync();

    b.goto("/approvals");
    let row = b.wait_row("#recent tbody tr", &code, "已匹配");
    assert!(row.contains(&job), "{row}");
    b.sign_out();
}

/// The front desk's board shows the order done, then handed over once the
/// phone hands it in.
fn board_shows_it_done_then_handed_over(b: &Chromium, day: &Day) {
    b.sign_in(DESK.0);
    b.goto(&format!("/board?day={}&tech={}", day.board_day, TECH.0));
    let row = b.wait_row("tbody tr", &day.job, "已完工");
    assert!(!row.contains("迟到"), "{row}");
    b.screenshot("board");
    // Back at the department the withheld cause is written in full, then handed over.
    let t = &day.phone.tech;
    t.fill_withheld(&day.job, FILLED.0, FILLED.1).unwrap();
    t.hand_over(&day.job).unwrap();
    day.phone.sync();
    b.goto(&format!("/board?day={}&tech={}", day.board_day, TECH.0));
    b.wait_row("tbody tr", &day.job, "已交单");
}

/// The dissatisfied rating is due for a call at once (overdue by now); the
/// call finds the customer still unhappy and opens a revisit order.
fn follow_up_opens_a_revisit(b: &Chromium, day: &Day) {
    b.click_link("回访");
    b.wait_path("/followups");
    // The rating's row (the month's sample may list the order too).
    let row_css = format!(
        "#queue tr[data-job=\"{}\"]:has(a[href*=\"reason=rating\"])",
        day.job
    );
    let row = b.wait_text(&row_css, "评价一般或不满意");
    assert!(row.contains("已超时"), "due at once, so overdue: {row}");
    assert_eq!(
        b.js(&format!(
            "return document.querySelector('{}').classList.contains('overdue')",
            row_css.replace('\'', "\\'")
        )),
        true,
        "the overdue row stands out"
    );
    b.screenshot("followups-queue");
    b.click(&format!("{row_css} a"));
    b.wait_text("#call h2", &day.job);
    b.select("reached", "yes");
    b.select("satisfied", "no");
    b.select("outcome", "revisit");
    b.fill("notes", "客户说还在渗水,要求再来看");
    b.click_button("保存");
    let revisit = format!("{}-R1", day.job);
    b.wait_text(".notice", &revisit);
    assert!(
        !b.has(&row_css),
        "the rating's call is done: its row leaves the queue"
    );
    b.screenshot("followups");
    b.goto(&format!("/orders?q={revisit}"));
    let row = b.wait_row("tbody tr", &revisit, "陈先生");
    assert!(
        row.contains(TECH.0),
        "the revisit goes to the same technician: {row}"
    );
}

/// A soft complaint received 20 minutes ago with no response: its
/// 15-minute clock has run out and is flagged, on the complaints page and on
/// the dispatch board; the 30-minute one has not.
fn complaint_breaches_its_15_minute_clock(b: &Chromium, day: &Day) {
    b.click_link("投诉");
    b.wait_path("/complaints");
    b.select("kind", "soft");
    b.fill("customer_name", "陈先生");
    b.fill("customer_phone", "138-0013-8000");
    b.fill("job_id", &day.job);
    b.fill(
        "received_at",
        &china(-20).format("%Y-%m-%d %H:%M").to_string(),
    );
    b.fill("words", "师傅来了两次还在漏水,态度也不好");
    b.click_button("记录投诉");
    let banner = b.wait_text(".card.breach[role=alert]", "投诉超时");
    assert!(banner.contains("1 项投诉处理超时"), "{banner}");
    let card = b.wait_text("section.card.breach", &day.job);
    assert!(card.contains("超时"), "the complaint is flagged: {card}");
    let responded = b.wait_row("section.card.breach tr.overdue", "15分钟", "超时");
    assert!(responded.contains("做出反应"), "{responded}");
    assert_eq!(
        b.texts("section.card.breach tr.overdue").len(),
        1,
        "only the 15-minute clock has run out, not the 30-minute one"
    );
    b.screenshot("complaints");
    // The dispatch board, where the front desk spends the day, flags it too.
    b.click_link("派工看板");
    b.wait_path("/board");
    let banner = b.wait_text(".card.breach[role=alert]", "投诉超时");
    assert!(
        banner.contains(&day.job) && banner.contains("做出反应"),
        "the board's breach banner names the order and the clock: {banner}"
    );
    b.screenshot("board-breach");
}

/// The complainant calls again: the next order the front desk writes for
/// them (dispatched at once) reaches the phone marked, the day's order not.
fn complainants_next_order_reaches_the_phone_marked(b: &Chromium, day: &Day) {
    b.goto("/orders/new");
    b.select("category", "property_repair");
    b.fill("site", "翠湖花园");
    b.fill("customer_name", "陈先生");
    b.fill("customer_phone", "138-0013-8000");
    b.fill("location", "3-1201");
    b.fill("fault", "卫生间地漏堵塞");
    b.select("technician_id", TECH.0);
    b.click_button("开单");
    let notice = b.wait_text(".notice", "已开工单");
    let next = notice.rsplit(' ').next().unwrap().trim().to_string();
    assert_ne!(next, day.job);
    day.phone.sync();
    let t = &day.phone.tech;
    assert!(
        t.job(&next).unwrap().order.complained_before,
        "the complainant's next order reaches the phone marked"
    );
    assert!(!t.job(&day.job).unwrap().order.complained_before);
}

/// The front desk records the cash handed in; the manager sees the day
/// unsigned, confirms it balances, and it shows signed by them.
fn manager_confirms_the_reconciliation(b: &Chromium, day: &Day) {
    let today = china_today();
    let page = format!("/handover?technician={}&day={today}", TECH.0);
    b.goto(&page);
    b.wait_text("main", "当天交回的工单");
    b.wait_text("main", &day.job);
    b.select("method", "cash");
    b.fill("amount", &yuan(day.paid));
    b.click_button("记录");
    b.wait_text(".notice", "交款已记录。");
    b.sign_out();

    b.sign_in(MANAGER.0);
    b.goto(&page);
    b.wait_text(".card .flag.overdue", "未签核");
    let cash = b.wait_row("tbody tr", "现金", &yuan(day.paid));
    assert!(
        !b.has(".card tbody tr.overdue"),
        "the cash line balances: {cash}"
    );
    b.click_button("确认对账无误并签核");
    b.accept_confirm("确认当天对账无误?");
    b.wait_text(".notice", "已签核。");
    b.wait_text(".card .flag.ok", "已确认");
    let signed = b.wait_text(".card p", "签核人");
    assert!(
        signed.contains(MANAGER.1) || signed.contains(MANAGER.0),
        "{signed}"
    );
    assert!(
        !b.has(".card .flag.overdue"),
        "the day no longer stands out as unsigned"
    );
    b.screenshot("handover");
}

/// The manager's daily summary lists the order with its customer, place,
/// technician and the dissatisfied rating; the monthly page draws its charts.
fn daily_summary_and_monthly_report_list_it(b: &Chromium, day: &Day) {
    b.click_link("报表");
    b.wait_path("/reports");
    b.goto(&format!("/reports?day={}", china_today()));
    b.wait_text("h1", "每日报修记录汇总表");
    let row = b.wait_row("tbody tr", &day.job, "陈先生");
    for seen in ["3-1201", "翠湖花园", TECH.0, "不满意"] {
        assert!(row.contains(seen), "the summary's line lacks {seen}: {row}");
    }
    b.screenshot("reports");
    b.goto("/reports/monthly");
    b.wait_text("h1", "月度报表");
    assert!(b.has("main svg"), "the monthly page has its charts");
    b.screenshot("reports-monthly");
}

/// The order page tells the visit in order: the approved line with its
/// supervisor, the dissatisfied acceptance, the receipt, and the trail of
/// who at the centre did what; the print page has the four copies, the
/// customer's without the fault cause the technician withheld.
fn order_page_tells_the_whole_visit(b: &Chromium, day: &Day) {
    b.goto(&format!("/orders/{}", day.job));
    b.wait_text("h1", &day.job);
    let quote = b.wait_row("table.quote tbody tr", OFF_SCHEDULE.0, SUPERVISOR.1);
    assert!(quote.contains(&yuan(OFF_SCHEDULE.1)), "{quote}");
    b.wait_text("main", "不满意");
    let trail = b.texts("table.trail tbody tr");
    for (who, what) in [
        (DESK.1, "开工单"),
        (DESK.1, "派工"),
        (SUPERVISOR.1, "审批计划外项目"),
        (DESK.1, "记录回访"),
        (DESK.1, "开返修单"),
        (DESK.1, "记录投诉"),
    ] {
        assert!(
            trail.iter().any(|l| l.contains(who) && l.contains(what)),
            "the trail lacks {who} {what}: {trail:#?}"
        );
    }
    b.screenshot("order");
    b.goto(&format!("/orders/{}/print", day.job));
    b.wait_text("h1", "四联工单");
    assert_eq!(b.js("return document.querySelectorAll('.copy').length"), 4);
    let copy = |slug: &str| {
        b.js(&format!(
            "return document.querySelector('.copy-{slug}').textContent"
        ))
        .as_str()
        .unwrap()
        .to_string()
    };
    let customers = copy("customer");
    assert!(customers.contains("客户联") && customers.contains(&day.job));
    for secret in [WITHHELD, FILLED.0, FILLED.1] {
        assert!(
            !customers.contains(secret),
            "{secret} is on the customer's copy: {customers}"
        );
    }
    let centre = copy("service-centre");
    assert!(
        centre.contains(FILLED.0),
        "the service centre's copy has the cause: {centre}"
    );
    b.screenshot("order-print");
}
