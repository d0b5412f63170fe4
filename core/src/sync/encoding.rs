//! Compressed sync bodies: zstd, with gzip as the fallback, negotiated and
//! never assumed.
//!
//! A technician pays for every byte on a prepaid plan, and a push of a
//! visit's ops is JSON that repeats itself (field names, ids, the device's
//! stamp): compressed it is a fraction of the size.
//!
//! - **Responses** (HQ to phone): the phone says `Accept-Encoding: zstd,
//!   gzip` and HQ compresses what it answers in the first it supports; the
//!   HTTP client decodes.
//! - **Requests** (phone to HQ): an HTTP client cannot know what a server
//!   accepts, so HQ says it on every answer (`Accept-Encoding` in a
//!   *response*, RFC 7694) and the phone compresses its next bodies in the
//!   best coding HQ listed ([`preferred`]); until it has heard, it sends them
//!   plain. A server that refuses a coding answers 415 and the phone sends
//!   plain again.
//!
//! [`decode`] is the one decoder of compressed bodies (HQ's extractor, the
//! property tests and the fuzz target use it): it inflates at most `limit`
//! bytes and refuses the rest without allocating it, so a small body that
//! would inflate to gigabytes (a "decompression bomb") costs nothing; zstd's
//! window is capped too, since a frame may ask for a window of gigabytes.

use std::io::Read;

/// The request and response header HQ lists its accepted codings in.
pub const ACCEPT: &str = "zstd, gzip";

/// Bodies smaller than this are sent plain: compressing them saves less than
/// the header costs.
pub const MIN_COMPRESSED_BYTES: usize = 512;

/// zstd's level for push bodies: 3 is zstd's default, a few milliseconds
/// for a batch of 200 ops on a phone, and most of what higher levels save.
const ZSTD_LEVEL: i32 = 3;

/// The largest zstd window a decoder accepts: 2^23 = 8 MiB (a push body is
/// at most a few MiB; a frame asking for more is refused, not allocated).
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// A content coding of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    Zstd,
    Gzip,
}

impl Coding {
    /// As `Content-Encoding` names it.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
        }
    }
}

/// What a `Content-Encoding` header says of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyCoding {
    /// No header, or `identity`.
    Plain,
    Coded(Coding),
    /// A coding this side does not decode (or a list of several).
    Unsupported,
}

/// Reads a `Content-Encoding` value.
pub fn body_coding(header: Option<&str>) -> BodyCoding {
    let Some(h) = header.map(str::trim) else {
        return BodyCoding::Plain;
    };
    if h.is_empty() || h.eq_ignore_ascii_case("identity") {
        BodyCoding::Plain
    } else if h.eq_ignore_ascii_case("zstd") {
        BodyCoding::Coded(Coding::Zstd)
    } else if h.eq_ignore_ascii_case("gzip") || h.eq_ignore_ascii_case("x-gzip") {
        BodyCoding::Coded(Coding::Gzip)
    } else {
        BodyCoding::Unsupported
    }
}

/// The coding to send bodies in, from what the other side listed in an
/// `Accept-Encoding` header: zstd if listed (and not `q=0`), else gzip,
/// else none.
pub fn preferred(accept_encoding: &str) -> Option<Coding> {
    let mut zstd = false;
    let mut gzip = false;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p.strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        if refused {
            continue;
        }
        match name.as_str() {
            "zstd" => zstd = true,
            "gzip" | "x-gzip" => gzip = true,
            _ => {}
        }
    }
    if zstd {
        Some(Coding::Zstd)
    } else if gzip {
        Some(Coding::Gzip)
    } else {
        None
    }
}

/// `bytes` compressed in `coding`.
pub fn encode(coding: Coding, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    match coding {
        Coding::Zstd => zstd::bulk::compress(bytes, ZSTD_LEVEL),
        Coding::Gzip => {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(bytes.len() / 4),
                flate2::Compression::default(),
            );
            e.write_all(bytes)?;
            e.finish()
        }
    }
}

/// Why a compressed body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// It inflates past the limit (nothing beyond the limit was kept).
    #[error("the body inflates past {limit} bytes")]
    TooLarge { limit: usize },
    /// Truncated, corrupt, or not in the coding it claims.
    #[error("the body is not valid {coding}: {reason}")]
    Corrupt {
        coding: &'static str,
        reason: String,
    },
}

/// `bytes` inflated from `coding`, at most `limit` bytes of it.
pub fn decode(coding: Coding, bytes: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let corrupt = |e: std::io::Error| DecodeError::Corrupt {
        coding: coding.token(),
        reason: e.to_string(),
    };
    match coding {
        Coding::Zstd => {
            let mut d = zstd::stream::read::Decoder::with_buffer(bytes).map_err(corrupt)?;
            d.window_log_max(ZSTD_WINDOW_LOG_MAX).map_err(corrupt)?;
            // A zstd stream may hold several frames; trailing garbage is an error.
            read_capped(d, limit, corrupt)
        }
        Coding::Gzip => read_capped(flate2::read::MultiGzDecoder::new(bytes), limit, corrupt),
    }
}

/// The most an answer from HQ may inflate to: a pull page or a push
/// acknowledgement is at most a few MiB.
pub const MAX_ANSWER_BYTES: usize = 64 << 20;

impl Coding {
    /// The bytes every body in this coding starts with.
    fn magic(self) -> &'static [u8] {
        match self {
            // A zstd frame (HQ writes no skippable frames).
            Coding::Zstd => &[0x28, 0xB5, 0x2F, 0xFD],
            Coding::Gzip => &[0x1F, 0x8B],
        }
    }
}

/// An answer's body as JSON bytes, from its `Content-Encoding` header.
///
/// A platform HTTP stack may have inflated the body already and left the
/// header as it was (iOS's URLSession does so for gzip): a body that does
/// not start as its coding's bodies all do is taken as inflated. That cannot
/// pass off a corrupt body as good: what is not valid JSON is still refused
/// by the caller.
pub fn decode_answer(header: Option<&str>, body: Vec<u8>) -> Result<Vec<u8>, DecodeError> {
    match body_coding(header) {
        BodyCoding::Plain => Ok(body),
        BodyCoding::Coded(c) if body.starts_with(c.magic()) => decode(c, &body, MAX_ANSWER_BYTES),
        BodyCoding::Coded(_) => Ok(body),
        BodyCoding::Unsupported => Err(DecodeError::Corrupt {
            coding: "content-encoding",
            reason: format!("not a coding this side asked for: {}", header.unwrap_or("")),
        }),
    }
}

fn read_capped(
    r: impl Read,
    limit: usize,
    corrupt: impl Fn(std::io::Error) -> DecodeError,
) -> Result<Vec<u8>, DecodeError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    r.take(cap).read_to_end(&mut out).map_err(corrupt)?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Vec<u8> {
        br#"{"op_id":"0190d0c2-7b6e-7c3a-9a4e-2f1d9c1e5b10","device_id":"DEV-1","seq":1}"#
            .repeat(50)
    }

    #[test]
    fn an_answer_is_inflated_once_whoever_inflated_it() {
        for c in [Coding::Zstd, Coding::Gzip] {
            let packed = encode(c, &body()).unwrap();
            assert_eq!(decode_answer(Some(c.token()), packed).unwrap(), body());
            // The platform inflated it and kept the header.
            assert_eq!(decode_answer(Some(c.token()), body()).unwrap(), body());
            // Cut short: refused, not passed on.
            let mut cut = encode(c, &body()).unwrap();
            cut.truncate(cut.len() / 2);
            assert!(decode_answer(Some(c.token()), cut).is_err(), "{c:?}");
        }
        assert_eq!(decode_answer(None, body()).unwrap(), body());
        assert_eq!(decode_answer(Some("identity"), body()).unwrap(), body());
        assert!(matches!(
            decode_answer(Some("br"), body()),
            Err(DecodeError::Corrupt { .. })
        ));
    }

    #[test]
    fn an_answer_that_inflates_past_the_limit_is_refused() {
        let bomb = encode(Coding::Zstd, &vec![b' '; MAX_ANSWER_BYTES + 1]).unwrap();
        assert!(matches!(
            decode_answer(Some("zstd"), bomb),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn both_codings_round_trip_and_shrink_repetitive_json() {
        for c in [Coding::Zstd, Coding::Gzip] {
            let packed = encode(c, &body()).unwrap();
            assert!(packed.len() * 5 < body().len(), "{c:?}: {}", packed.len());
            assert_eq!(decode(c, &packed, body().len()).unwrap(), body());
        }
    }

    #[test]
    fn a_body_that_inflates_past_the_limit_is_refused() {
        let huge = vec![0u8; 50 << 20];
        for c in [Coding::Zstd, Coding::Gzip] {
            let bomb = encode(c, &huge).unwrap();
            assert!(bomb.len() < 100 << 10, "{c:?}: {}", bomb.len());
            assert_eq!(
                decode(c, &bomb, 1 << 20),
                Err(DecodeError::TooLarge { limit: 1 << 20 })
            );
        }
    }

    #[test]
    fn truncated_or_foreign_bytes_are_corrupt() {
        for c in [Coding::Zstd, Coding::Gzip] {
            let packed = encode(c, &body()).unwrap();
            let cut = &packed[..packed.len() / 2];
            assert!(
                matches!(decode(c, cut, 1 << 20), Err(DecodeError::Corrupt { .. })),
                "{c:?}"
            );
            assert!(matches!(
                decode(c, b"{\"plain\": true}", 1 << 20),
                Err(DecodeError::Corrupt { .. })
            ));
        }
    }

    #[test]
    fn the_preferred_coding_follows_what_the_other_side_lists() {
        assert_eq!(preferred("zstd, gzip"), Some(Coding::Zstd));
        assert_eq!(preferred("gzip, deflate, br"), Some(Coding::Gzip));
        assert_eq!(preferred("zstd;q=0, gzip"), Some(Coding::Gzip));
        assert_eq!(preferred("identity"), None);
        assert_eq!(preferred(""), None);
        assert_eq!(body_coding(None), BodyCoding::Plain);
        assert_eq!(body_coding(Some("ZSTD")), BodyCoding::Coded(Coding::Zstd));
        assert_eq!(body_coding(Some("br")), BodyCoding::Unsupported);
        assert_eq!(body_coding(Some("gzip, zstd")), BodyCoding::Unsupported);
    }
}
