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
    /// Request fields that are amounts of money, marked `x-money` after the
    /// sensitive fields (see [`crate::money`]).
    #[serde(default)]
    pub money: Vec<Money>,
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
    /// The fingerprint of the vendor content `replace_vendor_data` sets aside
    /// (see [`crate::pins`]); written by `cargo xtask regen --repin`.
    #[serde(default)]
    pub pin: Option<String>,
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
    /// The fingerprint of the vendor content this entry overwrites
    /// (see [`crate::pins`]); written by `cargo xtask regen --repin`.
    #[serde(default)]
    pub pin: Option<String>,
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
    /// The fingerprint of the vendor content this entry overwrites
    /// (see [`crate::pins`]); written by `cargo xtask regen --repin`.
    #[serde(default)]
    pub pin: Option<String>,
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
    /// The fingerprint of the vendor content this entry overwrites
    /// (see [`crate::pins`]); written by `cargo xtask regen --repin`.
    #[serde(default)]
    pub pin: Option<String>,
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
    /// The fingerprint of the vendor content this entry overwrites
    /// (see [`crate::pins`]); written by `cargo xtask regen --repin`.
    #[serde(default)]
    pub pin: Option<String>,
}

/// One point fix at a JSON pointer of the normalized document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// `set` (add or replace), `merge` (shallow-merge an object into the
    /// object there) or `remove`.
    pub op: PatchOp,
    /// A JSON pointer into the normalized document. An array element is
    /// addressed by its fields, never by its index:
    /// `/paths/~1payment~1{uuid}/get/parameters/[name=uuid,in=path]/schema`.
    pub path: String,
    /// The value for `set` and `merge`.
    #[serde(default)]
    pub value: Option<Value>,
    /// Why.
    pub reason: String,
    /// The fingerprint of the vendor content this entry overwrites
    /// (see [`crate::pins`]); written by `cargo xtask regen --repin`.
    #[serde(default)]
    pub pin: Option<String>,
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

/// A group of request fields that are amounts in one unit, with the reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// `tiyin` (see [`crate::money::UNITS`]).
    pub unit: String,
    /// Why these fields are amounts (what the vendor's pages say).
    pub reason: String,
    /// Properties, written `Schema.property`, with `[]` after an array to
    /// step into its items: `OfdItems[].price`.
    pub properties: Vec<String>,
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

impl PatchOp {
    /// The name written in the corrections.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOp::Set => "set",
            PatchOp::Merge => "merge",
            PatchOp::Remove => "remove",
        }
    }
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
        self.check_pins()?;
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

    /// Every `pin` has the form `--repin` writes: twelve lower-case hex digits.
    fn check_pins(&self) -> Result<()> {
        let pins = self
            .operations
            .iter()
            .map(|o| (&o.pin, format!("operations[{}]", o.id)))
            .chain(self.drop_parameters.iter().map(|d| (&d.pin, format!("drop_parameters[{} {}]", d.location, d.name))))
            .chain(self.rename_schemas.iter().map(|r| (&r.pin, format!("rename_schemas[{}]", r.from))))
            .chain(self.formats.iter().map(|f| (&f.pin, format!("formats[{}]", f.from))))
            .chain(self.schemas.iter().map(|d| (&d.pin, format!("schemas[{}]", d.name))))
            .chain(self.patches.iter().enumerate().map(|(i, p)| (&p.pin, format!("patches[{i}]"))));
        for (pin, place) in pins {
            if let Some(pin) = pin
                && (pin.len() != 12 || !pin.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)))
            {
                return Err(RegenError::new(format!(
                    "{place} has the pin `{pin}`, which is not twelve lower-case hex digits: run `cargo xtask regen --repin`"
                ))
                .at(place));
            }
            if pin.is_some() && place.starts_with("operations[") {
                let id = &place["operations[".len()..place.len() - 1];
                if self.operation(id).is_some_and(|o| o.replace_vendor_data.is_none()) {
                    return Err(RegenError::new(format!(
                        "{place} has a `pin` but no `replace_vendor_data`: only a replaced payload is pinned"
                    ))
                    .at(place));
                }
            }
        }
        Ok(())
    }

    /// The component names of the callback payloads.
    pub fn callbacks(&self) -> Vec<String> {
        self.pages.values().filter_map(|p| p.callback.clone()).collect()
    }

    /// The corrections for one operation.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }
}
