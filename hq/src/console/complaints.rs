//! The complaints page (顾客投诉记录): record a complaint, take each handling
//! step, and see every clock by the books, breaches flagged; the dispatch
//! board shows [`breach_banner`]. The clocks are the rule's
//! ([`crate::centre::complaints`]), never this page's.

use crate::centre::access::{self, Look};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{china, form_problem, layout, local, notice, problem, PageResult};
use super::session::{Posted, Signed};
use super::Console;
use crate::centre::complaints::{
    short_id, Breach, Complaint, Kind, NewComplaint, NewStep, Step, CHANNELS,
};
use crate::centre::people::{Action, Role};
use crate::error::HqError;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/complaints", get(page).post(record))
        .route("/complaints/step", post(step))
}

/// A complaint as typed on the form (every field text, checked by the rule).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ComplaintForm {
    kind: String,
    channel: String,
    customer_name: String,
    customer_phone: String,
    job_id: String,
    words: String,
    owner: String,
    /// When it was received, China time `YYYY-MM-DD HH:MM` (empty: now).
    received_at: String,
}

/// A handling step as typed on the form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StepForm {
    complaint: String,
    step: String,
    /// `YYYY-MM-DD`, the second response's date for the solution.
    solution_day: String,
    /// `yes` or `no`, the call-back's answer.
    satisfied: String,
    note: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    done: String,
}

fn kind_name(who: &Signed, k: Kind) -> &'static str {
    match k {
        Kind::Soft => who.tr("软性投诉(服务)", "Soft (service)"),
        Kind::Hard => who.tr("硬性投诉(产品)", "Hard (product)"),
    }
}

fn channel_name(who: &Signed, c: &str) -> &'static str {
    match c {
        "phone" => who.tr("电话", "Phone"),
        "visit" => who.tr("来访", "Visit"),
        "letter" => who.tr("信函/邮件", "Letter or e-mail"),
        "on_site" => who.tr("上门现场", "On site"),
        _ => who.tr("其他", "Other"),
    }
}

fn step_name(who: &Signed, s: Step) -> &'static str {
    match s {
        Step::Responded => who.tr("做出反应(15分钟内)", "Responded (within 15 min)"),
        Step::Checked => who.tr("核对(30分钟内)", "Checked (within 30 min)"),
        Step::FirstResponse => who.tr("第一反应(1小时内)", "First response (within 1 h)"),
        Step::SecondResponse => who.tr(
            "第二反应并约定解决日期(3小时)",
            "Second response with a solution date (3 h)",
        ),
        Step::Handled => who.tr("处理完毕", "Handled"),
        Step::CalledBack => who.tr(
            "处理后回访满意度(24小时内)",
            "Called back on satisfaction (within 24 h)",
        ),
    }
}

/// A banner for the dispatch board: how many complaint clocks ran out, each
/// with its step and due time, linking to this page. Empty if none.
pub fn breach_banner(who: &Signed, breaches: &[Breach]) -> Markup {
    html! {
        @if !breaches.is_empty() {
            div.card.breach role="alert" {
                strong { span.flag.breach { (who.tr("投诉超时", "Complaint breach")) } " "
                    (breaches.len()) (who.tr(" 项投诉处理超时", " complaint clock(s) ran out")) }
                ul {
                    @for b in breaches.iter().take(10) {
                        li {
                            (kind_name(who, b.kind)) " #" (short_id(&b.complaint_id)) " · "
                            (step_name(who, b.step)) " · " (who.tr("应于 ", "due ")) (local(b.due))
                            @if let Some(j) = &b.job_id { " · " (j) }
                        }
                    }
                }
                p { a href="/complaints" { (who.tr("去处理投诉", "Go to complaints")) } }
            }
        }
    }
}

/// `YYYY-MM-DD HH:MM` China time, or now when empty.
fn received_at(s: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(now);
    }
    let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .ok()?;
    t.and_local_timezone(china())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

async fn page(State(c): State<Console>, who: Signed, Query(q): Query<Done>) -> PageResult {
    who.require(Action::RecordComplaint)?;
    let msg = match q.done.as_str() {
        "recorded" => Some(who.tr("投诉已记录。", "The complaint is recorded.")),
        "step" => Some(who.tr("处理步骤已记录。", "The step is recorded.")),
        _ => None,
    };
    render(
        &c,
        &who,
        StatusCode::OK,
        msg,
        None,
        &ComplaintForm::default(),
    )
    .await
}

/// The page, with a message and the complaint form's values kept.
async fn render(
    c: &Console,
    who: &Signed,
    status: StatusCode,
    ok: Option<&str>,
    problem_msg: Option<&str>,
    form: &ComplaintForm,
) -> PageResult {
    let now = Utc::now();
    let mut book = c.store.complaint_book().await.map_err(|e| who.fail(&e))?;
    // A complaint about an order names its customer: listing it is a look at that order.
    let listed: Vec<String> = book.iter().filter_map(|k| k.job_id.clone()).collect();
    let secret = who.looked(c, Look::Complaints, &listed).await?;
    access::mask_complaints(&mut book, &secret, who.person.role);
    let breaches = c.store.open_breaches(now).await.map_err(|e| who.fail(&e))?;
    let owners: Vec<_> = c
        .store
        .accounts(now)
        .await
        .map_err(|e| who.fail(&e))?
        .into_iter()
        .filter(|a| !a.disabled && a.person.role != Role::Admin)
        .map(|a| a.person)
        .collect();
    let owner = if form.owner.is_empty() {
        who.person.username.clone()
    } else {
        form.owner.clone()
    };
    let title = who.tr("顾客投诉记录", "Complaints");
    let body = html! {
        h1 { (title) }
        (notice(ok))
        (breach_banner(who, &breaches))
        section.card {
            h2 { (who.tr("记录投诉", "Record a complaint")) }
            (form_problem(problem_msg))
            form method="post" action="/complaints" {
                (who.csrf_field())
                div.grid {
                    label { (who.tr("类别", "Kind"))
                        select name="kind" {
                            @for k in [Kind::Soft, Kind::Hard] {
                                option value=(k.as_str()) selected[form.kind == k.as_str()] { (kind_name(who, k)) }
                            }
                        }
                    }
                    label { (who.tr("渠道", "Channel"))
                        select name="channel" {
                            @for ch in CHANNELS {
                                option value=(ch) selected[form.channel == *ch] { (channel_name(who, ch)) }
                            }
                        }
                    }
                    label { (who.tr("顾客姓名", "Customer's name"))
                        input name="customer_name" required maxlength="100" value=(form.customer_name); }
                    label { (who.tr("顾客电话", "Customer's phone"))
                        input name="customer_phone" required maxlength="100" value=(form.customer_phone); }
                    label { (who.tr("相关工单号(可不填)", "Order number (optional)"))
                        input name="job_id" maxlength="100" value=(form.job_id); }
                    label { (who.tr("负责人", "Owner"))
                        select name="owner" {
                            @for p in &owners {
                                option value=(p.username) selected[p.username == owner] { (p.display_name) " (" (p.username) ")" }
                            }
                        }
                    }
                    label { (who.tr("接到时间(北京时间,空=现在)", "Received (China time, empty = now)"))
                        input name="received_at" placeholder="2026-11-28 09:30" value=(form.received_at); }
                }
                label { (who.tr("顾客原话", "The customer's words"))
                    textarea name="words" required maxlength="2000" { (form.words) } }
                p { button type="submit" { (who.tr("记录投诉", "Record the complaint")) } }
            }
        }
        h2 { (who.tr("投诉与处理时限", "Complaints and their clocks")) }
        @if book.is_empty() {
            p.muted { (who.tr("暂无投诉。", "No complaints.")) }
        }
        @for k in &book {
            (complaint_card(who, k, now))
        }
    };
    Ok((status, layout(who, "/complaints", title, body)).into_response())
}

fn complaint_card(who: &Signed, k: &Complaint, now: DateTime<Utc>) -> Markup {
    let clocks = k.clocks(now);
    let breached = clocks.iter().any(|c| c.breached);
    html! {
        section.card.customer-list.breach[breached] id={ "c-" (short_id(&k.id)) } {
            h3 {
                "#" (short_id(&k.id)) " · " (kind_name(who, k.kind)) " · " (channel_name(who, &k.channel))
                @if breached { span.flag.breach { (who.tr("超时", "Breach")) } }
                @if !k.open() { span.flag.ok { (who.tr("已结案", "Closed")) } }
            }
            dl.facts {
                dt { (who.tr("顾客", "Customer")) } dd { (k.customer_name) " · " (k.customer_phone) }
                dt { (who.tr("工单", "Order")) } dd { (k.job_id.as_deref().unwrap_or("—")) }
                dt { (who.tr("顾客原话", "Words")) } dd { (k.words) }
                dt { (who.tr("负责人", "Owner")) } dd { (k.owner.as_deref().unwrap_or("—")) }
                dt { (who.tr("接到时间", "Received")) } dd { (local(k.received_at)) }
            }
            table {
                thead { tr {
                    th { (who.tr("步骤", "Step")) }
                    th { (who.tr("时限", "Due")) }
                    th { (who.tr("完成", "Done")) }
                    th { (who.tr("记录人", "By")) }
                    th { (who.tr("备注", "Note")) }
                } }
                tbody {
                    @for c in &clocks {
                        @let taken = k.steps.iter().find(|s| s.step == c.step);
                        tr class=[c.breached.then_some("overdue")] {
                            td { (step_name(who, c.step))
                                @if c.breached { span.flag.breach { (who.tr("超时", "Breach")) } } }
                            td { (c.due.map_or_else(|| "—".into(), local)) }
                            td { (c.done.map_or_else(|| "—".into(), local)) }
                            td { (taken.map_or("—", |t| t.by.as_str())) }
                            td {
                                @if let Some(t) = taken {
                                    @if let Some(d) = t.solution_day { (who.tr("解决日期 ", "solution by ")) (d) " " }
                                    @if let Some(s) = t.satisfied {
                                        (if s { who.tr("满意 ", "satisfied ") } else { who.tr("不满意 ", "not satisfied ") })
                                    }
                                    (t.note)
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = k.next_step() {
                form.row method="post" action="/complaints/step" {
                    (who.csrf_field())
                    input type="hidden" name="complaint" value=(k.id);
                    input type="hidden" name="step" value=(next.as_str());
                    strong { (step_name(who, next)) }
                    @if next == Step::SecondResponse {
                        label { (who.tr("解决日期", "Solution date"))
                            input type="date" name="solution_day" required; }
                    }
                    @if next == Step::CalledBack {
                        label { (who.tr("顾客是否满意", "Satisfied?"))
                            select name="satisfied" {
                                option value="yes" { (who.tr("满意", "Yes")) }
                                option value="no" { (who.tr("不满意", "No")) }
                            }
                        }
                    }
                    label { (who.tr("备注", "Note")) input name="note" maxlength="2000"; }
                    button type="submit" { (who.tr("记录此步骤", "Record this step")) }
                }
            }
        }
    }
}

/// A refused complaint: its message in the person's language, and the status.
fn refusal(who: &Signed, e: &HqError) -> (StatusCode, String) {
    match e {
        HqError::NotFound(what) if what.starts_with("order") => (
            StatusCode::NOT_FOUND,
            who.tr(
                "找不到该工单号,请检查。",
                "There is no order with that number.",
            )
            .into(),
        ),
        HqError::NotFound(what) if what.starts_with("person") => (
            StatusCode::UNPROCESSABLE_ENTITY,
            who.tr(
                "负责人不是客服中心的在职人员。",
                "The owner is not a person of the service centre.",
            )
            .into(),
        ),
        HqError::BadRequest(_) => (StatusCode::UNPROCESSABLE_ENTITY, problem(who.lang, e)),
        e => (who.fail(e).status, problem(who.lang, e)),
    }
}

async fn record(State(c): State<Console>, p: Posted<ComplaintForm>) -> PageResult {
    let who = p.who;
    who.require(Action::RecordComplaint)?;
    let f = p.form;
    let now = Utc::now();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(kind) = Kind::parse(&f.kind) else {
        let m = who.tr("请选择投诉类别。", "Choose the kind of complaint.");
        return render(&c, &who, unprocessable, None, Some(m), &f).await;
    };
    let Some(at) = received_at(&f.received_at, now) else {
        let m = who.tr(
            "接到时间格式应为 2026-11-28 09:30。",
            "Write the time received as 2026-11-28 09:30.",
        );
        return render(&c, &who, unprocessable, None, Some(m), &f).await;
    };
    let new = NewComplaint {
        kind,
        channel: f.channel.clone(),
        customer_name: f.customer_name.clone(),
        customer_phone: f.customer_phone.clone(),
        job_id: Some(f.job_id.clone()),
        words: f.words.clone(),
        owner: f.owner.clone(),
        received_at: at,
    };
    if let Err(e) = crate::centre::complaints::check(&new, now) {
        let m = match &e {
            HqError::BadRequest(m) if m.contains("future") => who.tr(
                "接到时间不能晚于现在。",
                "The time received cannot be in the future.",
            ),
            HqError::BadRequest(m) if m.contains("7 days") => who.tr(
                "接到时间不能早于7天前。",
                "The time received cannot be more than 7 days ago.",
            ),
            HqError::BadRequest(m) if m.contains("digits") => who.tr(
                "顾客电话至少要有5位数字。",
                "The customer's phone needs at least 5 digits.",
            ),
            HqError::BadRequest(m) if m.contains("longer") => who.tr(
                "有内容超出长度限制(姓名、电话100字,原话2000字)。",
                "A field is too long (name and phone 100 characters, words 2000).",
            ),
            _ => who.tr(
                "请填写顾客姓名、电话、原话和负责人,并选择渠道。",
                "Fill in the customer's name, phone, words and the owner, and choose the channel.",
            ),
        };
        return render(&c, &who, unprocessable, None, Some(m), &f).await;
    }
    match c.store.record_complaint(&who.actor(), new, now).await {
        Ok(_) => Ok(Redirect::to("/complaints?done=recorded").into_response()),
        Err(e) => {
            let (status, m) = refusal(&who, &e);
            render(&c, &who, status, None, Some(&m), &f).await
        }
    }
}

async fn step(State(c): State<Console>, p: Posted<StepForm>) -> PageResult {
    let who = p.who;
    who.require(Action::RecordComplaint)?;
    let f = p.form;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let blank = ComplaintForm::default();
    let Some(s) = Step::parse(&f.step) else {
        let m = who.tr("未知的处理步骤。", "Unknown step.");
        return render(&c, &who, unprocessable, None, Some(m), &blank).await;
    };
    let solution_day = match f.solution_day.trim() {
        "" => None,
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let m = who.tr(
                    "解决日期格式应为 2026-11-30。",
                    "Write the solution date as 2026-11-30.",
                );
                return render(&c, &who, unprocessable, None, Some(m), &blank).await;
            }
        },
    };
    let satisfied = match f.satisfied.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    if s == Step::SecondResponse && solution_day.is_none() {
        let m = who.tr(
            "第二反应须约定解决日期。",
            "The second response gives a date for the solution.",
        );
        return render(&c, &who, unprocessable, None, Some(m), &blank).await;
    }
    if s == Step::CalledBack && satisfied.is_none() {
        let m = who.tr(
            "回访须记录顾客是否满意。",
            "The call-back records whether the customer is satisfied.",
        );
        return render(&c, &who, unprocessable, None, Some(m), &blank).await;
    }
    let new = NewStep {
        step: s,
        solution_day,
        satisfied,
        note: f.note,
    };
    match c
        .store
        .record_complaint_step(&who.actor(), &f.complaint, new, Utc::now())
        .await
    {
        Ok(()) => Ok(Redirect::to("/complaints?done=step").into_response()),
        Err(e) => {
            let (status, m) = match &e {
                HqError::NotFound(_) => (
                    StatusCode::NOT_FOUND,
                    who.tr("找不到该投诉。", "There is no such complaint.").to_string(),
                ),
                HqError::Conflict(_) => (
                    StatusCode::CONFLICT,
                    who.tr(
                        "这不是该投诉的下一步(可能已被他人记录),请刷新。",
                        "That is not the complaint's next step (someone may have recorded it): reload.",
                    )
                    .to_string(),
                ),
                HqError::BadRequest(m) if m.contains("longer") => (
                    unprocessable,
                    who.tr("备注不能超过2000字。", "A note has at most 2000 characters.").to_string(),
                ),
                _ => refusal(&who, &e),
            };
            render(&c, &who, status, None, Some(&m), &blank).await
        }
    }
}
