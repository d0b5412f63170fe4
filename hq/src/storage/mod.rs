//! HQ's storage layer: one trait, [`Storage`], whose methods are HQ's
//! operations (apply a push, serve a pull page, dispatch and change orders,
//! enrol devices, grant receipt number blocks, the follow-up queue,
//! reconciliation...), with two implementations:
//!
//! - [`sqlite::SqliteStorage`]: one file, the default, so one command runs
//!   HQ; rusqlite on tokio's blocking pool (one writer, as SQLite allows).
//! - [`postgres::PgStorage`]: several stateless HQ processes on one
//!   database; tokio-postgres with a deadpool pool, PostgreSQL's own SQL
//!   (row locks, arrays for a push's ops in one statement).
//!
//! Each operation runs in one transaction. The rules of each operation are
//! written once ([`crate::rules`]) over [`records::Records`], the
//! domain-level reads and writes each database implements in its own SQL; a
//! handler never sees SQL and no SQL is translated from one dialect to the
//! other.

#[macro_use]
mod operations;

pub mod migrations;
pub mod postgres;
pub(crate) mod records;
pub mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use onsite_core::charge::Instruction;
use onsite_core::order::WorkOrder;
use onsite_core::receipt::NumberBlock;
use onsite_core::sync::protocol::{EnrollResponse, PullResponse, PushRequest, PushResponse};
use onsite_core::sync::upload::{Chunk, UploadProgress};
use onsite_core::visit::{RescheduleConsent, Visit};

use crate::error::Result;
use crate::keys::{Key, KeyInfo};
use crate::rules::{
    ChunkOutcome, ComplaintRecord, Device, FollowUp, OldPart, OrderSummary, PendingInvoice,
    Reconciliation,
};

/// HQ's operations on its database: these, and the service centre's (each
/// `crate::centre` module's `XStore`). Errors are [`crate::HqError`]s: the
/// domain's refusals (not found, conflict, bad request) as they are, and the
/// database's failures as `Internal` or `Unavailable`, never a driver's text
/// to a client.
#[async_trait::async_trait]
pub trait Storage:
    crate::centre::people::PeopleStore
    + crate::centre::access::AccessStore
    + crate::centre::retention::RetentionStore
    + crate::centre::audit::AuditStore
    + crate::centre::desk::DeskStore
    + crate::centre::dossier::DossierStore
    + crate::centre::approvals::ApprovalsStore
    + crate::centre::followups::FollowupsStore
    + crate::centre::complaints::ComplaintsStore
    + crate::centre::reconciliation::ReconciliationStore
    + crate::centre::reports::ReportsStore
    + crate::centre::fleet::FleetStore
    + crate::centre::phone_data::PhoneDataStore
    + crate::centre::leaks::LeakStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`, for logs and `/v1/ready`.
    fn kind(&self) -> &'static str;
    /// The database answers.
    async fn ready(&self) -> Result<()>;

    // --- technicians and devices ---
    /// Registers a technician (or finds one) and returns their approval key.
    async fn create_technician(&self, id: &str, name: &str, now: DateTime<Utc>) -> Result<String>;
    /// A one-time enrollment code for a technician's device.
    async fn create_enrollment(&self, technician_id: &str, now: DateTime<Utc>) -> Result<String>;
    /// Exchanges an enrollment code for a device token.
    async fn enroll(
        &self,
        code: &str,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<EnrollResponse>;
    /// The device a token belongs to; notes when it was last seen (at most
    /// once a minute, so a syncing phone does not add a write per request).
    async fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Result<Device>;

    // --- dispatch ---
    async fn create_order(&self, order: WorkOrder, now: DateTime<Utc>) -> Result<OrderSummary>;
    async fn assign(
        &self,
        job_id: &str,
        technician_id: &str,
        now: DateTime<Utc>,
    ) -> Result<OrderSummary>;
    async fn reschedule(
        &self,
        job_id: &str,
        at: DateTime<Utc>,
        reason: &str,
        consent: Option<RescheduleConsent>,
        now: DateTime<Utc>,
    ) -> Result<OrderSummary>;
    async fn cancel(&self, job_id: &str, reason: &str, now: DateTime<Utc>) -> Result<OrderSummary>;
    async fn list_orders(
        &self,
        technician_id: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<OrderSummary>>;
    /// One order; `scope` limits it to one technician's jobs.
    async fn get_order(&self, job_id: &str, scope: Option<&str>) -> Result<Visit>;
    async fn instruct_charge(
        &self,
        job_id: &str,
        instruction: Instruction,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<OrderSummary>;
    async fn charge_code(&self, job_id: &str, instruction: Instruction) -> Result<String>;

    // --- sync ---
    /// Applies a device's batch and keeps what it said it still holds unsent.
    async fn push(
        &self,
        device: &Device,
        push: PushRequest,
        now: DateTime<Utc>,
    ) -> Result<PushResponse>;
    async fn pull(&self, technician_id: &str, cursor: i64, limit: usize) -> Result<PullResponse>;
    /// Stores a photo; false if it was already stored.
    async fn put_blob(
        &self,
        sha256: &str,
        media_type: &str,
        bytes: Vec<u8>,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Where a technician's chunked upload of a blob stands.
    async fn upload_status(&self, owner: &str, sha256: &str) -> Result<UploadProgress>;
    /// One chunk of a technician's upload (see [`crate::rules::upload_chunk`]).
    async fn upload_chunk(
        &self,
        owner: &str,
        sha256: &str,
        media_type: &str,
        chunk: Chunk,
        bytes: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<ChunkOutcome>;
    /// A blob and its media type; `scope` limits it to one technician's.
    async fn get_blob(&self, sha256: &str, scope: Option<&str>) -> Result<(String, Vec<u8>)>;
    async fn grant_block(&self, device: &Device, now: DateTime<Utc>) -> Result<NumberBlock>;

    // --- after the visit ---
    async fn followups(&self, month: Option<&str>) -> Result<Vec<FollowUp>>;
    async fn old_parts(&self, job_id: Option<&str>) -> Result<Vec<OldPart>>;
    async fn complaints(&self) -> Result<Vec<ComplaintRecord>>;
    async fn pending_invoices(&self) -> Result<Vec<PendingInvoice>>;
    async fn record_handover(
        &self,
        technician_id: &str,
        day: NaiveDate,
        method: &str,
        amount_fen: i64,
        now: DateTime<Utc>,
    ) -> Result<()>;
    async fn reconciliation(&self, technician_id: &str, day: NaiveDate) -> Result<Reconciliation>;
    /// Ops applied in total (the demo's and the tests' count).
    async fn applied_ops(&self) -> Result<i64>;

    // --- integration keys ---
    // Made and revoked through `FleetStore::add_key` / `withdraw_key`, which
    // put the change on the audit trail with who made it.
    async fn keys(&self) -> Result<Vec<KeyInfo>>;
    /// The key a secret belongs to (`None`: no key has it; 401: revoked).
    async fn authenticate_key(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Key>>;
}

/// Connections each HQ process keeps to PostgreSQL: four per CPU core,
/// between 4 and 32. More transactions in flight than the machine can run
/// only queue inside PostgreSQL (figure 6 of BENCHMARKS.md measured 8, 16,
/// 24 and 40 on 2 cores: 8 was fastest); 32 stays well under PostgreSQL's
/// default 100 connections, leaving room for more HQ processes.
pub fn postgres_pool() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    (cores * 4).clamp(4, 32)
}

/// Opens (and brings up to date) the database named by `url`:
/// `postgres://...` or a SQLite file path (optionally `sqlite:` prefixed).
/// Call it on the runtime that will serve: PostgreSQL connections live on it.
pub async fn open(url: &str) -> Result<Arc<dyn Storage>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            postgres::PgStorage::connect(url, postgres_pool()).await?,
        ))
    } else {
        let path = url.strip_prefix("sqlite:").unwrap_or(url).to_string();
        Ok(Arc::new(sqlite::SqliteStorage::open(path).await?))
    }
}
