-- Version 6 (followups): see hq/src/centre/followups.rs. Each follow-up
-- call (回访记录表) and each revisit order linked to the order it revisits.
CREATE TABLE followup_calls (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id         TEXT NOT NULL,
    reason         TEXT NOT NULL,
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    reached        INTEGER NOT NULL,
    satisfied      INTEGER,
    notes          TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    revisit_job_id TEXT
);
CREATE INDEX followup_calls_by_job ON followup_calls(job_id, reason);
CREATE TABLE revisits (
    job_id          TEXT PRIMARY KEY,
    original_job_id TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX revisits_by_original ON revisits(original_job_id);
