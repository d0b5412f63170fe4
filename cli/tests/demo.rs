//! The demo is the first thing a new user runs: its refusals must read in
//! the language it was started in (zh-CN by default, en on request).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::process::Command;

/// The refusals the demo narrates (lines starting with "×"; a "×" inside a
/// line is a quantity).
fn refusals(lang: Option<&str>) -> Vec<String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onsite"));
    cmd.arg("demo");
    if let Some(lang) = lang {
        cmd.args(["--lang", lang]);
    }
    let out = cmd.output().expect("running onsite demo");
    assert!(
        out.status.success(),
        "onsite demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('×'))
        .map(str::to_string)
        .collect();
    assert!(lines.len() >= 4, "the demo shows its refusals: {lines:?}");
    lines
}

/// Two or more lower-case ASCII letters in a row: a word of an English sentence.
fn english_word(s: &str) -> Option<&str> {
    s.split(|c: char| !c.is_ascii_lowercase())
        .find(|w| w.len() >= 2)
}

fn chinese(s: &str) -> Option<char> {
    s.chars()
        .find(|c| matches!(*c as u32, 0x3000..=0x303F | 0x3400..=0x9FFF | 0xFF00..=0xFFEF))
}

#[test]
fn the_chinese_demo_refuses_in_chinese_and_the_english_one_in_english() {
    let zh = refusals(None);
    for l in &zh {
        assert!(
            english_word(l).is_none(),
            "English in the Chinese demo: {l}"
        );
    }
    // The unanswered checklist items are named by their titles, not their ids.
    assert!(zh[0].contains("工具齐全、完好"), "{}", zh[0]);
    assert!(!zh[0].contains("tools_ready"), "{}", zh[0]);

    let en = refusals(Some("en"));
    assert_eq!(en.len(), zh.len(), "the same refusals in both languages");
    for l in &en {
        assert!(chinese(l).is_none(), "Chinese in the English demo: {l}");
    }
    assert!(
        en[0].contains("Tools complete and in working order"),
        "{}",
        en[0]
    );
}
