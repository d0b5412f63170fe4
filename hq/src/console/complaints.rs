//! (to be written)

use axum::Router;

use super::Console;

pub fn routes() -> Router<Console> {
    Router::new()
}
