//! The states of a visit and their names in both languages.

use serde::{Deserialize, Serialize};

use crate::locale::{tr, Lang};

/// Where a job stands. The allowed moves are in [`super::Visit`]'s methods;
/// this type only names the states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// HQ dispatched the job to this technician.
    Dispatched,
    /// The technician took the job (and confirmed the appointment).
    Accepted,
    /// On the way, after the before-leaving checklist.
    EnRoute,
    /// At the door.
    Arrived,
    /// Nobody answered: a message note was left and the job goes back to HQ.
    NoAccess,
    /// Fault found, solution proposed.
    Assessed,
    /// The quote was shown to the customer.
    Quoted,
    /// The customer agreed to the quote: work may start.
    Consented,
    /// The customer declined the quote: the job goes back to HQ (or is re-quoted).
    Declined,
    InProgress,
    WorkDone,
    /// The customer inspected, rated and signed (or refused to sign).
    CustomerAccepted,
    /// Paid and receipted.
    Settled,
    /// Signed order and money handed to the service centre.
    HandedOver,
    /// Cancelled by HQ.
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Dispatched => "dispatched",
            Status::Accepted => "accepted",
            Status::EnRoute => "en_route",
            Status::Arrived => "arrived",
            Status::NoAccess => "no_access",
            Status::Assessed => "assessed",
            Status::Quoted => "quoted",
            Status::Consented => "consented",
            Status::Declined => "declined",
            Status::InProgress => "in_progress",
            Status::WorkDone => "work_done",
            Status::CustomerAccepted => "customer_accepted",
            Status::Settled => "settled",
            Status::HandedOver => "handed_over",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub const ALL: [Status; 15] = [
        Status::Dispatched,
        Status::Accepted,
        Status::EnRoute,
        Status::Arrived,
        Status::NoAccess,
        Status::Assessed,
        Status::Quoted,
        Status::Consented,
        Status::Declined,
        Status::InProgress,
        Status::WorkDone,
        Status::CustomerAccepted,
        Status::Settled,
        Status::HandedOver,
        Status::Cancelled,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Dispatched => tr(lang, "已派工", "Dispatched"),
            Status::Accepted => tr(lang, "已接单", "Accepted"),
            Status::EnRoute => tr(lang, "在途", "En route"),
            Status::Arrived => tr(lang, "已到达", "Arrived"),
            Status::NoAccess => tr(lang, "无人在家", "No access"),
            Status::Assessed => tr(lang, "已查勘", "Assessed"),
            Status::Quoted => tr(lang, "已报价", "Quoted"),
            Status::Consented => tr(lang, "客户同意", "Customer consented"),
            Status::Declined => tr(lang, "客户拒绝报价", "Quote declined"),
            Status::InProgress => tr(lang, "维修中", "In progress"),
            Status::WorkDone => tr(lang, "已完工", "Work done"),
            Status::CustomerAccepted => tr(lang, "客户已验收", "Customer accepted"),
            Status::Settled => tr(lang, "已收费", "Settled"),
            Status::HandedOver => tr(lang, "已交回", "Handed over"),
            Status::Cancelled => tr(lang, "已取消", "Cancelled"),
        }
    }

    /// Before settlement HQ may still cancel or reschedule.
    pub fn hq_may_change(self) -> bool {
        !matches!(
            self,
            Status::Settled | Status::HandedOver | Status::Cancelled
        )
    }

    /// After the customer's signed acceptance the visit facts are immutable.
    pub fn sealed(self) -> bool {
        matches!(
            self,
            Status::CustomerAccepted | Status::Settled | Status::HandedOver
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
