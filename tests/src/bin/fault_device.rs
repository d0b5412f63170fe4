//! A technician's phone for the randomized fault suite, in its own process so
//! the suite can kill it with SIGKILL at any moment and start it again on the
//! same store file.
//!
//! It pulls its jobs from HQ and works each one step by step to handover,
//! syncing at random moments (through the suite's faulty proxy). Every step
//! looks at the stored state first, so a restart resumes where the killed
//! process left off. Exits 0 and prints `done` once `JOBS` jobs are handed
//! over and a sync has left nothing in the outbox.
//!
//! It also reports every change it commits on stdout, one line
//! `committed SEQ OP_ID` each, flushed right after the store call that made
//! it: the suite reads these lines from every incarnation (a pipe keeps what
//! was written before a SIGKILL), an independent record of what the phone
//! committed that a store losing a change, outbox row and `last_seq` with it,
//! cannot take back. Each incarnation starts by reporting what its outbox
//! still holds, which covers changes committed just before a kill.
//!
//! Usage: fault_device STORE SYNC_URL TOKEN TECH_ID DEVICE_ID APPROVAL_KEY JOBS SEED

// Test and benchmark support: a failed unwrap is a failed run, not a crash in the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::{Duration, Instant};

use onsite_core::checklist::Phase;
use onsite_core::payment::Method;
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::visit::{Assessment, Rating, Status};
use onsite_core::{sample, AcceptanceInput, Profile, Result, SignInput, Technician};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 8 {
        eprintln!(
            "usage: fault_device STORE SYNC_URL TOKEN TECH_ID DEVICE_ID APPROVAL_KEY JOBS SEED"
        );
        std::process::exit(2);
    }
    let jobs: usize = args[6].parse().unwrap_or(1);
    let seed = args[7].parse::<u64>().unwrap_or(1);
    let mut rng = seed | 1;
    let tech = Technician::open(
        &args[0],
        Profile {
            technician_id: args[3].clone(),
            technician_name: "故障测试".into(),
            device_id: args[4].clone(),
            approval_key: args[5].clone(),
        },
    )
    .unwrap_or_else(|e| fail(&format!("open: {e}")));
    let mut config = SyncConfig::new(&args[1], &args[2]);
    config.base_backoff_ms = 20;
    config.max_backoff_ms = 300;
    config.max_attempts = 8;
    config.request_timeout_ms = 2_000;
    // The retries' jitter comes from the run's seed too, so a replay retries alike.
    config.jitter_seed = Some(seed);
    // Small chunks: each job's photo goes in several requests, so the
    // proxy's faults and the kills land in the middle of photos.
    config.chunk_bytes = Some(16 * 1024);
    let client = SyncClient::new(config).unwrap_or_else(|e| fail(&format!("client: {e}")));

    let mut reporter = Reporter { last: 0 };
    let started = Instant::now();
    loop {
        reporter.report(&tech);
        if started.elapsed() > Duration::from_secs(240) {
            fail("did not finish in 240 s");
        }
        let synced = client.sync_now(&tech, None).is_ok();
        let all = tech.jobs().unwrap_or_default();
        let open: Vec<_> = all
            .iter()
            .filter(|j| j.status != Status::HandedOver)
            .collect();
        if synced && all.len() >= jobs && open.is_empty() && tech.outbox_len().unwrap_or(1) == 0 {
            println!("done");
            return;
        }
        // A few steps between syncs, more or fewer at random.
        let steps = 1 + (next(&mut rng) % 6) as usize;
        for j in open.iter().take(steps) {
            let stepped = step(&tech, &j.job_id, &mut reporter);
            reporter.report(&tech);
            if let Err(e) = stepped {
                // Out of receipt numbers until the next sync, or HQ changed the job: keep going.
                eprintln!("{}: {e}", j.job_id);
            }
        }
    }
}

/// Prints each change committed since the last report (see the module doc).
struct Reporter {
    last: i64,
}

impl Reporter {
    fn report(&mut self, tech: &Technician) {
        let Ok(last) = tech.last_seq() else { return };
        if last <= self.last {
            return;
        }
        // No sync runs between a change and its report, so the outbox still holds it.
        let ops = tech.pending_ops(usize::MAX).unwrap_or_default();
        let mut out = std::io::stdout().lock();
        for op in ops.iter().filter(|o| o.seq > self.last) {
            let _ = writeln!(out, "committed {} {}", op.seq, op.op_id);
        }
        let _ = out.flush();
        self.last = last;
    }
}

/// Moves one job one step forward from its stored state, reporting each
/// change as soon as the store call that made it returns.
fn step(tech: &Technician, job: &str, r: &mut Reporter) -> Result<()> {
    let v = tech.job(job)?;
    match v.status {
        Status::Dispatched => drop(tech.accept_job(job)?),
        Status::Accepted => {
            sample::complete_checklist(tech, job, Phase::BeforeLeaving)?;
            r.report(tech);
            tech.depart(job)?;
        }
        Status::EnRoute => drop(tech.arrive_with_reason(job, "路上堵车 / traffic")?),
        Status::Arrived => {
            sample::complete_checklist(tech, job, Phase::Arrival)?;
            r.report(tech);
            tech.assess(
                job,
                Assessment {
                    findings: "角阀老化".into(),
                    ..Default::default()
                },
            )?;
        }
        Status::Assessed => {
            if v.quote_lines.is_empty() {
                sample::add_schedule_line(tech, job, 1)?;
                r.report(tech);
            }
            tech.present_quote(job)?;
        }
        Status::Quoted => drop(tech.customer_consents(job, "王女士")?),
        Status::Consented => drop(tech.start_work(job)?),
        Status::InProgress => {
            sample::complete_checklist(tech, job, Phase::WorkRules)?;
            r.report(tech);
            tech.finish_work(job, 30, "更换角阀")?;
        }
        Status::WorkDone => {
            // The finished work's photo: the job's own, large enough for
            // several chunks (the same bytes again after a kill: stored once).
            let view = tech.checklist(job, Phase::Completion)?;
            if !view.answers.contains_key("finished_photo") {
                let seed = job
                    .bytes()
                    .fold(7u64, |h, b| h.wrapping_mul(31) ^ u64::from(b));
                let photo = tech.add_photo(
                    job,
                    &onsite_tests::grainy_photo(seed, 640, 480),
                    &onsite_core::photo::PhotoPolicy::default(),
                )?;
                tech.answer(
                    job,
                    &view.template.id,
                    "finished_photo",
                    onsite_core::checklist::Answer::Photo(photo.full_sha256),
                )?;
                r.report(tech);
            }
            sample::complete_checklist(tech, job, Phase::Completion)?;
            r.report(tech);
            tech.record_acceptance(
                job,
                AcceptanceInput {
                    quality: onsite_core::visit::Opinion::Rated {
                        rating: Rating::Satisfied,
                    },
                    attitude: onsite_core::visit::Opinion::Rated {
                        rating: Rating::Satisfied,
                    },
                    technician_ink: None,
                    comment: String::new(),
                    fix_uncertain: false,
                    sign: SignInput::Sign {
                        signer_name: "王女士".into(),
                        ink: onsite_core::signature::demo_ink_bytes(),
                    },
                },
            )?;
        }
        Status::CustomerAccepted => {
            if v.payment.is_none() {
                let due = v.due_on_site().fen();
                tech.take_payment(job, Method::Cash, due, None, true)?;
                r.report(tech);
            }
            tech.issue_receipt(job, false)?;
        }
        Status::Settled => drop(tech.hand_over(job)?),
        Status::HandedOver | Status::Cancelled | Status::NoAccess | Status::Declined => {}
    }
    Ok(())
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn fail(msg: &str) -> ! {
    eprintln!("fault_device: {msg}");
    std::process::exit(1)
}
