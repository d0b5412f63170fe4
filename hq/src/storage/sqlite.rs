//! [`Storage`] on one SQLite file: the default, so one command runs HQ.
//!
//! SQLite has one writer at a time, so HQ keeps one connection and runs
//! every operation on tokio's blocking pool in a `BEGIN IMMEDIATE`
//! transaction (which takes the write lock up front: no `FOR UPDATE` needed).
//! WAL with `synchronous=FULL`: a push HQ answered survives a power cut.
//! The rules are async (PostgreSQL's driver is); here their futures never
//! wait, and the blocking thread runs them to completion in place.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use onsite_core::charge::Instruction;
use onsite_core::order::WorkOrder;
use onsite_core::receipt::NumberBlock;
use onsite_core::sync::protocol::{EnrollResponse, PullResponse, PushRequest, PushResponse};
use onsite_core::sync::upload::{Chunk, UploadProgress};
use onsite_core::visit::{RescheduleConsent, Visit};
use rusqlite::{named_params, params, OptionalExtension, ToSql, TransactionBehavior};

use super::migrations;
use super::records::{
    BlobRow, ChangeRow, ComplaintRow, DeviceRow, EnrollmentRow, KeyRow, OpRow, OrderRow,
    OrderUpdate, ReceiptMoney, ReceiptRow, Records, UploadRow,
};
use super::Storage;
use crate::error::{HqError, Result};
use crate::keys::{self, Key, KeyInfo};
use crate::rules::{
    self, ChunkOutcome, ComplaintRecord, Device, FollowUp, OldPart, OrderSummary, PendingInvoice,
    Reconciliation,
};

mod access;
mod approvals;
mod audit;
mod complaints;
mod desk;
mod dossier;
mod fleet;
mod followups;
mod leaks;
mod people;
mod phone_data;
mod reconciliation;
mod reports;
mod retention;

/// HQ on one SQLite file.
pub struct SqliteStorage {
    conn: Arc<Mutex<rusqlite::Connection>>,
}

fn poisoned<T>(_: T) -> HqError {
    HqError::Internal("the database connection was poisoned by a panic".into())
}

fn join_error(e: tokio::task::JoinError) -> HqError {
    // Not the panic's message: it could quote what the worker held.
    HqError::Internal(if e.is_panic() {
        "a database worker panicked".into()
    } else {
        "a database worker was cancelled".into()
    })
}

impl SqliteStorage {
    /// Opens (creating if needed) and migrates the file at `path`.
    pub async fn open(path: String) -> Result<SqliteStorage> {
        let conn = tokio::task::spawn_blocking(move || -> Result<rusqlite::Connection> {
            let mut conn = rusqlite::Connection::open(&path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            // A push's multi-row statements differ by their number of rows:
            // room for a few sizes beside HQ's other statements.
            conn.set_prepared_statement_cache_capacity(64);
            migrate(&mut conn)?;
            Ok(conn)
        })
        .await
        .map_err(join_error)??;
        Ok(SqliteStorage {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The connection's `synchronous` level and journal mode: what HQ
    /// promises about a push it answered surviving a power cut (2 = FULL, `wal`).
    pub async fn durability(&self) -> Result<(i64, String)> {
        self.transact(|r| {
            let sync = r.tx.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            let mode = r.tx.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            Ok((sync, mode))
        })
        .await
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the blocking pool,
    /// inside the caller's span; committed when it returns `Ok`.
    async fn transact<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SqliteRecords<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.conn.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                let mut conn = conn.lock().map_err(poisoned)?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let out = f(&mut SqliteRecords { tx: &tx })?;
                tx.commit()?;
                Ok(out)
            })
        })
        .await
        .map_err(join_error)?
    }
}

/// Brings the file to [`migrations::VERSION`] in one transaction: a crash
/// leaves the old version whole.
fn migrate(conn: &mut rusqlite::Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let steps = migrations::steps_from(&migrations::SQLITE, found)?;
    if steps.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for step in steps {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", migrations::VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Runs one of the rules on a SQLite transaction: its future never waits.
macro_rules! rule {
    ($self:ident, |$r:ident| $body:expr) => {
        $self
            .transact(move |$r| futures_executor::block_on($body))
            .await
    };
}

impl SqliteStorage {
    const KIND: &'static str = "sqlite";

    async fn ping(&self) -> Result<()> {
        self.transact(|r| {
            r.tx.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}

storage_operations!(SqliteStorage);
crate::centre::people::people_operations!(SqliteStorage);
crate::centre::audit::audit_operations!(SqliteStorage);
crate::centre::access::access_operations!(SqliteStorage);
crate::centre::retention::retention_operations!(SqliteStorage);
crate::centre::desk::desk_operations!(SqliteStorage);
crate::centre::dossier::dossier_operations!(SqliteStorage);
crate::centre::approvals::approvals_operations!(SqliteStorage);
crate::centre::followups::followups_operations!(SqliteStorage);
crate::centre::complaints::complaints_operations!(SqliteStorage);
crate::centre::reconciliation::reconciliation_operations!(SqliteStorage);
crate::centre::reports::reports_operations!(SqliteStorage);
crate::centre::fleet::fleet_operations!(SqliteStorage);
crate::centre::phone_data::phone_data_operations!(SqliteStorage);
crate::centre::leaks::leak_operations!(SqliteStorage);

/// One SQLite transaction in the domain's words.
pub(crate) struct SqliteRecords<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

/// Parameters one SQLite statement takes (`SQLITE_MAX_VARIABLE_NUMBER`,
/// 32 766 since SQLite 3.32): a set of rows is written by as few
/// statements as fit.
const MAX_PARAMS: usize = 32_766;

/// `n` rows of `width` placeholders: `(?, ?), (?, ?)`.
fn placeholders(n: usize, width: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    vec![row.as_str(); n].join(", ")
}

impl SqliteRecords<'_> {
    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<usize> {
        Ok(self.tx.prepare_cached(sql)?.execute(p)?)
    }

    /// Runs `sql(n)`, a statement over `n` rows of `W` parameters, for all of
    /// `rows` in as few statements as SQLite's parameter limit allows: one
    /// for any push (500 ops of 11 columns are 5 500 parameters), instead of
    /// one per row.
    fn each_chunk<const W: usize>(
        &self,
        rows: &[[&dyn ToSql; W]],
        sql: impl Fn(usize) -> String,
    ) -> Result<()> {
        for chunk in rows.chunks(MAX_PARAMS / W) {
            let params: Vec<&dyn ToSql> = chunk.iter().flatten().copied().collect();
            self.tx
                .prepare_cached(&sql(chunk.len()))?
                .execute(params.as_slice())?;
        }
        Ok(())
    }

    /// Multi-row `INSERT`: `head` names the table and columns, `tail` follows
    /// the rows (`ON CONFLICT DO NOTHING`, or nothing).
    fn insert_rows<const W: usize>(
        &self,
        head: &str,
        tail: &str,
        rows: &[[&dyn ToSql; W]],
    ) -> Result<()> {
        self.each_chunk(rows, |n| {
            format!("{head} VALUES {} {tail}", placeholders(n, W))
        })
    }

    /// The rows of `keys` (sorted, distinct) that a `sql(n)` with `n`
    /// placeholders selects, in as few statements as the limit allows.
    fn select_in<T>(
        &self,
        keys: &[&str],
        sql: impl Fn(&str) -> String,
        row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(MAX_PARAMS) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut st = self.tx.prepare_cached(&sql(&marks))?;
            let rows = st.query_map(rusqlite::params_from_iter(chunk), &row)?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }

    fn exists(&self, sql: &str, p: impl rusqlite::Params) -> Result<bool> {
        Ok(self.tx.prepare_cached(sql)?.exists(p)?)
    }
}

fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrderRow> {
    Ok(OrderRow {
        job_id: r.get(0)?,
        technician_id: r.get(1)?,
        visit: r.get(2)?,
        updated_at: r.get(3)?,
    })
}

fn old_part_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OldPart> {
    Ok(OldPart {
        registration: r.get(0)?,
        job_id: r.get(1)?,
        technician_id: r.get(2)?,
        part_code: r.get(3)?,
        description: r.get(4)?,
        old_serial: r.get(5)?,
        new_serial: r.get(6)?,
        in_warranty: r.get::<_, i64>(7)? != 0,
        return_plate: r.get(8)?,
        return_fault: r.get(9)?,
        recorded_at: r.get(10)?,
        received_at: r.get(11)?,
    })
}

/// `job_id, reason, due_at, detail` of `followups`.
pub(super) fn followup_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FollowUp> {
    Ok(FollowUp {
        job_id: r.get(0)?,
        reason: r.get(1)?,
        due_at: r.get(2)?,
        detail: r.get(3)?,
    })
}

/// `job_id, technician_id, kind, words, customer_name, customer_phone,
/// made_at, received_at` of `complaints`.
pub(super) fn complaint_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ComplaintRecord> {
    Ok(ComplaintRecord {
        job_id: r.get(0)?,
        technician_id: r.get(1)?,
        kind: r.get(2)?,
        words: r.get(3)?,
        customer_name: r.get(4)?,
        customer_phone: r.get(5)?,
        made_at: r.get(6)?,
        received_at: r.get(7)?,
    })
}

fn money_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReceiptMoney> {
    Ok(ReceiptMoney {
        method: r.get(0)?,
        kind: r.get(1)?,
        amount_fen: r.get(2)?,
    })
}

const OLD_PART_COLUMNS: &str = "registration, job_id, technician_id, part_code, description, old_serial, new_serial, in_warranty, return_plate, return_fault, recorded_at, received_at";

impl Records for SqliteRecords<'_> {
    async fn approval_key(&mut self, technician_id: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT approval_key FROM technicians WHERE technician_id = ?1")?
            .query_row([technician_id], |r| r.get(0))
            .optional()?)
    }

    async fn insert_technician(&mut self, id: &str, name: &str, key: &str, at: &str) -> Result<()> {
        self.exec(
            "INSERT INTO technicians(technician_id, name, approval_key, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (technician_id) DO NOTHING",
            [id, name, key, at],
        )?;
        Ok(())
    }

    async fn insert_enrollment(
        &mut self,
        code_hash: &str,
        technician_id: &str,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO enrollments(code_hash, technician_id, created_at) VALUES (?1, ?2, ?3)",
            [code_hash, technician_id, at],
        )?;
        Ok(())
    }

    async fn enrollment_for_update(&mut self, code_hash: &str) -> Result<Option<EnrollmentRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT e.technician_id, e.used_at IS NOT NULL, t.name, t.approval_key FROM enrollments e
                 JOIN technicians t ON t.technician_id = e.technician_id WHERE e.code_hash = ?1",
            )?
            .query_row([code_hash], |r| {
                Ok(EnrollmentRow {
                    technician_id: r.get(0)?,
                    used: r.get(1)?,
                    technician_name: r.get(2)?,
                    approval_key: r.get(3)?,
                })
            })
            .optional()?)
    }

    async fn mark_enrollment_used(&mut self, code_hash: &str, at: &str) -> Result<()> {
        self.exec(
            "UPDATE enrollments SET used_at = ?1 WHERE code_hash = ?2",
            [at, code_hash],
        )?;
        Ok(())
    }

    async fn device_owner_for_update(&mut self, device_id: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT technician_id FROM devices WHERE device_id = ?1")?
            .query_row([device_id], |r| r.get(0))
            .optional()?)
    }

    async fn insert_device(
        &mut self,
        device_id: &str,
        technician_id: &str,
        token_hash: &str,
        at: &str,
    ) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO devices(device_id, technician_id, token_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (device_id) DO NOTHING",
            [device_id, technician_id, token_hash, at],
        )? > 0)
    }

    async fn replace_device_token(&mut self, device_id: &str, token_hash: &str) -> Result<()> {
        self.exec(
            "UPDATE devices SET token_hash = ?1, revoked = 0 WHERE device_id = ?2",
            [token_hash, device_id],
        )?;
        Ok(())
    }

    async fn device_by_token(&mut self, token_hash: &str) -> Result<Option<DeviceRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT device_id, technician_id, revoked FROM devices WHERE token_hash = ?1",
            )?
            .query_row([token_hash], |r| {
                Ok(DeviceRow {
                    device_id: r.get(0)?,
                    technician_id: r.get(1)?,
                    revoked: r.get::<_, i64>(2)? != 0,
                })
            })
            .optional()?)
    }

    async fn touch_device(&mut self, device_id: &str, at: &str, stale_before: &str) -> Result<()> {
        self.exec(
            "UPDATE devices SET last_seen_at = ?1 WHERE device_id = ?2 AND (last_seen_at IS NULL OR last_seen_at < ?3)",
            params![at, device_id, stale_before],
        )?;
        Ok(())
    }

    async fn revoke_device(&mut self, device_id: &str) -> Result<bool> {
        Ok(self.exec(
            "UPDATE devices SET revoked = 1 WHERE device_id = ?1",
            [device_id],
        )? > 0)
    }

    async fn last_seq_for_update(&mut self, device_id: &str) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT last_seq FROM devices WHERE device_id = ?1")?
            .query_row([device_id], |r| r.get(0))
            .optional()?)
    }

    async fn set_last_seq(&mut self, device_id: &str, seq: i64) -> Result<()> {
        self.exec(
            "UPDATE devices SET last_seq = ?1 WHERE device_id = ?2",
            params![seq, device_id],
        )?;
        Ok(())
    }

    async fn order_for_update(&mut self, job_id: &str) -> Result<Option<OrderRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT job_id, technician_id, visit, updated_at FROM orders WHERE job_id = ?1",
            )?
            .query_row([job_id], order_row)
            .optional()?)
    }

    async fn order(&mut self, job_id: &str) -> Result<Option<OrderRow>> {
        self.order_for_update(job_id).await
    }

    async fn insert_order(&mut self, o: &OrderRow, status: &str, at: &str) -> Result<bool> {
        // The projected columns the console's lists read (centre::desk).
        let p = crate::centre::desk::project(&o.visit)?;
        Ok(self.exec(
            "INSERT INTO orders(job_id, technician_id, status, visit, created_at, updated_at,
                 appointment_day, appointment_at, reported_at, due_at, customer_name, phone_digits,
                 site, location, urgent, arrived_at, awaiting_approval)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT (job_id) DO NOTHING",
            params![
                o.job_id,
                o.technician_id,
                status,
                o.visit,
                at,
                o.updated_at,
                p.appointment_day,
                p.appointment_at,
                p.reported_at,
                p.due_at,
                p.customer_name,
                p.phone_digits,
                p.site,
                p.location,
                p.urgent,
                p.arrived_at,
                p.awaiting_approval
            ],
        )? > 0)
    }

    async fn update_order(&mut self, o: &OrderRow, status: &str) -> Result<()> {
        let p = crate::centre::desk::project(&o.visit)?;
        self.exec(
            "UPDATE orders SET technician_id = ?1, status = ?2, visit = ?3, updated_at = ?4,
                 appointment_day = ?6, appointment_at = ?7, reported_at = ?8, due_at = ?9,
                 customer_name = ?10, phone_digits = ?11, site = ?12, location = ?13, urgent = ?14,
                 arrived_at = ?15, awaiting_approval = ?16
             WHERE job_id = ?5",
            params![
                o.technician_id,
                status,
                o.visit,
                o.updated_at,
                o.job_id,
                p.appointment_day,
                p.appointment_at,
                p.reported_at,
                p.due_at,
                p.customer_name,
                p.phone_digits,
                p.site,
                p.location,
                p.urgent,
                p.arrived_at,
                p.awaiting_approval
            ],
        )?;
        Ok(())
    }

    async fn orders_for_update(&mut self, job_ids: &[&str]) -> Result<Vec<OrderRow>> {
        // BEGIN IMMEDIATE already holds the one write lock.
        self.select_in(
            job_ids,
            |marks| {
                format!(
                    "SELECT job_id, technician_id, visit, updated_at FROM orders
                     WHERE job_id IN ({marks}) ORDER BY job_id"
                )
            },
            order_row,
        )
    }

    async fn update_orders(&mut self, orders: &[OrderUpdate]) -> Result<()> {
        let rows: Vec<[&dyn ToSql; 16]> = orders
            .iter()
            .map(|o| {
                let (r, p) = (&o.row, &o.projection);
                [
                    &r.job_id as &dyn ToSql,
                    &r.technician_id,
                    &o.status,
                    &r.visit,
                    &r.updated_at,
                    &p.appointment_day,
                    &p.appointment_at,
                    &p.reported_at,
                    &p.due_at,
                    &p.customer_name,
                    &p.phone_digits,
                    &p.site,
                    &p.location,
                    &p.urgent,
                    &p.arrived_at,
                    &p.awaiting_approval,
                ]
            })
            .collect();
        // One UPDATE ... FROM (VALUES ...) for the push's orders; a VALUES
        // list's columns are column1, column2...
        self.each_chunk(&rows, |n| {
            format!(
                "UPDATE orders SET technician_id = u.column2, status = u.column3, visit = u.column4,
                     updated_at = u.column5, appointment_day = u.column6, appointment_at = u.column7,
                     reported_at = u.column8, due_at = u.column9, customer_name = u.column10,
                     phone_digits = u.column11, site = u.column12, location = u.column13,
                     urgent = u.column14, arrived_at = u.column15, awaiting_approval = u.column16
                 FROM (VALUES {}) AS u WHERE orders.job_id = u.column1",
                placeholders(n, 16)
            )
        })
    }

    async fn orders(
        &mut self,
        technician_id: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<OrderRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT job_id, technician_id, visit, updated_at FROM orders
             WHERE (:tech IS NULL OR technician_id = :tech) AND (:status IS NULL OR status = :status)
             ORDER BY job_id",
        )?;
        let rows = stmt.query_map(
            named_params! {":tech": technician_id, ":status": status},
            order_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn append_change(
        &mut self,
        technician_id: &str,
        job_id: &str,
        at: &str,
        payload: &str,
    ) -> Result<()> {
        // Writers are serialised by BEGIN IMMEDIATE: cursors follow commit order.
        self.exec(
            "INSERT INTO changes(technician_id, job_id, at, payload) VALUES (?1, ?2, ?3, ?4)",
            [technician_id, job_id, at, payload],
        )?;
        Ok(())
    }

    async fn changes_after(
        &mut self,
        technician_id: &str,
        cursor: i64,
        limit: i64,
    ) -> Result<Vec<ChangeRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT cursor, job_id, at, payload FROM changes WHERE technician_id = ?1 AND cursor > ?2 ORDER BY cursor LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![technician_id, cursor, limit], |r| {
            Ok(ChangeRow {
                cursor: r.get(0)?,
                job_id: r.get(1)?,
                at: r.get(2)?,
                payload: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn insert_ops(&mut self, ops: &[OpRow]) -> Result<()> {
        let rows: Vec<[&dyn ToSql; 11]> = ops
            .iter()
            .map(|o| {
                [
                    &o.op_id as &dyn ToSql,
                    &o.device_id,
                    &o.seq,
                    &o.job_id,
                    &o.kind,
                    &o.outcome,
                    &o.code,
                    &o.message,
                    &o.hlc,
                    &o.received_at,
                    &o.payload,
                ]
            })
            .collect();
        self.insert_rows(
            "INSERT INTO ops(op_id, device_id, seq, job_id, kind, outcome, code, message, hlc, received_at, payload)",
            "",
            &rows,
        )
    }

    async fn applied_ops(&mut self) -> Result<i64> {
        Ok(self.tx.query_row(
            "SELECT COUNT(*) FROM ops WHERE outcome = 'applied'",
            [],
            |r| r.get(0),
        )?)
    }

    async fn receipts_for_update(
        &mut self,
        numbers: &[&str],
    ) -> Result<Vec<(String, String, Option<String>)>> {
        self.select_in(
            numbers,
            |marks| {
                format!("SELECT number, job_id, voided_day FROM receipts WHERE number IN ({marks})")
            },
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    async fn insert_receipts(&mut self, receipts: &[ReceiptRow]) -> Result<()> {
        let rows: Vec<[&dyn ToSql; 10]> = receipts
            .iter()
            .map(|r| {
                [
                    &r.number as &dyn ToSql,
                    &r.job_id,
                    &r.technician_id,
                    &r.device_id,
                    &r.method,
                    &r.amount_fen,
                    &r.issued_day,
                    &r.received_at,
                    &r.kind,
                    &r.refers_to,
                ]
            })
            .collect();
        self.insert_rows(
            "INSERT INTO receipts(number, job_id, technician_id, device_id, method, amount_fen, issued_day, received_at, kind, refers_to)",
            "",
            &rows,
        )
    }

    async fn void_receipt(
        &mut self,
        number: &str,
        day: &str,
        reason: &str,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE receipts SET voided_day = ?1, void_reason = ?2, voided_at = ?3 WHERE number = ?4",
            [day, reason, at, number],
        )?;
        Ok(())
    }

    async fn reissued_among(&mut self, numbers: &[&str]) -> Result<Vec<String>> {
        self.select_in(
            numbers,
            |marks| {
                format!(
                    "SELECT DISTINCT refers_to FROM receipts WHERE kind = 'reissue' AND refers_to IN ({marks})"
                )
            },
            |r| r.get(0),
        )
    }

    async fn receipts_issued(
        &mut self,
        technician_id: &str,
        day: &str,
    ) -> Result<Vec<ReceiptMoney>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT method, kind, amount_fen FROM receipts WHERE technician_id = ?1 AND issued_day = ?2",
        )?;
        let rows = stmt.query_map([technician_id, day], money_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn receipts_voided(
        &mut self,
        technician_id: &str,
        day: &str,
    ) -> Result<Vec<ReceiptMoney>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT method, kind, amount_fen FROM receipts WHERE technician_id = ?1 AND voided_day = ?2",
        )?;
        let rows = stmt.query_map([technician_id, day], money_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn upsert_handover(
        &mut self,
        technician_id: &str,
        day: &str,
        method: &str,
        amount_fen: i64,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO handovers(technician_id, day, method, amount_fen, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (technician_id, day, method) DO UPDATE SET amount_fen = excluded.amount_fen, recorded_at = excluded.recorded_at",
            params![technician_id, day, method, amount_fen, at],
        )?;
        Ok(())
    }

    async fn handovers(&mut self, technician_id: &str, day: &str) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT method, amount_fen FROM handovers WHERE technician_id = ?1 AND day = ?2",
        )?;
        let rows = stmt.query_map([technician_id, day], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn series_next_for_update(&mut self, series: &str) -> Result<i64> {
        self.exec(
            "INSERT INTO receipt_series(series, next) VALUES (?1, 1) ON CONFLICT DO NOTHING",
            [series],
        )?;
        Ok(self
            .tx
            .prepare_cached("SELECT next FROM receipt_series WHERE series = ?1")?
            .query_row([series], |r| r.get(0))?)
    }

    async fn set_series_next(&mut self, series: &str, next: i64) -> Result<()> {
        self.exec(
            "UPDATE receipt_series SET next = ?1 WHERE series = ?2",
            params![next, series],
        )?;
        Ok(())
    }

    async fn insert_block(
        &mut self,
        series: &str,
        first: i64,
        last: i64,
        device_id: &str,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO receipt_blocks(series, first, last, device_id, granted_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![series, first, last, device_id, at],
        )?;
        Ok(())
    }

    async fn blob_exists(&mut self, sha256: &str) -> Result<bool> {
        self.exists("SELECT 1 FROM blobs WHERE sha256 = ?1", [sha256])
    }

    async fn blobs_among(&mut self, shas: &[&str]) -> Result<Vec<String>> {
        self.select_in(
            shas,
            |marks| format!("SELECT sha256 FROM blobs WHERE sha256 IN ({marks})"),
            |r| r.get(0),
        )
    }

    async fn insert_blob(
        &mut self,
        sha256: &str,
        media_type: &str,
        bytes: &[u8],
        owner: &str,
        at: &str,
    ) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO blobs(sha256, media_type, bytes, owner, created_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            params![sha256, media_type, bytes, owner, at],
        )? > 0)
    }

    async fn blob(&mut self, sha256: &str) -> Result<Option<BlobRow>> {
        Ok(self
            .tx
            .prepare_cached("SELECT media_type, bytes, owner FROM blobs WHERE sha256 = ?1")?
            .query_row([sha256], |r| {
                Ok(BlobRow {
                    media_type: r.get(0)?,
                    bytes: r.get(1)?,
                    owner: r.get(2)?,
                })
            })
            .optional()?)
    }

    async fn upload(&mut self, owner: &str, sha256: &str) -> Result<Option<UploadRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT media_type, length, received FROM uploads WHERE owner = ?1 AND sha256 = ?2",
            )?
            .query_row([owner, sha256], |r| {
                Ok(UploadRow {
                    media_type: r.get(0)?,
                    length: r.get(1)?,
                    received: r.get(2)?,
                })
            })
            .optional()?)
    }

    async fn start_upload(
        &mut self,
        owner: &str,
        sha256: &str,
        media_type: &str,
        length: i64,
        at: &str,
    ) -> Result<()> {
        self.drop_upload(owner, sha256).await?;
        self.exec(
            "INSERT INTO uploads(owner, sha256, media_type, length, received, started_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)",
            params![owner, sha256, media_type, length, at],
        )?;
        Ok(())
    }

    async fn append_chunk(
        &mut self,
        owner: &str,
        sha256: &str,
        start: i64,
        bytes: &[u8],
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO upload_chunks(owner, sha256, start_at, bytes) VALUES (?1, ?2, ?3, ?4)",
            params![owner, sha256, start, bytes],
        )?;
        self.exec(
            "UPDATE uploads SET received = ?3, updated_at = ?4 WHERE owner = ?1 AND sha256 = ?2",
            params![owner, sha256, start + bytes.len() as i64, at],
        )?;
        Ok(())
    }

    async fn upload_bytes(&mut self, owner: &str, sha256: &str) -> Result<Vec<u8>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT bytes FROM upload_chunks WHERE owner = ?1 AND sha256 = ?2 ORDER BY start_at",
        )?;
        let mut rows = stmt.query([owner, sha256])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let chunk: Vec<u8> = r.get(0)?;
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    async fn drop_upload(&mut self, owner: &str, sha256: &str) -> Result<()> {
        self.exec(
            "DELETE FROM upload_chunks WHERE owner = ?1 AND sha256 = ?2",
            [owner, sha256],
        )?;
        self.exec(
            "DELETE FROM uploads WHERE owner = ?1 AND sha256 = ?2",
            [owner, sha256],
        )?;
        Ok(())
    }

    async fn insert_old_parts(&mut self, parts: &[OldPart]) -> Result<()> {
        let rows: Vec<[&dyn ToSql; 12]> = parts
            .iter()
            .map(|p| {
                [
                    &p.registration as &dyn ToSql,
                    &p.job_id,
                    &p.technician_id,
                    &p.part_code,
                    &p.description,
                    &p.old_serial,
                    &p.new_serial,
                    &p.in_warranty,
                    &p.return_plate,
                    &p.return_fault,
                    &p.recorded_at,
                    &p.received_at,
                ]
            })
            .collect();
        self.insert_rows(
            &format!("INSERT INTO old_parts({OLD_PART_COLUMNS})"),
            "ON CONFLICT DO NOTHING",
            &rows,
        )
    }

    async fn old_parts(&mut self, job_id: Option<&str>) -> Result<Vec<OldPart>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {OLD_PART_COLUMNS} FROM old_parts WHERE (?1 IS NULL OR job_id = ?1)
             ORDER BY received_at DESC, registration"
        ))?;
        let rows = stmt.query_map([job_id], old_part_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn insert_followups(&mut self, f: &[FollowUp], at: &str) -> Result<()> {
        let rows: Vec<[&dyn ToSql; 5]> = f
            .iter()
            .map(|f| {
                [
                    &f.job_id as &dyn ToSql,
                    &f.reason,
                    &f.due_at,
                    &at,
                    &f.detail,
                ]
            })
            .collect();
        self.insert_rows(
            "INSERT INTO followups(job_id, reason, due_at, created_at, detail)",
            "ON CONFLICT DO NOTHING",
            &rows,
        )
    }

    async fn followups(&mut self) -> Result<Vec<FollowUp>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT job_id, reason, due_at, detail FROM followups ORDER BY due_at, job_id, reason",
        )?;
        let rows = stmt.query_map([], followup_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn insert_complaints(&mut self, c: &[ComplaintRow]) -> Result<()> {
        let rows: Vec<[&dyn ToSql; 10]> = c
            .iter()
            .map(|c| {
                let r = &c.record;
                [
                    &c.op_id as &dyn ToSql,
                    &r.job_id,
                    &r.technician_id,
                    &r.kind,
                    &r.words,
                    &r.customer_name,
                    &r.customer_phone,
                    &c.phone_digits,
                    &r.made_at,
                    &r.received_at,
                ]
            })
            .collect();
        self.insert_rows(
            "INSERT INTO complaints(op_id, job_id, technician_id, kind, words, customer_name, customer_phone, phone_digits, made_at, received_at)",
            "ON CONFLICT DO NOTHING",
            &rows,
        )
    }

    async fn complaints(&mut self) -> Result<Vec<ComplaintRecord>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT job_id, technician_id, kind, words, customer_name, customer_phone, made_at, received_at
             FROM complaints ORDER BY received_at, op_id",
        )?;
        let rows = stmt.query_map([], complaint_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn complained_before(&mut self, phone_digits: &str) -> Result<bool> {
        self.exists(
            "SELECT 1 FROM complaints WHERE phone_digits = ?1",
            [phone_digits],
        )
    }

    async fn insert_key(&mut self, k: &KeyRow, secret_hash: &str) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO integration_keys(name, scopes, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO NOTHING",
            [&k.name, &k.scopes, secret_hash, &k.created_at],
        )? > 0)
    }

    async fn revoke_key(&mut self, name: &str, at: &str) -> Result<bool> {
        Ok(self.exec(
            "UPDATE integration_keys SET revoked_at = ?1 WHERE name = ?2 AND revoked_at IS NULL",
            [at, name],
        )? > 0)
    }

    async fn keys(&mut self) -> Result<Vec<KeyRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT name, scopes, created_at, revoked_at, last_used_at FROM integration_keys ORDER BY name",
        )?;
        let rows = stmt.query_map([], key_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn key_by_secret(&mut self, secret_hash: &str) -> Result<Option<KeyRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT name, scopes, created_at, revoked_at, last_used_at FROM integration_keys WHERE secret_hash = ?1",
            )?
            .query_row([secret_hash], key_row)
            .optional()?)
    }

    async fn touch_key(&mut self, name: &str, at: &str) -> Result<()> {
        self.exec(
            "UPDATE integration_keys SET last_used_at = ?1 WHERE name = ?2",
            [at, name],
        )?;
        Ok(())
    }
}

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow {
        name: r.get(0)?,
        scopes: r.get(1)?,
        created_at: r.get(2)?,
        revoked_at: r.get(3)?,
        last_used_at: r.get(4)?,
    })
}
