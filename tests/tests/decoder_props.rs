//! Property tests for the decoders that face the outside world: the sync
//! payloads (push bodies at HQ, pull pages on the phone), the signature
//! stroke encoding, and the ESC/POS text layout. Arbitrary or damaged input
//! gives a typed error or a valid result, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::sync::OnceLock;

use chrono::{Duration, Utc};
use onsite_core::documents::escpos::{self, Align, Column, EscPos, PrinterProfile};
use onsite_core::receipt::NumberBlock;
use onsite_core::signature::{render_png, Background, Ink};
use onsite_core::sync::protocol::{
    decode_pull, decode_push, Change, ChangeKind, PullResponse, PushRequest,
};
use onsite_core::{sample, Technician};
use proptest::prelude::*;

/// A real push body: the outbox of a phone that worked one whole visit.
fn push_body() -> &'static Vec<u8> {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let tech = Technician::open(dir.path().join("p.sqlite3"), sample::profile()).unwrap();
        tech.grant_receipt_block(&NumberBlock {
            series: "P".into(),
            first: 1,
            last: 10,
        })
        .unwrap();
        onsite_tests::full_visit(
            &tech,
            "PROP-1",
            Utc::now() + Duration::hours(1),
            &mut |_| {},
        )
        .unwrap();
        let ops = tech.pending_ops(40).unwrap();
        serde_json::to_vec(&PushRequest { ops }).unwrap()
    })
}

/// A real pull page: two changes of HQ's feed.
fn pull_body() -> &'static Vec<u8> {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| {
        let order = sample::leak_order("PULL-1", "T1", Utc::now());
        serde_json::to_vec(&PullResponse {
            changes: vec![
                Change {
                    cursor: 1,
                    job_id: "PULL-1".into(),
                    at: Utc::now(),
                    change: ChangeKind::Dispatched {
                        order: Box::new(order),
                    },
                },
                Change {
                    cursor: 2,
                    job_id: "PULL-1".into(),
                    at: Utc::now(),
                    change: ChangeKind::Cancelled {
                        reason: "客户取消".into(),
                    },
                },
            ],
            next_cursor: 2,
            has_more: false,
        })
        .unwrap()
    })
}

/// Damage a valid encoding: flip, insert, delete bytes or cut it short.
fn damage(base: &[u8], edits: &[(usize, u8, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut v = base.to_vec();
    for &(at, kind, byte) in edits {
        if v.is_empty() {
            break;
        }
        let i = at % v.len();
        match kind % 3 {
            0 => v[i] = byte,
            1 => v.insert(i, byte),
            _ => drop(v.remove(i)),
        }
    }
    if let Some(c) = cut {
        v.truncate(c % (v.len() + 1));
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn push_decoder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_push(&bytes);
    }

    #[test]
    fn push_decoder_takes_damaged_bodies(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let body = damage(push_body(), &edits, cut);
        match decode_push(&body) {
            // Whatever decodes is a well-formed request that re-encodes and decodes the same.
            Ok(req) => {
                let again = decode_push(&serde_json::to_vec(&req).unwrap()).unwrap();
                prop_assert_eq!(again, req);
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn pull_decoder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_pull(&bytes);
    }

    #[test]
    fn pull_decoder_takes_damaged_pages(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let body = damage(pull_body(), &edits, cut);
        if let Ok(page) = decode_pull(&body) {
            let mut last = i64::MIN;
            for c in &page.changes {
                prop_assert!(c.cursor > last && c.cursor <= page.next_cursor);
                last = c.cursor;
            }
        }
    }

    #[test]
    fn stroke_decoder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(ink) = Ink::decode(&bytes) {
            // Whatever decodes can be validated and rendered without a panic.
            let _ = ink.validate();
            let _ = render_png(&ink, 60, 20, Background::White);
        }
    }

    #[test]
    fn stroke_decoder_takes_damaged_signatures(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let base = Ink::sample().encode();
        let bytes = damage(&base, &edits, cut);
        match Ink::decode(&bytes) {
            Ok(ink) => {
                let _ = ink.validate();
                let _ = render_png(&ink, 120, 40, Background::Transparent);
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn wrapped_lines_fit_the_paper(text in "\\PC{0,120}", cols in 2usize..64) {
        for line in escpos::wrap(&text, cols) {
            prop_assert!(escpos::display_width(&line) <= cols, "{:?} wider than {}", line, cols);
        }
        // Nothing printable is lost: the wrapped lines hold every non-control character in order.
        let kept: String = escpos::wrap(&text, cols).concat();
        let expected: String = text
            .chars()
            .filter(|c| *c != '\n' && (!c.is_control() || *c == '\t'))
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        prop_assert_eq!(kept, expected);
    }

    #[test]
    fn any_text_lays_out_and_decodes(
        left in "\\PC{0,40}",
        right in "\\PC{0,40}",
        cells in proptest::collection::vec(("\\PC{0,30}", 0usize..40), 1..5),
        wide in any::<bool>(),
    ) {
        let profile = if wide { PrinterProfile::mm80() } else { PrinterProfile::mm58() };
        let mut p = EscPos::new(&profile);
        p.init().chinese_mode(true).line(&left).pair(&left, &right);
        let cols: Vec<Column> = cells
            .iter()
            .map(|(t, w)| Column { text: t, width: *w, align: Align::Right })
            .collect();
        p.columns_line(&cols).cut();
        let bytes = p.finish();
        let commands = escpos::decode(&bytes);
        prop_assert!(commands.is_ok(), "{:?}", commands.err());
        // Every printed line fits the paper.
        for c in commands.unwrap() {
            if let escpos::Command::Text(t) = c {
                prop_assert!(escpos::display_width(&t) <= profile.columns, "{:?}", t);
            }
        }
    }

    #[test]
    fn escpos_decoder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = escpos::decode(&bytes);
    }
}
