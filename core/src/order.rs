//! The work order (客户请修单 / 维修服务工作单): what HQ writes and dispatches.
//!
//! HQ owns these fields (docs/SYNC.md "Who owns what"); the phone receives them
//! and never edits them. What the technician finds and does on site (inspected
//! parts, repair items, labour hours, costs, completion time, sign-offs) are
//! visit facts, recorded as events and shown in [`crate::visit::Visit`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::checklist::Category;
use crate::error::{Error, Field, Problem, Result};

/// Who pays for a line of work (业户付费 / 物业 / 维修基金).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    /// The owner or tenant, who pays on site.
    Owner,
    /// The property management company, billed by HQ.
    Property,
    /// The building's maintenance fund, billed by HQ.
    MaintenanceFund,
}

/// The product being serviced, for warranty decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    pub model: String,
    pub serial: String,
    pub purchase_date: Option<NaiveDate>,
    /// Whether HQ judged the product in warranty when it wrote the order.
    pub in_warranty: bool,
}

/// The customer or reporter and where the work is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub phone: String,
}

/// The vehicle a GPS terminal is installed in or repaired on:
/// 「《安装车辆明细》及《司机信息和车辆基本信息》」 (GPS book).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Vehicle {
    /// Plate number (车牌号).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 20, pattern = "\\S")
    )]
    pub plate: String,
    /// Vehicle model (车型).
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub model: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub driver_name: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub driver_phone: String,
}

impl Vehicle {
    /// A vehicle names its plate; every field is short.
    pub fn validate(&self) -> Result<()> {
        if self.plate.trim().is_empty() {
            return Err(Error::invalid(Field::VehiclePlate, Problem::Empty));
        }
        for (what, s, max) in [
            (Field::VehiclePlate, &self.plate, 20),
            (Field::VehicleModel, &self.model, 100),
            (Field::DriverName, &self.driver_name, 100),
            (Field::DriverPhone, &self.driver_phone, 40),
        ] {
            if s.chars().count() > max {
                return Err(Error::invalid(what, Problem::TooLong { max }));
            }
        }
        Ok(())
    }
}

/// One line of a furniture order's delivery list (送货单): what the customer
/// checks item by item on delivery.
// 「将准备好的“送货单”到仓库提货,并核对型号、颜色、尺寸、件数」 (furniture book)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryItem {
    #[cfg_attr(feature = "openapi", schema(max_length = 200, pattern = "\\S"))]
    pub model: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub colour: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub size: String,
    /// Pieces, 1 to [`MAX_ITEM_QUANTITY`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 9999))]
    pub quantity: u32,
}

/// The most pieces of one delivery item: more is a typing error, not a
/// delivery (and the contract states the bound, so no tool sends more).
pub const MAX_ITEM_QUANTITY: u32 = 9999;

/// A work order as dispatched by HQ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkOrder {
    /// Order number, unique across HQ (e.g. `WO-20261124-0001`).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._-]{1,64}$"))]
    pub job_id: String,
    pub category: Category,
    /// Site or property name (楼盘).
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub site: String,
    pub customer: Customer,
    /// Room number or location (房号/地点); may be a common area.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub location: String,
    pub reported_at: DateTime<Utc>,
    pub dispatched_at: DateTime<Utc>,
    pub appointment_at: DateTime<Utc>,
    /// Urgent: arrival due within 30 minutes of the customer's call (`reported_at`).
    pub urgent: bool,
    /// Requested service (服务项目).
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub service: String,
    /// Fault as reported (故障描述).
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub fault: String,
    pub product: Option<Product>,
    /// Who wrote the order at the service centre (记录人).
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub recorder: String,
    pub desired_completion_at: Option<DateTime<Utc>>,
    /// The payer HQ expects by default; each quote line may differ.
    pub default_payer: Payer,
    /// Technician the order is assigned to.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._-]{1,64}$"))]
    pub technician_id: String,
    /// Any unpaid balance HQ knows of for this customer, to raise before leaving.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    pub unpaid_balance_fen: i64,
    /// GPS line: the vehicle (plate, model, driver); the technician may correct it on site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<Vehicle>,
    /// Furniture: the delivery list, accepted item by item on site.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub delivery_items: Vec<DeliveryItem>,
    /// The customer complained before: the technician is told, to take special care.
    // 「将此顾客做特别记录,以便此顾客在此进店时,提供针对性服务,避免再次投诉」 (furniture book)
    #[serde(default)]
    pub complained_before: bool,
}

impl WorkOrder {
    /// Checks what can be checked without the rest of the system: an order
    /// with an unusable id or an absurd balance is refused on arrival from HQ.
    pub fn validate(&self) -> Result<()> {
        validate_id(Field::JobId, &self.job_id)?;
        validate_id(Field::TechnicianId, &self.technician_id)?;
        crate::money::Fen::new(self.unpaid_balance_fen)?;
        for (what, s, max) in [
            (Field::Site, &self.site, 200),
            (Field::Location, &self.location, 200),
            (Field::Service, &self.service, 500),
            (Field::Fault, &self.fault, 4000),
            (Field::CustomerName, &self.customer.name, 100),
            (Field::CustomerPhone, &self.customer.phone, 40),
            (Field::Recorder, &self.recorder, 100),
        ] {
            if s.chars().count() > max {
                return Err(Error::invalid(what, Problem::TooLong { max }));
            }
        }
        if let Some(v) = &self.vehicle {
            v.validate()?;
        }
        if self.delivery_items.len() > 200 {
            return Err(Error::invalid(
                Field::DeliveryItem,
                Problem::TooMany { max: 200 },
            ));
        }
        for item in &self.delivery_items {
            if item.model.trim().is_empty() || item.quantity == 0 {
                return Err(Error::invalid(Field::DeliveryItem, Problem::Empty));
            }
            if item.quantity > MAX_ITEM_QUANTITY {
                return Err(Error::invalid(
                    Field::DeliveryItem,
                    Problem::OutOfRange {
                        min: 1.0,
                        max: f64::from(MAX_ITEM_QUANTITY),
                    },
                ));
            }
            for s in [&item.model, &item.colour, &item.size] {
                if s.chars().count() > 200 {
                    return Err(Error::invalid(
                        Field::DeliveryItem,
                        Problem::TooLong { max: 200 },
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether the whole service is free on this order (DOMAIN.md step 4).
    pub fn in_warranty(&self) -> bool {
        self.product.as_ref().is_some_and(|p| p.in_warranty)
    }
}

/// Ids travel between phone, HQ and files: 1..=64 characters of `A-Z a-z 0-9 - _ .`.
pub fn validate_id(what: Field, id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 {
        return Err(Error::invalid(what, Problem::Length { min: 1, max: 64 }));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Error::invalid(what, Problem::IdCharacters));
    }
    Ok(())
}
