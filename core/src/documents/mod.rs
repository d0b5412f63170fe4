//! Documents the customer keeps: receipt, message note and the customer's copy
//! of the work order, as plain text, self-contained HTML and ESC/POS bytes.

pub mod escpos;
pub mod html;
pub mod model;
pub mod print;
pub mod text;

pub use model::{china_time, message_note, receipt, work_order_copy, Doc, DocKind};

use crate::signature::{render_png, Background, Ink};

/// Width and height of the signature image embedded in documents.
pub const SIGNATURE_PX: (u32, u32) = (600, 200);

/// The customer's signature as a PNG, when the document carries one.
pub fn signature_png(doc: &Doc) -> Option<Vec<u8>> {
    let ink = Ink::decode(doc.signature_ink.as_deref()?).ok()?;
    render_png(&ink, SIGNATURE_PX.0, SIGNATURE_PX.1, Background::White).ok()
}

/// The technician's signature as a PNG, when the document carries one.
pub fn technician_signature_png(doc: &Doc) -> Option<Vec<u8>> {
    let ink = Ink::decode(doc.technician_signature_ink.as_deref()?).ok()?;
    render_png(&ink, SIGNATURE_PX.0, SIGNATURE_PX.1, Background::White).ok()
}

/// Plain text, for SMS and sharing.
pub fn to_text(doc: &Doc) -> String {
    text::render(doc)
}

/// Self-contained HTML with the signature and QR code embedded.
pub fn to_html(doc: &Doc) -> String {
    html::render(doc, signature_png(doc).as_deref())
}

/// ESC/POS bytes for a thermal printer.
pub fn to_escpos(doc: &Doc, profile: &escpos::PrinterProfile) -> Vec<u8> {
    print::escpos(doc, profile)
}
