//! The quote: lines priced from the offline fee schedule (有偿服务项目收费标准)
//! and parts price list, with the pricing rules of DOMAIN.md step 4.
//!
//! - A line from the schedule takes the schedule price; where the customer's
//!   warranty card states a different price the **lower** one applies.
//! - In warranty the whole service is free, labour and parts (the old part
//!   must then be recovered and given a registration number, which
//!   [`crate::material`] enforces when the part is replaced):
//!   「保修条件外的服务实行收费制度」「保修条件内,需回收旧配件,报备欧联总公司审核后,方可享受免费保修」
//!   (appliance book). Only out-of-warranty (超保) work is charged.
//! - Each schedule entry carries its charging rule as data ([`Charge`]): GPS
//!   design and installation on site are free, and GPS repairs out of warranty
//!   charge parts only, so a labour line on a GPS order is priced 0 with the
//!   reason shown ([`FreeReason::PartsOnly`]) rather than refused: the
//!   technician still writes down what was done (the centre's 维修服务单 lists
//!   it) and the customer sees it was not charged.
//! - A line outside the schedule needs a supervisor's approval code before the
//!   quote can be shown to the customer. The code is an HMAC of the job and the
//!   line (price included) under a key HQ shares with the device at enrollment,
//!   so a supervisor can read it out over the phone to a technician who is
//!   offline, and a changed price invalidates it.
//! - Each line names its payer (owner, property, maintenance fund); totals are
//!   kept per payer, with checked arithmetic in integer fen.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::checklist::Category;
use crate::error::{Error, Field, Problem, Result};
use crate::locale::Text;
use crate::money::Fen;
use crate::order::Payer;

/// Most units of one line a visit can plausibly need.
pub const MAX_QTY: u32 = 10_000;
/// Most lines on one quote.
pub const MAX_LINES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleEntry {
    pub code: String,
    pub category: Category,
    pub name: Text,
    pub unit: Text,
    pub price_fen: i64,
    /// How the entry is charged; schedules written before the rule default to the schedule price.
    #[serde(default)]
    pub charge: Charge,
}

/// The charging rule of a schedule entry, as data in the fee schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Charge {
    /// Out of warranty (超保) at the schedule price, or the warranty card's
    /// price where lower; free in warranty.
    #[default]
    Schedule,
    /// Never charged: 「免费上门设计、安装」 (GPS book).
    Free,
    /// Labour on a line whose repairs charge parts only:
    /// 「售出的GPS系列产品保修期外维修只收零部件费用」 (GPS book).
    PartsOnly,
}

/// Why a quote line is not charged, shown beside the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FreeReason {
    /// In warranty the whole service is free, labour and parts.
    InWarranty,
    /// A service that is always free (GPS design and installation on site).
    FreeService,
    /// Labour not charged: out-of-warranty repairs of this line charge parts only.
    PartsOnly,
}

impl FreeReason {
    pub fn label(self, lang: crate::locale::Lang) -> &'static str {
        use crate::locale::tr;
        match self {
            FreeReason::InWarranty => tr(lang, "保修期内免费", "free in warranty"),
            FreeReason::FreeService => tr(lang, "免费服务", "free service"),
            FreeReason::PartsOnly => tr(
                lang,
                "保修期外维修只收配件费,不收工时费",
                "out of warranty only parts are charged, no labour",
            ),
        }
    }
}

/// The fee schedule and parts price list, shipped in the crate for offline use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeeSchedule {
    pub version: u32,
    pub currency: String,
    pub services: Vec<ScheduleEntry>,
    pub parts: Vec<ScheduleEntry>,
}

static SHIPPED: OnceLock<std::result::Result<FeeSchedule, String>> = OnceLock::new();

impl FeeSchedule {
    pub fn shipped() -> Result<&'static FeeSchedule> {
        SHIPPED
            .get_or_init(|| {
                FeeSchedule::from_json(include_str!("../data/fee_schedule.json"))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|reason| Error::Corrupt {
                reason: format!("shipped fee schedule: {reason}"),
            })
    }

    pub fn from_json(json: &str) -> Result<FeeSchedule> {
        let s: FeeSchedule = serde_json::from_str(json)?;
        for e in s.services.iter().chain(&s.parts) {
            Fen::new(e.price_fen)?;
            // The data may not contradict its own rule: a free entry has no price.
            if e.charge != Charge::Schedule && e.price_fen != 0 {
                return Err(Error::Corrupt {
                    reason: format!("schedule entry {} is not charged but has a price", e.code),
                });
            }
        }
        if let Some(e) = s.parts.iter().find(|e| e.charge == Charge::PartsOnly) {
            return Err(Error::Corrupt {
                reason: format!("part {} cannot be charged parts only", e.code),
            });
        }
        Ok(s)
    }

    /// Whether labour is charged at all on this line of service: no, when
    /// every service the schedule lists for it is free or parts only (GPS).
    /// Off-schedule labour on such a line is priced 0 too.
    pub fn labour_charged(&self, category: Category) -> bool {
        let of_line: Vec<&ScheduleEntry> = self
            .services
            .iter()
            .filter(|e| e.category == category)
            .collect();
        of_line.is_empty() || of_line.iter().any(|e| e.charge == Charge::Schedule)
    }

    /// Finds a service or part by code.
    pub fn lookup(&self, code: &str) -> Result<(LineKind, &ScheduleEntry)> {
        if let Some(e) = self.services.iter().find(|e| e.code == code) {
            return Ok((LineKind::Service, e));
        }
        if let Some(e) = self.parts.iter().find(|e| e.code == code) {
            return Ok((LineKind::Part, e));
        }
        Err(Error::UnknownScheduleCode {
            code: code.to_string(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Service,
    Part,
}

/// What the technician asks to put on the quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum LineItem {
    /// A service or part from the fee schedule, by code.
    Schedule {
        code: String,
        /// The price on the customer's warranty card, when it states one.
        warranty_card_price_fen: Option<i64>,
    },
    /// Anything else: needs a supervisor's approval code.
    OffSchedule {
        kind: LineKind,
        description: String,
        unit_price_fen: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineRequest {
    pub item: LineItem,
    pub qty: u32,
    /// Defaults to the order's payer.
    pub payer: Option<Payer>,
}

/// A supervisor's approval of an off-schedule line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub supervisor: String,
    pub code: String,
}

/// A priced quote line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteLine {
    pub line_no: u32,
    pub kind: LineKind,
    /// Schedule code, or `None` for an off-schedule line.
    pub code: Option<String>,
    pub description: Text,
    pub unit: Text,
    pub qty: u32,
    /// The schedule price (or the off-schedule price asked).
    pub list_price: Fen,
    pub warranty_card_price: Option<Fen>,
    /// What is charged per unit after the rules.
    pub unit_price: Fen,
    pub line_total: Fen,
    pub payer: Payer,
    /// Given free because the product is in warranty (labour and parts alike).
    pub free_in_warranty: bool,
    pub approval: Option<Approval>,
    /// Why the line is not charged, if it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free: Option<FreeReason>,
}

impl QuoteLine {
    pub fn needs_approval(&self) -> bool {
        self.code.is_none()
    }

    /// The invariants of a priced line, for a line received from elsewhere:
    /// quantity in range, never charged above its list price, and a total
    /// that is the unit price times the quantity.
    pub fn check(&self) -> Result<()> {
        if self.qty == 0 || self.qty > MAX_QTY {
            return Err(Error::invalid(
                Field::Quantity,
                Problem::OutOfRange {
                    min: 1.0,
                    max: f64::from(MAX_QTY),
                },
            ));
        }
        if self.unit_price > self.list_price {
            return Err(Error::invalid(
                Field::QuoteLine,
                Problem::Inconsistent {
                    detail: format!("line {} charges more than its list price", self.line_no),
                },
            ));
        }
        if self.free.is_some() && self.unit_price != Fen::ZERO {
            return Err(Error::invalid(
                Field::QuoteLine,
                Problem::Inconsistent {
                    detail: format!("line {} is free but charges a price", self.line_no),
                },
            ));
        }
        if self.unit_price.checked_mul(self.qty)? != self.line_total {
            return Err(Error::invalid(
                Field::QuoteLine,
                Problem::Inconsistent {
                    detail: format!(
                        "line {} total is not its unit price times its quantity",
                        self.line_no
                    ),
                },
            ));
        }
        Ok(())
    }

    /// The pricing rules a line received from elsewhere (HQ) must have
    /// followed for its order: free in warranty, no labour where the line
    /// charges none.
    pub fn check_terms(&self, in_warranty: bool, labour_charged: bool) -> Result<()> {
        let must_be_free = in_warranty || (self.kind == LineKind::Service && !labour_charged);
        // The price decides (a line queued by an older phone has no `free` reason).
        if must_be_free && self.unit_price != Fen::ZERO {
            return Err(Error::invalid(
                Field::QuoteLine,
                Problem::Inconsistent {
                    detail: format!("line {} must be free on this order", self.line_no),
                },
            ));
        }
        Ok(())
    }

    /// Prices a requested line by the rules of DOMAIN.md step 4, for an
    /// order of `category`.
    pub fn price(
        line_no: u32,
        req: &LineRequest,
        schedule: &FeeSchedule,
        category: Category,
        in_warranty: bool,
        default_payer: Payer,
    ) -> Result<QuoteLine> {
        if req.qty == 0 || req.qty > MAX_QTY {
            return Err(Error::invalid(
                Field::Quantity,
                Problem::OutOfRange {
                    min: 1.0,
                    max: f64::from(MAX_QTY),
                },
            ));
        }
        let payer = req.payer.unwrap_or(default_payer);
        let (kind, code, description, unit, list_price, card, charge) = match &req.item {
            LineItem::Schedule {
                code,
                warranty_card_price_fen,
            } => {
                let (kind, e) = schedule.lookup(code)?;
                let card = warranty_card_price_fen.map(Fen::new).transpose()?;
                (
                    kind,
                    Some(e.code.clone()),
                    e.name.clone(),
                    e.unit.clone(),
                    Fen::new(e.price_fen)?,
                    card,
                    e.charge,
                )
            }
            LineItem::OffSchedule {
                kind,
                description,
                unit_price_fen,
            } => {
                let d = description.trim();
                if d.is_empty() || d.chars().count() > 200 {
                    return Err(Error::invalid(
                        Field::OffScheduleDescription,
                        Problem::Length { min: 1, max: 200 },
                    ));
                }
                (
                    *kind,
                    None,
                    Text::new(d, d),
                    Text::new("项", "item"),
                    Fen::new(*unit_price_fen)?,
                    None,
                    Charge::Schedule,
                )
            }
        };
        let labour_uncharged = kind == LineKind::Service && !schedule.labour_charged(category);
        let free = if in_warranty {
            // 「保修条件内…方可享受免费保修」 (appliance book): labour and parts.
            Some(FreeReason::InWarranty)
        } else if charge == Charge::Free {
            // 「免费上门设计、安装」 (GPS book)
            Some(FreeReason::FreeService)
        } else if charge == Charge::PartsOnly || labour_uncharged {
            // 「保修期外维修只收零部件费用」 (GPS book)
            Some(FreeReason::PartsOnly)
        } else {
            None
        };
        let unit_price = if free.is_some() {
            Fen::ZERO
        } else {
            // 「如果收费标准与用户保修证标准不符,要以二者中最低收费标准为准」 (appliance book)
            card.map_or(list_price, |c| c.min(list_price))
        };
        Ok(QuoteLine {
            line_no,
            kind,
            code,
            description,
            unit,
            qty: req.qty,
            list_price,
            warranty_card_price: card,
            unit_price,
            line_total: unit_price.checked_mul(req.qty)?,
            payer,
            free_in_warranty: in_warranty,
            approval: None,
            free,
        })
    }

    /// The canonical text an approval code covers: the job and everything that prices the line.
    fn approval_message(&self, job_id: &str) -> String {
        format!(
            "onsite-approval-v1|{job_id}|{}|{}|{}|{}",
            self.line_no,
            self.description.zh,
            self.unit_price.fen(),
            self.qty
        )
    }
}

/// The 6-digit code a supervisor reads out to approve an off-schedule line.
///
/// HQ and the supervisor's tools compute it with the same key; the device checks it offline.
pub fn approval_code(key: &[u8], job_id: &str, line: &QuoteLine) -> String {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an impossible code anyway.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return "invalid".to_string();
    };
    mac.update(line.approval_message(job_id).as_bytes());
    let tag = mac.finalize().into_bytes();
    let n = u32::from_be_bytes([tag[0], tag[1], tag[2], tag[3]]) % 1_000_000;
    format!("{n:06}")
}

/// Totals of a quote, per payer and overall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    pub by_payer: BTreeMap<Payer, Fen>,
    pub total: Fen,
}

impl Totals {
    pub fn of(lines: &[QuoteLine]) -> Result<Totals> {
        let mut t = Totals::default();
        for l in lines {
            let slot = t.by_payer.entry(l.payer).or_insert(Fen::ZERO);
            *slot = slot.checked_add(l.line_total)?;
            t.total = t.total.checked_add(l.line_total)?;
        }
        Ok(t)
    }

    /// What the owner or tenant pays on site; other payers are billed by HQ.
    pub fn due_on_site(&self) -> Fen {
        self.by_payer
            .get(&Payer::Owner)
            .copied()
            .unwrap_or(Fen::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> FeeSchedule {
        serde_json::from_value(serde_json::json!({
            "version": 1, "currency": "CNY",
            "services": [{"code": "S1", "category": "appliance", "name": {"zh-CN": "检测", "en": "Inspection"}, "unit": {"zh-CN": "次", "en": "job"}, "price_fen": 5000}],
            "parts": [{"code": "P1", "category": "appliance", "name": {"zh-CN": "主板", "en": "Board"}, "unit": {"zh-CN": "块", "en": "pc"}, "price_fen": 30000}]
        }))
        .unwrap()
    }

    const AP: Category = Category::Appliance;

    fn sched(code: &str, card: Option<i64>, qty: u32) -> LineRequest {
        LineRequest {
            item: LineItem::Schedule {
                code: code.into(),
                warranty_card_price_fen: card,
            },
            qty,
            payer: None,
        }
    }

    #[test]
    fn the_lower_of_schedule_and_warranty_card_price_applies() {
        let s = schedule();
        let l =
            QuoteLine::price(1, &sched("S1", Some(4000), 2), &s, AP, false, Payer::Owner).unwrap();
        assert_eq!(l.unit_price.fen(), 4000);
        assert_eq!(l.line_total.fen(), 8000);
        let l =
            QuoteLine::price(1, &sched("S1", Some(9000), 1), &s, AP, false, Payer::Owner).unwrap();
        assert_eq!(l.unit_price.fen(), 5000);
    }

    #[test]
    fn in_warranty_labour_and_parts_are_free() {
        let s = schedule();
        let p = QuoteLine::price(1, &sched("P1", None, 1), &s, AP, true, Payer::Owner).unwrap();
        assert!(p.free_in_warranty);
        assert_eq!(p.line_total, Fen::ZERO);
        let l = QuoteLine::price(2, &sched("S1", None, 1), &s, AP, true, Payer::Owner).unwrap();
        assert_eq!(l.line_total, Fen::ZERO);
        assert_eq!(l.free, Some(FreeReason::InWarranty));
    }

    #[test]
    fn the_shipped_schedule_keeps_gps_labour_free() {
        let s = FeeSchedule::shipped().unwrap();
        assert!(!s.labour_charged(Category::GpsInstall));
        assert!(s.labour_charged(Category::Appliance));
        let mut bad = s.clone();
        if let Some(e) = bad.services.iter_mut().find(|e| e.charge == Charge::Free) {
            e.price_fen = 100;
        }
        let json = serde_json::to_string(&bad).unwrap();
        assert!(matches!(
            FeeSchedule::from_json(&json),
            Err(Error::Corrupt { .. })
        ));
    }

    #[test]
    fn bad_lines_are_refused() {
        let s = schedule();
        assert!(matches!(
            QuoteLine::price(1, &sched("NOPE", None, 1), &s, AP, false, Payer::Owner),
            Err(Error::UnknownScheduleCode { .. })
        ));
        assert!(matches!(
            QuoteLine::price(1, &sched("S1", None, 0), &s, AP, false, Payer::Owner),
            Err(Error::InvalidInput { .. })
        ));
        let absurd = LineRequest {
            item: LineItem::OffSchedule {
                kind: LineKind::Service,
                description: "x".into(),
                unit_price_fen: i64::MAX,
            },
            qty: 1,
            payer: None,
        };
        assert!(matches!(
            QuoteLine::price(1, &absurd, &s, AP, false, Payer::Owner),
            Err(Error::AmountOutOfRange { .. })
        ));
    }

    #[test]
    fn totals_split_by_payer() {
        let s = schedule();
        let mut prop = sched("S1", None, 1);
        prop.payer = Some(Payer::Property);
        let lines = vec![
            QuoteLine::price(1, &sched("P1", None, 1), &s, AP, false, Payer::Owner).unwrap(),
            QuoteLine::price(2, &prop, &s, AP, false, Payer::Owner).unwrap(),
        ];
        let t = Totals::of(&lines).unwrap();
        assert_eq!(t.total.fen(), 35000);
        assert_eq!(t.due_on_site().fen(), 30000);
        assert_eq!(t.by_payer[&Payer::Property].fen(), 5000);
    }

    #[test]
    fn an_approval_code_is_bound_to_the_price() {
        let s = schedule();
        let req = LineRequest {
            item: LineItem::OffSchedule {
                kind: LineKind::Service,
                description: "拆装吊顶".into(),
                unit_price_fen: 8000,
            },
            qty: 1,
            payer: None,
        };
        let line = QuoteLine::price(3, &req, &s, AP, false, Payer::Owner).unwrap();
        let code = approval_code(b"key", "WO-1", &line);
        assert_eq!(code.len(), 6);
        let mut dearer = line.clone();
        dearer.unit_price = Fen::new(9000).unwrap();
        assert_ne!(code, approval_code(b"key", "WO-1", &dearer));
        assert_ne!(code, approval_code(b"key", "WO-2", &line));
        assert_ne!(code, approval_code(b"other", "WO-1", &line));
    }
}
