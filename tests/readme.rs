//! The README tells the truth about the API: its table lists every
//! operation of the spec with its method and path, and the commands it gives
//! name packages and targets that exist.

use multicard_api_tests::{operations, spec, workspace_root};

#[test]
fn the_readme_table_lists_every_operation() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let spec = spec();
    let mut missing = Vec::new();
    for op in operations(&spec) {
        let row = format!("| `{}` | `{} {}` |", op.id, op.method, op.path);
        if !readme.contains(&row) {
            missing.push(row);
        }
    }
    assert!(missing.is_empty(), "README rows missing or wrong:\n{}", missing.join("\n"));
    let rows = readme.lines().filter(|l| l.starts_with("| `") && l.contains(" /")).count();
    assert_eq!(rows, operations(&spec).len(), "one README row per operation");
}

/// Every `cargo run` the README gives names a package of the workspace and,
/// where it names one, an example or binary that package has.
#[test]
fn the_readme_commands_name_packages_and_targets_that_exist() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let commands: Vec<&str> = readme.lines().filter(|l| l.starts_with("cargo run -p ")).collect();
    assert!(commands.iter().any(|c| c.contains("--example quickstart")), "the README runs the quickstart");
    for command in commands {
        let words: Vec<&str> = command.split_whitespace().collect();
        let after = |flag: &str| words.iter().position(|w| *w == flag).and_then(|i| words.get(i + 1)).copied();
        let package = after("-p").expect("a package");
        let dir = root.join(package);
        assert!(dir.join("Cargo.toml").is_file(), "`{command}`: no package `{package}`");
        if let Some(example) = after("--example") {
            assert!(dir.join("examples").join(format!("{example}.rs")).is_file(), "`{command}`: no example");
        }
        let bin = after("--bin");
        let bins: Vec<_> = std::fs::read_dir(dir.join("src/bin")).map(|d| d.flatten().collect()).unwrap_or_default();
        if let Some(bin) = bin {
            assert!(dir.join("src/bin").join(format!("{bin}.rs")).is_file(), "`{command}`: no binary");
        } else if !command.contains("--example") {
            assert_eq!(bins.len(), 1, "`{command}`: `cargo run -p` alone needs exactly one binary");
        }
    }
}
