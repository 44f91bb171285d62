//! `multicard auth get-token` takes the credentials from the configuration:
//! the secret never has to be on the command line.

use std::process::{Command, Output, Stdio};

use multicard_sandbox::{APPLICATION_ID, SECRET, Sandbox};

fn multicard(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_multicard"))
        .args(args)
        .env("MULTICARD_APPLICATION_ID", APPLICATION_ID)
        .env("MULTICARD_SECRET", SECRET)
        .env("MULTICARD_BASE_URL", url)
        .env_remove("MULTICARD_ENV")
        .env("MULTICARD_CONFIG", "/nonexistent/multicard/config.toml")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}

/// The help says "the secret comes only from MULTICARD_SECRET or the
/// prompt", yet `multicard auth get-token` cannot use them: `--body` (an
/// `AuthRequest` with the `secret`) is required (multicard-api-build
/// cli.rs: every body-taking operation gets `--body`, `required(#required)`),
/// so the only way to fetch a token puts the application secret on the
/// command line, where `ps`, `/proc/<pid>/cmdline` and shell history keep it
/// (the crate's own cli.rs test does exactly that).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_token_sends_the_configured_credentials_without_the_secret_in_argv() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let output = tokio::task::spawn_blocking(move || multicard(&url, &["-o", "json", "auth", "get-token", "--yes"]))
        .await
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "get-token must work from MULTICARD_APPLICATION_ID/MULTICARD_SECRET without the secret in argv; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
