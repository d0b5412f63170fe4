//! `onsite hq serve` takes each setting from its flag, else its environment
//! variable, else the `--config` TOML file, else its default: started as an
//! operator starts it, with all three saying different things.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, health, Running};

#[test]
fn flags_beat_environment_beats_the_file_beats_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (file_port, env_port) = (free_port(), free_port());
    let config = dir.path().join("hq.toml");
    std::fs::write(
        &config,
        format!(
            "db = \"from-file.sqlite3\"\nlisten = \"127.0.0.1:{file_port}\"\nlog_format = \"json\"\n"
        ),
    )
    .unwrap();
    let mut running = Running(
        Command::new(env!("CARGO_BIN_EXE_onsite"))
            .args(["hq", "serve", "--db", "from-flag.sqlite3", "--config"])
            .arg(&config)
            .current_dir(dir.path())
            .env_remove("ONSITE_HQ_LOG_FORMAT")
            .env_remove("ONSITE_HQ_CONFIG")
            .env("ONSITE_HQ_DB", "from-env.sqlite3")
            .env("ONSITE_HQ_LISTEN", format!("127.0.0.1:{env_port}"))
            .env("ONSITE_ADMIN_TOKEN", "config-test-token")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let hq = &mut running.0;
    let started = Instant::now();
    let answer = loop {
        if let Some(a) = health(env_port) {
            break a;
        }
        assert!(
            health(file_port).is_none(),
            "HQ listens on the file's address, not the environment's"
        );
        if let Some(status) = hq.try_wait().unwrap() {
            let mut err = String::new();
            hq.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("HQ exited ({status}) without listening on the environment's port:\n{err}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "HQ did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        health(file_port).is_none(),
        "the file's listen address was used, not the environment's"
    );
    let ok = Command::new("kill")
        .args(["-TERM", &hq.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let status = hq.wait().unwrap();
    let mut err = String::new();
    hq.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "exit after SIGTERM: {status}\n{err}");

    let exists = |name: &str| dir.path().join(name).exists();
    assert!(
        exists("from-flag.sqlite3") && !exists("from-env.sqlite3") && !exists("from-file.sqlite3"),
        "the flag's database must win over the environment's and the file's"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        !lines.is_empty()
            && lines
                .iter()
                .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "log_format = \"json\" from the file: every log line a JSON object:\n{err}"
    );
    assert!(err.contains("\"HQ serving\""), "{err}");
}
