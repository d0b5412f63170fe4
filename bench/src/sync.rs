//! Figure 5: one phone pushes a thousand completed visits to HQ over
//! loopback; a phone pulls and applies a hundred thousand changes.

use std::time::Instant;

use chrono::{Duration as Days, Utc};
use onsite_core::receipt::NumberBlock;
use onsite_core::sync::protocol::{decode_pull, Change, ChangeKind, PullResponse, PushRequest};
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::{sample, Profile, Technician};
use onsite_tests::harness::{Backend, Hq};
use onsite_tests::proxy::{Faults, Proxy};
use std::sync::atomic::Ordering;

use crate::local::disk_dir;
use crate::report::{Figure, Report};
use crate::workload::{self, complete_visit, scratch_dir};
use crate::Sizes;

pub fn push(r: &mut Report, s: &Sizes) -> anyhow::Result<()> {
    let dir = disk_dir();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    let code = hq.technician("B1", "王师傅");
    let e = SyncClient::enroll_blocking(&hq.url, &code, "BDEV")?;
    let profile = Profile {
        technician_id: e.technician_id.clone(),
        technician_name: e.technician_name.clone(),
        device_id: "BDEV".into(),
        approval_key: e.approval_key.clone(),
    };
    let at = Utc::now() + Days::hours(1);
    for n in 0..s.visits {
        hq.dispatch(&sample::leak_order(&format!("V-{n:04}"), "B1", at));
    }

    // The phone pulls its jobs, then works every visit offline (built on tmpfs).
    let scratch = scratch_dir();
    let built = scratch.path().join("phone.sqlite3");
    let ink = workload::signature_1000().encode();
    let started = Instant::now();
    {
        let tech = Technician::open(&built, profile.clone())?;
        SyncClient::new(SyncConfig::new(&hq.url, &e.token))?.sync_now(&tech, None)?;
        // Receipt numbers from HQ, enough for every visit.
        while tech.receipt_numbers_left()? < s.visits as i64 {
            let (status, v) = hq.call("POST", "/v1/receipt-blocks", Some(&e.token), None);
            anyhow::ensure!(status < 300, "receipt block: {status} {v}");
            tech.grant_receipt_block(&serde_json::from_value::<NumberBlock>(v)?)?;
        }
        for n in 0..s.visits {
            complete_visit(&tech, &format!("V-{n:04}"), &ink)?;
        }
    }
    let build = started.elapsed();
    let path = dir.path().join("phone.sqlite3");
    std::fs::copy(&built, &path)?;
    let tech = Technician::open(&path, profile)?;
    let ops = tech.pending_ops(usize::MAX)?;
    let total_ops = ops.len();
    r.note(format!(
        "figure 5 workload: {} visits, {:.1} ops per visit ({} checklist answers, 2 material inspections, 1 signature of 1 000 points each); built offline in {:.1} s ({:.0} local ops/s on tmpfs)",
        s.visits,
        total_ops as f64 / s.visits as f64,
        workload::ANSWERS_PER_VISIT,
        build.as_secs_f64(),
        total_ops as f64 / build.as_secs_f64()
    ));
    let batch = 200;
    let bodies: Vec<Vec<u8>> = ops
        .chunks(batch)
        .map(|c| serde_json::to_vec(&PushRequest { ops: c.to_vec() }))
        .collect::<Result<_, _>>()?;

    // The push, through a counting proxy.
    let upstream = hq.url.trim_start_matches("http://").parse()?;
    let proxy = Proxy::start(upstream, Faults::none());
    let mut config = SyncConfig::new(&proxy.url, &e.token);
    config.batch_size = batch;
    let client = SyncClient::new(config)?;
    let t = Instant::now();
    let report = client.sync_now(&tech, None)?;
    let took = t.elapsed();
    anyhow::ensure!(
        report.ops_applied as usize == total_ops,
        "HQ applied {} of {total_ops}",
        report.ops_applied
    );
    let wire = proxy.bytes_up.load(Ordering::SeqCst) + proxy.bytes_down.load(Ordering::SeqCst);

    // Baseline: the same push bodies POSTed over loopback to a handler that does nothing.
    let sink = sink_server(&hq.rt)?;
    let sink_proxy = Proxy::start(sink, Faults::none());
    let url = format!("{}/sink", sink_proxy.url);
    let t = Instant::now();
    hq.rt.block_on(async {
        let c = reqwest::Client::new();
        for b in &bodies {
            c.post(&url).body(b.clone()).send().await?.bytes().await?;
        }
        Ok::<_, reqwest::Error>(())
    })?;
    let baseline = t.elapsed();
    r.add(Figure {
        name: format!(
            "5. push {} completed visits to HQ (SQLite) over loopback",
            s.visits
        ),
        value: format!(
            "{:.2} s, {:.0} ops/s",
            took.as_secs_f64(),
            total_ops as f64 / took.as_secs_f64()
        ),
        baseline: format!(
            "{:.2} s (bodies to a no-op handler)",
            baseline.as_secs_f64()
        ),
        ratio: took.as_secs_f64() / baseline.as_secs_f64(),
        target: "report".into(),
        met: None,
    });
    r.add(Figure {
        name: "5. bytes on the wire per visit (both directions)".into(),
        value: format!("{:.1} KB", wire as f64 / s.visits as f64 / 1024.0),
        baseline: format!(
            "{:.1} KB (push bodies)",
            bodies.iter().map(Vec::len).sum::<usize>() as f64 / s.visits as f64 / 1024.0
        ),
        ratio: wire as f64 / bodies.iter().map(Vec::len).sum::<usize>() as f64,
        target: "report".into(),
        met: None,
    });
    hq.stop();
    Ok(())
}

/// A loopback HTTP server whose `POST /sink` does nothing: the baselines' HQ.
pub fn sink_server(rt: &tokio::runtime::Runtime) -> anyhow::Result<std::net::SocketAddr> {
    rt.block_on(async {
        let app = axum::Router::new().route(
            "/sink",
            axum::routing::post(|_b: axum::body::Bytes| async { "{}" }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(addr)
    })
}

pub fn pull(r: &mut Report, s: &Sizes) -> anyhow::Result<()> {
    let dir = disk_dir();
    let profile = sample::profile();
    let tid = profile.technician_id.clone();
    let now = Utc::now();
    let page_size = 1000;
    let mut pages = Vec::new();
    let mut payloads = Vec::new();
    let mut cursor = 0i64;
    while (cursor as usize) < s.pulled_changes {
        let mut changes = Vec::with_capacity(page_size);
        for _ in 0..page_size.min(s.pulled_changes - cursor as usize) {
            cursor += 1;
            let job = format!("PL-{cursor:06}");
            let order = sample::leak_order(&job, &tid, now + Days::minutes(cursor % 5000));
            payloads.push((job.clone(), serde_json::to_string(&order)?));
            changes.push(Change {
                cursor,
                job_id: job,
                at: now,
                change: ChangeKind::Dispatched {
                    order: Box::new(order),
                },
            });
        }
        pages.push(serde_json::to_vec(&PullResponse {
            changes,
            next_cursor: cursor,
            has_more: true,
        })?);
    }
    let tech = Technician::open(dir.path().join("pull.sqlite3"), profile)?;
    let t = Instant::now();
    let mut applied = 0;
    for bytes in &pages {
        let page = decode_pull(bytes)?;
        applied += tech.apply_pulled(&page)?;
    }
    let took = t.elapsed();
    anyhow::ensure!(applied == s.pulled_changes, "applied {applied}");

    // Baseline: the same rows as bare inserts, one transaction per page.
    let mut conn = rusqlite::Connection::open(dir.path().join("bare.sqlite3"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE jobs(job_id TEXT PRIMARY KEY, visit TEXT NOT NULL)")?;
    let t = Instant::now();
    for chunk in payloads.chunks(page_size) {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached("INSERT INTO jobs(job_id, visit) VALUES (?1, ?2)")?;
            for (job, visit) in chunk {
                st.execute([job, visit])?;
            }
        }
        tx.commit()?;
    }
    let baseline = t.elapsed();
    let rate = s.pulled_changes as f64 / took.as_secs_f64();
    r.add(Figure {
        name: format!(
            "5. pull and apply {} changes on the phone",
            s.pulled_changes
        ),
        value: format!("{rate:.0} changes/s"),
        baseline: format!(
            "{:.0} rows/s (bare inserts)",
            s.pulled_changes as f64 / baseline.as_secs_f64()
        ),
        ratio: took.as_secs_f64() / baseline.as_secs_f64(),
        target: "≥ 50 000/s".into(),
        met: Some(rate >= 50_000.0),
    });
    Ok(())
}
