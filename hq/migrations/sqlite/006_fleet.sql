-- Version 6 (fleet): when each device last reached HQ (the console shows it).
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
