//! Who looked at a customer's data, and which orders are confidential.
//!
//! - **The access log** (查阅记录): every read of an order's customer data at
//!   HQ — the console's order page, its print page and photos, the search
//!   list, the board, reception, the daily report and its CSV export, an
//!   integration key's read of an order or a photo, a phone's read of its own
//!   job — is one row per order read: who (`person:NAME`, `key:NAME`,
//!   `device:ID`), when, which order, what kind of read, whether it was shown
//!   masked, and from where. A list is a read of every order it lists (a list
//!   of names is a read of those names). The row is written before the page
//!   or answer leaves HQ, by the same operation that learns which of the
//!   orders are confidential ([`AccessStore::looked`]); a read whose log
//!   cannot be written is refused, so no look goes unrecorded. Append-only:
//!   no path of HQ updates or deletes a row, and the database refuses any
//!   that tries (triggers, `007_access.sql`).
//! - **Confidential orders** (保密工单): a supervisor, a manager or an
//!   integration key with the `dispatch` scope marks an order confidential,
//!   with a reason (audited). Its customer data is then for the assigned
//!   technician (the phone gets the order as before), supervisors and
//!   managers; everyone else sees it masked (王**, 138****8000, a short
//!   address); it is left out of exports altogether.

// 「建立客户档案查阅权限制度,未经许可,任何人不得随意查阅客户档案。」 (GPS book)
// 「凡属“机密”、“绝密”的客户资料,登记造册时,必须在检索工具备注栏写上“机密”、“绝密”字样,必须单独存放、专人管理,其他人员未经许可不得查阅。」 (GPS book)

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use onsite_core::locale::Lang;
use onsite_core::visit::Visit;
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor};
use crate::centre::desk::{Call, OrderLine};
use crate::centre::people::{allows, Action, Role};
use crate::error::{HqError, Result};
use crate::storage::records::Records;

/// Who read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reader {
    /// A person signed in to the console, by user name.
    Person(String),
    /// An integration key, by name.
    Key(String),
    /// An enrolled device, by id.
    Device(String),
    /// HQ itself (a command run on its database).
    Operator,
}

impl Reader {
    /// As stored: `person:NAME`, `key:NAME`, `device:ID`.
    pub fn as_stored(&self) -> String {
        match self {
            Reader::Person(n) => format!("person:{n}"),
            Reader::Key(n) => format!("key:{n}"),
            Reader::Device(n) => format!("device:{n}"),
            Reader::Operator => "operator".into(),
        }
    }

    /// Who took an audited action, as a reader.
    pub fn of_actor(a: &Actor) -> Reader {
        match a {
            Actor::Person(n) => Reader::Person(n.clone()),
            Actor::Key(n) => Reader::Key(n.clone()),
            Actor::Operator => Reader::Operator,
        }
    }

    pub fn parse(s: &str) -> Option<Reader> {
        if s == "operator" {
            return Some(Reader::Operator);
        }
        if let Some(n) = s.strip_prefix("person:") {
            return Some(Reader::Person(n.into()));
        }
        if let Some(n) = s.strip_prefix("key:") {
            return Some(Reader::Key(n.into()));
        }
        s.strip_prefix("device:").map(|n| Reader::Device(n.into()))
    }
}

/// What kind of read it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Look {
    /// The console's order page.
    Order,
    /// The order's four printed copies.
    Print,
    /// A photo or signature image of the order.
    Photo,
    /// The order listed in a search result.
    Search,
    /// The order listed on the dispatch board.
    Board,
    /// A call linked to the order listed at reception.
    Reception,
    /// The order listed in the daily report page.
    Report,
    /// The order's row in an exported file.
    Export,
    /// An integration key read the order.
    ApiOrder,
    /// An integration key read a photo the order names.
    ApiBlob,
    /// A phone read its own job.
    DeviceJob,
    /// A complaint about the order listed on the complaints page.
    Complaints,
    /// A complaint about the order read by an integration key.
    ApiComplaints,
    /// The order listed in a leak's report of the customers concerned.
    LeakReport,
    /// The order listed by an integration key's read of pending invoices or old parts.
    ApiList,
}

impl Look {
    pub const ALL: [Look; 15] = [
        Look::Order,
        Look::Print,
        Look::Photo,
        Look::Search,
        Look::Board,
        Look::Reception,
        Look::Report,
        Look::Export,
        Look::ApiOrder,
        Look::ApiBlob,
        Look::DeviceJob,
        Look::Complaints,
        Look::ApiComplaints,
        Look::LeakReport,
        Look::ApiList,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Look::Order => "order",
            Look::Print => "print",
            Look::Photo => "photo",
            Look::Search => "search",
            Look::Board => "board",
            Look::Reception => "reception",
            Look::Report => "report",
            Look::Export => "export",
            Look::ApiOrder => "api.order",
            Look::ApiBlob => "api.blob",
            Look::DeviceJob => "device.job",
            Look::Complaints => "complaints",
            Look::ApiComplaints => "api.complaints",
            Look::LeakReport => "leak",
            Look::ApiList => "api.list",
        }
    }

    pub fn parse(s: &str) -> Option<Look> {
        Look::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// What the access log page calls it.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Look::Order => ("打开工单", "opened the order"),
            Look::Print => ("打印工单", "printed the order"),
            Look::Photo => ("查看照片", "viewed a photo"),
            Look::Search => ("出现在查找结果中", "listed in a search"),
            Look::Board => ("出现在派工看板上", "listed on the board"),
            Look::Reception => ("出现在来电来访登记中", "listed at reception"),
            Look::Report => ("出现在每日汇总中", "listed in the daily summary"),
            Look::Export => ("导出", "exported"),
            Look::ApiOrder => ("接口读取工单", "read by the API"),
            Look::ApiBlob => ("接口读取照片", "photo read by the API"),
            Look::DeviceJob => ("手机读取", "read by the phone"),
            Look::Complaints => ("出现在投诉记录中", "listed with its complaint"),
            Look::ApiComplaints => ("接口读取投诉", "complaint read by the API"),
            Look::LeakReport => ("出现在泄露处置报告中", "listed in a leak report"),
            Look::ApiList => (
                "接口读取发票或旧件清单",
                "listed by the API (invoices, old parts)",
            ),
        };
        match lang {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }
}

/// How much of an order's customer data a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    /// All of it, confidential orders too: supervisors, managers, the
    /// assigned technician's phone.
    Everything,
    /// All of it except a confidential order's, which is masked: the front
    /// desk, the admin, integration keys with the `customer` scope.
    NotConfidential,
    /// Always masked: integration keys without the `customer` scope.
    Masked,
}

impl Sight {
    /// What a person of `role` sees.
    pub fn of_role(role: Role) -> Sight {
        if sees_confidential(role) {
            Sight::Everything
        } else {
            Sight::NotConfidential
        }
    }

    /// Whether an order (confidential or not) is shown masked.
    pub fn masks(self, confidential: bool) -> bool {
        match self {
            Sight::Everything => false,
            Sight::NotConfidential => confidential,
            Sight::Masked => true,
        }
    }
}

/// Where a read came from: the connection's address (HQ trusts no
/// forwarding header, so behind a proxy this is the proxy's address) and,
/// kept beside it as the proxy claimed it, `X-Forwarded-For`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub address: Option<String>,
    pub forwarded: Option<String>,
}

/// Longest `X-Forwarded-For` kept (a header is the caller's to write).
pub const MAX_FORWARDED: usize = 200;

impl Origin {
    /// `forwarded` kept as printable ASCII, at most [`MAX_FORWARDED`] bytes.
    pub fn new(address: Option<String>, forwarded: Option<&str>) -> Origin {
        let forwarded = forwarded
            .map(|f| {
                f.chars()
                    .filter(|c| c.is_ascii_graphic() || *c == ' ')
                    .take(MAX_FORWARDED)
                    .collect::<String>()
            })
            .filter(|f| !f.trim().is_empty());
        Origin { address, forwarded }
    }

    fn stored_address(&self) -> String {
        self.address.clone().unwrap_or_else(|| "unknown".into())
    }
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub reader: Reader,
    pub job_id: String,
    /// [`Look::as_str`].
    pub kind: String,
    /// The reader saw the order's customer data masked.
    pub masked: bool,
    pub address: String,
    pub forwarded: Option<String>,
}

/// A row as stored.
pub(crate) struct AccessRow {
    pub id: i64,
    pub at: String,
    pub reader: String,
    pub job_id: String,
    pub kind: String,
    pub masked: bool,
    pub address: String,
    pub forwarded: Option<String>,
}

/// A confidential order: why, who marked it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrecy {
    pub job_id: String,
    pub reason: String,
    pub set_by: Actor,
    pub set_at: DateTime<Utc>,
}

/// An order's secrecy as stored.
pub(crate) struct SecrecyRow {
    pub job_id: String,
    pub confidential: bool,
    pub reason: String,
    pub set_by: String,
    pub set_at: String,
}

#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait AccessRecords {
    /// Appends rows (one statement per database where it can).
    async fn insert_access(&mut self, rows: &[AccessRow]) -> Result<()>;
    /// Which of these orders are confidential.
    async fn confidential_among(&mut self, job_ids: &[String]) -> Result<Vec<String>>;
    /// Marks or unmarks an order (one row per order, replaced).
    async fn set_secrecy(&mut self, row: &SecrecyRow) -> Result<()>;
    /// Orders marked confidential now, newest mark first.
    async fn confidential_orders(&mut self) -> Result<Vec<SecrecyRow>>;
    /// Whether HQ holds the order (dispatched, or waiting in the unassigned queue).
    async fn order_known(&mut self, job_id: &str) -> Result<bool>;
    /// Orders whose visit names a photo or signature image (optionally one technician's).
    async fn jobs_naming_blob(
        &mut self,
        sha256: &str,
        technician_id: Option<&str>,
    ) -> Result<Vec<String>>;
    /// The newest `limit` rows of an order, newest first.
    async fn access_of_job(&mut self, job_id: &str, limit: i64) -> Result<Vec<AccessRow>>;
    /// The newest `limit` rows of a reader, newest first.
    async fn access_of_reader(&mut self, reader: &str, limit: i64) -> Result<Vec<AccessRow>>;
}

/// Rows the access log page shows at most.
pub const PAGE_ROWS: usize = 500;

/// The access log's and secrecy's operations on HQ's database, each one transaction.
#[allow(clippy::too_many_arguments)] // a read: who, from where, what, which, how much they see, when
#[async_trait::async_trait]
pub trait AccessStore {
    /// Logs that `reader` read these orders (one row each, `masked` where
    /// `sight` masks it) and returns which of them are confidential. An
    /// error means nothing was logged: the caller must not show the data.
    async fn looked(
        &self,
        reader: &Reader,
        origin: &Origin,
        look: Look,
        job_ids: &[String],
        sight: Sight,
        now: DateTime<Utc>,
    ) -> Result<HashSet<String>>;
    /// Reads one order (of technician `scope` only, if given) and logs the
    /// read in the same transaction; the visit comes back with its
    /// customer's data withheld where `sight` masks it (and `true`).
    async fn read_order(
        &self,
        reader: &Reader,
        origin: &Origin,
        look: Look,
        job_id: &str,
        scope: Option<&str>,
        sight: Sight,
        now: DateTime<Utc>,
    ) -> Result<(Visit, bool)>;
    /// Creates an order already confidential, in one transaction (audited).
    async fn create_confidential_order(
        &self,
        by: &Actor,
        order: onsite_core::order::WorkOrder,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<crate::rules::OrderSummary>;
    /// Logs a read of a photo or signature image, against every order that
    /// names it (of `technician_id` only, for a phone).
    async fn looked_at_blob(
        &self,
        reader: &Reader,
        origin: &Origin,
        sha256: &str,
        technician_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// An order's access log, newest first.
    async fn access_of_order(&self, job_id: &str) -> Result<Vec<AccessEntry>>;
    /// A reader's access log, newest first.
    async fn access_of_reader(&self, reader: &Reader) -> Result<Vec<AccessEntry>>;
    /// Orders confidential now, newest mark first.
    async fn confidential_orders(&self) -> Result<Vec<Secrecy>>;
    /// Marks an order confidential (or not), with a reason; audited.
    async fn set_confidential(
        &self,
        by: &Actor,
        job_id: &str,
        confidential: bool,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
}

/// The `impl AccessStore` each database module invokes with its own `rule!` in scope.
macro_rules! access_operations {
    ($ty:ty) => {
        #[allow(clippy::too_many_arguments)]
        #[async_trait::async_trait]
        impl $crate::centre::access::AccessStore for $ty {
            async fn looked(
                &self,
                reader: &$crate::centre::access::Reader,
                origin: &$crate::centre::access::Origin,
                look: $crate::centre::access::Look,
                job_ids: &[String],
                sight: $crate::centre::access::Sight,
                now: DateTime<Utc>,
            ) -> Result<std::collections::HashSet<String>> {
                let (reader, origin, job_ids) = (reader.clone(), origin.clone(), job_ids.to_vec());
                rule!(self, |r| $crate::centre::access::looked(
                    r, &reader, &origin, look, &job_ids, sight, now
                ))
            }
            async fn read_order(
                &self,
                reader: &$crate::centre::access::Reader,
                origin: &$crate::centre::access::Origin,
                look: $crate::centre::access::Look,
                job_id: &str,
                scope: Option<&str>,
                sight: $crate::centre::access::Sight,
                now: DateTime<Utc>,
            ) -> Result<(onsite_core::visit::Visit, bool)> {
                let (reader, origin, job_id, scope) = (
                    reader.clone(),
                    origin.clone(),
                    job_id.to_owned(),
                    scope.map(str::to_owned),
                );
                rule!(self, |r| $crate::centre::access::read_order(
                    r,
                    &reader,
                    &origin,
                    look,
                    &job_id,
                    scope.as_deref(),
                    sight,
                    now
                ))
            }
            async fn create_confidential_order(
                &self,
                by: &$crate::centre::audit::Actor,
                order: onsite_core::order::WorkOrder,
                reason: &str,
                now: DateTime<Utc>,
            ) -> Result<$crate::rules::OrderSummary> {
                let (by, reason) = (by.clone(), reason.to_owned());
                rule!(self, |r| $crate::centre::access::create_confidential_order(
                    r, &by, order, &reason, now
                ))
            }
            async fn looked_at_blob(
                &self,
                reader: &$crate::centre::access::Reader,
                origin: &$crate::centre::access::Origin,
                sha256: &str,
                technician_id: Option<&str>,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (reader, origin, sha256, technician_id) = (
                    reader.clone(),
                    origin.clone(),
                    sha256.to_owned(),
                    technician_id.map(str::to_owned),
                );
                rule!(self, |r| $crate::centre::access::looked_at_blob(
                    r,
                    &reader,
                    &origin,
                    &sha256,
                    technician_id.as_deref(),
                    now
                ))
            }
            async fn access_of_order(
                &self,
                job_id: &str,
            ) -> Result<Vec<$crate::centre::access::AccessEntry>> {
                let job_id = job_id.to_owned();
                rule!(self, |r| $crate::centre::access::of_order(r, &job_id))
            }
            async fn access_of_reader(
                &self,
                reader: &$crate::centre::access::Reader,
            ) -> Result<Vec<$crate::centre::access::AccessEntry>> {
                let reader = reader.clone();
                rule!(self, |r| $crate::centre::access::of_reader(r, &reader))
            }
            async fn confidential_orders(&self) -> Result<Vec<$crate::centre::access::Secrecy>> {
                rule!(self, |r| $crate::centre::access::confidential_orders(r))
            }
            async fn set_confidential(
                &self,
                by: &$crate::centre::audit::Actor,
                job_id: &str,
                confidential: bool,
                reason: &str,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, job_id, reason) = (by.clone(), job_id.to_owned(), reason.to_owned());
                rule!(self, |r| $crate::centre::access::set_confidential(
                    r,
                    &by,
                    &job_id,
                    confidential,
                    &reason,
                    now
                ))
            }
        }
    };
}
pub(crate) use access_operations;

fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) async fn looked<R: Records>(
    r: &mut R,
    reader: &Reader,
    origin: &Origin,
    look: Look,
    job_ids: &[String],
    sight: Sight,
    now: DateTime<Utc>,
) -> Result<HashSet<String>> {
    let mut ids: Vec<String> = job_ids.to_vec();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let secret: HashSet<String> = r.confidential_among(&ids).await?.into_iter().collect();
    let (at, who, address) = (stamp(now), reader.as_stored(), origin.stored_address());
    let rows: Vec<AccessRow> = ids
        .into_iter()
        .map(|job_id| AccessRow {
            id: 0,
            at: at.clone(),
            reader: who.clone(),
            masked: sight.masks(secret.contains(&job_id)),
            job_id,
            kind: look.as_str().into(),
            address: address.clone(),
            forwarded: origin.forwarded.clone(),
        })
        .collect();
    r.insert_access(&rows).await?;
    Ok(secret)
}

pub(crate) async fn looked_at_blob<R: Records>(
    r: &mut R,
    reader: &Reader,
    origin: &Origin,
    sha256: &str,
    technician_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut jobs = r.jobs_naming_blob(sha256, technician_id).await?;
    if jobs.is_empty() {
        // Uploaded but not (yet) named by any order's visit: logged against
        // the blob itself, so the read is still on record.
        jobs.push(format!("blob:{sha256}"));
    }
    let look = match reader {
        Reader::Device(_) => Look::DeviceJob,
        _ => Look::ApiBlob,
    };
    looked(r, reader, origin, look, &jobs, Sight::Everything, now).await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)] // the operation's arguments, and the transaction
pub(crate) async fn read_order<R: Records>(
    r: &mut R,
    reader: &Reader,
    origin: &Origin,
    look: Look,
    job_id: &str,
    scope: Option<&str>,
    sight: Sight,
    now: DateTime<Utc>,
) -> Result<(Visit, bool)> {
    let mut v = crate::rules::get_order(r, job_id, scope).await?;
    let secret = looked(r, reader, origin, look, &[job_id.to_string()], sight, now).await?;
    let masked = sight.masks(secret.contains(job_id));
    if masked {
        withhold_customer(&mut v);
    }
    Ok((v, masked))
}

pub(crate) async fn create_confidential_order<R: Records>(
    r: &mut R,
    by: &Actor,
    order: onsite_core::order::WorkOrder,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<crate::rules::OrderSummary> {
    check_reason(reason)?;
    let job_id = order.job_id.clone();
    let out = crate::rules::create_order(r, order, now).await?;
    set_confidential(r, by, &job_id, true, reason, now).await?;
    Ok(out)
}

fn entry(row: AccessRow) -> Result<AccessEntry> {
    Ok(AccessEntry {
        id: row.id,
        at: DateTime::parse_from_rfc3339(&row.at)
            .map_err(|e| HqError::Internal(format!("stored access time: {e}")))?
            .with_timezone(&Utc),
        reader: Reader::parse(&row.reader)
            .ok_or_else(|| HqError::Internal(format!("stored reader {:?}", row.reader)))?,
        job_id: row.job_id,
        kind: row.kind,
        masked: row.masked,
        address: row.address,
        forwarded: row.forwarded,
    })
}

fn page_limit() -> i64 {
    i64::try_from(PAGE_ROWS).unwrap_or(500)
}

pub(crate) async fn of_order<R: Records>(r: &mut R, job_id: &str) -> Result<Vec<AccessEntry>> {
    r.access_of_job(job_id, page_limit())
        .await?
        .into_iter()
        .map(entry)
        .collect()
}

pub(crate) async fn of_reader<R: Records>(r: &mut R, reader: &Reader) -> Result<Vec<AccessEntry>> {
    r.access_of_reader(&reader.as_stored(), page_limit())
        .await?
        .into_iter()
        .map(entry)
        .collect()
}

pub(crate) async fn confidential_orders<R: Records>(r: &mut R) -> Result<Vec<Secrecy>> {
    r.confidential_orders()
        .await?
        .into_iter()
        .map(|row| {
            Ok(Secrecy {
                set_at: DateTime::parse_from_rfc3339(&row.set_at)
                    .map_err(|e| HqError::Internal(format!("stored secrecy time: {e}")))?
                    .with_timezone(&Utc),
                set_by: Actor::parse(&row.set_by)
                    .ok_or_else(|| HqError::Internal(format!("stored actor {:?}", row.set_by)))?,
                job_id: row.job_id,
                reason: row.reason,
            })
        })
        .collect()
}

/// Longest reason for marking an order confidential.
pub const MAX_REASON_CHARS: usize = 200;

/// The reason a confidential mark needs: 1 to [`MAX_REASON_CHARS`]
/// characters, not all blank (pages escape what they show of it).
pub fn check_reason(reason: &str) -> Result<()> {
    let n = reason.trim().chars().count();
    if n == 0 || n > MAX_REASON_CHARS {
        return Err(HqError::BadRequest(format!(
            "a reason of 1 to {MAX_REASON_CHARS} characters is needed"
        )));
    }
    Ok(())
}

pub(crate) async fn set_confidential<R: Records>(
    r: &mut R,
    by: &Actor,
    job_id: &str,
    confidential: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    check_reason(reason)?;
    if !r.order_known(job_id).await? {
        return Err(HqError::NotFound(format!("order {job_id}")));
    }
    let reason = reason.trim();
    r.set_secrecy(&SecrecyRow {
        job_id: job_id.into(),
        confidential,
        reason: reason.into(),
        set_by: by.as_stored(),
        set_at: stamp(now),
    })
    .await?;
    let action = if confidential {
        "order.confidential"
    } else {
        "order.unconfidential"
    };
    audit::record(r, by, action, Some(job_id), reason, now).await
}

/// Whether a person of `role` sees a confidential order's customer data.
pub fn sees_confidential(role: Role) -> bool {
    allows(role, Action::SeeConfidential)
}

/// The masking rules are the core's, one copy for the phone and HQ:
/// `王**`, `138****8000`, a place down to its building (`3栋**`).
pub use onsite_core::privacy::{mask_name, mask_phone, short_location as short_address};

/// List lines as `role` may see them: a confidential order's customer and
/// place masked unless the role sees confidential orders.
pub fn mask_lines(lines: &mut [OrderLine], secret: &HashSet<String>, role: Role) {
    if sees_confidential(role) {
        return;
    }
    for l in lines.iter_mut().filter(|l| secret.contains(&l.job_id)) {
        l.customer_name = mask_name(&l.customer_name);
        l.location = short_address(&l.location);
    }
}

/// Reception's calls as `role` may see them: a call written into a
/// confidential order shows its caller and phone masked and its place short.
pub fn mask_calls(calls: &mut [Call], secret: &HashSet<String>, role: Role) {
    if sees_confidential(role) {
        return;
    }
    for c in calls
        .iter_mut()
        .filter(|c| c.job_id.as_ref().is_some_and(|j| secret.contains(j)))
    {
        c.call.caller = mask_name(&c.call.caller);
        c.call.phone = mask_phone(&c.call.phone);
        c.call.location = short_address(&c.call.location);
    }
}

/// Complaints as `role` may see them: one about a confidential order shows
/// its customer's name and phone masked.
pub fn mask_complaints(
    book: &mut [crate::centre::complaints::Complaint],
    secret: &HashSet<String>,
    role: Role,
) {
    if sees_confidential(role) {
        return;
    }
    for k in book
        .iter_mut()
        .filter(|k| k.job_id.as_ref().is_some_and(|j| secret.contains(j)))
    {
        k.customer_name = mask_name(&k.customer_name);
        k.customer_phone = mask_phone(&k.customer_phone);
    }
}

/// The visit with its customer's personal data withheld: name and phone
/// masked, the place shortened, the names the customer gave (consent,
/// concessions, signature) masked, the signature's strokes and the
/// customer's comment and invoice title emptied. What was done, charged
/// and when stays.
pub fn withhold_customer(v: &mut Visit) {
    let o = &mut v.order;
    o.customer.name = mask_name(&o.customer.name);
    o.customer.phone = mask_phone(&o.customer.phone);
    o.location = short_address(&o.location);
    if let Some(c) = v.consent.as_mut() {
        c.customer_name = mask_name(&c.customer_name);
    }
    for m in &mut v.materials {
        if let Some(c) = m.concession.as_mut() {
            c.customer_name = mask_name(&c.customer_name);
        }
    }
    if let Some(a) = v.acceptance.as_mut() {
        a.comment = String::new();
        if let onsite_core::visit::SignOff::Signed { signature } = &mut a.sign_off {
            signature.signer_name = mask_name(&signature.signer_name);
            signature.ink = String::new();
        }
    }
    if let Some(i) = v.invoice.as_mut() {
        i.title = mask_name(&i.title);
        i.tax_number = String::new();
        if let onsite_core::charge::InvoiceDelivery::Post { address } = &mut i.delivery {
            *address = short_address(address);
        }
    }
}

/// An order's file with its customer's personal data withheld
/// ([`withhold_customer`]; the complaints' names and phones masked too).
pub fn withhold_dossier(d: &mut crate::centre::dossier::Dossier) {
    withhold_customer(&mut d.visit);
    for c in &mut d.complaints {
        c.customer_name = mask_name(&c.customer_name);
        c.customer_phone = mask_phone(&c.customer_phone);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_phone("138-0013-8000"), "138****8000");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(short_address("3栋2单元501"), "3栋**");
        assert_eq!(short_address("大堂"), "**");
    }

    #[test]
    fn readers_and_looks_round_trip() {
        for r in [
            Reader::Person("a".into()),
            Reader::Key("k".into()),
            Reader::Device("d".into()),
            Reader::Operator,
        ] {
            assert_eq!(Reader::parse(&r.as_stored()), Some(r));
        }
        for l in Look::ALL {
            assert_eq!(Look::parse(l.as_str()), Some(l));
        }
    }

    #[test]
    fn a_reason_is_needed() {
        assert!(check_reason(" ").is_err());
        assert!(check_reason("VIP").is_ok());
        assert!(check_reason(&"x".repeat(201)).is_err());
    }
}
