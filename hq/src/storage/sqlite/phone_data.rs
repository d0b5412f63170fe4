//! SQLite's SQL for [`crate::centre::phone_data`].

use rusqlite::{params, OptionalExtension};

use super::SqliteRecords;
use crate::centre::phone_data::{PhoneDataRecords, WipeOrder};
use crate::error::Result;

impl PhoneDataRecords for SqliteRecords<'_> {
    async fn company_setting(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM company_settings WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?)
    }

    async fn put_company_setting(
        &mut self,
        key: &str,
        value: &str,
        by: &str,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO company_settings(key, value, set_by, set_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,
                 set_at = excluded.set_at",
            params![key, value, by, at],
        )?;
        Ok(())
    }

    async fn wipe_ordered(&mut self, device_id: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT 1 FROM devices WHERE device_id = ?1 AND wipe_ordered_at IS NOT NULL",
            )?
            .query_row(params![device_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    async fn order_wipe(&mut self, device_id: &str, at: &str) -> Result<()> {
        self.exec(
            "UPDATE devices SET revoked = 1, wipe_ordered_at = ?2 WHERE device_id = ?1",
            params![device_id, at],
        )?;
        Ok(())
    }

    async fn note_wipe_told(&mut self, device_id: &str, at: &str) -> Result<bool> {
        let first = self
            .tx
            .prepare_cached("SELECT wipe_told_at IS NULL FROM devices WHERE device_id = ?1")?
            .query_row(params![device_id], |r| r.get::<_, bool>(0))
            .optional()?
            .unwrap_or(false);
        self.exec(
            "UPDATE devices SET wipe_told_at = ?2 WHERE device_id = ?1",
            params![device_id, at],
        )?;
        Ok(first)
    }

    async fn wipe_rows(&mut self) -> Result<Vec<WipeOrder>> {
        let mut st = self.tx.prepare_cached(
            "SELECT device_id, wipe_ordered_at, wipe_told_at FROM devices
             WHERE wipe_ordered_at IS NOT NULL ORDER BY device_id",
        )?;
        let rows = st.query_map(params![], |r| {
            Ok(WipeOrder {
                device_id: r.get(0)?,
                ordered_at: r.get(1)?,
                told_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
