//! SQLite's SQL for [`crate::centre::complaints`].

use super::SqliteRecords;
use crate::centre::complaints::ComplaintsRecords;

impl ComplaintsRecords for SqliteRecords<'_> {}
