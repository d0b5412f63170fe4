//! SQLite's SQL for [`crate::centre::approvals`].

use rusqlite::params;

use super::SqliteRecords;
use crate::centre::approvals::{ApprovalRow, ApprovalsRecords};
use crate::error::Result;

impl ApprovalsRecords for SqliteRecords<'_> {
    async fn insert_approval(&mut self, a: &ApprovalRow) -> Result<i64> {
        self.exec(
            "INSERT INTO approvals(at, actor, job_id, kind, line_no, description, amount_fen, qty, instruction, code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                a.at,
                a.actor,
                a.job_id,
                a.kind,
                a.line_no,
                a.description,
                a.amount_fen,
                a.qty,
                a.instruction,
                a.code
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    async fn recent_approvals(&mut self, limit: i64) -> Result<Vec<ApprovalRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT id, at, actor, job_id, kind, line_no, description, amount_fen, qty, instruction, code
             FROM approvals ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = st.query_map(params![limit], |r| {
            Ok(ApprovalRow {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                job_id: r.get(3)?,
                kind: r.get(4)?,
                line_no: r.get(5)?,
                description: r.get(6)?,
                amount_fen: r.get(7)?,
                qty: r.get(8)?,
                instruction: r.get(9)?,
                code: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
