//! `cargo xtask live-check`: the quickstart's story against a real
//! Multicard (by default the vendor's sandbox), the shape of every answer
//! recorded (never its values), and a drift report of those shapes against
//! `spec/multicard.yaml`.
//!
//! | File | What it holds |
//! |---|---|
//! | `mod.rs` | the command: options from arguments and environment, the run, the report |
//! | `story.rs` | the walk, request by request (reqwest, no typed decoding) |
//! | `shape.rs` | the shapes recorded, `spec/observed/<operationId>.json` |
//! | `drift.rs` | shapes against the spec: the findings |
//! | `spec.rs` | the spec's operations and schemas, `$ref`/`allOf`/`oneOf`/`anyOf` resolved |
//! | `probes/` | after the walk, questions nobody has measured, answered as relations: `spec/observed/probes.json`; with `--probe-receipts`, what Multicard answers to receipts that break a rule: `spec/observed/receipts.json` |
//!
//! Dependencies go one way, from the top of this list to the bottom
//! (`probes/` uses the walk's session and the shapes' withholding rules).
//! Nothing here runs in the default test run against the network: the
//! tests point it at servers they start on loopback.

pub mod drift;
pub mod probes;
pub mod shape;
pub mod spec;
pub mod story;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use drift::Finding;
pub use probes::receipts::Receipts;
pub use probes::{Probe, ProbeOptions};
pub use shape::Observed;
pub use spec::Spec;
pub use story::Target;

/// The vendor's sandbox, when the spec names none.
pub const VENDOR_SANDBOX: &str = "https://dev-mesh.multicard.uz";
/// The store used when `MULTICARD_STORE_ID` is not set (the vendor's examples').
pub const DEFAULT_STORE_ID: i64 = 6;
/// The `callback_url` sent when `MULTICARD_CALLBACK_URL` is not set: a
/// domain that never resolves, so nothing is delivered anywhere.
pub const DEFAULT_CALLBACK_URL: &str = "https://example.invalid/multicard-callback";

/// What a live check found.
#[derive(Debug)]
pub struct LiveRun {
    /// Whom it talked to (the base URL without user or password).
    pub target: String,
    /// One line per request, and a title line before each probe's.
    pub log: Vec<String>,
    /// The shapes, by operation id.
    pub observed: BTreeMap<String, Observed>,
    /// The drift against the spec.
    pub findings: Vec<Finding>,
    /// The probes' answers, in the order they ran.
    pub probes: Vec<Probe>,
    /// The receipt probes' answers, when `--probe-receipts` asked for them.
    pub receipts: Option<Receipts>,
    /// The files written under the output folder.
    pub written: Vec<PathBuf>,
}

impl LiveRun {
    /// The report for a human: the requests, then one line per finding.
    pub fn report(&self) -> String {
        let mut out = format!("live-check against {}\n", self.target);
        for line in &self.log {
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        if self.findings.is_empty() {
            out.push_str("No drift: every answer matches spec/multicard.yaml.\n");
        } else {
            out.push_str(&format!(
                "Drift against spec/multicard.yaml ({} findings; operation status  path  kind  observed vs spec):\n",
                self.findings.len()
            ));
            out.push_str(&drift::render(&self.findings));
        }
        if !self.probes.is_empty() {
            out.push_str("\nProbes (relations and error codes only, never values):\n");
            out.push_str(&probes::verdict::render(&self.probes));
        }
        if let Some(receipts) = &self.receipts {
            out.push_str("\nReceipt probes (HTTP status, success and error code only):\n");
            for line in &receipts.lines {
                out.push_str(&format!("{line}\n"));
            }
        }
        if let Some(first) = self.written.first() {
            let dir = first.parent().map(Path::display).map(|d| d.to_string()).unwrap_or_default();
            out.push_str(&format!("\nwrote {} observation file(s) to {dir}\n", self.written.len()));
        }
        out
    }
}

/// The base URL for a report: no user, no password, no query or fragment,
/// no trailing `/`.
fn display_url(base: &str) -> String {
    match reqwest::Url::parse(base) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string().trim_end_matches('/').to_string()
        }
        Err(_) => "(an unparsable base URL)".to_string(),
    }
}

/// Runs the story and the probes (with the default options: no callback
/// listener) against `target`; see [`live_check_with`].
pub async fn live_check(spec: &Spec, target: &Target, out: &Path) -> Result<LiveRun, String> {
    live_check_with(spec, target, &ProbeOptions::default(), out).await
}

/// Runs the story against `target`, then the probes, compares the answers
/// with `spec`, and writes the observations to `out` (one file per
/// operation reached, and `probes.json`; the other files there are left as
/// they are). The callback listener, when asked for, starts before anything
/// is sent and stops with the run.
pub async fn live_check_with(
    spec: &Spec,
    target: &Target,
    options: &ProbeOptions,
    out: &Path,
) -> Result<LiveRun, String> {
    let mut target = target.clone();
    target.base_url = target.base_url.trim_end_matches('/').to_string();
    check_target(&target.base_url)?;
    let listener = match options.callback_listen {
        Some(listen) => Some(probes::CallbackListener::start(listen, options.callback_url.clone()).await?),
        None => None,
    };
    let mut walker = story::Walker::new(spec, &target)?;
    story::story(&mut walker).await;
    let probes = probes::run(&mut walker, options, listener.as_ref()).await;
    drop(listener);
    let receipts = match options.receipts {
        true => {
            walker.heading("-- probe receipts".to_string());
            Some(probes::receipts::run(&mut walker).await)
        }
        false => None,
    };
    let walk = walker.walk;
    let findings = drift::compare(spec, &walk.observed);
    let cannot_write = |e: std::io::Error| format!("{}: cannot write: {e}", out.display());
    let mut written = shape::write_all(out, &walk.observed).map_err(cannot_write)?;
    written.push(probes::verdict::write(out, &probes).map_err(cannot_write)?);
    if let Some(receipts) = &receipts {
        written.extend(probes::receipts::write(out, receipts).map_err(cannot_write)?);
    }
    Ok(LiveRun {
        target: display_url(&target.base_url),
        log: walk.log,
        observed: walk.observed,
        findings,
        probes,
        receipts,
        written,
    })
}

/// Multicard's production host: the walk creates invoices, binds a card,
/// pays and refunds, so it never runs there.
pub const PRODUCTION_HOST: &str = "mesh.multicard.uz";

/// Refuses a target the walk must not run against: production, and plain
/// http to anything but loopback (the secret would cross the network in
/// clear text). Nothing has been sent when it refuses.
pub fn check_target(base_url: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(base_url).map_err(|e| format!("the base URL is not a URL: {e}"))?;
    let host = url.host_str().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
    if host == PRODUCTION_HOST {
        return Err(format!(
            "{PRODUCTION_HOST} is Multicard's production: the live check creates invoices, binds a card, pays and \
             refunds, so it runs only against a sandbox (default {VENDOR_SANDBOX}); nothing was sent"
        ));
    }
    let loopback = host == "localhost"
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if url.scheme() != "https" && !loopback {
        return Err(format!(
            "{} is plain {} to {host}: the credentials would cross the network in clear text; use https (plain http \
             only to loopback); nothing was sent",
            display_url(base_url),
            url.scheme()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_and_clear_text_targets_are_refused() {
        assert!(check_target("https://mesh.multicard.uz").unwrap_err().contains("production"));
        assert!(check_target("https://MESH.multicard.uz./").unwrap_err().contains("production"));
        assert!(check_target("http://dev-mesh.multicard.uz").unwrap_err().contains("clear text"));
        assert!(check_target("http://user:pw@10.0.0.5:8080").unwrap_err().contains("clear text"));
        assert!(!check_target("http://user:pw@10.0.0.5:8080").unwrap_err().contains("pw@"));
        check_target("https://dev-mesh.multicard.uz").unwrap();
        check_target("http://127.0.0.1:8090").unwrap();
        check_target("http://[::1]:8090").unwrap();
        check_target("http://localhost:8090").unwrap();
    }
}

/// Reads a spec file.
pub fn load_spec(path: &Path) -> Result<Spec, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let value = crate::vendor::parse_yaml(&text, 1).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Spec::new(value))
}

/// For `regen`: what the observations in `dir` contradict in the document,
/// as the section "Observed traffic contradicts:"; `None` when `dir` does
/// not exist.
pub fn contradictions(dir: &Path, document: &serde_json::Value) -> Result<Option<String>, String> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let observed = shape::read_all(dir)?;
    let findings = drift::compare(&Spec::new(document.clone()), &observed);
    let mut out = format!("Observed traffic contradicts ({} operation(s) in {}):\n", observed.len(), dir.display());
    if findings.is_empty() {
        out.push_str("nothing\n");
    } else {
        out.push_str(&drift::render(&findings));
    }
    Ok(Some(out))
}

/// The options of `live-check`.
#[derive(Debug, Default)]
pub struct Args {
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--out`.
    pub out: Option<PathBuf>,
    /// `--callback-listen`.
    pub callback_listen: Option<std::net::SocketAddr>,
    /// `--callback-url`.
    pub callback_url: Option<String>,
    /// `--probe-receipts`.
    pub probe_receipts: bool,
}

impl Args {
    /// The probes' options these arguments ask for.
    pub fn probe_options(&self) -> ProbeOptions {
        ProbeOptions {
            callback_listen: self.callback_listen,
            callback_url: self.callback_url.clone(),
            receipts: self.probe_receipts,
            ..ProbeOptions::default()
        }
    }
}

/// Parses the arguments after `live-check`.
pub fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || iter.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--base-url" => parsed.base_url = Some(value()?),
            "--out" => parsed.out = Some(PathBuf::from(value()?)),
            "--probe-receipts" => parsed.probe_receipts = true,
            "--callback-listen" => {
                let text = value()?;
                let listen = text.parse().map_err(|_| {
                    format!("--callback-listen takes an IP address and a port (127.0.0.1:8787), not `{text}`")
                })?;
                parsed.callback_listen = Some(listen);
            }
            "--callback-url" => {
                let url = value()?;
                probes::listener::check_callback_url(&url)?;
                parsed.callback_url = Some(url);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    match (&parsed.callback_listen, &parsed.callback_url) {
        (None, Some(_)) => {
            return Err("--callback-url needs --callback-listen: nothing would hear the callback".to_string());
        }
        (Some(listen), None) if listen.ip().is_unspecified() => {
            return Err(format!(
                "--callback-listen {listen} listens on every address: name the URL that reaches it with --callback-url"
            ));
        }
        _ => {}
    }
    Ok(parsed)
}

/// The target from the arguments and the environment: `--base-url`, else
/// `MULTICARD_BASE_URL`, else the spec's sandbox server; credentials from
/// `MULTICARD_APPLICATION_ID` and `MULTICARD_SECRET`.
pub fn target_from_env(spec: &Spec, args: &Args, env: impl Fn(&str) -> Option<String>) -> Result<Target, String> {
    let base_url = args
        .base_url
        .clone()
        .or_else(|| env("MULTICARD_BASE_URL"))
        .or_else(|| spec.server("Sandbox").map(str::to_string))
        .unwrap_or_else(|| VENDOR_SANDBOX.to_string());
    check_target(&base_url)?;
    let application_id =
        env("MULTICARD_APPLICATION_ID").ok_or("set MULTICARD_APPLICATION_ID (and MULTICARD_SECRET)")?;
    let secret = env("MULTICARD_SECRET").ok_or("set MULTICARD_SECRET")?;
    let store_id = match env("MULTICARD_STORE_ID") {
        Some(text) => text.parse().map_err(|_| "MULTICARD_STORE_ID is not an integer".to_string())?,
        None => DEFAULT_STORE_ID,
    };
    let callback_url = env("MULTICARD_CALLBACK_URL").unwrap_or_else(|| DEFAULT_CALLBACK_URL.to_string());
    Ok(Target { base_url, application_id, secret, store_id, callback_url })
}
