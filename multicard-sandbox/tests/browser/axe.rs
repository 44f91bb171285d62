//! axe-core in the page: the WCAG 2.0 and 2.1 rules of levels A and AA,
//! run by WebDriver (so with the page's own scripts off too), their
//! violations returned or asserted away.
//!
//! `axe.min.js` comes from npm (a pinned version, which `.ci/chromium`
//! installs): the file `MULTICARD_AXE_JS` names, else
//! `<target>/ci-axe/node_modules/axe-core/axe.min.js`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::harness::{Browser, Scripts, skip, target_tmp};

/// The rules run: axe's tags for WCAG 2.0 and 2.1, levels A and AA.
pub const WCAG_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// One rule the page breaks, with where.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// What the rule asks, in a sentence.
    pub help: String,
    /// Where axe explains it.
    pub help_url: String,
    /// Each offending element's selector.
    pub targets: Vec<String>,
}

/// axe-core's script, or `None` when it is not installed.
fn axe_file() -> Option<PathBuf> {
    if let Some(named) = std::env::var_os("MULTICARD_AXE_JS").filter(|value| !value.is_empty()) {
        let path = PathBuf::from(named);
        assert!(path.is_file(), "MULTICARD_AXE_JS={} names no file", path.display());
        return Some(path);
    }
    Some(installed()).filter(|path| path.is_file())
}

/// Where `.ci/chromium` installs axe-core: `<target>/ci-axe`.
fn installed() -> PathBuf {
    let target = target_tmp().parent().unwrap_or(target_tmp());
    target.join("ci-axe/node_modules/axe-core/axe.min.js")
}

/// Runs axe on the page with [`WCAG_TAGS`] and calls back with its
/// violations, each reduced to what a failure message needs.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
const options = { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] };
axe.run(document, options).then(
  (results) => done({ version: axe.version, violations: results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map((node) => node.target.flat(Infinity).join(' >> ')),
  })) }),
  (error) => done({ error: String(error) }),
);
"#;

/// With the page's scripts off Chromium runs no timer and no
/// `queueMicrotask` callback (promise reactions still run), and axe waits
/// on both between its rules. This gives it its own for its run, on
/// promise reactions: a zero-delay timer runs next, a longer one (only
/// axe's give-up timeouts, for frames and preloads) never fires. The
/// page's own scripts are off, so none of them sees the change.
const TIMERS_WITHOUT_SCRIPTS: &str = r#"
if (!window.multicardAxeTimers) {
  window.multicardAxeTimers = true;
  const soon = (callback) => { Promise.resolve().then(callback); };
  const pending = new Set();
  let next = 1;
  window.queueMicrotask = soon;
  window.setTimeout = (callback, delay, ...args) => {
    const id = next++;
    pending.add(id);
    if (!delay) {
      soon(() => { if (pending.delete(id)) callback(...args); });
    }
    return id;
  };
  window.clearTimeout = (id) => { pending.delete(id); };
}
"#;

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// What `violations` are, one per line, each with its offending elements.
pub fn describe(violations: &[Violation]) -> String {
    let mut out = String::new();
    for v in violations {
        let _ = writeln!(out, "- {} ({}): {} <{}>", v.id, v.impact, v.help, v.help_url);
        for target in &v.targets {
            let _ = writeln!(out, "    at {target}");
        }
    }
    out
}

impl Browser {
    /// axe's violations of WCAG 2.0/2.1 A and AA on the page shown, or
    /// `None` when axe-core is not installed (after [`skip`], the first
    /// time in this browser).
    pub async fn axe(&self) -> Option<Vec<Violation>> {
        let Some(file) = axe_file() else {
            if !self.axe_missing_told.swap(true, Ordering::SeqCst) {
                skip(&format!(
                    "the accessibility check needs axe-core's axe.min.js in MULTICARD_AXE_JS or {} \
                     (bash -c 'source .ci/chromium && ci_axe_install' installs the pinned version there)",
                    installed().display()
                ));
            }
            return None;
        };
        let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        if self.scripts() == Scripts::Off {
            self.run_script(TIMERS_WITHOUT_SCRIPTS, vec![]).await;
        }
        self.run_script(&format!("{source}\n;return typeof axe;"), vec![]).await;
        let answer = self
            .client()
            .execute_async(RUN_AXE, vec![json!(WCAG_TAGS)])
            .await
            .unwrap_or_else(|e| panic!("running axe: {e}"));
        if let Some(error) = answer.get("error") {
            panic!("axe failed on {}: {error}", self.url().await);
        }
        assert!(answer["version"].is_string(), "axe answered {answer}");
        let found = answer["violations"].as_array().unwrap_or_else(|| panic!("axe answered {answer}"));
        Some(
            found
                .iter()
                .map(|v| Violation {
                    id: text(&v["id"]),
                    impact: text(&v["impact"]),
                    help: text(&v["help"]),
                    help_url: text(&v["helpUrl"]),
                    targets: v["targets"].as_array().map(|t| t.iter().map(text).collect()).unwrap_or_default(),
                })
                .collect(),
        )
    }

    /// Fails, listing each violation, unless axe finds none on the page
    /// (`page` names it in the message); returns at once (after [`skip`])
    /// when axe-core is not installed.
    pub async fn assert_accessible(&self, page: &str) {
        let Some(violations) = self.axe().await else { return };
        assert!(
            violations.is_empty(),
            "{page} ({}) breaks {} WCAG 2.0/2.1 A/AA rule(s):\n{}",
            self.url().await,
            violations.len(),
            describe(&violations)
        );
    }
}
