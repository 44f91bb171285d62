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

/// On a response schema: the optional nested objects the SDK or a caller
/// decides on (an invoice's `payment`: paid or not). Each is read exactly:
/// absent or `null` is "none", and a value that does not decode is kept as
/// unreadable, never read as absent (see [`crate::informative`]).
pub const EXACT_FIELDS: &str = "x-exact-fields";

/// On a request property: the value the SDK sends when the caller does not
/// set one, where the vendor's own default moves money in a way the caller
/// should choose explicitly (a payout's `confirmable`: the vendor pays out in
/// one request when it is left out). Not an OpenAPI `default`, which would
/// tell every generator that the server assumes it (see [`crate::sdk_defaults`]).
pub const SDK_DEFAULT: &str = "x-sdk-default";

/// On a request property: the unit of an amount of money, `tiyin` (the
/// wire's integer). The command line takes such a field of a request body
/// as a flag whose value names its unit (`--amount 1500sum`), and lists the
/// nested ones in `--help` (see `cli.rs`).
pub const MONEY: &str = "x-money";
