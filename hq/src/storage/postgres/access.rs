//! PostgreSQL's SQL for [`crate::centre::access`].

use tokio_postgres::Row;

use super::PgRecords;
use crate::centre::access::{AccessRecords, AccessRow, SecrecyRow};
use crate::error::Result;

fn access_row(r: &Row) -> Result<AccessRow> {
    Ok(AccessRow {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        reader: r.try_get(2)?,
        job_id: r.try_get(3)?,
        kind: r.try_get(4)?,
        masked: r.try_get::<_, i64>(5)? != 0,
        address: r.try_get(6)?,
        forwarded: r.try_get(7)?,
    })
}

impl AccessRecords for PgRecords<'_> {
    async fn insert_access(&mut self, rows: &[AccessRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        // One statement for the whole list: a board of 100 orders is one round trip.
        let at: Vec<&str> = rows.iter().map(|r| r.at.as_str()).collect();
        let reader: Vec<&str> = rows.iter().map(|r| r.reader.as_str()).collect();
        let job: Vec<&str> = rows.iter().map(|r| r.job_id.as_str()).collect();
        let kind: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
        let masked: Vec<i64> = rows.iter().map(|r| i64::from(r.masked)).collect();
        let address: Vec<&str> = rows.iter().map(|r| r.address.as_str()).collect();
        let forwarded: Vec<Option<&str>> = rows.iter().map(|r| r.forwarded.as_deref()).collect();
        self.exec(
            "INSERT INTO access_log(at, reader, job_id, kind, masked, address, forwarded)
             SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[],
                                  $6::TEXT[], $7::TEXT[])",
            &[&at, &reader, &job, &kind, &masked, &address, &forwarded],
        )
        .await?;
        Ok(())
    }

    async fn confidential_among(&mut self, job_ids: &[String]) -> Result<Vec<String>> {
        self.all(
            "SELECT job_id FROM order_secrecy WHERE job_id = ANY($1) AND confidential <> 0",
            &[&job_ids],
        )
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    async fn set_secrecy(&mut self, row: &SecrecyRow) -> Result<()> {
        self.exec(
            "INSERT INTO order_secrecy(job_id, confidential, reason, set_by, set_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT(job_id) DO UPDATE SET confidential = excluded.confidential,
               reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at",
            &[
                &row.job_id,
                &i64::from(row.confidential),
                &row.reason,
                &row.set_by,
                &row.set_at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn confidential_orders(&mut self) -> Result<Vec<SecrecyRow>> {
        self.all(
            "SELECT job_id, reason, set_by, set_at FROM order_secrecy
             WHERE confidential <> 0 ORDER BY set_at DESC, job_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(SecrecyRow {
                job_id: r.try_get(0)?,
                confidential: true,
                reason: r.try_get(1)?,
                set_by: r.try_get(2)?,
                set_at: r.try_get(3)?,
            })
        })
        .collect()
    }

    async fn order_known(&mut self, job_id: &str) -> Result<bool> {
        Ok(self
            .one(
                "SELECT 1 FROM orders WHERE job_id = $1
                 UNION ALL SELECT 1 FROM unassigned_orders WHERE job_id = $1 LIMIT 1",
                &[&job_id],
            )
            .await?
            .is_some())
    }

    async fn jobs_naming_blob(
        &mut self,
        sha256: &str,
        technician_id: Option<&str>,
    ) -> Result<Vec<String>> {
        self.all(
            "SELECT job_id FROM orders WHERE ($2::TEXT IS NULL OR technician_id = $2)
             AND strpos(visit, $1) > 0 ORDER BY job_id",
            &[&sha256, &technician_id],
        )
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    async fn access_of_job(&mut self, job_id: &str, limit: i64) -> Result<Vec<AccessRow>> {
        self.all(
            "SELECT id, at, reader, job_id, kind, masked, address, forwarded FROM access_log
             WHERE job_id = $1 ORDER BY id DESC LIMIT $2",
            &[&job_id, &limit],
        )
        .await?
        .iter()
        .map(access_row)
        .collect()
    }

    async fn access_of_reader(&mut self, reader: &str, limit: i64) -> Result<Vec<AccessRow>> {
        self.all(
            "SELECT id, at, reader, job_id, kind, masked, address, forwarded FROM access_log
             WHERE reader = $1 ORDER BY id DESC LIMIT $2",
            &[&reader, &limit],
        )
        .await?
        .iter()
        .map(access_row)
        .collect()
    }
}
