//! Resumable photo uploads: the protocol both sides share.
//!
//! A photo goes to HQ in chunks, each one `PATCH /v1/uploads/{sha256}` whose
//! `Upload-Offset` header says where its bytes start and `Upload-Length` how
//! long the whole blob is; the body is the chunk, sent as the blob's own media
//! type. HQ answers each with an [`UploadProgress`]: how many bytes it now
//! holds. HQ keeps the chunks apart from its photos until the last one is in;
//! then it hashes the whole and stores the blob only if it hashes to its
//! address, so a half-uploaded or corrupted photo never appears at HQ.
//!
//! A dropped connection costs at most the chunk that was in flight: the phone
//! records each acknowledged offset in its store, and starts the next sync
//! there (`GET /v1/uploads/{sha256}` tells it HQ's offset when the two
//! disagree, say because HQ's answer was lost). A chunk HQ already holds is
//! acknowledged again without being stored twice, so a retried chunk is
//! harmless.
//!
//! The phone sizes its chunks to the link: [`FIRST_CHUNK_BYTES`] to start, then
//! about [`CHUNK_SECONDS`] of what the last chunk's throughput was, within
//! [`MIN_CHUNK_BYTES`]..=[`MAX_CHUNK_BYTES`]. On a 32 KB/s link a chunk is
//! ~64 KB (a drop loses ~2 s of sending); on loopback a photo goes in one.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Field, Problem};

/// Largest blob HQ stores (a processed photo is far smaller).
pub const MAX_BLOB_BYTES: u64 = 8 * 1024 * 1024;
/// Largest chunk HQ takes in one request.
pub const MAX_CHUNK_BYTES: u64 = 1024 * 1024;
/// Smallest chunk the phone sends (but the blob's last).
pub const MIN_CHUNK_BYTES: u64 = 16 * 1024;
/// The first chunk of a sync, before the phone has measured the link.
pub const FIRST_CHUNK_BYTES: u64 = 64 * 1024;
/// How long a chunk should take to send on the link last measured.
pub const CHUNK_SECONDS: f64 = 2.0;
/// Header: where the request's bytes start in the blob.
pub const UPLOAD_OFFSET: &str = "upload-offset";
/// Header: the whole blob's length in bytes.
pub const UPLOAD_LENGTH: &str = "upload-length";

/// HQ's answer to a chunk or to a status query: how far the upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadProgress {
    /// Bytes HQ holds from the start of the blob: the next chunk starts here.
    pub offset: u64,
    /// The whole blob's length.
    pub length: u64,
    /// HQ holds the whole blob, verified by its SHA-256.
    pub stored: bool,
}

/// A chunk's headers, checked against its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub offset: u64,
    pub length: u64,
    /// The body's length.
    pub len: u64,
}

impl Chunk {
    /// Where the blob stands once this chunk is in.
    pub fn end(&self) -> u64 {
        self.offset + self.len
    }
}

/// Decodes a chunk's `Upload-Offset` and `Upload-Length` headers (as HQ
/// received them, absent or not) against its body's length: decimal digits
/// only, a blob of at most [`MAX_BLOB_BYTES`], a non-empty chunk of at most
/// [`MAX_CHUNK_BYTES`] that ends within the blob. Anything else is a typed
/// error, never a panic (the fuzz target and the property tests hold it to
/// that).
pub fn decode_chunk(
    offset: Option<&[u8]>,
    length: Option<&[u8]>,
    body_len: usize,
) -> crate::Result<Chunk> {
    let offset = header_number(offset, "Upload-Offset")?;
    let length = header_number(length, "Upload-Length")?;
    let len = u64::try_from(body_len).unwrap_or(u64::MAX);
    if length == 0 || length > MAX_BLOB_BYTES {
        return Err(Error::invalid(
            Field::UploadChunk,
            Problem::OutOfRange {
                min: 1.0,
                max: MAX_BLOB_BYTES as f64,
            },
        ));
    }
    if len == 0 || len > MAX_CHUNK_BYTES {
        return Err(Error::invalid(
            Field::UploadChunk,
            Problem::Length {
                min: 1,
                max: MAX_CHUNK_BYTES as usize,
            },
        ));
    }
    match offset.checked_add(len) {
        Some(end) if end <= length => Ok(Chunk {
            offset,
            length,
            len,
        }),
        _ => Err(Error::invalid(
            Field::UploadChunk,
            Problem::Inconsistent {
                detail: format!("a chunk of {len} bytes at {offset} runs past the blob's {length}"),
            },
        )),
    }
}

/// Where a chunk goes in an upload HQ holds `received` bytes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// It starts past HQ's bytes: a gap, nothing taken (409).
    Gap,
    /// HQ holds all of it already (a resent chunk): acknowledged again.
    Held,
    /// Its bytes from `skip` on are new: they go at `received`.
    Append { skip: u64 },
}

/// Places a chunk against the `received` bytes HQ holds: an upload only
/// ever grows at its end, so what HQ holds is always the blob's first bytes.
pub fn place(received: u64, chunk: &Chunk) -> Placement {
    if chunk.offset > received {
        Placement::Gap
    } else if chunk.end() <= received {
        Placement::Held
    } else {
        Placement::Append {
            skip: received - chunk.offset,
        }
    }
}

fn header_number(value: Option<&[u8]>, name: &str) -> crate::Result<u64> {
    let Some(v) = value else {
        return Err(Error::invalid(
            Field::UploadChunk,
            Problem::Malformed {
                detail: format!("{name} is missing"),
            },
        ));
    };
    // Digits only (no sign, no spaces), at most 19 so that it fits in u64.
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return Err(Error::invalid(
            Field::UploadChunk,
            Problem::Malformed {
                detail: format!("{name} is not a byte count"),
            },
        ));
    }
    v.iter()
        .try_fold(0u64, |n, d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or_else(|| {
            Error::invalid(
                Field::UploadChunk,
                Problem::Malformed {
                    detail: format!("{name} is not a byte count"),
                },
            )
        })
}

/// Whether a string is a blob's address: 64 lowercase hex digits.
pub fn is_blob_address(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The size of the next chunk, from how long the last one took (`None`:
/// nothing measured yet in this sync).
pub fn next_chunk_bytes(last: Option<(u64, Duration)>) -> u64 {
    let Some((bytes, took)) = last else {
        return FIRST_CHUNK_BYTES;
    };
    let secs = took.as_secs_f64().max(0.001);
    let rate = bytes as f64 / secs;
    let want = (rate * CHUNK_SECONDS) as u64;
    // Grow at most fourfold a step: one fast answer is not a fast link.
    want.clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES)
        .min(bytes.saturating_mul(4).max(MIN_CHUNK_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_problem(e: &Error) -> Option<(Field, &Problem)> {
        match e {
            Error::InvalidInput { field, problem } => Some((*field, problem)),
            _ => None,
        }
    }

    #[test]
    fn a_chunk_within_its_blob_decodes() {
        let c = decode_chunk(Some(b"65536"), Some(b"300000"), 65536).unwrap();
        assert_eq!(
            (c.offset, c.length, c.len, c.end()),
            (65536, 300000, 65536, 131072)
        );
        // The last chunk may be short; a one-chunk blob starts at 0.
        let last = decode_chunk(Some(b"262144"), Some(b"300000"), 37856).unwrap();
        assert_eq!(last.end(), 300000);
        assert!(decode_chunk(Some(b"0"), Some(b"5"), 5).is_ok());
    }

    #[test]
    fn bad_headers_are_typed_errors() {
        type Case<'a> = (Option<&'a [u8]>, Option<&'a [u8]>, usize);
        let cases: [Case; 11] = [
            (None, Some(b"10"), 5),
            (Some(b"0"), None, 5),
            (Some(b"-1"), Some(b"10"), 5),
            (Some(b" 1"), Some(b"10"), 5),
            (Some(b"0x10"), Some(b"10"), 5),
            (Some(b""), Some(b"10"), 5),
            (Some(b"99999999999999999999"), Some(b"10"), 5),
            (Some(b"18446744073709551615"), Some(b"10"), 5),
            (Some(b"8"), Some(b"10"), 5),
            (Some(b"0"), Some(b"0"), 0),
            (Some(b"0"), Some(b"9999999999"), 5),
        ];
        for (offset, length, len) in cases {
            let e = decode_chunk(offset, length, len).unwrap_err();
            let (field, _) = field_problem(&e).unwrap_or_else(|| panic!("untyped: {e:?}"));
            assert_eq!(field, Field::UploadChunk);
        }
        let too_big = decode_chunk(Some(b"0"), Some(b"8000000"), 2 * 1024 * 1024).unwrap_err();
        assert!(matches!(
            field_problem(&too_big),
            Some((Field::UploadChunk, Problem::Length { .. }))
        ));
        let empty = decode_chunk(Some(b"0"), Some(b"10"), 0).unwrap_err();
        assert!(matches!(
            field_problem(&empty),
            Some((Field::UploadChunk, Problem::Length { .. }))
        ));
    }

    #[test]
    fn a_chunk_is_placed_only_where_the_bytes_end() {
        let c = |offset, len| Chunk {
            offset,
            length: 300,
            len,
        };
        assert_eq!(place(0, &c(0, 100)), Placement::Append { skip: 0 });
        assert_eq!(place(100, &c(200, 100)), Placement::Gap);
        assert_eq!(place(100, &c(0, 100)), Placement::Held);
        assert_eq!(place(100, &c(50, 100)), Placement::Append { skip: 50 });
        assert_eq!(place(100, &c(100, 200)), Placement::Append { skip: 0 });
    }

    #[test]
    fn chunks_follow_the_link() {
        assert_eq!(next_chunk_bytes(None), FIRST_CHUNK_BYTES);
        // 64 KiB in 2 s (32 KB/s): about 2 s worth again.
        assert_eq!(
            next_chunk_bytes(Some((65536, Duration::from_secs(2)))),
            65536
        );
        // 2G-like 8 KB/s: a quarter, never under the floor.
        assert_eq!(
            next_chunk_bytes(Some((65536, Duration::from_secs(8)))),
            MIN_CHUNK_BYTES
        );
        // Loopback: grows fourfold a step up to the ceiling.
        assert_eq!(
            next_chunk_bytes(Some((65536, Duration::from_millis(1)))),
            4 * 65536
        );
        assert_eq!(
            next_chunk_bytes(Some((MAX_CHUNK_BYTES, Duration::from_millis(1)))),
            MAX_CHUNK_BYTES
        );
    }

    #[test]
    fn blob_addresses_are_lowercase_sha256_hex() {
        assert!(is_blob_address(&"a1".repeat(32)));
        assert!(!is_blob_address(&"A1".repeat(32)));
        assert!(!is_blob_address(&"a1".repeat(31)));
        assert!(!is_blob_address(&"g1".repeat(32)));
    }
}
