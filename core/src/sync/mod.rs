//! Sync with HQ: protocol types shared with the HQ server (the client comes with the sync issue).

pub mod protocol;
