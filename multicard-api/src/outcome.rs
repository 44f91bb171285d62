//! What an error answer means for the money: every error code of every
//! operation in one of four classes ([`WriteOutcome`]), and the reasons of
//! `ERROR_FIELDS` typed from its `details` ([`FieldsReason`]).
//!
//! Multicard has one generic validation code, `ERROR_FIELDS`, and codes
//! whose meaning depends on the operation: `ERROR_NOT_FOUND` on a read
//! means nothing was found, on a full refund that the payment is already
//! past being refunded. So the class of an error is decided per operation,
//! by a table kept as data in `src/outcome/table.rs`, every row citing the
//! vendor's page or the observation it rests on:
//!
//! | class | means | do |
//! |---|---|---|
//! | [`Rejected`](WriteOutcome::Rejected) | nothing happened | fix the request and send it again |
//! | [`Conflict`](WriteOutcome::Conflict) | the target is already past the state this write needs, perhaps because an earlier attempt applied | do not send it again; read the target |
//! | [`Declined`](WriteOutcome::Declined) | final: the payment was declined | read the status to confirm (`error`) |
//! | [`OutcomeUnknown`](WriteOutcome::OutcomeUnknown) | it may or may not have happened | do not send it again; settle by reading |
//!
//! Every error answer to a read is `Rejected`. On a write, a code the table
//! does not list for it, or `ERROR_FIELDS` whose details are not one of the
//! typed reasons, is `OutcomeUnknown`: where the vendor is silent, the SDK
//! takes the outcome that cannot move money twice. The executor then
//! returns [`Error::OutcomeUnknown`] (naming the read that settles it),
//! never a bare [`Error::Api`] that would invite a resend.
//!
//! ```
//! use multicard_api::outcome::{WriteOutcome, classify};
//! use multicard_api::types::ErrorCode;
//! let on = |operation, code| classify(operation, &code, "").outcome;
//! assert_eq!(on("get_payment", ErrorCode::ErrorNotFound), WriteOutcome::Rejected);
//! assert_eq!(on("refund_payment", ErrorCode::ErrorNotFound), WriteOutcome::Conflict);
//! assert_eq!(on("cancel_hold", ErrorCode::ErrorPaymentApplied), WriteOutcome::Conflict);
//! assert_eq!(on("confirm_payment", ErrorCode::ErrorWrongOtp), WriteOutcome::Rejected);
//! assert_eq!(on("confirm_payment", ErrorCode::from("ERROR_NEW")), WriteOutcome::OutcomeUnknown);
//! ```

mod kinds;
mod reason;
mod table;
mod verdict;

pub use kinds::{FieldsReason, PaymentVerdict, WriteOutcome};

use crate::error::Error;
use crate::operation_table;
use crate::types::ErrorCode;
use table::{Details, Ops, ROWS};

/// The class of one error answer, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Classification {
    /// The class.
    pub outcome: WriteOutcome,
    /// The row's source: the vendor's page (by its id in
    /// `spec/vendor/endpoints/`) or the observation it rests on.
    pub source: &'static str,
}

/// `true` for an operation that changes state, as the executor counts it:
/// anything but a read and `/auth`. An operation the table does not know
/// counts as a write.
fn is_write(operation: &str) -> bool {
    operation_table::find(operation).is_none_or(|info| !info.is_read() && info.requires_token)
}

/// The class of Multicard's error answer `code` (with `details`, for
/// `ERROR_FIELDS`) to `operation` (its `operationId`).
pub fn classify(operation: &str, code: &ErrorCode, details: &str) -> Classification {
    let write = is_write(operation);
    let reason = (*code == ErrorCode::ErrorFields).then(|| reason::parse(details).kind()).flatten();
    ROWS.iter()
        .find(|row| {
            let ops = match row.ops {
                Ops::Reads => !write,
                Ops::Writes => write,
                Ops::Only(ids) => ids.contains(&operation),
            };
            let details = match row.details {
                Details::Any => true,
                Details::Reason(kind) => reason == Some(kind),
            };
            ops && details && row.code.is_none_or(|c| c == code.as_str())
        })
        .map(|row| Classification { outcome: row.class, source: row.source })
        .unwrap_or(Classification {
            outcome: WriteOutcome::OutcomeUnknown,
            source: "no row: the outcome that cannot move money twice",
        })
}

impl Error {
    /// The class of this error for the money ([`WriteOutcome`]):
    /// for [`Error::Api`], from the table by operation, code and details;
    /// [`WriteOutcome::OutcomeUnknown`] for [`Error::OutcomeUnknown`];
    /// `None` for errors that are no answer from Multicard about the
    /// operation (transport, authentication, configuration, an answer that
    /// could not be read: see the variant).
    pub fn outcome(&self) -> Option<WriteOutcome> {
        match self {
            Error::OutcomeUnknown { .. } => Some(WriteOutcome::OutcomeUnknown),
            Error::Api { operation, code, details, .. } => Some(classify(operation, code, details).outcome),
            _ => None,
        }
    }

    /// The typed reason of an `ERROR_FIELDS` answer (also inside
    /// [`Error::OutcomeUnknown`]); `None` for any other error.
    pub fn fields_reason(&self) -> Option<FieldsReason> {
        match self {
            Error::Api { code: ErrorCode::ErrorFields, details, .. } => Some(reason::parse(details)),
            Error::OutcomeUnknown { cause, .. } => cause.fields_reason(),
            _ => None,
        }
    }

    /// The read that settles this error, when it calls for one: the
    /// `settle_with` of [`Error::OutcomeUnknown`], and for an
    /// [`Error::Api`] of class [`Conflict`](WriteOutcome::Conflict) or
    /// [`Declined`](WriteOutcome::Declined) the operation's `settled_by`
    /// read (`get_payment`, `get_hold`, `get_invoice`, ...).
    pub fn settle_with(&self) -> Option<&'static str> {
        match self {
            Error::OutcomeUnknown { settle_with, .. } => *settle_with,
            Error::Api { operation, .. }
                if matches!(self.outcome(), Some(WriteOutcome::Conflict | WriteOutcome::Declined)) =>
            {
                operation_table::find(operation).and_then(|info| info.settled_by)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::kinds::ReasonKind;
    use super::*;

    fn reason_is(details: &str, kind: ReasonKind) -> bool {
        reason::parse(details).kind() == Some(kind)
    }

    #[test]
    fn every_operation_named_by_the_table_exists_and_every_code_is_known() {
        for row in ROWS {
            if let Ops::Only(ids) = row.ops {
                for id in ids {
                    assert!(operation_table::find(id).is_some(), "{id} ({})", row.source);
                }
            }
            if let Some(code) = row.code {
                assert!(!ErrorCode::from(code).is_unknown(), "{code} ({})", row.source);
            }
            assert!(!row.source.is_empty());
        }
    }

    #[test]
    fn no_row_is_shadowed_by_an_earlier_one() {
        // A row whose operations, code and details an earlier row covers
        // would never decide anything: a mistake in the data.
        for (i, row) in ROWS.iter().enumerate() {
            let covered = ROWS[..i].iter().any(|earlier| {
                let ops = match (earlier.ops, row.ops) {
                    (Ops::Reads, Ops::Reads) | (Ops::Writes, Ops::Writes) => true,
                    (Ops::Only(a), Ops::Only(b)) => b.iter().all(|id| a.contains(id)),
                    (Ops::Reads, Ops::Only(b)) => b.iter().all(|id| !is_write(id)),
                    (Ops::Writes, Ops::Only(b)) => b.iter().all(|id| is_write(id)),
                    _ => false,
                };
                let code = earlier.code.is_none() || earlier.code == row.code;
                let details = match (earlier.details, row.details) {
                    (Details::Any, _) => true,
                    (Details::Reason(a), Details::Reason(b)) => a == b,
                    _ => false,
                };
                ops && code && details
            });
            assert!(!covered, "row {i} ({}) is shadowed", row.source);
        }
    }

    #[test]
    fn the_wordings_give_the_reasons_the_rows_ask_for() {
        assert!(reason_is("Платеж подтвержден ранее", ReasonKind::AlreadyConfirmed));
        assert!(reason_is("Транзакция по инвойсу завершена. Запросите детали платежа", ReasonKind::InvoiceAlreadyPaid));
        assert!(!reason_is("Холд не активен", ReasonKind::AlreadyConfirmed));
    }
}
