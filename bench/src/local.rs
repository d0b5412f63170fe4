//! Figures 1–4: what the technician waits for on the phone, on a store that
//! already holds a year of completed visits.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, FixedOffset, NaiveDate, Utc};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::documents::{self, escpos::PrinterProfile};
use onsite_core::locale::Lang;
use onsite_core::receipt::NumberBlock;
use onsite_core::signature::{render_png, Background};
use onsite_core::{sample, Profile, StoreKey, Technician};
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

/// Jobs on today's list in every store of past visits.
const TODAY: usize = 8;

/// A technician's store after a year of work: `visits` jobs worked from
/// dispatch to handover (checklists, materials, a 1 000-point signature,
/// payment, receipt), plus today's jobs as dispatched. Built once on tmpfs
/// through the core API and copied to disk for each figure that opens it.
pub struct PastStore {
    _scratch: tempfile::TempDir,
    pub path: PathBuf,
    pub profile: Profile,
    pub visits: usize,
    /// The receipt of a visit in the middle of the store, and that visit.
    pub receipt: String,
    pub receipt_job: String,
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

fn china_today() -> NaiveDate {
    Utc::now().with_timezone(&china()).date_naive()
}

pub fn past_store(r: &mut Report, s: &Sizes) -> anyhow::Result<PastStore> {
    let scratch = scratch_dir();
    let path = scratch.path().join("past.sqlite3");
    let profile = sample::profile();
    let tid = profile.technician_id.clone();
    let tech = Technician::open(&path, profile.clone())?;
    tech.grant_receipt_block(&NumberBlock {
        series: "P".into(),
        first: 1,
        last: s.past_jobs as i64 + 100,
    })?;
    let ink = workload::signature_1000().encode();
    let now = Utc::now();
    let started = Instant::now();
    // The first visit's photo, named by every visit (the blob is stored once).
    let photo = workload::shared_photo(&tech, "P-00000")?;
    for n in 0..s.past_jobs {
        // Spread over the last year, never today.
        let at = now - Days::days(2 + (n % 365) as i64) - Days::minutes((n % 600) as i64);
        let job = format!("P-{n:05}");
        tech.receive_order(sample::leak_order(&job, &tid, at))?;
        complete_visit(&tech, &job, &ink, &photo)?;
        if (n + 1) % 2000 == 0 {
            eprintln!(
                "  past store: {} of {} visits ({:.0} s)",
                n + 1,
                s.past_jobs,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let built = started.elapsed();
    let morning = china_today()
        .and_hms_opt(8, 0, 0)
        .and_then(|t| t.and_local_timezone(china()).single())
        .ok_or_else(|| anyhow::anyhow!("today 08:00 in UTC+8"))?
        .with_timezone(&Utc);
    for k in 0..TODAY {
        let job = format!("T-{k}");
        tech.receive_order(sample::leak_order(
            &job,
            &tid,
            morning + Days::hours(k as i64),
        ))?;
    }
    let receipt_job = format!("P-{:05}", s.past_jobs / 2);
    let receipt = tech
        .job(&receipt_job)?
        .receipt
        .map(|r| r.number)
        .ok_or_else(|| anyhow::anyhow!("the middle visit has no receipt"))?;
    let handed_over = tech.outbox_len()?;
    drop(tech);
    let bytes = std::fs::metadata(&path)?.len();
    r.note(format!(
        "figures 1, 2 and 4 store: {} visits worked from dispatch to handover through the core API ({handed_over} ops in the outbox, not pushed; photo items answered with the shared sample photo, so no per-visit photo bytes) plus {TODAY} dispatched for today; {:.0} MB; built on tmpfs in {:.0} s",
        s.past_jobs,
        bytes as f64 / 1e6,
        built.as_secs_f64()
    ));
    Ok(PastStore {
        _scratch: scratch,
        path,
        profile,
        visits: s.past_jobs,
        receipt,
        receipt_job,
    })
}

/// A copy of the past store on disk, for a figure that opens or writes it.
fn on_disk(past: &PastStore) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let dir = disk_dir();
    let path = dir.path().join("past.sqlite3");
    std::fs::copy(&past.path, &path)?;
    Ok((dir, path))
}

/// The key of the benchmarks' encrypted stores (issue 14).
pub fn bench_key() -> StoreKey {
    StoreKey::from_bytes(&[0x42; StoreKey::LEN]).expect("32 bytes")
}

/// A copy of the past store on disk, encrypted in place by its first open
/// with a key (as a phone's store of the previous version is); notes how
/// long that took once.
fn encrypted_on_disk(
    r: &mut Report,
    past: &PastStore,
) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let (dir, path) = on_disk(past)?;
    let size = std::fs::metadata(&path)?.len();
    let t = Instant::now();
    drop(Technician::open_encrypted(
        &path,
        &bench_key(),
        past.profile.clone(),
    )?);
    let took = t.elapsed();
    if !r.has_note("encrypted figures (issue 14)") {
        r.note(format!(
            "encrypted figures (issue 14): a copy of the past store ({:.0} MB) encrypted in place by its first open with a key (sqlcipher_export, fsync, rename) in {:.1} s; SQLCipher 4 defaults (AES-256-CBC, HMAC-SHA512 per page, 4096-byte pages), raw key so no KDF, cipher_memory_security off",
            size as f64 / 1e6,
            took.as_secs_f64()
        ));
    }
    Ok((dir, path))
}

pub fn write_path(r: &mut Report, s: &Sizes, past: &PastStore) -> anyhow::Result<()> {
    let (dir, path) = on_disk(past)?;
    let (_enc_dir, enc_path) = encrypted_on_disk(r, past)?;
    let tech = Technician::open(&path, past.profile.clone())?;
    let enc = Technician::open_encrypted(&enc_path, &bench_key(), past.profile.clone())?;
    let tid = tech.profile().technician_id.clone();
    for t in [&tech, &enc] {
        t.receive_order(sample::leak_order("W-1", &tid, Utc::now() + Days::hours(1)))?;
        t.accept_job("W-1")?;
    }
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
    let (mut answers, mut inserts, mut encrypted) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..s.samples + 2 {
        let t = Instant::now();
        tech.answer("W-1", &template, &item, Answer::Check(true))?;
        let a = t.elapsed();
        let t = Instant::now();
        let tx = conn.transaction()?;
        tx.execute("INSERT INTO t(payload) VALUES (?1)", [&payload])?;
        tx.commit()?;
        let b = t.elapsed();
        let t = Instant::now();
        enc.answer("W-1", &template, &item, Answer::Check(true))?;
        let e = t.elapsed();
        if i >= 2 {
            answers.push(a);
            inserts.push(b);
            encrypted.push(e);
        }
    }
    answers.sort();
    inserts.sort();
    encrypted.sort();
    let (answer, insert) = (answers[answers.len() / 2], inserts[inserts.len() / 2]);
    let encrypted = encrypted[encrypted.len() / 2];
    let ratio = answer.as_secs_f64() / insert.as_secs_f64();
    r.add(Figure {
        name: format!(
            "1. record one checklist answer (state+outbox+audit, 1 tx), store of {} visits",
            past.visits
        ),
        value: ms(answer),
        baseline: format!("{} (1-row insert)", ms(insert)),
        ratio,
        target: "ratio ≤ 1.5".into(),
        met: Some(ratio <= 1.5),
    });
    let enc_ratio = encrypted.as_secs_f64() / answer.as_secs_f64();
    r.add(Figure {
        name: format!(
            "1. the same answer, store encrypted (SQLCipher), store of {} visits",
            past.visits
        ),
        value: ms(encrypted),
        baseline: format!("{} (unencrypted, interleaved)", ms(answer)),
        ratio: enc_ratio,
        target: "ratio ≤ 1.3".into(),
        met: Some(enc_ratio <= 1.3),
    });
    Ok(())
}

/// Drops a file's pages from the OS page cache (`posix_fadvise(DONTNEED)`
/// through GNU dd), so the next open reads it from the disk. Its pages are
/// clean: the copy was synced and opening or reading writes nothing.
fn evict(path: &Path) -> anyhow::Result<()> {
    let mut files = vec![path.to_path_buf()];
    for ext in ["sqlite3-wal", "sqlite3-shm"] {
        let f = path.with_extension(ext);
        if f.exists() {
            files.push(f);
        }
    }
    let sync = Command::new("sync").args(&files).status()?;
    anyhow::ensure!(sync.success(), "sync {files:?}");
    for f in files {
        let mut arg = std::ffi::OsString::from("if=");
        arg.push(&f);
        let dd = Command::new("dd")
            .arg(arg)
            .args(["iflag=nocache", "count=0", "status=none"])
            .status()?;
        anyhow::ensure!(dd.success(), "dd iflag=nocache {}", f.display());
    }
    Ok(())
}

/// Bytes of a file in the OS page cache (util-linux `fincore`), when it is installed.
fn resident(path: &Path) -> Option<u64> {
    let out = Command::new("fincore")
        .args(["--bytes", "--noheadings", "--output", "RES"])
        .arg(path)
        .output()
        .ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

pub fn open_and_list(r: &mut Report, s: &Sizes, past: &PastStore) -> anyhow::Result<()> {
    let (_dir, path) = on_disk(past)?;
    let (_enc_dir, enc_path) = encrypted_on_disk(r, past)?;
    let today = china_today();
    let start = today
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(china())
        .unwrap()
        .with_timezone(&Utc);
    let end = start + Days::days(1);
    let listed = std::cell::Cell::new(0);
    let open_list = || {
        let tech = Technician::open(&path, past.profile.clone()).expect("open");
        listed.set(tech.jobs_for_day(today, china()).expect("list").len());
    };
    let enc_listed = std::cell::Cell::new(0);
    let enc_open_list = || {
        let tech = Technician::open_encrypted(&enc_path, &bench_key(), past.profile.clone())
            .expect("open");
        enc_listed.set(tech.jobs_for_day(today, china()).expect("list").len());
    };
    let bare_list = || {
        let c = bare(&path);
        let mut st = c
            .prepare(
                "SELECT visit FROM jobs WHERE appointment_at >= ?1 AND appointment_at < ?2
                 ORDER BY appointment_at, job_id",
            )
            .unwrap();
        let n = st
            .query_map([start.to_rfc3339(), end.to_rfc3339()], |row| {
                row.get::<_, String>(0)
            })
            .unwrap()
            .count();
        std::hint::black_box(n);
    };
    let warm = median(s.samples.min(100), open_list);
    let warm_bare = median(s.samples.min(100), bare_list);
    let warm_enc = median(s.samples.min(100), enc_open_list);
    let listed = listed.get();
    anyhow::ensure!(
        enc_listed.get() == listed,
        "the encrypted store lists other jobs"
    );
    r.add(Figure {
        name: format!(
            "2. open a store of {} completed visits, list today's ({listed}), warm",
            past.visits
        ),
        value: ms(warm),
        baseline: format!("{} (bare open + SELECT)", ms(warm_bare)),
        ratio: warm.as_secs_f64() / warm_bare.as_secs_f64(),
        target: "< 10 ms".into(),
        met: Some(warm < Duration::from_millis(10)),
    });
    anyhow::ensure!(
        listed == TODAY,
        "listed {listed} jobs for today, not {TODAY}"
    );
    r.add(Figure {
        name: "2. the same open and list, store encrypted (SQLCipher), warm".into(),
        value: ms(warm_enc),
        baseline: format!("{} (unencrypted)", ms(warm)),
        ratio: warm_enc.as_secs_f64() / warm.as_secs_f64(),
        target: "< 10 ms".into(),
        met: Some(warm_enc < Duration::from_millis(10)),
    });

    // Cold: the file out of the OS page cache before each open, interleaved.
    evict(&path)?;
    let before = resident(&path);
    let (mut cold, mut cold_bare, mut cold_enc) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..s.cold_samples {
        evict(&path)?;
        let t = Instant::now();
        open_list();
        cold.push(t.elapsed());
        evict(&path)?;
        let t = Instant::now();
        bare_list();
        cold_bare.push(t.elapsed());
        evict(&enc_path)?;
        let t = Instant::now();
        enc_open_list();
        cold_enc.push(t.elapsed());
    }
    cold.sort();
    cold_bare.sort();
    cold_enc.sort();
    let (cold, cold_bare) = (cold[cold.len() / 2], cold_bare[cold_bare.len() / 2]);
    let cold_enc = cold_enc[cold_enc.len() / 2];
    r.add(Figure {
        name: format!(
            "2. open a store of {} completed visits, list today's ({listed}), cold",
            past.visits
        ),
        value: ms(cold),
        baseline: format!("{} (bare open + SELECT, cold)", ms(cold_bare)),
        ratio: cold.as_secs_f64() / cold_bare.as_secs_f64(),
        target: "report".into(),
        met: None,
    });
    r.add(Figure {
        name: "2. the same open and list, store encrypted (SQLCipher), cold".into(),
        value: ms(cold_enc),
        baseline: format!("{} (unencrypted, cold)", ms(cold)),
        ratio: cold_enc.as_secs_f64() / cold.as_secs_f64(),
        target: "report".into(),
        met: None,
    });
    let size = std::fs::metadata(&path)?.len();
    let before = before.map_or("unknown, fincore missing".into(), |b| {
        format!("{b} B of {:.0} MB", size as f64 / 1e6)
    });
    r.note(format!(
        "figure 2 cold: before each of {} opens the store file was evicted from the OS page cache (resident before the first: {before}) and opened by a new connection; median",
        s.cold_samples
    ));
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

pub fn receipt(r: &mut Report, s: &Sizes, past: &PastStore) -> anyhow::Result<()> {
    // The store the phone has open (warm), as when the technician taps "print".
    let tech = Technician::open(&past.path, past.profile.clone())?;
    let number = past.receipt.as_str();
    let build = || tech.receipt_document(number, Lang::ZhCn).expect("receipt");
    let job_id = &past.receipt_job;
    let conn = bare(&past.path);
    let bare_rows = median(s.samples, || {
        let body: String = conn
            .query_row(
                "SELECT body FROM receipts WHERE number = ?1 AND kind != 'void'",
                [number],
                |r| r.get(0),
            )
            .unwrap();
        let visit: String = conn
            .query_row("SELECT visit FROM jobs WHERE job_id = ?1", [job_id], |r| {
                r.get(0)
            })
            .unwrap();
        std::hint::black_box((body, visit));
    });
    let built = median(s.samples, || drop(std::hint::black_box(build())));
    r.add(Figure {
        name: format!(
            "4. build receipt {number} from the store of {} visits (find, load the visit, lay out)",
            past.visits
        ),
        value: us(built),
        baseline: format!("{} (bare SELECT of its 2 rows)", us(bare_rows)),
        ratio: built.as_secs_f64() / bare_rows.as_secs_f64(),
        target: "report".into(),
        met: None,
    });
    let profile = PrinterProfile::mm80();
    let text = median(s.samples, || {
        drop(std::hint::black_box(documents::to_text(&build())));
    });
    let escpos = median(s.samples, || {
        drop(std::hint::black_box(documents::to_escpos(
            &build(),
            &profile,
        )));
    });
    let html = median(s.samples, || {
        drop(std::hint::black_box(documents::to_html(&build())));
    });
    // The same receipt without the signature: what the rest of the layout costs.
    let mut bare_doc = build();
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
        "figure 4 rendering alone, a built receipt without the signature image: ESC/POS {}, HTML {}; the rest of each figure is building the receipt and rendering the 1 000-point signature (figure 3)",
        us(escpos_bare),
        us(html_bare)
    ));
    for (name, d) in [
        ("ESC/POS (80 mm, with QR and signature raster)", escpos),
        ("HTML (with QR SVG and signature PNG)", html),
    ] {
        r.add(Figure {
            name: format!("4. build the receipt from the store and render it to {name}"),
            value: us(d),
            baseline: format!("{} (build + plain text)", us(text)),
            ratio: d.as_secs_f64() / text.as_secs_f64(),
            target: "< 1 ms".into(),
            met: Some(d < Duration::from_millis(1)),
        });
    }
    Ok(())
}
