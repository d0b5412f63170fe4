//! The start page: the pages this person's role opens, in the order of a day's work.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use maud::html;

use super::page::{layout, PageResult};
use super::session::Signed;
use super::Console;
use crate::centre::people::Action;

pub fn routes() -> Router<Console> {
    Router::new().route("/", get(home))
}

/// A start tile: where, its names, what it is for, and the action that shows it.
const TILES: &[(&str, &str, &str, &str, &str, Action)] = &[
    (
        "/reception",
        "接待",
        "Reception",
        "记录来电来访,开工单,查找工单",
        "Record calls and visits, write orders, find an order",
        Action::TakeCall,
    ),
    (
        "/board",
        "派工看板",
        "Dispatch board",
        "今日工单按技术员和状态,派工与改派",
        "Today's orders by technician and state; assign and reassign",
        Action::View,
    ),
    (
        "/approvals",
        "审批",
        "Approvals",
        "为电话中的技术员审批计划外项目和争议收费",
        "Approve off-schedule lines and disputed charges for a technician on the phone",
        Action::Approve,
    ),
    (
        "/followups",
        "回访",
        "Follow-ups",
        "回访队列、记录与返修",
        "The follow-up queue, calls and revisits",
        Action::RecordFollowUp,
    ),
    (
        "/complaints",
        "投诉",
        "Complaints",
        "投诉记录与处理时限",
        "Complaints and their clocks",
        Action::RecordComplaint,
    ),
    (
        "/handover",
        "交接对账",
        "Handover",
        "技术员每日交款与对账",
        "Each technician's day: money handed in and reconciled",
        Action::RecordHandover,
    ),
    (
        "/reports",
        "报表",
        "Reports",
        "每日报修汇总与月度报表",
        "The daily repair summary and the monthly figures",
        Action::ViewReports,
    ),
    (
        "/technicians",
        "技术员与设备",
        "Technicians",
        "添加技术员、激活码、设备",
        "Technicians, enrollment codes, devices",
        Action::ManageTechnicians,
    ),
    (
        "/people",
        "人员",
        "People",
        "客服中心人员账号与角色",
        "The service centre's accounts and roles",
        Action::ManagePeople,
    ),
    (
        "/keys",
        "密钥",
        "Keys",
        "集成密钥的创建与吊销",
        "Create and revoke integration keys",
        Action::ManageKeys,
    ),
];

async fn home(State(_console): State<Console>, who: Signed) -> PageResult {
    let title = who.tr("首页", "Start");
    let body = html! {
        h1 { (who.tr("您好,", "Hello, ")) (who.person.display_name) }
        ul.tiles {
            @for (href, zh, en, zh_what, en_what, needs) in TILES {
                @if who.may(*needs) {
                    li { a href=(href) { strong { (who.tr(zh, en)) } span { (who.tr(zh_what, en_what)) } } }
                }
            }
        }
    };
    Ok(layout(&who, "/", title, body).into_response())
}
