//! Payment on site (DOMAIN.md step 8): charge as agreed, by cash, WeChat Pay,
//! Alipay, card, bank transfer or on account.
//!
//! The amount due is never typed: it is the owner's share of the consented
//! quote. Cash may be more than due (change is given and recorded); every other
//! method must be exactly the amount due, and there is no field for a tip:
//! the procedure books forbid tips and gifts, so the model cannot express one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Field, Problem, Result};
use crate::locale::{tr, Lang};
use crate::money::Fen;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Cash,
    WechatPay,
    Alipay,
    Card,
    BankTransfer,
    /// Billed later to the customer's account; nothing is received on site.
    OnAccount,
}

impl Method {
    /// Every method, in the order screens list them.
    pub const ALL: [Method; 6] = [
        Method::Cash,
        Method::WechatPay,
        Method::Alipay,
        Method::Card,
        Method::BankTransfer,
        Method::OnAccount,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Method::Cash => tr(lang, "现金", "Cash"),
            Method::WechatPay => tr(lang, "微信支付", "WeChat Pay"),
            Method::Alipay => tr(lang, "支付宝", "Alipay"),
            Method::Card => tr(lang, "银行卡", "Card"),
            Method::BankTransfer => tr(lang, "银行转账", "Bank transfer"),
            Method::OnAccount => tr(lang, "挂账", "On account"),
        }
    }
}

/// A payment as recorded on the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    pub method: Method,
    pub due: Fen,
    pub received: Fen,
    pub change: Fen,
    /// Reference of an electronic payment (transaction number), if any.
    pub reference: Option<String>,
    pub at: DateTime<Utc>,
    /// Cash only: the notes were checked for counterfeits and counted in front
    /// of the customer. Absent (false) in payments recorded before the rule,
    /// and left out of the serialised form when false so that receipts already
    /// in a ledger keep their hashes.
    /// 「牵涉收回余款一定要注意:假钞,当面点清,否则责任自负」 (furniture book)
    #[serde(default, skip_serializing_if = "is_false")]
    pub cash_checked: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Payment {
    /// Applies the rules above to what the technician says was received.
    /// Cash needs `cash_checked`: checked for counterfeits and counted in
    /// front of the customer.
    pub fn take(
        method: Method,
        due: Fen,
        received_fen: i64,
        reference: Option<String>,
        cash_checked: bool,
        at: DateTime<Utc>,
    ) -> Result<Payment> {
        let received = Fen::new(received_fen)?;
        // 「牵涉收回余款一定要注意:假钞,当面点清,否则责任自负」 (furniture book)
        if method == Method::Cash && !cash_checked {
            return Err(Error::CashNotChecked);
        }
        if let Some(r) = &reference {
            if r.chars().count() > 64 {
                return Err(Error::invalid(
                    Field::PaymentReference,
                    Problem::TooLong { max: 64 },
                ));
            }
        }
        let change = match method {
            Method::OnAccount if received != Fen::ZERO => {
                return Err(Error::NotExactAmount {
                    method: Method::OnAccount,
                    due_fen: 0,
                    received_fen,
                })
            }
            Method::OnAccount => Fen::ZERO,
            Method::Cash if received < due => {
                return Err(Error::Underpaid {
                    due_fen: due.fen(),
                    received_fen,
                })
            }
            Method::Cash => received.checked_sub(due)?,
            _ if received < due => {
                return Err(Error::Underpaid {
                    due_fen: due.fen(),
                    received_fen,
                })
            }
            m if received != due => {
                return Err(Error::NotExactAmount {
                    method: m,
                    due_fen: due.fen(),
                    received_fen,
                })
            }
            _ => Fen::ZERO,
        };
        Ok(Payment {
            method,
            due,
            received,
            change,
            reference,
            at,
            cash_checked: method == Method::Cash,
        })
    }

    /// Whether this payment is what [`Payment::take`] gives for its own method,
    /// due and received amounts: the rules the phone applied, re-run on a
    /// payment received from elsewhere (HQ decoding a push).
    pub fn check(&self) -> Result<()> {
        let again = Payment::take(
            self.method,
            self.due,
            self.received.fen(),
            self.reference.clone(),
            self.cash_checked,
            self.at,
        )?;
        if again == *self {
            Ok(())
        } else {
            Err(Error::invalid(
                Field::Payment,
                Problem::Inconsistent {
                    detail: "change does not equal what was received minus what was due".into(),
                },
            ))
        }
    }

    /// Money the technician now holds for handover (cash and nothing else).
    pub fn collected(&self) -> Fen {
        match self.method {
            Method::OnAccount => Fen::ZERO,
            _ => self.due,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due() -> Fen {
        Fen::new(12_000).unwrap()
    }

    #[test]
    fn cash_gives_change() {
        let p = Payment::take(Method::Cash, due(), 20_000, None, true, Utc::now()).unwrap();
        assert_eq!(p.change.fen(), 8_000);
        assert_eq!(p.collected().fen(), 12_000);
    }

    #[test]
    fn underpayment_is_refused() {
        assert!(matches!(
            Payment::take(Method::Cash, due(), 11_999, None, true, Utc::now()),
            Err(Error::Underpaid { .. })
        ));
    }

    #[test]
    fn electronic_payments_cannot_carry_a_tip() {
        for m in [
            Method::WechatPay,
            Method::Alipay,
            Method::Card,
            Method::BankTransfer,
        ] {
            assert!(matches!(
                Payment::take(m, due(), 12_500, None, true, Utc::now()),
                Err(Error::NotExactAmount { .. })
            ));
            assert!(Payment::take(m, due(), 12_000, None, true, Utc::now()).is_ok());
        }
    }

    #[test]
    fn cash_not_checked_and_counted_is_refused() {
        assert!(matches!(
            Payment::take(Method::Cash, due(), 12_000, None, false, Utc::now()),
            Err(Error::CashNotChecked)
        ));
        let card = Payment::take(Method::Card, due(), 12_000, None, false, Utc::now()).unwrap();
        assert!(!card.cash_checked);
    }

    #[test]
    fn absurd_amounts_are_refused() {
        assert!(matches!(
            Payment::take(Method::Cash, due(), -5, None, true, Utc::now()),
            Err(Error::AmountOutOfRange { .. })
        ));
        assert!(matches!(
            Payment::take(Method::Cash, due(), i64::MAX, None, true, Utc::now()),
            Err(Error::AmountOutOfRange { .. })
        ));
    }
}
