//! `onsite hq serve`'s settings, from three places in this order of
//! precedence: command-line flags, then environment variables (`ONSITE_HQ_DB`,
//! ...; clap reads both, flag first), then a TOML file (`--config FILE`), then
//! the defaults here. One struct for every layer, so a setting cannot be
//! forgotten in one of them.

use std::path::Path;

use serde::Deserialize;

use crate::error::{HqError, Result};
use crate::logs::LogFormat;

/// A SQLite file in the working directory: one command runs HQ.
pub const DEFAULT_DB: &str = "onsite-hq.sqlite3";
/// Loopback only: exposing HQ is a decision, not a default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// One layer of settings; `None` is "not said here".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSettings {
    pub db: Option<String>,
    pub listen: Option<String>,
    pub log_format: Option<LogFormat>,
    pub admin_token: Option<String>,
    /// Seconds a stop waits for requests in flight.
    pub drain_timeout: Option<u64>,
}

/// The settings HQ runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub db: String,
    pub listen: String,
    pub log_format: LogFormat,
    /// None: the CLI reads or writes its token file.
    pub admin_token: Option<String>,
    pub drain_timeout: std::time::Duration,
}

impl ServeSettings {
    /// Parses a TOML file's text; an unknown key is an error (a misspelt
    /// setting must not be silently ignored).
    pub fn from_toml(text: &str) -> Result<ServeSettings> {
        toml::from_str(text).map_err(|e| HqError::BadRequest(format!("config: {e}")))
    }

    pub fn read(path: &Path) -> Result<ServeSettings> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| HqError::BadRequest(format!("config {}: {e}", path.display())))?;
        Self::from_toml(&text)
    }

    /// Each setting from `self` if it says it, else from `lower`.
    pub fn over(self, lower: ServeSettings) -> ServeSettings {
        ServeSettings {
            db: self.db.or(lower.db),
            listen: self.listen.or(lower.listen),
            log_format: self.log_format.or(lower.log_format),
            admin_token: self.admin_token.or(lower.admin_token),
            drain_timeout: self.drain_timeout.or(lower.drain_timeout),
        }
    }

    /// What is still unsaid takes its default.
    pub fn resolve(self) -> Resolved {
        Resolved {
            db: self.db.unwrap_or_else(|| DEFAULT_DB.to_string()),
            listen: self.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_string()),
            log_format: self.log_format.unwrap_or_default(),
            admin_token: self.admin_token,
            drain_timeout: self
                .drain_timeout
                .map_or(crate::DRAIN_TIMEOUT, std::time::Duration::from_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn flags_and_env_beat_the_file_which_beats_the_defaults() {
        let file = ServeSettings::from_toml(
            "db = \"/var/lib/onsite/hq.sqlite3\"\nlisten = \"0.0.0.0:9000\"\nlog_format = \"json\"\ndrain_timeout = 5\n",
        )
        .unwrap();
        let command_line = ServeSettings {
            listen: Some("127.0.0.1:7000".into()),
            ..Default::default()
        };
        let r = command_line.over(file).resolve();
        assert_eq!(r.listen, "127.0.0.1:7000", "the flag/env value must win");
        assert_eq!(
            r.db, "/var/lib/onsite/hq.sqlite3",
            "the file fills what flags leave"
        );
        assert_eq!(r.log_format, LogFormat::Json);
        assert_eq!(r.admin_token, None);
        assert_eq!(r.drain_timeout, std::time::Duration::from_secs(5));

        let r = ServeSettings::default()
            .over(ServeSettings::default())
            .resolve();
        assert_eq!(
            (r.db.as_str(), r.listen.as_str()),
            (DEFAULT_DB, DEFAULT_LISTEN)
        );
        assert_eq!(r.log_format, LogFormat::Text);
        assert_eq!(r.drain_timeout, crate::DRAIN_TIMEOUT);
    }

    #[test]
    fn a_misspelt_or_wrong_setting_is_refused() {
        let e = ServeSettings::from_toml("lisen = \"0.0.0.0:9000\"\n").unwrap_err();
        assert!(e.to_string().contains("lisen"), "{e}");
        assert!(ServeSettings::from_toml("log_format = \"xml\"\n").is_err());
    }
}
