//! `multicard sandbox start|status`: a local Multicard that keeps running
//! between commands, with what it holds kept in a state file, found by
//! `multicard --sandbox …` through its discovery file (`running.rs`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use clap::{Arg, ArgMatches, Command};
use multicard_sandbox::{APPLICATION_ID, SECRET, Sandbox, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::json;

use crate::console;
use crate::exit;
use crate::failure::{Failure, fail};
use crate::running::{self, Found, Running, shown};

/// What `multicard sandbox start --help` adds.
const START_HELP: &str = "\
Serves a local Multicard (multicard-sandbox) in the foreground until Ctrl-C or SIGTERM. What it
holds (invoices, cards, payments, callbacks due, its clock) is kept in the state file, so a
sandbox started again goes on where this one stopped. While it runs, `multicard --sandbox …`
commands use it (they find it through $MULTICARD_SANDBOX_HOME/running.json), and the links it
prints (checkout, receipts) keep working.

Its folder: $MULTICARD_SANDBOX_HOME, else $XDG_STATE_HOME/multicard, else
~/.local/state/multicard. The state file defaults to state.json there; one that cannot be
read or is not a sandbox state file stops the start (exit 2) and is left as it is.

Its clock follows the wall clock. The credentials it prints are the sandbox's own, published
ones: they open nothing but a sandbox.

Exit codes: 0 stopped by Ctrl-C or SIGTERM, its state written; 2 it cannot start (the
address, the state file); 8 a sandbox already runs (stop it first: they would share files);
7 its state could not be written when it stopped.";

/// What `multicard sandbox status --help` adds.
const STATUS_HELP: &str = "\
Exit codes: 0 a sandbox runs (its URL on stdout); 14 none runs (no discovery file, or the
sandbox it names does not answer).";

/// `multicard sandbox`.
pub(crate) fn command() -> Command {
    let start = Command::new("start")
        .about("Run a local sandbox in the foreground, keeping its state, for `--sandbox` commands to use")
        .after_help(START_HELP)
        .arg(
            Arg::new("port")
                .long("port")
                .value_parser(clap::value_parser!(u16))
                .default_value("8090")
                .help("The port (0 picks a free one)"),
        )
        .arg(
            Arg::new("host")
                .long("host")
                .value_parser(clap::value_parser!(IpAddr))
                .default_value("127.0.0.1")
                .help("The address to listen on (anything but loopback prints a warning)"),
        )
        .arg(
            Arg::new("state")
                .long("state")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("The state file (default: state.json in $MULTICARD_SANDBOX_HOME)"),
        );
    let status = Command::new("status")
        .about("Whether a sandbox started by `multicard sandbox start` runs, and where")
        .after_help(STATUS_HELP);
    Command::new("sandbox")
        .about("A local Multicard that keeps running between commands: multicard sandbox start|status")
        .subcommand_required(true)
        .subcommand(start)
        .subcommand(status)
}

/// Runs `multicard sandbox …`.
pub(crate) async fn run(matches: &ArgMatches, group: &ArgMatches) -> Result<(), Failure> {
    let json = matches.get_one::<String>("output").map(String::as_str) == Some("json");
    match group.subcommand() {
        Some(("start", args)) => start(args, json).await,
        Some(("status", _)) => status(json).await,
        _ => Err(fail(exit::USAGE, "multicard sandbox start|status")),
    }
}

async fn status(json: bool) -> Result<(), Failure> {
    let path = running::discovery().map_err(|m| fail(exit::NOT_RUNNING, m))?;
    match running::find().await {
        Found::Live(running) => {
            let text = if json {
                json!({"running": true, "url": running.url, "pid": running.pid,
                    "dashboard": format!("{}/sandbox/", running.url)})
                .to_string()
            } else {
                format!("a sandbox runs at {} (pid {}); dashboard {}/sandbox/", running.url, running.pid, running.url)
            };
            console::print(&text)
        }
        Found::Nothing => Err(fail(
            exit::NOT_RUNNING,
            format!("no sandbox runs (no {}): start one with `multicard sandbox start`", shown(&path)),
        )),
        Found::Ignored(why) => Err(fail(exit::NOT_RUNNING, format!("no sandbox runs: {why}"))),
    }
}

async fn start(args: &ArgMatches, json: bool) -> Result<(), Failure> {
    let home = running::home().map_err(|m| fail(exit::USAGE, m))?;
    create_folder(&home)?;
    let discovery = home.join("running.json");
    match running::find().await {
        Found::Live(running) => {
            return Err(fail(
                exit::CONFLICT,
                format!(
                    "a sandbox already runs at {} (pid {}); stop it first (Ctrl-C where it runs), or use it: \
                     `multicard --sandbox …` does",
                    running.url, running.pid
                ),
            ));
        }
        Found::Ignored(why) => console::note(&why),
        Found::Nothing => {}
    }
    let state = args.get_one::<PathBuf>("state").cloned().unwrap_or_else(|| home.join("state.json"));
    let host = args.get_one::<IpAddr>("host").copied().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let port = args.get_one::<u16>("port").copied().unwrap_or(8090);
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(host, port))
        .await
        .map_err(|e| fail(exit::USAGE, format!("cannot listen on {}: {e}", SocketAddr::new(host, port))))?;
    let address = listener.local_addr().map_err(|e| fail(exit::USAGE, format!("the listening address: {e}")))?;
    if !address.ip().is_loopback() {
        console::warning(&multicard_sandbox::exposure_warning(address));
    }
    let config = SandboxConfig::default().with_real_time(true).with_state_file(&state);
    let sandbox = Sandbox::serve(listener, config).await.map_err(|e| fail(exit::USAGE, e.to_string()))?;
    let running = Running { url: local_url(address), pid: std::process::id() };
    if let Err(e) = running::write(&discovery, &running) {
        sandbox.stop().await;
        return Err(fail(exit::USAGE, format!("cannot write {}: {e}", shown(&discovery))));
    }
    // The banner goes to whoever reads it; a reader that stopped does not stop the sandbox.
    let _ = console::print(&banner(&running.url, &state, json));
    sandbox
        .serve_until_stopped(|problem| match problem {
            Some(problem) => console::warning(problem),
            None => console::note("the state file is written again"),
        })
        .await;
    let saved = sandbox.save().await;
    sandbox.stop().await;
    running::remove(&discovery, &running);
    match saved {
        Ok(()) => {
            console::note(&format!("the sandbox stopped; its state is in {}", shown(&state)));
            Ok(())
        }
        Err(e) => Err(fail(exit::UNEXPECTED, format!("the sandbox stopped, but {e}"))),
    }
}

/// What `start` prints once the sandbox serves.
fn banner(url: &str, state: &std::path::Path, json: bool) -> String {
    if json {
        return json!({"url": url, "dashboard": format!("{url}/sandbox/"), "application_id": APPLICATION_ID,
            "secret": SECRET, "state": state.display().to_string(), "pid": std::process::id()})
        .to_string();
    }
    format!(
        "Multicard sandbox running at {url}\n  dashboard       {url}/sandbox/\n  application_id  {APPLICATION_ID}\n  \
         secret          {SECRET} (the sandbox's own: it opens nothing else)\n  test card       {TEST_CARD_PAN}, \
         expiry {TEST_CARD_EXPIRY}, OTP {TEST_OTP}\n  state           {}\n`multicard --sandbox …` uses it; \
         Ctrl-C stops it.",
        shown(state)
    )
}

/// The URL other commands reach the sandbox at: a loopback address for
/// one listening on every address.
fn local_url(address: SocketAddr) -> String {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, address.port()))
}

/// Creates the sandbox's folder (its owner's only, where that means
/// something).
fn create_folder(home: &std::path::Path) -> Result<(), Failure> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(home).map_err(|e| fail(exit::USAGE, format!("cannot create {}: {e}", shown(home))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sandbox_on_every_address_is_reached_on_loopback() {
        let any: SocketAddr = "0.0.0.0:8090".parse().unwrap();
        assert_eq!(local_url(any), "http://127.0.0.1:8090");
        let any6: SocketAddr = "[::]:8090".parse().unwrap();
        assert_eq!(local_url(any6), "http://[::1]:8090");
        let here: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert_eq!(local_url(here), "http://127.0.0.1:1");
    }
}
