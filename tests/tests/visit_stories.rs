//! The visit as a technician lives it, end to end on a real store file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::Duration;
use common::{appointment, fixture};
use onsite_core::checklist::Phase;
use onsite_core::punctuality::Verdict;
use onsite_core::sample;
use onsite_core::visit::{MessageNote, SignOff, Status};
use onsite_core::Error;

#[test]
fn happy_path_from_dispatch_to_handover() {
    let f = fixture();
    let v = f.to_settled("WO-1");
    assert_eq!(v.punctuality.unwrap().verdict, Verdict::OnTime);
    assert_eq!(v.quote_lines.len(), 2);
    assert!(v.quote_lines[1].approval.is_some());
    let m = &v.materials[0];
    assert!(m.used && m.concession.as_ref().unwrap().customer_consents);
    let pay = v.payment.as_ref().unwrap();
    assert_eq!(pay.change.fen(), 2_000);
    assert_eq!(pay.due, v.quote_totals.as_ref().unwrap().total);
    assert!(matches!(
        v.acceptance.as_ref().unwrap().sign_off,
        SignOff::Signed { .. }
    ));
    assert!(f.tech.verify_signature("WO-1").unwrap());
    let receipt = v.receipt.as_ref().unwrap();
    assert_eq!(receipt.number, "SH01-00000001");

    let v = f.tech.hand_over("WO-1").unwrap();
    assert_eq!(v.status, Status::HandedOver);

    // Every technician step is queued for HQ, in a gap-free sequence.
    let ops = f.tech.pending_ops(10_000).unwrap();
    let seqs: Vec<i64> = ops.iter().map(|o| o.seq).collect();
    assert_eq!(seqs, (1..=ops.len() as i64).collect::<Vec<_>>());
    assert_eq!(f.tech.last_seq().unwrap(), ops.len() as i64);
    // HQ's own dispatch is recorded as an event and audited but never sent back.
    let events = f.tech.events("WO-1").unwrap();
    assert_eq!(events.len(), ops.len() + 1);
    assert_eq!(events[0].event.kind(), "dispatched");
    let audit = f.tech.audit_trail("WO-1").unwrap();
    assert_eq!(audit.len(), events.len());
    assert!(audit.iter().skip(1).all(|a| a.actor == "technician:T-0107"));
    // HLC stamps order the ops even though the test clock stood still at times.
    assert!(ops.windows(2).all(|w| w[0].hlc < w[1].hlc));
}

#[test]
fn no_access_leaves_a_message_note_and_returns_the_job_to_hq() {
    let f = fixture();
    f.dispatch("WO-2");
    f.tech.accept_job("WO-2").unwrap();
    sample::complete_checklist(&f.tech, "WO-2", Phase::BeforeLeaving).unwrap();
    f.tech.depart("WO-2").unwrap();
    f.clock.set(appointment() + Duration::minutes(12));
    let v = f
        .tech
        .arrive_with_reason("WO-2", "电梯检修,走楼梯")
        .unwrap();
    assert_eq!(v.punctuality.unwrap().verdict, Verdict::Late);
    let v = f
        .tech
        .record_no_access(
            "WO-2",
            MessageNote {
                text: "您好,维修人员已于今日上门,家中无人,请致电客服中心重新预约。".into(),
                waited_minutes: 3,
                phoned_customer: true,
                calls_made: 1,
                asked_neighbours: false,
            },
        )
        .unwrap();
    assert_eq!(v.status, Status::NoAccess);
    assert!(v.no_access.is_some());
    // The technician cannot carry on; HQ reschedules and the job starts again.
    assert!(matches!(
        f.tech.start_work("WO-2"),
        Err(Error::IllegalTransition { .. })
    ));
    let v = f
        .tech
        .reschedule_by_hq(
            "WO-2",
            appointment() + Duration::days(1),
            "客户改约明天",
            Some(&onsite_core::visit::RescheduleConsent {
                agreed_by: "王女士".into(),
                agreed_at: appointment(),
                channel: onsite_core::visit::ConsentChannel::Phone,
            }),
        )
        .unwrap();
    assert_eq!(v.status, Status::Dispatched);
    assert_eq!(v.order.appointment_at, appointment() + Duration::days(1));
}

#[test]
fn declined_quote_goes_back_to_hq_and_can_be_revised() {
    let f = fixture();
    f.to_quoted("WO-3");
    let v = f.tech.customer_declines("WO-3", "价格太高").unwrap();
    assert_eq!(v.status, Status::Declined);
    assert!(matches!(
        f.tech.start_work("WO-3"),
        Err(Error::IllegalTransition { .. })
    ));
    // A revised quote without the off-schedule line.
    let v = f.tech.remove_quote_line("WO-3", 2).unwrap();
    assert_eq!(v.quote_lines.len(), 1);
    let v = f.tech.present_quote("WO-3").unwrap();
    assert_eq!(v.status, Status::Quoted);
}

#[test]
fn hq_cancellation_mid_visit_stops_the_technician() {
    let f = fixture();
    f.to_in_progress("WO-4");
    let v = f.tech.cancel_by_hq("WO-4", "业主已自行维修").unwrap();
    assert_eq!(v.status, Status::Cancelled);
    match f.tech.finish_work("WO-4", 10, "done") {
        Err(Error::JobCancelled { reason }) => assert_eq!(reason, "业主已自行维修"),
        other => panic!("expected JobCancelled, got {other:?}"),
    }
    // The cancellation is HQ's fact: recorded and audited, not queued back to HQ.
    let ops = f.tech.pending_ops(1000).unwrap();
    assert!(ops.iter().all(|o| o.event.kind() != "cancelled"));
    assert!(f
        .tech
        .audit_trail("WO-4")
        .unwrap()
        .iter()
        .any(|a| a.action == "cancelled" && a.actor.starts_with("hq:")));
}

#[test]
fn hq_cannot_cancel_after_settlement() {
    let f = fixture();
    f.to_settled("WO-5");
    assert!(matches!(
        f.tech.cancel_by_hq("WO-5", "too late"),
        Err(Error::TooLateForHq { .. })
    ));
}

#[test]
fn jobs_are_listed_by_local_day() {
    let f = fixture();
    f.dispatch("WO-6");
    f.tech
        .receive_order(sample::leak_order(
            "WO-7",
            "T-0107",
            appointment() + Duration::days(1),
        ))
        .unwrap();
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let today = appointment().with_timezone(&cst).date_naive();
    let jobs = f.tech.jobs_for_day(today, cst).unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.job_id.as_str()).collect::<Vec<_>>(),
        ["WO-6"]
    );
    assert_eq!(f.tech.jobs().unwrap().len(), 2);
}

#[test]
fn every_recorded_fact_is_admitted_when_replayed_as_hq_does() {
    let f = fixture();
    f.to_settled("WO-8");
    f.tech.hand_over("WO-8").unwrap();
    let events = f.tech.events("WO-8").unwrap();
    let mut hq = onsite_core::visit::Visit::replay(&events[..1]).unwrap();
    let key = f.tech.profile().approval_key.as_bytes();
    for r in &events[1..] {
        hq.admits(&r.event, key)
            .unwrap_or_else(|e| panic!("{} refused: {e}", r.event.kind()));
        hq.apply(&r.event, r.at);
    }
    assert_eq!(hq, f.tech.job("WO-8").unwrap());
    // Out of order, a fact is refused with the rule.
    assert!(matches!(
        hq.admits(&onsite_core::visit::Event::WorkStarted, key),
        Err(Error::IllegalTransition { .. })
    ));
}
