-- Version 5: named integration keys with scopes (dispatch, read, admin), the
-- secret stored only as its SHA-256; a revoked key keeps its row and name.
CREATE TABLE integration_keys (
    name         TEXT PRIMARY KEY,
    scopes       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
