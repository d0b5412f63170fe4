//! Customer signatures: strokes ([`ink`]), their validation, a compact
//! [`encoding`] for storage and sync, rendering to PNG/SVG ([`render`]), and
//! the [`record`] that binds a signature to the content that was accepted.

pub mod encoding;
pub mod ink;
pub mod record;
pub mod render;

pub use ink::{Canvas, Ink, Point, Stroke};
pub use render::{render_gray, render_png, render_svg, Background};

/// Why strokes are not a usable signature.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature has no strokes")]
    NoStrokes,
    #[error("too little ink for a signature: {reason}")]
    TooLittleInk { reason: String },
    #[error("point {point} of stroke {stroke} is outside the canvas ({x}, {y})")]
    OutsideCanvas {
        stroke: usize,
        point: usize,
        x: f32,
        y: f32,
    },
    #[error("point {point} of stroke {stroke} is not a finite number")]
    NotFinite { stroke: usize, point: usize },
    #[error("time goes backwards at point {point} of stroke {stroke}")]
    TimeBackwards { stroke: usize, point: usize },
    #[error("{count} {what} is more than the {max} a signature may have")]
    TooLarge {
        what: &'static str,
        count: usize,
        max: usize,
    },
    #[error("the canvas {width}×{height} is not usable")]
    BadCanvas { width: f32, height: f32 },
    #[error("cannot render at {width}×{height} (1..=4096 px per side)")]
    BadRenderSize { width: u32, height: u32 },
    #[error("malformed signature data: {0}")]
    Malformed(String),
    #[error("rendering failed: {0}")]
    Render(String),
}

impl From<SignatureError> for crate::error::Error {
    fn from(e: SignatureError) -> Self {
        crate::error::Error::Signature {
            reason: e.to_string(),
        }
    }
}

/// The sample signature, encoded as a phone would send it (demo and tests).
#[cfg(any(test, feature = "sample"))]
pub fn demo_ink_bytes() -> Vec<u8> {
    Ink::sample().encode()
}
