//! The names of the OpenAPI extensions (`x-…` keys) regen reads and writes,
//! spelled once for every file of the xtask.
//!
//! Six reach the normalized document, and `multicard-api-build` reads
//! them: their spelling is the build crate's. The others are apidog's, read
//! from the vendor's pages and removed before the document is written.

pub use multicard_api_build::extensions::{
    EXACT_FIELDS, INFORMATIVE_FIELDS, MONEY, SDK_DEFAULT, SENSITIVE, SETTLED_BY,
};

/// What every extension key starts with (OpenAPI 3.0, "Specification
/// Extensions"); a key so named says nothing about the API's types.
pub const PREFIX: &str = "x-";

/// The extensions the normalized document may carry; any other is a
/// leftover of the vendor's pages.
pub const KEPT: [&str; 6] = [SENSITIVE, SETTLED_BY, INFORMATIVE_FIELDS, EXACT_FIELDS, SDK_DEFAULT, MONEY];

/// What apidog's bookkeeping keys start with.
pub const APIDOG_PREFIX: &str = "x-apidog";

/// apidog's name of a response, kept while the pages are read to label the
/// response's examples.
pub const APIDOG_NAME: &str = "x-apidog-name";

/// apidog's "run in apidog" link.
pub const RUN_IN_APIDOG: &str = "x-run-in-apidog";
