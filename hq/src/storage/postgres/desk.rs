//! PostgreSQL's SQL for [`crate::centre::desk`].

use super::PgRecords;
use crate::centre::desk::DeskRecords;

impl DeskRecords for PgRecords<'_> {}
