//! Punctuality (DOMAIN.md step 2): arrive within ±5 minutes of the appointment;
//! for an urgent job, within 30 minutes of dispatch. The verdict is computed by
//! the core when the technician arrives, stored with the arrival and shown to HQ.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::locale::{tr, Lang};

/// Tolerance around an appointment.
pub const APPOINTMENT_TOLERANCE_MIN: i64 = 5;
/// An urgent job must be reached within this many minutes of dispatch.
pub const URGENT_DEADLINE_MIN: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    OnTime,
    Early,
    Late,
}

/// Which rule the arrival was judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Appointment,
    UrgentDeadline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Punctuality {
    pub verdict: Verdict,
    pub rule: Rule,
    /// Minutes after the reference time (negative: before it).
    pub minutes_from_reference: i64,
}

impl Punctuality {
    pub fn judge(
        arrived_at: DateTime<Utc>,
        appointment_at: DateTime<Utc>,
        dispatched_at: DateTime<Utc>,
        urgent: bool,
    ) -> Punctuality {
        if urgent {
            let minutes = (arrived_at - dispatched_at).num_seconds().div_euclid(60);
            let late = arrived_at - dispatched_at > chrono::Duration::minutes(URGENT_DEADLINE_MIN);
            Punctuality {
                verdict: if late { Verdict::Late } else { Verdict::OnTime },
                rule: Rule::UrgentDeadline,
                minutes_from_reference: minutes,
            }
        } else {
            let delta = arrived_at - appointment_at;
            let tol = chrono::Duration::minutes(APPOINTMENT_TOLERANCE_MIN);
            let verdict = if delta > tol {
                Verdict::Late
            } else if delta < -tol {
                Verdict::Early
            } else {
                Verdict::OnTime
            };
            Punctuality {
                verdict,
                rule: Rule::Appointment,
                minutes_from_reference: delta.num_minutes(),
            }
        }
    }

    pub fn label(&self, lang: Lang) -> String {
        let v = match self.verdict {
            Verdict::OnTime => tr(lang, "准时", "on time"),
            Verdict::Early => tr(lang, "早到", "early"),
            Verdict::Late => tr(lang, "迟到", "late"),
        };
        let r = match self.rule {
            Rule::Appointment => tr(lang, "预约时间", "appointment"),
            Rule::UrgentDeadline => tr(lang, "紧急30分钟", "urgent 30 min"),
        };
        format!("{v} ({r} {:+} min)", self.minutes_from_reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap()
    }

    #[test]
    fn appointment_window_is_five_minutes_either_side() {
        let j = |m| {
            Punctuality::judge(
                t0() + Duration::minutes(m),
                t0(),
                t0() - Duration::hours(5),
                false,
            )
            .verdict
        };
        assert_eq!(j(5), Verdict::OnTime);
        assert_eq!(j(-5), Verdict::OnTime);
        assert_eq!(j(6), Verdict::Late);
        assert_eq!(j(-6), Verdict::Early);
    }

    #[test]
    fn urgent_jobs_are_due_thirty_minutes_after_dispatch() {
        let d = t0();
        let on = Punctuality::judge(d + Duration::minutes(30), d, d, true);
        assert_eq!(
            (on.verdict, on.rule),
            (Verdict::OnTime, Rule::UrgentDeadline)
        );
        let late = Punctuality::judge(d + Duration::minutes(31), d, d, true);
        assert_eq!(late.verdict, Verdict::Late);
    }
}
