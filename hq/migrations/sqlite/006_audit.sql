-- Version 6 (audit): who did what and when, append-only.
CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    job_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_by_job ON audit(job_id, id);
CREATE INDEX audit_by_actor ON audit(actor, id);
