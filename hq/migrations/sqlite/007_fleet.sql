-- Version 7 (fleet): what each device said it still held unsent at its last
-- push (the console's "waiting on the phone"): ops left in its outbox after
-- that batch, photos not yet uploaded, and when it said so. NULL: never said
-- (a phone from before version 7).
ALTER TABLE devices ADD COLUMN backlog_ops INTEGER;
ALTER TABLE devices ADD COLUMN backlog_blobs INTEGER;
ALTER TABLE devices ADD COLUMN backlog_at TEXT;
