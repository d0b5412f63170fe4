//! `GET /orders/{job_id}`: the order's file, section by section in the
//! order things happened on the visit, then what HQ recorded after it.

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use onsite_core::checklist::{Answer, Checklists};
use onsite_core::locale::Lang;
use onsite_core::material::{Source, Verdict};
use onsite_core::order::Payer;
use onsite_core::payment::Method;
use onsite_core::signature::record::SignatureRecord;
use onsite_core::signature::{render_svg, Ink};
use onsite_core::visit::{SignOff, Visit};

use super::{action_label, dossier_of, html_page};
use crate::centre::access::Look;
use crate::centre::dossier::{photos_of, Dossier};
use crate::centre::people::Action;
use crate::console::page::{layout, local, local_str, tr, trusted, yuan, PageResult};
use crate::console::session::Signed;
use crate::console::Console;

pub(super) async fn order_page(
    State(console): State<Console>,
    who: Signed,
    Path(job_id): Path<String>,
) -> PageResult {
    who.require(Action::View)?;
    let seen = dossier_of(&console, &who, Look::Order, &job_id).await?;
    let d = &seen.dossier;
    let lang = who.lang;
    let v = &d.visit;
    let title = format!("{} {}", who.tr("工单", "Order"), v.order.job_id);
    let body = html! {
        div.page-head {
            h1 {
                (title) " " span.status { (v.status.label(lang)) }
                @if seen.confidential { " " span.status.confidential { (who.tr("保密", "Confidential")) } }
            }
            p.no-print {
                a.button href={ "/orders/" (v.order.job_id) "/print" } {
                    (who.tr("四联工单(打印)", "The four-copy work order (print)"))
                }
                @if who.may(Action::ReadAccessLog) {
                    " "
                    a.button href={ "/access?order=" (v.order.job_id) } {
                        (who.tr("查阅记录", "Access log"))
                    }
                }
            }
        }
        @if seen.masked {
            p.problem.masked-note {
                (who.tr(
                    "这是保密工单:客户姓名、电话、地址、签名和照片仅限主管、经理和派工的技术员查看。",
                    "This order is confidential: the customer's name, phone, address, signature and photos are for supervisors, managers and its technician only.",
                ))
            }
        }
        @if who.may(Action::MarkConfidential) {
            (super::super::access::secrecy_form(&who, &v.order.job_id, seen.confidential))
        }
        (order_fields(lang, v))
        (timeline(lang, v))
        (checklists(lang, v, &d.photos_pending))
        (assessment(lang, v))
        (materials(lang, v, &d.photos_pending))
        (quote(lang, v))
        (acceptance(lang, v, seen.masked))
        (payment(lang, d))
        (after_visit(lang, d))
        @if !seen.masked { (photos(lang, v, &d.photos_pending)) }
        (trail(lang, d))
    };
    let here = format!("/orders/{}", v.order.job_id);
    Ok(html_page(layout(&who, &here, &title, body)))
}

fn yes_no(lang: Lang, b: bool) -> &'static str {
    if b {
        tr(lang, "是", "yes")
    } else {
        tr(lang, "否", "no")
    }
}

fn payer_label(lang: Lang, p: Payer) -> &'static str {
    match p {
        Payer::Owner => tr(lang, "业户付费", "Owner"),
        Payer::Property => tr(lang, "物业", "Property company"),
        Payer::MaintenanceFund => tr(lang, "维修基金", "Maintenance fund"),
    }
}

/// A payment method as stored in HQ's tables (`cash`...), in words.
fn method_label(lang: Lang, stored: &str) -> String {
    serde_json::from_value::<Method>(serde_json::Value::String(stored.to_string()))
        .map_or_else(|_| stored.to_string(), |m| m.label(lang).to_string())
}

fn order_fields(lang: Lang, v: &Visit) -> Markup {
    let o = &v.order;
    html! {
        section {
            h2 { (tr(lang, "工单内容", "The order")) }
            dl.facts {
                dt { (tr(lang, "工单号", "Order number")) } dd { (o.job_id) }
                dt { (tr(lang, "楼盘", "Site")) } dd { (o.site) }
                dt { (tr(lang, "房号/地点", "Room or location")) } dd { (o.location) }
                dt { (tr(lang, "客户", "Customer")) } dd { (o.customer.name) " " (o.customer.phone) }
                dt { (tr(lang, "报修时间", "Reported")) } dd { (local(o.reported_at)) }
                dt { (tr(lang, "预约时间", "Appointment")) } dd { (local(o.appointment_at)) }
                dt { (tr(lang, "紧急", "Urgent")) } dd { (yes_no(lang, o.urgent)) }
                dt { (tr(lang, "服务项目", "Service")) } dd { (o.service) }
                dt { (tr(lang, "故障描述", "Fault")) } dd { (o.fault) }
                @if let Some(p) = &o.product {
                    dt { (tr(lang, "产品", "Product")) }
                    dd { (p.model) " / " (p.serial) " " (if p.in_warranty { tr(lang, "(保修期内)", "(in warranty)") } else { "" }) }
                }
                @if let Some(veh) = &o.vehicle {
                    dt { (tr(lang, "车辆", "Vehicle")) } dd { (veh.plate) " " (veh.model) }
                }
                dt { (tr(lang, "记录人", "Recorded by")) } dd { (o.recorder) }
                @if let Some(t) = o.desired_completion_at {
                    dt { (tr(lang, "要求完成时间", "Wanted done by")) } dd { (local(t)) }
                }
                dt { (tr(lang, "付费方", "Who pays")) } dd { (payer_label(lang, o.default_payer)) }
                dt { (tr(lang, "技术员", "Technician")) } dd { (o.technician_id) }
                @if o.unpaid_balance_fen != 0 {
                    dt { (tr(lang, "欠款", "Unpaid balance")) } dd { (yuan(o.unpaid_balance_fen)) }
                }
                @for (i, item) in o.delivery_items.iter().enumerate() {
                    dt { (tr(lang, "货品", "Item")) " " (i + 1) }
                    dd { (item.model) " " (item.colour) " " (item.size) " × " (item.quantity) }
                }
            }
        }
    }
}

/// What happened, when: the visit's steps in time order.
fn timeline(lang: Lang, v: &Visit) -> Markup {
    let mut steps: Vec<(DateTime<Utc>, String)> = vec![(
        v.order.dispatched_at,
        tr(lang, "派工", "Dispatched").to_string(),
    )];
    let mut add = |t: Option<DateTime<Utc>>, what: String| {
        if let Some(t) = t {
            steps.push((t, what));
        }
    };
    add(
        v.accepted_at,
        tr(lang, "技术员接单", "Accepted by the technician").into(),
    );
    for c in &v.contacts {
        add(Some(c.at), c.kind.label(lang).to_string());
    }
    add(v.departed_at, tr(lang, "出发", "Departed").into());
    add(
        v.arrived_at,
        format!(
            "{}{}",
            tr(lang, "到达", "Arrived"),
            v.punctuality
                .as_ref()
                .map(|p| format!(" · {}", p.label(lang)))
                .unwrap_or_default()
        ),
    );
    add(
        v.consent.as_ref().map(|c| c.at),
        tr(lang, "客户同意报价", "Customer consented to the quote").into(),
    );
    add(
        v.work.started_at,
        tr(lang, "开始维修", "Work started").into(),
    );
    add(v.work.done_at, tr(lang, "完工", "Work done").into());
    add(
        v.accepted_by_customer_at,
        tr(lang, "客户验收", "Customer's acceptance").into(),
    );
    add(
        v.payment.as_ref().map(|p| p.at),
        tr(lang, "收费", "Payment").into(),
    );
    add(v.handed_over_at, tr(lang, "交回工单", "Handed over").into());
    steps.sort_by_key(|(t, _)| *t);
    html! {
        section {
            h2 { (tr(lang, "经过", "What happened")) }
            ol.timeline {
                @for (t, what) in &steps {
                    li { time { (local(*t)) } " " (what) }
                }
            }
            @if let Some(n) = &v.no_access {
                p { strong { (tr(lang, "无人在家,留言条:", "No one home; message note: ")) } (n.text) }
            }
            @if let Some(r) = &v.declined_reason {
                p { strong { (tr(lang, "客户拒绝报价:", "Quote declined: ")) } (r) }
            }
            @if let Some(r) = &v.cancelled_reason {
                p { strong { (tr(lang, "已取消:", "Cancelled: ")) } (r) }
            }
            @if let Some(c) = &v.appointment_consent {
                p { strong { (tr(lang, "改约同意:", "New time agreed: ")) }
                    (c.agreed_by) " " (c.channel.label(lang)) " " (local(c.agreed_at)) }
            }
        }
    }
}

/// A photo's thumbnail linking to it, or, while the phone is still
/// uploading it (the visit's facts arrive first), a note saying so.
fn photo_link(job_id: &str, sha: &str, lang: Lang, pending: &[String]) -> Markup {
    if pending.iter().any(|p| p == sha) {
        return html! {
            span.photo.uploading title=(tr(lang, "手机正在上传这张照片,稍后刷新即可查看。", "The phone is still uploading this photo; refresh later to see it.")) {
                (tr(lang, "照片上传中…", "Photo uploading…"))
            }
        };
    }
    html! {
        a.photo href={ "/orders/" (job_id) "/photos/" (sha) } {
            img.thumb src={ "/orders/" (job_id) "/photos/" (sha) } alt=(tr(lang, "照片", "photo")) loading="lazy";
        }
    }
}

fn answer_text(lang: Lang, a: &Answer) -> String {
    match a {
        Answer::Check(b) | Answer::YesNo(b) => yes_no(lang, *b).to_string(),
        Answer::Number(n) => n.to_string(),
        Answer::Text(s) | Answer::Choice(s) | Answer::Photo(s) => s.clone(),
    }
}

fn checklists(lang: Lang, v: &Visit, pending: &[String]) -> Markup {
    let shipped = Checklists::shipped().ok();
    html! {
        section {
            h2 { (tr(lang, "检查清单", "Checklists")) }
            @if v.answers.is_empty() {
                p.empty { (tr(lang, "尚无记录。", "Nothing recorded yet.")) }
            }
            @for (template_id, answers) in &v.answers {
                @let template = shipped.and_then(|c| c.by_id(template_id));
                h3 { (template.map_or(template_id.as_str(), |t| t.title.get(lang))) }
                table.checklist {
                    @for (item_id, answer) in answers {
                        @let label = template
                            .and_then(|t| t.items.iter().find(|i| &i.id == item_id))
                            .map_or(item_id.as_str(), |i| i.label.get(lang));
                        tr {
                            th scope="row" { (label) }
                            td {
                                @if let Answer::Photo(sha) = answer {
                                    (photo_link(&v.order.job_id, sha, lang, pending))
                                } @else {
                                    (answer_text(lang, answer))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn assessment(lang: Lang, v: &Visit) -> Markup {
    html! {
        @if let Some(a) = &v.assessment {
            section {
                h2 { (tr(lang, "查勘", "Assessment")) }
                dl.facts {
                    dt { (tr(lang, "查勘部位", "Inspected")) } dd { (a.inspected_parts.join("; ")) }
                    dt { (tr(lang, "修理项目", "Repair items")) } dd { (a.repair_items.join("; ")) }
                    dt { (tr(lang, "故障原因", "Fault cause")) } dd { (a.findings) }
                    dt { (tr(lang, "维修措施", "Solution")) } dd { (a.solution) }
                    dt { (tr(lang, "预计时间", "Estimated time")) } dd { (a.estimated_minutes) " " (tr(lang, "分钟", "min")) }
                    @if a.withheld {
                        dt { (tr(lang, "对客户隐瞒", "Withheld from the customer")) }
                        dd { (tr(lang, "是:故障原因和维修措施不在客户联上", "yes: the fault cause and solution stay off the customer's copy")) }
                    }
                    @if let Some(f) = &v.withheld_fill {
                        dt { (tr(lang, "事后填写的故障原因", "Fault cause, filled in later")) } dd { (f.findings) }
                        dt { (tr(lang, "事后填写的维修措施", "Solution, filled in later")) } dd { (f.solution) }
                    }
                }
            }
        }
    }
}

fn materials(lang: Lang, v: &Visit, pending: &[String]) -> Markup {
    html! {
        @if !v.materials.is_empty() || !v.parts.is_empty() {
            section {
                h2 { (tr(lang, "材料、检验与让步", "Materials, inspections and concessions")) }
                @for m in &v.materials {
                    div.material {
                        h3 { (m.description) " × " (m.qty) }
                        p { (match m.source {
                            Source::Warehouse => tr(lang, "仓库领用", "From the warehouse"),
                            Source::CustomerSupplied => tr(lang, "客户自备", "Supplied by the customer"),
                            Source::CustomerBought => tr(lang, "客户代购", "Bought for the customer"),
                        })
                        " · " (if m.used { tr(lang, "已使用", "used") } else { tr(lang, "未使用", "not used") }) }
                        @if let Some(i) = &m.inspection {
                            p {
                                strong { (match i.verdict {
                                    Verdict::Pass => tr(lang, "检验合格", "Inspection: pass"),
                                    Verdict::Fail => tr(lang, "检验不合格", "Inspection: FAIL"),
                                }) }
                                " " (local(i.at)) " " (i.findings)
                            }
                            @for sha in &i.photos { (photo_link(&v.order.job_id, sha, lang, pending)) }
                        }
                        @if let Some(c) = &m.concession {
                            p.concession {
                                strong { (tr(lang, "让步使用:", "Concession use: ")) } (c.defect)
                                " · " (tr(lang, "已说明:", "explained: ")) (c.explanation)
                                " · " (tr(lang, "客户同意:", "customer consented: ")) (c.customer_name)
                                " " (local(c.consented_at))
                            }
                        }
                    }
                }
                @if !v.parts.is_empty() {
                    h3 { (tr(lang, "更换配件", "Parts replaced")) }
                    ul {
                        @for p in &v.parts {
                            li { (p.description) " (" (p.part_code) ") " (tr(lang, "旧", "old")) " " (p.old_serial)
                                " → " (tr(lang, "新", "new")) " " (p.new_serial)
                                @if p.old_part_recovered { " · " (tr(lang, "旧件已回收", "old part recovered")) }
                                @if let Some(r) = &p.old_part_registration { " · " (tr(lang, "登记号", "reg.")) " " (r) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn quote(lang: Lang, v: &Visit) -> Markup {
    html! {
        section {
            h2 { (tr(lang, "报价与审批", "Quote and approvals")) }
            @if v.quote_lines.is_empty() {
                p.empty { (tr(lang, "尚无报价。", "No quote yet.")) }
            } @else {
                table.quote {
                    thead { tr {
                        th { "#" } th { (tr(lang, "项目", "Item")) } th.num { (tr(lang, "数量", "Qty")) }
                        th.num { (tr(lang, "单价", "Unit price")) } th.num { (tr(lang, "金额", "Amount")) }
                        th { (tr(lang, "付费方", "Payer")) } th { (tr(lang, "收费标准/审批", "Schedule or approval")) }
                    } }
                    tbody {
                        @for l in &v.quote_lines {
                            tr {
                                td { (l.line_no) }
                                td { (l.description.get(lang))
                                    @if let Some(f) = l.free { br; small { (f.label(lang)) } } }
                                td.num { (l.qty) " " (l.unit.get(lang)) }
                                td.num { (yuan(l.unit_price.fen())) }
                                td.num { (yuan(l.line_total.fen())) }
                                td { (payer_label(lang, l.payer)) }
                                td {
                                    @match (&l.code, &l.approval) {
                                        (Some(code), _) => { (tr(lang, "收费标准内 ", "On the schedule ")) (code) },
                                        (None, Some(a)) => { (tr(lang, "计划外,已审批:", "Off-schedule, approved by ")) (a.supervisor)
                                            " · " (tr(lang, "审批码 ", "code ")) code { (a.code) } },
                                        (None, None) => strong { (tr(lang, "计划外,未审批", "Off-schedule, not approved")) },
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(t) = &v.quote_totals {
                p { strong { (tr(lang, "合计:", "Total: ")) (yuan(t.total.fen())) } }
            }
            @if let Some(c) = &v.consent {
                p { (tr(lang, "客户同意报价:", "Customer consented: ")) (c.customer_name) " " (local(c.at)) }
            }
            @if let Some(d) = &v.charge_dispute {
                p { strong { (tr(lang, "争议收费:", "Disputed charge: ")) } (yuan(d.disputed.fen())) " · " (d.customer_words) }
            }
            @if let Some(i) = &v.charge_instruction {
                p { strong { (tr(lang, "中心指示:", "The centre's instruction: ")) } (i.instruction.label(lang)) " · " (i.by) }
            }
            @if let Some(inv) = &v.invoice {
                p { (tr(lang, "发票:", "Invoice: ")) (inv.title) " " (inv.tax_number) " · " (inv.delivery.label(lang)) }
            }
            @for s in &v.parts_short {
                p { (tr(lang, "配件不足:", "Parts short: ")) (s.what_short) " · " (s.approver) " " (local(s.approved_at)) " · " (s.instruction) }
            }
            @for dmg in &v.damages {
                p { (tr(lang, "损坏赔偿:", "Damage compensation: ")) (dmg.what) " " (yuan(dmg.amount.fen()))
                    " · " (if dmg.customer_agreed { tr(lang, "客户同意", "customer agreed") } else { tr(lang, "客户未同意", "customer did not agree") }) }
            }
        }
    }
}

/// A signature drawn from its strokes by the core, with whether it is still
/// bound to what was signed.
fn signature(lang: Lang, heading: &str, s: &SignatureRecord, verified: Option<bool>) -> Markup {
    let svg = s
        .ink_bytes()
        .and_then(|b| Ink::decode(&b).ok())
        .and_then(|ink| render_svg(&ink, 300, 100).ok());
    html! {
        figure.signature {
            @if let Some(svg) = svg {
                // SVG the core wrote from the strokes (numbers only), never a person's text.
                (trusted(svg))
            } @else {
                p.problem { (tr(lang, "签名笔迹无法读取", "The signature's strokes cannot be read")) }
            }
            figcaption {
                (heading) ": " (s.signer_name) " · " (local(s.signed_at)) " · "
                @match verified {
                    Some(true) => span.ok { (tr(lang, "验证通过:签名与所签内容一致", "Verified: bound to what was signed")) },
                    Some(false) => strong.problem { (tr(lang, "验证失败:所签内容已被改动", "NOT verified: what was signed has changed")) },
                    None => strong.problem { (tr(lang, "无法验证", "Cannot be verified")) },
                }
            }
        }
    }
}

fn acceptance(lang: Lang, v: &Visit, masked: bool) -> Markup {
    html! {
        @if let Some(a) = &v.acceptance {
            section {
                h2 { (tr(lang, "客户验收与签名", "Acceptance and signatures")) }
                dl.facts {
                    dt { (tr(lang, "维修质量", "Repair quality")) } dd { (a.quality.label(lang)) }
                    @if let Some(att) = &a.attitude {
                        dt { (tr(lang, "服务态度", "Service attitude")) } dd { (att.label(lang)) }
                    }
                    @if !a.comment.is_empty() {
                        dt { (tr(lang, "客户意见", "Comment")) } dd { (a.comment) }
                    }
                    dt { (tr(lang, "修复无把握", "Fix uncertain")) } dd { (yes_no(lang, a.fix_uncertain)) }
                }
                @match &a.sign_off {
                    SignOff::Signed { .. } if masked => p { (tr(lang, "客户签名(保密,已隐去)", "The customer's signature (confidential, withheld)")) },
                    SignOff::Signed { signature: s } => (signature(lang, tr(lang, "客户签名", "Customer's signature"), s, v.verify_signature().ok())),
                    SignOff::Refused { reason } => p { strong { (tr(lang, "客户未签名:", "The customer did not sign: ")) } (reason) },
                }
                @if let Some(s) = &a.technician_signature {
                    (signature(lang, tr(lang, "维修服务人签名", "Technician's signature"), s, v.verify_technician_signature().ok()))
                }
            }
        }
    }
}

fn payment(lang: Lang, d: &Dossier) -> Markup {
    let v = &d.visit;
    html! {
        section {
            h2 { (tr(lang, "收费与收据", "Payment and receipts")) }
            @if let Some(p) = &v.payment {
                dl.facts {
                    dt { (tr(lang, "方式", "Method")) } dd { (p.method.label(lang)) }
                    dt { (tr(lang, "应收", "Due")) } dd { (yuan(p.due.fen())) }
                    dt { (tr(lang, "实收", "Received")) } dd { (yuan(p.received.fen())) }
                    dt { (tr(lang, "找零", "Change")) } dd { (yuan(p.change.fen())) }
                    @if let Some(r) = &p.reference {
                        dt { (tr(lang, "交易号", "Reference")) } dd { (r) }
                    }
                    dt { (tr(lang, "时间", "When")) } dd { (local(p.at)) }
                }
            } @else {
                p.empty { (tr(lang, "尚未收费。", "Not paid yet.")) }
            }
            @if !d.receipts.is_empty() {
                table.receipts {
                    thead { tr {
                        th { (tr(lang, "收据号", "Receipt")) } th { (tr(lang, "类别", "Kind")) }
                        th { (tr(lang, "方式", "Method")) } th.num { (tr(lang, "金额", "Amount")) }
                        th { (tr(lang, "开具日", "Issued")) } th { (tr(lang, "作废", "Void")) }
                    } }
                    tbody {
                        @for r in &d.receipts {
                            tr {
                                td { (r.number) }
                                td { (match r.kind.as_str() {
                                        "emergency" => tr(lang, "应急", "emergency"),
                                        "reissue" => tr(lang, "重开", "reissue"),
                                        _ => tr(lang, "正常", "original"),
                                    })
                                    @if let Some(old) = &r.refers_to { " " (tr(lang, "替代", "replaces")) " " (old) } }
                                td { (method_label(lang, &r.method)) }
                                td.num { (yuan(r.amount_fen)) }
                                td { (r.issued_day) }
                                td { @if let Some(day) = &r.voided_day {
                                    strong { (tr(lang, "已作废 ", "voided ")) } (day) " " (r.void_reason.as_deref().unwrap_or(""))
                                } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn followup_reason(lang: Lang, reason: &str) -> String {
    let known = match reason {
        "rating" => Some(tr(
            lang,
            "评价一般或不满意",
            "average or dissatisfied rating",
        )),
        "fix_uncertain" => Some(tr(
            lang,
            "修复无把握(3小时后)",
            "fix uncertain (after 3 hours)",
        )),
        "monthly_sample" => Some(tr(lang, "月度抽样", "monthly sample")),
        "declined" => Some(tr(lang, "客户未评价", "declined to rate")),
        _ => None,
    };
    known.map_or_else(|| reason.to_string(), str::to_string)
}

fn after_visit(lang: Lang, d: &Dossier) -> Markup {
    html! {
        section {
            h2 { (tr(lang, "回访、投诉与旧件", "Follow-ups, complaints and old parts")) }
            h3 { (tr(lang, "回访", "Follow-ups")) }
            @if d.followups.is_empty() { p.empty { (tr(lang, "无。", "None.")) } }
            ul {
                @for f in &d.followups {
                    li { (followup_reason(lang, &f.reason)) " · " (tr(lang, "应回访时间 ", "due ")) (local_str(&f.due_at))
                        @if let Some(detail) = &f.detail { " · " (detail) } }
                }
            }
            h3 { (tr(lang, "投诉", "Complaints")) }
            @if d.complaints.is_empty() && d.visit.complaints.is_empty() { p.empty { (tr(lang, "无。", "None.")) } }
            ul {
                @for c in &d.complaints {
                    li { (if c.kind == "hard" { tr(lang, "硬投诉", "hard") } else { tr(lang, "软投诉", "soft") })
                        " · " (local_str(&c.made_at)) " · " (c.customer_name) ": " (c.words) }
                }
            }
            h3 { (tr(lang, "回收旧件", "Old parts recovered")) }
            @if d.old_parts.is_empty() { p.empty { (tr(lang, "无。", "None.")) } }
            ul {
                @for p in &d.old_parts {
                    li { (p.registration) " · " (p.description) " (" (p.part_code) ") " (p.old_serial) " → " (p.new_serial)
                        " · " (if p.in_warranty { tr(lang, "保修", "in warranty") } else { tr(lang, "保外", "out of warranty") }) }
                }
            }
        }
    }
}

fn photos(lang: Lang, v: &Visit, pending: &[String]) -> Markup {
    let all = photos_of(v);
    html! {
        section {
            h2 { (tr(lang, "照片", "Photos")) }
            @if all.is_empty() { p.empty { (tr(lang, "无。", "None.")) } }
            div.photos {
                @for sha in &all { (photo_link(&v.order.job_id, sha, lang, pending)) }
            }
        }
    }
}

fn trail(lang: Lang, d: &Dossier) -> Markup {
    html! {
        section {
            h2 { (tr(lang, "操作记录", "Audit trail")) }
            @if d.trail.is_empty() { p.empty { (tr(lang, "客服中心尚无操作。", "No one at the service centre has acted on it yet.")) } }
            @else {
                table.trail {
                    thead { tr {
                        th { (tr(lang, "时间", "When")) } th { (tr(lang, "人员", "Who")) }
                        th { (tr(lang, "操作", "What")) } th { (tr(lang, "详情", "Detail")) }
                    } }
                    tbody {
                        @for line in &d.trail {
                            tr {
                                td { (local(line.entry.at)) }
                                td { (line.who.as_deref().unwrap_or(tr(lang, "系统", "HQ"))) }
                                td { (action_label(lang, &line.entry.action)) }
                                td { (line.entry.detail) }
                            }
                        }
                    }
                }
            }
        }
    }
}
