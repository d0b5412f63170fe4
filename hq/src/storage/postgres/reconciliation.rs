//! PostgreSQL's SQL for [`crate::centre::reconciliation`].

use super::PgRecords;
use crate::centre::reconciliation::ReconciliationRecords;

impl ReconciliationRecords for PgRecords<'_> {}
