//! Wrong guesses are limited per address: an enrollment code is a secret a
//! person types, short enough to be guessed by a script given unlimited
//! tries. After [`MAX_FAILURES`] wrong codes from one address within
//! [`WINDOW`], that address is answered 429 with `Retry-After` until the
//! window ends; other addresses are not affected, so a technician on another
//! network still enrolls.
//!
//! In memory, per HQ process, and bounded: at most [`CAPACITY`] addresses are
//! remembered; when full, expired entries go first, then the oldest. IPv6
//! addresses count by their /64, which one client usually holds whole.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong codes an address may send within [`WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// How long wrong codes are remembered (from the first of them).
pub const WINDOW: Duration = Duration::from_secs(600);
/// Addresses remembered at most.
pub const CAPACITY: usize = 10_000;

struct Entry {
    failures: u32,
    since: Instant,
}

pub struct Limiter {
    entries: Mutex<HashMap<IpAddr, Entry>>,
    max_failures: u32,
    window: Duration,
    capacity: usize,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(MAX_FAILURES, WINDOW, CAPACITY)
    }
}

/// The address as counted: an IPv6 address by its /64.
fn key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl Limiter {
    pub fn new(max_failures: u32, window: Duration, capacity: usize) -> Limiter {
        Limiter {
            entries: Mutex::new(HashMap::new()),
            max_failures,
            window,
            capacity: capacity.max(1),
        }
    }

    /// `Err(wait)` while `addr` is refused: how long until it may try again.
    pub fn check(&self, addr: IpAddr, now: Instant) -> Result<(), Duration> {
        let Ok(entries) = self.entries.lock() else {
            return Ok(());
        };
        match entries.get(&key(addr)) {
            Some(e) if e.failures >= self.max_failures => {
                let ends = e.since + self.window;
                if ends > now {
                    Err(ends - now)
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Counts one wrong code from `addr`.
    pub fn failed(&self, addr: IpAddr, now: Instant) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let k = key(addr);
        if !entries.contains_key(&k) && entries.len() >= self.capacity {
            let window = self.window;
            entries.retain(|_, e| now.duration_since(e.since) < window);
            if entries.len() >= self.capacity {
                if let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.since).map(|(a, _)| *a) {
                    entries.remove(&oldest);
                }
            }
        }
        let e = entries.entry(k).or_insert(Entry {
            failures: 0,
            since: now,
        });
        if now.duration_since(e.since) >= self.window {
            *e = Entry {
                failures: 0,
                since: now,
            };
        }
        e.failures = e.failures.saturating_add(1);
    }

    /// Addresses remembered now.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn v4(n: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from(n))
    }

    #[test]
    fn an_address_is_refused_after_its_failures_until_the_window_ends() {
        let l = Limiter::new(3, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check(v4(1), t0).is_ok());
            l.failed(v4(1), t0);
        }
        let wait = l.check(v4(1), t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(l.check(v4(2), t0).is_ok(), "another address is not refused");
        assert!(l.check(v4(1), t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn many_addresses_never_grow_the_map_past_its_capacity() {
        let l = Limiter::new(3, Duration::from_secs(60), 50);
        let t0 = Instant::now();
        for n in 0..10_000 {
            l.failed(v4(n), t0 + Duration::from_millis(u64::from(n)));
        }
        assert_eq!(l.len(), 50);
        // An IPv6 client counts by its /64, whatever its host part.
        let l = Limiter::new(2, Duration::from_secs(60), 50);
        l.failed("2001:db8:1:2::1".parse().unwrap(), t0);
        l.failed("2001:db8:1:2::ffff".parse().unwrap(), t0);
        assert!(l.check("2001:db8:1:2::7".parse().unwrap(), t0).is_err());
        assert!(l.check("2001:db8:1:3::1".parse().unwrap(), t0).is_ok());
    }
}
