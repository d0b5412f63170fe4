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
    match existing(store)? {
        Some(key) => Ok(key),
        None => create(&key_file(store)),
    }
}

/// The key from [`ENV`] or the key file, if there is one.
fn existing(store: &Path) -> Result<Option<StoreKey>> {
    if let Ok(hex_key) = std::env::var(ENV) {
        return parse(&hex_key)
            .map(Some)
            .with_context(|| format!("{ENV} is not a store key"));
    }
    let file = key_file(store);
    match std::fs::read_to_string(&file) {
        Ok(text) => parse(&text)
            .map(Some)
            .with_context(|| format!("{} is not a store key", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading the key file {}", file.display())),
    }
}

/// `onsite store ...`: a phone's store file read with its key.
#[derive(clap::Subcommand)]
pub enum StoreCommand {
    /// Print the outbox as the store holds it, one op a line:
    /// seq|op_id|job_id|kind|hlc|payload. The key: ONSITE_STORE_KEY or STORE.key.
    Outbox { store: PathBuf },
}

pub fn run(command: StoreCommand) -> Result<()> {
    match command {
        StoreCommand::Outbox { store } => {
            if !store.exists() {
                bail!("no store at {}", store.display());
            }
            let key = existing(&store)?.with_context(|| {
                format!(
                    "no key: set {ENV} or put it in {}",
                    key_file(&store).display()
                )
            })?;
            let conn = onsite_core::store::open_encrypted(&store, &key)?;
            let mut st = conn.prepare(
                "SELECT seq, op_id, job_id, kind, hlc, payload FROM outbox ORDER BY seq",
            )?;
            let rows = st.query_map([], |r| {
                Ok(format!(
                    "{}|{}|{}|{}|{}|{}",
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?
                ))
            })?;
            let mut out = std::io::stdout().lock();
            for row in rows {
                writeln!(out, "{}", row?)?;
            }
            Ok(())
        }
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
