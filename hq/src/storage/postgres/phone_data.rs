//! PostgreSQL's SQL for [`crate::centre::phone_data`].

use super::PgRecords;
use crate::centre::phone_data::{PhoneDataRecords, WipeOrder};
use crate::error::Result;

impl PhoneDataRecords for PgRecords<'_> {
    async fn company_setting(&mut self, key: &str) -> Result<Option<String>> {
        self.one("SELECT value FROM company_settings WHERE key = $1", &[&key])
            .await?
            .map(|r| Ok(r.try_get(0)?))
            .transpose()
    }

    async fn put_company_setting(
        &mut self,
        key: &str,
        value: &str,
        by: &str,
        at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO company_settings(key, value, set_by, set_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,
                 set_at = excluded.set_at",
            &[&key, &value, &by, &at],
        )
        .await?;
        Ok(())
    }

    async fn wipe_ordered(&mut self, device_id: &str) -> Result<bool> {
        Ok(self
            .one(
                "SELECT 1 FROM devices WHERE device_id = $1 AND wipe_ordered_at IS NOT NULL",
                &[&device_id],
            )
            .await?
            .is_some())
    }

    async fn order_wipe(&mut self, device_id: &str, at: &str) -> Result<()> {
        self.exec(
            "UPDATE devices SET revoked = 1, wipe_ordered_at = $2 WHERE device_id = $1",
            &[&device_id, &at],
        )
        .await?;
        Ok(())
    }

    async fn note_wipe_told(&mut self, device_id: &str, at: &str) -> Result<bool> {
        let first = match self
            .one(
                "SELECT wipe_told_at IS NULL FROM devices WHERE device_id = $1 FOR UPDATE",
                &[&device_id],
            )
            .await?
        {
            Some(r) => r.try_get::<_, bool>(0)?,
            None => false,
        };
        self.exec(
            "UPDATE devices SET wipe_told_at = $2 WHERE device_id = $1",
            &[&device_id, &at],
        )
        .await?;
        Ok(first)
    }

    async fn wipe_rows(&mut self) -> Result<Vec<WipeOrder>> {
        self.all(
            "SELECT device_id, wipe_ordered_at, wipe_told_at FROM devices
             WHERE wipe_ordered_at IS NOT NULL ORDER BY device_id COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(WipeOrder {
                device_id: r.try_get(0)?,
                ordered_at: r.try_get(1)?,
                told_at: r.try_get(2)?,
            })
        })
        .collect()
    }
}
