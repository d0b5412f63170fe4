//! Time: wall clock for humans, hybrid logical clock (HLC) for ordering.
//!
//! Phone clocks are wrong (docs/SYNC.md "Clocks"), so nothing is ordered by wall
//! time alone. Every change carries an [`Hlc`] stamp: the larger of the wall
//! time seen so far and the device's own clock, plus a counter, plus the device
//! id as a tie-breaker. Stamps only grow on one device, even across restarts
//! (the last stamp is persisted with each change) and even if the wall clock
//! jumps backwards.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Field, Problem, Result};

/// `at` as RFC 3339 text, as the store's `at` columns hold it.
///
/// A page of HQ's changes records every event and audit row at the same
/// instant, and chrono's formatting was a measurable share of applying one
/// (BENCHMARKS.md, "Faster apply"): the last instant formatted on this
/// thread is kept and reused.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(DateTime<Utc>, String)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((t, text)) if *t == at => text.clone(),
            _ => {
                let text = at.to_rfc3339();
                *last = Some((at, text.clone()));
                text
            }
        }
    })
}

/// Source of "now". Injected so tests and the demo can control time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The device's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: for tests and the scripted demo.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(start))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = t;
    }

    pub fn advance(&self, d: chrono::Duration) {
        let mut g = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *g += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A hybrid logical clock stamp. Orders by (wall_ms, counter, node).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hlc {
    pub wall_ms: i64,
    pub counter: u32,
    pub node: String,
}

impl Hlc {
    /// The next stamp after `last` on `node`, given the local wall time.
    pub fn tick(last: Option<&Hlc>, now_ms: i64, node: &str) -> Hlc {
        match last {
            Some(l) if l.wall_ms >= now_ms => Hlc {
                wall_ms: l.wall_ms,
                counter: l.counter.saturating_add(1),
                node: node.to_string(),
            },
            _ => Hlc {
                wall_ms: now_ms,
                counter: 0,
                node: node.to_string(),
            },
        }
    }

    /// Merges a stamp received from elsewhere (HQ) so later local stamps sort after it.
    pub fn observe(last: Option<&Hlc>, remote: &Hlc, now_ms: i64, node: &str) -> Hlc {
        let base = match last {
            Some(l) if l >= remote => l.clone(),
            _ => remote.clone(),
        };
        Hlc::tick(Some(&base), now_ms, node)
    }

    /// Fixed-width text form that sorts like the stamp: `0001732000000000-00000-node`.
    pub fn encode(&self) -> String {
        format!(
            "{:016}-{:05}-{}",
            self.wall_ms.max(0),
            self.counter,
            self.node
        )
    }

    pub fn decode(s: &str) -> Result<Hlc> {
        let bad = || {
            Error::invalid(
                Field::ClockStamp,
                Problem::Malformed {
                    detail: format!("{s:?} is not wallms-counter-node"),
                },
            )
        };
        let mut parts = s.splitn(3, '-');
        let wall_ms = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let counter = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let node = parts.next().filter(|n| !n.is_empty()).ok_or_else(bad)?;
        Ok(Hlc {
            wall_ms,
            counter,
            node: node.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reused_text_is_always_the_instant_asked_for() {
        let a = DateTime::parse_from_rfc3339("2026-11-29T01:02:03.456Z")
            .unwrap()
            .with_timezone(&Utc);
        let b = a + chrono::Duration::milliseconds(1);
        for t in [a, a, b, a, b, b] {
            assert_eq!(rfc3339(t), t.to_rfc3339());
        }
    }

    #[test]
    fn stamps_grow_even_when_the_wall_clock_goes_back() {
        let a = Hlc::tick(None, 1_000, "d1");
        let b = Hlc::tick(Some(&a), 500, "d1");
        let c = Hlc::tick(Some(&b), 2_000, "d1");
        assert!(a < b && b < c);
        assert!(a.encode() < b.encode() && b.encode() < c.encode());
        assert_eq!(Hlc::decode(&b.encode()).unwrap(), b);
    }

    #[test]
    fn observing_a_remote_stamp_moves_past_it() {
        let remote = Hlc::tick(None, 9_000, "hq");
        let local = Hlc::observe(Some(&Hlc::tick(None, 1_000, "d1")), &remote, 1_000, "d1");
        assert!(local > remote);
    }

    #[test]
    fn garbage_stamps_are_errors() {
        for s in ["", "x", "1-2", "1-x-n", "-1-"] {
            assert!(Hlc::decode(s).is_err(), "{s}");
        }
    }
}
