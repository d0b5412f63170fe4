//! SQLite's SQL for [`crate::centre::followups`].

use super::SqliteRecords;
use crate::centre::followups::FollowupsRecords;

impl FollowupsRecords for SqliteRecords<'_> {}
