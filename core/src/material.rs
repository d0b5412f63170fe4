//! Materials (材料), their inspection, concession use (让步使用) and replaced parts.
//!
//! DOMAIN.md step 5: customer-supplied material is inspected before use. If it
//! fails, the technician explains, and the customer may choose to have it used
//! anyway: a concession, written down with what was wrong, what was explained
//! and the customer's consent and time. Without that note failed material is
//! never used. Replaced parts record old and new serial numbers and whether the
//! old part was recovered (required in warranty).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where a material comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// From the service centre's warehouse: already checked.
    Warehouse,
    /// Supplied by the customer: must be inspected before use.
    CustomerSupplied,
    /// Bought by the customer for this job (special items), with the technician.
    CustomerBought,
}

impl Source {
    pub fn needs_inspection(self) -> bool {
        matches!(self, Source::CustomerSupplied)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialRequest {
    /// Caller-chosen id, unique within the job (e.g. "m1").
    pub material_id: String,
    pub source: Source,
    pub description: String,
    pub qty: u32,
    /// Fee-schedule part code when the material is a listed part.
    pub part_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    pub verdict: Verdict,
    /// What was checked and found (mandatory when it fails).
    pub findings: String,
    /// SHA-256 of photos taken during the inspection.
    pub photos: Vec<String>,
    pub at: DateTime<Utc>,
}

/// The concession note written on the order when failed material is used anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcessionNote {
    /// What is wrong with the material.
    pub defect: String,
    /// What the technician explained to the customer (risks, alternatives).
    pub explanation: String,
    /// Name of the customer who consented.
    pub customer_name: String,
    /// The customer's explicit consent; a note without it is refused.
    pub customer_consents: bool,
    pub consented_at: DateTime<Utc>,
}

impl ConcessionNote {
    pub fn validate(&self) -> Result<()> {
        let missing = if self.defect.trim().is_empty() {
            Some("what is wrong with the material")
        } else if self.explanation.trim().is_empty() {
            Some("what was explained to the customer")
        } else if self.customer_name.trim().is_empty() {
            Some("the name of the customer who consents")
        } else if !self.customer_consents {
            Some("the customer's consent")
        } else {
            None
        };
        match missing {
            Some(m) => Err(Error::ConcessionIncomplete {
                missing: m.to_string(),
            }),
            None => Ok(()),
        }
    }
}

/// A material on the job with everything recorded about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub material_id: String,
    pub source: Source,
    pub description: String,
    pub qty: u32,
    pub part_code: Option<String>,
    pub inspection: Option<Inspection>,
    pub concession: Option<ConcessionNote>,
    pub used: bool,
}

impl Material {
    pub fn new(req: &MaterialRequest) -> Result<Material> {
        crate::order::validate_id("material id", &req.material_id)?;
        if req.description.trim().is_empty() || req.description.chars().count() > 200 {
            return Err(Error::invalid(
                "material description",
                "must be 1 to 200 characters",
            ));
        }
        if req.qty == 0 || req.qty > crate::quote::MAX_QTY {
            return Err(Error::invalid("material quantity", "must be 1 to 10000"));
        }
        Ok(Material {
            material_id: req.material_id.clone(),
            source: req.source,
            description: req.description.trim().to_string(),
            qty: req.qty,
            part_code: req.part_code.clone(),
            inspection: None,
            concession: None,
            used: false,
        })
    }

    /// The checks of [`Material::new`], for a material received from elsewhere.
    pub fn check(&self) -> Result<()> {
        let again = Material::new(&MaterialRequest {
            material_id: self.material_id.clone(),
            source: self.source,
            description: self.description.clone(),
            qty: self.qty,
            part_code: self.part_code.clone(),
        })?;
        if again.description != self.description {
            return Err(Error::invalid(
                "material description",
                "has surrounding spaces",
            ));
        }
        Ok(())
    }

    /// The rule that decides whether this material may go into the work.
    pub fn check_usable(&self) -> Result<()> {
        if !self.source.needs_inspection() {
            return Ok(());
        }
        match &self.inspection {
            None => Err(Error::InspectionRequired {
                material_id: self.material_id.clone(),
            }),
            Some(i) if i.verdict == Verdict::Fail && self.concession.is_none() => {
                Err(Error::ConcessionRequired {
                    material_id: self.material_id.clone(),
                })
            }
            Some(_) => Ok(()),
        }
    }

    pub fn check_inspection(&self, inspection: &Inspection) -> Result<()> {
        if self.used {
            return Err(Error::MaterialRule {
                material_id: self.material_id.clone(),
                reason: "is already in use; inspect before use".into(),
            });
        }
        crate::visit::content::check_inspection(&self.material_id, inspection)
    }

    pub fn check_concession(&self, note: &ConcessionNote) -> Result<()> {
        match &self.inspection {
            Some(i) if i.verdict == Verdict::Fail => note.validate(),
            Some(_) => Err(Error::MaterialRule {
                material_id: self.material_id.clone(),
                reason: "passed inspection; a concession is only for failed material".into(),
            }),
            None => Err(Error::InspectionRequired {
                material_id: self.material_id.clone(),
            }),
        }
    }
}

/// A part taken out and put in (terminal, SIM card, board...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartReplacement {
    pub part_code: String,
    pub description: String,
    pub old_serial: String,
    pub new_serial: String,
    /// Whether the old part was taken back and registered.
    pub old_part_recovered: bool,
}

impl PartReplacement {
    pub fn validate(&self, in_warranty: bool) -> Result<()> {
        if self.part_code.trim().is_empty() {
            return Err(Error::invalid("part code", "must not be empty"));
        }
        if self.new_serial.trim().is_empty() {
            return Err(Error::invalid("new serial number", "must not be empty"));
        }
        if self.old_serial.chars().count() > 100 || self.new_serial.chars().count() > 100 {
            return Err(Error::invalid(
                "serial number",
                "longer than 100 characters",
            ));
        }
        if in_warranty && !self.old_part_recovered {
            return Err(Error::OldPartNotRecovered {
                part_code: self.part_code.clone(),
            });
        }
        Ok(())
    }
}
