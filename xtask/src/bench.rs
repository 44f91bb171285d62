//! `cargo xtask bench-report` and `cargo xtask build-bench`: the figures of
//! BENCHMARKS.md, with their baselines and ratios.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::{RegenError, Result};

/// One measured figure and the baseline it is compared with.
struct Pair {
    what: &'static str,
    subject: &'static str,
    baseline: Option<&'static str>,
}

const PAIRS: &[Pair] = &[
    Pair {
        what: "get_payment, warm token: SDK vs raw reqwest + serde_json",
        subject: "call/get_payment/sdk",
        baseline: Some("call/get_payment/raw"),
    },
    Pair {
        what: "list_payments 10,000 rows: SDK vs raw",
        subject: "call/list_payments_10k/sdk",
        baseline: Some("call/list_payments_10k/raw"),
    },
    Pair {
        what: "decode 10,000-row registry: generated types vs serde_json::Value",
        subject: "decode/registry_10k/typed",
        baseline: Some("decode/registry_10k/value"),
    },
    Pair { what: "cached token (first poll, no executor)", subject: "token/cached", baseline: None },
    Pair { what: "cached token (inside the runtime)", subject: "token/cached_in_runtime", baseline: None },
    Pair {
        what: "expiry: 1000 concurrent callers vs 1 caller (one /auth each)",
        subject: "token/expiry_1000_callers",
        baseline: Some("token/expiry_1_callers"),
    },
    Pair { what: "verify a success callback", subject: "callbacks/verify_success", baseline: None },
    Pair { what: "reject a forged callback", subject: "callbacks/reject_forged", baseline: None },
];

fn median_ns(criterion: &Path, id: &str) -> Option<f64> {
    // criterion keeps the group as a folder and writes `/` in a function
    // name as `_`.
    let (group, function) = id.split_once('/')?;
    let path = criterion.join(group).join(function.replace('/', "_")).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value.pointer("/median/point_estimate")?.as_f64()
}

fn human(ns: f64) -> String {
    match ns {
        n if n < 1_000.0 => format!("{n:.0} ns"),
        n if n < 1_000_000.0 => format!("{:.2} µs", n / 1_000.0),
        n if n < 1_000_000_000.0 => format!("{:.2} ms", n / 1_000_000.0),
        n => format!("{:.2} s", n / 1_000_000_000.0),
    }
}

/// The table of criterion medians in `target/criterion`, as markdown.
pub fn report(target: &Path) -> Result<String> {
    let criterion = target.join("criterion");
    let mut out = String::from("| figure | median | baseline | ratio |\n|---|---|---|---|\n");
    let mut found = 0;
    for pair in PAIRS {
        let Some(subject) = median_ns(&criterion, pair.subject) else { continue };
        found += 1;
        let (baseline, ratio) = match pair.baseline.and_then(|b| median_ns(&criterion, b)) {
            Some(base) => (human(base), format!("{:.3}x", subject / base)),
            None => ("—".into(), "—".into()),
        };
        let extra = if pair.subject == "callbacks/verify_success" {
            format!(" ({:.0} per second)", 1e9 / subject)
        } else {
            String::new()
        };
        out.push_str(&format!("| {} | {}{extra} | {baseline} | {ratio} |\n", pair.what, human(subject)));
    }
    if let Ok(text) = std::fs::read_to_string(criterion.join("paired_get_payment.json"))
        && let Ok(paired) = serde_json::from_str::<Value>(&text)
        && let Some(raw) = paired["raw_ns"].as_f64()
    {
        let rounds = paired["pairs"].as_u64().unwrap_or(0);
        for (key, what) in [
            ("sdk_ns", "SDK"),
            ("generated_ns", "generated client alone (hooks, no executor)"),
            ("raw_with_headers_ns", "raw plus the two headers the generated request adds"),
        ] {
            if let Some(subject) = paired[key].as_f64() {
                out.push_str(&format!(
                    "| get_payment, warm token, paired ({rounds} interleaved rounds): {what} vs raw | {} | {} | {:.3}x |\n",
                    human(subject),
                    human(raw),
                    subject / raw
                ));
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(criterion.join("call_instructions.json"))
        && let Ok(counts) = serde_json::from_str::<Value>(&text)
        && let Some(raw) = counts["raw"].as_f64()
    {
        if let Some(bytes) = counts["send_future_bytes"].as_u64() {
            out.push_str(&format!("| the future of one SDK call | {bytes} bytes | — | — |\n"));
        }
        for (key, what) in [("sdk", "SDK"), ("generated", "generated client alone")] {
            if let Some(subject) = counts[key].as_f64() {
                out.push_str(&format!(
                    "| get_payment, instructions per call (callgrind): {what} vs raw | {subject:.0} | {raw:.0} | {:.3}x |\n",
                    subject / raw
                ));
            }
        }
    }
    if found == 0 {
        return Err(RegenError::new(format!(
            "no criterion results under {}: run `cargo bench -p multicard-api-tests --bench sdk` first",
            criterion.display()
        )));
    }
    Ok(out)
}

fn run(command: &mut Command) -> Result<(Duration, String)> {
    let started = Instant::now();
    let output = command.output().map_err(|e| RegenError::new(format!("cannot run {command:?}: {e}")))?;
    let elapsed = started.elapsed();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        return Err(RegenError::new(format!("{command:?} failed:\n{text}")));
    }
    Ok((elapsed, text))
}

/// A crate outside the workspace, as a user's would be: `dependency` is its
/// `[dependencies]` table, `uses` its `lib.rs`. It resolves the same
/// versions as the workspace.
fn user_crate(workspace: &Path, root: &Path, name: &str, dependency: &str, uses: &str) -> Result<PathBuf> {
    let dir = root.join(name);
    let io = |e: std::io::Error| RegenError::new(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[dependencies]\n{dependency}\n[workspace]\n"
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(io)?;
    std::fs::write(dir.join("src/lib.rs"), uses).map_err(io)?;
    std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(io)?;
    Ok(dir)
}

/// A clean build of the crate in `dir` into `target`.
fn clean_build(dir: &Path, target: &Path) -> Result<Duration> {
    let _ = std::fs::remove_dir_all(target);
    Ok(run(Command::new("cargo").args(["build", "--timings"]).env("CARGO_TARGET_DIR", target).current_dir(dir))?.0)
}

/// Clean builds of a crate that depends on `multicard-api` and of a bare
/// crate with the same reqwest, serde, tokio and chrono features, the build
/// script's own time, and whether a no-op rebuild reruns it.
///
/// Both are built as a user builds them: a crate outside this workspace, so
/// the SDK compiles as a dependency (without incremental compilation, as
/// cargo compiles every dependency). Two rounds, the order swapped in the
/// second, so neither build always runs first on a cold file cache.
pub fn build_bench(workspace: &Path) -> Result<String> {
    let scratch = std::env::temp_dir().join(format!("multicard-build-bench-{}", std::process::id()));
    let sdk_path = workspace.join("multicard-api");
    let sdk = user_crate(
        workspace,
        &scratch,
        "with-sdk",
        &format!("multicard-api = {{ path = {:?} }}\n", sdk_path.display().to_string()),
        "pub use multicard_api;\n",
    )?;
    let bare = user_crate(
        workspace,
        &scratch,
        "bare",
        r#"reqwest = { version = "0.13", default-features = false, features = ["json", "query", "rustls", "http2"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["rt", "macros", "net", "time", "sync"] }
chrono = { version = "0.4", default-features = false, features = ["std", "clock", "serde"] }
"#,
        "pub use chrono; pub use reqwest; pub use serde; pub use serde_json; pub use tokio;\n",
    )?;
    let (sdk_target, bare_target) = (scratch.join("sdk-target"), scratch.join("bare-target"));
    let mut rounds = Vec::new();
    for round in 0..2 {
        let (sdk_time, bare_time) = if round == 0 {
            let bare_time = clean_build(&bare, &bare_target)?;
            (clean_build(&sdk, &sdk_target)?, bare_time)
        } else {
            (clean_build(&sdk, &sdk_target)?, clean_build(&bare, &bare_target)?)
        };
        eprintln!(
            "round {}: with the SDK {:.1} s, bare {:.1} s",
            round + 1,
            sdk_time.as_secs_f64(),
            bare_time.as_secs_f64()
        );
        rounds.push((sdk_time.as_secs_f64(), bare_time.as_secs_f64()));
    }
    let script = build_script_seconds(&sdk_target).unwrap_or(f64::NAN);
    let (_, noop) =
        run(Command::new("cargo").args(["build", "-v"]).env("CARGO_TARGET_DIR", &sdk_target).current_dir(&sdk))?;
    let reran = noop.lines().any(|l| l.contains("build-script-build") && l.contains("Running"));
    let _ = std::fs::remove_dir_all(&scratch);
    let mut out = String::from("| figure | value | baseline | ratio |\n|---|---|---|---|\n");
    for (round, (sdk_time, bare_time)) in rounds.iter().enumerate() {
        out.push_str(&format!(
            "| clean build of a crate using multicard-api (debug, all dependencies), round {} | {sdk_time:.1} s | bare crate, same reqwest/serde/tokio/chrono features: {bare_time:.1} s | {:.2}x |\n",
            round + 1,
            sdk_time / bare_time
        ));
    }
    let (sdk_total, bare_total) = rounds.iter().fold((0.0, 0.0), |(a, b), (s, r)| (a + s, b + r));
    out.push_str(&format!(
        "| clean build, both rounds | {sdk_total:.1} s | {bare_total:.1} s | {:.2}x |\n",
        sdk_total / bare_total
    ));
    out.push_str(&format!(
        "| the build script (spec → progenitor → formatted code) | {script:.2} s | — | — |\n\
         | no-op rebuild reruns the build script | {} | — | — |\n",
        if reran { "yes" } else { "no" },
    ));
    Ok(out)
}

/// The duration of multicard-api's build-script run, from cargo's timings.
fn build_script_seconds(target: &Path) -> Option<f64> {
    let html = std::fs::read_to_string(target.join("cargo-timings").join("cargo-timing.html")).ok()?;
    let start = html.find("const UNIT_DATA = ")? + "const UNIT_DATA = ".len();
    let end = start + html[start..].find(";\n")?;
    let units: Value = serde_json::from_str(&html[start..end]).ok()?;
    units.as_array()?.iter().find_map(|unit| {
        let is_run =
            unit.get("name")?.as_str()? == "multicard-api" && unit.get("mode")?.as_str()? == "run-custom-build";
        if is_run { unit.get("duration")?.as_f64() } else { None }
    })
}
