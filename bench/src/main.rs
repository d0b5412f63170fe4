//! `onsite-bench`: the figures of BENCHMARKS.md, each printed beside a
//! baseline measured in the same run on the same machine, as a ratio,
//! because machines are noisy. Benchmarks print; tests assert.
//!
//!   bash scripts/bench.sh                  # all figures, PostgreSQL started for figure 6
//!   cargo run --release -p onsite-bench -- --quick    # smaller sizes, for a smoke run
//!   ... -- --write BENCHMARKS.md           # also write the report

// Test and benchmark support: a failed unwrap is a failed run, not a crash in the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod badlink;
mod console;
mod load;
mod local;
mod report;
mod size;
mod sync;
mod workload;

use report::Report;

pub struct Sizes {
    pub visits: usize,
    pub pulled_changes: usize,
    pub past_jobs: usize,
    pub devices: usize,
    pub visits_per_device: usize,
    pub samples: usize,
    /// Opens of figure 2's cold figure (each evicts the file first).
    pub cold_samples: usize,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let write = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1).cloned());
    let sizes = if quick {
        Sizes {
            visits: 50,
            pulled_changes: 10_000,
            past_jobs: 500,
            devices: 20,
            visits_per_device: 1,
            samples: 30,
            cold_samples: 5,
        }
    } else {
        Sizes {
            visits: 1_000,
            pulled_changes: 100_000,
            past_jobs: 10_000,
            devices: 200,
            visits_per_device: 2,
            samples: 200,
            cold_samples: 21,
        }
    };
    // `--only write,pull` runs some figures (for profiling one path).
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(str::to_string).collect());
    let run = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|n| n == name));
    let mut report = Report::new(quick);
    // Figures 1, 2 and 4 share one store of past visits, built once.
    let past = if run("write") || run("open") || run("receipt") {
        Some(local::past_store(&mut report, &sizes)?)
    } else {
        None
    };
    if let (true, Some(past)) = (run("write"), &past) {
        local::write_path(&mut report, &sizes, past)?;
    }
    if let (true, Some(past)) = (run("open"), &past) {
        local::open_and_list(&mut report, &sizes, past)?;
    }
    if run("signature") {
        local::signature(&mut report, &sizes)?;
    }
    if let (true, Some(past)) = (run("receipt"), &past) {
        local::receipt(&mut report, &sizes, past)?;
    }
    drop(past);
    if run("push") {
        sync::push(&mut report, &sizes, false, None)?;
        // Issue 15: the same sync to HQ on PostgreSQL.
        match std::env::var("ONSITE_BENCH_PG_URL") {
            Ok(url) => sync::push(&mut report, &sizes, false, Some(&url))?,
            Err(_) => report.note("figure 5 on PostgreSQL: skipped, ONSITE_BENCH_PG_URL is not set (scripts/bench.sh sets it)"),
        }
        // Issue 14: the same sync with the phone's store encrypted.
        sync::push(&mut report, &sizes, true, None)?;
    }
    if run("pull") {
        sync::pull(&mut report, &sizes)?;
    }
    if run("load") {
        let fleet = load::fleet(&sizes)?;
        load::hq_under_load(&mut report, &fleet, "SQLite", None)?;
        match std::env::var("ONSITE_BENCH_PG_URL") {
            Ok(url) => load::hq_under_load(&mut report, &fleet, "PostgreSQL", Some(&url))?,
            Err(_) => report.note("HQ under load on PostgreSQL: skipped, ONSITE_BENCH_PG_URL is not set (scripts/bench.sh sets it)"),
        }
    }
    if run("console") {
        let centre = console::Centre::new(quick, sizes.samples);
        console::pages(&mut report, &centre, "SQLite", None)?;
        match std::env::var("ONSITE_BENCH_PG_URL") {
            Ok(url) => console::pages(&mut report, &centre, "PostgreSQL", Some(&url))?,
            Err(_) => report.note("console pages on PostgreSQL: skipped, ONSITE_BENCH_PG_URL is not set (scripts/bench.sh sets it)"),
        }
    }
    if run("size") {
        size::library(&mut report)?;
    }
    if run("badlink") {
        badlink::bad_link(&mut report, quick)?;
    }
    report.print();
    if let Some(path) = write {
        std::fs::write(&path, report.markdown())?;
        println!("\nwritten to {path}");
    }
    Ok(())
}
