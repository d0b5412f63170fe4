//! A loopback TCP proxy that injects network faults between a phone and HQ:
//! it drops connections, stalls them, or forwards the request and then throws
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
    pub stall_for: Duration,
    /// The first N connections lose their answer, whatever the shares say.
    pub lose_first_responses: usize,
    pub seed: u64,
}

impl Faults {
    pub fn none() -> Faults {
        Faults {
            drop: 0.0,
            stall: 0.0,
            lose_response: 0.0,
            stall_for: Duration::from_millis(0),
            lose_first_responses: 0,
            seed: 1,
        }
    }
}

enum Fate {
    Pass,
    Drop,
    Stall,
    LoseResponse,
}

pub struct Proxy {
    pub url: String,
    pub connections: Arc<AtomicUsize>,
    pub faulted: Arc<AtomicUsize>,
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
        rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = c2.fetch_add(1, Ordering::SeqCst);
                let r = next_unit(&state);
                let fate = if n < faults.lose_first_responses {
                    Fate::LoseResponse
                } else if r < faults.drop {
                    Fate::Drop
                } else if r < faults.drop + faults.stall {
                    Fate::Stall
                } else if r < faults.drop + faults.stall + faults.lose_response {
                    Fate::LoseResponse
                } else {
                    Fate::Pass
                };
                if !matches!(fate, Fate::Pass) {
                    f2.fetch_add(1, Ordering::SeqCst);
                }
                tokio::spawn(handle(client, upstream, fate, faults.stall_for));
            }
        });
        Proxy {
            url,
            connections,
            faulted,
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

async fn handle(mut client: TcpStream, upstream: SocketAddr, fate: Fate, stall_for: Duration) {
    match fate {
        Fate::Drop => drop(client),
        Fate::Stall => {
            tokio::time::sleep(stall_for).await;
            drop(client);
        }
        Fate::Pass => {
            if let Ok(mut up) = TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
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

/// Sends raw bytes to an address and returns what came back (for malformed-request tests).
pub async fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    out
}
