//! The dispatch board: a day's orders by technician and state as phones
//! sync them, the unassigned queue, late and urgent orders, each
//! technician's last sync; assign, reassign, reschedule, cancel.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use onsite_core::visit::{ConsentChannel, RescheduleConsent};
use serde::Deserialize;

use super::{day_of, order_table};
use crate::centre::access::{self, Look};
use crate::centre::desk::{self, Board, Column, Flags, OrderLine, Search};
use crate::centre::people::Action;
use crate::console::page::{form_problem, layout, local, notice, problem, urlencode, PageResult};
use crate::console::session::{Posted, Signed};
use crate::console::Console;
use crate::error::HqError;

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/board", get(board))
        .route("/board/assign", post(assign))
        .route("/board/reassign", post(reassign))
        .route("/board/reschedule", post(reschedule))
        .route("/board/cancel", post(cancel))
}

/// A board column's name.
pub(crate) fn column_label(who: &Signed, c: Column) -> &'static str {
    match c {
        Column::Dispatched => who.tr("已派工", "Dispatched"),
        Column::EnRoute => who.tr("在途", "En route"),
        Column::OnSite => who.tr("在现场", "On site"),
        Column::WaitingApproval => who.tr("待审批", "Waiting for approval"),
        Column::Done => who.tr("已完工", "Done"),
        Column::HandedOver => who.tr("已交单", "Handed over"),
        Column::Returned => who.tr("退回", "Returned"),
        Column::Cancelled => who.tr("已取消", "Cancelled"),
    }
}

/// The late and urgent marks beside an order.
pub(crate) fn flag_marks(who: &Signed, f: Flags) -> Markup {
    html! {
        @if f.late { span.flag.late { (who.tr("迟到", "late")) } }
        @if f.urgent_open { span.flag.urgent { (who.tr("紧急", "urgent")) } }
    }
}

#[derive(Deserialize, Default)]
struct BoardQuery {
    day: Option<String>,
    tech: Option<String>,
    job: Option<String>,
    done: Option<String>,
}

/// An action's fields, as typed (the same struct for all four actions).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct ActionForm {
    day: String,
    job_id: String,
    technician_id: String,
    appointment_at: String,
    reason: String,
    agreed_by: String,
    consent_channel: String,
}

async fn board(
    State(console): State<Console>,
    who: Signed,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    who.require(Action::View)?;
    let day = day_of(q.day.as_deref()).unwrap_or_else(|| desk::china_day(Utc::now()));
    let form = ActionForm {
        job_id: q.job.unwrap_or_default(),
        ..ActionForm::default()
    };
    let note = q
        .done
        .as_deref()
        .map(|j| format!("{} {j}", who.tr("已更新工单", "Order updated:")));
    render(
        &console,
        &who,
        day,
        q.tech,
        &form,
        None,
        note,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)] // one page, drawn for a view or a refused action
async fn render(
    console: &Console,
    who: &Signed,
    day: NaiveDate,
    tech: Option<String>,
    f: &ActionForm,
    problem: Option<&str>,
    note: Option<String>,
    status: StatusCode,
) -> PageResult {
    let now = Utc::now();
    let tech = tech.filter(|t| !t.is_empty());
    let mut b: Board = console
        .store
        .board(day, tech.clone(), now)
        .await
        .map_err(|e| who.fail(&e))?;
    // A complaint whose clock ran out (centre::complaints, 「对任何软性投诉,
    // 应在15分钟之内做出反应」) stands on the board, where the day is run.
    let breaches = console
        .store
        .open_breaches(now)
        .await
        .map_err(|e| who.fail(&e))?;
    let chosen = if f.job_id.is_empty() {
        None
    } else {
        console
            .store
            .search_orders(Search {
                q: f.job_id.clone(),
                day: None,
                page: 0,
            })
            .await
            .map_err(|e| who.fail(&e))?
            .into_iter()
            .find(|l| l.job_id == f.job_id)
    };
    // Every order the board lists is a look at its customer's name.
    let mut chosen: Vec<OrderLine> = chosen.into_iter().collect();
    let listed: Vec<String> = b
        .unassigned
        .iter()
        .chain(&b.attention)
        .chain(&b.lines)
        .chain(&chosen)
        .map(|l| l.job_id.clone())
        .collect();
    let secret = who.looked(console, Look::Board, &listed).await?;
    for list in [
        &mut b.unassigned,
        &mut b.attention,
        &mut b.lines,
        &mut chosen,
    ] {
        access::mask_lines(list, &secret, who.person.role);
    }
    let chosen = chosen.pop();
    let title = who.tr("派工看板", "Dispatch board");
    let columns = &Column::ALL[..7];
    let here = |t: Option<&str>| {
        format!(
            "/board?day={day}{}",
            t.map(|t| format!("&tech={}", urlencode(t)))
                .unwrap_or_default()
        )
    };
    let body = html! {
        div data-refresh="60" {
        h1 { (title) " " (day) }
        (notice(note.as_deref()))
        (form_problem(problem))
        (crate::console::complaints::breach_banner(who, &breaches))
        form.row.no-print method="get" action="/board" {
            label { (who.tr("日期", "Day")) input type="date" name="day" value=(day); }
            button.secondary type="submit" { (who.tr("查看", "Show")) }
        }
        datalist id="technicians" {
            @for t in &b.technicians { option value=(t.technician_id) { (t.name) } }
        }
        @if let Some(l) = &chosen { (actions(who, day, l, f)) }
        h2 { (who.tr("按技术员和状态", "By technician and state")) }
        table {
            thead { tr {
                th { (who.tr("技术员", "Technician")) } th { (who.tr("最近同步", "Last sync")) }
                @for c in columns { th.num { (column_label(who, *c)) } }
            } }
            tbody {
                @for t in &b.technicians {
                    tr {
                        td { a href=(here(Some(&t.technician_id))) { (t.name) } " " span.muted { (t.technician_id) } }
                        td { @match t.last_sync { Some(s) => (local(s)), None => span.muted { (who.tr("从未", "never")) } } }
                        @for c in columns {
                            td.num { (t.counts.iter().find(|(k, _)| k == c).map_or(0, |(_, n)| *n)) }
                        }
                    }
                }
            }
        }
        h2 { (who.tr("待派工", "Unassigned")) " (" (b.unassigned.len()) ")" }
        @if b.unassigned.is_empty() {
            p.muted { (who.tr("没有待派工的工单。", "No order waits for a technician.")) }
        } @else {
            table.customer-list {
                thead { tr {
                    th { (who.tr("单号", "Number")) } th { (who.tr("预约", "Appointment")) }
                    th { (who.tr("客户", "Customer")) } th { (who.tr("楼盘/房号", "Site / room")) }
                    th { (who.tr("派给", "Assign to")) }
                } }
                tbody {
                    @for l in &b.unassigned {
                        tr {
                            td { a href={ (here(None)) "&job=" (urlencode(&l.job_id)) } { (l.job_id) } (flag_marks(who, desk::flags(l, now))) }
                            td { (local(l.appointment_at)) }
                            td { (l.customer_name) }
                            td { (l.site) " " (l.location) }
                            td {
                                @if who.may(Action::Dispatch) {
                                    form.inline method="post" action="/board/assign" {
                                        (who.csrf_field())
                                        input type="hidden" name="day" value=(day);
                                        input type="hidden" name="job_id" value=(l.job_id);
                                        input name="technician_id" list="technicians" required maxlength="64";
                                        button type="submit" { (who.tr("派工", "Assign")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (who.tr("需关注(迟到、紧急、待审批)", "Needs attention (late, urgent, waiting for approval)")) }
        @if b.attention.is_empty() {
            p.muted { (who.tr("暂无。", "Nothing now.")) }
        } @else {
            (order_table(who, &b.attention, now))
            @if b.attention.len() as i64 == desk::BOARD_LIST {
                p.muted { (who.tr("只列出前 100 条。", "Only the first 100 are listed.")) }
            }
        }
        @if let Some(t) = &tech {
            h2 { (who.tr("技术员的工单", "The technician's orders")) " " (t) }
            @if b.lines.is_empty() {
                p.muted { (who.tr("当天没有工单。", "No order that day.")) }
            } @else {
                table.customer-list {
                    thead { tr {
                        th { (who.tr("单号", "Number")) } th { (who.tr("预约", "Appointment")) }
                        th { (who.tr("客户", "Customer")) } th { (who.tr("楼盘/房号", "Site / room")) }
                        th { (who.tr("状态", "State")) }
                    } }
                    tbody {
                        @for l in &b.lines {
                            @let fl = desk::flags(l, now);
                            tr.overdue[fl.late] {
                                td { a href={ (here(Some(t))) "&job=" (urlencode(&l.job_id)) } { (l.job_id) } }
                                td { (local(l.appointment_at)) }
                                td { (l.customer_name) }
                                td { (l.site) " " (l.location) }
                                td { (super::state_label(who, l)) (flag_marks(who, fl)) }
                            }
                        }
                    }
                }
            }
        }
        }
    };
    Ok((status, layout(who, "/board", title, body)).into_response())
}

/// The chosen order's actions, each shown only to a role that may take it.
fn actions(who: &Signed, day: NaiveDate, l: &OrderLine, f: &ActionForm) -> Markup {
    let open = l
        .status
        .is_none_or(onsite_core::visit::Status::hq_may_change);
    let channels = [
        ("phone", ConsentChannel::Phone),
        ("in_person", ConsentChannel::InPerson),
        ("message", ConsentChannel::Message),
    ];
    html! {
        section.card {
            h2 { (l.job_id) " · " (l.customer_name) " · " (l.location) " · " (super::state_label(who, l)) }
            @if !open {
                p.muted { (who.tr("此工单已结束,不能再更改。", "This order is finished and can no longer change.")) }
            } @else {
                div.row {
                    @if l.status.is_some() && who.may(Action::Reassign) {
                        form method="post" action="/board/reassign" {
                            (who.csrf_field())
                            input type="hidden" name="day" value=(day);
                            input type="hidden" name="job_id" value=(l.job_id);
                            label { (who.tr("改派给", "Reassign to"))
                                input name="technician_id" list="technicians" required maxlength="64" value=(f.technician_id); }
                            button type="submit" { (who.tr("改派", "Reassign")) }
                        }
                    }
                    @if l.status.is_some() && who.may(Action::Dispatch) {
                        form method="post" action="/board/reschedule" {
                            (who.csrf_field())
                            input type="hidden" name="day" value=(day);
                            input type="hidden" name="job_id" value=(l.job_id);
                            label { (who.tr("新预约时间", "New appointment"))
                                input type="datetime-local" name="appointment_at" required value=(f.appointment_at); }
                            label { (who.tr("原因", "Reason")) input name="reason" required maxlength="500" value=(f.reason); }
                            label { (who.tr("同意人(客户)", "Agreed by (customer)")) input name="agreed_by" required maxlength="100" value=(f.agreed_by); }
                            label { (who.tr("同意方式", "How they agreed")) select name="consent_channel" {
                                @for (v, c) in channels { option value=(v) selected[f.consent_channel == v] { (c.label(who.lang)) } }
                            } }
                            button type="submit" { (who.tr("改约", "Reschedule")) }
                        }
                    }
                    @if who.may(Action::Cancel) {
                        form method="post" action="/board/cancel" {
                            (who.csrf_field())
                            input type="hidden" name="day" value=(day);
                            input type="hidden" name="job_id" value=(l.job_id);
                            label { (who.tr("取消原因", "Why cancel")) input name="reason" required maxlength="500" value=(f.reason); }
                            button.danger type="submit" data-confirm=(who.tr("确定取消此工单?", "Cancel this order?")) { (who.tr("取消工单", "Cancel the order")) }
                        }
                    }
                }
            }
        }
    }
}

/// After an action: back to the board, or the board again with the reason.
async fn answer(
    console: &Console,
    who: &Signed,
    f: &ActionForm,
    result: Result<(), (String, StatusCode)>,
) -> PageResult {
    let day = day_of(Some(&f.day)).unwrap_or_else(|| desk::china_day(Utc::now()));
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/board?day={day}&job={}&done={}",
            urlencode(&f.job_id),
            urlencode(&f.job_id)
        ))
        .into_response()),
        Err((msg, status)) => render(console, who, day, None, f, Some(&msg), None, status).await,
    }
}

fn refused(who: &Signed, e: &HqError) -> (String, StatusCode) {
    (problem(who.lang, e), who.fail(e).status)
}

/// The job id and technician an action names, checked before anything is written.
fn ids(who: &Signed, f: &ActionForm, with_tech: bool) -> Result<(), (String, StatusCode)> {
    let id = onsite_core::error::Field::JobId;
    if onsite_core::order::validate_id(id, f.job_id.trim()).is_err() {
        return Err((
            who.tr("工单编号不对。", "Not an order number.").into(),
            StatusCode::NOT_FOUND,
        ));
    }
    if with_tech && onsite_core::order::validate_id(id, f.technician_id.trim()).is_err() {
        return Err((
            who.tr(
                "请从列表中选择技术员。",
                "Choose a technician from the list.",
            )
            .into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    Ok(())
}

async fn assign(State(console): State<Console>, p: Posted<ActionForm>) -> PageResult {
    let (who, f) = (p.who, p.form);
    who.require(Action::Dispatch)?;
    let result = match ids(&who, &f, true) {
        Err(e) => Err(e),
        Ok(()) => console
            .store
            .assign_queued(
                &who.actor(),
                f.job_id.trim(),
                f.technician_id.trim(),
                Utc::now(),
            )
            .await
            .map_err(|e| refused(&who, &e)),
    };
    answer(&console, &who, &f, result).await
}

async fn reassign(State(console): State<Console>, p: Posted<ActionForm>) -> PageResult {
    let (who, f) = (p.who, p.form);
    who.require(Action::Reassign)?;
    let result = match ids(&who, &f, true) {
        Err(e) => Err(e),
        Ok(()) => console
            .store
            .reassign_order(
                &who.actor(),
                f.job_id.trim(),
                f.technician_id.trim(),
                Utc::now(),
            )
            .await
            .map_err(|e| refused(&who, &e)),
    };
    answer(&console, &who, &f, result).await
}

async fn reschedule(State(console): State<Console>, p: Posted<ActionForm>) -> PageResult {
    let (who, f) = (p.who, p.form);
    who.require(Action::Dispatch)?;
    let now = Utc::now();
    let checked = (|| {
        ids(&who, &f, false)?;
        let at = super::form::china_time(&f.appointment_at).ok_or_else(|| {
            (
                who.tr(
                    "新预约时间:请填写日期和时间。",
                    "New appointment: enter a date and time.",
                )
                .to_string(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        })?;
        super::form::text(&who, who.tr("原因", "Reason"), &f.reason, 500, true)?;
        super::form::text(&who, who.tr("同意人", "Agreed by"), &f.agreed_by, 100, true)?;
        let channel = match f.consent_channel.as_str() {
            "phone" => ConsentChannel::Phone,
            "in_person" => ConsentChannel::InPerson,
            "message" => ConsentChannel::Message,
            _ => {
                return Err((
                    who.tr("请选择客户同意的方式。", "Choose how the customer agreed.")
                        .to_string(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ))
            }
        };
        Ok((
            at,
            RescheduleConsent {
                agreed_by: f.agreed_by.trim().to_string(),
                agreed_at: now,
                channel,
            },
        ))
    })();
    let result = match checked {
        Err(e) => Err(e),
        Ok((at, consent)) => console
            .store
            .reschedule_order(
                &who.actor(),
                f.job_id.trim(),
                at,
                f.reason.trim(),
                consent,
                now,
            )
            .await
            .map_err(|e| refused(&who, &e)),
    };
    answer(&console, &who, &f, result).await
}

async fn cancel(State(console): State<Console>, p: Posted<ActionForm>) -> PageResult {
    let (who, f) = (p.who, p.form);
    who.require(Action::Cancel)?;
    let result = match ids(&who, &f, false).and_then(|()| {
        super::form::text(&who, who.tr("取消原因", "Why cancel"), &f.reason, 500, true)
    }) {
        Err(e) => Err(e),
        Ok(()) => console
            .store
            .cancel_order(&who.actor(), f.job_id.trim(), f.reason.trim(), Utc::now())
            .await
            .map_err(|e| refused(&who, &e)),
    };
    answer(&console, &who, &f, result).await
}
