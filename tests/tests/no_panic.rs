//! No input can panic the public API: malformed ids, absurd amounts, unknown
//! checklist items, random answers and quote lines all end in `Ok` or a typed `Err`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use common::fixture;
use onsite_core::checklist::Answer;
use onsite_core::payment::Method;
use onsite_core::quote::{LineItem, LineKind, LineRequest};
use onsite_core::receipt::NumberBlock;
use proptest::prelude::*;

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        any::<bool>().prop_map(Answer::Check),
        any::<bool>().prop_map(Answer::YesNo),
        any::<f64>().prop_map(Answer::Number),
        ".{0,600}".prop_map(Answer::Text),
        ".{0,20}".prop_map(Answer::Choice),
        "[0-9a-f]{0,70}".prop_map(Answer::Photo),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Cash),
        Just(Method::WechatPay),
        Just(Method::Alipay),
        Just(Method::Card),
        Just(Method::BankTransfer),
        Just(Method::OnAccount),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_inputs_give_results_not_panics(
        job in prop_oneof![Just("J".to_string()), ".{0,80}"],
        template in prop_oneof![Just("property_repair.completion".to_string()), ".{0,40}"],
        item in ".{0,40}",
        ans in answer(),
        amount in any::<i64>(),
        qty in any::<u32>(),
        line_no in any::<u32>(),
        code in ".{0,10}",
        m in method(),
        first in any::<i64>(),
        last in any::<i64>(),
    ) {
        let f = fixture();
        f.to_customer_accepted("J");
        let t = &f.tech;
        let _ = t.answer(&job, &template, &item, ans);
        let _ = t.take_payment(&job, m, amount, None, true);
        let _ = t.add_quote_line(&job, &LineRequest {
            item: LineItem::OffSchedule { kind: LineKind::Part, description: item.clone(), unit_price_fen: amount },
            qty,
            payer: None,
        });
        let _ = t.add_quote_line(&job, &LineRequest {
            item: LineItem::Schedule { code: code.clone(), warranty_card_price_fen: Some(amount) },
            qty,
            payer: None,
        });
        let _ = t.approve_quote_line(&job, line_no, &item, &code);
        let _ = t.remove_quote_line(&job, line_no);
        let _ = t.use_material(&job, &item);
        let _ = t.grant_receipt_block(&NumberBlock { series: code.clone(), first, last });
        let _ = t.issue_receipt(&job, amount % 2 == 0);
        let _ = t.void_receipt(&code, &item);
        let _ = t.reissue_receipt(&code);
        let _ = t.job(&job);
        let _ = t.events(&job);
        let _ = t.cancel_by_hq(&job, &item);
        // The store is still consistent afterwards.
        let ops = t.pending_ops(100_000).unwrap();
        prop_assert_eq!(ops.len() as i64, t.last_seq().unwrap());
    }
}

/// Days at the edges of chrono's calendar are an invalid input, not a panic.
#[test]
fn jobs_for_extreme_days_is_an_error_not_a_panic() {
    use chrono::{FixedOffset, NaiveDate};
    let f = fixture();
    for day in [NaiveDate::MAX, NaiveDate::MIN] {
        for offset in [
            FixedOffset::east_opt(8 * 3600).unwrap(),
            FixedOffset::west_opt(12 * 3600).unwrap(),
            FixedOffset::east_opt(0).unwrap(),
        ] {
            let r = f.tech.jobs_for_day(day, offset);
            assert!(
                matches!(r, Err(onsite_core::Error::InvalidInput { .. }) | Ok(_)),
                "{day} {offset}: {r:?}"
            );
        }
    }
}

/// HQ decodes a push with the phone's own content rules: a payment whose
/// change does not add up, an amount out of range, or an empty refusal
/// reason is refused at decoding, before any op applies.
#[test]
fn pushed_events_are_checked_with_the_phones_rules() {
    use onsite_core::sync::protocol::decode_push;
    let op = |event: serde_json::Value| {
        serde_json::json!({"ops": [{
            "op_id": "00000000-0000-7000-8000-000000000001", "device_id": "D1", "seq": 1,
            "hlc": "0", "job_id": "J1", "actor": {"role": "technician", "id": "T1"},
            "at": "2026-11-24T02:00:00Z", "event": event
        }]})
        .to_string()
    };
    let payment = |received: i64, change: i64| {
        serde_json::json!({"type": "payment_taken", "payment": {
            "method": "cash", "due": 5000, "received": received, "change": change,
            "reference": null, "at": "2026-11-24T02:00:00Z", "cash_checked": true}})
    };
    assert!(decode_push(op(payment(10000, 5000)).as_bytes()).is_ok());
    // Cash that was not checked and counted in front of the customer (issue 10).
    let mut unchecked = payment(10000, 5000);
    unchecked["payment"]["cash_checked"] = serde_json::json!(false);
    for bad in [
        unchecked,
        payment(10000, 9000),
        payment(i64::MIN, 0),
        payment(10000, -5000),
        serde_json::json!({"type": "customer_accepted", "acceptance": {
            "rating": "satisfied", "comment": "", "fix_uncertain": false,
            "sign_off": {"outcome": "refused", "reason": "  "}}}),
        serde_json::json!({"type": "no_access", "note": {
            "text": "x".repeat(3000), "waited_minutes": 5, "phoned_customer": true}}),
    ] {
        assert!(
            decode_push(op(bad.clone()).as_bytes()).is_err(),
            "accepted {bad}"
        );
    }
}
