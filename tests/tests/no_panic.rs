//! No input can panic the public API: malformed ids, absurd amounts, unknown
//! checklist items, random answers and quote lines all end in `Ok` or a typed `Err`.

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
        let _ = t.take_payment(&job, m, amount, None);
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
