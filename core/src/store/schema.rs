//! The local store's schema, one SQLite file per signed-in technician.
//!
//! Tables:
//!
//! - `meta`: key/value facts about this store: the technician and device it
//!   belongs to, the last hybrid-logical-clock stamp (so stamps keep growing
//!   across restarts), the last outbox sequence number assigned, the last
//!   emergency receipt number, and the pull cursor. The approval key shared
//!   with HQ is not stored: the shell passes it in the `Profile` at each open.
//! - `jobs`: one row per job, the *projection* of its events: `status` and
//!   `appointment_at` as columns for listing, and the whole [`crate::visit::Visit`]
//!   as JSON in `visit`. It is rewritten in the same transaction as each event,
//!   so it never disagrees with `events`.
//! - `events`: the append-only visit facts (docs/ARCHITECTURE.md). Triggers
//!   refuse UPDATE and DELETE: corrections are new events.
//! - `outbox`: what HQ has not yet acknowledged. `seq` is this device's
//!   gap-free sequence number; `op_id` a UUID; `hlc` the clock stamp; `payload`
//!   the op as sent. Rows are appended in the same transaction as the event
//!   and removed only when HQ acknowledges them.
//! - `audit`: who did what and when, for every event, including HQ's changes
//!   applied on the device, and for receipt voids, reissues, number blocks and
//!   rejected ops. Only writes are logged: reading a job leaves no row.
//! - `receipt_blocks` (v2): receipt number ranges granted by HQ, with the next
//!   free number; `receipts` (v2): the device's receipt ledger. Each row is an
//!   issue, a void (same number as the receipt it voids) or a reissue (new
//!   number, `refers_to` the voided one), and holds the hash of the row before
//!   it, so a deleted or edited receipt breaks the chain.
//! - `blobs` (v3): photos and their thumbnails, content-addressed by SHA-256.
//!   Its `uploaded` flag is v3's; since v6 the upload state lives in
//!   `blob_uploads` and the flag is no longer read or written (dropping the
//!   column would rewrite every photo on the phone at the upgrade).
//! - `blob_uploads` (v6): the blobs HQ does not hold yet, one small row each
//!   (size, the job, the bytes HQ has acknowledged so far): a sync lists what
//!   to upload, smallest first, and resumes a photo where its last chunk
//!   ended, without reading any photo's bytes. The row goes when HQ has the
//!   whole blob.
//! - `conflicts` (v4): ops HQ rejected (job cancelled, reassigned, rule
//!   broken), kept so the technician sees why; never a silent drop.
//! - `deferred_changes` (v4): changes pulled from HQ for a job that still has
//!   unacknowledged ops; applied once HQ has seen those ops. The pull cursor
//!   is `meta.pull_cursor`, written in the same transaction as the changes.
//!
//! - `purged_jobs` (v5): jobs whose customer personal data was purged from
//!   this phone (retention period over, or the job left this technician), with
//!   when and why. Only for these jobs do the events' and receipts' triggers
//!   let the purge delete the events and rewrite a receipt's body (the
//!   customer's name blanked, the chained hash kept); `reveals` (v5) are the
//!   technician's deliberate looks at a customer's full phone and address
//!   outside the day of the appointment, also audited.
//!
//! - `dispatched_orders` (v7): a job's work order as first dispatched, kept
//!   only once the job's order has changed since (a new appointment, a
//!   corrected vehicle, a new dispatch). The first `dispatched` event of a
//!   job refers to the job's order instead of holding a second copy of it
//!   (`events::DISPATCHED_BY_REFERENCE`): until the order changes, the
//!   order in `jobs.visit` is the one dispatched; the change keeps it here
//!   first, in the same transaction.
//!
//! The version is SQLite's `user_version`. [`migrate`] brings any earlier
//! version up to [`VERSION`] in one transaction when the store is opened.

use rusqlite::Connection;

use crate::error::{Error, Result};

/// The schema version this build writes.
pub const VERSION: i64 = 7;

/// Each migration takes the schema from version `index` to `index + 1`.
pub const MIGRATIONS: [&str; 7] = [V1, V2, V3, V4, V5, V6, V7];

const V1: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE jobs (
    job_id         TEXT PRIMARY KEY,
    status         TEXT NOT NULL,
    appointment_at TEXT NOT NULL,
    visit          TEXT NOT NULL,
    updated_hlc    TEXT NOT NULL
) STRICT;
CREATE INDEX jobs_by_appointment ON jobs(appointment_at);

CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    job_id   TEXT NOT NULL REFERENCES jobs(job_id),
    kind     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at       TEXT NOT NULL,
    hlc      TEXT NOT NULL,
    payload  TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_job ON events(job_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'visit events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'visit events are append-only'); END;

CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY,
    op_id      TEXT NOT NULL UNIQUE,
    device_id  TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    hlc        TEXT NOT NULL,
    payload    TEXT NOT NULL
) STRICT;

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    device_id TEXT NOT NULL,
    job_id    TEXT,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_job ON audit(job_id, id);
";

const V2: &str = "
CREATE TABLE receipt_blocks (
    series     TEXT NOT NULL,
    first      INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    next       INTEGER NOT NULL,
    granted_at TEXT NOT NULL,
    emergency  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (series, first),
    CHECK (first <= last AND next >= first AND next <= last + 1)
) STRICT;

CREATE TABLE receipts (
    position    INTEGER PRIMARY KEY,
    number      TEXT NOT NULL,
    job_id      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('original', 'void', 'reissue', 'emergency')),
    refers_to   TEXT,
    issued_at   TEXT NOT NULL,
    body        TEXT NOT NULL,
    prev_sha256 TEXT NOT NULL,
    sha256      TEXT NOT NULL UNIQUE
) STRICT;
CREATE UNIQUE INDEX receipts_number_once ON receipts(number, kind = 'void');
CREATE INDEX receipts_by_job ON receipts(job_id);
CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are immutable: void and reissue'); END;
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are immutable: void and reissue'); END;
";

const V3: &str = "
CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    job_id     TEXT,
    created_at TEXT NOT NULL,
    uploaded   INTEGER NOT NULL DEFAULT 0
) STRICT;
";

const V4: &str = "
CREATE TABLE conflicts (
    id         INTEGER PRIMARY KEY,
    job_id     TEXT NOT NULL,
    op_id      TEXT NOT NULL UNIQUE,
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    code       TEXT NOT NULL,
    message    TEXT NOT NULL,
    at         TEXT NOT NULL
) STRICT;
CREATE INDEX conflicts_by_job ON conflicts(job_id);

CREATE TABLE deferred_changes (
    cursor  INTEGER PRIMARY KEY,
    job_id  TEXT NOT NULL,
    payload TEXT NOT NULL
) STRICT;
";

const V5: &str = "
CREATE TABLE purged_jobs (
    job_id    TEXT PRIMARY KEY,
    purged_at TEXT NOT NULL,
    reason    TEXT NOT NULL
) STRICT;

DROP TRIGGER events_no_update;
DROP TRIGGER events_no_delete;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'visit events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
WHEN NOT EXISTS (SELECT 1 FROM purged_jobs WHERE job_id = OLD.job_id)
BEGIN SELECT RAISE(ABORT, 'visit events are append-only'); END;

DROP TRIGGER receipts_no_update;
CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
WHEN NOT EXISTS (SELECT 1 FROM purged_jobs WHERE job_id = OLD.job_id)
  OR NEW.number IS NOT OLD.number OR NEW.job_id IS NOT OLD.job_id
  OR NEW.kind IS NOT OLD.kind OR NEW.refers_to IS NOT OLD.refers_to
  OR NEW.issued_at IS NOT OLD.issued_at OR NEW.prev_sha256 IS NOT OLD.prev_sha256
  OR NEW.sha256 IS NOT OLD.sha256 OR NEW.position IS NOT OLD.position
BEGIN SELECT RAISE(ABORT, 'receipts are immutable: void and reissue'); END;
";

/// Upload state out of `blobs`: `blobs.uploaded` sits after the photo's bytes
/// in its record, so listing what is unsent walked every photo's overflow
/// pages (decrypted and HMAC-checked page by page in an encrypted store) and
/// marking one sent rewrote the photo. `length(bytes)` reads the record's
/// header only.
const V6: &str = "
CREATE TABLE blob_uploads (
    sha256     TEXT PRIMARY KEY REFERENCES blobs(sha256),
    job_id     TEXT,
    size       INTEGER NOT NULL CHECK (size >= 0),
    acked      INTEGER NOT NULL DEFAULT 0 CHECK (acked >= 0 AND acked <= size),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX blob_uploads_smallest ON blob_uploads(size, created_at);
INSERT INTO blob_uploads(sha256, job_id, size, created_at)
    SELECT sha256, job_id, length(bytes), created_at FROM blobs WHERE uploaded = 0;
";

/// A job's order as first dispatched, once the order changed since (see
/// `dispatched_orders` above).
const V7: &str = "
CREATE TABLE dispatched_orders (
    job_id     TEXT PRIMARY KEY,
    order_json TEXT NOT NULL
) STRICT;
";

/// Reads the schema version of an open database.
pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the schema up to [`VERSION`], all steps in one transaction.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, VERSION)
}

/// Brings the schema up to `target` (tests use this to build older stores).
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let found = version(conn)?;
    if found > VERSION {
        return Err(Error::SchemaTooNew {
            found,
            known: VERSION,
        });
    }
    if found >= target {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let to = i as i64 + 1;
        if to > found && to <= target {
            tx.execute_batch(sql)?;
        }
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()?;
    Ok(())
}
