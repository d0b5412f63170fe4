//! HQ's schema, versioned, in each database's own SQL (`hq/migrations/`).
//!
//! Step `i` brings a database from version `i` to `i + 1`; a database is
//! brought to [`VERSION`] in one transaction when HQ opens it, and one written
//! by a newer HQ is refused, not damaged. The two lists describe the same
//! tables; the conformance suite and the migration tests hold them to it.
//!
//! - `technicians`: who can be dispatched to, with the key their supervisors'
//!   approval codes are made with.
//! - `enrollments`: one-time codes an admin creates for a technician (hashed).
//! - `devices`: enrolled devices, their token (hashed), revocation, and the
//!   last op sequence applied — written in the same transaction as the ops,
//!   which is what makes a re-sent op an acknowledged no-op.
//! - `orders`: HQ's work orders: assignment, status, and HQ's projection of the
//!   visit from the facts devices pushed (JSON).
//! - `ops`: every op HQ settled (applied or rejected), with its outcome; a
//!   duplicate or out-of-order op leaves no row.
//! - `changes`: the change feed devices pull, cursor assigned by HQ, per technician.
//! - `blobs`: photos devices uploaded, by SHA-256, with the owning technician.
//! - `receipt_series` / `receipt_blocks`: number blocks granted per device, never overlapping.
//! - `receipts`: receipts HQ received, unique by number across all devices
//!   (v2: `kind` original, emergency or reissue; a void marks the row instead
//!   of deleting it).
//! - `followups`: the follow-up queue (回访); `handovers`: money handed in per
//!   technician, day and payment method.
//! - `old_parts` (v3): old parts recovered on site with their registration
//!   numbers, for the centre's review (「收回,并给予登记编号,报备给欧联总公司」).
//! - `complaints` (v4): complaints customers made on site (顾客投诉记录), with the
//!   customer's phone in digits only, so a later order for the same phone is
//!   marked as a returning customer who complained.
//! - `integration_keys` (v5): named keys with scopes for the service centre's
//!   systems, the secret stored hashed.
//! - v6: the service centre's console, one file per `crate::centre` module
//!   (`006_<module>.sql`): people and sessions, the audit trail, the front
//!   desk's calls, approvals, follow-up calls, complaint handling,
//!   reconciliation sign-offs.
//! - v7: one file per module again (`007_<module>.sql`): what each device
//!   still holds unsent; the access log (append-only) and confidential orders.
//! - `uploads` / `upload_chunks` (v8): photos arriving in chunks, kept apart
//!   from `blobs` until the whole photo is in and hashes to its address.
//! - v9 (PostgreSQL only; an empty step on SQLite): a visit's JSON and an
//!   op's payload compressed with lz4 instead of pglz when stored out of line.

use crate::error::{HqError, Result};

/// SQLite's steps.
pub const SQLITE: [&str; 9] = [
    include_str!("../../migrations/sqlite/001_init.sql"),
    include_str!("../../migrations/sqlite/002_receipt_voids.sql"),
    include_str!("../../migrations/sqlite/003_old_parts.sql"),
    include_str!("../../migrations/sqlite/004_complaints.sql"),
    include_str!("../../migrations/sqlite/005_integration_keys.sql"),
    concat!(
        include_str!("../../migrations/sqlite/006_people.sql"),
        include_str!("../../migrations/sqlite/006_audit.sql"),
        include_str!("../../migrations/sqlite/006_desk.sql"),
        include_str!("../../migrations/sqlite/006_dossier.sql"),
        include_str!("../../migrations/sqlite/006_approvals.sql"),
        include_str!("../../migrations/sqlite/006_followups.sql"),
        include_str!("../../migrations/sqlite/006_complaints.sql"),
        include_str!("../../migrations/sqlite/006_reconciliation.sql"),
        include_str!("../../migrations/sqlite/006_reports.sql"),
        include_str!("../../migrations/sqlite/006_fleet.sql"),
    ),
    concat!(
        include_str!("../../migrations/sqlite/007_fleet.sql"),
        include_str!("../../migrations/sqlite/007_access.sql"),
        include_str!("../../migrations/sqlite/007_phone_data.sql"),
        include_str!("../../migrations/sqlite/007_leaks.sql"),
    ),
    include_str!("../../migrations/sqlite/008_uploads.sql"),
    include_str!("../../migrations/sqlite/009_toast.sql"),
];

/// PostgreSQL's steps.
pub const POSTGRES: [&str; 9] = [
    include_str!("../../migrations/postgres/001_init.sql"),
    include_str!("../../migrations/postgres/002_receipt_voids.sql"),
    include_str!("../../migrations/postgres/003_old_parts.sql"),
    include_str!("../../migrations/postgres/004_complaints.sql"),
    include_str!("../../migrations/postgres/005_integration_keys.sql"),
    concat!(
        include_str!("../../migrations/postgres/006_people.sql"),
        include_str!("../../migrations/postgres/006_audit.sql"),
        include_str!("../../migrations/postgres/006_desk.sql"),
        include_str!("../../migrations/postgres/006_dossier.sql"),
        include_str!("../../migrations/postgres/006_approvals.sql"),
        include_str!("../../migrations/postgres/006_followups.sql"),
        include_str!("../../migrations/postgres/006_complaints.sql"),
        include_str!("../../migrations/postgres/006_reconciliation.sql"),
        include_str!("../../migrations/postgres/006_reports.sql"),
        include_str!("../../migrations/postgres/006_fleet.sql"),
    ),
    concat!(
        include_str!("../../migrations/postgres/007_fleet.sql"),
        include_str!("../../migrations/postgres/007_access.sql"),
        include_str!("../../migrations/postgres/007_phone_data.sql"),
        include_str!("../../migrations/postgres/007_leaks.sql"),
    ),
    include_str!("../../migrations/postgres/008_uploads.sql"),
    include_str!("../../migrations/postgres/009_toast.sql"),
];

/// The schema version this build writes.
pub const VERSION: i64 = SQLITE.len() as i64;

// Both databases have every step (a step added to one list only fails the build).
const _: () = assert!(SQLITE.len() == POSTGRES.len());

/// The steps from version `found` to [`VERSION`], or the refusal of a
/// database written by a newer HQ.
pub fn steps_from(steps: &'static [&'static str], found: i64) -> Result<&'static [&'static str]> {
    if found > VERSION {
        return Err(HqError::Internal(format!(
            "the database schema is version {found}; this HQ knows up to {VERSION}"
        )));
    }
    let from = usize::try_from(found.max(0)).unwrap_or(0);
    Ok(steps.get(from..).unwrap_or(&[]))
}
