//! Money on site beyond the quote (DOMAIN.md step 8, issue 10): a disputed
//! charge escalated to the service centre and its instruction (by sync or by
//! a supervisor's code), the invoice asked for, the furniture order's
//! outstanding balance (尾款) as its own line, and cash checked and counted.
//! Every story runs through the public API over a real store; the HQ parts
//! against a real HQ (SQLite, and PostgreSQL under scripts/test.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use chrono::{Duration, Utc};
use onsite_core::charge::{
    charge_code, ChargeDispute, CustomerAsk, Instruction, Invoice, InvoiceDelivery,
};
use onsite_core::documents;
use onsite_core::locale::Lang;
use onsite_core::money::Fen;
use onsite_core::payment::Method;
use onsite_core::receipt::NumberBlock;
use onsite_core::sample;
use onsite_core::visit::{Action, Rating};
use onsite_core::{Error, Technician};
use onsite_hq::api::{ChargeCodeBody, ChargeInstructionBody, InvoiceQuery};
use onsite_hq::rules::Tally;
use onsite_tests::harness::{fresh_postgres, Backend, Hq, Phone};
use onsite_tests::{drive_accepted_to_acceptance, refused_signature};

struct Fixture {
    tech: Technician,
    _dir: tempfile::TempDir,
}

fn phone() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let tech = Technician::open(dir.path().join("phone.sqlite3"), sample::profile()).unwrap();
    tech.grant_receipt_block(&NumberBlock {
        series: "R".into(),
        first: 1,
        last: 100,
    })
    .unwrap();
    Fixture { tech, _dir: dir }
}

/// An out-of-warranty appliance job driven to the customer's acceptance: the charge is due.
fn charged_job(tech: &Technician, job: &str) -> Fen {
    let tid = tech.profile().technician_id.clone();
    tech.receive_order(sample::out_of_warranty_order(
        job,
        &tid,
        Utc::now() + Duration::hours(1),
    ))
    .unwrap();
    tech.accept_job(job).unwrap();
    drive_accepted_to_acceptance(tech, job, refused_signature(Rating::Average, false)).unwrap();
    let charge = tech.job(job).unwrap().due_on_site();
    assert!(charge > Fen::ZERO);
    charge
}

fn outbox_kinds(tech: &Technician) -> Vec<&'static str> {
    tech.pending_ops(1000)
        .unwrap()
        .iter()
        .map(|op| op.event.kind())
        .collect()
}

fn reduction(fen: i64) -> Instruction {
    Instruction::Reduce {
        to: Fen::new(fen).unwrap(),
    }
}

/// 「如果用户一再坚持则将信息处理结果报回服务中心,根据服务中心批示处理」: the
/// escalation is a fact that waits in the outbox when offline, and the job
/// waits: payment is refused while the dispute is open, and the screen shows
/// the payment blocked by it. Never silently "on account".
#[test]
fn a_disputed_charge_is_escalated_offline_and_payment_waits() {
    let f = phone();
    let charge = charged_job(&f.tech, "D-1");
    let v = f
        .tech
        .dispute_charge("D-1", &sample::refused_charge(charge))
        .unwrap();
    assert!(v.charge_dispute_open());
    assert_eq!(outbox_kinds(&f.tech).last(), Some(&"charge_disputed"));

    for (method, fen) in [
        (Method::Cash, charge.fen()),
        (Method::OnAccount, 0),
        (Method::WechatPay, charge.fen()),
    ] {
        let refused = f.tech.take_payment("D-1", method, fen, None, true);
        assert!(
            matches!(refused, Err(Error::ChargeDisputeOpen)),
            "{method:?}: {refused:?}"
        );
    }
    let offered = f.tech.available_actions("D-1").unwrap();
    let pay = offered
        .iter()
        .find(|a| a.action == Action::TakePayment)
        .unwrap();
    assert!(
        matches!(pay.blocked, Some(Error::ChargeDisputeOpen)),
        "{pay:?}"
    );
    assert!(offered
        .iter()
        .any(|a| a.action == Action::EnterChargeInstruction && a.blocked.is_none()));
    assert!(f.tech.job("D-1").unwrap().payment.is_none());
}

/// 「服务工程师要详细向用户解释国家三保规定及保修期范围」: no escalation without
/// both explanations, and a reduction asked is below the charge.
#[test]
fn escalation_needs_sanbao_and_the_warranty_scope_explained() {
    let f = phone();
    let charge = charged_job(&f.tech, "D-2");
    let not_told = ChargeDispute {
        explained_sanbao: false,
        ..sample::refused_charge(charge)
    };
    assert!(matches!(
        f.tech.dispute_charge("D-2", &not_told),
        Err(Error::ChargeRulesNotExplained)
    ));
    let scope_not_told = ChargeDispute {
        explained_warranty_scope: false,
        ..sample::refused_charge(charge)
    };
    assert!(matches!(
        f.tech.dispute_charge("D-2", &scope_not_told),
        Err(Error::ChargeRulesNotExplained)
    ));
    let more = ChargeDispute {
        ask: CustomerAsk::Reduction { to: charge },
        ..sample::refused_charge(charge)
    };
    assert!(matches!(
        f.tech.dispute_charge("D-2", &more),
        Err(Error::ReductionNotBelowCharge { .. })
    ));
    assert!(f.tech.job("D-2").unwrap().charge_dispute.is_none());
}

/// A supervisor reads out a code bound to the job, the instruction and its
/// amount; the phone checks it offline. A code for another amount, another
/// instruction or another job is refused and the job keeps waiting; the
/// right one waives the charge and the receipt shows the instruction.
#[test]
fn a_supervisor_code_waives_the_charge_and_a_wrong_code_is_refused() {
    let f = phone();
    let charge = charged_job(&f.tech, "D-3");
    f.tech
        .dispute_charge("D-3", &sample::refused_charge(charge))
        .unwrap();
    let key = sample::profile().approval_key;
    for (instruction, job) in [
        (reduction(1_000), "D-3"),
        (Instruction::Insist, "D-3"),
        (Instruction::Waive, "D-OTHER"),
    ] {
        let code = charge_code(key.as_bytes(), job, instruction);
        let wrong = f
            .tech
            .enter_charge_instruction("D-3", Instruction::Waive, "赵主管", &code);
        assert!(
            matches!(wrong, Err(Error::InvalidChargeCode)),
            "{instruction:?} {job}: {wrong:?}"
        );
    }
    assert!(f.tech.job("D-3").unwrap().charge_dispute_open());

    let code = charge_code(key.as_bytes(), "D-3", Instruction::Waive);
    let v = f
        .tech
        .enter_charge_instruction("D-3", Instruction::Waive, "赵主管", &code)
        .unwrap();
    assert!(!v.charge_dispute_open());
    assert_eq!(v.due_on_site(), Fen::ZERO);
    assert_eq!(
        outbox_kinds(&f.tech).last(),
        Some(&"charge_instruction_entered")
    );
    // A second instruction has no open dispute to answer.
    assert!(matches!(
        f.tech
            .enter_charge_instruction("D-3", Instruction::Insist, "赵主管", "000000"),
        Err(Error::IllegalTransition { .. } | Error::NoOpenChargeDispute)
    ));
    f.tech
        .take_payment("D-3", Method::Cash, 0, None, true)
        .unwrap();
    let receipt = f.tech.issue_receipt("D-3", false).unwrap();
    assert_eq!(receipt.payment.as_ref().unwrap().due, Fen::ZERO);
    let text = documents::to_text(
        &f.tech
            .receipt_document(&receipt.number, Lang::ZhCn)
            .unwrap(),
    );
    assert!(text.contains("服务中心批示"), "{text}");
    assert!(text.contains("免收"), "{text}");
    assert!(text.contains("赵主管"), "{text}");
}

/// An instruction never reduces above the charge.
#[test]
fn a_reduction_above_the_charge_is_refused() {
    let f = phone();
    let charge = charged_job(&f.tech, "D-4");
    f.tech
        .dispute_charge("D-4", &sample::refused_charge(charge))
        .unwrap();
    let above = reduction(charge.fen() + 1);
    let code = charge_code(sample::profile().approval_key.as_bytes(), "D-4", above);
    assert!(matches!(
        f.tech
            .enter_charge_instruction("D-4", above, "赵主管", &code),
        Err(Error::ReductionNotBelowCharge { .. })
    ));
}

/// 「要求减免费用再修」: a customer who asks a reduction before the repair
/// does not consent while the centre decides.
#[test]
fn consent_waits_for_the_instruction_on_a_quote_disputed_before_the_repair() {
    let f = phone();
    let tid = f.tech.profile().technician_id.clone();
    let job = "D-5";
    f.tech
        .receive_order(sample::out_of_warranty_order(
            job,
            &tid,
            Utc::now() + Duration::hours(1),
        ))
        .unwrap();
    f.tech.accept_job(job).unwrap();
    sample::complete_checklist(&f.tech, job, onsite_core::checklist::Phase::BeforeLeaving).unwrap();
    f.tech.depart(job).unwrap();
    f.tech.arrive(job).unwrap();
    sample::complete_checklist(&f.tech, job, onsite_core::checklist::Phase::Arrival).unwrap();
    f.tech
        .assess(
            job,
            onsite_core::visit::Assessment {
                findings: "排水泵叶轮卡死".into(),
                ..Default::default()
            },
        )
        .unwrap();
    sample::add_schedule_line(&f.tech, job, 1).unwrap();
    let v = f.tech.present_quote(job).unwrap();
    let charge = v.due_on_site();
    let asks = ChargeDispute {
        ask: CustomerAsk::Reduction {
            to: Fen::new(charge.fen() / 2).unwrap(),
        },
        ..sample::refused_charge(charge)
    };
    f.tech.dispute_charge(job, &asks).unwrap();
    assert!(matches!(
        f.tech.customer_consents(job, "王女士"),
        Err(Error::ChargeDisputeOpen)
    ));
    let half = reduction(charge.fen() / 2);
    let code = charge_code(sample::profile().approval_key.as_bytes(), job, half);
    f.tech
        .enter_charge_instruction(job, half, "赵主管", &code)
        .unwrap();
    let v = f.tech.customer_consents(job, "王女士").unwrap();
    assert_eq!(v.due_on_site().fen(), charge.fen() / 2);
}

/// 「牵涉收回余款一定要注意:假钞,当面点清」: cash is taken only once checked for
/// counterfeits and counted in front of the customer; the payment and the
/// receipt say so. Other methods need no such check.
#[test]
fn cash_not_checked_and_counted_is_refused() {
    let f = phone();
    let due = charged_job(&f.tech, "C-1");
    assert!(matches!(
        f.tech
            .take_payment("C-1", Method::Cash, due.fen() + 1_000, None, false),
        Err(Error::CashNotChecked)
    ));
    assert!(f.tech.job("C-1").unwrap().payment.is_none());
    let v = f
        .tech
        .take_payment("C-1", Method::Cash, due.fen() + 1_000, None, true)
        .unwrap();
    assert!(v.payment.as_ref().unwrap().cash_checked);
    let receipt = f.tech.issue_receipt("C-1", false).unwrap();
    let text = documents::to_text(
        &f.tech
            .receipt_document(&receipt.number, Lang::ZhCn)
            .unwrap(),
    );
    assert!(text.contains("已当面验钞点清"), "{text}");

    let g = phone();
    let due = charged_job(&g.tech, "C-2");
    let v = g
        .tech
        .take_payment("C-2", Method::WechatPay, due.fen(), None, false)
        .unwrap();
    assert!(!v.payment.as_ref().unwrap().cash_checked);
}

/// 「查看客户是否有尾款未收」: the furniture order's outstanding balance from
/// HQ is collected with the visit's charge, as a line of its own on the
/// receipt; the technician has no way to change it.
#[test]
fn the_furniture_balance_is_collected_as_its_own_line() {
    let f = phone();
    let tid = f.tech.profile().technician_id.clone();
    f.tech
        .receive_order(sample::furniture_balance_order(
            "F-1",
            &tid,
            Utc::now() + Duration::hours(1),
            80_000,
        ))
        .unwrap();
    f.tech.accept_job("F-1").unwrap();
    drive_accepted_to_acceptance(&f.tech, "F-1", refused_signature(Rating::Satisfied, false))
        .unwrap();
    let v = f.tech.job("F-1").unwrap();
    let charge = v.charge_due();
    assert_eq!(v.balance_due().unwrap().fen(), 80_000);
    assert_eq!(v.due_on_site().fen(), charge.fen() + 80_000);
    // Paying only the visit's charge does not settle the balance.
    assert!(matches!(
        f.tech
            .take_payment("F-1", Method::WechatPay, charge.fen(), None, false),
        Err(Error::Underpaid { .. })
    ));
    f.tech
        .take_payment("F-1", Method::Cash, charge.fen() + 80_000, None, true)
        .unwrap();
    let receipt = f.tech.issue_receipt("F-1", false).unwrap();
    assert_eq!(receipt.balance, Some(Fen::new(80_000).unwrap()));
    assert_eq!(
        receipt.payment.as_ref().unwrap().due.fen(),
        charge.fen() + 80_000
    );
    let doc = f
        .tech
        .receipt_document(&receipt.number, Lang::ZhCn)
        .unwrap();
    let row = doc
        .rows
        .iter()
        .find(|r| r.name == "尾款")
        .expect("balance row");
    assert_eq!(row.amount, "¥800.00");
    assert_eq!(doc.rows.len(), receipt.lines.len() + 1);
    let en = documents::to_text(&f.tech.receipt_document(&receipt.number, Lang::En).unwrap());
    assert!(en.contains("Outstanding balance"), "{en}");
    assert_eq!(f.tech.verify_receipt_chain().unwrap(), None);
}

/// 「如用户要求开发票,则必须给用户开发票」「若现场未带发票,应与用户约定再送发票或寄发票」:
/// the invoice's title and tax number are recorded (a tax number is an
/// 18-character unified social credit code; an individual gives none).
#[test]
fn an_invoice_needs_a_title_and_a_valid_tax_number() {
    let f = phone();
    let due = charged_job(&f.tech, "I-1");
    let bad = Invoice {
        tax_number: "91350100M000100Y44".into(),
        ..sample::company_invoice_by_post()
    };
    assert!(matches!(
        f.tech.record_invoice("I-1", &bad),
        Err(Error::InvalidTaxNumber { .. })
    ));
    let untitled = Invoice {
        title: "  ".into(),
        ..sample::company_invoice_by_post()
    };
    assert!(matches!(
        f.tech.record_invoice("I-1", &untitled),
        Err(Error::InvalidInput { .. })
    ));
    let person = Invoice {
        title: "王女士".into(),
        tax_number: String::new(),
        delivery: InvoiceDelivery::OnSite,
    };
    let v = f.tech.record_invoice("I-1", &person).unwrap();
    assert!(!v.invoice.as_ref().unwrap().delivery.pending());
    f.tech
        .take_payment("I-1", Method::Cash, due.fen(), None, true)
        .unwrap();
    let receipt = f.tech.issue_receipt("I-1", false).unwrap();
    let text = documents::to_text(
        &f.tech
            .receipt_document(&receipt.number, Lang::ZhCn)
            .unwrap(),
    );
    assert!(text.contains("发票"), "{text}");
    assert!(text.contains("现场已开"), "{text}");
}

// --- against a real HQ ------------------------------------------------------------------

/// The escalation reaches HQ by sync; the centre's instruction (reduce)
/// comes back by sync; the reduced amount is what is paid and what the
/// receipt and HQ's reconciliation count. HQ also gives a supervisor the
/// code for an offline phone (the waive of a second job), and lists the
/// invoices still owed to customers.
fn centre_instructs_by_sync_and_by_code(backend: Backend) {
    let hq = Hq::start(backend);
    let code = hq.technician("T1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "D1");
    let t = &phone.tech;
    t.grant_receipt_block(&NumberBlock {
        series: "S".into(),
        first: 1,
        last: 50,
    })
    .unwrap();
    let at = Utc::now() + Duration::hours(1);
    for job in ["H-1", "H-2"] {
        hq.dispatch(&sample::out_of_warranty_order(job, "T1", at));
    }
    phone.sync();
    let mut charges = Vec::new();
    for job in ["H-1", "H-2"] {
        t.accept_job(job).unwrap();
        drive_accepted_to_acceptance(t, job, refused_signature(Rating::Average, false)).unwrap();
        let charge = t.job(job).unwrap().due_on_site();
        t.dispute_charge(job, &sample::refused_charge(charge))
            .unwrap();
        charges.push(charge);
    }
    // Before the escalation reached HQ the centre has nothing to instruct.
    let instruct = |instruction| ChargeInstructionBody {
        instruction,
        by: "客服中心 张敏".into(),
    };
    let (status, body) = hq.refused(
        hq.api
            .charge_instruction("H-1", &instruct(Instruction::Waive)),
    );
    assert_eq!((status, body.error.as_str()), (409, "conflict"), "{body:?}");
    let r = phone.sync();
    assert_eq!(r.ops_rejected, 0, "{:?}", t.conflicts("H-1").unwrap());
    let order = hq.order("H-1");
    assert_eq!(order["charge_dispute"]["ask"]["ask"], "refuses", "{order}");

    // H-1: the centre reduces the charge to half, by sync.
    let half = charges[0].fen() / 2;
    let reduce = |to: i64| {
        instruct(Instruction::Reduce {
            to: Fen::new(to).unwrap(),
        })
    };
    let (status, answer) = hq.refused(
        hq.api
            .charge_instruction("H-1", &reduce(charges[0].fen() + 1)),
    );
    assert_eq!(status, 409, "a reduction above the charge: {answer:?}");
    hq.ok(hq.api.charge_instruction("H-1", &reduce(half)));
    assert!(t.job("H-1").unwrap().charge_dispute_open());
    phone.sync();
    let v = t.job("H-1").unwrap();
    assert!(!v.charge_dispute_open());
    assert_eq!(v.due_on_site().fen(), half);
    t.take_payment("H-1", Method::Cash, half, None, true)
        .unwrap();
    let receipt = t.issue_receipt("H-1", false).unwrap();
    assert_eq!(receipt.payment.as_ref().unwrap().due.fen(), half);
    let text = documents::to_text(&t.receipt_document(&receipt.number, Lang::ZhCn).unwrap());
    assert!(text.contains("减收至"), "{text}");

    // H-2: the phone is offline; a supervisor asks HQ for the waive code and reads it out.
    let code = hq
        .ok(hq.api.charge_code(
            "H-2",
            &ChargeCodeBody {
                instruction: Instruction::Waive,
            },
        ))
        .code;
    assert_eq!(code.len(), 6);
    t.enter_charge_instruction("H-2", Instruction::Waive, "赵主管", &code)
        .unwrap();
    assert_eq!(t.job("H-2").unwrap().due_on_site(), Fen::ZERO);
    t.take_payment("H-2", Method::Cash, 0, None, true).unwrap();
    t.issue_receipt("H-2", false).unwrap();
    t.record_invoice("H-2", &sample::company_invoice_by_post())
        .unwrap();
    t.record_invoice(
        "H-1",
        &Invoice {
            title: "王女士".into(),
            tax_number: String::new(),
            delivery: InvoiceDelivery::OnSite,
        },
    )
    .unwrap();

    let r = phone.sync();
    assert_eq!(r.ops_rejected, 0, "{:?}", t.conflicts("H-2").unwrap());
    assert_eq!(
        hq.visit("H-2").charge_instruction.map(|c| c.instruction),
        Some(Instruction::Waive)
    );
    let day = Utc::now()
        .with_timezone(&documents::china_time())
        .date_naive();
    let rec = hq.reconciliation("T1", day);
    assert_eq!(
        rec.lines[0].issued,
        Tally {
            count: 2,
            fen: half
        },
        "{rec:?}"
    );
    // Only the invoice still owed is pending at HQ.
    let list = hq.ok(hq.api.invoices(&InvoiceQuery {
        status: Some("pending".into()),
    }));
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].job_id, "H-2");
    assert_eq!(list[0].tax_number, "91350100M000100Y43");
    assert!(
        matches!(list[0].delivery, InvoiceDelivery::Post { .. }),
        "{list:?}"
    );
    assert_eq!(list[0].amount_fen, Some(0));
    // A key without the `customer` scope reads the same list masked, and
    // every read of it is in the access log.
    let (st, key) = hq.call(
        "POST",
        "/v1/keys",
        Some(onsite_tests::harness::ADMIN),
        Some(serde_json::json!({"name": "books", "scopes": ["read"]})),
    );
    assert_eq!(st, 201, "{key}");
    let (st, masked) = hq.call(
        "GET",
        "/v1/invoices?status=pending",
        key["secret"].as_str(),
        None,
    );
    assert_eq!(st, 200, "{masked}");
    let title = list[0].title.clone();
    assert_ne!(masked[0]["title"], title.as_str(), "{masked}");
    assert!(
        masked[0]["title"].as_str().unwrap().ends_with("**"),
        "{masked}"
    );
    assert_eq!(masked[0]["tax_number"], "", "{masked}");
    let logged = onsite_tests::peek::query(
        &hq.backend.url(),
        "SELECT reader, masked FROM access_log WHERE job_id = 'H-2' AND kind = 'api.list' ORDER BY id",
        &[],
    );
    let logged: Vec<(String, i64)> = logged.iter().map(|r| (r.text(0), r.int(1))).collect();
    assert_eq!(
        logged,
        [("key:admin".to_string(), 0), ("key:books".to_string(), 1)],
        "both reads of the invoice list are logged"
    );
    hq.stop();
}

mod centre_instructs_by_sync_and_by_code {
    #[test]
    fn sqlite() {
        let dir = tempfile::tempdir().unwrap();
        super::centre_instructs_by_sync_and_by_code(super::Backend::Sqlite(
            dir.path().join("hq.sqlite3"),
        ));
    }
    #[test]
    fn postgres() {
        super::centre_instructs_by_sync_and_by_code(super::fresh_postgres("charge_instruction"));
    }
}

/// HQ checks a supervisor's code entered on a phone with the technician's own
/// key: a phone whose key is not HQ's cannot give itself an instruction (the
/// op is rejected and becomes a conflict; at HQ the dispute stays open).
#[test]
fn hq_refuses_an_instruction_whose_code_its_centre_did_not_give() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    let code = hq.technician("T1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "D1");
    let forged = Technician::open(
        dir.path().join("forged.sqlite3"),
        onsite_core::Profile {
            approval_key: "not-the-key-hq-gave".into(),
            ..phone.tech.profile().clone()
        },
    )
    .unwrap();
    hq.dispatch(&sample::out_of_warranty_order(
        "X-1",
        "T1",
        Utc::now() + Duration::hours(1),
    ));
    phone.client.sync_now(&forged, None).unwrap();
    forged.accept_job("X-1").unwrap();
    drive_accepted_to_acceptance(&forged, "X-1", refused_signature(Rating::Average, false))
        .unwrap();
    let charge = forged.job("X-1").unwrap().due_on_site();
    forged
        .dispute_charge("X-1", &sample::refused_charge(charge))
        .unwrap();
    let own = charge_code(b"not-the-key-hq-gave", "X-1", Instruction::Waive);
    forged
        .enter_charge_instruction("X-1", Instruction::Waive, "赵主管", &own)
        .unwrap();
    let r = phone.client.sync_now(&forged, None).unwrap();
    assert_eq!(r.ops_rejected, 1, "{r:?}");
    let conflicts = forged.conflicts("X-1").unwrap();
    assert_eq!(conflicts[0].kind, "charge_instruction_entered");
    let order = hq.order("X-1");
    assert!(order["charge_dispute"].is_object(), "{order}");
    assert!(order["charge_instruction"].is_null(), "{order}");
    hq.stop();
}

/// The balance HQ puts on a furniture order reaches the phone with the order,
/// is collected with the visit's charge, and HQ's reconciliation counts the
/// money the technician holds, balance included.
#[test]
fn a_balance_set_at_hq_is_collected_and_counted_at_hq() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    let code = hq.technician("T1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "D1");
    let t = &phone.tech;
    t.grant_receipt_block(&NumberBlock {
        series: "S".into(),
        first: 1,
        last: 50,
    })
    .unwrap();
    hq.dispatch(&sample::furniture_balance_order(
        "F-9",
        "T1",
        Utc::now() + Duration::hours(1),
        123_400,
    ));
    phone.sync();
    assert_eq!(t.job("F-9").unwrap().balance_due().unwrap().fen(), 123_400);
    t.accept_job("F-9").unwrap();
    drive_accepted_to_acceptance(t, "F-9", refused_signature(Rating::Satisfied, false)).unwrap();
    let due = t.job("F-9").unwrap().due_on_site().fen();
    assert!(due > 123_400);
    t.take_payment("F-9", Method::Cash, due, None, true)
        .unwrap();
    t.issue_receipt("F-9", false).unwrap();
    let r = phone.sync();
    assert_eq!(r.ops_rejected, 0, "{:?}", t.conflicts("F-9").unwrap());
    let day = Utc::now()
        .with_timezone(&documents::china_time())
        .date_naive();
    let rec = hq.reconciliation("T1", day);
    assert_eq!(rec.lines[0].issued, Tally { count: 1, fen: due }, "{rec:?}");
    hq.stop();
}
