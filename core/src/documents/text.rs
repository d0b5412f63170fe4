//! Plain text: for SMS and sharing, readable in any messenger.

use super::model::Doc;

pub fn render(doc: &Doc) -> String {
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    line(&doc.issuer);
    line(&format!("【{}】", doc.title));
    if let Some(b) = &doc.banner {
        line(&format!("*** {b} ***"));
    }
    for (k, v) in &doc.fields {
        line(&format!("{k}: {v}"));
    }
    if let Some(h) = &doc.table_headers {
        line("----------------");
        line(&format!("{} / {} / {}", h[0], h[1], h[2]));
        for r in &doc.rows {
            if r.amount.is_empty() {
                line(&format!("- {} × {}", r.name, r.qty));
            } else {
                line(&format!("- {} × {} = {}", r.name, r.qty, r.amount));
            }
            if let Some(n) = &r.note {
                line(&format!("  ({n})"));
            }
        }
        line("----------------");
    }
    for (k, v) in &doc.totals {
        line(&format!("{k}: {v}"));
    }
    for p in &doc.paragraphs {
        line(p);
    }
    if let Some(c) = &doc.signature_caption {
        line(c);
    }
    if let Some(c) = &doc.technician_signature_caption {
        line(c);
    }
    for f in &doc.footer {
        line(f);
    }
    out
}
