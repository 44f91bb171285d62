//! Standard output and standard error without a panic when either is
//! closed: `println!` and `eprintln!` panic when a write fails, e.g. when
//! `multicard … | head -1` has stopped reading.
//!
//! - stdout (data): a write that fails because the reader is gone
//!   (`BrokenPipe`) ends the command quietly with exit 141
//!   ([`exit::PIPE_CLOSED`], what a shell reports for a process ended by
//!   SIGPIPE); any other failure is exit 7. A write command whose answer
//!   cannot be printed exits 10 instead (see `main.rs`): what it made must
//!   not be lost.
//! - stderr (messages): what cannot be written is dropped; the exit code
//!   still says what happened. With `-o json` ([`set_json`]) every line on
//!   stderr is a JSON object: `{"note": …}`, `{"warning": …}`, and last, on
//!   failure, `{"error": {…}}` (see `failure.rs`).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::exit;
use crate::failure::{Failure, fail};

/// The failure of a write to stdout: quiet exit 141 when the reader is
/// gone, else exit 7 naming the error.
pub(crate) fn write_failed(error: std::io::Error) -> Failure {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        fail(exit::PIPE_CLOSED, "")
    } else {
        fail(exit::UNEXPECTED, format!("writing the output: {error}"))
    }
}

/// `text` and a line break on stdout, flushed.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").and_then(|()| stdout.flush()).map_err(write_failed)
}

/// `bytes` on stdout as they are, flushed.
pub(crate) fn print_bytes(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes).and_then(|()| stdout.flush()).map_err(write_failed)
}

/// Whether stderr's lines are JSON objects (`-o json`).
static JSON: AtomicBool = AtomicBool::new(false);

/// Makes every line on stderr a JSON object (`-o json`).
pub(crate) fn set_json(json: bool) {
    JSON.store(json, Ordering::Relaxed);
}

/// Whether stderr's lines are JSON objects.
pub(crate) fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// One line on stderr, as it is; dropped if stderr is closed.
pub(crate) fn line(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}").and_then(|()| stderr.flush());
}

/// A message on stderr: `text` (`multicard: …`), or with `-o json`
/// `{"note": "…"}` (without the `multicard: `).
pub(crate) fn note(text: &str) {
    labelled("note", text.strip_prefix("multicard: ").unwrap_or(text))
}

/// A warning on stderr: `warning: text`, or with `-o json`
/// `{"warning": "text"}`.
pub(crate) fn warning(text: &str) {
    labelled("warning", text)
}

fn labelled(label: &str, text: &str) {
    if json() {
        let object = serde_json::json!({ label: text });
        line(&crate::output::json_for_terminal(object.to_string()));
    } else if label == "note" {
        line(&format!("multicard: {text}"));
    } else {
        line(&format!("{label}: {text}"));
    }
}

/// `text` on stderr without a line break (a prompt); dropped if stderr is
/// closed.
pub(crate) fn prompt(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{text}").and_then(|()| stderr.flush());
}

/// Prints `failure` on stderr: its error object when `json`, else
/// `multicard: <message>`; nothing for a closed stdout (exit 141).
pub(crate) fn failure(failure: &Failure, json: bool) {
    if failure.code == crate::exit::PIPE_CLOSED && failure.message.is_empty() {
        return;
    }
    if json {
        let text = serde_json::to_string(&failure.object()).unwrap_or_default();
        line(&crate::output::json_for_terminal(text));
    } else {
        line(&format!("multicard: {}", failure.message));
    }
}
