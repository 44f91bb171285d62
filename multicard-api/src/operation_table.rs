//! The operations of the Multicard API as the spec lists them: id, method,
//! path template, group and whether a token is needed. Generated from
//! `spec/multicard.yaml`; useful for logging (path templates carry no card
//! token or PAN) and for tooling.

/// One operation of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationInfo {
    /// Its position in [`OPERATIONS`].
    pub index: usize,
    /// The `operationId`, also the client method's name.
    pub id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/payment/{uuid}`.
    pub path: &'static str,
    /// The API group (the spec's tag): `auth`, `invoices`, `cards`, ...
    pub tag: &'static str,
    /// `false` only for `get_token`, which issues the token.
    pub requires_token: bool,
    /// For an operation that changes state: the read that settles it when
    /// its answer is lost (`x-settled-by` in the spec).
    pub settled_by: Option<&'static str>,
    /// Its path has parameters (`{...}`).
    pub(crate) has_parameters: bool,
    /// Its path carries a card token (`{card_token}`), which an echoed
    /// error must not repeat.
    pub(crate) card_token_in_path: bool,
}

impl OperationInfo {
    /// `true` for an operation that only reads (`GET`): safe to send again.
    pub fn is_read(&self) -> bool {
        self.method == "GET"
    }
}

include!(concat!(env!("OUT_DIR"), "/multicard_operations.rs"));

/// The operation with this id.
pub fn find(id: &str) -> Option<&'static OperationInfo> {
    OPERATIONS.iter().find(|op| op.id == id)
}
