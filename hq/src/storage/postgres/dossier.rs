//! PostgreSQL's SQL for [`crate::centre::dossier`].

use super::PgRecords;
use crate::centre::dossier::{DossierRecords, ReceiptEntry};
use crate::error::Result;
use crate::rules::{ComplaintRecord, FollowUp};

impl DossierRecords for PgRecords<'_> {
    async fn receipts_of_job(&mut self, job_id: &str) -> Result<Vec<ReceiptEntry>> {
        self.all(
            "SELECT number, kind, method, amount_fen, issued_day, received_at, refers_to,
                    voided_day, void_reason
             FROM receipts WHERE job_id = $1 ORDER BY received_at, number COLLATE \"C\"",
            &[&job_id],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(ReceiptEntry {
                number: r.try_get(0)?,
                kind: r.try_get(1)?,
                method: r.try_get(2)?,
                amount_fen: r.try_get(3)?,
                issued_day: r.try_get(4)?,
                received_at: r.try_get(5)?,
                refers_to: r.try_get(6)?,
                voided_day: r.try_get(7)?,
                void_reason: r.try_get(8)?,
            })
        })
        .collect()
    }

    async fn followups_of_job(&mut self, job_id: &str) -> Result<Vec<FollowUp>> {
        self.all(
            "SELECT job_id, reason, due_at, detail FROM followups WHERE job_id = $1
             ORDER BY due_at, reason COLLATE \"C\"",
            &[&job_id],
        )
        .await?
        .iter()
        .map(super::followup_row)
        .collect()
    }

    async fn complaints_of_job(&mut self, job_id: &str) -> Result<Vec<ComplaintRecord>> {
        self.all(
            "SELECT job_id, technician_id, kind, words, customer_name, customer_phone, made_at,
                    received_at
             FROM complaints WHERE job_id = $1 ORDER BY received_at, op_id COLLATE \"C\"",
            &[&job_id],
        )
        .await?
        .iter()
        .map(super::complaint_row)
        .collect()
    }
}
