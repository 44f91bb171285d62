//! The state every generated [`Client`](crate::Client) carries, and the hook
//! that puts the bearer token on every request that needs one.

use std::fmt;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo as ProgenitorOperation};
use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::operations;

/// What the generated client carries besides its `reqwest::Client`.
///
/// Holds the bearer token, if any. The token is never printed: `Debug`
/// shows only whether there is one.
#[derive(Clone, Default)]
pub struct ClientState {
    authorization: Option<HeaderValue>,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("token", &self.authorization.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A token that cannot be put in an HTTP header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidToken;

impl fmt::Display for InvalidToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the token holds characters that cannot appear in an HTTP header")
    }
}

impl std::error::Error for InvalidToken {}

impl ClientState {
    /// A state that sends no token.
    pub fn new() -> Self {
        Self::default()
    }

    /// A state that sends `Authorization: Bearer <token>` on every
    /// operation that requires it (all but `get_token`). The header value is
    /// marked sensitive, so `reqwest` never prints it.
    pub fn with_bearer_token(token: &str) -> Result<Self, InvalidToken> {
        let mut value = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| InvalidToken)?;
        value.set_sensitive(true);
        Ok(Self { authorization: Some(value) })
    }
}

impl ClientHooks<ClientState> for crate::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &ProgenitorOperation,
    ) -> Result<(), progenitor_client::Error<E>> {
        let needs_token = operations::find(info.operation_id).is_none_or(|op| op.requires_token);
        if let (true, Some(value)) = (needs_token, &self.inner().authorization) {
            request.headers_mut().insert(AUTHORIZATION, value.clone());
        }
        Ok(())
    }
}
