//! What every page request goes through before its handler: the pages
//! answer only a loopback client that named a loopback host (so a web page
//! elsewhere cannot reach them by DNS rebinding), and every POST must come
//! from the sandbox's own pages: an `Origin`, when the browser sends one,
//! equal to the sandbox's, and the per-process token every form carries
//! (cross-site requests cannot know it). [`Form`] reads the POST's fields.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::html;
use crate::server::Peer;
use crate::state::App;

/// The largest form the pages read.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Lets a page request through only from a loopback peer that named a
/// loopback host.
pub(crate) async fn loopback_only(request: Request, next: Next) -> Response {
    let peer_is_local = request.extensions().get::<Peer>().is_some_and(Peer::is_loopback);
    if !peer_is_local {
        return html::problem(StatusCode::FORBIDDEN, "Not here", "The sandbox's pages answer only this machine.");
    }
    match names_loopback(request.headers()) {
        true => next.run(request).await,
        false => html::problem(
            StatusCode::FORBIDDEN,
            "Not here",
            "The sandbox's pages answer only a loopback host name: open them as http://127.0.0.1:PORT or \
             http://localhost:PORT.",
        ),
    }
}

/// The request's `Host`, lowercased, without its port.
fn host(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::HOST)?.to_str().ok()?.to_ascii_lowercase();
    let name = match value.strip_prefix('[') {
        Some(rest) => rest.split(']').next()?.to_string(),
        None => value.rsplit_once(':').map_or(value.as_str(), |(name, _)| name).to_string(),
    };
    Some(name)
}

/// Whether the request names a loopback host (`Host`), so no other site's
/// name can reach the sandbox by DNS rebinding.
pub(crate) fn names_loopback(headers: &HeaderMap) -> bool {
    host(headers).is_some_and(|host| is_loopback_host(&host))
}

/// Whether the request's `Origin`, when a browser sent one, is the
/// sandbox's own (`http://` and the `Host` it was sent to): a page of
/// another site sends its own.
pub(crate) fn origin_is_own(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let expected = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(|h| format!("http://{h}"));
    let origin = origin.to_str().ok().map(str::to_ascii_lowercase);
    origin.is_some() && origin == expected.map(|e| e.to_ascii_lowercase())
}

/// `localhost`, or a loopback IP address (also one mapped into IPv6).
fn is_loopback_host(name: &str) -> bool {
    name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// A POST's form fields, from one of the sandbox's own pages: its `Origin`
/// (when sent) matches the `Host` it was sent to, and its `token` field is
/// this process's.
pub(crate) struct Form(pub(crate) BTreeMap<String, String>);

impl Form {
    /// Field `name`, trimmed; empty when absent.
    pub(crate) fn field(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |value| value.trim())
    }
}

/// Why a POST was refused.
pub(crate) struct Refused(&'static str);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        html::problem(StatusCode::FORBIDDEN, "Refused", self.0)
    }
}

impl FromRequest<App> for Form {
    type Rejection = Refused;

    async fn from_request(request: Request, app: &App) -> Result<Self, Self::Rejection> {
        let headers = request.headers();
        if !origin_is_own(headers) {
            return Err(Refused("this form was sent from another site's page: nothing was done"));
        }
        let form_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|t| t.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(Refused("a form must be sent as application/x-www-form-urlencoded: nothing was done"));
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| Refused("the form is larger than 64 KiB or was cut off: nothing was done"))?;
        let fields = fields(&bytes).ok_or(Refused("a field of the form is given twice: nothing was done"))?;
        let token = fields.get("token").map_or("", String::as_str);
        if !same_token(token, &app.pages.token) {
            return Err(Refused(
                "this form does not carry this sandbox's token (a page from before a restart, or from another \
                 site): reload the page; nothing was done",
            ));
        }
        Ok(Form(fields))
    }
}

/// Whether `given` is `expected`, compared in constant time.
pub(crate) fn same_token(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads `bytes` as form fields; `None` when a name is given twice.
fn fields(bytes: &Bytes) -> Option<BTreeMap<String, String>> {
    let mut fields = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(bytes) {
        if fields.insert(name.into_owned(), value.into_owned()).is_some() {
            return None;
        }
    }
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_without_their_port_and_only_loopback_ones_pass() {
        let mut headers = HeaderMap::new();
        for (value, loopback) in [
            ("127.0.0.1:8090", true),
            ("LOCALHOST:1", true),
            ("[::1]:8090", true),
            ("127.1.2.3", true),
            ("evil.example:8090", false),
            ("127.0.0.1.evil.example", false),
            ("localhost.evil.example:80", false),
            ("[::2]:1", false),
            ("[::ffff:127.0.0.1]:8090", true),
            ("[::ffff:10.0.0.1]:8090", false),
        ] {
            headers.insert(header::HOST, value.parse().expect("a header value"));
            assert_eq!(host(&headers).is_some_and(|h| is_loopback_host(&h)), loopback, "{value}");
        }
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
        assert_eq!(fields(&Bytes::from_static(b"a=1&b=%3Cx%3E")).expect("fields")["b"], "<x>");
        assert!(fields(&Bytes::from_static(b"a=1&a=2")).is_none());
    }
}
