//! Approvals a supervisor gives an offline technician by phone: off-schedule quote lines and disputed charges, each a code bound to order, line and amount.
//!
//! The technician calls from a basement with no signal; the supervisor
//! finds the order, types what the technician reads out, and reads back a
//! 6-digit code that the phone checks offline. The code is computed by the
//! core's own functions ([`onsite_core::quote::approval_code`],
//! [`onsite_core::charge::charge_code`]) with the technician's approval key,
//! so a code for another order, line or amount fails on the phone. Every
//! code given is stored and audited; it is *matched* once the phone has
//! synced a line or instruction carrying it.

use chrono::{DateTime, Utc};
use onsite_core::charge::{Instruction, InstructionSource};
use onsite_core::money::Fen;
use onsite_core::quote::{approval_code, FeeSchedule, LineItem, LineKind, LineRequest, QuoteLine};
use onsite_core::visit::{Status, Visit};
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::storage::records::Records;

/// Highest quote line number a supervisor may approve (the core's limit of lines per quote).
pub const MAX_LINE_NO: u32 = onsite_core::quote::MAX_LINES as u32;

/// The order a supervisor finds while the technician waits on the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalOrder {
    pub job_id: String,
    pub technician_id: String,
    pub status: Status,
    pub site: String,
    pub location: String,
    /// The quote as HQ last synced it (the phone may be ahead of it).
    pub quote_lines: Vec<QuoteLine>,
}

/// An off-schedule line as the technician reads it out: what the code binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAsked {
    pub line_no: u32,
    pub kind: LineKind,
    pub description: String,
    /// The price per unit asked, in fen.
    pub unit_price_fen: i64,
    pub qty: u32,
}

/// What was approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Approved {
    Line {
        line_no: u32,
        description: String,
        unit_price_fen: i64,
        qty: u32,
    },
    Charge(Instruction),
}

/// One code given, as the approvals page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub id: i64,
    pub at: String,
    pub by: Actor,
    pub job_id: String,
    pub approved: Approved,
    pub code: String,
    /// The phone synced a line or instruction carrying this code.
    pub matched: bool,
}

/// A row as stored.
pub(crate) struct ApprovalRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub job_id: String,
    /// `line` or `charge`.
    pub kind: String,
    pub line_no: Option<i64>,
    pub description: Option<String>,
    /// A line's unit price, or the amount a charge is reduced to.
    pub amount_fen: Option<i64>,
    pub qty: Option<i64>,
    /// `waive`, `reduce` or `insist`.
    pub instruction: Option<String>,
    pub code: String,
}

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/approvals.rs`,
/// `storage/postgres/approvals.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait ApprovalsRecords {
    /// Stores a code given (`id` is ignored); returns its id.
    async fn insert_approval(&mut self, a: &ApprovalRow) -> Result<i64>;
    /// The newest `limit` codes, newest first.
    async fn recent_approvals(&mut self, limit: i64) -> Result<Vec<ApprovalRow>>;
}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait ApprovalsStore {
    /// The order by number, with its technician, status and synced quote (404 if unknown).
    async fn approval_order(&self, job_id: &str) -> Result<ApprovalOrder>;
    /// The code for an off-schedule line, stored and audited (`approval.line`).
    async fn approve_line(
        &self,
        by: &Actor,
        job_id: &str,
        line: LineAsked,
        now: DateTime<Utc>,
    ) -> Result<Approval>;
    /// The code for a disputed charge's instruction, stored and audited (`approval.charge`).
    async fn approve_charge(
        &self,
        by: &Actor,
        job_id: &str,
        instruction: Instruction,
        now: DateTime<Utc>,
    ) -> Result<Approval>;
    /// The newest codes given, newest first, each with whether the phone synced it.
    async fn recent_approvals(&self, limit: usize) -> Result<Vec<Approval>>;
}

/// The `impl ApprovalsStore` each database module invokes with its own `rule!` in scope.
macro_rules! approvals_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::approvals::ApprovalsStore for $ty {
            async fn approval_order(
                &self,
                job_id: &str,
            ) -> Result<$crate::centre::approvals::ApprovalOrder> {
                let job_id = job_id.to_owned();
                rule!(self, |r| $crate::centre::approvals::order(r, &job_id))
            }
            async fn approve_line(
                &self,
                by: &$crate::centre::audit::Actor,
                job_id: &str,
                line: $crate::centre::approvals::LineAsked,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::approvals::Approval> {
                let (by, job_id) = (by.clone(), job_id.to_owned());
                rule!(self, |r| $crate::centre::approvals::approve_line(
                    r, &by, &job_id, &line, now
                ))
            }
            async fn approve_charge(
                &self,
                by: &$crate::centre::audit::Actor,
                job_id: &str,
                instruction: onsite_core::charge::Instruction,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::approvals::Approval> {
                let (by, job_id) = (by.clone(), job_id.to_owned());
                rule!(self, |r| $crate::centre::approvals::approve_charge(
                    r,
                    &by,
                    &job_id,
                    instruction,
                    now
                ))
            }
            async fn recent_approvals(
                &self,
                limit: usize,
            ) -> Result<Vec<$crate::centre::approvals::Approval>> {
                rule!(self, |r| $crate::centre::approvals::recent(r, limit))
            }
        }
    };
}
pub(crate) use approvals_operations;

fn now_str(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn visit_of<R: Records>(r: &mut R, job_id: &str) -> Result<Option<Visit>> {
    match r.order(job_id).await? {
        Some(o) => Ok(Some(serde_json::from_str(&o.visit)?)),
        None => Ok(None),
    }
}

pub(crate) async fn order<R: Records>(r: &mut R, job_id: &str) -> Result<ApprovalOrder> {
    let v = visit_of(r, job_id.trim())
        .await?
        .ok_or_else(|| HqError::NotFound(format!("order {}", job_id.trim())))?;
    Ok(ApprovalOrder {
        job_id: v.order.job_id.clone(),
        technician_id: v.order.technician_id.clone(),
        status: v.status,
        site: v.order.site.clone(),
        location: v.order.location.clone(),
        quote_lines: v.quote_lines,
    })
}

/// The line exactly as the phone prices it (the shipped fee schedule, the
/// order's category and warranty), so the code covers what the phone holds.
fn priced(v: &Visit, line: &LineAsked) -> Result<QuoteLine> {
    if line.line_no == 0 || line.line_no > MAX_LINE_NO {
        return Err(HqError::BadRequest(format!(
            "line number must be 1 to {MAX_LINE_NO}"
        )));
    }
    let schedule = FeeSchedule::shipped().map_err(|e| HqError::Internal(e.to_string()))?;
    let req = LineRequest {
        item: LineItem::OffSchedule {
            kind: line.kind,
            description: line.description.clone(),
            unit_price_fen: line.unit_price_fen,
        },
        qty: line.qty,
        payer: None,
    };
    QuoteLine::price(
        line.line_no,
        &req,
        schedule,
        v.order.category,
        v.order.in_warranty(),
        v.order.default_payer,
    )
    .map_err(|e| HqError::BadRequest(e.to_string()))
}

async fn key_of<R: Records>(r: &mut R, technician_id: &str) -> Result<String> {
    r.approval_key(technician_id)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("technician {technician_id}")))
}

pub(crate) async fn approve_line<R: Records>(
    r: &mut R,
    by: &Actor,
    job_id: &str,
    line: &LineAsked,
    now: DateTime<Utc>,
) -> Result<Approval> {
    let job_id = job_id.trim();
    let v = visit_of(r, job_id)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("order {job_id}")))?;
    let priced = priced(&v, line)?;
    let key = key_of(r, &v.order.technician_id).await?;
    let code = approval_code(key.as_bytes(), job_id, &priced);
    let row = ApprovalRow {
        id: 0,
        at: now_str(now),
        actor: by.as_stored(),
        job_id: job_id.to_string(),
        kind: "line".into(),
        line_no: Some(i64::from(priced.line_no)),
        description: Some(priced.description.zh.clone()),
        amount_fen: Some(priced.unit_price.fen()),
        qty: Some(i64::from(priced.qty)),
        instruction: None,
        code,
    };
    let id = r.insert_approval(&row).await?;
    let detail = format!(
        "line {} {} {} fen x{}",
        priced.line_no,
        priced.description.zh,
        priced.unit_price.fen(),
        priced.qty
    );
    audit::record(r, by, "approval.line", Some(job_id), &detail, now).await?;
    approval(ApprovalRow { id, ..row }, Some(&v))
}

pub(crate) async fn approve_charge<R: Records>(
    r: &mut R,
    by: &Actor,
    job_id: &str,
    instruction: Instruction,
    now: DateTime<Utc>,
) -> Result<Approval> {
    let job_id = job_id.trim();
    let v = visit_of(r, job_id).await?;
    // The one function HQ's API uses for the same code (404 for an unknown order).
    let code = crate::rules::charge_code(r, job_id, instruction).await?;
    let (name, amount) = instruction_parts(instruction);
    let row = ApprovalRow {
        id: 0,
        at: now_str(now),
        actor: by.as_stored(),
        job_id: job_id.to_string(),
        kind: "charge".into(),
        line_no: None,
        description: None,
        amount_fen: amount,
        qty: None,
        instruction: Some(name.into()),
        code,
    };
    let id = r.insert_approval(&row).await?;
    let detail = match amount {
        Some(fen) => format!("charge {name} {fen} fen"),
        None => format!("charge {name}"),
    };
    audit::record(r, by, "approval.charge", Some(job_id), &detail, now).await?;
    approval(ApprovalRow { id, ..row }, v.as_ref())
}

fn instruction_parts(i: Instruction) -> (&'static str, Option<i64>) {
    match i {
        Instruction::Waive => ("waive", None),
        Instruction::Reduce { to } => ("reduce", Some(to.fen())),
        Instruction::Insist => ("insist", None),
    }
}

fn bad_row(what: &str) -> HqError {
    HqError::Internal(format!("stored approval: {what}"))
}

fn approved(row: &ApprovalRow) -> Result<Approved> {
    let small = |n: Option<i64>, what: &str| {
        n.and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad_row(what))
    };
    match row.kind.as_str() {
        "line" => Ok(Approved::Line {
            line_no: small(row.line_no, "line_no")?,
            description: row
                .description
                .clone()
                .ok_or_else(|| bad_row("description"))?,
            unit_price_fen: row.amount_fen.ok_or_else(|| bad_row("amount"))?,
            qty: small(row.qty, "qty")?,
        }),
        "charge" => Ok(Approved::Charge(match row.instruction.as_deref() {
            Some("waive") => Instruction::Waive,
            Some("insist") => Instruction::Insist,
            Some("reduce") => Instruction::Reduce {
                to: Fen::new(row.amount_fen.ok_or_else(|| bad_row("amount"))?)
                    .map_err(|_| bad_row("amount"))?,
            },
            _ => return Err(bad_row("instruction")),
        })),
        _ => Err(bad_row("kind")),
    }
}

/// Whether the phone synced what this code approved: a line of that number
/// approved with it, or the instruction entered with it.
fn matched(v: &Visit, approved: &Approved, code: &str) -> bool {
    match approved {
        Approved::Line { line_no, .. } => v.quote_lines.iter().any(|l| {
            l.line_no == *line_no && l.approval.as_ref().is_some_and(|a| a.code == code)
        }),
        Approved::Charge(i) => v.charge_instruction.as_ref().is_some_and(|c| {
            c.instruction == *i
                && matches!(&c.source, InstructionSource::SupervisorCode { code: given } if given == code)
        }),
    }
}

fn approval(row: ApprovalRow, v: Option<&Visit>) -> Result<Approval> {
    let what = approved(&row)?;
    Ok(Approval {
        id: row.id,
        matched: v.is_some_and(|v| matched(v, &what, &row.code)),
        at: row.at,
        by: Actor::parse(&row.actor).ok_or_else(|| bad_row("actor"))?,
        job_id: row.job_id,
        approved: what,
        code: row.code,
    })
}

pub(crate) async fn recent<R: Records>(r: &mut R, limit: usize) -> Result<Vec<Approval>> {
    let limit = i64::try_from(limit.clamp(1, 500)).unwrap_or(500);
    let rows = r.recent_approvals(limit).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let v = visit_of(r, &row.job_id).await?;
        out.push(approval(row, v.as_ref())?);
    }
    Ok(out)
}
