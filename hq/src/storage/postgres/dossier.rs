//! PostgreSQL's SQL for [`crate::centre::dossier`].

use super::PgRecords;
use crate::centre::dossier::DossierRecords;

impl DossierRecords for PgRecords<'_> {}
