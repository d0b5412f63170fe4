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
//! - `receipts`: receipts HQ received, unique by number across all devices.
//! - `followups`: the follow-up queue (回访).
//! - `handovers`: money handed in per technician, day and payment method.

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

pub fn sqlite_v1() -> String {
    V1.replace("{INT}", "INTEGER")
        .replace("{SERIAL}", "INTEGER PRIMARY KEY AUTOINCREMENT")
        .replace("{BLOB}", "BLOB")
}

pub fn postgres_v1() -> String {
    V1.replace("{INT}", "BIGINT")
        .replace("{SERIAL}", "BIGSERIAL PRIMARY KEY")
        .replace("{BLOB}", "BYTEA")
}
