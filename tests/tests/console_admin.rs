//! The admin's console pages over real HTTP, on SQLite and PostgreSQL:
//! technicians and devices (a real phone enrolls with the code the page
//! shows and is revoked from it), people, and integration keys. Each action
//! appears on the admin's own trail; bad input is refused with a message
//! and saves nothing; other roles get 403.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use onsite_hq::centre::people::Role;
use onsite_tests::console::{add_person, Browser, Page, PASSWORD};
use onsite_tests::harness::{Backend, Hq, Phone};
use onsite_tests::on_both;
use reqwest::StatusCode;

/// The text between `start` and the next `<` on the page.
fn text_after(page: &Page, start: &str) -> String {
    let at = page
        .body
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {}", page.body))
        + start.len();
    let end = page.body[at..].find('<').unwrap() + at;
    page.body[at..end].to_string()
}

fn technicians_enroll_and_revoke(b: Backend) {
    let hq = Hq::start(b);
    add_person(&hq, "root", "管理员甲", Role::Admin);
    add_person(&hq, "boss", "经理乙", Role::Manager);
    let mut admin = Browser::signed_in(&hq, "root");

    let p = admin.post(
        "/technicians",
        &[("technician_id", "T-9"), ("name", "张师傅")],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let list = admin.get(p.location.as_deref().unwrap());
    assert!(
        list.body.contains("技术员已添加") && list.body.contains("张师傅"),
        "{}",
        list.body
    );

    let p = admin.post("/technicians/enroll", &[("technician_id", "T-9")]);
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let code = text_after(&p, "<span class=\"code big\">");
    assert_eq!(code.len(), 12, "{code}");
    assert!(
        p.body.contains("<svg") && p.body.contains("shape-rendering"),
        "a QR code: {}",
        p.body
    );
    assert!(
        !admin.get("/technicians").body.contains(&code),
        "the code is shown once"
    );

    let phone = Phone::enroll(&hq.url, &code, "DEV-T9");
    let before = admin.get("/technicians");
    assert!(
        before.body.contains("DEV-T9") && before.body.contains("从未"),
        "{}",
        before.body
    );
    phone.sync();
    let after = admin.get("/technicians");
    assert!(
        !after.body.contains("从未"),
        "last contact shown: {}",
        after.body
    );
    assert!(
        onsite_core::sync::SyncClient::enroll_blocking(&hq.url, &code, "DEV-T9b").is_err(),
        "the code works once"
    );

    // A manager may neither see nor revoke.
    let mut manager = Browser::signed_in(&hq, "boss");
    assert_eq!(manager.get("/technicians").status, StatusCode::FORBIDDEN);
    assert_eq!(
        manager
            .post("/devices/revoke", &[("device_id", "DEV-T9")])
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        manager
            .post("/technicians", &[("technician_id", "T-X"), ("name", "x")])
            .status,
        StatusCode::FORBIDDEN
    );
    phone.sync();

    let p = admin.post("/devices/revoke", &[("device_id", "DEV-T9")]);
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(admin.get("/technicians").body.contains("已吊销"));
    assert!(matches!(
        phone.client.sync_now(&phone.tech, None),
        Err(onsite_core::Error::Hq { status: 401, .. })
    ));
    let again = admin.post("/devices/revoke", &[("device_id", "DEV-T9")]);
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("该设备已被吊销"), "{}", again.body);

    // Bad input: refused with a message, the values kept, nothing saved.
    let p = admin.post(
        "/technicians",
        &[
            ("technician_id", "<script>alert(1)</script>"),
            ("name", "李"),
        ],
    );
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("工号为1-64个字母"), "{}", p.body);
    assert!(
        p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            && !p.body.contains("<script>alert")
    );
    for (id, name) in [("T-10", ""), ("", "王"), ("T-10", &"长".repeat(101)[..])] {
        let p = admin.post("/technicians", &[("technician_id", id), ("name", name)]);
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{id:?} {name:?}"
        );
    }
    assert!(
        !admin.get("/technicians").body.contains("T-10"),
        "nothing saved"
    );
    let dup = admin.post(
        "/technicians",
        &[("technician_id", "T-9"), ("name", "别人")],
    );
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.body.contains("该工号的技术员已存在") && dup.body.contains("别人"));
    let p = admin.post("/technicians/enroll", &[("technician_id", "NOPE")]);
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.body.contains("找不到该技术员"));
    let p = admin.post("/devices/revoke", &[("device_id", "NOPE")]);
    assert_eq!(p.status, StatusCode::NOT_FOUND);

    // The admin's trail lists each action.
    let mine = admin.get("/account");
    for label in ["添加技术员", "生成激活码", "吊销设备"] {
        assert!(mine.body.contains(label), "{label}: {}", mine.body);
    }
    assert!(
        !mine.body.contains(&code),
        "the code never reaches the trail"
    );
}
on_both!(technicians_enroll_and_revoke);

fn people_are_managed_by_the_admin(b: Backend) {
    let hq = Hq::start(b);
    add_person(&hq, "root", "管理员甲", Role::Admin);
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    add_person(&hq, "boss", "经理乙", Role::Manager);
    let mut admin = Browser::signed_in(&hq, "root");

    let p = admin.post(
        "/people",
        &[
            ("username", "li"),
            ("display_name", "李主管"),
            ("role", "supervisor"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(admin.get("/people").body.contains("李主管"));
    let mut li = Browser::signed_in(&hq, "li");
    assert!(li.get("/").body.contains("href=\"/approvals\""));

    // A role change ends the person's sessions: the new role applies at once.
    let mut wang = Browser::signed_in(&hq, "wang");
    assert!(!wang.get("/").body.contains("href=\"/reports\""));
    let p = admin.post("/people/role", &[("username", "wang"), ("role", "manager")]);
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        wang.get("/").status,
        StatusCode::SEE_OTHER,
        "old session ended"
    );
    let mut wang = Browser::signed_in(&hq, "wang");
    assert!(wang.get("/").body.contains("href=\"/reports\""));

    // Disabling signs out, and the account cannot sign in; enabling lets it.
    assert_eq!(
        admin.post("/people/disable", &[("username", "li")]).status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(li.get("/").status, StatusCode::SEE_OTHER);
    assert_ne!(
        Browser::new(&hq).login("li", PASSWORD).status,
        StatusCode::SEE_OTHER
    );
    assert!(admin.get("/people").body.contains("已停用"));
    assert_eq!(
        admin.post("/people/enable", &[("username", "li")]).status,
        StatusCode::SEE_OTHER
    );
    let mut li = Browser::signed_in(&hq, "li");

    // Sign out everywhere; reset a password.
    assert_eq!(
        admin.post("/people/signout", &[("username", "li")]).status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(li.get("/").status, StatusCode::SEE_OTHER);
    let p = admin.post(
        "/people/password",
        &[("username", "wang"), ("password", "a new password 2")],
    );
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(wang.get("/").status, StatusCode::SEE_OTHER);
    assert_ne!(
        Browser::new(&hq).login("wang", PASSWORD).status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        Browser::new(&hq).login("wang", "a new password 2").status,
        StatusCode::SEE_OTHER
    );

    // The last admin can be neither disabled nor demoted.
    for (path, fields) in [
        ("/people/disable", vec![("username", "root")]),
        (
            "/people/role",
            vec![("username", "root"), ("role", "manager")],
        ),
    ] {
        let p = admin.post(path, &fields);
        assert_eq!(p.status, StatusCode::CONFLICT, "{path}");
        assert!(
            p.body.contains("不能停用或降级最后一位管理员"),
            "{}",
            p.body
        );
    }
    assert_eq!(
        admin.get("/people").status,
        StatusCode::OK,
        "still an admin"
    );

    // Bad input: a message, the values kept, nothing saved.
    let long = "x".repeat(65);
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[
                ("username", ""),
                ("display_name", "空"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
            "用户名为1-64个",
        ),
        (
            &[
                ("username", &long),
                ("display_name", "长"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
            "用户名为1-64个",
        ),
        (
            &[
                ("username", "<script>x</script>"),
                ("display_name", "脚本"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
            "用户名为1-64个",
        ),
        (
            &[
                ("username", "zhou"),
                ("display_name", ""),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
            "姓名须为1-100个字符",
        ),
        (
            &[
                ("username", "zhou"),
                ("display_name", "周"),
                ("role", "boss"),
                ("password", PASSWORD),
            ],
            "请选择一个角色",
        ),
        (
            &[
                ("username", "zhou"),
                ("display_name", "周"),
                ("role", "admin"),
                ("password", "short"),
            ],
            "密码须为10-200个字符",
        ),
    ];
    for (fields, message) in cases {
        let p = admin.post("/people", fields);
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(p.body.contains(message), "{message}: {}", p.body);
        assert!(!p.body.contains("<script>x"), "escaped");
    }
    let p = admin.post(
        "/people",
        &[
            ("username", "wang"),
            ("display_name", "另一个"),
            ("role", "admin"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("该用户名已被使用") && p.body.contains("另一个"));
    let p = admin.post(
        "/people",
        &[
            ("username", "x"),
            ("display_name", "<script>alert(1)</script>"),
            ("role", "boss"),
            ("password", PASSWORD),
        ],
    );
    assert!(
        p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            && !p.body.contains("<script>alert")
    );
    let people = admin.get("/people");
    assert!(
        !people.body.contains("zhou") && !people.body.contains("另一个"),
        "nothing saved"
    );
    assert_eq!(
        admin
            .post("/people/role", &[("username", "nobody"), ("role", "admin")])
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin
            .post("/people/role", &[("username", "wang"), ("role", "boss")])
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A manager gets none of it.
    let mut manager = Browser::signed_in(&hq, "boss");
    assert_eq!(manager.get("/people").status, StatusCode::FORBIDDEN);
    assert_eq!(
        manager
            .post("/people/role", &[("username", "boss"), ("role", "admin")])
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(manager.get("/keys").status, StatusCode::FORBIDDEN);

    let mine = admin.get("/account");
    for label in [
        "添加人员",
        "更改角色",
        "停用账号",
        "启用账号",
        "重设密码",
        "在所有设备上退出",
    ] {
        assert!(mine.body.contains(label), "{label}");
    }
}
on_both!(people_are_managed_by_the_admin);

fn keys_are_made_once_and_revoked(b: Backend) {
    let hq = Hq::start(b);
    add_person(&hq, "root", "管理员甲", Role::Admin);
    let mut admin = Browser::signed_in(&hq, "root");
    let p = admin.post("/keys", &[("name", "erp"), ("scopes", "read")]);
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let secret = text_after(&p, "<span class=\"code\">");
    assert!(secret.starts_with("onsite_"), "{secret}");
    assert!(!admin.get("/keys").body.contains(&secret), "shown once");
    assert_eq!(hq.call("GET", "/v1/orders", Some(&secret), None).0, 200);

    let p = admin.post(
        "/keys",
        &[("name", "<script>k</script>"), ("scopes", "read")],
    );
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("名称为1-64个") && p.body.contains("&lt;script&gt;k"));
    let p = admin.post("/keys", &[("name", "other"), ("scopes", "everything")]);
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("请选择权限"));
    assert_eq!(
        admin
            .post("/keys", &[("name", "erp"), ("scopes", "read")])
            .status,
        StatusCode::CONFLICT
    );
    assert!(!admin.get("/keys").body.contains("other"), "nothing saved");

    let p = admin.post("/keys/revoke", &[("name", "erp")]);
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(admin.get("/keys").body.contains("已吊销"));
    assert_eq!(hq.call("GET", "/v1/orders", Some(&secret), None).0, 401);
    assert_eq!(
        admin.post("/keys/revoke", &[("name", "erp")]).status,
        StatusCode::NOT_FOUND
    );
    let mine = admin.get("/account");
    assert!(mine.body.contains("创建集成密钥") && mine.body.contains("吊销集成密钥"));

    // In English, the admin's pages speak English.
    admin.cookie = admin.cookie.map(|c| format!("{c}; onsite_lang=en"));
    for (path, title) in [
        ("/keys", "Integration keys"),
        ("/people", "Add a person"),
        ("/technicians", "Technicians and devices"),
    ] {
        let p = admin.get(path);
        assert!(
            p.body.contains(title) && !p.body.contains("添加"),
            "{path}: {}",
            p.body
        );
    }
}
on_both!(keys_are_made_once_and_revoked);

/// Cancels a sync once its first batch is in: the rest stays on the phone.
struct StopAfterFirstBatch(onsite_core::sync::CancelHandle);

impl onsite_core::sync::SyncListener for StopAfterFirstBatch {
    fn on_state(&self, state: onsite_core::sync::SyncState) {
        if matches!(state, onsite_core::sync::SyncState::Pushing { done, .. } if done > 0) {
            self.0.cancel();
        }
    }
}

/// A phone whose sync stopped half way shows, on the technicians page, how
/// many ops it still holds (as it reported them with its last push); once it
/// syncs everything, the page says nothing waits.
fn a_phone_with_unsent_work_stands_out(b: Backend) {
    use onsite_core::sync::{SyncClient, SyncConfig};
    let (hq, phone) = onsite_tests::harness::hq_and_phone(b, "T-5");
    add_person(&hq, "root", "管理员甲", Role::Admin);
    let mut admin = Browser::signed_in(&hq, "root");
    assert!(
        admin.get("/technicians").body.contains("未报告"),
        "a device that never pushed has reported nothing"
    );

    let appointment = chrono::Utc::now() + chrono::Duration::hours(2);
    hq.dispatch(&onsite_core::sample::leak_order("J-5", "T-5", appointment));
    phone.sync();
    phone.tech.accept_job("J-5").unwrap();
    onsite_core::sample::complete_checklist(
        &phone.tech,
        "J-5",
        onsite_core::checklist::Phase::BeforeLeaving,
    )
    .unwrap();
    phone.tech.depart("J-5").unwrap();
    let held = phone.tech.outbox_len().unwrap();
    assert!(held > 6, "{held} ops to send");

    // Batches of 3; the sync is cut once the first one is in.
    let mut config = SyncConfig::new(&hq.url, &phone.token);
    config.batch_size = 3;
    let client = SyncClient::new(config).unwrap();
    let stop = StopAfterFirstBatch(client.cancel_handle());
    assert!(matches!(
        client.sync_now(&phone.tech, Some(&stop)),
        Err(onsite_core::Error::Cancelled)
    ));
    // The phone records HQ's answer to a batch while the next one travels:
    // the cut (on hearing that a batch is in) comes before the third, with
    // two batches in and recorded.
    let left = phone.tech.outbox_len().unwrap();
    assert_eq!(left, held - 6, "ops left after the cut");
    let page = admin.get("/technicians");
    assert!(
        page.body
            .contains(&format!("{left} 项操作, 0 个照片或签名图")),
        "the ops left on the phone: {}",
        page.body
    );

    phone.sync();
    let page = admin.get("/technicians");
    assert!(
        !page.body.contains("项操作") && page.body.contains("截至"),
        "nothing waits any more: {}",
        page.body
    );
}
on_both!(a_phone_with_unsent_work_stands_out);
