//! PostgreSQL's SQL for [`crate::centre::desk`].

use tokio_postgres::Row;

use super::PgRecords;
use crate::centre::desk::{CallRow, DeskRecords, LineRow, Projection, SearchRow, TechnicianSync};
use crate::error::Result;

const CALL: &str = "id, received_at, day, channel, caller, phone, site, location, category, request, recorded_by, job_id";

fn call_row(r: &Row) -> Result<CallRow> {
    Ok(CallRow {
        id: r.try_get(0)?,
        received_at: r.try_get(1)?,
        day: r.try_get(2)?,
        channel: r.try_get(3)?,
        caller: r.try_get(4)?,
        phone: r.try_get(5)?,
        site: r.try_get(6)?,
        location: r.try_get(7)?,
        category: r.try_get(8)?,
        request: r.try_get(9)?,
        recorded_by: r.try_get(10)?,
        job_id: r.try_get(11)?,
    })
}

/// The columns of a list line, from `orders`.
const LINE: &str = "job_id, technician_id, status, awaiting_approval, appointment_at, reported_at, due_at, arrived_at, urgent, customer_name, site, location";
/// The same from the unassigned queue.
const QUEUED: &str = "job_id, NULL::TEXT, NULL::TEXT, 0::BIGINT, appointment_at, reported_at, due_at, NULL::TEXT, urgent, customer_name, site, location";

fn line_row(r: &Row) -> Result<LineRow> {
    Ok(LineRow {
        job_id: r.try_get(0)?,
        technician_id: r.try_get(1)?,
        status: r.try_get(2)?,
        awaiting_approval: r.try_get::<_, i64>(3)? != 0,
        appointment_at: r.try_get(4)?,
        reported_at: r.try_get(5)?,
        due_at: r.try_get(6)?,
        arrived_at: r.try_get(7)?,
        urgent: r.try_get::<_, i64>(8)? != 0,
        customer_name: r.try_get(9)?,
        site: r.try_get(10)?,
        location: r.try_get(11)?,
    })
}

/// Prefix matches that the `COLLATE "C"` indexes answer.
const MATCH: &str = "((job_id COLLATE \"C\" >= $1 AND job_id COLLATE \"C\" < $1 || chr(1114111))
     OR (customer_name COLLATE \"C\" >= $1 AND customer_name COLLATE \"C\" < $1 || chr(1114111))
     OR (location COLLATE \"C\" >= $1 AND location COLLATE \"C\" < $1 || chr(1114111))
     OR (phone_digits COLLATE \"C\" >= $2 AND phone_digits COLLATE \"C\" < $2 || ':'))";

/// The same prefixes as a filter no index answers: for walking the
/// reported-time index, which a broad search does.
const SCAN: &str = "(left(job_id, length($1)) = $1
     OR left(customer_name, length($1)) = $1
     OR left(location, length($1)) = $1
     OR left(phone_digits, length($2)) = $2)";

impl DeskRecords for PgRecords<'_> {
    async fn next_order_number(&mut self, day: &str) -> Result<i64> {
        // The row stays locked to commit: a second HQ process waits, then counts on.
        let row = self
            .one(
                "INSERT INTO order_numbers(day, last) VALUES ($1, 1)
                 ON CONFLICT (day) DO UPDATE SET last = order_numbers.last + 1 RETURNING last",
                &[&day],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(1))
    }

    async fn insert_call(&mut self, c: &CallRow) -> Result<i64> {
        let row = self
            .one(
                "INSERT INTO calls(received_at, day, channel, caller, phone, site, location, category, request, recorded_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                &[&c.received_at, &c.day, &c.channel, &c.caller, &c.phone, &c.site, &c.location, &c.category, &c.request, &c.recorded_by],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or_default())
    }

    async fn calls_of_day(&mut self, day: &str) -> Result<Vec<CallRow>> {
        self.all(
            &format!("SELECT {CALL} FROM calls WHERE day = $1 ORDER BY id"),
            &[&day],
        )
        .await?
        .iter()
        .map(call_row)
        .collect()
    }

    async fn call(&mut self, id: i64) -> Result<Option<CallRow>> {
        self.one(&format!("SELECT {CALL} FROM calls WHERE id = $1"), &[&id])
            .await?
            .as_ref()
            .map(call_row)
            .transpose()
    }

    async fn link_call(&mut self, id: i64, job_id: &str) -> Result<()> {
        self.exec(
            "UPDATE calls SET job_id = $1 WHERE id = $2",
            &[&job_id, &id],
        )
        .await?;
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &job_id, &order, &p.appointment_day, &p.appointment_at, &p.reported_at, &p.due_at,
                &p.customer_name, &p.phone_digits, &p.site, &p.location, &i64::from(p.urgent), &at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn take_unassigned(&mut self, job_id: &str) -> Result<Option<String>> {
        self.one(
            "DELETE FROM unassigned_orders WHERE job_id = $1 RETURNING work_order",
            &[&job_id],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(Into::into)
    }

    async fn unassigned(&mut self, limit: i64) -> Result<Vec<LineRow>> {
        self.all(
            &format!(
                "SELECT {QUEUED} FROM unassigned_orders ORDER BY appointment_at COLLATE \"C\" LIMIT $1"
            ),
            &[&limit],
        )
        .await?
        .iter()
        .map(line_row)
        .collect()
    }

    async fn search_orders(&mut self, s: &SearchRow) -> Result<Vec<LineRow>> {
        let rows = match (&s.text, &s.day) {
            (Some(text), day) => {
                let filter = if day.is_some() {
                    format!("appointment_day = $3 AND {MATCH}")
                } else {
                    format!("$3::TEXT IS NULL AND {MATCH}")
                };
                self.all(
                    &format!(
                        "SELECT * FROM (SELECT {LINE} FROM orders WHERE {filter}
                         UNION ALL SELECT {QUEUED} FROM unassigned_orders WHERE {filter}) x
                         ORDER BY reported_at COLLATE \"C\" DESC, job_id COLLATE \"C\" LIMIT $4 OFFSET $5"
                    ),
                    &[text, &s.digits, &s.day, &s.limit, &s.offset],
                )
                .await?
            }
            (None, Some(day)) => {
                self.all(
                    &format!(
                        "SELECT * FROM (SELECT {LINE} FROM orders WHERE appointment_day = $1
                         UNION ALL SELECT {QUEUED} FROM unassigned_orders WHERE appointment_day = $1) x
                         ORDER BY reported_at COLLATE \"C\" DESC, job_id COLLATE \"C\" LIMIT $2 OFFSET $3"
                    ),
                    &[day, &s.limit, &s.offset],
                )
                .await?
            }
            // Nothing asked, nothing listed (never a sort of every order).
            (None, None) => return Ok(Vec::new()),
        };
        rows.iter().map(line_row).collect()
    }

    async fn count_matches(&mut self, s: &SearchRow, cap: i64) -> Result<i64> {
        let range = |col: &str, p: &str, end: &str| {
            format!(
                "(SELECT count(*) FROM (SELECT 1 FROM orders WHERE {col} COLLATE \"C\" >= {p}
                   AND {col} COLLATE \"C\" < {p} || {end} LIMIT $3) x)"
            )
        };
        let sql = format!(
            "SELECT {} + {} + {} + {}
                 + (SELECT count(*) FROM (SELECT 1 FROM unassigned_orders WHERE {MATCH} LIMIT $3) x)",
            range("job_id", "$1", "chr(1114111)"),
            range("customer_name", "$1", "chr(1114111)"),
            range("location", "$1", "chr(1114111)"),
            range("phone_digits", "$2", "':'"),
        );
        let row = self.one(&sql, &[&s.text, &s.digits, &cap]).await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
    }

    async fn reported_cutoff(&mut self, depth: i64) -> Result<Option<String>> {
        let row = self
            .one(
                "SELECT reported_at FROM orders ORDER BY reported_at COLLATE \"C\" DESC LIMIT 1 OFFSET $1",
                &[&(depth - 1)],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    async fn search_recent(&mut self, s: &SearchRow, since: &str) -> Result<Vec<LineRow>> {
        let sql = format!(
            "SELECT * FROM (
                 (SELECT {LINE} FROM orders WHERE reported_at COLLATE \"C\" >= $3 AND {SCAN}
                  ORDER BY reported_at COLLATE \"C\" DESC, job_id COLLATE \"C\" LIMIT $4)
                 UNION ALL SELECT {QUEUED} FROM unassigned_orders WHERE {MATCH}) x
             ORDER BY reported_at COLLATE \"C\" DESC, job_id COLLATE \"C\" LIMIT $4"
        );
        self.all(&sql, &[&s.text, &s.digits, &since, &s.limit])
            .await?
            .iter()
            .map(line_row)
            .collect()
    }

    async fn board_counts(&mut self, day: &str) -> Result<Vec<(String, String, bool, i64)>> {
        self.all(
            "SELECT technician_id, status, awaiting_approval, count(*) FROM orders
             WHERE appointment_day = $1 GROUP BY technician_id, status, awaiting_approval",
            &[&day],
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get::<_, i64>(2)? != 0,
                r.try_get(3)?,
            ))
        })
        .collect()
    }

    async fn board_attention(&mut self, day: &str, now: &str, limit: i64) -> Result<Vec<LineRow>> {
        self.all(
            &format!(
                "SELECT {LINE} FROM orders WHERE appointment_day = $1 AND status <> 'cancelled' AND (
                     (arrived_at IS NULL AND status IN ('dispatched', 'accepted', 'en_route')
                         AND (due_at COLLATE \"C\" < $2 OR urgent <> 0))
                     OR arrived_at COLLATE \"C\" > due_at OR awaiting_approval <> 0)
                 ORDER BY due_at COLLATE \"C\" LIMIT $3"
            ),
            &[&day, &now, &limit],
        )
        .await?
        .iter()
        .map(line_row)
        .collect()
    }

    async fn board_lines(
        &mut self,
        day: &str,
        technician_id: &str,
        limit: i64,
    ) -> Result<Vec<LineRow>> {
        self.all(
            &format!(
                "SELECT {LINE} FROM orders WHERE appointment_day = $1 AND technician_id = $2
                 ORDER BY appointment_at COLLATE \"C\" LIMIT $3"
            ),
            &[&day, &technician_id, &limit],
        )
        .await?
        .iter()
        .map(line_row)
        .collect()
    }

    async fn technicians_sync(&mut self) -> Result<Vec<TechnicianSync>> {
        self.all(
            "SELECT t.technician_id, t.name, max(d.last_seen_at COLLATE \"C\") FROM technicians t
             LEFT JOIN devices d ON d.technician_id = t.technician_id
             GROUP BY t.technician_id, t.name ORDER BY t.technician_id COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(TechnicianSync {
                technician_id: r.try_get(0)?,
                name: r.try_get(1)?,
                last_seen_at: r.try_get(2)?,
            })
        })
        .collect()
    }
}
