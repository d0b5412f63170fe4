//! Signing in and out, the language switch, and the person's own account
//! page (where they sign out everywhere).
//!
//! Sign-in is limited twice: wrong passwords per address ([`crate::limit`],
//! answered 429) and per account (locked after
//! [`crate::centre::people::MAX_FAILED_LOGINS`]). An unknown name and a wrong
//! password read the same. The sign-in form's own CSRF secret is a cookie
//! it must match (no session exists yet).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use maud::html;
use onsite_core::locale::Lang;
use serde::Deserialize;

use super::page::{bare, form_problem, lang_switch, layout, local, tr, Failure, PageResult};
use super::session::{
    cookie, lang_of, same_secret, set_cookie, Posted, Signed, LANG_COOKIE, SESSION_COOKIE,
};
use super::Console;
use crate::centre::people::{self, LoginRefusal, SESSION_LIFETIME};

/// The sign-in form's CSRF cookie.
const LOGIN_COOKIE: &str = "onsite_login";

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route("/lang/{to}", get(switch_lang))
        .route("/account", get(account))
}

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: Option<String>,
}

/// Only a path on this console (never `//elsewhere` or a full URL).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

fn login_form(
    lang: Lang,
    next: &str,
    csrf: &str,
    username: &str,
    problem: Option<&str>,
) -> maud::Markup {
    let title = tr(lang, "登录", "Sign in");
    bare(
        lang,
        title,
        html! {
            main.narrow.login {
                h1 { (tr(lang, "Onsite 客服中心", "Onsite service centre")) }
                (form_problem(problem))
                form method="post" action="/login" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="next" value=(next);
                    label { (tr(lang, "用户名", "User name"))
                        input name="username" value=(username) autocomplete="username" required autofocus maxlength="64";
                    }
                    label { (tr(lang, "密码", "Password"))
                        input type="password" name="password" autocomplete="current-password" required maxlength="200";
                    }
                    button type="submit" { (title) }
                }
                p { (lang_switch(lang, &format!("/login?next={}", super::page::urlencode(next)))) }
            }
        },
    )
}

/// The sign-in page, with a fresh CSRF cookie for its form.
fn login_response(
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    username: &str,
    problem: Option<&str>,
) -> Response {
    let lang = lang_of(headers);
    let csrf = people::random_secret();
    let page = login_form(lang, next, &csrf, username, problem);
    (
        status,
        [(
            header::SET_COOKIE,
            set_cookie(LOGIN_COOKIE, &csrf, 3600, headers, true),
        )],
        page,
    )
        .into_response()
}

async fn login_page(headers: HeaderMap, Query(q): Query<Next>) -> Response {
    login_response(
        &headers,
        StatusCode::OK,
        &safe_next(q.next.as_deref()),
        "",
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// A hash to check unknown names against, so they take as long as known ones.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        people::hash_password("a decoy nobody has as a password").unwrap_or_default()
    })
}

async fn login(
    State(console): State<Console>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers);
    let next = safe_next(f.next.as_deref());
    let username = f.username.trim().to_lowercase();
    let refuse = |status: StatusCode, msg: &str| {
        login_response(&headers, status, &next, &username, Some(msg))
    };
    if !cookie(&headers, LOGIN_COOKIE).is_some_and(|c| same_secret(&c, &f.csrf)) {
        return refuse(
            StatusCode::FORBIDDEN,
            tr(
                lang,
                "登录表单已失效,请重新输入。",
                "The sign-in form expired: please sign in again.",
            ),
        );
    }
    if let Err(wait) = console.login_limit.check(peer.ip(), Instant::now()) {
        let minutes = wait.as_secs().div_ceil(60);
        let msg = match lang {
            Lang::ZhCn => format!("此地址密码错误次数过多,请 {minutes} 分钟后再试。"),
            Lang::En => {
                format!("Too many wrong passwords from this address: try again in {minutes} min.")
            }
        };
        return refuse(StatusCode::TOO_MANY_REQUESTS, &msg);
    }
    let now = Utc::now();
    let creds = match console.store.credentials(&username).await {
        Ok(c) => c,
        Err(e) => return Failure::store(lang, &e).into_response(),
    };
    let hash = creds
        .as_ref()
        .map_or_else(|| decoy_hash().to_string(), |c| c.password_hash.clone());
    let password = f.password;
    // argon2 takes tens of milliseconds of CPU: off the runtime's threads.
    let right = tokio::task::spawn_blocking(move || people::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let wrong_msg = tr(lang, "用户名或密码不正确。", "Wrong user name or password.");
    let Some(creds) = creds else {
        console.login_limit.failed(peer.ip(), Instant::now());
        return refuse(StatusCode::UNAUTHORIZED, wrong_msg);
    };
    if let Some(until) = creds.locked_until.filter(|t| *t > now) {
        return refuse(StatusCode::TOO_MANY_REQUESTS, &locked_msg(lang, until));
    }
    if !right {
        console.login_limit.failed(peer.ip(), Instant::now());
        return match console.store.login_failed(&username, now).await {
            Ok(LoginRefusal::Locked(until)) => {
                refuse(StatusCode::TOO_MANY_REQUESTS, &locked_msg(lang, until))
            }
            Ok(_) => refuse(StatusCode::UNAUTHORIZED, wrong_msg),
            Err(e) => Failure::store(lang, &e).into_response(),
        };
    }
    if creds.disabled {
        return refuse(
            StatusCode::FORBIDDEN,
            tr(
                lang,
                "此账号已停用,请联系管理员。",
                "This account is disabled: ask the administrator.",
            ),
        );
    }
    match console
        .store
        .open_session(&username, &peer.ip().to_string(), now)
        .await
    {
        Ok(s) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, next.clone()),
                (
                    header::SET_COOKIE,
                    set_cookie(
                        SESSION_COOKIE,
                        &s.token,
                        SESSION_LIFETIME.num_seconds(),
                        &headers,
                        true,
                    ),
                ),
            ],
        )
            .into_response(),
        Err(e) => Failure::store(lang, &e).into_response(),
    }
}

fn locked_msg(lang: Lang, until: chrono::DateTime<Utc>) -> String {
    let at = super::page::clock(until);
    match lang {
        Lang::ZhCn => format!("密码连续错误次数过多,账号已锁定至 {at}。"),
        Lang::En => format!("Too many wrong passwords: the account is locked until {at}."),
    }
}

fn signed_out(headers: &HeaderMap) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".to_string()),
            (
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, "", 0, headers, true),
            ),
        ],
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct Empty {}

async fn logout(
    State(console): State<Console>,
    headers: HeaderMap,
    p: Posted<Empty>,
) -> PageResult {
    console
        .store
        .close_session(&p.who.token, Utc::now())
        .await
        .map_err(|e| p.who.fail(&e))?;
    Ok(signed_out(&headers))
}

async fn logout_everywhere(
    State(console): State<Console>,
    headers: HeaderMap,
    p: Posted<Empty>,
) -> PageResult {
    console
        .store
        .close_all_sessions(&p.who.actor(), &p.who.person.username, Utc::now())
        .await
        .map_err(|e| p.who.fail(&e))?;
    Ok(signed_out(&headers))
}

#[derive(Deserialize, Default)]
pub struct Back {
    #[serde(default)]
    back: Option<String>,
}

async fn switch_lang(
    Path(to): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Back>,
) -> Response {
    let value = if to == "en" { "en" } else { "zh" };
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, safe_next(q.back.as_deref())),
            (
                header::SET_COOKIE,
                set_cookie(LANG_COOKIE, value, 365 * 24 * 3600, &headers, false),
            ),
        ],
    )
        .into_response()
}

/// The person's own page: who they are, when the session ends, signing out
/// everywhere, and what they did lately.
async fn account(State(console): State<Console>, who: Signed) -> PageResult {
    let recent = console
        .store
        .recent_audit(Some(who.actor()), 50)
        .await
        .map_err(|e| who.fail(&e))?;
    let (zh, en) = who.person.role.names();
    let title = who.tr("我的账号", "My account");
    let body = html! {
        h1 { (title) }
        dl.facts {
            dt { (who.tr("姓名", "Name")) } dd { (who.person.display_name) }
            dt { (who.tr("用户名", "User name")) } dd { (who.person.username) }
            dt { (who.tr("角色", "Role")) } dd { (who.tr(zh, en)) }
            dt { (who.tr("本次登录有效至", "This session ends")) } dd { (local(who.expires_at)) }
        }
        form method="post" action="/logout-everywhere" {
            (who.csrf_field())
            p { (who.tr("在所有电脑和平板上退出登录(例如忘记在别处退出时)。", "Sign out on every computer and tablet (if you forgot to sign out somewhere).")) }
            button.danger type="submit" { (who.tr("在所有设备上退出", "Sign out everywhere")) }
        }
        h2 { (who.tr("我最近的操作", "What I did lately")) }
        table {
            thead { tr { th { (who.tr("时间", "When")) } th { (who.tr("操作", "Action")) } th { (who.tr("工单", "Order")) } th { (who.tr("内容", "Detail")) } } }
            tbody {
                @for e in &recent {
                    tr {
                        td { (local(e.at)) }
                        td { (super::order::action_label(who.lang, &e.action)) }
                        td { @if let Some(j) = &e.job_id { a href={ "/orders/" (super::page::urlencode(j)) } { (j) } } }
                        td { (e.detail) }
                    }
                }
            }
        }
    };
    Ok(layout(&who, "/account", title, body).into_response())
}

/// Redirects a signed-out visitor of `/` to sign in (used by [`super::home`]).
pub fn to_login() -> Redirect {
    Redirect::to("/login")
}
