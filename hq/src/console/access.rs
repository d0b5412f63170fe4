//! The access log (查阅记录) and confidential orders (保密工单), in the console:
//!
//! - `GET /access?order=JOB` who looked at an order, newest first (linked
//!   from the order page); `GET /access?person=NAME` (or `key=NAME`,
//!   `device=ID`) what one person, key or phone looked at. Needs
//!   [`Action::ReadAccessLog`]. Times in China time.
//! - `GET /confidential` the orders confidential now, with why, by whom and
//!   when. Needs [`Action::SeeConfidential`].
//! - `POST /confidential` marks an order confidential or not, with a
//!   reason (the order page's form). Needs [`Action::MarkConfidential`];
//!   audited by [`crate::centre::access`].

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{layout, local, Failure, PageResult};
use super::session::{Posted, Signed};
use super::Console;
use crate::centre::access::{AccessEntry, Look, Reader, MAX_REASON_CHARS};
use crate::centre::people::Action;
use crate::error::HqError;
use onsite_core::error::Field;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/access", get(access_page))
        .route("/confidential", get(confidential_page).post(mark))
}

#[derive(Deserialize, Default)]
struct AccessQuery {
    order: Option<String>,
    person: Option<String>,
    key: Option<String>,
    device: Option<String>,
}

fn given(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A name, key or device id as the log stores them: 1-64 plain characters.
fn plain(s: &str) -> bool {
    onsite_core::order::validate_id(Field::JobId, s).is_ok()
}

async fn access_page(
    State(console): State<Console>,
    who: Signed,
    Query(q): Query<AccessQuery>,
) -> PageResult {
    who.require(Action::ReadAccessLog)?;
    let bad = || {
        Failure::new(
            who.lang,
            StatusCode::BAD_REQUEST,
            who.tr(
                "工单号、用户名、密钥名或设备号格式不对。",
                "That is not an order number, user name, key name or device id.",
            ),
        )
    };
    let reader = if let Some(p) = given(&q.person) {
        Some(Reader::Person(p))
    } else if let Some(k) = given(&q.key) {
        Some(Reader::Key(k))
    } else {
        given(&q.device).map(Reader::Device)
    };
    let order = given(&q.order);
    let (heading, entries): (String, Option<Vec<AccessEntry>>) = match (&order, &reader) {
        (Some(job), _) => {
            if !plain(job) {
                return Err(bad());
            }
            let e = console
                .store
                .access_of_order(job)
                .await
                .map_err(|e| who.fail(&e))?;
            (format!("{} {job}", who.tr("工单", "Order")), Some(e))
        }
        (None, Some(r)) => {
            let name = match r {
                Reader::Person(n) | Reader::Key(n) | Reader::Device(n) => n.as_str(),
                Reader::Operator => "operator",
            };
            if !plain(name) {
                return Err(bad());
            }
            let e = console
                .store
                .access_of_reader(r)
                .await
                .map_err(|e| who.fail(&e))?;
            (reader_label(&who, r), Some(e))
        }
        (None, None) => (String::new(), None),
    };
    let title = who.tr("查阅记录", "Access log");
    let body = html! {
        h1 { (title) }
        p {
            (who.tr(
                "每次查看客户资料(工单页、打印、照片、查找结果、看板、接待登记、日报、导出、接口读取)都记录在此,记录不可修改或删除。",
                "Every look at a customer's data (order page, print, photos, search results, board, reception, daily summary, exports, API reads) is recorded here; the record cannot be changed or deleted.",
            ))
        }
        form.inline method="get" action="/access" {
            label { (who.tr("工单号", "Order number")) input name="order" maxlength="64" value=(order.clone().unwrap_or_default()); }
            button type="submit" { (who.tr("按工单查", "By order")) }
        }
        form.inline method="get" action="/access" {
            label { (who.tr("用户名", "User name")) input name="person" maxlength="64"; }
            button type="submit" { (who.tr("按人员查", "By person")) }
        }
        form.inline method="get" action="/access" {
            label { (who.tr("集成密钥名", "Key name")) input name="key" maxlength="64"; }
            button type="submit" { (who.tr("按密钥查", "By key")) }
        }
        @if let Some(entries) = entries {
            h2 { (heading) }
            @if entries.is_empty() {
                p.empty { (who.tr("没有查阅记录。", "No one has looked.")) }
            } @else {
                table.access {
                    thead { tr {
                        th { (who.tr("时间", "When")) }
                        th { (who.tr("查阅人", "Who")) }
                        th { (who.tr("工单", "Order")) }
                        th { (who.tr("方式", "What")) }
                        th { (who.tr("来源地址", "From")) }
                    } }
                    tbody {
                        @for e in &entries {
                            tr {
                                td { (local(e.at)) }
                                td { a href=(reader_link(&e.reader)) { (reader_label(&who, &e.reader)) } }
                                td { a href={ "/access?order=" (e.job_id) } { (e.job_id) } }
                                td {
                                    (Look::parse(&e.kind).map_or(e.kind.clone(), |l| l.label(who.lang).to_string()))
                                    @if e.masked { " " (who.tr("(已隐去客户资料)", "(customer data withheld)")) }
                                }
                                td {
                                    (e.address)
                                    @if let Some(f) = &e.forwarded {
                                        " " (who.tr("(代理转发自 ", "(forwarded for ")) (f) ")"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&who, "/access", title, body).into_response())
}

fn reader_label(who: &Signed, r: &Reader) -> String {
    match r {
        Reader::Person(n) => format!("{} {n}", who.tr("人员", "Person")),
        Reader::Key(n) => format!("{} {n}", who.tr("集成密钥", "Key")),
        Reader::Device(n) => format!("{} {n}", who.tr("设备", "Device")),
        Reader::Operator => who.tr("总部命令行", "HQ's command line").to_string(),
    }
}

fn reader_link(r: &Reader) -> String {
    match r {
        Reader::Person(n) => format!("/access?person={n}"),
        Reader::Key(n) => format!("/access?key={n}"),
        Reader::Device(n) => format!("/access?device={n}"),
        Reader::Operator => "/access".to_string(),
    }
}

async fn confidential_page(State(console): State<Console>, who: Signed) -> PageResult {
    who.require(Action::SeeConfidential)?;
    let list = console
        .store
        .confidential_orders()
        .await
        .map_err(|e| who.fail(&e))?;
    let title = who.tr("保密工单", "Confidential orders");
    let body = html! {
        h1 { (title) }
        p { (who.tr(
            "保密工单的客户资料仅限派工的技术员、主管和经理查看;客服专员看到的是隐去后的资料;任何导出都不含保密工单。",
            "A confidential order's customer data is for its technician, supervisors and managers only; the front desk sees it masked; no export includes it.",
        )) }
        @if list.is_empty() {
            p.empty { (who.tr("目前没有保密工单。", "No order is confidential.")) }
        } @else {
            table {
                thead { tr {
                    th { (who.tr("工单", "Order")) } th { (who.tr("原因", "Reason")) }
                    th { (who.tr("标记人", "Marked by")) } th { (who.tr("时间", "When")) }
                } }
                tbody {
                    @for c in &list {
                        tr {
                            td { a href={ "/orders/" (c.job_id) } { (c.job_id) } }
                            td { (c.reason) }
                            td { (c.set_by.as_stored()) }
                            td { (local(c.set_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&who, "/confidential", title, body).into_response())
}

/// The order page's form: mark confidential (with a reason) or lift it.
pub fn secrecy_form(who: &Signed, job_id: &str, confidential: bool) -> Markup {
    html! {
        form.inline.no-print method="post" action="/confidential" {
            (who.csrf_field())
            input type="hidden" name="job_id" value=(job_id);
            input type="hidden" name="confidential" value=(if confidential { "0" } else { "1" });
            label {
                (who.tr("原因", "Reason"))
                input name="reason" required maxlength=(MAX_REASON_CHARS);
            }
            button type="submit" {
                @if confidential { (who.tr("取消保密", "Lift confidentiality")) }
                @else { (who.tr("标为保密工单", "Mark confidential")) }
            }
        }
    }
}

#[derive(Deserialize)]
struct SecrecyForm {
    #[serde(default)]
    job_id: String,
    #[serde(default)]
    confidential: String,
    #[serde(default)]
    reason: String,
}

async fn mark(State(console): State<Console>, p: Posted<SecrecyForm>) -> PageResult {
    let (who, f) = (p.who, p.form);
    who.require(Action::MarkConfidential)?;
    let job_id = f.job_id.trim();
    if !plain(job_id) {
        return Err(Failure::new(
            who.lang,
            StatusCode::NOT_FOUND,
            who.tr(
                "找不到该工单,请检查工单号。",
                "There is no such order: check the order number.",
            ),
        ));
    }
    let confidential = match f.confidential.as_str() {
        "1" => true,
        "0" => false,
        _ => {
            return Err(Failure::new(
                who.lang,
                StatusCode::BAD_REQUEST,
                who.tr(
                    "请选择标为保密或取消保密。",
                    "Choose to mark or lift confidentiality.",
                ),
            ))
        }
    };
    match console
        .store
        .set_confidential(&who.actor(), job_id, confidential, &f.reason, Utc::now())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/orders/{job_id}")).into_response()),
        Err(HqError::BadRequest(_)) => Err(Failure::new(
            who.lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            who.tr(
                "请写明原因(1至200字)。",
                "Write the reason (1 to 200 characters).",
            ),
        )),
        Err(e) => Err(who.fail(&e)),
    }
}
