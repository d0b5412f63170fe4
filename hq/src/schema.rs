//! HQ's schema, written once for both databases.
//!
//! - `technicians`: who can be dispatched to, with the key their supervisors'
//!   approval codes are made with.
//! - `enrollments`: one-time codes an admin creates for a technician (hashed).
//! - `devices`: enrolled devices, their token (hashed), revocation, and the
//!   last op sequence applied — written in the same transaction as the ops,
//!   which is what makes a re-sent op an acknowledged no-op.
//! - `orders`: HQ's work orders: assignment, status, the order as dispatched and
//!   HQ's projection of the visit from the facts devices pushed.
//! - `ops`: every op HQ settled (applied or rejected), with its outcome; a
//!   duplicate or out-of-order op leaves no row.
//! - `changes`: the change feed devices pull, cursor assigned by HQ, per technician.
//! - `blobs`: photos devices uploaded, by SHA-256, with the owning technician.
//! - `receipt_series` / `receipt_blocks`: number blocks granted per device, never overlapping.
//! - `receipts`: receipts HQ received, unique by number across all devices:
//!   `kind` is `original`, `emergency` or `reissue` (a reissue `refers_to` the
//!   receipt it replaces); a void marks the row (`voided_day` in China time,
//!   `void_reason`, `voided_at`) instead of deleting it, so reconciliation
//!   counts issued, voided and reissued money separately.
//! - `followups`: the follow-up queue (回访).
//! - `handovers`: money handed in per technician, day and payment method.
//! - `old_parts` (v3): old parts recovered on site with their registration
//!   numbers, for the centre's review (「收回,并给予登记编号,报备给欧联总公司」).
//! - `complaints` (v4): complaints customers made on site (顾客投诉记录), with the
//!   customer's phone in digits only, so a later order for the same phone is
//!   marked as a returning customer who complained; `followups.detail` (v4)
//!   says what a follow-up is about (a rejected delivery item).
//! - `integration_keys` (v5): named keys the service centre's systems call HQ
//!   with, each with its scopes (`dispatch`, `read`, `admin`), the SHA-256 of
//!   its secret (never the secret), when it was made, revoked and last used.

const V1: &str = "
CREATE TABLE technicians (
    technician_id TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    approval_key  TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE enrollments (
    code_hash     TEXT PRIMARY KEY,
    technician_id TEXT NOT NULL REFERENCES technicians(technician_id),
    created_at    TEXT NOT NULL,
    used_at       TEXT
);
CREATE TABLE devices (
    device_id     TEXT PRIMARY KEY,
    technician_id TEXT NOT NULL REFERENCES technicians(technician_id),
    token_hash    TEXT NOT NULL UNIQUE,
    revoked       {INT} NOT NULL DEFAULT 0,
    last_seq      {INT} NOT NULL DEFAULT 0,
    enrolled_at   TEXT NOT NULL
);
CREATE TABLE orders (
    job_id        TEXT PRIMARY KEY,
    technician_id TEXT NOT NULL,
    status        TEXT NOT NULL,
    visit         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX orders_by_technician ON orders(technician_id, status);
CREATE TABLE ops (
    op_id       TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL,
    seq         {INT} NOT NULL,
    job_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    code        TEXT,
    message     TEXT,
    hlc         TEXT NOT NULL,
    received_at TEXT NOT NULL,
    payload     TEXT NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE INDEX ops_by_job ON ops(job_id);
CREATE TABLE changes (
    cursor        {SERIAL},
    technician_id TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    at            TEXT NOT NULL,
    payload       TEXT NOT NULL
);
CREATE INDEX changes_by_technician ON changes(technician_id, cursor);
CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    bytes      {BLOB} NOT NULL,
    owner      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE receipt_series (
    series TEXT PRIMARY KEY,
    next   {INT} NOT NULL
);
CREATE TABLE receipt_blocks (
    series     TEXT NOT NULL,
    first      {INT} NOT NULL,
    last       {INT} NOT NULL,
    device_id  TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (series, first)
);
CREATE TABLE receipts (
    number        TEXT PRIMARY KEY,
    job_id        TEXT NOT NULL,
    technician_id TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    method        TEXT NOT NULL,
    amount_fen    {INT} NOT NULL,
    issued_day    TEXT NOT NULL,
    received_at   TEXT NOT NULL
);
CREATE INDEX receipts_by_day ON receipts(technician_id, issued_day);
CREATE TABLE followups (
    job_id     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (job_id, reason)
);
CREATE TABLE handovers (
    technician_id TEXT NOT NULL,
    day           TEXT NOT NULL,
    method        TEXT NOT NULL,
    amount_fen    {INT} NOT NULL,
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (technician_id, day, method)
);
";

/// Version 2: receipts learn of voids and reissues (what kind each row is,
/// which receipt a reissue replaces, when and why a receipt was voided).
/// One column per `ALTER TABLE`, which both databases accept.
const V2: &str = "
ALTER TABLE receipts ADD COLUMN kind TEXT NOT NULL DEFAULT 'original';
ALTER TABLE receipts ADD COLUMN refers_to TEXT;
ALTER TABLE receipts ADD COLUMN voided_day TEXT;
ALTER TABLE receipts ADD COLUMN void_reason TEXT;
ALTER TABLE receipts ADD COLUMN voided_at TEXT;
UPDATE receipts SET kind = 'emergency' WHERE number LIKE 'EM-%';
CREATE INDEX receipts_by_void_day ON receipts(technician_id, voided_day);
";

/// Version 3: the old parts recovered on site, by registration number, for review.
const V3: &str = "
CREATE TABLE old_parts (
    registration  TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    technician_id TEXT NOT NULL,
    part_code     TEXT NOT NULL,
    description   TEXT NOT NULL,
    old_serial    TEXT NOT NULL,
    new_serial    TEXT NOT NULL,
    in_warranty   {INT} NOT NULL,
    return_plate  TEXT,
    return_fault  TEXT,
    recorded_at   TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (job_id, registration)
);
CREATE INDEX old_parts_by_received ON old_parts(received_at);
";

/// Version 4: complaints made on site, and what a follow-up is about.
const V4: &str = "
ALTER TABLE followups ADD COLUMN detail TEXT;
CREATE TABLE complaints (
    op_id          TEXT PRIMARY KEY,
    job_id         TEXT NOT NULL,
    technician_id  TEXT NOT NULL,
    kind           TEXT NOT NULL,
    words          TEXT NOT NULL,
    customer_name  TEXT NOT NULL,
    customer_phone TEXT NOT NULL,
    phone_digits   TEXT NOT NULL,
    made_at        TEXT NOT NULL,
    received_at    TEXT NOT NULL
);
CREATE INDEX complaints_by_phone ON complaints(phone_digits);
";

/// Version 5: named integration keys with scopes, in place of one shared
/// admin token (a revoked key keeps its row, so its name is never reused).
const V5: &str = "
CREATE TABLE integration_keys (
    name         TEXT PRIMARY KEY,
    scopes       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
";

/// The schema version this build writes; a database at a later version is refused.
pub const VERSION: i64 = 5;

/// The migration steps, in order: step `i` brings a database from version `i` to `i + 1`.
const STEPS: [&str; VERSION as usize] = [V1, V2, V3, V4, V5];

fn sqlite(step: &str) -> String {
    step.replace("{INT}", "INTEGER")
        .replace("{SERIAL}", "INTEGER PRIMARY KEY AUTOINCREMENT")
        .replace("{BLOB}", "BLOB")
}

fn postgres(step: &str) -> String {
    step.replace("{INT}", "BIGINT")
        .replace("{SERIAL}", "BIGSERIAL PRIMARY KEY")
        .replace("{BLOB}", "BYTEA")
}

/// The SQLite text of the step from version `from` to `from + 1`.
pub fn sqlite_step(from: i64) -> Option<String> {
    usize::try_from(from)
        .ok()
        .and_then(|i| STEPS.get(i))
        .map(|s| sqlite(s))
}

/// The PostgreSQL text of the step from version `from` to `from + 1`.
pub fn postgres_step(from: i64) -> Option<String> {
    usize::try_from(from)
        .ok()
        .and_then(|i| STEPS.get(i))
        .map(|s| postgres(s))
}

pub fn sqlite_v1() -> String {
    sqlite(V1)
}

pub fn postgres_v1() -> String {
    postgres(V1)
}
