//! Integration keys: the service centre's systems (a dispatch desk, a
//! reporting job, an operator) each call HQ with their own named key, limited
//! to what they need, and a leaked key is revoked alone, not the whole
//! centre's access with it.
//!
//! A key has a name, its scopes and the SHA-256 of its secret: the secret is
//! shown once when the key is made and is never stored, so a copy of the
//! database lets nobody in. All of the keys' SQL is here.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{tx, Db};
use crate::error::{HqError, Result};
use crate::store::hash_secret;

/// The name the `--admin-token` (`ONSITE_ADMIN_TOKEN`) key goes by: it is not
/// stored, so no stored key may take its name.
pub const BOOTSTRAP: &str = "admin";

/// Every key's secret starts so: a bearer token without it is a device's
/// token, and HQ looks in one table only.
pub const PREFIX: &str = "onsite_";

/// What a key may do. `Admin` covers the other two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Create, assign, reschedule and cancel orders; charge instructions and codes.
    Dispatch,
    /// Read orders, follow-ups, complaints, old parts, invoices, reconciliation.
    Read,
    /// Technicians, enrollment codes, devices, handovers, keys, metrics; and all of the above.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Dispatch, Scope::Read, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Dispatch => "dispatch",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Scope> {
        Scope::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                HqError::BadRequest(format!("scope {s:?}: expected dispatch, read or admin"))
            })
    }

    /// Scopes written as `dispatch,read`; at least one.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>> {
        let mut out = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Scope::parse)
            .collect::<Result<Vec<_>>>()?;
        out.sort();
        out.dedup();
        if out.is_empty() {
            return Err(HqError::BadRequest("a key needs at least one scope".into()));
        }
        Ok(out)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticated key: its name (for the log) and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub scopes: Vec<Scope>,
}

impl Key {
    /// Whether the key may do what `needed` allows (`admin` may do everything).
    pub fn allows(&self, needed: Scope) -> bool {
        self.scopes.contains(&Scope::Admin) || self.scopes.contains(&needed)
    }
}

/// A key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KeyInfo {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// To the minute: a key's use is written at most once a minute.
    pub last_used_at: Option<String>,
}

fn time(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn validate_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(HqError::BadRequest(
            "a key's name is 1 to 64 letters, digits, '.', '_' or '-'".into(),
        ));
    }
    if name == BOOTSTRAP {
        return Err(HqError::Conflict(format!(
            "{BOOTSTRAP:?} is the --admin-token key's name"
        )));
    }
    Ok(())
}

/// Makes a key and returns its secret, which is shown this once. A name is
/// never reused, not even a revoked key's, so the log's names stay unambiguous.
pub fn create(db: &dyn Db, name: &str, scopes: &[Scope], now: DateTime<Utc>) -> Result<String> {
    validate_name(name)?;
    if scopes.is_empty() {
        return Err(HqError::BadRequest("a key needs at least one scope".into()));
    }
    let secret = format!(
        "{PREFIX}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    tx(db, |t| {
        if t.query_one(
            "SELECT 1 FROM integration_keys WHERE name = ? FOR UPDATE",
            &[name.into()],
        )?
        .is_some()
        {
            return Err(HqError::Conflict(format!("a key named {name} exists")));
        }
        t.exec(
            "INSERT INTO integration_keys(name, scopes, secret_hash, created_at) VALUES (?, ?, ?, ?)",
            &[
                name.into(),
                scopes_text(scopes).into(),
                hash_secret(&secret).into(),
                time(now).into(),
            ],
        )?;
        Ok(())
    })?;
    tracing::info!(key = name, scopes = %scopes_text(scopes), "integration key created");
    Ok(secret)
}

/// Revokes a key: from now on its secret is answered 401.
pub fn revoke(db: &dyn Db, name: &str, now: DateTime<Utc>) -> Result<()> {
    let n = tx(db, |t| {
        t.exec(
            "UPDATE integration_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
            &[time(now).into(), name.into()],
        )
    })?;
    if n == 0 {
        return Err(HqError::NotFound(format!("active key {name}")));
    }
    tracing::info!(key = name, "integration key revoked");
    Ok(())
}

/// Every key, revoked ones too, by name.
pub fn list(db: &dyn Db) -> Result<Vec<KeyInfo>> {
    tx(db, |t| {
        t.query(
            "SELECT name, scopes, created_at, revoked_at, last_used_at FROM integration_keys ORDER BY name",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(KeyInfo {
                name: r.text(0)?,
                scopes: Scope::parse_list(&r.text(1)?)
                    .map_err(|_| HqError::Internal("a key's stored scopes are unreadable".into()))?,
                created_at: r.text(2)?,
                revoked_at: r.opt_text(3)?,
                last_used_at: r.opt_text(4)?,
            })
        })
        .collect()
    })
}

/// The key whose secret `token` is: `None` if no key has it, 401 if the key
/// was revoked. Notes the use at most once a
/// minute, so a busy integration does not write on every request.
pub fn authenticate(db: &dyn Db, token: &str, now: DateTime<Utc>) -> Result<Option<Key>> {
    let hash = hash_secret(token);
    tx(db, |t| {
        let Some(r) = t.query_one(
            "SELECT name, scopes, revoked_at FROM integration_keys WHERE secret_hash = ?",
            &[hash.clone().into()],
        )?
        else {
            return Ok(None);
        };
        if r.opt_text(2)?.is_some() {
            return Err(HqError::Unauthorized);
        }
        let name = r.text(0)?;
        let scopes = Scope::parse_list(&r.text(1)?)
            .map_err(|_| HqError::Internal("a key's stored scopes are unreadable".into()))?;
        t.exec(
            "UPDATE integration_keys SET last_used_at = ?
             WHERE name = ? AND (last_used_at IS NULL OR last_used_at < ?)",
            &[
                time(now).into(),
                name.clone().into(),
                time(now - chrono::Duration::minutes(1)).into(),
            ],
        )?;
        Ok(Some(Key { name, scopes }))
    })
}
