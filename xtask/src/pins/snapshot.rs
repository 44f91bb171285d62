//! `spec/pinned.yaml`: the content each pin was taken from, by pin, so that
//! a changed pin can say what changed. Written by `--repin` only.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{RegenError, Result};

/// The pinned content by pin.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    content: BTreeMap<String, Value>,
}

impl Snapshot {
    /// Reads the snapshot; a missing file is an empty snapshot.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(RegenError::in_file(path, format!("cannot read the pinned content: {e}"))),
        };
        let value = crate::vendor::parse_yaml(&text, 1).map_err(|e| e.with_file(path))?;
        let Value::Object(map) = value else {
            return Err(RegenError::in_file(path, "the pinned content is not a mapping of pins"));
        };
        Ok(Self { content: map.into_iter().collect() })
    }

    /// The content pinned as `pin`.
    pub fn get(&self, pin: &str) -> Option<&Value> {
        self.content.get(pin)
    }

    /// `true` when the snapshot holds exactly `pinned`.
    pub fn holds_exactly(&self, pinned: &BTreeMap<String, Value>) -> bool {
        &self.content == pinned
    }

    /// A snapshot of exactly `pinned`.
    pub fn of(pinned: BTreeMap<String, Value>) -> Self {
        Self { content: pinned }
    }

    /// The file's text.
    pub fn render(&self) -> Result<String> {
        let map: Map<String, Value> = self.content.clone().into_iter().collect();
        let body = serde_norway::to_string(&Value::Object(map))
            .map_err(|e| RegenError::new(format!("cannot write the pinned content: {e}")))?;
        Ok(format!(
            "# Written by `cargo xtask regen --repin`: the vendor content each correction of\n\
             # spec/corrections.yaml was written against, by its `pin`. Do not edit by hand.\n{body}"
        ))
    }
}
