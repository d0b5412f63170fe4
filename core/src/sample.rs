//! Sample data for the demo, the end-to-end tests and the benchmarks.
//!
//! Nothing here is used by the workflow itself; it builds realistic orders and
//! answers so that every tool that shows Onsite without a real HQ shows the
//! same believable visit.

use chrono::{DateTime, Duration, Utc};

use crate::checklist::Category;
use crate::checklist::{Answer, ItemKind, Phase};
use crate::error::Result;
use crate::material::{PartReplacement, ReturnTag, SimSwap};
use crate::order::{Customer, DeliveryItem, Payer, Product, Vehicle, WorkOrder};
use crate::technician::{Profile, Technician};
use crate::visit::{IdMethod, IdentityCheck, ItemDecision, Visit};

/// The demo technician on the demo phone.
pub fn profile() -> Profile {
    Profile {
        technician_id: "T-0107".into(),
        technician_name: "李师傅".into(),
        device_id: "DEV-7F3A".into(),
        approval_key: "demo-approval-key-shared-with-hq".into(),
    }
}

/// A leaking-pipe repair in a flat, appointment at `appointment_at`.
pub fn leak_order(job_id: &str, technician_id: &str, appointment_at: DateTime<Utc>) -> WorkOrder {
    WorkOrder {
        job_id: job_id.into(),
        category: Category::PropertyRepair,
        site: "翠湖花园".into(),
        customer: Customer {
            name: "王女士".into(),
            phone: "138-0013-8000".into(),
        },
        location: "3栋2单元1502室 厨房".into(),
        reported_at: appointment_at - Duration::hours(20),
        dispatched_at: appointment_at - Duration::hours(18),
        appointment_at,
        urgent: false,
        service: "厨房水槽下方漏水维修".into(),
        fault: "水槽下方角阀处持续滴水,地柜底板已泡水".into(),
        product: None,
        recorder: "客服中心 张敏".into(),
        desired_completion_at: Some(appointment_at + Duration::hours(3)),
        default_payer: Payer::Owner,
        technician_id: technician_id.into(),
        unpaid_balance_fen: 0,
        vehicle: None,
        delivery_items: Vec::new(),
        complained_before: false,
    }
}

/// An appliance repair in warranty (parts free, old part recovered).
pub fn warranty_order(
    job_id: &str,
    technician_id: &str,
    appointment_at: DateTime<Utc>,
) -> WorkOrder {
    WorkOrder {
        category: Category::Appliance,
        service: "冰箱不制冷".into(),
        fault: "冷藏室温度高,压缩机不启动".into(),
        location: "5栋801室".into(),
        product: Some(Product {
            model: "BCD-520W".into(),
            serial: "SN20250311A0042".into(),
            purchase_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 11),
            in_warranty: true,
        }),
        ..leak_order(job_id, technician_id, appointment_at)
    }
}

/// The same appliance repair out of warranty (超保): charged per schedule,
/// at the lower of schedule and warranty card.
pub fn out_of_warranty_order(
    job_id: &str,
    technician_id: &str,
    appointment_at: DateTime<Utc>,
) -> WorkOrder {
    WorkOrder {
        product: Some(Product {
            model: "BCD-520W".into(),
            serial: "SN20210602B0117".into(),
            purchase_date: chrono::NaiveDate::from_ymd_opt(2021, 6, 2),
            in_warranty: false,
        }),
        ..warranty_order(job_id, technician_id, appointment_at)
    }
}

/// The demo's truck.
pub fn vehicle() -> Vehicle {
    Vehicle {
        plate: "粤B·12345".into(),
        model: "东风天龙 KL".into(),
        driver_name: "陈师傅".into(),
        driver_phone: "139-2233-4455".into(),
    }
}

/// A GPS terminal installation on a truck (free: design and installation on site).
pub fn gps_install_order(
    job_id: &str,
    technician_id: &str,
    appointment_at: DateTime<Utc>,
) -> WorkOrder {
    WorkOrder {
        category: Category::GpsInstall,
        site: "顺达物流车队".into(),
        location: "宝安区福永物流园 3号停车场".into(),
        customer: Customer {
            name: "顺达物流 刘经理".into(),
            phone: "0755-2777-8800".into(),
        },
        service: "GPS终端安装".into(),
        fault: "新车加装定位终端".into(),
        product: None,
        vehicle: Some(vehicle()),
        ..leak_order(job_id, technician_id, appointment_at)
    }
}

/// A GPS terminal repair out of warranty (parts only, no labour charged).
pub fn gps_repair_order(
    job_id: &str,
    technician_id: &str,
    appointment_at: DateTime<Utc>,
) -> WorkOrder {
    WorkOrder {
        service: "GPS终端返修".into(),
        fault: "平台显示终端离线三天".into(),
        product: Some(Product {
            model: "GT06N".into(),
            serial: "T860000001".into(),
            purchase_date: chrono::NaiveDate::from_ymd_opt(2022, 1, 10),
            in_warranty: false,
        }),
        ..gps_install_order(job_id, technician_id, appointment_at)
    }
}

/// The compressor of [`warranty_order`] replaced, the old one recovered and numbered.
pub fn warranty_replacement() -> PartReplacement {
    PartReplacement {
        part_code: "AP-P-001".into(),
        description: "压缩机".into(),
        old_serial: "CMP-2025-0311-77".into(),
        new_serial: "CMP-2026-1101-09".into(),
        old_part_recovered: true,
        old_part_registration: Some("JJ-202611-0042".into()),
        ..PartReplacement::default()
    }
}

/// The terminal of [`gps_repair_order`] replaced: both number pairs, the old
/// terminal tagged with the plate and the fault and returned.
pub fn gps_replacement() -> PartReplacement {
    PartReplacement {
        part_code: "GP-P-001".into(),
        description: "GPS定位终端".into(),
        old_serial: "T860000001".into(),
        new_serial: "T860000937".into(),
        old_part_recovered: true,
        old_part_registration: Some("FX-202611-0007".into()),
        sim: Some(SimSwap {
            old_sim: "1440012345678".into(),
            new_sim: "1440098765432".into(),
        }),
        return_tag: Some(ReturnTag {
            plate: vehicle().plate,
            fault: "不定位,平台离线".into(),
        }),
    }
}

/// A furniture delivery and assembly with a delivery list of three items
/// (the second is the one the demo's customer rejects: a scratched panel).
/// The order was written ten days ahead, so the technician can call five
/// working days before the appointment.
pub fn furniture_order(
    job_id: &str,
    technician_id: &str,
    appointment_at: DateTime<Utc>,
) -> WorkOrder {
    let item = |model: &str, colour: &str, size: &str, quantity: u32| DeliveryItem {
        model: model.into(),
        colour: colour.into(),
        size: size.into(),
        quantity,
    };
    WorkOrder {
        category: Category::Furniture,
        site: "绿竹苑".into(),
        location: "8栋1单元602室".into(),
        service: "竹原纤维床垫及床架送货安装".into(),
        fault: "新购家具送货上门并安装".into(),
        reported_at: appointment_at - Duration::days(10),
        dispatched_at: appointment_at - Duration::days(9),
        delivery_items: vec![
            item("LZ-M180 床垫", "米白", "180×200 cm", 1),
            item("LZ-B180 床架", "胡桃色", "180×200 cm", 1),
            item("LZ-N45 床头柜", "胡桃色", "45×40×50 cm", 2),
        ],
        ..leak_order(job_id, technician_id, appointment_at)
    }
}

/// The customer's consent to a new appointment, given by phone at `at`.
pub fn reschedule_consent(at: DateTime<Utc>) -> crate::visit::RescheduleConsent {
    crate::visit::RescheduleConsent {
        agreed_by: "王女士".into(),
        agreed_at: at,
        channel: crate::visit::ConsentChannel::Phone,
    }
}

/// The householder's identity as the demo checks it: name and the last four
/// characters of the ID card (never the whole number).
pub fn householder_check(name: &str) -> IdentityCheck {
    IdentityCheck {
        method: IdMethod::IdCardLast4,
        householder_name: name.into(),
        id_last4: Some("123X".into()),
    }
}

/// The customer rejects an item, with what was wrong.
pub fn rejected(note: &str) -> ItemDecision {
    ItemDecision {
        accepted: false,
        note: note.into(),
    }
}

/// The customer accepts an item as delivered.
pub fn accepted() -> ItemDecision {
    ItemDecision {
        accepted: true,
        note: String::new(),
    }
}

/// A plausible answer for an item: ticks checks, says "no" to yes/no
/// questions, takes the middle of a number range, the first option of a
/// choice, and a fixed photo hash.
pub fn plausible_answer(kind: &ItemKind) -> Answer {
    match kind {
        ItemKind::Check => Answer::Check(true),
        ItemKind::YesNo => Answer::YesNo(false),
        ItemKind::Number { min, max, .. } => Answer::Number((min + max) / 2.0),
        ItemKind::Text { .. } => Answer::Text("已完成 / done".into()),
        ItemKind::Choice { options } => {
            Answer::Choice(options.first().map(|o| o.id.clone()).unwrap_or_default())
        }
        ItemKind::Photo => {
            Answer::Photo("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into())
        }
    }
}

/// Answers every item shown in a phase's checklist, as a diligent technician would.
pub fn complete_checklist(tech: &Technician, job_id: &str, phase: Phase) -> Result<Visit> {
    let mut visit = tech.job(job_id)?;
    // Answering can reveal conditional items, so loop until nothing is left.
    for _ in 0..16 {
        let view = tech.checklist(job_id, phase)?;
        let todo: Vec<_> = view
            .visible
            .iter()
            .filter(|i| !view.answers.contains_key(&i.id))
            .cloned()
            .collect();
        if todo.is_empty() {
            break;
        }
        for item in todo {
            let answer = match item.kind {
                // Parts replaced and old parts recovered: answered as recorded
                // (the core refuses an answer that disagrees with the replacements).
                ItemKind::YesNo if item.id == "old_part_taken" => {
                    Answer::YesNo(!visit.parts.is_empty())
                }
                ItemKind::YesNo if item.id == "old_part_bagged" => Answer::YesNo(
                    visit
                        .parts
                        .iter()
                        .all(|p| p.old_part_recovered && p.old_part_registration.is_some()),
                ),
                // A photo answer must name a photo the core processed and stored.
                ItemKind::Photo => Answer::Photo(
                    tech.add_photo(job_id, &photo_jpeg(), &crate::photo::PhotoPolicy::default())?
                        .full_sha256,
                ),
                ref kind => plausible_answer(kind),
            };
            visit = tech.answer(job_id, &view.template.id, &item.id, answer)?;
        }
    }
    Ok(visit)
}

/// Adds `qty` of the shipped fee schedule's first service to the job's quote,
/// at the schedule price: the quote line every sample visit uses.
pub fn add_schedule_line(tech: &Technician, job_id: &str, qty: u32) -> Result<Visit> {
    let code = tech.fee_schedule().services[0].code.clone();
    tech.add_quote_line(
        job_id,
        &crate::quote::LineRequest {
            item: crate::quote::LineItem::Schedule {
                code,
                warranty_card_price_fen: None,
            },
            qty,
            payer: None,
        },
    )
}

/// A small camera-like JPEG (a gradient with a dark band), for photo items.
pub fn photo_jpeg() -> Vec<u8> {
    use image::ImageEncoder;
    let img = image::RgbImage::from_fn(160, 120, |x, y| {
        if (50..70).contains(&y) {
            image::Rgb([40, 40, 40])
        } else {
            image::Rgb([(x * 255 / 160) as u8, (y * 255 / 120) as u8, 180])
        }
    });
    let mut out = Vec::new();
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    );
    out
}

/// A furniture delivery with an outstanding balance (尾款) of `balance_fen`
/// HQ asks the technician to collect on site.
pub fn furniture_balance_order(
    job_id: &str,
    technician_id: &str,
    appointment_at: DateTime<Utc>,
    balance_fen: i64,
) -> WorkOrder {
    WorkOrder {
        category: Category::Furniture,
        service: "实木衣柜送货安装".into(),
        fault: "新购衣柜一套(三门),送货上门并安装".into(),
        location: "7栋1203室 主卧".into(),
        unpaid_balance_fen: balance_fen,
        ..leak_order(job_id, technician_id, appointment_at)
    }
}

/// A customer who refuses the out-of-warranty charge after 三包 and the
/// warranty scope were explained; `disputed` is the job's quoted charge.
pub fn refused_charge(disputed: crate::money::Fen) -> crate::charge::ChargeDispute {
    crate::charge::ChargeDispute {
        disputed,
        ask: crate::charge::CustomerAsk::Refuses,
        explained_sanbao: true,
        explained_warranty_scope: true,
        customer_words: "机器才用了三年就坏,不愿意付维修费".into(),
    }
}

/// A company's invoice to be posted (a valid unified social credit code).
pub fn company_invoice_by_post() -> crate::charge::Invoice {
    crate::charge::Invoice {
        title: "厦门翠湖物业服务有限公司".into(),
        tax_number: "91350100M000100Y43".into(),
        delivery: crate::charge::InvoiceDelivery::Post {
            address: "厦门市思明区湖滨南路88号 财务部".into(),
        },
    }
}
