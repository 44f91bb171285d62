//! What the command-line tests share: running the binary against a
//! loopback sandbox.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use multicard_sandbox::{APPLICATION_ID, SECRET};

/// Runs `multicard` against `url` with the sandbox's credentials, standard
/// input not a terminal (closed, or `stdin` when given).
pub fn multicard(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_multicard"))
        .args(args)
        .env("MULTICARD_APPLICATION_ID", APPLICATION_ID)
        .env("MULTICARD_SECRET", SECRET)
        .env("MULTICARD_BASE_URL", url)
        .env_remove("MULTICARD_ENV")
        .env("MULTICARD_CONFIG", "/nonexistent/multicard/config.toml")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(text) = stdin {
        child.stdin.take().expect("piped").write_all(text.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("the binary finishes")
}

/// [`multicard`] from a test's runtime, off its threads (the sandbox
/// serves on them).
pub async fn run(url: &str, args: &[&str]) -> Output {
    let (url, args): (String, Vec<String>) = (url.into(), args.iter().map(|a| a.to_string()).collect());
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        multicard(&url, &args, None)
    })
    .await
    .expect("joined")
}
