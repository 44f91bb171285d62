//! The `Date` header of every answer, by the sandbox's clock (its offset
//! included), as Multicard's servers stamp theirs by their own clock: a
//! client that measures the server's clock against its own from this
//! header (token lifetimes, registry windows) sees the clock the sandbox
//! writes `added_on` with, moved by `Sandbox::advance` and
//! `Sandbox::set_clock_offset`.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::DATE;
use axum::middleware::Next;
use axum::response::Response;

use crate::state::{App, lock};

/// Stamps the answer to `request` with the sandbox's time when it was made.
pub(crate) async fn stamp(State(app): State<App>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let now = {
        let world = lock(&app.world);
        world.clock.utc_at(world.now())
    };
    let text = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(value) = HeaderValue::from_str(&text) {
        response.headers_mut().insert(DATE, value);
    }
    response
}
