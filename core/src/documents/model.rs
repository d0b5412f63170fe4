//! One layout model for every document the customer keeps.
//!
//! A receipt, a message note and the customer's copy of the work order are
//! first built as a [`Doc`] (title, labelled fields, an item table, totals,
//! paragraphs, signature, QR code) in the customer's language; the text, HTML
//! and ESC/POS renderers only decide how a `Doc` looks on their medium, so the
//! three never disagree about what a document says.

use chrono::{DateTime, FixedOffset, Utc};

use crate::locale::{tr, Lang};
use crate::money::Fen;
use crate::receipt::{EntryKind, Receipt};
use crate::signature::record::SignatureRecord;
use crate::visit::{SignOff, Visit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Receipt,
    MessageNote,
    WorkOrderCopy,
}

/// A row of the item table: name, quantity with unit, amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub qty: String,
    pub amount: String,
    /// A second line under the name (e.g. "warranty: free", "approved by ...").
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub kind: DocKind,
    pub lang: Lang,
    /// The issuer printed at the top.
    pub issuer: String,
    pub title: String,
    /// A warning printed prominently under the title (void, emergency series).
    pub banner: Option<String>,
    pub fields: Vec<(String, String)>,
    pub table_headers: Option<[String; 3]>,
    pub rows: Vec<Row>,
    pub totals: Vec<(String, String)>,
    pub paragraphs: Vec<String>,
    /// Encoded strokes of the customer's signature, rendered by each medium.
    pub signature_ink: Option<Vec<u8>>,
    pub signature_caption: Option<String>,
    /// The technician's signature on the work order (strokes and caption).
    pub technician_signature_ink: Option<Vec<u8>>,
    pub technician_signature_caption: Option<String>,
    /// Payload of the QR code (receipt number and hash).
    pub qr: Option<String>,
    pub footer: Vec<String>,
}

/// China Standard Time, in which documents show times by default.
pub fn china_time() -> FixedOffset {
    /// UTC+8, checked at compile time (`east_opt` is a const fn).
    const CST: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
        Some(tz) => tz,
        None => panic!("UTC+8 is a valid offset"),
    };
    CST
}

/// "2次" in Chinese, "2 visit" in English.
fn qty(n: u32, unit: &str, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => format!("{n}{unit}"),
        Lang::En => format!("{n} {unit}"),
    }
}

fn local(t: DateTime<Utc>, tz: FixedOffset) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

const ISSUER_ZH: &str = "Onsite 客户服务中心";
const ISSUER_EN: &str = "Onsite Service Centre";

fn issuer(lang: Lang) -> String {
    tr(lang, ISSUER_ZH, ISSUER_EN).to_string()
}

/// The receipt (收费收据), from the receipt record and, when known, its job.
pub fn receipt(r: &Receipt, visit: Option<&Visit>, lang: Lang, tz: FixedOffset) -> Doc {
    let t = |zh, en| tr(lang, zh, en).to_string();
    let banner = match r.kind {
        EntryKind::Void => Some(format!(
            "{} {}",
            t("作废", "VOID"),
            r.void_reason.clone().unwrap_or_default()
        )),
        EntryKind::Emergency => Some(t(
            "应急号段收据,请以总部核对为准",
            "EMERGENCY SERIES receipt: HQ will confirm it",
        )),
        EntryKind::Reissue => Some(format!(
            "{} {}",
            t("重开,替代作废收据", "REISSUE, replaces void receipt"),
            r.refers_to.clone().unwrap_or_default()
        )),
        EntryKind::Original => None,
    };
    let mut fields = vec![
        (t("收据号", "Receipt no."), r.number.clone()),
        (t("开具时间", "Issued"), local(r.issued_at, tz)),
        (t("工单号", "Order"), r.job_id.clone()),
        (t("客户", "Customer"), r.customer_name.clone()),
        (t("地点", "Site"), format!("{} {}", r.site, r.location)),
        (
            t("维修人员", "Technician"),
            format!("{} ({})", r.technician_name, r.technician_id),
        ),
    ];
    let mut rows: Vec<Row> = r
        .lines
        .iter()
        .map(|l| Row {
            name: l.description.get(lang).to_string(),
            qty: qty(l.qty, l.unit.get(lang), lang),
            amount: l.line_total.display_yuan(),
            note: if let Some(reason) = l.free {
                Some(reason.label(lang).to_string())
            } else if l.free_in_warranty {
                Some(t("保修期内免费", "free under warranty"))
            } else if let Some(card) = l.warranty_card_price.filter(|c| *c < l.list_price) {
                Some(format!(
                    "{} {}",
                    t("按保修卡价", "warranty card price"),
                    card
                ))
            } else {
                l.approval
                    .as_ref()
                    .map(|a| format!("{} {}", t("主管批准", "approved by"), a.supervisor))
            },
        })
        .collect();
    // The order's outstanding balance (尾款) is a line of its own, set by HQ.
    if let Some(balance) = r.balance {
        rows.push(Row {
            name: t("尾款", "Outstanding balance"),
            qty: qty(1, tr(lang, "笔", "sum"), lang),
            amount: balance.display_yuan(),
            note: Some(t("总部核定", "set by HQ")),
        });
    }
    let mut totals = vec![(t("合计", "Total"), r.totals.total.display_yuan())];
    for (payer, amount) in &r.totals.by_payer {
        if r.totals.by_payer.len() > 1 || *payer != crate::order::Payer::Owner {
            totals.push((payer_label(*payer, lang), amount.display_yuan()));
        }
    }
    if let Some(i) = &r.charge_instruction {
        totals.push((
            t("服务中心批示", "Service centre's instruction"),
            format!("{} ({})", i.instruction.label(lang), i.by),
        ));
    }
    if let Some(balance) = r.balance {
        totals.push((t("尾款", "Outstanding balance"), balance.display_yuan()));
    }
    if let Some(p) = &r.payment {
        totals.push((t("应收", "Due"), p.due.display_yuan()));
        totals.push((t("支付方式", "Paid by"), p.method.label(lang).to_string()));
        totals.push((t("实收", "Received"), p.received.display_yuan()));
        if p.change > Fen::ZERO {
            totals.push((t("找零", "Change"), p.change.display_yuan()));
        }
        if p.cash_checked {
            totals.push((
                t("现金", "Cash"),
                t(
                    "已当面验钞点清",
                    "checked and counted in front of the customer",
                ),
            ));
        }
        if let Some(reference) = &p.reference {
            fields.push((t("交易号", "Transaction"), reference.clone()));
        }
    }
    if let Some(inv) = visit.and_then(|v| v.invoice.as_ref()) {
        let tax = if inv.tax_number.is_empty() {
            t("个人", "individual")
        } else {
            inv.tax_number.clone()
        };
        fields.push((
            t("发票", "Invoice"),
            format!("{} / {} / {}", inv.title, tax, inv.delivery.label(lang)),
        ));
    }
    let (signature_ink, signature_caption) = signature_of(visit, lang);
    Doc {
        kind: DocKind::Receipt,
        lang,
        issuer: issuer(lang),
        title: t("收费收据", "Receipt"),
        banner,
        fields,
        table_headers: Some([t("项目", "Item"), t("数量", "Qty"), t("金额", "Amount")]),
        rows,
        totals,
        paragraphs: vec![t(
            "本收据为收费凭证。如需发票请联系客服中心。本公司员工不收取小费及礼品。",
            "This receipt is proof of payment. Ask the service centre for an invoice. Our staff accept no tips or gifts.",
        )],
        signature_ink,
        signature_caption,
        technician_signature_ink: None,
        technician_signature_caption: None,
        qr: Some(format!("{}|{}", r.number, r.sha256().unwrap_or_default())),
        footer: vec![t("谢谢惠顾", "Thank you")],
    }
}

fn signature_of(visit: Option<&Visit>, lang: Lang) -> (Option<Vec<u8>>, Option<String>) {
    let t = |zh, en| tr(lang, zh, en).to_string();
    match visit.and_then(|v| v.acceptance.as_ref()) {
        Some(a) => match &a.sign_off {
            SignOff::Signed { signature } => (
                signature.ink_bytes(),
                Some(format!(
                    "{}: {} · {}",
                    t("客户签字", "Customer signature"),
                    signature.signer_name,
                    opinions_of(a, lang)
                )),
            ),
            SignOff::Refused { reason } => (
                None,
                Some(format!(
                    "{}: {reason} · {}",
                    t("客户拒绝签字", "Customer declined to sign"),
                    opinions_of(a, lang)
                )),
            ),
        },
        None => (None, None),
    }
}

/// "维修质量: 满意 / 服务态度: 一般", with a refusal to rate told as such.
fn opinions_of(a: &crate::visit::Acceptance, lang: Lang) -> String {
    let t = |zh, en| tr(lang, zh, en).to_string();
    let mut s = format!(
        "{}: {}",
        t("维修质量", "Repair quality"),
        a.quality.label(lang)
    );
    if let Some(att) = &a.attitude {
        s.push_str(&format!(
            " / {}: {}",
            t("服务态度", "Service attitude"),
            att.label(lang)
        ));
    }
    s
}

fn payer_label(p: crate::order::Payer, lang: Lang) -> String {
    use crate::order::Payer;
    match p {
        Payer::Owner => tr(lang, "业主付费", "Owner pays"),
        Payer::Property => tr(lang, "物业承担", "Property pays"),
        Payer::MaintenanceFund => tr(lang, "维修基金", "Maintenance fund"),
    }
    .to_string()
}

/// The message note (留言条) left at the door when nobody answered.
pub fn message_note(v: &Visit, lang: Lang, tz: FixedOffset) -> Doc {
    let t = |zh, en| tr(lang, zh, en).to_string();
    let o = &v.order;
    let when = v.arrived_at.or(v.departed_at).unwrap_or(o.appointment_at);
    let mut paragraphs = vec![format!(
        "{} {}{}",
        t("尊敬的", "Dear"),
        o.customer.name,
        t(":", ",")
    )];
    paragraphs.push(format!(
        "{} {} {}",
        t("我们的维修人员已于", "Our technician came at"),
        local(when, tz),
        t(
            "按预约上门服务,但家中无人。请致电客服中心重新预约。",
            "as agreed, but nobody was home. Please call the service centre to book a new visit."
        )
    ));
    if let Some(note) = &v.no_access {
        paragraphs.push(note.text.clone());
    }
    Doc {
        kind: DocKind::MessageNote,
        lang,
        issuer: issuer(lang),
        title: t("留言条", "We called while you were out"),
        banner: None,
        fields: vec![
            (t("工单号", "Order"), o.job_id.clone()),
            (t("地点", "Site"), format!("{} {}", o.site, o.location)),
            (t("服务项目", "Service"), o.service.clone()),
        ],
        table_headers: None,
        rows: vec![],
        totals: vec![],
        paragraphs,
        signature_ink: None,
        signature_caption: None,
        technician_signature_ink: None,
        technician_signature_caption: None,
        qr: Some(o.job_id.clone()),
        footer: vec![t(
            "给您带来不便,敬请谅解",
            "We are sorry for the inconvenience",
        )],
    }
}

/// The customer's copy of the work order (客户联).
pub fn work_order_copy(v: &Visit, lang: Lang, tz: FixedOffset) -> Doc {
    let t = |zh, en| tr(lang, zh, en).to_string();
    let o = &v.order;
    let mut fields = vec![
        (t("工单号", "Order"), o.job_id.clone()),
        (t("地点", "Site"), format!("{} {}", o.site, o.location)),
        (
            t("客户", "Customer"),
            format!("{} {}", o.customer.name, o.customer.phone),
        ),
        (t("报修时间", "Reported"), local(o.reported_at, tz)),
        (t("预约时间", "Appointment"), local(o.appointment_at, tz)),
        (t("服务项目", "Service"), o.service.clone()),
        (t("故障描述", "Fault"), o.fault.clone()),
    ];
    if let Some(p) = &o.product {
        fields.push((
            t("产品", "Product"),
            format!(
                "{} / {} {}",
                p.model,
                p.serial,
                if p.in_warranty {
                    t("(保修期内)", "(in warranty)")
                } else {
                    String::new()
                }
            ),
        ));
    }
    if let Some(veh) = &o.vehicle {
        fields.push((
            t("车辆", "Vehicle"),
            format!(
                "{} {} · {} {} {}",
                veh.plate,
                veh.model,
                t("司机", "driver"),
                veh.driver_name,
                veh.driver_phone
            ),
        ));
    }
    if let Some(a) = v.arrived_at {
        fields.push((t("到达时间", "Arrived"), local(a, tz)));
    }
    if let Some(p) = &v.punctuality {
        fields.push((t("守时", "Punctuality"), p.label(lang)));
    }
    if let Some(c) = &v.appointment_consent {
        fields.push((
            t("改约同意", "New time agreed"),
            format!(
                "{} {} {}",
                c.agreed_by,
                c.channel.label(lang),
                local(c.agreed_at, tz)
            ),
        ));
    }
    for c in &v.contacts {
        let late = if c.late {
            t("(晚于规定)", " (later than the rule)")
        } else {
            String::new()
        };
        fields.push((
            c.kind.label(lang).to_string(),
            format!("{}{late}", local(c.at, tz)),
        ));
    }
    if let Some(a) = &v.assessment {
        fields.push((t("查勘部位", "Inspected"), a.inspected_parts.join("; ")));
        if !a.repair_items.is_empty() {
            fields.push((t("修理项目", "Repair items"), a.repair_items.join("; ")));
        }
        // 「故障原因及维修措施需对用户进行适当隐瞒,则这两栏可以不填」 (appliance book):
        // a withheld fault cause and solution stay off the customer's copy,
        // and so does what is filled in for them later.
        if !a.withheld {
            fields.push((t("故障原因", "Fault cause"), a.findings.clone()));
            if !a.solution.is_empty() {
                fields.push((t("维修措施", "Solution"), a.solution.clone()));
            }
        }
    }
    if !o.delivery_items.is_empty() {
        if let Some(c) = &v.identity_check {
            fields.push((
                t("户主身份已核实", "Householder identity checked"),
                c.householder_name.clone(),
            ));
        }
    }
    if let Some(d) = v.work.done_at {
        fields.push((t("完工时间", "Completed"), local(d, tz)));
        fields.push((
            t("实做工时", "Labour"),
            format!("{} {}", v.work.labour_minutes, t("分钟", "min")),
        ));
    }
    let mut rows: Vec<Row> = v
        .quote_lines
        .iter()
        .map(|l| Row {
            name: l.description.get(lang).to_string(),
            qty: qty(l.qty, l.unit.get(lang), lang),
            amount: l.line_total.display_yuan(),
            note: l.free.map(|r| r.label(lang).to_string()),
        })
        .collect();
    for m in &v.materials {
        let verdict = match m.inspection.as_ref().map(|i| i.verdict) {
            Some(crate::material::Verdict::Pass) => t("检验合格", "inspected: pass"),
            Some(crate::material::Verdict::Fail) => t("检验不合格", "inspected: FAIL"),
            None => String::new(),
        };
        rows.push(Row {
            name: format!("{} {}", t("材料", "Material"), m.description),
            qty: m.qty.to_string(),
            amount: String::new(),
            note: Some(verdict).filter(|s| !s.is_empty()),
        });
    }
    for p in &v.parts {
        rows.push(Row {
            name: format!("{} {}", t("更换", "Replaced"), p.description),
            qty: "1".into(),
            amount: String::new(),
            note: Some(
                format!(
                    "{} {} → {} {}{}",
                    t("旧", "old"),
                    p.old_serial,
                    t("新", "new"),
                    p.new_serial,
                    if p.old_part_recovered {
                        t(",旧件已回收", ", old part recovered")
                    } else {
                        String::new()
                    }
                ) + &part_extras(p, lang),
            ),
        });
    }
    for (i, item) in o.delivery_items.iter().enumerate() {
        let decision = u32::try_from(i + 1)
            .ok()
            .and_then(|n| v.item_decisions.get(&n));
        rows.push(Row {
            name: format!(
                "{} {} {} {}",
                t("货品", "Item"),
                item.model,
                item.colour,
                item.size
            ),
            qty: item.quantity.to_string(),
            amount: String::new(),
            note: decision.map(|d| {
                if d.accepted {
                    format!("{} {}", t("已验收", "accepted"), d.note)
                } else {
                    format!("{}: {}", t("拒收", "REJECTED"), d.note)
                }
                .trim()
                .to_string()
            }),
        });
    }
    let mut paragraphs = Vec::new();
    for m in &v.materials {
        if let Some(c) = &m.concession {
            paragraphs.push(format!(
                "{}: {}。{}: {}。{}: {} ({})",
                t("让步使用", "Concession use"),
                c.defect,
                t("已说明", "Explained"),
                c.explanation,
                t("客户同意", "Customer consented"),
                c.customer_name,
                local(c.consented_at, tz)
            ));
        }
    }
    if !v.work.summary.is_empty() {
        paragraphs.push(format!(
            "{}: {}",
            t("维修内容", "Work done"),
            v.work.summary
        ));
    }
    for s in &v.parts_short {
        paragraphs.push(format!(
            "{}: {}。{}: {} ({}) {}",
            t("配件不足", "Parts short"),
            s.what_short,
            t("中心口头批准", "Centre approved by phone"),
            s.approver,
            local(s.approved_at, tz),
            s.instruction
        ));
    }
    for d in &v.damages {
        paragraphs.push(format!(
            "{}: {} {} ({})",
            t("损坏赔偿", "Damage compensation"),
            d.what,
            d.amount.display_yuan(),
            if d.customer_agreed {
                t("客户同意", "customer agreed")
            } else {
                t("客户未同意", "customer did not agree")
            }
        ));
    }
    let mut totals = v
        .quote_totals
        .as_ref()
        .map(|q| vec![(t("合计", "Total"), q.total.display_yuan())])
        .unwrap_or_default();
    if !v.damages.is_empty() {
        let sum = v
            .damages
            .iter()
            .try_fold(Fen::ZERO, |acc, d| acc.checked_add(d.amount));
        if let Ok(sum) = sum {
            totals.push((t("损坏赔偿合计", "Damage compensation"), sum.display_yuan()));
        }
    }
    let (signature_ink, signature_caption) = signature_of(Some(v), lang);
    let tech_sig = v.technician_signature();
    Doc {
        kind: DocKind::WorkOrderCopy,
        lang,
        issuer: issuer(lang),
        title: t("维修服务工作单(客户联)", "Work order (customer copy)"),
        banner: None,
        fields,
        table_headers: Some([t("项目", "Item"), t("数量", "Qty"), t("金额", "Amount")]),
        rows,
        totals,
        paragraphs,
        signature_ink,
        signature_caption,
        technician_signature_ink: tech_sig.and_then(SignatureRecord::ink_bytes),
        technician_signature_caption: tech_sig.map(|s| {
            format!(
                "{}: {}",
                t("维修服务人签名", "Technician's signature"),
                s.signer_name
            )
        }),
        qr: Some(o.job_id.clone()),
        footer: vec![t(
            "如有疑问请致电客服中心",
            "Questions? Call the service centre",
        )],
    }
}

/// A replaced part's registration number and GPS numbers, for its row's note.
fn part_extras(p: &crate::material::PartReplacement, lang: Lang) -> String {
    let t = |zh, en| tr(lang, zh, en).to_string();
    let mut out = String::new();
    if let Some(r) = &p.old_part_registration {
        out.push_str(&format!(" {} {r}", t("旧件登记号", "old part reg.")));
    }
    if let Some(sim) = &p.sim {
        out.push_str(&format!(" SIM {} → {}", sim.old_sim, sim.new_sim));
    }
    if let Some(tag) = &p.return_tag {
        out.push_str(&format!(
            " {} {} · {}",
            t("返修标签", "return tag"),
            tag.plate,
            tag.fault
        ));
    }
    out
}
