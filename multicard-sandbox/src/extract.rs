//! What handlers take from a request, through axum's extractors: path
//! parameters ([`Param`]), queries ([`Filters`]), the body the gate
//! checked ([`Body`]) and how a debit it starts goes ([`Plan`]). What does
//! not extract answers Multicard's error rather than axum's plain-text one.

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::answer::Refusal;
use crate::state::App;
use crate::world::money::DebitPlan;

/// A path parameter (or a tuple of them), as axum's `Path` extracts it.
/// One that does not (a hold's id that is not an integer, a segment that is
/// not UTF-8) answers `ERROR_NOT_FOUND` under 404: no object has that name.
pub(crate) struct Param<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Param<T> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Param(value)),
            Err(_) => Err(Refusal::NotFound(StatusCode::NOT_FOUND)),
        }
    }
}

/// A query, as axum's `Query` extracts it. One that does not answers
/// `ERROR_FIELDS`.
pub(crate) struct Filters<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Filters<T> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Filters(value)),
            Err(rejection) => Err(Refusal::Malformed(rejection.body_text())),
        }
    }
}

/// The request's JSON body, as the gate let it through: checked against
/// the operation's request type and written back as that type writes it
/// (`{}` when there was none). `/auth`'s body is as sent (`null` when it
/// was none or not JSON).
#[derive(Debug, Clone)]
pub(crate) struct Body(pub(crate) Value);

impl<S: Send + Sync> FromRequestParts<S> for Body {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Body>().cloned().unwrap_or(Body(Value::Null)))
    }
}

/// How a debit this request starts goes: as the configuration says, or as
/// a fault the gate found for it says (`Fault::DebitUnknown`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan(pub(crate) DebitPlan);

impl FromRequestParts<App> for Plan {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Plan>().copied().unwrap_or(Plan(DebitPlan::configured(&app.config))))
    }
}
