//! The README's list of examples names every file of `examples/`, and
//! nothing else: one line per example, `- <task>: `cargo run -p
//! multicard-sandbox --example <name>``. Each example's top doc comment
//! gives the same command. (CI runs every file of `examples/`: `.ci/run`.)

use std::collections::BTreeSet;
use std::path::Path;

const COMMAND: &str = "cargo run -p multicard-sandbox --example ";

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The examples, by file name without `.rs`.
fn example_files() -> BTreeSet<String> {
    let dir = crate_dir().join("examples");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.strip_suffix(".rs").map(str::to_string))
        .collect()
}

/// The examples the README's "Examples" section lists, each with its task.
fn readme_examples() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(crate_dir().join("README.md")).expect("README.md");
    let section = readme.split("\n## Examples\n").nth(1).expect("README.md has a section `## Examples`");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|line| line.starts_with("- "))
        .map(|line| {
            let (task, command) = line[2..]
                .split_once(": `")
                .unwrap_or_else(|| panic!("`{line}`: expected `- <task>: `{COMMAND}<name>``"));
            let name = command
                .strip_prefix(COMMAND)
                .and_then(|rest| rest.strip_suffix('`'))
                .unwrap_or_else(|| panic!("`{line}`: expected the command `{COMMAND}<name>`"));
            (task.trim().to_string(), name.to_string())
        })
        .collect()
}

#[test]
fn the_readme_lists_every_example_once_and_nothing_else() {
    let files = example_files();
    assert!(files.contains("quickstart"), "the examples folder was read: {files:?}");
    let listed = readme_examples();
    let names: Vec<&str> = listed.iter().map(|(_, name)| name.as_str()).collect();
    let unique: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    assert_eq!(unique.len(), names.len(), "an example is listed twice: {names:?}");
    let missing: Vec<&String> = files.difference(&unique).collect();
    assert!(missing.is_empty(), "examples the README's list does not name: {missing:?}");
    let extra: Vec<&String> = unique.difference(&files).collect();
    assert!(extra.is_empty(), "the README lists examples that do not exist: {extra:?}");
    for (task, name) in &listed {
        assert!(!task.is_empty(), "the README names no task for `{name}`");
    }
}

#[test]
fn every_example_says_what_it_shows_and_how_to_run_it() {
    for name in example_files() {
        let path = crate_dir().join("examples").join(format!("{name}.rs"));
        let source = std::fs::read_to_string(&path).expect("an example");
        let doc: Vec<&str> = source.lines().take_while(|line| line.starts_with("//!")).collect();
        assert!(doc.len() >= 3, "{name}.rs starts with no doc comment saying what it shows");
        let command = format!("{COMMAND}{name}");
        assert!(doc.iter().any(|line| line.contains(&command)), "{name}.rs: its doc comment does not give `{command}`");
    }
}
