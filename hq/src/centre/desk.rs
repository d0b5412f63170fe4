//! The front desk: calls and visits received (每日业户接待情况表), orders written from them, the unassigned queue, order search and the dispatch board.
//!
//! 「热线电话接听人员必须立即填写业户所反映之详情在《每日业户接待情况表》,并确定记录业户来电时间及重要资讯」
//! (property book 2.2): a call is recorded at once, with its time, and may
//! become a work order. An order written without a technician waits in the
//! unassigned queue (its own table: `orders` is what phones are fed from).
//!
//! Lists never read an order's JSON: `orders` carries projected, indexed
//! columns ([`Projection`]) written with every insert and update, so the
//! board and the search stay fast with a million orders.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onsite_core::checklist::Category;
use onsite_core::order::WorkOrder;
use onsite_core::service_line::ServiceLine;
use onsite_core::visit::{RescheduleConsent, Status, Visit};
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::rules;
use crate::storage::records::Records;

/// How a customer reached the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Visit,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Visit => "visit",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Phone, Channel::Visit]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// A call or visit as the person at the desk records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCall {
    pub channel: Channel,
    pub caller: String,
    pub phone: String,
    pub site: String,
    pub location: String,
    pub category: Category,
    /// What they want (反映事项), in their words.
    pub request: String,
}

/// A recorded call or visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub call: NewCall,
    /// The recorder's display name.
    pub recorded_by: String,
    /// The order written from it, if any.
    pub job_id: Option<String>,
}

/// A call's row.
pub(crate) struct CallRow {
    pub id: i64,
    pub received_at: String,
    pub day: String,
    pub channel: String,
    pub caller: String,
    pub phone: String,
    pub site: String,
    pub location: String,
    pub category: String,
    pub request: String,
    pub recorded_by: String,
    pub job_id: Option<String>,
}

/// What lists show of an order, from `orders`' projected columns (or the
/// unassigned queue's), never from its JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub job_id: String,
    /// None: waiting in the unassigned queue.
    pub technician_id: Option<String>,
    /// None: unassigned (no visit yet).
    pub status: Option<Status>,
    pub awaiting_approval: bool,
    pub appointment_at: DateTime<Utc>,
    pub reported_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub urgent: bool,
    pub customer_name: String,
    pub site: String,
    pub location: String,
}

/// A line's row as stored (times as text).
pub(crate) struct LineRow {
    pub job_id: String,
    pub technician_id: Option<String>,
    pub status: Option<String>,
    pub awaiting_approval: bool,
    pub appointment_at: String,
    pub reported_at: String,
    pub due_at: String,
    pub arrived_at: Option<String>,
    pub urgent: bool,
    pub customer_name: String,
    pub site: String,
    pub location: String,
}

/// The columns of `orders` (and of the unassigned queue) lists are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Projection {
    /// The appointment's day in China, `YYYY-MM-DD`.
    pub appointment_day: String,
    pub appointment_at: String,
    pub reported_at: String,
    /// The latest on-time arrival ([`due_at`]).
    pub due_at: String,
    pub customer_name: String,
    pub phone_digits: String,
    pub site: String,
    pub location: String,
    pub urgent: bool,
    pub arrived_at: Option<String>,
    pub awaiting_approval: bool,
}

/// What the search looks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// An order number, a customer's name, phone digits or a room (prefixes).
    pub q: String,
    /// Only orders with an appointment on this day (China).
    pub day: Option<NaiveDate>,
    /// Page number, from 0.
    pub page: u32,
}

/// Results per search page.
pub const PAGE: i64 = 50;

/// Above this many matches a search is broad (a surname alone, a year's
/// order numbers): collecting every match to sort them would cost hundreds
/// of milliseconds with a million orders, so the newest orders are walked
/// instead, newest first, until a page is full.
pub(crate) const BROAD: i64 = 500;
/// How many of the newest orders a broad search walks before it falls back
/// to collecting every match (matches that are all old are rare and slow).
pub(crate) const RECENT: i64 = 20_000;

/// The query as the SQL takes it.
pub(crate) struct SearchRow {
    pub text: Option<String>,
    pub digits: Option<String>,
    pub day: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The board's columns, each one or more of core's visit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Column {
    Dispatched,
    EnRoute,
    OnSite,
    /// An off-schedule quote line waits for its approval code, or a
    /// disputed charge for the centre's decision.
    WaitingApproval,
    Done,
    HandedOver,
    /// Back at HQ: nobody at home, or the quote declined.
    Returned,
    Cancelled,
}

impl Column {
    pub const ALL: [Column; 8] = [
        Column::Dispatched,
        Column::EnRoute,
        Column::OnSite,
        Column::WaitingApproval,
        Column::Done,
        Column::HandedOver,
        Column::Returned,
        Column::Cancelled,
    ];

    /// Where an order of `status` stands on the board.
    pub fn of(status: Status, awaiting_approval: bool) -> Column {
        if awaiting_approval && status.hq_may_change() && status != Status::Cancelled {
            return Column::WaitingApproval;
        }
        match status {
            Status::Dispatched | Status::Accepted => Column::Dispatched,
            Status::EnRoute => Column::EnRoute,
            Status::Arrived
            | Status::Assessed
            | Status::Quoted
            | Status::Consented
            | Status::InProgress => Column::OnSite,
            Status::WorkDone | Status::CustomerAccepted | Status::Settled => Column::Done,
            Status::HandedOver => Column::HandedOver,
            Status::NoAccess | Status::Declined => Column::Returned,
            Status::Cancelled => Column::Cancelled,
        }
    }
}

/// A technician's counts on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianRow {
    pub technician_id: String,
    pub name: String,
    /// The newest `last_seen_at` of their devices.
    pub last_sync: Option<DateTime<Utc>>,
    pub counts: Vec<(Column, i64)>,
}

/// The dispatch board of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub day: NaiveDate,
    pub technicians: Vec<TechnicianRow>,
    /// Orders waiting for a technician (any day), oldest appointment first.
    pub unassigned: Vec<OrderLine>,
    /// Orders of the day that are late, urgent and not yet on site, or wait for an approval.
    pub attention: Vec<OrderLine>,
    /// One technician's orders of the day, if asked for.
    pub lines: Vec<OrderLine>,
}

/// Lines a board list shows at most (the rest are counted, not listed).
pub const BOARD_LIST: i64 = 100;

/// The board's rows as stored.
pub(crate) struct TechnicianSync {
    pub technician_id: String,
    pub name: String,
    pub last_seen_at: Option<String>,
}

#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait DeskRecords {
    /// The next order number of a China day (1, 2, ...): a counter row
    /// incremented in this transaction, so two HQ processes never share one.
    async fn next_order_number(&mut self, day: &str) -> Result<i64>;
    async fn insert_call(&mut self, c: &CallRow) -> Result<i64>;
    async fn calls_of_day(&mut self, day: &str) -> Result<Vec<CallRow>>;
    async fn call(&mut self, id: i64) -> Result<Option<CallRow>>;
    async fn link_call(&mut self, id: i64, job_id: &str) -> Result<()>;
    async fn insert_unassigned(
        &mut self,
        job_id: &str,
        order: &str,
        p: &Projection,
        at: &str,
    ) -> Result<()>;
    /// Removes an order from the unassigned queue, returning it (JSON).
    async fn take_unassigned(&mut self, job_id: &str) -> Result<Option<String>>;
    /// The queue, oldest appointment first.
    async fn unassigned(&mut self, limit: i64) -> Result<Vec<LineRow>>;
    /// Orders and queued orders matching, newest call first.
    async fn search_orders(&mut self, s: &SearchRow) -> Result<Vec<LineRow>>;
    /// How many orders and queued orders match `s.text`/`s.digits` (no day),
    /// counted per indexed column up to `cap` each (so at least the distinct
    /// count, and cheap whatever the number of matches).
    async fn count_matches(&mut self, s: &SearchRow, cap: i64) -> Result<i64>;
    /// When the `depth`-th newest order was reported (None: fewer orders).
    async fn reported_cutoff(&mut self, depth: i64) -> Result<Option<String>>;
    /// The newest `s.limit` matches among orders reported at or after
    /// `since` and every queued order, newest first (`s.offset` ignored):
    /// a walk down the reported-time index, stopping when the page is full.
    async fn search_recent(&mut self, s: &SearchRow, since: &str) -> Result<Vec<LineRow>>;
    /// (technician, status, awaiting approval, count) of a day's orders.
    async fn board_counts(&mut self, day: &str) -> Result<Vec<(String, String, bool, i64)>>;
    /// A day's orders needing attention at `now`: not yet arrived past their
    /// due time, arrived late, or waiting for an approval.
    async fn board_attention(&mut self, day: &str, now: &str, limit: i64) -> Result<Vec<LineRow>>;
    /// One technician's orders of a day, by appointment.
    async fn board_lines(
        &mut self,
        day: &str,
        technician_id: &str,
        limit: i64,
    ) -> Result<Vec<LineRow>>;
    /// Every technician with the newest contact of their devices.
    async fn technicians_sync(&mut self) -> Result<Vec<TechnicianSync>>;
}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait DeskStore {
    /// Records a call or visit (audited `call.record`); returns its id.
    async fn record_call(
        &self,
        by: &Actor,
        recorded_by: &str,
        call: NewCall,
        now: DateTime<Utc>,
    ) -> Result<i64>;
    /// A China day's calls, oldest first.
    async fn calls(&self, day: NaiveDate) -> Result<Vec<Call>>;
    async fn call(&self, id: i64) -> Result<Call>;
    /// Writes an order (HQ numbers it; `order.job_id`, `dispatched_at` and
    /// `recorder` are set here), dispatched to `order.technician_id` or, if
    /// that is empty, queued unassigned; the call it came from is linked.
    /// Audited `order.create`. Returns the order number.
    async fn write_order(
        &self,
        by: &Actor,
        recorder: &str,
        order: WorkOrder,
        call: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<String>;
    /// Dispatches a queued order (audited `order.assign`).
    async fn assign_queued(
        &self,
        by: &Actor,
        job_id: &str,
        technician_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Gives a dispatched order to another technician (audited `order.reassign`).
    async fn reassign_order(
        &self,
        by: &Actor,
        job_id: &str,
        technician_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Moves the appointment with the customer's consent (audited `order.reschedule`).
    async fn reschedule_order(
        &self,
        by: &Actor,
        job_id: &str,
        at: DateTime<Utc>,
        reason: &str,
        consent: RescheduleConsent,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Cancels a dispatched or queued order (audited `order.cancel`).
    async fn cancel_order(
        &self,
        by: &Actor,
        job_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    async fn search_orders(&self, search: Search) -> Result<Vec<OrderLine>>;
    /// Every technician with their last sync (no counts): for the forms.
    async fn technicians(&self) -> Result<Vec<TechnicianRow>>;
    /// The board of a China day; `technician` lists that technician's orders.
    async fn board(
        &self,
        day: NaiveDate,
        technician: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Board>;
}

/// The `impl DeskStore` each database module invokes with its own `rule!` in scope.
macro_rules! desk_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::desk::DeskStore for $ty {
            async fn record_call(
                &self,
                by: &$crate::centre::audit::Actor,
                recorded_by: &str,
                call: $crate::centre::desk::NewCall,
                now: DateTime<Utc>,
            ) -> Result<i64> {
                let (by, recorded_by) = (by.clone(), recorded_by.to_owned());
                rule!(self, |r| $crate::centre::desk::record_call(
                    r,
                    &by,
                    &recorded_by,
                    &call,
                    now
                ))
            }
            async fn calls(
                &self,
                day: chrono::NaiveDate,
            ) -> Result<Vec<$crate::centre::desk::Call>> {
                rule!(self, |r| $crate::centre::desk::calls(r, day))
            }
            async fn call(&self, id: i64) -> Result<$crate::centre::desk::Call> {
                rule!(self, |r| $crate::centre::desk::call(r, id))
            }
            async fn write_order(
                &self,
                by: &$crate::centre::audit::Actor,
                recorder: &str,
                order: onsite_core::order::WorkOrder,
                call: Option<i64>,
                now: DateTime<Utc>,
            ) -> Result<String> {
                let (by, recorder) = (by.clone(), recorder.to_owned());
                rule!(self, |r| $crate::centre::desk::write_order(
                    r, &by, &recorder, order, call, now
                ))
            }
            async fn assign_queued(
                &self,
                by: &$crate::centre::audit::Actor,
                job_id: &str,
                technician_id: &str,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, job_id, tech) = (by.clone(), job_id.to_owned(), technician_id.to_owned());
                rule!(self, |r| $crate::centre::desk::assign_queued(
                    r, &by, &job_id, &tech, now
                ))
            }
            async fn reassign_order(
                &self,
                by: &$crate::centre::audit::Actor,
                job_id: &str,
                technician_id: &str,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, job_id, tech) = (by.clone(), job_id.to_owned(), technician_id.to_owned());
                rule!(self, |r| $crate::centre::desk::reassign_order(
                    r, &by, &job_id, &tech, now
                ))
            }
            async fn reschedule_order(
                &self,
                by: &$crate::centre::audit::Actor,
                job_id: &str,
                at: DateTime<Utc>,
                reason: &str,
                consent: onsite_core::visit::RescheduleConsent,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, job_id, reason) = (by.clone(), job_id.to_owned(), reason.to_owned());
                rule!(self, |r| $crate::centre::desk::reschedule_order(
                    r, &by, &job_id, at, &reason, &consent, now
                ))
            }
            async fn cancel_order(
                &self,
                by: &$crate::centre::audit::Actor,
                job_id: &str,
                reason: &str,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (by, job_id, reason) = (by.clone(), job_id.to_owned(), reason.to_owned());
                rule!(self, |r| $crate::centre::desk::cancel_order(
                    r, &by, &job_id, &reason, now
                ))
            }
            async fn search_orders(
                &self,
                search: $crate::centre::desk::Search,
            ) -> Result<Vec<$crate::centre::desk::OrderLine>> {
                rule!(self, |r| $crate::centre::desk::search(r, &search))
            }
            async fn technicians(&self) -> Result<Vec<$crate::centre::desk::TechnicianRow>> {
                rule!(self, |r| $crate::centre::desk::technicians(r))
            }
            async fn board(
                &self,
                day: chrono::NaiveDate,
                technician: Option<String>,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::desk::Board> {
                rule!(self, |r| $crate::centre::desk::board(
                    r,
                    day,
                    technician.as_deref(),
                    now
                ))
            }
        }
    };
}
pub(crate) use desk_operations;

// --- the books' windows -------------------------------------------------------------------

/// The latest on-time arrival of an order, from its service line's window:
/// 「必須按約定時間到達(±5分鐘)」 (property book 4.3.3);
/// urgent: 「如客戶要求馬上上門則必須在30分鐘內到達現場」 (property book 4.2.2),
/// counted from the customer's call.
pub fn due_at(order: &WorkOrder) -> DateTime<Utc> {
    due(
        order.category,
        order.urgent,
        order.reported_at,
        order.appointment_at,
    )
}

/// [`due_at`] of an order of `category` called in at `reported_at`.
pub fn due(
    category: Category,
    urgent: bool,
    reported_at: DateTime<Utc>,
    appointment_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let (to_min, urgent_min) = ServiceLine::of(category).map_or((5, 30), |l| {
        (l.arrival.on_time_to_min, l.arrival.urgent_within_min)
    });
    if urgent {
        reported_at + Duration::minutes(urgent_min)
    } else {
        appointment_at + Duration::minutes(to_min)
    }
}

/// What the board flags on an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// Arrived after its due time, or not there and the due time has passed.
    pub late: bool,
    /// Urgent and not yet on site (the 30-minute clock runs).
    pub urgent_open: bool,
}

/// The board's flags of an order at `now`: late against its due time
/// ([`due_at`]); an urgent order stands out until the technician is there.
pub fn flags(line: &OrderLine, now: DateTime<Utc>) -> Flags {
    let open = matches!(
        line.status,
        None | Some(Status::Dispatched | Status::Accepted | Status::EnRoute)
    );
    let late = match line.arrived_at {
        Some(a) => a > line.due_at,
        None => open && now > line.due_at,
    };
    Flags {
        late,
        urgent_open: line.urgent && open && line.arrived_at.is_none(),
    }
}

// --- projections --------------------------------------------------------------------------

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_stamp(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| HqError::Internal(format!("stored time {s:?}: {e}")))
}

/// A China day.
pub fn china_day(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::hours(8)).date_naive()
}

/// Only the digits of a phone number, as search compares them.
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn order_projection(o: &WorkOrder) -> Projection {
    Projection {
        appointment_day: china_day(o.appointment_at).to_string(),
        appointment_at: stamp(o.appointment_at),
        reported_at: stamp(o.reported_at),
        due_at: stamp(due_at(o)),
        customer_name: o.customer.name.trim().to_string(),
        phone_digits: digits(&o.customer.phone),
        site: o.site.clone(),
        location: o.location.trim().to_string(),
        urgent: o.urgent,
        arrived_at: None,
        awaiting_approval: false,
    }
}

/// The projected columns of an order as `orders` stores it (its visit as
/// JSON): written by every insert and update of `orders`.
pub(crate) fn project(visit_json: &str) -> Result<Projection> {
    let v: Visit = serde_json::from_str(visit_json)?;
    Ok(project_visit(&v))
}

/// [`project`] of a visit already decoded (a push holds its orders decoded).
pub(crate) fn project_visit(v: &Visit) -> Projection {
    let mut p = order_projection(&v.order);
    p.arrived_at = v.arrived_at.map(stamp);
    p.awaiting_approval = v
        .quote_lines
        .iter()
        .any(|l| l.needs_approval() && l.approval.is_none())
        || (v.charge_dispute.is_some() && v.charge_instruction.is_none());
    p
}

fn line(row: LineRow) -> Result<OrderLine> {
    Ok(OrderLine {
        status: match &row.status {
            Some(s) => Some(
                Status::parse(s)
                    .ok_or_else(|| HqError::Internal(format!("stored status {s:?}")))?,
            ),
            None => None,
        },
        job_id: row.job_id,
        technician_id: row.technician_id,
        awaiting_approval: row.awaiting_approval,
        appointment_at: parse_stamp(&row.appointment_at)?,
        reported_at: parse_stamp(&row.reported_at)?,
        due_at: parse_stamp(&row.due_at)?,
        arrived_at: row.arrived_at.as_deref().map(parse_stamp).transpose()?,
        urgent: row.urgent,
        customer_name: row.customer_name,
        site: row.site,
        location: row.location,
    })
}

// --- checks -------------------------------------------------------------------------------

/// A text a person typed: at most `max` characters, no control characters
/// (a long text may have line breaks); `required` ones are not blank.
pub fn check_text(what: &str, s: &str, max: usize, required: bool) -> Result<()> {
    if required && s.trim().is_empty() {
        return Err(HqError::BadRequest(format!("{what} is empty")));
    }
    if s.chars().count() > max {
        return Err(HqError::BadRequest(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(HqError::BadRequest(format!(
            "{what} has control characters"
        )));
    }
    Ok(())
}

fn check_call(c: &NewCall) -> Result<()> {
    check_text("the caller", &c.caller, 100, true)?;
    check_text("the phone", &c.phone, 40, false)?;
    check_text("the site", &c.site, 200, false)?;
    check_text("the room or location", &c.location, 200, false)?;
    check_text("what they want", &c.request, 4000, true)
}

// --- the rules ----------------------------------------------------------------------------

pub(crate) async fn record_call<R: Records>(
    r: &mut R,
    by: &Actor,
    recorded_by: &str,
    c: &NewCall,
    now: DateTime<Utc>,
) -> Result<i64> {
    check_call(c)?;
    let row = CallRow {
        id: 0,
        received_at: stamp(now),
        day: china_day(now).to_string(),
        channel: c.channel.as_str().into(),
        caller: c.caller.trim().into(),
        phone: c.phone.trim().into(),
        site: c.site.trim().into(),
        location: c.location.trim().into(),
        category: c.category.as_str().into(),
        request: c.request.trim().into(),
        recorded_by: recorded_by.into(),
        job_id: None,
    };
    let id = r.insert_call(&row).await?;
    audit::record(r, by, "call.record", None, &format!("call {id}"), now).await?;
    Ok(id)
}

fn call_of(row: CallRow) -> Result<Call> {
    Ok(Call {
        id: row.id,
        received_at: parse_stamp(&row.received_at)?,
        call: NewCall {
            channel: Channel::parse(&row.channel)
                .ok_or_else(|| HqError::Internal(format!("stored channel {:?}", row.channel)))?,
            category: Category::ALL
                .into_iter()
                .find(|c| c.as_str() == row.category)
                .ok_or_else(|| HqError::Internal(format!("stored category {:?}", row.category)))?,
            caller: row.caller,
            phone: row.phone,
            site: row.site,
            location: row.location,
            request: row.request,
        },
        recorded_by: row.recorded_by,
        job_id: row.job_id,
    })
}

pub(crate) async fn calls<R: Records>(r: &mut R, day: NaiveDate) -> Result<Vec<Call>> {
    r.calls_of_day(&day.to_string())
        .await?
        .into_iter()
        .map(call_of)
        .collect()
}

pub(crate) async fn call<R: Records>(r: &mut R, id: i64) -> Result<Call> {
    call_of(
        r.call(id)
            .await?
            .ok_or_else(|| HqError::NotFound(format!("call {id}")))?,
    )
}

/// The order number of the `n`th order of a China day: `WO-YYYYMMDD-NNNN`.
pub fn order_number(day: NaiveDate, n: i64) -> String {
    format!("WO-{}-{n:04}", day.format("%Y%m%d"))
}

pub(crate) async fn write_order<R: Records>(
    r: &mut R,
    by: &Actor,
    recorder: &str,
    mut order: WorkOrder,
    call_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<String> {
    let day = china_day(now);
    let n = r.next_order_number(&day.to_string()).await?;
    order.job_id = order_number(day, n);
    order.dispatched_at = now;
    order.recorder = recorder.to_string();
    let job_id = order.job_id.clone();
    if let Some(id) = call_id {
        let c = call(r, id).await?;
        if c.job_id.is_some() {
            return Err(HqError::Conflict(format!("call {id} already has an order")));
        }
        r.link_call(id, &job_id).await?;
    }
    let detail = if order.technician_id.is_empty() {
        // Validated as dispatched orders are, with a stand-in technician.
        let mut check = order.clone();
        check.technician_id = "unassigned".into();
        check.validate()?;
        r.insert_unassigned(
            &job_id,
            &serde_json::to_string(&order)?,
            &order_projection(&order),
            &stamp(now),
        )
        .await?;
        "unassigned".to_string()
    } else {
        let tech = order.technician_id.clone();
        rules::create_order(r, order, now).await?;
        format!("technician {tech}")
    };
    audit::record(r, by, "order.create", Some(&job_id), &detail, now).await?;
    Ok(job_id)
}

pub(crate) async fn assign_queued<R: Records>(
    r: &mut R,
    by: &Actor,
    job_id: &str,
    technician_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let json = r
        .take_unassigned(job_id)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("unassigned order {job_id}")))?;
    let mut order: WorkOrder = serde_json::from_str(&json)?;
    order.technician_id = technician_id.to_string();
    order.dispatched_at = now;
    rules::create_order(r, order, now).await?;
    audit::record(
        r,
        by,
        "order.assign",
        Some(job_id),
        &format!("technician {technician_id}"),
        now,
    )
    .await
}

pub(crate) async fn reassign_order<R: Records>(
    r: &mut R,
    by: &Actor,
    job_id: &str,
    technician_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = r
        .order(job_id)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("order {job_id}")))?
        .technician_id;
    rules::assign(r, job_id, technician_id, now).await?;
    audit::record(
        r,
        by,
        "order.reassign",
        Some(job_id),
        &format!("{before} → {technician_id}"),
        now,
    )
    .await
}

pub(crate) async fn reschedule_order<R: Records>(
    r: &mut R,
    by: &Actor,
    job_id: &str,
    at: DateTime<Utc>,
    reason: &str,
    consent: &RescheduleConsent,
    now: DateTime<Utc>,
) -> Result<()> {
    check_text("the reason", reason, 500, true)?;
    check_text("who agreed", &consent.agreed_by, 100, true)?;
    rules::reschedule(r, job_id, at, reason, Some(consent), now).await?;
    // The trail is append-only and outlives retention: who agreed (a
    // customer's name) stays in the order, which retention anonymises.
    audit::record(
        r,
        by,
        "order.reschedule",
        Some(job_id),
        &format!(
            "{} ({})",
            stamp(at),
            consent.channel.label(onsite_core::locale::Lang::ZhCn)
        ),
        now,
    )
    .await
}

pub(crate) async fn cancel_order<R: Records>(
    r: &mut R,
    by: &Actor,
    job_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    check_text("the reason", reason, 500, true)?;
    if r.take_unassigned(job_id).await?.is_none() {
        rules::cancel(r, job_id, reason.trim(), now).await?;
    }
    audit::record(r, by, "order.cancel", Some(job_id), reason.trim(), now).await
}

pub(crate) async fn search<R: Records>(r: &mut R, s: &Search) -> Result<Vec<OrderLine>> {
    check_text("the search", &s.q, 100, false)?;
    let q = s.q.trim();
    let d = digits(q);
    // Digits alone (with spaces, dashes, a plus) are a phone number.
    let phone_like = d.len() >= 3 && q.chars().all(|c| c.is_ascii_digit() || " -+()".contains(c));
    let row = SearchRow {
        text: (!q.is_empty()).then(|| q.to_string()),
        digits: phone_like.then_some(d),
        day: s.day.map(|d| d.to_string()),
        limit: PAGE,
        offset: i64::from(s.page.min(1000)) * PAGE,
    };
    if let Some(rows) = search_broad(r, &row).await? {
        return rows.into_iter().map(line).collect();
    }
    r.search_orders(&row).await?.into_iter().map(line).collect()
}

/// A broad search's page from the newest orders, or None when the search
/// is narrow (its matches are collected and sorted, which is cheap) or the
/// newest [`RECENT`] orders do not fill the page exactly. Either way the
/// page is the same: the newest matches, newest first.
async fn search_broad<R: Records>(r: &mut R, row: &SearchRow) -> Result<Option<Vec<LineRow>>> {
    if row.text.is_none() || row.day.is_some() || r.count_matches(row, BROAD + 1).await? <= BROAD {
        return Ok(None);
    }
    // Fewer orders than that: walk them all ("" is before every time).
    let since = r.reported_cutoff(RECENT).await?.unwrap_or_default();
    let window = SearchRow {
        text: row.text.clone(),
        digits: row.digits.clone(),
        day: None,
        limit: row.limit + row.offset,
        offset: 0,
    };
    let found = r.search_recent(&window, &since).await?;
    // Exact only if the page is full and its last line is within the walked
    // orders: an older order could otherwise rank above a queued one.
    let full = usize::try_from(window.limit).is_ok_and(|n| found.len() >= n)
        && found
            .last()
            .is_some_and(|l| l.reported_at.as_str() >= since.as_str());
    if !full {
        return Ok(None);
    }
    let skip = usize::try_from(row.offset).unwrap_or(0);
    Ok(Some(found.into_iter().skip(skip).collect()))
}

pub(crate) async fn technicians<R: Records>(r: &mut R) -> Result<Vec<TechnicianRow>> {
    r.technicians_sync()
        .await?
        .into_iter()
        .map(|t| {
            Ok(TechnicianRow {
                last_sync: t.last_seen_at.as_deref().map(parse_stamp).transpose()?,
                technician_id: t.technician_id,
                name: t.name,
                counts: Vec::new(),
            })
        })
        .collect()
}

pub(crate) async fn board<R: Records>(
    r: &mut R,
    day: NaiveDate,
    technician: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Board> {
    let d = day.to_string();
    let mut technicians = technicians(r).await?;
    for (tech, status, awaiting, n) in r.board_counts(&d).await? {
        let status = Status::parse(&status)
            .ok_or_else(|| HqError::Internal(format!("stored status {status:?}")))?;
        let col = Column::of(status, awaiting);
        if let Some(t) = technicians.iter_mut().find(|t| t.technician_id == tech) {
            match t.counts.iter_mut().find(|(c, _)| *c == col) {
                Some((_, k)) => *k += n,
                None => t.counts.push((col, n)),
            }
        }
    }
    let unassigned = r
        .unassigned(BOARD_LIST)
        .await?
        .into_iter()
        .map(line)
        .collect::<Result<_>>()?;
    let attention = r
        .board_attention(&d, &stamp(now), BOARD_LIST)
        .await?
        .into_iter()
        .map(line)
        .collect::<Result<_>>()?;
    let lines = match technician {
        Some(t) => r
            .board_lines(&d, t, 500)
            .await?
            .into_iter()
            .map(line)
            .collect::<Result<_>>()?,
        None => Vec::new(),
    };
    Ok(Board {
        day,
        technicians,
        unassigned,
        attention,
        lines,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn order_line(urgent: bool, arrived: Option<&str>, status: Option<Status>) -> OrderLine {
        let (reported, appointment) = (t("2026-11-28T01:00:00Z"), t("2026-11-28T02:00:00Z"));
        OrderLine {
            job_id: "WO-1".into(),
            technician_id: Some("T1".into()),
            status,
            awaiting_approval: false,
            appointment_at: appointment,
            reported_at: reported,
            due_at: due(Category::PropertyRepair, urgent, reported, appointment),
            arrived_at: arrived.map(t),
            urgent,
            customer_name: String::new(),
            site: String::new(),
            location: String::new(),
        }
    }

    #[test]
    fn an_appointment_is_late_five_minutes_after_it() {
        let open = order_line(false, None, Some(Status::EnRoute));
        assert!(
            !flags(&open, t("2026-11-28T02:05:00Z")).late,
            "at +5 min: on time"
        );
        assert!(
            flags(&open, t("2026-11-28T02:05:01Z")).late,
            "after +5 min: late"
        );
        let came = order_line(false, Some("2026-11-28T02:04:59Z"), Some(Status::Arrived));
        assert!(!flags(&came, t("2026-11-28T05:00:00Z")).late);
        let came_late = order_line(false, Some("2026-11-28T02:06:00Z"), Some(Status::Arrived));
        assert!(flags(&came_late, t("2026-11-28T02:06:00Z")).late);
    }

    #[test]
    fn an_urgent_order_is_due_thirty_minutes_after_the_call() {
        let open = order_line(true, None, Some(Status::Dispatched));
        let f = flags(&open, t("2026-11-28T01:30:00Z"));
        assert!(
            f.urgent_open && !f.late,
            "30 min after the call: still on time"
        );
        assert!(flags(&open, t("2026-11-28T01:30:01Z")).late);
        let came = order_line(true, Some("2026-11-28T01:29:00Z"), Some(Status::Arrived));
        let f = flags(&came, t("2026-11-28T03:00:00Z"));
        assert!(!f.late && !f.urgent_open, "on site in time: no flag");
        let came_late = order_line(true, Some("2026-11-28T01:31:00Z"), Some(Status::Arrived));
        assert!(flags(&came_late, t("2026-11-28T01:31:00Z")).late);
    }

    #[test]
    fn statuses_fall_into_the_boards_columns() {
        assert_eq!(Column::of(Status::Accepted, false), Column::Dispatched);
        assert_eq!(Column::of(Status::Quoted, true), Column::WaitingApproval);
        assert_eq!(Column::of(Status::Quoted, false), Column::OnSite);
        assert_eq!(Column::of(Status::Settled, false), Column::Done);
        assert_eq!(Column::of(Status::HandedOver, true), Column::HandedOver);
    }

    #[test]
    fn order_numbers_count_per_china_day() {
        let day = china_day(t("2026-11-28T16:30:00Z"));
        assert_eq!(order_number(day, 7), "WO-20261129-0007");
    }
}
