//! PostgreSQL's SQL for [`crate::centre::approvals`].

use super::PgRecords;
use crate::centre::approvals::{ApprovalRow, ApprovalsRecords};
use crate::error::{HqError, Result};

impl ApprovalsRecords for PgRecords<'_> {
    async fn insert_approval(&mut self, a: &ApprovalRow) -> Result<i64> {
        let row = self
            .one(
                "INSERT INTO approvals(at, actor, job_id, kind, line_no, description, amount_fen, qty, instruction, code)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                &[
                    &a.at,
                    &a.actor,
                    &a.job_id,
                    &a.kind,
                    &a.line_no,
                    &a.description,
                    &a.amount_fen,
                    &a.qty,
                    &a.instruction,
                    &a.code,
                ],
            )
            .await?
            .ok_or_else(|| HqError::Internal("approval insert returned no id".into()))?;
        Ok(row.try_get(0)?)
    }

    async fn recent_approvals(&mut self, limit: i64) -> Result<Vec<ApprovalRow>> {
        self.all(
            "SELECT id, at, actor, job_id, kind, line_no, description, amount_fen, qty, instruction, code
             FROM approvals ORDER BY id DESC LIMIT $1",
            &[&limit],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(ApprovalRow {
                id: r.try_get(0)?,
                at: r.try_get(1)?,
                actor: r.try_get(2)?,
                job_id: r.try_get(3)?,
                kind: r.try_get(4)?,
                line_no: r.try_get(5)?,
                description: r.try_get(6)?,
                amount_fen: r.try_get(7)?,
                qty: r.try_get(8)?,
                instruction: r.try_get(9)?,
                code: r.try_get(10)?,
            })
        })
        .collect()
    }
}
