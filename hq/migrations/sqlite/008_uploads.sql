-- Version 8 (uploads): photos arriving in chunks (PATCH /v1/uploads/{sha256}).
-- A photo appears in `blobs` only once every byte is in and the whole hashes
-- to its address; until then its chunks wait here, per technician, and are
-- dropped when the photo is stored (or found not to hash).
CREATE TABLE uploads (
    owner      TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    media_type TEXT NOT NULL,
    length     INTEGER NOT NULL CHECK (length > 0),
    received   INTEGER NOT NULL CHECK (received >= 0 AND received <= length),
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (owner, sha256)
);
CREATE TABLE upload_chunks (
    owner      TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    start_at   INTEGER NOT NULL,
    bytes      BLOB NOT NULL,
    PRIMARY KEY (owner, sha256, start_at)
);
