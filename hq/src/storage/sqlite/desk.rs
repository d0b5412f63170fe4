//! SQLite's SQL for [`crate::centre::desk`].

use rusqlite::{named_params, params, OptionalExtension};

use super::SqliteRecords;
use crate::centre::desk::{CallRow, DeskRecords, LineRow, Projection, SearchRow, TechnicianSync};
use crate::error::Result;

const CALL: &str = "id, received_at, day, channel, caller, phone, site, location, category, request, recorded_by, job_id";

fn call_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CallRow> {
    Ok(CallRow {
        id: r.get(0)?,
        received_at: r.get(1)?,
        day: r.get(2)?,
        channel: r.get(3)?,
        caller: r.get(4)?,
        phone: r.get(5)?,
        site: r.get(6)?,
        location: r.get(7)?,
        category: r.get(8)?,
        request: r.get(9)?,
        recorded_by: r.get(10)?,
        job_id: r.get(11)?,
    })
}

/// The columns of a list line, from `orders`.
const LINE: &str = "job_id, technician_id, status, awaiting_approval, appointment_at, reported_at, due_at, arrived_at, urgent, customer_name, site, location";
/// The same from the unassigned queue.
const QUEUED: &str = "job_id, NULL, NULL, 0, appointment_at, reported_at, due_at, NULL, urgent, customer_name, site, location";

fn line_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LineRow> {
    Ok(LineRow {
        job_id: r.get(0)?,
        technician_id: r.get(1)?,
        status: r.get(2)?,
        awaiting_approval: r.get(3)?,
        appointment_at: r.get(4)?,
        reported_at: r.get(5)?,
        due_at: r.get(6)?,
        arrived_at: r.get(7)?,
        urgent: r.get(8)?,
        customer_name: r.get(9)?,
        site: r.get(10)?,
        location: r.get(11)?,
    })
}

/// Prefix matches that an index answers: `col >= :q AND col < :q || U+10FFFF`.
const MATCH: &str = "((job_id >= :text AND job_id < :text || char(1114111))
     OR (customer_name >= :text AND customer_name < :text || char(1114111))
     OR (location >= :text AND location < :text || char(1114111))
     OR (phone_digits >= :digits AND phone_digits < :digits || ':'))";
/// The same within one day: the day's index finds the rows (at most a
/// day's orders), the prefixes only filter them (`+` keeps SQLite off
/// their indexes, which would visit every day's matches).
const MATCH_IN_DAY: &str = "appointment_day = :day
     AND ((+job_id >= :text AND +job_id < :text || char(1114111))
     OR (+customer_name >= :text AND +customer_name < :text || char(1114111))
     OR (+location >= :text AND +location < :text || char(1114111))
     OR (+phone_digits >= :digits AND +phone_digits < :digits || ':'))";

/// The same prefixes as a filter no index answers (`substr` counts
/// characters, as the ranges compare them): for walking the reported-time
/// index, which a broad search does.
const SCAN: &str = "(substr(job_id, 1, length(:text)) = :text
     OR substr(customer_name, 1, length(:text)) = :text
     OR substr(location, 1, length(:text)) = :text
     OR substr(phone_digits, 1, length(:digits)) = :digits)";

/// Index-only counts of each prefix, each up to `:cap`, plus the queue's.
const COUNT: &str = "SELECT
      (SELECT count(*) FROM (SELECT 1 FROM orders WHERE job_id >= :text AND job_id < :text || char(1114111) LIMIT :cap))
    + (SELECT count(*) FROM (SELECT 1 FROM orders WHERE customer_name >= :text AND customer_name < :text || char(1114111) LIMIT :cap))
    + (SELECT count(*) FROM (SELECT 1 FROM orders WHERE location >= :text AND location < :text || char(1114111) LIMIT :cap))
    + (SELECT count(*) FROM (SELECT 1 FROM orders WHERE phone_digits >= :digits AND phone_digits < :digits || ':' LIMIT :cap))
    + (SELECT count(*) FROM (SELECT 1 FROM unassigned_orders WHERE MATCH_QUEUE LIMIT :cap))";

impl SqliteRecords<'_> {
    /// Runs `sql` with those of the search's parameters it names.
    fn search_rows(
        &self,
        sql: &str,
        s: &SearchRow,
        extra: &[(&str, &dyn rusqlite::ToSql)],
    ) -> Result<Vec<LineRow>> {
        let mut st = self.tx.prepare_cached(sql)?;
        let mut p: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
            (":text", &s.text),
            (":digits", &s.digits),
            (":day", &s.day),
            (":limit", &s.limit),
            (":offset", &s.offset),
        ];
        p.extend_from_slice(extra);
        p.retain(|(name, _)| sql.contains(name));
        let rows = st.query_map(p.as_slice(), line_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl DeskRecords for SqliteRecords<'_> {
    async fn next_order_number(&mut self, day: &str) -> Result<i64> {
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO order_numbers(day, last) VALUES (?1, 1)
             ON CONFLICT (day) DO UPDATE SET last = last + 1 RETURNING last",
            )?
            .query_row([day], |r| r.get(0))?)
    }

    async fn insert_call(&mut self, c: &CallRow) -> Result<i64> {
        self.exec(
            "INSERT INTO calls(received_at, day, channel, caller, phone, site, location, category, request, recorded_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![c.received_at, c.day, c.channel, c.caller, c.phone, c.site, c.location, c.category, c.request, c.recorded_by],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    async fn calls_of_day(&mut self, day: &str) -> Result<Vec<CallRow>> {
        let mut st = self.tx.prepare_cached(&format!(
            "SELECT {CALL} FROM calls WHERE day = ?1 ORDER BY id"
        ))?;
        let rows = st.query_map([day], call_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn call(&mut self, id: i64) -> Result<Option<CallRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {CALL} FROM calls WHERE id = ?1"))?
            .query_row([id], call_row)
            .optional()?)
    }

    async fn link_call(&mut self, id: i64, job_id: &str) -> Result<()> {
        self.exec(
            "UPDATE calls SET job_id = ?1 WHERE id = ?2",
            params![job_id, id],
        )?;
        Ok(())
    }

    async fn insert_unassigned(
        &mut self,
        job_id: &str,
        order: &str,
        p: &Projection,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO unassigned_orders(job_id, work_order, appointment_day, appointment_at, reported_at, due_at,
                 customer_name, phone_digits, site, location, urgent, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                job_id, order, p.appointment_day, p.appointment_at, p.reported_at, p.due_at,
                p.customer_name, p.phone_digits, p.site, p.location, p.urgent, at
            ],
        )?;
        Ok(())
    }

    async fn take_unassigned(&mut self, job_id: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM unassigned_orders WHERE job_id = ?1 RETURNING work_order")?
            .query_row([job_id], |r| r.get(0))
            .optional()?)
    }

    async fn unassigned(&mut self, limit: i64) -> Result<Vec<LineRow>> {
        let mut st = self.tx.prepare_cached(&format!(
            "SELECT {QUEUED} FROM unassigned_orders ORDER BY appointment_at LIMIT ?1"
        ))?;
        let rows = st.query_map([limit], line_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn search_orders(&mut self, s: &SearchRow) -> Result<Vec<LineRow>> {
        let filter = match (&s.text, &s.day) {
            (Some(_), Some(_)) => MATCH_IN_DAY,
            (Some(_), None) => MATCH,
            (None, Some(_)) => "appointment_day = :day",
            // Nothing asked, nothing listed (never a sort of every order).
            (None, None) => return Ok(Vec::new()),
        };
        let sql = format!(
            "SELECT * FROM (SELECT {LINE} FROM orders WHERE {filter}
             UNION ALL SELECT {QUEUED} FROM unassigned_orders WHERE {filter})
             ORDER BY reported_at DESC, job_id LIMIT :limit OFFSET :offset"
        );
        self.search_rows(&sql, s, &[])
    }

    async fn count_matches(&mut self, s: &SearchRow, cap: i64) -> Result<i64> {
        let sql = COUNT.replace("MATCH_QUEUE", MATCH);
        let mut st = self.tx.prepare_cached(&sql)?;
        let p = named_params! { ":text": s.text, ":digits": s.digits, ":cap": cap };
        Ok(st.query_row(p, |r| r.get(0))?)
    }

    async fn reported_cutoff(&mut self, depth: i64) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT reported_at FROM orders ORDER BY reported_at DESC LIMIT 1 OFFSET ?1",
            )?
            .query_row([depth - 1], |r| r.get(0))
            .optional()?)
    }

    async fn search_recent(&mut self, s: &SearchRow, since: &str) -> Result<Vec<LineRow>> {
        let sql = format!(
            "SELECT * FROM (
                 SELECT * FROM (SELECT {LINE} FROM orders WHERE reported_at >= :since AND {SCAN}
                     ORDER BY reported_at DESC, job_id LIMIT :limit)
                 UNION ALL SELECT {QUEUED} FROM unassigned_orders WHERE {MATCH})
             ORDER BY reported_at DESC, job_id LIMIT :limit"
        );
        self.search_rows(&sql, s, &[(":since", &since)])
    }

    async fn board_counts(&mut self, day: &str) -> Result<Vec<(String, String, bool, i64)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT technician_id, status, awaiting_approval, count(*) FROM orders
             WHERE appointment_day = ?1 GROUP BY technician_id, status, awaiting_approval",
        )?;
        let rows = st.query_map([day], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn board_attention(&mut self, day: &str, now: &str, limit: i64) -> Result<Vec<LineRow>> {
        let mut st = self.tx.prepare_cached(&format!(
            "SELECT {LINE} FROM orders WHERE appointment_day = ?1 AND status <> 'cancelled' AND (
                 (arrived_at IS NULL AND status IN ('dispatched', 'accepted', 'en_route') AND (due_at < ?2 OR urgent))
                 OR arrived_at > due_at OR awaiting_approval)
             ORDER BY due_at LIMIT ?3"
        ))?;
        let rows = st.query_map(params![day, now, limit], line_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn board_lines(
        &mut self,
        day: &str,
        technician_id: &str,
        limit: i64,
    ) -> Result<Vec<LineRow>> {
        let mut st = self.tx.prepare_cached(&format!(
            "SELECT {LINE} FROM orders WHERE appointment_day = ?1 AND technician_id = ?2
             ORDER BY appointment_at LIMIT ?3"
        ))?;
        let rows = st.query_map(params![day, technician_id, limit], line_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn technicians_sync(&mut self) -> Result<Vec<TechnicianSync>> {
        let mut st = self.tx.prepare_cached(
            "SELECT t.technician_id, t.name, max(d.last_seen_at) FROM technicians t
             LEFT JOIN devices d ON d.technician_id = t.technician_id
             GROUP BY t.technician_id, t.name ORDER BY t.technician_id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(TechnicianSync {
                technician_id: r.get(0)?,
                name: r.get(1)?,
                last_seen_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
