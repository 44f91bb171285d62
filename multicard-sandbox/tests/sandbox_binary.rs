//! The `multicard-sandbox` binary warns on stderr when it listens on
//! anything but loopback, and stays quiet on loopback. Each run binds a
//! free port (`--port 0`), sends no traffic and is killed by the test.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BOUND: Duration = Duration::from_secs(20);

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on `host`, waits for its "listening" line, stops it,
/// and returns that line and everything it wrote to stderr.
fn run_on(host: &str) -> (String, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_multicard-sandbox"))
        .args(["--host", host, "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().expect("stdout");
    let mut stderr = running.0.stderr.take().expect("stderr");
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let listening =
        lines.recv_timeout(BOUND).unwrap_or_else(|_| panic!("no `Multicard sandbox on ...` line within {BOUND:?}"));
    drop(running); // kill it: stderr then ends
    let mut errors = String::new();
    let _ = stderr.read_to_string(&mut errors);
    (listening, errors)
}

#[test]
fn listening_beyond_loopback_prints_a_loud_warning() {
    let (listening, errors) = run_on("0.0.0.0");
    assert!(listening.contains("Multicard sandbox on http://0.0.0.0:"), "{listening}");
    assert!(errors.contains("WARNING"), "{errors}");
    assert!(errors.contains("not a loopback address"), "{errors}");
    assert!(errors.contains("callbacks"), "it says why: {errors}");
}

#[test]
fn listening_on_loopback_prints_no_warning() {
    let (listening, errors) = run_on("127.0.0.1");
    assert!(listening.contains("Multicard sandbox on http://127.0.0.1:"), "{listening}");
    assert!(!errors.contains("WARNING"), "{errors}");
}
