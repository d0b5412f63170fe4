//! The work order form: every field of a work order, prefilled from a call;
//! the recorder is the signed-in person.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use maud::html;
use onsite_core::order::{
    validate_id, Customer, DeliveryItem, Payer, Product, Vehicle, WorkOrder, MAX_ITEM_QUANTITY,
};
use serde::Deserialize;

use super::{category_label, category_of};
use crate::centre::desk::{self, TechnicianRow};
use crate::centre::people::Action;
use crate::console::page::{china, form_problem, layout, problem, urlencode, PageResult};
use crate::console::session::{Posted, Signed};
use crate::console::Console;
use crate::error::HqError;

/// The order form's fields, as typed (shown again on a refusal).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct OrderForm {
    call: String,
    category: String,
    site: String,
    customer_name: String,
    customer_phone: String,
    location: String,
    reported_at: String,
    appointment_at: String,
    urgent: String,
    service: String,
    fault: String,
    product_model: String,
    product_serial: String,
    product_purchase_date: String,
    product_in_warranty: String,
    desired_completion_at: String,
    default_payer: String,
    unpaid_balance: String,
    vehicle_plate: String,
    vehicle_model: String,
    driver_name: String,
    driver_phone: String,
    /// One item a line: `model | colour | size | quantity`.
    delivery_items: String,
    technician_id: String,
}

type Refusal = (String, StatusCode);

/// A typed text: `max` characters at most, not blank if `required`.
pub(super) fn text(
    who: &Signed,
    label: &str,
    s: &str,
    max: usize,
    required: bool,
) -> Result<(), Refusal> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    if required && s.trim().is_empty() {
        return Err((
            format!("{label}{}", who.tr(":请填写。", ": fill it in.")),
            status,
        ));
    }
    if s.chars().count() > max {
        return Err((
            format!(
                "{label}{}{max}{}",
                who.tr(":最多 ", ": at most "),
                who.tr(" 个字。", " characters.")
            ),
            status,
        ));
    }
    if desk::check_text("", s, max, false).is_err() {
        return Err((
            format!(
                "{label}{}",
                who.tr(":含有不可见字符。", ": has control characters.")
            ),
            status,
        ));
    }
    Ok(())
}

/// A `datetime-local` value in China time (`2026-11-28T14:30`).
pub(super) fn china_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?
        .and_local_timezone(china())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// A time as a `datetime-local` value in China time.
pub(super) fn china_input(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn payer_of(s: &str) -> Option<Payer> {
    match s {
        "owner" => Some(Payer::Owner),
        "property" => Some(Payer::Property),
        "maintenance_fund" => Some(Payer::MaintenanceFund),
        _ => None,
    }
}

fn bad(msg: String) -> Refusal {
    (msg, StatusCode::UNPROCESSABLE_ENTITY)
}

/// Checks the whole form before anything is written: a work order (its
/// number, dispatch time and recorder set by HQ), or why not.
fn order_of(who: &Signed, f: &OrderForm, techs: &[TechnicianRow]) -> Result<WorkOrder, Refusal> {
    let t = |zh: &'static str, en: &'static str| who.tr(zh, en).to_string();
    let category =
        category_of(&f.category).ok_or_else(|| bad(t("请选择类别。", "Choose a category.")))?;
    text(who, who.tr("楼盘", "Site"), &f.site, 200, false)?;
    text(who, who.tr("客户", "Customer"), &f.customer_name, 100, true)?;
    text(who, who.tr("电话", "Phone"), &f.customer_phone, 40, false)?;
    text(
        who,
        who.tr("房号/地点", "Room / location"),
        &f.location,
        200,
        true,
    )?;
    text(who, who.tr("服务项目", "Service"), &f.service, 500, false)?;
    text(who, who.tr("故障描述", "Fault"), &f.fault, 4000, true)?;
    let reported_at = china_time(&f.reported_at).ok_or_else(|| {
        bad(t(
            "报修时间:请填写日期和时间。",
            "Reported at: enter a date and time.",
        ))
    })?;
    let appointment_at = china_time(&f.appointment_at).ok_or_else(|| {
        bad(t(
            "预约时间:请填写日期和时间。",
            "Appointment: enter a date and time.",
        ))
    })?;
    let desired_completion_at = if f.desired_completion_at.trim().is_empty() {
        None
    } else {
        Some(china_time(&f.desired_completion_at).ok_or_else(|| {
            bad(t(
                "希望完成时间:日期时间格式不对。",
                "Desired completion: not a date and time.",
            ))
        })?)
    };
    let default_payer =
        payer_of(&f.default_payer).ok_or_else(|| bad(t("请选择付费方。", "Choose who pays.")))?;
    let unpaid_balance_fen = if f.unpaid_balance.trim().is_empty() {
        0
    } else {
        desk::fen_of(&f.unpaid_balance, onsite_core::money::MAX_AMOUNT_FEN).ok_or_else(|| {
            bad(t(
                "欠费金额:请填写金额(元,最多两位小数)。",
                "Unpaid balance: enter an amount in yuan (at most two decimals).",
            ))
        })?
    };
    let product = if f.product_model.trim().is_empty() && f.product_serial.trim().is_empty() {
        None
    } else {
        text(
            who,
            who.tr("产品型号", "Product model"),
            &f.product_model,
            200,
            false,
        )?;
        text(
            who,
            who.tr("产品序列号", "Serial number"),
            &f.product_serial,
            200,
            false,
        )?;
        let purchase_date = if f.product_purchase_date.trim().is_empty() {
            None
        } else {
            Some(
                NaiveDate::parse_from_str(f.product_purchase_date.trim(), "%Y-%m-%d")
                    .map_err(|_| bad(t("购买日期格式不对。", "Purchase date: not a date.")))?,
            )
        };
        Some(Product {
            model: f.product_model.trim().into(),
            serial: f.product_serial.trim().into(),
            purchase_date,
            in_warranty: !f.product_in_warranty.is_empty(),
        })
    };
    let vehicle = if f.vehicle_plate.trim().is_empty() {
        None
    } else {
        text(who, who.tr("车牌号", "Plate"), &f.vehicle_plate, 20, true)?;
        text(
            who,
            who.tr("车型", "Vehicle model"),
            &f.vehicle_model,
            100,
            false,
        )?;
        text(who, who.tr("司机", "Driver"), &f.driver_name, 100, false)?;
        text(
            who,
            who.tr("司机电话", "Driver's phone"),
            &f.driver_phone,
            40,
            false,
        )?;
        Some(Vehicle {
            plate: f.vehicle_plate.trim().into(),
            model: f.vehicle_model.trim().into(),
            driver_name: f.driver_name.trim().into(),
            driver_phone: f.driver_phone.trim().into(),
        })
    };
    let mut delivery_items = Vec::new();
    for l in f.delivery_items.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = l.split('|').map(str::trim).collect();
        let quantity = parts
            .get(3)
            .and_then(|q| q.parse::<u32>().ok())
            .filter(|q| (1..=MAX_ITEM_QUANTITY).contains(q));
        let (Some(model), Some(quantity)) = (parts.first().filter(|m| !m.is_empty()), quantity)
        else {
            return Err(bad(t(
                "送货清单:每行写“型号 | 颜色 | 尺寸 | 件数”,件数 1 到 9999。",
                "Delivery list: one line each, \"model | colour | size | pieces\", 1 to 9999 pieces.",
            )));
        };
        for s in parts.iter().take(3) {
            text(who, who.tr("送货清单", "Delivery list"), s, 200, false)?;
        }
        delivery_items.push(DeliveryItem {
            model: (*model).into(),
            colour: parts.get(1).copied().unwrap_or_default().into(),
            size: parts.get(2).copied().unwrap_or_default().into(),
            quantity,
        });
    }
    if delivery_items.len() > 200 {
        return Err(bad(t(
            "送货清单最多 200 行。",
            "A delivery list has at most 200 lines.",
        )));
    }
    let technician_id = f.technician_id.trim().to_string();
    if !technician_id.is_empty()
        && (validate_id(onsite_core::error::Field::TechnicianId, &technician_id).is_err()
            || !techs.iter().any(|x| x.technician_id == technician_id))
    {
        return Err(bad(t(
            "找不到该技术员,请从列表中选择,或留空放入待派工队列。",
            "No such technician: choose one from the list, or leave it empty to queue the order.",
        )));
    }
    Ok(WorkOrder {
        job_id: String::new(),
        category,
        site: f.site.trim().into(),
        customer: Customer {
            name: f.customer_name.trim().into(),
            phone: f.customer_phone.trim().into(),
        },
        location: f.location.trim().into(),
        reported_at,
        dispatched_at: Utc::now(),
        appointment_at,
        urgent: !f.urgent.is_empty(),
        service: f.service.trim().into(),
        fault: f.fault.trim().into(),
        product,
        recorder: who.person.display_name.clone(),
        desired_completion_at,
        default_payer,
        technician_id,
        unpaid_balance_fen,
        vehicle,
        delivery_items,
        complained_before: false,
    })
}

#[derive(Deserialize, Default)]
pub(super) struct NewQuery {
    call: Option<String>,
}

pub(super) async fn new_order(
    State(console): State<Console>,
    who: Signed,
    Query(q): Query<NewQuery>,
) -> PageResult {
    who.require(Action::WriteOrder)?;
    let now = Utc::now();
    let mut f = OrderForm {
        reported_at: china_input(now),
        appointment_at: china_input(now + chrono::Duration::hours(2)),
        default_payer: "owner".into(),
        ..OrderForm::default()
    };
    if let Some(id) = q.call.as_deref().filter(|s| !s.is_empty()) {
        let id: i64 = id
            .trim()
            .parse()
            .map_err(|_| who.fail(&HqError::NotFound("call".into())))?;
        let c = console.store.call(id).await.map_err(|e| who.fail(&e))?;
        f.call = id.to_string();
        f.category = c.call.category.as_str().into();
        f.customer_name = c.call.caller;
        f.customer_phone = c.call.phone;
        f.site = c.call.site;
        f.location = c.call.location;
        f.fault = c.call.request;
        f.reported_at = china_input(c.received_at);
    }
    order_page(&console, &who, &f, None, StatusCode::OK).await
}

async fn order_page(
    console: &Console,
    who: &Signed,
    f: &OrderForm,
    problem: Option<&str>,
    status: StatusCode,
) -> PageResult {
    let techs = console
        .store
        .technicians()
        .await
        .map_err(|e| who.fail(&e))?;
    let title = who.tr("开工单", "Write a work order");
    let payers = [
        ("owner", who.tr("业户付费", "Owner")),
        ("property", who.tr("物业", "Property")),
        ("maintenance_fund", who.tr("维修基金", "Maintenance fund")),
    ];
    let body = html! {
        h1 { (title) }
        form.card method="post" action="/orders" {
            (who.csrf_field())
            (form_problem(problem))
            input type="hidden" name="call" value=(f.call);
            div.grid {
                label { (who.tr("类别", "Category"))
                    select name="category" {
                        @for c in onsite_core::checklist::Category::ALL {
                            option value=(c.as_str()) selected[f.category == c.as_str()] { (category_label(who, c)) }
                        }
                    }
                }
                label { (who.tr("楼盘", "Site")) input name="site" maxlength="200" value=(f.site); }
                label { (who.tr("客户(报修人)", "Customer")) input name="customer_name" required maxlength="100" value=(f.customer_name); }
                label { (who.tr("电话", "Phone")) input name="customer_phone" type="tel" maxlength="40" value=(f.customer_phone); }
                label { (who.tr("房号/地点", "Room / location")) input name="location" required maxlength="200" value=(f.location); }
                label { (who.tr("报修时间", "Reported at")) input name="reported_at" type="datetime-local" required value=(f.reported_at); }
                label { (who.tr("预约时间", "Appointment")) input name="appointment_at" type="datetime-local" required value=(f.appointment_at); }
                label { input name="urgent" type="checkbox" value="on" checked[!f.urgent.is_empty()];
                    (who.tr("紧急(30 分钟内到场)", "Urgent (on site within 30 minutes)")) }
                label { (who.tr("希望完成时间", "Desired completion")) input name="desired_completion_at" type="datetime-local" value=(f.desired_completion_at); }
                label { (who.tr("费用支付", "Who pays")) select name="default_payer" {
                    @for (v, l) in payers { option value=(v) selected[f.default_payer == v] { (l) } }
                } }
                label { (who.tr("欠费金额(元)", "Unpaid balance (yuan)")) input name="unpaid_balance" inputmode="decimal" maxlength="20" value=(f.unpaid_balance); }
                label { (who.tr("技术员(留空则待派工)", "Technician (empty: queue it)"))
                    select name="technician_id" {
                        option value="" { (who.tr("— 待派工 —", "— unassigned —")) }
                        @for t in &techs {
                            option value=(t.technician_id) selected[f.technician_id == t.technician_id] { (t.name) " (" (t.technician_id) ")" }
                        }
                    }
                }
                label { (who.tr("记录人", "Recorder")) input name="recorder_shown" readonly value=(who.person.display_name); }
            }
            label { (who.tr("服务项目", "Service")) input name="service" maxlength="500" value=(f.service); }
            label { (who.tr("故障描述", "Fault")) textarea name="fault" required maxlength="4000" { (f.fault) } }
            fieldset {
                legend { (who.tr("产品(家电)", "Product (appliances)")) }
                div.grid {
                    label { (who.tr("型号", "Model")) input name="product_model" maxlength="200" value=(f.product_model); }
                    label { (who.tr("序列号", "Serial")) input name="product_serial" maxlength="200" value=(f.product_serial); }
                    label { (who.tr("购买日期", "Purchased")) input name="product_purchase_date" type="date" value=(f.product_purchase_date); }
                    label { input name="product_in_warranty" type="checkbox" value="on" checked[!f.product_in_warranty.is_empty()]; (who.tr("保修期内", "In warranty")) }
                }
            }
            fieldset {
                legend { (who.tr("车辆(GPS)", "Vehicle (GPS)")) }
                div.grid {
                    label { (who.tr("车牌号", "Plate")) input name="vehicle_plate" maxlength="20" value=(f.vehicle_plate); }
                    label { (who.tr("车型", "Model")) input name="vehicle_model" maxlength="100" value=(f.vehicle_model); }
                    label { (who.tr("司机", "Driver")) input name="driver_name" maxlength="100" value=(f.driver_name); }
                    label { (who.tr("司机电话", "Driver's phone")) input name="driver_phone" maxlength="40" value=(f.driver_phone); }
                }
            }
            label { (who.tr("送货清单(家具,每行:型号 | 颜色 | 尺寸 | 件数)", "Delivery list (furniture; a line each: model | colour | size | pieces)"))
                textarea name="delivery_items" { (f.delivery_items) } }
            button type="submit" { (who.tr("开单", "Write the order")) }
        }
    };
    Ok((status, layout(who, "/reception", title, body)).into_response())
}

pub(super) async fn write_order(
    State(console): State<Console>,
    p: Posted<OrderForm>,
) -> PageResult {
    let who = p.who;
    who.require(Action::WriteOrder)?;
    let f = p.form;
    // Naming a technician dispatches the order at once.
    if !f.technician_id.trim().is_empty() {
        who.require(Action::Dispatch)?;
    }
    let call = if f.call.trim().is_empty() {
        None
    } else {
        match f.call.trim().parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let msg = who.tr("来电记录编号不对。", "No such call.");
                return order_page(&console, &who, &f, Some(msg), StatusCode::NOT_FOUND).await;
            }
        }
    };
    let techs = console
        .store
        .technicians()
        .await
        .map_err(|e| who.fail(&e))?;
    let order = match order_of(&who, &f, &techs) {
        Ok(o) => o,
        Err((msg, status)) => return order_page(&console, &who, &f, Some(&msg), status).await,
    };
    match console
        .store
        .write_order(
            &who.actor(),
            &who.person.display_name,
            order,
            call,
            Utc::now(),
        )
        .await
    {
        Ok(job) => Ok(Redirect::to(&format!(
            "/orders?q={}&written={}",
            urlencode(&job),
            urlencode(&job)
        ))
        .into_response()),
        Err(e) => {
            let msg = problem(who.lang, &e);
            let status = who.fail(&e).status;
            order_page(&console, &who, &f, Some(&msg), status).await
        }
    }
}
