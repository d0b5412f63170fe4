//! The demo: one complete visit on sample data, narrated step by step.
//!
//! It drives the same public API a phone shell does, on a real SQLite file,
//! and shows the rules at work: a quote that cannot be shown until the
//! supervisor approves its off-schedule line, customer material that fails
//! inspection and is used by concession, the customer's signature bound to
//! what was accepted, payment with change, and a numbered receipt.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Duration, FixedOffset, Timelike, Utc};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::clock::{Clock, ManualClock};
use onsite_core::locale::Lang;
use onsite_core::material::{ConcessionNote, Inspection, MaterialRequest, Source, Verdict};
use onsite_core::payment::Method;
use onsite_core::quote::{approval_code, LineItem, LineKind, LineRequest};
use onsite_core::sample;
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::visit::{Assessment, Rating, Visit};
use onsite_core::{AcceptanceInput, Profile, SignInput, Technician};

/// The technician's local time: China Standard Time.
fn cst() -> FixedOffset {
    onsite_core::documents::china_time()
}

struct Narrator {
    lang: Lang,
    step: u32,
}

impl Narrator {
    fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }

    fn step(&mut self, zh: &str, en: &str) {
        self.step += 1;
        println!("\n[{:02}] {}", self.step, self.t(zh, en));
    }

    fn line(&self, zh: &str, en: &str) {
        println!("     {}", self.t(zh, en));
    }

    fn show(&self, s: impl AsRef<str>) {
        println!("     {}", s.as_ref());
    }

    /// A refusal as the technician sees it: the rule, in their language.
    fn refused(&self, e: &onsite_core::Error) {
        println!("     × {}", e.message(self.lang));
    }

    fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&cst()).format("%Y-%m-%d %H:%M").to_string()
    }

    fn status(&self, v: &Visit) {
        let label = self.t("状态", "Status");
        println!("     → {label}: {}", v.status.label(self.lang));
    }

    /// Answers every shown item of a phase and lists them as ticked.
    fn checklist(&self, tech: &Technician, job: &str, phase: Phase) -> Result<()> {
        sample::complete_checklist(tech, job, phase)?;
        let view = tech.checklist(job, phase)?;
        println!("     {}:", view.template.title.get(self.lang));
        for item in &view.visible {
            let shown = match view.answers.get(&item.id) {
                Some(Answer::Check(true)) => "✓".to_string(),
                Some(Answer::YesNo(b)) => self
                    .t(if *b { "是" } else { "否" }, if *b { "yes" } else { "no" })
                    .to_string(),
                Some(Answer::Number(n)) => format!("{n}"),
                Some(Answer::Choice(c)) => c.clone(),
                Some(Answer::Photo(h)) => format!("photo {}", &h[..8.min(h.len())]),
                Some(Answer::Text(s)) => s.clone(),
                _ => "-".into(),
            };
            println!("       [{shown}] {}", item.label.get(self.lang));
        }
        Ok(())
    }
}

pub fn run(lang: Lang, store: Option<PathBuf>, out: Option<PathBuf>) -> Result<()> {
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let path = store.unwrap_or_else(|| tmp.path().join("technician.sqlite3"));
    let mut n = Narrator { lang, step: 0 };
    let rt = tokio::runtime::Runtime::new()?;

    // Start the scripted clock at the next full hour; the appointment is 40 minutes later.
    let now = Utc::now();
    let start = now
        - Duration::minutes(i64::from(now.minute()))
        - Duration::seconds(i64::from(now.second()));
    let clock = Arc::new(ManualClock::new(start));
    let appointment = start + Duration::minutes(40);
    let job = "WO-DEMO-0001";

    println!(
        "{}",
        n.t(
            "Onsite 演示:一次完整的上门维修",
            "Onsite demo: one complete repair visit"
        )
    );

    n.step("总部(HQ)在本机启动", "HQ starts on this machine");
    let hq_db = tmp.path().join("hq.sqlite3");
    let admin = "demo-admin-token";
    let db = onsite_hq::open_db(&hq_db.display().to_string())?;
    let server = rt.block_on(onsite_hq::Server::start(db, admin, "127.0.0.1:0".parse()?))?;
    let hq_url = server.url();
    let addr = server.addr;
    n.show(format!("HQ: {hq_url} (SQLite {})", hq_db.display()));

    n.step(
        "客服中心登记技术员并生成绑定码",
        "The service centre registers the technician and issues an enrollment code",
    );
    crate::hq::call(
        &rt,
        &hq_url,
        admin,
        "POST",
        "/v1/technicians",
        Some(serde_json::json!({"technician_id": "T-0107", "name": "李师傅"})),
    )?;
    let code = crate::hq::call(
        &rt,
        &hq_url,
        admin,
        "POST",
        "/v1/enrollments",
        Some(serde_json::json!({"technician_id": "T-0107"})),
    )?["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    n.show(format!("{}: {code}", n.t("绑定码", "Enrollment code")));

    n.step("手机用绑定码注册", "The phone enrolls with the code");
    let enrolled = SyncClient::enroll_blocking(&hq_url, &code, "DEV-7F3A")?;
    let profile = Profile {
        technician_id: enrolled.technician_id.clone(),
        technician_name: enrolled.technician_name.clone(),
        device_id: enrolled.device_id.clone(),
        approval_key: enrolled.approval_key.clone(),
    };
    let tech = Technician::open_with_clock(&path, profile.clone(), clock.clone())
        .with_context(|| format!("opening the store at {}", path.display()))?;
    let mut config = SyncConfig::new(&hq_url, &enrolled.token);
    config.max_attempts = 2;
    config.base_backoff_ms = 100;
    config.request_timeout_ms = 2_000;
    let sync = SyncClient::new(config)?;
    n.show(format!(
        "{}: {}",
        n.t("本地存储", "Local store"),
        path.display()
    ));
    n.show(format!(
        "{}: {} ({})",
        n.t("技术员", "Technician"),
        profile.technician_name,
        profile.technician_id
    ));

    n.step(
        "客服中心派工,手机同步",
        "The service centre dispatches a work order; the phone syncs",
    );
    let order = sample::leak_order(job, &profile.technician_id, appointment);
    crate::hq::call(
        &rt,
        &hq_url,
        admin,
        "POST",
        "/v1/orders",
        Some(serde_json::to_value(&order)?),
    )?;
    let r = sync.sync_now(&tech, None)?;
    n.show(format!(
        "{}: {} {}, {} {}",
        n.t("同步", "Sync"),
        r.changes_pulled,
        n.t("条变更", "change(s) pulled"),
        r.receipt_blocks,
        n.t("个收据号段", "receipt number block(s)")
    ));
    let v = tech.job(job)?;
    let o = &v.order;
    n.show(format!("{}: {}", n.t("工单号", "Order"), o.job_id));
    n.show(format!(
        "{}: {} {}",
        n.t("地点", "Where"),
        o.site,
        o.location
    ));
    n.show(format!(
        "{}: {} {}",
        n.t("客户", "Customer"),
        o.customer.name,
        o.customer.phone
    ));
    n.show(format!("{}: {}", n.t("故障", "Fault"), o.fault));
    n.show(format!(
        "{}: {}",
        n.t("预约时间", "Appointment"),
        n.local(o.appointment_at)
    ));
    n.status(&v);

    n.step(
        "进入地下室:网络中断(总部不可达)",
        "Into the basement: no network (HQ unreachable)",
    );
    rt.block_on(server.stop());
    n.line(
        "以下每一步都只写入手机本地存储",
        "Every step below is written to the phone's local store only",
    );
    n.step(
        "接单并电话确认预约",
        "Accept the job and confirm the appointment by phone",
    );
    n.status(&tech.accept_job(job)?);

    n.step("出发前检查", "Before-leaving checklist");
    if let Err(e) = tech.depart(job) {
        n.refused(&e);
    }
    n.checklist(&tech, job, Phase::BeforeLeaving)?;
    clock.advance(Duration::minutes(5));
    n.status(&tech.depart(job)?);

    n.step("到达现场", "Arrive on site");
    clock.set(appointment + Duration::minutes(2));
    let v = tech.arrive(job)?;
    n.show(format!(
        "{}: {}",
        n.t("到达时间", "Arrived at"),
        n.local(clock.now())
    ));
    if let Some(p) = v.punctuality {
        n.show(format!(
            "{}: {}",
            n.t("守时判定", "Punctuality"),
            p.label(lang)
        ));
    }
    n.checklist(&tech, job, Phase::Arrival)?;

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
    let service = tech
        .fee_schedule()
        .services
        .iter()
        .find(|s| s.category == o.category)
        .context("the shipped fee schedule has no service for this category")?
        .clone();
    tech.add_quote_line(
        job,
        &LineRequest {
            item: LineItem::Schedule {
                code: service.code.clone(),
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
    for l in &v.quote_lines {
        n.show(format!(
            "#{} {} × {} {} = {}{}",
            l.line_no,
            l.description.get(lang),
            l.qty,
            l.unit.get(lang),
            l.line_total,
            if l.needs_approval() {
                n.t("  (标准外)", "  (off schedule)")
            } else {
                ""
            }
        ));
    }
    if let Err(e) = tech.present_quote(job) {
        n.refused(&e);
    }
    let line = v.quote_lines.last().context("no quote line")?.clone();
    // The supervisor's tool computes the code from the same key HQ shares with the device.
    let code = approval_code(profile.approval_key.as_bytes(), job, &line);
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
    n.checklist(&tech, job, Phase::WorkRules)?;
    clock.advance(Duration::minutes(45));
    n.status(&tech.finish_work(
        job,
        45,
        "更换角阀,通水试验无渗漏 / valve replaced, no leak under test",
    )?);

    n.step(
        "完工检查与客户验收签字",
        "Completion checklist, customer acceptance and signature",
    );
    n.checklist(&tech, job, Phase::Completion)?;
    let v = tech.record_acceptance(
        job,
        AcceptanceInput {
            quality: onsite_core::visit::Opinion::Rated {
                rating: Rating::Satisfied,
            },
            attitude: onsite_core::visit::Opinion::Rated {
                rating: Rating::Satisfied,
            },
            technician_ink: None,
            comment: "师傅很专业,现场很干净".into(),
            // The technician is not sure the old pipe holds: HQ calls back within 3 hours.
            fix_uncertain: true,
            sign: SignInput::Sign {
                signer_name: o.customer.name.clone(),
                ink: crate::demo::customer_ink(),
            },
        },
    )?;
    if let Some(a) = &v.acceptance {
        n.show(format!(
            "{}: {}",
            n.t("评价", "Rating"),
            a.quality.label(lang)
        ));
    }
    if let Some(sig) = v.customer_signature() {
        n.show(format!(
            "{}: {} (SHA-256 {}…)",
            n.t("签字绑定内容", "Signature bound to content"),
            sig.signer_name,
            &sig.content_sha256[..16]
        ));
    }
    n.show(format!(
        "{}: {}",
        n.t("签字校验", "Signature verifies"),
        tech.verify_signature(job)?
    ));
    n.status(&v);

    n.step("收费与收据", "Payment and receipt");
    let due = v.due_on_site();
    n.show(format!(
        "{}: {due}",
        n.t("应收(业主)", "Due from the owner")
    ));
    let v = tech.take_payment(
        job,
        Method::Cash,
        due.fen() + 5_000 - due.fen() % 5_000,
        None,
    )?;
    if let Some(p) = &v.payment {
        n.show(format!(
            "{}: {}  {}: {}  {}: {}",
            n.t("方式", "Method"),
            p.method.label(lang),
            n.t("实收", "Received"),
            p.received,
            n.t("找零", "Change"),
            p.change
        ));
    }
    let r = tech.issue_receipt(job, false)?;
    n.show(format!("{}: {}", n.t("收据号", "Receipt number"), r.number));
    n.status(&tech.job(job)?);

    n.step("交回客服中心", "Hand over to the service centre");
    n.status(&tech.hand_over(job)?);

    n.step(
        "回到地面:网络恢复,同步到总部",
        "Back above ground: the network returns, sync to HQ",
    );
    let queued = tech.outbox_len()?;
    n.show(format!(
        "{}: {queued} (seq 1..{})",
        n.t("待上传操作", "Ops queued for HQ"),
        tech.last_seq()?
    ));
    if let Err(e) = sync.sync_now(&tech, None) {
        n.refused(&e);
    }
    let db = onsite_hq::open_db(&hq_db.display().to_string())?;
    let server = rt.block_on(onsite_hq::Server::start(db, admin, addr))?;
    let r = sync.sync_now(&tech, None)?;
    n.show(format!(
        "{}: {} {}, {} {}, {} {}",
        n.t("已上传", "Pushed"),
        r.ops_pushed,
        n.t("条操作", "ops"),
        r.ops_applied,
        n.t("条已应用", "applied"),
        tech.outbox_len()?,
        n.t("条待传", "left")
    ));
    n.show(format!(
        "{}: {}",
        n.t("已上传照片(按SHA-256)", "Photos uploaded (by SHA-256)"),
        r.blobs_uploaded
    ));

    n.step("总部现在保存的内容", "What HQ now holds");
    let hq_view: Visit = serde_json::from_value(crate::hq::call(
        &rt,
        &hq_url,
        admin,
        "GET",
        &format!("/v1/orders/{job}"),
        None,
    )?)?;
    n.show(format!(
        "{}: {}",
        n.t("工单状态", "Order status"),
        hq_view.status.label(lang)
    ));
    if let Some(r) = &hq_view.receipt {
        n.show(format!("{}: {}", n.t("收据号", "Receipt"), r.number));
    }
    if let Some(sig) = hq_view.customer_signature() {
        n.show(format!(
            "{}: {} / {}: {}",
            n.t("客户签字", "Customer signature"),
            sig.signer_name,
            n.t("总部校验", "verifies at HQ"),
            hq_view.verify_signature()?
        ));
    }
    let followups = crate::hq::call(&rt, &hq_url, admin, "GET", "/v1/followups", None)?;
    for f in followups.as_array().into_iter().flatten() {
        n.show(format!(
            "{}: {} ({}) {} {}",
            n.t("回访队列", "Follow-up queue"),
            f["job_id"].as_str().unwrap_or_default(),
            f["reason"].as_str().unwrap_or_default(),
            n.t("截止", "due"),
            f["due_at"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| n.local(t.with_timezone(&Utc)))
                .unwrap_or_default()
        ));
    }
    n.show(format!(
        "{}: {}",
        n.t("收据链校验", "Receipt chain intact"),
        tech.verify_receipt_chain()?.is_none()
    ));
    if let Some(dir) = out {
        n.step("写出单据", "Write the documents");
        write_documents(&tech, job, lang, &dir)?;
        n.show(format!("{}: {}", n.t("目录", "Directory"), dir.display()));
    }
    rt.block_on(server.stop());
    println!();
    Ok(())
}

/// receipt.txt, receipt.html, receipt-58mm.bin, receipt-80mm.bin,
/// signature.png, signature.svg and work-order.html for the job.
fn write_documents(tech: &Technician, job: &str, lang: Lang, dir: &std::path::Path) -> Result<()> {
    use onsite_core::documents::{self, escpos::PrinterProfile};
    use onsite_core::signature::{render_png, render_svg, Background, Ink};
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let v = tech.job(job)?;
    let number = v
        .receipt
        .as_ref()
        .context("the job has no receipt")?
        .number
        .clone();
    let receipt = tech.receipt_document(&number, lang)?;
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes).with_context(|| format!("writing {name}"))
    };
    write("receipt.txt", documents::to_text(&receipt).as_bytes())?;
    write("receipt.html", documents::to_html(&receipt).as_bytes())?;
    write(
        "receipt-58mm.bin",
        &documents::to_escpos(&receipt, &PrinterProfile::mm58()),
    )?;
    write(
        "receipt-80mm.bin",
        &documents::to_escpos(&receipt, &PrinterProfile::mm80()),
    )?;
    write(
        "work-order.html",
        documents::to_html(&tech.work_order_copy(job, lang)?).as_bytes(),
    )?;
    if let Some(sig) = v.customer_signature() {
        use base64::Engine as _;
        let ink = Ink::decode(&base64::engine::general_purpose::STANDARD.decode(&sig.ink)?)?;
        write(
            "signature.png",
            &render_png(&ink, 600, 200, Background::White)?,
        )?;
        write("signature.svg", render_svg(&ink, 600, 200)?.as_bytes())?;
    }
    Ok(())
}

/// The customer's signature strokes, encoded as the phone would send them.
pub fn customer_ink() -> Vec<u8> {
    onsite_core::signature::demo_ink_bytes()
}
