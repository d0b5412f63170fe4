//! Reception (每日业户接待情况表): record a call or visit, turn it into a
//! work order, find an order; and the dispatch board ([`board`]).

mod board;
mod form;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use onsite_core::checklist::Category;
use serde::Deserialize;

use super::page::{form_problem, layout, local, notice, urlencode, PageResult};
use super::session::{Posted, Signed};
use super::Console;
use crate::centre::access::{self, Look};
use crate::centre::desk::{self, Call, Channel, NewCall, OrderLine, Search};
use crate::centre::people::Action;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/reception", get(reception).post(record_call))
        .route("/orders", get(search).post(form::write_order))
        .route("/orders/new", get(form::new_order))
        .merge(board::routes())
}

/// A category's name on a page.
pub(crate) fn category_label(who: &Signed, c: Category) -> &'static str {
    match c {
        Category::PropertyRepair => who.tr("物业维修", "Property repair"),
        Category::Appliance => who.tr("家电售后", "Appliance service"),
        Category::GpsInstall => who.tr("GPS 安装", "GPS installation"),
        Category::Furniture => who.tr("家具配送安装", "Furniture delivery"),
    }
}

fn category_of(s: &str) -> Option<Category> {
    Category::ALL.into_iter().find(|c| c.as_str() == s)
}

fn day_of(s: Option<&str>) -> Option<NaiveDate> {
    s.and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
}

#[derive(Deserialize, Default)]
struct DayQuery {
    day: Option<String>,
    recorded: Option<i64>,
}

/// The call form's fields, as typed (shown again on a refusal).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CallForm {
    channel: String,
    caller: String,
    phone: String,
    site: String,
    location: String,
    category: String,
    request: String,
}

async fn reception(
    State(console): State<Console>,
    who: Signed,
    Query(q): Query<DayQuery>,
) -> PageResult {
    who.require(Action::TakeCall)?;
    let day = day_of(q.day.as_deref()).unwrap_or_else(|| desk::china_day(Utc::now()));
    let note = q
        .recorded
        .map(|id| format!("{} #{id}", who.tr("已记录来电", "Call recorded")));
    reception_page(
        &console,
        &who,
        day,
        &CallForm::default(),
        None,
        note,
        StatusCode::OK,
    )
    .await
}

async fn reception_page(
    console: &Console,
    who: &Signed,
    day: NaiveDate,
    f: &CallForm,
    problem: Option<&str>,
    note: Option<String>,
    status: StatusCode,
) -> PageResult {
    let mut calls = console.store.calls(day).await.map_err(|e| who.fail(&e))?;
    // A call written into an order is that order's customer: listing it is a look.
    let listed: Vec<String> = calls.iter().filter_map(|c| c.job_id.clone()).collect();
    let secret = who.looked(console, Look::Reception, &listed).await?;
    access::mask_calls(&mut calls, &secret, who.person.role);
    let title = who.tr("接待", "Reception");
    let body = html! {
        h1 { (title) }
        (notice(note.as_deref()))
        form.card method="get" action="/orders" {
            div.row {
                label { (who.tr("查找工单(单号、客户、电话、房号)", "Find an order (number, customer, phone, room)"))
                    input type="search" name="q" maxlength="100"; }
                label { (who.tr("预约日期", "Appointment day")) input type="date" name="day"; }
                button type="submit" { (who.tr("查找", "Find")) }
            }
        }
        h2 { (who.tr("记录来电或来访", "Record a call or visit")) }
        form.card method="post" action="/reception" {
            (who.csrf_field())
            (form_problem(problem))
            div.grid {
                label { (who.tr("方式", "Channel"))
                    select name="channel" {
                        option value="phone" selected[f.channel != "visit"] { (who.tr("来电", "Phone call")) }
                        option value="visit" selected[f.channel == "visit"] { (who.tr("来访", "Visit")) }
                    }
                }
                label { (who.tr("来电人", "Caller")) input name="caller" required maxlength="100" value=(f.caller); }
                label { (who.tr("电话", "Phone")) input name="phone" type="tel" maxlength="40" value=(f.phone); }
                label { (who.tr("楼盘", "Site")) input name="site" maxlength="200" value=(f.site); }
                label { (who.tr("房号/地点", "Room / location")) input name="location" maxlength="200" value=(f.location); }
                label { (who.tr("类别", "Category"))
                    select name="category" {
                        @for c in Category::ALL {
                            option value=(c.as_str()) selected[f.category == c.as_str()] { (category_label(who, c)) }
                        }
                    }
                }
            }
            label { (who.tr("反映事项", "What they want")) textarea name="request" required maxlength="4000" { (f.request) } }
            button type="submit" { (who.tr("记录", "Record")) }
        }
        h2 { (who.tr("每日业户接待情况表", "Calls and visits of the day")) " " (day) }
        form.row method="get" action="/reception" {
            label { (who.tr("日期", "Day")) input type="date" name="day" value=(day); }
            button.secondary type="submit" { (who.tr("查看", "Show")) }
        }
        (calls_table(who, &calls))
    };
    Ok((status, layout(who, "/reception", title, body)).into_response())
}

fn calls_table(who: &Signed, calls: &[Call]) -> Markup {
    html! {
        @if calls.is_empty() {
            p.muted { (who.tr("当天没有记录。", "Nothing recorded that day.")) }
        } @else {
            table.customer-list {
                thead { tr {
                    th { (who.tr("时间", "Time")) } th { (who.tr("方式", "Channel")) }
                    th { (who.tr("来电人", "Caller")) } th { (who.tr("电话", "Phone")) }
                    th { (who.tr("楼盘/房号", "Site / room")) } th { (who.tr("类别", "Category")) }
                    th { (who.tr("反映事项", "What they want")) } th { (who.tr("记录人", "Recorded by")) }
                    th { (who.tr("工单", "Order")) }
                } }
                tbody {
                    @for c in calls {
                        tr {
                            td { (local(c.received_at)) }
                            td { @match c.call.channel { Channel::Phone => (who.tr("来电", "Phone")), Channel::Visit => (who.tr("来访", "Visit")) } }
                            td { (c.call.caller) } td { (c.call.phone) }
                            td { (c.call.site) " " (c.call.location) }
                            td { (category_label(who, c.call.category)) }
                            td { (c.call.request) } td { (c.recorded_by) }
                            td {
                                @if let Some(j) = &c.job_id {
                                    a href={ "/orders?q=" (urlencode(j)) } { (j) }
                                } @else if who.may(Action::WriteOrder) {
                                    a href={ "/orders/new?call=" (c.id) } { (who.tr("开工单", "Write order")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn record_call(State(console): State<Console>, p: Posted<CallForm>) -> PageResult {
    let who = p.who;
    who.require(Action::TakeCall)?;
    let f = p.form;
    let today = desk::china_day(Utc::now());
    let refuse = |msg: &str| (msg.to_string(), StatusCode::UNPROCESSABLE_ENTITY);
    let checked = (|| {
        let channel = Channel::parse(&f.channel)
            .ok_or_else(|| refuse(who.tr("请选择来电或来访。", "Choose phone call or visit.")))?;
        let category = category_of(&f.category)
            .ok_or_else(|| refuse(who.tr("请选择类别。", "Choose a category.")))?;
        form::text(&who, who.tr("来电人", "Caller"), &f.caller, 100, true)?;
        form::text(&who, who.tr("电话", "Phone"), &f.phone, 40, false)?;
        form::text(&who, who.tr("楼盘", "Site"), &f.site, 200, false)?;
        form::text(
            &who,
            who.tr("房号/地点", "Room / location"),
            &f.location,
            200,
            false,
        )?;
        form::text(
            &who,
            who.tr("反映事项", "What they want"),
            &f.request,
            4000,
            true,
        )?;
        Ok::<_, (String, StatusCode)>(NewCall {
            channel,
            caller: f.caller.clone(),
            phone: f.phone.clone(),
            site: f.site.clone(),
            location: f.location.clone(),
            category,
            request: f.request.clone(),
        })
    })();
    let call = match checked {
        Ok(c) => c,
        Err((msg, status)) => {
            return reception_page(&console, &who, today, &f, Some(&msg), None, status).await
        }
    };
    match console
        .store
        .record_call(&who.actor(), &who.person.display_name, call, Utc::now())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/reception?recorded={id}")).into_response()),
        Err(e) => {
            let msg = super::page::problem(who.lang, &e);
            let status = who.fail(&e).status;
            reception_page(&console, &who, today, &f, Some(&msg), None, status).await
        }
    }
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    q: Option<String>,
    day: Option<String>,
    page: Option<u32>,
    written: Option<String>,
}

async fn search(
    State(console): State<Console>,
    who: Signed,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    who.require(Action::View)?;
    let text = q.q.clone().unwrap_or_default();
    // Nothing asked: today's orders (never a sort of every order ever written).
    let day = day_of(q.day.as_deref())
        .or_else(|| text.trim().is_empty().then(|| desk::china_day(Utc::now())));
    let page = q.page.unwrap_or(0).min(1000);
    let title = who.tr("查找工单", "Find an order");
    if text.chars().count() > 100 {
        let body = html! {
            h1 { (title) }
            (form_problem(Some(who.tr("查找内容最多 100 个字。", "A search has at most 100 characters."))))
        };
        return Ok((
            StatusCode::BAD_REQUEST,
            layout(&who, "/orders", title, body),
        )
            .into_response());
    }
    let mut lines = console
        .store
        .search_orders(Search {
            q: text.clone(),
            day,
            page,
        })
        .await
        .map_err(|e| who.fail(&e))?;
    // A result list is a look at every order it lists.
    let listed: Vec<String> = lines.iter().map(|l| l.job_id.clone()).collect();
    let secret = who.looked(&console, Look::Search, &listed).await?;
    access::mask_lines(&mut lines, &secret, who.person.role);
    let now = Utc::now();
    let written = q
        .written
        .as_ref()
        .map(|j| format!("{} {j}", who.tr("已开工单", "Order written:")));
    let more = |p: u32| {
        format!(
            "/orders?q={}&day={}&page={p}",
            urlencode(&text),
            day.map(|d| d.to_string()).unwrap_or_default()
        )
    };
    let body = html! {
        h1 { (title) }
        (notice(written.as_deref()))
        form.card method="get" action="/orders" {
            div.row {
                label { (who.tr("单号、客户、电话或房号", "Number, customer, phone or room"))
                    input type="search" name="q" maxlength="100" value=(text); }
                label { (who.tr("预约日期", "Appointment day"))
                    input type="date" name="day" value=(day.map(|d| d.to_string()).unwrap_or_default()); }
                button type="submit" { (who.tr("查找", "Find")) }
            }
        }
        @if lines.is_empty() {
            p.muted { (who.tr("没有找到工单。", "No order found.")) }
        } @else {
            (order_table(&who, &lines, now))
        }
        p.row {
            @if page > 0 { a href=(more(page - 1)) { (who.tr("上一页", "Previous page")) } }
            @if lines.len() as i64 == desk::PAGE { a href=(more(page + 1)) { (who.tr("下一页", "Next page")) } }
        }
    };
    Ok(layout(&who, "/orders", title, body).into_response())
}

/// A state's name on a page (an unassigned order has none).
pub(crate) fn state_label(who: &Signed, line: &OrderLine) -> &'static str {
    match line.status {
        None => who.tr("待派工", "Unassigned"),
        Some(s) => board::column_label(who, desk::Column::of(s, line.awaiting_approval)),
    }
}

/// Orders as a list: number, appointment, customer, place, technician, state, flags.
pub(crate) fn order_table(who: &Signed, lines: &[OrderLine], now: chrono::DateTime<Utc>) -> Markup {
    html! {
        table.customer-list {
            thead { tr {
                th { (who.tr("单号", "Number")) } th { (who.tr("预约", "Appointment")) }
                th { (who.tr("客户", "Customer")) } th { (who.tr("楼盘/房号", "Site / room")) }
                th { (who.tr("技术员", "Technician")) } th { (who.tr("状态", "State")) }
            } }
            tbody {
                @for l in lines {
                    @let f = desk::flags(l, now);
                    tr.overdue[f.late] {
                        td { a href={ "/orders/" (urlencode(&l.job_id)) } { (l.job_id) } }
                        td { (local(l.appointment_at)) }
                        td { (l.customer_name) }
                        td { (l.site) " " (l.location) }
                        td { (l.technician_id.as_deref().unwrap_or("—")) }
                        td { (state_label(who, l)) (board::flag_marks(who, f)) }
                    }
                }
            }
        }
    }
}
