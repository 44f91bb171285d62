//! `multicard sandbox start|status` and `multicard --sandbox` with a
//! sandbox that keeps running: commands find it through its discovery
//! file, what one command made the next one reads, a restart keeps it; with
//! none running (or a discovery file not to believe) a command says so and
//! uses an ephemeral sandbox.

#![cfg(unix)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::multicard_env;

/// A sandbox home of its own for one test.
fn home(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("multicard-running-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `multicard ARGS` with `home` as its sandbox home.
fn run(home: &Path, args: &[&str]) -> Output {
    multicard_env("http://127.0.0.1:9", args, None, &[("MULTICARD_SANDBOX_HOME", home.to_str().unwrap())])
}

fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// `multicard sandbox start` running in the background; stopped (SIGTERM)
/// or killed when dropped.
struct Started(Option<Child>);

impl Started {
    /// Starts it on a free port with `state`, and waits for its discovery
    /// file; returns it and its URL.
    fn new(home: &Path, state: &Path) -> (Self, String) {
        let child = support::command("http://127.0.0.1:9", &["sandbox", "start", "--port", "0", "--state"])
            .arg(state)
            .env("MULTICARD_SANDBOX_HOME", home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let started = Started(Some(child));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(home.join("running.json")) {
                let running: Value = serde_json::from_str(&text).expect("a discovery file written whole");
                assert_eq!(running["pid"].as_u64(), Some(u64::from(pid)));
                return (started, running["url"].as_str().unwrap().to_string());
            }
            assert!(Instant::now() < deadline, "the sandbox did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops it with SIGTERM; its output.
    fn stop(mut self) -> Output {
        let child = self.0.take().expect("running");
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        child.wait_with_output().unwrap()
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

const INVOICE: &str = r#"{"store_id": 6, "amount": 150000, "invoice_id": "kept-1", "callback_url": "https://example.invalid/cb",
    "ofd": [{"qty": 1, "price": 150000, "total": 150000, "mxik": "06401004002000000", "package_code": "1506113", "name": "Shoes"}]}"#;

#[test]
fn commands_share_the_running_sandbox_and_a_restart_keeps_what_they_made() {
    let home = home("shared");
    let state = home.join("kept").join("state.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let (sandbox, url) = Started::new(&home, &state);
    let using = format!("multicard: using the running sandbox at {url}");

    let created = run(&home, &["--sandbox", "-o", "json", "invoice", "create", "-y", "--body", INVOICE]);
    let (stdout, stderr) = text(&created);
    assert_eq!(created.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.trim(), format!(r#"{{"note":"using the running sandbox at {url}"}}"#));
    let invoice: Value = serde_json::from_str(&stdout).unwrap();
    let uuid = invoice["uuid"].as_str().unwrap().to_string();
    assert!(invoice["checkout_url"].as_str().unwrap().starts_with(&url), "a link to the sandbox that keeps running");

    let read = run(&home, &["--sandbox", "-o", "table", "invoice", "get", "--uuid", &uuid]);
    let (stdout, stderr) = text(&read);
    assert_eq!((read.status.code(), stderr.trim()), (Some(0), using.as_str()));
    assert!(stdout.contains("kept-1"), "{stdout}");

    let status = run(&home, &["sandbox", "status"]);
    assert_eq!(status.status.code(), Some(0));
    assert!(text(&status).0.contains(&format!("a sandbox runs at {url}")));
    let second = run(&home, &["sandbox", "start", "--port", "0"]);
    assert_eq!(second.status.code(), Some(8), "one at a time: {:?}", text(&second));
    assert!(text(&second).1.contains("a sandbox already runs"));

    let stopped = sandbox.stop();
    assert_eq!(stopped.status.code(), Some(0), "{}", String::from_utf8_lossy(&stopped.stderr));
    assert!(!home.join("running.json").exists(), "the discovery file goes with it");
    assert!(state.exists());
    let status = run(&home, &["sandbox", "status"]);
    assert_eq!(status.status.code(), Some(14), "{:?}", text(&status));

    let gone = run(&home, &["--sandbox", "invoice", "get", "--uuid", &uuid]);
    assert_eq!(gone.status.code(), Some(1), "an ephemeral sandbox never saw it");
    assert!(text(&gone).1.starts_with(
        "multicard: no running sandbox (`multicard sandbox start` keeps one): this command uses an ephemeral \
         sandbox that stops when it ends\n"
    ));

    let (sandbox, url) = Started::new(&home, &state);
    let read = run(&home, &["--sandbox", "-o", "json", "invoice", "get", "--uuid", &uuid]);
    assert_eq!(read.status.code(), Some(0), "{:?}", text(&read));
    let invoice: Value = serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(invoice["invoice_id"], "kept-1");
    assert!(invoice["checkout_url"].as_str().unwrap().starts_with(&url), "its links follow the new address");
    assert_eq!(sandbox.stop().status.code(), Some(0));
}

#[test]
fn a_discovery_file_not_to_believe_is_ignored_and_said_so() {
    let home = home("stale");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stale_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    for (discovery, why) in [
        (format!(r#"{{"url": "{stale_url}", "pid": 1}}"#), "(".to_string() + &stale_url + ", pid 1) does not answer"),
        (r#"{"url": "http://10.0.0.1:8090", "pid": 1}"#.to_string(), "is not a loopback http:// URL".to_string()),
        ("\u{1b}[2J not json".to_string(), "it is not a discovery file".to_string()),
    ] {
        std::fs::write(home.join("running.json"), &discovery).unwrap();
        let output = run(&home, &["--sandbox", "-o", "table", "application", "get"]);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{stderr}");
        assert!(lines[0].starts_with("multicard: ignoring ") && lines[0].contains(&why), "{stderr}");
        assert!(lines[1].starts_with("multicard: no running sandbox"), "{stderr}");
        let status = run(&home, &["sandbox", "status"]);
        assert_eq!(status.status.code(), Some(14));
        assert!(!text(&status).1.contains('\u{1b}'), "nothing read reaches the terminal raw");
    }
}

#[test]
fn a_state_file_that_cannot_be_used_stops_the_start_and_is_left_as_it_is() {
    let home = home("corrupt");
    let state = home.join("state.json");
    std::fs::write(&state, "{\"format\": 1,\n \"world\": [oops]}").unwrap();
    let output = run(&home, &["sandbox", "start", "--port", "0", "--state", state.to_str().unwrap()]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(state.to_str().unwrap()) && stderr.contains("line 2"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "{\"format\": 1,\n \"world\": [oops]}");
    assert!(!home.join("running.json").exists());
}
