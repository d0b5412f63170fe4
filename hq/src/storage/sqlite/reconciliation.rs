//! SQLite's SQL for [`crate::centre::reconciliation`].

use super::SqliteRecords;
use crate::centre::reconciliation::ReconciliationRecords;

impl ReconciliationRecords for SqliteRecords<'_> {}
