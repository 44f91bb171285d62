//! Serves the local Multicard sandbox, so services in any language can
//! test against it.
//!
//! ```sh
//! cargo run -p multicard-sandbox -- --port 8090
//! ```
//!
//! Options: `--port N` (default 8090; 0 picks a free port), `--host ADDR`
//! (default 127.0.0.1), `--token-lifetime SECONDS` (default 86400),
//! `--webhooks` (also send status webhooks), `--max-connections N` (default
//! 128), `--header-timeout SECONDS` (default 10), `--otp-sms-limit N` (the
//! one-time codes one card may be sent within 5 minutes before
//! `ERROR_SMS_TO_MANY`, default 3; a test suite that shares one sandbox may
//! raise it). Credentials: application
//! id `rhmt_test`, secret `Pw18axeBFo8V7NamKHXX`; test card
//! 8600533364098829 / 2806, OTP 112233.
//!
//! Bound to anything but a loopback address it prints a warning to stderr:
//! it sends callbacks to any URL a client gives it.

use std::time::Duration;

use multicard_sandbox::{Sandbox, SandboxConfig, exposure_warning};

fn usage(message: &str) -> ! {
    eprintln!(
        "{message}\nusage: multicard-sandbox [--host 127.0.0.1] [--port 8090] [--token-lifetime SECONDS] [--webhooks] \
         [--max-connections 128] [--header-timeout SECONDS] [--otp-sms-limit 3]"
    );
    std::process::exit(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut host = "127.0.0.1".to_string();
    let mut port: u16 = 8090;
    let mut config = SandboxConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().unwrap_or_else(|| usage(&format!("{name} needs a value")));
        match arg.as_str() {
            "--host" => host = value("--host"),
            "--port" => port = value("--port").parse().unwrap_or_else(|_| usage("--port takes a number")),
            "--token-lifetime" => {
                let seconds: u64 =
                    value("--token-lifetime").parse().unwrap_or_else(|_| usage("--token-lifetime takes seconds"));
                config.token_lifetime = Duration::from_secs(seconds);
            }
            "--webhooks" => config.status_webhooks = true,
            "--max-connections" => {
                config.max_connections = value("--max-connections")
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .unwrap_or_else(|| usage("--max-connections takes a number above 0"));
            }
            "--header-timeout" => {
                let seconds: u64 =
                    value("--header-timeout").parse().unwrap_or_else(|_| usage("--header-timeout takes seconds"));
                config.header_read_timeout = Duration::from_secs(seconds.max(1));
            }
            "--otp-sms-limit" => {
                config.otp_sms_limit = value("--otp-sms-limit")
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .unwrap_or_else(|| usage("--otp-sms-limit takes a number above 0"));
            }
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
    let sandbox = match Sandbox::serve(listener, config).await {
        Ok(sandbox) => sandbox,
        Err(error) => usage(&format!("cannot start: {error}")),
    };
    println!("Multicard sandbox on {} (application_id rhmt_test, secret Pw18axeBFo8V7NamKHXX)", sandbox.url());
    let _ = tokio::signal::ctrl_c().await;
    sandbox.stop().await;
}
