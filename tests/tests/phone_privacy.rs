//! Customer data on the phone: kept only as long as needed (purged a
//! retention period after the handover, once HQ has all of it; at once when
//! the job leaves the phone), never left in the file's bytes, and masked in
//! lists. Real phone store files, a real HQ on 127.0.0.1, both databases.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::clock::{Clock, ManualClock};
use onsite_core::order::Customer;
use onsite_core::payment::Method;
use onsite_core::photo::PhotoPolicy;
use onsite_core::sample;
use onsite_core::store::StoreKey;
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::visit::{Rating, Status};
use onsite_core::{AcceptanceInput, Profile, SignInput, Technician};
use onsite_hq::api::{Assign, Cancel, NewTechnician};
use onsite_tests::harness::{Backend, Hq};
use onsite_tests::on_both;

const NAME: &str = "王女士";
const PHONE: &str = "138-0013-8000";
const ROOM: &str = "1502室";

/// A phone whose clock the test moves, enrolled with HQ for `tech`.
struct Phone {
    tech: Technician,
    client: SyncClient,
    token: String,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
    /// The store's key, if it is encrypted (as the shells open it).
    key: Option<StoreKey>,
}

impl Phone {
    fn enroll(hq: &Hq, tech: &str) -> Phone {
        Self::enroll_with(hq, tech, None)
    }

    /// A phone whose store is encrypted with a fresh key, as the shells open it.
    fn enroll_encrypted(hq: &Hq, tech: &str) -> Phone {
        Self::enroll_with(hq, tech, Some(StoreKey::generate().unwrap()))
    }

    fn enroll_with(hq: &Hq, tech: &str, key: Option<StoreKey>) -> Phone {
        let code = hq.technician(tech, "李师傅");
        let device = format!("DEV-{tech}");
        let e = SyncClient::enroll_blocking(&hq.url, &code, &device).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let profile = Profile {
            technician_id: e.technician_id,
            technician_name: e.technician_name,
            device_id: device,
            approval_key: e.approval_key,
        };
        let path = dir.path().join("phone.sqlite3");
        let tech = match &key {
            Some(k) => Technician::open_encrypted_with_clock(path, k, profile, clock.clone()),
            None => Technician::open_with_clock(path, profile, clock.clone()),
        }
        .unwrap();
        let mut config = SyncConfig::new(&hq.url, &e.token);
        config.base_backoff_ms = 20;
        config.max_attempts = 3;
        Phone {
            tech,
            client: SyncClient::new(config).unwrap(),
            token: e.token,
            clock,
            dir,
            key,
        }
    }

    fn sync(&self) -> onsite_core::sync::SyncReport {
        self.client.sync_now(&self.tech, None).expect("sync")
    }

    /// The store file and its write-ahead log, as bytes on the disk, every
    /// page decrypted with the key if the store is encrypted: free pages and
    /// stale WAL frames included, which no SQL query would show.
    fn raw_bytes(&self) -> Vec<u8> {
        let path = self.dir.path().join("phone.sqlite3");
        let mut bytes = std::fs::read(&path).unwrap();
        if let Some(k) = &self.key {
            assert!(
                !bytes.starts_with(b"SQLite format 3\0"),
                "an encrypted store has no plain header"
            );
            bytes = decrypt_file(&bytes, k.as_bytes());
        }
        let wal = Path::new(&format!("{}-wal", path.display())).to_path_buf();
        if let Ok(more) = std::fs::read(wal) {
            match &self.key {
                Some(k) => bytes.extend(decrypt_wal(&more, k.as_bytes())),
                None => bytes.extend(more),
            }
        }
        bytes
    }
}

/// SQLCipher 4's page layout with the settings the store uses (its
/// defaults): 4096-byte pages, each ending in a 16-byte IV and a 64-byte
/// HMAC-SHA512 (80 reserved bytes); the first 16 bytes of page 1 are the
/// salt. A raw key (`x'...'`) is the AES-256 key itself (no derivation).
const PAGE: usize = 4096;
const RESERVE: usize = 80;

/// One page's content, decrypted (AES-256-CBC, no padding).
fn decrypt_page(page: &[u8], first: bool, key: &[u8]) -> Vec<u8> {
    use aws_lc_rs::cipher::{DecryptingKey, DecryptionContext, UnboundCipherKey, AES_256};
    use aws_lc_rs::iv::FixedLength;
    let start = if first { 16 } else { 0 };
    let end = PAGE - RESERVE;
    let iv: [u8; 16] = page[end..end + 16].try_into().unwrap();
    let mut data = page[start..end].to_vec();
    let k = DecryptingKey::cbc(UnboundCipherKey::new(&AES_256, key).unwrap()).unwrap();
    k.decrypt(&mut data, DecryptionContext::Iv128(FixedLength::from(iv)))
        .unwrap();
    data
}

fn decrypt_file(bytes: &[u8], key: &[u8]) -> Vec<u8> {
    assert_eq!(bytes.len() % PAGE, 0, "whole pages");
    let mut out = Vec::with_capacity(bytes.len());
    for (i, page) in bytes.chunks(PAGE).enumerate() {
        out.extend(decrypt_page(page, i == 0, key));
    }
    assert!(
        out.starts_with(&[0x10, 0x00]) || bytes.is_empty(),
        "page 1 decrypts to a SQLite header's page size field (4096, after the salt)"
    );
    out
}

/// A WAL: a 32-byte header, then frames of a 24-byte header (the page
/// number first, big-endian) and the page as it will be written to the file.
fn decrypt_wal(bytes: &[u8], key: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 32;
    while at + 24 + PAGE <= bytes.len() {
        let pgno = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        out.extend(decrypt_page(
            &bytes[at + 24..at + 24 + PAGE],
            pgno == 1,
            key,
        ));
        at += 24 + PAGE;
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(120, 90, |x, y| {
        image::Rgb([(x * 2) as u8, 90, (y * 2) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Works an accepted job to handover with a photo, the customer's signature
/// (strokes and name), a receipt and free text; returns the photo's SHA-256.
fn work_to_handover(t: &Technician, job: &str) -> String {
    onsite_tests::drive_accepted_to_quote(t, job).unwrap();
    t.customer_consents(job, NAME).unwrap();
    t.start_work(job).unwrap();
    sample::complete_checklist(t, job, Phase::WorkRules).unwrap();
    t.finish_work(job, 30, "更换角阀,客户王女士在场").unwrap();
    let sha = t
        .add_photo(job, &photo(), &PhotoPolicy::default())
        .unwrap()
        .full_sha256;
    t.answer(
        job,
        "property_repair.completion",
        "finished_photo",
        Answer::Photo(sha.clone()),
    )
    .unwrap();
    sample::complete_checklist(t, job, Phase::Completion).unwrap();
    let ink = onsite_core::signature::demo_ink_bytes();
    t.record_acceptance(
        job,
        AcceptanceInput {
            quality: onsite_tests::rated(Rating::Satisfied),
            attitude: onsite_tests::rated(Rating::Satisfied),
            comment: "王女士很满意".into(),
            fix_uncertain: false,
            sign: SignInput::Sign {
                signer_name: NAME.into(),
                ink: ink.clone(),
            },
            technician_ink: Some(ink),
        },
    )
    .unwrap();
    let due = t.job(job).unwrap().due_on_site().fen();
    t.take_payment(job, Method::Cash, due, None, true).unwrap();
    t.issue_receipt(job, false).unwrap();
    t.hand_over(job).unwrap();
    sha
}

/// A handed-over job's customer data stays on the phone while HQ lacks any
/// of it, however old; once HQ has everything and the retention period is
/// over, the next sync purges it: the job keeps its number, status, amounts
/// and receipt, the file holds no trace of the name, phone or room, and
/// later syncs and the receipt chain still work.
fn customer_data_leaves_the_phone_after_the_retention_period(b: Backend) {
    purge_story(b, false);
}
on_both!(customer_data_leaves_the_phone_after_the_retention_period);

/// The same on a store encrypted as the shells open it: its pages, read
/// from the disk and decrypted with the key, free pages and the log
/// included, hold no trace of the purged customer.
fn customer_data_leaves_an_encrypted_phone_after_the_retention_period(b: Backend) {
    purge_story(b, true);
}
on_both!(customer_data_leaves_an_encrypted_phone_after_the_retention_period);

fn purge_story(b: Backend, encrypted: bool) {
    let hq = Hq::start(b);
    let phone = if encrypted {
        Phone::enroll_encrypted(&hq, "T1")
    } else {
        Phone::enroll(&hq, "T1")
    };
    let t = &phone.tech;
    let now = phone.clock.now();
    hq.dispatch(&sample::leak_order("RT-1", "T1", now + Duration::hours(1)));
    let mut other = sample::leak_order("RT-2", "T1", now + Duration::hours(2));
    other.customer = Customer {
        name: "赵先生".into(),
        phone: "139-2222-3333".into(),
    };
    other.location = "8栋101室".into();
    hq.dispatch(&other);
    phone.sync();
    t.accept_job("RT-1").unwrap();
    let photo = work_to_handover(t, "RT-1");
    let before = t.job("RT-1").unwrap();
    let receipt = before.receipt.clone().unwrap().number;

    // Long past the retention period, but HQ has none of it yet: nothing goes.
    phone.clock.advance(Duration::days(31));
    assert!(t.purge_due().unwrap().is_empty(), "purged before HQ had it");
    assert_eq!(t.reveal_job("RT-1").unwrap().order.customer.name, NAME);
    // This sync sends it all (the purge runs before the push) ...
    let r = phone.sync();
    assert_eq!(r.jobs_purged, 0);
    assert!(r.ops_applied > 10 && r.blobs_uploaded >= 1, "{r:?}");
    assert_eq!(hq.visit("RT-1").order.customer.name, NAME);
    // ... and the next one, HQ having acknowledged everything, purges it.
    let r = phone.sync();
    assert_eq!(r.jobs_purged, 1, "{r:?}");
    assert!(t.is_purged("RT-1").unwrap());

    // The technician's history keeps the job's non-personal record.
    let after = t.reveal_job("RT-1").unwrap();
    assert_eq!(after.status, Status::HandedOver);
    assert_eq!(after.order.job_id, "RT-1");
    assert_eq!(after.quote_totals, before.quote_totals);
    assert_eq!(after.payment, before.payment);
    assert_eq!(after.handed_over_at, before.handed_over_at);
    assert_eq!(after.receipt.as_ref().unwrap().number, receipt);
    assert_eq!(after.order.customer.name, "");
    assert_eq!(after.order.customer.phone, "");
    assert_eq!(after.order.location, "");
    assert!(t.signature_png("RT-1", 200, 100).is_err());
    assert_eq!(t.blob(&photo).unwrap(), None, "the photo is gone");
    assert!(t.events("RT-1").unwrap().is_empty());
    assert!(t.jobs().unwrap().iter().any(|j| j.job_id == "RT-1"));
    let trail = t.audit_trail("RT-1").unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "customer_data_purged" && e.detail == "retention_over"),
        "{trail:?}"
    );
    // The other job, not handed over, keeps its customer.
    assert_eq!(t.reveal_job("RT-2").unwrap().order.customer.name, "赵先生");
    // The ledger still verifies and still names the receipt.
    assert_eq!(t.verify_receipt_chain().unwrap(), None);
    assert!(t
        .receipt_ledger()
        .unwrap()
        .iter()
        .any(|e| e.receipt.number == receipt && e.receipt.customer_name.is_empty()));

    // No byte of the purged customer is left in the file or its log.
    let raw = phone.raw_bytes();
    for gone in [NAME, PHONE, ROOM, "王女士很满意"] {
        assert!(!contains(&raw, gone), "{gone} is still in the store file");
    }
    // The scan does see what was not purged (decrypted, for an encrypted store).
    assert!(contains(&raw, "赵先生"), "the scan reads the file");

    // Later work and syncs go on: HQ still has the whole job.
    t.accept_job("RT-2").unwrap();
    let r = phone.sync();
    assert_eq!((r.ops_applied, r.jobs_purged), (1, 0), "{r:?}");
    assert_eq!(phone.sync().ops_pushed, 0);
    assert_eq!(hq.visit("RT-1").order.customer.name, NAME);
    assert_eq!(hq.visit("RT-1").status, Status::HandedOver);
    hq.stop();
}

/// A job HQ cancels or gives to another technician leaves the old phone's
/// customer data at the sync after the one that told the phone (the
/// technician reads why in between), once HQ has the phone's ops on it.
fn a_job_cancelled_or_reassigned_away_is_purged_at_the_next_sync(b: Backend) {
    let hq = Hq::start(b);
    let phone = Phone::enroll(&hq, "T1");
    hq.ok(hq.api.create_technician(&NewTechnician {
        technician_id: "T2".into(),
        name: "张师傅".into(),
    }));
    let now = phone.clock.now();
    for job in ["RA-1", "RA-2", "RA-3"] {
        hq.dispatch(&sample::leak_order(job, "T1", now + Duration::hours(1)));
    }
    phone.sync();
    for job in ["RA-1", "RA-2", "RA-3"] {
        phone.tech.accept_job(job).unwrap();
    }
    hq.ok(hq.api.assign(
        "RA-1",
        &Assign {
            technician_id: "T2".into(),
        },
    ));
    hq.ok(hq.api.cancel(
        "RA-2",
        &Cancel {
            reason: "业主已自行维修".into(),
        },
    ));
    let r = phone.sync();
    assert_eq!(r.jobs_purged, 0);
    for job in ["RA-1", "RA-2"] {
        let v = phone.tech.reveal_job(job).unwrap();
        assert_eq!(v.status, Status::Cancelled);
        assert_eq!(v.order.customer.name, NAME, "{job} is told first");
    }
    let r = phone.sync();
    assert_eq!(r.jobs_purged, 2, "{r:?}");
    for job in ["RA-1", "RA-2"] {
        assert!(phone.tech.is_purged(job).unwrap());
        assert_eq!(phone.tech.reveal_job(job).unwrap().order.customer.name, "");
        let trail = phone.tech.audit_trail(job).unwrap();
        assert!(
            trail
                .iter()
                .any(|e| e.action == "customer_data_purged" && e.detail == "left_this_phone"),
            "{trail:?}"
        );
    }
    // The job still on this phone keeps its customer, and syncing goes on.
    assert_eq!(
        phone.tech.reveal_job("RA-3").unwrap().order.customer.name,
        NAME
    );
    let r = phone.sync();
    assert_eq!((r.ops_rejected, r.jobs_purged), (0, 0), "{r:?}");
    // Given back to this technician, the job brings its customer again, and
    // leaves again once cancelled.
    hq.ok(hq.api.assign(
        "RA-1",
        &Assign {
            technician_id: "T1".into(),
        },
    ));
    phone.sync();
    assert_eq!(
        phone.tech.reveal_job("RA-1").unwrap().order.customer.name,
        NAME
    );
    hq.ok(hq.api.cancel(
        "RA-1",
        &Cancel {
            reason: "客户改期未定".into(),
        },
    ));
    phone.sync();
    assert_eq!(phone.sync().jobs_purged, 1, "purged again");
    assert_eq!(
        phone.tech.reveal_job("RA-1").unwrap().order.customer.name,
        ""
    );
    hq.stop();
}
on_both!(a_job_cancelled_or_reassigned_away_is_purged_at_the_next_sync);

/// Lists show the customer's phone masked and the location down to the
/// building; the job shows them in full on the day of its appointment
/// (China time), masked on other days (the job screen's view); an explicit reveal shows them any
/// day and is audited each time. The rule is the core's, not the shell's.
#[test]
fn lists_are_masked_and_the_job_opens_on_its_day_or_when_revealed() {
    let dir = tempfile::tempdir().unwrap();
    // 10:00 in China on 25 November.
    let start: DateTime<Utc> = "2026-11-25T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = Technician::open_with_clock(
        dir.path().join("p.sqlite3"),
        sample::profile(),
        clock.clone(),
    )
    .unwrap();
    let me = sample::profile().technician_id;
    // Appointment at 08:00 China time on the 26th.
    let appointment: DateTime<Utc> = "2026-11-26T00:00:00Z".parse().unwrap();
    t.receive_order(sample::leak_order("MK-1", &me, appointment))
        .unwrap();

    let list = t.jobs().unwrap();
    assert_eq!(list[0].customer_phone, "138****8000");
    assert_eq!(list[0].location, "3栋**");
    assert_eq!(list[0].site, "翠湖花园");
    let job = t.job_view("MK-1").unwrap();
    assert_eq!(job.order.customer.phone, "138****8000", "the day before");
    assert_eq!(job.order.location, "3栋**");
    assert!(t
        .audit_trail("MK-1")
        .unwrap()
        .iter()
        .all(|e| e.action != "contact_revealed"));

    let full = t.reveal_job("MK-1").unwrap();
    assert_eq!(full.order.customer.phone, PHONE);
    assert_eq!(full.order.location, "3栋2单元1502室 厨房");
    let reveals = |t: &Technician| {
        t.audit_trail("MK-1")
            .unwrap()
            .iter()
            .filter(|e| e.action == "contact_revealed")
            .count()
    };
    assert_eq!(reveals(&t), 1);

    // 00:30 China time on the appointment day: the job shows the contact in full.
    clock.set("2026-11-25T16:30:00Z".parse().unwrap());
    assert_eq!(t.job_view("MK-1").unwrap().order.customer.phone, PHONE);
    assert_eq!(
        t.jobs().unwrap()[0].customer_phone,
        "138****8000",
        "lists stay masked"
    );
    // The next day (China time) it is masked again.
    clock.set("2026-11-26T16:00:00Z".parse().unwrap());
    assert_eq!(
        t.job_view("MK-1").unwrap().order.customer.phone,
        "138****8000"
    );
    t.reveal_job("MK-1").unwrap();
    assert_eq!(reveals(&t), 2, "every reveal is audited");
}

/// HQ revokes a lost phone WITH wipe while the phone holds unsynced work and
/// photos: at its next contact the phone hands all of it in, HQ acknowledges
/// it and answers "wipe", and the phone deletes its store file (with its log)
/// and answers the shell `Error::Wiped`. HQ has everything; the phone's files
/// are gone; the wipe is audited. A plain revoke keeps answering 401.
fn a_remote_wipe_loses_nothing_unsynced_and_deletes_the_phones_files(b: Backend) {
    let hq = Hq::start(b);
    let phone = Phone::enroll(&hq, "T1");
    let other = Phone::enroll(&hq, "T2");
    let now = phone.clock.now();
    hq.dispatch(&sample::leak_order("WP-1", "T1", now + Duration::hours(1)));
    phone.sync();
    // Offline: the whole visit, a photo and a signature, none of it at HQ yet.
    phone.tech.accept_job("WP-1").unwrap();
    let photo = work_to_handover(&phone.tech, "WP-1");
    let unsent = phone.tech.outbox_len().unwrap();
    assert!(unsent > 10 && !phone.tech.pending_blobs().unwrap().is_empty());

    hq.ok(hq.api.wipe_device("DEV-T1"));
    hq.ok(hq.api.revoke_device("DEV-T2"));
    // From now on the token only hands in: anything else, reading included, is "wipe".
    for (method, path) in [
        ("GET", "/v1/jobs".to_string()),
        ("GET", "/v1/sync/pull?cursor=0".to_string()),
        ("GET", format!("/v1/blobs/{}", "0".repeat(64))),
    ] {
        let (status, body) = hq.call(method, &path, Some(&phone.token), None);
        assert_eq!(
            (status, body["error"].as_str()),
            (410, Some("wipe")),
            "{method} {path}"
        );
    }
    let wiped = phone.client.sync_now(&phone.tech, None);
    assert!(matches!(wiped, Err(onsite_core::Error::Wiped)), "{wiped:?}");

    // HQ has every op and the photo.
    let url = hq.backend.url();
    // The first sync pushed nothing (the job had no op yet): every op is an offline one.
    assert_eq!(
        onsite_tests::harness::ops_on_hq(&url, "DEV-T1"),
        (unsent, unsent, unsent)
    );
    assert_eq!(hq.visit("WP-1").status, Status::HandedOver);
    assert_eq!(hq.visit("WP-1").order.customer.name, NAME);
    let held = onsite_tests::peek::query(
        &url,
        "SELECT COUNT(*) FROM blobs WHERE sha256 = $1",
        &[photo.as_str().into()],
    );
    assert_eq!(held[0].int(0), 1, "HQ holds the photo");
    // The phone's files are gone, and the core answers only `Wiped`.
    let path = phone.dir.path().join("phone.sqlite3");
    for f in ["", "-wal", "-shm"] {
        let file = format!("{}{f}", path.display());
        assert!(!Path::new(&file).exists(), "{file} is still there");
    }
    assert!(matches!(phone.tech.jobs(), Err(onsite_core::Error::Wiped)));
    // The wipe is HQ's audited act.
    let audit = onsite_tests::peek::query(
        &url,
        "SELECT action FROM audit WHERE action IN ('device.wipe', 'device.wipe_told') ORDER BY id",
        &[],
    );
    let actions: Vec<String> = audit.iter().map(|r| r.text(0)).collect();
    assert_eq!(actions, ["device.wipe", "device.wipe_told"]);

    // A plain revoke: today's 401, and the phone keeps its data.
    let refused = other.client.sync_now(&other.tech, None);
    assert!(
        matches!(refused, Err(onsite_core::Error::Hq { status: 401, .. })),
        "{refused:?}"
    );
    assert!(other.tech.jobs().is_ok());
    hq.stop();
}
on_both!(a_remote_wipe_loses_nothing_unsynced_and_deletes_the_phones_files);

/// HQ sets the company's retention period for phones; a phone learns it at
/// its next pull and purges a handed-over job that period after the
/// handover (not a day earlier). A period out of range is refused.
fn hq_sets_the_retention_period_and_phones_learn_it_at_their_next_sync(b: Backend) {
    let hq = Hq::start(b);
    let phone = Phone::enroll(&hq, "T1");
    assert_eq!(phone.tech.retention_days().unwrap(), 30, "the default");
    let refused = hq.rt.block_on(hq.api.set_phone_retention(0));
    assert!(refused.is_err(), "{refused:?}");
    hq.ok(hq.api.set_phone_retention(7));
    let now = phone.clock.now();
    hq.dispatch(&sample::leak_order("RP-1", "T1", now + Duration::hours(1)));
    phone.sync();
    assert_eq!(phone.tech.retention_days().unwrap(), 7);
    onsite_tests::drive_accepted_to_handover(&phone.tech, "RP-1").unwrap();
    phone.sync();
    phone
        .clock
        .advance(Duration::days(7) - Duration::minutes(1));
    assert_eq!(phone.sync().jobs_purged, 0, "a minute early");
    phone.clock.advance(Duration::minutes(1));
    assert_eq!(phone.sync().jobs_purged, 1, "seven days after the handover");
    assert_eq!(
        phone.tech.reveal_job("RP-1").unwrap().order.customer.name,
        ""
    );
    let audit = onsite_tests::peek::query(
        &hq.backend.url(),
        "SELECT detail FROM audit WHERE action = 'privacy.phone_retention'",
        &[],
    );
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].text(0), "7 days");
    hq.stop();
}
on_both!(hq_sets_the_retention_period_and_phones_learn_it_at_their_next_sync);

/// The technicians page: only the admin sees and uses "revoke and wipe" and
/// the retention setting; the device then shows as ordered wiped, then as
/// told once the phone came back; both acts are on the audit trail.
fn the_admin_wipes_a_phone_and_sets_the_retention_from_the_console(b: Backend) {
    use onsite_hq::centre::people::Role;
    use onsite_tests::console::{add_person, Browser};
    use reqwest::StatusCode;
    let hq = Hq::start(b);
    add_person(&hq, "root", "管理员甲", Role::Admin);
    add_person(&hq, "boss", "经理乙", Role::Manager);
    let phone = Phone::enroll(&hq, "T1");
    phone.sync();
    let mut admin = Browser::signed_in(&hq, "root");
    let page = admin.get("/technicians");
    assert!(page.body.contains("吊销并擦除"), "{}", page.body);
    assert!(page.body.contains("交接后保留天数"));

    let mut manager = Browser::signed_in(&hq, "boss");
    for (path, form) in [
        ("/devices/wipe", [("device_id", "DEV-T1")]),
        ("/settings/phone-retention", [("days", "5")]),
    ] {
        assert_eq!(
            manager.post(path, &form).status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    let bad = admin.post("/settings/phone-retention", &[("days", "0")]);
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("保留天数须为 1 至 3650 的整数"));
    let p = admin.post("/settings/phone-retention", &[("days", "14")]);
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(admin
        .get("/technicians")
        .body
        .contains("name=\"days\" type=\"number\" min=\"1\" max=\"3650\" required value=\"14\""));

    let p = admin.post("/devices/wipe", &[("device_id", "DEV-T1")]);
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = admin.get("/technicians");
    assert!(page.body.contains("已要求擦除") && page.body.contains("等待手机联系"));
    assert!(!page.body.contains("吊销并擦除"), "no second wipe button");
    let again = admin.post("/devices/wipe", &[("device_id", "DEV-T1")]);
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(matches!(
        phone.client.sync_now(&phone.tech, None),
        Err(onsite_core::Error::Wiped)
    ));
    assert!(admin.get("/technicians").body.contains("已通知手机"));
    let audit = onsite_tests::peek::query(
        &hq.backend.url(),
        "SELECT actor, action FROM audit WHERE action IN ('device.wipe', 'privacy.phone_retention') ORDER BY id",
        &[],
    );
    let rows: Vec<(String, String)> = audit.iter().map(|r| (r.text(0), r.text(1))).collect();
    assert_eq!(
        rows,
        [
            (
                "person:root".to_string(),
                "privacy.phone_retention".to_string()
            ),
            ("person:root".to_string(), "device.wipe".to_string()),
        ]
    );
    hq.stop();
}
on_both!(the_admin_wipes_a_phone_and_sets_the_retention_from_the_console);
