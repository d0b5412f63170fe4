-- Version 3: the old parts recovered on site, by registration number, for review.
CREATE TABLE old_parts (
    registration  TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    technician_id TEXT NOT NULL,
    part_code     TEXT NOT NULL,
    description   TEXT NOT NULL,
    old_serial    TEXT NOT NULL,
    new_serial    TEXT NOT NULL,
    in_warranty   BIGINT NOT NULL,
    return_plate  TEXT,
    return_fault  TEXT,
    recorded_at   TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (job_id, registration)
);
CREATE INDEX old_parts_by_received ON old_parts(received_at);
