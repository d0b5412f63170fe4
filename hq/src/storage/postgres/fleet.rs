//! PostgreSQL's SQL for [`crate::centre::fleet`].

use tokio_postgres::Row;

use super::PgRecords;
use crate::centre::fleet::{DeviceBacklog, DeviceInfo, FleetRecords, TechnicianRow};
use crate::error::Result;

const DEVICE: &str = "device_id, technician_id, enrolled_at, last_seen_at, revoked, last_seq, backlog_ops, backlog_blobs, backlog_at";

fn device_info(r: &Row) -> Result<DeviceInfo> {
    Ok(DeviceInfo {
        device_id: r.try_get(0)?,
        technician_id: r.try_get(1)?,
        enrolled_at: r.try_get(2)?,
        last_seen_at: r.try_get(3)?,
        revoked: r.try_get::<_, i64>(4)? != 0,
        last_seq: r.try_get(5)?,
        backlog: match (r.try_get(6)?, r.try_get(7)?, r.try_get(8)?) {
            (Some(ops), Some(blobs), Some(at)) => Some(DeviceBacklog { ops, blobs, at }),
            _ => None,
        },
    })
}

impl FleetRecords for PgRecords<'_> {
    async fn technician_rows(&mut self) -> Result<Vec<TechnicianRow>> {
        self.all(
            "SELECT technician_id, name, created_at FROM technicians ORDER BY technician_id COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(TechnicianRow {
                technician_id: r.try_get(0)?,
                name: r.try_get(1)?,
                created_at: r.try_get(2)?,
            })
        })
        .collect()
    }

    async fn device_rows(&mut self) -> Result<Vec<DeviceInfo>> {
        self.all(
            &format!(
                "SELECT {DEVICE} FROM devices ORDER BY technician_id COLLATE \"C\", device_id COLLATE \"C\""
            ),
            &[],
        )
        .await?
        .iter()
        .map(device_info)
        .collect()
    }

    async fn device_row(&mut self, device_id: &str) -> Result<Option<DeviceInfo>> {
        self.one(
            &format!("SELECT {DEVICE} FROM devices WHERE device_id = $1"),
            &[&device_id],
        )
        .await?
        .as_ref()
        .map(device_info)
        .transpose()
    }

    async fn set_backlog(&mut self, device_id: &str, b: &DeviceBacklog) -> Result<()> {
        self.exec(
            "UPDATE devices SET backlog_ops = $1, backlog_blobs = $2, backlog_at = $3 WHERE device_id = $4",
            &[&b.ops, &b.blobs, &b.at, &device_id],
        )
        .await?;
        Ok(())
    }
}
