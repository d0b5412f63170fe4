//! Figures 1–4: what the technician waits for on the phone.

use std::path::Path;
use std::time::Duration;

use chrono::{Duration as Days, FixedOffset, Utc};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::documents::{self, escpos::PrinterProfile};
use onsite_core::locale::Lang;
use onsite_core::receipt::NumberBlock;
use onsite_core::signature::{render_png, Background};
use onsite_core::sync::protocol::{Change, ChangeKind, PullResponse};
use onsite_core::{sample, Technician};
use rusqlite::Connection;

use crate::report::{median, ms, us, Figure, Report};
use crate::workload::{self, complete_visit, scratch_dir};
use crate::Sizes;

/// A directory on the project's disk (not tmpfs): the write path pays for real fsyncs.
pub fn disk_dir() -> tempfile::TempDir {
    std::fs::create_dir_all("target").ok();
    tempfile::tempdir_in("target").expect("temp dir under target/")
}

/// The store's settings, for the bare baselines.
fn bare(path: &Path) -> Connection {
    let c = Connection::open(path).expect("open");
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "FULL").unwrap();
    c.pragma_update(None, "foreign_keys", "ON").unwrap();
    c
}

pub fn write_path(r: &mut Report, s: &Sizes) -> anyhow::Result<()> {
    let dir = disk_dir();
    let tech = Technician::open(dir.path().join("tech.sqlite3"), sample::profile())?;
    let tid = tech.profile().technician_id.clone();
    tech.receive_order(sample::leak_order("W-1", &tid, Utc::now() + Days::hours(1)))?;
    tech.accept_job("W-1")?;
    let view = tech.checklist("W-1", Phase::BeforeLeaving)?;
    let template = view.template.id.clone();
    let item = view
        .visible
        .iter()
        .find(|i| matches!(i.kind, onsite_core::checklist::ItemKind::Check))
        .map(|i| i.id.clone())
        .ok_or_else(|| anyhow::anyhow!("no check item"))?;
    let conn = bare(&dir.path().join("bare.sqlite3"));
    conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")?;
    let payload = "x".repeat(200);
    let mut conn = conn;
    // Interleaved, so both see the same disk: fsync times drift on a shared VM.
    let (mut answers, mut inserts) = (Vec::new(), Vec::new());
    for i in 0..s.samples + 2 {
        let t = std::time::Instant::now();
        tech.answer("W-1", &template, &item, Answer::Check(true))?;
        let a = t.elapsed();
        let t = std::time::Instant::now();
        let tx = conn.transaction()?;
        tx.execute("INSERT INTO t(payload) VALUES (?1)", [&payload])?;
        tx.commit()?;
        let b = t.elapsed();
        if i >= 2 {
            answers.push(a);
            inserts.push(b);
        }
    }
    answers.sort();
    inserts.sort();
    let (answer, insert) = (answers[answers.len() / 2], inserts[inserts.len() / 2]);
    let ratio = answer.as_secs_f64() / insert.as_secs_f64();
    r.add(Figure {
        name: "1. record one checklist answer (state+outbox+audit, 1 tx)".into(),
        value: ms(answer),
        baseline: ms(insert),
        ratio,
        target: "ratio ≤ 1.5".into(),
        met: Some(ratio <= 1.5),
    });
    Ok(())
}

pub fn open_and_list(r: &mut Report, s: &Sizes) -> anyhow::Result<()> {
    // Build the store on tmpfs through the same path sync uses, then copy it to disk.
    let scratch = scratch_dir();
    let built = scratch.path().join("jobs.sqlite3");
    let profile = sample::profile();
    let tid = profile.technician_id.clone();
    {
        let tech = Technician::open(&built, profile.clone())?;
        let now = Utc::now();
        let today = 8usize;
        let total = s.past_jobs + today;
        let mut changes = Vec::new();
        for n in 0..total {
            // Past jobs spread over the last year; the last few are today's.
            let at = if n < s.past_jobs {
                now - Days::days(1 + (n % 365) as i64) - Days::minutes((n % 600) as i64)
            } else {
                now + Days::minutes(30 * (n - s.past_jobs) as i64)
            };
            let cursor = n as i64 + 1;
            let job = format!("P-{n:05}");
            changes.push(Change {
                cursor,
                job_id: job.clone(),
                at: now,
                change: ChangeKind::Dispatched {
                    order: Box::new(sample::leak_order(&job, &tid, at)),
                },
            });
            if changes.len() == 1000 || n + 1 == total {
                tech.apply_pulled(&PullResponse {
                    changes: std::mem::take(&mut changes),
                    next_cursor: cursor,
                    has_more: false,
                })?;
            }
        }
    }
    let dir = disk_dir();
    let path = dir.path().join("jobs.sqlite3");
    std::fs::copy(&built, &path)?;
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let today = Utc::now().with_timezone(&china).date_naive();
    let mut listed = 0;
    let open_list = median(s.samples.min(100), || {
        let tech = Technician::open(&path, profile.clone()).expect("open");
        listed = tech.jobs_for_day(today, china).expect("list").len();
    });
    let start = today
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(china)
        .unwrap()
        .with_timezone(&Utc);
    let end = start + Days::days(1);
    let baseline = median(s.samples.min(100), || {
        let c = bare(&path);
        let mut st = c
            .prepare("SELECT visit FROM jobs WHERE appointment_at >= ?1 AND appointment_at < ?2")
            .unwrap();
        let n = st
            .query_map([start.to_rfc3339(), end.to_rfc3339()], |row| {
                row.get::<_, String>(0)
            })
            .unwrap()
            .count();
        std::hint::black_box(n);
    });
    r.add(Figure {
        name: format!(
            "2. open a store of {} past jobs, list today's ({listed})",
            s.past_jobs
        ),
        value: ms(open_list),
        baseline: ms(baseline),
        ratio: open_list.as_secs_f64() / baseline.as_secs_f64(),
        target: "< 10 ms".into(),
        met: Some(open_list < Duration::from_millis(10)),
    });
    Ok(())
}

pub fn signature(r: &mut Report, s: &Sizes) -> anyhow::Result<()> {
    let ink = workload::signature_1000();
    let points: usize = ink.strokes.iter().map(|s| s.points.len()).sum();
    let render = median(s.samples, || {
        std::hint::black_box(render_png(&ink, 600, 200, Background::White).expect("render"));
    });
    let blank = image::RgbaImage::from_pixel(600, 200, image::Rgba([255, 255, 255, 255]));
    let encode = median(s.samples, || {
        let mut out = Vec::new();
        blank
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .expect("png");
        std::hint::black_box(out);
    });
    r.add(Figure {
        name: format!("3. render a {points}-point signature to a 600x200 PNG"),
        value: ms(render),
        baseline: format!("{} (blank PNG)", ms(encode)),
        ratio: render.as_secs_f64() / encode.as_secs_f64(),
        target: "< 5 ms".into(),
        met: Some(render < Duration::from_millis(5)),
    });
    let encoded = ink.encode().len();
    let json = serde_json::to_vec(&ink)?.len();
    r.add(Figure {
        name: format!("3. stored encoding of the {points}-point signature"),
        value: format!("{encoded} B"),
        baseline: format!("{json} B (JSON)"),
        ratio: encoded as f64 / json as f64,
        target: "< 4 KB".into(),
        met: Some(encoded < 4096),
    });
    Ok(())
}

pub fn receipt(r: &mut Report, s: &Sizes) -> anyhow::Result<()> {
    let scratch = scratch_dir();
    let tech = Technician::open(scratch.path().join("r.sqlite3"), sample::profile())?;
    let tid = tech.profile().technician_id.clone();
    tech.grant_receipt_block(&NumberBlock {
        series: "B".into(),
        first: 1,
        last: 100,
    })?;
    tech.receive_order(sample::leak_order(
        "RC-1",
        &tid,
        Utc::now() + Days::hours(1),
    ))?;
    complete_visit(&tech, "RC-1", &workload::signature_1000().encode())?;
    let number = tech
        .job("RC-1")?
        .receipt
        .map(|r| r.number)
        .ok_or_else(|| anyhow::anyhow!("no receipt"))?;
    let doc = tech.receipt_document(&number, Lang::ZhCn)?;
    let text = median(s.samples, || {
        drop(std::hint::black_box(documents::to_text(&doc)));
    });
    let profile = PrinterProfile::mm80();
    let escpos = median(s.samples, || {
        drop(std::hint::black_box(documents::to_escpos(&doc, &profile)));
    });
    let html = median(s.samples, || {
        drop(std::hint::black_box(documents::to_html(&doc)));
    });
    // The same receipt without the signature: what the rest of the layout costs.
    let mut bare_doc = doc.clone();
    bare_doc.signature_ink = None;
    let escpos_bare = median(s.samples, || {
        drop(std::hint::black_box(documents::to_escpos(
            &bare_doc, &profile,
        )));
    });
    let html_bare = median(s.samples, || {
        drop(std::hint::black_box(documents::to_html(&bare_doc)));
    });
    r.note(format!(
        "figure 4 without the signature image: ESC/POS {}, HTML {}; the rest of each figure is rendering the 1 000-point signature (figure 3)",
        us(escpos_bare),
        us(html_bare)
    ));
    for (name, d) in [
        ("ESC/POS (80 mm, with QR and signature raster)", escpos),
        ("HTML (with QR SVG and signature PNG)", html),
    ] {
        r.add(Figure {
            name: format!("4. render the receipt to {name}"),
            value: us(d),
            baseline: format!("{} (plain text)", us(text)),
            ratio: d.as_secs_f64() / text.as_secs_f64(),
            target: "< 1 ms".into(),
            met: Some(d < Duration::from_millis(1)),
        });
    }
    Ok(())
}
