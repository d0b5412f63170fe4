-- Version 6 (complaints): see hq/src/centre/complaints.rs. A complaint taken
-- at the service centre is a row of `complaints` (so its phone digits mark
-- the customer's next order) plus what only the service centre knows.
CREATE TABLE complaint_handling (
    complaint_id TEXT PRIMARY KEY,
    channel      TEXT NOT NULL,
    owner        TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
-- Each handling step of a complaint (service centre's or on site), with who and when.
CREATE TABLE complaint_steps (
    id           BIGSERIAL PRIMARY KEY,
    complaint_id TEXT NOT NULL,
    step         TEXT NOT NULL,
    at           TEXT NOT NULL,
    by_actor     TEXT NOT NULL,
    solution_day TEXT,
    satisfied    BIGINT,
    note         TEXT NOT NULL,
    UNIQUE (complaint_id, step)
);
