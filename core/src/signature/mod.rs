//! Customer signatures: strokes, validation, compact encoding and rendering.
pub mod record;
