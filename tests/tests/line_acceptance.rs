//! Acceptance as the books have it: two ratings (repair quality, service
//! attitude), a customer never forced to rate or sign, the technician's own
//! signature, a fault cause withheld from the customer and filled in later,
//! the customer's copy, complaints on site and the returning customer's mark.
//! HQ's side runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::{Duration, Utc};
use common::{fixture, ink};
use onsite_core::checklist::Phase;
use onsite_core::documents;
use onsite_core::error::Field;
use onsite_core::locale::Lang;
use onsite_core::payment::Method;
use onsite_core::sample;
use onsite_core::signature::record::{content_hash, SignatureRecord, SignerRole};
use onsite_core::visit::{
    Assessment, Complaint, ComplaintKind, Event, Opinion, Rating, SignOff, Status,
};
use onsite_core::{AcceptanceInput, Error, SignInput, Technician};
use onsite_tests::harness::{hq_and_phone, Backend, Hq};
use onsite_tests::on_both;
use onsite_tests::{declined_to_rate_and_sign, rated};
use serde_json::json;

/// Checklists, assessment, one schedule line, consent and work: a job ready for acceptance.
fn to_work_done(t: &Technician, job: &str, assessment: Assessment) {
    t.accept_job(job).unwrap();
    sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
    t.depart(job).unwrap();
    t.arrive(job).unwrap();
    sample::complete_checklist(t, job, Phase::Arrival).unwrap();
    t.assess(job, assessment).unwrap();
    sample::add_schedule_line(t, job, 1).unwrap();
    t.present_quote(job).unwrap();
    t.customer_consents(job, "王女士").unwrap();
    t.start_work(job).unwrap();
    sample::complete_checklist(t, job, Phase::WorkRules).unwrap();
    t.finish_work(job, 30, "更换角阀").unwrap();
    sample::complete_checklist(t, job, Phase::Completion).unwrap();
}

fn leak_assessment() -> Assessment {
    Assessment {
        inspected_parts: vec!["水槽下方角阀".into()],
        findings: "角阀老化,密封圈失效".into(),
        repair_items: vec!["更换角阀".into(), "更换软管".into()],
        solution: "关闭总阀,更换角阀并做通水试验".into(),
        estimated_minutes: 40,
        withheld: false,
    }
}

fn settle(t: &Technician, job: &str) {
    let due = t.job(job).unwrap().due_on_site().fen();
    t.take_payment(job, Method::Cash, due, None, true).unwrap();
    t.issue_receipt(job, false).unwrap();
}

fn copy_text(t: &Technician, job: &str, lang: Lang) -> String {
    documents::to_text(&t.work_order_copy(job, lang).unwrap())
}

// --- item 4: no invented opinions -------------------------------------------------

/// Before: the shared visit recorded a customer who would not sign "in a
/// hurry" as *satisfied*; there was no way to record a refusal to rate.
#[test]
fn a_customer_who_will_not_rate_or_sign_is_recorded_as_declined_never_as_satisfied() {
    let f = fixture();
    f.dispatch("D-1");
    to_work_done(&f.tech, "D-1", leak_assessment());
    let v = f
        .tech
        .record_acceptance("D-1", declined_to_rate_and_sign("客户赶时间,不愿评价"))
        .unwrap();
    let a = v.acceptance.as_ref().unwrap();
    let declined = Opinion::Declined {
        reason: "客户赶时间,不愿评价".into(),
    };
    assert_eq!(a.quality, declined);
    assert_eq!(a.attitude, Some(declined));
    assert!(matches!(&a.sign_off, SignOff::Refused { reason } if reason == "客户赶时间,不愿评价"));
    // The copy says so, and names no rating.
    let zh = copy_text(&f.tech, "D-1", Lang::ZhCn);
    assert!(zh.contains("客户未评价: 客户赶时间,不愿评价"), "{zh}");
    assert!(zh.contains("客户拒绝签字"), "{zh}");
    assert!(!zh.contains("满意"), "no invented rating: {zh}");
    // The job goes on to payment and handover like any other.
    settle(&f.tech, "D-1");
    assert_eq!(f.tech.hand_over("D-1").unwrap().status, Status::HandedOver);
}

/// The shared helper of the stories no longer invents a rating either.
#[test]
fn the_shared_full_visit_records_the_busy_customer_as_declined() {
    let f = fixture();
    onsite_tests::full_visit(&f.tech, "D-2", common::appointment(), &mut |_| {}).unwrap();
    let a = f.tech.job("D-2").unwrap().acceptance.unwrap();
    assert!(a.quality.declined() && a.attitude.unwrap().declined());
}

#[test]
fn a_refusal_to_rate_needs_its_reason() {
    let f = fixture();
    f.dispatch("D-3");
    to_work_done(&f.tech, "D-3", leak_assessment());
    let mut input = onsite_tests::refused_signature(Rating::Satisfied, false);
    input.attitude = Opinion::Declined {
        reason: "   ".into(),
    };
    let e = f.tech.record_acceptance("D-3", input).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: Field::RatingDeclineReason,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(f.tech.job("D-3").unwrap().status, Status::WorkDone);
}

// --- both ratings -------------------------------------------------------------------

#[test]
fn repair_quality_and_service_attitude_are_rated_separately() {
    let f = fixture();
    f.dispatch("R-1");
    to_work_done(&f.tech, "R-1", leak_assessment());
    let mut input = onsite_tests::refused_signature(Rating::Satisfied, false);
    input.attitude = rated(Rating::Average);
    input.sign = SignInput::Sign {
        signer_name: "王女士".into(),
        ink: ink(),
    };
    let v = f.tech.record_acceptance("R-1", input).unwrap();
    let a = v.acceptance.as_ref().unwrap();
    assert_eq!(a.quality, rated(Rating::Satisfied));
    assert_eq!(a.attitude, Some(rated(Rating::Average)));
    assert!(f.tech.verify_signature("R-1").unwrap());
    let zh = copy_text(&f.tech, "R-1", Lang::ZhCn);
    assert!(zh.contains("维修质量: 满意 / 服务态度: 一般"), "{zh}");
    let en = copy_text(&f.tech, "R-1", Lang::En);
    assert!(
        en.contains("Repair quality: Satisfied / Service attitude: Average"),
        "{en}"
    );
}

/// An acceptance stored by the previous version (one `rating`, signature
/// over the v1 content) still loads, and its signature still verifies.
#[test]
fn an_acceptance_stored_with_one_rating_still_loads_and_verifies() {
    let f = fixture();
    f.dispatch("L-1");
    to_work_done(&f.tech, "L-1", leak_assessment());
    let v = f.tech.job("L-1").unwrap();
    // The v1 content, as the previous version bound a signature to it.
    let content = serde_json::to_vec(&json!({
        "format": "onsite-acceptance-v1",
        "order": v.order,
        "assessment": v.assessment,
        "work": v.work,
        "quote_lines": v.quote_lines,
        "quote_totals": v.quote_totals,
        "consent": v.consent,
        "materials": v.materials,
        "parts": v.parts,
        "rating": "average",
        "comment": "还行",
        "fix_uncertain": false,
    }))
    .unwrap();
    let signature = SignatureRecord {
        signature_id: "S-OLD".into(),
        role: SignerRole::Customer,
        signer_name: "王女士".into(),
        device_id: "DEV-7F3A".into(),
        signed_at: Utc::now(),
        hlc: String::new(),
        ink: base64_ink(&f),
        content_sha256: content_hash(&content),
    };
    let old = json!({
        "type": "customer_accepted",
        "acceptance": {
            "rating": "average",
            "comment": "还行",
            "fix_uncertain": false,
            "sign_off": {"outcome": "signed", "signature": signature}
        }
    });
    let event: Event = serde_json::from_value(old).unwrap();
    let Event::CustomerAccepted { acceptance } = &event else {
        panic!("{event:?}")
    };
    assert_eq!(acceptance.quality, rated(Rating::Average));
    assert_eq!(acceptance.attitude, None, "attitude was never asked");
    assert!(acceptance.is_legacy());
    let mut v = v;
    v.admits(&event, f.tech.profile().approval_key.as_bytes())
        .unwrap();
    v.apply(&event, Utc::now());
    assert!(v.verify_signature().unwrap());
    // Stored again in today's shape, it reads back the same.
    let again: Event = serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
    assert_eq!(again, event);
}

/// Stored strokes (base64), taken from a signature the core made.
fn base64_ink(f: &common::Fixture) -> String {
    f.to_customer_accepted("INK")
        .customer_signature()
        .unwrap()
        .ink
        .clone()
}

// --- the technician signs the order -----------------------------------------------

#[test]
fn the_technician_signs_the_order_bound_to_the_same_content() {
    let f = fixture();
    f.dispatch("S-1");
    to_work_done(&f.tech, "S-1", leak_assessment());
    let input = AcceptanceInput {
        quality: rated(Rating::Satisfied),
        attitude: rated(Rating::Satisfied),
        comment: String::new(),
        fix_uncertain: false,
        sign: SignInput::Sign {
            signer_name: "王女士".into(),
            ink: ink(),
        },
        technician_ink: Some(ink()),
    };
    let v = f.tech.record_acceptance("S-1", input).unwrap();
    let tech_sig = v.technician_signature().unwrap();
    assert_eq!(tech_sig.role, SignerRole::Technician);
    assert_eq!(tech_sig.signer_name, "李师傅");
    assert_eq!(
        tech_sig.content_sha256,
        v.customer_signature().unwrap().content_sha256,
        "both signatures are bound to the same content"
    );
    assert!(v.verify_technician_signature().unwrap());
    let doc = f.tech.work_order_copy("S-1", Lang::ZhCn).unwrap();
    assert!(doc.technician_signature_ink.is_some());
    let text = documents::to_text(&doc);
    assert!(text.contains("维修服务人签名: 李师傅"), "{text}");
    let html = documents::to_html(&doc);
    assert!(html.contains("alt=\"technician signature\""));
    // A changed order no longer matches what the technician signed.
    let mut changed = v.clone();
    changed.work.labour_minutes += 60;
    assert!(!changed.verify_technician_signature().unwrap());
}

#[test]
fn a_technician_signature_without_strokes_is_refused() {
    let f = fixture();
    f.dispatch("S-2");
    to_work_done(&f.tech, "S-2", leak_assessment());
    let mut input = onsite_tests::refused_signature(Rating::Satisfied, false);
    input.technician_ink = Some(Vec::new());
    assert!(matches!(
        f.tech.record_acceptance("S-2", input),
        Err(Error::Signature(_))
    ));
}

// --- fault cause withheld ----------------------------------------------------------

#[test]
fn a_withheld_fault_cause_stays_off_the_customer_copy_and_is_filled_in_before_handover() {
    let f = fixture();
    f.dispatch("W-1");
    let withheld = Assessment {
        findings: String::new(),
        solution: String::new(),
        withheld: true,
        ..leak_assessment()
    };
    to_work_done(&f.tech, "W-1", withheld);
    f.tech
        .record_acceptance(
            "W-1",
            onsite_tests::refused_signature(Rating::Satisfied, false),
        )
        .unwrap();
    settle(&f.tech, "W-1");
    // The handover waits for the two fields.
    assert!(matches!(
        f.tech.hand_over("W-1"),
        Err(Error::WithheldNotFilled)
    ));
    let offered = f.tech.available_actions("W-1").unwrap();
    assert!(offered
        .iter()
        .any(|a| a.action == onsite_core::visit::Action::HandOver
            && matches!(a.blocked, Some(Error::WithheldNotFilled))));
    assert!(matches!(
        f.tech.fill_withheld("W-1", "压缩机启动电容击穿", " "),
        Err(Error::InvalidInput {
            field: Field::WithheldSolution,
            ..
        })
    ));
    let v = f
        .tech
        .fill_withheld("W-1", "压缩机启动电容击穿", "更换启动电容")
        .unwrap();
    assert_eq!(
        v.withheld_fill.as_ref().unwrap().findings,
        "压缩机启动电容击穿"
    );
    // Filling in later does not unbind anything signed, and never reaches the customer's papers.
    for lang in [Lang::ZhCn, Lang::En] {
        let text = copy_text(&f.tech, "W-1", lang);
        assert!(!text.contains("压缩机启动电容击穿"), "{text}");
        assert!(!text.contains("更换启动电容"), "{text}");
        assert!(
            !text.contains("故障原因") && !text.contains("Fault cause"),
            "{text}"
        );
        let number = v.receipt.as_ref().unwrap().number.clone();
        let receipt = documents::to_text(&f.tech.receipt_document(&number, lang).unwrap());
        assert!(!receipt.contains("压缩机启动电容击穿"), "{receipt}");
    }
    assert_eq!(f.tech.hand_over("W-1").unwrap().status, Status::HandedOver);
}

#[test]
fn a_fault_cause_written_on_site_but_withheld_is_not_on_the_copy() {
    let f = fixture();
    f.dispatch("W-2");
    let withheld = Assessment {
        findings: "用户自行拆改导致漏水".into(),
        solution: "恢复原管路".into(),
        withheld: true,
        ..leak_assessment()
    };
    to_work_done(&f.tech, "W-2", withheld);
    let text = copy_text(&f.tech, "W-2", Lang::ZhCn);
    assert!(!text.contains("用户自行拆改导致漏水"), "{text}");
    assert!(!text.contains("恢复原管路"), "{text}");
    // Both were written on site: nothing to fill in, the handover is not held.
    f.tech
        .record_acceptance(
            "W-2",
            onsite_tests::refused_signature(Rating::Satisfied, false),
        )
        .unwrap();
    settle(&f.tech, "W-2");
    f.tech.hand_over("W-2").unwrap();
}

#[test]
fn nothing_to_fill_in_when_nothing_was_withheld() {
    let f = fixture();
    f.dispatch("W-3");
    to_work_done(&f.tech, "W-3", leak_assessment());
    assert!(matches!(
        f.tech.fill_withheld("W-3", "a", "b"),
        Err(Error::NothingWithheld)
    ));
}

// --- the customer's copy -------------------------------------------------------------

#[test]
fn the_customer_copy_lists_repair_items_solution_parts_materials_and_concessions() {
    let f = fixture();
    f.to_in_progress("C-1");
    f.tech
        .replace_part(
            "C-1",
            onsite_core::material::PartReplacement {
                part_code: "PR-VALVE".into(),
                description: "角阀".into(),
                old_serial: "OLD-0042".into(),
                new_serial: "NEW-7781".into(),
                old_part_recovered: true,
                ..Default::default()
            },
        )
        .unwrap();
    // The common fixture's work: customer valve used by concession.
    let t = &f.tech;
    t.add_material(
        "C-1",
        &onsite_core::material::MaterialRequest {
            material_id: "m1".into(),
            source: onsite_core::material::Source::Warehouse,
            description: "生料带".into(),
            qty: 2,
            part_code: None,
        },
    )
    .unwrap();
    t.use_material("C-1", "m1").unwrap();
    sample::complete_checklist(t, "C-1", Phase::WorkRules).unwrap();
    t.finish_work("C-1", 45, "更换角阀,通水试验无渗漏").unwrap();
    let text = copy_text(t, "C-1", Lang::ZhCn);
    for expected in [
        "修理项目: 更换角阀",
        "故障原因: 角阀老化,密封圈失效",
        "维修措施: 关闭总阀,更换角阀并做通水试验",
        "OLD-0042",
        "NEW-7781",
        "材料 生料带",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // Concessions: the shared fixture's story.
    let f2 = fixture();
    f2.to_work_done("C-2");
    let text = copy_text(&f2.tech, "C-2", Lang::ZhCn);
    assert!(text.contains("让步使用: 塑料阀芯,耐压偏低"), "{text}");
}

// --- HQ: follow-ups, complaints, the returning customer ----------------------------

fn followups(hq: &Hq) -> Vec<(String, String)> {
    hq.followups()
        .into_iter()
        .map(|f| (f.job_id, f.reason))
        .collect()
}

fn hq_follows_up_declined_ratings_and_an_average_attitude_at_once(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T1");
    for job in ["F-DECL", "F-ATT", "F-OK"] {
        hq.dispatch(&sample::leak_order(
            job,
            "T1",
            Utc::now() + Duration::hours(1),
        ));
    }
    phone.sync();
    let t = &phone.tech;
    to_work_done(t, "F-DECL", leak_assessment());
    t.record_acceptance("F-DECL", declined_to_rate_and_sign("不想评价"))
        .unwrap();
    to_work_done(t, "F-ATT", leak_assessment());
    let mut att = onsite_tests::refused_signature(Rating::Satisfied, false);
    att.attitude = rated(Rating::Average);
    t.record_acceptance("F-ATT", att).unwrap();
    to_work_done(t, "F-OK", leak_assessment());
    t.record_acceptance(
        "F-OK",
        onsite_tests::refused_signature(Rating::Satisfied, false),
    )
    .unwrap();
    let before = Utc::now();
    let r = phone.sync();
    assert_eq!(r.ops_pushed, r.ops_applied);
    let queue = followups(&hq);
    assert!(
        queue.contains(&("F-DECL".into(), "rating_declined".into())),
        "{queue:?}"
    );
    assert!(
        queue.contains(&("F-ATT".into(), "rating".into())),
        "{queue:?}"
    );
    assert!(!queue.iter().any(|(j, _)| j == "F-OK"), "{queue:?}");
    // At once: due no later than now.
    for f in hq.followups() {
        if f.job_id == "F-DECL" || f.job_id == "F-ATT" {
            let due = chrono::DateTime::parse_from_rfc3339(&f.due_at).unwrap();
            assert!(
                due <= Utc::now() && due >= before - Duration::minutes(1),
                "{f:?}"
            );
        }
    }
    // HQ holds the opinions as recorded.
    let o = hq.order("F-DECL");
    assert_eq!(o["acceptance"]["quality"]["opinion"], "declined");
    assert_eq!(o["acceptance"]["quality"]["reason"], "不想评价");
    hq.stop();
}
on_both!(hq_follows_up_declined_ratings_and_an_average_attitude_at_once);

fn a_complaint_on_site_reaches_hq_and_marks_the_customer_s_next_order(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T1");
    let first = sample::leak_order("CP-1", "T1", Utc::now() + Duration::hours(1));
    hq.dispatch(&first);
    phone.sync();
    let t = &phone.tech;
    t.accept_job("CP-1").unwrap();
    sample::complete_checklist(t, "CP-1", Phase::BeforeLeaving).unwrap();
    t.depart("CP-1").unwrap();
    t.arrive("CP-1").unwrap();
    // Not before the technician is with the customer.
    let v = t
        .record_complaint(
            "CP-1",
            Complaint {
                kind: ComplaintKind::Hard,
                words: "  上次换的龙头又坏了,质量太差  ".into(),
            },
        )
        .unwrap();
    assert_eq!(v.complaints[0].words, "上次换的龙头又坏了,质量太差");
    assert!(matches!(
        t.record_complaint(
            "CP-1",
            Complaint {
                kind: ComplaintKind::Soft,
                words: " ".into(),
            },
        ),
        Err(Error::InvalidInput {
            field: Field::ComplaintWords,
            ..
        })
    ));
    t.record_complaint(
        "CP-1",
        Complaint {
            kind: ComplaintKind::Soft,
            words: "客服电话总是打不通".into(),
        },
    )
    .unwrap();
    phone.sync();
    let list = hq.ok(hq.api.complaints());
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0].kind, "hard");
    assert_eq!(list[0].words, "上次换的龙头又坏了,质量太差");
    assert_eq!(list[0].job_id, "CP-1");
    assert_eq!(list[0].customer_phone, first.customer.phone);
    assert_eq!(list[1].kind, "soft");
    // The next order for the same phone (written differently) is marked, and the phone shows it.
    let mut next = sample::leak_order("CP-2", "T1", Utc::now() + Duration::hours(30));
    next.customer.phone = first.customer.phone.replace('-', " ");
    hq.dispatch(&next);
    assert!(hq.visit("CP-2").order.complained_before);
    // Another customer is not.
    let mut other = sample::leak_order("CP-3", "T1", Utc::now() + Duration::hours(30));
    other.customer.phone = "139-0000-0000".into();
    hq.dispatch(&other);
    assert!(!hq.visit("CP-3").order.complained_before);
    phone.sync();
    let jobs = phone.tech.jobs().unwrap();
    let mark = |id: &str| {
        jobs.iter()
            .find(|j| j.job_id == id)
            .unwrap()
            .complained_before
    };
    assert!(mark("CP-2"));
    assert!(!mark("CP-3"));
    // The mark may also come in the order's body.
    let mut given = sample::leak_order("CP-4", "T1", Utc::now() + Duration::hours(30));
    given.customer.phone = "137-1111-2222".into();
    given.complained_before = true;
    hq.dispatch(&given);
    phone.sync();
    assert!(phone.tech.job("CP-4").unwrap().order.complained_before);
    hq.stop();
}
on_both!(a_complaint_on_site_reaches_hq_and_marks_the_customer_s_next_order);

#[test]
fn a_complaint_is_heard_only_with_the_customer() {
    let f = fixture();
    f.dispatch("CP-9");
    let e = f
        .tech
        .record_complaint(
            "CP-9",
            Complaint {
                kind: ComplaintKind::Soft,
                words: "电话里态度不好".into(),
            },
        )
        .unwrap_err();
    assert!(matches!(e, Error::IllegalTransition { .. }), "{e:?}");
}
