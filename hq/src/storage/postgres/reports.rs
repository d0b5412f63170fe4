//! PostgreSQL's SQL for [`crate::centre::reports`].

use super::PgRecords;
use crate::centre::reports::ReportsRecords;

impl ReportsRecords for PgRecords<'_> {}
