//! Self-contained HTML: one file with the signature embedded as a PNG data URI
//! and the QR code as inline SVG, so the phone can print it to PDF or send it
//! by email without any other resource.

use base64::Engine as _;

use super::model::Doc;
use crate::locale::Lang;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The modules of a QR code (level M) for `payload`, row by row, and its width.
///
/// The mask is fixed: every reader accepts any of the eight, and scoring all
/// eight to pick the "best" (what `QrCode::new` does) costs most of a
/// millisecond per code for no difference a phone camera notices.
pub fn qr_modules(payload: &str) -> Option<(usize, Vec<qrcode::Color>)> {
    use qrcode::canvas::{Canvas, MaskPattern};
    let level = qrcode::EcLevel::M;
    let bits = qrcode::bits::encode_auto(payload.as_bytes(), level).ok()?;
    let version = bits.version();
    let data = bits.into_bytes();
    let (codewords, ec) = qrcode::ec::construct_codewords(&data, version, level).ok()?;
    let mut canvas = Canvas::new(version, level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&codewords, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    let width = usize::try_from(version.width()).ok()?;
    Some((width, canvas.into_colors()))
}

/// The QR code as an SVG of unit squares (one path), scaled by CSS.
pub fn qr_svg(payload: &str) -> Option<String> {
    use std::fmt::Write as _;
    let (w, colors) = qr_modules(payload)?;
    let mut d = String::with_capacity(colors.len() * 8);
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let _ = write!(d, "M{} {}h1v1h-1z", i % w + 4, i / w + 4);
        }
    }
    let size = w + 8;
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="132" height="132" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/><path d="{d}" fill="#000"/></svg>"##
    ))
}

/// Renders the document; `signature_png` is the customer's signature image, if any.
pub fn render(doc: &Doc, signature_png: Option<&[u8]>) -> String {
    let lang = match doc.lang {
        Lang::ZhCn => "zh-CN",
        Lang::En => "en",
    };
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n",
        esc(&doc.title)
    ));
    h.push_str(
        "<style>\n\
body{font-family:-apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:42em;margin:2em auto;padding:0 1em;color:#111}\n\
h1{font-size:1.4em;margin:.2em 0}.issuer{color:#555}\n\
.banner{border:2px solid #b00;color:#b00;padding:.4em;font-weight:bold;margin:.6em 0}\n\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{color:#555}dd{margin:0}\n\
table{width:100%;border-collapse:collapse;margin:1em 0}th,td{border-bottom:1px solid #ddd;padding:.3em;text-align:left}\n\
td.num,th.num{text-align:right;white-space:nowrap}.note{color:#666;font-size:.9em}\n\
.totals td{border:none}.totals tr:first-child td{font-weight:bold;font-size:1.1em}\n\
.sig img{max-width:100%;height:auto;border-bottom:1px solid #999}\n\
.qr{float:right}footer{margin-top:2em;color:#555}\n\
@media print{body{margin:0}}\n\
</style>\n</head>\n<body>\n",
    );
    if let Some(q) = doc.qr.as_deref().and_then(qr_svg) {
        h.push_str(&format!("<div class=\"qr\">{q}</div>\n"));
    }
    h.push_str(&format!(
        "<div class=\"issuer\">{}</div>\n<h1>{}</h1>\n",
        esc(&doc.issuer),
        esc(&doc.title)
    ));
    if let Some(b) = &doc.banner {
        h.push_str(&format!("<div class=\"banner\">{}</div>\n", esc(b)));
    }
    h.push_str("<dl>\n");
    for (k, v) in &doc.fields {
        h.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", esc(k), esc(v)));
    }
    h.push_str("</dl>\n");
    if let Some(hd) = &doc.table_headers {
        h.push_str(&format!(
            "<table>\n<thead><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead>\n<tbody>\n",
            esc(&hd[0]),
            esc(&hd[1]),
            esc(&hd[2])
        ));
        for r in &doc.rows {
            let note = r
                .note
                .as_ref()
                .map(|n| format!("<div class=\"note\">{}</div>", esc(n)))
                .unwrap_or_default();
            h.push_str(&format!(
                "<tr><td>{}{note}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                esc(&r.name),
                esc(&r.qty),
                esc(&r.amount)
            ));
        }
        h.push_str("</tbody>\n</table>\n");
    }
    if !doc.totals.is_empty() {
        h.push_str("<table class=\"totals\">\n");
        for (k, v) in &doc.totals {
            h.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>\n",
                esc(k),
                esc(v)
            ));
        }
        h.push_str("</table>\n");
    }
    for p in &doc.paragraphs {
        h.push_str(&format!("<p>{}</p>\n", esc(p)));
    }
    if signature_png.is_some() || doc.signature_caption.is_some() {
        h.push_str("<div class=\"sig\">\n");
        if let Some(png) = signature_png {
            h.push_str(&format!(
                "<img alt=\"signature\" src=\"data:image/png;base64,{}\">\n",
                base64::engine::general_purpose::STANDARD.encode(png)
            ));
        }
        if let Some(c) = &doc.signature_caption {
            h.push_str(&format!("<div>{}</div>\n", esc(c)));
        }
        h.push_str("</div>\n");
    }
    if let Some(c) = &doc.technician_signature_caption {
        h.push_str("<div class=\"sig\">\n");
        if let Some(png) = super::technician_signature_png(doc) {
            h.push_str(&format!(
                "<img alt=\"technician signature\" src=\"data:image/png;base64,{}\">\n",
                base64::engine::general_purpose::STANDARD.encode(png)
            ));
        }
        h.push_str(&format!("<div>{}</div>\n", esc(c)));
        h.push_str("</div>\n");
    }
    h.push_str("<footer>\n");
    for f in &doc.footer {
        h.push_str(&format!("<div>{}</div>\n", esc(f)));
    }
    h.push_str("</footer>\n</body>\n</html>\n");
    h
}
