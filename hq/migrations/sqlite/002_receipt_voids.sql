-- Version 2: receipts learn of voids and reissues (what kind each row is,
-- which receipt a reissue replaces, when and why a receipt was voided).
-- One column per `ALTER TABLE`, which both databases accept.
ALTER TABLE receipts ADD COLUMN kind TEXT NOT NULL DEFAULT 'original';
ALTER TABLE receipts ADD COLUMN refers_to TEXT;
ALTER TABLE receipts ADD COLUMN voided_day TEXT;
ALTER TABLE receipts ADD COLUMN void_reason TEXT;
ALTER TABLE receipts ADD COLUMN voided_at TEXT;
UPDATE receipts SET kind = 'emergency' WHERE number LIKE 'EM-%';
CREATE INDEX receipts_by_void_day ON receipts(technician_id, voided_day);
