//! PostgreSQL's SQL for [`crate::centre::fleet`].

use super::PgRecords;
use crate::centre::fleet::FleetRecords;

impl FleetRecords for PgRecords<'_> {}
