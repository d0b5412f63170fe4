-- Version 6 (approvals): see hq/src/centre/approvals.rs. Each code a
-- supervisor read out: an off-schedule line (line_no, description, unit
-- price, quantity) or a disputed charge's instruction (waive, reduce to
-- amount_fen, insist).
CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    job_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    line_no     INTEGER,
    description TEXT,
    amount_fen  INTEGER,
    qty         INTEGER,
    instruction TEXT,
    code        TEXT NOT NULL
);
CREATE INDEX approvals_by_job ON approvals(job_id, id);
