//! A headless Chromium for one test, driven through its own ChromeDriver.
//!
//! [`Browser::start`] finds the two programs, starts ChromeDriver on a free
//! loopback port (in its own process group, killed with everything it
//! started when the [`Browser`] drops) and opens a session in a fresh
//! profile. Chromium runs with its background networking off: no update,
//! sync or safe-browsing traffic, no QUIC, and no host name resolves but
//! `localhost`, so a page can reach only the loopback servers a test starts.
//!
//! The helpers act as a person would (open a page, fill a field by its
//! label, press a button by its text, read what is shown) and panic with
//! what the page showed when something is not there.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Map, Value, json};

/// How long the wait helpers wait by default.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long ChromeDriver and Chromium may take to start (two cores shared
/// with a build can be slow).
const START: Duration = Duration::from_secs(60);
/// How long a page load or a script may take.
const PAGE: Duration = Duration::from_secs(30);

/// What a missing browser costs: the one line a skipped test prints.
const MISSING: &str = "browser tests need Chromium and ChromeDriver \
    (apt-get install chromium chromium-driver; .ci/run installs them)";

/// Whether the page may run JavaScript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scripts {
    /// As a person's browser: scripts run.
    On,
    /// Scripts are blocked by Chromium's content setting, as for a person
    /// who turned them off; WebDriver's own scripts (axe) still run.
    Off,
}

/// Whether a missing browser or axe-core fails the test instead of
/// skipping it (`MULTICARD_REQUIRE_CHROMIUM=1`, set by CI).
pub fn required() -> bool {
    std::env::var("MULTICARD_REQUIRE_CHROMIUM").is_ok_and(|value| value == "1")
}

/// Skips what needs `what`: one line on standard error (written past the
/// test runner's capture, so a passing run shows it too), or a failure
/// when [`required`].
pub fn skip(what: &str) {
    if required() {
        panic!("{what}: MULTICARD_REQUIRE_CHROMIUM=1 makes this a failure");
    }
    let _ = writeln!(std::io::stderr(), "skipped: {what}");
}

/// The target folder's scratch space for integration tests.
pub fn target_tmp() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

/// A program: the file `var` names (which must exist), else `fixed` when it
/// exists, else the first of `names` on `PATH`.
fn program(var: &str, fixed: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(named) = std::env::var_os(var).filter(|value| !value.is_empty()) {
        let path = PathBuf::from(named);
        assert!(path.is_file(), "{var}={} names no file", path.display());
        return Some(path);
    }
    if Path::new(fixed).is_file() {
        return Some(fixed.into());
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs).flat_map(|dir| names.iter().map(move |name| dir.join(name))).find(|p| p.is_file())
}

/// The port in ChromeDriver's "ChromeDriver was started successfully on port 41234."
fn announced_port(line: &str) -> Option<u16> {
    let (_, rest) = line.split_once("started successfully on port ")?;
    rest.trim_end().trim_end_matches('.').parse().ok()
}

/// A running ChromeDriver; dropping it kills its process group (the
/// Chromium it started included).
struct Driver {
    child: Child,
}

impl Driver {
    /// Starts `program` on a port it picks itself; returns it and the port.
    fn start(program: &Path) -> (Self, u16) {
        let mut command = Command::new(program);
        command.arg("--port=0").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child =
            command.spawn().unwrap_or_else(|e| panic!("ChromeDriver ({}) does not start: {e}", program.display()));
        let stdout = child.stdout.take().expect("ChromeDriver's output is piped");
        let driver = Self { child };
        let (port_tx, port_rx) = mpsc::channel();
        // Reads to the end, so ChromeDriver never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = announced_port(&line) {
                    let _ = port_tx.send(port);
                }
            }
        });
        let port = port_rx
            .recv_timeout(START)
            .unwrap_or_else(|e| panic!("ChromeDriver ({}) named no port: {e}", program.display()));
        (driver, port)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group is ChromeDriver's own (process_group(0) made its id the
        // group's), so this reaches Chromium and its helpers and no other.
        #[cfg(unix)]
        let _ =
            Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Chromium's command line: headless, in `profile`, off the network.
fn chromium_args(profile: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-dev-shm-usage",
        "--no-proxy-server",
        // A page's link elsewhere fails at once, never leaving the machine.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]",
        "--window-size=1280,1024",
        "--lang=en-US",
    ]
    .map(String::from)
    .into();
    args.push(format!("--user-data-dir={}", profile.display()));
    args
}

/// `text` as an XPath string literal, whatever quotes it holds.
pub fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// A headless Chromium with one window; see the module's doc.
pub struct Browser {
    client: Client,
    scripts: Scripts,
    /// Whether this browser's test was told axe-core is missing (once).
    pub(crate) axe_missing_told: AtomicBool,
    // Dropped in this order: the session's handle, ChromeDriver and
    // Chromium, then the profile's folder.
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a browser, or returns `None` after [`skip`] when Chromium or
    /// ChromeDriver is missing (`MULTICARD_CHROMIUM`, `MULTICARD_CHROMEDRIVER`,
    /// else `/usr/bin/chromium` and `/usr/bin/chromedriver`, else `PATH`).
    /// Panics when they are there but do not start.
    pub async fn start(scripts: Scripts) -> Option<Self> {
        let chromium =
            program("MULTICARD_CHROMIUM", "/usr/bin/chromium", &["chromium", "chromium-browser", "google-chrome"]);
        let chromedriver = program("MULTICARD_CHROMEDRIVER", "/usr/bin/chromedriver", &["chromedriver"]);
        let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
            skip(MISSING);
            return None;
        };
        let profile = tempfile::Builder::new().prefix("multicard-chromium-").tempdir().expect("a profile folder");
        let (driver, port) = Driver::start(&chromedriver);
        let mut options = json!({"binary": chromium, "args": chromium_args(profile.path())});
        if scripts == Scripts::Off {
            // The setting an administrator's policy writes: 2 blocks.
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let mut capabilities = Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let client = match tokio::time::timeout(START, builder.connect(&format!("http://127.0.0.1:{port}"))).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!("Chromium ({}) did not start: {e}", chromium.display()),
            Err(_) => panic!("Chromium ({}) did not start within {START:?}", chromium.display()),
        };
        let timeouts = TimeoutConfiguration::new(Some(PAGE), Some(PAGE), Some(Duration::ZERO));
        client.update_timeouts(timeouts).await.expect("the session takes its timeouts");
        Some(Self { client, scripts, axe_missing_told: AtomicBool::new(false), _driver: driver, _profile: profile })
    }

    /// The WebDriver client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether pages may run scripts in this browser.
    pub fn scripts(&self) -> Scripts {
        self.scripts
    }

    /// Opens `url` and returns once it has loaded.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The address of the page shown.
    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("the page's address").to_string()
    }

    /// The page's title.
    pub async fn title(&self) -> String {
        self.client.title().await.expect("the page's title")
    }

    /// The first element `css` selects; panics, with the page's text, when
    /// none does.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no element `{css}` ({e}) on {}:\n{}", self.url().await, self.body_text().await),
        }
    }

    /// Whether any element is selected by `css`.
    pub async fn has(&self, css: &str) -> bool {
        !self.client.find_all(Locator::Css(css)).await.expect("a search").is_empty()
    }

    /// The text shown by the first element `css` selects.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("an element's text")
    }

    /// The text shown by each element `css` selects, in page order (the
    /// cells of a table row: `tbody tr:nth-child(2) td`).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.expect("a search") {
            texts.push(element.text().await.expect("an element's text"));
        }
        texts
    }

    /// The text the whole page shows (empty when there is no page yet).
    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The form field labelled `label` (a `<label>` whose text is exactly
    /// that, spaces folded, around the field or naming it with `for`), else
    /// the field named `label` (`name="..."`).
    pub async fn field(&self, label: &str) -> Element {
        let literal = xpath_literal(label);
        let fields = "self::input or self::select or self::textarea";
        let labelled = format!("//label[normalize-space(.)={literal}]");
        if let Ok(found) = self.client.find(Locator::XPath(&labelled)).await {
            if let Some(id) = found.attr("for").await.expect("a label's attribute") {
                let by_id = format!("//*[({fields}) and @id={}]", xpath_literal(&id));
                if let Ok(field) = self.client.find(Locator::XPath(&by_id)).await {
                    return field;
                }
            }
            if let Ok(field) = found.find(Locator::XPath(&format!(".//*[{fields}]"))).await {
                return field;
            }
        }
        let named = format!("//*[({fields}) and @name={literal}]");
        match self.client.find(Locator::XPath(&named)).await {
            Ok(field) => field,
            Err(e) => {
                let labels = self.texts("label").await;
                panic!("no field labelled or named {label:?} ({e}) on {}; its labels: {labels:?}", self.url().await)
            }
        }
    }

    /// Types `value` into the field labelled or named `label`, replacing
    /// what it held; in a `<select>`, picks the option whose text is `value`.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        let filled = async {
            if field.tag_name().await?.eq_ignore_ascii_case("select") {
                field.select_by_label(value).await
            } else {
                field.clear().await?;
                field.send_keys(value).await
            }
        };
        filled.await.unwrap_or_else(|e: CmdError| panic!("filling {label:?} with {value:?}: {e}"));
    }

    /// What the field labelled or named `label` holds now.
    pub async fn value(&self, label: &str) -> String {
        self.field(label).await.prop("value").await.expect("a field's value").unwrap_or_default()
    }

    /// Clicks the button whose text is `text` (spaces folded): a `<button>`,
    /// or an `<input>` of type submit or button with that value. A click
    /// that submits a form returns once the next page has loaded.
    pub async fn click_button(&self, text: &str) {
        let literal = xpath_literal(text);
        let xpath = format!(
            "//button[normalize-space(.)={literal}] | \
             //input[(@type='submit' or @type='button') and normalize-space(@value)={literal}]"
        );
        self.click(&xpath, "button", text).await;
    }

    /// Follows the link whose text is `text` (spaces folded).
    pub async fn click_link(&self, text: &str) {
        self.click(&format!("//a[normalize-space(.)={}]", xpath_literal(text)), "link", text).await;
    }

    async fn click(&self, xpath: &str, what: &str, text: &str) {
        let element = match self.client.find(Locator::XPath(xpath)).await {
            Ok(element) => element,
            Err(e) => panic!("no {what} {text:?} ({e}) on {}:\n{}", self.url().await, self.body_text().await),
        };
        // A click that leaves the page (a form's submit button, a link)
        // returns once the next page has replaced this one and loaded:
        // WebDriver's click does not always wait for a navigation it starts.
        let leaves = what == "link" || {
            let is_submit = "return !!arguments[0].form && (arguments[0].type || '').toLowerCase() === 'submit';";
            let arg = serde_json::to_value(&element).expect("an element as an argument");
            self.client.execute(is_submit, vec![arg]).await.ok() == Some(Value::Bool(true))
        };
        let old_root = self.client.find(Locator::Css("html")).await.ok();
        element.click().await.unwrap_or_else(|e| panic!("clicking the {what} {text:?}: {e}"));
        if let (true, Some(old_root)) = (leaves, old_root) {
            self.wait_until(&format!("the page after the {what} {text:?}"), WAIT, async |browser| {
                let replaced = old_root.tag_name().await.is_err();
                let state = browser.client.execute("return document.readyState;", vec![]).await.ok();
                replaced && state == Some(Value::String("complete".into()))
            })
            .await;
        }
    }

    /// Waits until `check` holds, asking again every 50 ms; panics with
    /// `what` and the page's text when `timeout` passes first.
    pub async fn wait_until<F>(&self, what: &str, timeout: Duration, mut check: F)
    where
        F: AsyncFnMut(&Browser) -> bool,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if check(self).await {
                return;
            }
            if Instant::now() >= deadline {
                panic!("waited {timeout:?} for {what} on {}; it shows:\n{}", self.url().await, self.body_text().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (at most [`WAIT`]) until the page shows `text`.
    pub async fn wait_for_text(&self, text: &str) {
        self.wait_until(&format!("the text {text:?}"), WAIT, async |browser| browser.body_text().await.contains(text))
            .await;
    }

    /// Saves what the window shows as
    /// `$CARGO_TARGET_TMPDIR/browser-artifacts/<name>.png`, prints the path
    /// (shown with a failing test's output), and returns it.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let file: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        let dir = target_tmp().join("browser-artifacts");
        std::fs::create_dir_all(&dir).expect("the artifacts folder");
        let path = dir.join(format!("{file}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        println!("screenshot: {}", path.display());
        path
    }

    /// Runs `script` in the page (WebDriver's, so also with [`Scripts::Off`])
    /// with `args` as `arguments`; returns what it returns.
    pub async fn run_script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("running a script: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpath_literals_quote_any_text_and_the_port_is_read_from_chromedriver() {
        assert_eq!(xpath_literal("Pay"), "'Pay'");
        assert_eq!(xpath_literal("Payer's card"), "\"Payer's card\"");
        assert_eq!(xpath_literal("a'b\"c"), "concat('a', \"'\", 'b\"c')");
        assert_eq!(announced_port("ChromeDriver was started successfully on port 41234."), Some(41234));
        assert_eq!(announced_port("Only local connections are allowed."), None);
    }
}
