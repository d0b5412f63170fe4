//! HQ counts money with checked arithmetic: extreme amounts pushed in
//! payments, recorded as handovers or already stored never panic and never
//! wrap; each is refused with a typed error or counted to the right figure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::cell::RefCell;

use chrono::{Duration, NaiveDate, Utc};
use onsite_core::money::{MAX_AMOUNT_FEN, MAX_TOTAL_FEN};
use onsite_core::receipt::NumberBlock;
use onsite_core::sample;
use onsite_core::sync::protocol::{decode_push_envelope, Outcome};
use onsite_core::{Profile, Technician};
use onsite_hq::rules::Device;
use onsite_hq::HqError;
use onsite_tests::harness::{fresh_postgres, Backend, Hq, Phone, Store};
use onsite_tests::peek;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

fn in_range(fen: i64) -> bool {
    (0..=MAX_AMOUNT_FEN).contains(&fen)
}

/// Amounts at and around every edge, and anything else.
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(0),
        Just(-1),
        Just(MAX_AMOUNT_FEN),
        Just(MAX_AMOUNT_FEN + 1),
        0..=MAX_AMOUNT_FEN,
        any::<i64>(),
    ]
}

fn china_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&onsite_core::documents::china_time())
        .date_naive()
}

/// HQ on SQLite with one technician and device, and the ops of one whole
/// cash visit recorded on a phone, as templates to push again and again.
struct Rig {
    _dir: tempfile::TempDir,
    db: Store,
    device: Device,
    template: Vec<Value>,
    next_seq: i64,
    /// What HQ should count: receipts applied (count, fen) and the cash handed in.
    receipts: (i64, i64),
    handed_in: i64,
    case: u32,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let db = Store::open(&dir.path().join("hq.sqlite3").display().to_string()).unwrap();
    let now = Utc::now();
    db.run(db.store.create_technician("T-P", "师傅", now))
        .unwrap();
    let code = db.run(db.store.create_enrollment("T-P", now)).unwrap();
    let e = db.run(db.store.enroll(&code, "D-P", now)).unwrap();
    let tech = Technician::open(
        dir.path().join("phone.sqlite3"),
        Profile {
            technician_id: "T-P".into(),
            technician_name: "师傅".into(),
            device_id: "D-P".into(),
            approval_key: e.approval_key,
        },
    )
    .unwrap();
    tech.grant_receipt_block(&NumberBlock {
        series: "R".into(),
        first: 1,
        last: 100,
    })
    .unwrap();
    onsite_tests::full_visit(&tech, "TPL", now + Duration::hours(1), &mut |_| {}).unwrap();
    // The visit's photos reach HQ first, as the sync client sends them: HQ
    // refuses a fact naming a photo it never received.
    for sha in tech.pending_blobs().unwrap() {
        let (media, bytes) = tech.blob(&sha).unwrap().unwrap();
        db.run(db.store.put_blob(&sha, &media, bytes, "T-P", now))
            .unwrap();
    }
    let template = tech
        .pending_ops(1000)
        .unwrap()
        .iter()
        .map(|op| serde_json::to_value(op).unwrap())
        .collect();
    Rig {
        _dir: dir,
        db,
        device: Device {
            device_id: "D-P".into(),
            technician_id: "T-P".into(),
            wipe: false,
        },
        template,
        next_seq: 1,
        receipts: (0, 0),
        handed_in: 0,
        case: 0,
    }
}

impl Rig {
    /// Pushes the template visit on a new job with the payment's amounts
    /// replaced; returns whether the receipt was counted.
    fn push_visit(&mut self, due: i64, received: i64, change: i64) -> bool {
        self.case += 1;
        let job = format!("P-{}", self.case);
        let order = sample::leak_order(&job, "T-P", Utc::now() + Duration::hours(1));
        self.db
            .run(self.db.store.create_order(order, Utc::now()))
            .unwrap();
        let mut ops = self.template.clone();
        let mut payment_seq = None;
        let mut receipt_seq = None;
        for (i, op) in ops.iter_mut().enumerate() {
            let seq = self.next_seq + i as i64;
            op["job_id"] = json!(job);
            op["op_id"] = json!(format!("{job}-{i}"));
            op["seq"] = json!(seq);
            match op["event"]["type"].as_str() {
                Some("payment_taken") => {
                    let p = &mut op["event"]["payment"];
                    p["due"] = json!(due);
                    p["received"] = json!(received);
                    p["change"] = json!(change);
                    payment_seq = Some(seq);
                }
                Some("receipt_issued") => {
                    op["event"]["receipt"]["number"] = json!(format!("P-{:08}", self.case));
                    receipt_seq = Some(seq);
                }
                _ => {}
            }
        }
        let body = serde_json::to_vec(&json!({ "ops": ops })).unwrap();
        // What HQ's push endpoint does: decode the envelope (a refusal is a
        // typed 400; an amount beyond any total does not decode), then push
        // (an amount a payment may not hold is a rejected op).
        let Ok(req) = decode_push_envelope(&body) else {
            return false;
        };
        let resp = self
            .db
            .run(self.db.store.push(&self.device, req, Utc::now()))
            .expect("a push never fails on an amount: a bad one is a rejected op");
        self.next_seq = resp.last_applied_seq + 1;
        let applied = |seq| {
            resp.results
                .iter()
                .any(|r| Some(r.seq) == seq && r.outcome == Outcome::Applied)
        };
        let counted = applied(receipt_seq);
        assert!(
            !applied(payment_seq) || (in_range(due) && in_range(received) && in_range(change)),
            "HQ applied a payment of due {due}, received {received}, change {change}"
        );
        if counted {
            self.receipts.0 += 1;
            self.receipts.1 += due;
        }
        counted
    }

    fn hand_in(&mut self, fen: i64) {
        let handover = self
            .db
            .store
            .record_handover("T-P", china_today(), "cash", fen, Utc::now());
        match self.db.run(handover) {
            Ok(()) => {
                assert!(in_range(fen), "handover of {fen} accepted");
                self.handed_in = fen;
            }
            Err(HqError::BadRequest(_)) => assert!(!in_range(fen), "handover of {fen} refused"),
            Err(e) => panic!("handover of {fen}: {e:?}"),
        }
    }

    fn check_reconciliation(&self) {
        let r = self
            .db
            .run(self.db.store.reconciliation("T-P", china_today()))
            .expect("in-range money sums");
        let (count, fen) = self.receipts;
        let cash = r.lines.iter().find(|l| l.method == "cash");
        match cash {
            None => assert_eq!((count, self.handed_in), (0, 0), "{r:?}"),
            Some(l) => {
                assert_eq!((l.issued.count, l.issued.fen), (count, fen), "{r:?}");
                assert_eq!(l.net_fen, fen);
                assert_eq!(l.handed_in_fen, self.handed_in);
                assert_eq!(l.difference_fen, self.handed_in - fen);
            }
        }
        assert_eq!(r.balanced, self.handed_in == fen);
    }
}

/// Payments pushed with extreme amounts and handovers of extreme amounts:
/// each is refused (a 400 from the decoder, or a rejected op) or counted
/// exactly; the reconciliation always answers with the right figures.
#[test]
fn extreme_pushed_payments_and_handovers_are_refused_or_counted() {
    let rig = RefCell::new(rig());
    let due = rig
        .borrow()
        .template
        .iter()
        .find_map(|op| op["event"]["payment"]["due"].as_i64())
        .unwrap();
    // Extreme amounts, or the visit's real amount due paid in cash with change
    // (which HQ must count exactly).
    let payment = prop_oneof![
        (amount(), amount(), amount()),
        (0..=MAX_AMOUNT_FEN - due).prop_map(move |c| (due, due + c, c)),
    ];
    let (counted, refused) = (RefCell::new(0), RefCell::new(0));
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    runner
        .run(&(payment, amount()), |((due, received, change), handed)| {
            let mut rig = rig.borrow_mut();
            if rig.push_visit(due, received, change) {
                *counted.borrow_mut() += 1;
            } else {
                *refused.borrow_mut() += 1;
            }
            rig.hand_in(handed);
            rig.check_reconciliation();
            Ok(())
        })
        .unwrap();
    assert!(
        *counted.borrow() > 0 && *refused.borrow() > 0,
        "both paths ran: {} counted, {} refused",
        counted.borrow(),
        refused.borrow()
    );
}

type StoredRow = (i64, &'static str, bool, &'static str);

/// Writes receipt and handover rows straight into HQ's file, as an older HQ
/// that accepted any amount could have.
fn store_rows(url: &str, tech: &str, day: NaiveDate, rows: &[StoredRow], handed: i64) {
    for (i, (fen, kind, voided, method)) in rows.iter().enumerate() {
        peek::exec(
            url,
            "INSERT INTO receipts(number, job_id, technician_id, device_id, method, amount_fen,
                                  issued_day, received_at, kind, voided_day)
             VALUES ($1, 'J', $2, 'D', $3, $4, $5, 'x', $6, $7)",
            &[
                format!("{tech}-{i}").into(),
                tech.into(),
                (*method).into(),
                (*fen).into(),
                day.to_string().into(),
                (*kind).into(),
                voided.then(|| day.to_string()).into(),
            ],
        );
    }
    peek::exec(
        url,
        "INSERT INTO handovers(technician_id, day, method, amount_fen, recorded_at)
         VALUES ($1, $2, 'cash', $3, 'x')",
        &[tech.into(), day.to_string().into(), handed.into()],
    );
}

/// One stored day against the model in i128; returns whether it overflowed.
fn reconcile_stored(
    db: &Store,
    tech: &str,
    day: NaiveDate,
    rows: &[StoredRow],
    handed: i64,
) -> Result<bool, TestCaseError> {
    // By method: issued, reissued, voided, handed in.
    let mut model: std::collections::BTreeMap<&str, [i128; 4]> = Default::default();
    model.entry("cash").or_default()[3] = i128::from(handed);
    for (fen, kind, voided, method) in rows {
        let m = model.entry(method).or_default();
        m[usize::from(*kind == "reissue")] += i128::from(*fen);
        if *voided {
            m[2] += i128::from(*fen);
        }
    }
    let fits = |v: i128| i64::try_from(v).is_ok();
    let all_in_range = in_range(handed) && rows.iter().all(|r| in_range(r.0));
    let model_fits = model.values().all(|[i, re, v, h]| {
        let net = i + re - v;
        fits(*i) && fits(*re) && fits(*v) && fits(net) && fits(h - net)
    });
    match db.run(db.store.reconciliation(tech, day)) {
        Ok(r) => {
            prop_assert!(
                model_fits,
                "a figure that does not fit was answered: {:?}",
                r
            );
            prop_assert_eq!(r.lines.len(), model.len());
            for l in &r.lines {
                let [i, re, v, h] = model[l.method.as_str()];
                prop_assert_eq!(i128::from(l.issued.fen), i);
                prop_assert_eq!(i128::from(l.reissued.fen), re);
                prop_assert_eq!(i128::from(l.voided.fen), v);
                prop_assert_eq!(i128::from(l.net_fen), i + re - v);
                prop_assert_eq!(i128::from(l.handed_in_fen), h);
                prop_assert_eq!(i128::from(l.difference_fen), h - (i + re - v));
            }
            prop_assert_eq!(r.balanced, r.lines.iter().all(|l| l.difference_fen == 0));
            Ok(false)
        }
        Err(HqError::AmountOverflow(what)) => {
            // Only amounts outside what HQ accepts today can overflow.
            prop_assert!(!all_in_range, "overflow ({}) of {:?}", what, rows);
            Ok(true)
        }
        Err(e) => Err(TestCaseError::fail(format!("not a typed overflow: {e:?}"))),
    }
}

/// Amounts already stored at HQ (an older HQ accepted anything): the
/// reconciliation gives the exact figures or a typed overflow, never a panic
/// or a wrapped number.
#[test]
fn stored_extreme_amounts_reconcile_exactly_or_overflow_as_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("hq.sqlite3").display().to_string();
    let db = Store::open(&url).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let row = (
        amount(),
        prop_oneof![Just("original"), Just("reissue")],
        any::<bool>(),
        prop_oneof![Just("cash"), Just("card")],
    );
    let case = RefCell::new(0u32);
    let (exact, overflowed) = (RefCell::new(0), RefCell::new(0));
    let mut runner = TestRunner::new(Config {
        cases: 200,
        ..Config::default()
    });
    runner
        .run(
            &(proptest::collection::vec(row, 0..6), amount()),
            |(rows, handed)| {
                *case.borrow_mut() += 1;
                let tech = format!("T-{}", case.borrow());
                store_rows(&url, &tech, day, &rows, handed);
                if reconcile_stored(&db, &tech, day, &rows, handed)? {
                    *overflowed.borrow_mut() += 1;
                } else {
                    *exact.borrow_mut() += 1;
                }
                Ok(())
            },
        )
        .unwrap();
    assert!(
        *exact.borrow() > 0 && *overflowed.borrow() > 0,
        "both paths ran: {} exact, {} overflowed",
        exact.borrow(),
        overflowed.borrow()
    );
    // Over HTTP the overflow is a 422 with its code, not a 500.
    let (status, code) = HqError::AmountOverflow("net for cash".into()).code();
    assert_eq!((status.as_u16(), code), (422, "amount_overflow"));
}

/// A device pushes a payment whose amounts are outside what the core accepts:
/// HQ refuses the whole push (`400 bad_request`: `Fen` decodes only within
/// its bounds), the money is not on HQ's job nor in the day's reconciliation,
/// HQ keeps serving, and the genuine payment recorded afterwards is counted.
fn pushed_fen_out_of_range_is_rejected(b: Backend) {
    use onsite_core::payment::Method;
    use onsite_core::visit::Rating;
    let hq = Hq::start(b);
    let code = hq.technician("T1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-FX");
    hq.dispatch(&sample::leak_order(
        "FX-1",
        "T1",
        Utc::now() + Duration::hours(1),
    ));
    phone.sync();
    let t = &phone.tech;
    let job = "FX-1";
    t.accept_job(job).unwrap();
    onsite_tests::drive_accepted_to_acceptance(
        t,
        job,
        onsite_tests::refused_signature(Rating::Satisfied, false),
    )
    .unwrap();
    phone.sync();
    assert_eq!(hq.order(job)["status"], "customer_accepted");

    // A second device of the technician sends the forged payments, so the
    // phone's own sequence numbers stay its own.
    let code = hq.technician("T1", "李师傅");
    let forger = Phone::enroll(&hq.url, &code, "DEV-FX-B");
    let mut seq = 1;
    for fen in [i64::MIN, -1, MAX_AMOUNT_FEN + 1, i64::MAX] {
        let op = |seq: i64, event: Value| {
            json!({
                "op_id": format!("forged-{seq}"), "device_id": "DEV-FX-B", "seq": seq,
                "hlc": format!("{seq:016}-00000-DEV-FX-B"), "job_id": job,
                "actor": {"role": "technician", "id": "T1"}, "at": Utc::now(), "event": event,
            })
        };
        let payment = json!({"type": "payment_taken", "payment": {
            "method": "cash", "due": fen, "received": fen, "change": 0,
            "reference": null, "at": Utc::now()}});
        let receipt = json!({"type": "receipt_issued", "receipt": {
            "number": format!("R-FORGED-{seq}"), "sha256": "0".repeat(64)}});
        let (status, body) = hq.call(
            "POST",
            "/v1/sync/push",
            Some(&forger.token),
            Some(json!({"ops": [op(seq, payment), op(seq + 1, receipt)]})),
        );
        // An amount no total can hold does not decode: the push is malformed
        // (400). One a total can hold but a payment may not is a fact
        // breaking a content rule: that op is refused alone, with the rule,
        // and the receipt after it finds no payment.
        let message = if (0..=MAX_TOTAL_FEN).contains(&fen) {
            assert_eq!(status, 200, "a payment of {fen} fen: {body}");
            let outcomes: Vec<&str> = body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["status"].as_str().unwrap())
                .collect();
            assert_eq!(outcomes, ["rejected", "rejected"], "{body}");
            assert_eq!(body["results"][0]["code"], "rule_broken", "{body}");
            seq += 2;
            body["results"][0]["message"].clone()
        } else {
            assert_eq!(status, 400, "a payment of {fen} fen: {body}");
            assert_eq!(body["error"], "bad_request", "{body}");
            body["message"].clone()
        };
        assert!(
            message
                .as_str()
                .unwrap()
                .contains("outside the allowed range"),
            "{body}"
        );
        let v = hq.order(job);
        assert_eq!(v["payment"], Value::Null, "{fen} fen reached HQ's job");
        assert_eq!(v["status"], "customer_accepted");
        let day = china_today();
        let r = hq.reconciliation("T1", day);
        assert!(
            r.lines.is_empty(),
            "{fen} fen reached the reconciliation: {r:?}"
        );
    }
    assert_eq!(hq.call("GET", "/v1/health", None, None).0, 200);

    // The genuine payment, recorded on the phone, is counted.
    let due = t.job(job).unwrap().due_on_site().fen();
    t.take_payment(job, Method::Cash, due + 1_000, None, true)
        .unwrap();
    t.issue_receipt(job, false).unwrap();
    let r = phone.sync();
    assert_eq!(r.ops_rejected, 0, "{:?}", t.conflicts(job).unwrap());
    let day = china_today();
    let r = hq.reconciliation("T1", day);
    assert_eq!(
        r.lines[0].issued,
        onsite_hq::rules::Tally { count: 1, fen: due },
        "{r:?}"
    );
    hq.stop();
}

mod pushed_fen_out_of_range_is_rejected {
    #[test]
    fn sqlite() {
        let dir = tempfile::tempdir().unwrap();
        super::pushed_fen_out_of_range_is_rejected(super::Backend::Sqlite(
            dir.path().join("hq.sqlite3"),
        ));
    }
    #[test]
    fn postgres() {
        super::pushed_fen_out_of_range_is_rejected(super::fresh_postgres(
            "pushed_fen_out_of_range",
        ));
    }
}
