//! SQLite's SQL for [`crate::centre::reconciliation`].

use rusqlite::params;

use super::SqliteRecords;
use crate::centre::reconciliation::{ReconciliationRecords, SignOffRow};
use crate::error::Result;

impl ReconciliationRecords for SqliteRecords<'_> {
    async fn technician_names(&mut self) -> Result<Vec<(String, String)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT technician_id, name FROM technicians ORDER BY technician_id")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn insert_signoff(&mut self, s: &SignOffRow) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO reconciliation_signoffs(technician_id, day, outcome, difference_fen, note, signed_by, signed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            params![
                s.technician_id,
                s.day,
                s.outcome,
                s.difference_fen,
                s.note,
                s.signed_by,
                s.signed_at
            ],
        )? > 0)
    }

    async fn signoffs_since(&mut self, day: &str) -> Result<Vec<SignOffRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT technician_id, day, outcome, difference_fen, note, signed_by, signed_at
             FROM reconciliation_signoffs WHERE day >= ?1",
        )?;
        let rows = st.query_map([day], |r| {
            Ok(SignOffRow {
                technician_id: r.get(0)?,
                day: r.get(1)?,
                outcome: r.get(2)?,
                difference_fen: r.get(3)?,
                note: r.get(4)?,
                signed_by: r.get(5)?,
                signed_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn active_days_since(&mut self, day: &str) -> Result<Vec<(String, String)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT technician_id, issued_day FROM receipts WHERE issued_day >= ?1
             UNION SELECT technician_id, voided_day FROM receipts WHERE voided_day >= ?1
             UNION SELECT technician_id, day FROM handovers WHERE day >= ?1",
        )?;
        let rows = st.query_map([day], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
