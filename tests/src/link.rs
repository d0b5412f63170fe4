//! A loopback proxy that behaves like a technician's mobile link: limited
//! bandwidth each way, a round-trip latency, a share of requests dropped
//! part-way and a disconnect at a fixed period (every connection in flight
//! is cut and, for a moment, none gets through).
//!
//! The model, per request (the proxy serves one request per connection, as
//! [`crate::proxy`] does, so every request meets the link on its own):
//!
//! - Bandwidth: the request's bytes cross the uplink and the answer's the
//!   downlink at `bytes_per_sec` each, shared by every connection (one phone,
//!   one radio), paced in 4 KiB steps.
//! - Latency: half the round trip before the request reaches HQ, half before
//!   the answer starts back (a kept-alive connection: no handshake added).
//! - Loss: a request dropped (`drop` of them, a pure function of the seed and
//!   its index) is cut after a random share of its bytes crossed: those bytes
//!   were spent, nothing reached HQ.
//! - Disconnects: at every multiple of `disconnect_every` since the link came
//!   up, connections in flight are cut wherever they are (a request half sent
//!   never reaches HQ; an answer half received is lost though HQ acted), and
//!   for `outage` no connection gets through.
//!
//! Every byte that crossed the link is counted, so a figure can compare what
//! a sync spent with what it had to send.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::proxy::unit;

/// A link's character.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Each way, shared by all connections.
    pub bytes_per_sec: u64,
    pub round_trip: Duration,
    /// Share of requests cut part-way.
    pub drop: f64,
    pub disconnect_every: Option<Duration>,
    /// How long each disconnect lasts.
    pub outage: Duration,
    pub seed: u64,
}

impl Shape {
    /// 3G in a basement: 32 KB/s, 400 ms, 3% of requests dropped, a
    /// disconnect of 1 s every 20 s.
    pub fn weak_3g(seed: u64) -> Shape {
        Shape {
            bytes_per_sec: 32 * 1024,
            round_trip: Duration::from_millis(400),
            drop: 0.03,
            disconnect_every: Some(Duration::from_secs(20)),
            outage: Duration::from_secs(1),
            seed,
        }
    }

    /// The same at 2G-like 8 KB/s.
    pub fn edge_2g(seed: u64) -> Shape {
        Shape {
            bytes_per_sec: 8 * 1024,
            ..Shape::weak_3g(seed)
        }
    }
}

/// One direction of the link: when it is next free.
struct Pipe {
    bytes_per_sec: u64,
    free_at: Mutex<Instant>,
}

impl Pipe {
    /// Waits until `n` more bytes have crossed.
    async fn carry(&self, n: usize) {
        let cost = Duration::from_secs_f64(n as f64 / self.bytes_per_sec.max(1) as f64);
        let done = {
            let mut free = self.free_at.lock().unwrap();
            let start = (*free).max(Instant::now());
            *free = start + cost;
            *free
        };
        tokio::time::sleep_until(done).await;
    }
}

struct State {
    shape: Shape,
    up: Pipe,
    down: Pipe,
    born: Instant,
    requests: AtomicUsize,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    dropped: AtomicUsize,
    cut: AtomicUsize,
}

impl State {
    /// The disconnect period `at` falls in (0 before the first).
    fn epoch(&self, at: Instant) -> u64 {
        match self.shape.disconnect_every {
            Some(every) if !every.is_zero() => {
                (at.duration_since(self.born).as_secs_f64() / every.as_secs_f64()) as u64
            }
            _ => 0,
        }
    }

    /// Whether `at` is inside a disconnect's outage.
    fn in_outage(&self, at: Instant) -> bool {
        match self.shape.disconnect_every {
            Some(every) if !every.is_zero() => {
                let since = at.duration_since(self.born).as_secs_f64();
                let into = since % every.as_secs_f64();
                since >= every.as_secs_f64() && into < self.shape.outage.as_secs_f64()
            }
            _ => false,
        }
    }
}

/// A shaped link to `upstream` on a loopback port of its own.
pub struct Link {
    pub url: String,
    state: Arc<State>,
    _rt: tokio::runtime::Runtime,
}

/// What crossed a link so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crossed {
    pub requests: usize,
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Requests the link dropped part-way.
    pub dropped: usize,
    /// Requests or answers cut by a disconnect.
    pub cut: usize,
}

impl Link {
    pub fn start(upstream: SocketAddr, shape: Shape) -> Link {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            shape,
            up: Pipe {
                bytes_per_sec: shape.bytes_per_sec,
                free_at: Mutex::new(rt.block_on(async { Instant::now() })),
            },
            down: Pipe {
                bytes_per_sec: shape.bytes_per_sec,
                free_at: Mutex::new(rt.block_on(async { Instant::now() })),
            },
            born: rt.block_on(async { Instant::now() }),
            requests: AtomicUsize::new(0),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
            dropped: AtomicUsize::new(0),
            cut: AtomicUsize::new(0),
        });
        let s = state.clone();
        rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream, s.clone()));
            }
        });
        Link {
            url,
            state,
            _rt: rt,
        }
    }

    pub fn crossed(&self) -> Crossed {
        let s = &self.state;
        Crossed {
            requests: s.requests.load(Ordering::SeqCst),
            bytes_up: s.bytes_up.load(Ordering::SeqCst),
            bytes_down: s.bytes_down.load(Ordering::SeqCst),
            dropped: s.dropped.load(Ordering::SeqCst),
            cut: s.cut.load(Ordering::SeqCst),
        }
    }
}

const STEP: usize = 4096;

async fn serve(mut client: TcpStream, upstream: SocketAddr, s: Arc<State>) {
    let started = Instant::now();
    if s.in_outage(started) {
        return;
    }
    let epoch = s.epoch(started);
    let index = s.requests.fetch_add(1, Ordering::SeqCst);
    let dropped = unit(s.shape.seed, index, 1) < s.shape.drop;
    let cut_share = unit(s.shape.seed, index, 2);
    let alive = |s: &State| s.epoch(Instant::now()) == epoch;

    // The request crosses the uplink as it arrives.
    let mut request = Vec::new();
    let mut buf = vec![0u8; STEP];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(30), client.read(&mut buf)).await;
        let n = match read {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(n)) => n,
        };
        s.up.carry(n).await;
        s.bytes_up.fetch_add(n as u64, Ordering::SeqCst);
        request.extend_from_slice(&buf[..n]);
        if !alive(&s) {
            s.cut.fetch_add(1, Ordering::SeqCst);
            return;
        }
        let total = message_len(&request);
        if dropped {
            let at = total.map_or(request.len() + 1, |t| (t as f64 * cut_share) as usize);
            if request.len() >= at {
                s.dropped.fetch_add(1, Ordering::SeqCst);
                return;
            }
        }
        if total.is_some_and(|t| request.len() >= t) {
            break;
        }
    }
    tokio::time::sleep(s.shape.round_trip / 2).await;
    if !alive(&s) {
        s.cut.fetch_add(1, Ordering::SeqCst);
        return;
    }
    let Some(answer) = exchange(upstream, &request).await else {
        return;
    };
    tokio::time::sleep(s.shape.round_trip / 2).await;
    for piece in answer.chunks(STEP) {
        if !alive(&s) {
            s.cut.fetch_add(1, Ordering::SeqCst);
            return;
        }
        s.down.carry(piece.len()).await;
        s.bytes_down.fetch_add(piece.len() as u64, Ordering::SeqCst);
        if client.write_all(piece).await.is_err() {
            return;
        }
    }
    let _ = client.shutdown().await;
}

/// The whole length of an HTTP/1.1 request once its head is in (head plus
/// `Content-Length`), or `None` before.
fn message_len(buf: &[u8]) -> Option<usize> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    Some(end + 4 + len)
}

/// One request on a fresh upstream connection; the answer until HQ closes.
async fn exchange(upstream: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await.ok()?;
    up.write_all(request).await.ok()?;
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // HQ's first byte may take a while; after it, a quiet upstream is done.
        let wait = if answer.is_empty() { 30 } else { 2 };
        let read = tokio::time::timeout(Duration::from_secs(wait), up.read(&mut buf)).await;
        match read {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
        }
        if answer_done(&answer) {
            break;
        }
    }
    (!answer.is_empty()).then_some(answer)
}

/// Whether an answer is whole: its head and `Content-Length` bytes, the
/// last chunk of a chunked body (HQ's compressed answers), or the head alone
/// for a 204 or 304.
fn answer_done(buf: &[u8]) -> bool {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    if head.contains("transfer-encoding: chunked") {
        return buf.len() >= end + 4 + 5 && buf.ends_with(b"0\r\n\r\n");
    }
    let bodiless = head
        .lines()
        .next()
        .is_some_and(|l| l.contains(" 204 ") || l.contains(" 304 "));
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .or(bodiless.then_some(0));
    len.is_some_and(|len| buf.len() >= end + 4 + len)
}
