//! A [`Doc`] laid out for a thermal printer.

use super::escpos::{Align, Column, EscPos, PrinterProfile};
use super::model::Doc;
use crate::signature::{render_gray, Ink};

/// Money on paper without the currency sign: `¥` is outside GB2312 and many
/// printers' fonts; the column header says the unit instead.
fn plain_amount(s: &str) -> String {
    s.replace('¥', "")
}

pub fn escpos(doc: &Doc, profile: &PrinterProfile) -> Vec<u8> {
    let mut e = EscPos::new(profile);
    e.init();
    e.align(Align::Center).line(&doc.issuer);
    e.bold(true)
        .size(2, 2)
        .line(&doc.title)
        .size(1, 1)
        .bold(false);
    if let Some(b) = &doc.banner {
        e.bold(true).line(&format!("*** {b} ***")).bold(false);
    }
    e.align(Align::Left);
    for (k, v) in &doc.fields {
        e.pair(&format!("{k}:"), v);
    }
    let cols = e.columns();
    let (qty_w, amount_w) = (6, 10);
    let name_w = cols.saturating_sub(qty_w + amount_w + 2).max(4);
    if let Some(h) = &doc.table_headers {
        e.rule('-');
        let amount_header = format!(
            "{}({})",
            h[2],
            if doc.lang == crate::locale::Lang::ZhCn {
                "元"
            } else {
                "CNY"
            }
        );
        e.bold(true).columns_line(&[
            Column {
                text: &h[0],
                width: name_w,
                align: Align::Left,
            },
            Column {
                text: &h[1],
                width: qty_w,
                align: Align::Right,
            },
            Column {
                text: &amount_header,
                width: amount_w,
                align: Align::Right,
            },
        ]);
        e.bold(false);
        for r in &doc.rows {
            let amount = plain_amount(&r.amount);
            e.columns_line(&[
                Column {
                    text: &r.name,
                    width: name_w,
                    align: Align::Left,
                },
                Column {
                    text: &r.qty,
                    width: qty_w,
                    align: Align::Right,
                },
                Column {
                    text: &amount,
                    width: amount_w,
                    align: Align::Right,
                },
            ]);
            if let Some(n) = &r.note {
                e.line(&format!("  ({n})"));
            }
        }
        e.rule('-');
    }
    for (i, (k, v)) in doc.totals.iter().enumerate() {
        e.bold(i == 0).pair(k, &plain_amount(v));
    }
    e.bold(false);
    for p in &doc.paragraphs {
        e.line(p);
    }
    if let Some(ink) = doc
        .signature_ink
        .as_deref()
        .and_then(|b| Ink::decode(b).ok())
    {
        let w = profile.dots.min(384);
        let h = ((w as f32 * ink.canvas.height / ink.canvas.width).round() as u32).clamp(1, 400);
        if let Ok(img) = render_gray(&ink, w, h) {
            e.feed(1)
                .align(Align::Center)
                .raster(&img)
                .align(Align::Left);
        }
    }
    if let Some(c) = &doc.signature_caption {
        e.line(c);
    }
    if let Some(c) = &doc.technician_signature_caption {
        e.line(c);
    }
    if let Some(q) = &doc.qr {
        e.feed(1)
            .align(Align::Center)
            .qr(q, if profile.dots >= 576 { 6 } else { 4 });
        e.line("");
    }
    e.align(Align::Center);
    for f in &doc.footer {
        e.line(f);
    }
    e.align(Align::Left).feed(3).cut();
    e.finish()
}
