//! The service centre's console: server-rendered pages at `/`, served by
//! `onsite hq serve` itself (same process, same database, same store
//! operations as the API). Each page is a module named after what the
//! service centre does there; the rules it applies live in
//! [`crate::centre`] and [`crate::rules`], never in a page.
//!
//! - Pages are HTML from [`maud`] (escaped by construction), styled by one
//!   embedded stylesheet; a few lines of embedded JavaScript only where they
//!   help. No inline script or style: the Content-Security-Policy forbids
//!   them, so an injected tag cannot run.
//! - A person signs in ([`login`]); [`session::Signed`] is the signed-in
//!   person a handler asks for, [`session::Posted`] a form checked against
//!   the session's CSRF secret. What a role may do is
//!   [`crate::centre::people::PERMISSIONS`]. A device token or integration
//!   key opens no page: only the session cookie is read here.
//! - zh-CN by default, English by a switch (a cookie); times in China time.

pub mod access;
pub mod approvals;
pub mod assets;
pub mod complaints;
pub mod desk;
pub mod fleet;
pub mod followups;
pub mod home;
pub mod leaks;
pub mod login;
pub mod order;
pub mod page;
pub mod people;
pub mod reconciliation;
pub mod reports;
pub mod session;

use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::Router;

use crate::limit::Limiter;
use crate::storage::Storage;

/// What every console handler can reach.
#[derive(Clone)]
pub struct Console {
    pub store: Arc<dyn Storage>,
    /// Wrong passwords per address.
    pub login_limit: Arc<Limiter>,
}

impl Console {
    pub fn new(store: Arc<dyn Storage>) -> Console {
        Console {
            store,
            login_limit: Arc::new(Limiter::default()),
        }
    }
}

/// Every console route, with the headers every page gets.
pub fn routes(console: Console) -> Router {
    Router::new()
        .merge(assets::routes())
        .merge(login::routes())
        .merge(home::routes())
        .merge(people::routes())
        .merge(desk::routes())
        .merge(order::routes())
        .merge(access::routes())
        .merge(leaks::routes())
        .merge(approvals::routes())
        .merge(followups::routes())
        .merge(complaints::routes())
        .merge(reconciliation::routes())
        .merge(reports::routes())
        .merge(fleet::routes())
        .layer(axum::middleware::map_response(security_headers))
        .with_state(console)
}

/// No page runs a script or style it did not load from HQ itself, none is
/// framed, none is cached (they show customers' data).
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
