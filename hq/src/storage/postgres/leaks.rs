//! PostgreSQL's SQL for [`crate::centre::leaks`].

use tokio_postgres::Row;

use super::PgRecords;
use crate::centre::leaks::{LeakRecords, LeakRow, ReadsRow};
use crate::error::{HqError, Result};

const LEAK: &str = "SELECT id, what, noticed_at, period_from, period_to, recorded_by, recorded_at
                    FROM leaks";

fn leak_row(r: &Row) -> Result<LeakRow> {
    Ok(LeakRow {
        id: r.try_get(0)?,
        what: r.try_get(1)?,
        noticed_at: r.try_get(2)?,
        period_from: r.try_get(3)?,
        period_to: r.try_get(4)?,
        recorded_by: r.try_get(5)?,
        recorded_at: r.try_get(6)?,
    })
}

impl LeakRecords for PgRecords<'_> {
    async fn insert_leak(&mut self, row: &LeakRow) -> Result<i64> {
        let r = self
            .one(
                "INSERT INTO leaks(what, noticed_at, period_from, period_to, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &row.what,
                    &row.noticed_at,
                    &row.period_from,
                    &row.period_to,
                    &row.recorded_by,
                    &row.recorded_at,
                ],
            )
            .await?
            .ok_or_else(|| HqError::Internal("INSERT ... RETURNING gave no row".into()))?;
        Ok(r.try_get(0)?)
    }

    async fn insert_leak_suspect(
        &mut self,
        leak_id: i64,
        pos: i64,
        reader: &str,
        measure: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO leak_suspects(leak_id, pos, reader, measure) VALUES ($1, $2, $3, $4)",
            &[&leak_id, &pos, &reader, &measure],
        )
        .await?;
        Ok(())
    }

    async fn leak_rows(&mut self, limit: i64) -> Result<Vec<LeakRow>> {
        self.all(&format!("{LEAK} ORDER BY id DESC LIMIT $1"), &[&limit])
            .await?
            .iter()
            .map(leak_row)
            .collect()
    }

    async fn leak_row(&mut self, id: i64) -> Result<Option<LeakRow>> {
        self.one(&format!("{LEAK} WHERE id = $1"), &[&id])
            .await?
            .as_ref()
            .map(leak_row)
            .transpose()
    }

    async fn leak_suspects(&mut self, leak_id: i64) -> Result<Vec<(String, String)>> {
        self.all(
            "SELECT reader, measure FROM leak_suspects WHERE leak_id = $1 ORDER BY pos",
            &[&leak_id],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }

    async fn reads_by(
        &mut self,
        readers: &[String],
        from: &str,
        to: &str,
    ) -> Result<Vec<ReadsRow>> {
        self.all(
            "SELECT job_id, MIN(at), MAX(at), COUNT(*), string_agg(DISTINCT kind, ','),
                    string_agg(DISTINCT reader, ','), MIN(masked)
             FROM access_log
             WHERE reader = ANY($1) AND at >= $2 AND at <= $3
             GROUP BY job_id ORDER BY MIN(at), job_id",
            &[&readers, &from, &to],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(ReadsRow {
                job_id: r.try_get(0)?,
                first_at: r.try_get(1)?,
                last_at: r.try_get(2)?,
                reads: r.try_get(3)?,
                kinds: r.try_get(4)?,
                readers: r.try_get(5)?,
                masked_only: r.try_get::<_, i64>(6)? != 0,
            })
        })
        .collect()
    }
}
