//! 物业维修: a kitchen leak in a flat. The quote takes the fee schedule's own
//! item for the fault (an angle valve replacement) plus an off-schedule line a
//! supervisor approves by phone; the customer's own valve fails inspection and
//! is used by concession; the owner pays cash and gets a numbered receipt.

use anyhow::{Context as _, Result};
use chrono::Duration;
use onsite_core::checklist::Phase;
use onsite_core::clock::Clock;
use onsite_core::material::{ConcessionNote, Inspection, MaterialRequest, Source, Verdict};
use onsite_core::quote::{approval_code, LineItem, LineKind, LineRequest};
use onsite_core::sample;
use onsite_core::visit::Assessment;

use super::Session;

pub fn visit(s: &mut Session) -> Result<()> {
    let job = "WO-DEMO-0001";
    let appointment = s.start + Duration::minutes(40);
    s.n.step(
        "客服中心派工,手机同步",
        "The service centre dispatches a work order; the phone syncs",
    );
    s.dispatch(&sample::leak_order(
        job,
        &s.profile.technician_id,
        appointment,
    ))?;
    s.sync()?;
    let o = s.show_order(job)?.order;

    s.offline(
        "进入地下室:网络中断(总部不可达)",
        "Into the basement: no network (HQ unreachable)",
    )?;
    let (n, tech, clock) = (&mut s.n, &s.tech, &s.clock);
    n.step(
        "接单并电话确认预约",
        "Accept the job and confirm the appointment by phone",
    );
    n.status(&tech.accept_job(job)?);

    n.step("出发前检查", "Before-leaving checklist");
    if let Err(e) = tech.depart(job) {
        n.refused(&e);
    }
    n.checklist(tech, job, Phase::BeforeLeaving)?;
    clock.advance(Duration::minutes(5));
    n.status(&tech.depart(job)?);

    n.step(
        "到达现场(堵车,晚到几分钟)",
        "Arrive on site (a traffic jam: a few minutes late)",
    );
    clock.set(appointment + Duration::minutes(8));
    // The verdict is computed, never ticked: the screen shows it before arriving.
    let preview = tech.punctuality_now(job)?;
    n.show(format!(
        "{}: {}",
        n.t("守时判定(预览)", "Punctuality (preview)"),
        preview.label(n.lang)
    ));
    if let Err(e) = tech.arrive(job) {
        n.refused(&e);
    }
    let v = tech.arrive_with_reason(job, n.t("环岛路施工堵车", "road works on the ring road"))?;
    n.show(format!(
        "{}: {}",
        n.t("到达时间", "Arrived at"),
        n.local(clock.now())
    ));
    if let Some(p) = v.punctuality {
        n.show(format!(
            "{}: {}",
            n.t("守时判定", "Punctuality"),
            p.label(n.lang)
        ));
    }
    n.checklist(tech, job, Phase::Arrival)?;

    n.step("查勘故障", "Assess the fault");
    let v = tech.assess(
        job,
        Assessment {
            inspected_parts: vec!["水槽下方角阀 / angle valve under the sink".into()],
            findings: "角阀老化,密封圈失效 / the valve is worn, its seal failed".into(),
            repair_items: vec!["更换角阀 / replace the angle valve".into()],
            solution: "关闭总阀,更换角阀,通水试验 / shut the main, replace, test".into(),
            estimated_minutes: 40,
            withheld: false,
        },
    )?;
    n.status(&v);

    n.step(
        "报价(收费标准 + 标准外项目)",
        "Quote (fee schedule + an off-schedule item)",
    );
    // The schedule's own item for this fault: 更换角阀 (replace an angle valve).
    tech.add_quote_line(
        job,
        &LineRequest {
            item: LineItem::Schedule {
                code: "PR-S-002".into(),
                warranty_card_price_fen: None,
            },
            qty: 1,
            payer: None,
        },
    )?;
    let v = tech.add_quote_line(
        job,
        &LineRequest {
            item: LineItem::OffSchedule {
                kind: LineKind::Service,
                description: n
                    .t("拆装地柜底板", "remove and refit the cabinet base panel")
                    .into(),
                unit_price_fen: 8_000,
            },
            qty: 1,
            payer: None,
        },
    )?;
    super::show_quote(n, &v);
    if let Err(e) = tech.present_quote(job) {
        n.refused(&e);
    }
    let line = v.quote_lines.last().context("no quote line")?.clone();
    // The supervisor's tool computes the code from the same key HQ shares with the device.
    let code = approval_code(s.profile.approval_key.as_bytes(), job, &line);
    n.show(format!(
        "{} {code}",
        n.t(
            "主管陈工电话确认,审批码",
            "Supervisor Chen approves by phone, code"
        )
    ));
    tech.approve_quote_line(job, line.line_no, "主管 陈工", &code)?;
    let v = tech.present_quote(job)?;
    if let Some(t) = &v.quote_totals {
        n.show(format!("{}: {}", n.t("合计", "Total"), t.total));
    }
    n.status(&v);

    n.step("客户同意报价", "The customer consents to the quote");
    n.status(&tech.customer_consents(job, &o.customer.name)?);

    n.step(
        "客户自备材料:检验与让步使用",
        "Customer-supplied material: inspection and concession",
    );
    tech.add_material(
        job,
        &MaterialRequest {
            material_id: "m1".into(),
            source: Source::CustomerSupplied,
            // What the technician types, in the language they work in.
            description: n
                .t(
                    "客户自购角阀(塑料阀芯)",
                    "customer's own angle valve (plastic cartridge)",
                )
                .into(),
            qty: 1,
            part_code: None,
        },
    )?;
    tech.inspect_material(
        job,
        "m1",
        Inspection {
            verdict: Verdict::Fail,
            findings: "阀芯为塑料材质,耐压偏低".into(),
            photos: vec![],
            at: clock.now(),
        },
    )?;
    n.line(
        "检验结果:不合格(塑料阀芯,耐压偏低)",
        "Inspection: FAIL (plastic cartridge, low pressure rating)",
    );
    tech.start_work(job)?;
    if let Err(e) = tech.use_material(job, "m1") {
        n.refused(&e);
    }
    tech.note_concession(
        job,
        "m1",
        ConcessionNote {
            defect: "塑料阀芯,耐压偏低".into(),
            explanation: "已告知可能提前老化漏水,建议使用铜芯角阀;客户坚持使用自购件".into(),
            customer_name: o.customer.name.clone(),
            customer_consents: true,
            consented_at: clock.now(),
        },
    )?;
    n.line(
        "让步使用说明已记录:问题、解释、客户同意及时间",
        "Concession note recorded: defect, explanation, customer's consent and time",
    );
    let v = tech.use_material(job, "m1")?;
    n.status(&v);

    n.step("施工规范", "Work rules on site");
    n.checklist(tech, job, Phase::WorkRules)?;
    clock.advance(Duration::minutes(45));
    n.status(&tech.finish_work(
        job,
        45,
        "更换角阀,通水试验无渗漏 / valve replaced, no leak under test",
    )?);

    super::accept_pay_hand_over(s, job, true)
}
