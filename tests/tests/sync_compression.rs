//! Sync bodies compressed (issue 15, item 1), over real HTTP on SQLite and
//! PostgreSQL: a phone learns from HQ's answers which codings HQ takes and
//! pushes its ops compressed (the bytes on the wire are a fraction of the
//! JSON), HQ applies every op; HQ answers compressed when asked. A body in a
//! coding HQ does not take is a 415 naming those it does; a truncated or
//! corrupt compressed body a typed 400 and nothing applied; a body that
//! would inflate past the limit a 413, refused without inflating it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_core::sync::encoding::{self, Coding};
use onsite_core::sync::protocol::{PullResponse, PushRequest, PushResponse};
use onsite_core::visit::Rating;
use onsite_tests::harness::{Backend, Hq, Phone};
use onsite_tests::proxy::{Faults, Proxy};
use onsite_tests::{drive_accepted_to_acceptance, on_both, refused_signature};
use serde_json::Value;

fn addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

/// Three visits worked to the customer's acceptance, not yet pushed.
fn worked(hq: &Hq, phone: &Phone) {
    for n in 1..=3 {
        let job = format!("CZ-{n}");
        hq.dispatch(&sample::leak_order(
            &job,
            "T-1",
            Utc::now() + Duration::hours(n),
        ));
    }
    phone.sync();
    for n in 1..=3 {
        let job = format!("CZ-{n}");
        phone.tech.accept_job(&job).unwrap();
        drive_accepted_to_acceptance(
            &phone.tech,
            &job,
            refused_signature(Rating::Satisfied, false),
        )
        .unwrap();
    }
}

fn a_phone_pushes_its_ops_compressed_and_hq_applies_them_all(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T-1", "张师傅");
    let proxy = Proxy::start(addr(&hq.url), Faults::none());
    let phone = Phone::enroll_via(&hq.url, &proxy.url, &code, "DEV-1");
    worked(&hq, &phone);
    let ops = phone.tech.pending_ops(usize::MAX).unwrap();
    let n_ops = ops.len();
    let plain = serde_json::to_vec(&PushRequest {
        ops,
        backlog: None,
        uploading: Vec::new(),
    })
    .unwrap()
    .len() as u64;
    let mut photo_bytes = 0u64;
    for sha in phone.tech.pending_blobs().unwrap() {
        photo_bytes += phone.tech.blob(&sha).unwrap().unwrap().1.len() as u64;
    }

    let up_before = proxy.bytes_up.load(std::sync::atomic::Ordering::Relaxed);
    let r = phone.sync();
    let up = proxy.bytes_up.load(std::sync::atomic::Ordering::Relaxed) - up_before;
    assert_eq!(r.ops_applied as usize, n_ops, "{r:?}");
    assert_eq!(phone.tech.outbox_len().unwrap(), 0);
    for n in 1..=3 {
        let v = hq.visit(&format!("CZ-{n}"));
        assert!(v.acceptance.is_some(), "HQ has the acceptance of CZ-{n}");
    }
    // Everything the phone sent apart from the photos (which are JPEG and
    // PNG, sent as they are): the pushes' bodies, headers included, are
    // well under half of the same ops as plain JSON.
    let ops_wire = up - photo_bytes;
    assert!(
        ops_wire * 2 < plain,
        "{ops_wire} bytes on the wire for {plain} bytes of ops"
    );
    hq.stop();
}
on_both!(a_phone_pushes_its_ops_compressed_and_hq_applies_them_all);

/// A raw HTTP client that neither asks for nor decodes compressed answers.
fn raw() -> reqwest::Client {
    reqwest::Client::builder()
        .no_zstd()
        .no_gzip()
        .build()
        .unwrap()
}

fn push_raw(
    hq: &Hq,
    token: &str,
    body: Vec<u8>,
    coding: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    push_to(hq, "/v1/sync/push", token, body, coding)
}

fn push_to(
    hq: &Hq,
    path: &str,
    token: &str,
    body: Vec<u8>,
    coding: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    hq.rt.block_on(async {
        let mut req = raw()
            .post(format!("{}{path}", hq.url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body);
        if let Some(c) = coding {
            req = req.header("content-encoding", c);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let v = res.json().await.unwrap_or(Value::Null);
        (status, headers, v)
    })
}

fn hq_decodes_what_it_takes_and_refuses_the_rest_with_a_typed_error(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T-1", "张师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-1");
    worked(&hq, &phone);
    let ops = phone.tech.pending_ops(usize::MAX).unwrap();
    let half = ops.len() / 2;
    let first = serde_json::to_vec(&PushRequest {
        ops: ops[..half].to_vec(),
        backlog: None,
        uploading: Vec::new(),
    })
    .unwrap();
    let second = serde_json::to_vec(&PushRequest {
        ops: ops[half..].to_vec(),
        backlog: None,
        uploading: Vec::new(),
    })
    .unwrap();

    // A coding HQ does not take: 415, and the answer lists what it takes.
    let (s, h, v) = push_raw(&hq, &phone.token, first.clone(), Some("br"));
    assert_eq!(
        (s, v["error"].as_str()),
        (415, Some("unsupported_encoding")),
        "{v}"
    );
    assert_eq!(h["accept-encoding"], "zstd, gzip");
    // Truncated on the way: a typed 400, nothing applied.
    let packed = encoding::encode(Coding::Zstd, &first).unwrap();
    let (s, _, v) = push_raw(
        &hq,
        &phone.token,
        packed[..packed.len() - 7].to_vec(),
        Some("zstd"),
    );
    assert_eq!((s, v["error"].as_str()), (400, Some("bad_request")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("zstd"), "{v}");
    // A few kilobytes that would inflate to 64 MiB: refused as too large.
    let bomb = encoding::encode(Coding::Gzip, &vec![b' '; 64 << 20]).unwrap();
    assert!(bomb.len() < 200 << 10);
    let (s, _, v) = push_raw(&hq, &phone.token, bomb, Some("gzip"));
    assert_eq!((s, v["error"].as_str()), (413, Some("too_large")), "{v}");

    // Whole, in zstd then in gzip: every op applied once, in order.
    let (s, h, v) = push_raw(&hq, &phone.token, packed, Some("zstd"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(h["accept-encoding"], "zstd, gzip");
    let r: PushResponse = serde_json::from_value(v).unwrap();
    assert_eq!(r.last_applied_seq, ops[half - 1].seq);
    assert_eq!(r.results.len(), half);
    // Every op settled as the plain body would be (this raw client never
    // uploaded the photos, so the ops naming one are refused for that).
    let applied = r
        .results
        .iter()
        .filter(|o| o.outcome == onsite_core::sync::protocol::Outcome::Applied)
        .count();
    assert!(applied + 3 >= half, "{:?}", r.results);
    // Asked to, HQ lists only what it did not apply (the way back shrinks too).
    let gz = encoding::encode(Coding::Gzip, &second).unwrap();
    let (s, _, v) = push_to(
        &hq,
        "/v1/sync/push?omit_applied=true",
        &phone.token,
        gz,
        Some("gzip"),
    );
    assert_eq!(s, 200, "{v}");
    let r: PushResponse = serde_json::from_value(v).unwrap();
    assert_eq!(r.last_applied_seq, ops.last().unwrap().seq);
    assert!(r.applied_omitted);
    assert!(
        !r.results.is_empty()
            && r.results
                .iter()
                .all(|o| o.outcome != onsite_core::sync::protocol::Outcome::Applied),
        "{:?}",
        r.results
    );

    // HQ answers compressed when asked, and only then.
    let pull = |accept: Option<&str>| {
        hq.rt.block_on(async {
            let mut req = raw()
                .get(format!("{}/v1/sync/pull?cursor=0", hq.url))
                .bearer_auth(&phone.token);
            if let Some(a) = accept {
                req = req.header("accept-encoding", a);
            }
            let res = req.send().await.unwrap();
            let coding = res
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string());
            (coding, res.bytes().await.unwrap().to_vec())
        })
    };
    let (coding, plain) = pull(None);
    assert_eq!(coding, None);
    let (coding, zstd) = pull(Some("zstd, gzip"));
    assert_eq!(coding.as_deref(), Some("zstd"));
    assert!(
        zstd.len() * 3 < plain.len(),
        "{} vs {}",
        zstd.len(),
        plain.len()
    );
    let page: PullResponse =
        serde_json::from_slice(&encoding::decode(Coding::Zstd, &zstd, 16 << 20).unwrap()).unwrap();
    assert_eq!(page.changes.len(), 3);
    let (coding, _) = pull(Some("gzip"));
    assert_eq!(coding.as_deref(), Some("gzip"));
    hq.stop();
}
on_both!(hq_decodes_what_it_takes_and_refuses_the_rest_with_a_typed_error);
