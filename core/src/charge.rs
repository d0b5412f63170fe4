//! Money on site beyond the quote (DOMAIN.md step 8): a charge the customer
//! disputes and the service centre's instruction, the invoice (发票) asked
//! for, and the order's outstanding balance (尾款).
//!
//! - A customer who will not pay the out-of-warranty charge, or asks for a
//!   reduction, is told the national 三包 rules and the warranty scope; if they
//!   still insist the technician escalates to the service centre and the job
//!   waits for its instruction: waive, reduce to an amount, or insist. The
//!   charge is never silently put "on account".
//!   「如果超保收费用户不交,或要求减免费用再修,服务工程师要详细向用户解释国家三保规定及保修期范围」
//!   「如果用户一再坚持则将信息处理结果报回服务中心,根据服务中心批示处理」 (appliance book)
//! - The instruction reaches the phone by sync (HQ's decision, like a
//!   reschedule) or as a code a supervisor reads out over the phone: an HMAC
//!   of the job, the instruction and its amount under the key HQ shares with
//!   the device at enrollment, like the off-schedule approval code.
//! - 「如用户要求开发票,则必须给用户开发票」「若现场未带发票,应与用户约定再送发票或寄发票」
//!   (appliance book): an invoice asked for is recorded with its title and tax
//!   number, handed over on site or promised (brought later or posted); HQ
//!   lists the promised ones.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{Error, Field, Result};
use crate::locale::{tr, Lang};
use crate::money::Fen;
use crate::visit::content::check_text;

/// What the customer asks instead of paying the charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum CustomerAsk {
    /// Will not pay at all (超保收费用户不交).
    Refuses,
    /// Asks for the charge to be reduced to this amount (要求减免费用).
    Reduction { to: Fen },
}

/// A disputed charge as escalated to the service centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChargeDispute {
    /// The charge disputed: the owner's share of the quote when escalated.
    pub disputed: Fen,
    pub ask: CustomerAsk,
    /// The national 三包 rules were explained (解释国家三包规定).
    pub explained_sanbao: bool,
    /// The warranty scope was explained (保修期范围).
    pub explained_warranty_scope: bool,
    /// What the customer says, in their words.
    pub customer_words: String,
}

impl ChargeDispute {
    /// The content rules: both explanations given, words within length, a
    /// reduction below the charge.
    pub fn check(&self) -> Result<()> {
        if !self.explained_sanbao || !self.explained_warranty_scope {
            return Err(Error::ChargeRulesNotExplained);
        }
        check_text(Field::DisputeWords, &self.customer_words, false)?;
        if let CustomerAsk::Reduction { to } = self.ask {
            if to >= self.disputed {
                return Err(Error::ReductionNotBelowCharge {
                    charge_fen: self.disputed.fen(),
                    to_fen: to.fen(),
                });
            }
        }
        Ok(())
    }
}

/// The service centre's instruction on a disputed charge (服务中心批示).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Instruction {
    /// Nothing of the disputed charge is collected.
    Waive,
    /// The charge is reduced to this amount.
    Reduce { to: Fen },
    /// The charge stands as quoted.
    Insist,
}

impl Instruction {
    /// What is due of `charge` after the instruction.
    pub fn applied_to(self, charge: Fen) -> Fen {
        match self {
            Instruction::Waive => Fen::ZERO,
            Instruction::Reduce { to } => to.min(charge),
            Instruction::Insist => charge,
        }
    }

    /// A reduction is never above the charge it reduces.
    pub fn check_against(self, charge: Fen) -> Result<()> {
        match self {
            Instruction::Reduce { to } if to > charge => Err(Error::ReductionNotBelowCharge {
                charge_fen: charge.fen(),
                to_fen: to.fen(),
            }),
            _ => Ok(()),
        }
    }

    pub fn label(self, lang: Lang) -> String {
        match self {
            Instruction::Waive => tr(lang, "免收", "Waived").to_string(),
            Instruction::Reduce { to } => match lang {
                Lang::ZhCn => format!("减收至{}", to.display_yuan()),
                Lang::En => format!("Reduced to {}", to.display_yuan()),
            },
            Instruction::Insist => tr(lang, "照常收费", "Charge stands").to_string(),
        }
    }

    /// The canonical text a supervisor's code covers: the job, the instruction and its amount.
    fn code_message(self, job_id: &str) -> String {
        let (kind, amount) = match self {
            Instruction::Waive => ("waive", 0),
            Instruction::Reduce { to } => ("reduce", to.fen()),
            Instruction::Insist => ("insist", 0),
        };
        format!("onsite-charge-v1|{job_id}|{kind}|{amount}")
    }
}

/// The 6-digit code a supervisor reads out to give an instruction to a
/// technician who is offline. HQ computes it with the technician's
/// enrollment key (`POST /v1/orders/{job_id}/charge-code`); the phone checks
/// it offline. Another job, instruction or amount gives another code.
pub fn charge_code(key: &[u8], job_id: &str, instruction: Instruction) -> String {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an impossible code anyway.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return "invalid".to_string();
    };
    mac.update(instruction.code_message(job_id).as_bytes());
    let tag = mac.finalize().into_bytes();
    let n = u32::from_be_bytes([tag[0], tag[1], tag[2], tag[3]]) % 1_000_000;
    format!("{n:06}")
}

/// How the instruction reached the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum InstructionSource {
    /// Pulled from HQ.
    Sync,
    /// Read out over the phone by a supervisor, with the code checked on the device.
    SupervisorCode { code: String },
}

/// The instruction as recorded on the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChargeInstruction {
    pub instruction: Instruction,
    /// Who at the service centre gave it.
    pub by: String,
    pub source: InstructionSource,
}

impl ChargeInstruction {
    pub fn check(&self) -> Result<()> {
        check_text(Field::Supervisor, &self.by, true)?;
        if let InstructionSource::SupervisorCode { code } = &self.source {
            check_text(Field::ApprovalCode, code, true)?;
        }
        Ok(())
    }
}

/// How the invoice reaches the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "delivery", rename_all = "snake_case")]
pub enum InvoiceDelivery {
    /// Handed over on site.
    OnSite,
    /// Not carried today: brought on a later visit (再送发票).
    BringLater,
    /// Not carried today: posted to this address (寄发票).
    Post { address: String },
}

impl InvoiceDelivery {
    /// Whether the service centre still owes the customer the invoice.
    pub fn pending(&self) -> bool {
        !matches!(self, InvoiceDelivery::OnSite)
    }

    pub fn label(&self, lang: Lang) -> String {
        match self {
            InvoiceDelivery::OnSite => tr(lang, "现场已开", "Handed over on site").to_string(),
            InvoiceDelivery::BringLater => tr(lang, "约定再送", "To be brought").to_string(),
            InvoiceDelivery::Post { address } => match lang {
                Lang::ZhCn => format!("邮寄至{address}"),
                Lang::En => format!("To be posted to {address}"),
            },
        }
    }
}

/// An invoice (发票) the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    /// The title (抬头): a company's name, or the person's for an individual.
    pub title: String,
    /// The buyer's tax number: the 18-character unified social credit code
    /// (统一社会信用代码); empty for an individual.
    pub tax_number: String,
    pub delivery: InvoiceDelivery,
}

impl Invoice {
    pub fn check(&self) -> Result<()> {
        check_text(Field::InvoiceTitle, &self.title, true)?;
        if self.title.chars().count() > 200 {
            return Err(Error::invalid(
                Field::InvoiceTitle,
                crate::error::Problem::TooLong { max: 200 },
            ));
        }
        if !self.tax_number.is_empty() {
            check_tax_number(&self.tax_number)?;
        }
        if let InvoiceDelivery::Post { address } = &self.delivery {
            check_text(Field::InvoiceAddress, address, true)?;
        }
        Ok(())
    }
}

/// The characters of a unified social credit code (GB 32100-2015: digits and
/// capitals without I, O, S, V, Z), in the order of their values.
const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code: 18 characters of [`USCC_CHARS`] whose last
/// one is the check character of the first 17 (GB 32100-2015).
pub fn check_tax_number(s: &str) -> Result<()> {
    let bad = || Error::InvalidTaxNumber {
        tax_number: s.to_string(),
    };
    let values: Vec<u32> = s
        .chars()
        .map(|c| {
            USCC_CHARS
                .find(c)
                .and_then(|i| u32::try_from(i).ok())
                .ok_or_else(bad)
        })
        .collect::<Result<_>>()?;
    if values.len() != 18 {
        return Err(bad());
    }
    let sum: u32 = values
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum::<u32>();
    let check = (31 - sum % 31) % 31;
    if values.get(17) == Some(&check) {
        Ok(())
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_binds_job_instruction_and_amount() {
        let r = |f| Instruction::Reduce {
            to: Fen::new(f).unwrap(),
        };
        let c = charge_code(b"key", "WO-1", r(5000));
        assert_eq!(c.len(), 6);
        assert_ne!(c, charge_code(b"key", "WO-1", r(4000)));
        assert_ne!(c, charge_code(b"key", "WO-2", r(5000)));
        assert_ne!(c, charge_code(b"other", "WO-1", r(5000)));
        assert_ne!(
            charge_code(b"key", "WO-1", Instruction::Waive),
            charge_code(b"key", "WO-1", Instruction::Insist)
        );
    }

    #[test]
    fn tax_numbers_carry_their_check_character() {
        assert!(check_tax_number("91350100M000100Y43").is_ok());
        assert!(check_tax_number("91350100M000100Y44").is_err());
        assert!(check_tax_number("91350100M000100Y4").is_err());
        assert!(check_tax_number("91350100M000100I43").is_err());
    }
}
