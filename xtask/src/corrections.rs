//! The hand corrections of `spec/corrections.yaml`: what no generic rule can
//! know (operation names, models the vendor never wrote down, type fixes).
//! Every entry carries a one-line `reason`, so a reviewer reads why in the diff.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{RegenError, Result};

/// The whole corrections document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corrections {
    /// The `info` object of the normalized document.
    pub info: Value,
    /// The `servers` of the normalized document.
    pub servers: Vec<Value>,
    /// The ASCII tags, in the order the API presents its groups.
    pub tags: Vec<Value>,
    /// What each endpoint page is: an operation, a callback model or prose.
    pub pages: BTreeMap<String, PageRole>,
    /// The operations, in the order they appear in the normalized document.
    pub operations: Vec<Operation>,
    /// Parameters the vendor declares that are not part of the real API.
    #[serde(default)]
    pub drop_parameters: Vec<DropParameter>,
    /// Component schemas renamed from the vendor's spelling.
    #[serde(default)]
    pub rename_schemas: Vec<Rename>,
    /// `format` values rewritten everywhere.
    #[serde(default)]
    pub formats: Vec<FormatRule>,
    /// Component schemas the vendor never defines, or defines wrongly.
    #[serde(default)]
    pub schemas: Vec<SchemaDefinition>,
    /// Point fixes, applied after the schemas, in order.
    #[serde(default)]
    pub patches: Vec<Patch>,
    /// The decoding policy: what each schema Multicard sends requires.
    #[serde(default)]
    pub decoding: crate::decoding::Decoding,
    /// Fields whose values `Debug` must never print, marked `x-sensitive`
    /// after the patches (see [`crate::sensitive`]).
    #[serde(default)]
    pub sensitive: Vec<Sensitive>,
}

/// The role of one endpoint page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageRole {
    /// The operation this page documents (several pages may share one).
    #[serde(default)]
    pub operation: Option<String>,
    /// When several pages document one operation: the schema name of this
    /// page's request body, one arm of the operation's `oneOf`.
    #[serde(default)]
    pub variant: Option<String>,
    /// The component schema made from a callback page's request body.
    #[serde(default)]
    pub callback: Option<String>,
    /// Why a page is skipped (it has no OpenAPI document worth taking).
    #[serde(default)]
    pub skip: Option<String>,
}

/// One operation of the normalized document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// The `operationId`.
    pub id: String,
    /// The ASCII tag (one of `tags`).
    pub tag: String,
    /// The component name of the request body, if the operation has one.
    #[serde(default)]
    pub request: Option<String>,
    /// The component name of the success payload (`data` of the envelope);
    /// the success response is then `<data>Response`.
    #[serde(default)]
    pub data: Option<String>,
    /// Why the vendor's inline success payload is set aside for the named
    /// `data` component (it is empty, a placeholder, or wrong).
    #[serde(default)]
    pub replace_vendor_data: Option<String>,
    /// For an operation without the envelope: the component name of the
    /// whole success body.
    #[serde(default)]
    pub response: Option<String>,
    /// The component name of the error body, when it is not `ErrorResponse`.
    #[serde(default)]
    pub error: Option<String>,
    /// `none` for the one operation that needs no token.
    #[serde(default)]
    pub security: Option<String>,
    /// For an operation that changes state: the read that tells whether it
    /// happened when its answer was lost (`x-settled-by` in the document).
    #[serde(default)]
    pub settled_by: Option<String>,
}

/// A parameter to drop wherever it appears.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropParameter {
    /// Its `name`.
    pub name: String,
    /// Its `in` (`header`, `query`, ...).
    #[serde(rename = "in")]
    pub location: String,
    /// Why.
    pub reason: String,
}

/// A component rename.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    /// The vendor's name.
    pub from: String,
    /// The name in the normalized document.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// A `format` rewrite.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatRule {
    /// The vendor's format.
    pub from: String,
    /// The format in the normalized document.
    pub to: String,
    /// A description appended to every schema that is rewritten.
    #[serde(default)]
    pub describe: Option<String>,
    /// Why.
    pub reason: String,
}

/// A component schema written by hand.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaDefinition {
    /// The component name.
    pub name: String,
    /// Why the vendor's documents cannot give it.
    pub reason: String,
    /// The schema.
    pub schema: Value,
}

/// One point fix at a JSON pointer of the normalized document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// `set` (add or replace), `merge` (shallow-merge an object into the
    /// object there) or `remove`.
    pub op: PatchOp,
    /// A JSON pointer into the normalized document.
    pub path: String,
    /// The value for `set` and `merge`.
    #[serde(default)]
    pub value: Option<Value>,
    /// Why.
    pub reason: String,
}

/// A group of sensitive fields of one kind, with the reason they are sensitive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensitive {
    /// `secret` (never shown) or `pan` (shown as the first six and last four
    /// digits at most).
    pub kind: String,
    /// Why these values must stay out of `Debug` output and logs.
    pub reason: String,
    /// Properties, written `Schema.property`, with `[]` after an array to
    /// step into its items: `PaymentRegistry.list[].card_pan`.
    #[serde(default)]
    pub properties: Vec<String>,
    /// Parameters, written `operation_id.parameter`.
    #[serde(default)]
    pub parameters: Vec<String>,
}

/// The kinds of [`Patch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchOp {
    /// Add or replace the value at the pointer (the parent must exist).
    Set,
    /// Shallow-merge an object into the object at the pointer.
    Merge,
    /// Remove the value at the pointer (it must exist).
    Remove,
}

impl Corrections {
    /// Reads and checks the corrections file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RegenError::in_file(path, format!("cannot read the corrections: {e}")))?;
        Self::parse(&text).map_err(|e| e.with_file(path))
    }

    /// Parses and checks corrections text.
    pub fn parse(text: &str) -> Result<Self> {
        let json = crate::vendor::parse_yaml(text, 1)?;
        let corrections: Corrections = serde_json::from_value(json)
            .map_err(|e| RegenError::new(format!("the corrections do not follow their format: {e}")))?;
        corrections.check()?;
        Ok(corrections)
    }

    fn check(&self) -> Result<()> {
        let mut seen = std::collections::BTreeSet::new();
        for op in &self.operations {
            if !seen.insert(op.id.as_str()) {
                return Err(RegenError::new(format!("operation `{}` is listed twice", op.id)));
            }
            if op.data.is_some() && op.response.is_some() {
                return Err(RegenError::new(format!(
                    "operation `{}` names both `data` and `response`; choose one",
                    op.id
                )));
            }
            if op.replace_vendor_data.is_some() && op.data.is_none() {
                return Err(RegenError::new(format!(
                    "operation `{}` replaces the vendor's data but names no `data` schema",
                    op.id
                )));
            }
            if let Some(read) = &op.settled_by
                && !self.operations.iter().any(|o| &o.id == read)
            {
                return Err(RegenError::new(format!(
                    "operation `{}` is settled by `{read}`, which is not an operation",
                    op.id
                )));
            }
            let tag_known = self.tags.iter().any(|t| t.get("name").and_then(Value::as_str) == Some(op.tag.as_str()));
            if !tag_known {
                return Err(RegenError::new(format!(
                    "operation `{}` has the tag `{}`, which is not in `tags`",
                    op.id, op.tag
                )));
            }
        }
        for (id, page) in &self.pages {
            let roles = [page.operation.is_some(), page.callback.is_some(), page.skip.is_some()];
            if roles.iter().filter(|r| **r).count() != 1 {
                return Err(RegenError::new(format!(
                    "page {id} must have exactly one of `operation`, `callback` or `skip`"
                )));
            }
            if let Some(op) = &page.operation
                && !seen.contains(op.as_str())
            {
                return Err(RegenError::new(format!(
                    "page {id} documents operation `{op}`, which is not in `operations`"
                )));
            }
        }
        Ok(())
    }

    /// The corrections for one operation.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }
}
