//! PostgreSQL's SQL for [`crate::centre::people`].

use tokio_postgres::Row;

use super::PgRecords;
use crate::centre::people::{PeopleRecords, PersonRow, SessionRow};
use crate::error::Result;

const PERSON: &str = "username, display_name, role, password_hash, created_at, disabled, failed_logins, locked_until";

fn person_row(r: &Row) -> Result<PersonRow> {
    Ok(PersonRow {
        username: r.try_get(0)?,
        display_name: r.try_get(1)?,
        role: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        created_at: r.try_get(4)?,
        disabled: r.try_get::<_, i64>(5)? != 0,
        failed_logins: r.try_get(6)?,
        locked_until: r.try_get(7)?,
    })
}

impl PeopleRecords for PgRecords<'_> {
    async fn insert_person(&mut self, p: &PersonRow) -> Result<bool> {
        Ok(self
            .exec(
                "INSERT INTO people(username, display_name, role, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING",
                &[
                    &p.username,
                    &p.display_name,
                    &p.role,
                    &p.password_hash,
                    &p.created_at,
                ],
            )
            .await?
            > 0)
    }

    async fn person(&mut self, username: &str) -> Result<Option<PersonRow>> {
        self.one(
            &format!("SELECT {PERSON} FROM people WHERE username = $1"),
            &[&username],
        )
        .await?
        .as_ref()
        .map(person_row)
        .transpose()
    }

    async fn people(&mut self, now: &str) -> Result<Vec<(PersonRow, i64)>> {
        self.all(
            &format!(
                "SELECT {PERSON}, (SELECT COUNT(*) FROM sessions s WHERE s.username = people.username AND s.expires_at > $1)
                 FROM people ORDER BY username COLLATE \"C\""
            ),
            &[&now],
        )
        .await?
        .iter()
        .map(|r| Ok((person_row(r)?, r.try_get(8)?)))
        .collect()
    }

    async fn set_role(&mut self, username: &str, role: &str) -> Result<()> {
        self.exec(
            "UPDATE people SET role = $1 WHERE username = $2",
            &[&role, &username],
        )
        .await?;
        Ok(())
    }

    async fn set_disabled(&mut self, username: &str, disabled: bool) -> Result<()> {
        self.exec(
            "UPDATE people SET disabled = $1 WHERE username = $2",
            &[&i64::from(disabled), &username],
        )
        .await?;
        Ok(())
    }

    async fn set_password(&mut self, username: &str, password_hash: &str) -> Result<()> {
        self.exec(
            "UPDATE people SET password_hash = $1 WHERE username = $2",
            &[&password_hash, &username],
        )
        .await?;
        Ok(())
    }

    async fn set_failed_logins(
        &mut self,
        username: &str,
        failed: i64,
        locked_until: Option<&str>,
    ) -> Result<()> {
        self.exec(
            "UPDATE people SET failed_logins = $1, locked_until = $2 WHERE username = $3",
            &[&failed, &locked_until, &username],
        )
        .await?;
        Ok(())
    }

    async fn insert_session(
        &mut self,
        token_hash: &str,
        username: &str,
        csrf: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO sessions(token_hash, username, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&token_hash, &username, &csrf, &created_at, &expires_at],
        )
        .await?;
        Ok(())
    }

    async fn session(&mut self, token_hash: &str) -> Result<Option<SessionRow>> {
        self.one(
            "SELECT p.username, p.display_name, p.role, p.password_hash, p.created_at, p.disabled,
                    p.failed_logins, p.locked_until, s.csrf, s.expires_at
             FROM sessions s JOIN people p ON p.username = s.username WHERE s.token_hash = $1",
            &[&token_hash],
        )
        .await?
        .as_ref()
        .map(|r| {
            Ok(SessionRow {
                person: person_row(r)?,
                csrf: r.try_get(8)?,
                expires_at: r.try_get(9)?,
            })
        })
        .transpose()
    }

    async fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.exec("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .await?;
        Ok(())
    }

    async fn delete_sessions_of(&mut self, username: &str) -> Result<i64> {
        let n = self
            .exec("DELETE FROM sessions WHERE username = $1", &[&username])
            .await?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }

    async fn delete_expired_sessions(&mut self, now: &str) -> Result<()> {
        self.exec("DELETE FROM sessions WHERE expires_at <= $1", &[&now])
            .await?;
        Ok(())
    }
}
