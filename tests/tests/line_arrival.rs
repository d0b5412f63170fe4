//! Arrival per service line, as the procedure books say (issue 10, items 3, 5,
//! 6 and the furniture contacts and reschedule consent): punctuality computed
//! per line's window with a late reason, no access waited for, checklist data
//! faithful to the books, a reschedule only with the customer's consent, and
//! the furniture line's contacts 5 working days and 1 hour ahead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::{Duration, Utc};
use common::{appointment, fixture, Fixture};
use onsite_core::checklist::{Answer, Category, Checklists, ItemKind, Phase};
use onsite_core::locale::Lang;
use onsite_core::punctuality::{Rule, Verdict};
use onsite_core::sample;
use onsite_core::service_line::ServiceLine;
use onsite_core::visit::{
    ConsentChannel, ContactKind, Event, MessageNote, RescheduleConsent, Status,
};
use onsite_core::Error;
use onsite_hq::api::Reschedule;
use onsite_tests::harness::{Backend, Hq, Phone};

fn en_route(f: &Fixture, job: &str) {
    f.dispatch(job);
    f.tech.accept_job(job).unwrap();
    sample::complete_checklist(&f.tech, job, Phase::BeforeLeaving).unwrap();
    f.tech.depart(job).unwrap();
}

/// A furniture job en route, with both contacts recorded in time.
fn furniture_en_route(f: &Fixture, job: &str) {
    f.tech
        .receive_order(sample::furniture_order(job, "T-0107", appointment()))
        .unwrap();
    f.clock.set(appointment() - Duration::days(8));
    f.tech
        .record_contact(job, ContactKind::AdvanceNotice, "约定24日10点")
        .unwrap();
    f.tech.accept_job(job).unwrap();
    sample::complete_checklist(&f.tech, job, Phase::BeforeLeaving).unwrap();
    f.tech.depart(job).unwrap();
    f.clock.set(appointment() - Duration::minutes(70));
    f.tech
        .record_contact(job, ContactKind::HourBeforeCall, "")
        .unwrap();
}

fn note(waited_minutes: u32, calls_made: u32) -> MessageNote {
    MessageNote {
        text: "您好,维修人员已上门,家中无人,请致电客服中心重新预约。".into(),
        waited_minutes,
        phoned_customer: calls_made > 0,
        calls_made,
        asked_neighbours: false,
    }
}

// --- punctuality (item 3) ---------------------------------------------------------

#[test]
fn no_arrival_checklist_asks_to_tick_punctuality() {
    let checklists = Checklists::shipped().unwrap();
    for c in Category::ALL {
        let t = checklists.template(c, Phase::Arrival).unwrap();
        for i in &t.items {
            assert_ne!(i.id, "on_time", "{}", t.id);
            assert!(!i.label.zh.contains("按预约时间到达"), "{}", t.id);
        }
    }
}

#[test]
fn a_late_arrival_needs_a_reason_and_the_visit_goes_on() {
    let f = fixture();
    en_route(&f, "J");
    f.clock.set(appointment() + Duration::minutes(12));
    let e = f.tech.arrive("J").unwrap_err();
    assert!(
        matches!(e, Error::LateReasonRequired { minutes_late: 12 }),
        "{e:?}"
    );
    assert_eq!(e.code(), "late_reason_required");
    assert!(e.message(Lang::ZhCn).contains("迟到12分钟"), "{e}");
    let v = f
        .tech
        .arrive_with_reason("J", "电梯停运,走楼梯上楼")
        .unwrap();
    let p = v.punctuality.clone().unwrap();
    assert_eq!((p.verdict, p.minutes_from_reference), (Verdict::Late, 12));
    assert_eq!(p.late_reason.as_deref(), Some("电梯停运,走楼梯上楼"));
    assert!(p.label(Lang::ZhCn).contains("电梯停运"));
    // The reason travels in the Arrived event, and the visit goes on.
    let arrived = f
        .tech
        .events("J")
        .unwrap()
        .into_iter()
        .find_map(|r| match r.event {
            Event::Arrived { punctuality } => Some(punctuality),
            _ => None,
        })
        .unwrap();
    assert_eq!(arrived.late_reason.as_deref(), Some("电梯停运,走楼梯上楼"));
    // The customer's copy of the work order shows the verdict and the reason.
    let copy = onsite_core::documents::to_text(&f.tech.work_order_copy("J", Lang::ZhCn).unwrap());
    assert!(copy.contains("迟到") && copy.contains("电梯停运"), "{copy}");
    sample::complete_checklist(&f.tech, "J", Phase::Arrival).unwrap();
    let v = f
        .tech
        .assess(
            "J",
            onsite_core::visit::Assessment {
                findings: "角阀老化".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(v.status, Status::Assessed);
}

#[test]
fn property_window_is_five_minutes_either_side_of_the_appointment() {
    // 「必須按約定時間到達(±5分鐘)」 (property book 4.3.3)
    let w = ServiceLine::of(Category::PropertyRepair).unwrap().arrival;
    assert_eq!((w.on_time_from_min, w.on_time_to_min), (-5, 5));
    for (m, verdict) in [
        (-6, Verdict::Early),
        (-5, Verdict::OnTime),
        (5, Verdict::OnTime),
        (6, Verdict::Late),
    ] {
        let f = fixture();
        en_route(&f, "J");
        f.clock.set(appointment() + Duration::minutes(m));
        assert_eq!(f.tech.punctuality_now("J").unwrap().verdict, verdict, "{m}");
        let v = f.tech.arrive_with_reason("J", "路上堵车").unwrap();
        assert_eq!(v.punctuality.unwrap().verdict, verdict, "{m}");
    }
}

#[test]
fn furniture_five_to_ten_minutes_early_is_on_time() {
    // 「确保到达时间比约定时间提前5-10分钟」 (furniture book 三.5)
    let w = ServiceLine::of(Category::Furniture).unwrap().arrival;
    assert_eq!((w.on_time_from_min, w.on_time_to_min), (-10, 0));
    for (m, verdict) in [
        (-11, Verdict::Early),
        (-10, Verdict::OnTime),
        (-7, Verdict::OnTime),
        (-5, Verdict::OnTime),
        (0, Verdict::OnTime),
        (1, Verdict::Late),
    ] {
        let f = fixture();
        furniture_en_route(&f, "F");
        f.clock.set(appointment() + Duration::minutes(m));
        let v = f.tech.arrive_with_reason("F", "路上堵车").unwrap();
        assert_eq!(v.punctuality.unwrap().verdict, verdict, "{m}");
    }
}

#[test]
fn urgent_is_thirty_minutes_from_the_customers_call_not_from_dispatch() {
    // 「如客戶要求馬上上門則必須在30分鐘內到達現場」 (property book 4.2.2)
    let f = fixture();
    let call = appointment() - Duration::minutes(40);
    let mut order = sample::leak_order("U", "T-0107", appointment());
    order.urgent = true;
    order.reported_at = call;
    order.dispatched_at = call + Duration::minutes(20);
    f.tech.receive_order(order).unwrap();
    f.tech.accept_job("U").unwrap();
    sample::complete_checklist(&f.tech, "U", Phase::BeforeLeaving).unwrap();
    f.tech.depart("U").unwrap();
    // 15 minutes after dispatch, 35 after the call: late.
    f.clock.set(call + Duration::minutes(35));
    let preview = f.tech.punctuality_now("U").unwrap();
    assert_eq!(
        (
            preview.verdict,
            preview.rule,
            preview.minutes_from_reference
        ),
        (Verdict::Late, Rule::UrgentDeadline, 35)
    );
    assert!(matches!(
        f.tech.arrive("U"),
        Err(Error::LateReasonRequired { .. })
    ));
    f.clock.set(call + Duration::minutes(30));
    let p = f.tech.arrive("U").unwrap().punctuality.unwrap();
    assert_eq!((p.verdict, p.rule), (Verdict::OnTime, Rule::UrgentDeadline));
}

// --- no access (item 5) ---------------------------------------------------------

#[test]
fn property_no_access_waits_two_minutes_and_phoning_does_not_replace_it() {
    // 「間隔約半分鐘再次按門鈴或敲門。如客戶暫不在家,則視情況等待2~5分鐘」 (property book 4.3.4)
    let f = fixture();
    f.to_arrived("J");
    let e = f.tech.record_no_access("J", note(0, 1)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::MessageNoteTooEarly {
                min_wait_minutes: 2,
                min_calls: 0
            }
        ),
        "{e:?}"
    );
    let v = f.tech.record_no_access("J", note(2, 0)).unwrap();
    assert_eq!(v.status, Status::NoAccess);
    assert_eq!(v.no_access.unwrap().waited_minutes, 2);
}

#[test]
fn furniture_no_access_waits_three_minutes_and_phones() {
    // 「每隔30秒钟重复1次;3分钟后再不开门则电话联系」 (furniture book 四.2.1)
    let f = fixture();
    furniture_en_route(&f, "F");
    for (waited, calls) in [(2, 1), (3, 0)] {
        let e = f
            .tech
            .record_no_access("F", note(waited, calls))
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::MessageNoteTooEarly {
                    min_wait_minutes: 3,
                    min_calls: 1
                }
            ),
            "{waited}/{calls}: {e:?}"
        );
    }
    let mut n = note(4, 2);
    n.asked_neighbours = true;
    let v = f.tech.record_no_access("F", n).unwrap();
    let recorded = v.no_access.unwrap();
    assert_eq!(
        (
            recorded.waited_minutes,
            recorded.calls_made,
            recorded.asked_neighbours
        ),
        (4, 2, true)
    );
}

#[test]
fn an_old_message_note_without_calls_still_loads() {
    let n: MessageNote =
        serde_json::from_str(r#"{"text":"无人","waited_minutes":3,"phoned_customer":true}"#)
            .unwrap();
    assert_eq!((n.calls_made, n.calls(), n.asked_neighbours), (0, 1, false));
}

// --- checklist data (item 6) -----------------------------------------------------

fn item<'a>(
    c: Category,
    p: Phase,
    id: &str,
    lists: &'a Checklists,
) -> Option<&'a onsite_core::checklist::Item> {
    lists
        .template(c, p)
        .unwrap()
        .items
        .iter()
        .find(|i| i.id == id)
}

#[test]
fn the_conduct_item_is_the_books_sofa_water_and_smoking_rule() {
    // 「工作人員不得隨意坐客戶沙發,喝客戶的水、飲料及抽煙等」 (property book 4.3.7)
    let lists = Checklists::shipped().unwrap();
    for c in [Category::PropertyRepair, Category::Appliance] {
        let i = item(c, Phase::WorkRules, "no_smoking", lists).unwrap();
        for w in ["沙发", "水", "饮料", "抽烟"] {
            assert!(i.label.zh.contains(w), "{c:?}: {}", i.label.zh);
        }
        assert!(!i.label.zh.contains("电话") && !i.label.zh.contains("卫生间"));
        assert!(i.label.en.contains("sofa"));
    }
}

#[test]
fn the_second_knock_is_asked_only_when_nobody_answered() {
    // 「若客戶未聽見,間隔約半分鐘再次按門鈴或敲門」 (property book 4.3.4)
    let lists = Checklists::shipped().unwrap();
    let again = item(
        Category::PropertyRepair,
        Phase::Arrival,
        "knocked_again",
        lists,
    )
    .unwrap();
    let cond = again.show_if.as_ref().unwrap();
    assert_eq!(
        (cond.item.as_str(), cond.equals.as_str()),
        ("answered_first_time", "no")
    );
    let f = fixture();
    en_route(&f, "J");
    f.clock.set(appointment());
    f.tech.arrive("J").unwrap();
    f.tech
        .answer(
            "J",
            "property_repair.arrival",
            "answered_first_time",
            Answer::YesNo(true),
        )
        .unwrap();
    let view = f.tech.checklist("J", Phase::Arrival).unwrap();
    assert!(!view.visible.iter().any(|i| i.id == "knocked_again"));
}

#[test]
fn goods_are_checked_for_model_colour_size_and_quantity() {
    // 「到仓库提货,并核对型号、颜色、尺寸、件数」 (furniture book 三.2)
    let lists = Checklists::shipped().unwrap();
    let i = item(
        Category::Furniture,
        Phase::BeforeLeaving,
        "goods_checked",
        lists,
    )
    .unwrap();
    for w in ["型号", "颜色", "尺寸", "件数"] {
        assert!(i.label.zh.contains(w), "{}", i.label.zh);
    }
    for w in ["model", "colour", "size", "quantity"] {
        assert!(i.label.en.contains(w), "{}", i.label.en);
    }
}

#[test]
fn the_balance_is_the_outstanding_balance_not_arrears() {
    // 「查看客户是否有尾款未收」 (furniture book 一.1)
    let lists = Checklists::shipped().unwrap();
    for c in Category::ALL {
        let i = item(c, Phase::BeforeLeaving, "unpaid_balance", lists).unwrap();
        assert!(i.label.zh.contains("尾款未收"), "{}", i.label.zh);
        assert!(!i.label.zh.contains("欠费"), "{}", i.label.zh);
    }
}

#[test]
fn gps_templates_protect_the_vehicle_and_knock_on_no_door() {
    let lists = Checklists::shipped().unwrap();
    for p in Phase::ALL {
        let t = lists.template(Category::GpsInstall, p).unwrap();
        for i in &t.items {
            for w in ["敲门", "门铃", "鞋套", "家具", "垫布"] {
                assert!(!i.label.zh.contains(w), "{}: {}", t.id, i.label.zh);
            }
        }
    }
    assert!(item(
        Category::GpsInstall,
        Phase::WorkRules,
        "vehicle_protected",
        lists
    )
    .is_some());
    assert!(item(
        Category::GpsInstall,
        Phase::Arrival,
        "seat_covers_on",
        lists
    )
    .is_some());
    let battery = item(
        Category::GpsInstall,
        Phase::WorkRules,
        "battery_safe",
        lists,
    )
    .unwrap();
    assert!(battery.label.zh.contains("负极"));
    assert!(battery.label.en.contains("negative terminal"));
}

#[test]
fn a_supply_voltage_out_of_range_is_recorded_and_flagged_never_refused() {
    let lists = Checklists::shipped().unwrap();
    let v = item(
        Category::Appliance,
        Phase::Completion,
        "supply_voltage",
        lists,
    )
    .unwrap();
    let ItemKind::Number {
        flag_min, flag_max, ..
    } = &v.kind
    else {
        panic!("{:?}", v.kind)
    };
    assert_eq!((*flag_min, *flag_max), (Some(180.0), Some(250.0)));
    let f = fixture();
    f.tech
        .receive_order(sample::warranty_order("A", "T-0107", appointment()))
        .unwrap();
    let job = f
        .tech
        .answer(
            "A",
            "appliance.completion",
            "supply_voltage",
            Answer::Number(165.0),
        )
        .unwrap();
    let ctx_flags = f.tech.checklist_flags("A").unwrap();
    assert_eq!(
        job.answers["appliance.completion"]["supply_voltage"],
        Answer::Number(165.0)
    );
    assert_eq!(ctx_flags.len(), 1);
    assert_eq!(ctx_flags[0].item_id, "supply_voltage");
    assert!(ctx_flags[0].flag.zh.contains("故障原因"));
    // In range: no flag. Absurd input is still refused.
    f.tech
        .answer(
            "A",
            "appliance.completion",
            "supply_voltage",
            Answer::Number(220.0),
        )
        .unwrap();
    assert!(f.tech.checklist_flags("A").unwrap().is_empty());
    assert!(matches!(
        f.tech.answer(
            "A",
            "appliance.completion",
            "supply_voltage",
            Answer::Number(10_000.0)
        ),
        Err(Error::InvalidAnswer { .. })
    ));
}

// --- reschedule only with consent --------------------------------------------------

#[test]
fn hq_reschedule_without_consent_is_a_typed_error() {
    let f = fixture();
    f.dispatch("J");
    let e = f
        .tech
        .reschedule_by_hq("J", appointment() + Duration::days(1), "客户改约", None)
        .unwrap_err();
    assert!(matches!(e, Error::RescheduleConsentRequired), "{e:?}");
    assert_eq!(e.code(), "reschedule_consent_required");
    let consent = sample::reschedule_consent(appointment() - Duration::hours(3));
    let v = f
        .tech
        .reschedule_by_hq(
            "J",
            appointment() + Duration::days(1),
            "客户改约",
            Some(&consent),
        )
        .unwrap();
    assert_eq!(v.appointment_consent, Some(consent));
}

#[test]
fn the_technician_agrees_a_new_time_only_with_consent() {
    // 「如延误比较长,在用户同意的前提下改约上门时间」 (furniture book 三.5)
    let f = fixture();
    en_route(&f, "J");
    let later = appointment() + Duration::hours(4);
    assert!(matches!(
        f.tech
            .reschedule_with_customer("J", later, "前一单延误", None),
        Err(Error::RescheduleConsentRequired)
    ));
    let mut blank = sample::reschedule_consent(appointment());
    blank.agreed_by = "  ".into();
    assert!(matches!(
        f.tech
            .reschedule_with_customer("J", later, "前一单延误", Some(&blank)),
        Err(Error::InvalidInput { .. })
    ));
    let consent = sample::reschedule_consent(appointment() - Duration::minutes(30));
    let v = f
        .tech
        .reschedule_with_customer("J", later, "前一单延误", Some(&consent))
        .unwrap();
    assert_eq!(v.order.appointment_at, later);
    assert_eq!(v.status, Status::Accepted);
    assert_eq!(v.appointment_consent, Some(consent));
}

// --- furniture contacts ---------------------------------------------------------

#[test]
fn furniture_needs_the_five_day_contact_before_leaving_and_the_hour_call_before_arriving() {
    // 「提前与客户取得联系(至少在预约5个工作日以前)…在上门前1小时再次联系客户」 (furniture book 二.1)
    let f = fixture();
    f.tech
        .receive_order(sample::furniture_order("F", "T-0107", appointment()))
        .unwrap();
    f.tech.accept_job("F").unwrap();
    sample::complete_checklist(&f.tech, "F", Phase::BeforeLeaving).unwrap();
    let e = f.tech.depart("F").unwrap_err();
    assert!(
        matches!(
            e,
            Error::ContactNotRecorded {
                kind: ContactKind::AdvanceNotice
            }
        ),
        "{e:?}"
    );
    assert!(e.message(Lang::ZhCn).contains("提前五个工作日"), "{e}");
    // 2026-11-24 is a Tuesday: contacting on Wednesday the 18th is 4 working days ahead: late.
    f.clock.set(appointment() - Duration::days(6));
    let v = f
        .tech
        .record_contact("F", ContactKind::AdvanceNotice, "约定24日10点")
        .unwrap();
    assert!(v.contact(ContactKind::AdvanceNotice).unwrap().late);
    f.tech.depart("F").unwrap();
    let e = f.tech.arrive("F").unwrap_err();
    assert!(
        matches!(
            e,
            Error::ContactNotRecorded {
                kind: ContactKind::HourBeforeCall
            }
        ),
        "{e:?}"
    );
    f.clock.set(appointment() - Duration::minutes(30));
    let v = f
        .tech
        .record_contact("F", ContactKind::HourBeforeCall, "")
        .unwrap();
    let call = v.contact(ContactKind::HourBeforeCall).unwrap();
    assert!(call.late, "30 minutes ahead is later than 1 hour ahead");
    assert_eq!(call.at, appointment() - Duration::minutes(30));
    f.clock.set(appointment() - Duration::minutes(8));
    assert_eq!(f.tech.arrive("F").unwrap().status, Status::Arrived);
}

#[test]
fn five_working_days_count_monday_to_friday_in_shanghai() {
    let f = fixture();
    f.tech
        .receive_order(sample::furniture_order("F", "T-0107", appointment()))
        .unwrap();
    let v = f.tech.job("F").unwrap();
    // Appointment Tuesday 24th 10:00 Shanghai. Tuesday 17th: 5 working days ahead.
    assert!(!v
        .contact_late(
            ContactKind::AdvanceNotice,
            appointment() - Duration::days(7)
        )
        .unwrap());
    // Wednesday 18th: 4 working days (the weekend does not count).
    assert!(v
        .contact_late(
            ContactKind::AdvanceNotice,
            appointment() - Duration::days(6)
        )
        .unwrap());
    assert!(!v
        .contact_late(
            ContactKind::HourBeforeCall,
            appointment() - Duration::minutes(60)
        )
        .unwrap());
    // Other lines have no advance-contact rule.
    f.dispatch("P");
    f.tech.accept_job("P").unwrap();
    sample::complete_checklist(&f.tech, "P", Phase::BeforeLeaving).unwrap();
    f.tech.depart("P").unwrap();
}

// --- what HQ sees -----------------------------------------------------------------

#[test]
fn hq_receives_the_late_reason_the_wait_the_contacts_and_moves_the_agreed_appointment() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    let code = hq.technician("T1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-T1");
    let now = Utc::now();
    // A furniture delivery: contacts, a new time agreed with consent, late arrival.
    let appt = now + Duration::minutes(10);
    let mut order = sample::furniture_order("F1", "T1", appt);
    order.reported_at = now - Duration::days(12);
    order.dispatched_at = now - Duration::days(11);
    hq.dispatch(&order);
    phone.sync();
    let t = &phone.tech;
    t.record_contact("F1", ContactKind::AdvanceNotice, "已确认")
        .unwrap();
    t.accept_job("F1").unwrap();
    sample::complete_checklist(t, "F1", Phase::BeforeLeaving).unwrap();
    t.depart("F1").unwrap();
    t.record_contact("F1", ContactKind::HourBeforeCall, "")
        .unwrap();
    let new_time = now - Duration::minutes(20);
    t.reschedule_with_customer(
        "F1",
        new_time,
        "上一单延误",
        Some(&sample::reschedule_consent(now)),
    )
    .unwrap();
    sample::complete_checklist(t, "F1", Phase::BeforeLeaving).unwrap();
    t.depart("F1").unwrap();
    t.arrive_with_reason("F1", "上一单延误").unwrap();
    // A property job with no one home.
    hq.dispatch(&sample::leak_order("P1", "T1", now));
    phone.sync();
    t.accept_job("P1").unwrap();
    sample::complete_checklist(t, "P1", Phase::BeforeLeaving).unwrap();
    t.depart("P1").unwrap();
    t.record_no_access("P1", note(3, 1)).unwrap();
    let r = phone.sync();
    assert_eq!(r.ops_rejected, 0, "{r:?}");

    let f1 = hq.order("F1");
    assert_eq!(f1["punctuality"]["verdict"], "late");
    assert_eq!(f1["punctuality"]["late_reason"], "上一单延误");
    assert_eq!(f1["appointment_consent"]["agreed_by"], "王女士");
    assert_eq!(f1["appointment_consent"]["channel"], "phone");
    let at: chrono::DateTime<Utc> =
        serde_json::from_value(f1["order"]["appointment_at"].clone()).unwrap();
    assert_eq!(
        at, new_time,
        "HQ moved the appointment the customer agreed to"
    );
    assert_eq!(f1["contacts"].as_array().unwrap().len(), 2);
    let p1 = hq.order("P1");
    assert_eq!(p1["no_access"]["waited_minutes"], 3);
    assert_eq!(p1["no_access"]["calls_made"], 1);

    // HQ's own reschedule needs the consent too (a bad request without it).
    let reschedule = |reason: &str, consent| Reschedule {
        appointment_at: now + Duration::days(1),
        reason: reason.into(),
        consent,
    };
    let (status, body) = hq.refused(hq.api.reschedule("P1", &reschedule("改约", None)));
    assert_eq!(
        (status, body.error.as_str()),
        (400, "bad_request"),
        "{body:?}"
    );
    let consent = RescheduleConsent {
        agreed_by: "王女士".into(),
        agreed_at: now,
        channel: ConsentChannel::Phone,
    };
    hq.ok(hq
        .api
        .reschedule("P1", &reschedule("客户来电改约", Some(consent))));
    phone.sync();
    let v = t.job("P1").unwrap();
    assert_eq!(v.status, Status::Dispatched);
    assert_eq!(v.appointment_consent.unwrap().agreed_by, "王女士");
}
