//! Customer data on the technicians' phones, as HQ governs it: the company's
//! retention period for it (delivered to phones with every pull page), and
//! revoking a lost or leaving technician's phone WITH a remote wipe.
//!
//! A wipe order keeps the device's token alive for two things only: pushing
//! what the phone still holds unsent (ops and photos: nothing is lost), and
//! hearing "wipe" (410 `wipe`) on any other route, after which the phone
//! deletes its store and tells its shell to sign out. A plain revoke stays a
//! 401 on every route.

use chrono::{DateTime, Utc};

use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::storage::records::Records;

/// The setting that holds the phones' retention period, in days.
pub const PHONE_RETENTION_DAYS: &str = "phone_retention_days";

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/phone_data.rs`,
/// `storage/postgres/phone_data.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait PhoneDataRecords {
    /// A company setting's value, if set.
    async fn company_setting(&mut self, key: &str) -> Result<Option<String>>;
    /// Sets a company setting (insert or replace), with who and when.
    async fn put_company_setting(
        &mut self,
        key: &str,
        value: &str,
        by: &str,
        at: &str,
    ) -> Result<()>;
    /// Whether a wipe was ordered for the device.
    async fn wipe_ordered(&mut self, device_id: &str) -> Result<bool>;
    /// Revokes the device and orders its wipe.
    async fn order_wipe(&mut self, device_id: &str, at: &str) -> Result<()>;
    /// Notes that HQ answered the device "wipe" (returns whether it was the first time).
    async fn note_wipe_told(&mut self, device_id: &str, at: &str) -> Result<bool>;
    /// Every device ordered wiped, by device id.
    async fn wipe_rows(&mut self) -> Result<Vec<WipeOrder>>;
}

/// A device revoked with wipe, as the technicians page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WipeOrder {
    pub device_id: String,
    pub ordered_at: String,
    /// When HQ last answered it "wipe" (the phone then deletes its data);
    /// `None`: the phone has not been in contact since.
    pub told_at: Option<String>,
}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait PhoneDataStore {
    /// Days a handed-over job's customer data stays on a phone once HQ has
    /// all of it (the company's setting, else
    /// [`onsite_core::privacy::DEFAULT_RETENTION_DAYS`]).
    async fn phone_retention_days(&self) -> Result<u32>;
    /// Sets the phones' retention period (1..=3650 days), audited
    /// `privacy.phone_retention`; phones learn it at their next pull.
    async fn set_phone_retention_days(
        &self,
        by: &Actor,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Revokes a device WITH wipe, audited `device.wipe`: its token may then
    /// only push what is unsent and hear "wipe". A device already ordered
    /// wiped is a 409; one plainly revoked may still be ordered wiped.
    async fn wipe_device(&self, by: &Actor, device_id: &str, now: DateTime<Utc>) -> Result<()>;
    /// HQ answers a wiping device "wipe": noted on the device, audited
    /// `device.wipe_told` the first time.
    async fn tell_wipe(&self, device_id: &str, now: DateTime<Utc>) -> Result<()>;
    /// Every device ordered wiped.
    async fn wipe_orders(&self) -> Result<Vec<WipeOrder>>;
}

/// The `impl PhoneDataStore` each database module invokes with its own `rule!` in scope.
macro_rules! phone_data_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::phone_data::PhoneDataStore for $ty {
            async fn phone_retention_days(&self) -> Result<u32> {
                rule!(self, |r| $crate::centre::phone_data::retention_days(r))
            }
            async fn set_phone_retention_days(
                &self,
                by: &$crate::centre::audit::Actor,
                days: u32,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let by = by.clone();
                rule!(self, |r| $crate::centre::phone_data::set_retention_days(
                    r, &by, days, now
                ))
            }
            async fn wipe_device(
                &self,
                by: &$crate::centre::audit::Actor,
                device_id: &str,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, id) = (by.clone(), device_id.to_owned());
                rule!(self, |r| $crate::centre::phone_data::wipe_device(
                    r, &by, &id, now
                ))
            }
            async fn tell_wipe(&self, device_id: &str, now: DateTime<Utc>) -> Result<()> {
                let id = device_id.to_owned();
                rule!(self, |r| $crate::centre::phone_data::tell_wipe(r, &id, now))
            }
            async fn wipe_orders(&self) -> Result<Vec<$crate::centre::phone_data::WipeOrder>> {
                rule!(self, |r| $crate::centre::phone_data::wipe_orders(r))
            }
        }
    };
}
pub(crate) use phone_data_operations;

// --- the rules ----------------------------------------------------------------------------

fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The phones' retention period in days, as set (a stored value out of range
/// or unreadable counts as unset).
pub(crate) async fn retention_days<R: Records>(r: &mut R) -> Result<u32> {
    Ok(r.company_setting(PHONE_RETENTION_DAYS)
        .await?
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|d| (1..=onsite_core::privacy::MAX_RETENTION_DAYS).contains(d))
        .unwrap_or(onsite_core::privacy::DEFAULT_RETENTION_DAYS))
}

pub(crate) async fn set_retention_days<R: Records>(
    r: &mut R,
    by: &Actor,
    days: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    // 「档案保管期满后销毁」: the company decides how long; never zero (HQ must
    // have everything first) and never more than ten years.
    if !(1..=onsite_core::privacy::MAX_RETENTION_DAYS).contains(&days) {
        return Err(HqError::BadRequest(format!(
            "the retention period must be 1 to {} days (保留期须为 1 至 {} 天)",
            onsite_core::privacy::MAX_RETENTION_DAYS,
            onsite_core::privacy::MAX_RETENTION_DAYS
        )));
    }
    r.put_company_setting(
        PHONE_RETENTION_DAYS,
        &days.to_string(),
        &by.as_stored(),
        &stamp(now),
    )
    .await?;
    audit::record(
        r,
        by,
        "privacy.phone_retention",
        None,
        &format!("{days} days"),
        now,
    )
    .await
}

pub(crate) async fn wipe_device<R: Records>(
    r: &mut R,
    by: &Actor,
    device_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(d) = r.device_row(device_id).await? else {
        return Err(HqError::NotFound(format!("device {device_id}")));
    };
    if r.wipe_ordered(device_id).await? {
        return Err(HqError::Conflict(format!(
            "device {device_id} is already ordered wiped"
        )));
    }
    r.order_wipe(device_id, &stamp(now)).await?;
    tracing::info!(device_id, "device revoked with wipe");
    audit::record(
        r,
        by,
        "device.wipe",
        None,
        &format!("{device_id} ({})", d.technician_id),
        now,
    )
    .await
}

pub(crate) async fn wipe_orders<R: Records>(r: &mut R) -> Result<Vec<WipeOrder>> {
    r.wipe_rows().await
}

pub(crate) async fn tell_wipe<R: Records>(
    r: &mut R,
    device_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if r.note_wipe_told(device_id, &stamp(now)).await? {
        audit::record(
            r,
            &Actor::Operator,
            "device.wipe_told",
            None,
            device_id,
            now,
        )
        .await?;
    }
    Ok(())
}
