//! The quote: lines priced from the offline fee schedule (有偿服务项目收费标准)
//! and parts price list, with the pricing rules of DOMAIN.md step 4.
//!
//! - A line from the schedule takes the schedule price; where the customer's
//!   warranty card states a different price the **lower** one applies.
//! - In warranty, parts are free (the old part must then be recovered, which
//!   [`crate::material`] enforces when the part is replaced).
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
use crate::error::{Error, Result};
use crate::locale::Text;
use crate::money::Fen;
use crate::order::Payer;

/// Most units of one line a visit can plausibly need.
pub const MAX_QTY: u32 = 10_000;
/// Most lines on one quote.
pub const MAX_LINES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleEntry {
    pub code: String,
    pub category: Category,
    pub name: Text,
    pub unit: Text,
    pub price_fen: i64,
}

/// The fee schedule and parts price list, shipped in the crate for offline use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        }
        Ok(s)
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
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Service,
    Part,
}

/// What the technician asks to put on the quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct LineRequest {
    pub item: LineItem,
    pub qty: u32,
    /// Defaults to the order's payer.
    pub payer: Option<Payer>,
}

/// A supervisor's approval of an off-schedule line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub supervisor: String,
    pub code: String,
}

/// A priced quote line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A part given free because the product is in warranty.
    pub free_in_warranty: bool,
    pub approval: Option<Approval>,
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
                "quantity",
                format!("{} is outside 1..={MAX_QTY}", self.qty),
            ));
        }
        if self.unit_price > self.list_price {
            return Err(Error::invalid(
                "quote line",
                format!("line {} charges more than its list price", self.line_no),
            ));
        }
        if self.unit_price.checked_mul(self.qty)? != self.line_total {
            return Err(Error::invalid(
                "quote line",
                format!(
                    "line {} total is not its unit price times its quantity",
                    self.line_no
                ),
            ));
        }
        Ok(())
    }

    /// Prices a requested line by the rules of DOMAIN.md step 4.
    pub fn price(
        line_no: u32,
        req: &LineRequest,
        schedule: &FeeSchedule,
        in_warranty: bool,
        default_payer: Payer,
    ) -> Result<QuoteLine> {
        if req.qty == 0 || req.qty > MAX_QTY {
            return Err(Error::invalid(
                "quantity",
                format!("{} is outside 1..={MAX_QTY}", req.qty),
            ));
        }
        let payer = req.payer.unwrap_or(default_payer);
        let (kind, code, description, unit, list_price, card) = match &req.item {
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
                        "off-schedule description",
                        "must be 1 to 200 characters",
                    ));
                }
                (
                    *kind,
                    None,
                    Text::new(d, d),
                    Text::new("项", "item"),
                    Fen::new(*unit_price_fen)?,
                    None,
                )
            }
        };
        let free_in_warranty = in_warranty && kind == LineKind::Part;
        let unit_price = if free_in_warranty {
            Fen::ZERO
        } else {
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
            free_in_warranty,
            approval: None,
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
        let l = QuoteLine::price(1, &sched("S1", Some(4000), 2), &s, false, Payer::Owner).unwrap();
        assert_eq!(l.unit_price.fen(), 4000);
        assert_eq!(l.line_total.fen(), 8000);
        let l = QuoteLine::price(1, &sched("S1", Some(9000), 1), &s, false, Payer::Owner).unwrap();
        assert_eq!(l.unit_price.fen(), 5000);
    }

    #[test]
    fn parts_are_free_in_warranty_but_labour_is_not() {
        let s = schedule();
        let p = QuoteLine::price(1, &sched("P1", None, 1), &s, true, Payer::Owner).unwrap();
        assert!(p.free_in_warranty);
        assert_eq!(p.line_total, Fen::ZERO);
        let l = QuoteLine::price(2, &sched("S1", None, 1), &s, true, Payer::Owner).unwrap();
        assert_eq!(l.line_total.fen(), 5000);
    }

    #[test]
    fn bad_lines_are_refused() {
        let s = schedule();
        assert!(matches!(
            QuoteLine::price(1, &sched("NOPE", None, 1), &s, false, Payer::Owner),
            Err(Error::UnknownScheduleCode { .. })
        ));
        assert!(matches!(
            QuoteLine::price(1, &sched("S1", None, 0), &s, false, Payer::Owner),
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
            QuoteLine::price(1, &absurd, &s, false, Payer::Owner),
            Err(Error::AmountOutOfRange { .. })
        ));
    }

    #[test]
    fn totals_split_by_payer() {
        let s = schedule();
        let mut prop = sched("S1", None, 1);
        prop.payer = Some(Payer::Property);
        let lines = vec![
            QuoteLine::price(1, &sched("P1", None, 1), &s, false, Payer::Owner).unwrap(),
            QuoteLine::price(2, &prop, &s, false, Payer::Owner).unwrap(),
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
        let line = QuoteLine::price(3, &req, &s, false, Payer::Owner).unwrap();
        let code = approval_code(b"key", "WO-1", &line);
        assert_eq!(code.len(), 6);
        let mut dearer = line.clone();
        dearer.unit_price = Fen::new(9000).unwrap();
        assert_ne!(code, approval_code(b"key", "WO-1", &dearer));
        assert_ne!(code, approval_code(b"key", "WO-2", &line));
        assert_ne!(code, approval_code(b"other", "WO-1", &line));
    }
}
