//! The order page over real HTTP, after a real phone worked the visit and
//! synced: what the front desk reads (checklists, quote, receipt, the
//! customer's signature drawn from its strokes and verified, photos, the
//! audit trail), the four-copy work order without the withheld fault cause
//! on the customer's copy, and 404s for what is not this order's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::checklist::{Answer, Checklists, Phase};
use onsite_core::material::{ConcessionNote, Inspection, MaterialRequest, Source, Verdict};
use onsite_core::payment::Method;
use onsite_core::photo::PhotoPolicy;
use onsite_core::quote::{approval_code, LineItem, LineKind, LineRequest};
use onsite_core::sample;
use onsite_core::visit::{Assessment, Complaint, ComplaintKind, Rating};
use onsite_core::{AcceptanceInput, SignInput, Technician};
use onsite_hq::centre::people::Role;
use onsite_tests::console::{add_person, Browser};
use onsite_tests::harness::{hq_and_phone, Backend, Hq};
use onsite_tests::{on_both, peek, rated};
use reqwest::header::COOKIE;
use reqwest::StatusCode;

const JOB: &str = "WO-ORD-1";
const OTHER: &str = "WO-ORD-2";
/// The fault cause the assessment withholds from the customer.
const WITHHELD: &str = "线路板受潮短路";
const WITHHELD_SOLUTION: &str = "更换主控板";
/// What is filled in for them after the visit.
const FILLED: &str = "主控板电容鼓包";
const FILLED_SOLUTION: &str = "更换电容C12";

/// A photo unlike the sample one (its own hash).
fn other_photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(120, 90, |x, y| {
        image::Rgb([(x * 2) as u8, 200, (y * 2) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Works `JOB` from acceptance to a signed, paid visit with a receipt: a
/// withheld assessment, one schedule line, a photo of the finished work.
/// Returns the voided receipt's number, its reissue's and the photo's hash.
fn work_the_visit(tech: &Technician) -> (String, String, String) {
    tech.accept_job(JOB).unwrap();
    sample::complete_checklist(tech, JOB, Phase::BeforeLeaving).unwrap();
    tech.depart(JOB).unwrap();
    tech.arrive_with_reason(JOB, "路上堵车").unwrap();
    sample::complete_checklist(tech, JOB, Phase::Arrival).unwrap();
    tech.assess(
        JOB,
        Assessment {
            findings: WITHHELD.into(),
            solution: WITHHELD_SOLUTION.into(),
            withheld: true,
            ..Default::default()
        },
    )
    .unwrap();
    sample::add_schedule_line(tech, JOB, 1).unwrap();
    // An off-schedule line, approved by the supervisor's code read out on the phone.
    let v = tech
        .add_quote_line(
            JOB,
            &LineRequest {
                item: LineItem::OffSchedule {
                    kind: LineKind::Service,
                    description: "地柜底板更换".into(),
                    unit_price_fen: 8_000,
                },
                qty: 1,
                payer: None,
            },
        )
        .unwrap();
    let line = v.quote_lines.last().unwrap().clone();
    let code = approval_code(tech.profile().approval_key.as_bytes(), JOB, &line);
    tech.approve_quote_line(JOB, line.line_no, "陈主管", &code)
        .unwrap();
    tech.present_quote(JOB).unwrap();
    tech.customer_consents(JOB, "王女士").unwrap();
    tech.start_work(JOB).unwrap();
    // The customer's own valve fails its inspection and is used with their consent.
    tech.add_material(
        JOB,
        &MaterialRequest {
            material_id: "m1".into(),
            source: Source::CustomerSupplied,
            description: "客户自备角阀".into(),
            qty: 1,
            part_code: None,
        },
    )
    .unwrap();
    tech.inspect_material(
        JOB,
        "m1",
        Inspection {
            verdict: Verdict::Fail,
            findings: "阀芯有划痕".into(),
            photos: vec![],
            at: Utc::now(),
        },
    )
    .unwrap();
    tech.note_concession(
        JOB,
        "m1",
        ConcessionNote {
            defect: "阀芯有划痕".into(),
            explanation: "可能渗水,建议更换".into(),
            customer_name: "王女士".into(),
            customer_consents: true,
            consented_at: Utc::now(),
        },
    )
    .unwrap();
    tech.use_material(JOB, "m1").unwrap();
    sample::complete_checklist(tech, JOB, Phase::WorkRules).unwrap();
    tech.finish_work(JOB, 30, "更换角阀").unwrap();
    let photo = tech
        .add_photo(JOB, &other_photo(), &PhotoPolicy::default())
        .unwrap()
        .full_sha256;
    tech.answer(
        JOB,
        "property_repair.completion",
        "finished_photo",
        Answer::Photo(photo.clone()),
    )
    .unwrap();
    sample::complete_checklist(tech, JOB, Phase::Completion).unwrap();
    let ink = onsite_core::signature::demo_ink_bytes();
    tech.record_acceptance(
        JOB,
        AcceptanceInput {
            quality: rated(Rating::Satisfied),
            attitude: rated(Rating::Satisfied),
            comment: String::new(),
            fix_uncertain: false,
            sign: SignInput::Sign {
                signer_name: "王女士".into(),
                ink: ink.clone(),
            },
            technician_ink: Some(ink),
        },
    )
    .unwrap();
    let due = tech.job(JOB).unwrap().due_on_site().fen();
    tech.take_payment(JOB, Method::Cash, due, None, true)
        .unwrap();
    let voided = tech.issue_receipt(JOB, false).unwrap().number;
    tech.void_receipt(&voided, "金额写错").unwrap();
    let receipt = tech.reissue_receipt(&voided).unwrap().number;
    tech.record_complaint(
        JOB,
        Complaint {
            kind: ComplaintKind::Soft,
            words: "师傅迟到了".into(),
        },
    )
    .unwrap();
    // Back at the department, the withheld fault cause is written in full.
    tech.fill_withheld(JOB, FILLED, FILLED_SOLUTION).unwrap();
    (voided, receipt, photo)
}

/// The raw answer to a GET with the person's session (photos are bytes).
fn get_bytes(hq: &Hq, b: &Browser, path: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let res = hq
        .rt
        .block_on(
            reqwest::Client::new()
                .get(format!("{}{path}", hq.url))
                .header(COOKIE, b.cookie.clone().unwrap())
                .send(),
        )
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let cache = res
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(cache.as_deref(), Some("no-store"), "{path} is never cached");
    (status, ct, hq.rt.block_on(res.bytes()).unwrap().to_vec())
}

fn the_order_page_shows_what_the_phone_recorded(b: Backend) {
    let (hq, phone) = hq_and_phone(b, "T-ORD");
    let appointment = Utc::now() + Duration::minutes(5);
    hq.dispatch(&sample::leak_order(JOB, "T-ORD", appointment));
    hq.dispatch(&sample::leak_order(OTHER, "T-ORD", appointment));
    phone.sync();
    let (voided, receipt, photo) = work_the_visit(&phone.tech);
    // Another order of the same technician, with the sample photo.
    onsite_tests::drive_accepted_to_handover(&phone.tech, OTHER).unwrap();
    phone.sync();
    let other_photo = phone.tech.job(OTHER).unwrap().answers["property_repair.completion"]
        ["finished_photo"]
        .clone();
    let Answer::Photo(other_photo) = other_photo else {
        panic!("a photo answer")
    };
    assert_ne!(other_photo, photo);

    // What the dispatch page will write on the trail: a person's action on the order.
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    peek::exec(
        &hq.backend.url(),
        "INSERT INTO audit(at, actor, action, job_id, detail) VALUES ($1, $2, $3, $4, $5)",
        &[
            "2026-11-28T01:02:03.000Z".into(),
            "person:wang".into(),
            "order.assign".into(),
            JOB.into(),
            "T-ORD".into(),
        ],
    );

    let mut b = Browser::signed_in(&hq, "wang");
    let page = b.get(&format!("/orders/{JOB}"));
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    let hq_visit = hq.visit(JOB);
    // The checklists, item by item, in the person's language.
    let shipped = Checklists::shipped().unwrap();
    let arrival = shipped.by_id("property_repair.arrival").unwrap();
    assert!(body.contains(&arrival.title.zh), "arrival checklist shown");
    for item in &arrival.items {
        if hq_visit.answers["property_repair.arrival"].contains_key(&item.id) {
            assert!(body.contains(&item.label.zh), "{} shown", item.label.zh);
        }
    }
    // The quote line, the receipt, the punctuality verdict.
    assert!(
        body.contains(&hq_visit.quote_lines[0].description.zh),
        "quote line"
    );
    assert!(body.contains("收费标准内"), "a schedule line says so");
    let approved = &hq_visit.quote_lines[1];
    assert!(
        body.contains("地柜底板更换") && body.contains("陈主管"),
        "the off-schedule line and who approved it"
    );
    let code = &approved.approval.as_ref().unwrap().code;
    assert!(
        body.contains(&format!("<code>{code}</code>")),
        "its approval code"
    );
    assert!(
        body.contains("检验不合格")
            && body.contains("阀芯有划痕")
            && body.contains("可能渗水,建议更换"),
        "the failed inspection and the concession note"
    );
    assert!(body.contains("客户同意:"), "the customer's consent");
    assert!(body.contains(&receipt), "receipt {receipt} listed");
    assert!(
        body.contains(&voided) && body.contains("已作废") && body.contains("金额写错"),
        "the voided receipt {voided}, with its reason"
    );
    assert!(body.contains("重开"), "the reissue says what it is");
    assert!(
        body.contains("软投诉") && body.contains("师傅迟到了"),
        "the complaint"
    );
    assert!(
        body.contains("路上堵车"),
        "the late reason with the arrival"
    );
    // The withheld fault cause is the centre's to read, marked as withheld.
    assert!(body.contains(WITHHELD) && body.contains("对客户隐瞒"));
    // The signatures, drawn from their strokes and verified.
    assert!(body.contains("客户签名"), "{body}");
    assert!(
        body.contains("<svg") && body.contains("<path stroke-width"),
        "SVG strokes"
    );
    assert_eq!(
        body.matches("验证通过").count(),
        2,
        "both signatures verified"
    );
    // The photo, linked and served as the phone took it; the trail with who and what.
    let link = format!("/orders/{JOB}/photos/{photo}");
    assert!(body.contains(&format!("href=\"{link}\"")), "photo link");
    assert!(body.contains("王芳") && body.contains("派工"), "trail");
    assert!(
        body.contains("2026-11-28 09:02"),
        "trail time in China time"
    );

    let (status, ct, bytes) = get_bytes(&hq, &b, &link);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct.as_deref(), Some("image/jpeg"));
    assert_eq!(bytes, phone.tech.blob(&photo).unwrap().unwrap().1);
    // Another order's photo is not this order's.
    let (status, _, _) = get_bytes(&hq, &b, &format!("/orders/{JOB}/photos/{other_photo}"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get_bytes(&hq, &b, &format!("/orders/{OTHER}/photos/{other_photo}"));
    assert_eq!(status, StatusCode::OK, "but it is its own order's");

    // The four copies: the customer's without the withheld fault cause.
    let print = b.get(&format!("/orders/{JOB}/print"));
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.body.contains("data-print"));
    let copies: Vec<&str> = print.body.split("class=\"copy copy-").skip(1).collect();
    assert_eq!(copies.len(), 4, "four copies");
    assert!(copies[0].starts_with("customer") && copies[0].contains("客户联"));
    for secret in [WITHHELD, WITHHELD_SOLUTION, FILLED, FILLED_SOLUTION] {
        assert!(
            !copies[0].contains(secret),
            "{secret} on the customer's copy"
        );
    }
    assert!(
        copies[0].contains("<svg"),
        "the customer's signature on their copy"
    );
    let centre = copies
        .iter()
        .find(|c| c.starts_with("service-centre"))
        .unwrap();
    assert!(
        centre.contains(FILLED) && centre.contains(FILLED_SOLUTION),
        "the company's copy has what was filled in later"
    );

    // What was signed is changed behind the phone's back: the page says so.
    peek::exec(
        &hq.backend.url(),
        "UPDATE orders SET visit = replace(visit, '更换角阀', '更换水管') WHERE job_id = $1",
        &[JOB.into()],
    );
    let page = b.get(&format!("/orders/{JOB}"));
    assert_eq!(page.body.matches("验证失败").count(), 2, "{}", page.body);
    assert!(!page.body.contains("验证通过"));
}
on_both!(the_order_page_shows_what_the_phone_recorded);

#[test]
fn an_unknown_or_forged_order_number_is_a_404_in_the_persons_language() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    hq.technician("T-ORD", "李师傅");
    hq.dispatch(&sample::leak_order(JOB, "T-ORD", Utc::now()));
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut b = Browser::signed_in(&hq, "wang");
    for path in [
        "/orders/WO-NOPE",
        "/orders/WO-1'%20OR%20'1'='1",
        "/orders/WO-1%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/orders/WO-1';DROP%20TABLE%20orders;--/print",
    ] {
        let p = b.get(path);
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
        assert!(p.body.contains("找不到该工单"), "{path}: {}", p.body);
        assert!(!p.body.contains("<script>alert"), "{path}");
    }
    let p = b.get(&format!("/orders/{JOB}/photos/{}", "0".repeat(64)));
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.body.contains("该工单没有这张照片"));
    assert_eq!(
        b.get(&format!("/orders/{JOB}")).status,
        StatusCode::OK,
        "orders intact"
    );

    // In English, in English.
    let res = hq
        .rt
        .block_on(
            reqwest::Client::new()
                .get(format!("{}/orders/WO-NOPE", hq.url))
                .header(
                    COOKIE,
                    format!("{}; onsite_lang=en", b.cookie.clone().unwrap()),
                )
                .send(),
        )
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body = hq.rt.block_on(res.text()).unwrap();
    assert!(body.contains("There is no such order"), "{body}");
    assert!(!body.contains("找不到"), "{body}");
}
