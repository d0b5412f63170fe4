//! PostgreSQL's SQL for [`crate::centre::approvals`].

use super::PgRecords;
use crate::centre::approvals::ApprovalsRecords;

impl ApprovalsRecords for PgRecords<'_> {}
