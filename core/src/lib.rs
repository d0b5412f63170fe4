//! Onsite core: everything a field technician does on site, stored on the phone.
//!
//! The crate is organised by domain nouns (see `../shared/DESIGN.md`):
//! the visit workflow (`order`, `visit`, `checklist`, `quote`, `material`,
//! `payment`), the local `store`, and the documents the customer keeps
//! (`signature`, `documents`, `photo`).

pub mod documents;
pub mod photo;
pub mod signature;
