//! PostgreSQL's SQL for [`crate::centre::complaints`].

use tokio_postgres::Row;

use super::PgRecords;
use crate::centre::complaints::{ComplaintListRow, ComplaintsRecords, StepRow};
use crate::error::Result;

fn complaint_row(r: &Row) -> Result<ComplaintListRow> {
    Ok(ComplaintListRow {
        id: r.try_get(0)?,
        job_id: r.try_get(1)?,
        technician_id: r.try_get(2)?,
        kind: r.try_get(3)?,
        words: r.try_get(4)?,
        customer_name: r.try_get(5)?,
        customer_phone: r.try_get(6)?,
        received_at: r.try_get(7)?,
        channel: r.try_get(8)?,
        owner: r.try_get(9)?,
        recorded_by: r.try_get(10)?,
    })
}

impl ComplaintsRecords for PgRecords<'_> {
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
             VALUES ($1, $2, $3, $4, $5)",
            &[&id, &channel, &owner, &recorded_by, &at],
        )
        .await?;
        Ok(())
    }

    async fn complaint_rows(&mut self) -> Result<Vec<ComplaintListRow>> {
        self.all(
            "SELECT c.op_id, c.job_id, c.technician_id, c.kind, c.words, c.customer_name,
                    c.customer_phone, c.received_at, h.channel, h.owner, h.recorded_by
             FROM complaints c LEFT JOIN complaint_handling h ON h.complaint_id = c.op_id
             ORDER BY c.received_at DESC, c.op_id",
            &[],
        )
        .await?
        .iter()
        .map(complaint_row)
        .collect()
    }

    async fn complaint_for_update(&mut self, id: &str) -> Result<Option<ComplaintListRow>> {
        self.one(
            "SELECT c.op_id, c.job_id, c.technician_id, c.kind, c.words, c.customer_name,
                    c.customer_phone, c.received_at, h.channel, h.owner, h.recorded_by
             FROM complaints c LEFT JOIN complaint_handling h ON h.complaint_id = c.op_id
             WHERE c.op_id = $1 FOR UPDATE OF c",
            &[&id],
        )
        .await?
        .as_ref()
        .map(complaint_row)
        .transpose()
    }

    async fn complaint_steps(&mut self, id: Option<&str>) -> Result<Vec<StepRow>> {
        self.all(
            "SELECT complaint_id, step, at, by_actor, solution_day, satisfied, note
             FROM complaint_steps WHERE $1::TEXT IS NULL OR complaint_id = $1 ORDER BY id",
            &[&id],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(StepRow {
                complaint_id: r.try_get(0)?,
                step: r.try_get(1)?,
                at: r.try_get(2)?,
                by: r.try_get(3)?,
                solution_day: r.try_get(4)?,
                satisfied: r.try_get::<_, Option<i64>>(5)?.map(|v| v != 0),
                note: r.try_get(6)?,
            })
        })
        .collect()
    }

    async fn insert_complaint_step(&mut self, s: &StepRow) -> Result<()> {
        let satisfied = s.satisfied.map(i64::from);
        self.exec(
            "INSERT INTO complaint_steps(complaint_id, step, at, by_actor, solution_day, satisfied, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &s.complaint_id,
                &s.step,
                &s.at,
                &s.by,
                &s.solution_day,
                &satisfied,
                &s.note,
            ],
        )
        .await?;
        Ok(())
    }
}
