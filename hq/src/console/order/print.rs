//! `GET /orders/{job_id}/print`: the work order's four copies, each on its
//! own printed page (`.copy`, console.css's print rules), drawn from the
//! core's document of the order; the customer's copy without what the
//! assessment withheld ([`crate::centre::dossier::work_order`]).

use axum::extract::{Path, State};
use maud::{html, Markup};
use onsite_core::documents::Doc;
use onsite_core::signature::{render_svg, Ink};

use super::{dossier_of, html_page};
use crate::centre::access::Look;
use crate::centre::dossier::{work_order, WorkOrderCopy};
use crate::centre::people::Action;
use crate::console::page::{layout, trusted, PageResult};
use crate::console::session::Signed;
use crate::console::Console;

pub(super) async fn print_page(
    State(console): State<Console>,
    who: Signed,
    Path(job_id): Path<String>,
) -> PageResult {
    who.require(Action::View)?;
    let seen = dossier_of(&console, &who, Look::Print, &job_id).await?;
    let v = &seen.dossier.visit;
    let title = format!(
        "{} {}",
        who.tr("四联工单", "Four-copy work order"),
        v.order.job_id
    );
    let body = html! {
        div.page-head.no-print {
            h1 { (title) }
            p {
                button type="button" data-print { (who.tr("打印", "Print")) }
                " "
                a href={ "/orders/" (v.order.job_id) } { (who.tr("返回工单", "Back to the order")) }
            }
        }
        @for copy in WorkOrderCopy::ALL {
            section class={ "copy copy-" (copy.slug()) } {
                p.copy-name { (copy.label(who.lang)) }
                (document(&work_order(v, copy, who.lang)))
            }
        }
    };
    let here = format!("/orders/{}/print", v.order.job_id);
    Ok(html_page(layout(&who, &here, &title, body)))
}

/// Strokes drawn as SVG by the core.
fn strokes(ink: Option<&[u8]>) -> Option<String> {
    let ink = Ink::decode(ink?).ok()?;
    render_svg(&ink, 300, 100).ok()
}

/// One copy as the core's document says it (its fields, items, totals,
/// notes, signatures and footer), in the console's markup.
fn document(doc: &Doc) -> Markup {
    html! {
        p.issuer { (doc.issuer) }
        h2 { (doc.title) }
        @if let Some(b) = &doc.banner { p.problem { (b) } }
        dl.facts {
            @for (k, val) in &doc.fields { dt { (k) } dd { (val) } }
        }
        @if let Some(h) = &doc.table_headers {
            table {
                thead { tr { th { (h[0]) } th.num { (h[1]) } th.num { (h[2]) } } }
                tbody {
                    @for r in &doc.rows {
                        tr {
                            td { (r.name) @if let Some(n) = &r.note { br; small { (n) } } }
                            td.num { (r.qty) }
                            td.num { (r.amount) }
                        }
                    }
                }
            }
        }
        @for (k, val) in &doc.totals { p.total { (k) ": " strong { (val) } } }
        @for p in &doc.paragraphs { p { (p) } }
        @if doc.signature_ink.is_some() || doc.signature_caption.is_some() {
            figure.signature {
                // SVG the core drew from the strokes (numbers only).
                @if let Some(svg) = strokes(doc.signature_ink.as_deref()) { (trusted(svg)) }
                @if let Some(c) = &doc.signature_caption { figcaption { (c) } }
            }
        }
        @if let Some(c) = &doc.technician_signature_caption {
            figure.signature {
                @if let Some(svg) = strokes(doc.technician_signature_ink.as_deref()) { (trusted(svg)) }
                figcaption { (c) }
            }
        }
        @for f in &doc.footer { p.footer { (f) } }
    }
}
