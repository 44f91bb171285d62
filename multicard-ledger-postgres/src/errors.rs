//! Why an attempt failed: the SQLSTATE codes the ledger reads, [`Failure`],
//! and database and handler errors as text (never the values bound to a
//! statement).

use std::error::Error as StdError;

use multicard_api::fulfilment::{HandlerError, HeldReason, LedgerError};

/// Why one attempt did not decide.
#[derive(Debug)]
pub(crate) enum Failure {
    Busy,
    Handler { text: String, retry: bool },
    Storage { text: String, retry: bool },
    DuplicateHeld { credited: String },
}

impl Failure {
    pub(crate) fn retryable(&self) -> bool {
        matches!(self, Failure::Handler { retry: true, .. } | Failure::Storage { retry: true, .. })
    }

    pub(crate) fn into_reason(self) -> HeldReason {
        match self {
            Failure::Busy => HeldReason::Busy,
            Failure::Handler { text, .. } => HeldReason::Handler(text),
            Failure::Storage { text, .. } => HeldReason::Storage(text),
            Failure::DuplicateHeld { credited } => HeldReason::DuplicateHeld { credited },
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        match sqlstate(&error).as_deref() {
            Some(LOCK_NOT_AVAILABLE) => Failure::Busy,
            code => Failure::Storage { text: storage_text(&error), retry: code.is_some_and(is_retry_code) },
        }
    }
}

const LOCK_NOT_AVAILABLE: &str = "55P03";
const SERIALIZATION_FAILURE: &str = "40001";
const DEADLOCK_DETECTED: &str = "40P01";

fn is_retry_code(code: &str) -> bool {
    code == SERIALIZATION_FAILURE || code == DEADLOCK_DETECTED
}

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// A database error as text: the driver's message and the SQLSTATE, never
/// the values bound to the statement (Postgres' `DETAIL`, which may show a
/// key, is left out).
pub(crate) fn storage_text(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!("{} (SQLSTATE {code})", db.message()),
            None => db.message().to_string(),
        },
        other => other.to_string(),
    }
}

pub(crate) fn ledger_error(error: sqlx::Error) -> LedgerError {
    match sqlstate(&error).as_deref() {
        Some(LOCK_NOT_AVAILABLE) => LedgerError::Busy,
        _ => LedgerError::Storage(storage_text(&error)),
    }
}

/// A handler's error; retried when a `sqlx::Error` in its source chain is a
/// serialization failure or a deadlock.
pub(crate) fn handler_failure(error: HandlerError) -> Failure {
    let mut retry = false;
    let mut cause: Option<&(dyn StdError + 'static)> = Some(&*error);
    while let Some(current) = cause {
        if let Some(sqlx_error) = current.downcast_ref::<sqlx::Error>() {
            retry = sqlstate(sqlx_error).as_deref().is_some_and(is_retry_code);
            break;
        }
        cause = current.source();
    }
    Failure::Handler { text: error.to_string(), retry }
}
