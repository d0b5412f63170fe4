//! People of the service centre: accounts with one role each, passwords
//! (argon2), sessions, and who may do what ([`PERMISSIONS`], the one table).
//!
//! A person signs in with a name and a password; the console keeps them
//! signed in with a session cookie whose secret HQ stores only as a SHA-256
//! (like device tokens and integration keys), and each session carries its
//! own CSRF secret for the forms it shows. Wrong passwords count per account:
//! after [`MAX_FAILED_LOGINS`] in a row the account is locked for
//! [`LOCKOUT`]; the console also limits wrong passwords per address.
//! Password hashing is slow on purpose, so it runs outside any transaction
//! ([`hash_password`], [`verify_password`]) and the store only ever sees the
//! hash.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::rules::hash_secret;
use crate::storage::records::Records;

/// A person's role at the service centre (客服中心).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 客服专员: takes calls, writes and dispatches orders, follow-ups, complaints.
    FrontDesk,
    /// 主管: also approves off-schedule lines and disputed charges, reassigns, cancels.
    Supervisor,
    /// 经理: also signs reconciliation, sees reports, exports.
    Manager,
    /// 管理员: manages people, keys, technicians and devices.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::FrontDesk,
        Role::Supervisor,
        Role::Manager,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::FrontDesk => "front_desk",
            Role::Supervisor => "supervisor",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role's name in Chinese (the books' words) and English.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Role::FrontDesk => ("客服专员", "Front desk"),
            Role::Supervisor => ("主管", "Supervisor"),
            Role::Manager => ("经理", "Manager"),
            Role::Admin => ("管理员", "Administrator"),
        }
    }
}

/// Something a person may or may not do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the board, orders, search results, queues.
    View,
    /// Record a call or visit at reception.
    TakeCall,
    /// Write a work order.
    WriteOrder,
    /// Assign an unassigned order, reschedule with the customer's consent.
    Dispatch,
    /// Record a follow-up call, close it or open a revisit order.
    RecordFollowUp,
    /// Record a complaint and its handling steps.
    RecordComplaint,
    /// Record the money and signed orders a technician handed in.
    RecordHandover,
    /// Approve an off-schedule quote line or decide a disputed charge.
    Approve,
    /// Give an assigned order to another technician.
    Reassign,
    /// Cancel an order.
    Cancel,
    /// Confirm (sign) a technician's reconciled day, or record its difference.
    SignReconciliation,
    /// The daily summary and the monthly figures.
    ViewReports,
    /// Download customer data as a file (CSV).
    Export,
    /// See a confidential order's customer data (others see it masked).
    SeeConfidential,
    /// Mark an order confidential or not, with a reason.
    MarkConfidential,
    /// Read the access log: who looked at which order, per order and per person.
    ReadAccessLog,
    /// Record a suspected leak of customer data (which wipes the phones and
    /// revokes the keys named) and read who it may concern.
    RespondToLeak,
    /// Add people, change roles, disable accounts, reset passwords.
    ManagePeople,
    /// Integration keys.
    ManageKeys,
    /// Add technicians, create enrollment codes.
    ManageTechnicians,
    /// Revoke devices.
    ManageDevices,
}

use Role::{Admin, FrontDesk, Manager, Supervisor};

/// Who may do what: the one table (the issue's words, role by role: front
/// desk takes calls, writes and dispatches orders, records follow-ups and
/// complaints; the supervisor also approves, reassigns and cancels; the
/// manager also signs reconciliation, sees reports and exports; the admin
/// manages people, keys, technicians and devices). The admin runs the
/// system, not the day: they see the pages but take no order decisions.
pub const PERMISSIONS: &[(Action, &[Role])] = &[
    (Action::View, &[FrontDesk, Supervisor, Manager, Admin]),
    (Action::TakeCall, &[FrontDesk, Supervisor, Manager]),
    (Action::WriteOrder, &[FrontDesk, Supervisor, Manager]),
    (Action::Dispatch, &[FrontDesk, Supervisor, Manager]),
    (Action::RecordFollowUp, &[FrontDesk, Supervisor, Manager]),
    (Action::RecordComplaint, &[FrontDesk, Supervisor, Manager]),
    (Action::RecordHandover, &[FrontDesk, Supervisor, Manager]),
    (Action::Approve, &[Supervisor, Manager]),
    (Action::Reassign, &[Supervisor, Manager]),
    (Action::Cancel, &[Supervisor, Manager]),
    (Action::SignReconciliation, &[Manager]),
    (Action::ViewReports, &[Manager]),
    (Action::Export, &[Manager]),
    // 「凡属“机密”、“绝密”的客户资料……其他人员未经许可不得查阅。」 (GPS book)
    (Action::SeeConfidential, &[Supervisor, Manager]),
    (Action::MarkConfidential, &[Supervisor, Manager]),
    // Who looked at what is for those who answer for it: the manager, and the
    // admin who revokes devices and keys when a look was not right.
    (Action::ReadAccessLog, &[Manager, Admin]),
    // 「发现客户信息已经泄露或者可能泄露时,应当立即采取补救措施,并及时报告客户信息主管及客户服务部经理。」 (GPS book)
    (Action::RespondToLeak, &[Manager]),
    (Action::ManagePeople, &[Admin]),
    (Action::ManageKeys, &[Admin]),
    (Action::ManageTechnicians, &[Admin]),
    (Action::ManageDevices, &[Admin]),
];

/// Whether `role` may take `action` (an action missing from the table is refused).
pub fn allows(role: Role, action: Action) -> bool {
    PERMISSIONS
        .iter()
        .any(|(a, roles)| *a == action && roles.contains(&role))
}

/// Wrong passwords in a row that lock an account.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT: Duration = Duration::minutes(15);
/// How long a session lasts from sign-in: a working day and a bit.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (argon2 takes any length; a megabyte is an attack).
pub const MAX_PASSWORD_CHARS: usize = 200;

/// A signed-in person (or one the admin pages list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The sign-in name: 1-64 of `a-z 0-9 . _ -`.
    pub username: String,
    /// The name shown to colleagues and in the audit trail (e.g. 王芳).
    pub display_name: String,
    pub role: Role,
}

/// An account as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub person: Person,
    pub created_at: String,
    pub disabled: bool,
    pub locked_until: Option<String>,
    pub sessions: i64,
}

/// What a password check needs, read before the (slow) check.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub person: Person,
    pub password_hash: String,
    pub disabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
}

/// A session just opened: the cookie's secret (shown once, stored hashed).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// A session found by its cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub person: Person,
    /// The secret every form of this session carries.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a sign-in failed, for the page to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Unknown name or wrong password (never told apart).
    Wrong,
    /// Locked after too many wrong passwords, until then.
    Locked(DateTime<Utc>),
    Disabled,
}

/// An account's row.
pub(crate) struct PersonRow {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub created_at: String,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
}

/// A session's row, joined with its person.
pub(crate) struct SessionRow {
    pub person: PersonRow,
    pub csrf: String,
    pub expires_at: String,
}

#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait PeopleRecords {
    /// False if the name is taken.
    async fn insert_person(&mut self, p: &PersonRow) -> Result<bool>;
    async fn person(&mut self, username: &str) -> Result<Option<PersonRow>>;
    /// Every account, by name, with its number of live sessions at `now`.
    async fn people(&mut self, now: &str) -> Result<Vec<(PersonRow, i64)>>;
    async fn set_role(&mut self, username: &str, role: &str) -> Result<()>;
    async fn set_disabled(&mut self, username: &str, disabled: bool) -> Result<()>;
    async fn set_password(&mut self, username: &str, password_hash: &str) -> Result<()>;
    /// Records a wrong password and the lock (if it locked); returns the count.
    async fn set_failed_logins(
        &mut self,
        username: &str,
        failed: i64,
        locked_until: Option<&str>,
    ) -> Result<()>;
    async fn insert_session(
        &mut self,
        token_hash: &str,
        username: &str,
        csrf: &str,
        created_at: &str,
        expires_at: &str,
    ) -> Result<()>;
    async fn session(&mut self, token_hash: &str) -> Result<Option<SessionRow>>;
    async fn delete_session(&mut self, token_hash: &str) -> Result<()>;
    /// Ends every session of a person; returns how many there were.
    async fn delete_sessions_of(&mut self, username: &str) -> Result<i64>;
    /// Forgets sessions that expired before `now`.
    async fn delete_expired_sessions(&mut self, now: &str) -> Result<()>;
}

/// The people's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait PeopleStore {
    /// Creates an account (409 if the name is taken); `password_hash` from [`hash_password`].
    async fn create_person(
        &self,
        by: &Actor,
        person: Person,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// What [`verify_password`] needs, if the account exists.
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>>;
    /// A wrong password: counted, and the account locked at the limit.
    async fn login_failed(&self, username: &str, now: DateTime<Utc>) -> Result<LoginRefusal>;
    /// A right password: the count reset, a session opened, the sign-in audited.
    async fn open_session(
        &self,
        username: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<NewSession>;
    /// The live session a cookie's secret opens.
    async fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>>;
    /// Signs out one session.
    async fn close_session(&self, token: &str, now: DateTime<Utc>) -> Result<()>;
    /// Signs a person out everywhere (their own choice or an admin's).
    async fn close_all_sessions(
        &self,
        by: &Actor,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<i64>;
    async fn accounts(&self, now: DateTime<Utc>) -> Result<Vec<Account>>;
    /// Changes a role; the person's sessions end, so the new role applies at once.
    async fn change_role(
        &self,
        by: &Actor,
        username: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Disables (and signs out) or re-enables an account.
    async fn set_disabled(
        &self,
        by: &Actor,
        username: &str,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// A new password (hashed by the caller); the person's sessions end and the lock lifts.
    async fn reset_password(
        &self,
        by: &Actor,
        username: &str,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<()>;
}

/// The `impl PeopleStore` each database module invokes with its own `rule!` in scope.
macro_rules! people_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::people::PeopleStore for $ty {
            async fn create_person(
                &self,
                by: &$crate::centre::audit::Actor,
                person: $crate::centre::people::Person,
                password_hash: String,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let by = by.clone();
                rule!(self, |r| $crate::centre::people::create_person(
                    r,
                    &by,
                    &person,
                    &password_hash,
                    now
                ))
            }
            async fn credentials(
                &self,
                username: &str,
            ) -> Result<Option<$crate::centre::people::Credentials>> {
                let username = username.to_owned();
                rule!(self, |r| $crate::centre::people::credentials(r, &username))
            }
            async fn login_failed(
                &self,
                username: &str,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::people::LoginRefusal> {
                let username = username.to_owned();
                rule!(self, |r| $crate::centre::people::login_failed(
                    r, &username, now
                ))
            }
            async fn open_session(
                &self,
                username: &str,
                address: &str,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::people::NewSession> {
                let (username, address) = (username.to_owned(), address.to_owned());
                rule!(self, |r| $crate::centre::people::open_session(
                    r, &username, &address, now
                ))
            }
            async fn session(
                &self,
                token: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<$crate::centre::people::Session>> {
                let token = token.to_owned();
                rule!(self, |r| $crate::centre::people::session(r, &token, now))
            }
            async fn close_session(&self, token: &str, now: DateTime<Utc>) -> Result<()> {
                let token = token.to_owned();
                rule!(self, |r| $crate::centre::people::close_session(
                    r, &token, now
                ))
            }
            async fn close_all_sessions(
                &self,
                by: &$crate::centre::audit::Actor,
                username: &str,
                now: DateTime<Utc>,
            ) -> Result<i64> {
                let (by, username) = (by.clone(), username.to_owned());
                rule!(self, |r| $crate::centre::people::close_all_sessions(
                    r, &by, &username, now
                ))
            }
            async fn accounts(
                &self,
                now: DateTime<Utc>,
            ) -> Result<Vec<$crate::centre::people::Account>> {
                rule!(self, |r| $crate::centre::people::accounts(r, now))
            }
            async fn change_role(
                &self,
                by: &$crate::centre::audit::Actor,
                username: &str,
                role: $crate::centre::people::Role,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, username) = (by.clone(), username.to_owned());
                rule!(self, |r| $crate::centre::people::change_role(
                    r, &by, &username, role, now
                ))
            }
            async fn set_disabled(
                &self,
                by: &$crate::centre::audit::Actor,
                username: &str,
                disabled: bool,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, username) = (by.clone(), username.to_owned());
                rule!(self, |r| $crate::centre::people::set_disabled(
                    r, &by, &username, disabled, now
                ))
            }
            async fn reset_password(
                &self,
                by: &$crate::centre::audit::Actor,
                username: &str,
                password_hash: String,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, username) = (by.clone(), username.to_owned());
                rule!(self, |r| $crate::centre::people::reset_password(
                    r,
                    &by,
                    &username,
                    &password_hash,
                    now
                ))
            }
        }
    };
}
pub(crate) use people_operations;

// --- passwords and secrets ----------------------------------------------------------------

/// Hashes a password with argon2id (a random salt, the crate's default cost),
/// after checking its length. Slow on purpose: call it outside a transaction.
pub fn hash_password(password: &str) -> Result<String> {
    check_password(password)?;
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| HqError::Internal("the password could not be hashed".into()))
}

/// Whether `password` is the one `hash` was made from.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{phc::PasswordHash, PasswordVerifier};
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A password is 10 to 200 characters.
pub fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(HqError::BadRequest(format!(
            "a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// A sign-in name: 1-64 of `a-z 0-9 . _ -`.
pub fn check_username(username: &str) -> Result<()> {
    let ok = !username.is_empty()
        && username.len() <= 64
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(HqError::BadRequest(
            "a user name is 1-64 of a-z, 0-9, '.', '_' and '-'".into(),
        ))
    }
}

/// A display name: 1-100 characters, no control characters.
pub fn check_display_name(name: &str) -> Result<()> {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 || name.chars().any(char::is_control) {
        return Err(HqError::BadRequest(
            "a display name has 1 to 100 characters".into(),
        ));
    }
    Ok(())
}

/// 256 random bits as hex (two v4 UUIDs' random parts and more).
pub(crate) fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_stamp(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| HqError::Internal(format!("stored time {s:?}: {e}")))
}

fn person_of(row: &PersonRow) -> Result<Person> {
    Ok(Person {
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        role: Role::parse(&row.role)
            .ok_or_else(|| HqError::Internal(format!("stored role {:?}", row.role)))?,
    })
}

async fn existing<R: Records>(r: &mut R, username: &str) -> Result<PersonRow> {
    r.person(username)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("person {username}")))
}

// --- the rules ----------------------------------------------------------------------------

pub(crate) async fn create_person<R: Records>(
    r: &mut R,
    by: &Actor,
    person: &Person,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    check_username(&person.username)?;
    check_display_name(&person.display_name)?;
    let row = PersonRow {
        username: person.username.clone(),
        display_name: person.display_name.trim().to_string(),
        role: person.role.as_str().into(),
        password_hash: password_hash.into(),
        created_at: stamp(now),
        disabled: false,
        failed_logins: 0,
        locked_until: None,
    };
    if !r.insert_person(&row).await? {
        return Err(HqError::Conflict(format!(
            "a person named {} exists",
            person.username
        )));
    }
    audit::record(
        r,
        by,
        "person.create",
        None,
        &format!("{} ({})", person.username, person.role.as_str()),
        now,
    )
    .await
}

pub(crate) async fn credentials<R: Records>(
    r: &mut R,
    username: &str,
) -> Result<Option<Credentials>> {
    let Some(row) = r.person(username).await? else {
        return Ok(None);
    };
    Ok(Some(Credentials {
        person: person_of(&row)?,
        locked_until: row.locked_until.as_deref().map(parse_stamp).transpose()?,
        disabled: row.disabled,
        password_hash: row.password_hash,
    }))
}

pub(crate) async fn login_failed<R: Records>(
    r: &mut R,
    username: &str,
    now: DateTime<Utc>,
) -> Result<LoginRefusal> {
    let Some(row) = r.person(username).await? else {
        return Ok(LoginRefusal::Wrong);
    };
    // A lock that has run out starts a fresh count.
    let still_locked = row
        .locked_until
        .as_deref()
        .map(parse_stamp)
        .transpose()?
        .filter(|t| *t > now);
    if let Some(t) = still_locked {
        return Ok(LoginRefusal::Locked(t));
    }
    let failed = if row.locked_until.is_some() {
        1
    } else {
        row.failed_logins + 1
    };
    if failed >= MAX_FAILED_LOGINS {
        let until = now + LOCKOUT;
        r.set_failed_logins(username, failed, Some(&stamp(until)))
            .await?;
        audit::record(
            r,
            &Actor::Person(username.into()),
            "person.locked",
            None,
            &format!("{failed} wrong passwords"),
            now,
        )
        .await?;
        tracing::warn!(failed, "console account locked after wrong passwords");
        return Ok(LoginRefusal::Locked(until));
    }
    r.set_failed_logins(username, failed, None).await?;
    Ok(LoginRefusal::Wrong)
}

pub(crate) async fn open_session<R: Records>(
    r: &mut R,
    username: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<NewSession> {
    let row = existing(r, username).await?;
    if row.disabled {
        return Err(HqError::Forbidden("the account is disabled".into()));
    }
    r.set_failed_logins(username, 0, None).await?;
    r.delete_expired_sessions(&stamp(now)).await?;
    let token = random_secret();
    let expires_at = now + SESSION_LIFETIME;
    r.insert_session(
        &hash_secret(&token),
        username,
        &random_secret(),
        &stamp(now),
        &stamp(expires_at),
    )
    .await?;
    audit::record(
        r,
        &Actor::Person(username.into()),
        "session.open",
        None,
        address,
        now,
    )
    .await?;
    Ok(NewSession { token, expires_at })
}

pub(crate) async fn session<R: Records>(
    r: &mut R,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Session>> {
    let Some(row) = r.session(&hash_secret(token)).await? else {
        return Ok(None);
    };
    let expires_at = parse_stamp(&row.expires_at)?;
    if expires_at <= now || row.person.disabled {
        return Ok(None);
    }
    Ok(Some(Session {
        person: person_of(&row.person)?,
        csrf: row.csrf,
        expires_at,
    }))
}

pub(crate) async fn close_session<R: Records>(
    r: &mut R,
    token: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(s) = session(r, token, now).await? {
        audit::record(
            r,
            &Actor::Person(s.person.username),
            "session.close",
            None,
            "",
            now,
        )
        .await?;
    }
    r.delete_session(&hash_secret(token)).await
}

pub(crate) async fn close_all_sessions<R: Records>(
    r: &mut R,
    by: &Actor,
    username: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    existing(r, username).await?;
    let n = r.delete_sessions_of(username).await?;
    audit::record(
        r,
        by,
        "session.close_all",
        None,
        &format!("{username}: {n}"),
        now,
    )
    .await?;
    Ok(n)
}

pub(crate) async fn accounts<R: Records>(r: &mut R, now: DateTime<Utc>) -> Result<Vec<Account>> {
    let mut out = Vec::new();
    for (row, sessions) in r.people(&stamp(now)).await? {
        let locked_until = row.locked_until.clone().filter(|t| {
            parse_stamp(t).is_ok_and(|t| t > now) // an expired lock is no lock
        });
        out.push(Account {
            person: person_of(&row)?,
            created_at: row.created_at,
            disabled: row.disabled,
            locked_until,
            sessions,
        });
    }
    Ok(out)
}

/// The last admin who can sign in is never demoted or disabled: nobody could manage people then.
async fn keep_an_admin<R: Records>(r: &mut R, username: &str, now: DateTime<Utc>) -> Result<()> {
    let others = accounts(r, now)
        .await?
        .into_iter()
        .filter(|a| a.person.role == Role::Admin && !a.disabled && a.person.username != username)
        .count();
    if others == 0 {
        return Err(HqError::Conflict(
            "the last administrator cannot lose the role or be disabled".into(),
        ));
    }
    Ok(())
}

pub(crate) async fn change_role<R: Records>(
    r: &mut R,
    by: &Actor,
    username: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<()> {
    let row = existing(r, username).await?;
    if row.role == Role::Admin.as_str() && role != Role::Admin {
        keep_an_admin(r, username, now).await?;
    }
    r.set_role(username, role.as_str()).await?;
    r.delete_sessions_of(username).await?;
    audit::record(
        r,
        by,
        "person.role",
        None,
        &format!("{username}: {} -> {}", row.role, role.as_str()),
        now,
    )
    .await
}

pub(crate) async fn set_disabled<R: Records>(
    r: &mut R,
    by: &Actor,
    username: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let row = existing(r, username).await?;
    if disabled && row.role == Role::Admin.as_str() {
        keep_an_admin(r, username, now).await?;
    }
    r.set_disabled(username, disabled).await?;
    if disabled {
        r.delete_sessions_of(username).await?;
    }
    let what = if disabled {
        "person.disable"
    } else {
        "person.enable"
    };
    audit::record(r, by, what, None, username, now).await
}

pub(crate) async fn reset_password<R: Records>(
    r: &mut R,
    by: &Actor,
    username: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    existing(r, username).await?;
    r.set_password(username, password_hash).await?;
    r.set_failed_logins(username, 0, None).await?;
    r.delete_sessions_of(username).await?;
    audit::record(r, by, "person.password", None, username, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_what_the_issue_lists_and_nothing_more() {
        use Action::*;
        let expect = |role: Role, actions: &[Action]| {
            for (a, _) in PERMISSIONS {
                assert_eq!(allows(role, *a), actions.contains(a), "{role:?} and {a:?}");
            }
        };
        let desk = [
            View,
            TakeCall,
            WriteOrder,
            Dispatch,
            RecordFollowUp,
            RecordComplaint,
            RecordHandover,
        ];
        expect(FrontDesk, &desk);
        let sup: Vec<Action> = desk
            .iter()
            .copied()
            .chain([Approve, Reassign, Cancel, SeeConfidential, MarkConfidential])
            .collect();
        expect(Supervisor, &sup);
        let man: Vec<Action> = sup
            .iter()
            .copied()
            .chain([
                SignReconciliation,
                ViewReports,
                Export,
                ReadAccessLog,
                RespondToLeak,
            ])
            .collect();
        expect(Manager, &man);
        expect(
            Admin,
            &[
                View,
                ManagePeople,
                ManageKeys,
                ManageTechnicians,
                ManageDevices,
                ReadAccessLog,
            ],
        );
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert!(hash_password("short").is_err());
        assert!(hash_password(&"x".repeat(201)).is_err());
    }

    #[test]
    fn user_names_are_plain() {
        assert!(check_username("wang.fang_2").is_ok());
        for bad in ["", "Wang", "王芳", "a b", &"a".repeat(65), "<script>"] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }
}
