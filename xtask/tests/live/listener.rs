//! The callback listener of `--callback-listen`, and the options that start
//! it: what it keeps, what it answers, what it refuses.

use std::io::{Read, Write};

use serde_json::{Value, json};
use xtask::live::probes::CallbackListener;
use xtask::live::probes::listener::{CALLBACK_PATH, MAX_BODY};

async fn listener() -> CallbackListener {
    CallbackListener::start("127.0.0.1:0".parse().unwrap(), None).await.expect("the listener starts")
}

/// Sends raw bytes to the listener; its status line.
fn raw(url: &str, bytes: &[u8]) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    let mut stream = std::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).unwrap();
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn announced_callbacks_are_kept_and_answered_success_others_are_not() {
    let listener = listener().await;
    assert!(listener.url().starts_with("http://127.0.0.1:") && listener.url().ends_with(CALLBACK_PATH));
    listener.expect("ours");
    let client = reqwest::Client::new();
    for _ in 0..2 {
        // A resent callback is answered success again.
        let answer = client.post(listener.url()).json(&json!({"uuid": "ours", "amount": 1})).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.json::<Value>().await.unwrap(), json!({"success": true}));
    }
    let by_invoice = client.post(listener.url()).json(&json!({"invoice_id": "ours"})).send().await.unwrap();
    assert_eq!(by_invoice.status(), 200);
    let stranger = client.post(listener.url()).json(&json!({"uuid": "someone-else"})).send().await.unwrap();
    assert_eq!(stranger.status(), 404);
    let not_json = client.post(listener.url()).body("uuid=ours").send().await.unwrap();
    assert_eq!(not_json.status(), 404);
    assert_eq!(listener.heard("ours").len(), 3);
    assert!(listener.heard("someone-else").is_empty());
    assert_eq!(listener.others(), 2);
}

#[tokio::test]
async fn what_the_listener_cannot_serve_is_refused_without_keeping_it() {
    let listener = listener().await;
    listener.expect("ours");
    let client = reqwest::Client::new();
    let get = client.get(listener.url()).send().await.unwrap();
    assert_eq!(get.status(), 405);
    let url = listener.url().to_string();
    let too_big = format!("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{{", MAX_BODY + 1).into_bytes();
    let chunked = b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".to_vec();
    let no_length = b"POST / HTTP/1.1\r\nhost: x\r\n\r\n".to_vec();
    let bad_length = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: many\r\n\r\n".to_vec();
    let endless_head = [b"POST / HTTP/1.1\r\n".to_vec(), b"x-pad: y\r\n".repeat(4000)].concat();
    let answers = tokio::task::spawn_blocking(move || {
        [chunked, no_length, bad_length, endless_head, too_big].map(|bytes| raw(&url, &bytes))
    })
    .await
    .unwrap();
    assert!(answers[0].starts_with("HTTP/1.1 411"), "{answers:?}");
    assert!(answers[1].starts_with("HTTP/1.1 411"), "{answers:?}");
    assert!(answers[2].starts_with("HTTP/1.1 411"), "{answers:?}");
    assert!(answers[3].starts_with("HTTP/1.1 431"), "{answers:?}");
    assert!(answers[4].starts_with("HTTP/1.1 413"), "{answers:?}");
    assert!(listener.heard("ours").is_empty());
    // It still serves after all that.
    let fine = client.post(listener.url()).json(&json!({"uuid": "ours"})).send().await.unwrap();
    assert_eq!(fine.status(), 200);
}

#[tokio::test]
async fn a_listener_that_cannot_be_reached_or_bound_is_refused_before_anything_is_sent() {
    let every = CallbackListener::start("0.0.0.0:0".parse().unwrap(), None).await.unwrap_err();
    assert!(every.contains("--callback-url") && every.contains("nothing was sent"), "{every}");
    let not_http = CallbackListener::start("127.0.0.1:0".parse().unwrap(), Some("ftp://host/cb".into())).await;
    assert!(not_http.unwrap_err().contains("--callback-url"));
    let taken = listener().await;
    let address = taken.url().trim_start_matches("http://").split('/').next().unwrap().parse().unwrap();
    let again = CallbackListener::start(address, None).await.unwrap_err();
    assert!(again.contains("--callback-listen") && again.contains("cannot listen"), "{again}");
    // A URL with a key in it is never repeated in an error.
    let secret_url = "https://user:hunter2key@[::1:bad/cb?key=hunter2key".to_string();
    let bad = CallbackListener::start("127.0.0.1:0".parse().unwrap(), Some(secret_url)).await.unwrap_err();
    assert!(bad.contains("--callback-url") && !bad.contains("hunter2key"), "{bad}");
}

fn parse(args: &[&str]) -> Result<xtask::live::Args, String> {
    xtask::live::parse_args(&args.iter().map(ToString::to_string).collect::<Vec<_>>())
}

#[test]
fn callback_options_are_checked_and_name_what_is_wrong() {
    let parsed = parse(&["--callback-listen", "127.0.0.1:8787"]).unwrap();
    let options = parsed.probe_options();
    assert_eq!(options.callback_listen, Some("127.0.0.1:8787".parse().unwrap()));
    assert_eq!(options.callback_url, None);
    let parsed = parse(&["--callback-listen", "0.0.0.0:8787", "--callback-url", "https://tunnel.example/cb"]).unwrap();
    assert_eq!(parsed.probe_options().callback_url.as_deref(), Some("https://tunnel.example/cb"));
    let cases: [(&[&str], &str); 6] = [
        (&["--callback-listen", "localhost"], "--callback-listen takes an IP address and a port"),
        (&["--callback-listen"], "--callback-listen needs a value"),
        (&["--callback-url", "https://tunnel.example/cb"], "--callback-url needs --callback-listen"),
        (&["--callback-listen", "0.0.0.0:8787"], "name the URL that reaches it with --callback-url"),
        (&["--callback-listen", "127.0.0.1:1", "--callback-url", "mailto:a@b"], "--callback-url is not an http"),
        (&["--callback-listen", "127.0.0.1:1", "--callback-url", "not a url"], "--callback-url is not a URL"),
    ];
    for (args, message) in cases {
        let error = parse(args).unwrap_err();
        assert!(error.contains(message), "{args:?}: {error}");
    }
}
