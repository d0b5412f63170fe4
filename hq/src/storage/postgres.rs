//! [`Storage`] on PostgreSQL: several stateless HQ processes on one database.
//!
//! tokio-postgres on HQ's own runtime (no thread blocks on the network), a
//! deadpool pool of connections, and statements prepared once per
//! connection. The SQL is PostgreSQL's own: `FOR UPDATE` row locks where a
//! rule reads what it is about to change, a transaction-scoped advisory lock
//! that keeps change-feed cursors in commit order, and a push's ops stored
//! by one `INSERT ... SELECT FROM UNNEST` of arrays (one round trip for the
//! whole batch). Lists sort text by bytes (`COLLATE "C"`), as SQLite does,
//! whatever the cluster's locale: both databases list in the same order.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use onsite_core::charge::Instruction;
use onsite_core::order::WorkOrder;
use onsite_core::receipt::NumberBlock;
use onsite_core::sync::protocol::{EnrollResponse, PullResponse, PushRequest, PushResponse};
use onsite_core::sync::upload::{Chunk, UploadProgress};
use onsite_core::visit::{RescheduleConsent, Visit};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

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

/// The advisory lock migrations take: several HQ processes may start at once.
const MIGRATION_LOCK: i64 = 7000;
/// The advisory lock writers of the change feed take, so that cursors
/// (a sequence) become visible in the order they were assigned.
const FEED_LOCK: i64 = 7001;

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

/// HQ on PostgreSQL.
pub struct PgStorage {
    pool: Pool,
}

impl PgStorage {
    /// Connects a pool of up to `pool_size` connections and migrates.
    pub async fn connect(url: &str, pool_size: usize) -> Result<PgStorage> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|_| HqError::Internal("the PostgreSQL URL does not parse".into()))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| HqError::Internal(format!("postgres pool: {e}")))?;
        let storage = PgStorage { pool };
        storage.migrate().await?;
        Ok(storage)
    }

    /// Brings the database to [`migrations::VERSION`] in one transaction.
    async fn migrate(&self) -> Result<()> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS hq_schema (version BIGINT NOT NULL)")
            .await?;
        let found: i64 = tx
            .query_opt("SELECT version FROM hq_schema", &[])
            .await?
            .map_or(Ok(0), |r| r.try_get(0))?;
        let steps = migrations::steps_from(&migrations::POSTGRES, found)?;
        if !steps.is_empty() {
            for step in steps {
                tx.batch_execute(step).await?;
            }
            tx.execute("DELETE FROM hq_schema", &[]).await?;
            tx.execute(
                "INSERT INTO hq_schema(version) VALUES ($1)",
                &[&migrations::VERSION],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Runs one of the rules in a transaction on a pooled connection.
macro_rules! rule {
    ($self:ident, |$r:ident| $body:expr) => {{
        let mut client = $self.pool.get().await?;
        let tx = client.transaction().await?;
        let out = {
            let mut records = PgRecords { tx: &tx };
            let $r = &mut records;
            $body.await?
        };
        tx.commit().await?;
        Ok(out)
    }};
}

impl PgStorage {
    const KIND: &'static str = "postgres";

    async fn ping(&self) -> Result<()> {
        let client = self.pool.get().await?;
        client.simple_query("SELECT 1").await?;
        Ok(())
    }
}

storage_operations!(PgStorage);
crate::centre::people::people_operations!(PgStorage);
crate::centre::audit::audit_operations!(PgStorage);
crate::centre::access::access_operations!(PgStorage);
crate::centre::retention::retention_operations!(PgStorage);
crate::centre::desk::desk_operations!(PgStorage);
crate::centre::dossier::dossier_operations!(PgStorage);
crate::centre::approvals::approvals_operations!(PgStorage);
crate::centre::followups::followups_operations!(PgStorage);
crate::centre::complaints::complaints_operations!(PgStorage);
crate::centre::reconciliation::reconciliation_operations!(PgStorage);
crate::centre::reports::reports_operations!(PgStorage);
crate::centre::fleet::fleet_operations!(PgStorage);
crate::centre::phone_data::phone_data_operations!(PgStorage);
crate::centre::leaks::leak_operations!(PgStorage);

/// One PostgreSQL transaction in the domain's words.
pub(crate) struct PgRecords<'a> {
    tx: &'a deadpool_postgres::Transaction<'a>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl PgRecords<'_> {
    async fn exec(&self, sql: &str, p: Params<'_>) -> Result<u64> {
        let st = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.execute(&st, p).await?)
    }

    async fn one(&self, sql: &str, p: Params<'_>) -> Result<Option<Row>> {
        let st = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.query_opt(&st, p).await?)
    }

    async fn all(&self, sql: &str, p: Params<'_>) -> Result<Vec<Row>> {
        let st = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.query(&st, p).await?)
    }
}

fn order_row(r: &Row) -> Result<OrderRow> {
    Ok(OrderRow {
        job_id: r.try_get(0)?,
        technician_id: r.try_get(1)?,
        visit: r.try_get(2)?,
        updated_at: r.try_get(3)?,
    })
}

fn old_part_row(r: &Row) -> Result<OldPart> {
    Ok(OldPart {
        registration: r.try_get(0)?,
        job_id: r.try_get(1)?,
        technician_id: r.try_get(2)?,
        part_code: r.try_get(3)?,
        description: r.try_get(4)?,
        old_serial: r.try_get(5)?,
        new_serial: r.try_get(6)?,
        in_warranty: r.try_get::<_, i64>(7)? != 0,
        return_plate: r.try_get(8)?,
        return_fault: r.try_get(9)?,
        recorded_at: r.try_get(10)?,
        received_at: r.try_get(11)?,
    })
}

/// `job_id, reason, due_at, detail` of `followups`.
pub(super) fn followup_row(r: &Row) -> Result<FollowUp> {
    Ok(FollowUp {
        job_id: r.try_get(0)?,
        reason: r.try_get(1)?,
        due_at: r.try_get(2)?,
        detail: r.try_get(3)?,
    })
}

/// `job_id, technician_id, kind, words, customer_name, customer_phone,
/// made_at, received_at` of `complaints`.
pub(super) fn complaint_row(r: &Row) -> Result<ComplaintRecord> {
    Ok(ComplaintRecord {
        job_id: r.try_get(0)?,
        technician_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        words: r.try_get(3)?,
        customer_name: r.try_get(4)?,
        customer_phone: r.try_get(5)?,
        made_at: r.try_get(6)?,
        received_at: r.try_get(7)?,
    })
}

fn money_row(r: &Row) -> Result<ReceiptMoney> {
    Ok(ReceiptMoney {
        method: r.try_get(0)?,
        kind: r.try_get(1)?,
        amount_fen: r.try_get(2)?,
    })
}

const OLD_PART_COLUMNS: &str = "registration, job_id, technician_id, part_code, description, old_serial, new_serial, in_warranty, return_plate, return_fault, recorded_at, received_at";

impl Records for PgRecords<'_> {
    async fn approval_key(&mut self, technician_id: &str) -> Result<Option<String>> {
        self.one(
            "SELECT approval_key FROM technicians WHERE technician_id = $1",
            &[&technician_id],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(Into::into)
    }

    async fn insert_technician(&mut self, id: &str, name: &str, key: &str, at: &str) -> Result<()> {
        self.exec(
            "INSERT INTO technicians(technician_id, name, approval_key, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (technician_id) DO NOTHING",
            &[&id, &name, &key, &at],
        )
        .await?;
        Ok(())
    }

    async fn insert_enrollment(
        &mut self,
        code_hash: &str,
        technician_id: &str,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO enrollments(code_hash, technician_id, created_at) VALUES ($1, $2, $3)",
            &[&code_hash, &technician_id, &at],
        )
        .await?;
        Ok(())
    }

    async fn enrollment_for_update(&mut self, code_hash: &str) -> Result<Option<EnrollmentRow>> {
        let Some(r) = self
            .one(
                "SELECT e.technician_id, e.used_at IS NOT NULL, t.name, t.approval_key FROM enrollments e
                 JOIN technicians t ON t.technician_id = e.technician_id
                 WHERE e.code_hash = $1 FOR UPDATE OF e",
                &[&code_hash],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(EnrollmentRow {
            technician_id: r.try_get(0)?,
            used: r.try_get(1)?,
            technician_name: r.try_get(2)?,
            approval_key: r.try_get(3)?,
        }))
    }

    async fn mark_enrollment_used(&mut self, code_hash: &str, at: &str) -> Result<()> {
        self.exec(
            "UPDATE enrollments SET used_at = $1 WHERE code_hash = $2",
            &[&at, &code_hash],
        )
        .await?;
        Ok(())
    }

    async fn device_owner_for_update(&mut self, device_id: &str) -> Result<Option<String>> {
        self.one(
            "SELECT technician_id FROM devices WHERE device_id = $1 FOR UPDATE",
            &[&device_id],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(Into::into)
    }

    async fn insert_device(
        &mut self,
        device_id: &str,
        technician_id: &str,
        token_hash: &str,
        at: &str,
    ) -> Result<bool> {
        Ok(self
            .exec(
                "INSERT INTO devices(device_id, technician_id, token_hash, enrolled_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (device_id) DO NOTHING",
                &[&device_id, &technician_id, &token_hash, &at],
            )
            .await?
            > 0)
    }

    async fn replace_device_token(&mut self, device_id: &str, token_hash: &str) -> Result<()> {
        self.exec(
            "UPDATE devices SET token_hash = $1, revoked = 0 WHERE device_id = $2",
            &[&token_hash, &device_id],
        )
        .await?;
        Ok(())
    }

    async fn device_by_token(&mut self, token_hash: &str) -> Result<Option<DeviceRow>> {
        let Some(r) = self
            .one(
                "SELECT device_id, technician_id, revoked FROM devices WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(DeviceRow {
            device_id: r.try_get(0)?,
            technician_id: r.try_get(1)?,
            revoked: r.try_get::<_, i64>(2)? != 0,
        }))
    }

    async fn touch_device(&mut self, device_id: &str, at: &str, stale_before: &str) -> Result<()> {
        self.exec(
            "UPDATE devices SET last_seen_at = $1 WHERE device_id = $2 AND (last_seen_at IS NULL OR last_seen_at < $3)",
            &[&at, &device_id, &stale_before],
        )
        .await?;
        Ok(())
    }

    async fn revoke_device(&mut self, device_id: &str) -> Result<bool> {
        Ok(self
            .exec(
                "UPDATE devices SET revoked = 1 WHERE device_id = $1",
                &[&device_id],
            )
            .await?
            > 0)
    }

    async fn last_seq_for_update(&mut self, device_id: &str) -> Result<Option<i64>> {
        self.one(
            "SELECT last_seq FROM devices WHERE device_id = $1 FOR UPDATE",
            &[&device_id],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(Into::into)
    }

    async fn set_last_seq(&mut self, device_id: &str, seq: i64) -> Result<()> {
        self.exec(
            "UPDATE devices SET last_seq = $1 WHERE device_id = $2",
            &[&seq, &device_id],
        )
        .await?;
        Ok(())
    }

    async fn order_for_update(&mut self, job_id: &str) -> Result<Option<OrderRow>> {
        self.one(
            "SELECT job_id, technician_id, visit, updated_at FROM orders WHERE job_id = $1 FOR UPDATE",
            &[&job_id],
        )
        .await?
        .as_ref()
        .map(order_row)
        .transpose()
    }

    async fn orders_for_update(&mut self, job_ids: &[&str]) -> Result<Vec<OrderRow>> {
        // Locked in job id order, as every push locks them: two pushes
        // naming the same jobs wait for each other instead of deadlocking.
        self.all(
            "SELECT job_id, technician_id, visit, updated_at FROM orders WHERE job_id = ANY($1)
             ORDER BY job_id COLLATE \"C\" FOR UPDATE",
            &[&job_ids],
        )
        .await?
        .iter()
        .map(order_row)
        .collect()
    }

    async fn update_orders(&mut self, orders: &[OrderUpdate]) -> Result<()> {
        let col = |f: fn(&OrderUpdate) -> &str| orders.iter().map(f).collect::<Vec<&str>>();
        let flag = |f: fn(&OrderUpdate) -> bool| {
            orders.iter().map(|o| i64::from(f(o))).collect::<Vec<i64>>()
        };
        let arrived: Vec<Option<&str>> = orders
            .iter()
            .map(|o| o.projection.arrived_at.as_deref())
            .collect();
        self.exec(
            "UPDATE orders AS o SET technician_id = u.technician_id, status = u.status, visit = u.visit,
                 updated_at = u.updated_at, appointment_day = u.appointment_day,
                 appointment_at = u.appointment_at, reported_at = u.reported_at, due_at = u.due_at,
                 customer_name = u.customer_name, phone_digits = u.phone_digits, site = u.site,
                 location = u.location, urgent = u.urgent, arrived_at = u.arrived_at,
                 awaiting_approval = u.awaiting_approval
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                         $13::text[], $14::bigint[], $15::text[], $16::bigint[])
                 AS u(job_id, technician_id, status, visit, updated_at, appointment_day,
                      appointment_at, reported_at, due_at, customer_name, phone_digits, site,
                      location, urgent, arrived_at, awaiting_approval)
             WHERE o.job_id = u.job_id",
            &[
                &col(|o| &o.row.job_id),
                &col(|o| &o.row.technician_id),
                &col(|o| o.status),
                &col(|o| &o.row.visit),
                &col(|o| &o.row.updated_at),
                &col(|o| &o.projection.appointment_day),
                &col(|o| &o.projection.appointment_at),
                &col(|o| &o.projection.reported_at),
                &col(|o| &o.projection.due_at),
                &col(|o| &o.projection.customer_name),
                &col(|o| &o.projection.phone_digits),
                &col(|o| &o.projection.site),
                &col(|o| &o.projection.location),
                &flag(|o| o.projection.urgent),
                &arrived,
                &flag(|o| o.projection.awaiting_approval),
            ],
        )
        .await?;
        Ok(())
    }

    async fn order(&mut self, job_id: &str) -> Result<Option<OrderRow>> {
        self.one(
            "SELECT job_id, technician_id, visit, updated_at FROM orders WHERE job_id = $1",
            &[&job_id],
        )
        .await?
        .as_ref()
        .map(order_row)
        .transpose()
    }

    async fn insert_order(&mut self, o: &OrderRow, status: &str, at: &str) -> Result<bool> {
        // The projected columns the console's lists read (centre::desk).
        let p = crate::centre::desk::project(&o.visit)?;
        let (urgent, awaiting) = (i64::from(p.urgent), i64::from(p.awaiting_approval));
        Ok(self
            .exec(
                "INSERT INTO orders(job_id, technician_id, status, visit, created_at, updated_at,
                 appointment_day, appointment_at, reported_at, due_at, customer_name, phone_digits,
                 site, location, urgent, arrived_at, awaiting_approval)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             ON CONFLICT (job_id) DO NOTHING",
                &[
                    &o.job_id,
                    &o.technician_id,
                    &status,
                    &o.visit,
                    &at,
                    &o.updated_at,
                    &p.appointment_day,
                    &p.appointment_at,
                    &p.reported_at,
                    &p.due_at,
                    &p.customer_name,
                    &p.phone_digits,
                    &p.site,
                    &p.location,
                    &urgent,
                    &p.arrived_at,
                    &awaiting,
                ],
            )
            .await?
            > 0)
    }

    async fn update_order(&mut self, o: &OrderRow, status: &str) -> Result<()> {
        let p = crate::centre::desk::project(&o.visit)?;
        let (urgent, awaiting) = (i64::from(p.urgent), i64::from(p.awaiting_approval));
        self.exec(
            "UPDATE orders SET technician_id = $1, status = $2, visit = $3, updated_at = $4,
                 appointment_day = $6, appointment_at = $7, reported_at = $8, due_at = $9,
                 customer_name = $10, phone_digits = $11, site = $12, location = $13, urgent = $14,
                 arrived_at = $15, awaiting_approval = $16
             WHERE job_id = $5",
            &[
                &o.technician_id,
                &status,
                &o.visit,
                &o.updated_at,
                &o.job_id,
                &p.appointment_day,
                &p.appointment_at,
                &p.reported_at,
                &p.due_at,
                &p.customer_name,
                &p.phone_digits,
                &p.site,
                &p.location,
                &urgent,
                &p.arrived_at,
                &awaiting,
            ],
        )
        .await?;
        Ok(())
    }

    async fn orders(
        &mut self,
        technician_id: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<OrderRow>> {
        self.all(
            "SELECT job_id, technician_id, visit, updated_at FROM orders
             WHERE ($1::text IS NULL OR technician_id = $1) AND ($2::text IS NULL OR status = $2)
             ORDER BY job_id COLLATE \"C\"",
            &[&technician_id, &status],
        )
        .await?
        .iter()
        .map(order_row)
        .collect()
    }

    async fn append_change(
        &mut self,
        technician_id: &str,
        job_id: &str,
        at: &str,
        payload: &str,
    ) -> Result<()> {
        // Held to commit: a later cursor never becomes visible before an earlier one.
        self.exec("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
            .await?;
        self.exec(
            "INSERT INTO changes(technician_id, job_id, at, payload) VALUES ($1, $2, $3, $4)",
            &[&technician_id, &job_id, &at, &payload],
        )
        .await?;
        Ok(())
    }

    async fn changes_after(
        &mut self,
        technician_id: &str,
        cursor: i64,
        limit: i64,
    ) -> Result<Vec<ChangeRow>> {
        self.all(
            "SELECT cursor, job_id, at, payload FROM changes WHERE technician_id = $1 AND cursor > $2 ORDER BY cursor LIMIT $3",
            &[&technician_id, &cursor, &limit],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(ChangeRow {
                cursor: r.try_get(0)?,
                job_id: r.try_get(1)?,
                at: r.try_get(2)?,
                payload: r.try_get(3)?,
            })
        })
        .collect()
    }

    async fn insert_ops(&mut self, ops: &[OpRow]) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let col = |f: fn(&OpRow) -> &str| ops.iter().map(f).collect::<Vec<&str>>();
        let opt = |f: fn(&OpRow) -> Option<&str>| ops.iter().map(f).collect::<Vec<Option<&str>>>();
        let seqs: Vec<i64> = ops.iter().map(|o| o.seq).collect();
        self.exec(
            "INSERT INTO ops(op_id, device_id, seq, job_id, kind, outcome, code, message, hlc, received_at, payload)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                  $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])",
            &[
                &col(|o| &o.op_id),
                &col(|o| &o.device_id),
                &seqs,
                &col(|o| &o.job_id),
                &col(|o| &o.kind),
                &col(|o| o.outcome),
                &opt(|o| o.code.as_deref()),
                &opt(|o| o.message.as_deref()),
                &col(|o| &o.hlc),
                &col(|o| &o.received_at),
                &col(|o| &o.payload),
            ],
        )
        .await?;
        Ok(())
    }

    async fn applied_ops(&mut self) -> Result<i64> {
        self.one("SELECT COUNT(*) FROM ops WHERE outcome = 'applied'", &[])
            .await?
            .map_or(Ok(0), |r| r.try_get(0).map_err(Into::into))
    }

    async fn receipts_for_update(
        &mut self,
        numbers: &[&str],
    ) -> Result<Vec<(String, String, Option<String>)>> {
        self.all(
            "SELECT number, job_id, voided_day FROM receipts WHERE number = ANY($1)
             ORDER BY number COLLATE \"C\" FOR UPDATE",
            &[&numbers],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
    }

    async fn insert_receipts(&mut self, rows: &[ReceiptRow]) -> Result<()> {
        let col = |f: fn(&ReceiptRow) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
        let amounts: Vec<i64> = rows.iter().map(|r| r.amount_fen).collect();
        let refers: Vec<Option<&str>> = rows.iter().map(|r| r.refers_to.as_deref()).collect();
        self.exec(
            "INSERT INTO receipts(number, job_id, technician_id, device_id, method, amount_fen, issued_day, received_at, kind, refers_to)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                                  $7::text[], $8::text[], $9::text[], $10::text[])",
            &[
                &col(|r| &r.number),
                &col(|r| &r.job_id),
                &col(|r| &r.technician_id),
                &col(|r| &r.device_id),
                &col(|r| &r.method),
                &amounts,
                &col(|r| &r.issued_day),
                &col(|r| &r.received_at),
                &col(|r| r.kind),
                &refers,
            ],
        )
        .await?;
        Ok(())
    }

    async fn void_receipt(
        &mut self,
        number: &str,
        day: &str,
        reason: &str,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE receipts SET voided_day = $1, void_reason = $2, voided_at = $3 WHERE number = $4",
            &[&day, &reason, &at, &number],
        )
        .await?;
        Ok(())
    }

    async fn reissued_among(&mut self, numbers: &[&str]) -> Result<Vec<String>> {
        self.all(
            "SELECT DISTINCT refers_to FROM receipts WHERE kind = 'reissue' AND refers_to = ANY($1)",
            &[&numbers],
        )
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    async fn receipts_issued(
        &mut self,
        technician_id: &str,
        day: &str,
    ) -> Result<Vec<ReceiptMoney>> {
        self.all(
            "SELECT method, kind, amount_fen FROM receipts WHERE technician_id = $1 AND issued_day = $2",
            &[&technician_id, &day],
        )
        .await?
        .iter()
        .map(money_row)
        .collect()
    }

    async fn receipts_voided(
        &mut self,
        technician_id: &str,
        day: &str,
    ) -> Result<Vec<ReceiptMoney>> {
        self.all(
            "SELECT method, kind, amount_fen FROM receipts WHERE technician_id = $1 AND voided_day = $2",
            &[&technician_id, &day],
        )
        .await?
        .iter()
        .map(money_row)
        .collect()
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
            "INSERT INTO handovers(technician_id, day, method, amount_fen, recorded_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (technician_id, day, method) DO UPDATE SET amount_fen = EXCLUDED.amount_fen, recorded_at = EXCLUDED.recorded_at",
            &[&technician_id, &day, &method, &amount_fen, &at],
        )
        .await?;
        Ok(())
    }

    async fn handovers(&mut self, technician_id: &str, day: &str) -> Result<Vec<(String, i64)>> {
        self.all(
            "SELECT method, amount_fen FROM handovers WHERE technician_id = $1 AND day = $2",
            &[&technician_id, &day],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }

    async fn series_next_for_update(&mut self, series: &str) -> Result<i64> {
        self.exec(
            "INSERT INTO receipt_series(series, next) VALUES ($1, 1) ON CONFLICT DO NOTHING",
            &[&series],
        )
        .await?;
        let r = self
            .one(
                "SELECT next FROM receipt_series WHERE series = $1 FOR UPDATE",
                &[&series],
            )
            .await?
            .ok_or_else(|| HqError::Internal("the receipt series vanished".into()))?;
        Ok(r.try_get(0)?)
    }

    async fn set_series_next(&mut self, series: &str, next: i64) -> Result<()> {
        self.exec(
            "UPDATE receipt_series SET next = $1 WHERE series = $2",
            &[&next, &series],
        )
        .await?;
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
            "INSERT INTO receipt_blocks(series, first, last, device_id, granted_at) VALUES ($1, $2, $3, $4, $5)",
            &[&series, &first, &last, &device_id, &at],
        )
        .await?;
        Ok(())
    }

    async fn blob_exists(&mut self, sha256: &str) -> Result<bool> {
        Ok(self
            .one("SELECT 1 FROM blobs WHERE sha256 = $1", &[&sha256])
            .await?
            .is_some())
    }

    async fn blobs_among(&mut self, shas: &[&str]) -> Result<Vec<String>> {
        self.all("SELECT sha256 FROM blobs WHERE sha256 = ANY($1)", &[&shas])
            .await?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }

    async fn insert_blob(
        &mut self,
        sha256: &str,
        media_type: &str,
        bytes: &[u8],
        owner: &str,
        at: &str,
    ) -> Result<bool> {
        Ok(self
            .exec(
                "INSERT INTO blobs(sha256, media_type, bytes, owner, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[&sha256, &media_type, &bytes, &owner, &at],
            )
            .await?
            > 0)
    }

    async fn blob(&mut self, sha256: &str) -> Result<Option<BlobRow>> {
        let Some(r) = self
            .one(
                "SELECT media_type, bytes, owner FROM blobs WHERE sha256 = $1",
                &[&sha256],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(BlobRow {
            media_type: r.try_get(0)?,
            bytes: r.try_get(1)?,
            owner: r.try_get(2)?,
        }))
    }

    async fn upload(&mut self, owner: &str, sha256: &str) -> Result<Option<UploadRow>> {
        let Some(r) = self
            .one(
                "SELECT media_type, length, received FROM uploads WHERE owner = $1 AND sha256 = $2 FOR UPDATE",
                &[&owner, &sha256],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(UploadRow {
            media_type: r.try_get(0)?,
            length: r.try_get(1)?,
            received: r.try_get(2)?,
        }))
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
             VALUES ($1, $2, $3, $4, 0, $5, $5)",
            &[&owner, &sha256, &media_type, &length, &at],
        )
        .await?;
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
            "INSERT INTO upload_chunks(owner, sha256, start_at, bytes) VALUES ($1, $2, $3, $4)",
            &[&owner, &sha256, &start, &bytes],
        )
        .await?;
        let end = start + bytes.len() as i64;
        self.exec(
            "UPDATE uploads SET received = $3, updated_at = $4 WHERE owner = $1 AND sha256 = $2",
            &[&owner, &sha256, &end, &at],
        )
        .await?;
        Ok(())
    }

    async fn upload_bytes(&mut self, owner: &str, sha256: &str) -> Result<Vec<u8>> {
        let rows = self
            .all(
                "SELECT bytes FROM upload_chunks WHERE owner = $1 AND sha256 = $2 ORDER BY start_at",
                &[&owner, &sha256],
            )
            .await?;
        let mut out = Vec::new();
        for r in rows {
            out.extend_from_slice(r.try_get::<_, &[u8]>(0)?);
        }
        Ok(out)
    }

    async fn drop_upload(&mut self, owner: &str, sha256: &str) -> Result<()> {
        self.exec(
            "DELETE FROM upload_chunks WHERE owner = $1 AND sha256 = $2",
            &[&owner, &sha256],
        )
        .await?;
        self.exec(
            "DELETE FROM uploads WHERE owner = $1 AND sha256 = $2",
            &[&owner, &sha256],
        )
        .await?;
        Ok(())
    }

    async fn insert_old_parts(&mut self, parts: &[OldPart]) -> Result<()> {
        let col = |f: fn(&OldPart) -> &str| parts.iter().map(f).collect::<Vec<&str>>();
        let opt = |f: fn(&OldPart) -> Option<&str>| parts.iter().map(f).collect::<Vec<_>>();
        let warranty: Vec<i64> = parts.iter().map(|p| i64::from(p.in_warranty)).collect();
        // WITH ORDINALITY keeps the rows in the push's order, so the first of
        // two records of one part is the one kept, as row by row.
        self.exec(
            &format!(
                "INSERT INTO old_parts({OLD_PART_COLUMNS})
                 SELECT registration, job_id, technician_id, part_code, description, old_serial,
                        new_serial, in_warranty, return_plate, return_fault, recorded_at, received_at
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                             $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[])
                      WITH ORDINALITY
                      AS u(registration, job_id, technician_id, part_code, description, old_serial,
                           new_serial, in_warranty, return_plate, return_fault, recorded_at,
                           received_at, n)
                 ORDER BY n
                 ON CONFLICT DO NOTHING"
            ),
            &[
                &col(|p| &p.registration),
                &col(|p| &p.job_id),
                &col(|p| &p.technician_id),
                &col(|p| &p.part_code),
                &col(|p| &p.description),
                &col(|p| &p.old_serial),
                &col(|p| &p.new_serial),
                &warranty,
                &opt(|p| p.return_plate.as_deref()),
                &opt(|p| p.return_fault.as_deref()),
                &col(|p| &p.recorded_at),
                &col(|p| &p.received_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn old_parts(&mut self, job_id: Option<&str>) -> Result<Vec<OldPart>> {
        self.all(
            &format!(
                "SELECT {OLD_PART_COLUMNS} FROM old_parts WHERE ($1::text IS NULL OR job_id = $1)
                 ORDER BY received_at DESC, registration COLLATE \"C\""
            ),
            &[&job_id],
        )
        .await?
        .iter()
        .map(old_part_row)
        .collect()
    }

    async fn insert_followups(&mut self, f: &[FollowUp], at: &str) -> Result<()> {
        let col = |g: fn(&FollowUp) -> &str| f.iter().map(g).collect::<Vec<&str>>();
        let details: Vec<Option<&str>> = f.iter().map(|f| f.detail.as_deref()).collect();
        // In the push's order (WITH ORDINALITY): the first of two for one
        // job and reason is the one kept, as row by row.
        self.exec(
            "INSERT INTO followups(job_id, reason, due_at, created_at, detail)
             SELECT job_id, reason, due_at, $4, detail
             FROM UNNEST($1::text[], $2::text[], $3::text[], $5::text[]) WITH ORDINALITY
                  AS u(job_id, reason, due_at, detail, n)
             ORDER BY n
             ON CONFLICT DO NOTHING",
            &[
                &col(|f| &f.job_id),
                &col(|f| &f.reason),
                &col(|f| &f.due_at),
                &at,
                &details,
            ],
        )
        .await?;
        Ok(())
    }

    async fn followups(&mut self) -> Result<Vec<FollowUp>> {
        self.all(
            "SELECT job_id, reason, due_at, detail FROM followups ORDER BY due_at, job_id COLLATE \"C\", reason COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(followup_row)
        .collect()
    }

    async fn insert_complaints(&mut self, c: &[ComplaintRow]) -> Result<()> {
        let col = |f: fn(&ComplaintRow) -> &str| c.iter().map(f).collect::<Vec<&str>>();
        self.exec(
            "INSERT INTO complaints(op_id, job_id, technician_id, kind, words, customer_name, customer_phone, phone_digits, made_at, received_at)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                  $7::text[], $8::text[], $9::text[], $10::text[])
             ON CONFLICT DO NOTHING",
            &[
                &col(|c| &c.op_id),
                &col(|c| &c.record.job_id),
                &col(|c| &c.record.technician_id),
                &col(|c| &c.record.kind),
                &col(|c| &c.record.words),
                &col(|c| &c.record.customer_name),
                &col(|c| &c.record.customer_phone),
                &col(|c| &c.phone_digits),
                &col(|c| &c.record.made_at),
                &col(|c| &c.record.received_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn complaints(&mut self) -> Result<Vec<ComplaintRecord>> {
        self.all(
            "SELECT job_id, technician_id, kind, words, customer_name, customer_phone, made_at, received_at
             FROM complaints ORDER BY received_at, op_id COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(complaint_row)
        .collect()
    }

    async fn complained_before(&mut self, phone_digits: &str) -> Result<bool> {
        Ok(self
            .one(
                "SELECT 1 FROM complaints WHERE phone_digits = $1 LIMIT 1",
                &[&phone_digits],
            )
            .await?
            .is_some())
    }

    async fn insert_key(&mut self, k: &KeyRow, secret_hash: &str) -> Result<bool> {
        Ok(self
            .exec(
                "INSERT INTO integration_keys(name, scopes, secret_hash, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO NOTHING",
                &[&k.name, &k.scopes, &secret_hash, &k.created_at],
            )
            .await?
            > 0)
    }

    async fn revoke_key(&mut self, name: &str, at: &str) -> Result<bool> {
        Ok(self
            .exec(
                "UPDATE integration_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
                &[&at, &name],
            )
            .await?
            > 0)
    }

    async fn keys(&mut self) -> Result<Vec<KeyRow>> {
        self.all(
            "SELECT name, scopes, created_at, revoked_at, last_used_at FROM integration_keys ORDER BY name COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(key_row)
        .collect()
    }

    async fn key_by_secret(&mut self, secret_hash: &str) -> Result<Option<KeyRow>> {
        self.one(
            "SELECT name, scopes, created_at, revoked_at, last_used_at FROM integration_keys WHERE secret_hash = $1",
            &[&secret_hash],
        )
        .await?
        .as_ref()
        .map(key_row)
        .transpose()
    }

    async fn touch_key(&mut self, name: &str, at: &str) -> Result<()> {
        self.exec(
            "UPDATE integration_keys SET last_used_at = $1 WHERE name = $2",
            &[&at, &name],
        )
        .await?;
        Ok(())
    }
}

fn key_row(r: &Row) -> Result<KeyRow> {
    Ok(KeyRow {
        name: r.try_get(0)?,
        scopes: r.try_get(1)?,
        created_at: r.try_get(2)?,
        revoked_at: r.try_get(3)?,
        last_used_at: r.try_get(4)?,
    })
}
