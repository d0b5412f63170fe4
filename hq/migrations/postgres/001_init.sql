-- Version 1: the tables HQ started with.
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
    revoked       BIGINT NOT NULL DEFAULT 0,
    last_seq      BIGINT NOT NULL DEFAULT 0,
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
    seq         BIGINT NOT NULL,
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
    cursor        BIGSERIAL PRIMARY KEY,
    technician_id TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    at            TEXT NOT NULL,
    payload       TEXT NOT NULL
);
CREATE INDEX changes_by_technician ON changes(technician_id, cursor);
CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    bytes      BYTEA NOT NULL,
    owner      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE receipt_series (
    series TEXT PRIMARY KEY,
    next   BIGINT NOT NULL
);
CREATE TABLE receipt_blocks (
    series     TEXT NOT NULL,
    first      BIGINT NOT NULL,
    last       BIGINT NOT NULL,
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
    amount_fen    BIGINT NOT NULL,
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
    amount_fen    BIGINT NOT NULL,
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (technician_id, day, method)
);
