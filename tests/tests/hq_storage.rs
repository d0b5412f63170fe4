//! HQ's storage layer held to one contract on both databases: each case
//! below calls the [`onsite_hq::Storage`] trait directly (no HTTP) and runs
//! on SQLite and on PostgreSQL (`on_both!`), asserting the same answers a
//! user of HQ would notice (the order on the board, the page a phone pulls,
//! the code of a refusal, the money of a day). Then HQ's migrations: a
//! database written at every earlier schema version, on both databases, is
//! brought up to date with its data, and both lists of steps describe the
//! same tables.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::fmt::Debug;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onsite_core::charge::Instruction;
use onsite_core::receipt::NumberBlock;
use onsite_core::sample;
use onsite_core::sync::protocol::{
    ChangeKind, Op, Outcome, PushRequest, PushResponse, RejectCode, MAX_PUSH_OPS,
};
use onsite_core::visit::{Complaint, ComplaintKind, Status};
use onsite_core::{Profile, Technician};
use onsite_hq::centre::audit::Actor;
use onsite_hq::centre::fleet::Repeat;
use onsite_hq::rules::{self, Device, BLOCK_SIZE};
use onsite_hq::storage::migrations::{self, VERSION};
use onsite_tests::harness::{fresh_postgres, sqlite_backend, Backend, Store};
use onsite_tests::on_both;
use onsite_tests::peek::{self, Val};

/// A batch as an older phone sends it: no backlog report.
fn batch(ops: Vec<Op>) -> PushRequest {
    PushRequest {
        ops,
        backlog: None,
        uploading: Vec::new(),
    }
}

/// HQ's storage on one database, and a directory for the phones' stores.
struct Hq {
    db: Store,
    url: String,
    dir: tempfile::TempDir,
}

/// A technician registered at HQ with one enrolled device, and the phone
/// (a real store) that records their visits as ops to push.
struct Phone {
    device: Device,
    token: String,
    approval_key: String,
    tech: Technician,
}

fn hq(b: &Backend) -> Hq {
    Hq {
        db: Store::open(&b.url()).expect("HQ opens its database"),
        url: b.url(),
        dir: tempfile::tempdir().unwrap(),
    }
}

/// The code of a refusal (`not_found`, `conflict`...), as HQ answers it.
#[track_caller]
fn refusal<T: Debug>(r: onsite_hq::Result<T>) -> &'static str {
    match r {
        Ok(v) => panic!("expected a refusal, got {:.120}", format!("{v:?}")),
        Err(e) => e.code().1,
    }
}

fn soon() -> DateTime<Utc> {
    Utc::now() + Duration::hours(1)
}

fn china_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&onsite_core::documents::china_time())
        .date_naive()
}

impl Hq {
    fn run<F: std::future::Future>(&self, f: F) -> F::Output {
        self.db.run(f)
    }

    fn count(&self, sql: &str) -> i64 {
        peek::query(&self.url, sql, &[])[0].int(0)
    }

    /// Registers `tid`, enrols device `D-<tid>` and grants its phone a block
    /// of receipt numbers, as the sync client asks for one while online.
    fn technician(&self, tid: &str) -> Phone {
        let now = Utc::now();
        let s = &self.db.store;
        let key = self.run(s.create_technician(tid, "李师傅", now)).unwrap();
        let code = self.run(s.create_enrollment(tid, now)).unwrap();
        let device_id = format!("D-{tid}");
        let e = self.run(s.enroll(&code, &device_id, now)).unwrap();
        assert_eq!(e.approval_key, key);
        let device = Device {
            device_id: device_id.clone(),
            technician_id: tid.to_string(),
            wipe: false,
        };
        let tech = Technician::open(
            self.dir.path().join(format!("{device_id}.sqlite3")),
            Profile {
                technician_id: tid.to_string(),
                technician_name: e.technician_name,
                device_id,
                approval_key: key.clone(),
            },
        )
        .unwrap();
        let block = self.run(s.grant_block(&device, now)).unwrap();
        tech.grant_receipt_block(&block).unwrap();
        Phone {
            device,
            token: e.token,
            approval_key: key,
            tech,
        }
    }

    /// Dispatches `order` at HQ and hands it to the phone as a pull would.
    fn dispatch(&self, phone: &Phone, order: onsite_core::order::WorkOrder) {
        self.run(self.db.store.create_order(order.clone(), Utc::now()))
            .unwrap();
        phone.tech.receive_order(order).unwrap();
    }

    /// A whole visit (full_visit: paid in cash, receipt, handover) of a
    /// new job `job` dispatched at HQ, its photos uploaded; returns the ops
    /// the phone has yet to push.
    fn visit(&self, phone: &Phone, job: &str) -> Vec<Op> {
        let tid = &phone.device.technician_id;
        let at = soon();
        self.run(
            self.db
                .store
                .create_order(sample::leak_order(job, tid, at), Utc::now()),
        )
        .unwrap();
        onsite_tests::full_visit(&phone.tech, job, at, &mut |_| {}).unwrap();
        self.upload(phone);
        phone.tech.pending_ops(MAX_PUSH_OPS).unwrap()
    }

    /// Uploads the phone's photos, as the sync client does before a push.
    fn upload(&self, phone: &Phone) {
        for sha in phone.tech.pending_blobs().unwrap() {
            let (media, bytes) = phone.tech.blob(&sha).unwrap().unwrap();
            let owner = &phone.device.technician_id;
            let put = self
                .db
                .store
                .put_blob(&sha, &media, bytes, owner, Utc::now());
            self.run(put).unwrap();
        }
    }

    /// Uploads the phone's photos, pushes its outbox and acknowledges the
    /// answer on the phone, as the sync client does.
    fn sync(&self, phone: &Phone) -> PushResponse {
        self.upload(phone);
        let ops = phone.tech.pending_ops(MAX_PUSH_OPS).unwrap();
        let resp = self
            .run(self.db.store.push(&phone.device, batch(ops), Utc::now()))
            .unwrap();
        phone.tech.acknowledge(&resp).unwrap();
        resp
    }

    /// Every change of `tid`'s feed, as (job, kind of change).
    fn feed(&self, tid: &str) -> Vec<(String, String)> {
        let page = self.run(self.db.store.pull(tid, 0, 1000)).unwrap();
        assert!(!page.has_more);
        page.changes
            .iter()
            .map(|c| {
                let kind = match &c.change {
                    ChangeKind::Dispatched { order } => {
                        format!("dispatched:{}", order.technician_id)
                    }
                    ChangeKind::Rescheduled { consent, .. } => {
                        format!("rescheduled:{}", consent.as_ref().unwrap().agreed_by)
                    }
                    ChangeKind::Cancelled { reason } => format!("cancelled:{reason}"),
                    ChangeKind::Reassigned { to_technician } => {
                        format!("reassigned:{to_technician}")
                    }
                    ChangeKind::ChargeInstructed { by, .. } => format!("instructed:{by}"),
                };
                (c.job_id.clone(), kind)
            })
            .collect()
    }
}

/// How many ops of a push HQ applied.
fn applied(r: &PushResponse) -> usize {
    r.results
        .iter()
        .filter(|o| o.outcome == Outcome::Applied)
        .count()
}

// --- technicians, enrollment, tokens ------------------------------------------------

/// Registering a technician twice is harmless (the same approval key, one
/// row); a name or id HQ cannot show is refused.
fn technicians(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    let key = hq.run(s.create_technician("T1", " 李师傅 ", now)).unwrap();
    assert!(key.len() >= 32, "an approval key is a secret: {key}");
    let again = hq
        .run(s.create_technician("T1", "另一个名字", now))
        .unwrap();
    assert_eq!(again, key, "registering again returns the same key");
    let other = hq.run(s.create_technician("T2", "王师傅", now)).unwrap();
    assert_ne!(other, key);
    for (id, name) in [
        ("T3", ""),
        ("T3", "   "),
        ("T3", &"名".repeat(101)),
        ("", "王师傅"),
        ("T 3", "王师傅"),
        ("T3/..", "王师傅"),
    ] {
        let r = hq.run(s.create_technician(id, name, now));
        assert_eq!(refusal(r), "bad_request", "id {id:?} name {name:?}");
    }
    assert_eq!(hq.count("SELECT COUNT(*) FROM technicians"), 2);
    let names = peek::query(
        &hq.url,
        "SELECT name FROM technicians WHERE technician_id = $1",
        &["T1".into()],
    );
    assert_eq!(
        names[0].text(0),
        "李师傅",
        "stored trimmed, first name kept"
    );
}
on_both!(technicians);

/// An enrollment code works once; a wrong one is `unauthorized`; a device
/// enrolled again keeps its sequence (a re-sent op stays a duplicate) and
/// its old token stops working; another technician's device is a conflict
/// that leaves the code usable.
fn enrollment(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    assert_eq!(
        refusal(hq.run(s.create_enrollment("NOBODY", now))),
        "not_found"
    );
    let t1 = hq.technician("T1");
    let code = hq.run(s.create_enrollment("T1", now)).unwrap();
    assert_eq!(code.len(), 12);
    assert_eq!(
        refusal(hq.run(s.enroll("WRONGCODE000", "D-X", now))),
        "unauthorized"
    );
    assert_eq!(
        refusal(hq.run(s.enroll(&code, "bad device", now))),
        "bad_request"
    );

    // Re-enrolling D-T1 after it pushed a visit: same device, new token, same sequence.
    let ops = hq.visit(&t1, "E-1");
    let first = hq.run(s.push(&t1.device, batch(ops.clone()), now)).unwrap();
    let last = first.last_applied_seq;
    assert_eq!(last, ops.len() as i64);
    let e = hq.run(s.enroll(&code, "D-T1", now)).unwrap();
    assert_eq!(
        (
            e.technician_id.as_str(),
            e.device_id.as_str(),
            e.approval_key.as_str()
        ),
        ("T1", "D-T1", t1.approval_key.as_str())
    );
    assert_ne!(e.token, t1.token);
    assert_eq!(
        refusal(hq.run(s.authenticate(&t1.token, chrono::Utc::now()))),
        "unauthorized"
    );
    assert_eq!(
        hq.run(s.authenticate(&e.token, chrono::Utc::now()))
            .unwrap(),
        t1.device
    );
    let again = hq.run(s.push(&t1.device, batch(ops), now)).unwrap();
    assert_eq!(
        again.last_applied_seq, last,
        "the sequence survives re-enrollment"
    );
    assert!(again
        .results
        .iter()
        .all(|r| r.outcome == Outcome::Duplicate));
    // The code was used.
    assert_eq!(
        refusal(hq.run(s.enroll(&code, "D-T1b", now))),
        "unauthorized"
    );

    // T2's code on T1's device: a conflict, and the code still works for T2's own device.
    hq.run(s.create_technician("T2", "王师傅", now)).unwrap();
    let code2 = hq.run(s.create_enrollment("T2", now)).unwrap();
    assert_eq!(refusal(hq.run(s.enroll(&code2, "D-T1", now))), "conflict");
    let e2 = hq
        .run(s.enroll(&format!(" {code2} "), "D-T2", now))
        .unwrap();
    assert_eq!(e2.technician_id, "T2");
    assert_eq!(hq.count("SELECT COUNT(*) FROM devices"), 2);
}
on_both!(enrollment);

/// A token names its device until the device is revoked; enrolling again
/// lifts the revocation with a new token.
fn authenticate_and_revoke(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let t1 = hq.technician("T1");
    assert_eq!(
        hq.run(s.authenticate(&t1.token, chrono::Utc::now()))
            .unwrap(),
        t1.device
    );
    assert_eq!(
        refusal(hq.run(s.authenticate("not-a-token", chrono::Utc::now()))),
        "unauthorized"
    );
    let revoke = |device: &str| {
        hq.run(s.revoke_device(&Actor::Operator, device, Repeat::Accepted, Utc::now()))
    };
    assert_eq!(refusal(revoke("D-NOBODY")), "not_found");
    revoke("D-T1").unwrap();
    assert_eq!(
        refusal(hq.run(s.authenticate(&t1.token, chrono::Utc::now()))),
        "unauthorized"
    );
    let code = hq.run(s.create_enrollment("T1", Utc::now())).unwrap();
    let e = hq.run(s.enroll(&code, "D-T1", Utc::now())).unwrap();
    assert_eq!(
        hq.run(s.authenticate(&e.token, chrono::Utc::now()))
            .unwrap(),
        t1.device
    );
}
on_both!(authenticate_and_revoke);

/// Integration keys: a name is used once (revoked or not) and never the
/// bootstrap key's; the secret authenticates its key with its scopes until
/// the key is revoked; the list shows every key and no secret; a use is noted.
fn integration_keys(b: Backend) {
    use onsite_hq::keys::Scope;
    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    let secret = hq
        .run(s.add_key(
            &Actor::Operator,
            "desk",
            vec![Scope::Dispatch, Scope::Read],
            now,
        ))
        .unwrap();
    assert!(secret.starts_with(onsite_hq::keys::PREFIX), "{secret}");
    assert_eq!(
        refusal(hq.run(s.add_key(&Actor::Operator, "desk", vec![Scope::Read], now))),
        "conflict"
    );
    assert_eq!(
        refusal(hq.run(s.add_key(&Actor::Operator, "admin", vec![Scope::Read], now))),
        "conflict"
    );
    let key = hq.run(s.authenticate_key(&secret, now)).unwrap().unwrap();
    assert_eq!(
        (
            key.name.as_str(),
            key.allows(Scope::Read),
            key.allows(Scope::Admin)
        ),
        ("desk", true, false)
    );
    assert!(hq
        .run(s.authenticate_key("onsite_not-a-key", now))
        .unwrap()
        .is_none());
    let listed = hq.run(s.keys()).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "{:?}", listed[0]);
    assert!(!format!("{listed:?}").contains(&secret));
    assert_eq!(
        hq.count(
            "SELECT COUNT(*) FROM integration_keys WHERE secret_hash LIKE '%' || 'onsite_' || '%'"
        ),
        0,
        "the secret is stored hashed"
    );
    hq.run(s.withdraw_key(&Actor::Operator, "desk", now))
        .unwrap();
    assert_eq!(
        refusal(hq.run(s.withdraw_key(&Actor::Operator, "desk", now))),
        "not_found"
    );
    assert_eq!(
        refusal(hq.run(s.authenticate_key(&secret, now))),
        "unauthorized"
    );
    assert_eq!(
        refusal(hq.run(s.add_key(&Actor::Operator, "desk", vec![Scope::Read], now))),
        "conflict",
        "a revoked key's name is not reused"
    );
}
on_both!(integration_keys);

// --- dispatch -----------------------------------------------------------------------

/// Orders: created once, for a known technician; assigned and reassigned
/// with both technicians' feeds told; rescheduled only with the customer's
/// consent; cancelled once; the board filtered; one technician never sees
/// another's job.
fn orders(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    hq.technician("T1");
    hq.technician("T2");
    let at = soon();
    let o = hq
        .run(s.create_order(sample::leak_order("O-1", "T1", at), now))
        .unwrap();
    assert_eq!(
        (
            o.job_id.as_str(),
            o.technician_id.as_str(),
            o.status,
            o.appointment_at
        ),
        ("O-1", "T1", Status::Dispatched, at)
    );
    let dup = s.create_order(sample::leak_order("O-1", "T2", at), now);
    assert_eq!(refusal(hq.run(dup)), "conflict");
    let nobody = s.create_order(sample::leak_order("O-2", "NOBODY", at), now);
    assert_eq!(refusal(hq.run(nobody)), "not_found");
    hq.run(s.create_order(sample::leak_order("O-2", "T1", at), now))
        .unwrap();
    hq.run(s.create_order(sample::leak_order("O-3", "T2", at), now))
        .unwrap();

    // Reassign O-1 to T2: T1 hears it left, T2 receives it; to the same technician: nothing.
    assert_eq!(refusal(hq.run(s.assign("O-1", "NOBODY", now))), "not_found");
    assert_eq!(refusal(hq.run(s.assign("O-9", "T2", now))), "not_found");
    let moved = hq.run(s.assign("O-1", "T2", now)).unwrap();
    assert_eq!(
        (moved.technician_id.as_str(), moved.status),
        ("T2", Status::Dispatched)
    );
    hq.run(s.assign("O-1", "T2", now)).unwrap();
    let d = |j: &str, k: &str| (j.to_string(), k.to_string());
    assert_eq!(
        hq.feed("T1"),
        [
            d("O-1", "dispatched:T1"),
            d("O-2", "dispatched:T1"),
            d("O-1", "reassigned:T2")
        ]
    );
    assert_eq!(
        hq.feed("T2"),
        [d("O-3", "dispatched:T2"), d("O-1", "dispatched:T2")]
    );

    // Reschedule: the customer's consent is required, and recorded.
    let later = at + Duration::days(1);
    let r = s.reschedule("O-2", later, "客户出差", None, now);
    assert_eq!(refusal(hq.run(r)), "bad_request");
    let consent = sample::reschedule_consent(now);
    let r = s.reschedule("O-2", later, "客户出差", Some(consent.clone()), now);
    assert_eq!(hq.run(r).unwrap().appointment_at, later);
    let r = s.reschedule("O-9", later, "客户出差", Some(consent), now);
    assert_eq!(refusal(hq.run(r)), "not_found");
    let v = hq.run(s.get_order("O-2", None)).unwrap();
    assert_eq!(v.order.appointment_at, later);

    // Cancel once; a cancelled order cannot be cancelled or moved again.
    let c = hq.run(s.cancel("O-2", "客户取消", now)).unwrap();
    assert_eq!(c.status, Status::Cancelled);
    assert_eq!(refusal(hq.run(s.cancel("O-2", "再取消", now))), "conflict");
    assert_eq!(refusal(hq.run(s.assign("O-2", "T2", now))), "conflict");
    assert_eq!(refusal(hq.run(s.cancel("O-9", "x", now))), "not_found");
    assert_eq!(
        hq.feed("T1")[3..],
        [
            d("O-2", "rescheduled:王女士"),
            d("O-2", "cancelled:客户取消")
        ]
    );

    // The board, by job id, filtered by technician and status.
    let board = |t: Option<&str>, st: Option<&str>| -> Vec<(String, String, Status)> {
        hq.run(s.list_orders(t, st))
            .unwrap()
            .into_iter()
            .map(|o| (o.job_id, o.technician_id, o.status))
            .collect()
    };
    let line = |j: &str, t: &str, st| (j.to_string(), t.to_string(), st);
    assert_eq!(
        board(None, None),
        [
            line("O-1", "T2", Status::Dispatched),
            line("O-2", "T1", Status::Cancelled),
            line("O-3", "T2", Status::Dispatched)
        ]
    );
    assert_eq!(
        board(Some("T1"), None),
        [line("O-2", "T1", Status::Cancelled)]
    );
    assert_eq!(
        board(Some("T2"), Some("dispatched")),
        [
            line("O-1", "T2", Status::Dispatched),
            line("O-3", "T2", Status::Dispatched)
        ]
    );
    assert!(board(Some("T1"), Some("dispatched")).is_empty());

    // One order: whole for the admin and its technician, unknown to anyone else.
    assert_eq!(
        hq.run(s.get_order("O-1", Some("T2")))
            .unwrap()
            .order
            .technician_id,
        "T2"
    );
    assert_eq!(refusal(hq.run(s.get_order("O-1", Some("T1")))), "not_found");
    assert_eq!(refusal(hq.run(s.get_order("O-9", None))), "not_found");
}
on_both!(orders);

// --- sync ---------------------------------------------------------------------------

/// A push applies ops in sequence; a re-sent op is a duplicate, a gap is
/// out of order, an op of another device is forbidden, an op on a job HQ
/// does not have is rejected (and settled), a batch over the limit is refused.
fn push(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    let t1 = hq.technician("T1");
    let ops = hq.visit(&t1, "P-1");
    let n = ops.len();
    assert!(n > 10, "{n} ops");
    let push = |ops: &[Op]| hq.run(s.push(&t1.device, batch(ops.to_vec()), now));
    let outcomes = |r: &PushResponse| -> Vec<Outcome> {
        r.results.iter().map(|o| o.outcome.clone()).collect()
    };

    let r = push(&ops[..5]).unwrap();
    assert_eq!((r.last_applied_seq, applied(&r)), (5, 5));
    let r = push(&ops[..5]).unwrap();
    assert_eq!(r.last_applied_seq, 5);
    assert_eq!(outcomes(&r), vec![Outcome::Duplicate; 5]);
    let r = push(&ops[6..8]).unwrap();
    assert_eq!(r.last_applied_seq, 5, "a gap applies nothing");
    assert_eq!(outcomes(&r), vec![Outcome::OutOfOrder; 2]);
    assert_eq!(hq.count("SELECT COUNT(*) FROM ops"), 5);

    // Someone else's op in the batch: the whole batch is forbidden.
    let mut foreign = ops[5].clone();
    foreign.device_id = "D-OTHER".into();
    assert_eq!(refusal(push(&[foreign])), "forbidden");
    // A device HQ does not know.
    let ghost = Device {
        device_id: "D-GHOST".into(),
        technician_id: "T1".into(),
        wipe: false,
    };
    let mut op = ops[5].clone();
    op.device_id = "D-GHOST".into();
    assert_eq!(
        refusal(hq.run(s.push(&ghost, batch(vec![op]), now))),
        "unauthorized"
    );
    // More than a push may carry.
    let many: Vec<Op> = (0..=MAX_PUSH_OPS as i64)
        .map(|i| Op {
            seq: 6 + i,
            op_id: format!("many-{i}"),
            ..ops[5].clone()
        })
        .collect();
    assert_eq!(refusal(push(&many)), "bad_request");
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM ops"),
        5,
        "refused batches leave nothing"
    );

    // The rest, in one batch, out of order in the request: all applied, in sequence.
    let mut rest = ops[5..].to_vec();
    rest.reverse();
    let r = push(&rest).unwrap();
    assert_eq!((r.last_applied_seq, applied(&r)), (n as i64, n - 5));
    assert_eq!(hq.run(s.applied_ops()).unwrap(), n as i64);
    let v = hq.run(s.get_order("P-1", None)).unwrap();
    assert_eq!(v.status, Status::HandedOver);
    assert_eq!(
        v.receipt.unwrap().number,
        t1.tech.job("P-1").unwrap().receipt.unwrap().number
    );

    // An op on a job HQ never had: rejected with its code, and settled.
    let stray = Op {
        seq: n as i64 + 1,
        op_id: "stray".into(),
        job_id: "P-NONE".into(),
        ..ops[0].clone()
    };
    let r = push(&[stray]).unwrap();
    assert_eq!(r.last_applied_seq, n as i64 + 1);
    assert!(
        matches!(
            &r.results[0].outcome,
            Outcome::Rejected {
                code: RejectCode::UnknownJob,
                ..
            }
        ),
        "{r:?}"
    );
    let row = &peek::query(
        &hq.url,
        "SELECT outcome, code FROM ops WHERE op_id = 'stray'",
        &[],
    )[0];
    assert_eq!(
        (row.text(0), row.opt_text(1)),
        ("rejected".into(), Some("unknown_job".into()))
    );
    assert_eq!(hq.run(s.applied_ops()).unwrap(), n as i64);
}
on_both!(push);

/// One push that mixes every way an op settles, in one transaction: ops
/// already applied (duplicates), the rest of a visit whose receipt is issued,
/// voided and reissued within the push, ops on a job HQ cancelled and on one
/// it reassigned, a complaint and a recovered old part, crafted ops HQ must
/// refuse with each receipt code, a second op with a sequence already in the
/// push, and a gap. Each op's outcome, the rows HQ keeps (ops, receipts,
/// follow-ups, complaints, old parts, the orders' state, the device's last
/// sequence) and the answer to the same push re-sent are what HQ answered
/// when it applied a push op by op: the set-based apply must not change any.
fn mixed_push(b: Backend) {
    use onsite_core::checklist::Phase;
    use onsite_core::payment::Method;
    use onsite_core::visit::{Event, Rating};

    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    let t1 = hq.technician("T1");
    hq.technician("T2");
    let t = &t1.tech;
    for job in ["X-1", "X-2", "X-3"] {
        hq.dispatch(&t1, sample::leak_order(job, "T1", soon()));
    }
    hq.dispatch(&t1, sample::warranty_order("X-4", "T1", soon()));
    for job in ["X-1", "X-2", "X-3", "X-4"] {
        t.accept_job(job).unwrap();
    }
    // The three first acceptances reach HQ before the rest.
    let early = t.pending_ops(3).unwrap();
    let r = hq
        .run(s.push(&t1.device, batch(early.clone()), now))
        .unwrap();
    assert_eq!((r.last_applied_seq, applied(&r)), (3, 3));
    t1.tech.acknowledge(&r).unwrap();
    // HQ cancels X-2 and gives X-3 to T2 while the phone works offline.
    hq.run(s.cancel("X-2", "业主已自行维修", now)).unwrap();
    hq.run(s.assign("X-3", "T2", now)).unwrap();

    // to the customer's acceptance (fix uncertain: a follow-up), paid in
    // cash, receipt issued, voided, reissued, handed over.
    onsite_tests::drive_accepted_to_acceptance(
        t,
        "X-1",
        onsite_tests::refused_signature(Rating::Average, true),
    )
    .unwrap();
    let due = t.job("X-1").unwrap().due_on_site().fen();
    t.take_payment("X-1", Method::Cash, due, None, true)
        .unwrap();
    let first = t.issue_receipt("X-1", false).unwrap().number;
    t.void_receipt(&first, "金额写错").unwrap();
    let second = t.reissue_receipt(&first).unwrap().number;
    t.hand_over("X-1").unwrap();
    // a checklist and the departure each.
    for job in ["X-2", "X-3"] {
        sample::complete_checklist(t, job, Phase::BeforeLeaving).unwrap();
        t.depart(job).unwrap();
    }
    // a complaint, then a part replaced and the old one recovered.
    onsite_tests::drive_accepted_to_quote(t, "X-4").unwrap();
    let complaint = Complaint {
        kind: ComplaintKind::Soft,
        words: "上次来晚了".into(),
    };
    t.record_complaint("X-4", complaint).unwrap();
    t.customer_consents("X-4", "王女士").unwrap();
    t.start_work("X-4").unwrap();
    t.replace_part("X-4", sample::warranty_replacement())
        .unwrap();
    hq.upload(&t1);

    let mut ops = t1.tech.pending_ops(MAX_PUSH_OPS).unwrap();
    let n = ops.last().unwrap().seq;
    // Ops this device never recorded, which HQ must refuse one by one.
    let template = ops.iter().find(|o| o.job_id == "X-1").unwrap().clone();
    let crafted = |seq: i64, job: &str, event: serde_json::Value| Op {
        op_id: format!("crafted-{seq}"),
        seq,
        job_id: job.into(),
        event: serde_json::from_value::<Event>(event).unwrap(),
        ..template.clone()
    };
    let sha = "0".repeat(64);
    ops.extend([
        crafted(n + 1, "X-NONE", serde_json::json!({"type": "work_started"})),
        crafted(
            n + 2,
            "X-1",
            serde_json::json!({"type": "receipt_voided", "number": "R-99999999", "reason": "x"}),
        ),
        crafted(
            n + 3,
            "X-1",
            serde_json::json!({"type": "receipt_voided", "number": first, "reason": "x"}),
        ),
        crafted(
            n + 4,
            "X-1",
            serde_json::json!({"type": "receipt_reissued", "receipt": {"number": "R-77777777", "sha256": sha}, "replaces": first}),
        ),
        crafted(
            n + 5,
            "X-1",
            serde_json::json!({"type": "receipt_voided", "number": second, "reason": "x"}),
        ),
        crafted(
            n + 6,
            "X-1",
            serde_json::json!({"type": "receipt_reissued", "receipt": {"number": first, "sha256": sha}, "replaces": second}),
        ),
        crafted(n + 7, "X-1", serde_json::json!({"type": "work_started"})),
        crafted(
            n + 8,
            "X-1",
            serde_json::json!({"type": "cancelled", "reason": "x"}),
        ),
    ]);
    // A second op with a sequence the push already carries, and a gap.
    ops.push(Op {
        op_id: "same-seq".into(),
        ..ops[ops.len() - 1].clone()
    });
    ops.push(crafted(
        n + 10,
        "X-1",
        serde_json::json!({"type": "work_started"}),
    ));
    // The ops already applied lead; the request lists the rest backwards.
    let request: Vec<Op> = early.into_iter().chain(ops).rev().collect();
    let r = hq
        .run(s.push(&t1.device, batch(request.clone()), now))
        .unwrap();

    // One answer per op, in sequence order.
    assert_eq!(r.results.len(), request.len());
    assert!(r.results.windows(2).all(|w| w[0].seq <= w[1].seq), "{r:?}");
    assert_eq!(
        r.last_applied_seq,
        n + 8,
        "the gap settles nothing after it"
    );
    let kind_of = |id: &str| request.iter().find(|o| o.op_id == id).unwrap();
    let code = |o: &Outcome| match o {
        Outcome::Rejected { code, .. } => code.as_str().to_string(),
        other => format!("{other:?}"),
    };
    for x in &r.results {
        let op = kind_of(&x.op_id);
        let expected = match (x.seq, op.job_id.as_str()) {
            (1..=3, _) => "Duplicate",
            (s, _) if s > n => continue,
            (_, "X-1" | "X-4") => "Applied",
            (_, "X-2") => "job_cancelled",
            (_, "X-3") => "reassigned",
            other => panic!("{other:?}"),
        };
        assert_eq!(code(&x.outcome), expected, "{} {}", x.seq, op.event.kind());
    }
    let tail: Vec<(i64, String)> = r
        .results
        .iter()
        .filter(|x| x.seq > n)
        .map(|x| (x.seq, code(&x.outcome)))
        .collect();
    let expected: Vec<(i64, &str)> = vec![
        (n + 1, "unknown_job"),              // a job HQ never had
        (n + 2, "unknown_receipt"),          // a number HQ does not have
        (n + 3, "receipt_already_void"),     // voided earlier in this push
        (n + 4, "rule_broken"),              // reissued earlier in this push
        (n + 5, "Applied"),                  // the reissue of this push, voided
        (n + 6, "duplicate_receipt_number"), // a number issued earlier in this push
        (n + 7, "rule_broken"),              // work cannot start after handover
        (n + 8, "rule_broken"),              // a device sending HQ's decision
        (n + 8, "Duplicate"),                // the same sequence twice
        (n + 10, "OutOfOrder"),              // after a gap
    ];
    let expected: Vec<(i64, String)> = expected
        .into_iter()
        .map(|(seq, c)| (seq, c.to_string()))
        .collect();
    assert_eq!(tail, expected);

    // What HQ keeps of it.
    let state = || {
        // Sorted here: the databases' text orders may differ.
        let rows = |sql: &str| -> Vec<String> {
            let mut rows: Vec<String> = peek::query(&hq.url, sql, &[])
                .iter()
                .map(|r| format!("{:?}", r.0))
                .collect();
            rows.sort();
            rows
        };
        (
            rows("SELECT outcome, code, COUNT(*) FROM ops GROUP BY outcome, code"),
            rows(
                "SELECT number, job_id, kind, refers_to, CASE WHEN voided_day IS NULL THEN 0 ELSE 1 END,
                        method, amount_fen FROM receipts",
            ),
            rows("SELECT job_id, reason FROM followups"),
            rows("SELECT job_id, kind, words FROM complaints"),
            rows("SELECT registration, job_id, in_warranty FROM old_parts"),
            rows("SELECT job_id, technician_id, status FROM orders"),
            rows("SELECT device_id, last_seq FROM devices"),
        )
    };
    let before = state();
    let (ops_rows, receipts, followups, complaints, parts, orders, devices) = &before;
    let phone_ops = |job: &str| ops_of(&request, job, n);
    let x1 = i64::try_from(phone_ops("X-1")).unwrap();
    let x4 = i64::try_from(phone_ops("X-4")).unwrap();
    assert_eq!(
        ops_rows,
        &[
            format!("[Text(\"applied\"), Null, Int({})]", x1 + x4 + 3 + 1),
            "[Text(\"rejected\"), Text(\"duplicate_receipt_number\"), Int(1)]".to_string(),
            format!(
                "[Text(\"rejected\"), Text(\"job_cancelled\"), Int({})]",
                phone_ops("X-2")
            ),
            format!(
                "[Text(\"rejected\"), Text(\"reassigned\"), Int({})]",
                phone_ops("X-3")
            ),
            "[Text(\"rejected\"), Text(\"receipt_already_void\"), Int(1)]".to_string(),
            "[Text(\"rejected\"), Text(\"rule_broken\"), Int(3)]".to_string(),
            "[Text(\"rejected\"), Text(\"unknown_job\"), Int(1)]".to_string(),
            "[Text(\"rejected\"), Text(\"unknown_receipt\"), Int(1)]".to_string(),
        ],
        "every op decided has its row; duplicates and gaps none"
    );
    assert_eq!(
        receipts,
        &[
            format!("[Text({first:?}), Text(\"X-1\"), Text(\"original\"), Null, Int(1), Text(\"cash\"), Int({due})]"),
            format!("[Text({second:?}), Text(\"X-1\"), Text(\"reissue\"), Text({first:?}), Int(1), Text(\"cash\"), Int({due})]"),
        ]
    );
    assert_eq!(
        followups,
        &[
            "[Text(\"X-1\"), Text(\"fix_uncertain\")]".to_string(),
            "[Text(\"X-1\"), Text(\"rating\")]".to_string(),
        ]
    );
    assert_eq!(
        complaints,
        &["[Text(\"X-4\"), Text(\"soft\"), Text(\"上次来晚了\")]".to_string()]
    );
    let registration = sample::warranty_replacement()
        .old_part_registration
        .unwrap();
    assert_eq!(
        parts,
        &[format!("[Text({registration:?}), Text(\"X-4\"), Int(1)]")]
    );
    assert_eq!(
        orders,
        &[
            "[Text(\"X-1\"), Text(\"T1\"), Text(\"handed_over\")]".to_string(),
            "[Text(\"X-2\"), Text(\"T1\"), Text(\"cancelled\")]".to_string(),
            "[Text(\"X-3\"), Text(\"T2\"), Text(\"dispatched\")]".to_string(),
            "[Text(\"X-4\"), Text(\"T1\"), Text(\"in_progress\")]".to_string(),
        ]
    );
    assert_eq!(
        devices,
        &[
            format!("[Text(\"D-T1\"), Int({})]", n + 8),
            "[Text(\"D-T2\"), Int(0)]".to_string(),
        ]
    );
    let v = hq.run(s.get_order("X-1", None)).unwrap();
    assert_eq!(v.voided_receipts, [first.clone(), second.clone()]);

    // The same push again (the answer was lost): nothing applies twice.
    let again = hq.run(s.push(&t1.device, batch(request), now)).unwrap();
    assert_eq!(again.last_applied_seq, n + 8);
    let outcomes: Vec<String> = again.results.iter().map(|x| code(&x.outcome)).collect();
    let mut expected = vec!["Duplicate".to_string(); outcomes.len()];
    *expected.last_mut().unwrap() = "OutOfOrder".into();
    assert_eq!(outcomes, expected);
    assert_eq!(state(), before);
}

/// How many of `ops` (up to sequence `n`, after the first three) name `job`.
fn ops_of(ops: &[Op], job: &str, n: i64) -> usize {
    ops.iter()
        .filter(|o| o.job_id == job && o.seq > 3 && o.seq <= n && o.op_id != "same-seq")
        .count()
}
on_both!(mixed_push);

/// The change feed is each technician's own, served in pages: `has_more`
/// says whether another page follows, `next_cursor` where it starts.
fn pull(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    hq.technician("T1");
    hq.technician("T2");
    for i in 1..=5 {
        let job = format!("F-{i}");
        hq.run(s.create_order(sample::leak_order(&job, "T1", soon()), now))
            .unwrap();
        if i <= 2 {
            let job = format!("G-{i}");
            hq.run(s.create_order(sample::leak_order(&job, "T2", soon()), now))
                .unwrap();
        }
    }
    let page = |t: &str, cursor: i64, limit: usize| hq.run(s.pull(t, cursor, limit)).unwrap();
    let jobs = |p: &onsite_core::sync::protocol::PullResponse| -> Vec<String> {
        p.changes.iter().map(|c| c.job_id.clone()).collect()
    };
    let p1 = page("T1", 0, 2);
    assert_eq!(
        (jobs(&p1), p1.has_more),
        (vec!["F-1".to_string(), "F-2".into()], true)
    );
    assert_eq!(p1.next_cursor, p1.changes[1].cursor);
    let p2 = page("T1", p1.next_cursor, 2);
    assert_eq!(
        (jobs(&p2), p2.has_more),
        (vec!["F-3".to_string(), "F-4".into()], true)
    );
    let p3 = page("T1", p2.next_cursor, 2);
    assert_eq!((jobs(&p3), p3.has_more), (vec!["F-5".to_string()], false));
    let end = page("T1", p3.next_cursor, 2);
    assert_eq!(
        (end.changes.len(), end.next_cursor, end.has_more),
        (0, p3.next_cursor, false)
    );
    let cursors: Vec<i64> = [&p1, &p2, &p3]
        .iter()
        .flat_map(|p| p.changes.iter().map(|c| c.cursor))
        .collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    // Exactly a page's worth: no further page announced.
    let all = page("T1", 0, 5);
    assert_eq!((all.changes.len(), all.has_more), (5, false));
    assert!(page("T1", 0, 4).has_more);
    // A limit of 0 still serves one change.
    assert_eq!(page("T1", 0, 0).changes.len(), 1);
    let t2 = page("T2", 0, 100);
    assert_eq!(jobs(&t2), ["G-1", "G-2"]);
    assert_eq!(page("NOBODY", 0, 100).changes.len(), 0);
}
on_both!(pull);

/// Photos are stored by their hash, once, and only their technician (or
/// the admin) reads them back.
fn blobs(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    let bytes = sample::photo_jpeg();
    let sha = onsite_core::signature::record::content_hash(&bytes);
    let put = |sha: &str, bytes: Vec<u8>| hq.run(s.put_blob(sha, "image/jpeg", bytes, "T1", now));
    assert_eq!(refusal(put(&sha, b"other bytes".to_vec())), "bad_request");
    assert_eq!(
        refusal(put(&sha.to_uppercase(), bytes.clone())),
        "bad_request"
    );
    assert_eq!(refusal(put("abc", bytes.clone())), "bad_request");
    let huge = vec![0u8; rules::MAX_BLOB_BYTES + 1];
    let huge_sha = onsite_core::signature::record::content_hash(&huge);
    assert_eq!(refusal(put(&huge_sha, huge)), "too_large");
    assert!(put(&sha, bytes.clone()).unwrap(), "stored the first time");
    assert!(!put(&sha, bytes.clone()).unwrap(), "already stored");
    assert_eq!(hq.count("SELECT COUNT(*) FROM blobs"), 1);
    let get = |scope| hq.run(s.get_blob(&sha, scope));
    assert_eq!(
        get(None).unwrap(),
        ("image/jpeg".to_string(), bytes.clone())
    );
    assert_eq!(get(Some("T1")).unwrap().1, bytes);
    assert_eq!(refusal(get(Some("T2"))), "not_found");
    assert_eq!(
        refusal(hq.run(s.get_blob(&"0".repeat(64), None))),
        "not_found"
    );
}
on_both!(blobs);

/// Receipt number blocks never overlap and leave no gap, however many
/// devices ask at once (tasks on HQ's runtime, on a pool of connections
/// on PostgreSQL).
fn receipt_blocks(b: Backend) {
    let hq = hq(&b);
    let devices: Vec<Device> = (1..=6)
        .map(|i| hq.technician(&format!("T{i}")).device)
        .collect();
    let store = hq.db.store.clone();
    let results: Vec<(String, onsite_hq::Result<NumberBlock>)> = hq.run(async move {
        let tasks: Vec<_> = devices
            .into_iter()
            .map(|d| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    for _ in 0..8 {
                        out.push((d.device_id.clone(), store.grant_block(&d, Utc::now()).await));
                    }
                    out
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    let mut blocks: Vec<(i64, i64, String)> = results
        .into_iter()
        .map(|(d, r)| {
            let b = r.unwrap_or_else(|e| panic!("{d}: a grant failed: {e}"));
            assert_eq!((b.series.as_str(), b.last - b.first + 1), ("R", BLOCK_SIZE));
            (b.first, b.last, d)
        })
        .collect();
    // The blocks granted when each technician enrolled, then the concurrent ones.
    assert_eq!(blocks.len(), 48);
    blocks.sort();
    let stored: Vec<(i64, i64, String)> = peek::query(
        &hq.url,
        "SELECT first, last, device_id FROM receipt_blocks ORDER BY first",
        &[],
    )
    .iter()
    .map(|r| (r.int(0), r.int(1), r.text(2)))
    .collect();
    assert_eq!(stored.len(), 54);
    let granted: BTreeSet<_> = blocks.iter().collect();
    assert!(
        granted.iter().all(|b| stored.contains(b)),
        "every grant is on record"
    );
    let mut next = 1;
    for (first, last, device) in &stored {
        assert_eq!(
            *first, next,
            "block of {device} at {first}: overlap or gap before it"
        );
        next = last + 1;
    }
    assert_eq!(next, 54 * BLOCK_SIZE + 1);
}
on_both!(receipt_blocks);

/// Requests racing on the same record (an integrator retrying a create, two
/// phones uploading the same photo) get the answers they would get one after
/// the other: one order created and the rest a conflict, one key for a
/// technician, a photo stored once, an enrollment code used once.
fn racing_requests(b: Backend) {
    const RACERS: usize = 8;
    let hq = hq(&b);
    let store = hq.db.store.clone();
    let results = hq.run(async move {
        let now = Utc::now();
        store.create_technician("T1", "李师傅", now).await.unwrap();
        let code = store.create_enrollment("T1", now).await.unwrap();
        let mut own_codes = Vec::new();
        for _ in 0..RACERS {
            own_codes.push(store.create_enrollment("T1", now).await.unwrap());
        }
        let bytes = sample::photo_jpeg();
        let sha = onsite_core::signature::record::content_hash(&bytes);
        // Every racer starts each request at the same moment.
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let (store, start) = (store.clone(), start.clone());
                let (code, sha, bytes) = (code.clone(), sha.clone(), bytes.clone());
                let own_code = own_codes[i].clone();
                tokio::spawn(async move {
                    let order = sample::leak_order("R-1", "T1", soon());
                    start.wait().await;
                    let order = store.create_order(order, now).await.map(|o| o.job_id);
                    start.wait().await;
                    let key = store.create_technician("T2", "王师傅", now).await;
                    start.wait().await;
                    let blob = store.put_blob(&sha, "image/jpeg", bytes, "T1", now).await;
                    start.wait().await;
                    let device = store.enroll(&code, &format!("D-{i}"), now).await;
                    start.wait().await;
                    // Each its own code, all for one new device id.
                    let same = store.enroll(&own_code, "D-SAME", now).await;
                    [
                        order,
                        key,
                        blob.map(|b| b.to_string()),
                        device.map(|e| e.device_id),
                        same.map(|e| e.token),
                    ]
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await.unwrap());
        }
        all
    });
    // Each request's answers: how many racers got each answer.
    let tally = |n: usize| -> Vec<(String, usize)> {
        let mut seen: Vec<(String, usize)> = Vec::new();
        for r in &results {
            let answer = match &r[n] {
                Ok(v) if n == 2 => format!("stored {v}"),
                Ok(_) => "ok".to_string(),
                Err(e) => format!("{}: {e}", e.code().1),
            };
            match seen.iter_mut().find(|(a, _)| *a == answer) {
                Some((_, count)) => *count += 1,
                None => seen.push((answer, 1)),
            }
        }
        seen.sort();
        seen
    };
    let a = |s: &str, n: usize| (s.to_string(), n);
    let r = RACERS - 1;
    assert_eq!(
        tally(0),
        [a("conflict: order R-1 exists", r), a("ok", 1)],
        "create order"
    );
    assert_eq!(tally(1), [a("ok", RACERS)], "register a technician");
    let keys: BTreeSet<&String> = results.iter().filter_map(|r| r[1].as_ref().ok()).collect();
    assert_eq!(keys.len(), 1, "one key for T2");
    assert_eq!(
        tally(2),
        [a("stored false", r), a("stored true", 1)],
        "store a photo"
    );
    let used = a("unauthorized: missing or invalid token", r);
    assert_eq!(tally(3), [a("ok", 1), used], "enrol with one code");
    assert_eq!(
        tally(4),
        [a("ok", RACERS)],
        "enrol one new device id at once"
    );
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM devices WHERE device_id = 'D-SAME'"),
        1
    );
    let live = results
        .iter()
        .filter_map(|r| r[4].as_ref().ok())
        .filter(|token| {
            hq.run(hq.db.store.authenticate(token, chrono::Utc::now()))
                .is_ok()
        })
        .count();
    assert_eq!(live, 1, "the last enrolment's token is the device's");
}
on_both!(racing_requests);

// --- after the visit -----------------------------------------------------------------

/// A whole visit pushed: the follow-up it calls for (once, however often
/// it is re-sent), the monthly sample, and the day's money reconciled
/// against the handover.
fn followups_and_reconciliation(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    let t1 = hq.technician("T1");
    let ops = hq.visit(&t1, "V-1");
    let r = hq.sync(&t1);
    assert_eq!(applied(&r), ops.len(), "{r:?}");
    // Re-sent (the answer was lost): nothing is queued twice.
    hq.run(s.push(&t1.device, batch(ops), now)).unwrap();
    let f = hq.run(s.followups(None)).unwrap();
    let reasons: Vec<(&str, &str)> = f
        .iter()
        .map(|f| (f.job_id.as_str(), f.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [("V-1", "rating_declined")],
        "the customer would not rate: call back"
    );
    let month = now.format("%Y-%m").to_string();
    let with_sample = hq.run(s.followups(Some(&month))).unwrap();
    assert!(
        with_sample
            .iter()
            .any(|f| f.job_id == "V-1" && f.reason == "monthly_sample"),
        "{with_sample:?}"
    );
    assert_eq!(refusal(hq.run(s.followups(Some("2026-13")))), "bad_request");

    let due = t1.tech.job("V-1").unwrap().due_on_site().fen();
    let day = china_today();
    let rec = hq.run(s.reconciliation("T1", day)).unwrap();
    assert_eq!(rec.lines.len(), 1, "{rec:?}");
    let cash = &rec.lines[0];
    assert_eq!(
        (
            cash.method.as_str(),
            cash.issued.count,
            cash.issued.fen,
            cash.net_fen
        ),
        ("cash", 1, due, due)
    );
    assert_eq!(
        (cash.handed_in_fen, cash.difference_fen, rec.balanced),
        (0, -due, false)
    );
    let hand = |method: &str, fen: i64| hq.run(s.record_handover("T1", day, method, fen, now));
    hand("cash", due - 1).unwrap();
    hand("cash", due).unwrap(); // replaces the first figure
    let rec = hq.run(s.reconciliation("T1", day)).unwrap();
    assert_eq!(
        (
            rec.lines[0].handed_in_fen,
            rec.lines[0].difference_fen,
            rec.balanced
        ),
        (due, 0, true)
    );
    assert_eq!(refusal(hand("bitcoin", 1)), "bad_request");
    assert_eq!(refusal(hand("cash", -1)), "bad_request");
    let nobody = s.record_handover("NOBODY", day, "cash", 1, now);
    assert_eq!(refusal(hq.run(nobody)), "not_found");
    let other_day = hq
        .run(s.reconciliation("T1", day.pred_opt().unwrap()))
        .unwrap();
    assert!(other_day.lines.is_empty() && other_day.balanced);
}
on_both!(followups_and_reconciliation);

/// A complaint made on site and an old part recovered reach HQ's lists;
/// the customer's next order is marked as from a customer who complained.
fn complaints_and_old_parts(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let t1 = hq.technician("T1");
    let t = &t1.tech;
    hq.dispatch(&t1, sample::warranty_order("W-1", "T1", soon()));
    t.accept_job("W-1").unwrap();
    onsite_tests::drive_accepted_to_quote(t, "W-1").unwrap();
    let words = "上次换的压缩机又坏了";
    let complaint = Complaint {
        kind: ComplaintKind::Hard,
        words: words.into(),
    };
    t.record_complaint("W-1", complaint).unwrap();
    t.customer_consents("W-1", "王女士").unwrap();
    t.start_work("W-1").unwrap();
    t.replace_part("W-1", sample::warranty_replacement())
        .unwrap();
    let ops = t.pending_ops(MAX_PUSH_OPS).unwrap();
    let r = hq.sync(&t1);
    assert_eq!(applied(&r), ops.len(), "{r:?}");
    // Re-sent (the answer was lost): nothing is recorded twice.
    hq.run(s.push(&t1.device, batch(ops), Utc::now())).unwrap();

    let c = hq.run(s.complaints()).unwrap();
    assert_eq!(c.len(), 1);
    let order = sample::warranty_order("W-1", "T1", soon());
    assert_eq!(
        (
            c[0].job_id.as_str(),
            c[0].kind.as_str(),
            c[0].words.as_str()
        ),
        ("W-1", "hard", words)
    );
    assert_eq!(
        (&c[0].customer_name, &c[0].customer_phone),
        (&order.customer.name, &order.customer.phone)
    );
    let parts = hq.run(s.old_parts(None)).unwrap();
    let p = sample::warranty_replacement();
    assert_eq!(parts.len(), 1);
    assert_eq!(
        (
            parts[0].registration.as_str(),
            parts[0].job_id.as_str(),
            parts[0].old_serial.as_str(),
            parts[0].in_warranty
        ),
        (
            p.old_part_registration.as_deref().unwrap(),
            "W-1",
            p.old_serial.as_str(),
            true
        )
    );
    assert_eq!(hq.run(s.old_parts(Some("W-1"))).unwrap(), parts);
    assert!(hq.run(s.old_parts(Some("W-2"))).unwrap().is_empty());

    // The same customer (same phone, written differently) orders again.
    let mut next = sample::leak_order("W-2", "T1", soon());
    next.customer.phone = format!(" {} ", order.customer.phone);
    hq.run(s.create_order(next, Utc::now())).unwrap();
    assert!(
        hq.run(s.get_order("W-2", None))
            .unwrap()
            .order
            .complained_before
    );
}
on_both!(complaints_and_old_parts);

/// The code a supervisor reads out is the technician's; the centre's
/// instruction needs the dispute HQ holds and reaches the phone's feed; a
/// promised invoice waits on HQ's list.
fn charge_codes_and_invoices(b: Backend) {
    let hq = hq(&b);
    let s = &hq.db.store;
    let now = Utc::now();
    let t1 = hq.technician("T1");
    let t = &t1.tech;
    hq.dispatch(&t1, sample::leak_order("C-1", "T1", soon()));
    t.accept_job("C-1").unwrap();
    onsite_tests::drive_accepted_to_quote(t, "C-1").unwrap();
    let code = hq.run(s.charge_code("C-1", Instruction::Waive)).unwrap();
    let expected =
        onsite_core::charge::charge_code(t1.approval_key.as_bytes(), "C-1", Instruction::Waive);
    assert_eq!(code, expected);
    assert_eq!(
        refusal(hq.run(s.charge_code("C-9", Instruction::Waive))),
        "not_found"
    );
    // No dispute at HQ yet: nothing to instruct.
    let early = s.instruct_charge("C-1", Instruction::Waive, "张主管", now);
    assert_eq!(refusal(hq.run(early)), "conflict");
    let charge = t.job("C-1").unwrap().quoted_charge();
    t.dispute_charge("C-1", &sample::refused_charge(charge))
        .unwrap();
    hq.sync(&t1);
    hq.run(s.instruct_charge("C-1", Instruction::Waive, "张主管", now))
        .unwrap();
    assert_eq!(
        hq.feed("T1").last().unwrap(),
        &("C-1".to_string(), "instructed:张主管".to_string())
    );
    let again = s.instruct_charge("C-1", Instruction::Insist, "张主管", now);
    assert_eq!(refusal(hq.run(again)), "conflict");

    // An invoice promised by post, payment not yet taken.
    hq.dispatch(&t1, sample::leak_order("C-2", "T1", soon()));
    t.accept_job("C-2").unwrap();
    let acceptance = onsite_tests::refused_signature(onsite_core::visit::Rating::Satisfied, false);
    onsite_tests::drive_accepted_to_acceptance(t, "C-2", acceptance).unwrap();
    t.record_invoice("C-2", &sample::company_invoice_by_post())
        .unwrap();
    assert!(hq.run(s.pending_invoices()).unwrap().is_empty());
    hq.sync(&t1);
    let inv = hq.run(s.pending_invoices()).unwrap();
    let post = sample::company_invoice_by_post();
    assert_eq!(inv.len(), 1, "{inv:?}");
    assert_eq!(
        (
            inv[0].job_id.as_str(),
            inv[0].technician_id.as_str(),
            &inv[0].title,
            &inv[0].tax_number,
            &inv[0].delivery,
            inv[0].amount_fen
        ),
        (
            "C-2",
            "T1",
            &post.title,
            &post.tax_number,
            &post.delivery,
            None
        )
    );
}
on_both!(charge_codes_and_invoices);

// --- migrations ---------------------------------------------------------------------

/// The day the rows written by an older HQ belong to.
const OLD_DAY: &str = "2026-11-24";

/// Builds the database of `b` exactly as HQ at schema version `v` left it:
/// the first `v` steps of that database's list, and the version marker
/// where HQ keeps it.
fn build_at_version(b: &Backend, v: usize) {
    match b {
        Backend::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            for step in &migrations::SQLITE[..v] {
                c.execute_batch(step).unwrap();
            }
            c.pragma_update(None, "user_version", v as i64).unwrap();
        }
        Backend::Postgres(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            for step in &migrations::POSTGRES[..v] {
                c.batch_execute(step).unwrap();
            }
            c.batch_execute("CREATE TABLE hq_schema (version BIGINT NOT NULL)")
                .unwrap();
            c.execute("INSERT INTO hq_schema(version) VALUES ($1)", &[&(v as i64)])
                .unwrap();
        }
    }
}

/// The schema version HQ's marker says.
fn version_of(b: &Backend) -> i64 {
    let sql = match b {
        Backend::Sqlite(_) => "PRAGMA user_version",
        Backend::Postgres(_) => "SELECT version FROM hq_schema",
    };
    peek::query(&b.url(), sql, &[])[0].int(0)
}

/// Rows in each of HQ's tables, by name.
fn row_counts(b: &Backend) -> Vec<(String, i64)> {
    let tables = match b {
        Backend::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres(_) => {
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_name <> 'hq_schema' ORDER BY table_name"
        }
    };
    peek::query(&b.url(), tables, &[])
        .iter()
        .map(|r| {
            let t = r.text(0);
            let n = peek::query(&b.url(), &format!("SELECT COUNT(*) FROM {t}"), &[])[0].int(0);
            (t, n)
        })
        .collect()
}

/// The token of the device an older HQ enrolled.
const OLD_TOKEN: &str = "a-token-enrolled-before-the-upgrade";
/// The device's last applied sequence.
const OLD_SEQ: i64 = 7;

/// Writes rows an HQ at schema version `v` could have written: a technician
/// and device mid-sequence, a dispatched order with its change and an
/// applied op, a photo, receipts (at v2 and later a voided one and its
/// reissue), a block, a follow-up, a handover (the day balanced), and at v3
/// an old part.
fn write_rows_of_version(url: &str, v: usize) {
    let exec = |sql: &str, params: &[Val]| peek::exec(url, sql, params);
    let at = "2026-11-24T02:00:00.000Z";
    exec(
        "INSERT INTO technicians(technician_id, name, approval_key, created_at) VALUES ('T1', '李师傅', 'old-approval-key', $1)",
        &[at.into()],
    );
    exec(
        "INSERT INTO devices(device_id, technician_id, token_hash, last_seq, enrolled_at) VALUES ('D-1', 'T1', $1, $2, $3)",
        &[rules::hash_secret(OLD_TOKEN).into(), OLD_SEQ.into(), at.into()],
    );
    let order = sample::leak_order("OLD-1", "T1", "2026-12-01T02:00:00Z".parse().unwrap());
    let (visit, _) = onsite_core::visit::Visit::dispatched(order.clone()).unwrap();
    exec(
        "INSERT INTO orders(job_id, technician_id, status, visit, created_at, updated_at) VALUES ('OLD-1', 'T1', 'dispatched', $1, $2, $2)",
        &[serde_json::to_string(&visit).unwrap().into(), at.into()],
    );
    let change = ChangeKind::Dispatched {
        order: Box::new(order),
    };
    // As HQ wrote them: the cursor is the database's.
    exec(
        "INSERT INTO changes(technician_id, job_id, at, payload) VALUES ('T1', 'OLD-1', $1, $2)",
        &[at.into(), serde_json::to_string(&change).unwrap().into()],
    );
    exec(
        "INSERT INTO ops(op_id, device_id, seq, job_id, kind, outcome, hlc, received_at, payload)
         VALUES ('old-op-7', 'D-1', 7, 'OLD-1', 'note', 'applied', '0', $1, '{}')",
        &[at.into()],
    );
    exec(
        "INSERT INTO blobs(sha256, media_type, bytes, owner, created_at) VALUES ($1, 'image/jpeg', $2, 'T1', $3)",
        &[
            onsite_core::signature::record::content_hash(b"old photo").into(),
            Val::Bytes(b"old photo".to_vec()),
            at.into(),
        ],
    );
    exec(
        "INSERT INTO receipt_series(series, next) VALUES ('R', 101)",
        &[],
    );
    exec(
        "INSERT INTO receipt_blocks(series, first, last, device_id, granted_at) VALUES ('R', 1, 100, 'D-1', $1)",
        &[at.into()],
    );
    let receipt = "INSERT INTO receipts(number, job_id, technician_id, device_id, method, amount_fen, issued_day, received_at)
                   VALUES ($1, $2, 'T1', 'D-1', 'cash', $3, $4, $5)";
    for (number, job, fen) in [
        ("R-00000001", "J-1", 5000),
        ("EM-D-1-00000001", "J-2", 7000),
    ] {
        exec(
            receipt,
            &[
                number.into(),
                job.into(),
                fen.into(),
                OLD_DAY.into(),
                at.into(),
            ],
        );
    }
    if v >= 2 {
        // A receipt voided that day and its reissue: the columns of version 2.
        exec(
            "INSERT INTO receipts(number, job_id, technician_id, device_id, method, amount_fen, issued_day, received_at, kind, voided_day, void_reason, voided_at)
             VALUES ('R-00000002', 'J-3', 'T1', 'D-1', 'cash', 3000, $1, $2, 'original', $1, '打错金额', $2)",
            &[OLD_DAY.into(), at.into()],
        );
        exec(
            "INSERT INTO receipts(number, job_id, technician_id, device_id, method, amount_fen, issued_day, received_at, kind, refers_to)
             VALUES ('R-00000003', 'J-3', 'T1', 'D-1', 'cash', 3000, $1, $2, 'reissue', 'R-00000002')",
            &[OLD_DAY.into(), at.into()],
        );
        // HQ at version 2 classified emergency receipts itself.
        exec(
            "UPDATE receipts SET kind = 'emergency' WHERE number LIKE 'EM-%'",
            &[],
        );
    }
    exec(
        "INSERT INTO followups(job_id, reason, due_at, created_at) VALUES ('J-1', 'fix_uncertain', $1, $1)",
        &[at.into()],
    );
    exec(
        "INSERT INTO handovers(technician_id, day, method, amount_fen, recorded_at) VALUES ('T1', $1, 'cash', 12000, $2)",
        &[OLD_DAY.into(), at.into()],
    );
    if v >= 3 {
        exec(
            "INSERT INTO old_parts(registration, job_id, technician_id, part_code, description, old_serial, new_serial, in_warranty, recorded_at, received_at)
             VALUES ('JJ-OLD-1', 'J-1', 'T1', 'AP-P-001', '压缩机', 'OLD-SN', 'NEW-SN', 1, $1, $1)",
            &[at.into()],
        );
    }
}

/// A database written by HQ at every earlier schema version (1 to
/// VERSION - 1) is brought to the current version when HQ opens it: every
/// row kept, receipts classified, and HQ answers on it as on a new one
/// (the device's token and sequence, the change feed, photos, receipt
/// blocks, reconciliation, follow-ups, old parts); opening again changes
/// nothing; a database written by a newer HQ is refused, untouched.
fn every_earlier_schema_is_migrated(b: Backend) {
    for v in 1..VERSION as usize {
        // Version 1 on the suite's own database, each later one on a new one.
        let db = match &b {
            _ if v == 1 => b.clone(),
            Backend::Sqlite(path) => {
                Backend::Sqlite(path.with_file_name(format!("hq-v{v}.sqlite3")))
            }
            Backend::Postgres(_) => fresh_postgres(&format!("migrate_v{v}")),
        };
        build_at_version(&db, v);
        write_rows_of_version(&db.url(), v);
        let before = row_counts(&db);
        migrated_from(&db, v, &before);
    }
}
// Some earlier version to migrate from, or the test above tests nothing.
const _: () = assert!(VERSION >= 2);
on_both!(every_earlier_schema_is_migrated);

fn migrated_from(b: &Backend, v: usize, before: &[(String, i64)]) {
    let url = b.url();
    let db = Store::open(&url).unwrap_or_else(|e| panic!("from version {v}: {e}"));
    assert_eq!(version_of(b), VERSION, "from version {v}");
    let after = row_counts(b);
    for (table, n) in before {
        let kept = after.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
        assert_eq!(kept, Some(*n), "from version {v}: rows of {table}");
    }
    let s = &db.store;
    let day = NaiveDate::parse_from_str(OLD_DAY, "%Y-%m-%d").unwrap();

    // The money of the old day, classified and reconciled.
    let r = db.run(s.reconciliation("T1", day)).unwrap();
    assert_eq!(r.lines.len(), 1, "from version {v}: {r:?}");
    let cash = &r.lines[0];
    let kinds: Vec<(String, String)> = peek::query(
        &url,
        "SELECT number, kind FROM receipts ORDER BY number",
        &[],
    )
    .iter()
    .map(|r| (r.text(0), r.text(1)))
    .collect();
    let kind = |n: &str, k: &str| (n.to_string(), k.to_string());
    if v == 1 {
        assert_eq!((cash.issued.count, cash.issued.fen), (2, 12_000));
        assert_eq!(cash.net_fen, 12_000);
        assert_eq!(
            kinds,
            [
                kind("EM-D-1-00000001", "emergency"),
                kind("R-00000001", "original")
            ]
        );
    } else {
        assert_eq!(
            (cash.issued.count, cash.issued.fen),
            (3, 15_000),
            "from version {v}"
        );
        assert_eq!((cash.voided.count, cash.voided.fen), (1, 3_000));
        assert_eq!((cash.reissued.count, cash.reissued.fen), (1, 3_000));
        assert_eq!(cash.net_fen, 15_000);
        assert_eq!(
            kinds,
            [
                kind("EM-D-1-00000001", "emergency"),
                kind("R-00000001", "original"),
                kind("R-00000002", "original"),
                kind("R-00000003", "reissue")
            ]
        );
    }
    assert_eq!(cash.handed_in_fen, 12_000);

    // The device's token and sequence, the technician's key.
    let device = db
        .run(s.authenticate(OLD_TOKEN, chrono::Utc::now()))
        .unwrap();
    assert_eq!(
        (device.device_id.as_str(), device.technician_id.as_str()),
        ("D-1", "T1")
    );
    let key = db
        .run(s.create_technician("T1", "李师傅", Utc::now()))
        .unwrap();
    assert_eq!(key, "old-approval-key");

    // The phone's next op continues the sequence; a re-sent old one is a duplicate.
    let dir = tempfile::tempdir().unwrap();
    let tech = Technician::open(
        dir.path().join("phone.sqlite3"),
        Profile {
            technician_id: "T1".into(),
            technician_name: "李师傅".into(),
            device_id: "D-1".into(),
            approval_key: key,
        },
    )
    .unwrap();
    let page = db.run(s.pull("T1", 0, 10)).unwrap();
    assert_eq!(page.changes.len(), 1, "from version {v}: the old feed");
    tech.apply_pulled(&page).unwrap();
    tech.accept_job("OLD-1").unwrap();
    let accept = tech.pending_ops(1).unwrap().remove(0);
    let ops = vec![
        Op {
            seq: OLD_SEQ,
            op_id: "old-op-7".into(),
            ..accept.clone()
        },
        Op {
            seq: OLD_SEQ + 1,
            ..accept
        },
    ];
    let r = db.run(s.push(&device, batch(ops), Utc::now())).unwrap();
    let outcomes: Vec<Outcome> = r.results.iter().map(|o| o.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        [Outcome::Duplicate, Outcome::Applied],
        "from version {v}"
    );
    assert_eq!(
        db.run(s.get_order("OLD-1", None)).unwrap().status,
        Status::Accepted
    );

    // A new change follows the old ones in the feed.
    db.run(s.create_order(sample::leak_order("NEW-1", "T1", soon()), Utc::now()))
        .unwrap();
    let next = db.run(s.pull("T1", page.next_cursor, 10)).unwrap();
    let jobs: Vec<&str> = next.changes.iter().map(|c| c.job_id.as_str()).collect();
    assert_eq!(jobs, ["NEW-1"], "from version {v}");

    // Photos, blocks, follow-ups and old parts as they were.
    let sha = onsite_core::signature::record::content_hash(b"old photo");
    assert_eq!(
        db.run(s.get_blob(&sha, Some("T1"))).unwrap().1,
        b"old photo"
    );
    let block = db.run(s.grant_block(&device, Utc::now())).unwrap();
    assert_eq!((block.first, block.last), (101, 100 + BLOCK_SIZE));
    let f = db.run(s.followups(None)).unwrap();
    assert_eq!(
        (f.len(), f[0].reason.as_str(), f[0].detail.as_deref()),
        (1, "fix_uncertain", None)
    );
    let parts = db.run(s.old_parts(None)).unwrap();
    let registrations: Vec<&str> = parts.iter().map(|p| p.registration.as_str()).collect();
    let expected: &[&str] = if v >= 3 { &["JJ-OLD-1"] } else { &[] };
    assert_eq!(registrations, expected, "from version {v}");
    assert!(parts.iter().all(|p| p.in_warranty));
    assert!(db.run(s.complaints()).unwrap().is_empty());
    drop(db);

    // Opening again is a no-op; a database from a newer HQ is refused, untouched.
    let counts = row_counts(b);
    drop(Store::open(&url).expect("reopens"));
    assert_eq!(row_counts(b), counts);
    let newer = VERSION + 1;
    match b {
        Backend::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .pragma_update(None, "user_version", newer)
            .unwrap(),
        Backend::Postgres(_) => {
            peek::exec(&url, "UPDATE hq_schema SET version = $1", &[newer.into()]);
        }
    }
    let err = Store::open(&url).err().expect("a newer schema is refused");
    assert!(
        err.to_string().contains(&format!("version {newer}")),
        "{err}"
    );
    assert_eq!(version_of(b), newer);
    assert_eq!(row_counts(b), counts);
}

/// SQLite's and PostgreSQL's lists of steps build the same tables with the
/// same columns (name, kind of value, whether it may be empty), so the two
/// cannot drift apart.
#[test]
fn both_databases_have_the_same_schema() {
    let (_dir, sqlite) = sqlite_backend();
    let pg = fresh_postgres("same_schema");
    for b in [&sqlite, &pg] {
        drop(Store::open(&b.url()).unwrap());
    }
    let lite = peek::query(
        &sqlite.url(),
        "SELECT m.name, p.name, p.type, p.\"notnull\" OR p.pk > 0 FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        &[],
    );
    let post = peek::query(
        &pg.url(),
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'NO'
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'hq_schema'",
        &[],
    );
    let family = |t: &str| match t.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer",
        "text" => "text",
        "blob" | "bytea" => "bytes",
        other => panic!("a column type neither list should use: {other}"),
    };
    let columns = |rows: Vec<peek::Row>| -> BTreeSet<(String, String, &'static str, bool)> {
        rows.iter()
            .map(|r| (r.text(0), r.text(1), family(&r.text(2)), r.int(3) != 0))
            .collect()
    };
    let (lite, post) = (columns(lite), columns(post));
    assert!(lite.len() > 50, "{lite:?}");
    let only_lite: Vec<_> = lite.difference(&post).collect();
    let only_pg: Vec<_> = post.difference(&lite).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "SQLite only: {only_lite:?}\nPostgreSQL only: {only_pg:?}"
    );
}
