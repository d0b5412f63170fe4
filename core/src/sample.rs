//! Sample data for the demo, the end-to-end tests and the benchmarks.
//!
//! Nothing here is used by the workflow itself; it builds realistic orders and
//! answers so that every tool that shows Onsite without a real HQ shows the
//! same believable visit.

use chrono::{DateTime, Duration, Utc};

use crate::checklist::Category;
use crate::checklist::{Answer, ItemKind, Phase};
use crate::error::Result;
use crate::order::{Customer, DeliveryItem, Payer, Product, WorkOrder};
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

/// A furniture delivery and assembly with a delivery list of three items
/// (the second is the one the demo's customer rejects: a scratched panel).
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
        delivery_items: vec![
            item("LZ-M180 床垫", "米白", "180×200 cm", 1),
            item("LZ-B180 床架", "胡桃色", "180×200 cm", 1),
            item("LZ-N45 床头柜", "胡桃色", "45×40×50 cm", 2),
        ],
        ..leak_order(job_id, technician_id, appointment_at)
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
