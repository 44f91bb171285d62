//! The sandbox `multicard sandbox start` keeps running, as other commands
//! find it: its folder (`$MULTICARD_SANDBOX_HOME`, else
//! `$XDG_STATE_HOME/multicard`, else `~/.local/state/multicard`), its state
//! file there (`state.json`), and the discovery file (`running.json`:
//! `{"url": ..., "pid": ...}`), written whole while it runs and removed when
//! it stops. A discovery file is believed only for a loopback `http://` URL
//! whose sandbox answers (`GET /sandbox/admin/clock`) within a second.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::failure::printable;

/// How long a sandbox named by the discovery file has to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The largest discovery file read.
const MAX_DISCOVERY: u64 = 64 * 1024;

/// The folder the running sandbox keeps its files in.
pub(crate) fn home() -> Result<PathBuf, String> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(home) = set("MULTICARD_SANDBOX_HOME") {
        return Ok(home);
    }
    if let Some(state) = set("XDG_STATE_HOME") {
        return Ok(state.join("multicard"));
    }
    match set("HOME") {
        Some(home) => Ok(home.join(".local").join("state").join("multicard")),
        None => Err("no folder for the sandbox's files: set MULTICARD_SANDBOX_HOME (or HOME)".into()),
    }
}

/// The discovery file.
pub(crate) fn discovery() -> Result<PathBuf, String> {
    home().map(|home| home.join("running.json"))
}

/// What the discovery file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Running {
    /// The sandbox's base URL (loopback `http://`).
    pub(crate) url: String,
    /// The process serving it.
    pub(crate) pid: u32,
}

/// What the discovery file led to.
#[derive(Debug)]
pub(crate) enum Found {
    /// A sandbox that answers.
    Live(Running),
    /// No discovery file.
    Nothing,
    /// A discovery file not to believe: why (said to the user).
    Ignored(String),
}

/// The running sandbox, if the discovery file names one that answers.
pub(crate) async fn find() -> Found {
    let path = match discovery() {
        Ok(path) => path,
        Err(_) => return Found::Nothing,
    };
    let running = match read(&path) {
        Ok(Some(running)) => running,
        Ok(None) => return Found::Nothing,
        Err(why) => return Found::Ignored(format!("ignoring {}: {why}", shown(&path))),
    };
    if let Err(why) = loopback_http(&running.url) {
        return Found::Ignored(format!("ignoring {}: {why}", shown(&path)));
    }
    match probe(&running.url).await {
        Ok(()) => Found::Live(running),
        Err(why) => Found::Ignored(format!(
            "ignoring {}: the sandbox it names ({}, pid {}) {why}",
            shown(&path),
            printable(&running.url),
            running.pid
        )),
    }
}

/// The discovery file at `path`: `None` when there is none.
fn read(path: &Path) -> Result<Option<Running>, String> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("it cannot be read: {e}")),
    };
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_DISCOVERY), &mut text)
        .map_err(|e| format!("it cannot be read: {e}"))?;
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| format!("it is not a discovery file: {}", printable(&e.to_string())))
}

/// `Ok` for an `http://` URL on a loopback address (`127.0.0.1`, any
/// `127.x`, `[::1]`, `localhost`), a port of digits, no path beyond `/`.
pub(crate) fn loopback_http(url: &str) -> Result<(), String> {
    let refused = || format!("`{}` is not a loopback http:// URL", printable(url));
    let rest = url.strip_prefix("http://").ok_or_else(refused)?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#', '@']) {
        return Err(refused());
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').ok_or_else(refused)?,
        None => authority.rsplit_once(':').map_or((authority, ""), |(host, port)| (host, port)),
    };
    let port = port.strip_prefix(':').unwrap_or(port);
    if !port.bytes().all(|b| b.is_ascii_digit()) || !is_loopback_host(host) {
        return Err(refused());
    }
    Ok(())
}

/// `localhost`, or a loopback address (`127.x`, `::1`; without brackets).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `Ok` when the sandbox at `url` answers its clock within a second.
pub(crate) async fn probe(url: &str) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot be asked: {e}"))?;
    let answer = http
        .get(format!("{}/sandbox/admin/clock", url.trim_end_matches('/')))
        .send()
        .await
        .map_err(|_| "does not answer".to_string())?;
    if answer.status() != 200 {
        return Err(format!("answers HTTP {} to its clock", answer.status().as_u16()));
    }
    match answer.json::<Value>().await {
        Ok(body) if body["success"] == Value::Bool(true) => Ok(()),
        _ => Err("is not a Multicard sandbox".into()),
    }
}

/// Writes `running` to `path` whole: a temporary file beside it, synced,
/// then renamed over it.
pub(crate) fn write(path: &Path, running: &Running) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(serde_json::to_string(running)?.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Removes the discovery file at `path` if it still names `running` (a
/// later sandbox may have written its own).
pub(crate) fn remove(path: &Path, running: &Running) {
    if read(path).ok().flatten().as_ref() == Some(running) {
        let _ = std::fs::remove_file(path);
    }
}

/// A path as it may be printed.
pub(crate) fn shown(path: &Path) -> String {
    printable(&path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_loopback_http_url_is_believed() {
        for url in ["http://127.0.0.1:8090", "http://127.0.0.1:8090/", "http://localhost:1", "http://[::1]:80"] {
            assert_eq!(loopback_http(url), Ok(()), "{url}");
        }
        for url in [
            "https://127.0.0.1:8090",
            "http://10.0.0.5:8090",
            "http://mesh.multicard.uz",
            "http://127.0.0.1:8090/elsewhere",
            "http://user@127.0.0.1:8090",
            "http://127.0.0.1.example.com:80",
            "ftp://127.0.0.1",
            "http://127.0.0.1:80\u{1b}[2J",
            "http://[::1]x:80",
        ] {
            assert!(loopback_http(url).is_err(), "{url}");
        }
    }
}
