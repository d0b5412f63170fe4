//! SQLite's SQL for [`crate::centre::reports`].

use super::SqliteRecords;
use crate::centre::reports::ReportsRecords;

impl ReportsRecords for SqliteRecords<'_> {}
