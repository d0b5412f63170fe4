//! Punctuality (DOMAIN.md step 2): a verdict the core computes when the
//! technician arrives, never a box ticked. The window is the service line's
//! data ([`crate::service_line::ArrivalWindow`]):
//! 「必須按約定時間到達(±5分鐘)」 (property book 4.3.3);
//! 「确保到达时间比约定时间提前5-10分钟」 (furniture book 三.5): from 10 minutes
//! early up to the appointment is on time, more than 10 minutes early is
//! "early" (no reason needed), after the appointment is late;
//! urgent: 「如客戶要求馬上上門則必須在30分鐘內到達現場」 (property book 4.2.2),
//! counted from the customer's call (the order's `reported_at`), not dispatch.
//! A late arrival carries the technician's reason; the visit goes on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::locale::{tr, Lang};
use crate::service_line::ArrivalWindow;

/// An arrival's verdict. Named `PunctualityVerdict` in HQ's contract: an
/// inspection has a `Verdict` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PunctualityVerdict))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    OnTime,
    Early,
    Late,
}

/// Which rule the arrival was judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The appointment and the line's window.
    Appointment,
    /// Urgent: within the line's deadline from the customer's call.
    UrgentDeadline,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Punctuality {
    pub verdict: Verdict,
    pub rule: Rule,
    /// Minutes after the reference time (negative: before it): the
    /// appointment, or the customer's call for an urgent job.
    pub minutes_from_reference: i64,
    /// Why the technician was late, as they told it (only when late).
    #[serde(default)]
    pub late_reason: Option<String>,
}

impl Punctuality {
    /// The verdict for an arrival at `arrived_at`.
    pub fn judge(
        arrived_at: DateTime<Utc>,
        appointment_at: DateTime<Utc>,
        reported_at: DateTime<Utc>,
        urgent: bool,
        window: &ArrivalWindow,
    ) -> Punctuality {
        if urgent {
            let since_call = arrived_at - reported_at;
            let late = since_call > chrono::Duration::minutes(window.urgent_within_min);
            Punctuality {
                verdict: if late { Verdict::Late } else { Verdict::OnTime },
                rule: Rule::UrgentDeadline,
                minutes_from_reference: since_call.num_seconds().div_euclid(60),
                late_reason: None,
            }
        } else {
            let delta = arrived_at - appointment_at;
            let verdict = if delta > chrono::Duration::minutes(window.on_time_to_min) {
                Verdict::Late
            } else if delta < chrono::Duration::minutes(window.on_time_from_min) {
                Verdict::Early
            } else {
                Verdict::OnTime
            };
            Punctuality {
                verdict,
                rule: Rule::Appointment,
                minutes_from_reference: delta.num_minutes(),
                late_reason: None,
            }
        }
    }

    pub fn is_late(&self) -> bool {
        self.verdict == Verdict::Late
    }

    pub fn label(&self, lang: Lang) -> String {
        let v = match self.verdict {
            Verdict::OnTime => tr(lang, "准时", "on time"),
            Verdict::Early => tr(lang, "早到", "early"),
            Verdict::Late => tr(lang, "迟到", "late"),
        };
        let r = match self.rule {
            Rule::Appointment => tr(lang, "预约时间", "appointment"),
            Rule::UrgentDeadline => tr(
                lang,
                "紧急,自客户来电起",
                "urgent, from the customer's call",
            ),
        };
        let mut s = format!(
            "{v} ({r} {:+} {})",
            self.minutes_from_reference,
            tr(lang, "分钟", "min")
        );
        if let Some(reason) = self.late_reason.as_deref().filter(|r| !r.trim().is_empty()) {
            s.push_str(tr(lang, ",原因:", "; reason: "));
            s.push_str(reason);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap()
    }

    const PROPERTY: ArrivalWindow = ArrivalWindow {
        on_time_from_min: -5,
        on_time_to_min: 5,
        urgent_within_min: 30,
    };
    const FURNITURE: ArrivalWindow = ArrivalWindow {
        on_time_from_min: -10,
        on_time_to_min: 0,
        urgent_within_min: 30,
    };

    #[test]
    fn appointment_window_is_five_minutes_either_side() {
        let j = |m| {
            Punctuality::judge(
                t0() + Duration::minutes(m),
                t0(),
                t0() - Duration::hours(5),
                false,
                &PROPERTY,
            )
            .verdict
        };
        assert_eq!(j(5), Verdict::OnTime);
        assert_eq!(j(-5), Verdict::OnTime);
        assert_eq!(j(6), Verdict::Late);
        assert_eq!(j(-6), Verdict::Early);
    }

    #[test]
    fn urgent_jobs_are_due_thirty_minutes_after_the_call() {
        let call = t0();
        let appointment = call + Duration::minutes(20);
        let on = Punctuality::judge(
            call + Duration::minutes(30),
            appointment,
            call,
            true,
            &PROPERTY,
        );
        assert_eq!(
            (on.verdict, on.rule, on.minutes_from_reference),
            (Verdict::OnTime, Rule::UrgentDeadline, 30)
        );
        let late = Punctuality::judge(
            call + Duration::minutes(31),
            appointment,
            call,
            true,
            &PROPERTY,
        );
        assert_eq!(late.verdict, Verdict::Late);
    }

    #[test]
    fn furniture_five_to_ten_minutes_early_is_on_time() {
        let j = |m| {
            Punctuality::judge(t0() + Duration::minutes(m), t0(), t0(), false, &FURNITURE).verdict
        };
        assert_eq!(j(-10), Verdict::OnTime);
        assert_eq!(j(-7), Verdict::OnTime);
        assert_eq!(j(-5), Verdict::OnTime);
        assert_eq!(j(0), Verdict::OnTime);
        assert_eq!(j(-11), Verdict::Early);
        assert_eq!(j(1), Verdict::Late);
    }
}
