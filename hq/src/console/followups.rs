//! The follow-up page (回访记录表): the queue due first, overdue ones
//! flagged, each call recorded (reached, satisfied, notes) and the
//! follow-up closed or turned into a revisit order; the month's follow-up
//! rate.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::approvals::text_ok;
use super::page::{form_problem, layout, local, notice, urlencode, PageResult};
use super::session::{Posted, Signed};
use super::Console;
use crate::centre::followups::{Call, Due, Outcome, Rate, MAX_NOTES_CHARS};
use crate::centre::people::Action;
use crate::error::HqError;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/followups", get(show))
        .route("/followups/call", post(record_call))
}

#[derive(Debug, Default, Deserialize)]
pub struct Find {
    #[serde(default)]
    month: String,
    #[serde(default)]
    job_id: String,
    #[serde(default)]
    reason: String,
}

/// The call form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CallForm {
    #[serde(default)]
    job_id: String,
    #[serde(default)]
    reason: String,
    /// `yes` or `no`.
    #[serde(default)]
    reached: String,
    /// `yes`, `no`, or empty when not reached.
    #[serde(default)]
    satisfied: String,
    #[serde(default)]
    notes: String,
    /// `call_again`, `close` or `revisit`.
    #[serde(default)]
    outcome: String,
    /// The revisit's technician (empty: the original's).
    #[serde(default)]
    technician: String,
}

/// This month in China, `YYYY-MM`.
fn this_month(now: DateTime<Utc>) -> String {
    super::page::today(now).format("%Y-%m").to_string()
}

/// What a reason is called on the page.
fn reason_label(who: &Signed, reason: &str) -> &'static str {
    match reason {
        "rating" => who.tr("评价一般或不满意(立即)", "Rated average or worse (at once)"),
        "rating_declined" => who.tr("客户未评价(立即)", "Customer declined to rate (at once)"),
        "fix_uncertain" => who.tr("没有彻底修复把握(3小时后)", "Fix uncertain (after 3 h)"),
        "complaint" => who.tr("投诉处理后(24小时后)", "After a handled complaint (24 h)"),
        "monthly_sample" => who.tr("月度抽样", "Monthly sample"),
        r if r.starts_with("rejected_item:") => who.tr("拒收物品", "Rejected item"),
        _ => who.tr("其他", "Other"),
    }
}

/// What the page shows besides the queue.
#[derive(Default)]
struct View {
    month: String,
    form: CallForm,
    problem: Option<String>,
    done: Option<String>,
}

async fn show(State(console): State<Console>, who: Signed, Query(q): Query<Find>) -> PageResult {
    who.require(Action::RecordFollowUp)?;
    let view = View {
        month: q.month.trim().to_string(),
        form: CallForm {
            job_id: q.job_id,
            reason: q.reason,
            ..CallForm::default()
        },
        ..View::default()
    };
    render(&console, &who, StatusCode::OK, view).await
}

/// The form checked: order, reason and the call.
fn call_of(who: &Signed, f: &CallForm) -> Result<(String, String, Call), &'static str> {
    let job_id = text_ok(who, &f.job_id, 64)?;
    let reason = text_ok(who, &f.reason, 64)?;
    let notes = text_ok(who, &f.notes, MAX_NOTES_CHARS)?;
    let reached = match f.reached.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(who.tr(
                "请选择是否联系上客户。",
                "Say whether the customer was reached.",
            ))
        }
    };
    let satisfied = match (reached, f.satisfied.as_str()) {
        (false, _) => None,
        (true, "yes") => Some(true),
        (true, "no") => Some(false),
        (true, _) => {
            return Err(who.tr(
                "请选择客户是否满意。",
                "Say whether the customer is satisfied.",
            ))
        }
    };
    let outcome = match f.outcome.as_str() {
        "call_again" => Outcome::CallAgain,
        "close" if satisfied == Some(true) => Outcome::Close,
        "close" => {
            return Err(who.tr(
                "客户满意才能结束回访;不满意请开返修单。",
                "Only a satisfied customer closes a follow-up; open a revisit otherwise.",
            ))
        }
        "revisit" if satisfied == Some(true) => {
            return Err(who.tr(
                "客户已满意,无需返修。",
                "The customer is satisfied: no revisit.",
            ))
        }
        "revisit" => {
            let t = f.technician.trim();
            if !t.is_empty() {
                text_ok(who, t, 64)?;
            }
            Outcome::Revisit {
                technician: (!t.is_empty()).then(|| t.to_string()),
            }
        }
        _ => return Err(who.tr("请选择处理结果。", "Choose what happens next.")),
    };
    Ok((
        job_id.to_string(),
        reason.to_string(),
        Call {
            reached,
            satisfied,
            notes: notes.to_string(),
            outcome,
        },
    ))
}

async fn record_call(State(console): State<Console>, p: Posted<CallForm>) -> PageResult {
    let Posted { who, form } = p;
    who.require(Action::RecordFollowUp)?;
    let mut view = View {
        form: form.clone(),
        ..View::default()
    };
    let (job_id, reason, call) = match call_of(&who, &form) {
        Ok(c) => c,
        Err(m) => {
            view.problem = Some(m.into());
            return render(&console, &who, StatusCode::UNPROCESSABLE_ENTITY, view).await;
        }
    };
    match console
        .store
        .record_followup_call(&who.actor(), &job_id, &reason, call, Utc::now())
        .await
    {
        Ok(revisit) => {
            view.form = CallForm::default();
            view.done = Some(match revisit {
                Some(n) => format!(
                    "{}{n}",
                    who.tr("已记录回访并开返修单 ", "Call recorded; revisit order ")
                ),
                None => who.tr("已记录回访。", "Call recorded.").to_string(),
            });
            render(&console, &who, StatusCode::OK, view).await
        }
        Err(HqError::NotFound(_)) => {
            view.problem = Some(
                who.tr(
                    "找不到该工单或该回访(可能已结束),请核对。",
                    "No such order or open follow-up (it may be closed): check it.",
                )
                .into(),
            );
            render(&console, &who, StatusCode::NOT_FOUND, view).await
        }
        Err(e @ HqError::BadRequest(_)) => {
            // What the form could not check itself: the revisit's technician.
            view.problem = Some(if form.technician.trim().is_empty() {
                super::page::problem(who.lang, &e)
            } else {
                who.tr(
                    "没有这个技术员编号,请核对;留空则派给原技术员。",
                    "There is no technician with this id: check it, or leave it empty for the same technician.",
                )
                .into()
            });
            render(&console, &who, StatusCode::UNPROCESSABLE_ENTITY, view).await
        }
        Err(e) => Err(who.fail(&e)),
    }
}

async fn render(console: &Console, who: &Signed, status: StatusCode, v: View) -> PageResult {
    let now = Utc::now();
    let month = if v.month.is_empty() {
        this_month(now)
    } else {
        v.month.clone()
    };
    let (queue, rate, problem, status) = match (
        console.store.followup_queue(&month, now).await,
        console.store.followup_rate(&month).await,
    ) {
        (Ok(q), Ok(r)) => (q, r, v.problem.clone(), status),
        (Err(HqError::BadRequest(_)), _) | (_, Err(HqError::BadRequest(_))) => (
            Vec::new(),
            Rate {
                completed: 0,
                called: 0,
            },
            Some(
                who.tr("月份格式应为 YYYY-MM。", "The month is YYYY-MM.")
                    .to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (Err(e), _) | (_, Err(e)) => return Err(who.fail(&e)),
    };
    let title = who.tr("回访", "Follow-ups");
    let body = html! {
        h1 { (title) }
        (notice(v.done.as_deref()))
        (form_problem(problem.as_deref()))
        form method="get" action="/followups" .row {
            label { (who.tr("月份", "Month"))
                input type="month" name="month" value=(month); }
            button type="submit" { (who.tr("查看", "Show")) }
        }
        p #rate {
            (who.tr("本月回访率:", "Follow-up rate this month: "))
            strong { (rate.percent()) "%" }
            " (" (rate.called) " / " (rate.completed) " "
            (who.tr("个完工工单已回访", "completed orders called")) ")"
        }
        (call_form(who, &v.form))
        h2 { (who.tr("回访队列", "Queue")) }
        @if queue.is_empty() {
            p.muted { (who.tr("没有待回访。", "Nothing to call.")) }
        } @else {
            table #queue {
                thead { tr {
                    th { (who.tr("应回访时间", "Due")) }
                    th { (who.tr("工单", "Order")) }
                    th { (who.tr("原因", "Reason")) }
                    th { (who.tr("已打电话", "Calls")) }
                    th { }
                } }
                tbody {
                    @for d in &queue { (queue_row(who, d, &month)) }
                }
            }
        }
    };
    Ok((status, layout(who, "/followups", title, body)).into_response())
}

fn queue_row(who: &Signed, d: &Due, month: &str) -> Markup {
    html! {
        tr.overdue[d.overdue] data-job=(d.job_id) {
            td {
                (local(d.due_at))
                @if d.overdue { span.flag.overdue { (who.tr("已超时", "overdue")) } }
            }
            td {
                (d.job_id)
                @if let Some(o) = &d.revisit_of {
                    br; span.muted { (who.tr("返修自 ", "revisit of ")) (o) }
                }
            }
            td {
                (reason_label(who, &d.reason))
                @if let Some(detail) = &d.detail { br; span.muted { (detail) } }
            }
            td.num { (d.calls) }
            td { a href=(format!("/followups?month={}&job_id={}&reason={}#call", urlencode(month), urlencode(&d.job_id), urlencode(&d.reason))) { (who.tr("记录回访", "Record a call")) } }
        }
    }
}

fn call_form(who: &Signed, f: &CallForm) -> Markup {
    html! {
        @if !f.job_id.is_empty() {
            form.card method="post" action="/followups/call" #call {
                h2 { (who.tr("记录回访", "Record a call")) " " (f.job_id) " · " (reason_label(who, &f.reason)) }
                (who.csrf_field())
                input type="hidden" name="job_id" value=(f.job_id);
                input type="hidden" name="reason" value=(f.reason);
                div.grid {
                    label { (who.tr("是否联系上", "Reached"))
                        select name="reached" {
                            option value="yes" selected[f.reached != "no"] { (who.tr("已联系上", "Yes")) }
                            option value="no" selected[f.reached == "no"] { (who.tr("未联系上", "No")) }
                        }
                    }
                    label { (who.tr("客户是否满意", "Satisfied"))
                        select name="satisfied" {
                            option value="" selected[f.satisfied.is_empty()] { (who.tr("(未联系上不填)", "(not reached: leave)")) }
                            option value="yes" selected[f.satisfied == "yes"] { (who.tr("满意", "Yes")) }
                            option value="no" selected[f.satisfied == "no"] { (who.tr("不满意", "No")) }
                        }
                    }
                    label { (who.tr("处理结果", "Next"))
                        select name="outcome" {
                            option value="close" selected[f.outcome == "close"] { (who.tr("结束回访", "Close")) }
                            option value="call_again" selected[f.outcome == "call_again"] { (who.tr("稍后再打", "Call again")) }
                            option value="revisit" selected[f.outcome == "revisit"] { (who.tr("开返修单", "Open a revisit order")) }
                        }
                    }
                    label { (who.tr("返修技术员(空则原技术员)", "Revisit technician (empty: the same)"))
                        input type="text" name="technician" maxlength="64" value=(f.technician); }
                }
                label { (who.tr("回访记录", "Notes"))
                    textarea name="notes" maxlength="1000" required { (f.notes) } }
                button type="submit" { (who.tr("保存", "Save")) }
            }
        }
    }
}
