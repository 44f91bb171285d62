//! What the sandbox answers: Multicard's envelope ([`Answer`]), and every
//! error it gives in one table ([`Refusal`]): each error with its HTTP
//! status, code and message, as Multicard answers them.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use multicard_api::checks::Rule;
use serde_json::{Value, json};

/// An answer: HTTP status and JSON body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl Answer {
    /// `{"success": true, "data": data}` under HTTP 200.
    pub(crate) fn ok(data: Value) -> Self {
        Self { status: StatusCode::OK, body: json!({"success": true, "data": data}) }
    }

    /// A body of another shape (`/auth` answers without the envelope).
    pub(crate) fn raw(status: StatusCode, body: Value) -> Self {
        Self { status, body }
    }

    fn error(status: StatusCode, code: &str, details: &str) -> Self {
        Self { status, body: json!({"success": false, "error": {"code": code, "details": details}}) }
    }
}

/// Marks a response whose body said `success: true`: the gate counts what
/// such a write stored, and knows it went through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Succeeded;

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let succeeded = self.body["success"] == Value::Bool(true);
        let mut response =
            (self.status, [(header::CONTENT_TYPE, "application/json")], self.body.to_string()).into_response();
        if succeeded {
            response.extensions_mut().insert(Succeeded);
        }
        response
    }
}

/// Every error the sandbox answers. [`Refusal::answer`] is the table: the
/// HTTP status, Multicard's error code and its message, for each.
///
/// Multicard answers some errors under a different HTTP status depending on
/// the operation (observed: `ERROR_NOT_FOUND` under 200 from `get_invoice`,
/// 400 from `cancel_invoice`, 404 from `get_payment`); those take the status
/// the operation uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    // Any operation.
    /// No token, or one the sandbox did not issue or that expired.
    Unauthorized,
    /// No operation at this method and path.
    NoRoute,
    /// A body that is not JSON.
    NotJson,
    /// A body the operation's request type refuses (the reason).
    Malformed(String),
    /// A required field left out (its name as Multicard spells it).
    Missing(&'static str),
    /// A write that breaks a rule of the SDK's request checks
    /// (`multicard_api::checks`) the default policy refuses (`rules.rs`):
    /// the rule's `vendor_details`, naming `field` as Multicard writes it.
    BrokenRule { rule: &'static Rule, field: String, missing: bool },
    /// The object addressed does not exist.
    NotFound(StatusCode),
    /// A card that does not exist, or a wrong expiry.
    CardNotFound(StatusCode),
    /// A wrong one-time code.
    WrongOtp(StatusCode),
    /// The card was sent its share of one-time codes (Multicard's spelling).
    SmsLimit,
    /// A `store_id` that is not the sandbox's store.
    WrongStore(StatusCode),
    /// Too many requests (a fault the sandbox injects on request).
    TooManyRequests,
    /// A write whose outcome is not known yet (a fault the sandbox injects
    /// on request).
    DebitUnknown,
    /// A write whose body is larger than the sandbox keeps (the limit).
    ObjectTooLarge(usize),
    /// A write past the request data the sandbox keeps (the limit).
    StoreFull(usize),
    // auth: `/auth` answers without the envelope.
    /// `application_id` or `secret` left out (which ones).
    CredentialsMissing { application_id: bool, secret: bool },
    /// Credentials the sandbox does not know.
    InvalidCredentials,
    // invoices
    /// The invoice was paid, cancelled or ran out.
    TransactionNotReady,
    /// Deleting an invoice that was paid.
    InvoicePaid,
    /// A scanpay code that is too short.
    WrongScanpayCode,
    // cards
    /// A PINFL that is not 14 digits.
    WrongPinfl,
    /// `confirm_card` without a code.
    OtpNotSent,
    // payments
    /// A `card` that is neither card data nor a token.
    WrongCard,
    /// A `payment_system` the sandbox does not know.
    WrongPaymentSystem,
    /// Confirming a payment that is not a draft (or a hold's payment).
    PaymentConfirmed,
    /// Confirming an app payment (the payer's app confirms it).
    ConfirmedInApp,
    /// A fiscal link for a payment that did not go through.
    PaymentNotMade,
    // refunds
    /// Refunding a payment that did not go through or was refunded.
    NotRefundable,
    /// Refunds that add up to more than the payment.
    RefundExceedsPayment,
    // holds
    /// An expiry outside 1..=43200 minutes.
    HoldExpiryOutOfRange,
    /// Confirming a hold twice.
    HoldConfirmed,
    /// Charging or releasing a hold that is not active.
    HoldNotActive,
    /// Charging more than the hold blocked.
    ChargeExceedsHold,
    // payouts
    /// Confirming a payout twice.
    PayoutConfirmed,
    // reports
    /// A registry of a store that is not the sandbox's.
    AccessDenied,
    // the payer's pages (`/sandbox/...`)
    /// A page asked for with another method than GET or POST.
    PageMethod,
    /// A receipt page asked for with another method than GET.
    ReceiptMethod,
    /// What the payer tried cannot be done (why).
    PageRefused(String),
    // the sandbox's own controls (`/sandbox/admin/...`)
    /// A control asked for from another host than this one.
    AdminElsewhere,
    /// A control's request that cannot be read (what is wrong, naming the
    /// field, never echoing its value).
    AdminRequest(String),
}

impl Refusal {
    /// The table: what the sandbox answers for each refusal.
    pub(crate) fn answer(&self) -> Answer {
        const BAD_REQUEST: StatusCode = StatusCode::BAD_REQUEST;
        const OK: StatusCode = StatusCode::OK;
        let (status, code, details): (StatusCode, &str, &str) = match self {
            Refusal::Unauthorized => (StatusCode::UNAUTHORIZED, "ERROR_UNAUTHORIZED", "Unauthorized"),
            Refusal::NoRoute => (StatusCode::NOT_FOUND, "ERROR_NOT_FOUND", "Маршрут не найден"),
            Refusal::NotJson => (BAD_REQUEST, "ERROR_FIELDS", "Тело запроса не является JSON"),
            Refusal::Malformed(reason) => {
                return Answer::error(BAD_REQUEST, "ERROR_FIELDS", &format!("Неверный формат запроса: {reason}"));
            }
            Refusal::Missing(field) => {
                return Answer::error(BAD_REQUEST, "ERROR_FIELDS", &format!("Необходимо заполнить «{field}»."));
            }
            Refusal::BrokenRule { missing: true, field, .. } => {
                // A field left out, whatever the rule: «Необходимо заполнить
                // «Amount».», as the vendor's pages answer it.
                return Answer::error(BAD_REQUEST, "ERROR_FIELDS", &format!("Необходимо заполнить «{field}»."));
            }
            Refusal::BrokenRule { rule, field, .. } => {
                // Under 200 where the vendor's page (payouts) or production
                // (splits: see `groups/payments.rs`) answers so; under 400
                // otherwise, as the invoice page's «Необходимо заполнить».
                let status = if rule.id.starts_with("split.") || rule.id == "payout.kyc_above_10m_sum" {
                    OK
                } else {
                    BAD_REQUEST
                };
                return Answer::error(status, "ERROR_FIELDS", &rule.vendor_details.replace("{field}", field));
            }
            Refusal::NotFound(status) => (*status, "ERROR_NOT_FOUND", "Объект не найден"),
            Refusal::CardNotFound(status) => {
                (*status, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия")
            }
            Refusal::WrongOtp(status) => (*status, "ERROR_WRONG_OTP", "Неверный код подтверждения"),
            Refusal::SmsLimit => {
                (BAD_REQUEST, "ERROR_SMS_TO_MANY", "Превышен лимит отправки SMS. Повторите попытку позже")
            }
            Refusal::WrongStore(status) => (*status, "ERROR_FIELDS", "Неверный store_id"),
            Refusal::TooManyRequests => {
                (StatusCode::TOO_MANY_REQUESTS, "ERROR_TOO_MANY_REQUESTS", "Слишком много запросов")
            }
            Refusal::DebitUnknown => {
                (OK, "ERROR_DEBIT_UNKNOWN", "Статус списания неизвестен, проверьте статус платежа")
            }
            Refusal::ObjectTooLarge(limit) => {
                let details = format!(
                    "the sandbox keeps request bodies of up to {limit} bytes (SandboxConfig::max_object_bytes); \
                     nothing was changed"
                );
                return Answer::error(BAD_REQUEST, "ERROR_FIELDS", &details);
            }
            Refusal::StoreFull(limit) => {
                let details = format!(
                    "the sandbox has kept {limit} bytes of request data (SandboxConfig::max_stored_bytes): \
                     nothing was changed; start a new sandbox or raise the limit"
                );
                return Answer::error(BAD_REQUEST, "ERROR_FIELDS", &details);
            }
            Refusal::CredentialsMissing { application_id, secret } => {
                let mut messages = Vec::new();
                if *application_id {
                    messages.push(json!({"message": "application_id required", "field": "application_id"}));
                }
                if *secret {
                    messages.push(json!({"message": "You must supply a secret", "field": "secret"}));
                }
                return Answer::raw(BAD_REQUEST, json!({"errors": [{"message": messages}]}));
            }
            Refusal::InvalidCredentials => {
                return Answer::raw(
                    BAD_REQUEST,
                    json!({"errors": [{"message": [{"message": "Invalid Credentials"}]}]}),
                );
            }
            Refusal::TransactionNotReady => {
                (BAD_REQUEST, "ERROR_TRANS_NOT_READY", "Транзакция завершена или не готова")
            }
            Refusal::InvoicePaid => {
                (BAD_REQUEST, "ERROR_FIELDS", "Транзакция по инвойсу завершена. Запросите детали платежа")
            }
            Refusal::WrongScanpayCode => {
                (BAD_REQUEST, "ERROR_FIELDS", "Неверный код, либо приложение не поддерживается")
            }
            Refusal::WrongPinfl => (BAD_REQUEST, "ERROR_FIELDS", "pinfl должен состоять из 14 цифр."),
            Refusal::OtpNotSent => (OK, "ERROR_FIELDS", "Не передан SMS-код"),
            Refusal::WrongCard => {
                (BAD_REQUEST, "ERROR_FIELDS", "Card should be array with (`pan` and `expiry`) or `token` field")
            }
            Refusal::WrongPaymentSystem => (BAD_REQUEST, "ERROR_FIELDS", "Значение «Payment System» неверно."),
            Refusal::PaymentConfirmed => (BAD_REQUEST, "ERROR_FIELDS", "Платеж подтвержден ранее"),
            Refusal::ConfirmedInApp => (BAD_REQUEST, "ERROR_FIELDS", "Платёж подтверждается в приложении"),
            Refusal::PaymentNotMade => (BAD_REQUEST, "ERROR_FIELDS", "Платёж не проведён"),
            Refusal::NotRefundable => {
                (StatusCode::NOT_FOUND, "ERROR_NOT_FOUND", "Платёж не проведён или уже возвращён")
            }
            Refusal::RefundExceedsPayment => (BAD_REQUEST, "ERROR_FIELDS", "Сумма возврата превышает сумму платежа"),
            Refusal::HoldExpiryOutOfRange => {
                (BAD_REQUEST, "ERROR_FIELDS", "Значение «Expiry» должно быть от 1 до 43200.")
            }
            Refusal::HoldConfirmed => (BAD_REQUEST, "ERROR_FIELDS", "Холд подтверждён ранее"),
            Refusal::HoldNotActive => (StatusCode::FORBIDDEN, "ERROR_PAYMENT_APPLIED", "Холд не активен"),
            Refusal::ChargeExceedsHold => (BAD_REQUEST, "ERROR_FIELDS", "Сумма списания превышает сумму холдирования"),
            Refusal::PayoutConfirmed => (BAD_REQUEST, "ERROR_FIELDS", "Выплата подтверждена ранее"),
            Refusal::AccessDenied => (StatusCode::FORBIDDEN, "ERROR_ACCESS_DENIED", "Доступ запрещен"),
            Refusal::PageMethod => (StatusCode::METHOD_NOT_ALLOWED, "ERROR_FIELDS", "GET or POST"),
            Refusal::ReceiptMethod => (StatusCode::METHOD_NOT_ALLOWED, "ERROR_FIELDS", "GET only"),
            Refusal::PageRefused(reason) => (StatusCode::NOT_FOUND, "ERROR_NOT_FOUND", reason.as_str()),
            Refusal::AdminElsewhere => {
                (StatusCode::FORBIDDEN, "ERROR_ACCESS_DENIED", "the sandbox's controls answer only its own host")
            }
            Refusal::AdminRequest(reason) => (BAD_REQUEST, "ERROR_FIELDS", reason.as_str()),
        };
        Answer::error(status, code, details)
    }
}

impl From<Refusal> for Answer {
    fn from(refusal: Refusal) -> Self {
        refusal.answer()
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        self.answer().into_response()
    }
}
