//! The operations of the Multicard API as the spec lists them: id, method,
//! path template, group and whether a token is needed. Generated from
//! `spec/multicard.yaml`; useful for logging (path templates carry no card
//! token or PAN) and for tooling.

/// One operation of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationInfo {
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
}

include!(concat!(env!("OUT_DIR"), "/multicard_operations.rs"));

/// The operation with this id.
pub fn find(id: &str) -> Option<&'static OperationInfo> {
    OPERATIONS.iter().find(|op| op.id == id)
}
