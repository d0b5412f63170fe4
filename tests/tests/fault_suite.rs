//! The randomized fault run: several phones work visits and sync while their
//! processes and the HQ process are killed with SIGKILL at random moments,
//! and a loopback proxy drops, stalls, delays, truncates and duplicates
//! requests and loses answers. At the end every committed change of every
//! phone is on HQ exactly once, every phone agrees with HQ, receipt numbers
//! are unique across phones and every signature still verifies, on the
//! phone and on HQ.
//!
//! Seeded: the seed is printed, and `ONSITE_FAULT_SEED=<seed>` replays the
//! same fault schedule (process timing still varies from run to run).
//! Bounded: a few minutes on two cores.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use onsite_core::sample;
use onsite_core::sync::SyncClient;
use onsite_core::visit::{Status, Visit};
use onsite_core::{Profile, Technician};
use onsite_tests::harness::{
    assert_in_step_with_hq, call, free_port, fresh_postgres, Backend, HqProcess, ADMIN,
};
use onsite_tests::proxy::{Faults, Proxy};
use serde_json::json;

const HQ_BIN: &str = env!("CARGO_BIN_EXE_hq_server");
const DEVICE_BIN: &str = env!("CARGO_BIN_EXE_fault_device");
const PHONES: usize = 3;
const JOBS_PER_PHONE: usize = 6;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct PhoneProc {
    args: Vec<String>,
    store: std::path::PathBuf,
    device: String,
    profile: Profile,
    child: Option<Child>,
    done: bool,
    kills: u32,
}

impl PhoneProc {
    fn spawn(&mut self) {
        self.child = Some(
            Command::new(DEVICE_BIN)
                .args(&self.args)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn fault_device"),
        );
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn seed() -> u64 {
    std::env::var("ONSITE_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(42, |d| d.as_nanos() as u64)
        })
}

fn run(backend: Backend, name: &str) {
    let seed = seed();
    println!("fault suite ({name}) seed {seed}: replay with ONSITE_FAULT_SEED={seed}");
    eprintln!("fault suite ({name}) seed {seed}: replay with ONSITE_FAULT_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let db_url = backend.url();
    let port = free_port();
    let mut hq = Some(HqProcess::spawn(Path::new(HQ_BIN), &db_url, port));
    let hq_url = format!("http://127.0.0.1:{port}");
    let admin = |method: &str, path: &str, body: serde_json::Value| {
        let (s, v) = call(&rt, &hq_url, method, path, Some(ADMIN), Some(body));
        assert!(s < 300, "{path}: {s} {v}");
        v
    };

    let proxy = Proxy::start(
        ([127, 0, 0, 1], port).into(),
        Faults {
            drop: 0.06,
            stall: 0.04,
            lose_response: 0.08,
            delay: 0.10,
            truncate: 0.05,
            duplicate: 0.08,
            stall_for: Duration::from_millis(300),
            seed,
            ..Faults::none()
        },
    );

    // HQ enrolls the phones and dispatches their jobs; the phones learn of
    // them only through the faulty network.
    let mut phones = Vec::new();
    for p in 0..PHONES {
        let tech_id = format!("FT{p}");
        admin(
            "POST",
            "/v1/technicians",
            json!({"technician_id": tech_id, "name": format!("师傅{p}")}),
        );
        let code = admin("POST", "/v1/enrollments", json!({"technician_id": tech_id}))["code"]
            .as_str()
            .unwrap()
            .to_string();
        let device = format!("FDEV{p}");
        let e = SyncClient::enroll_blocking(&hq_url, &code, &device).expect("enroll");
        let profile = Profile {
            technician_id: tech_id.clone(),
            technician_name: e.technician_name.clone(),
            device_id: device.clone(),
            approval_key: e.approval_key.clone(),
        };
        for j in 0..JOBS_PER_PHONE {
            let order = sample::leak_order(&format!("F{p}-{j}"), &tech_id, Utc::now());
            admin("POST", "/v1/orders", serde_json::to_value(order).unwrap());
        }
        let store = dir.path().join(format!("{device}.sqlite3"));
        phones.push(PhoneProc {
            args: vec![
                store.display().to_string(),
                proxy.url.clone(),
                e.token,
                tech_id,
                device.clone(),
                e.approval_key,
                JOBS_PER_PHONE.to_string(),
                (seed ^ (p as u64 + 1)).to_string(),
            ],
            store,
            device,
            profile,
            child: None,
            done: false,
            kills: 0,
        });
    }
    for p in &mut phones {
        p.spawn();
    }

    // Chaos until every phone reports done (bounded).
    let started = Instant::now();
    let (mut phone_kills, mut hq_kills) = (0, 0);
    let mut round = 0u32;
    while phones.iter().any(|p| !p.done) {
        round += 1;
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "phones did not converge in 300 s (seed {seed})"
        );
        std::thread::sleep(Duration::from_millis(20 + rng.below(120)));
        for p in phones.iter_mut().filter(|p| !p.done) {
            let Some(child) = p.child.as_mut() else {
                continue;
            };
            if let Some(status) = child.try_wait().unwrap() {
                let mut out = String::new();
                if let Some(mut s) = child.stdout.take() {
                    use std::io::Read;
                    let _ = s.read_to_string(&mut out);
                }
                assert!(
                    status.success(),
                    "{} failed with {status} (seed {seed})",
                    p.device
                );
                assert!(out.contains("done"), "{}: {out}", p.device);
                p.done = true;
            }
        }
        // The chaos stops after a while so the run ends; until then, kill at random.
        let chaos = started.elapsed() < Duration::from_secs(45);
        // HQ dies at least twice early on, whatever the dice say.
        let roll = if round == 4 || round == 12 {
            3
        } else {
            rng.below(12)
        };
        match roll {
            0..=2 if chaos => {
                let i = rng.below(PHONES as u64) as usize;
                let p = &mut phones[i];
                if !p.done {
                    if let Some(mut c) = p.child.take() {
                        let _ = c.kill();
                        let _ = c.wait();
                        p.kills += 1;
                        phone_kills += 1;
                        p.spawn();
                    }
                }
            }
            3 if chaos => {
                hq.take().unwrap().kill();
                hq_kills += 1;
                std::thread::sleep(Duration::from_millis(rng.below(400)));
                hq = Some(HqProcess::spawn(Path::new(HQ_BIN), &db_url, port));
            }
            _ => {}
        }
    }
    println!(
        "converged in {:.1} s: {phone_kills} phone kills, {hq_kills} HQ kills, {} of {} requests faulted",
        started.elapsed().as_secs_f64(),
        proxy.faulted(),
        proxy.served().len(),
    );

    // The checks, straight against HQ (no proxy) and the phones' store files.
    let db = onsite_hq::open_db(&db_url).unwrap();
    let mut receipt_numbers = BTreeSet::new();
    let mut device_receipts = 0;
    for p in &phones {
        let tech = Technician::open(&p.store, p.profile.clone()).unwrap();
        // Every change the phone committed is applied at HQ exactly once,
        // by id, and HQ's visits are the phone's.
        assert_in_step_with_hq(&db_url, &tech, &p.device, &BTreeMap::new());
        // The phone and HQ agree on every job, and every signature verifies on both.
        for job in tech.jobs().unwrap() {
            let local = tech.job(&job.job_id).unwrap();
            assert_eq!(local.status, Status::HandedOver, "{}", job.job_id);
            assert!(
                tech.verify_signature(&job.job_id).unwrap(),
                "{} signature on the phone",
                job.job_id
            );
            let (s, v) = call(
                &rt,
                &hq_url,
                "GET",
                &format!("/v1/orders/{}", job.job_id),
                Some(ADMIN),
                None,
            );
            assert_eq!(s, 200, "{v}");
            let remote: Visit = serde_json::from_value(v).expect("HQ's visit");
            assert_eq!(remote.status, local.status, "{}: HQ agrees", job.job_id);
            assert_eq!(
                remote.receipt.as_ref().map(|r| &r.number),
                local.receipt.as_ref().map(|r| &r.number)
            );
            assert!(
                remote.verify_signature().unwrap(),
                "{} signature on HQ",
                job.job_id
            );
        }
        for e in tech.receipt_ledger().unwrap() {
            if e.receipt.refers_to.is_none() {
                device_receipts += 1;
                assert!(
                    receipt_numbers.insert(e.receipt.number.clone()),
                    "receipt {} issued twice",
                    e.receipt.number
                );
            }
        }
    }
    assert_eq!(device_receipts, PHONES * JOBS_PER_PHONE);
    let hq_receipts: BTreeMap<String, i64> = onsite_hq::db::tx(&*db, |t| {
        let rows = t.query("SELECT number, COUNT(*) FROM receipts GROUP BY number", &[])?;
        rows.iter().map(|r| Ok((r.text(0)?, r.int(1)?))).collect()
    })
    .unwrap();
    assert_eq!(
        hq_receipts.len(),
        PHONES * JOBS_PER_PHONE,
        "HQ holds every receipt"
    );
    assert!(hq_receipts.values().all(|&n| n == 1));
    assert_eq!(
        hq_receipts.keys().cloned().collect::<BTreeSet<_>>(),
        receipt_numbers
    );
    hq.take().unwrap().kill();
}

#[test]
fn phones_and_hq_killed_at_random_over_a_faulty_network_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    run(Backend::Sqlite(dir.path().join("hq.sqlite3")), "sqlite");
}

#[test]
fn the_same_chaos_on_postgres() {
    run(fresh_postgres("faults"), "postgres");
}
