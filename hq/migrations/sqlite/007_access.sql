-- Version 7 (access): every look at a customer's data at HQ, append-only,
-- and which orders are confidential.
--
-- access_log: who read (person:NAME, key:NAME, device:ID), when, which
-- order, what kind of read (order page, print, photo, search list, board,
-- reception, report, export, API order or blob, a phone's job), whether
-- the reader saw it masked, and from where (the connection's address; a
-- proxy's X-Forwarded-For as the proxy claimed it). No path of HQ updates
-- or deletes a row, and the triggers below refuse any that tries.
CREATE TABLE access_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    reader    TEXT NOT NULL,
    job_id    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    masked    INTEGER NOT NULL,
    address   TEXT NOT NULL,
    forwarded TEXT
);
CREATE INDEX access_by_job ON access_log(job_id, id);
CREATE INDEX access_by_reader ON access_log(reader, id);
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
-- Orders marked confidential (保密): customer data for the assigned
-- technician, supervisors and managers only. The reason and who marked it
-- are in the audit trail too.
CREATE TABLE order_secrecy (
    job_id       TEXT PRIMARY KEY,
    confidential INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    set_by       TEXT NOT NULL,
    set_at       TEXT NOT NULL
);
-- Retention at HQ: after `years` (default 3 when no row) a closed order's
-- personal data is anonymised (`onsite hq retention`); one row, the
-- company's setting. anonymised_orders: which orders were, and when.
CREATE TABLE retention_policy (
    id     INTEGER PRIMARY KEY,
    years  INTEGER NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE TABLE anonymised_orders (
    job_id TEXT PRIMARY KEY,
    at     TEXT NOT NULL
);
