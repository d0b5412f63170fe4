//! Who may do what, held over HTTP: every (role, action) pair of
//! `PERMISSIONS` is tried against a real HQ, as a signed-in person of that
//! role posting (or opening) the route that action guards, with a valid CSRF
//! secret. An allowed pair gets anything but 403 (the empty form is refused
//! for its content, or the page opens); a refused pair gets 403 and changes
//! nothing. Every form route also refuses a post without its CSRF secret or
//! with a wrong one. A new `Action` does not compile here until it has a
//! route in [`route`].

#![allow(clippy::unwrap_used, clippy::expect_used)]

use onsite_hq::centre::people::{allows, Action, Role, PERMISSIONS};
use onsite_tests::console::{add_person, Browser, Page};
use onsite_tests::harness::{Backend, Hq};
use reqwest::StatusCode;

/// The request an action guards: GET a page, or POST a form (its fields
/// left empty: the permission is checked before the content).
enum Probe {
    Get(&'static str),
    Post(&'static str),
}

/// One route per action (the one the action is named for).
fn route(action: Action) -> Probe {
    match action {
        Action::View => Probe::Get("/board"),
        Action::TakeCall => Probe::Post("/reception"),
        Action::WriteOrder => Probe::Post("/orders"),
        Action::Dispatch => Probe::Post("/board/assign"),
        Action::RecordFollowUp => Probe::Post("/followups/call"),
        Action::RecordComplaint => Probe::Post("/complaints"),
        Action::RecordHandover => Probe::Post("/handover"),
        Action::Approve => Probe::Post("/approvals/line"),
        Action::Reassign => Probe::Post("/board/reassign"),
        Action::Cancel => Probe::Post("/board/cancel"),
        Action::SignReconciliation => Probe::Post("/handover/sign"),
        Action::ViewReports => Probe::Get("/reports"),
        Action::Export => Probe::Get("/reports/daily.csv"),
        Action::SeeConfidential => Probe::Get("/confidential"),
        Action::MarkConfidential => Probe::Post("/confidential"),
        Action::ReadAccessLog => Probe::Get("/access"),
        Action::RespondToLeak => Probe::Post("/leaks"),
        Action::ManagePeople => Probe::Post("/people"),
        Action::ManageKeys => Probe::Post("/keys"),
        Action::ManageTechnicians => Probe::Post("/technicians"),
        Action::ManageDevices => Probe::Post("/devices/revoke"),
    }
}

/// Every other form route, with the action that guards it, for the CSRF check.
const MORE_FORMS: &[&str] = &[
    "/board/reschedule",
    "/approvals/charge",
    "/complaints/step",
    "/technicians/enroll",
    "/keys/revoke",
    "/people/role",
    "/people/disable",
    "/people/enable",
    "/people/signout",
    "/people/password",
    "/logout-everywhere",
];

fn username(role: Role) -> &'static str {
    match role {
        Role::FrontDesk => "desk",
        Role::Supervisor => "sup",
        Role::Manager => "mgr",
        Role::Admin => "adm",
    }
}

fn try_action(b: &mut Browser<'_>, action: Action) -> Page {
    match route(action) {
        Probe::Get(path) => b.get(path),
        Probe::Post(path) => b.post(path, &[]),
    }
}

#[test]
fn every_role_and_action_pair_is_allowed_or_refused_as_the_table_says() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    for role in Role::ALL {
        add_person(&hq, username(role), "测试", role);
    }
    let mut checked = 0;
    for role in Role::ALL {
        let mut b = Browser::signed_in(&hq, username(role));
        for (action, _) in PERMISSIONS {
            let page = try_action(&mut b, *action);
            let path = match route(*action) {
                Probe::Get(p) | Probe::Post(p) => p,
            };
            // A console page may say "no such order" (404 with a page); a
            // route nobody serves answers 404 with an empty body.
            assert!(
                page.status != StatusCode::NOT_FOUND || page.body.contains("<html"),
                "{path} (for {action:?}) is not a console route"
            );
            if allows(role, *action) {
                assert_ne!(
                    page.status,
                    StatusCode::FORBIDDEN,
                    "{role:?} may {action:?} ({path}) but was refused: {}",
                    page.body
                );
            } else {
                assert_eq!(
                    page.status,
                    StatusCode::FORBIDDEN,
                    "{role:?} may not {action:?} ({path}) but got {}",
                    page.status
                );
                assert!(
                    page.body.contains("您的角色不能执行此操作"),
                    "{}",
                    page.body
                );
            }
            checked += 1;
            // A refused or empty form never signs the person out.
            assert_eq!(b.get("/account").status, StatusCode::OK);
        }
    }
    assert_eq!(checked, Role::ALL.len() * PERMISSIONS.len());
    // Nothing a refused pair sent was written, nor any empty form: besides
    // accounts and sign-ins, the trail holds only the manager's CSV export
    // (an export is audited even when it is empty).
    let audit = hq.rt.block_on(async {
        let store = onsite_hq::open(&hq.backend.url()).await.unwrap();
        store.recent_audit(None, 1000).await.unwrap()
    });
    let written: Vec<(String, String)> = audit
        .iter()
        .filter(|e| e.action != "session.open" && e.action != "person.create")
        .map(|e| (e.action.clone(), e.actor.as_stored()))
        .collect();
    assert_eq!(
        written,
        vec![("export.daily".to_string(), "person:mgr".to_string())],
        "what the probes wrote"
    );
}

#[test]
fn every_form_refuses_a_post_without_its_csrf_secret() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    for role in Role::ALL {
        add_person(&hq, username(role), "测试", role);
    }
    let mut forms: Vec<(&str, Role)> = Vec::new();
    for (action, roles) in PERMISSIONS {
        if let Probe::Post(path) = route(*action) {
            forms.push((path, roles[0]));
        }
    }
    // The other forms, posted by a role that may use them (the admin for admin pages).
    for path in MORE_FORMS {
        let role = match *path {
            p if p.starts_with("/people")
                || p.starts_with("/keys")
                || p.starts_with("/technicians") =>
            {
                Role::Admin
            }
            _ => Role::Manager,
        };
        forms.push((path, role));
    }
    for (path, role) in forms {
        let mut b = Browser::signed_in(&hq, username(role));
        for fields in [vec![], vec![("csrf", "0".repeat(64))]] {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let page = b.post_raw(path, &fields);
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "{path} as {role:?} with {fields:?}"
            );
            assert!(page.body.contains("表单已失效"), "{path}: {}", page.body);
        }
        assert_eq!(
            b.get("/account").status,
            StatusCode::OK,
            "still signed in after {path}"
        );
    }
}
