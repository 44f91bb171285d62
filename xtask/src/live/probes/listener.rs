//! The callback listener of `--callback-listen`: a small HTTP/1.1 server,
//! on plain TCP, that lives for one run and hears the callbacks Multicard
//! sends for the probes' payments.
//!
//! It keeps a callback only when it names a payment a probe announced
//! ([`CallbackListener::expect`]) by its `uuid`, `invoice_uuid` or
//! `invoice_id`, and answers it `200 {"success": true}` (again for a resent
//! one). Anything else is counted, answered 404, and forgotten. It prints
//! and writes nothing: what it heard is read by the probes, in memory.
//! Bodies over [`MAX_BODY`] bytes, heads over [`MAX_HEAD`], chunked bodies
//! and connections slower than [`CONNECTION_TIME`] are refused; at most
//! [`MAX_CONNECTIONS`] are served at once, and at most [`MAX_KEPT`]
//! callbacks kept.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};

/// The largest request head read.
pub const MAX_HEAD: usize = 16 * 1024;
/// The largest callback body read.
pub const MAX_BODY: usize = 64 * 1024;
/// How long one connection may take, request and answer.
pub const CONNECTION_TIME: Duration = Duration::from_secs(10);
/// Connections served at once; more wait.
pub const MAX_CONNECTIONS: usize = 16;
/// Callbacks kept at most.
pub const MAX_KEPT: usize = 64;
/// The path of the default callback URL.
pub const CALLBACK_PATH: &str = "/live-check/callback";

#[derive(Default)]
struct Heard {
    /// The `uuid`s and `invoice_id`s the probes announced.
    expected: BTreeSet<String>,
    /// The callbacks that named one of them, in the order they came.
    kept: Vec<Value>,
}

#[derive(Default)]
struct State {
    heard: Mutex<Heard>,
    /// Requests that named no announced payment.
    others: AtomicUsize,
    arrived: Notify,
}

impl State {
    fn heard(&self) -> MutexGuard<'_, Heard> {
        self.heard.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A listener for the run's callbacks; it stops when dropped.
pub struct CallbackListener {
    url: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for CallbackListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackListener").finish_non_exhaustive()
    }
}

impl Drop for CallbackListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Checks a `--callback-url`: an absolute http or https URL. The URL is not
/// repeated in the message (it may carry a key).
pub fn check_callback_url(url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => Ok(()),
        Ok(_) => Err("--callback-url is not an http or https URL with a host".to_string()),
        Err(error) => Err(format!("--callback-url is not a URL: {error}")),
    }
}

impl CallbackListener {
    /// Listens on `listen`; Multicard is told `url`, or, without one,
    /// `http://<the address bound><CALLBACK_PATH>` (which needs a concrete
    /// address, not `0.0.0.0`). Nothing has been sent when it fails.
    pub async fn start(listen: SocketAddr, url: Option<String>) -> Result<Self, String> {
        if let Some(url) = &url {
            check_callback_url(url)?;
        } else if listen.ip().is_unspecified() {
            return Err(format!(
                "--callback-listen {listen} listens on every address: name the URL that reaches it with \
                 --callback-url; nothing was sent"
            ));
        }
        let listener =
            TcpListener::bind(listen).await.map_err(|e| format!("--callback-listen {listen}: cannot listen: {e}"))?;
        let bound = listener.local_addr().map_err(|e| format!("--callback-listen {listen}: {e}"))?;
        let url = url.unwrap_or_else(|| format!("http://{bound}{CALLBACK_PATH}"));
        let state = Arc::new(State::default());
        let task = tokio::spawn(accept(listener, state.clone()));
        Ok(Self { url, state, task })
    }

    /// The URL sent as `callback_url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Announces a payment (its `uuid`, or its `invoice_id`): callbacks
    /// naming it are kept and answered with success.
    pub fn expect(&self, key: &str) {
        if !key.is_empty() {
            self.state.heard().expected.insert(key.to_string());
        }
    }

    /// The callbacks kept so far that name `key`.
    pub fn heard(&self, key: &str) -> Vec<Value> {
        self.state.heard().kept.iter().filter(|body| names(body, key)).cloned().collect()
    }

    /// Waits up to `wait` for a callback that names `key` and satisfies
    /// `wanted`; returns the first.
    pub async fn wait_for(&self, key: &str, wait: Duration, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let arrived = self.state.arrived.notified();
            if let Some(found) = self.heard(key).into_iter().find(|body| wanted(body)) {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.heard(key).into_iter().find(|body| wanted(body));
            }
        }
    }

    /// How many requests named no announced payment.
    pub fn others(&self) -> usize {
        self.state.others.load(Ordering::Relaxed)
    }
}

/// Whether a callback names `key` by its `uuid`, `invoice_uuid` or `invoice_id`.
fn names(body: &Value, key: &str) -> bool {
    ["uuid", "invoice_uuid", "invoice_id"].iter().any(|field| body.get(*field).and_then(Value::as_str) == Some(key))
}

async fn accept(listener: TcpListener, state: Arc<State>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else { return };
        let Ok((stream, _)) = listener.accept().await else { continue };
        let state = state.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(CONNECTION_TIME, serve(stream, &state)).await;
            drop(permit);
        });
    }
}

/// The end of the head in `buf`, after its blank line.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4)
}

async fn serve(mut stream: TcpStream, state: &State) -> std::io::Result<()> {
    let status = read_and_answer(&mut stream, state).await?;
    if status != 200 {
        drain(&mut stream).await;
    }
    Ok(())
}

/// Reads what a refused client still sends (at most 1 MiB, each read within
/// half a second), so closing does not reset the connection before it has
/// read the answer.
async fn drain(stream: &mut TcpStream) {
    let mut chunk = [0u8; 4096];
    let mut total = 0;
    while total < 1 << 20 {
        match tokio::time::timeout(Duration::from_millis(500), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => total += n,
            _ => return,
        }
    }
}

/// Answers one request; the status it answered.
async fn read_and_answer(stream: &mut TcpStream, state: &State) -> std::io::Result<u16> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    let head_len = loop {
        if let Some(end) = head_end(&buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return answer(stream, 431, "{}").await;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(0);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    let mut lines = head.split("\r\n");
    let method = lines.next().and_then(|line| line.split(' ').next()).unwrap_or_default().to_string();
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = Some(value.trim().parse::<usize>().map_err(|_| ())),
            "transfer-encoding" => return answer(stream, 411, "{}").await,
            _ => {}
        }
    }
    if method != "POST" {
        return answer(stream, 405, "{}").await;
    }
    let length = match length {
        Some(Ok(length)) if length <= MAX_BODY => length,
        Some(Ok(_)) => return answer(stream, 413, "{}").await,
        _ => return answer(stream, 411, "{}").await,
    };
    let mut body = buf[head_len..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(0);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let value = serde_json::from_slice::<Value>(&body).ok().filter(Value::is_object);
    let ours = value.filter(|value| {
        let mut heard = state.heard();
        let known = heard.expected.iter().any(|key| names(value, key));
        if known && heard.kept.len() < MAX_KEPT {
            heard.kept.push(value.clone());
        }
        known
    });
    if ours.is_some() {
        state.arrived.notify_waiters();
        answer(stream, 200, r#"{"success":true}"#).await
    } else {
        state.others.fetch_add(1, Ordering::Relaxed);
        answer(stream, 404, r#"{"success":false,"message":"unknown payment"}"#).await
    }
}

async fn answer(stream: &mut TcpStream, status: u16, body: &str) -> std::io::Result<u16> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        _ => "Request Header Fields Too Large",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await?;
    Ok(status)
}
