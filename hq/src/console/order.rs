//! The order page: everything the phone recorded and HQ holds about one
//! order (read in one transaction, [`crate::centre::dossier`]), its photos,
//! the four-copy work order to print, and the audit trail.
//!
//! - `GET /orders/{job_id}` the order's file ([`view`]);
//! - `GET /orders/{job_id}/print` the four copies ([`print`]);
//! - `GET /orders/{job_id}/photos/{sha256}` a photo the order's visit names.
//!
//! All need [`Action::View`]. An order number that is not one (odd
//! characters, too long) or that HQ does not hold is a 404 page in the
//! person's language; a photo of another order is a 404 too.

mod print;
mod view;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use onsite_core::error::Field;
use onsite_core::locale::Lang;

use super::page::{tr, Failure, PageResult};
use super::session::Signed;
use super::Console;
use crate::centre::access::{self, Look};
use crate::centre::people::Action;
use crate::error::HqError;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/orders/{job_id}", get(view::order_page))
        .route("/orders/{job_id}/print", get(print::print_page))
        .route("/orders/{job_id}/photos/{sha256}", get(photo))
}

/// 404 for an order number that is not one or that HQ does not hold.
fn no_such_order(lang: Lang) -> Failure {
    Failure::new(
        lang,
        StatusCode::NOT_FOUND,
        tr(
            lang,
            "找不到该工单,请检查工单号。",
            "There is no such order: check the order number.",
        ),
    )
}

/// The order's whole file as this person may see it, or the page saying
/// why not. A number the core would never accept as an order number is
/// refused before any query. The read is logged ([`crate::centre::access`])
/// before anything is shown; a confidential order's customer data is
/// withheld from a role that may not see it.
async fn dossier_of(
    console: &Console,
    who: &Signed,
    look: Look,
    job_id: &str,
) -> Result<Seen, Failure> {
    if onsite_core::order::validate_id(Field::JobId, job_id).is_err() {
        return Err(no_such_order(who.lang));
    }
    let mut d = match console.store.dossier(job_id).await {
        Ok(d) => d,
        Err(HqError::NotFound(_)) => return Err(no_such_order(who.lang)),
        Err(e) => return Err(who.fail(&e)),
    };
    let sees = access::sees_confidential(who.person.role);
    let secret = who.looked(console, look, &[job_id.to_string()]).await?;
    let confidential = secret.contains(job_id);
    let masked = confidential && !sees;
    if masked {
        access::withhold_dossier(&mut d);
    }
    Ok(Seen {
        dossier: d,
        confidential,
        masked,
    })
}

/// An order's file as one person saw it.
struct Seen {
    dossier: crate::centre::dossier::Dossier,
    confidential: bool,
    /// Its customer data was withheld from this person.
    masked: bool,
}

/// A photo of the order, as stored (JPEG or PNG), never cached.
async fn photo(
    State(console): State<Console>,
    who: Signed,
    Path((job_id, sha256)): Path<(String, String)>,
) -> PageResult {
    who.require(Action::View)?;
    let not_found = || {
        Failure::new(
            who.lang,
            StatusCode::NOT_FOUND,
            who.tr("该工单没有这张照片。", "This order has no such photo."),
        )
    };
    let is_hash = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !is_hash || onsite_core::order::validate_id(Field::JobId, &job_id).is_err() {
        return Err(not_found());
    }
    let (media_type, bytes) = match console.store.order_photo(&job_id, &sha256).await {
        Ok(p) => p,
        Err(HqError::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(who.fail(&e)),
    };
    let secret = who
        .looked(&console, Look::Photo, std::slice::from_ref(&job_id))
        .await?;
    if secret.contains(&job_id) && !access::sees_confidential(who.person.role) {
        return Err(confidential_refusal(who.lang));
    }
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// 403 for what a confidential order shows only to its technician,
/// supervisors and managers.
pub fn confidential_refusal(lang: Lang) -> Failure {
    Failure::new(
        lang,
        StatusCode::FORBIDDEN,
        tr(
            lang,
            "这是保密工单:客户资料仅限主管、经理和派工的技术员查看。",
            "This order is confidential: its customer data is for supervisors, managers and its technician only.",
        ),
    )
}

/// A page's HTML answer.
fn html_page(markup: maud::Markup) -> Response {
    markup.into_response()
}

/// What an audit action is called on a page.
pub fn action_label(lang: Lang, action: &str) -> String {
    let (zh, en) = match action {
        "session.open" => ("登录", "signed in"),
        "session.close" => ("退出", "signed out"),
        "session.close_all" => ("在所有设备上退出", "signed out everywhere"),
        "person.create" => ("添加人员", "added a person"),
        "person.role" => ("更改角色", "changed a role"),
        "person.disable" => ("停用账号", "disabled an account"),
        "person.enable" => ("启用账号", "enabled an account"),
        "person.password" => ("重设密码", "reset a password"),
        "person.locked" => ("账号被锁定", "account locked"),
        // fleet and reports (console/fleet.rs, console/reports.rs)
        "technician.create" => ("添加技术员", "added a technician"),
        "enrollment.create" => ("生成激活码", "made an enrollment code"),
        "device.revoke" => ("吊销设备", "revoked a device"),
        "key.create" => ("创建集成密钥", "created an integration key"),
        "key.revoke" => ("吊销集成密钥", "revoked an integration key"),
        "export.daily" => ("导出每日报修汇总", "exported the daily summary"),
        "export.monthly" => ("导出月度报表", "exported the monthly report"),
        // complaints and reconciliation (console/complaints.rs, console/reconciliation.rs)
        "complaint.record" => ("记录投诉", "recorded a complaint"),
        "complaint.step" => ("记录投诉处理步骤", "recorded a complaint step"),
        "handover.record" => ("记录交款", "recorded money handed in"),
        "reconciliation.confirm" => ("确认对账", "confirmed a day's reconciliation"),
        "reconciliation.difference" => ("记录对账差额", "recorded a reconciliation difference"),
        // approvals
        "approval.line" => ("审批计划外项目", "approved an off-schedule line"),
        "approval.charge" => ("审批争议收费", "decided a disputed charge"),
        // followups
        "followup.call" => ("记录回访", "recorded a follow-up call"),
        "followup.revisit" => ("开返修单", "opened a revisit order"),
        // desk (reception and the dispatch board)
        "call.record" => ("记录来电来访", "recorded a call or visit"),
        "order.create" => ("开工单", "wrote the order"),
        "order.assign" => ("派工", "assigned the order"),
        "order.reassign" => ("改派", "reassigned the order"),
        "order.reschedule" => ("改约(客户同意)", "rescheduled (customer agreed)"),
        "order.cancel" => ("取消工单", "cancelled the order"),
        // access (console/access.rs)
        "order.confidential" => ("标为保密工单", "marked the order confidential"),
        "order.unconfidential" => ("取消保密", "marked the order not confidential"),
        // retention (onsite hq retention)
        "order.anonymise" => (
            "保管期满,客户资料已匿名",
            "customer data anonymised after the retention period",
        ),
        "retention.years" => ("设置客户资料保管年限", "set the retention period"),
        other => return other.to_string(),
    };
    match lang {
        Lang::ZhCn => zh.into(),
        Lang::En => en.into(),
    }
}
