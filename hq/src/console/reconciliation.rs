//! The handover and reconciliation page: a technician's day (receipts
//! issued, voided and reissued, money by method) against what was handed in;
//! recording money handed in; a manager's sign-off; the last days with
//! activity not yet signed. Figures and rules are
//! [`crate::centre::reconciliation`]'s and [`crate::rules`]'.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use chrono::{NaiveDate, Utc};
use maud::html;
use serde::Deserialize;

use super::page::{
    form_problem, layout, local, notice, problem, today, urlencode, yuan, PageResult,
};
use super::session::{Posted, Signed};
use super::Console;
use crate::centre::people::Action;
use crate::centre::reconciliation::{Decision, MAX_HANDOVER_FEN};
use crate::error::HqError;
use onsite_core::money::parse_yuan;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/handover", get(page).post(record))
        .route("/handover/sign", post(sign))
}

/// Payment methods as HQ names them, with their names on the page.
const METHODS: &[(&str, &str, &str)] = &[
    ("cash", "现金", "Cash"),
    ("wechat_pay", "微信支付", "WeChat Pay"),
    ("alipay", "支付宝", "Alipay"),
    ("card", "刷卡", "Card"),
    ("bank_transfer", "银行转账", "Bank transfer"),
    ("on_account", "挂账", "On account"),
];

fn method_name(who: &Signed, m: &str) -> String {
    METHODS
        .iter()
        .find(|(k, _, _)| *k == m)
        .map_or_else(|| m.to_string(), |(_, zh, en)| who.tr(zh, en).to_string())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DayQuery {
    technician: String,
    day: String,
    done: String,
}

/// Money handed in, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HandoverForm {
    technician: String,
    day: String,
    method: String,
    /// Yuan, e.g. `120.50`.
    amount: String,
}

/// A manager's sign-off, as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignForm {
    technician: String,
    day: String,
    /// `confirm` or `difference`.
    outcome: String,
    note: String,
}

async fn page(State(c): State<Console>, who: Signed, Query(q): Query<DayQuery>) -> PageResult {
    who.require(Action::RecordHandover)?;
    let msg = match q.done.as_str() {
        "handover" => Some(who.tr("交款已记录。", "The handover is recorded.")),
        "signed" => Some(who.tr("已签核。", "The day is signed.")),
        _ => None,
    };
    let form = HandoverForm {
        technician: q.technician,
        day: q.day,
        ..HandoverForm::default()
    };
    render(&c, &who, StatusCode::OK, msg, None, &form).await
}

/// The page for the technician and day of `form` (today by default), with a message.
async fn render(
    c: &Console,
    who: &Signed,
    status: StatusCode,
    ok: Option<&str>,
    problem_msg: Option<&str>,
    form: &HandoverForm,
) -> PageResult {
    let now = Utc::now();
    let today = today(now);
    let day = NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d").unwrap_or(today);
    let technicians = c.store.technician_names().await.map_err(|e| who.fail(&e))?;
    let recent = c.store.active_days(today).await.map_err(|e| who.fail(&e))?;
    let chosen = technicians
        .iter()
        .find(|(id, _)| *id == form.technician)
        .or(technicians.first())
        .map(|(id, _)| id.clone());
    let shown = match &chosen {
        Some(t) => Some(
            c.store
                .handover_day(t, day)
                .await
                .map_err(|e| who.fail(&e))?,
        ),
        None => None,
    };
    let title = who.tr("交接对账", "Handover and reconciliation");
    let body = html! {
        h1 { (title) }
        (notice(ok))
        (form_problem(problem_msg))
        form.row method="get" action="/handover" {
            label { (who.tr("技术员", "Technician"))
                select name="technician" {
                    @for (id, name) in &technicians {
                        option value=(id) selected[Some(id) == chosen.as_ref()] { (name) " (" (id) ")" }
                    }
                }
            }
            label { (who.tr("日期", "Day")) input type="date" name="day" value=(day); }
            button.secondary type="submit" { (who.tr("查看", "Show")) }
        }
        @if let (Some(t), Some(d)) = (&chosen, &shown) {
            section.card {
                h2 { (t) " · " (day) }
                @match &d.signoff {
                    Some(s) => p {
                        @if s.outcome == "confirmed" { span.flag.ok { (who.tr("已确认", "Confirmed")) } }
                        @else { span.flag.late { (who.tr("有差额", "Difference recorded")) } " " (yuan(s.difference_fen)) " · " (s.note) }
                        " " (who.tr("签核人 ", "signed by ")) (s.signed_by) " · " (local(s.signed_at))
                    },
                    None => p { span.flag.overdue { (who.tr("未签核", "Not signed")) } },
                }
                table {
                    thead { tr {
                        th { (who.tr("收款方式", "Method")) }
                        th.num { (who.tr("开出收据", "Issued")) }
                        th.num { (who.tr("作废", "Voided")) }
                        th.num { (who.tr("重开", "Reissued")) }
                        th.num { (who.tr("应交", "Net")) }
                        th.num { (who.tr("实交", "Handed in")) }
                        th.num { (who.tr("差额", "Difference")) }
                    } }
                    tbody {
                        @for l in &d.reconciliation.lines {
                            tr class=[(l.difference_fen != 0).then_some("overdue")] {
                                td { (method_name(who, &l.method)) }
                                td.num { (l.issued.count) " · " (yuan(l.issued.fen)) }
                                td.num { (l.voided.count) " · " (yuan(l.voided.fen)) }
                                td.num { (l.reissued.count) " · " (yuan(l.reissued.fen)) }
                                td.num { (yuan(l.net_fen)) }
                                td.num { (yuan(l.handed_in_fen)) }
                                td.num { (yuan(l.difference_fen)) }
                            }
                        }
                        @if d.reconciliation.lines.is_empty() {
                            tr { td colspan="7" .muted { (who.tr("当天没有收据和交款。", "No receipts or handovers that day.")) } }
                        }
                    }
                }
                p { (who.tr("当天交回的工单:", "Orders handed over that day: "))
                    @if d.orders_handed_over.is_empty() { "—" }
                    @for j in &d.orders_handed_over { a href={ "/orders/" (urlencode(j)) } { (j) } " " }
                }
                h3 { (who.tr("记录交款", "Record money handed in")) }
                form.row method="post" action="/handover" {
                    (who.csrf_field())
                    input type="hidden" name="technician" value=(t);
                    input type="hidden" name="day" value=(day);
                    label { (who.tr("收款方式", "Method"))
                        select name="method" {
                            @for (k, zh, en) in METHODS {
                                option value=(k) selected[form.method == *k] { (who.tr(zh, en)) }
                            }
                        }
                    }
                    label { (who.tr("金额(元)", "Amount (yuan)"))
                        input name="amount" inputmode="decimal" required maxlength="20" value=(form.amount); }
                    button type="submit" { (who.tr("记录", "Record")) }
                }
                @if who.may(Action::SignReconciliation) && d.signoff.is_none() {
                    h3 { (who.tr("经理签核", "Manager's sign-off")) }
                    @if d.reconciliation.balanced {
                        form.row method="post" action="/handover/sign" {
                            (who.csrf_field())
                            input type="hidden" name="technician" value=(t);
                            input type="hidden" name="day" value=(day);
                            input type="hidden" name="outcome" value="confirm";
                            button type="submit" data-confirm=(who.tr("确认当天对账无误?", "Confirm this day balances?")) {
                                (who.tr("确认对账无误并签核", "Confirm and sign"))
                            }
                        }
                    }
                    form.row method="post" action="/handover/sign" {
                        (who.csrf_field())
                        input type="hidden" name="technician" value=(t);
                        input type="hidden" name="day" value=(day);
                        input type="hidden" name="outcome" value="difference";
                        label { (who.tr("差额说明", "Why the difference")) input name="note" required maxlength="1000"; }
                        button.danger type="submit" { (who.tr("记录差额并签核", "Record the difference and sign")) }
                    }
                }
            }
        }
        h2 { (who.tr("近14天有收款或交款的日子", "Days with activity in the last 14 days")) }
        table {
            thead { tr {
                th { (who.tr("日期", "Day")) } th { (who.tr("技术员", "Technician")) } th { (who.tr("签核", "Sign-off")) }
            } }
            tbody {
                @for a in &recent {
                    tr class=[a.signoff.is_none().then_some("overdue")] {
                        td { a href={ "/handover?technician=" (urlencode(&a.technician_id)) "&day=" (a.day) } { (a.day) } }
                        td { (a.technician_id) }
                        td {
                            @match &a.signoff {
                                Some(s) => { (s.signed_by) " · " (local(s.signed_at)) }
                                None => span.flag.overdue { (who.tr("未签核", "Not signed")) },
                            }
                        }
                    }
                }
                @if recent.is_empty() {
                    tr { td colspan="3" .muted { (who.tr("近14天没有收款或交款。", "No activity in the last 14 days.")) } }
                }
            }
        }
    };
    Ok((status, layout(who, "/handover", title, body)).into_response())
}

fn technician_problem(who: &Signed, e: &HqError) -> (StatusCode, String) {
    match e {
        HqError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            who.tr("找不到该技术员。", "There is no such technician.")
                .into(),
        ),
        HqError::BadRequest(_) => (StatusCode::UNPROCESSABLE_ENTITY, problem(who.lang, e)),
        e => (who.fail(e).status, problem(who.lang, e)),
    }
}

async fn record(State(c): State<Console>, p: Posted<HandoverForm>) -> PageResult {
    let who = p.who;
    who.require(Action::RecordHandover)?;
    let f = p.form;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let Ok(day) = NaiveDate::parse_from_str(f.day.trim(), "%Y-%m-%d") else {
        let m = who.tr("日期格式应为 2026-11-28。", "Write the day as 2026-11-28.");
        return render(&c, &who, unprocessable, None, Some(m), &f).await;
    };
    if !METHODS.iter().any(|(k, _, _)| *k == f.method) {
        let m = who.tr("请选择收款方式。", "Choose the payment method.");
        return render(&c, &who, unprocessable, None, Some(m), &f).await;
    }
    let Some(fen) = parse_yuan(&f.amount, MAX_HANDOVER_FEN) else {
        let m = who.tr(
            "金额应为0到1,000,000元之间的数字,最多两位小数。",
            "The amount is a number of yuan from 0 to 1,000,000, with at most two decimals.",
        );
        return render(&c, &who, unprocessable, None, Some(m), &f).await;
    };
    match c
        .store
        .hand_in(&who.actor(), &f.technician, day, &f.method, fen, Utc::now())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/handover?technician={}&day={day}&done=handover",
            urlencode(&f.technician)
        ))
        .into_response()),
        Err(e) => {
            let (status, m) = technician_problem(&who, &e);
            render(&c, &who, status, None, Some(&m), &f).await
        }
    }
}

async fn sign(State(c): State<Console>, p: Posted<SignForm>) -> PageResult {
    let who = p.who;
    who.require(Action::SignReconciliation)?;
    let f = p.form;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let back = HandoverForm {
        technician: f.technician.clone(),
        day: f.day.clone(),
        ..HandoverForm::default()
    };
    let Ok(day) = NaiveDate::parse_from_str(f.day.trim(), "%Y-%m-%d") else {
        let m = who.tr("日期格式应为 2026-11-28。", "Write the day as 2026-11-28.");
        return render(&c, &who, unprocessable, None, Some(m), &back).await;
    };
    let decision = match f.outcome.as_str() {
        "confirm" => Decision::Confirm,
        "difference" => Decision::Difference { note: f.note },
        _ => {
            let m = who.tr(
                "请选择确认或记录差额。",
                "Confirm the day or record its difference.",
            );
            return render(&c, &who, unprocessable, None, Some(m), &back).await;
        }
    };
    match c
        .store
        .sign_day(&who.actor(), &f.technician, day, decision, Utc::now())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/handover?technician={}&day={day}&done=signed",
            urlencode(&f.technician)
        ))
        .into_response()),
        Err(e) => {
            let (status, m) = match &e {
                HqError::BadRequest(m) if m.contains("does not balance") => (
                    unprocessable,
                    who.tr(
                        "当天对账不平,不能直接确认:请记录差额并说明原因。",
                        "The day does not balance: record the difference with a note.",
                    )
                    .to_string(),
                ),
                HqError::BadRequest(m) if m.contains("note") => (
                    unprocessable,
                    who.tr(
                        "记录差额须填写1到1000字的说明。",
                        "A difference needs a note of 1 to 1000 characters.",
                    )
                    .to_string(),
                ),
                HqError::Conflict(_) => (
                    StatusCode::CONFLICT,
                    who.tr("这一天已经签核过了。", "This day is already signed.")
                        .to_string(),
                ),
                _ => technician_problem(&who, &e),
            };
            render(&c, &who, status, None, Some(&m), &back).await
        }
    }
}
