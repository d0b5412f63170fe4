//! PostgreSQL's SQL for [`crate::centre::complaints`].

use super::PgRecords;
use crate::centre::complaints::ComplaintsRecords;

impl ComplaintsRecords for PgRecords<'_> {}
