//! Sync with HQ (specified in docs/SYNC.md): the protocol types shared with the
//! HQ server, the rules for applying HQ's answers locally, and the HTTP client.

pub mod apply;
pub mod client;
pub mod protocol;
pub mod runtime;

pub use apply::{Ack, Conflict};
pub use client::{CancelHandle, SyncClient, SyncConfig, SyncListener, SyncReport, SyncState};
