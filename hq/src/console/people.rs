//! People (the admin's page): every account with its role, state, lock and
//! live sessions; add a person, change a role (their sessions end, so the
//! new role applies at once), disable or enable, reset a password, sign a
//! person out everywhere. The rules and their audit entries are
//! [`crate::centre::people`]'s.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::html;
use serde::Deserialize;

use super::page::{form_problem, layout, local_str, notice, PageResult};
use super::session::{Posted, Signed};
use super::Console;
use crate::centre::people::{
    check_display_name, check_password, check_username, hash_password, Action, Person, Role,
    MAX_PASSWORD_CHARS,
};
use crate::error::HqError;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/people", get(people).post(add))
        .route("/people/role", post(role))
        .route("/people/disable", post(disable))
        .route("/people/enable", post(enable))
        .route("/people/password", post(password))
        .route("/people/signout", post(sign_out))
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

/// A refused form's message and values.
#[derive(Default)]
struct Extra {
    problem: Option<String>,
    notice: Option<String>,
    username: String,
    display_name: String,
    role: String,
}

async fn people(State(console): State<Console>, who: Signed, Query(q): Query<Done>) -> PageResult {
    who.require(Action::ManagePeople)?;
    let notice = match q.done.as_deref() {
        Some("added") => Some(who.tr("人员已添加。", "Person added.")),
        Some("role") => Some(who.tr(
            "角色已更改;此人需重新登录。",
            "Role changed; they sign in again.",
        )),
        Some("disabled") => {
            Some(who.tr("账号已停用并退出登录。", "Account disabled and signed out."))
        }
        Some("enabled") => Some(who.tr("账号已启用。", "Account enabled.")),
        Some("password") => Some(who.tr(
            "密码已重设;此人需用新密码重新登录。",
            "Password reset; they sign in again with it.",
        )),
        Some("signout") => Some(who.tr("已在所有设备上退出。", "Signed out everywhere.")),
        _ => None,
    };
    let extra = Extra {
        notice: notice.map(str::to_string),
        ..Extra::default()
    };
    page(&console, &who, StatusCode::OK, extra).await
}

async fn page(console: &Console, who: &Signed, status: StatusCode, extra: Extra) -> PageResult {
    let accounts = console
        .store
        .accounts(Utc::now())
        .await
        .map_err(|e| who.fail(&e))?;
    let title = who.tr("人员", "People");
    let role_name = |r: Role| {
        let (zh, en) = r.names();
        who.tr(zh, en)
    };
    let body = html! {
        h1 { (title) }
        (notice(extra.notice.as_deref()))
        (form_problem(extra.problem.as_deref()))
        section.card {
            h2 { (who.tr("添加人员", "Add a person")) }
            form.row method="post" action="/people" {
                (who.csrf_field())
                label { (who.tr("用户名", "User name"))
                    input name="username" required maxlength="64" value=(extra.username); }
                label { (who.tr("姓名", "Display name"))
                    input name="display_name" required maxlength="100" value=(extra.display_name); }
                label { (who.tr("角色", "Role"))
                    select name="role" {
                        @for r in Role::ALL {
                            option value=(r.as_str()) selected[extra.role == r.as_str()] { (role_name(r)) }
                        }
                    }
                }
                label { (who.tr("初始密码", "Initial password"))
                    input type="password" name="password" required minlength="10" maxlength=(MAX_PASSWORD_CHARS) autocomplete="new-password"; }
                button type="submit" { (who.tr("添加", "Add")) }
            }
        }
        table {
            thead { tr {
                th { (who.tr("姓名", "Name")) }
                th { (who.tr("角色", "Role")) }
                th { (who.tr("状态", "State")) }
                th.num { (who.tr("在线会话", "Live sessions")) }
                th { (who.tr("操作", "Actions")) }
            } }
            tbody {
                @for a in &accounts {
                    @let u = &a.person.username;
                    tr {
                        td { (a.person.display_name) br; span.muted.code { (u) } }
                        td {
                            form.inline method="post" action="/people/role" {
                                (who.csrf_field())
                                input type="hidden" name="username" value=(u);
                                select name="role" aria-label=(who.tr("角色", "Role")) {
                                    @for r in Role::ALL {
                                        option value=(r.as_str()) selected[r == a.person.role] { (role_name(r)) }
                                    }
                                }
                                button.secondary type="submit" { (who.tr("更改", "Change")) }
                            }
                        }
                        td {
                            @if a.disabled { span.flag.breach { (who.tr("已停用", "disabled")) } }
                            @else { span.flag.ok { (who.tr("正常", "active")) } }
                            @if let Some(t) = &a.locked_until {
                                " " span.flag.late { (who.tr("锁定至 ", "locked until ")) (local_str(t)) }
                            }
                        }
                        td.num { (a.sessions) }
                        td {
                            @if a.disabled {
                                form.inline method="post" action="/people/enable" {
                                    (who.csrf_field())
                                    input type="hidden" name="username" value=(u);
                                    button.secondary type="submit" { (who.tr("启用", "Enable")) }
                                }
                            } @else {
                                form.inline method="post" action="/people/disable" {
                                    (who.csrf_field())
                                    input type="hidden" name="username" value=(u);
                                    button.danger type="submit" data-confirm=(who.tr("停用此账号?", "Disable this account?")) { (who.tr("停用", "Disable")) }
                                }
                            }
                            form.inline method="post" action="/people/signout" {
                                (who.csrf_field())
                                input type="hidden" name="username" value=(u);
                                button.secondary type="submit" { (who.tr("全部退出", "Sign out everywhere")) }
                            }
                            form.inline method="post" action="/people/password" {
                                (who.csrf_field())
                                input type="hidden" name="username" value=(u);
                                input type="password" name="password" required minlength="10" maxlength=(MAX_PASSWORD_CHARS)
                                    autocomplete="new-password" aria-label=(who.tr("新密码", "New password"))
                                    placeholder=(who.tr("新密码", "New password"));
                                button.secondary type="submit" { (who.tr("重设密码", "Reset password")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok((status, layout(who, "/people", title, body)).into_response())
}

/// The page again with a refusal (nothing was saved).
async fn refused(
    console: &Console,
    who: &Signed,
    status: StatusCode,
    message: &str,
    extra: Extra,
) -> PageResult {
    let extra = Extra {
        problem: Some(message.to_string()),
        ..extra
    };
    page(console, who, status, extra).await
}

/// The person's words for a refusal of the people rules.
fn message(who: &Signed, e: &HqError) -> Option<(StatusCode, &'static str)> {
    Some(match e {
        HqError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            who.tr("找不到该账号。", "No such account."),
        ),
        HqError::Conflict(d) if d.contains("administrator") => (
            StatusCode::CONFLICT,
            who.tr(
                "不能停用或降级最后一位管理员。",
                "The last administrator cannot be disabled or lose the role.",
            ),
        ),
        HqError::Conflict(_) => (
            StatusCode::CONFLICT,
            who.tr("该用户名已被使用。", "This user name is taken."),
        ),
        _ => return None,
    })
}

/// A store answer as a redirect with its notice, or the page with its refusal.
async fn answer(
    console: &Console,
    who: &Signed,
    result: crate::Result<()>,
    done: &str,
    extra: Extra,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/people?done={done}")).into_response()),
        Err(e) => match message(who, &e) {
            Some((status, m)) => refused(console, who, status, m, extra).await,
            None => Err(who.fail(&e)),
        },
    }
}

fn bad_password(who: &Signed) -> &'static str {
    who.tr(
        "密码须为10-200个字符。",
        "A password has 10 to 200 characters.",
    )
}

/// Hashes off the runtime's threads (argon2 is slow on purpose).
async fn hashed(password: String) -> crate::Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| HqError::Internal("password hashing stopped".into()))?
}

#[derive(Deserialize)]
struct NewPerson {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

async fn add(State(console): State<Console>, p: Posted<NewPerson>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManagePeople)?;
    let f = &p.form;
    let extra = || Extra {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        ..Extra::default()
    };
    let un = StatusCode::UNPROCESSABLE_ENTITY;
    let username = f.username.trim();
    if check_username(username).is_err() {
        let m = who.tr(
            "用户名为1-64个小写字母、数字、“.”“_”“-”。",
            "A user name is 1-64 of a-z, 0-9, '.', '_' and '-'.",
        );
        return refused(&console, who, un, m, extra()).await;
    }
    if check_display_name(&f.display_name).is_err() {
        let m = who.tr(
            "姓名须为1-100个字符。",
            "A display name has 1 to 100 characters.",
        );
        return refused(&console, who, un, m, extra()).await;
    }
    let Some(role) = Role::parse(&f.role) else {
        let m = who.tr("请选择一个角色。", "Choose one of the roles.");
        return refused(&console, who, un, m, extra()).await;
    };
    if check_password(&f.password).is_err() {
        return refused(&console, who, un, bad_password(who), extra()).await;
    }
    let hash = hashed(f.password.clone()).await.map_err(|e| who.fail(&e))?;
    let person = Person {
        username: username.to_string(),
        display_name: f.display_name.trim().to_string(),
        role,
    };
    let r = console
        .store
        .create_person(&who.actor(), person, hash, Utc::now())
        .await;
    answer(&console, who, r, "added", extra()).await
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
}

async fn role(State(console): State<Console>, p: Posted<RoleForm>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManagePeople)?;
    let Some(role) = Role::parse(&p.form.role) else {
        let m = who.tr("请选择一个角色。", "Choose one of the roles.");
        return refused(
            &console,
            who,
            StatusCode::UNPROCESSABLE_ENTITY,
            m,
            Extra::default(),
        )
        .await;
    };
    let r = console
        .store
        .change_role(&who.actor(), &p.form.username, role, Utc::now())
        .await;
    answer(&console, who, r, "role", Extra::default()).await
}

#[derive(Deserialize)]
struct Username {
    #[serde(default)]
    username: String,
}

async fn disable(State(console): State<Console>, p: Posted<Username>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManagePeople)?;
    let r = console
        .store
        .set_disabled(&who.actor(), &p.form.username, true, Utc::now())
        .await;
    answer(&console, who, r, "disabled", Extra::default()).await
}

async fn enable(State(console): State<Console>, p: Posted<Username>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManagePeople)?;
    let r = console
        .store
        .set_disabled(&who.actor(), &p.form.username, false, Utc::now())
        .await;
    answer(&console, who, r, "enabled", Extra::default()).await
}

async fn sign_out(State(console): State<Console>, p: Posted<Username>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManagePeople)?;
    let r = console
        .store
        .close_all_sessions(&who.actor(), &p.form.username, Utc::now())
        .await
        .map(|_| ());
    answer(&console, who, r, "signout", Extra::default()).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn password(State(console): State<Console>, p: Posted<PasswordForm>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManagePeople)?;
    if check_password(&p.form.password).is_err() {
        let m = bad_password(who);
        return refused(
            &console,
            who,
            StatusCode::UNPROCESSABLE_ENTITY,
            m,
            Extra::default(),
        )
        .await;
    }
    let hash = hashed(p.form.password.clone())
        .await
        .map_err(|e| who.fail(&e))?;
    let r = console
        .store
        .reset_password(&who.actor(), &p.form.username, hash, Utc::now())
        .await;
    answer(&console, who, r, "password", Extra::default()).await
}
