//! The README tells the truth about the API: its table lists every
//! operation of the spec with its method and path.

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
