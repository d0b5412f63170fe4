//! SQLite's SQL for [`crate::centre::fleet`].

use super::SqliteRecords;
use crate::centre::fleet::FleetRecords;

impl FleetRecords for SqliteRecords<'_> {}
