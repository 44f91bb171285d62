//! The public vocabulary of error outcomes: what an error answer to a write
//! means for the money ([`WriteOutcome`]), why `ERROR_FIELDS` was answered
//! ([`FieldsReason`]), and what an earlier confirmation came to
//! ([`PaymentVerdict`]). A leaf: it imports nothing of the crate but the
//! generated payment type.

use std::fmt;

use crate::types::PaymentModel;

/// What Multicard's error answer means for the operation it refused: one
/// of four classes, decided per operation from the error code (and, for
/// `ERROR_FIELDS`, its typed [`FieldsReason`]) by the table in
/// `multicard-api/src/outcome/table.rs`, each row citing the vendor's page
/// or the observation it rests on. [`Error::outcome`](crate::Error::outcome)
/// gives it for an error.
///
/// The same code means different things on different operations:
/// `ERROR_NOT_FOUND` is [`Rejected`](Self::Rejected) on a read but
/// [`Conflict`](Self::Conflict) on a full refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteOutcome {
    /// Nothing happened: the request was refused as it was (a wrong OTP, a
    /// missing field, an unknown card). Fix it and send it again. Every
    /// error answer to a read is this class: a read changes nothing.
    Rejected,
    /// The target is already past the state this write needs (a hold no
    /// longer active, a payment confirmed earlier, an invoice already
    /// paid), perhaps because an earlier attempt of this very write was
    /// applied. Do **not** send it again: read the target (the operation's
    /// `settled_by` read, [`Error::settle_with`](crate::Error::settle_with))
    /// and act on what it says.
    Conflict,
    /// Final: the payment was declined (insufficient funds, an expired
    /// card). Read the status to confirm it (`error`); if the read says
    /// anything else, treat the outcome as unknown.
    Declined,
    /// The write may or may not have taken effect: Multicard said so
    /// (`ERROR_DEBIT_UNKNOWN`, `ERROR_CALLBACK_TIMEOUT`, `ERROR_UNKNOWN`),
    /// or answered a code, or `ERROR_FIELDS` details, the table does not
    /// know for this write. The SDK reports it as
    /// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown), naming the
    /// read that settles it; it was not sent again.
    OutcomeUnknown,
}

impl WriteOutcome {
    /// The class in words: `rejected`, `conflict`, `declined`, `outcome unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            WriteOutcome::Rejected => "rejected",
            WriteOutcome::Conflict => "conflict",
            WriteOutcome::Declined => "declined",
            WriteOutcome::OutcomeUnknown => "outcome unknown",
        }
    }
}

impl fmt::Display for WriteOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why Multicard answered `ERROR_FIELDS`, read from its `details` (the
/// vendor's Russian or English message). `ERROR_FIELDS` is generic: it
/// covers validation and state alike, so only these wordings are told
/// apart, each from the vendor's page it appears on; anything else is
/// [`Other`](Self::Other), and on a write an `Other` is
/// [`WriteOutcome::OutcomeUnknown`].
///
/// Matching is tolerant of case, `ё`/`е`, runs of whitespace and text
/// around the wording. Field names are kept as the vendor writes them
/// (`Invoice Id`, `Amount`, `store_id`, `SMS-код`), without quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldsReason {
    /// "Платеж подтвержден ранее": an earlier confirm of this payment was
    /// accepted. **That does not mean paid**: the debit may still be in
    /// progress or may have failed. Read the payment
    /// ([`Multicard::after_already_confirmed`](crate::Multicard::after_already_confirmed)).
    AlreadyConfirmed,
    /// "Транзакция по инвойсу завершена. Запросите детали платежа" (on
    /// deleting an invoice): the invoice's transaction is complete, i.e. the
    /// invoice was **paid**, not cancelled. Check its payment.
    InvoiceAlreadyPaid,
    /// "Для пополнения на эту сумму необходимо пройти идентификацию": a
    /// payout of this amount needs the receiver's identification
    /// (`kyc_data`).
    IdentificationRequired,
    /// A required field was not sent: "Необходимо заполнить «Amount».",
    /// "Не переданы обязательные поля: store_id", "Поле store_id является
    /// обязательным", "Не передан SMS-код".
    FieldMissing {
        /// The field as the vendor names it (a list, comma-separated, when
        /// it names several).
        field: String,
    },
    /// A field has a value Multicard does not accept: "Значение «Payment
    /// System» неверно.", "Card should be array with (`pan` and `expiry`)
    /// or `token` field" (`card`).
    FieldInvalid {
        /// The field as the vendor names it.
        field: String,
    },
    /// "Неверный store_id": the store is not this application's, or does
    /// not exist.
    BadStore,
    /// "pinfl должен состоять из 14 цифр.": a PINFL is 14 digits.
    PinflFormat,
    /// "Неверный код, либо приложение не поддерживается" (scanpay): the
    /// scanned code is wrong or its app is not supported.
    ScanCodeRejected,
    /// Details this version of the SDK does not tell apart (they stay in
    /// the error's `details`).
    Other,
}

/// What an earlier, accepted confirmation of a payment came to, from one
/// read of the payment: see
/// [`Multicard::after_already_confirmed`](crate::Multicard::after_already_confirmed).
/// Each case carries the payment as read.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PaymentVerdict {
    /// `success`: the payer was debited. (A partly refunded payment reads
    /// `success` too.)
    Paid(Box<PaymentModel>),
    /// `error`: the debit failed; nothing was taken.
    Declined(Box<PaymentModel>),
    /// `revert`: the payment was debited and then refunded. Final; do not
    /// confirm it again.
    Reverted(Box<PaymentModel>),
    /// Anything else (`draft`, `progress`, `billing`, `hold`, or a status
    /// this SDK does not know): still moving. Do not confirm it again; read
    /// it later (`Multicard::settle_payment`) or wait for the callback.
    Moving(Box<PaymentModel>),
}

impl PaymentVerdict {
    /// The verdict a payment's status gives.
    pub fn of(payment: PaymentModel) -> Self {
        use crate::types::PaymentStatus as S;
        match payment.status {
            S::Success => PaymentVerdict::Paid(Box::new(payment)),
            S::Error => PaymentVerdict::Declined(Box::new(payment)),
            S::Revert => PaymentVerdict::Reverted(Box::new(payment)),
            _ => PaymentVerdict::Moving(Box::new(payment)),
        }
    }

    /// The payment as read.
    pub fn payment(&self) -> &PaymentModel {
        match self {
            PaymentVerdict::Paid(p)
            | PaymentVerdict::Declined(p)
            | PaymentVerdict::Reverted(p)
            | PaymentVerdict::Moving(p) => p,
        }
    }

    /// `true` only for [`Paid`](Self::Paid).
    pub fn is_paid(&self) -> bool {
        matches!(self, PaymentVerdict::Paid(_))
    }
}

/// The kind of a [`FieldsReason`], without its data: what the table's rows
/// match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReasonKind {
    AlreadyConfirmed,
    InvoiceAlreadyPaid,
    IdentificationRequired,
    FieldMissing,
    FieldInvalid,
    BadStore,
    PinflFormat,
    ScanCodeRejected,
}

impl FieldsReason {
    /// The kind, or `None` for [`FieldsReason::Other`].
    pub(crate) fn kind(&self) -> Option<ReasonKind> {
        Some(match self {
            FieldsReason::AlreadyConfirmed => ReasonKind::AlreadyConfirmed,
            FieldsReason::InvoiceAlreadyPaid => ReasonKind::InvoiceAlreadyPaid,
            FieldsReason::IdentificationRequired => ReasonKind::IdentificationRequired,
            FieldsReason::FieldMissing { .. } => ReasonKind::FieldMissing,
            FieldsReason::FieldInvalid { .. } => ReasonKind::FieldInvalid,
            FieldsReason::BadStore => ReasonKind::BadStore,
            FieldsReason::PinflFormat => ReasonKind::PinflFormat,
            FieldsReason::ScanCodeRejected => ReasonKind::ScanCodeRejected,
            FieldsReason::Other => return None,
        })
    }

    /// The reason of `kind`, naming `field` where it has one.
    pub(crate) fn from_kind(kind: ReasonKind, field: String) -> Self {
        match kind {
            ReasonKind::AlreadyConfirmed => FieldsReason::AlreadyConfirmed,
            ReasonKind::InvoiceAlreadyPaid => FieldsReason::InvoiceAlreadyPaid,
            ReasonKind::IdentificationRequired => FieldsReason::IdentificationRequired,
            ReasonKind::FieldMissing => FieldsReason::FieldMissing { field },
            ReasonKind::FieldInvalid => FieldsReason::FieldInvalid { field },
            ReasonKind::BadStore => FieldsReason::BadStore,
            ReasonKind::PinflFormat => FieldsReason::PinflFormat,
            ReasonKind::ScanCodeRejected => FieldsReason::ScanCodeRejected,
        }
    }
}
