//! A loopback TCP proxy that injects network faults between a phone and HQ:
//! it drops connections, stalls them, delays them, cuts the request short,
//! sends the request to HQ twice, or forwards the request and then throws
//! HQ's answer away (HQ applied it, the phone never heard). Seeded, so a
//! failing run can be replayed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Share of connections closed at once.
    pub drop: f64,
    /// Share of connections held silent for `stall`, then closed.
    pub stall: f64,
    /// Share of connections whose request reaches HQ but whose answer is lost.
    pub lose_response: f64,
    /// Share of connections passed on after a random delay of up to `stall_for`.
    pub delay: f64,
    /// Share of connections whose request is cut off halfway, then closed.
    pub truncate: f64,
    /// Share of connections whose request HQ receives twice (one answer comes back).
    pub duplicate: f64,
    /// Serve one request per client connection (closing it after the answer),
    /// so that a client that keeps connections alive still meets a fate per request.
    pub per_request: bool,
    pub stall_for: Duration,
    /// The first N connections lose their answer, whatever the shares say.
    pub lose_first_responses: usize,
    /// The first N pushes (`POST /v1/sync/push`) reach HQ and lose their
    /// answer, so the push itself is retried (needs `per_request`).
    pub lose_first_pushes: usize,
    pub seed: u64,
}

impl Faults {
    pub fn none() -> Faults {
        Faults {
            drop: 0.0,
            stall: 0.0,
            lose_response: 0.0,
            delay: 0.0,
            truncate: 0.0,
            duplicate: 0.0,
            per_request: false,
            stall_for: Duration::from_millis(0),
            lose_first_responses: 0,
            lose_first_pushes: 0,
            seed: 1,
        }
    }
}

enum Fate {
    Pass,
    Drop,
    Stall,
    LoseResponse,
    Delay(Duration),
    Truncate,
    Duplicate,
}

pub struct Proxy {
    pub url: String,
    pub connections: Arc<AtomicUsize>,
    pub faulted: Arc<AtomicUsize>,
    /// Bytes passed phone -> HQ and HQ -> phone on connections that went through whole.
    pub bytes_up: Arc<AtomicU64>,
    pub bytes_down: Arc<AtomicU64>,
    _rt: tokio::runtime::Runtime,
}

impl Proxy {
    pub fn start(upstream: SocketAddr, faults: Faults) -> Proxy {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let faulted = Arc::new(AtomicUsize::new(0));
        let state = Arc::new(AtomicU64::new(faults.seed | 1));
        let (c2, f2) = (connections.clone(), faulted.clone());
        let pushes = Arc::new(AtomicUsize::new(0));
        let bytes_up = Arc::new(AtomicU64::new(0));
        let bytes_down = Arc::new(AtomicU64::new(0));
        let counters = (bytes_up.clone(), bytes_down.clone());
        rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = c2.fetch_add(1, Ordering::SeqCst);
                let r = next_unit(&state);
                let bands = [
                    faults.drop,
                    faults.stall,
                    faults.lose_response,
                    faults.delay,
                    faults.truncate,
                    faults.duplicate,
                ];
                let mut band = bands.len();
                let mut edge = 0.0;
                for (i, share) in bands.iter().enumerate() {
                    edge += share;
                    if r < edge {
                        band = i;
                        break;
                    }
                }
                let fate = if n < faults.lose_first_responses {
                    Fate::LoseResponse
                } else {
                    match band {
                        0 => Fate::Drop,
                        1 => Fate::Stall,
                        2 => Fate::LoseResponse,
                        3 => Fate::Delay(faults.stall_for.mul_f64(next_unit(&state))),
                        4 => Fate::Truncate,
                        5 => Fate::Duplicate,
                        _ => Fate::Pass,
                    }
                };
                if !matches!(fate, Fate::Pass) {
                    f2.fetch_add(1, Ordering::SeqCst);
                }
                tokio::spawn(handle(
                    client,
                    upstream,
                    fate,
                    faults.stall_for,
                    faults.per_request,
                    counters.clone(),
                    (pushes.clone(), faults.lose_first_pushes, f2.clone()),
                ));
            }
        });
        Proxy {
            url,
            connections,
            faulted,
            bytes_up,
            bytes_down,
            _rt: rt,
        }
    }
}

fn next_unit(state: &AtomicU64) -> f64 {
    let mut x = state.load(Ordering::SeqCst);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    state.store(x, Ordering::SeqCst);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

async fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    fate: Fate,
    stall_for: Duration,
    per_request: bool,
    counters: (Arc<AtomicU64>, Arc<AtomicU64>),
    (pushes, lose_pushes, faulted): (Arc<AtomicUsize>, usize, Arc<AtomicUsize>),
) {
    match fate {
        Fate::Pass | Fate::Delay(_) if per_request => {
            if let Fate::Delay(d) = fate {
                tokio::time::sleep(d).await;
            }
            let request = read_request(&mut client).await;
            if request.is_empty() {
                return;
            }
            if request.starts_with(b"POST /v1/sync/push")
                && pushes.fetch_add(1, Ordering::SeqCst) < lose_pushes
            {
                // HQ applies the push; the phone never hears it.
                faulted.fetch_add(1, Ordering::SeqCst);
                let _ = exchange(upstream, &request).await;
                return;
            }
            if let Some(answer) = exchange(upstream, &request).await {
                let _ = client.write_all(&answer).await;
            }
        }
        Fate::Drop => drop(client),
        Fate::Stall => {
            tokio::time::sleep(stall_for).await;
            drop(client);
        }
        Fate::Pass => pass(client, upstream, &counters).await,
        Fate::Delay(d) => {
            tokio::time::sleep(d).await;
            pass(client, upstream, &counters).await;
        }
        Fate::Truncate => {
            let request = read_request(&mut client).await;
            if let Ok(mut up) = TcpStream::connect(upstream).await {
                let _ = up.write_all(&request[..request.len() / 2]).await;
            }
        }
        Fate::Duplicate => {
            let request = read_request(&mut client).await;
            if request.is_empty() {
                return;
            }
            // HQ gets the same request twice; the phone hears the second answer.
            let _ = exchange(upstream, &request).await;
            if let Some(answer) = exchange(upstream, &request).await {
                let _ = client.write_all(&answer).await;
            }
        }
        Fate::LoseResponse => {
            let Ok(up) = TcpStream::connect(upstream).await else {
                return;
            };
            let (mut cr, _cw) = client.into_split();
            let (mut ur, mut uw) = up.into_split();
            // Forward the request; once HQ starts answering and then falls
            // quiet, hang up on the client without passing the answer on.
            let fwd = tokio::spawn(async move {
                let _ = tokio::io::copy(&mut cr, &mut uw).await;
            });
            let mut buf = vec![0u8; 64 * 1024];
            let mut got_any = false;
            loop {
                let wait = if got_any { 150 } else { 10_000 };
                match tokio::time::timeout(Duration::from_millis(wait), ur.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                    Ok(Ok(_)) => got_any = true,
                }
            }
            fwd.abort();
        }
    }
}

async fn pass(
    client: TcpStream,
    upstream: SocketAddr,
    counters: &(Arc<AtomicU64>, Arc<AtomicU64>),
) {
    let Ok(up) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = up.into_split();
    // Count as bytes flow, so a kept-alive connection is counted before it closes.
    let (to_hq, to_phone) = (counters.0.clone(), counters.1.clone());
    let up_dir = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = cr.read(&mut buf).await {
            if n == 0 || uw.write_all(&buf[..n]).await.is_err() {
                break;
            }
            to_hq.fetch_add(n as u64, Ordering::SeqCst);
        }
        let _ = uw.shutdown().await;
    };
    let down_dir = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = ur.read(&mut buf).await {
            if n == 0 || cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
            to_phone.fetch_add(n as u64, Ordering::SeqCst);
        }
        let _ = cw.shutdown().await;
    };
    tokio::join!(up_dir, down_dir);
}

/// Reads one HTTP request (headers and a Content-Length body) from the client.
async fn read_request(client: &mut TcpStream) -> Vec<u8> {
    read_message(client).await
}

/// Reads one HTTP/1.1 message: headers, then a Content-Length body (or until
/// the peer closes or falls quiet, for anything else).
async fn read_message(client: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let wait = if buf.is_empty() { 10_000 } else { 2_000 };
        let read = tokio::time::timeout(Duration::from_millis(wait), client.read(&mut chunk)).await;
        match read {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return buf,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let chunked = head.contains("transfer-encoding: chunked");
            match len {
                Some(len) if buf.len() >= end + 4 + len => return buf,
                None if !chunked => return buf,
                None if buf.ends_with(b"0\r\n\r\n") => return buf,
                _ => {}
            }
        }
    }
}

/// One request on a fresh upstream connection; the answer until HQ closes or falls quiet.
async fn exchange(upstream: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await.ok()?;
    up.write_all(request).await.ok()?;
    let answer = read_message(&mut up).await;
    (!answer.is_empty()).then_some(answer)
}

/// Sends raw bytes to an address and returns what came back (for malformed-request tests).
pub async fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    out
}
