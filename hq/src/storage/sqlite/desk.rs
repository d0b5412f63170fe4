//! SQLite's SQL for [`crate::centre::desk`].

use super::SqliteRecords;
use crate::centre::desk::DeskRecords;

impl DeskRecords for SqliteRecords<'_> {}
