//! Child process for the crash-safety test: works visit after visit on a store
//! file and prints the last committed outbox sequence after every change, until
//! the parent kills it with SIGKILL.
//!
//! Usage: crash_worker STORE_PATH FIRST_JOB_NUMBER

// Test and benchmark support: a failed unwrap is a failed run, not a crash in the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::receipt::NumberBlock;
use onsite_core::{sample, Technician};
use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(first)) = (args.next(), args.next()) else {
        eprintln!("usage: crash_worker STORE_PATH FIRST_JOB_NUMBER");
        std::process::exit(2);
    };
    let first: u32 = first.parse().unwrap_or(0);
    let tech = match Technician::open(&path, sample::profile()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("open: {e}");
            std::process::exit(1);
        }
    };
    // Enough receipt numbers for any run; a block already held is fine.
    let _ = tech.grant_receipt_block(&NumberBlock {
        series: format!("CR{first}"),
        first: 1,
        last: 100_000,
    });
    let stdout = std::io::stdout();
    for n in first.. {
        let job = format!("CRASH-{n}");
        let mut report = |seq: i64| {
            let mut out = stdout.lock();
            let _ = writeln!(out, "{seq}");
            let _ = out.flush();
        };
        if let Err(e) =
            onsite_tests::full_visit(&tech, &job, Utc::now() + Duration::minutes(2), &mut report)
        {
            eprintln!("{job}: {e}");
            std::process::exit(1);
        }
    }
}
