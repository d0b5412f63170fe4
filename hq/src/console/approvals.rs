//! The approvals page: a technician phones from a basement; the supervisor
//! finds the order, types the off-schedule line or the disputed charge's
//! decision, and reads back the code the phone checks offline. The page
//! lists the codes given and whether each phone has synced it.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::{html, Markup};
use onsite_core::charge::Instruction;
use onsite_core::money::{parse_yuan, Fen, MAX_AMOUNT_FEN};
use onsite_core::quote::{LineKind, MAX_QTY};
use serde::Deserialize;

use super::page::{form_problem, layout, local_str, yuan, PageResult};
use super::session::{Posted, Signed};
use super::Console;
use crate::centre::approvals::{Approval, ApprovalOrder, Approved, LineAsked, MAX_LINE_NO};
use crate::centre::people::Action;
use crate::error::HqError;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/approvals", get(show))
        .route("/approvals/line", post(approve_line))
        .route("/approvals/charge", post(approve_charge))
}

/// Longest order number a form takes.
const MAX_JOB_ID_CHARS: usize = 64;
/// Longest item text (the core's limit for an off-schedule description).
const MAX_ITEM_CHARS: usize = 200;
/// How many codes the page lists.
const RECENT: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Find {
    #[serde(default)]
    job_id: String,
}

/// The off-schedule line form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct LineForm {
    #[serde(default)]
    job_id: String,
    #[serde(default)]
    line_no: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    unit_price: String,
    #[serde(default)]
    qty: String,
}

/// The disputed charge form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ChargeForm {
    #[serde(default)]
    job_id: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reduce_to: String,
}

/// Free text a person typed for an order: trimmed, present, not too long,
/// never markup. A message in the person's language otherwise.
pub(super) fn text_ok<'a>(who: &Signed, s: &'a str, max: usize) -> Result<&'a str, &'static str> {
    let t = s.trim();
    if t.is_empty() {
        return Err(who.tr("请填写所有必填项。", "Fill in every field."));
    }
    if t.chars().count() > max {
        return Err(who.tr("内容过长。", "Too long."));
    }
    if t.contains(['<', '>']) || t.chars().any(char::is_control) {
        return Err(who.tr(
            "不能包含 < > 或控制字符。",
            "Must not contain < > or control characters.",
        ));
    }
    Ok(t)
}

/// What the page shows besides the list.
#[derive(Default)]
struct View {
    job_id: String,
    order: Option<ApprovalOrder>,
    line: LineForm,
    charge: ChargeForm,
    problem: Option<String>,
    given: Option<Approval>,
}

async fn show(State(console): State<Console>, who: Signed, Query(q): Query<Find>) -> PageResult {
    who.require(Action::Approve)?;
    let job_id = q.job_id.trim().to_string();
    let mut view = View {
        job_id: job_id.clone(),
        ..View::default()
    };
    let mut status = StatusCode::OK;
    if !job_id.is_empty() {
        match text_ok(&who, &job_id, MAX_JOB_ID_CHARS) {
            Err(m) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                view.problem = Some(m.into());
            }
            Ok(j) => match console.store.approval_order(j).await {
                Ok(o) => view.order = Some(o),
                Err(HqError::NotFound(_)) => {
                    status = StatusCode::NOT_FOUND;
                    view.problem = Some(no_order(&who));
                }
                Err(e) => return Err(who.fail(&e)),
            },
        }
    }
    render(&console, &who, status, view).await
}

fn no_order(who: &Signed) -> String {
    who.tr(
        "没有这个工单号,请核对。",
        "There is no order with this number: check it.",
    )
    .into()
}

/// The line form checked: the order number and the line the code binds.
fn line_asked(who: &Signed, f: &LineForm) -> Result<(String, LineAsked), &'static str> {
    let job_id = text_ok(who, &f.job_id, MAX_JOB_ID_CHARS)?;
    let description = text_ok(who, &f.item, MAX_ITEM_CHARS)?;
    let line_no = f
        .line_no
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_LINE_NO).contains(n))
        .ok_or(who.tr(
            "行号应为 1 到 200 的整数。",
            "The line number is a whole number from 1 to 200.",
        ))?;
    let kind = match f.kind.as_str() {
        "service" => LineKind::Service,
        "part" => LineKind::Part,
        _ => return Err(who.tr("请选择服务或配件。", "Choose service or part.")),
    };
    let unit_price_fen = parse_yuan(&f.unit_price, MAX_AMOUNT_FEN).ok_or(who.tr(
        "单价应为金额(元,最多两位小数)。",
        "The unit price is an amount in yuan (at most two decimals).",
    ))?;
    let qty = f
        .qty
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_QTY).contains(n))
        .ok_or(who.tr(
            "数量应为 1 到 10000 的整数。",
            "The quantity is a whole number from 1 to 10000.",
        ))?;
    Ok((
        job_id.to_string(),
        LineAsked {
            line_no,
            kind,
            description: description.to_string(),
            unit_price_fen,
            qty,
        },
    ))
}

/// The charge form checked: the order number and the instruction.
fn instruction(who: &Signed, f: &ChargeForm) -> Result<(String, Instruction), &'static str> {
    let job_id = text_ok(who, &f.job_id, MAX_JOB_ID_CHARS)?;
    let i = match f.decision.as_str() {
        "waive" => Instruction::Waive,
        "insist" => Instruction::Insist,
        "reduce" => {
            let fen = parse_yuan(&f.reduce_to, MAX_AMOUNT_FEN)
                .and_then(|f| Fen::new(f).ok())
                .ok_or(who.tr(
                    "减至金额应为金额(元,最多两位小数)。",
                    "Reduce to: an amount in yuan (at most two decimals).",
                ))?;
            Instruction::Reduce { to: fen }
        }
        _ => {
            return Err(who.tr(
                "请选择免收、减收或坚持收费。",
                "Choose waive, reduce or insist.",
            ))
        }
    };
    Ok((job_id.to_string(), i))
}

/// The order of a form again, for the page shown after it (none if unknown).
async fn order_for(console: &Console, job_id: &str) -> Option<ApprovalOrder> {
    console.store.approval_order(job_id.trim()).await.ok()
}

async fn approve_line(State(console): State<Console>, p: Posted<LineForm>) -> PageResult {
    let Posted { who, form } = p;
    who.require(Action::Approve)?;
    let mut view = View {
        job_id: form.job_id.trim().to_string(),
        order: order_for(&console, &form.job_id).await,
        line: form.clone(),
        ..View::default()
    };
    let (job_id, line) = match line_asked(&who, &form) {
        Ok(v) => v,
        Err(m) => {
            view.problem = Some(m.into());
            return render(&console, &who, StatusCode::UNPROCESSABLE_ENTITY, view).await;
        }
    };
    match console
        .store
        .approve_line(&who.actor(), &job_id, line, Utc::now())
        .await
    {
        Ok(a) => {
            view.given = Some(a);
            view.line = LineForm::default();
            render(&console, &who, StatusCode::OK, view).await
        }
        Err(e) => refused(&console, &who, view, &e).await,
    }
}

async fn approve_charge(State(console): State<Console>, p: Posted<ChargeForm>) -> PageResult {
    let Posted { who, form } = p;
    who.require(Action::Approve)?;
    let mut view = View {
        job_id: form.job_id.trim().to_string(),
        order: order_for(&console, &form.job_id).await,
        charge: form.clone(),
        ..View::default()
    };
    let (job_id, i) = match instruction(&who, &form) {
        Ok(v) => v,
        Err(m) => {
            view.problem = Some(m.into());
            return render(&console, &who, StatusCode::UNPROCESSABLE_ENTITY, view).await;
        }
    };
    match console
        .store
        .approve_charge(&who.actor(), &job_id, i, Utc::now())
        .await
    {
        Ok(a) => {
            view.given = Some(a);
            view.charge = ChargeForm::default();
            render(&console, &who, StatusCode::OK, view).await
        }
        Err(e) => refused(&console, &who, view, &e).await,
    }
}

/// A refusal of HQ's rules: the form again with the message.
async fn refused(console: &Console, who: &Signed, mut view: View, e: &HqError) -> PageResult {
    let status = match e {
        HqError::NotFound(_) => {
            view.problem = Some(no_order(who));
            StatusCode::NOT_FOUND
        }
        HqError::BadRequest(_) => {
            view.problem = Some(super::page::problem(who.lang, e));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        other => return Err(who.fail(other)),
    };
    render(console, who, status, view).await
}

fn what(who: &Signed, a: &Approved) -> String {
    match a {
        Approved::Line {
            line_no,
            description,
            unit_price_fen,
            qty,
        } => match who.lang {
            onsite_core::locale::Lang::ZhCn => format!(
                "计划外项目 第{line_no}行:{description} {} × {qty}",
                yuan(*unit_price_fen)
            ),
            onsite_core::locale::Lang::En => format!(
                "Off-schedule line {line_no}: {description} {} × {qty}",
                yuan(*unit_price_fen)
            ),
        },
        Approved::Charge(i) => instruction_text(who, *i),
    }
}

fn instruction_text(who: &Signed, i: Instruction) -> String {
    match i {
        Instruction::Waive => who.tr("争议收费:免收", "Disputed charge: waive").into(),
        Instruction::Insist => who
            .tr("争议收费:坚持收费", "Disputed charge: insist")
            .into(),
        Instruction::Reduce { to } => format!(
            "{} {}",
            who.tr("争议收费:减至", "Disputed charge: reduce to"),
            yuan(to.fen())
        ),
    }
}

fn by_name(a: &Approval) -> String {
    match &a.by {
        crate::centre::audit::Actor::Person(n) | crate::centre::audit::Actor::Key(n) => n.clone(),
        crate::centre::audit::Actor::Operator => "operator".into(),
    }
}

async fn render(console: &Console, who: &Signed, status: StatusCode, v: View) -> PageResult {
    let recent = console
        .store
        .recent_approvals(RECENT)
        .await
        .map_err(|e| who.fail(&e))?;
    let title = who.tr("审批", "Approvals");
    let job_for_forms = v
        .order
        .as_ref()
        .map_or(v.job_id.clone(), |o| o.job_id.clone());
    let body = html! {
        h1 { (title) }
        (form_problem(v.problem.as_deref()))
        @if let Some(a) = &v.given {
            section.card #given {
                h2 { (who.tr("请向技术员读出审批码", "Read this code to the technician")) }
                p.code #code { (a.code) }
                p { (a.job_id) " · " (what(who, &a.approved)) }
            }
        }
        form method="get" action="/approvals" .row {
            label { (who.tr("工单号", "Order number"))
                input type="text" name="job_id" value=(v.job_id) maxlength="64" required;
            }
            button type="submit" { (who.tr("查找", "Find")) }
        }
        @if let Some(o) = &v.order {
            (order_card(who, o))
        }
        @if v.order.is_some() || v.line.job_id.trim().len() + v.charge.job_id.trim().len() > 0 {
            (line_form(who, &job_for_forms, &v.line))
            (charge_form(who, &job_for_forms, &v.charge))
        }
        h2 { (who.tr("最近的审批", "Recent approvals")) }
        @if recent.is_empty() {
            p.muted { (who.tr("还没有审批。", "No approvals yet.")) }
        } @else {
            table #recent {
                thead { tr {
                    th { (who.tr("时间", "When")) }
                    th { (who.tr("审批人", "By")) }
                    th { (who.tr("工单", "Order")) }
                    th { (who.tr("内容", "What")) }
                    th { (who.tr("审批码", "Code")) }
                    th { (who.tr("手机已同步", "Synced by the phone")) }
                } }
                tbody {
                    @for a in &recent {
                        tr {
                            td { (local_str(&a.at)) }
                            td { (by_name(a)) }
                            td { a href=(format!("/approvals?job_id={}", super::page::urlencode(&a.job_id))) { (a.job_id) } }
                            td { (what(who, &a.approved)) }
                            td.num { (a.code) }
                            td {
                                @if a.matched {
                                    span.flag.ok { (who.tr("已匹配", "matched")) }
                                } @else {
                                    span.muted { (who.tr("未同步", "not yet synced")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok((status, layout(who, "/approvals", title, body)).into_response())
}

fn order_card(who: &Signed, o: &ApprovalOrder) -> Markup {
    html! {
        section.card #order {
            h2 { (who.tr("工单", "Order")) " " (o.job_id) }
            dl.facts {
                dt { (who.tr("技术员", "Technician")) } dd { (o.technician_id) }
                dt { (who.tr("状态", "Status")) } dd { (o.status.label(who.lang)) }
                dt { (who.tr("地点", "Site")) } dd { (o.site) " " (o.location) }
            }
            h3 { (who.tr("当前报价(最近同步)", "Current quote (as last synced)")) }
            @if o.quote_lines.is_empty() {
                p.muted { (who.tr("尚无报价项目。", "No quote lines yet.")) }
            } @else {
                table {
                    thead { tr {
                        th.num { (who.tr("行", "Line")) }
                        th { (who.tr("项目", "Item")) }
                        th.num { (who.tr("单价", "Unit price")) }
                        th.num { (who.tr("数量", "Qty")) }
                        th { (who.tr("审批", "Approval")) }
                    } }
                    tbody {
                        @for l in &o.quote_lines {
                            tr {
                                td.num { (l.line_no) }
                                td { (match who.lang { onsite_core::locale::Lang::ZhCn => &l.description.zh, onsite_core::locale::Lang::En => &l.description.en }) }
                                td.num { (yuan(l.unit_price.fen())) }
                                td.num { (l.qty) }
                                td {
                                    @if !l.needs_approval() {
                                        span.muted { (who.tr("价目表内", "on the schedule")) }
                                    } @else if let Some(a) = &l.approval {
                                        (a.supervisor) " " (a.code)
                                    } @else {
                                        span.flag.urgent { (who.tr("待审批", "awaiting approval")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn line_form(who: &Signed, job_id: &str, f: &LineForm) -> Markup {
    html! {
        form.card method="post" action="/approvals/line" #line-form {
            h2 { (who.tr("计划外项目", "Off-schedule line")) }
            (who.csrf_field())
            input type="hidden" name="job_id" value=(job_id);
            div.grid {
                label { (who.tr("行号", "Line number"))
                    input type="number" name="line_no" min="1" max="200" value=(f.line_no) required; }
                label { (who.tr("类别", "Kind"))
                    select name="kind" {
                        option value="service" selected[f.kind != "part"] { (who.tr("服务", "Service")) }
                        option value="part" selected[f.kind == "part"] { (who.tr("配件", "Part")) }
                    }
                }
                label { (who.tr("项目(与手机上一字不差)", "Item (exactly as on the phone)"))
                    input type="text" name="item" maxlength="200" value=(f.item) required; }
                label { (who.tr("单价(元)", "Unit price (yuan)"))
                    input type="text" name="unit_price" inputmode="decimal" value=(f.unit_price) required; }
                label { (who.tr("数量", "Quantity"))
                    input type="number" name="qty" min="1" max="10000" value=(f.qty) required; }
            }
            button type="submit" { (who.tr("批准并生成审批码", "Approve and get the code")) }
        }
    }
}

fn charge_form(who: &Signed, job_id: &str, f: &ChargeForm) -> Markup {
    html! {
        form.card method="post" action="/approvals/charge" #charge-form {
            h2 { (who.tr("争议收费", "Disputed charge")) }
            (who.csrf_field())
            input type="hidden" name="job_id" value=(job_id);
            div.row {
                label { (who.tr("决定", "Decision"))
                    select name="decision" {
                        option value="waive" selected[f.decision == "waive"] { (who.tr("免收", "Waive")) }
                        option value="reduce" selected[f.decision == "reduce"] { (who.tr("减收至", "Reduce to")) }
                        option value="insist" selected[f.decision == "insist"] { (who.tr("坚持收费", "Insist")) }
                    }
                }
                label { (who.tr("减至(元)", "Reduce to (yuan)"))
                    input type="text" name="reduce_to" inputmode="decimal" value=(f.reduce_to); }
            }
            button type="submit" { (who.tr("批准并生成审批码", "Approve and get the code")) }
        }
    }
}
