//! Every example the command line shows runs: each `--help` example (with
//! the example values of its required flags) is pasted into `sh` as printed
//! and run against `--sandbox`; the commands of the crate's documentation
//! run there too; and the guide's transcript prints what it says it
//! prints, exit codes included.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::multicard;

const BIN: &str = env!("CARGO_BIN_EXE_multicard");

fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// `script` run by `sh` in `dir`, with `multicard` the binary under test
/// (first on `PATH`), no credentials and no profile.
fn shell(dir: &Path, script: &str) -> Output {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let link = bin.join("multicard");
    if !link.exists() {
        std::os::unix::fs::symlink(BIN, &link).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("MULTICARD_CONFIG", "/nonexistent/multicard/config.toml")
        .env("MULTICARD_SANDBOX_HOME", support::NO_SANDBOX_HOME)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("MULTICARD_APPLICATION_ID")
        .env_remove("MULTICARD_SECRET")
        .env_remove("MULTICARD_ENV")
        .env_remove("MULTICARD_BASE_URL")
        .env_remove("MULTICARD_STORE_ID")
        .env_remove("MULTICARD_PROFILE")
        .output()
        .expect("sh runs")
}

/// A scratch directory holding what the documentation's commands name
/// (`invoice.json`).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("multicard-examples-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let invoice = r#"{"store_id": 6, "invoice_id": "o-1", "callback_url": "https://example.invalid/cb",
        "ofd": [{"qty": 1, "price": 150000, "total": 150000, "mxik": "06401004002000000", "package_code": "1506113", "name": "Shoes"}]}"#;
    std::fs::write(dir.join("invoice.json"), invoice).unwrap();
    dir
}

/// The names under `Commands:` of a help text (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    let Some((_, list)) = help.split_once("Commands:\n") else { return Vec::new() };
    list.lines()
        .take_while(|line| line.starts_with("  "))
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The required flags of a command (from its usage line), each with the
/// example value its help gives (`(e.g. 753967)`).
fn required_flags(help: &str) -> Result<Vec<(String, String)>, String> {
    let usage = help.lines().find(|l| l.starts_with("Usage: ")).ok_or("no usage line")?;
    let options = help.split_once("\nOptions:\n").map_or("", |(_, options)| options);
    let flat = options.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    for word in usage.split_whitespace().filter(|w| w.starts_with("--")) {
        if word == "--body" {
            continue;
        }
        let at = flat.find(&format!("{word} <")).ok_or_else(|| format!("{word}: no help entry"))?;
        let rest = &flat[at..];
        let end = rest[2..].find(" --").map_or(rest.len(), |e| e + 2);
        let entry = &rest[..end];
        // `… (e.g. 753967)` after a description, `e.g. 753967` alone.
        let example = entry
            .rsplit_once("e.g. ")
            .and_then(|(_, e)| e.split([')', ' ']).next())
            .filter(|value| !value.is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("{word}: its help shows no example value: {entry}"))?;
        out.push((word.to_string(), example));
    }
    Ok(out)
}

/// The example after `e.g.:` in a help text, as printed (continuation
/// lines joined the way a shell joins them).
fn help_example(help: &str) -> Option<String> {
    let (_, after) = help.split_once("e.g.:\n")?;
    Some(after.split("\n\n").next()?.to_string())
}

#[test]
fn every_help_example_pastes_into_sh_and_runs_against_the_sandbox() {
    let dir = scratch("help");
    let top = text(&multicard("http://unused.invalid", &["--help"], None)).0;
    let (mut ran, mut answered, mut problems) = (0, 0, Vec::new());
    for group in subcommands(&top) {
        if ["completions", "reconcile", "settle", "sandbox", "callback"].contains(&group.as_str()) {
            continue; // not operations: covered by their own tests
        }
        let group_help = text(&multicard("http://unused.invalid", &[&group, "--help"], None)).0;
        for verb in subcommands(&group_help) {
            let help = text(&multicard("http://unused.invalid", &[&group, &verb, "--help"], None)).0;
            let flags = match required_flags(&help) {
                Ok(flags) => flags,
                Err(problem) => {
                    problems.push(format!("{group} {verb}: {problem}"));
                    continue;
                }
            };
            let mut script = format!("multicard --sandbox -y -o json {group} {verb}");
            for (flag, value) in &flags {
                script.push_str(&format!(" {flag} '{}'", value.replace('\'', r"'\''")));
            }
            if let Some(example) = help_example(&help) {
                // Pasted as printed: the example is shell text.
                script.push(' ');
                script.push_str(&example);
            }
            let output = shell(&dir, &script);
            let (stdout, stderr) = text(&output);
            ran += 1;
            match output.status.code() {
                Some(0) => answered += 1,
                // Multicard's answer to ids the fresh sandbox has never seen:
                // rejected (1), a conflict (8), or for a write the SDK cannot
                // call harmless, an unknown outcome (5). The command was
                // accepted and sent.
                Some(1 | 5 | 8) if stderr.contains("Multicard answered ERROR_") => {}
                // A refund or a charge of a payment or hold the sandbox does
                // not have: the SDK's guard reads it first, and sends nothing.
                Some(6) if stderr.contains("not sent: the `get_") => {}
                // One page of payouts is one status's listing: the command
                // says which flag to add.
                Some(2) if stderr.contains("--only-status is required") => {}
                code => problems.push(format!("{group} {verb}: exit {code:?}\n  {script}\n  {stderr}{stdout}")),
            }
            assert!(!stderr.contains("panicked"), "{script}: {stderr}");
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(ran >= 31, "every operation's help was tried ({ran})");
    // The creates and the reads that need no earlier object succeed; the rest
    // name ids a fresh sandbox has never seen.
    assert!(answered >= 8, "the examples that need no earlier object succeed ({answered} of {ran})");
}

#[test]
fn the_commands_of_the_crate_documentation_run_against_the_sandbox() {
    let source = include_str!("../src/main.rs");
    let (_, block) = source.split_once("//! ```text\n").expect("the crate doc has an example block");
    let (block, _) = block.split_once("//! ```").expect("the block ends");
    let dir = scratch("crate-doc");
    let mut ran = 0;
    for line in block.lines().filter_map(|l| l.strip_prefix("//! ")) {
        let command = line.strip_prefix("multicard ").expect("each line is a multicard command");
        let command = command.strip_prefix("--sandbox ").unwrap_or(command);
        // Writes are confirmed with -y: there is no terminal here.
        let script = format!("multicard --sandbox -y {command}");
        let output = shell(&dir, &script);
        let (stdout, stderr) = text(&output);
        let code = output.status.code();
        // 0, or Multicard's answer (1: the fresh sandbox does not know the
        // ids; 11/12: reconcile's findings): never a usage error or a crash.
        assert!(matches!(code, Some(0 | 1 | 11 | 12)), "{script}: exit {code:?}\n{stderr}{stdout}");
        ran += 1;
    }
    assert!(ran >= 4, "{ran}");
}

/// The guide's command-line transcript (docs/cli.md): each `$` line run by `sh`, its
/// output (stdout and stderr, as a terminal shows them) the lines after it.
#[test]
fn the_guides_transcript_prints_what_it_says() {
    let guide = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli.md")).unwrap();
    let (_, block) = guide.split_once("```sh\n").expect("a transcript");
    let (block, _) = block.split_once("```").expect("the transcript ends");
    let dir = scratch("readme");
    let mut steps: Vec<(String, Vec<&str>)> = Vec::new();
    for line in block.lines() {
        match line.strip_prefix("$ ") {
            Some(command) => steps.push((command.replace("cargo run -q -p multicard-cli --", "multicard"), Vec::new())),
            None => steps.last_mut().expect("the transcript starts with a command").1.push(line),
        }
    }
    assert!(steps.len() >= 4, "{steps:?}");
    for (command, expected) in steps {
        let output = shell(&dir, &format!("{{ {command}\n}} 2>&1"));
        let shown = String::from_utf8_lossy(&output.stdout);
        let shown: Vec<&str> = shown.lines().collect();
        assert_eq!(shown, expected, "$ {command}");
    }
}

/// The package's own README (what crates.io shows): each command of its
/// example that runs against `--sandbox` succeeds.
#[test]
fn the_package_readme_commands_succeed_on_the_sandbox() {
    let readme = include_str!("../README.md");
    let (_, block) = readme.split_once("```sh\n").expect("an example block");
    let (block, _) = block.split_once("```").expect("the block ends");
    let dir = scratch("package-readme");
    let mut ran = 0;
    for line in block.lines().filter(|l| l.contains("--sandbox")) {
        let command = line.split_once(" #").map_or(line, |(command, _)| command).trim();
        let output = shell(&dir, command);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{command}\n{stderr}{stdout}");
        ran += 1;
    }
    assert!(ran >= 2, "{ran}");
}
