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
        if e.receipt.sha256()? != e.sha256 {
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
