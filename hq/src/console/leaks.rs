//! Leak response (泄露处置), in the console; the rules are
//! [`crate::centre::leaks`]'s. Manager only ([`Action::RespondToLeak`]).
//!
//! - `GET /leaks` the form (what happened, when, which phones, people and
//!   keys, the period to search) and the leaks recorded so far.
//! - `POST /leaks` records one: the phones named are revoked with wipe and
//!   the keys named revoked at once; then the leak's page.
//! - `GET /leaks/{id}` what was recorded and done, and every customer whose
//!   data the suspects read in the period (logged as a look at each).
//! - `GET /leaks/{id}/customers.csv` the same list as a file carrying who
//!   exported it and when (also needs [`Action::Export`]; logged as an export).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use maud::html;

use super::page::{china, layout, local, Failure, PageResult};
use super::session::{Posted, Signed};
use super::Console;
use crate::centre::access::{Look, Reader};
use crate::centre::leaks::{LeakReport, NewLeak, MAX_SUSPECTS, MAX_WHAT_CHARS};
use crate::centre::people::Action;
use crate::error::HqError;
use onsite_core::locale::Lang;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/leaks", get(leaks_page).post(record))
        .route("/leaks/{id}", get(leak_page))
        .route("/leaks/{id}/customers.csv", get(leak_file))
}

fn refuse(who: &Signed, status: StatusCode, zh: &'static str, en: &'static str) -> Failure {
    Failure::new(who.lang, status, who.tr(zh, en))
}

/// A `date` field (China time): the start of that day, or of the next.
fn day_bound(s: &str, end: bool) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let d = if end { d.succ_opt()? } else { d };
    let t = d
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(china())
        .single()?
        .with_timezone(&Utc);
    Some(if end {
        t - Duration::milliseconds(1)
    } else {
        t
    })
}

/// A `datetime-local` field in China time.
fn china_time(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
        .ok()?
        .and_local_timezone(china())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn china_day(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%Y-%m-%d").to_string()
}

fn reader_label(lang: Lang, r: &Reader) -> String {
    let t = |zh, en| super::page::tr(lang, zh, en);
    match r {
        Reader::Person(n) => format!("{} {n}", t("人员", "Person")),
        Reader::Key(n) => format!("{} {n}", t("集成密钥", "Key")),
        Reader::Device(n) => format!("{} {n}", t("手机", "Phone")),
        Reader::Operator => t("总部命令行", "HQ's command line").to_string(),
    }
}

async fn leaks_page(State(console): State<Console>, who: Signed) -> PageResult {
    who.require(Action::RespondToLeak)?;
    let store = &console.store;
    let fail = |e: HqError| who.fail(&e);
    let (leaks, fleet, people, keys) = (
        store.leaks().await.map_err(fail)?,
        store.fleet().await.map_err(fail)?,
        store.accounts(Utc::now()).await.map_err(fail)?,
        store.keys().await.map_err(fail)?,
    );
    let now = Utc::now();
    let title = who.tr("泄露处置", "Leak response");
    let body = html! {
        h1 { (title) }
        p { (who.tr(
            "发现客户信息已经泄露或可能泄露时,在此登记:所选手机立即吊销并远程擦除,所选集成密钥立即吊销;随后列出嫌疑人员、手机或密钥在所选时间段内查阅过的全部客户,供报告使用。",
            "When customer data has leaked or may have, record it here: the phones chosen are revoked and wiped at once, the keys chosen revoked; then every customer whose data the people, phones or keys read in the period is listed, for the report.",
        )) }
        form method="post" action="/leaks" {
            (who.csrf_field())
            label { (who.tr("发生了什么", "What happened"))
                textarea name="what" required maxlength=(MAX_WHAT_CHARS) rows="3" {} }
            label { (who.tr("发现时间", "Noticed at"))
                input type="datetime-local" name="noticed_at" required
                    value=(now.with_timezone(&china()).format("%Y-%m-%dT%H:%M")); }
            label { (who.tr("查阅记录起始日期", "Reads from (day)"))
                input type="date" name="from" required value=(china_day(now - Duration::days(30))); }
            label { (who.tr("查阅记录截止日期", "Reads to (day)"))
                input type="date" name="to" required value=(china_day(now)); }
            fieldset {
                legend { (who.tr("涉及的手机(将被吊销并擦除)", "Phones concerned (revoked and wiped)")) }
                @for t in &fleet {
                    @for d in &t.devices {
                        label.check {
                            input type="checkbox" name="device" value=(d.device_id);
                            (d.device_id) " (" (t.name) ")"
                            @if d.revoked { " " (who.tr("已吊销", "revoked")) }
                        }
                    }
                }
            }
            fieldset {
                legend { (who.tr("涉及的人员", "People concerned")) }
                @for a in &people {
                    label.check {
                        input type="checkbox" name="person" value=(a.person.username);
                        (a.person.display_name) " (" (a.person.username) ")"
                    }
                }
            }
            fieldset {
                legend { (who.tr("涉及的集成密钥(将被吊销)", "Keys concerned (revoked)")) }
                @for k in &keys {
                    label.check {
                        input type="checkbox" name="key" value=(k.name);
                        (k.name)
                        @if k.revoked_at.is_some() { " " (who.tr("已吊销", "revoked")) }
                    }
                }
            }
            button type="submit" { (who.tr("登记并处置", "Record and act")) }
        }
        h2 { (who.tr("已登记的泄露", "Leaks recorded")) }
        @if leaks.is_empty() {
            p.empty { (who.tr("尚无登记。", "None recorded.")) }
        } @else {
            table {
                thead { tr {
                    th { "#" } th { (who.tr("登记时间", "Recorded")) } th { (who.tr("登记人", "By")) }
                    th { (who.tr("发生了什么", "What happened")) } th { (who.tr("涉及", "Concerns")) }
                } }
                tbody {
                    @for l in &leaks {
                        tr {
                            td { a href={ "/leaks/" (l.id) } { (l.id) } }
                            td { (local(l.recorded_at)) }
                            td { (l.recorded_by.as_stored()) }
                            td { (l.what) }
                            td { @for s in &l.suspects { (reader_label(who.lang, &s.reader)) br; } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&who, "/leaks", title, body).into_response())
}

async fn record(State(console): State<Console>, p: Posted<Vec<(String, String)>>) -> PageResult {
    let (who, fields) = (p.who, p.form);
    who.require(Action::RespondToLeak)?;
    let one = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let what = one("what").trim().to_string();
    if what.is_empty() || what.chars().count() > MAX_WHAT_CHARS {
        return Err(refuse(
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请说明发生了什么(1至500字)。",
            "Say what happened (1 to 500 characters).",
        ));
    }
    let Some(noticed_at) = china_time(one("noticed_at")) else {
        return Err(refuse(
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写发现时间。",
            "Give the time it was noticed.",
        ));
    };
    let (Some(from), Some(to)) = (day_bound(one("from"), false), day_bound(one("to"), true)) else {
        return Err(refuse(
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写查阅记录的起止日期。",
            "Give the first and last day of reads to list.",
        ));
    };
    if from > to {
        return Err(refuse(
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            "截止日期早于起始日期。",
            "The last day is before the first.",
        ));
    }
    let suspects: Vec<Reader> = fields
        .iter()
        .filter_map(|(k, v)| {
            let v = v.trim().to_string();
            match k.as_str() {
                "device" => Some(Reader::Device(v)),
                "person" => Some(Reader::Person(v)),
                "key" => Some(Reader::Key(v)),
                _ => None,
            }
        })
        .collect();
    if suspects.is_empty() || suspects.len() > MAX_SUSPECTS {
        return Err(refuse(
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            "请选择涉及的手机、人员或密钥(1至20项)。",
            "Choose the phones, people or keys concerned (1 to 20).",
        ));
    }
    let leak = NewLeak {
        what,
        noticed_at,
        from,
        to,
        suspects,
    };
    match console
        .store
        .record_leak(&who.actor(), leak, Utc::now())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/leaks/{id}")).into_response()),
        Err(HqError::NotFound(_)) => Err(refuse(
            &who,
            StatusCode::NOT_FOUND,
            "所选的手机、人员或密钥有不存在的,未作任何处置,请刷新页面后重选。",
            "One of the phones, people or keys chosen does not exist; nothing was done: reload the page and choose again.",
        )),
        Err(e) => Err(who.fail(&e)),
    }
}

fn leak_id(who: &Signed, id: &str) -> Result<i64, Failure> {
    id.parse::<i64>().map_err(|_| {
        refuse(
            who,
            StatusCode::NOT_FOUND,
            "没有这条泄露登记。",
            "There is no such leak record.",
        )
    })
}

async fn report(
    console: &Console,
    who: &Signed,
    id: &str,
    look: Look,
) -> Result<LeakReport, Failure> {
    let id = leak_id(who, id)?;
    match console
        .store
        .leak_report(
            &Reader::Person(who.person.username.clone()),
            &who.origin,
            look,
            id,
            Utc::now(),
        )
        .await
    {
        Ok(r) => Ok(r),
        Err(HqError::NotFound(_)) => Err(refuse(
            who,
            StatusCode::NOT_FOUND,
            "没有这条泄露登记。",
            "There is no such leak record.",
        )),
        Err(e) => Err(who.fail(&e)),
    }
}

async fn leak_page(
    State(console): State<Console>,
    who: Signed,
    Path(id): Path<String>,
) -> PageResult {
    who.require(Action::RespondToLeak)?;
    let r = report(&console, &who, &id, Look::LeakReport).await?;
    let l = &r.leak;
    let title = format!("{} #{}", who.tr("泄露处置", "Leak response"), l.id);
    let none = "—";
    let body = html! {
        h1 { (title) }
        dl {
            dt { (who.tr("发生了什么", "What happened")) } dd { (l.what) }
            dt { (who.tr("发现时间", "Noticed at")) } dd { (local(l.noticed_at)) }
            dt { (who.tr("登记", "Recorded")) } dd { (local(l.recorded_at)) " " (l.recorded_by.as_stored()) }
            dt { (who.tr("查阅记录时间段", "Reads between")) } dd { (local(l.from)) " – " (local(l.to)) }
        }
        h2 { (who.tr("已采取的措施", "Measures taken")) }
        ul.measures {
            @for s in &l.suspects {
                li { (reader_label(who.lang, &s.reader)) ": " (s.measure.label(who.lang)) }
            }
        }
        h2 { (who.tr("可能涉及的客户", "Customers it may concern")) " (" (r.exposed.len()) ")" }
        @if who.may(Action::Export) && !r.exposed.is_empty() {
            a.button href={ "/leaks/" (l.id) "/customers.csv" } { (who.tr("导出 CSV", "Download CSV")) }
        }
        @if r.exposed.is_empty() {
            p.empty { (who.tr("该时间段内,所列对象没有查阅过任何客户资料。", "In the period, none of them read any customer's data.")) }
        } @else {
            table.exposed {
                thead { tr {
                    th { (who.tr("工单", "Order")) } th { (who.tr("客户", "Customer")) }
                    th { (who.tr("电话", "Phone")) } th { (who.tr("地点", "Place")) }
                    th { (who.tr("首次查阅", "First read")) } th { (who.tr("最后查阅", "Last read")) }
                    th.num { (who.tr("次数", "Reads")) } th { (who.tr("方式", "How")) }
                    th { (who.tr("查阅者", "By")) }
                } }
                tbody {
                    @for e in &r.exposed {
                        tr {
                            td { a href={ "/orders/" (e.job_id) } { (e.job_id) } }
                            td { (e.customer_name.as_deref().unwrap_or(none)) }
                            td { (e.customer_phone.as_deref().unwrap_or(none)) }
                            td { (e.location.as_deref().unwrap_or(none)) }
                            td { (local(e.first_read)) }
                            td { (local(e.last_read)) }
                            td.num { (e.reads) }
                            td {
                                @for k in &e.kinds {
                                    (Look::parse(k).map_or(k.clone(), |l| l.label(who.lang).to_string())) br;
                                }
                                @if e.masked_only { span.muted { (who.tr("(只见到隐去后的资料)", "(saw it masked only)")) } }
                            }
                            td { @for rd in &e.readers { (reader_label(who.lang, rd)) br; } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&who, "/leaks", &title, body).into_response())
}

async fn leak_file(
    State(console): State<Console>,
    who: Signed,
    Path(id): Path<String>,
) -> PageResult {
    who.require(Action::RespondToLeak)?;
    who.require(Action::Export)?;
    let now = Utc::now();
    let r = report(&console, &who, &id, Look::Export).await?;
    let by = format!("{} ({})", who.person.display_name, who.person.username);
    let body = crate::centre::reports::leak_csv(&r, who.lang, &by, now);
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"leak-{}.csv\"", r.leak.id),
            ),
        ],
        body,
    )
        .into_response())
}
