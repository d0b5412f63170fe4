//! What travels between a device and HQ.
//!
//! An [`Op`] is one visit event from the device's outbox, with the device id
//! and its gap-free per-device sequence number, so HQ can apply each exactly
//! once (a re-sent op is an acknowledged no-op), and an HLC stamp for ordering.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::visit::{Actor, Event};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// UUID of the op (the same as the event's id on the device).
    pub op_id: String,
    pub device_id: String,
    /// Per-device sequence number, starting at 1, without gaps.
    pub seq: i64,
    /// Hybrid logical clock stamp ([`crate::clock::Hlc::encode`]).
    pub hlc: String,
    pub job_id: String,
    pub actor: Actor,
    /// Device wall time, for humans; HQ records its own receipt time.
    pub at: DateTime<Utc>,
    pub event: Event,
}
