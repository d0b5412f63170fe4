-- Version 7 (phone_data): customer data on the technicians' phones.
-- The company's settings HQ delivers to phones (one row per setting; today
-- `phone_retention_days`: how long a handed-over job's customer data stays on
-- a phone once HQ has all of it; absent: 30 days), who set each and when.
CREATE TABLE company_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL
);
-- A device revoked WITH wipe: its token may still push what it holds unsent
-- and is then answered "wipe"; NULL: no wipe ordered. wipe_told_at: the
-- last time HQ answered it "wipe".
ALTER TABLE devices ADD COLUMN wipe_ordered_at TEXT;
ALTER TABLE devices ADD COLUMN wipe_told_at TEXT;
