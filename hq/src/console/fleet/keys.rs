//! Integration keys (the admin's Keys page): the list, a new key whose
//! secret is shown once, revoking one. Both changes are audited with the
//! admin's account (`key.create`, `key.revoke`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::html;
use serde::Deserialize;

use super::super::page::{form_problem, layout, local_str, notice, PageResult};
use super::super::session::{Posted, Signed};
use super::super::Console;
use crate::centre::people::Action;
use crate::error::HqError;
use crate::keys::Scope;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/keys", get(keys).post(create))
        .route("/keys/revoke", post(revoke))
}

/// The scope choices the form offers, as `Scope::parse_list` reads them.
const SCOPES: &[(&str, &str, &str)] = &[
    ("read", "只读", "Read"),
    ("dispatch", "派工", "Dispatch"),
    ("dispatch,read", "派工和只读", "Dispatch and read"),
    (
        "customer,read",
        "只读(含客户资料)",
        "Read, with customer data",
    ),
    (
        "customer,dispatch,read",
        "派工和只读(含客户资料)",
        "Dispatch and read, with customer data",
    ),
    ("admin", "管理(全部)", "Admin (everything)"),
];

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

#[derive(Default)]
struct Extra {
    problem: Option<String>,
    notice: Option<String>,
    name: String,
    /// (name, secret): shown this once.
    secret: Option<(String, String)>,
}

async fn keys(State(console): State<Console>, who: Signed, Query(q): Query<Done>) -> PageResult {
    who.require(Action::ManageKeys)?;
    let extra = Extra {
        notice: (q.done.as_deref() == Some("revoked"))
            .then(|| who.tr("密钥已吊销。", "Key revoked.").to_string()),
        ..Extra::default()
    };
    page(&console, &who, StatusCode::OK, extra).await
}

async fn page(console: &Console, who: &Signed, status: StatusCode, extra: Extra) -> PageResult {
    let keys = console.store.keys().await.map_err(|e| who.fail(&e))?;
    let title = who.tr("集成密钥", "Integration keys");
    let body = html! {
        h1 { (title) }
        (notice(extra.notice.as_deref()))
        (form_problem(extra.problem.as_deref()))
        @if let Some((name, secret)) = &extra.secret {
            section.card {
                h2 { (who.tr("新密钥", "New key")) " · " (name) }
                p { span.code { (secret) } }
                p.muted { (who.tr(
                    "密钥只显示这一次,请立即复制保存;总部只保存其摘要。",
                    "The secret is shown this once: copy it now; HQ keeps only its hash."
                )) }
            }
        }
        section.card {
            h2 { (who.tr("创建密钥", "Create a key")) }
            form.row method="post" action="/keys" {
                (who.csrf_field())
                label { (who.tr("名称", "Name"))
                    input name="name" required maxlength="64" value=(extra.name); }
                label { (who.tr("权限", "Scopes"))
                    select name="scopes" {
                        @for (v, zh, en) in SCOPES { option value=(v) { (who.tr(zh, en)) } }
                    }
                }
                button type="submit" { (who.tr("创建", "Create")) }
            }
        }
        table {
            thead { tr {
                th { (who.tr("名称", "Name")) }
                th { (who.tr("权限", "Scopes")) }
                th { (who.tr("创建时间", "Created")) }
                th { (who.tr("最后使用", "Last used")) }
                th { (who.tr("状态", "State")) }
                th {}
            } }
            tbody {
                @for k in &keys {
                    tr {
                        td.code { (k.name) }
                        td { (k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) }
                        td { (local_str(&k.created_at)) }
                        td { (k.last_used_at.as_deref().map(local_str).unwrap_or_default()) }
                        td { @if let Some(t) = &k.revoked_at {
                            span.flag.breach { (who.tr("已吊销", "revoked")) } " " (local_str(t))
                        } @else { span.flag.ok { (who.tr("有效", "active")) } } }
                        td { @if k.revoked_at.is_none() {
                            form.inline method="post" action="/keys/revoke" {
                                (who.csrf_field())
                                input type="hidden" name="name" value=(k.name);
                                button.danger type="submit" data-confirm=(who.tr("吊销此密钥?", "Revoke this key?")) {
                                    (who.tr("吊销", "Revoke"))
                                }
                            }
                        } }
                    }
                }
            }
        }
    };
    Ok((status, layout(who, "/keys", title, body)).into_response())
}

#[derive(Deserialize)]
struct NewKey {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scopes: String,
}

async fn create(State(console): State<Console>, p: Posted<NewKey>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManageKeys)?;
    let refused = |status: StatusCode, m: &str| {
        Extra {
            problem: Some(m.to_string()),
            name: p.form.name.clone(),
            ..Extra::default()
        }
        .with(status)
    };
    let Ok(scopes) = Scope::parse_list(&p.form.scopes) else {
        let (status, extra) = refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            who.tr("请选择权限。", "Choose the key's scopes."),
        );
        return page(&console, who, status, extra).await;
    };
    let name = p.form.name.trim();
    match console
        .store
        .add_key(&who.actor(), name, scopes, Utc::now())
        .await
    {
        Ok(secret) => {
            let extra = Extra {
                secret: Some((name.to_string(), secret)),
                ..Extra::default()
            };
            page(&console, who, StatusCode::OK, extra).await
        }
        Err(e @ (HqError::BadRequest(_) | HqError::Conflict(_))) => {
            let (status, extra) = match e {
                HqError::Conflict(_) => refused(
                    StatusCode::CONFLICT,
                    who.tr(
                        "该名称已被使用(包括已吊销的密钥)。",
                        "This name is taken (revoked keys keep theirs).",
                    ),
                ),
                _ => refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    who.tr(
                        "名称为1-64个字母、数字、“.”“_”“-”。",
                        "A name is 1-64 letters, digits, '.', '_' or '-'.",
                    ),
                ),
            };
            page(&console, who, status, extra).await
        }
        Err(e) => Err(who.fail(&e)),
    }
}

impl Extra {
    fn with(self, status: StatusCode) -> (StatusCode, Extra) {
        (status, self)
    }
}

#[derive(Deserialize)]
struct KeyName {
    #[serde(default)]
    name: String,
}

async fn revoke(State(console): State<Console>, p: Posted<KeyName>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManageKeys)?;
    match console
        .store
        .withdraw_key(&who.actor(), p.form.name.trim(), Utc::now())
        .await
    {
        Ok(()) => Ok(Redirect::to("/keys?done=revoked").into_response()),
        Err(HqError::NotFound(_)) => {
            let extra = Extra {
                problem: Some(
                    who.tr("找不到该有效密钥。", "No such active key.")
                        .to_string(),
                ),
                ..Extra::default()
            };
            page(&console, who, StatusCode::NOT_FOUND, extra).await
        }
        Err(e) => Err(who.fail(&e)),
    }
}
