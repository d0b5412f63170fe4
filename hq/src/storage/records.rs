//! What HQ's rules read and write inside one transaction, at the level of
//! the domain: a technician's approval key, an order locked for update, a
//! page of the change feed, a receipt row. Each database implements it with
//! its own SQL ([`super::sqlite`], [`super::postgres`]); the rules
//! ([`crate::rules`]) are written once over it, so both databases answer the
//! same way and the conformance suite can hold them to it.
//!
//! Methods that read a row another transaction may change before this one
//! commits (`*_for_update`) lock it: PostgreSQL takes a row lock, SQLite
//! already holds the one write lock (`BEGIN IMMEDIATE`).
//!
//! Values cross as plain strings and integers: times are RFC 3339 UTC with
//! milliseconds, days `YYYY-MM-DD` (China time), JSON as text. The rules
//! decide those formats, not the databases.

use crate::error::Result;
use crate::rules::{ComplaintRecord, FollowUp, OldPart};

/// An enrollment code's row, joined with its technician.
pub(crate) struct EnrollmentRow {
    pub technician_id: String,
    pub used: bool,
    pub technician_name: String,
    pub approval_key: String,
}

/// A device found by its token.
pub(crate) struct DeviceRow {
    pub device_id: String,
    pub technician_id: String,
    pub revoked: bool,
}

/// An order as stored: its technician and the visit as JSON.
pub(crate) struct OrderRow {
    pub job_id: String,
    pub technician_id: String,
    pub visit: String,
    pub updated_at: String,
}

/// An order rewritten by a push: the row, its status and the columns the
/// console's lists read, projected from the visit HQ already holds decoded.
pub(crate) struct OrderUpdate {
    pub row: OrderRow,
    pub status: &'static str,
    pub projection: crate::centre::desk::Projection,
}

/// One op HQ settled, with its outcome.
pub(crate) struct OpRow {
    pub op_id: String,
    pub device_id: String,
    pub seq: i64,
    pub job_id: String,
    pub kind: String,
    /// `applied` or `rejected`.
    pub outcome: &'static str,
    pub code: Option<String>,
    pub message: Option<String>,
    pub hlc: String,
    pub received_at: String,
    /// The op as JSON.
    pub payload: String,
}

/// One change of the feed a device pulls.
pub(crate) struct ChangeRow {
    pub cursor: i64,
    pub job_id: String,
    pub at: String,
    /// The change as JSON.
    pub payload: String,
}

/// A receipt HQ records: an original, emergency or reissued receipt.
pub(crate) struct ReceiptRow {
    pub number: String,
    pub job_id: String,
    pub technician_id: String,
    pub device_id: String,
    pub method: String,
    pub amount_fen: i64,
    pub issued_day: String,
    pub received_at: String,
    /// `original`, `emergency` or `reissue`.
    pub kind: &'static str,
    pub refers_to: Option<String>,
}

/// A receipt's money for reconciliation.
pub(crate) struct ReceiptMoney {
    pub method: String,
    /// `original`, `emergency` or `reissue`.
    pub kind: String,
    pub amount_fen: i64,
}

/// A complaint to record, with the customer's phone in digits for matching.
pub(crate) struct ComplaintRow {
    pub op_id: String,
    pub phone_digits: String,
    pub record: ComplaintRecord,
}

/// A blob as stored.
pub(crate) struct BlobRow {
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub owner: String,
}

/// A photo arriving in chunks: what HQ holds of it so far.
pub(crate) struct UploadRow {
    pub media_type: String,
    pub length: i64,
    pub received: i64,
}

/// An integration key as stored (the secret's hash is only ever compared).
pub(crate) struct KeyRow {
    pub name: String,
    /// Comma-separated scope names.
    pub scopes: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// One open transaction of HQ's database, in the domain's words: these
/// methods, and the service centre's (each `crate::centre` module's `XRecords`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait Records:
    crate::centre::people::PeopleRecords
    + crate::centre::access::AccessRecords
    + crate::centre::retention::RetentionRecords
    + crate::centre::audit::AuditRecords
    + crate::centre::desk::DeskRecords
    + crate::centre::dossier::DossierRecords
    + crate::centre::approvals::ApprovalsRecords
    + crate::centre::followups::FollowupsRecords
    + crate::centre::complaints::ComplaintsRecords
    + crate::centre::reconciliation::ReconciliationRecords
    + crate::centre::reports::ReportsRecords
    + crate::centre::fleet::FleetRecords
    + crate::centre::phone_data::PhoneDataRecords
    + crate::centre::leaks::LeakRecords
{
    // --- technicians, enrollment, devices ---
    /// The technician's approval key, if HQ knows the technician.
    async fn approval_key(&mut self, technician_id: &str) -> Result<Option<String>>;
    /// Ignored if the technician exists: a registration racing this one
    /// (PostgreSQL: another transaction) may have won since the key was read.
    async fn insert_technician(&mut self, id: &str, name: &str, key: &str, at: &str) -> Result<()>;
    async fn insert_enrollment(
        &mut self,
        code_hash: &str,
        technician_id: &str,
        at: &str,
    ) -> Result<()>;
    async fn enrollment_for_update(&mut self, code_hash: &str) -> Result<Option<EnrollmentRow>>;
    async fn mark_enrollment_used(&mut self, code_hash: &str, at: &str) -> Result<()>;
    /// The technician a device is enrolled for, locked.
    async fn device_owner_for_update(&mut self, device_id: &str) -> Result<Option<String>>;
    /// False if the device id exists (an enrolment racing this one inserted it).
    async fn insert_device(
        &mut self,
        device_id: &str,
        technician_id: &str,
        token_hash: &str,
        at: &str,
    ) -> Result<bool>;
    /// A new token for an enrolled device, which is no longer revoked.
    async fn replace_device_token(&mut self, device_id: &str, token_hash: &str) -> Result<()>;
    async fn device_by_token(&mut self, token_hash: &str) -> Result<Option<DeviceRow>>;
    /// Notes that a device was seen at `at`, unless it was seen after `stale_before`.
    async fn touch_device(&mut self, device_id: &str, at: &str, stale_before: &str) -> Result<()>;
    /// False if there is no such device.
    async fn revoke_device(&mut self, device_id: &str) -> Result<bool>;
    /// The last op sequence applied from a device, locked.
    async fn last_seq_for_update(&mut self, device_id: &str) -> Result<Option<i64>>;
    async fn set_last_seq(&mut self, device_id: &str, seq: i64) -> Result<()>;

    // --- orders and the change feed ---
    async fn order_for_update(&mut self, job_id: &str) -> Result<Option<OrderRow>>;
    /// The orders of `job_ids` (sorted, distinct) HQ has, locked in job id
    /// order: a push's orders in one statement.
    async fn orders_for_update(&mut self, job_ids: &[&str]) -> Result<Vec<OrderRow>>;
    /// An order read without a lock (a reader never holds up a push).
    async fn order(&mut self, job_id: &str) -> Result<Option<OrderRow>>;
    /// False if an order with that job id exists (two HQ processes may race).
    async fn insert_order(&mut self, order: &OrderRow, status: &str, at: &str) -> Result<bool>;
    async fn update_order(&mut self, order: &OrderRow, status: &str) -> Result<()>;
    /// Rewrites a push's orders (distinct job ids).
    async fn update_orders(&mut self, orders: &[OrderUpdate]) -> Result<()>;
    /// Orders by job id, optionally of one technician and in one status.
    async fn orders(
        &mut self,
        technician_id: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<OrderRow>>;
    /// Appends to a technician's feed; cursors follow commit order.
    async fn append_change(
        &mut self,
        technician_id: &str,
        job_id: &str,
        at: &str,
        payload: &str,
    ) -> Result<()>;
    /// Up to `limit` changes of a technician's feed after `cursor`, in order.
    async fn changes_after(
        &mut self,
        technician_id: &str,
        cursor: i64,
        limit: i64,
    ) -> Result<Vec<ChangeRow>>;

    // --- ops ---
    async fn insert_ops(&mut self, ops: &[OpRow]) -> Result<()>;
    async fn applied_ops(&mut self) -> Result<i64>;

    // --- receipts and money ---
    /// The receipts of `numbers` (sorted, distinct) HQ has: (number, job,
    /// the day it was voided if it was), locked.
    async fn receipts_for_update(
        &mut self,
        numbers: &[&str],
    ) -> Result<Vec<(String, String, Option<String>)>>;
    /// Receipts of a push (distinct numbers HQ does not have).
    async fn insert_receipts(&mut self, rows: &[ReceiptRow]) -> Result<()>;
    async fn void_receipt(&mut self, number: &str, day: &str, reason: &str, at: &str)
        -> Result<()>;
    /// Which of `numbers` (sorted, distinct) a reissue already replaced.
    async fn reissued_among(&mut self, numbers: &[&str]) -> Result<Vec<String>>;
    /// Receipts a technician issued (originals, emergency, reissues) on a day.
    async fn receipts_issued(
        &mut self,
        technician_id: &str,
        day: &str,
    ) -> Result<Vec<ReceiptMoney>>;
    /// Receipts a technician's receipts voided on a day.
    async fn receipts_voided(
        &mut self,
        technician_id: &str,
        day: &str,
    ) -> Result<Vec<ReceiptMoney>>;
    /// Money handed in, replacing an earlier figure for the same day and method.
    async fn upsert_handover(
        &mut self,
        technician_id: &str,
        day: &str,
        method: &str,
        amount_fen: i64,
        at: &str,
    ) -> Result<()>;
    /// (method, amount) handed in by a technician on a day.
    async fn handovers(&mut self, technician_id: &str, day: &str) -> Result<Vec<(String, i64)>>;
    /// The next free number of a series (created at 1), locked.
    async fn series_next_for_update(&mut self, series: &str) -> Result<i64>;
    async fn set_series_next(&mut self, series: &str, next: i64) -> Result<()>;
    async fn insert_block(
        &mut self,
        series: &str,
        first: i64,
        last: i64,
        device_id: &str,
        at: &str,
    ) -> Result<()>;

    // --- blobs ---
    async fn blob_exists(&mut self, sha256: &str) -> Result<bool>;
    /// Which of `shas` (sorted, distinct) HQ holds: a push's photos in one
    /// statement instead of one per photo.
    async fn blobs_among(&mut self, shas: &[&str]) -> Result<Vec<String>>;
    /// False if the blob was already stored.
    async fn insert_blob(
        &mut self,
        sha256: &str,
        media_type: &str,
        bytes: &[u8],
        owner: &str,
        at: &str,
    ) -> Result<bool>;
    async fn blob(&mut self, sha256: &str) -> Result<Option<BlobRow>>;

    // --- chunked uploads ---
    /// The technician's upload of this blob, if one is under way (locked
    /// for the transaction: a retried chunk waits for the first).
    async fn upload(&mut self, owner: &str, sha256: &str) -> Result<Option<UploadRow>>;
    /// Starts (or restarts from nothing) the technician's upload of a blob.
    async fn start_upload(
        &mut self,
        owner: &str,
        sha256: &str,
        media_type: &str,
        length: i64,
        at: &str,
    ) -> Result<()>;
    /// Adds the bytes at `start` and moves the upload's offset past them.
    async fn append_chunk(
        &mut self,
        owner: &str,
        sha256: &str,
        start: i64,
        bytes: &[u8],
        at: &str,
    ) -> Result<()>;
    /// The upload's bytes so far, in order.
    async fn upload_bytes(&mut self, owner: &str, sha256: &str) -> Result<Vec<u8>>;
    /// Forgets the upload and its chunks.
    async fn drop_upload(&mut self, owner: &str, sha256: &str) -> Result<()>;

    // --- after the visit ---
    /// Each ignored if the same part of the same job is already on record
    /// (or earlier in `parts`).
    async fn insert_old_parts(&mut self, parts: &[OldPart]) -> Result<()>;
    /// Newest first; `job_id` narrows to one order.
    async fn old_parts(&mut self, job_id: Option<&str>) -> Result<Vec<OldPart>>;
    /// Ignored if the job already has a follow-up for the same reason.
    async fn insert_followup(&mut self, f: &FollowUp, at: &str) -> Result<()> {
        self.insert_followups(std::slice::from_ref(f), at).await
    }
    /// Each ignored if its job already has a follow-up for the same reason
    /// (or one earlier in `f`).
    async fn insert_followups(&mut self, f: &[FollowUp], at: &str) -> Result<()>;
    async fn followups(&mut self) -> Result<Vec<FollowUp>>;
    /// Ignored if the op's complaint is already on record.
    async fn insert_complaint(&mut self, c: &ComplaintRow) -> Result<()> {
        self.insert_complaints(std::slice::from_ref(c)).await
    }
    /// Each ignored if its op's complaint is already on record.
    async fn insert_complaints(&mut self, c: &[ComplaintRow]) -> Result<()>;
    async fn complaints(&mut self) -> Result<Vec<ComplaintRecord>>;
    async fn complained_before(&mut self, phone_digits: &str) -> Result<bool>;

    // --- integration keys ---
    /// False if a key of that name exists (revoked or not).
    async fn insert_key(&mut self, key: &KeyRow, secret_hash: &str) -> Result<bool>;
    /// False if there is no such key not yet revoked.
    async fn revoke_key(&mut self, name: &str, at: &str) -> Result<bool>;
    /// Every key, by name.
    async fn keys(&mut self) -> Result<Vec<KeyRow>>;
    async fn key_by_secret(&mut self, secret_hash: &str) -> Result<Option<KeyRow>>;
    /// Notes that a key was used at `at`.
    async fn touch_key(&mut self, name: &str, at: &str) -> Result<()>;
}
