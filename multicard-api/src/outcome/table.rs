//! The data: which error answer means what, per operation, each row with
//! its source. Review it here; the code that reads it is in `outcome.rs`
//! (classes) and `outcome/reason.rs` (wordings).
//!
//! Sources: `spec/vendor/endpoints/*-<page id>e0.md` are the vendor's pages
//! (cited by page id); "survey" is `multicard-api-survey.md` (the vendor's
//! docs read in full, and what other clients of the API observed), and
//! "engineering" is `engineering.md`, both in the project's shared notes.
//!
//! Rows are tried in order and the first that fits decides; an
//! operation's own rows come before the rows of its group. A write that no
//! row fits is [`WriteOutcome::OutcomeUnknown`] (the last row says so too):
//! where the vendor is silent, the outcome that cannot move money twice.

use super::kinds::{ReasonKind, WriteOutcome};

/// Which operations a row is about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ops {
    /// Every read (`GET`, and `/auth`, which issues the token).
    Reads,
    /// Every operation that changes state.
    Writes,
    /// These operations (their `operationId`s).
    Only(&'static [&'static str]),
}

/// What a row asks of `ERROR_FIELDS`'s `details`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Details {
    /// Anything.
    Any,
    /// This typed reason (see [`WORDINGS`]).
    Reason(ReasonKind),
}

/// One row: on `ops`, the error `code` (any code when `None`) with
/// `details` is `class`, because of `source`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub ops: Ops,
    pub code: Option<&'static str>,
    pub details: Details,
    pub class: WriteOutcome,
    pub source: &'static str,
}

const fn row(ops: Ops, code: &'static str, class: WriteOutcome, source: &'static str) -> Row {
    Row { ops, code: Some(code), details: Details::Any, class, source }
}

const fn fields(ops: Ops, reason: ReasonKind, class: WriteOutcome, source: &'static str) -> Row {
    Row { ops, code: Some("ERROR_FIELDS"), details: Details::Reason(reason), class, source }
}

use Ops::{Only, Reads, Writes};
use ReasonKind as R;
use WriteOutcome::{Conflict, Declined, OutcomeUnknown, Rejected};

/// The operations that debit a payer's card.
const DEBITS: &[&str] = &["confirm_payment", "scanpay_invoice", "confirm_hold", "charge_hold"];

/// The classification, first fitting row wins.
pub(crate) const ROWS: &[Row] = &[
    // ---- Reads: nothing happened, whatever the code.
    row(Only(&["get_invoice"]), "ERROR_NOT_FOUND", Rejected, "19729297: 200 example, \"Объект не найден\""),
    row(Only(&["get_invoice"]), "ERROR_TRANS_NOT_READY", Rejected, "19729297: 400 \"Инвойс отменен (истек)\""),
    row(Only(&["get_card"]), "ERROR_CARD_NOT_FOUND", Rejected, "19729305: 400"),
    row(Only(&["check_card_pan"]), "ERROR_CARD_NOT_FOUND", Rejected, "22557089: 400"),
    row(Only(&["list_payments"]), "ERROR_FIELDS", Rejected, "19729328: 400 \"Поле store_id является обязательным\""),
    row(Only(&["list_payments"]), "ERROR_ACCESS_DENIED", Rejected, "19729328: 403 \"Доступ запрещен\""),
    Row {
        ops: Reads,
        code: None,
        details: Details::Any,
        class: Rejected,
        source: "engineering §4: a read changes nothing; sending it again is safe",
    },
    // ---- Writes: Multicard says the outcome is unknown.
    row(
        Writes,
        "ERROR_DEBIT_UNKNOWN",
        OutcomeUnknown,
        "19729314, 19729320, 19729299 descriptions: poll the status until final; survey §0",
    ),
    row(Writes, "ERROR_CALLBACK_TIMEOUT", OutcomeUnknown, "19729314, 19729320 descriptions: poll the status"),
    row(Writes, "ERROR_UNKNOWN", OutcomeUnknown, "19729323, 19729324 descriptions: poll until error or success"),
    // ---- Invoices.
    fields(Only(&["create_invoice"]), R::FieldMissing, Rejected, "19729296: \"Необходимо заполнить «Invoice Id».\""),
    row(
        Only(&["create_invoice"]),
        "ERROR_TRANS_NOT_READY",
        Conflict,
        "19729296: x-400 \"Инвойс просрочен\", \"Транзакция завершена или не готова\"",
    ),
    fields(
        Only(&["cancel_invoice"]),
        R::InvoiceAlreadyPaid,
        Conflict,
        "19729298: 400 on cancelling a completed payment, \"Транзакция по инвойсу завершена\"",
    ),
    row(
        Only(&["cancel_invoice", "scanpay_invoice"]),
        "ERROR_TRANS_NOT_READY",
        Conflict,
        "19729297: the invoice is cancelled or expired; survey §3.2 \"Транзакция завершена или не готова\"",
    ),
    fields(
        Only(&["scanpay_invoice"]),
        R::ScanCodeRejected,
        Rejected,
        "19729299: 400 \"Неверный код, либо приложение не поддерживается\"",
    ),
    // ---- Cards.
    fields(
        Only(&["create_card_binding"]),
        R::FieldMissing,
        Rejected,
        "19729302: 400 \"Не переданы обязательные поля: store_id\"",
    ),
    row(Only(&["confirm_card"]), "ERROR_WRONG_OTP", Rejected, "19729309: wrong or expired code (400, 423)"),
    fields(Only(&["confirm_card"]), R::FieldMissing, Rejected, "19729309: \"Не передан SMS-код\""),
    row(
        Only(&["revoke_card"]),
        "ERROR_CARD_NOT_FOUND",
        Conflict,
        "19729307: 400; the token is unknown, perhaps revoked by an earlier attempt",
    ),
    fields(Only(&["check_card_pinfl"]), R::FieldMissing, Rejected, "19729306: 400 \"Необходимо заполнить «Pinfl».\""),
    fields(
        Only(&["check_card_pinfl"]),
        R::PinflFormat,
        Rejected,
        "19729306: x-400 \"pinfl должен состоять из 14 цифр.\"",
    ),
    row(
        Only(&["add_card"]),
        "ERROR_CARD_NOT_FOUND",
        Rejected,
        "19729308: x-400 wrong card number or expiry (no body; the code as 19729311 gives it)",
    ),
    row(
        Only(&["add_card"]),
        "ERROR_SMS_TO_MANY",
        Conflict,
        "19729308: 429 \"SMS уже отправлено\" on asking again; survey §3.2 (seen live by Tolov)",
    ),
    // ---- Payments and refunds.
    fields(
        Only(&["create_payment"]),
        R::FieldMissing,
        Rejected,
        "19729310, 19729313: 400 \"Необходимо заполнить «Amount».\"",
    ),
    fields(
        Only(&["create_payment"]),
        R::FieldInvalid,
        Rejected,
        "19729313: \"Значение «Payment System» неверно.\"; 19729311: \"Card should be array with ...\"",
    ),
    fields(Only(&["create_payment"]), R::BadStore, Rejected, "19729312: \"Неверный store_id\""),
    row(Only(&["create_payment"]), "ERROR_CARD_NOT_FOUND", Rejected, "19729310, 19729311, 19729312: x-400"),
    row(Only(&["confirm_payment"]), "ERROR_WRONG_OTP", Rejected, "19729314: 400 \"Неверный код подтверждения\""),
    fields(
        Only(&["confirm_payment"]),
        R::AlreadyConfirmed,
        Conflict,
        "19729314: x-400 \"Платеж подтвержден ранее\" (accepted earlier, not necessarily paid: engineering §9)",
    ),
    row(
        Only(DEBITS),
        "ERROR_INSUFFICIENT_FUNDS",
        Declined,
        "survey §3.2: mapped by multicard-ruby, not in the vendor's pages (unverified); read to confirm",
    ),
    row(
        Only(DEBITS),
        "ERROR_CARD_EXPIRED",
        Declined,
        "survey §3.2: mapped by multicard-ruby, not in the vendor's pages (unverified); read to confirm",
    ),
    row(
        Only(&["refund_payment"]),
        "ERROR_NOT_FOUND",
        Conflict,
        "19729316: 404 \"Объект не найден\" on cancelling a payment already completed",
    ),
    row(
        Only(&["partial_refund_payment"]),
        "ERROR_NOT_FOUND",
        Conflict,
        "24802978: 404 (no body; the code as 19729316 gives it)",
    ),
    row(
        Only(&["refund_payment", "partial_refund_payment"]),
        "ERROR_TRANS_NOT_READY",
        OutcomeUnknown,
        "engineering §9: integrators treat it on a refund as \"may have happened\"",
    ),
    // ---- Holds.
    fields(Only(&["create_hold"]), R::FieldMissing, Rejected, "19729318: 400 \"Необходимо заполнить «Amount».\""),
    row(Only(&["create_hold"]), "ERROR_CARD_NOT_FOUND", Rejected, "19729318: x-400 wrong card"),
    row(
        Only(&["cancel_hold"]),
        "ERROR_PAYMENT_APPLIED",
        Conflict,
        "19729322: 403 \"Холд не активен\" on cancelling a hold charged or inactive",
    ),
    // ---- Payouts.
    row(Only(&["create_payout"]), "ERROR_CARD_NOT_FOUND", Rejected, "19729323: 200 example, wrong card number"),
    fields(
        Only(&["create_payout"]),
        R::IdentificationRequired,
        Rejected,
        "19729323: x-400 over 10 million UZS without kyc_data",
    ),
    // ---- Anything else on a write.
    Row {
        ops: Writes,
        code: None,
        details: Details::Any,
        class: OutcomeUnknown,
        source: "the vendor is silent: the outcome that cannot move money twice (engineering §4)",
    },
];

/// How a wording names its field.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    /// It names none.
    None,
    /// Where `{field}` stands in the pattern (quoted or not).
    Placeholder,
    /// Always this one.
    Fixed(&'static str),
}

/// One wording of `ERROR_FIELDS`'s `details`: `pattern`, lower case, with
/// `ё` written `е` and `{field}` where a field name stands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wording {
    pub pattern: &'static str,
    pub reason: ReasonKind,
    pub field: Field,
    /// The vendor's page it is quoted from (documentation: read by no code).
    #[allow(dead_code)]
    pub source: &'static str,
}

const fn wording(pattern: &'static str, reason: ReasonKind, field: Field, source: &'static str) -> Wording {
    Wording { pattern, reason, field, source }
}

/// The wordings of `ERROR_FIELDS` told apart, first match wins.
pub(crate) const WORDINGS: &[Wording] = &[
    wording("платеж подтвержден ранее", R::AlreadyConfirmed, Field::None, "19729314"),
    wording("транзакция по инвойсу завершена", R::InvoiceAlreadyPaid, Field::None, "19729298"),
    wording("необходимо пройти идентификацию", R::IdentificationRequired, Field::None, "19729323"),
    wording("неверный store_id", R::BadStore, Field::None, "19729312"),
    wording("pinfl должен состоять из 14 цифр", R::PinflFormat, Field::None, "19729306"),
    wording("либо приложение не поддерживается", R::ScanCodeRejected, Field::None, "19729299"),
    wording("необходимо заполнить {field}", R::FieldMissing, Field::Placeholder, "19729296, 19729306, 19729310"),
    wording("не переданы обязательные поля: {field}", R::FieldMissing, Field::Placeholder, "19729302"),
    wording("поле {field} является обязательным", R::FieldMissing, Field::Placeholder, "19729328, introduction"),
    wording("не передан sms-код", R::FieldMissing, Field::Fixed("SMS-код"), "19729309"),
    wording("значение {field} неверно", R::FieldInvalid, Field::Placeholder, "19729313"),
    wording("card should be array with", R::FieldInvalid, Field::Fixed("card"), "19729311"),
];
