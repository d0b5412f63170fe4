//! Figure 6: HQ under load. Many phones, each with its completed visits in
//! its outbox, push and then pull at the same moment; HQ on SQLite and on
//! PostgreSQL, in-process on its own runtime, the phones on another. Ops
//! only: the visits' photos are figure 5's (here every visit answers its
//! photo item with the shared sample photo, which is not uploaded).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use onsite_core::order::WorkOrder;
use onsite_core::receipt::NumberBlock;
use onsite_core::sync::protocol::{Outcome, PullResponse, PushRequest, PushResponse};
use onsite_core::{Profile, Technician};
use onsite_tests::harness::{Backend, Hq};
use serde_json::json;

use crate::local::disk_dir;
use crate::report::{percentile, Figure, Report};
use crate::workload::{self, complete_visit, scratch_dir};
use crate::Sizes;

const BATCH: usize = 100;

pub struct Device {
    technician_id: String,
    device_id: String,
    orders: Vec<WorkOrder>,
    /// Push bodies of at most `BATCH` ops, with the ops each holds.
    bodies: Vec<(usize, Vec<u8>)>,
    ops: usize,
    /// The photos its ops name (sha256, media type, bytes): uploaded before
    /// the timed pushes, as the sync client does (HQ refuses a fact naming a
    /// photo it never received).
    photos: Vec<(String, String, Vec<u8>)>,
}

/// Every phone's outbox, built once (on tmpfs) and pushed to each HQ backend.
pub fn fleet(s: &Sizes) -> anyhow::Result<Vec<Device>> {
    let scratch = scratch_dir();
    let ink = workload::signature_1000().encode();
    let at = Utc::now() + Days::hours(1);
    let mut devices = Vec::new();
    for d in 0..s.devices {
        let technician_id = format!("LT{d:03}");
        let device_id = format!("LD{d:03}");
        let tech = Technician::open(
            scratch.path().join(format!("{device_id}.sqlite3")),
            Profile {
                technician_id: technician_id.clone(),
                technician_name: "负载".into(),
                device_id: device_id.clone(),
                approval_key: "k".into(),
            },
        )?;
        tech.grant_receipt_block(&NumberBlock {
            series: format!("L{d:03}"),
            first: 1,
            last: 100,
        })?;
        let mut orders = Vec::new();
        let photo = workload::shared_photo(&tech, &format!("LJ{d:03}-0"))?;
        for v in 0..s.visits_per_device {
            let order =
                onsite_core::sample::leak_order(&format!("LJ{d:03}-{v}"), &technician_id, at);
            tech.receive_order(order.clone())?;
            complete_visit(&tech, &order.job_id, &ink, &photo)?;
            orders.push(order);
        }
        let ops = tech.pending_ops(usize::MAX)?;
        let mut photos = Vec::new();
        for sha in tech.pending_blobs()? {
            if let Some((media, bytes)) = tech.blob(&sha)? {
                photos.push((sha, media, bytes));
            }
        }
        let bodies = ops
            .chunks(BATCH)
            .map(|c| {
                Ok((
                    c.len(),
                    serde_json::to_vec(&PushRequest {
                        ops: c.to_vec(),
                        backlog: None,
                        uploading: Vec::new(),
                    })?,
                ))
            })
            .collect::<Result<_, serde_json::Error>>()?;
        devices.push(Device {
            technician_id,
            device_id,
            orders,
            bodies,
            ops: ops.len(),
            photos,
        });
    }
    Ok(devices)
}

/// One photo to HQ, outside the timed part (figure 5 times uploads).
fn upload(hq: &Hq, token: &str, sha: &str, media: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let url = format!("{}/v1/blobs/{sha}", hq.url);
    let status = hq.rt.block_on(async {
        reqwest::Client::new()
            .put(url)
            .bearer_auth(token)
            .header("content-type", media)
            .body(bytes.to_vec())
            .send()
            .await
            .map(|r| r.status())
    })?;
    anyhow::ensure!(status.is_success(), "photo upload: {status}");
    Ok(())
}

pub fn hq_under_load(
    r: &mut Report,
    fleet: &[Device],
    name: &str,
    pg_url: Option<&str>,
) -> anyhow::Result<()> {
    let dir = disk_dir();
    let backend = match pg_url {
        Some(url) => Backend::Postgres(url.to_string()),
        None => Backend::Sqlite(dir.path().join("hq.sqlite3")),
    };
    let hq = Hq::start(backend);
    let mut tokens = Vec::new();
    for d in fleet {
        let code = hq.technician(&d.technician_id, "负载");
        let (status, v) = hq.call(
            "POST",
            "/v1/enroll",
            None,
            Some(json!({"code": code, "device_id": d.device_id})),
        );
        anyhow::ensure!(status < 300, "enroll: {status} {v}");
        let token = v["token"].as_str().unwrap_or_default().to_string();
        for (sha, media, bytes) in &d.photos {
            upload(&hq, &token, sha, media, bytes)?;
        }
        tokens.push(token);
        for o in &d.orders {
            hq.dispatch(o);
        }
    }
    let total_ops: usize = fleet.iter().map(|d| d.ops).sum();
    let requests: usize = fleet.iter().map(|d| d.bodies.len()).sum();
    let per_push: Vec<usize> = fleet
        .iter()
        .flat_map(|d| d.bodies.iter().map(|b| b.0))
        .collect();
    anyhow::ensure!(
        per_push.iter().sum::<usize>() == total_ops,
        "push bodies hold {} of {total_ops} ops",
        per_push.iter().sum::<usize>()
    );
    let (fewest, most) = (
        per_push.iter().copied().min().unwrap_or(0),
        per_push.iter().copied().max().unwrap_or(0),
    );

    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(fleet.len() + 8)
        .build()?;
    let url = Arc::new(hq.url.clone());
    let t = Instant::now();
    let results = load.block_on(async {
        let mut tasks = Vec::new();
        for (d, token) in fleet.iter().zip(&tokens) {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            let bodies = d.bodies.clone();
            tasks.push(tokio::spawn(async move {
                let (mut push, mut pull, mut applied) = (Vec::new(), Vec::new(), 0usize);
                for (_, b) in bodies {
                    let t = Instant::now();
                    let resp = client
                        .post(format!("{url}/v1/sync/push"))
                        .bearer_auth(&token)
                        .body(b)
                        .send()
                        .await?;
                    let status = resp.status();
                    let bytes = resp.bytes().await?;
                    push.push(t.elapsed());
                    anyhow::ensure!(
                        status.is_success(),
                        "push: {status} {}",
                        String::from_utf8_lossy(&bytes)
                    );
                    let answer: PushResponse = serde_json::from_slice(&bytes)?;
                    applied += answer
                        .results
                        .iter()
                        .filter(|r| r.outcome == Outcome::Applied)
                        .count();
                }
                let mut cursor = 0;
                loop {
                    let t = Instant::now();
                    let resp = client
                        .get(format!("{url}/v1/sync/pull?cursor={cursor}&limit=500"))
                        .bearer_auth(&token)
                        .send()
                        .await?;
                    let page: PullResponse = serde_json::from_slice(&resp.bytes().await?)?;
                    pull.push(t.elapsed());
                    cursor = page.next_cursor;
                    if !page.has_more {
                        break;
                    }
                }
                Ok::<_, anyhow::Error>((push, pull, applied))
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await??);
        }
        Ok::<_, anyhow::Error>(out)
    })?;
    let wall = t.elapsed();
    let applied: usize = results.iter().map(|r| r.2).sum();
    // Pull requests each phone made, repeated by the baseline.
    let pulls: Vec<usize> = results.iter().map(|r| r.1.len()).collect();
    anyhow::ensure!(
        applied == total_ops,
        "{name}: HQ applied {applied} of {total_ops} ops"
    );
    let mut push: Vec<Duration> = results.iter().flat_map(|r| r.0.clone()).collect();
    let mut pull: Vec<Duration> = results.iter().flat_map(|r| r.1.clone()).collect();
    push.sort();
    pull.sort();

    // Baseline: the same requests as concurrently (each phone's push bodies,
    // then as many GETs as it pulled pages), to a handler that does nothing.
    let sink = crate::sync::sink_server(&load)?;
    let sink_url = Arc::new(format!("http://{sink}/sink"));
    let t = Instant::now();
    load.block_on(async {
        let mut tasks = Vec::new();
        for (d, &pulls) in fleet.iter().zip(&pulls) {
            let (client, url, bodies) = (client.clone(), sink_url.clone(), d.bodies.clone());
            tasks.push(tokio::spawn(async move {
                for (_, b) in bodies {
                    client
                        .post(url.as_str())
                        .body(b)
                        .send()
                        .await?
                        .bytes()
                        .await?;
                }
                for _ in 0..pulls {
                    client.get(url.as_str()).send().await?.bytes().await?;
                }
                Ok::<_, reqwest::Error>(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    let baseline = t.elapsed();
    let rate = total_ops as f64 / wall.as_secs_f64();
    let ms = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1e3);
    let pull_requests: usize = pulls.iter().sum();
    r.add(Figure {
        name: format!(
            "6. HQ on {name}: {} phones push {total_ops} ops ({requests} pushes) and pull ({pull_requests} pages) at once",
            fleet.len()
        ),
        value: format!("{rate:.0} ops/s"),
        baseline: format!(
            "{:.0} ops/s (same requests, no-op handler)",
            total_ops as f64 / baseline.as_secs_f64()
        ),
        ratio: wall.as_secs_f64() / baseline.as_secs_f64(),
        target: if pg_url.is_some() {
            "≥ 30 000 ops/s".into()
        } else {
            "report".into()
        },
        met: pg_url.map(|_| rate >= 30_000.0),
    });
    let push_p99 = percentile(&push, 0.99);
    r.add(Figure {
        name: format!(
            "6. HQ on {name}: push latency p50 / p99 (ms), {} ops each",
            if fewest == most {
                format!("{most}")
            } else {
                format!("{fewest}–{most}")
            }
        ),
        value: format!("{} / {}", ms(percentile(&push, 0.5)), ms(push_p99)),
        baseline: "".into(),
        ratio: f64::NAN,
        target: if pg_url.is_some() {
            "p99 < 500 ms".into()
        } else {
            "report".into()
        },
        met: pg_url.map(|_| push_p99 < Duration::from_millis(500)),
    });
    r.add(Figure {
        name: format!("6. HQ on {name}: pull latency p50 / p99 (ms)"),
        value: format!(
            "{} / {}",
            ms(percentile(&pull, 0.5)),
            ms(percentile(&pull, 0.99))
        ),
        baseline: "".into(),
        ratio: f64::NAN,
        target: "report".into(),
        met: None,
    });
    hq.stop();
    drop(dir);
    Ok(())
}
