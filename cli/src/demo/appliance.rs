//! 家电售后: two fridges. The first is in warranty: the whole service is free,
//! labour and parts (total ¥0.00), once the old compressor is recovered and
//! given a registration number that HQ keeps for review. The second is out of
//! warranty (超保): the control board is charged at the lower of schedule and
//! warranty card; the customer asks for a reduction, the technician explains
//! 三包 and escalates to the service centre while offline, the job waits, and
//! the centre's instruction (reduce) comes back by sync.

use anyhow::Result;
use chrono::Duration;
use onsite_core::charge::{ChargeDispute, CustomerAsk, Instruction};
use onsite_core::checklist::Phase;
use onsite_core::money::Fen;
use onsite_core::quote::{LineItem, LineRequest};
use onsite_core::sample;
use onsite_core::visit::Assessment;
use onsite_hq::api::ChargeInstructionBody;

use super::Session;

fn line(code: &str, card: Option<i64>) -> LineRequest {
    LineRequest {
        item: LineItem::Schedule {
            code: code.into(),
            warranty_card_price_fen: card,
        },
        qty: 1,
        payer: None,
    }
}

pub fn visit(s: &mut Session) -> Result<()> {
    let warranty = "WO-DEMO-AP-01";
    let charged = "WO-DEMO-AP-02";
    let first = s.start + Duration::minutes(40);
    let second = s.start + Duration::hours(3);
    s.n.step(
        "客服中心派出两张家电维修单,手机同步",
        "The service centre dispatches two appliance orders; the phone syncs",
    );
    let tech_id = s.profile.technician_id.clone();
    s.dispatch(&sample::warranty_order(warranty, &tech_id, first))?;
    let mut out_of_warranty = sample::out_of_warranty_order(charged, &tech_id, second);
    out_of_warranty.location = "9栋302室".into();
    out_of_warranty.customer.name = "陈先生".into();
    out_of_warranty.customer.phone = "139-0592-6610".into();
    out_of_warranty.fault = "冷藏室不制冷,显示屏报E1".into();
    s.dispatch(&out_of_warranty)?;
    s.sync()?;
    s.show_order(warranty)?;
    s.show_order(charged)?;

    s.offline(
        "进入小区地下车库:网络中断",
        "Into the estate's underground car park: no network",
    )?;

    // --- the fridge in warranty -------------------------------------------
    let (n, tech, clock) = (&mut s.n, &s.tech, &s.clock);
    n.step(
        "第一单(保修期内):接单、出发、到达",
        "First order (in warranty): accept, leave, arrive",
    );
    tech.accept_job(warranty)?;
    n.checklist(tech, warranty, Phase::BeforeLeaving)?;
    tech.depart(warranty)?;
    clock.set(first - Duration::minutes(2));
    let v = tech.arrive(warranty)?;
    if let Some(p) = v.punctuality {
        n.show(format!(
            "{}: {}",
            n.t("守时判定", "Punctuality"),
            p.label(n.lang)
        ));
    }
    n.checklist(tech, warranty, Phase::Arrival)?;
    tech.assess(
        warranty,
        Assessment {
            inspected_parts: vec!["压缩机 / compressor".into()],
            findings: "压缩机绕组短路,无法启动 / compressor winding shorted".into(),
            repair_items: vec!["更换压缩机 / replace the compressor".into()],
            solution: "更换压缩机,抽真空后加注制冷剂 / replace, evacuate, recharge".into(),
            estimated_minutes: 120,
            withheld: false,
        },
    )?;

    n.step(
        "报价:保修期内,工时和配件全部免费",
        "Quote: in warranty, labour and parts are both free",
    );
    tech.add_quote_line(warranty, &line("AP-S-002", None))?;
    let v = tech.add_quote_line(warranty, &line("AP-P-001", None))?;
    super::show_quote(n, &v);
    let v = tech.present_quote(warranty)?;
    if let Some(t) = &v.quote_totals {
        n.show(format!("{}: {}", n.t("合计", "Total"), t.total));
    }
    tech.customer_consents(warranty, &v.order.customer.name)?;
    tech.start_work(warranty)?;

    n.step(
        "更换压缩机:旧件回收并登记编号(保内免费的条件)",
        "Replace the compressor: the old part recovered and numbered (the condition of a free repair)",
    );
    let mut unnumbered = sample::warranty_replacement();
    unnumbered.old_part_registration = None;
    if let Err(e) = tech.replace_part(warranty, unnumbered) {
        n.refused(&e);
    }
    let replacement = sample::warranty_replacement();
    let v = tech.replace_part(warranty, replacement.clone())?;
    n.show(format!(
        "{}: {} → {}  {}: {}",
        n.t("旧件/新件序列号", "Old/new serial"),
        replacement.old_serial,
        replacement.new_serial,
        n.t("旧件登记编号", "Old part registration"),
        replacement.old_part_registration.unwrap_or_default()
    ));
    n.status(&v);
    n.checklist(tech, warranty, Phase::WorkRules)?;
    clock.advance(Duration::minutes(110));
    tech.finish_work(
        warranty,
        110,
        "更换压缩机,试机制冷正常 / compressor replaced, cools",
    )?;
    super::accept_pay_hand_over(s, warranty, false)?;

    // --- the fridge out of warranty ----------------------------------------
    let (n, tech, clock) = (&mut s.n, &s.tech, &s.clock);
    n.step(
        "第二单(超保):接单、出发、到达",
        "Second order (out of warranty): accept, leave, arrive",
    );
    tech.accept_job(charged)?;
    n.checklist(tech, charged, Phase::BeforeLeaving)?;
    tech.depart(charged)?;
    clock.set(second + Duration::minutes(3));
    let v = tech.arrive(charged)?;
    if let Some(p) = v.punctuality {
        n.show(format!(
            "{}: {}",
            n.t("守时判定", "Punctuality"),
            p.label(n.lang)
        ));
    }
    n.checklist(tech, charged, Phase::Arrival)?;
    tech.assess(
        charged,
        Assessment {
            inspected_parts: vec!["主控板 / control board".into()],
            findings: "主控板继电器烧蚀 / a relay on the control board burnt".into(),
            repair_items: vec!["更换主控板 / replace the control board".into()],
            solution: "更换主控板并试机 / replace the board, test run".into(),
            estimated_minutes: 45,
            withheld: false,
        },
    )?;

    n.step(
        "报价:超保按收费标准,与保修证价格取低者",
        "Quote: out of warranty, per schedule, the lower of schedule and warranty card",
    );
    tech.add_quote_line(charged, &line("AP-S-004", None))?;
    // The customer's warranty card lists the board at ¥220.00, below the schedule's ¥260.00.
    let v = tech.add_quote_line(charged, &line("AP-P-002", Some(22_000)))?;
    super::show_quote(n, &v);
    let v = tech.present_quote(charged)?;
    let total = v.quote_totals.as_ref().map_or(Fen::ZERO, |t| t.total);
    n.show(format!("{}: {total}", n.t("合计", "Total")));

    n.step(
        "客户要求减免:解释三包规定和保修范围,上报客服中心",
        "The customer asks for a reduction: 三包 and the warranty scope explained, escalated to the service centre",
    );
    let v = tech.dispute_charge(
        charged,
        &ChargeDispute {
            disputed: total,
            ask: CustomerAsk::Reduction {
                to: Fen::new(20_000)?,
            },
            explained_sanbao: true,
            explained_warranty_scope: true,
            customer_words: "冰箱刚过保修期两个月,希望减免部分费用".into(),
        },
    )?;
    n.line(
        "已向客户解释国家三包规定及保修期范围;客户仍要求减至 ¥200.00",
        "The national 三包 rules and the warranty scope were explained; the customer still asks for ¥200.00",
    );
    n.status(&v);
    if let Err(e) = tech.customer_consents(charged, &v.order.customer.name) {
        n.refused(&e);
    }
    n.show(format!(
        "{}: {}",
        n.t("待上传(含上报)", "Queued for HQ (the escalation included)"),
        tech.outbox_len()?
    ));

    s.n.step(
        "走出车库:网络恢复;上报到达客服中心,中心批示减至 ¥230.00",
        "Out of the car park: the network returns; the centre receives the escalation and instructs a reduction to ¥230.00",
    );
    s.online()?;
    s.sync()?;
    let reduce = ChargeInstructionBody {
        instruction: Instruction::Reduce {
            to: Fen::new(23_000)?,
        },
        by: "客服中心 主管 林静".into(),
    };
    s.hq(s.api.charge_instruction(charged, &reduce))?;
    s.sync()?;
    let (n, tech, clock) = (&mut s.n, &s.tech, &s.clock);
    let v = tech.job(charged)?;
    if let Some(i) = &v.charge_instruction {
        n.show(format!(
            "{}: {} ({})",
            n.t("中心批示", "Centre's instruction"),
            i.instruction.label(n.lang),
            i.by
        ));
    }
    n.show(format!("{}: {}", n.t("应收", "Due"), v.due_on_site()));
    tech.customer_consents(charged, &v.order.customer.name)?;
    tech.start_work(charged)?;
    n.checklist(tech, charged, Phase::WorkRules)?;
    clock.advance(Duration::minutes(40));
    tech.finish_work(charged, 40, "更换主控板,试机正常 / board replaced, runs")?;
    super::accept_pay_hand_over(s, charged, false)
}
