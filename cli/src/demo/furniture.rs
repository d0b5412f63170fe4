//! 家具配送安装: a bed, its frame and two bedside tables delivered and
//! assembled. The technician contacts the customer five working days ahead
//! and calls an hour before arriving (both recorded with their times),
//! arrives 5-10 minutes early (the furniture book's "on time"), checks the
//! householder's identity before unloading, and the customer accepts the
//! delivery list item by item: the bed frame, scratched, is rejected and goes
//! back to HQ as its own follow-up. The order's outstanding balance (尾款)
//! is collected in cash, checked and counted in front of the customer, as a
//! line of its own on the receipt.

use anyhow::Result;
use chrono::Duration;
use onsite_core::checklist::{Answer, Phase};
use onsite_core::quote::{LineItem, LineRequest};
use onsite_core::sample;
use onsite_core::visit::{Assessment, ContactKind, Visit};

use super::Session;

fn show_contact(s: &Session, v: &Visit, kind: ContactKind) {
    let n = &s.n;
    if let Some(c) = v.contact(kind) {
        n.show(format!(
            "{}: {} ({})",
            kind.label(n.lang),
            n.local(c.at),
            if c.late {
                n.t("晚于规定", "later than the book asks")
            } else {
                n.t("按时", "in time")
            }
        ));
    }
}

pub fn visit(s: &mut Session) -> Result<()> {
    let job = "WO-DEMO-FU-01";
    // The delivery is booked eight days out: time for the five-working-day call.
    let appointment = s.start + Duration::days(8) + Duration::hours(2);
    s.n.step(
        "客服中心派出送货安装单(送货清单、尾款),手机同步",
        "The service centre dispatches a delivery (delivery list, balance due); the phone syncs",
    );
    let tech_id = s.profile.technician_id.clone();
    let mut order = sample::furniture_order(job, &tech_id, appointment);
    order.reported_at = s.start - Duration::hours(2);
    order.dispatched_at = s.start - Duration::hours(1);
    // 尾款: what the customer still owes on the purchase, collected on delivery.
    order.unpaid_balance_fen = 128_000;
    s.dispatch(&order)?;
    s.sync()?;
    let v = s.show_order(job)?;
    let n = &s.n;
    for (i, item) in v.order.delivery_items.iter().enumerate() {
        n.show(format!(
            "{} {}: {} / {} / {} × {}",
            n.t("送货清单", "Delivery list"),
            i + 1,
            item.model,
            item.colour,
            item.size,
            item.quantity
        ));
    }
    n.show(format!(
        "{}: {}",
        n.t("尾款", "Balance due"),
        onsite_core::money::Fen::new(v.order.unpaid_balance_fen)?
    ));

    let (n, tech, clock) = (&mut s.n, &s.tech, &s.clock);
    n.step(
        "接单,并提前五个工作日与客户确认上门时间",
        "Accept, and confirm the time with the customer five working days ahead",
    );
    tech.accept_job(job)?;
    clock.advance(Duration::hours(1));
    let v = tech.record_contact(
        job,
        ContactKind::AdvanceNotice,
        n.t(
            "客户确认送货当天上午在家,电梯可用",
            "the customer will be home that morning; the lift works",
        ),
    )?;
    show_contact(s, &v, ContactKind::AdvanceNotice);

    s.offline(
        "送货当天:货车驶入小区地库,网络中断",
        "Delivery day: the truck drives into the estate's car park, no network",
    )?;
    let (n, tech, clock) = (&mut s.n, &s.tech, &s.clock);
    n.step("出发前核对货品", "Check the goods before leaving");
    clock.set(appointment - Duration::minutes(90));
    // 「查看客户是否有尾款未收」: this order has one, to collect on delivery.
    tech.answer(
        job,
        "furniture.before_leaving",
        "unpaid_balance",
        Answer::YesNo(true),
    )?;
    tech.answer(
        job,
        "furniture.before_leaving",
        "balance_plan",
        Answer::Text(
            n.t(
                "送货时收取尾款¥1280.00",
                "collect the ¥1280.00 balance on delivery",
            )
            .into(),
        ),
    )?;
    n.checklist(tech, job, Phase::BeforeLeaving)?;
    tech.depart(job)?;
    n.step(
        "上门前1小时再次电话联系客户",
        "Call the customer an hour before arriving",
    );
    clock.set(appointment - Duration::minutes(62));
    let v = tech.record_contact(job, ContactKind::HourBeforeCall, "")?;
    show_contact(s, &v, ContactKind::HourBeforeCall);

    let (n, tech, clock) = (&mut s.n, &s.tech, &s.clock);
    n.step(
        "提前8分钟到达(家具配送:提前5-10分钟为准时)",
        "Arrive 8 minutes early (furniture: 5-10 minutes early is on time)",
    );
    clock.set(appointment - Duration::minutes(8));
    let v = tech.arrive(job)?;
    if let Some(p) = v.punctuality {
        n.show(format!(
            "{}: {}",
            n.t("守时判定", "Punctuality"),
            p.label(n.lang)
        ));
    }
    n.checklist(tech, job, Phase::Arrival)?;

    n.step(
        "卸货前核实户主身份",
        "Check the householder's identity before unloading",
    );
    if let Err(e) = tech.decide_delivery_item(job, 1, sample::accepted()) {
        n.refused(&e);
    }
    let name = v.order.customer.name.clone();
    let v = tech.check_identity(job, sample::householder_check(&name))?;
    if let Some(c) = &v.identity_check {
        n.show(format!(
            "{}: {} ({} ****{})",
            n.t("户主身份已核实", "Householder's identity checked"),
            c.householder_name,
            n.t("身份证后四位", "ID card, last four"),
            c.id_last4.as_deref().unwrap_or_default()
        ));
    }

    n.step("搬运、安装", "Carry in and assemble");
    tech.assess(
        job,
        Assessment {
            inspected_parts: vec!["主卧 / master bedroom".into()],
            findings: "安装位置平整,电梯可用 / level floor, lift available".into(),
            repair_items: vec!["床架安装 / assemble the bed frame".into()],
            solution: "床架组装、床垫就位、床头柜摆放 / assemble, place".into(),
            estimated_minutes: 90,
            withheld: false,
        },
    )?;
    let v = tech.add_quote_line(
        job,
        &LineRequest {
            item: LineItem::Schedule {
                code: "FU-S-004".into(),
                warranty_card_price_fen: None,
            },
            qty: 1,
            payer: None,
        },
    )?;
    super::show_quote(n, &v);
    tech.present_quote(job)?;
    tech.customer_consents(job, &name)?;
    tech.start_work(job)?;
    n.checklist(tech, job, Phase::WorkRules)?;
    clock.advance(Duration::minutes(80));
    tech.finish_work(
        job,
        80,
        "床架组装完毕,床垫、床头柜就位 / assembled and placed",
    )?;

    n.step(
        "按送货清单逐项验收",
        "The customer checks the delivery list item by item",
    );
    tech.decide_delivery_item(job, 1, sample::accepted())?;
    tech.decide_delivery_item(
        job,
        2,
        sample::rejected("床架右侧板划伤约5厘米,客户拒收,退回换货"),
    )?;
    let v = tech.decide_delivery_item(job, 3, sample::accepted())?;
    for (i, item) in v.order.delivery_items.iter().enumerate() {
        let Some(d) = u32::try_from(i + 1)
            .ok()
            .and_then(|no| v.item_decisions.get(&no))
        else {
            continue;
        };
        n.show(format!(
            "{}. {} {} — {}{}",
            i + 1,
            item.model,
            item.colour,
            if d.accepted {
                n.t("接收", "accepted")
            } else {
                n.t("拒收", "rejected")
            },
            if d.note.is_empty() {
                String::new()
            } else {
                format!(": {}", d.note)
            }
        ));
    }
    // The rejected frame was damaged: the completion check records it, with a photo.
    tech.answer(
        job,
        "furniture.completion",
        "damage_found",
        Answer::YesNo(true),
    )?;
    super::accept_pay_hand_over(s, job, false)
}
