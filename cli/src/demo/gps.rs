//! GPS 安装维修: a terminal installed in a logistics company's truck. The
//! order carries the vehicle (plate, model, driver); the driver's phone is
//! corrected on site; design and installation are free (total ¥0.00); a
//! harness clip short on site is recorded with the centre's oral approval;
//! the terminal and SIM numbers are recorded and reach HQ.

use anyhow::Result;
use chrono::Duration;
use onsite_core::checklist::{Answer, Phase};
use onsite_core::clock::Clock;
use onsite_core::order::Vehicle;
use onsite_core::quote::{LineItem, LineRequest};
use onsite_core::sample;
use onsite_core::visit::{Assessment, PartsShortApproval};

use super::Session;

const COMPLETION: &str = "gps_install.completion";

fn line(code: &str) -> LineRequest {
    LineRequest {
        item: LineItem::Schedule {
            code: code.into(),
            warranty_card_price_fen: None,
        },
        qty: 1,
        payer: None,
    }
}

fn show_vehicle(s: &Session, v: &Vehicle) {
    let n = &s.n;
    n.show(format!(
        "{}: {}  {}: {}  {}: {} {}",
        n.t("车牌", "Plate"),
        v.plate,
        n.t("车型", "Vehicle"),
        v.model,
        n.t("司机", "Driver"),
        v.driver_name,
        v.driver_phone
    ));
}

pub fn visit(s: &mut Session) -> Result<()> {
    let job = "WO-DEMO-GPS-01";
    let appointment = s.start + Duration::minutes(50);
    s.n.step(
        "客服中心派出GPS安装单(含车辆信息),手机同步",
        "The service centre dispatches a GPS installation with the vehicle's details; the phone syncs",
    );
    let tech_id = s.profile.technician_id.clone();
    s.dispatch(&sample::gps_install_order(job, &tech_id, appointment))?;
    s.sync()?;
    let v = s.show_order(job)?;
    if let Some(vehicle) = &v.order.vehicle {
        show_vehicle(s, vehicle);
    }

    s.offline(
        "物流园停车场信号弱:网络中断",
        "The logistics park's car park has no signal: offline",
    )?;
    let (n, tech, clock) = (&mut s.n, &s.tech, &s.clock);
    n.step(
        "接单、出发前检查、出发",
        "Accept, before-leaving checklist, leave",
    );
    tech.accept_job(job)?;
    n.checklist(tech, job, Phase::BeforeLeaving)?;
    tech.depart(job)?;
    n.step("到达车辆旁", "Arrive at the vehicle");
    clock.set(appointment - Duration::minutes(3));
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
        "核对车辆:司机换了手机号,现场更正",
        "Check the vehicle: the driver has a new phone number, corrected on site",
    );
    let corrected = Vehicle {
        driver_phone: "138-2600-7781".into(),
        ..v.order.vehicle.clone().unwrap_or_else(sample::vehicle)
    };
    let v = tech.correct_vehicle(job, corrected)?;
    if let Some(vehicle) = &v.order.vehicle {
        let n = &*n;
        n.show(format!(
            "{}: {}  {}: {}  {}: {} {}",
            n.t("车牌", "Plate"),
            vehicle.plate,
            n.t("车型", "Vehicle"),
            vehicle.model,
            n.t("司机", "Driver"),
            vehicle.driver_name,
            vehicle.driver_phone
        ));
    }
    tech.assess(
        job,
        Assessment {
            inspected_parts: vec!["仪表台下方 / under the dashboard".into()],
            findings: "新车,仪表台下方有隐蔽安装位置 / new truck, a hidden mounting place".into(),
            repair_items: vec!["安装GPS终端 / install the terminal".into()],
            solution: "终端固定于仪表台下方,线束隐藏走线 / mount, hide the wiring".into(),
            estimated_minutes: 60,
            withheld: false,
        },
    )?;

    n.step(
        "报价:方案设计和现场安装免费",
        "Quote: design and installation on site are free",
    );
    tech.add_quote_line(job, &line("GP-S-000"))?;
    let v = tech.add_quote_line(job, &line("GP-S-001"))?;
    super::show_quote(n, &v);
    let v = tech.present_quote(job)?;
    if let Some(t) = &v.quote_totals {
        n.show(format!("{}: {}", n.t("合计", "Total"), t.total));
    }
    tech.customer_consents(job, &v.order.customer.name)?;
    tech.start_work(job)?;

    n.step(
        "现场缺一个线束卡扣:电话请示中心,口头批准并记录",
        "A harness clip is short on site: the centre approves by phone, recorded",
    );
    let v = tech.record_parts_short(
        job,
        PartsShortApproval {
            what_short: "线束固定卡扣 2 个".into(),
            approver: "GPS事业部 王经理".into(),
            approved_at: clock.now(),
            instruction: "先用扎带固定,三日内上门补装卡扣".into(),
        },
    )?;
    for p in &v.parts_short {
        n.show(format!(
            "{}: {} / {} {} / {}",
            n.t("缺件", "Short"),
            p.what_short,
            p.approver,
            n.local(p.approved_at),
            p.instruction
        ));
    }
    n.checklist(tech, job, Phase::WorkRules)?;
    clock.advance(Duration::minutes(55));
    tech.finish_work(
        job,
        55,
        "终端安装完毕,平台显示在线 / installed, online on the platform",
    )?;

    n.step(
        "记录终端编号和SIM卡号",
        "Record the terminal and SIM card numbers",
    );
    tech.answer(
        job,
        COMPLETION,
        "terminal_number",
        Answer::Text("T860000937".into()),
    )?;
    tech.answer(
        job,
        COMPLETION,
        "sim_number",
        Answer::Text("1440098765432".into()),
    )?;
    n.show(format!(
        "{}: T860000937  {}: 1440098765432",
        n.t("终端编号", "Terminal"),
        n.t("SIM卡号", "SIM")
    ));
    super::accept_pay_hand_over(s, job, false)
}
