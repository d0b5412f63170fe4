//! The phone's store key on a machine without a platform keystore (the demo).
//!
//! A phone keeps the 256-bit key in its keystore (Android Keystore, iOS
//! Keychain). The CLI takes it from `ONSITE_STORE_KEY` (64 hex digits) when
//! set; otherwise from the key file beside the store, `<store>.key` (64 hex
//! digits), which it creates once from the OS's secure random source,
//! readable and writable by its owner only (0600). Anyone who can read the
//! key file can decrypt the store: keep it where the store's readers are not.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use onsite_core::StoreKey;

/// The environment variable that gives the key instead of a key file.
pub const ENV: &str = "ONSITE_STORE_KEY";

/// The key file beside `store`.
pub fn key_file(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".key");
    PathBuf::from(p)
}

/// The key of the store at `store`: from [`ENV`], or its key file (created
/// once).
pub fn for_store(store: &Path) -> Result<StoreKey> {
    if let Ok(hex_key) = std::env::var(ENV) {
        return parse(&hex_key).with_context(|| format!("{ENV} is not a store key"));
    }
    let file = key_file(store);
    match std::fs::read_to_string(&file) {
        Ok(text) => parse(&text).with_context(|| format!("{} is not a store key", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(&file),
        Err(e) => Err(e).with_context(|| format!("reading the key file {}", file.display())),
    }
}

fn parse(text: &str) -> Result<StoreKey> {
    let bytes = zeroize::Zeroizing::new(hex::decode(text.trim())?);
    if bytes.len() != StoreKey::LEN {
        bail!("expected {} hex digits", 2 * StoreKey::LEN);
    }
    Ok(StoreKey::from_bytes(&bytes)?)
}

fn create(file: &Path) -> Result<StoreKey> {
    let key = StoreKey::generate()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(file)
        .with_context(|| format!("creating the key file {}", file.display()))?;
    let text = zeroize::Zeroizing::new(hex::encode(key.as_bytes()));
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing the key file {}", file.display()))?;
    Ok(key)
}
