//! PostgreSQL's SQL for [`crate::centre::reconciliation`].

use super::PgRecords;
use crate::centre::reconciliation::{ReconciliationRecords, SignOffRow};
use crate::error::Result;

impl ReconciliationRecords for PgRecords<'_> {
    async fn technician_names(&mut self) -> Result<Vec<(String, String)>> {
        self.all(
            "SELECT technician_id, name FROM technicians ORDER BY technician_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }

    async fn insert_signoff(&mut self, s: &SignOffRow) -> Result<bool> {
        Ok(self
            .exec(
                "INSERT INTO reconciliation_signoffs(technician_id, day, outcome, difference_fen, note, signed_by, signed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[
                    &s.technician_id,
                    &s.day,
                    &s.outcome,
                    &s.difference_fen,
                    &s.note,
                    &s.signed_by,
                    &s.signed_at,
                ],
            )
            .await?
            > 0)
    }

    async fn signoffs_since(&mut self, day: &str) -> Result<Vec<SignOffRow>> {
        self.all(
            "SELECT technician_id, day, outcome, difference_fen, note, signed_by, signed_at
             FROM reconciliation_signoffs WHERE day >= $1",
            &[&day],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(SignOffRow {
                technician_id: r.try_get(0)?,
                day: r.try_get(1)?,
                outcome: r.try_get(2)?,
                difference_fen: r.try_get(3)?,
                note: r.try_get(4)?,
                signed_by: r.try_get(5)?,
                signed_at: r.try_get(6)?,
            })
        })
        .collect()
    }

    async fn active_days_since(&mut self, day: &str) -> Result<Vec<(String, String)>> {
        self.all(
            "SELECT technician_id, issued_day FROM receipts WHERE issued_day >= $1
             UNION SELECT technician_id, voided_day FROM receipts WHERE voided_day >= $1
             UNION SELECT technician_id, day FROM handovers WHERE day >= $1",
            &[&day],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }
}
