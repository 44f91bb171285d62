//! Serves the local Multicard sandbox, so services in any language can
//! test against it.
//!
//! ```sh
//! cargo run -p multicard-sandbox -- --port 8090
//! cargo run -p multicard-sandbox -- --port 8090 --state sandbox-state.json   # keeps what it holds
//! ```
//!
//! Options: `--port N` (default 8090; 0 picks a free port), `--host ADDR`
//! (default 127.0.0.1), `--state FILE` (keep what it holds in FILE: loaded
//! at start when it exists, written within a second of each change and on
//! Ctrl-C or SIGTERM; a FILE that cannot be read or is not a state file
//! stops the start, naming the file and the place, and is left as it is;
//! see `SandboxConfig::with_state_file`), `--token-lifetime SECONDS` (default 86400),
//! `--webhooks` (also send status webhooks), `--max-connections N` (default
//! 128), `--header-timeout SECONDS` (default 10), `--otp-sms-limit N` (the
//! one-time codes one card may be sent within 5 minutes before
//! `ERROR_SMS_TO_MANY`, default 3; a test suite that shares one sandbox may
//! raise it).
//!
//! Time and money: `--manual-clock` (the clock stands still until
//! `POST /sandbox/admin/advance` moves it; by default it follows the wall
//! clock), `--debit-delay SECONDS` (default 0), `--frozen never |
//! resend:TIMES:SECONDS | revert:SECONDS` (what happens to a payment whose
//! success callback was answered 500 or not in time; default
//! `resend:3:60`), `--webhook-repeat-every SECONDS` (default 60),
//! `--callback-timeout SECONDS` (default 5), `--stale-reads SECONDS`,
//! `--registry-lag SECONDS`, `--clock-offset SECONDS` (negative: behind).
//! Limits: `--max-callback-answer BYTES` (default 65536),
//! `--max-object-bytes BYTES` (default 65536), `--max-stored-bytes BYTES`
//! (default 67108864), `--max-deliveries N` (default 1000). Its controls
//! (faults, the clock, the callbacks sent) are under `/sandbox/admin/`,
//! for requests from its own host.
//!
//! Credentials: application id `rhmt_test`, secret `Pw18axeBFo8V7NamKHXX`;
//! test card 8600533364098829 / 2806, OTP 112233.
//!
//! Bound to anything but a loopback address it prints a warning to stderr:
//! it sends callbacks to any URL a client gives it.

use std::io::Write;
use std::time::Duration;

use chrono::TimeDelta;
use multicard_sandbox::{FrozenPayments, Sandbox, SandboxConfig, exposure_warning};

fn usage(message: &str) -> ! {
    eprintln!(
        "{message}\nusage: multicard-sandbox [--host 127.0.0.1] [--port 8090] [--state FILE] [--token-lifetime SECONDS] \
         [--webhooks] \
         [--max-connections 128] [--header-timeout SECONDS] [--otp-sms-limit 3] [--manual-clock] \
         [--debit-delay SECONDS] [--frozen never|resend:TIMES:SECONDS|revert:SECONDS] [--webhook-repeat-every SECONDS] \
         [--callback-timeout SECONDS] [--stale-reads SECONDS] [--registry-lag SECONDS] [--clock-offset SECONDS] \
         [--max-callback-answer BYTES] [--max-object-bytes BYTES] [--max-stored-bytes BYTES] [--max-deliveries N]"
    );
    std::process::exit(2)
}

/// `text` as a whole number above 0, or the usage naming `flag`.
fn positive(flag: &str, text: &str) -> usize {
    text.parse().ok().filter(|n| *n > 0).unwrap_or_else(|| usage(&format!("{flag} takes a number above 0")))
}

/// `text` as whole seconds, or the usage naming `flag`.
fn seconds(flag: &str, text: &str) -> Duration {
    text.parse().map(Duration::from_secs).unwrap_or_else(|_| usage(&format!("{flag} takes whole seconds")))
}

/// `--frozen`'s value.
fn frozen(text: &str) -> FrozenPayments {
    let parts: Vec<&str> = text.split(':').collect();
    let secs = |s: &str| s.parse().map(Duration::from_secs).ok();
    let parsed = match parts.as_slice() {
        ["never"] => Some(FrozenPayments::NeverResent),
        ["resend", times, every] => times.parse().ok().zip(secs(every)).map(|(t, e)| FrozenPayments::resent(t, e)),
        ["revert", after] => secs(after).map(FrozenPayments::reverted_after),
        _ => None,
    };
    parsed.unwrap_or_else(|| usage("--frozen takes never, resend:TIMES:SECONDS or revert:SECONDS"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut host = "127.0.0.1".to_string();
    let mut port: u16 = 8090;
    let mut config = SandboxConfig::default().with_real_time(true);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let flag = arg.as_str();
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag {
            "--host" => host = value(),
            "--state" => config = config.with_state_file(value()),
            "--port" => port = value().parse().unwrap_or_else(|_| usage("--port takes a number")),
            "--token-lifetime" => config.token_lifetime = seconds(flag, &value()),
            "--webhooks" => config.status_webhooks = true,
            "--max-connections" => config.max_connections = positive(flag, &value()),
            "--header-timeout" => config.header_read_timeout = seconds(flag, &value()).max(Duration::from_secs(1)),
            "--otp-sms-limit" => config.otp_sms_limit = positive(flag, &value()),
            "--manual-clock" => config.real_time = false,
            "--debit-delay" => config.debit_delay = seconds(flag, &value()),
            "--frozen" => config.frozen_payments = frozen(&value()),
            "--webhook-repeat-every" => config.webhook_repeat_every = seconds(flag, &value()),
            "--callback-timeout" => config.callback_timeout = seconds(flag, &value()).max(Duration::from_secs(1)),
            "--stale-reads" => config.stale_reads = seconds(flag, &value()),
            "--registry-lag" => config.registry_lag = seconds(flag, &value()),
            "--clock-offset" => {
                config.clock_offset = value()
                    .parse()
                    .ok()
                    .and_then(TimeDelta::try_seconds)
                    .unwrap_or_else(|| usage("--clock-offset takes whole seconds (negative: behind)"));
            }
            "--max-callback-answer" => config.max_callback_answer = positive(flag, &value()),
            "--max-object-bytes" => config.max_object_bytes = positive(flag, &value()),
            "--max-stored-bytes" => config.max_stored_bytes = positive(flag, &value()),
            "--max-deliveries" => config.max_deliveries = positive(flag, &value()),
            "-h" | "--help" => usage("the local Multicard sandbox"),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
        Ok(listener) => listener,
        Err(error) => usage(&format!("cannot listen on {host}:{port}: {error}")),
    };
    if let Ok(address) = listener.local_addr()
        && !address.ip().is_loopback()
    {
        eprintln!("\nWARNING: {}\n", exposure_warning(address));
    }
    let state = config.state_file.clone();
    let sandbox = match Sandbox::serve(listener, config).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("cannot start: {error}");
            std::process::exit(1)
        }
    };
    // Written at once, and never a panic once whoever reads it has stopped.
    let listening = format!("http://{}", sandbox.address());
    let mut banner =
        format!("Multicard sandbox on {listening} (application_id rhmt_test, secret Pw18axeBFo8V7NamKHXX)\n");
    if listening != sandbox.url() {
        banner.push_str(&format!("its links and pages use {}: open {}/sandbox/\n", sandbox.url(), sandbox.url()));
    }
    if let Some(state) = &state {
        banner.push_str(&format!("state file: {}\n", state.display()));
    }
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(banner.as_bytes()).and_then(|()| stdout.flush());
    sandbox.serve_until_stopped(|problem| eprintln!("{}", problem.unwrap_or("the state file is written again"))).await;
    let saved = sandbox.save().await;
    sandbox.stop().await;
    if let Err(error) = saved {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
