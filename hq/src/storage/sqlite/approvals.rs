//! SQLite's SQL for [`crate::centre::approvals`].

use super::SqliteRecords;
use crate::centre::approvals::ApprovalsRecords;

impl ApprovalsRecords for SqliteRecords<'_> {}
