//! SQLite's SQL for [`crate::centre::fleet`].

use rusqlite::{params, OptionalExtension};

use super::SqliteRecords;
use crate::centre::fleet::{DeviceBacklog, DeviceInfo, FleetRecords, TechnicianRow};
use crate::error::Result;

const DEVICE: &str = "device_id, technician_id, enrolled_at, last_seen_at, revoked, last_seq, backlog_ops, backlog_blobs, backlog_at";

fn device_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceInfo> {
    Ok(DeviceInfo {
        device_id: r.get(0)?,
        technician_id: r.get(1)?,
        enrolled_at: r.get(2)?,
        last_seen_at: r.get(3)?,
        revoked: r.get::<_, i64>(4)? != 0,
        last_seq: r.get(5)?,
        backlog: match (r.get(6)?, r.get(7)?, r.get(8)?) {
            (Some(ops), Some(blobs), Some(at)) => Some(DeviceBacklog { ops, blobs, at }),
            _ => None,
        },
    })
}

impl FleetRecords for SqliteRecords<'_> {
    async fn technician_rows(&mut self) -> Result<Vec<TechnicianRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT technician_id, name, created_at FROM technicians ORDER BY technician_id",
        )?;
        let rows = st.query_map(params![], |r| {
            Ok(TechnicianRow {
                technician_id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn device_rows(&mut self) -> Result<Vec<DeviceInfo>> {
        let mut st = self.tx.prepare_cached(&format!(
            "SELECT {DEVICE} FROM devices ORDER BY technician_id, device_id"
        ))?;
        let rows = st.query_map(params![], device_info)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn device_row(&mut self, device_id: &str) -> Result<Option<DeviceInfo>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {DEVICE} FROM devices WHERE device_id = ?1"
            ))?
            .query_row(params![device_id], device_info)
            .optional()?)
    }

    async fn set_backlog(&mut self, device_id: &str, b: &DeviceBacklog) -> Result<()> {
        self.exec(
            "UPDATE devices SET backlog_ops = ?1, backlog_blobs = ?2, backlog_at = ?3 WHERE device_id = ?4",
            params![b.ops, b.blobs, b.at, device_id],
        )?;
        Ok(())
    }
}
