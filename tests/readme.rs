//! The README tells the truth about the API: its table lists every
//! operation of the spec with its method and path, and the commands it gives
//! name packages and targets that exist.

use multicard_api_tests::{operations, spec, workspace_root};

#[test]
fn the_operations_table_lists_every_operation_and_what_send_returns() {
    let table = std::fs::read_to_string(workspace_root().join("docs/operations.md")).expect("docs/operations.md");
    let spec = spec();
    let mut missing = Vec::new();
    for op in operations(&spec) {
        let row = format!("| `{}` | `{} {}` |", op.id, op.method, op.path);
        let Some(line) = table.lines().find(|l| l.starts_with(&row)) else {
            missing.push(row);
            continue;
        };
        let returns = format!("| `types::{}` |", data_type(&spec, &op.operation));
        if !line.ends_with(&returns) {
            missing.push(format!("{line}  (should end with {returns})"));
        }
    }
    assert!(missing.is_empty(), "docs/operations.md rows missing or wrong:\n{}", missing.join("\n"));
    let rows = table.lines().filter(|l| l.starts_with("| `") && l.contains(" /")).count();
    assert_eq!(rows, operations(&spec).len(), "one row per operation");
}

/// The type `Multicard::send` returns for an operation: its success
/// envelope's `data`, or the answer itself when it has no envelope (`/auth`).
fn data_type(spec: &serde_json::Value, operation: &serde_json::Value) -> String {
    let name =
        |reference: &serde_json::Value| reference.as_str().and_then(|r| r.rsplit('/').next()).unwrap().to_string();
    let responses = &operation["responses"];
    let response = if responses["200"].is_object() { &responses["200"] } else { &responses["201"] };
    let envelope = name(&response["content"]["application/json"]["schema"]["$ref"]);
    match spec["components"]["schemas"][&envelope]["properties"]["data"]["$ref"].as_str() {
        Some(data) => data.rsplit('/').next().unwrap().to_string(),
        None => envelope,
    }
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
