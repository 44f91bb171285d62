//! The sandbox's HTTP/1 server: the axum router behind an accept loop that
//! bounds what one client can hold.
//!
//! - At most `max_connections` connections are open at once, so
//!   descriptors and memory stay bounded. A connection beyond that closes
//!   the one idle the longest (open, but with no request in progress: a
//!   client that never finishes its header, or a keep-alive connection
//!   between requests); while every connection has a request in progress,
//!   it waits.
//! - A connection that has not sent a request's whole header within
//!   `header_read_timeout` is closed. The same timer runs while a
//!   keep-alive connection waits for its next request, so an idle
//!   connection is closed after that long too.
//! - A request whose body has not arrived within `body_read_timeout` is
//!   answered 408 and its connection closed.
//!
//! Stopping the server stops accepting, lets requests in progress finish
//! and closes idle connections; dropping it closes every connection.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::JoinSet;

/// The largest request body read (the limit axum's `Bytes` extractor keeps).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The pause after a failed `accept` (out of descriptors, most likely)
/// before the next one, so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// How often a new connection asks again for room while every open
/// connection has a request in progress.
const EVICT_RETRY: Duration = Duration::from_millis(50);

/// The address a request's connection comes from (a request extension).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub(crate) std::net::SocketAddr);

impl Peer {
    /// Whether it is this machine: a loopback address, also as an IPv4
    /// address mapped into IPv6 (`::ffff:127.0.0.1`, how a socket listening
    /// on `::` sees a client of `127.0.0.1`).
    pub(crate) fn is_loopback(&self) -> bool {
        self.0.ip().to_canonical().is_loopback()
    }
}

/// The bounds of [`serve`], from the sandbox's configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
}

/// The open connections, oldest first, as the accept loop sees them.
#[derive(Default)]
struct Registry {
    connections: Mutex<BTreeMap<u64, Arc<Slot>>>,
}

/// One connection: the requests it is handling, and the signal that closes it.
#[derive(Default)]
struct Slot {
    requests: AtomicUsize,
    evicting: AtomicBool,
    evict: Notify,
}

impl Registry {
    /// Asks the connection idle the longest (no request in progress) to close.
    fn evict_oldest_idle(&self) {
        let connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        let idle = connections
            .values()
            .find(|slot| slot.requests.load(Ordering::SeqCst) == 0 && !slot.evicting.swap(true, Ordering::SeqCst));
        if let Some(slot) = idle {
            slot.evict.notify_one();
        }
    }
}

/// One open connection: counted in `open`, listed in the registry, holding
/// a permit of the cap, all until it is dropped.
struct Open {
    id: u64,
    slot: Arc<Slot>,
    registry: Arc<Registry>,
    open: Arc<AtomicUsize>,
    _permit: OwnedSemaphorePermit,
}

impl Open {
    fn new(id: u64, registry: Arc<Registry>, open: Arc<AtomicUsize>, permit: OwnedSemaphorePermit) -> Self {
        let slot = Arc::new(Slot::default());
        registry.connections.lock().unwrap_or_else(|p| p.into_inner()).insert(id, slot.clone());
        open.fetch_add(1, Ordering::SeqCst);
        Self { id, slot, registry, open, _permit: permit }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
        self.registry.connections.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}

/// Counts a request in progress on its connection while it lives: from
/// its header until its answer's body is written.
struct InProgress(Arc<Slot>);

impl InProgress {
    fn new(slot: Arc<Slot>) -> Self {
        slot.requests.fetch_add(1, Ordering::SeqCst);
        Self(slot)
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.requests.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves `app` on `listener` until `stop` fires (or is dropped), counting
/// the connections open in `open`.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    open: Arc<AtomicUsize>,
    mut stop: oneshot::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let registry = Arc::new(Registry::default());
    let mut connections = JoinSet::new();
    let (closing, closing_seen) = watch::channel(false);
    let mut next_id = 0u64;
    loop {
        while connections.try_join_next().is_some() {}
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "the sandbox could not accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let permit = tokio::select! {
            permit = make_room(&permits, &registry) => permit,
            _ = &mut stop => break,
        };
        next_id += 1;
        let open = Open::new(next_id, registry.clone(), open.clone(), permit);
        connections.spawn(connection(stream, app.clone(), limits, open, closing_seen.clone()));
    }
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

/// A permit for one more connection. At the cap, the connection idle the
/// longest is closed to make room; while every connection has a request in
/// progress, this waits (asking again every [`EVICT_RETRY`]).
async fn make_room(permits: &Arc<Semaphore>, registry: &Registry) -> OwnedSemaphorePermit {
    loop {
        if let Ok(permit) = permits.clone().try_acquire_owned() {
            return permit;
        }
        registry.evict_oldest_idle();
        if let Ok(Ok(permit)) = tokio::time::timeout(EVICT_RETRY, permits.clone().acquire_owned()).await {
            return permit;
        }
    }
}

/// Serves one connection until it ends, is evicted, or the server stops.
async fn connection(stream: TcpStream, app: Router, limits: Limits, open: Open, mut closing: watch::Receiver<bool>) {
    let app = TowerToHyperService::new(app);
    let slot = open.slot.clone();
    let peer = stream.peer_addr().ok().map(Peer);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let (app, in_progress) = (app.clone(), InProgress::new(slot.clone()));
        if let Some(peer) = peer {
            request.extensions_mut().insert(peer);
        }
        async move {
            let response = answer(&app, request, limits.body_read_timeout).await;
            // Still in progress until the body is written (or dropped).
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _ = &in_progress;
                    frame
                }))
            }))
        }
    });
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let served = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    loop {
        tokio::select! {
            _ = served.as_mut() => return,
            _ = open.slot.evict.notified() => {
                if open.slot.requests.load(Ordering::SeqCst) == 0 {
                    return; // dropping the connection closes it
                }
                open.slot.evicting.store(false, Ordering::SeqCst); // a request came in meanwhile
            }
            _ = closing.wait_for(|closing| *closing) => break,
        }
    }
    served.as_mut().graceful_shutdown();
    let _ = served.await;
}

/// Reads the whole body within `timeout`, then hands the request to the router.
async fn answer(app: &TowerToHyperService<Router>, request: Request<Incoming>, timeout: Duration) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(timeout, Limited::new(body, MAX_BODY_BYTES).collect()).await;
    let body = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.is::<LengthLimitError>() => {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
        }
        Ok(Err(_)) => return plain(StatusCode::BAD_REQUEST, "request body cut short"),
        Err(_) => return plain(StatusCode::REQUEST_TIMEOUT, "request body not received in time"),
    };
    match hyper::service::Service::call(app, Request::from_parts(parts, Body::from(body))).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// A plain-text answer after which the connection is closed.
fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain"));
    headers.insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod peer_tests {
    use super::Peer;

    #[test]
    fn a_loopback_peer_is_one_also_when_mapped_into_ipv6() {
        for (address, loopback) in [
            ("127.0.0.1:1", true),
            ("[::1]:1", true),
            ("[::ffff:127.0.0.1]:1", true),
            ("[::ffff:127.9.9.9]:1", true),
            ("[::ffff:10.0.0.1]:1", false),
            ("10.0.0.1:1", false),
            ("[::2]:1", false),
        ] {
            assert_eq!(Peer(address.parse().expect("an address")).is_loopback(), loopback, "{address}");
        }
    }
}
