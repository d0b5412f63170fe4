//! Documents the customer keeps: receipt, message note and the customer's copy
//! of the work order, as plain text, self-contained HTML and ESC/POS bytes.

pub mod escpos;
pub mod html;
pub mod model;
pub mod text;

pub use model::{china_time, message_note, receipt, work_order_copy, Doc, DocKind};
