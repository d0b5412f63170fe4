//! SQLCipher's crypto provider, in Rust: what encrypts the phone's store.
//!
//! SQLCipher asks a *provider* for five things: AES-256-CBC over a page,
//! HMAC over a page, PBKDF2 to stretch a passphrase, random bytes for each
//! page's IV, and some sizes. Its stock provider for Android and Linux is
//! OpenSSL's libcrypto, which put about 4 MB into the phone's library (half of
//! it) for those five calls, because OpenSSL 3's default provider keeps every
//! algorithm it was built with. This one uses RustCrypto's `aes` and `cbc` and
//! `ring` (already linked for TLS): a few tens of KB.
//!
//! SQLCipher is built with `SQLCIPHER_CRYPTO_CUSTOM=onsite_sqlcipher_setup`
//! (see `.cargo/config.toml`), so at its first use it calls
//! [`onsite_sqlcipher_setup`] to fill in its provider table. Pages written by
//! the OpenSSL provider read back here and the other way round: the format is
//! SQLCipher 4's, the same bytes (a store written by the OpenSSL build is
//! kept as a test fixture and opened by the tests).
//!
//! This is the one crate of Onsite with `unsafe` code: C calls each function
//! below through a pointer with raw buffers. Each checks its sizes, never
//! unwinds into C (a panic becomes `SQLITE_ERROR`) and writes only within the
//! lengths SQLCipher gives.

use std::ffi::{c_char, c_int, c_void};
use std::num::NonZeroU32;
use std::panic::{catch_unwind, AssertUnwindSafe};

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use ring::rand::SecureRandom;

const SQLITE_OK: c_int = 0;
const SQLITE_ERROR: c_int = 1;

// sqlcipher.c: `#define SQLCIPHER_HMAC_SHA1 0` etc.
const HMAC_SHA1: c_int = 0;
const HMAC_SHA256: c_int = 1;
const HMAC_SHA512: c_int = 2;
// sqlcipher.c: `#define SQLCIPHER_PBKDF2_HMAC_SHA1 0` etc.
const PBKDF2_SHA1: c_int = 0;
const PBKDF2_SHA256: c_int = 1;
const PBKDF2_SHA512: c_int = 2;
// sqlcipher.c: `#define SQLCIPHER_ENCRYPT 1`, `#define SQLCIPHER_DECRYPT 0`.
const ENCRYPT: c_int = 1;
const DECRYPT: c_int = 0;

/// AES-256: a 32-byte key, 16-byte blocks and IV.
const KEY_SIZE: usize = 32;
const BLOCK_SIZE: usize = 16;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// `struct sqlcipher_provider` of SQLCipher 4 (sqlcipher.c), field for field.
#[repr(C)]
pub struct Provider {
    init: Option<unsafe extern "C" fn() -> c_int>,
    shutdown: Option<unsafe extern "C" fn()>,
    get_provider_name: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    add_random: Option<unsafe extern "C" fn(*mut c_void, *const c_void, c_int) -> c_int>,
    random: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int>,
    #[allow(clippy::type_complexity)]
    hmac: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const u8,
            c_int,
            *const u8,
            c_int,
            *const u8,
            c_int,
            *mut u8,
        ) -> c_int,
    >,
    #[allow(clippy::type_complexity)]
    kdf: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const u8,
            c_int,
            *const u8,
            c_int,
            c_int,
            c_int,
            *mut u8,
        ) -> c_int,
    >,
    #[allow(clippy::type_complexity)]
    cipher: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const u8,
            c_int,
            *const u8,
            *const u8,
            c_int,
            *mut u8,
        ) -> c_int,
    >,
    get_cipher: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    get_key_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_iv_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_block_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_hmac_sz: Option<unsafe extern "C" fn(*mut c_void, c_int) -> c_int>,
    ctx_init: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    ctx_free: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    fips_status: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_provider_version: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    next: *mut Provider,
}

/// Called by SQLCipher once, at its first use in the process, to fill in its
/// provider table (`SQLCIPHER_CRYPTO_CUSTOM`).
///
/// # Safety
/// `p` is null or points to a writable `sqlcipher_provider` (SQLCipher
/// allocates it before the call).
#[no_mangle]
pub unsafe extern "C" fn onsite_sqlcipher_setup(p: *mut Provider) -> c_int {
    // SAFETY: SQLCipher passes its freshly allocated table, or null (refused).
    let Some(p) = (unsafe { p.as_mut() }) else {
        return SQLITE_ERROR;
    };
    p.init = None;
    p.shutdown = None;
    p.get_provider_name = Some(provider_name);
    p.add_random = Some(add_random);
    p.random = Some(random);
    p.hmac = Some(hmac);
    p.kdf = Some(kdf);
    p.cipher = Some(cipher);
    p.get_cipher = Some(cipher_name);
    p.get_key_sz = Some(key_size);
    p.get_iv_sz = Some(block_size);
    p.get_block_sz = Some(block_size);
    p.get_hmac_sz = Some(hmac_size);
    p.ctx_init = Some(ctx_init);
    p.ctx_free = Some(ctx_free);
    p.fips_status = Some(fips_status);
    p.get_provider_version = Some(provider_version);
    SQLITE_OK
}

/// Links this crate into every binary that links SQLCipher (which calls
/// [`onsite_sqlcipher_setup`] by name): its users call it once, e.g. before
/// opening a store, so the linker keeps the provider.
pub fn linked() -> bool {
    let setup: unsafe extern "C" fn(*mut Provider) -> c_int = onsite_sqlcipher_setup;
    std::hint::black_box(setup as usize) != 0
}

/// Runs `f`, turning a panic into `SQLITE_ERROR`: unwinding into C is
/// undefined behaviour.
fn guarded(f: impl FnOnce() -> Result<(), ()>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => SQLITE_OK,
        _ => SQLITE_ERROR,
    }
}

/// A length from C: negative is an error.
fn len(n: c_int) -> Result<usize, ()> {
    usize::try_from(n).map_err(|_| ())
}

/// The `n` bytes at `p` (empty when `n` is 0, whatever `p`).
///
/// # Safety
/// `p` points to `n` readable bytes that stay valid and unchanged for `'a`.
unsafe fn bytes<'a>(p: *const u8, n: usize) -> Result<&'a [u8], ()> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(());
    }
    // SAFETY: the caller's contract; non-null checked above.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

unsafe extern "C" fn provider_name(_ctx: *mut c_void) -> *const c_char {
    c"onsite-rustcrypto".as_ptr()
}

unsafe extern "C" fn provider_version(_ctx: *mut c_void) -> *const c_char {
    c"aes 0.8 (RustCrypto), ring 0.17".as_ptr()
}

unsafe extern "C" fn cipher_name(_ctx: *mut c_void) -> *const c_char {
    // As OpenSSL names it (`OBJ_nid2sn`), which the OpenSSL provider reports.
    c"AES-256-CBC".as_ptr()
}

unsafe extern "C" fn key_size(_ctx: *mut c_void) -> c_int {
    KEY_SIZE as c_int
}

unsafe extern "C" fn block_size(_ctx: *mut c_void) -> c_int {
    BLOCK_SIZE as c_int
}

unsafe extern "C" fn hmac_size(_ctx: *mut c_void, algorithm: c_int) -> c_int {
    match algorithm {
        HMAC_SHA1 => 20,
        HMAC_SHA256 => 32,
        HMAC_SHA512 => 64,
        _ => 0,
    }
}

unsafe extern "C" fn ctx_init(_ctx: *mut *mut c_void) -> c_int {
    // No per-connection state: every call stands alone.
    SQLITE_OK
}

unsafe extern "C" fn ctx_free(_ctx: *mut *mut c_void) -> c_int {
    SQLITE_OK
}

unsafe extern "C" fn fips_status(_ctx: *mut c_void) -> c_int {
    0
}

unsafe extern "C" fn add_random(
    _ctx: *mut c_void,
    _buffer: *const c_void,
    _length: c_int,
) -> c_int {
    // The OS's generator needs no seeding (`PRAGMA cipher_add_random` is a no-op).
    SQLITE_OK
}

unsafe extern "C" fn random(_ctx: *mut c_void, buffer: *mut c_void, length: c_int) -> c_int {
    guarded(|| {
        let n = len(length)?;
        if n == 0 {
            return Ok(());
        }
        if buffer.is_null() {
            return Err(());
        }
        // SAFETY: SQLCipher gives a buffer of `length` writable bytes.
        let out = unsafe { std::slice::from_raw_parts_mut(buffer.cast::<u8>(), n) };
        ring::rand::SystemRandom::new().fill(out).map_err(|_| ())
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn hmac(
    _ctx: *mut c_void,
    algorithm: c_int,
    key: *const u8,
    key_sz: c_int,
    in1: *const u8,
    in1_sz: c_int,
    in2: *const u8,
    in2_sz: c_int,
    out: *mut u8,
) -> c_int {
    guarded(|| {
        let algorithm = match algorithm {
            HMAC_SHA1 => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            HMAC_SHA256 => ring::hmac::HMAC_SHA256,
            HMAC_SHA512 => ring::hmac::HMAC_SHA512,
            _ => return Err(()),
        };
        // The OpenSSL provider refuses a null first input; so do we.
        if in1.is_null() || out.is_null() {
            return Err(());
        }
        // SAFETY: SQLCipher passes each buffer with its length; `in2` may be
        // null (then there is no second input).
        let (key, in1) = unsafe { (bytes(key, len(key_sz)?)?, bytes(in1, len(in1_sz)?)?) };
        let mut ctx = ring::hmac::Context::with_key(&ring::hmac::Key::new(algorithm, key));
        ctx.update(in1);
        if !in2.is_null() {
            // SAFETY: as above.
            ctx.update(unsafe { bytes(in2, len(in2_sz)?)? });
        }
        let tag = ctx.sign();
        let tag = tag.as_ref();
        // SAFETY: `out` holds `get_hmac_sz(algorithm)` bytes, the tag's length.
        unsafe { std::ptr::copy_nonoverlapping(tag.as_ptr(), out, tag.len()) };
        Ok(())
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn kdf(
    _ctx: *mut c_void,
    algorithm: c_int,
    pass: *const u8,
    pass_sz: c_int,
    salt: *const u8,
    salt_sz: c_int,
    workfactor: c_int,
    key_sz: c_int,
    key: *mut u8,
) -> c_int {
    guarded(|| {
        let algorithm = match algorithm {
            PBKDF2_SHA1 => ring::pbkdf2::PBKDF2_HMAC_SHA1,
            PBKDF2_SHA256 => ring::pbkdf2::PBKDF2_HMAC_SHA256,
            PBKDF2_SHA512 => ring::pbkdf2::PBKDF2_HMAC_SHA512,
            _ => return Err(()),
        };
        let iterations = u32::try_from(workfactor)
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or(())?;
        let n = len(key_sz)?;
        if key.is_null() || n == 0 {
            return Err(());
        }
        // SAFETY: SQLCipher passes each input with its length and a key
        // buffer of `key_sz` writable bytes.
        let (pass, salt, out) = unsafe {
            (
                bytes(pass, len(pass_sz)?)?,
                bytes(salt, len(salt_sz)?)?,
                std::slice::from_raw_parts_mut(key, n),
            )
        };
        ring::pbkdf2::derive(algorithm, iterations, salt, pass, out);
        Ok(())
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn cipher(
    _ctx: *mut c_void,
    mode: c_int,
    key: *const u8,
    key_sz: c_int,
    iv: *const u8,
    input: *const u8,
    in_sz: c_int,
    out: *mut u8,
) -> c_int {
    guarded(|| {
        let n = len(in_sz)?;
        // Whole blocks, no padding (a page less its reserve is always that).
        if len(key_sz)? != KEY_SIZE || n % BLOCK_SIZE != 0 || out.is_null() {
            return Err(());
        }
        // SAFETY: SQLCipher passes a 32-byte key, a 16-byte IV, `in_sz`
        // readable bytes and `in_sz` writable bytes at `out`. The input is
        // copied first, so the two may even overlap.
        let (key, iv, input) = unsafe {
            (
                bytes(key, KEY_SIZE)?,
                bytes(iv, BLOCK_SIZE)?,
                bytes(input, n)?.to_vec(),
            )
        };
        // SAFETY: as above; nothing else holds `out` during the call.
        let out = unsafe { std::slice::from_raw_parts_mut(out, n) };
        match mode {
            ENCRYPT => Aes256CbcEnc::new(key.into(), iv.into())
                .encrypt_padded_b2b_mut::<NoPadding>(&input, out)
                .map(|_| ())
                .map_err(|_| ()),
            DECRYPT => Aes256CbcDec::new(key.into(), iv.into())
                .decrypt_padded_b2b_mut::<NoPadding>(&input, out)
                .map(|_| ())
                .map_err(|_| ()),
            _ => Err(()),
        }
    })
}

#[cfg(test)]
#[allow(clippy::undocumented_unsafe_blocks)] // test buffers sized as each call needs
mod tests {
    use super::*;

    /// SP 800-38A F.2.5 (CBC-AES256.Encrypt), first two blocks.
    #[test]
    fn cbc_matches_the_nist_vectors_both_ways() {
        let key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let iv = hex("000102030405060708090a0b0c0d0e0f");
        let plain = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let expected = hex("f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d");
        let mut out = vec![0u8; 32];
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                ENCRYPT,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                plain.as_ptr(),
                32,
                out.as_mut_ptr(),
            )
        };
        assert_eq!((rc, &out), (SQLITE_OK, &expected));
        let mut back = vec![0u8; 32];
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                DECRYPT,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                out.as_ptr(),
                32,
                back.as_mut_ptr(),
            )
        };
        assert_eq!((rc, back), (SQLITE_OK, plain));
    }

    #[test]
    fn bad_sizes_are_errors_not_crashes() {
        let key = [0u8; 32];
        let iv = [0u8; 16];
        let input = [0u8; 20];
        let mut out = [0u8; 20];
        let call = |key_sz, in_sz, mode| unsafe {
            cipher(
                std::ptr::null_mut(),
                mode,
                key.as_ptr(),
                key_sz,
                iv.as_ptr(),
                input.as_ptr(),
                in_sz,
                out.as_ptr().cast_mut(),
            )
        };
        assert_eq!(call(16, 16, ENCRYPT), SQLITE_ERROR, "a 128-bit key");
        assert_eq!(call(32, 20, ENCRYPT), SQLITE_ERROR, "not whole blocks");
        assert_eq!(call(32, -16, DECRYPT), SQLITE_ERROR, "a negative length");
        assert_eq!(call(32, 16, 7), SQLITE_ERROR, "an unknown mode");
        let rc = unsafe {
            kdf(
                std::ptr::null_mut(),
                PBKDF2_SHA512,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                16,
                0,
                32,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_ERROR, "zero iterations");
        assert_eq!(
            unsafe { onsite_sqlcipher_setup(std::ptr::null_mut()) },
            SQLITE_ERROR
        );
    }

    /// RFC 4231 test case 2 (HMAC-SHA-512), the message given in two parts
    /// as SQLCipher gives a page and its number.
    #[test]
    fn hmac_sha512_matches_rfc_4231_over_two_inputs() {
        let (key, a, b) = (b"Jefe", b"what do ya want ", b"for nothing?");
        let mut out = [0u8; 64];
        let rc = unsafe {
            hmac(
                std::ptr::null_mut(),
                HMAC_SHA512,
                key.as_ptr(),
                4,
                a.as_ptr(),
                a.len() as c_int,
                b.as_ptr(),
                b.len() as c_int,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_OK);
        assert_eq!(
            out.to_vec(),
            hex(concat!(
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554",
                "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
            ))
        );
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }
}
