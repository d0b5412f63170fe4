//! The randomized fault run: several phones work visits and sync while their
//! processes and the HQ process are killed with SIGKILL at random moments,
//! and a loopback proxy drops, stalls, delays, truncates and duplicates
//! requests and loses answers. At the end every committed change of every
//! phone is on HQ exactly once, every phone agrees with HQ, receipt numbers
//! are unique across phones and every signature still verifies, on the
//! phone and on HQ.
//!
//! Seeded: the seed is printed, and `ONSITE_FAULT_SEED=<seed>` replays the
//! same fault schedule: the proxy's fate for each request index, the kill
//! decisions, the phones' steps and their retry jitter all come from it
//! (process timing still varies from run to run). The run asserts that
//! phone kills, HQ kills and every kind of proxy fault actually happened.
//!
//! The oracle is [`assert_in_step_with_hq`], fed with what each phone itself
//! reported committing (a stdout line per change, from every incarnation).
//! On failure every phone's stderr (kept in a file per phone) is printed, and
//! every child process is killed, even when an assertion panics.
//! Bounded: a few minutes on two cores.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use onsite_core::sample;
use onsite_core::sync::SyncClient;
use onsite_core::visit::{Status, Visit};
use onsite_core::{Profile, Technician};
use onsite_tests::harness::{
    admin_client, assert_in_step_with_hq, enrollment_code, free_port, fresh_postgres, ok, Backend,
    HqProcess,
};
use onsite_tests::proxy::{Fate, Faults, Proxy};

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
    store: PathBuf,
    device: String,
    profile: Profile,
    child: Option<Child>,
    /// Readers of each incarnation's stdout; each returns its lines at EOF.
    readers: Vec<JoinHandle<Vec<String>>>,
    /// Every stdout line of the incarnations that ended.
    lines: Vec<String>,
    /// Where every incarnation's stderr goes.
    stderr: PathBuf,
    done: bool,
}

impl PhoneProc {
    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr)
            .unwrap();
        let mut child = Command::new(DEVICE_BIN)
            .args(&self.args)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn fault_device");
        let out = child.stdout.take().unwrap();
        self.readers.push(std::thread::spawn(move || {
            BufReader::new(out).lines().map_while(Result::ok).collect()
        }));
        self.child = Some(child);
    }

    /// Kills the running incarnation (SIGKILL) and keeps what it had reported.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.collect();
    }

    /// Gathers the stdout lines of every incarnation that has ended.
    fn collect(&mut self) {
        for r in self.readers.drain(..) {
            self.lines.extend(r.join().unwrap());
        }
    }

    /// What the phone reported committing, op id -> seq, over all incarnations.
    fn reported(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for line in &self.lines {
            let Some(rest) = line.strip_prefix("committed ") else {
                continue;
            };
            let (seq, op_id) = rest.split_once(' ').expect("committed SEQ OP_ID");
            let seq: i64 = seq.parse().unwrap();
            let before = out.insert(op_id.to_string(), seq);
            assert!(
                before.is_none_or(|b| b == seq),
                "{}: op {op_id} reported under seqs {before:?} and {seq}",
                self.device
            );
        }
        out
    }
}

/// The run's child processes: every phone and HQ are killed when it goes,
/// also when an assertion panics (or `cargo test` would wait on them), and
/// then every phone's stderr is printed.
struct Fleet {
    phones: Vec<PhoneProc>,
    hq: Option<HqProcess>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for p in &mut self.phones {
            p.kill();
        }
        if let Some(hq) = self.hq.take() {
            hq.kill();
        }
        if std::thread::panicking() {
            let mut err = std::io::stderr().lock();
            for p in &self.phones {
                let mut log = String::new();
                if let Ok(mut f) = std::fs::File::open(&p.stderr) {
                    let _ = f.read_to_string(&mut log);
                }
                let _ = writeln!(err, "--- {} stderr ---\n{log}", p.device);
            }
        }
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

/// The suite's network faults: every kind, at shares that a run of a few
/// hundred requests meets each of many times.
fn faults(seed: u64) -> Faults {
    Faults {
        drop: 0.05,
        stall: 0.06,
        lose_response: 0.08,
        delay: 0.08,
        truncate: 0.06,
        duplicate: 0.08,
        stall_for: Duration::from_millis(300),
        seed,
        ..Faults::none()
    }
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
    let mut fleet = Fleet {
        phones: Vec::new(),
        hq: Some(HqProcess::spawn(Path::new(HQ_BIN), &db_url, port)),
    };
    let hq_url = format!("http://127.0.0.1:{port}");
    let api = admin_client(&hq_url);

    let faults = faults(seed);
    let proxy = Proxy::start(([127, 0, 0, 1], port).into(), faults);

    // HQ enrolls the phones and dispatches their jobs; the phones learn of
    // them only through the faulty network.
    for p in 0..PHONES {
        let tech_id = format!("FT{p}");
        let code = enrollment_code(&rt, &api, &tech_id, &format!("师傅{p}"));
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
            ok(&rt, api.create_order(&order));
        }
        let store = dir.path().join(format!("{device}.sqlite3"));
        fleet.phones.push(PhoneProc {
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
            stderr: dir.path().join(format!("{device}.stderr")),
            device,
            profile,
            child: None,
            readers: Vec::new(),
            lines: Vec::new(),
            done: false,
        });
    }
    for p in &mut fleet.phones {
        p.spawn();
    }

    // Chaos until every phone reports done (bounded).
    let started = Instant::now();
    let (mut phone_kills, mut hq_kills) = (0, 0);
    let mut round = 0u32;
    while fleet.phones.iter().any(|p| !p.done) {
        round += 1;
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "phones did not converge in 300 s (seed {seed})"
        );
        std::thread::sleep(Duration::from_millis(20 + rng.below(120)));
        for p in fleet.phones.iter_mut().filter(|p| !p.done) {
            let Some(child) = p.child.as_mut() else {
                continue;
            };
            if let Some(status) = child.try_wait().unwrap() {
                p.child = None;
                p.collect();
                assert!(
                    status.success(),
                    "{} failed with {status} (seed {seed})",
                    p.device
                );
                assert_eq!(
                    p.lines.last().map(String::as_str),
                    Some("done"),
                    "{}",
                    p.device
                );
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
                let p = &mut fleet.phones[i];
                if !p.done && p.child.is_some() {
                    p.kill();
                    phone_kills += 1;
                    p.spawn();
                }
            }
            3 if chaos => {
                fleet.hq.take().unwrap().kill();
                hq_kills += 1;
                std::thread::sleep(Duration::from_millis(rng.below(400)));
                fleet.hq = Some(HqProcess::spawn(Path::new(HQ_BIN), &db_url, port));
            }
            _ => {}
        }
    }
    let served = proxy.served();
    let kinds: BTreeMap<Fate, usize> = Fate::FAULTS.iter().map(|&f| (f, proxy.count(f))).collect();
    println!(
        "converged in {:.1} s: {phone_kills} phone kills, {hq_kills} HQ kills, {} requests, {} faulted ({} pushes): {kinds:?}",
        started.elapsed().as_secs_f64(),
        served.len(),
        proxy.faulted(),
        proxy.faulted_pushes(),
    );
    // The faults happened: kills of both kinds, every kind of network fault,
    // pushes among the faulted requests; and the proxy dealt exactly the
    // fates the seed schedules, so a replay meets the same ones.
    assert!(
        phone_kills > 0 && hq_kills > 0,
        "kills: {phone_kills} phones, {hq_kills} HQ (seed {seed})"
    );
    assert!(
        kinds.values().all(|&n| n > 0),
        "a kind of fault never happened (seed {seed}): {kinds:?}"
    );
    assert!(proxy.faulted_pushes() > 0, "no push met a fault");
    let faulted_chunks = served
        .iter()
        .filter(|s| s.chunk_of().is_some() && s.fate != Fate::Pass)
        .count();
    assert!(
        faulted_chunks > 0,
        "no photo chunk met a fault (seed {seed})"
    );
    assert_eq!(
        served.iter().map(|s| s.fate).collect::<Vec<_>>(),
        faults.schedule(served.len()),
        "the proxy's fates are not the seed's schedule"
    );

    // The checks, straight against HQ's database and the phones' store files.
    let mut receipt_numbers = BTreeSet::new();
    let mut device_receipts = 0;
    for p in &fleet.phones {
        let tech = Technician::open(&p.store, p.profile.clone()).unwrap();
        // Every change the phone committed (by its store and by its own
        // reports) is applied at HQ exactly once, and HQ's visits are the phone's.
        let reported = p.reported();
        assert!(!reported.is_empty(), "{}: reported no change", p.device);
        assert_in_step_with_hq(&db_url, &tech, &p.device, &reported);
        // Every photo is at HQ, byte for byte; none waits on the phone.
        assert!(tech.pending_uploads().unwrap().is_empty(), "{}", p.device);
        for job in tech.jobs().unwrap() {
            let visit = tech.job(&job.job_id).unwrap();
            let onsite_core::checklist::Answer::Photo(sha) =
                &visit.answers["property_repair.completion"]["finished_photo"]
            else {
                panic!("{}: the finished work's photo", job.job_id)
            };
            let (_, mine) = tech.blob(sha).unwrap().unwrap();
            let at_hq = onsite_tests::peek::query(
                &db_url,
                "SELECT bytes FROM blobs WHERE sha256 = $1",
                &[sha.as_str().into()],
            );
            assert_eq!(at_hq.len(), 1, "{}: photo at HQ", job.job_id);
            assert!(
                at_hq[0].bytes(0) == mine,
                "{}: photo differs at HQ",
                job.job_id
            );
        }
        for job in tech.jobs().unwrap() {
            assert_eq!(job.status, Status::HandedOver, "{}", job.job_id);
            assert!(
                tech.verify_signature(&job.job_id).unwrap(),
                "{} signature on the phone",
                job.job_id
            );
            let remote: Visit = ok(&rt, api.get_order(&job.job_id));
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
    let hq_receipts: BTreeMap<String, i64> = onsite_tests::peek::query(
        &db_url,
        "SELECT number, COUNT(*) FROM receipts GROUP BY number",
        &[],
    )
    .iter()
    .map(|r| (r.text(0), r.int(1)))
    .collect();
    assert_eq!(
        hq_receipts.len(),
        PHONES * JOBS_PER_PHONE,
        "HQ holds every receipt"
    );
    assert!(hq_receipts.values().all(|&n| n == 1));
    // No half-uploaded photo lingers at HQ: every upload ended stored.
    let unfinished = onsite_tests::peek::query(
        &db_url,
        "SELECT (SELECT COUNT(*) FROM uploads) + (SELECT COUNT(*) FROM upload_chunks)",
        &[],
    );
    assert_eq!(unfinished[0].int(0), 0, "uploads left unfinished at HQ");
    assert_eq!(
        hq_receipts.keys().cloned().collect::<BTreeSet<_>>(),
        receipt_numbers
    );
}

/// A tiny upstream that answers every request with `200 ok`, for proxy tests.
fn ok_upstream() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut c in listener.incoming().map_while(Result::ok) {
            let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        }
    });
    addr
}

/// Sends `n` requests one after another through a proxy with `faults` and
/// returns the fates it dealt them.
fn fates_dealt(upstream: std::net::SocketAddr, faults: Faults, n: usize) -> Vec<Fate> {
    let proxy = Proxy::start(upstream, faults);
    let addr = proxy.url.trim_start_matches("http://").to_string();
    for i in 0..n {
        let mut c = std::net::TcpStream::connect(&addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let path = if i % 3 == 0 {
            "/v1/sync/push"
        } else {
            "/v1/jobs"
        };
        let req = format!("POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{{}}");
        c.write_all(req.as_bytes()).unwrap();
        let _ = c.read_to_end(&mut Vec::new());
    }
    let served = proxy.served();
    assert_eq!(served.len(), n, "every request was served once");
    served.iter().map(|s| s.fate).collect()
}

#[test]
fn a_seed_replays_the_same_fault_schedule() {
    let n = 60;
    let a = faults(7);
    let b = faults(8);
    // The schedule is a function of the seed alone...
    assert_eq!(
        a.schedule(500),
        faults(7).schedule(500),
        "one seed, one schedule"
    );
    assert_ne!(
        a.schedule(500),
        b.schedule(500),
        "another seed, another schedule"
    );
    for f in Fate::FAULTS {
        assert!(a.schedule(500).contains(&f), "{f:?} never scheduled");
    }
    // ...and two proxies on one seed deal it out request by request.
    let upstream = ok_upstream();
    let fast = |f: Faults| Faults {
        stall_for: Duration::from_millis(20),
        ..f
    };
    let first = fates_dealt(upstream, fast(a), n);
    let again = fates_dealt(upstream, fast(a), n);
    let other = fates_dealt(upstream, fast(b), n);
    assert_eq!(first, a.schedule(n), "the proxy deals the seed's schedule");
    assert_eq!(first, again, "one seed, one schedule");
    assert_ne!(first, other, "another seed, another schedule");
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
