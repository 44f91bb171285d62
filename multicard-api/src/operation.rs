//! What ties a generated operation to the executor: its id, its success
//! envelope and its error body. The impls for the 31 operations are
//! generated from the spec (`multicard_glue.rs`).

use std::future::Future;

use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;

use crate::error::{AuthMessage, Error};
use crate::types;

pub(crate) mod sealed {
    /// Sealed: only the SDK's own types (the generated request builders and
    /// success bodies) implement [`Operation`](super::Operation) and
    /// [`Envelope`](super::Envelope); the impls are generated with them.
    pub trait Sealed {}
}

/// A generated request builder, ready to send.
///
/// Sealed: implemented for every operation's builder in [`builder`](crate::builder),
/// and for nothing outside this crate.
pub trait Operation: sealed::Sealed + Sized + Send {
    /// The `operationId`.
    const ID: &'static str;
    /// The success body.
    type Success: Envelope + DeserializeOwned + Send;
    /// The documented error body.
    type Failure: FailureBody + DeserializeOwned + Send;
    /// Sends the request (the builder's own `send`).
    fn send_request(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Success>, progenitor_client::Error<Self::Failure>>> + Send;
}

/// A body under a success status: Multicard's envelope (`data` when
/// `success` is true, `error` when it is false), or the bare token of
/// `/auth`.
///
/// Sealed: implemented for the generated success bodies only.
pub trait Envelope: sealed::Sealed {
    /// The payload.
    type Data;
    /// The `success` flag, the payload (boxed: a decoded payload is
    /// kilobytes, and it is moved out once, straight into its box) and the
    /// error, taken out of the decoded body.
    fn take_parts(&mut self) -> (bool, Option<Box<Self::Data>>, Option<types::ErrorDetail>);
}

/// A documented error body.
pub trait FailureBody {
    /// The SDK error it means.
    fn into_error(self, operation: &'static str, status: u16) -> Error;
}

impl FailureBody for types::ErrorResponse {
    fn into_error(self, operation: &'static str, status: u16) -> Error {
        Error::from_envelope(operation, status, self)
    }
}

impl FailureBody for types::AuthErrorResponse {
    fn into_error(self, _operation: &'static str, status: u16) -> Error {
        Error::Authentication { status: Some(status), messages: AuthMessage::from_body(self) }
    }
}

impl FailureBody for () {
    fn into_error(self, operation: &'static str, status: u16) -> Error {
        Error::unexpected(operation, status, None, b"", "no error body is documented for this operation")
    }
}

impl sealed::Sealed for types::AuthToken {}

impl Envelope for types::AuthToken {
    type Data = types::AuthToken;
    fn take_parts(&mut self) -> (bool, Option<Box<Self::Data>>, Option<types::ErrorDetail>) {
        let empty = types::AuthToken { expiry: String::new(), role: None, token: String::new() };
        (true, Some(Box::new(std::mem::replace(self, empty))), None)
    }
}

include!(concat!(env!("OUT_DIR"), "/multicard_glue.rs"));
