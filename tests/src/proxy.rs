//! A loopback TCP proxy that injects network faults between a phone and HQ:
//! it drops requests, stalls them, delays them, cuts them short, sends them
//! to HQ twice, or forwards them and then throws HQ's answer away (HQ applied
//! it, the phone never heard).
//!
//! Faults are per request: the proxy serves one request per client
//! connection (closing it after the answer), so a client that keeps its
//! connection alive still meets a fate on every request. The fate of the
//! request with index `i` (in arrival order) is a pure function of the seed
//! and `i` ([`Faults::fate`]), so a failing run's schedule replays from its
//! seed. Every request served is logged with its fate, for the tests to
//! assert that each kind of fault actually happened.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Share of requests closed without an answer, never forwarded.
    pub drop: f64,
    /// Share of requests held silent for `stall_for`, then closed.
    pub stall: f64,
    /// Share of requests that reach HQ but whose answer is lost.
    pub lose_response: f64,
    /// Share of requests passed on after a delay of up to `stall_for`.
    pub delay: f64,
    /// Share of requests cut off halfway on the way to HQ, then closed.
    pub truncate: f64,
    /// Share of requests HQ receives twice (one answer comes back).
    pub duplicate: f64,
    pub stall_for: Duration,
    /// The first N requests lose their answer, whatever the shares say.
    pub lose_first_responses: usize,
    /// The first N pushes (`POST /v1/sync/push`) reach HQ and lose their
    /// answer, so the push itself is retried.
    pub lose_first_pushes: usize,
    /// Photo chunks (`PATCH /v1/uploads/...`) after the first N are dropped
    /// unforwarded: the link dies in the middle of the photos.
    pub drop_chunks_after: Option<usize>,
    pub seed: u64,
}

impl Faults {
    /// No faults: the proxy passes connections through whole and only counts bytes.
    pub fn none() -> Faults {
        Faults {
            drop: 0.0,
            stall: 0.0,
            lose_response: 0.0,
            delay: 0.0,
            truncate: 0.0,
            duplicate: 0.0,
            stall_for: Duration::from_millis(0),
            lose_first_responses: 0,
            lose_first_pushes: 0,
            drop_chunks_after: None,
            seed: 1,
        }
    }

    fn is_none(&self) -> bool {
        let shares = [
            self.drop,
            self.stall,
            self.lose_response,
            self.delay,
            self.truncate,
            self.duplicate,
        ];
        shares.iter().all(|s| *s <= 0.0)
            && self.lose_first_responses == 0
            && self.lose_first_pushes == 0
            && self.drop_chunks_after.is_none()
    }

    /// The fate of the request with index `index`, from the seed alone
    /// (before `lose_first_pushes`, which depends on which requests are pushes).
    pub fn fate(&self, index: usize) -> Fate {
        if index < self.lose_first_responses {
            return Fate::LoseResponse;
        }
        let r = unit(self.seed, index, 0);
        let bands = [
            (self.drop, Fate::Drop),
            (self.stall, Fate::Stall),
            (self.lose_response, Fate::LoseResponse),
            (self.delay, Fate::Delay),
            (self.truncate, Fate::Truncate),
            (self.duplicate, Fate::Duplicate),
        ];
        let mut edge = 0.0;
        for (share, fate) in bands {
            edge += share;
            if r < edge {
                return fate;
            }
        }
        Fate::Pass
    }

    /// The fates of requests `0..n`: what a replay of this seed deals out.
    pub fn schedule(&self, n: usize) -> Vec<Fate> {
        (0..n).map(|i| self.fate(i)).collect()
    }

    /// How long a delayed request `index` waits.
    fn delay_of(&self, index: usize) -> Duration {
        self.stall_for.mul_f64(unit(self.seed, index, 1))
    }
}

/// What the proxy did with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fate {
    Pass,
    Drop,
    Stall,
    LoseResponse,
    Delay,
    Truncate,
    Duplicate,
}

impl Fate {
    /// Every fault kind (every fate but `Pass`).
    pub const FAULTS: [Fate; 6] = [
        Fate::Drop,
        Fate::Stall,
        Fate::LoseResponse,
        Fate::Delay,
        Fate::Truncate,
        Fate::Duplicate,
    ];
}

/// One request the proxy served: its index, whether it was a push, its fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub index: usize,
    pub push: bool,
    pub fate: Fate,
    /// The request line (`PATCH /v1/uploads/<sha256> HTTP/1.1`).
    pub line: String,
    /// A photo chunk's `Upload-Offset`.
    pub upload_offset: Option<u64>,
}

impl Served {
    /// A photo chunk's blob, if this request was one.
    pub fn chunk_of(&self) -> Option<&str> {
        self.line
            .strip_prefix("PATCH /v1/uploads/")
            .and_then(|rest| rest.split(' ').next())
    }
}

pub struct Proxy {
    pub url: String,
    log: Arc<Mutex<Vec<Served>>>,
    /// Bytes passed phone -> HQ and HQ -> phone (pass-through mode only).
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
        let log = Arc::new(Mutex::new(Vec::new()));
        let bytes_up = Arc::new(AtomicU64::new(0));
        let bytes_down = Arc::new(AtomicU64::new(0));
        let counters = (bytes_up.clone(), bytes_down.clone());
        let log2 = log.clone();
        rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if faults.is_none() {
                    tokio::spawn(pass(client, upstream, counters.clone()));
                } else {
                    tokio::spawn(serve_one(client, upstream, faults, log2.clone()));
                }
            }
        });
        Proxy {
            url,
            log,
            bytes_up,
            bytes_down,
            _rt: rt,
        }
    }

    /// Every request served so far, in index order.
    pub fn served(&self) -> Vec<Served> {
        self.log.lock().unwrap().clone()
    }

    /// How many requests met `fate`.
    pub fn count(&self, fate: Fate) -> usize {
        self.served().iter().filter(|s| s.fate == fate).count()
    }

    /// How many requests met any fault.
    pub fn faulted(&self) -> usize {
        self.served()
            .iter()
            .filter(|s| s.fate != Fate::Pass)
            .count()
    }

    /// How many pushes met a fault.
    pub fn faulted_pushes(&self) -> usize {
        self.served()
            .iter()
            .filter(|s| s.push && s.fate != Fate::Pass)
            .count()
    }
}

/// A uniform number in [0, 1) for (seed, index, salt): splitmix64 of the three.
pub(crate) fn unit(seed: u64, index: usize, salt: u64) -> f64 {
    let mut z = seed
        .wrapping_add((index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(salt.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Reads one request, gives it the next index and its fate, and carries the fate out.
async fn serve_one(
    mut client: TcpStream,
    upstream: SocketAddr,
    faults: Faults,
    log: Arc<Mutex<Vec<Served>>>,
) {
    let request = read_message(&mut client).await;
    if request.is_empty() {
        return;
    }
    let push = request.starts_with(b"POST /v1/sync/push");
    let (line, upload_offset) = head_of(&request);
    let (index, fate) = {
        let mut log = log.lock().unwrap();
        let index = log.len();
        let pushes = log.iter().filter(|s| s.push).count();
        let chunks = log.iter().filter(|s| s.chunk_of().is_some()).count();
        let chunk = line.starts_with("PATCH /v1/uploads/");
        let fate = if push && pushes < faults.lose_first_pushes {
            Fate::LoseResponse
        } else if chunk && faults.drop_chunks_after.is_some_and(|n| chunks >= n) {
            Fate::Drop
        } else {
            faults.fate(index)
        };
        log.push(Served {
            index,
            push,
            fate,
            line,
            upload_offset,
        });
        (index, fate)
    };
    match fate {
        Fate::Pass => {
            if let Some(answer) = exchange(upstream, &request).await {
                let _ = client.write_all(&answer).await;
            }
        }
        Fate::Delay => {
            tokio::time::sleep(faults.delay_of(index)).await;
            if let Some(answer) = exchange(upstream, &request).await {
                let _ = client.write_all(&answer).await;
            }
        }
        Fate::Drop => {}
        Fate::Stall => tokio::time::sleep(faults.stall_for).await,
        Fate::LoseResponse => {
            // HQ applies the request; the phone never hears it.
            let _ = exchange(upstream, &request).await;
        }
        Fate::Truncate => {
            if let Ok(mut up) = TcpStream::connect(upstream).await {
                let _ = up.write_all(&request[..request.len() / 2]).await;
            }
        }
        Fate::Duplicate => {
            // HQ gets the same request twice; the phone hears the second answer.
            let _ = exchange(upstream, &request).await;
            if let Some(answer) = exchange(upstream, &request).await {
                let _ = client.write_all(&answer).await;
            }
        }
    }
}

/// A request's first line and its `Upload-Offset` header, if any.
fn head_of(request: &[u8]) -> (String, Option<u64>) {
    let end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(request.len());
    let head = String::from_utf8_lossy(&request[..end]);
    let mut lines = head.lines();
    let line = lines.next().unwrap_or_default().to_string();
    let offset = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("upload-offset"))
        .and_then(|(_, v)| v.trim().parse().ok());
    (line, offset)
}

/// Passes a connection through whole, counting bytes as they flow.
async fn pass(client: TcpStream, upstream: SocketAddr, counters: (Arc<AtomicU64>, Arc<AtomicU64>)) {
    let Ok(up) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = up.into_split();
    // Count as bytes flow, so a kept-alive connection is counted before it closes.
    let (to_hq, to_phone) = counters;
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
