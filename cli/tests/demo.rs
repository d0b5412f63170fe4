//! The demo is the first thing a new user runs: one visit per service line,
//! each true to its procedure book, synced to a real HQ, narrated in the
//! language it was started in (zh-CN by default, en on request).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::process::Command;

/// Runs `onsite demo --line LINE [--lang LANG]` and returns what it printed.
fn demo(line: &str, lang: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onsite"));
    cmd.args(["demo", "--line", line]);
    if let Some(lang) = lang {
        cmd.args(["--lang", lang]);
    }
    let out = cmd.output().expect("running onsite demo");
    assert!(
        out.status.success(),
        "onsite demo --line {line} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The refusals the demo narrates (lines starting with "×"; a "×" inside a
/// line is a quantity).
fn refusals(out: &str) -> Vec<String> {
    out.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('×'))
        .map(str::to_string)
        .collect()
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

/// What HQ holds, as the demo prints it at the end.
fn hq_part<'a>(out: &'a str, heading: &str) -> &'a str {
    let at = out
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in:\n{out}"));
    &out[at..]
}

/// Both languages of a line: the same refusals, each in its own language,
/// and every op the phone queued offline applied at HQ.
fn both_languages(line: &str) -> (String, String) {
    let zh = demo(line, None);
    let en = demo(line, Some("en"));
    let (rz, re) = (refusals(&zh), refusals(&en));
    assert_eq!(rz.len(), re.len(), "the same refusals in both languages");
    for l in &rz {
        assert!(
            english_word(l).is_none(),
            "English in the Chinese demo: {l}"
        );
    }
    for l in &re {
        assert!(chinese(l).is_none(), "Chinese in the English demo: {l}");
    }
    let pushed = en
        .lines()
        .find(|l| l.trim_start().starts_with("Pushed:"))
        .unwrap_or_else(|| panic!("no push in:\n{en}"));
    let n: Vec<&str> = pushed.split_whitespace().collect();
    assert_eq!(n[1], n[3], "every op pushed was applied: {pushed}");
    assert!(pushed.contains(", 0 left"), "{pushed}");
    (zh, en)
}

#[test]
fn property_repair_quotes_the_schedule_item_and_arrives_late_with_a_reason() {
    let (zh, en) = both_languages("property");
    let r = refusals(&zh);
    assert!(r.len() >= 4, "the demo shows its refusals: {r:?}");
    // The unanswered checklist items are named by their titles, not their ids.
    assert!(r[0].contains("工具齐全、完好"), "{}", r[0]);
    assert!(!r[0].contains("tools_ready"), "{}", r[0]);
    assert!(
        refusals(&en)[0].contains("Tools complete and in working order"),
        "{en}"
    );
    // A late arrival needs a reason, then the visit goes on, recorded as late.
    assert!(r.iter().any(|l| l.contains("迟到")), "{r:?}");
    assert!(
        zh.contains("迟到 (预约时间 +8 分钟),原因:环岛路施工堵车"),
        "{zh}"
    );
    // The kitchen leak is the schedule's angle-valve replacement (¥20) plus
    // the approved off-schedule panel (¥80).
    assert!(zh.contains("#1 更换角阀 × 1 个 = ¥20.00"), "{zh}");
    let hq = hq_part(&zh, "总部现在保存的内容");
    assert!(
        hq.contains("已交回") && hq.contains("合计: ¥100.00"),
        "{hq}"
    );
}

#[test]
fn appliance_warranty_is_free_and_a_disputed_charge_waits_for_the_centre() {
    let (zh, _) = both_languages("appliance");
    // In warranty: labour and parts free, the old part numbered first.
    assert!(
        zh.contains("#1 更换压缩机 × 1 次 = ¥0.00  (保修期内免费)"),
        "{zh}"
    );
    assert!(
        zh.contains("#2 压缩机 × 1 台 = ¥0.00  (保修期内免费)"),
        "{zh}"
    );
    // Out of warranty: the warranty card's lower price; the dispute blocks
    // consent until the centre's instruction comes by sync.
    assert!(zh.contains("#2 主控板 × 1 块 = ¥220.00"), "{zh}");
    assert!(zh.contains("等待服务中心批示"), "{zh}");
    let hq = hq_part(&zh, "总部现在保存的内容");
    assert!(hq.contains("工单 WO-DEMO-AP-01: 已交回"), "{hq}");
    assert!(hq.contains("收款: 现金 ¥230.00"), "{hq}");
    assert!(hq.contains("减收至¥230.00"), "{hq}");
    assert!(hq.contains("旧件登记(待审核): JJ-202611-0042"), "{hq}");
}

#[test]
fn gps_installation_is_free_and_hq_holds_vehicle_terminal_and_sim() {
    let (zh, _) = both_languages("gps");
    assert!(zh.contains("= ¥0.00  (免费服务)"), "{zh}");
    let hq = hq_part(&zh, "总部现在保存的内容");
    assert!(hq.contains("合计: ¥0.00"), "{hq}");
    assert!(hq.contains("车辆: 粤B·12345 陈师傅 138-2600-7781"), "{hq}");
    assert!(hq.contains("终端编号: T860000937"), "{hq}");
    assert!(hq.contains("SIM卡号: 1440098765432"), "{hq}");
    assert!(hq.contains("缺件口头批准"), "{hq}");
}

#[test]
fn furniture_contacts_identity_items_and_the_balance_in_cash() {
    let (zh, _) = both_languages("furniture");
    // Both contacts recorded in time; 8 minutes early is on time for furniture.
    assert!(
        zh.contains("提前五个工作日与客户确认上门时间: ") && zh.contains("(按时)"),
        "{zh}"
    );
    assert!(zh.contains("上门前1小时的提醒电话: "), "{zh}");
    assert!(zh.contains("守时判定: 准时 (预约时间 -8 分钟)"), "{zh}");
    // No item is decided before the householder's identity is checked.
    assert!(
        refusals(&zh).iter().any(|l| l.contains("核实户主身份")),
        "{zh}"
    );
    assert!(zh.contains("****123X"), "{zh}");
    assert!(zh.contains("2. LZ-B180 床架 胡桃色 — 拒收"), "{zh}");
    // The balance is its own line, collected in cash checked and counted.
    assert!(zh.contains("其中尾款(单列一行): ¥1280.00"), "{zh}");
    assert!(zh.contains("现金已当面验明真伪并点清"), "{zh}");
    let hq = hq_part(&zh, "总部现在保存的内容");
    assert!(hq.contains("收款: 现金 ¥1360.00"), "{hq}");
    assert!(hq.contains("(rejected_item:2)"), "{hq}");
}

/// Issue 14: the phone's store the demo keeps with `--out` is encrypted at
/// rest. Read as bytes (what `strings`, `grep` or the `sqlite3` shell see), it
/// is not an SQLite file and holds neither the customer's name nor phone; with
/// the key from the key file beside it, it opens and holds both.
#[test]
fn the_demo_keeps_the_phones_store_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["demo", "--out"])
        .arg(&out_dir)
        .env_remove("ONSITE_STORE_KEY")
        .output()
        .expect("running onsite demo");
    assert!(
        out.status.success(),
        "onsite demo --out failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = out_dir.join("technician.sqlite3");
    let order = onsite_core::sample::leak_order("X", "T-0107", chrono::Utc::now());
    let (name, phone) = (order.customer.name, order.customer.phone);
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();

    // Every file of the store (the database, and a WAL or journal if one is left).
    let mut files = 0;
    for entry in std::fs::read_dir(&out_dir).unwrap() {
        let path = entry.unwrap().path();
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !file_name.starts_with("technician.sqlite3") || file_name.ends_with(".key") {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.is_empty(), "{file_name} is empty");
        for (what, needle) in [
            ("SQLite's header", "SQLite format 3"),
            ("the customer's name", name.as_str()),
            ("the customer's phone", phone.as_str()),
            ("the customer's phone digits", digits.as_str()),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{file_name} holds {what} ({needle}) in the clear"
            );
        }
    }
    assert!(files >= 1, "no store kept in {}", out_dir.display());

    // The key file: 64 hex digits, its owner's only.
    let key_file = out_dir.join("technician.sqlite3.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is readable by others");
    }
    let hex_key = std::fs::read_to_string(&key_file).unwrap();
    let key = onsite_core::StoreKey::from_bytes(&hex::decode(hex_key.trim()).unwrap()).unwrap();

    // Without the key it is no store; with it, the customer is there.
    assert!(matches!(
        onsite_core::Technician::open(&store, onsite_core::sample::profile()),
        Err(onsite_core::Error::WrongStoreKey)
    ));
    let profile = onsite_core::Profile {
        technician_id: "T-0107".into(),
        ..onsite_core::sample::profile()
    };
    let tech = onsite_core::Technician::open_encrypted(&store, &key, profile).unwrap();
    let job = tech
        .jobs()
        .unwrap()
        .into_iter()
        .next()
        .expect("the demo's job");
    let visit = tech.job(&job.job_id).unwrap();
    assert_eq!(visit.order.customer.name, name);
    assert_eq!(visit.order.customer.phone, phone);
}
