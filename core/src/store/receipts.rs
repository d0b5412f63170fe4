//! Receipt numbering blocks and the receipt ledger, in SQL.
//!
//! A number is taken in the same transaction that writes the receipt, so a
//! crash can neither lose a receipt nor burn a number twice.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::meta;
use crate::error::{Error, Field, Problem, Result};
use crate::receipt::{format_number, EntryKind, NumberBlock, Receipt, StoredEntry, GENESIS};

/// Stores a block granted by HQ; overlapping an existing block of the series is refused.
pub fn grant_block(tx: &Transaction, block: &NumberBlock, granted_at: &str) -> Result<()> {
    block.validate()?;
    let overlap: Option<i64> = tx
        .query_row(
            "SELECT first FROM receipt_blocks WHERE series = ?1 AND first <= ?3 AND last >= ?2",
            params![block.series, block.first, block.last],
            |r| r.get(0),
        )
        .optional()?;
    if overlap.is_some() {
        return Err(Error::invalid(Field::ReceiptBlock, Problem::Overlaps));
    }
    tx.execute(
        "INSERT INTO receipt_blocks(series, first, last, next, granted_at) VALUES (?1, ?2, ?3, ?2, ?4)",
        params![block.series, block.first, block.last, granted_at],
    )?;
    Ok(())
}

/// Takes the next number from the oldest block that has one left.
pub fn take_number(tx: &Transaction) -> Result<String> {
    let row: Option<(String, i64, i64)> = tx
        .query_row(
            "SELECT series, first, next FROM receipt_blocks
             WHERE emergency = 0 AND next <= last ORDER BY granted_at, series, first LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((series, first, next)) = row else {
        return Err(Error::ReceiptNumbersExhausted);
    };
    tx.execute(
        "UPDATE receipt_blocks SET next = next + 1 WHERE series = ?1 AND first = ?2",
        params![series, first],
    )?;
    Ok(format_number(&series, next))
}

/// A device-unique number in the emergency series, clearly marked `EM-`.
pub fn take_emergency_number(tx: &Transaction, device_id: &str) -> Result<String> {
    let n = meta::get_i64(tx, meta::EMERGENCY_LAST)? + 1;
    meta::set(tx, meta::EMERGENCY_LAST, &n.to_string())?;
    Ok(format_number(&format!("EM-{device_id}"), n))
}

/// Numbers left in all blocks, so the sync client can ask for more while online.
pub fn remaining(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(last - next + 1), 0) FROM receipt_blocks WHERE emergency = 0",
        [],
        |r| r.get(0),
    )?)
}

/// Appends an entry to the ledger, chaining it to the previous one.
pub fn append(tx: &Transaction, receipt: &mut Receipt) -> Result<String> {
    let prev: Option<String> = tx
        .query_row(
            "SELECT sha256 FROM receipts ORDER BY position DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    receipt.prev_sha256 = prev.unwrap_or_else(|| GENESIS.to_string());
    let sha = receipt.sha256()?;
    let clash: Option<String> = tx
        .query_row(
            "SELECT kind FROM receipts WHERE number = ?1 AND (kind = 'void') = ?2",
            params![receipt.number, receipt.kind == EntryKind::Void],
            |r| r.get(0),
        )
        .optional()?;
    if clash.is_some() {
        return Err(Error::ReceiptNumberUsed {
            number: receipt.number.clone(),
        });
    }
    tx.execute(
        "INSERT INTO receipts(number, job_id, kind, refers_to, issued_at, body, prev_sha256, sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            receipt.number,
            receipt.job_id,
            receipt.kind.as_str(),
            receipt.refers_to,
            receipt.issued_at.to_rfc3339(),
            serde_json::to_string(receipt)?,
            receipt.prev_sha256,
            sha
        ],
    )?;
    Ok(sha)
}

/// The whole ledger in order.
pub fn ledger(conn: &Connection) -> Result<Vec<StoredEntry>> {
    let mut stmt = conn.prepare(
        "SELECT position, body, sha256,
                EXISTS (SELECT 1 FROM purged_jobs p WHERE p.job_id = receipts.job_id)
         FROM receipts ORDER BY position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, bool>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (position, body, sha256, purged) = row?;
        out.push(StoredEntry {
            position,
            receipt: serde_json::from_str(&body)?,
            sha256,
            purged,
        });
    }
    Ok(out)
}

/// The receipt (original, emergency or reissue) last issued for a number.
pub fn find(conn: &Connection, number: &str) -> Result<Option<Receipt>> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM receipts WHERE number = ?1 AND kind != 'void'",
            [number],
            |r| r.get(0),
        )
        .optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(Error::from))
        .transpose()
}

/// Whether a number has been voided.
pub fn is_voided(conn: &Connection, number: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM receipts WHERE number = ?1 AND kind = 'void'",
            [number],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
