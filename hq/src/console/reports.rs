//! Reports (page 8): the daily repair summary (每日报修记录汇总表) of a day
//! and the monthly figures, with bar charts as inline SVG; CSV downloads
//! for managers, each audited (`export.daily`, `export.monthly`). The
//! counting is [`crate::centre::reports`]'s.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{layout, local, today, yuan, Failure, PageResult};
use super::session::Signed;
use super::Console;
use crate::centre::access::Look;
use crate::centre::people::Action;
use crate::centre::reports::{
    category_label, daily_csv, monthly_csv, opinion_label, parse_month, payer_label, Monthly,
    RatingCounts,
};
use onsite_core::visit::{Rating, Status};

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/reports", get(daily))
        .route("/reports/monthly", get(monthly))
        .route("/reports/daily.csv", get(daily_file))
        .route("/reports/monthly.csv", get(monthly_file))
}

#[derive(Deserialize, Default)]
struct DayQuery {
    day: Option<String>,
}

#[derive(Deserialize, Default)]
struct MonthQuery {
    month: Option<String>,
}

/// The day asked for (today in China if none), or a 400 page saying how to write one.
fn day_of(who: &Signed, q: &DayQuery) -> Result<NaiveDate, Failure> {
    match q.day.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(today(Utc::now())),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            Failure::new(
                who.lang,
                StatusCode::BAD_REQUEST,
                who.tr(
                    "日期格式应为 年-月-日,例如 2026-11-28。",
                    "Write the day as YYYY-MM-DD, e.g. 2026-11-28.",
                ),
            )
        }),
    }
}

fn month_of(who: &Signed, q: &MonthQuery) -> Result<NaiveDate, Failure> {
    match q.month.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => {
            let t = today(Utc::now());
            Ok(t - chrono::Duration::days(i64::from(chrono::Datelike::day(&t)) - 1))
        }
        Some(m) => parse_month(m).map_err(|_| {
            Failure::new(
                who.lang,
                StatusCode::BAD_REQUEST,
                who.tr(
                    "月份格式应为 年-月,例如 2026-11。",
                    "Write the month as YYYY-MM, e.g. 2026-11.",
                ),
            )
        }),
    }
}

fn tabs(who: &Signed, current: &str) -> Markup {
    html! {
        nav.tabs.no-print {
            a href="/reports" aria-current=[(current == "daily").then_some("page")] { (who.tr("每日报修汇总", "Daily summary")) }
            " · "
            a href="/reports/monthly" aria-current=[(current == "monthly").then_some("page")] { (who.tr("月度报表", "Monthly")) }
        }
    }
}

async fn daily(
    State(console): State<Console>,
    who: Signed,
    Query(q): Query<DayQuery>,
) -> PageResult {
    who.require(Action::ViewReports)?;
    let day = day_of(&who, &q)?;
    let s = console
        .store
        .daily_summary(day)
        .await
        .map_err(|e| who.fail(&e))?;
    // The day's list names every order's customer: a look at each.
    let listed: Vec<String> = s.lines.iter().map(|l| l.job_id.clone()).collect();
    let secret = who.looked(&console, Look::Report, &listed).await?;
    let lang = who.lang;
    let title = who.tr("每日报修记录汇总表", "Daily repair summary");
    let body = html! {
        (tabs(&who, "daily"))
        h1 { (title) " " (day) }
        form.row.no-print method="get" action="/reports" {
            label { (who.tr("日期", "Day")) input type="date" name="day" value=(day); }
            button type="submit" { (who.tr("查看", "Show")) }
            @if who.may(Action::Export) {
                a.button href={ "/reports/daily.csv?day=" (day) } { (who.tr("导出 CSV", "Download CSV")) }
            }
        }
        p { (who.tr("工单数:", "Orders: ")) (s.lines.len()) }
        @if !secret.is_empty() {
            // 「凡属“机密”、“绝密”的客户资料……必须单独存放、专人管理」 (GPS book):
            // a confidential order never leaves on paper with the day's list.
            p.note { (who.tr("其中保密工单 ", "Of these, ")) (secret.len())
                (who.tr(" 张,打印时不列出。", " confidential: left out when printed.")) }
        }
        table {
            thead { tr {
                th { (who.tr("工单号", "Order")) }
                th { (who.tr("楼盘", "Site")) }
                th { (who.tr("报修人", "Reported by")) }
                th { (who.tr("房号/地点", "Room or place")) }
                th { (who.tr("报修时间", "Reported")) }
                th { (who.tr("预约时间", "Appointment")) }
                th { (who.tr("类别", "Line")) }
                th { (who.tr("报修内容", "Request")) }
                th { (who.tr("技术员", "Technician")) }
                th { (who.tr("状态", "State")) }
                th { (who.tr("完成时间", "Completed")) }
                th { (who.tr("质量评价", "Quality")) }
                th { (who.tr("回访", "Follow-up")) }
            } }
            tbody {
                @for l in &s.lines {
                    tr class=[secret.contains(&l.job_id).then_some("no-print confidential")] {
                        td { a href={ "/orders/" (super::page::urlencode(&l.job_id)) } { (l.job_id) } }
                        td { (l.site) }
                        td { (l.customer) }
                        td { (l.location) }
                        td { (local(l.reported_at)) }
                        td { (local(l.appointment_at)) }
                        td { (category_label(lang, l.category)) }
                        td { (l.service) }
                        td { (l.technician_id) }
                        td { (l.status.label(lang)) }
                        td { (l.completed_at.map(local).unwrap_or_default()) }
                        td { (l.quality.as_ref().map(|o| opinion_label(lang, o)).unwrap_or_default()) }
                        td { (l.followups.join(" ")) }
                    }
                }
                @if s.lines.is_empty() {
                    tr { td colspan="13" .muted { (who.tr("当天没有报修。", "No orders that day.")) } }
                }
            }
        }
    };
    Ok(layout(&who, "/reports", title, body).into_response())
}

/// A horizontal bar chart: one bar a row, widths in proportion to the largest
/// (in 128-bit integers: a sum of fen times the width cannot overflow).
fn bars(label: &str, rows: &[(String, i64, String)]) -> Markup {
    const WIDTH: i128 = 260;
    let max = i128::from(rows.iter().map(|r| r.1).max().unwrap_or(0).max(1));
    let width = |v: i64| {
        let w = i128::from(v.max(0)) * WIDTH / max;
        // A value above nothing gets at least a sliver.
        i64::try_from(if v > 0 { w.max(1) } else { w }).unwrap_or(0)
    };
    let height = 24 * rows.len().max(1) + 4;
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 480 " (height) } width="480" height=(height) role="img" aria-label=(label) {
            @for (i, (name, value, shown)) in rows.iter().enumerate() {
                @let y = 24 * i + 4;
                text x="0" y=(y + 14) { (name) }
                rect.bar x="130" y=(y) height="18" width=(width(*value)) {}
                text x=(130 + width(*value) + 6) y=(y + 14) { (shown) }
            }
        }
    }
}

fn rating_rows(who: &Signed, c: &RatingCounts) -> Vec<(String, i64, String)> {
    [
        (Rating::Satisfied.label(who.lang), c.satisfied),
        (Rating::Average.label(who.lang), c.average),
        (Rating::Dissatisfied.label(who.lang), c.dissatisfied),
        (who.tr("拒绝评价", "Declined to rate"), c.declined),
    ]
    .into_iter()
    .map(|(n, v)| {
        (
            n.to_string(),
            i64::try_from(v).unwrap_or(i64::MAX),
            v.to_string(),
        )
    })
    .collect()
}

async fn monthly(
    State(console): State<Console>,
    who: Signed,
    Query(q): Query<MonthQuery>,
) -> PageResult {
    who.require(Action::ViewReports)?;
    let month = month_of(&who, &q)?;
    let m = console
        .store
        .monthly_figures(month, Utc::now())
        .await
        .map_err(|e| who.fail(&e))?;
    Ok(layout(
        &who,
        "/reports",
        who.tr("月度报表", "Monthly report"),
        monthly_body(&who, &m),
    )
    .into_response())
}

fn monthly_body(who: &Signed, m: &Monthly) -> Markup {
    let lang = who.lang;
    let ym = m.month.format("%Y-%m").to_string();
    let lines: Vec<(String, i64, String)> = m
        .by_line
        .iter()
        .map(|(c, states)| {
            let n: u64 = states.values().sum();
            (
                category_label(lang, *c).to_string(),
                i64::try_from(n).unwrap_or(i64::MAX),
                n.to_string(),
            )
        })
        .collect();
    let money: Vec<(String, i64, String)> = m
        .money_by_payer
        .iter()
        .map(|(p, fen)| (payer_label(lang, *p).to_string(), *fen, yuan(*fen)))
        .collect();
    html! {
        (tabs(who, "monthly"))
        h1 { (who.tr("月度报表", "Monthly report")) " " (ym) }
        form.row.no-print method="get" action="/reports/monthly" {
            label { (who.tr("月份", "Month")) input type="month" name="month" value=(ym); }
            button type="submit" { (who.tr("查看", "Show")) }
            @if who.may(Action::Export) {
                a.button href={ "/reports/monthly.csv?month=" (ym) } { (who.tr("导出 CSV", "Download CSV")) }
            }
        }
        dl.facts {
            dt { (who.tr("工单总数", "Orders")) } dd { (m.orders) }
            dt { (who.tr("准时率", "Punctuality")) } dd { (m.punctuality()) " (" (m.arrivals - m.late) "/" (m.arrivals) ")" }
            dt { (who.tr("回访率", "Follow-up rate")) } dd { (m.followup_rate()) " (" (m.followed_up) "/" (m.completed) ")" }
            dt { (who.tr("投诉", "Complaints")) } dd {
                (who.tr("软投诉 ", "soft ")) (m.complaints_soft) " · " (who.tr("硬投诉 ", "hard ")) (m.complaints_hard)
                " · " (who.tr("处理时限内 ", "within their limits ")) (m.complaints_within_limits)
                "/" (m.complaints_soft + m.complaints_hard)
            }
        }
        p.muted { (who.tr(
            "准时率按到达时手机记录的准时判定计算(提前到达算准时);回访率为已验收工单中列入回访的比例;投诉按总部收到的时间计数;「处理时限内」指各处理步骤均按时完成且目前无超时。",
            "Punctuality counts the verdicts the phones recorded on arrival (early counts as on time); the follow-up rate is the share of accepted orders that have a follow-up; complaints count by when HQ received them; within their limits means every step was taken in time by the books' clocks and none is overdue now."
        )) }
        section.card {
            h2 { (who.tr("按业务线的工单", "Orders by line")) }
            (bars(who.tr("按业务线的工单", "Orders by line"), &lines))
            table {
                thead { tr { th { (who.tr("业务线", "Line")) } th { (who.tr("状态", "State")) } th.num { (who.tr("数量", "Count")) } } }
                tbody {
                    @for (c, states) in &m.by_line {
                        @for st in Status::ALL {
                            @if let Some(n) = states.get(&st) {
                                tr { td { (category_label(lang, *c)) } td { (st.label(lang)) } td.num { (n) } }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (who.tr("维修质量评价", "Repair quality")) }
            (bars(who.tr("维修质量评价", "Repair quality"), &rating_rows(who, &m.quality)))
            h2 { (who.tr("服务态度评价", "Service attitude")) }
            (bars(who.tr("服务态度评价", "Service attitude"), &rating_rows(who, &m.attitude)))
        }
        section.card {
            h2 { (who.tr("按付费方的金额", "Money by payer")) }
            (bars(who.tr("按付费方的金额", "Money by payer"), &money))
        }
    }
}

/// A CSV download, named for what it holds.
fn csv(name: String, body: String) -> axum::response::Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn exporter(who: &Signed) -> String {
    format!("{} ({})", who.person.display_name, who.person.username)
}

async fn daily_file(
    State(console): State<Console>,
    who: Signed,
    Query(q): Query<DayQuery>,
) -> PageResult {
    who.require(Action::Export)?;
    let day = day_of(&who, &q)?;
    let now = Utc::now();
    let s = console
        .store
        .export_daily(&who.actor(), &who.origin, day, now)
        .await
        .map_err(|e| who.fail(&e))?;
    Ok(csv(
        format!("daily-{day}.csv"),
        daily_csv(&s, who.lang, &exporter(&who), now),
    ))
}

async fn monthly_file(
    State(console): State<Console>,
    who: Signed,
    Query(q): Query<MonthQuery>,
) -> PageResult {
    who.require(Action::Export)?;
    let month = month_of(&who, &q)?;
    let now = Utc::now();
    let m = console
        .store
        .export_monthly(&who.actor(), month, now)
        .await
        .map_err(|e| who.fail(&e))?;
    Ok(csv(
        format!("monthly-{}.csv", m.month.format("%Y-%m")),
        monthly_csv(&m, who.lang, &exporter(&who), now),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_without_overflow() {
        let svg = bars(
            "money",
            &[
                ("a".into(), i64::MAX, "max".into()),
                ("b".into(), 1, "1".into()),
                ("c".into(), -5, "-5".into()),
            ],
        )
        .into_string();
        assert!(svg.contains("width=\"260\""), "{svg}");
        assert!(
            svg.contains("width=\"1\""),
            "a sliver for a small value: {svg}"
        );
        assert!(svg.contains("width=\"0\""), "nothing for a negative: {svg}");
        assert!(!svg.contains("style="));
    }
}
