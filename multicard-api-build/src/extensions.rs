//! The spec extensions (`x-…` keys) the generator reads, spelled once.
//!
//! `cargo xtask regen` writes them into `spec/multicard.yaml` (it uses these
//! constants too); every other extension is removed before the document is
//! committed.

/// On a property or a path parameter: `secret` or `pan`, a value `Debug`
/// never prints (see [`crate::redact`]).
pub const SENSITIVE: &str = "x-sensitive";

/// On an operation that changes state: the read (an `operationId`) that
/// settles it when its answer is lost.
pub const SETTLED_BY: &str = "x-settled-by";

/// On a response schema: the fields that only inform, decoded tolerantly
/// (see [`crate::informative`]).
pub const INFORMATIVE_FIELDS: &str = "x-informative-fields";
