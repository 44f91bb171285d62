//! The report as a `CHANGELOG.md` section, ready to paste under
//! "Unreleased" (`cargo xtask regen --changelog FILE` writes it).

use super::change::{Change, Level, Report, semver_note};

impl Report {
    /// A `CHANGELOG.md` section describing the changes.
    pub fn changelog(&self) -> String {
        section(self)
    }
}

/// The section: a heading, the semver verdict, then the changes by verdict,
/// each with the operations it reaches.
fn section(report: &Report) -> String {
    let mut out = String::from("### Multicard API update (regenerated from the vendor's pages)\n\n");
    let Some(semver) = report.semver() else {
        out.push_str("No change to the API.\n");
        return out;
    };
    out.push_str(&format!("Semver: **{semver}**{}.\n", semver_note(semver)));
    for (level, title) in [
        (Level::Breaking, "Breaking"),
        (Level::Minor, "Added and changed, nothing breaks"),
        (Level::Patch, "Documentation"),
    ] {
        let changes: Vec<&Change> = report.changes.iter().filter(|c| c.level == level).collect();
        if changes.is_empty() {
            continue;
        }
        out.push_str(&format!("\n#### {title}\n\n"));
        for change in changes {
            out.push_str(&item(change));
        }
    }
    out
}

fn item(change: &Change) -> String {
    let values = match (&change.old, &change.new) {
        (Some(old), Some(new)) => format!(" (`{old}` → `{new}`)"),
        (Some(old), None) => format!(" (was `{old}`)"),
        (None, Some(new)) => format!(" (`{new}`)"),
        (None, None) => String::new(),
    };
    let mut operations: Vec<String> = Vec::new();
    let mut callbacks: Vec<String> = Vec::new();
    for usage in &change.uses {
        let (list, name) = match &usage.operation {
            Some(op) => (&mut operations, format!("`{}`", op.id)),
            None => (&mut callbacks, format!("`{}`", usage.field.split('.').next().unwrap_or_default())),
        };
        if !list.contains(&name) {
            list.push(name);
        }
    }
    let mut reach = String::new();
    if !operations.is_empty() {
        reach.push_str(&format!(" Operations: {}.", operations.join(", ")));
    }
    if !callbacks.is_empty() {
        reach.push_str(&format!(" Callbacks: {}.", callbacks.join(", ")));
    }
    let why = if change.level == Level::Breaking { format!(" {}.", capitalize(&change.why)) } else { String::new() };
    format!("- `{}`: {}{values}.{why}{reach}\n", change.subject, change.what)
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}
