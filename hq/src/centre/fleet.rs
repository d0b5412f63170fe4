//! Technicians and their devices as the console manages them: adding a
//! technician, one-time enrollment codes, revoking a device, and each
//! device's last contact; and the integration keys. Each change is on the
//! audit trail with who made it, whichever way it came: a person in the
//! console, an integration key through the API (`key:NAME`), or a command
//! run on HQ's database (`operator`).
//!
//! Pending ops: each push carries what the phone still holds unsent once
//! that batch is in (ops left in its outbox, photos not yet uploaded); HQ
//! keeps the last report with its time, so a phone with work stuck on it
//! (a push that failed half way, photos that never went) stands out. What a
//! phone recorded after its last contact HQ cannot know; the page says
//! "as of" that contact.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::keys::Scope;
use crate::storage::records::Records;

/// A device as the technicians page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub device_id: String,
    pub technician_id: String,
    pub enrolled_at: String,
    /// When it last reached HQ (to the minute), if ever since version 6.
    pub last_seen_at: Option<String>,
    pub revoked: bool,
    /// The last op sequence HQ applied from it (0: none yet).
    pub last_seq: i64,
    /// What it still held unsent at its last push (None: it never said).
    pub backlog: Option<DeviceBacklog>,
}

/// A device's unsent work as it reported it at its last push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceBacklog {
    /// Ops still in its outbox, including any of that push HQ could not settle.
    pub ops: i64,
    /// Photos and signatures not yet uploaded.
    pub blobs: i64,
    /// When it said so.
    pub at: String,
}

/// A technician with their devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianInfo {
    pub technician_id: String,
    pub name: String,
    pub created_at: String,
    pub devices: Vec<DeviceInfo>,
}

/// A technician's row.
pub(crate) struct TechnicianRow {
    pub technician_id: String,
    pub name: String,
    pub created_at: String,
}

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/fleet.rs`,
/// `storage/postgres/fleet.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait FleetRecords {
    /// Every technician, by id.
    async fn technician_rows(&mut self) -> Result<Vec<TechnicianRow>>;
    /// Every device, by technician then device id.
    async fn device_rows(&mut self) -> Result<Vec<DeviceInfo>>;
    /// One device, if it exists.
    async fn device_row(&mut self, device_id: &str) -> Result<Option<DeviceInfo>>;
    /// Keeps what a device reported unsent with a push (in the push's transaction).
    async fn set_backlog(&mut self, device_id: &str, backlog: &DeviceBacklog) -> Result<()>;
}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait FleetStore {
    /// Every technician with their devices.
    async fn fleet(&self) -> Result<Vec<TechnicianInfo>>;
    /// Registers a new technician, audited `technician.create`; an id
    /// already taken is answered as `repeat` says.
    async fn add_technician(
        &self,
        by: &Actor,
        technician_id: &str,
        name: &str,
        repeat: Repeat,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// A one-time enrollment code (shown once), audited `enrollment.create`.
    async fn new_enrollment(
        &self,
        by: &Actor,
        technician_id: &str,
        now: DateTime<Utc>,
    ) -> Result<String>;
    /// Revokes a device (its token stops working at once), audited
    /// `device.revoke`; a device already revoked is answered as `repeat` says.
    async fn revoke_device(
        &self,
        by: &Actor,
        device_id: &str,
        repeat: Repeat,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// An integration key (its secret shown once), audited `key.create`.
    async fn add_key(
        &self,
        by: &Actor,
        name: &str,
        scopes: Vec<Scope>,
        now: DateTime<Utc>,
    ) -> Result<String>;
    /// Revokes an integration key, audited `key.revoke`.
    async fn withdraw_key(&self, by: &Actor, name: &str, now: DateTime<Utc>) -> Result<()>;
}

/// The `impl FleetStore` each database module invokes with its own `rule!` in scope.
macro_rules! fleet_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::fleet::FleetStore for $ty {
            async fn fleet(&self) -> Result<Vec<$crate::centre::fleet::TechnicianInfo>> {
                rule!(self, |r| $crate::centre::fleet::fleet(r))
            }
            async fn add_technician(
                &self,
                by: &$crate::centre::audit::Actor,
                technician_id: &str,
                name: &str,
                repeat: $crate::centre::fleet::Repeat,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, id, name) = (by.clone(), technician_id.to_owned(), name.to_owned());
                rule!(self, |r| $crate::centre::fleet::add_technician(
                    r, &by, &id, &name, repeat, now
                ))
            }
            async fn new_enrollment(
                &self,
                by: &$crate::centre::audit::Actor,
                technician_id: &str,
                now: DateTime<Utc>,
            ) -> Result<String> {
                let (by, id) = (by.clone(), technician_id.to_owned());
                rule!(self, |r| $crate::centre::fleet::new_enrollment(
                    r, &by, &id, now
                ))
            }
            async fn revoke_device(
                &self,
                by: &$crate::centre::audit::Actor,
                device_id: &str,
                repeat: $crate::centre::fleet::Repeat,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, id) = (by.clone(), device_id.to_owned());
                rule!(self, |r| $crate::centre::fleet::revoke_device(
                    r, &by, &id, repeat, now
                ))
            }
            async fn add_key(
                &self,
                by: &$crate::centre::audit::Actor,
                name: &str,
                scopes: Vec<$crate::keys::Scope>,
                now: DateTime<Utc>,
            ) -> Result<String> {
                let (by, name) = (by.clone(), name.to_owned());
                rule!(self, |r| $crate::centre::fleet::add_key(
                    r, &by, &name, &scopes, now
                ))
            }
            async fn withdraw_key(
                &self,
                by: &$crate::centre::audit::Actor,
                name: &str,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, name) = (by.clone(), name.to_owned());
                rule!(self, |r| $crate::centre::fleet::withdraw_key(
                    r, &by, &name, now
                ))
            }
        }
    };
}
pub(crate) use fleet_operations;

// --- the rules ----------------------------------------------------------------------------

pub(crate) async fn fleet<R: Records>(r: &mut R) -> Result<Vec<TechnicianInfo>> {
    let mut devices = r.device_rows().await?;
    let mut out = Vec::new();
    for t in r.technician_rows().await? {
        let (mine, rest): (Vec<_>, Vec<_>) = devices
            .into_iter()
            .partition(|d| d.technician_id == t.technician_id);
        devices = rest;
        out.push(TechnicianInfo {
            technician_id: t.technician_id,
            name: t.name,
            created_at: t.created_at,
            devices: mine,
        });
    }
    Ok(out)
}

/// What asking again for something already done gets. The console refuses
/// it (409), so a person learns someone else did it first instead of
/// silently getting the old one; the API accepts it, so an integrator
/// retrying after a lost answer gets the same answer. Either way the trail
/// holds one line, for the one time it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Refused,
    Accepted,
}

pub(crate) async fn add_technician<R: Records>(
    r: &mut R,
    by: &Actor,
    technician_id: &str,
    name: &str,
    repeat: Repeat,
    now: DateTime<Utc>,
) -> Result<()> {
    let existed = r.approval_key(technician_id).await?.is_some();
    if existed && repeat == Repeat::Refused {
        return Err(HqError::Conflict(format!(
            "a technician {technician_id} exists"
        )));
    }
    // Checks the id and name, and finds the technician who exists.
    crate::rules::create_technician(r, technician_id, name, now).await?;
    if existed {
        return Ok(());
    }
    audit::record(
        r,
        by,
        "technician.create",
        None,
        &format!("{technician_id} {}", name.trim()),
        now,
    )
    .await
}

pub(crate) async fn new_enrollment<R: Records>(
    r: &mut R,
    by: &Actor,
    technician_id: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let code = crate::rules::create_enrollment(r, technician_id, now).await?;
    // The code itself never reaches the trail: it is a secret until used.
    audit::record(r, by, "enrollment.create", None, technician_id, now).await?;
    Ok(code)
}

pub(crate) async fn revoke_device<R: Records>(
    r: &mut R,
    by: &Actor,
    device_id: &str,
    repeat: Repeat,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(d) = r.device_row(device_id).await? else {
        return Err(HqError::NotFound(format!("device {device_id}")));
    };
    if d.revoked {
        return match repeat {
            Repeat::Refused => Err(HqError::Conflict(format!(
                "device {device_id} is already revoked"
            ))),
            Repeat::Accepted => Ok(()),
        };
    }
    crate::rules::revoke(r, device_id).await?;
    audit::record(
        r,
        by,
        "device.revoke",
        None,
        &format!("{device_id} ({})", d.technician_id),
        now,
    )
    .await
}

pub(crate) async fn add_key<R: Records>(
    r: &mut R,
    by: &Actor,
    name: &str,
    scopes: &[Scope],
    now: DateTime<Utc>,
) -> Result<String> {
    let secret = crate::keys::create(r, name, scopes, now).await?;
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    audit::record(
        r,
        by,
        "key.create",
        None,
        &format!("{name} ({})", scopes.join(",")),
        now,
    )
    .await?;
    Ok(secret)
}

pub(crate) async fn withdraw_key<R: Records>(
    r: &mut R,
    by: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    crate::keys::revoke(r, name, now).await?;
    audit::record(r, by, "key.revoke", None, name, now).await
}
