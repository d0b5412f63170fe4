//! HQ's log: `tracing` events written by `tracing-subscriber`'s formatter.
//!
//! What HQ logs: one span per HTTP request (its request id, method, route template, caller
//! kind, device and technician ids once known) closed by a line with the
//! status and latency; a summary per push (counts) and pull; a line per
//! rejected op (code, job id, kind); enrollments, revocations, dispatch
//! decisions (ids only), handovers; and errors by code, an internal one with a
//! reference and a detail built to hold no row values. Never customer names,
//! phones, addresses, free text, request bodies, tokens or enrollment codes.
//!
//! `log`-crate records of the database drivers are not bridged in (the
//! PostgreSQL client logs statement parameters at debug level): only HQ's own
//! `tracing` events, and its web stack's, reach the log.

use std::io::IsTerminal;

use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::fmt::MakeWriter;

/// Filter used when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: LevelFilter = LevelFilter::INFO;

fn filter(directives: Option<&str>) -> EnvFilter {
    let builder = EnvFilter::builder().with_default_directive(DEFAULT_FILTER.into());
    match directives {
        Some(d) => builder.parse_lossy(d),
        None => builder.from_env_lossy(),
    }
}

/// How log lines are written: for a person (`text`) or for a log collector
/// (`json`: one object per line, with the span fields such as the request id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format {other:?}: expected text or json")),
        }
    }
}

/// Logs to standard error in `format`, filtered by `RUST_LOG` (default
/// `info`). Returns false if the process already had a global subscriber.
pub fn init(format: LogFormat) -> bool {
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter(None))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => fmt
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
            .is_ok(),
        LogFormat::Json => fmt.json().try_init().is_ok(),
    }
}

/// The same log with explicit filter directives and another writer (tests
/// capture what HQ would write). Returns false if a global subscriber was set.
pub fn init_with<W>(directives: &str, writer: W) -> bool
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter(Some(directives)))
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .is_ok()
}

/// The line `onsite hq serve` logs once it listens.
pub fn serving(url: &str, database: &str) {
    tracing::info!(url, database, "HQ serving");
}
