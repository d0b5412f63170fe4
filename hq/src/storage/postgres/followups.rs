//! PostgreSQL's SQL for [`crate::centre::followups`].

use super::PgRecords;
use crate::centre::followups::FollowupsRecords;

impl FollowupsRecords for PgRecords<'_> {}
