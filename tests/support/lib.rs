//! Shared helpers for the workspace integration tests: the normalized spec
//! and the vendor examples it carries.

use std::path::PathBuf;

/// The workspace's README, whose examples use the SDK and the sandbox:
/// compiled (and run where they can) as this crate's doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The guide (`docs/`) and CONTRIBUTING.md, compiled the same way.
#[cfg(doctest)]
pub mod guide_doctests {
    #[doc = include_str!("../../docs/calls.md")]
    pub struct Calls;
    #[doc = include_str!("../../docs/receipts.md")]
    pub struct Receipts;
    #[doc = include_str!("../../docs/callbacks.md")]
    pub struct Callbacks;
    #[doc = include_str!("../../docs/sandbox.md")]
    pub struct Sandbox;
    #[doc = include_str!("../../docs/security.md")]
    pub struct Security;
    #[doc = include_str!("../../docs/operations.md")]
    pub struct Operations;
    #[doc = include_str!("../../docs/cli.md")]
    pub struct Cli;
    #[doc = include_str!("../../CONTRIBUTING.md")]
    pub struct Contributing;
}

use serde_json::Value;

pub mod money;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `spec/multicard.yaml`, parsed.
pub fn spec() -> Value {
    let path = workspace_root().join("spec").join("multicard.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct SpecOperation {
    /// `operationId`.
    pub id: String,
    /// Upper-case method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// The operation object.
    pub operation: Value,
}

/// Every operation of the spec, in document order.
pub fn operations(spec: &Value) -> Vec<SpecOperation> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            out.push(SpecOperation {
                id: operation["operationId"].as_str().expect("operationId").to_string(),
                method: method.to_uppercase(),
                path: path.clone(),
                operation: operation.clone(),
            });
        }
    }
    out
}

/// A documented response example.
#[derive(Debug, Clone)]
pub struct ResponseExample {
    /// The HTTP status it is documented under.
    pub status: u16,
    /// The example's name.
    pub name: String,
    /// The example's value as the vendor wrote it (a string when it is not JSON).
    pub value: Value,
}

/// Every response example of an operation.
pub fn response_examples(operation: &Value) -> Vec<ResponseExample> {
    let mut out = Vec::new();
    for (status, response) in operation["responses"].as_object().expect("responses") {
        let Some(examples) = response.pointer("/content/application~1json/examples").and_then(Value::as_object) else {
            continue;
        };
        for (name, example) in examples {
            out.push(ResponseExample {
                status: status.parse().expect("numeric status"),
                name: name.clone(),
                value: example["value"].clone(),
            });
        }
    }
    out
}

/// The documented request examples of an operation: (name, value).
pub fn request_examples(operation: &Value) -> Vec<(String, Value)> {
    operation
        .pointer("/requestBody/content/application~1json/examples")
        .and_then(Value::as_object)
        .map(|examples| examples.iter().map(|(k, v)| (k.clone(), v["value"].clone())).collect())
        .unwrap_or_default()
}

/// What a vendor example stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum ExampleBody {
    /// A JSON body, as written.
    Json(Value),
    /// Not JSON as written: `{Model}` placeholders stood for nested objects
    /// and were read as `null`; the rest of the example is real evidence.
    WithPlaceholders(Value, Vec<String>),
    /// Nothing to decode: the payload itself is a placeholder.
    Skip(String),
}

/// Reads a vendor example. A string example is parsed as JSON; `{Model}`
/// placeholders (bare or quoted) are read as `null`. When the envelope's
/// `data`, or the whole body, is a placeholder, there is nothing to check.
pub fn example_body(value: &Value) -> ExampleBody {
    let (text, was_string) = match value {
        Value::String(text) => (text.clone(), true),
        other => (other.to_string(), false),
    };
    if let (false, Ok(parsed)) = (was_string, serde_json::from_str::<Value>(&text))
        && !contains_placeholder(&parsed)
    {
        return ExampleBody::Json(parsed);
    }
    if was_string
        && let Ok(parsed) = serde_json::from_str::<Value>(&text)
        && !contains_placeholder(&parsed)
    {
        return ExampleBody::Json(parsed);
    }
    let mut names = Vec::new();
    let replaced = replace_placeholders(&text, &mut names);
    match serde_json::from_str::<Value>(&replaced) {
        Ok(parsed) if parsed.is_null() || parsed.get("data").is_some_and(Value::is_null) => {
            ExampleBody::Skip(format!("the payload is only the placeholder `{{{}}}`", names.join("}, {")))
        }
        Ok(parsed) => ExampleBody::WithPlaceholders(parsed, names),
        Err(e) => ExampleBody::Skip(format!("not JSON even with placeholders read as null: {e}")),
    }
}

fn contains_placeholder(value: &Value) -> bool {
    let mut found = false;
    visit_strings(value, &mut |s| found |= is_placeholder(s));
    found
}

/// Replaces `{Name}` and `"{Name}"` by `null`, collecting the names.
fn replace_placeholders(text: &str, names: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let len = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        let is_name =
            len > 0 && after[..len].starts_with(|c: char| c.is_ascii_uppercase()) && after[len..].starts_with('}');
        if !is_name {
            out.push_str(&rest[..=start]);
            rest = after;
            continue;
        }
        let prefix = &rest[..start];
        let quoted = prefix.ends_with('"') && after[len + 1..].starts_with('"');
        out.push_str(if quoted { &prefix[..prefix.len() - 1] } else { prefix });
        out.push_str("null");
        names.push(after[..len].to_string());
        rest = &after[len + 1 + usize::from(quoted)..];
    }
    out.push_str(rest);
    out
}

fn is_placeholder(s: &str) -> bool {
    s.starts_with('{')
        && s.ends_with('}')
        && s.len() > 2
        && s[1..s.len() - 1].chars().all(|c| c.is_ascii_alphanumeric())
}

fn visit_strings(value: &Value, f: &mut dyn FnMut(&str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| visit_strings(v, f)),
        Value::Object(map) => map.values().for_each(|v| visit_strings(v, f)),
        _ => {}
    }
}

/// A loopback stand-in for Multicard's `/auth` and a few API answers, for
/// the hand-written layer's tests.
pub mod fake {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use chrono::{Duration as ChronoDuration, Utc};
    use multicard_api::{Config, Environment, Multicard};
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

    /// The credentials the fake accepts.
    pub const APPLICATION_ID: &str = "rhmt_test";
    /// The secret the fake accepts.
    pub const SECRET: &str = "Pw18axeBFo8V7NamKHXX";

    /// `expiry` as Multicard writes it: now + `lifetime`, GMT+5, no offset.
    pub fn expiry_in(lifetime: ChronoDuration) -> String {
        (Utc::now() + lifetime + ChronoDuration::hours(5)).format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// Issues `tok-1`, `tok-2`, ... with an `expiry` from `expiry`.
    pub struct IssueTokens {
        /// How many tokens were issued.
        pub issued: Arc<AtomicUsize>,
        /// Makes the `expiry` of each token.
        pub expiry: Box<dyn Fn() -> String + Send + Sync>,
        /// Delay before answering.
        pub delay: Duration,
    }

    impl Respond for IssueTokens {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
            if body["application_id"] != APPLICATION_ID || body["secret"] != SECRET {
                return ResponseTemplate::new(400)
                    .set_body_json(json!({"errors": [{"message": [{"message": "Invalid Credentials"}]}]}));
            }
            let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(200)
                .set_body_json(json!({"token": format!("tok-{n}"), "role": "dev", "expiry": (self.expiry)()}))
                .set_delay(self.delay)
        }
    }

    /// A fake with `/auth` issuing day-long tokens; returns the server and
    /// the counter of issued tokens.
    pub async fn server_with_auth(lifetime: ChronoDuration, delay: Duration) -> (MockServer, Arc<AtomicUsize>) {
        let server = MockServer::start().await;
        let issued = Arc::new(AtomicUsize::new(0));
        Mock::given(method("POST"))
            .and(path("/auth"))
            .respond_with(IssueTokens { issued: issued.clone(), expiry: Box::new(move || expiry_in(lifetime)), delay })
            .mount(&server)
            .await;
        (server, issued)
    }

    /// A `Config` for the fake at `server`.
    pub fn config(server: &MockServer) -> Config {
        Config::new(APPLICATION_ID, SECRET, Environment::Custom(server.uri()))
    }

    /// A client for the fake at `server`.
    pub fn client(server: &MockServer) -> Multicard {
        Multicard::new(config(server)).expect("valid configuration")
    }

    /// The success body of `get_application`.
    pub fn application_body() -> serde_json::Value {
        json!({"success": true, "data": {"id": 1, "application_id": APPLICATION_ID, "wallet_sum": 0, "wallet_overdraft": 0,
            "otp_required": 1, "allow_bank_transaction": 0, "otp_length": 6, "official_name": "Test",
            "added_on": "2025-01-01 10:00:00", "updated_on": "2025-01-01 10:00:00"}})
    }

    /// How many requests `server` received on `path`.
    pub async fn count(server: &MockServer, path: &str) -> usize {
        server.received_requests().await.unwrap_or_default().iter().filter(|r| r.url.path() == path).count()
    }

    /// The bearer tokens `server` saw on `path`, in order.
    pub async fn bearers(server: &MockServer, path: &str) -> Vec<String> {
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == path)
            .map(|r| {
                r.headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .trim_start_matches("Bearer ")
                    .to_string()
            })
            .collect()
    }
}

pub mod logs {
    //! Every `tracing` line a test's calls write, at TRACE, for asserting
    //! what never appears in a log.

    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// The lines written so far.
    #[derive(Clone, Default)]
    pub struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Captured {
        /// What was written, as text.
        pub fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Captures this thread's `tracing` output at TRACE until the guard is
    /// dropped.
    pub fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            // No timestamps: their digits (a microsecond field reading
            // `…2806…`) would look like the card data the tests look for.
            .without_time()
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }
}
