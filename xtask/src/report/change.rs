//! The report's vocabulary: one [`Change`] with its verdict ([`Level`]),
//! the whole [`Report`], the [`Semver`] bump it calls for, and the report
//! as text for the terminal.

use std::collections::BTreeMap;
use std::fmt;

use super::reach::{OpRef, Use};

/// How much a change matters to code that uses the SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Code written against the old SDK may stop compiling or stop working.
    Breaking,
    /// New API, or a change of behaviour that breaks no code.
    Minor,
    /// Documentation only.
    Patch,
}

impl Level {
    fn mark(self) -> &'static str {
        match self {
            Level::Breaking => "BREAKING",
            Level::Minor => "minor",
            Level::Patch => "patch",
        }
    }
}

/// The version bump a set of changes calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semver {
    /// A breaking change.
    Major,
    /// Additions only.
    Minor,
    /// Documentation only.
    Patch,
}

impl fmt::Display for Semver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Semver::Major => "major",
            Semver::Minor => "minor",
            Semver::Patch => "patch",
        })
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The verdict.
    pub level: Level,
    /// Where it happened: a schema and the path inside it
    /// (`CardCheck.bank.country_code`), or a place of an operation
    /// (`list_payments.query.only_status`, `get_card.body`, `get_card`).
    pub subject: String,
    /// What changed.
    pub what: String,
    /// The old value, when there is one to show.
    pub old: Option<String>,
    /// The new value.
    pub new: Option<String>,
    /// Why the verdict, in terms of the generated Rust code.
    pub why: String,
    /// Every operation and callback it reaches, with the full field path.
    pub uses: Vec<Use>,
}

impl Change {
    /// `breaking`, kept for callers of the first report.
    pub fn breaking(&self) -> bool {
        self.level == Level::Breaking
    }

    /// The first line: verdict, subject, what, old and new.
    pub fn headline(&self) -> String {
        let values = match (&self.old, &self.new) {
            (Some(old), Some(new)) => format!(": {old} → {new}"),
            (Some(old), None) => format!(" (was {old})"),
            (None, Some(new)) => format!(" ({new})"),
            (None, None) => String::new(),
        };
        format!("{:<8}  {}: {}{values}", self.level.mark(), self.subject, self.what)
    }

    /// One line per operation (or callback) it reaches.
    pub fn places(&self) -> Vec<String> {
        let mut by_owner: BTreeMap<Option<&OpRef>, Vec<&str>> = BTreeMap::new();
        for usage in &self.uses {
            let fields = by_owner.entry(usage.operation.as_ref()).or_default();
            if !fields.contains(&usage.field.as_str()) {
                fields.push(&usage.field);
            }
        }
        if by_owner.is_empty() {
            // A document-level change (`document /info/version`) is about no field.
            return if self.subject.starts_with("document ") {
                Vec::new()
            } else {
                vec!["no operation or callback (unused)".to_string()]
            };
        }
        by_owner
            .into_iter()
            .map(|(owner, fields)| match owner {
                Some(op) => format!("{} ({} {}): {}", op.id, op.method, op.path, fields.join(", ")),
                None => format!("callback: {}", fields.join(", ")),
            })
            .collect()
    }
}

/// Every change between two normalized documents, breaking ones first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The changes, sorted by verdict, then subject.
    pub changes: Vec<Change>,
}

impl Report {
    /// `true` when the documents are the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// `true` when at least one change breaks users.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(Change::breaking)
    }

    /// How many changes have `level`.
    pub fn count(&self, level: Level) -> usize {
        self.changes.iter().filter(|c| c.level == level).count()
    }

    /// The version bump the changes call for; `None` when there are none.
    pub fn semver(&self) -> Option<Semver> {
        self.changes.iter().map(|c| c.level).min().map(|level| match level {
            Level::Breaking => Semver::Major,
            Level::Minor => Semver::Minor,
            Level::Patch => Semver::Patch,
        })
    }

    /// The headlines only, one per change, as a test or a reviewer reads them.
    pub fn headlines(&self) -> Vec<String> {
        self.changes.iter().map(Change::headline).collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no changes");
        }
        writeln!(f, "changes, judged against the generated Rust API:")?;
        for change in &self.changes {
            writeln!(f, "{}", change.headline())?;
            writeln!(f, "          why: {}", change.why)?;
            for place in change.places() {
                writeln!(f, "          in {place}")?;
            }
        }
        writeln!(
            f,
            "{} breaking change(s), {} minor, {} documentation only",
            self.count(Level::Breaking),
            self.count(Level::Minor),
            self.count(Level::Patch)
        )?;
        if let Some(semver) = self.semver() {
            writeln!(f, "semver: {semver}{}", semver_note(semver))?;
        }
        Ok(())
    }
}

/// What the bump means for a crate below 1.0, where Cargo reads the
/// numbers one place to the right.
pub fn semver_note(semver: Semver) -> &'static str {
    match semver {
        Semver::Major => " (breaking: while the crate is 0.x, bump the minor number, 0.1.z to 0.2.0)",
        Semver::Minor => " (additions: while the crate is 0.x, bump the patch number)",
        Semver::Patch => " (documentation only)",
    }
}
