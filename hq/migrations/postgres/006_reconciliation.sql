-- Version 6 (reconciliation): see hq/src/centre/reconciliation.rs. A
-- manager's sign-off of a technician's day: confirmed, or the difference
-- recorded with a note; one per technician and day.
CREATE TABLE reconciliation_signoffs (
    technician_id  TEXT NOT NULL,
    day            TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    difference_fen BIGINT NOT NULL,
    note           TEXT NOT NULL,
    signed_by      TEXT NOT NULL,
    signed_at      TEXT NOT NULL,
    PRIMARY KEY (technician_id, day)
);
