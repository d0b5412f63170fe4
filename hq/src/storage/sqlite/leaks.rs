//! SQLite's SQL for [`crate::centre::leaks`].

use rusqlite::{params, OptionalExtension};

use super::SqliteRecords;
use crate::centre::leaks::{LeakRecords, LeakRow, ReadsRow};
use crate::error::Result;

const LEAK: &str = "SELECT id, what, noticed_at, period_from, period_to, recorded_by, recorded_at
                    FROM leaks";

fn leak_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LeakRow> {
    Ok(LeakRow {
        id: r.get(0)?,
        what: r.get(1)?,
        noticed_at: r.get(2)?,
        period_from: r.get(3)?,
        period_to: r.get(4)?,
        recorded_by: r.get(5)?,
        recorded_at: r.get(6)?,
    })
}

impl LeakRecords for SqliteRecords<'_> {
    async fn insert_leak(&mut self, row: &LeakRow) -> Result<i64> {
        self.exec(
            "INSERT INTO leaks(what, noticed_at, period_from, period_to, recorded_by, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.what,
                row.noticed_at,
                row.period_from,
                row.period_to,
                row.recorded_by,
                row.recorded_at
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    async fn insert_leak_suspect(
        &mut self,
        leak_id: i64,
        pos: i64,
        reader: &str,
        measure: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO leak_suspects(leak_id, pos, reader, measure) VALUES (?1, ?2, ?3, ?4)",
            params![leak_id, pos, reader, measure],
        )?;
        Ok(())
    }

    async fn leak_rows(&mut self, limit: i64) -> Result<Vec<LeakRow>> {
        let mut st = self
            .tx
            .prepare_cached(&format!("{LEAK} ORDER BY id DESC LIMIT ?1"))?;
        let rows = st.query_map(params![limit], leak_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    async fn leak_row(&mut self, id: i64) -> Result<Option<LeakRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!("{LEAK} WHERE id = ?1"))?
            .query_row(params![id], leak_row)
            .optional()?)
    }

    async fn leak_suspects(&mut self, leak_id: i64) -> Result<Vec<(String, String)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT reader, measure FROM leak_suspects WHERE leak_id = ?1 ORDER BY pos",
        )?;
        let rows = st.query_map(params![leak_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    async fn reads_by(
        &mut self,
        readers: &[String],
        from: &str,
        to: &str,
    ) -> Result<Vec<ReadsRow>> {
        // The readers as one JSON array: one statement whatever their number.
        let readers = serde_json::to_string(readers)?;
        let mut st = self.tx.prepare_cached(
            "SELECT job_id, MIN(at), MAX(at), COUNT(*), GROUP_CONCAT(DISTINCT kind),
                    GROUP_CONCAT(DISTINCT reader), MIN(masked)
             FROM access_log
             WHERE reader IN (SELECT value FROM json_each(?1)) AND at >= ?2 AND at <= ?3
             GROUP BY job_id ORDER BY MIN(at), job_id",
        )?;
        let rows = st.query_map(params![readers, from, to], |r| {
            Ok(ReadsRow {
                job_id: r.get(0)?,
                first_at: r.get(1)?,
                last_at: r.get(2)?,
                reads: r.get(3)?,
                kinds: r.get(4)?,
                readers: r.get(5)?,
                masked_only: r.get::<_, i64>(6)? != 0,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
