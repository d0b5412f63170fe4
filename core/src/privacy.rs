//! Customer personal data on the phone: the one masking rule the shells'
//! lists show, when the full phone and address show on the job itself, and
//! what a purge blanks once the retention period is over.
//!
//! 「客户档案保密」: a customer's name, phone and address are seen by need, and
//! destroyed once they are no longer needed. The rules live here, in the
//! core, never in a shell: a shell shows what [`crate::Technician`] gives it.

use chrono::{DateTime, Utc};

use crate::documents::model::china_time as china;
use serde_json::Value;

/// Days a handed-over job's customer data stays on the phone once HQ has all
/// of it, unless HQ says otherwise at a sync.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// The longest retention HQ may set (ten years); a longer one is refused.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// A name as a masked list shows it: its first character and `**`
/// (`王小明` → `王**`); an empty name stays empty.
pub fn mask_name(name: &str) -> String {
    match name.trim().chars().next() {
        Some(c) => format!("{c}**"),
        None => String::new(),
    }
}

/// A phone number as a list shows it: the first three and the last four
/// digits, the rest as `*` (`13800138000` → `138****8000`). Separators are
/// dropped; a number of fewer than 8 digits keeps only its last two.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len();
    if n == 0 {
        return String::new();
    }
    if n < 8 {
        let keep = n.min(2);
        return "*".repeat(n - keep) + &digits[n - keep..].iter().collect::<String>();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[n - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A location (room, 房号) as a list shows it: down to the building
/// (栋/幢/座/号楼/单元), the rest `**` (`9栋302室` → `9栋**`). A location
/// without a building part shows as `**`; an empty one stays empty.
pub fn short_location(location: &str) -> String {
    let location = location.trim();
    if location.is_empty() {
        return String::new();
    }
    let mut end = None;
    for marker in ["单元", "号楼", "栋", "幢", "座"] {
        if let Some(i) = location.find(marker) {
            let e = i + marker.len();
            end = Some(end.map_or(e, |x: usize| x.min(e)));
        }
    }
    match end {
        Some(e) if e < location.len() => format!("{}**", &location[..e]),
        Some(_) => location.to_string(),
        None => "**".to_string(),
    }
}

/// Whether the full phone and address show on the job without an explicit
/// reveal: on the day of the appointment, in China time.
pub fn contact_open_on(appointment_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let tz = china();
    appointment_at.with_timezone(&tz).date_naive() == now.with_timezone(&tz).date_naive()
}

/// Keys whose whole value is customer personal data or free text the
/// technician or customer wrote: a purge blanks every string under them.
/// Ids, statuses, amounts, times, quote lines and photo hashes stay.
const PERSONAL_KEYS: &[&str] = &[
    // The customer and the address (the site name, 楼盘, stays as the job's short address).
    "customer",
    "location",
    "customer_name",
    "householder_name",
    "id_last4",
    "agreed_by",
    // GPS line: the driver and the vehicle, the SIM cards' numbers.
    "driver_name",
    "driver_phone",
    "plate",
    "old_sim",
    "new_sim",
    // Signatures: the signer and the strokes.
    "signer_name",
    "ink",
    // Free text: what was reported, said, found, noted.
    "fault",
    "note",
    "comment",
    "summary",
    "findings",
    "solution",
    "words",
    "customer_words",
    "explanation",
    "defect",
    "what",
    "what_short",
    "instruction",
    "reason",
    "late_reason",
    "declined_reason",
    "cancelled_reason",
    "void_reason",
    "text",
    "title",
    "tax_number",
];

/// Blanks every personal string of a job's JSON (its projection, or a
/// receipt's body) in place: strings under [`PERSONAL_KEYS`] become empty,
/// and a checklist's free-text answers (`{"type":"text","value":…}`) too.
/// Shapes and every other value are kept, so the JSON still reads back.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let free_text = map.get("type").and_then(Value::as_str) == Some("text");
            for (key, v) in map.iter_mut() {
                if PERSONAL_KEYS.contains(&key.as_str()) || (free_text && key == "value") {
                    blank(v);
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn blank(value: &mut Value) {
    match value {
        Value::String(s) => s.clear(),
        Value::Object(map) => map.values_mut().for_each(blank),
        Value::Array(items) => items.iter_mut().for_each(blank),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_shows_its_first_character() {
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name(" 欧阳娜娜 "), "欧**");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn a_phone_shows_its_first_three_and_last_four_digits() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("139-0592-6610"), "139****6610");
        assert_eq!(mask_phone("0592-5550123"), "059****0123");
        assert_eq!(mask_phone("110"), "*10");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn a_location_shows_down_to_its_building() {
        assert_eq!(short_location("9栋302室"), "9栋**");
        assert_eq!(short_location("2号楼1单元501"), "2号楼**");
        assert_eq!(short_location("302室"), "**");
        assert_eq!(short_location("9栋"), "9栋");
        assert_eq!(short_location(" "), "");
    }

    #[test]
    fn the_appointment_day_is_counted_in_china_time() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 01:00 on the 25th in China is 17:00 UTC on the 24th.
        let appointment = at("2026-11-24T17:00:00Z");
        assert!(contact_open_on(appointment, at("2026-11-25T15:59:59Z")));
        assert!(!contact_open_on(appointment, at("2026-11-25T16:00:00Z")));
        assert!(!contact_open_on(appointment, at("2026-11-24T15:59:59Z")));
        assert!(contact_open_on(appointment, at("2026-11-24T16:00:00Z")));
    }

    #[test]
    fn a_redaction_blanks_personal_strings_and_keeps_the_rest() {
        let mut v = serde_json::json!({
            "job_id": "J-1", "site": "海景花园", "location": "9栋302室",
            "customer": {"name": "陈先生", "phone": "13800138000"},
            "answers": {"t": {"a": {"type": "text", "value": "客厅漏水"},
                              "b": {"type": "choice", "value": "ok"}}},
            "status": "handed_over", "total": 12000
        });
        redact(&mut v);
        let s = v.to_string();
        for gone in ["陈先生", "13800138000", "9栋302室", "客厅漏水"] {
            assert!(!s.contains(gone), "{gone} in {s}");
        }
        for kept in ["J-1", "海景花园", "handed_over", "12000", "\"ok\""] {
            assert!(s.contains(kept), "{kept} not in {s}");
        }
    }
}
