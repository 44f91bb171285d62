//! The one error type of `regen`: every failure names the file and, where it
//! can, the place inside it (a line, or a JSON pointer into the document).

use std::fmt;
use std::path::{Path, PathBuf};

/// A failure of `cargo xtask regen`, with the file and place it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegenError {
    /// The vendor page, corrections file or spec the failure concerns.
    pub file: Option<PathBuf>,
    /// Where inside the file: `line 12`, `line 12, column 3`, or a JSON pointer.
    pub place: Option<String>,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl RegenError {
    /// An error about no file in particular.
    pub fn new(message: impl Into<String>) -> Self {
        Self { file: None, place: None, message: message.into() }
    }

    /// An error about `file`.
    pub fn in_file(file: &Path, message: impl Into<String>) -> Self {
        Self { file: Some(file.to_path_buf()), place: None, message: message.into() }
    }

    /// Adds the place inside the file.
    pub fn at(mut self, place: impl Into<String>) -> Self {
        self.place = Some(place.into());
        self
    }

    /// Adds the file, if none is known yet.
    pub fn with_file(mut self, file: &Path) -> Self {
        if self.file.is_none() {
            self.file = Some(file.to_path_buf());
        }
        self
    }
}

impl fmt::Display for RegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, &self.place) {
            (Some(file), Some(place)) => {
                write!(f, "{}: {}: {}", file.display(), place, self.message)
            }
            (Some(file), None) => write!(f, "{}: {}", file.display(), self.message),
            (None, Some(place)) => write!(f, "{}: {}", place, self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RegenError {}

/// The result type of every `regen` step.
pub type Result<T, E = RegenError> = std::result::Result<T, E>;
