-- Version 4: complaints made on site, and what a follow-up is about.
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
