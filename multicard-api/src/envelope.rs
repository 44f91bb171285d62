//! The envelope: the one place that decides what an answer means. The
//! generated code has decoded the body by its status (the success type
//! under 2xx, the documented error type under its status, nothing under
//! an undocumented one); here the body's `success` flag decides: Multicard
//! sends error envelopes under HTTP 200, and `{success: true}` under an
//! unusual 2xx is a success. A 401 is reported as such, for the executor
//! to replay once with a fresh token.

use crate::error::{Error, RawData};
use crate::operation::{Envelope, FailureBody, Operation};
use crate::types;

/// What an attempt came to.
pub(crate) enum Outcome<T> {
    Done(Result<T, Error>),
    Unauthorized,
}

/// What [`interpret`] made of an attempt: an outcome, or a response under
/// an undocumented status whose body is still to be read.
pub(crate) enum Interpreted<T> {
    Outcome(Outcome<T>),
    ReadBody(reqwest::Response),
}

/// Turns what the generated client returned into data or an [`Error`],
/// deciding by the body's `success` flag rather than the HTTP status.
///
/// Not async, so the large values it handles (a decoded envelope is a few
/// kilobytes) are never held across an await of the call's future: only
/// the rare undocumented status, whose body progenitor left unread, goes on
/// to [`read_undocumented`].
pub(crate) fn interpret<O: Operation>(
    result: Result<progenitor_client::ResponseValue<O::Success>, progenitor_client::Error<O::Failure>>,
    observed_status: Option<u16>,
    content_type: Option<reqwest::header::HeaderValue>,
    with_token: bool,
) -> Interpreted<Box<<O::Success as Envelope>::Data>> {
    use progenitor_client::Error as E;
    // Read only when it goes into an error.
    let observed_type = || content_type.as_ref().and_then(|v| v.to_str().ok()).map(str::to_string);
    let done = |r| Interpreted::Outcome(Outcome::Done(r));
    match result {
        Ok(mut value) => {
            let status = value.status().as_u16();
            done(unwrap_envelope::<O>(status, observed_type, &mut value, b""))
        }
        Err(E::ErrorResponse(value)) => {
            let status = value.status().as_u16();
            if status == 401 && with_token {
                return Interpreted::Outcome(Outcome::Unauthorized);
            }
            done(Err(value.into_inner().into_error(O::ID, status)))
        }
        Err(E::UnexpectedResponse(response)) => Interpreted::ReadBody(response),
        Err(E::InvalidResponsePayload(bytes, error)) => {
            let status = observed_status.unwrap_or(0);
            if status == 401 && with_token {
                return Interpreted::Outcome(Outcome::Unauthorized);
            }
            done(decode_body::<O>(status, observed_type(), &bytes, &error.to_string()))
        }
        Err(E::CommunicationError(e)) | Err(E::ResponseBodyError(e)) => done(Err(Error::from_transport(O::ID, e))),
        Err(E::InvalidRequest(message)) | Err(E::Custom(message)) => {
            done(Err(Error::InvalidRequest { operation: O::ID, message }))
        }
        Err(_) => done(Err(Error::unexpected(
            O::ID,
            observed_status.unwrap_or(0),
            observed_type(),
            b"",
            "the connection was upgraded, which no Multicard operation does",
        ))),
    }
}

/// The outcome of a response under a status the spec does not document.
pub(crate) async fn read_undocumented<O: Operation>(
    response: reqwest::Response,
    with_token: bool,
) -> Outcome<Box<<O::Success as Envelope>::Data>> {
    let status = response.status().as_u16();
    if status == 401 && with_token {
        return Outcome::Unauthorized;
    }
    let content_type =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    Outcome::Done(match response.bytes().await {
        Ok(bytes) => decode_body::<O>(status, content_type, &bytes, "undocumented status"),
        Err(e) => Err(Error::from_transport(O::ID, e)),
    })
}

/// A body the generated code could not take as it came: the error envelope
/// (under any status), the success envelope under an unusual status, or
/// something else entirely.
pub(crate) fn decode_body<O: Operation>(
    status: u16,
    content_type: Option<String>,
    bytes: &[u8],
    reason: &str,
) -> Result<Box<<O::Success as Envelope>::Data>, Error> {
    if let Ok(envelope) = serde_json::from_slice::<types::ErrorResponse>(bytes)
        && !envelope.success
    {
        return Err(Error::from_envelope(O::ID, status, envelope));
    }
    if let Ok(failure) = serde_json::from_slice::<O::Failure>(bytes)
        && status >= 400
    {
        return Err(failure.into_error(O::ID, status));
    }
    if (200..300).contains(&status) {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        match serde_path_to_error::deserialize::<_, O::Success>(&mut deserializer) {
            Ok(mut body) => return unwrap_envelope::<O>(status, || content_type, &mut body, bytes),
            Err(failed) => {
                // JSON that does not fit the type: name where, keep the data.
                if let Ok(envelope) = serde_json::from_slice::<AnyEnvelope>(bytes) {
                    return Err(Error::Undecodable {
                        operation: O::ID,
                        status,
                        succeeded: envelope.success == Some(true),
                        path: failed.path().to_string(),
                        reason: crate::scrub::clean(&failed.inner().to_string()),
                        data: RawData::new(envelope.data.unwrap_or(serde_json::Value::Null)),
                    });
                }
            }
        }
    }
    Err(Error::unexpected(O::ID, status, content_type, bytes, reason))
}

/// Any JSON object, read for its `success` flag and `data` only.
#[derive(serde::Deserialize)]
struct AnyEnvelope {
    success: Option<bool>,
    data: Option<serde_json::Value>,
}

/// The payload of an envelope, or the error it carries: `success` decides.
fn unwrap_envelope<O: Operation>(
    status: u16,
    content_type: impl FnOnce() -> Option<String>,
    body: &mut O::Success,
    raw: &[u8],
) -> Result<Box<<O::Success as Envelope>::Data>, Error> {
    match body.take_parts() {
        (true, Some(data), _) => Ok(data),
        // Multicard said it succeeded: never an unknown outcome.
        (true, None, _) => Err(Error::Undecodable {
            operation: O::ID,
            status,
            succeeded: true,
            path: "data".into(),
            reason: "`success` is true but there is no `data`".into(),
            data: RawData::new(serde_json::Value::Null),
        }),
        (false, _, Some(error)) => Err(Error::api(O::ID, status, error.code, error.details)),
        (false, _, None) => {
            Err(Error::unexpected(O::ID, status, content_type(), raw, "`success` is false but there is no `error`"))
        }
    }
}
