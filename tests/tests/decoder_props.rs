//! Property tests for the decoders that face the outside world: the sync
//! payloads (push bodies at HQ, pull pages on the phone), the signature
//! stroke encoding, and the ESC/POS receipt layout.
//!
//! Random bytes rarely pass JSON's first byte or the stroke format's magic,
//! so most properties start from structured inputs: real ops with arbitrary
//! field values, pages of changes with arbitrary cursors and ids, strokes
//! with varying pressure and timing, receipts with arbitrary text on paper of
//! arbitrary width; and valid encodings with bytes flipped, inserted, deleted
//! or cut. Every successful decode is checked against invariants computed
//! here, independently of the decoder (sequence numbers from 1, ids of the
//! id alphabet, amounts in bounds, every point and its pressure and time kept),
//! and where the rule is simple the test predicts the decoder's answer.
//!
//! The seed corpus of the fuzz targets is run here too, through the very
//! functions the targets call (`fuzz/src/lib.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

#[path = "../../fuzz/src/lib.rs"]
mod fuzz_checks;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{Duration, Utc};
use onsite_core::documents::escpos::{self, Align, Column, Command, EscPos, PrinterProfile};
use onsite_core::documents::{self, Doc, DocKind};
use onsite_core::locale::Lang;
use onsite_core::money::{MAX_AMOUNT_FEN, MAX_TOTAL_FEN};
use onsite_core::payment::Method;
use onsite_core::receipt::NumberBlock;
use onsite_core::signature::{render_png, Background, Canvas, Ink, Point, Stroke};
use onsite_core::sync::protocol::{
    decode_pull, decode_push, Change, ChangeKind, Op, PullResponse, PushRequest, MAX_PULL_CHANGES,
    MAX_PUSH_OPS,
};
use onsite_core::visit::Event;
use onsite_core::{sample, Technician};
use proptest::prelude::*;
use serde_json::{json, Value};

// --- real inputs -------------------------------------------------------------------

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
        let ops = tech.pending_ops(MAX_PUSH_OPS).unwrap();
        serde_json::to_vec(&PushRequest {
            ops,
            backlog: None,
            uploading: Vec::new(),
        })
        .unwrap()
    })
}

/// The ops of [`push_body`] as JSON, for field-level edits.
fn real_ops() -> &'static Vec<Value> {
    static OPS: OnceLock<Vec<Value>> = OnceLock::new();
    OPS.get_or_init(|| {
        let v: Value = serde_json::from_slice(push_body()).unwrap();
        v["ops"].as_array().unwrap().clone()
    })
}

fn change(cursor: i64, job_id: &str, kind: ChangeKind) -> Change {
    Change {
        cursor,
        job_id: job_id.into(),
        at: Utc::now(),
        change: kind,
    }
}

/// A real pull page: two changes of HQ's feed.
fn pull_body() -> &'static Vec<u8> {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| {
        let order = sample::leak_order("PULL-1", "T1", Utc::now());
        serde_json::to_vec(&PullResponse {
            changes: vec![
                change(
                    1,
                    "PULL-1",
                    ChangeKind::Dispatched {
                        order: Box::new(order),
                    },
                ),
                change(
                    2,
                    "PULL-1",
                    ChangeKind::Cancelled {
                        reason: "客户取消".into(),
                    },
                ),
            ],
            next_cursor: 2,
            has_more: false,
            retention_days: None,
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

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6)
}

// --- what a decoded op must be (computed here, not by the decoder) ------------------

/// The id alphabet of the protocol: 1 to 64 ASCII letters, digits, `-`, `_`, `.`.
fn id_ok(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Whether HQ must take an op with these header fields (its event unchanged).
fn header_ok(op: &Value) -> bool {
    let s = |k: &str| op[k].as_str().unwrap_or_default().to_string();
    op["seq"].as_i64().is_some_and(|n| n >= 1)
        && id_ok(&s("job_id"))
        && id_ok(&s("device_id"))
        && (1..=64).contains(&s("op_id").len())
        && s("hlc").len() <= 64
}

/// Keys under which the protocol carries money (fen).
const MONEY_KEYS: [&str; 11] = [
    "amount",
    "disputed",
    "due",
    "received",
    "change",
    "list_price",
    "warranty_card_price",
    "unit_price",
    "line_total",
    "total",
    "to",
];

/// Every amount anywhere in `v` is a number of fen within the core's bounds.
fn amounts_in_bounds(v: &Value, key: Option<&str>) -> Result<(), String> {
    match v {
        Value::Object(m) => m
            .iter()
            .try_for_each(|(k, x)| amounts_in_bounds(x, Some(k))),
        Value::Array(a) => a.iter().try_for_each(|x| amounts_in_bounds(x, key)),
        Value::Number(n) if key.is_some_and(|k| MONEY_KEYS.contains(&k)) => match n.as_i64() {
            Some(f) if (0..=MAX_TOTAL_FEN).contains(&f) => Ok(()),
            _ => Err(format!("amount {key:?} = {n} is out of bounds")),
        },
        _ => Ok(()),
    }
}

/// The invariants of every op HQ's decoder lets through.
fn check_decoded_op(op: &Op) -> Result<(), TestCaseError> {
    prop_assert!(op.seq >= 1, "seq {} decoded (they start at 1)", op.seq);
    prop_assert!(id_ok(&op.job_id), "job id {:?} decoded", op.job_id);
    prop_assert!(id_ok(&op.device_id), "device id {:?} decoded", op.device_id);
    prop_assert!(
        (1..=64).contains(&op.op_id.len()),
        "op id {:?} decoded",
        op.op_id
    );
    prop_assert!(op.hlc.len() <= 64, "clock stamp {:?} decoded", op.hlc);
    // The phone's content rules hold for what HQ takes in.
    prop_assert!(
        op.event.validate().is_ok(),
        "an event the phone would refuse decoded: {:?} ({:?})",
        op.event,
        op.event.validate()
    );
    let event = serde_json::to_value(&op.event).unwrap();
    amounts_in_bounds(&event, None).map_err(TestCaseError::fail)?;
    if let Event::PaymentTaken { payment } = &op.event {
        let p = payment;
        prop_assert!(
            payment_adds_up(
                p.method,
                p.due.fen(),
                p.received.fen(),
                p.change.fen(),
                p.cash_checked,
                p.reference.as_deref()
            ),
            "a payment that does not add up decoded: {:?}",
            p
        );
    }
    Ok(())
}

/// The phone's payment rules, written out: cash counted in front of the
/// customer, with change; other methods exact; on account nothing now.
fn payment_adds_up(
    method: Method,
    due: i64,
    received: i64,
    change: i64,
    cash_checked: bool,
    reference: Option<&str>,
) -> bool {
    let bounded = [due, received, change]
        .iter()
        .all(|a| (0..=MAX_TOTAL_FEN).contains(a))
        && received <= MAX_AMOUNT_FEN
        && reference.is_none_or(|r| r.chars().count() <= 64);
    let rule = match method {
        Method::Cash => cash_checked && received >= due && change == received - due,
        Method::OnAccount => !cash_checked && received == 0 && change == 0,
        _ => !cash_checked && received == due && change == 0,
    };
    bounded && rule
}

fn check_decoded_push(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(req) = decode_push(bytes) {
        prop_assert!(req.ops.len() <= MAX_PUSH_OPS);
        for op in &req.ops {
            check_decoded_op(op)?;
        }
        let again = decode_push(&serde_json::to_vec(&req).unwrap()).unwrap();
        prop_assert_eq!(again, req);
    }
    Ok(())
}

/// Every leaf of a JSON value, as JSON pointers.
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = k.replace('~', "~0").replace('/', "~1");
                leaves(x, format!("{at}/{key}"), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at),
    }
}

/// Numbers a hostile body may carry: at and past every bound.
fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        (-3i64..4).prop_map(Value::from),
        (0..=MAX_AMOUNT_FEN).prop_map(Value::from),
        prop::sample::select(vec![
            MAX_AMOUNT_FEN,
            MAX_AMOUNT_FEN + 1,
            MAX_TOTAL_FEN,
            MAX_TOTAL_FEN + 1,
            i64::MIN,
            i64::MAX,
            i64::from(u32::MAX) + 1,
        ])
        .prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
    ]
}

/// Text a hostile body may carry: empty, blank, control characters, ids
/// and near-ids, anything printable, and past the length limit.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        id_like(),
        prop::sample::select(vec!["", "   ", "\u{0}", "x", "\u{1b}@"]).prop_map(String::from),
        (2000usize..2003).prop_map(|n| "长".repeat(n)),
    ]
}

/// A replacement for one field: mostly a hostile value of the field's own
/// JSON type (so the body still parses and reaches the content rules),
/// sometimes a value of any type.
#[derive(Debug, Clone)]
struct Hostile {
    number: Value,
    text: String,
    flag: bool,
    keep_type: bool,
}

fn hostile() -> impl Strategy<Value = Hostile> {
    (
        hostile_number(),
        hostile_text(),
        any::<bool>(),
        prop::bool::weighted(0.85),
    )
        .prop_map(|(number, text, flag, keep_type)| Hostile {
            number,
            text,
            flag,
            keep_type,
        })
}

fn replacement(old: &Value, h: &Hostile) -> Value {
    match (old, h.keep_type, h.flag) {
        (Value::Number(_), true, _) | (Value::String(_) | Value::Bool(_), false, true) => {
            h.number.clone()
        }
        (Value::String(_), true, _) | (Value::Number(_) | Value::Bool(_), false, _) => {
            h.text.clone().into()
        }
        (Value::Bool(_), true, _) => (!old.as_bool().unwrap_or_default()).into(),
        (_, _, true) => Value::Null,
        _ => h.text.clone().into(),
    }
}

/// Strings near the id alphabet: valid ids, too long, empty, foreign characters.
fn id_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_.-]{1,64}",
        "[A-Za-z0-9_.-]{65,70}",
        Just(String::new()),
        "[A-Za-z0-9]{0,4}[ /\u{e9}\u{957f}\n][A-Za-z0-9]{0,4}",
    ]
}

fn seq_like() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), -2i64..3, 1i64..1_000_000]
}

/// Header fields of an op: any of them may be replaced.
#[derive(Debug, Clone)]
struct Headers {
    seq: Option<i64>,
    job_id: Option<String>,
    device_id: Option<String>,
    op_id: Option<String>,
    hlc: Option<String>,
}

fn headers() -> impl Strategy<Value = Headers> {
    (
        proptest::option::of(seq_like()),
        proptest::option::of(id_like()),
        proptest::option::of(id_like()),
        proptest::option::of(prop_oneof![
            "[ -~]{1,64}",
            "[ -~]{65,70}",
            Just(String::new())
        ]),
        proptest::option::of(prop_oneof!["[ -~]{0,64}", "[ -~]{65,70}"]),
    )
        .prop_map(|(seq, job_id, device_id, op_id, hlc)| Headers {
            seq,
            job_id,
            device_id,
            op_id,
            hlc,
        })
}

fn with_headers(mut op: Value, h: &Headers) -> Value {
    if let Some(s) = h.seq {
        op["seq"] = s.into();
    }
    for (k, v) in [
        ("job_id", &h.job_id),
        ("device_id", &h.device_id),
        ("op_id", &h.op_id),
        ("hlc", &h.hlc),
    ] {
        if let Some(v) = v {
            op[k] = v.clone().into();
        }
    }
    op
}

fn push_of(ops: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({ "ops": ops })).unwrap()
}

// --- what a decoded pull page must be ------------------------------------------------

/// Whether the phone must take this page.
fn page_ok(page: &PullResponse) -> bool {
    page.changes.len() <= MAX_PULL_CHANGES
        && page.changes.iter().all(|c| id_ok(&c.job_id))
        && page.changes.windows(2).all(|w| w[0].cursor < w[1].cursor)
        && page.changes.iter().all(|c| c.cursor <= page.next_cursor)
        // A dispatch carries the order of the job the change names.
        && page.changes.iter().all(|c| match &c.change {
            ChangeKind::Dispatched { order } => order.job_id == c.job_id,
            _ => true,
        })
}

fn check_decoded_pull(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(page) = decode_pull(bytes) {
        prop_assert!(page_ok(&page), "a bad page decoded: {:?}", page);
    }
    Ok(())
}

fn change_kind() -> impl Strategy<Value = ChangeKind> {
    prop_oneof![
        Just(ChangeKind::Dispatched {
            order: Box::new(sample::leak_order("PULL-1", "T1", Utc::now())),
        }),
        "\\PC{0,30}".prop_map(|reason| ChangeKind::Cancelled { reason }),
        "\\PC{0,30}".prop_map(|to_technician| ChangeKind::Reassigned { to_technician }),
        ("\\PC{0,30}", -100_000i64..100_000).prop_map(|(reason, h)| ChangeKind::Rescheduled {
            appointment_at: Utc::now() + Duration::hours(h),
            reason,
            consent: None,
        }),
    ]
}

// --- strokes ---------------------------------------------------------------------------

/// How one generated stroke samples the pen.
#[derive(Debug, Clone)]
struct StrokeSpec {
    /// Points as shares of the canvas, with the time since the previous point
    /// and the pressure.
    points: Vec<(f32, f32, u32, f32)>,
    /// One pressure for the whole stroke (a screen without pressure, or a steady pen).
    const_pressure: Option<f32>,
    /// One time step for the whole stroke (a steady sampling rate).
    const_dt: Option<u32>,
    /// Pen lifted for this long before the stroke.
    gap_ms: u32,
}

fn stroke_spec() -> impl Strategy<Value = StrokeSpec> {
    (
        proptest::collection::vec(
            (
                0f32..=1.0,
                0f32..=1.0,
                prop_oneof![0u32..40, 0u32..5000],
                0f32..=1.0,
            ),
            0..120,
        ),
        proptest::option::of(prop_oneof![Just(0.0f32), 0f32..=1.0]),
        proptest::option::of(0u32..50),
        prop_oneof![0u32..500, 0u32..1_000_000],
    )
        .prop_map(|(points, const_pressure, const_dt, gap_ms)| StrokeSpec {
            points,
            const_pressure,
            const_dt,
            gap_ms,
        })
}

/// A signature on a canvas of any plausible size: a stroke across the
/// canvas (so there is always enough ink) and up to five generated strokes.
fn ink_strategy() -> impl Strategy<Value = Ink> {
    (
        100u32..2500,
        25u32..150,
        prop::sample::select(vec![1.0f32, 1.5, 2.0, 2.75, 3.0, 4.0]),
        proptest::collection::vec(stroke_spec(), 0..5),
    )
        .prop_map(|(w, h_percent, density, specs)| {
            let (w, h) = (w as f32, (w * h_percent / 100).max(20) as f32);
            let mut t = 0u32;
            let baseline = Stroke {
                points: (0..8)
                    .map(|i| {
                        t += 8;
                        Point {
                            x: w * (0.1 + 0.1 * i as f32),
                            y: h * 0.5,
                            t_ms: t,
                            pressure: 0.5,
                        }
                    })
                    .collect(),
            };
            let mut strokes = vec![baseline];
            for s in specs {
                t += s.gap_ms;
                let points = s
                    .points
                    .iter()
                    .enumerate()
                    .map(|(i, &(fx, fy, dt, p))| {
                        if i > 0 {
                            t += s.const_dt.unwrap_or(dt);
                        }
                        Point {
                            x: fx * w,
                            y: fy * h,
                            t_ms: t,
                            pressure: s.const_pressure.unwrap_or(p),
                        }
                    })
                    .collect();
                strokes.push(Stroke { points });
            }
            Ink {
                canvas: Canvas {
                    width: w,
                    height: h,
                    density,
                },
                strokes,
            }
        })
}

fn pressure_byte(p: f32) -> u8 {
    (p.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// What every ink the decoder returns must be: a valid signature that
/// encodes and decodes to itself.
fn check_decoded_ink(bytes: &[u8]) -> Result<(), TestCaseError> {
    match Ink::decode(bytes) {
        Ok(ink) => {
            prop_assert!(ink.validate().is_ok(), "{:?}", ink.validate());
            prop_assert!(ink.point_count() <= onsite_core::signature::ink::MAX_POINTS);
            prop_assert!(ink.strokes.len() <= onsite_core::signature::ink::MAX_STROKES);
            let again = Ink::decode(&ink.encode());
            prop_assert_eq!(again.as_ref(), Ok(&ink));
            prop_assert!(render_png(&ink, 120, 40, Background::Transparent).is_ok());
        }
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}

// --- receipts ----------------------------------------------------------------------------

/// Text a receipt may carry: any printable characters, tabs and line breaks.
fn doc_text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("(\\PC|\n|\t){{0,{max}}}")).unwrap()
}

fn doc_strategy() -> impl Strategy<Value = Doc> {
    let rows = proptest::collection::vec(
        (
            doc_text(40),
            "\\PC{0,6}",
            "[0-9.¥]{0,14}",
            proptest::option::of(doc_text(30)),
        ),
        0..5,
    );
    (
        (
            doc_text(30),
            doc_text(20),
            proptest::option::of(doc_text(20)),
        ),
        proptest::collection::vec((doc_text(12), doc_text(30)), 0..4),
        (any::<bool>(), rows),
        proptest::collection::vec((doc_text(12), "[0-9.¥]{0,14}"), 0..3),
        proptest::collection::vec(doc_text(80), 0..3),
        proptest::option::of("[ -~]{0,120}"),
        proptest::collection::vec(doc_text(30), 0..2),
        any::<bool>(),
    )
        .prop_map(
            |(
                (issuer, title, banner),
                fields,
                (table, rows),
                totals,
                paragraphs,
                qr,
                footer,
                zh,
            )| {
                Doc {
                    kind: DocKind::Receipt,
                    lang: if zh { Lang::ZhCn } else { Lang::En },
                    issuer,
                    title,
                    banner,
                    fields,
                    table_headers: table.then(|| ["项目".into(), "数量".into(), "金额".into()]),
                    rows: rows
                        .into_iter()
                        .map(|(name, qty, amount, note)| documents::model::Row {
                            name,
                            qty,
                            amount,
                            note,
                        })
                        .collect(),
                    totals,
                    paragraphs,
                    signature_ink: None,
                    signature_caption: None,
                    technician_signature_ink: None,
                    technician_signature_caption: None,
                    qr,
                    footer,
                }
            },
        )
}

fn profile_strategy() -> impl Strategy<Value = PrinterProfile> {
    (16usize..=64, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(columns, chinese, qr, cut)| PrinterProfile {
            name: format!("{columns} columns"),
            dots: columns as u32 * 12,
            columns,
            encoding: if chinese {
                escpos::TextEncoding::Gb18030
            } else {
                escpos::TextEncoding::Ascii
            },
            supports_qr: qr,
            supports_raster: true,
            supports_cut: cut,
            raster_band_rows: 24,
        },
    )
}

/// The characters of `s` a printer shows, in order (spaces and controls
/// aside); without a Chinese font, `?` for what it cannot print and nothing
/// for zero-width marks.
fn shown(s: &str, chinese: bool) -> Vec<char> {
    s.chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .filter(|c| chinese || c.is_ascii() || escpos::display_width(&c.to_string()) > 0)
        .map(|c| if chinese || c.is_ascii() { c } else { '?' })
        .collect()
}

fn is_subsequence(needle: &[char], hay: &[char]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|c| it.any(|h| h == c))
}

// --- the properties --------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn push_decoder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_decoded_push(&bytes)?;
    }

    /// A resumable upload's headers, whatever bytes they hold, decode to a
    /// chunk inside its blob or fail typed; chunks sent in any order,
    /// resent or overlapping, leave HQ holding the blob's first bytes.
    #[test]
    fn upload_chunks_decode_or_fail_typed_and_assemble_in_order(
        offset in proptest::collection::vec(any::<u8>(), 0..24),
        length in proptest::collection::vec(any::<u8>(), 0..24),
        body_len in 0usize..3_000_000,
        sends in proptest::collection::vec(any::<u8>(), 1..200),
    ) {
        use onsite_core::sync::upload::{decode_chunk, MAX_BLOB_BYTES, MAX_CHUNK_BYTES};
        match decode_chunk(Some(&offset), Some(&length), body_len) {
            Ok(c) => {
                prop_assert!(c.end() <= c.length && c.length <= MAX_BLOB_BYTES);
                prop_assert!(c.len > 0 && c.len <= MAX_CHUNK_BYTES);
            }
            Err(e) => prop_assert!(matches!(e, onsite_core::Error::InvalidInput { .. }), "{e:?}"),
        }
        fuzz_checks::upload_decoder(&sends);
    }

    /// A compressed push damaged on the way (bytes changed, cut short)
    /// inflates to at most the limit or fails typed, in both codings; the
    /// undamaged body inflates to the push itself.
    #[test]
    fn compressed_pushes_damaged_on_the_way_decode_or_fail_typed(
        edits in edits(),
        cut in proptest::option::of(any::<usize>()),
    ) {
        use onsite_core::sync::encoding::{decode, encode, Coding};
        for c in [Coding::Zstd, Coding::Gzip] {
            let packed = encode(c, push_body()).unwrap();
            prop_assert_eq!(&decode(c, &packed, push_body().len()).unwrap(), push_body());
            let damaged = damage(&packed, &edits, cut);
            fuzz_checks::body_decoder(&damaged);
            if let Ok(plain) = decode(c, &damaged, 1 << 20) {
                prop_assert!(plain.len() <= 1 << 20);
            }
        }
    }

    /// Real ops whose header fields take arbitrary values: HQ takes exactly
    /// the ops whose sequence number, ids and clock stamp are well-formed.
    #[test]
    fn push_ops_are_taken_exactly_when_their_headers_are_well_formed(
        picks in proptest::collection::vec((any::<prop::sample::Index>(), headers()), 1..4),
    ) {
        let ops: Vec<Value> = picks
            .iter()
            .map(|(i, h)| with_headers(i.get(real_ops()).clone(), h))
            .collect();
        let expected = ops.iter().all(header_ok);
        let body = push_of(ops);
        let decoded = decode_push(&body);
        prop_assert_eq!(
            decoded.is_ok(),
            expected,
            "headers {:?} gave {:?}",
            picks.iter().map(|(_, h)| h).collect::<Vec<_>>(),
            decoded.as_ref().err()
        );
        check_decoded_push(&body)?;
    }

    /// Real ops with any of their fields replaced by a hostile value:
    /// whatever decodes keeps every invariant of a pushed op.
    #[test]
    fn push_ops_with_any_field_replaced_decode_only_valid(
        picks in proptest::collection::vec(
            (
                any::<prop::sample::Index>(),
                proptest::collection::vec((any::<prop::sample::Index>(), hostile()), 1..3),
            ),
            1..3,
        ),
    ) {
        let ops: Vec<Value> = picks
            .iter()
            .map(|(i, edits)| {
                let mut op = i.get(real_ops()).clone();
                for (at, h) in edits {
                    let mut paths = Vec::new();
                    leaves(&op, String::new(), &mut paths);
                    let field = op.pointer_mut(at.get(&paths).as_str()).unwrap();
                    *field = replacement(field, h);
                }
                op
            })
            .collect();
        check_decoded_push(&push_of(ops))?;
    }

    /// Pushed payments with any method, amounts and flags: HQ takes exactly
    /// those that follow the phone's payment rules.
    #[test]
    fn pushed_payments_are_taken_exactly_when_they_add_up(
        method in prop::sample::select(Method::ALL.to_vec()),
        due in prop_oneof![0i64..100_000, Just(MAX_TOTAL_FEN), any::<i64>()],
        paid_over in prop_oneof![Just(0i64), 0i64..5_000, -3i64..3, Just(MAX_AMOUNT_FEN)],
        change_off in prop_oneof![3 => Just(0i64), 1 => -2i64..3, 1 => any::<i64>()],
        zero_received in any::<bool>(),
        cash_checked in any::<bool>(),
        reference in proptest::option::of("\\PC{0,70}"),
    ) {
        let received = if zero_received { 0 } else { due.saturating_add(paid_over) };
        let change = received.saturating_sub(due).max(0).saturating_add(change_off);
        let mut op = real_ops()
            .iter()
            .find(|op| op["event"]["type"] == "payment_taken")
            .unwrap()
            .clone();
        let p = &mut op["event"]["payment"];
        p["method"] = serde_json::to_value(method).unwrap();
        p["due"] = due.into();
        p["received"] = received.into();
        p["change"] = change.into();
        p["cash_checked"] = cash_checked.into();
        p["reference"] = reference.clone().into();
        let decoded = decode_push(&push_of(vec![op]));
        let expected =
            payment_adds_up(method, due, received, change, cash_checked, reference.as_deref());
        prop_assert_eq!(
            decoded.is_ok(),
            expected,
            "{:?} due {} received {} change {} checked {}: {:?}",
            method, due, received, change, cash_checked, decoded.err()
        );
    }

    #[test]
    fn push_decoder_takes_damaged_bodies(edits in edits(), cut in proptest::option::of(any::<usize>())) {
        check_decoded_push(&damage(push_body(), &edits, cut))?;
    }

    #[test]
    fn pull_decoder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_decoded_pull(&bytes)?;
    }

    /// Pages of changes with arbitrary cursors and job ids: the phone takes
    /// exactly the pages whose cursors go forward within `next_cursor` and
    /// whose ids are well-formed, and gets them back unchanged.
    #[test]
    fn pull_pages_are_taken_exactly_when_well_formed(
        changes in proptest::collection::vec(
            (prop_oneof![any::<i64>(), 0i64..30], prop_oneof![3 => Just("PULL-1".to_string()), 1 => id_like()], change_kind()),
            0..6,
        ),
        sorted in any::<bool>(),
        next in prop_oneof![any::<i64>(), 0i64..40],
        has_more in any::<bool>(),
    ) {
        let mut changes: Vec<Change> = changes
            .into_iter()
            .map(|(cursor, job, kind)| change(cursor, &job, kind))
            .collect();
        if sorted {
            changes.sort_by_key(|c| c.cursor);
            changes.dedup_by_key(|c| c.cursor);
        }
        let page = PullResponse { changes, next_cursor: next, has_more, retention_days: None };
        let body = serde_json::to_vec(&page).unwrap();
        match decode_pull(&body) {
            Ok(decoded) => {
                prop_assert!(page_ok(&page), "a bad page decoded: {:?}", page);
                prop_assert_eq!(decoded, page);
            }
            Err(e) => prop_assert!(!page_ok(&page), "a good page refused ({}): {:?}", e, page),
        }
    }

    #[test]
    fn pull_decoder_takes_damaged_pages(edits in edits(), cut in proptest::option::of(any::<usize>())) {
        check_decoded_pull(&damage(pull_body(), &edits, cut))?;
    }

    #[test]
    fn stroke_decoder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check_decoded_ink(&bytes)?;
    }

    /// Signatures with varying pressure and timing survive the encoding:
    /// every stroke keeps its points, each point its time and pressure (to
    /// 1/255) and its place (to 1/10 px).
    #[test]
    fn strokes_keep_points_pressure_and_time(ink in ink_strategy()) {
        prop_assert!(ink.validate().is_ok(), "the generator made a bad signature: {:?}", ink.validate());
        let decoded = Ink::decode(&ink.encode());
        prop_assert!(decoded.is_ok(), "{:?}", decoded);
        let decoded = decoded.unwrap();
        prop_assert_eq!(decoded.canvas, ink.canvas);
        prop_assert_eq!(decoded.strokes.len(), ink.strokes.len());
        for (a, b) in ink.strokes.iter().zip(&decoded.strokes) {
            prop_assert_eq!(a.points.len(), b.points.len());
            for (p, q) in a.points.iter().zip(&b.points) {
                prop_assert_eq!(p.t_ms, q.t_ms);
                prop_assert_eq!(pressure_byte(p.pressure), pressure_byte(q.pressure));
                prop_assert!((p.pressure - q.pressure).abs() <= 0.5 / 255.0 + 1e-6);
                prop_assert!((p.x - q.x).abs() <= 0.06 && (p.y - q.y).abs() <= 0.06, "{:?} came back as {:?}", p, q);
            }
        }
        check_decoded_ink(&ink.encode())?;
    }

    /// Valid encodings of generated signatures, damaged: a valid signature or a typed error.
    #[test]
    fn damaged_strokes_decode_valid_or_fail_typed(
        ink in ink_strategy(),
        edits in edits(),
        cut in proptest::option::of(any::<usize>()),
    ) {
        check_decoded_ink(&damage(&ink.encode(), &edits, cut))?;
    }

    #[test]
    fn stroke_decoder_takes_damaged_signatures(edits in edits(), cut in proptest::option::of(any::<usize>())) {
        check_decoded_ink(&damage(&Ink::sample().encode(), &edits, cut))?;
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
            if let Command::Text(t) = c {
                prop_assert!(escpos::display_width(&t) <= profile.columns, "{:?}", t);
            }
        }
    }

    /// Receipts with any text, on paper of any width and either encoding:
    /// the stream decodes, no line is wider than the paper at the size it
    /// prints in, the paragraphs and footer print in full, and the QR code
    /// holds the payload.
    #[test]
    fn receipts_with_any_text_print_on_any_paper(doc in doc_strategy(), profile in profile_strategy()) {
        let bytes = documents::to_escpos(&doc, &profile);
        let commands = escpos::decode(&bytes);
        prop_assert!(commands.is_ok(), "{:?}", commands.err());
        let mut width = 1usize;
        let mut printed = Vec::new();
        let mut stored_qr = None;
        for c in commands.unwrap() {
            match c {
                Command::Init => width = 1,
                Command::Size { width: w, .. } => width = usize::from(w),
                Command::Text(t) => {
                    prop_assert!(
                        escpos::display_width(&t) * width <= profile.columns,
                        "{:?} at {}x is wider than {} columns", t, width, profile.columns
                    );
                    printed.push(t);
                }
                Command::QrStore(data) => stored_qr = Some(data),
                _ => {}
            }
        }
        let chinese = profile.encoding == escpos::TextEncoding::Gb18030;
        let all: Vec<char> = shown(&printed.concat(), true);
        for text in doc.paragraphs.iter().chain(&doc.footer).chain([&doc.issuer]) {
            prop_assert!(is_subsequence(&shown(text, chinese), &all), "{:?} is not printed whole in {:?}", text, printed);
        }
        if let Some(q) = doc.qr.as_ref().filter(|_| profile.supports_qr) {
            prop_assert_eq!(stored_qr.as_deref(), Some(q.as_bytes()));
        }
    }

    /// A real receipt's ESC/POS bytes, damaged: commands or a typed error.
    #[test]
    fn damaged_receipts_decode_or_fail_typed(
        doc in doc_strategy(),
        profile in profile_strategy(),
        edits in edits(),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let bytes = damage(&documents::to_escpos(&doc, &profile), &edits, cut);
        if let Err(e) = escpos::decode(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn escpos_decoder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = escpos::decode(&bytes);
    }
}

/// A push of more ops than HQ takes in one batch is refused whole; a full batch decodes.
#[test]
fn a_push_over_the_batch_limit_is_refused() {
    let op = |seq: usize| {
        let mut op = real_ops()[0].clone();
        op["seq"] = seq.into();
        op
    };
    let full: Vec<Value> = (1..=MAX_PUSH_OPS).map(op).collect();
    assert_eq!(
        decode_push(&push_of(full.clone())).unwrap().ops.len(),
        MAX_PUSH_OPS
    );
    let mut over = full;
    over.push(op(MAX_PUSH_OPS + 1));
    assert!(decode_push(&push_of(over)).is_err());
}

// --- the fuzz targets' seed corpus ------------------------------------------------------

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|e| panic!("the seed corpus of {target}: {e}"))
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// A fuzz target: its name, the check it runs, and what its seeds must still be.
type Target = (&'static str, fn(&[u8]), fn(&[u8]) -> bool);

/// Every seed passes the check its fuzz target runs, and the seeds are
/// still what they were made as: push and pull bodies and signatures decode,
/// ESC/POS receipts walk back into commands.
#[test]
fn every_fuzz_seed_passes_its_target_and_still_decodes() {
    let targets: [Target; 6] = [
        ("push_decoder", fuzz_checks::push_decoder, |b| {
            decode_push(b).is_ok_and(|r| !r.ops.is_empty())
        }),
        ("pull_decoder", fuzz_checks::pull_decoder, |b| {
            decode_pull(b).is_ok_and(|p| !p.changes.is_empty())
        }),
        ("stroke_decoder", fuzz_checks::stroke_decoder, |b| {
            Ink::decode(b).is_ok()
        }),
        ("escpos_layout", fuzz_checks::escpos_layout, |b| {
            // A printed receipt (ending in a cut), or a receipt's text.
            escpos::decode(b).is_ok_and(|c| c.contains(&Command::Cut))
                || std::str::from_utf8(b).is_ok_and(|t| t.contains('\n'))
        }),
        ("body_decoder", fuzz_checks::body_decoder, |b| {
            // A compressed push (whole, cut, or a bomb: all of it still zstd or gzip).
            b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) || b.starts_with(&[0x1f, 0x8b])
        }),
        ("upload_decoder", fuzz_checks::upload_decoder, |b| {
            // A blob's size, then (start, length) pairs of its chunks.
            b.len() >= 3 && b.len() % 2 == 1
        }),
    ];
    for (target, run, valid) in targets {
        let seeds = corpus(target);
        assert!(seeds.len() >= 2, "{target} has {} seeds", seeds.len());
        for (path, bytes) in seeds {
            run(&bytes);
            assert!(valid(&bytes), "{} no longer decodes", path.display());
        }
    }
}

/// Raw bytes of one HTTP exchange with HQ, as a phone sends and receives them.
fn raw_call(
    hq: &onsite_tests::harness::Hq,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Vec<u8>>,
) -> (u16, Vec<u8>) {
    hq.rt.block_on(async {
        let mut req = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}{path}", hq.url))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.bytes().await.unwrap().to_vec())
    })
}

/// The phone's outbox as its sync client sends it, pushed to HQ: every op
/// must apply. Returns the body.
fn push_pending(hq: &onsite_tests::harness::Hq, phone: &onsite_tests::harness::Phone) -> Vec<u8> {
    let batch = onsite_core::sync::SyncConfig::new("", "").batch_size;
    let ops = phone.tech.pending_ops(batch).unwrap();
    let body = serde_json::to_vec(&PushRequest {
        ops,
        backlog: None,
        uploading: Vec::new(),
    })
    .unwrap();
    let (status, answer) = raw_call(
        hq,
        "POST",
        "/v1/sync/push",
        &phone.token,
        Some(body.clone()),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let answer: onsite_core::sync::protocol::PushResponse =
        serde_json::from_slice(&answer).unwrap();
    assert!(answer
        .results
        .iter()
        .all(|r| r.outcome == onsite_core::sync::protocol::Outcome::Applied));
    // The phone's own sync then sends the same ops: HQ has them all already.
    let queued = phone.tech.outbox_len().unwrap() as u64;
    assert_eq!(phone.sync().ops_duplicate, queued);
    body
}

/// HQ's change feed for the phone from where it stands, as HQ sends it.
fn pull_page(hq: &onsite_tests::harness::Hq, phone: &onsite_tests::harness::Phone) -> Vec<u8> {
    let cursor = phone.tech.pull_cursor().unwrap();
    let (status, page) = raw_call(
        hq,
        "GET",
        &format!("/v1/sync/pull?cursor={cursor}&limit=500"),
        &phone.token,
        None,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&page));
    phone.sync();
    page
}

/// Writes the seed corpus of the fuzz targets (`fuzz/corpus/<target>/`):
/// push and pull bodies of a real phone working against a real HQ on
/// 127.0.0.1, signatures and receipts as the core encodes and prints them.
/// Run it with `cargo test -p onsite-tests --test decoder_props -- --ignored
/// regenerate_fuzz_corpus` after a protocol or format change.
#[test]
#[ignore = "writes fuzz/corpus; run by hand to regenerate the seeds"]
fn regenerate_fuzz_corpus() {
    use onsite_core::visit::{ConsentChannel, Opinion, Rating, RescheduleConsent};
    use onsite_core::{AcceptanceInput, SignInput};
    use onsite_hq::api::{Assign, Cancel, Reschedule};
    use onsite_tests::harness::{hq_and_phone, sqlite_backend};

    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    for target in [
        "push_decoder",
        "pull_decoder",
        "stroke_decoder",
        "escpos_layout",
    ] {
        let _ = std::fs::remove_dir_all(corpus_dir(target));
    }
    let (_dir, backend) = sqlite_backend();
    let (hq, phone) = hq_and_phone(backend, "T1");
    hq.technician("T2", "王师傅");
    let soon = Utc::now() + Duration::hours(1);
    for job in ["SEED-1", "SEED-2", "SEED-3", "SEED-4"] {
        hq.dispatch(&sample::leak_order(job, "T1", soon));
    }
    write("pull_decoder", "dispatched.json", &pull_page(&hq, &phone));

    // One visit worked to the handover, the customer signing.
    let t = &phone.tech;
    let ink = onsite_core::signature::demo_ink_bytes();
    t.accept_job("SEED-1").unwrap();
    onsite_tests::drive_accepted_to_acceptance(
        t,
        "SEED-1",
        AcceptanceInput {
            quality: Opinion::Rated {
                rating: Rating::Satisfied,
            },
            attitude: Opinion::Rated {
                rating: Rating::Average,
            },
            comment: "师傅很专业".into(),
            fix_uncertain: false,
            sign: SignInput::Sign {
                signer_name: "王女士".into(),
                ink: ink.clone(),
            },
            technician_ink: Some(ink.clone()),
        },
    )
    .unwrap();
    let due = t.job("SEED-1").unwrap().due_on_site().fen();
    t.take_payment(
        "SEED-1",
        onsite_core::payment::Method::Cash,
        due + 1_000,
        None,
        true,
    )
    .unwrap();
    let receipt = t.issue_receipt("SEED-1", false).unwrap();
    t.hand_over("SEED-1").unwrap();
    // One visit started and left on the way.
    t.accept_job("SEED-2").unwrap();
    write(
        "push_decoder",
        "visit-to-handover.json",
        &push_pending(&hq, &phone),
    );

    // HQ moves, cancels and reassigns the other jobs.
    hq.ok(hq.api.reschedule(
        "SEED-2",
        &Reschedule {
            appointment_at: soon + Duration::days(1),
            reason: "客户来电改约".into(),
            consent: Some(RescheduleConsent {
                agreed_by: "王女士".into(),
                agreed_at: Utc::now(),
                channel: ConsentChannel::Phone,
            }),
        },
    ));
    hq.ok(hq.api.cancel(
        "SEED-3",
        &Cancel {
            reason: "业主已自行维修".into(),
        },
    ));
    hq.ok(hq.api.assign(
        "SEED-4",
        &Assign {
            technician_id: "T2".into(),
        },
    ));
    write(
        "pull_decoder",
        "rescheduled-cancelled-reassigned.json",
        &pull_page(&hq, &phone),
    );

    // The rescheduled visit, worked up to the quote.
    t.accept_job("SEED-2").unwrap();
    sample::complete_checklist(t, "SEED-2", onsite_core::checklist::Phase::BeforeLeaving).unwrap();
    t.depart("SEED-2").unwrap();
    t.arrive_with_reason("SEED-2", "路上堵车").unwrap();
    write(
        "push_decoder",
        "visit-started.json",
        &push_pending(&hq, &phone),
    );

    // Signatures: the stored one, and one with pressure and uneven sampling.
    let stored = t
        .job("SEED-1")
        .unwrap()
        .customer_signature()
        .unwrap()
        .ink_bytes()
        .unwrap();
    write("stroke_decoder", "customer-signature.osg", &stored);
    let mut pressed = Ink::sample();
    let mut t_ms = 0;
    for (i, p) in pressed
        .strokes
        .iter_mut()
        .flat_map(|s| &mut s.points)
        .enumerate()
    {
        p.pressure = 0.3 + 0.5 * ((i % 17) as f32 / 17.0);
        t_ms += 5 + (i as u32 * 7) % 13;
        p.t_ms = t_ms;
    }
    write(
        "stroke_decoder",
        "pressure-and-uneven-timing.osg",
        &pressed.encode(),
    );

    // The receipt of the signed visit, printed on both papers and as text.
    for (lang, tag) in [(Lang::ZhCn, "zh-CN"), (Lang::En, "en")] {
        let doc = t.receipt_document(&receipt.number, lang).unwrap();
        for profile in [PrinterProfile::mm58(), PrinterProfile::mm80()] {
            write(
                "escpos_layout",
                &format!("receipt.{tag}.{}.escpos", profile.name),
                &documents::to_escpos(&doc, &profile),
            );
        }
        write(
            "escpos_layout",
            &format!("receipt.{tag}.txt"),
            documents::to_text(&doc).as_bytes(),
        );
    }
    // A blob of 298 bytes sent in order (one chunk starting past the end of
    // what HQ holds); one of 121 resent, overlapping and out of order.
    write(
        "upload_decoder",
        "in-order.bin",
        &[99, 0, 59, 52, 59, 104, 59, 155, 59, 206, 59],
    );
    write(
        "upload_decoder",
        "resent-and-gaps.bin",
        &[40, 0, 30, 0, 30, 128, 10, 20, 63, 255, 5],
    );
    hq.stop();
}
