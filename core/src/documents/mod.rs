//! Documents the customer keeps: receipts as text, HTML and ESC/POS.
pub mod escpos;
