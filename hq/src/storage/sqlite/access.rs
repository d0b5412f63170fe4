//! SQLite's SQL for [`crate::centre::access`].

use rusqlite::{params, OptionalExtension};

use super::SqliteRecords;
use crate::centre::access::{AccessRecords, AccessRow, SecrecyRow};
use crate::error::Result;

fn access_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccessRow> {
    Ok(AccessRow {
        id: r.get(0)?,
        at: r.get(1)?,
        reader: r.get(2)?,
        job_id: r.get(3)?,
        kind: r.get(4)?,
        masked: r.get::<_, i64>(5)? != 0,
        address: r.get(6)?,
        forwarded: r.get(7)?,
    })
}

impl AccessRecords for SqliteRecords<'_> {
    async fn insert_access(&mut self, rows: &[AccessRow]) -> Result<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO access_log(at, reader, job_id, kind, masked, address, forwarded)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for r in rows {
            st.execute(params![
                r.at,
                r.reader,
                r.job_id,
                r.kind,
                i64::from(r.masked),
                r.address,
                r.forwarded
            ])?;
        }
        Ok(())
    }

    async fn confidential_among(&mut self, job_ids: &[String]) -> Result<Vec<String>> {
        let mut st = self.tx.prepare_cached(
            "SELECT job_id FROM order_secrecy WHERE job_id = ?1 AND confidential <> 0",
        )?;
        let mut out = Vec::new();
        for j in job_ids {
            if let Some(id) = st
                .query_row(params![j], |r| r.get::<_, String>(0))
                .optional()?
            {
                out.push(id);
            }
        }
        Ok(out)
    }

    async fn set_secrecy(&mut self, row: &SecrecyRow) -> Result<()> {
        self.exec(
            "INSERT INTO order_secrecy(job_id, confidential, reason, set_by, set_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(job_id) DO UPDATE SET confidential = excluded.confidential,
               reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at",
            params![
                row.job_id,
                i64::from(row.confidential),
                row.reason,
                row.set_by,
                row.set_at
            ],
        )?;
        Ok(())
    }

    async fn confidential_orders(&mut self) -> Result<Vec<SecrecyRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT job_id, reason, set_by, set_at FROM order_secrecy
             WHERE confidential <> 0 ORDER BY set_at DESC, job_id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(SecrecyRow {
                job_id: r.get(0)?,
                confidential: true,
                reason: r.get(1)?,
                set_by: r.get(2)?,
                set_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn order_known(&mut self, job_id: &str) -> Result<bool> {
        let found: Option<i64> = self
            .tx
            .query_row(
                "SELECT 1 FROM orders WHERE job_id = ?1
                 UNION ALL SELECT 1 FROM unassigned_orders WHERE job_id = ?1 LIMIT 1",
                params![job_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    async fn jobs_naming_blob(
        &mut self,
        sha256: &str,
        technician_id: Option<&str>,
    ) -> Result<Vec<String>> {
        // The hash is 64 hex digits (checked by the caller): no LIKE wildcard in it.
        let mut st = self.tx.prepare_cached(
            "SELECT job_id FROM orders WHERE (?2 IS NULL OR technician_id = ?2)
             AND instr(visit, ?1) > 0 ORDER BY job_id",
        )?;
        let rows = st.query_map(params![sha256, technician_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn access_of_job(&mut self, job_id: &str, limit: i64) -> Result<Vec<AccessRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT id, at, reader, job_id, kind, masked, address, forwarded FROM access_log
             WHERE job_id = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![job_id, limit], access_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn access_of_reader(&mut self, reader: &str, limit: i64) -> Result<Vec<AccessRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT id, at, reader, job_id, kind, masked, address, forwarded FROM access_log
             WHERE reader = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![reader, limit], access_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
