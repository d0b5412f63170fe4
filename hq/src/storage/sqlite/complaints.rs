//! SQLite's SQL for [`crate::centre::complaints`].

use rusqlite::params;

use super::SqliteRecords;
use crate::centre::complaints::{ComplaintListRow, ComplaintsRecords, StepRow};
use crate::error::Result;

const COMPLAINT: &str =
    "SELECT c.op_id, c.job_id, c.technician_id, c.kind, c.words, c.customer_name,
        c.customer_phone, c.received_at, h.channel, h.owner, h.recorded_by
     FROM complaints c LEFT JOIN complaint_handling h ON h.complaint_id = c.op_id";

fn complaint_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ComplaintListRow> {
    Ok(ComplaintListRow {
        id: r.get(0)?,
        job_id: r.get(1)?,
        technician_id: r.get(2)?,
        kind: r.get(3)?,
        words: r.get(4)?,
        customer_name: r.get(5)?,
        customer_phone: r.get(6)?,
        received_at: r.get(7)?,
        channel: r.get(8)?,
        owner: r.get(9)?,
        recorded_by: r.get(10)?,
    })
}

impl ComplaintsRecords for SqliteRecords<'_> {
    async fn insert_complaint_handling(
        &mut self,
        id: &str,
        channel: &str,
        owner: &str,
        recorded_by: &str,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO complaint_handling(complaint_id, channel, owner, recorded_by, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, channel, owner, recorded_by, at],
        )?;
        Ok(())
    }

    async fn complaint_rows(&mut self) -> Result<Vec<ComplaintListRow>> {
        let mut st = self
            .tx
            .prepare_cached(&format!("{COMPLAINT} ORDER BY c.received_at DESC, c.op_id"))?;
        let rows = st.query_map([], complaint_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn complaint_for_update(&mut self, id: &str) -> Result<Option<ComplaintListRow>> {
        let mut st = self
            .tx
            .prepare_cached(&format!("{COMPLAINT} WHERE c.op_id = ?1"))?;
        let mut rows = st.query_map([id], complaint_row)?;
        Ok(rows.next().transpose()?)
    }

    async fn complaint_steps(&mut self, id: Option<&str>) -> Result<Vec<StepRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT complaint_id, step, at, by_actor, solution_day, satisfied, note
             FROM complaint_steps WHERE ?1 IS NULL OR complaint_id = ?1 ORDER BY id",
        )?;
        let rows = st.query_map(params![id], |r| {
            Ok(StepRow {
                complaint_id: r.get(0)?,
                step: r.get(1)?,
                at: r.get(2)?,
                by: r.get(3)?,
                solution_day: r.get(4)?,
                satisfied: r.get::<_, Option<i64>>(5)?.map(|v| v != 0),
                note: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn insert_complaint_step(&mut self, s: &StepRow) -> Result<()> {
        self.exec(
            "INSERT INTO complaint_steps(complaint_id, step, at, by_actor, solution_day, satisfied, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                s.complaint_id,
                s.step,
                s.at,
                s.by,
                s.solution_day,
                s.satisfied.map(i64::from),
                s.note
            ],
        )?;
        Ok(())
    }
}
