//! SQLite's SQL for [`crate::centre::dossier`].

use super::SqliteRecords;
use crate::centre::dossier::DossierRecords;

impl DossierRecords for SqliteRecords<'_> {}
