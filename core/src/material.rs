//! Materials (材料), their inspection, concession use (让步使用) and replaced parts.
//!
//! DOMAIN.md step 5: customer-supplied material is inspected before use. If it
//! fails, the technician explains, and the customer may choose to have it used
//! anyway: a concession, written down with what was wrong, what was explained
//! and the customer's consent and time. Without that note failed material is
//! never used. Replaced parts record old and new serial numbers and whether the
//! old part was recovered (required in warranty, with its registration number).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Field, Problem, Result};

/// Where a material comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaterialRequest {
    /// Caller-chosen id, unique within the job (e.g. "m1").
    pub material_id: String,
    pub source: Source,
    pub description: String,
    pub qty: u32,
    /// Fee-schedule part code when the material is a listed part.
    pub part_code: Option<String>,
}

/// An inspection's verdict. Named `InspectionVerdict` in HQ's contract: the
/// arrival's punctuality has a `Verdict` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = InspectionVerdict))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
            Some(Field::ConcessionDefect)
        } else if self.explanation.trim().is_empty() {
            Some(Field::ConcessionExplanation)
        } else if self.customer_name.trim().is_empty() {
            Some(Field::ConcessionCustomerName)
        } else if !self.customer_consents {
            Some(Field::ConcessionConsent)
        } else {
            None
        };
        match missing {
            Some(missing) => Err(Error::ConcessionIncomplete { missing }),
            None => Ok(()),
        }
    }
}

/// A material on the job with everything recorded about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        crate::order::validate_id(Field::MaterialId, &req.material_id)?;
        if req.description.trim().is_empty() || req.description.chars().count() > 200 {
            return Err(Error::invalid(
                Field::MaterialDescription,
                Problem::Length { min: 1, max: 200 },
            ));
        }
        if req.qty == 0 || req.qty > crate::quote::MAX_QTY {
            return Err(Error::invalid(
                Field::MaterialQuantity,
                Problem::OutOfRange {
                    min: 1.0,
                    max: f64::from(crate::quote::MAX_QTY),
                },
            ));
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
                Field::MaterialDescription,
                Problem::Inconsistent {
                    detail: "has surrounding spaces".into(),
                },
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
                description: self.description.clone(),
            }),
            Some(i) if i.verdict == Verdict::Fail && self.concession.is_none() => {
                Err(Error::ConcessionRequired {
                    material_id: self.material_id.clone(),
                    description: self.description.clone(),
                })
            }
            Some(_) => Ok(()),
        }
    }

    pub fn check_inspection(&self, inspection: &Inspection) -> Result<()> {
        if self.used {
            return Err(Error::MaterialInUse {
                material_id: self.material_id.clone(),
                description: self.description.clone(),
            });
        }
        crate::visit::content::check_inspection(&self.material_id, inspection)
    }

    pub fn check_concession(&self, note: &ConcessionNote) -> Result<()> {
        match &self.inspection {
            Some(i) if i.verdict == Verdict::Fail => note.validate(),
            Some(_) => Err(Error::ConcessionNotNeeded {
                material_id: self.material_id.clone(),
                description: self.description.clone(),
            }),
            None => Err(Error::InspectionRequired {
                material_id: self.material_id.clone(),
                description: self.description.clone(),
            }),
        }
    }
}

/// A part taken out and put in (terminal, SIM card, board...).
///
/// On a GPS order the serials are the terminal numbers (终端号), old and new,
/// and the SIM pair is recorded with them: 「将原终端号与更新的终端号填写在《维修服务单》上」
/// 「如需更换SIM卡,要将新旧SIM登记在《维修服务单》上」 (GPS book). A number that did
/// not change is recorded as the same on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartReplacement {
    pub part_code: String,
    pub description: String,
    pub old_serial: String,
    pub new_serial: String,
    /// Whether the old part was taken back and registered.
    pub old_part_recovered: bool,
    /// The registration number the recovered old part was given (登记编号),
    /// reported to HQ, which keeps the list for review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_part_registration: Option<String>,
    /// GPS: the old and new SIM card numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim: Option<SimSwap>,
    /// GPS: the tag on a returned terminal (plate number and fault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_tag: Option<ReturnTag>,
}

/// The old and new SIM card numbers of a GPS terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimSwap {
    pub old_sim: String,
    pub new_sim: String,
}

/// The paper tape on a terminal that goes back for repair:
/// 「如需返修,维护人员须将车牌号,故障现象写在纸胶带上粘贴在终端上」 (GPS book).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnTag {
    pub plate: String,
    pub fault: String,
}

fn short(what: Field, s: &str, max: usize, required: bool) -> Result<()> {
    if required && s.trim().is_empty() {
        return Err(Error::invalid(what, Problem::Empty));
    }
    if s.chars().count() > max {
        return Err(Error::invalid(what, Problem::TooLong { max }));
    }
    Ok(())
}

fn same_plate(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '·')
            .flat_map(char::to_uppercase)
            .collect()
    };
    norm(a) == norm(b)
}

impl PartReplacement {
    /// The rules that hold on every order (HQ runs them on every pushed fact);
    /// `in_warranty`: the free repair needs the old part recovered and numbered.
    pub fn validate(&self, in_warranty: bool) -> Result<()> {
        if self.part_code.trim().is_empty() {
            return Err(Error::invalid(Field::PartCode, Problem::Empty));
        }
        if self.new_serial.trim().is_empty() {
            return Err(Error::invalid(Field::NewSerial, Problem::Empty));
        }
        if self.old_serial.chars().count() > 100 || self.new_serial.chars().count() > 100 {
            return Err(Error::invalid(Field::Serial, Problem::TooLong { max: 100 }));
        }
        if let Some(r) = &self.old_part_registration {
            short(Field::OldPartRegistration, r, 64, true)?;
            if !self.old_part_recovered {
                return Err(Error::invalid(
                    Field::OldPartRegistration,
                    Problem::Inconsistent {
                        detail: "a registration number for an old part that was not recovered"
                            .into(),
                    },
                ));
            }
        }
        if let Some(sim) = &self.sim {
            short(Field::OldSim, &sim.old_sim, 40, true)?;
            short(Field::NewSim, &sim.new_sim, 40, true)?;
        }
        if let Some(tag) = &self.return_tag {
            short(Field::ReturnTag, &tag.plate, 20, true)?;
            short(Field::ReturnTag, &tag.fault, 500, true)?;
        }
        // 「符合保修条件的配件更换,经销商服务中心应收旧配件收回,并给予登记编号」 (appliance book)
        if in_warranty && (!self.old_part_recovered || self.old_part_registration.is_none()) {
            return Err(Error::OldPartNotRecovered {
                part_code: self.part_code.clone(),
            });
        }
        Ok(())
    }

    /// The rules for this order: warranty, and on a GPS order both number
    /// pairs and the tag of a returned terminal (with the order's plate).
    pub fn validate_for(&self, order: &crate::order::WorkOrder) -> Result<()> {
        self.validate(order.in_warranty())?;
        if order.category != crate::checklist::Category::GpsInstall {
            return Ok(());
        }
        // The terminal pair: the old number is required too.
        short(Field::Serial, &self.old_serial, 100, true)?;
        if self.sim.is_none() {
            return Err(Error::invalid(Field::OldSim, Problem::Empty));
        }
        if self.old_part_recovered {
            let Some(tag) = &self.return_tag else {
                return Err(Error::invalid(Field::ReturnTag, Problem::Empty));
            };
            if let Some(v) = &order.vehicle {
                if !same_plate(&tag.plate, &v.plate) {
                    return Err(Error::invalid(
                        Field::ReturnTag,
                        Problem::Inconsistent {
                            detail: format!(
                                "the tag names plate {} but the vehicle is {}",
                                tag.plate, v.plate
                            ),
                        },
                    ));
                }
            }
        }
        Ok(())
    }
}
