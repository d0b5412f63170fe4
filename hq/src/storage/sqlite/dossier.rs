//! SQLite's SQL for [`crate::centre::dossier`].

use rusqlite::params;

use super::SqliteRecords;
use crate::centre::dossier::{DossierRecords, ReceiptEntry};
use crate::error::Result;
use crate::rules::{ComplaintRecord, FollowUp};

impl DossierRecords for SqliteRecords<'_> {
    async fn receipts_of_job(&mut self, job_id: &str) -> Result<Vec<ReceiptEntry>> {
        let mut st = self.tx.prepare_cached(
            "SELECT number, kind, method, amount_fen, issued_day, received_at, refers_to,
                    voided_day, void_reason
             FROM receipts WHERE job_id = ?1 ORDER BY received_at, number",
        )?;
        let rows = st.query_map(params![job_id], |r| {
            Ok(ReceiptEntry {
                number: r.get(0)?,
                kind: r.get(1)?,
                method: r.get(2)?,
                amount_fen: r.get(3)?,
                issued_day: r.get(4)?,
                received_at: r.get(5)?,
                refers_to: r.get(6)?,
                voided_day: r.get(7)?,
                void_reason: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn followups_of_job(&mut self, job_id: &str) -> Result<Vec<FollowUp>> {
        let mut st = self.tx.prepare_cached(
            "SELECT job_id, reason, due_at, detail FROM followups WHERE job_id = ?1
             ORDER BY due_at, reason",
        )?;
        let rows = st.query_map(params![job_id], super::followup_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn complaints_of_job(&mut self, job_id: &str) -> Result<Vec<ComplaintRecord>> {
        let mut st = self.tx.prepare_cached(
            "SELECT job_id, technician_id, kind, words, customer_name, customer_phone, made_at,
                    received_at
             FROM complaints WHERE job_id = ?1 ORDER BY received_at, op_id",
        )?;
        let rows = st.query_map(params![job_id], super::complaint_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
