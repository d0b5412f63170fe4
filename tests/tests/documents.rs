//! The documents the customer keeps: the signature bound to what was signed,
//! receipts numbered without network and chained, and their renderings.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use common::fixture;
use onsite_core::documents::escpos::{decode, display_width, Command, PrinterProfile};
use onsite_core::documents::{self};
use onsite_core::locale::Lang;
use onsite_core::material::Verdict;
use onsite_core::receipt::{ChainFault, NumberBlock};
use onsite_core::visit::Visit;
use onsite_core::Error;

/// Rewrites a job's stored state behind the core's back, as an attacker with the file would.
fn tamper(f: &common::Fixture, job: &str, edit: impl FnOnce(&mut Visit)) {
    let conn = rusqlite::Connection::open(f.dir.path().join("tech.sqlite3")).unwrap();
    let json: String = conn
        .query_row("SELECT visit FROM jobs WHERE job_id = ?1", [job], |r| {
            r.get(0)
        })
        .unwrap();
    let mut v: Visit = serde_json::from_str(&json).unwrap();
    edit(&mut v);
    conn.execute(
        "UPDATE jobs SET visit = ?1 WHERE job_id = ?2",
        rusqlite::params![serde_json::to_string(&v).unwrap(), job],
    )
    .unwrap();
}

#[test]
fn a_signature_no_longer_verifies_after_any_signed_content_changes() {
    let f = fixture();
    for job in ["S1", "S2", "S3"] {
        f.to_customer_accepted(job);
        assert!(f.tech.verify_signature(job).unwrap());
    }
    tamper(&f, "S1", |v| {
        v.quote_lines[0].line_total = onsite_core::money::Fen::new(1).unwrap();
    });
    tamper(&f, "S2", |v| {
        v.materials[0]
            .concession
            .as_mut()
            .unwrap()
            .explanation
            .push('。');
    });
    tamper(&f, "S3", |v| {
        v.materials[0].inspection.as_mut().unwrap().verdict = Verdict::Pass;
    });
    for job in ["S1", "S2", "S3"] {
        assert!(
            !f.tech.verify_signature(job).unwrap(),
            "{job} still verifies"
        );
    }
}

#[test]
fn broken_strokes_are_refused_at_acceptance() {
    let f = fixture();
    f.to_work_done("J");
    onsite_core::sample::complete_checklist(
        &f.tech,
        "J",
        onsite_core::checklist::Phase::Completion,
    )
    .unwrap();
    let e = f
        .tech
        .record_acceptance(
            "J",
            onsite_core::AcceptanceInput {
                quality: onsite_core::visit::Opinion::Rated {
                    rating: onsite_core::visit::Rating::Satisfied,
                },
                attitude: onsite_core::visit::Opinion::Rated {
                    rating: onsite_core::visit::Rating::Satisfied,
                },
                technician_ink: None,
                comment: String::new(),
                fix_uncertain: false,
                sign: onsite_core::SignInput::Sign {
                    signer_name: "王女士".into(),
                    ink: vec![1, 2, 3],
                },
            },
        )
        .unwrap_err();
    assert!(matches!(e, Error::Signature { .. }), "{e:?}");
}

#[test]
fn receipts_across_blocks_never_share_a_number_and_voids_keep_theirs() {
    let f = common::fixture_with_block(NumberBlock {
        series: "A".into(),
        first: 1,
        last: 3,
    });
    f.tech
        .grant_receipt_block(&NumberBlock {
            series: "B".into(),
            first: 500,
            last: 502,
        })
        .unwrap();
    let mut numbers = Vec::new();
    for i in 0..6 {
        numbers.push(f.to_settled(&format!("R{i}")).receipt.unwrap().number);
    }
    let mut sorted = numbers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 6, "{numbers:?}");
    assert!(
        numbers.iter().any(|n| n.starts_with("A-")) && numbers.iter().any(|n| n.starts_with("B-"))
    );

    // Void and reissue: the void keeps the number, the reissue takes a new one and refers back.
    f.tech
        .grant_receipt_block(&NumberBlock {
            series: "C".into(),
            first: 1,
            last: 10,
        })
        .unwrap();
    f.tech.void_receipt(&numbers[0], "金额开错").unwrap();
    assert!(matches!(
        f.tech.void_receipt(&numbers[0], "again"),
        Err(Error::ReceiptAlreadyVoid { .. })
    ));
    let re = f.tech.reissue_receipt(&numbers[0]).unwrap();
    assert_ne!(re.number, numbers[0]);
    assert_eq!(re.refers_to.as_deref(), Some(numbers[0].as_str()));
    assert!(
        matches!(
            f.tech.reissue_receipt(&numbers[1]),
            Err(Error::ReceiptNotVoided { .. })
        ),
        "only void receipts are reissued"
    );
    let doc = f.tech.receipt_document(&numbers[0], Lang::ZhCn).unwrap();
    assert!(doc.banner.unwrap().contains("作废"));
    assert_eq!(f.tech.verify_receipt_chain().unwrap(), None);
}

#[test]
fn the_receipt_chain_catches_a_deleted_and_an_edited_receipt() {
    let f = fixture();
    for i in 0..3 {
        f.to_settled(&format!("C{i}"));
    }
    assert_eq!(f.tech.verify_receipt_chain().unwrap(), None);
    let conn = rusqlite::Connection::open(f.dir.path().join("tech.sqlite3")).unwrap();
    conn.execute_batch("DROP TRIGGER receipts_no_update; DROP TRIGGER receipts_no_delete;")
        .unwrap();
    let body: String = conn
        .query_row("SELECT body FROM receipts WHERE position = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    conn.execute(
        "UPDATE receipts SET body = ?1 WHERE position = 3",
        [body.replace("王女士", "王先生")],
    )
    .unwrap();
    assert!(matches!(
        f.tech.verify_receipt_chain().unwrap(),
        Some(ChainFault::Edited { .. })
    ));
    conn.execute("UPDATE receipts SET body = ?1 WHERE position = 3", [body])
        .unwrap();
    conn.execute("DELETE FROM receipts WHERE position = 2", [])
        .unwrap();
    assert!(matches!(
        f.tech.verify_receipt_chain().unwrap(),
        Some(ChainFault::Broken { .. })
    ));
}

fn lines_of(cmds: &[Command]) -> Vec<String> {
    cmds.iter()
        .filter_map(|c| {
            if let Command::Text(t) = c {
                Some(t.clone())
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn escpos_receipts_decode_back_for_both_paper_widths() {
    let f = fixture();
    let v = f.to_settled("P1");
    let number = v.receipt.as_ref().unwrap().number.clone();
    let sha = v.receipt.as_ref().unwrap().sha256.clone();
    for lang in [Lang::ZhCn, Lang::En] {
        let doc = f.tech.receipt_document(&number, lang).unwrap();
        for profile in [PrinterProfile::mm58(), PrinterProfile::mm80()] {
            let bytes = documents::to_escpos(&doc, &profile);
            let cmds = decode(&bytes).unwrap();
            assert_eq!(cmds[0], Command::Init);
            assert_eq!(cmds[1], Command::ChineseMode(true));
            assert_eq!(cmds.last(), Some(&Command::Cut));
            let text = lines_of(&cmds);
            // Text decodes back from GB18030 to what the receipt says.
            let all = text.join("\n");
            assert!(all.contains(&number), "{all}");
            assert!(all.contains(&doc.title));
            assert!(all.contains("110.00"));
            assert!(all.contains("王女士"));
            // No line is wider than the paper (double-size lines count double).
            let mut mult = 1;
            for c in &cmds {
                match c {
                    Command::Size { width, .. } => mult = usize::from(*width),
                    Command::Text(t) => assert!(
                        display_width(t) * mult <= profile.columns,
                        "{t:?} too wide for {}",
                        profile.name
                    ),
                    _ => {}
                }
            }
            // QR carries the receipt number and its hash.
            let qr = cmds
                .iter()
                .find_map(|c| {
                    if let Command::QrStore(d) = c {
                        Some(String::from_utf8(d.clone()).unwrap())
                    } else {
                        None
                    }
                })
                .unwrap();
            assert_eq!(qr, format!("{number}|{sha}"));
            assert!(cmds.contains(&Command::QrPrint));
            // The signature raster matches the rendered image, in bands.
            let bands: Vec<(u16, u16)> = cmds
                .iter()
                .filter_map(|c| {
                    if let Command::Raster {
                        width_bytes, rows, ..
                    } = c
                    {
                        Some((*width_bytes, *rows))
                    } else {
                        None
                    }
                })
                .collect();
            assert!(!bands.is_empty());
            let w = profile.dots.min(384);
            assert!(bands
                .iter()
                .all(|(wb, rows)| u32::from(*wb) == w.div_ceil(8)
                    && u32::from(*rows) <= profile.raster_band_rows));
            let total: u32 = bands.iter().map(|(_, r)| u32::from(*r)).sum();
            assert_eq!(total, (w as f32 * 200.0 / 600.0).round() as u32);
        }
    }
}

#[test]
fn message_note_and_work_order_copy_render() {
    let f = fixture();
    f.to_arrived("N1");
    assert!(
        f.tech.message_note("N1", Lang::ZhCn).is_err(),
        "no note before no access"
    );
    f.tech
        .record_no_access(
            "N1",
            onsite_core::visit::MessageNote {
                text: "请致电 400-800-1234 重新预约".into(),
                waited_minutes: 3,
                phoned_customer: true,
                calls_made: 1,
                asked_neighbours: false,
            },
        )
        .unwrap();
    let note = f.tech.message_note("N1", Lang::ZhCn).unwrap();
    let text = documents::to_text(&note);
    assert!(
        text.contains("留言条") && text.contains("400-800-1234"),
        "{text}"
    );
    let bytes = documents::to_escpos(&note, &PrinterProfile::mm58());
    assert!(lines_of(&decode(&bytes).unwrap())
        .join("")
        .contains("留言条"));

    f.to_settled("W1");
    let copy = f.tech.work_order_copy("W1", Lang::En).unwrap();
    let html = documents::to_html(&copy);
    assert!(html.contains("Concession use") && html.contains("data:image/png;base64,"));
}

/// Golden files: the text and HTML of a receipt in both languages, byte for
/// byte. Set UPDATE_GOLDEN=1 to rewrite them after an intended change: a run
/// that rewrites a file fails, so an update is always reviewed and rerun,
/// never passed by comparing a file with itself.
#[test]
fn receipt_text_and_html_match_the_golden_files() {
    let f = fixture();
    let v = f.to_settled("G1");
    let number = v.receipt.unwrap().number;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let update = std::env::var("UPDATE_GOLDEN").is_ok();
    let mut rewritten = Vec::new();
    for (lang, tag) in [(Lang::ZhCn, "zh-CN"), (Lang::En, "en")] {
        let doc = f.tech.receipt_document(&number, lang).unwrap();
        for (ext, body) in [
            ("txt", documents::to_text(&doc)),
            ("html", documents::to_html(&doc)),
        ] {
            let path = dir.join(format!("receipt.{tag}.{ext}"));
            let golden = std::fs::read_to_string(&path).ok();
            if golden.as_deref() == Some(body.as_str()) {
                continue;
            }
            if update {
                std::fs::write(&path, &body).unwrap();
                rewritten.push(path.display().to_string());
                continue;
            }
            match golden {
                None => panic!("{} missing: run with UPDATE_GOLDEN=1", path.display()),
                Some(golden) => assert_eq!(body, golden, "{} changed", path.display()),
            }
        }
    }
    assert!(
        rewritten.is_empty(),
        "golden files rewritten, review them and run again without UPDATE_GOLDEN: {rewritten:?}"
    );
}
