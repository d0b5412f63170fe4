//! Property: random sequences of issuing, voiding and reissuing receipts never
//! use a number twice, across several HQ blocks, and the chain stays intact.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use onsite_core::receipt::{verify_chain, EntryKind, NumberBlock, Receipt};
use onsite_core::store::{self, receipts};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Issue,
    Void(usize),
    Reissue(usize),
    Grant(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::Issue),
        2 => any::<usize>().prop_map(Step::Void),
        2 => any::<usize>().prop_map(Step::Reissue),
        1 => (1u8..6).prop_map(Step::Grant),
    ]
}

fn receipt(number: String, kind: EntryKind, refers_to: Option<String>) -> Receipt {
    Receipt {
        number,
        kind,
        refers_to,
        job_id: "J".into(),
        issued_at: Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap(),
        site: String::new(),
        location: String::new(),
        customer_name: String::new(),
        technician_id: "T".into(),
        technician_name: String::new(),
        device_id: "D".into(),
        lines: vec![],
        totals: Default::default(),
        charge_instruction: None,
        balance: None,
        payment: None,
        void_reason: None,
        prev_sha256: String::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn numbers_are_never_reused(steps in proptest::collection::vec(step(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = store::open(&dir.path().join("r.sqlite3")).unwrap();
        let mut next_first = 1i64;
        let mut issued: Vec<String> = Vec::new();
        let mut voided: HashSet<String> = HashSet::new();
        let mut seen: HashSet<String> = HashSet::new();
        // Numbers granted and taken so far: "exhausted" is right only when they are equal.
        let (mut granted, mut taken) = (0i64, 0i64);
        for s in steps {
            let tx = conn.transaction().unwrap();
            match s {
                Step::Grant(n) => {
                    let block = NumberBlock { series: "R".into(), first: next_first, last: next_first + i64::from(n) - 1 };
                    next_first += i64::from(n);
                    granted += i64::from(n);
                    receipts::grant_block(&tx, &block, &format!("2026-11-24T00:00:{:02}Z", next_first % 60)).unwrap();
                }
                Step::Issue | Step::Reissue(_) => {
                    let refers = match s {
                        Step::Reissue(i) if !voided.is_empty() => {
                            let v: Vec<&String> = voided.iter().collect();
                            Some(v[i % v.len()].clone())
                        }
                        Step::Reissue(_) => { tx.commit().unwrap(); continue; }
                        _ => None,
                    };
                    match receipts::take_number(&tx) {
                        Ok(n) => {
                            prop_assert!(taken < granted, "number {} taken beyond the {} granted", n, granted);
                            taken += 1;
                            prop_assert!(seen.insert(n.clone()), "number {} issued twice", n);
                            let kind = if refers.is_some() { EntryKind::Reissue } else { EntryKind::Original };
                            receipts::append(&tx, &mut receipt(n.clone(), kind, refers)).unwrap();
                            issued.push(n);
                        }
                        Err(onsite_core::Error::ReceiptNumbersExhausted) => {
                            prop_assert_eq!(taken, granted, "exhausted with {} of {} numbers left", granted - taken, granted);
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                Step::Void(i) if !issued.is_empty() => {
                    let n = issued[i % issued.len()].clone();
                    let r = receipts::append(&tx, &mut receipt(n.clone(), EntryKind::Void, Some(n.clone())));
                    if voided.contains(&n) {
                        prop_assert!(r.is_err(), "{} voided twice", n);
                    } else {
                        r.unwrap();
                        voided.insert(n);
                    }
                }
                Step::Void(_) => {}
            }
            tx.commit().unwrap();
        }
        prop_assert_eq!(verify_chain(&receipts::ledger(&conn).unwrap()).unwrap(), None);
    }
}
