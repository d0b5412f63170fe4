-- Version 7 (leaks): suspected leaks of customer data a manager recorded,
-- and what HQ did about each phone, person or key named (a phone: revoked
-- with wipe; a key: revoked). The customers concerned are read from
-- access_log, not copied here.
CREATE TABLE leaks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    what        TEXT NOT NULL,
    noticed_at  TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to   TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE TABLE leak_suspects (
    leak_id INTEGER NOT NULL REFERENCES leaks(id),
    pos     INTEGER NOT NULL,
    reader  TEXT NOT NULL,
    measure TEXT NOT NULL,
    PRIMARY KEY (leak_id, pos)
);
