//! Technicians and devices (page 9): the technicians with their devices,
//! each device's last contact and the last op HQ applied from it; add a
//! technician, show a one-time enrollment code with its QR code for the
//! phone to scan, revoke a device. The integration keys page is [`keys`].

mod keys;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{form_problem, layout, local_str, notice, trusted, PageResult};
use super::session::{Posted, Signed};
use super::Console;
use crate::centre::fleet::Repeat;
use crate::centre::people::Action;
use crate::error::HqError;

pub fn routes() -> Router<Console> {
    Router::new()
        .route("/technicians", get(technicians).post(add_technician))
        .route("/technicians/enroll", post(enroll))
        .route("/devices/revoke", post(revoke))
        .route("/devices/wipe", post(wipe))
        .route("/settings/phone-retention", post(set_phone_retention))
        .merge(keys::routes())
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

/// What the page shows besides the list: a message, the values of a
/// refused form, a code just made.
#[derive(Default)]
struct Extra {
    problem: Option<String>,
    notice: Option<String>,
    new_id: String,
    new_name: String,
    /// (technician id, code): shown this once.
    code: Option<(String, String)>,
}

async fn technicians(
    State(console): State<Console>,
    who: Signed,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> PageResult {
    who.require(Action::ManageTechnicians)?;
    let notice = match q.done.as_deref() {
        Some("added") => Some(who.tr("技术员已添加。", "Technician added.")),
        Some("revoked") => Some(who.tr(
            "设备已吊销,其令牌立即失效。",
            "Device revoked: its token no longer works.",
        )),
        Some("wipe") => Some(who.tr(
            "设备已吊销并要求擦除:它下次联系总部时先交回未同步的工作,然后删除本机数据。",
            "Device revoked with wipe: at its next contact it hands in its unsynced work, then deletes its data.",
        )),
        Some("retention") => Some(who.tr(
            "保留期已保存,手机下次同步时生效。",
            "Retention period saved; phones apply it at their next sync.",
        )),
        _ => None,
    };
    let extra = Extra {
        notice: notice.map(str::to_string),
        ..Extra::default()
    };
    page(&console, &who, StatusCode::OK, extra).await
}

async fn page(console: &Console, who: &Signed, status: StatusCode, extra: Extra) -> PageResult {
    let fleet = console.store.fleet().await.map_err(|e| who.fail(&e))?;
    let wipes = console
        .store
        .wipe_orders()
        .await
        .map_err(|e| who.fail(&e))?;
    let retention = console
        .store
        .phone_retention_days()
        .await
        .map_err(|e| who.fail(&e))?;
    let title = who.tr("技术员与设备", "Technicians and devices");
    let body = html! {
        h1 { (title) }
        (notice(extra.notice.as_deref()))
        (form_problem(extra.problem.as_deref()))
        @if let Some((tech, code)) = &extra.code {
            (code_card(who, tech, code))
        }
        section.card {
            h2 { (who.tr("添加技术员", "Add a technician")) }
            form.row method="post" action="/technicians" {
                (who.csrf_field())
                label { (who.tr("工号", "Technician id"))
                    input name="technician_id" required maxlength="64" value=(extra.new_id); }
                label { (who.tr("姓名", "Name"))
                    input name="name" required maxlength="100" value=(extra.new_name); }
                button type="submit" { (who.tr("添加", "Add")) }
            }
        }
        table {
            thead { tr {
                th { (who.tr("技术员", "Technician")) }
                th { (who.tr("设备", "Device")) }
                th { (who.tr("激活时间", "Enrolled")) }
                th { (who.tr("最后联系", "Last contact")) }
                th.num { (who.tr("已接收操作序号", "Last op applied")) }
                th { (who.tr("手机上待上传", "Waiting on the phone")) }
                th { (who.tr("状态", "State")) }
                th {}
            } }
            tbody {
                @for t in &fleet {
                    tr {
                        th rowspan=(t.devices.len().max(1)) {
                            (t.name) br; span.muted { (t.technician_id) }
                            form method="post" action="/technicians/enroll" {
                                (who.csrf_field())
                                input type="hidden" name="technician_id" value=(t.technician_id);
                                button.secondary type="submit" { (who.tr("生成激活码", "New enrollment code")) }
                            }
                        }
                        @if let Some(d) = t.devices.first() { (device_cells(who, d, &wipes)) }
                        @else { td colspan="7" .muted { (who.tr("尚无设备", "No device yet")) } }
                    }
                    @for d in t.devices.iter().skip(1) {
                        tr { (device_cells(who, d, &wipes)) }
                    }
                }
            }
        }
        @if who.may(Action::ManageDevices) {
            section.card {
                h2 { (who.tr("手机上的客户资料", "Customer data on the phones")) }
                form.row method="post" action="/settings/phone-retention" {
                    (who.csrf_field())
                    label { (who.tr("交接后保留天数", "Days kept after the handover"))
                        input name="days" type="number" min="1" max="3650" required value=(retention); }
                    button type="submit" { (who.tr("保存", "Save")) }
                }
                p.muted { (who.tr(
                    "工单交接且总部已收到其全部记录和照片后,手机在此天数后删除该单的客户姓名、电话、地址、签名、照片和备注;工单编号、状态和金额保留。",
                    "Once a job is handed over and HQ has all its records and photos, phones delete its customer's name, phone, address, signature, photos and notes after this many days; the job's number, status and amounts stay."
                )) }
            }
        }
        p.muted { (who.tr(
            "“手机上待上传”是设备最后一次上传时报告的尚未上传的操作和照片;此后在手机上记录的内容要等它下次同步才会到达。",
            "\"Waiting on the phone\" is what the device reported still unsent at its last push; what it recorded after that arrives with its next sync."
        )) }
    };
    Ok((status, layout(who, "/technicians", title, body)).into_response())
}

fn device_cells(
    who: &Signed,
    d: &crate::centre::fleet::DeviceInfo,
    wipes: &[crate::centre::phone_data::WipeOrder],
) -> Markup {
    let wipe = wipes.iter().find(|w| w.device_id == d.device_id);
    html! {
        td.code { (d.device_id) }
        td { (local_str(&d.enrolled_at)) }
        td { @match &d.last_seen_at {
            Some(t) => (local_str(t)),
            None => span.muted { (who.tr("从未", "never")) },
        } }
        td.num { (d.last_seq) }
        td { (backlog_cell(who, d.backlog.as_ref())) }
        td { @match (wipe, d.revoked) {
            (Some(w), _) => {
                span.flag.breach.wipe { (who.tr("已要求擦除", "wipe ordered")) }
                " " span.muted { @match &w.told_at {
                    Some(t) => { (who.tr("已通知手机 ", "phone told ")) (local_str(t)) },
                    None => (who.tr("等待手机联系", "waiting for the phone")),
                } }
            }
            (None, true) => span.flag.breach { (who.tr("已吊销", "revoked")) },
            (None, false) => span.flag.ok { (who.tr("有效", "active")) },
        } }
        td { @if who.may(Action::ManageDevices) {
            @if !d.revoked {
                form.inline method="post" action="/devices/revoke" {
                    (who.csrf_field())
                    input type="hidden" name="device_id" value=(d.device_id);
                    button.danger type="submit" data-confirm=(who.tr("吊销此设备?它将无法再同步。", "Revoke this device? It will no longer sync.")) {
                        (who.tr("吊销", "Revoke"))
                    }
                }
            }
            @if wipe.is_none() {
                form.inline method="post" action="/devices/wipe" {
                    (who.csrf_field())
                    input type="hidden" name="device_id" value=(d.device_id);
                    button.danger type="submit" data-confirm=(who.tr(
                        "吊销并远程擦除此设备?它下次联系总部时先交回未同步的工作,然后删除本机全部数据。",
                        "Revoke and remotely wipe this device? At its next contact it hands in its unsynced work, then deletes all its data."
                    )) {
                        (who.tr("吊销并擦除", "Revoke and wipe"))
                    }
                }
            }
        } }
    }
}

/// What a device said it still held unsent: a flag when anything waits.
fn backlog_cell(who: &Signed, b: Option<&crate::centre::fleet::DeviceBacklog>) -> Markup {
    html! { @match b {
        None => span.muted { (who.tr("未报告", "not reported")) },
        Some(b) if b.ops == 0 && b.blobs == 0 => {
            span.flag.ok { (who.tr("无", "nothing")) }
            " " span.muted { (who.tr("截至 ", "as of ")) (local_str(&b.at)) }
        }
        Some(b) => {
            span.flag.late.backlog {
                (b.ops) (who.tr(" 项操作", " ops")) ", " (b.blobs) (who.tr(" 个照片或签名图", " photos or signatures"))
            }
            " " span.muted { (who.tr("截至 ", "as of ")) (local_str(&b.at)) }
        }
    } }
}

/// The code, once, and its QR code for the phone's camera.
fn code_card(who: &Signed, tech: &str, code: &str) -> Markup {
    let qr = onsite_core::documents::html::qr_svg(code);
    html! {
        section.card.enrollment {
            h2 { (who.tr("激活码", "Enrollment code")) " · " (tech) }
            p { span.code.big { (code) } }
            @if let Some(svg) = qr {
                // The SVG is drawn by the core from the code HQ itself made.
                div.qr { (trusted(svg)) }
            }
            p.muted { (who.tr(
                "此激活码只显示这一次,只能使用一次:请技术员在手机上输入或扫描。",
                "This code is shown this once and works once: the technician types or scans it on the phone."
            )) }
        }
    }
}

#[derive(Deserialize)]
struct NewTechnician {
    #[serde(default)]
    technician_id: String,
    #[serde(default)]
    name: String,
}

async fn add_technician(State(console): State<Console>, p: Posted<NewTechnician>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManageTechnicians)?;
    let (id, name) = (p.form.technician_id.trim(), p.form.name.trim());
    let refused = |problem: &str| Extra {
        problem: Some(problem.to_string()),
        new_id: p.form.technician_id.clone(),
        new_name: p.form.name.clone(),
        ..Extra::default()
    };
    match console
        .store
        .add_technician(&who.actor(), id, name, Repeat::Refused, Utc::now())
        .await
    {
        Ok(()) => Ok(Redirect::to("/technicians?done=added").into_response()),
        Err(HqError::BadRequest(_)) => {
            let m = who.tr(
                "工号为1-64个字母、数字、“-”“_”“.”;姓名为1-100个字符。",
                "A technician id is 1-64 letters, digits, '-', '_' or '.'; a name is 1-100 characters.",
            );
            page(&console, who, StatusCode::UNPROCESSABLE_ENTITY, refused(m)).await
        }
        Err(HqError::Conflict(_)) => {
            let m = who.tr(
                "该工号的技术员已存在。",
                "A technician with this id exists.",
            );
            page(&console, who, StatusCode::CONFLICT, refused(m)).await
        }
        Err(e) => Err(who.fail(&e)),
    }
}

#[derive(Deserialize)]
struct TechnicianId {
    #[serde(default)]
    technician_id: String,
}

async fn enroll(State(console): State<Console>, p: Posted<TechnicianId>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManageTechnicians)?;
    let id = p.form.technician_id.trim();
    match console
        .store
        .new_enrollment(&who.actor(), id, Utc::now())
        .await
    {
        Ok(code) => {
            let extra = Extra {
                code: Some((id.to_string(), code)),
                ..Extra::default()
            };
            page(&console, who, StatusCode::OK, extra).await
        }
        Err(HqError::NotFound(_) | HqError::BadRequest(_)) => {
            let extra = Extra {
                problem: Some(who.tr("找不到该技术员。", "No such technician.").into()),
                ..Extra::default()
            };
            page(&console, who, StatusCode::NOT_FOUND, extra).await
        }
        Err(e) => Err(who.fail(&e)),
    }
}

#[derive(Deserialize)]
struct DeviceId {
    #[serde(default)]
    device_id: String,
}

async fn revoke(State(console): State<Console>, p: Posted<DeviceId>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManageDevices)?;
    match console
        .store
        .revoke_device(
            &who.actor(),
            p.form.device_id.trim(),
            Repeat::Refused,
            Utc::now(),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/technicians?done=revoked").into_response()),
        Err(e @ (HqError::NotFound(_) | HqError::Conflict(_))) => {
            let m = match e {
                HqError::NotFound(_) => who.tr("找不到该设备。", "No such device."),
                _ => who.tr("该设备已被吊销。", "This device is already revoked."),
            };
            let status = if matches!(e, HqError::NotFound(_)) {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::CONFLICT
            };
            let extra = Extra {
                problem: Some(m.into()),
                ..Extra::default()
            };
            page(&console, who, status, extra).await
        }
        Err(e) => Err(who.fail(&e)),
    }
}

/// Revokes a device WITH remote wipe (lost phone, leaving technician): the
/// admin's act, audited `device.wipe` by the store.
async fn wipe(State(console): State<Console>, p: Posted<DeviceId>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManageDevices)?;
    match console
        .store
        .wipe_device(&who.actor(), p.form.device_id.trim(), Utc::now())
        .await
    {
        Ok(()) => Ok(Redirect::to("/technicians?done=wipe").into_response()),
        Err(e @ (HqError::NotFound(_) | HqError::Conflict(_))) => {
            let (m, status) = match e {
                HqError::NotFound(_) => (
                    who.tr("找不到该设备。", "No such device."),
                    StatusCode::NOT_FOUND,
                ),
                _ => (
                    who.tr(
                        "该设备已被要求擦除。",
                        "This device is already ordered wiped.",
                    ),
                    StatusCode::CONFLICT,
                ),
            };
            let extra = Extra {
                problem: Some(m.into()),
                ..Extra::default()
            };
            page(&console, who, status, extra).await
        }
        Err(e) => Err(who.fail(&e)),
    }
}

#[derive(Deserialize)]
struct Retention {
    #[serde(default)]
    days: String,
}

/// Sets how long phones keep a handed-over job's customer data (audited
/// `privacy.phone_retention` by the store).
async fn set_phone_retention(State(console): State<Console>, p: Posted<Retention>) -> PageResult {
    let who = &p.who;
    who.require(Action::ManageDevices)?;
    let refused = || Extra {
        problem: Some(
            who.tr(
                "保留天数须为 1 至 3650 的整数。",
                "The days kept must be a whole number from 1 to 3650.",
            )
            .into(),
        ),
        ..Extra::default()
    };
    let Ok(days) = p.form.days.trim().parse::<u32>() else {
        return page(&console, who, StatusCode::UNPROCESSABLE_ENTITY, refused()).await;
    };
    match console
        .store
        .set_phone_retention_days(&who.actor(), days, Utc::now())
        .await
    {
        Ok(()) => Ok(Redirect::to("/technicians?done=retention").into_response()),
        Err(HqError::BadRequest(_)) => {
            page(&console, who, StatusCode::UNPROCESSABLE_ENTITY, refused()).await
        }
        Err(e) => Err(who.fail(&e)),
    }
}
