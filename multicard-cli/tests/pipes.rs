//! A closed stdout or stderr never panics the binary: a reader that stops
//! early (`multicard … | head -1`) ends it quietly with exit 141.

mod support;

use std::process::{Output, Stdio};

use multicard_sandbox::Sandbox;
use support::command;

/// A pipe whose reading end is already closed: every write to it fails
/// with `BrokenPipe`.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Stdio::from(writer)
}

/// `multicard ARGS` with stdout closed, stderr read.
fn stdout_closed(url: &str, args: &[&str]) -> Output {
    command(url, args).stdin(Stdio::null()).stdout(closed_pipe()).stderr(Stdio::piped()).output().expect("runs")
}

/// `multicard ARGS` with stderr closed, stdout read.
fn stderr_closed(url: &str, args: &[&str]) -> Output {
    command(url, args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(closed_pipe()).output().expect("runs")
}

fn no_panic(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(101), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_quietly_with_141() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let window = ["--from", "2020-01-01 00:00:00", "--to", "2020-01-02 00:00:00"];
    let cases: Vec<Vec<&str>> = vec![
        vec!["completions", "bash"],
        vec!["application", "get", "-o", "json"],
        vec!["application", "get", "-o", "table"],
        [&["registry", "payments", "--store-id", "6", "--all", "-o", "csv"][..], &window[..]].concat(),
        [&["registry", "payments", "--store-id", "6", "-o", "csv"][..], &window[..]].concat(),
    ];
    for args in cases {
        let url = url.clone();
        let output = tokio::task::spawn_blocking(move || stdout_closed(&url, &args)).await.unwrap();
        no_panic(&output, "stdout closed");
        assert_eq!(output.status.code(), Some(141), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(output.stderr.is_empty(), "quietly: {}", String::from_utf8_lossy(&output.stderr));
    }
    // `--help` to a closed stdout.
    let help = stdout_closed(&url, &["registry", "payments", "--help"]);
    no_panic(&help, "help");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stderr_keeps_the_exit_code() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let cases: [(&[&str], i32); 4] = [
        (&["payment", "get", "--uuid", "no-such"], 1),
        (&["payment", "get", "--uuid", "no-such", "-o", "json"], 1),
        (&["registry", "payments", "--store-id", "6", "--from", "soon"], 2),
        // The window note and the closing of the window go to stderr.
        (&["registry", "payments", "--store-id", "6", "--all", "-o", "ndjson"], 0),
    ];
    for (args, code) in cases {
        let url = url.clone();
        let output = tokio::task::spawn_blocking(move || stderr_closed(&url, args)).await.unwrap();
        assert_eq!(output.status.code(), Some(code), "{args:?}");
    }
    let transport = stderr_closed("http://127.0.0.1:9", &["application", "get"]);
    assert_eq!(transport.status.code(), Some(4));
}
