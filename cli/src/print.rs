//! `onsite print FILE --to HOST[:PORT]`: raw TCP to a network thermal printer
//! (the "JetDirect" port 9100 that nearly all of them listen on).

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

pub const DEFAULT_PORT: u16 = 9100;

pub fn run(file: &Path, to: &str) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if let Err(e) = onsite_core::documents::escpos::decode(&bytes) {
        bail!(
            "{} is not an ESC/POS stream Onsite can vouch for: {e}",
            file.display()
        );
    }
    let target = if to.contains(':') {
        to.to_string()
    } else {
        format!("{to}:{DEFAULT_PORT}")
    };
    let addr = target
        .to_socket_addrs()
        .with_context(|| format!("{target:?} is not a printer address"))?
        .next()
        .with_context(|| format!("{target:?} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| {
        anyhow::anyhow!("no printer answers at {target} ({e}); is it on, on this network, and listening on raw TCP port {DEFAULT_PORT}?")
    })?;
    stream.set_write_timeout(Some(Duration::from_secs(20)))?;
    stream
        .write_all(&bytes)
        .with_context(|| format!("sending to {target}"))?;
    stream.flush()?;
    println!("sent {} bytes to {target}", bytes.len());
    Ok(())
}
