//! Integration keys: the service centre's systems (a dispatch desk, a
//! reporting job, an operator) each call HQ with their own named key, limited
//! to what they need, and a leaked key is revoked alone, not the whole
//! centre's access with it.
//!
//! A key has a name, its scopes and the SHA-256 of its secret: the secret is
//! shown once when the key is made and is never stored, so a copy of the
//! database lets nobody in. The rules are here, over the storage layer's
//! [`Records`]; each database stores keys in its own SQL.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{HqError, Result};
use crate::rules::hash_secret;
use crate::storage::records::{KeyRow, Records};

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
    /// Customers' personal data in what the key reads: names, phones,
    /// places, signatures, photos. A key without it reads orders with those
    /// fields masked and no photo. (Added last so stored scope lists keep
    /// their order.)
    // 「企业相关人员在对外交往与合作中如果需要提供客户资料时,应事先获得客户信息主管和客户服务部经理的批准。」 (GPS book)
    Customer,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Dispatch, Scope::Read, Scope::Admin, Scope::Customer];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Dispatch => "dispatch",
            Scope::Read => "read",
            Scope::Admin => "admin",
            Scope::Customer => "customer",
        }
    }

    pub fn parse(s: &str) -> Result<Scope> {
        Scope::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                HqError::BadRequest(format!(
                    "scope {s:?}: expected dispatch, read, admin or customer"
                ))
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

fn scopes_of(stored: &str) -> Result<Vec<Scope>> {
    Scope::parse_list(stored)
        .map_err(|_| HqError::Internal("a key's stored scopes are unreadable".into()))
}

/// Makes a key and returns its secret, which is shown this once. A name is
/// never reused, not even a revoked key's, so the log's names stay unambiguous.
pub(crate) async fn create<R: Records>(
    r: &mut R,
    name: &str,
    scopes: &[Scope],
    now: DateTime<Utc>,
) -> Result<String> {
    validate_name(name)?;
    if scopes.is_empty() {
        return Err(HqError::BadRequest("a key needs at least one scope".into()));
    }
    let secret = format!(
        "{PREFIX}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let row = KeyRow {
        name: name.to_string(),
        scopes: scopes_text(scopes),
        created_at: time(now),
        revoked_at: None,
        last_used_at: None,
    };
    // The insert decides: a racing creation of the same name may have won.
    if !r.insert_key(&row, &hash_secret(&secret)).await? {
        return Err(HqError::Conflict(format!("a key named {name} exists")));
    }
    tracing::info!(key = name, scopes = %row.scopes, "integration key created");
    Ok(secret)
}

/// Revokes a key: from now on its secret is answered 401.
pub(crate) async fn revoke<R: Records>(r: &mut R, name: &str, now: DateTime<Utc>) -> Result<()> {
    if !r.revoke_key(name, &time(now)).await? {
        return Err(HqError::NotFound(format!("active key {name}")));
    }
    tracing::info!(key = name, "integration key revoked");
    Ok(())
}

/// Every key, revoked ones too, by name.
pub(crate) async fn list<R: Records>(r: &mut R) -> Result<Vec<KeyInfo>> {
    r.keys()
        .await?
        .into_iter()
        .map(|k| {
            Ok(KeyInfo {
                scopes: scopes_of(&k.scopes)?,
                name: k.name,
                created_at: k.created_at,
                revoked_at: k.revoked_at,
                last_used_at: k.last_used_at,
            })
        })
        .collect()
}

/// The key whose secret `token` is: `None` if no key has it, 401 if the key
/// was revoked. Notes the use at most once a minute, so a busy integration
/// does not write on every request.
pub(crate) async fn authenticate<R: Records>(
    r: &mut R,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Key>> {
    let Some(k) = r.key_by_secret(&hash_secret(token)).await? else {
        return Ok(None);
    };
    if k.revoked_at.is_some() {
        return Err(HqError::Unauthorized);
    }
    let stale = time(now - chrono::Duration::minutes(1));
    if k.last_used_at.as_ref().is_none_or(|t| *t < stale) {
        r.touch_key(&k.name, &time(now)).await?;
    }
    Ok(Some(Key {
        scopes: scopes_of(&k.scopes)?,
        name: k.name,
    }))
}
