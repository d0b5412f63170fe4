//! The receipt (收费收据): issued every time money is taken (DOMAIN.md step 8).
//!
//! Amounts come from the consented quote and the recorded payment, never
//! re-typed. Numbers come from blocks HQ grants the device, so they are unique
//! without network; a number is never reused: a void keeps its number and a
//! reissue takes a new one that refers to the voided receipt. Each ledger entry
//! holds the hash of the entry before it on the device, so deleting or editing
//! a receipt is detectable ([`verify_chain`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::charge::ChargeInstruction;
use crate::error::{Error, Field, Problem, Result};
use crate::money::Fen;
use crate::payment::Payment;
use crate::quote::{QuoteLine, Totals};
use crate::signature::record::content_hash;

/// The hash the first entry of a device's chain refers to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A receipt numbered from an HQ block.
    Original,
    /// Numbered from the device's emergency series because no block was left.
    Emergency,
    /// Cancels an earlier receipt; keeps that receipt's number.
    Void,
    /// Replaces a voided receipt under a new number.
    Reissue,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Original => "original",
            EntryKind::Emergency => "emergency",
            EntryKind::Void => "void",
            EntryKind::Reissue => "reissue",
        }
    }
}

/// A receipt as printed and as stored in the device's ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub number: String,
    pub kind: EntryKind,
    /// For a void: the voided number; for a reissue: the number it replaces.
    pub refers_to: Option<String>,
    pub job_id: String,
    pub issued_at: DateTime<Utc>,
    pub site: String,
    pub location: String,
    pub customer_name: String,
    pub technician_id: String,
    pub technician_name: String,
    pub device_id: String,
    pub lines: Vec<QuoteLine>,
    pub totals: Totals,
    /// The service centre's instruction on a disputed charge, if there was one.
    /// Left out of the serialised form when absent, so that receipts issued
    /// before it existed keep their hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_instruction: Option<ChargeInstruction>,
    /// The order's outstanding balance (尾款) collected as its own line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Fen>,
    pub payment: Option<Payment>,
    /// Why a void was made.
    pub void_reason: Option<String>,
    /// Hash of the previous ledger entry on this device.
    pub prev_sha256: String,
}

impl Receipt {
    /// Canonical bytes of the entry (sorted-key JSON).
    pub fn canonical(&self) -> Result<Vec<u8>> {
        let v = serde_json::to_value(self)?;
        Ok(serde_json::to_vec(&v)?)
    }

    /// The entry's hash, chained through `prev_sha256`.
    pub fn sha256(&self) -> Result<String> {
        Ok(content_hash(&self.canonical()?))
    }

    /// Emergency numbers are printed with a clear mark so HQ and the customer see them.
    pub fn is_emergency(&self) -> bool {
        self.kind == EntryKind::Emergency
    }
}

/// A ledger entry as read back from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    pub position: i64,
    pub receipt: Receipt,
    pub sha256: String,
    /// The job's customer data was purged from the phone: the body lost the
    /// customer's name and room, so only its link in the chain is checked.
    pub purged: bool,
}

/// What a chain check found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainFault {
    /// An entry's content no longer hashes to its stored hash: it was edited.
    Edited { number: String },
    /// An entry does not refer to the one before it: something between was removed.
    Broken { number: String },
}

/// Verifies a device's ledger in order; returns the first fault found.
pub fn verify_chain(entries: &[StoredEntry]) -> Result<Option<ChainFault>> {
    let mut prev = GENESIS.to_string();
    for e in entries {
        if !e.purged && e.receipt.sha256()? != e.sha256 {
            return Ok(Some(ChainFault::Edited {
                number: e.receipt.number.clone(),
            }));
        }
        if e.receipt.prev_sha256 != prev {
            return Ok(Some(ChainFault::Broken {
                number: e.receipt.number.clone(),
            }));
        }
        prev = e.sha256.clone();
    }
    Ok(None)
}

/// A block of receipt numbers HQ granted: `series` + a number in `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NumberBlock {
    pub series: String,
    pub first: i64,
    pub last: i64,
}

impl NumberBlock {
    pub fn validate(&self) -> Result<()> {
        crate::order::validate_id(Field::ReceiptSeries, &self.series)?;
        if self.first < 1 || self.last < self.first || self.last > 99_999_999 {
            return Err(Error::invalid(
                Field::ReceiptBlock,
                Problem::OutOfRange {
                    min: 1.0,
                    max: 99_999_999.0,
                },
            ));
        }
        Ok(())
    }
}

/// How a receipt number is written: series and 8 digits, e.g. `SH01-00000042`.
pub fn format_number(series: &str, n: i64) -> String {
    format!("{series}-{n:08}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn receipt(number: &str, kind: EntryKind, prev: &str) -> Receipt {
        Receipt {
            number: number.into(),
            kind,
            refers_to: None,
            job_id: "J-1".into(),
            issued_at: Utc.with_ymd_and_hms(2026, 11, 28, 6, 0, 0).unwrap(),
            site: "Site".into(),
            location: "Room 1".into(),
            customer_name: "Customer".into(),
            technician_id: "t1".into(),
            technician_name: "Tech".into(),
            device_id: "dev-1".into(),
            lines: Vec::new(),
            totals: Totals::default(),
            charge_instruction: None,
            balance: None,
            payment: None,
            void_reason: None,
            prev_sha256: prev.into(),
        }
    }

    /// A ledger of `n` entries, each chained to the one before, as the store keeps it.
    fn ledger(n: usize) -> Vec<StoredEntry> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|i| {
                let r = receipt(
                    &format_number("SH01", i as i64 + 1),
                    EntryKind::Original,
                    &prev,
                );
                let sha256 = r.sha256().unwrap();
                prev.clone_from(&sha256);
                StoredEntry {
                    position: i as i64 + 1,
                    receipt: r,
                    sha256,
                    purged: false,
                }
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_each_fault_is_named() {
        assert_eq!(verify_chain(&[]).unwrap(), None);
        assert_eq!(verify_chain(&ledger(3)).unwrap(), None);

        let mut edited = ledger(3);
        edited[1].receipt.customer_name = "Someone else".into();
        assert_eq!(
            verify_chain(&edited).unwrap(),
            Some(ChainFault::Edited {
                number: "SH01-00000002".into()
            })
        );

        let mut removed = ledger(3);
        removed.remove(1);
        assert_eq!(
            verify_chain(&removed).unwrap(),
            Some(ChainFault::Broken {
                number: "SH01-00000003".into()
            })
        );

        // The first entry must start from the genesis hash, not any hash.
        let first_removed: Vec<_> = ledger(2).into_iter().skip(1).collect();
        assert_eq!(
            verify_chain(&first_removed).unwrap(),
            Some(ChainFault::Broken {
                number: "SH01-00000002".into()
            })
        );
    }

    #[test]
    fn the_hash_covers_the_content_and_is_stable() {
        let a = receipt("SH01-00000001", EntryKind::Original, GENESIS);
        assert_eq!(a.sha256().unwrap(), a.clone().sha256().unwrap());
        assert_eq!(a.sha256().unwrap().len(), 64);
        let mut b = a.clone();
        b.kind = EntryKind::Emergency;
        assert_ne!(a.sha256().unwrap(), b.sha256().unwrap());
        assert_eq!(
            a.canonical().unwrap(),
            serde_json::to_vec(&serde_json::to_value(&a).unwrap()).unwrap()
        );
        assert!(b.is_emergency());
        assert!(!a.is_emergency());
    }

    #[test]
    fn entry_kinds_are_spelled_as_they_are_stored() {
        for kind in [
            EntryKind::Original,
            EntryKind::Emergency,
            EntryKind::Void,
            EntryKind::Reissue,
        ] {
            let wire = serde_json::to_value(kind).unwrap();
            assert_eq!(wire.as_str(), Some(kind.as_str()), "{kind:?}");
        }
    }

    #[test]
    fn number_blocks_are_checked_at_each_edge() {
        let block = |series: &str, first, last| NumberBlock {
            series: series.into(),
            first,
            last,
        };
        assert!(block("SH01", 1, 1).validate().is_ok());
        assert!(block("SH01", 1, 99_999_999).validate().is_ok());
        for (first, last) in [(0, 10), (-3, 10), (10, 9), (1, 100_000_000)] {
            assert!(
                matches!(
                    block("SH01", first, last).validate(),
                    Err(Error::InvalidInput {
                        field: Field::ReceiptBlock,
                        ..
                    })
                ),
                "{first}..={last}"
            );
        }
        assert!(block("SH 01", 1, 10).validate().is_err());
        assert!(block("", 1, 10).validate().is_err());
        assert_eq!(format_number("SH01", 42), "SH01-00000042");
        assert_eq!(format_number("SH01", 99_999_999), "SH01-99999999");
    }
}
