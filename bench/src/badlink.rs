//! Figure 9: a technician's day synced over a bad link (issue 15, item 4).
//!
//! Ten visits (two with `--quick`), each worked to the handover offline with
//! three photos (camera frames the core resizes to ~250 KB JPEGs, each with
//! its thumbnail) and a 1 000-point signature, then synced through a shaped
//! link ([`onsite_tests::link`]): 32 KB/s each way, 400 ms round trip, 3% of
//! requests dropped part-way, a 1 s disconnect every 20 s; and the same at
//! 2G-like 8 KB/s. The phone syncs as an app would: the sync client's own
//! retries, and a new sync at once after one that gave up, until nothing is
//! left unsent. The two links run at the same time (each its own HQ, phone
//! and link): the figure is time on the link, not CPU.
//!
//! Baselines, same run: the time the minimum bytes take at the link's
//! bandwidth with no loss and no latency, and the minimum bytes themselves:
//! every photo and thumbnail once, plus the push bodies as the client
//! compresses them (zstd), each batch once.

use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use onsite_core::photo::PhotoPolicy;
use onsite_core::sync::encoding::{encode, Coding};
use onsite_core::sync::protocol::PushRequest;
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::{sample, Error, Profile, Technician};
use onsite_tests::harness::{Backend, Hq};
use onsite_tests::link::{Link, Shape};

use crate::report::{Figure, Report};
use crate::workload::{self, complete_visit};

const PHOTOS_PER_VISIT: u64 = 3;

/// What one day's sync over one link came to.
struct Day {
    label: &'static str,
    shape: Shape,
    synced_in: Duration,
    syncs: usize,
    sent_up: u64,
    sent_down: u64,
    minimum_up: u64,
    dropped: usize,
    cut: usize,
}

pub fn bad_link(r: &mut Report, quick: bool) -> anyhow::Result<()> {
    let visits = if quick { 2 } else { 10 };
    let shapes = [
        (
            "weak 3G: 32 KB/s, 400 ms, 3% dropped, 1 s disconnect every 20 s",
            Shape::weak_3g(9),
        ),
        (
            "2G-like: 8 KB/s, 400 ms, 3% dropped, 1 s disconnect every 20 s",
            Shape::edge_2g(9),
        ),
    ];
    let days: Vec<Day> = std::thread::scope(|s| {
        let runs: Vec<_> = shapes
            .iter()
            .map(|(label, shape)| s.spawn(move || one_day(label, *shape, visits)))
            .collect();
        runs.into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a day's thread panicked"))?
            })
            .collect::<anyhow::Result<_>>()
    })?;
    for d in &days {
        let ideal = d.minimum_up as f64 / d.shape.bytes_per_sec as f64;
        r.add(Figure {
            name: format!(
                "9. a day of {visits} visits ({} photos) fully synced over {}",
                visits as u64 * PHOTOS_PER_VISIT,
                d.label
            ),
            value: format!("{:.0} s ({} syncs)", d.synced_in.as_secs_f64(), d.syncs),
            baseline: format!("{ideal:.0} s (minimum bytes at full bandwidth)"),
            ratio: d.synced_in.as_secs_f64() / ideal,
            target: "report".into(),
            met: None,
        });
        let ratio = d.sent_up as f64 / d.minimum_up as f64;
        r.add(Figure {
            name: format!("9. bytes the phone sent for that day, {}", d.label),
            value: format!("{:.2} MB", d.sent_up as f64 / 1e6),
            baseline: format!("{:.2} MB (compressed payloads)", d.minimum_up as f64 / 1e6),
            ratio,
            target: "ratio ≤ 1.3".into(),
            met: Some(ratio <= 1.3),
        });
        r.note(format!(
            "figure 9, {}: {} requests dropped part-way and {} cut by disconnects; {:.2} MB received by the phone",
            d.label,
            d.dropped,
            d.cut,
            d.sent_down as f64 / 1e6
        ));
    }
    Ok(())
}

fn one_day(label: &'static str, shape: Shape, visits: usize) -> anyhow::Result<Day> {
    let dir = crate::local::disk_dir();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    let code = hq.technician("D1", "王师傅");
    let device = "DAY-1";
    let e = SyncClient::enroll_blocking(&hq.url, &code, device)?;
    let profile = Profile {
        technician_id: e.technician_id.clone(),
        technician_name: e.technician_name.clone(),
        device_id: device.into(),
        approval_key: e.approval_key.clone(),
    };
    let at = Utc::now() + Days::hours(1);
    let jobs: Vec<String> = (0..visits).map(|n| format!("DAY-{n:02}")).collect();
    for job in &jobs {
        hq.dispatch(&sample::leak_order(job, "D1", at));
    }
    // The morning, on the depot's Wi-Fi: the jobs and receipt numbers.
    let tech = Technician::open(dir.path().join("phone.sqlite3"), profile)?;
    SyncClient::new(SyncConfig::new(&hq.url, &e.token))?.sync_now(&tech, None)?;
    // The day, offline.
    for (n, job) in jobs.iter().enumerate() {
        let mut named = String::new();
        for p in 0..PHOTOS_PER_VISIT {
            let frame = workload::camera_photo(n as u64 * PHOTOS_PER_VISIT + p);
            let photo = tech.add_photo(job, &frame, &PhotoPolicy::default())?;
            if p == 0 {
                named = photo.full_sha256;
            }
        }
        let ink = workload::signature_1000_of(n as u64 + 1).encode();
        complete_visit(&tech, job, &ink, &named)?;
    }
    let minimum_up = minimum_payload(&tech)?;

    // The evening, over the bad link, until nothing is left unsent.
    let link = Link::start(hq.url.trim_start_matches("http://").parse()?, shape);
    let client = SyncClient::new(SyncConfig::new(&link.url, &e.token))?;
    let t0 = Instant::now();
    let mut syncs = 0;
    loop {
        syncs += 1;
        anyhow::ensure!(syncs < 500, "{label}: not synced after {syncs} syncs");
        match client.sync_now(&tech, None) {
            Ok(_) => {}
            // The app's scheduler runs the sync again; here at once.
            Err(Error::Offline { .. }) => continue,
            Err(e) => anyhow::bail!("{label}: sync failed: {e}"),
        }
        if tech.outbox_len()? == 0 && tech.pending_blob_count()? == 0 {
            break;
        }
    }
    let synced_in = t0.elapsed();
    let crossed = link.crossed();
    // Everything arrived: the visits and every photo, byte for byte.
    for job in &jobs {
        anyhow::ensure!(
            hq.order(job)["status"] == "handed_over",
            "{label}: {job} not handed over at HQ"
        );
    }
    hq.stop();
    Ok(Day {
        label,
        shape,
        synced_in,
        syncs,
        sent_up: crossed.bytes_up,
        sent_down: crossed.bytes_down,
        minimum_up,
        dropped: crossed.dropped,
        cut: crossed.cut,
    })
}

/// What the phone must send at the least: every pending blob once and the
/// outbox in the client's batches, compressed as the client compresses them.
fn minimum_payload(tech: &Technician) -> anyhow::Result<u64> {
    let blobs: u64 = tech.pending_uploads()?.iter().map(|p| p.size).sum();
    let batch = SyncConfig::new("", "").batch_size;
    let ops = tech.pending_ops(usize::MAX)?;
    let mut pushes = 0u64;
    for c in ops.chunks(batch) {
        let body = serde_json::to_vec(&PushRequest {
            ops: c.to_vec(),
            backlog: None,
            uploading: Vec::new(),
        })?;
        pushes += encode(Coding::Zstd, &body)?.len() as u64;
    }
    Ok(blobs + pushes)
}
