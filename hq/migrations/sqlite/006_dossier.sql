-- Version 6 (dossier): see hq/src/centre/dossier.rs.
-- The order page reads an order's receipts and complaints by its job id.
CREATE INDEX receipts_by_job ON receipts(job_id);
CREATE INDEX complaints_by_job ON complaints(job_id);
