//! What the live-check tests share: the spec, a target, a run.

use std::path::{Path, PathBuf};

use xtask::live::{LiveRun, Spec, Target};

/// The workspace's spec.
pub fn spec() -> Spec {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/multicard.yaml");
    xtask::live::load_spec(&path).expect("the committed spec reads")
}

/// A callback URL on loopback where nothing listens (the discard port).
pub const CALLBACK: &str = "http://127.0.0.1:9/callback";

/// A target on a loopback server.
pub fn target(base_url: &str, application_id: &str, secret: &str) -> Target {
    Target {
        base_url: base_url.to_string(),
        application_id: application_id.to_string(),
        secret: secret.to_string(),
        store_id: multicard_sandbox::STORE_ID,
        callback_url: CALLBACK.to_string(),
    }
}

/// Runs the live check against `target`, writing under `out`.
pub async fn run(target: &Target, out: &Path) -> LiveRun {
    xtask::live::live_check(&spec(), target, out).await.expect("the live check runs")
}

/// Every file under `dir`, with its text.
pub fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the out folder reads") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(self::files(&path));
        } else {
            let text = std::fs::read_to_string(&path).expect("a text file");
            files.push((path, text));
        }
    }
    files.sort();
    files
}

/// The finding lines of a run.
pub fn lines(run: &LiveRun) -> Vec<String> {
    run.findings.iter().map(ToString::to_string).collect()
}
