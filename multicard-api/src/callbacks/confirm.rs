//! Confirmation: a verified callback read back from the API, field by field.

use serde_json::Value;

use super::{CardBindingCallback, PaymentStatusWebhook, PaymentSuccessCallback};
use crate::types::{BoundCard, CardBindingStatus, PaymentModel, PaymentStatus, StoreId};
use crate::{Error, Multicard};

/// Why a callback could not be confirmed against the API.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConfirmError {
    /// The API call failed (unreachable, timed out, refused, or answered
    /// with an error such as `ERROR_NOT_FOUND`).
    #[error("could not confirm the callback: {0}")]
    Api(Error),
    /// The callback and the API disagree on a field: do not grant value.
    #[error("the callback says {field} = {callback}, the API says {api}")]
    Mismatch {
        /// The field.
        field: &'static str,
        /// The callback's value.
        callback: String,
        /// The API's value.
        api: String,
    },
    /// The payment agrees with the callback on every field checked, but its
    /// status is not final yet (`draft`, `progress`, `billing`, `hold`, or
    /// a status this SDK does not know): neither a success to grant nor a
    /// failure to refuse. Ask again later.
    #[error("the payment is not final yet (status {status}); the callback cannot be confirmed now")]
    NotFinal {
        /// The status the API reported.
        status: PaymentStatus,
    },
    /// The API's record lacks a field the callback must be checked
    /// against (a payment with no `store_invoice_id`): nothing contradicts
    /// the callback, but nothing confirms it either. Grant nothing.
    #[error("the API's record has no {field} to check the callback against; it cannot be confirmed")]
    Unverifiable {
        /// The field the API left out.
        field: &'static str,
    },
}

impl ConfirmError {
    /// Whether the API contradicts the callback ([`ConfirmError::Mismatch`]):
    /// the payment its `uuid` names differs on a field, or has ended
    /// (`error`, `revert`) rather than succeeded. Such a callback is forged,
    /// altered, or about a payment that did not succeed: refuse it.
    ///
    /// `false` means the callback could not be confirmed *yet*: the API
    /// could not be asked or did not answer usefully
    /// ([`ConfirmError::Api`]), the payment is not final
    /// ([`ConfirmError::NotFinal`]), or its record lacks a field to check
    /// ([`ConfirmError::Unverifiable`]). It may still be genuine; grant nothing
    /// and let it be sent again ([`CallbackReply::unconfirmed`](super::CallbackReply::unconfirmed)).
    pub fn is_contradiction(&self) -> bool {
        matches!(self, ConfirmError::Mismatch { .. })
    }
}

/// A callback checked against the API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Confirmed<T> {
    /// What the API says now.
    pub current: T,
    /// Fields the signature covers.
    pub signed: &'static [&'static str],
    /// Fields the API confirmed.
    pub confirmed: &'static [&'static str],
    /// Fields neither covers: informative only.
    pub unsigned: Vec<String>,
}

fn unsigned_fields(value: &Value, covered: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = value
        .as_object()
        .map(|o| {
            o.iter().filter(|(k, v)| !v.is_null() && !covered.contains(&k.as_str())).map(|(k, _)| k.clone()).collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn mismatch(field: &'static str, callback: impl ToString, api: impl ToString) -> ConfirmError {
    ConfirmError::Mismatch { field, callback: callback.to_string(), api: api.to_string() }
}

/// Reads payment `uuid` and checks that it is the payment the callback
/// describes: same uuid, amount and invoice id.
async fn read_payment(
    multicard: &Multicard,
    uuid: &str,
    amount: i64,
    invoice_id: &str,
) -> Result<PaymentModel, ConfirmError> {
    let payment = multicard.send(|api| api.get_payment().uuid(uuid)).await.map_err(ConfirmError::Api)?;
    if payment.uuid != uuid {
        return Err(mismatch("uuid", uuid, &payment.uuid));
    }
    if payment.payment_amount != amount {
        return Err(mismatch("amount", amount, payment.payment_amount));
    }
    match payment.store_invoice_id.as_deref() {
        Some(known) if known == invoice_id => {}
        Some(known) => return Err(mismatch("invoice_id", invoice_id, known)),
        // Absent is no contradiction: answering as if it were would make
        // Multicard refund a genuine payment.
        None => return Err(ConfirmError::Unverifiable { field: "invoice_id" }),
    }
    Ok(payment)
}

/// The confirmation of `callback`, with the fields neither the signature
/// nor the API covered.
fn confirmed<T>(
    current: T,
    callback: &impl serde::Serialize,
    signed: &'static [&'static str],
    confirmed: &'static [&'static str],
) -> Confirmed<T> {
    let mut covered: Vec<&str> = signed.iter().chain(confirmed).copied().collect();
    covered.push("sign");
    let unsigned = unsigned_fields(&serde_json::to_value(callback).unwrap_or_default(), &covered);
    Confirmed { current, signed, confirmed, unsigned }
}

/// Whether the payment's store is the callback's: `Ok(true)` when the API
/// says so, `Ok(false)` when the payment carries nothing to compare with,
/// a [`ConfirmError::Mismatch`] when it names another store.
///
/// A numeric store id (`6` or `"6"`) is compared with the payment's
/// `store_id` (or its `store.id`); a store UUID with its `store.uuid`.
fn same_store(callback: &StoreId, payment: &PaymentModel) -> Result<bool, ConfirmError> {
    let store = payment.store.as_ref();
    match callback.as_i64() {
        Some(id) => match payment.store_id.or_else(|| store.and_then(|s| s.id)) {
            Some(api) if api != id => Err(mismatch("store_id", callback, api)),
            api => Ok(api.is_some()),
        },
        None => match store.and_then(|s| s.uuid.as_deref()) {
            Some(api) if !api.trim().eq_ignore_ascii_case(callback.to_string().trim()) => {
                Err(mismatch("store_id", callback, api))
            }
            api => Ok(api.is_some()),
        },
    }
}

/// Confirms a verified success callback: reads the payment by its `uuid`
/// (which the signature does not cover) and checks that amount, invoice id
/// and store agree and that the payment succeeded. Grant value only after
/// this returns `Ok`.
///
/// Checking amount and invoice id against the API is what undoes a forgery
/// that moves digits between them (the signature cannot tell). The store
/// id may come as an integer (what production sends) or a string (a
/// number or a store UUID); it is compared with the payment's store when
/// the payment names one, and listed in [`Confirmed::confirmed`] only
/// then. A payment that ended otherwise (`error`, `revert`) is a
/// [`ConfirmError::Mismatch`] on `status`; one still in progress is
/// [`ConfirmError::NotFinal`].
pub async fn confirm_success(
    multicard: &Multicard,
    callback: &PaymentSuccessCallback,
) -> Result<Confirmed<PaymentModel>, ConfirmError> {
    let payment = read_payment(multicard, &callback.uuid, callback.amount, &callback.invoice_id).await?;
    let store_confirmed = same_store(&callback.store_id, &payment)?;
    match payment.status {
        PaymentStatus::Success => {}
        PaymentStatus::Error | PaymentStatus::Revert => return Err(mismatch("status", "success", &payment.status)),
        _ => return Err(ConfirmError::NotFinal { status: payment.status }),
    }
    const SIGNED: &[&str] = &["store_id", "invoice_id", "amount"];
    const CONFIRMED: &[&str] = &["uuid", "amount", "invoice_id", "store_id", "status"];
    const CONFIRMED_BUT_STORE: &[&str] = &["uuid", "amount", "invoice_id", "status"];
    let confirmed_fields = if store_confirmed { CONFIRMED } else { CONFIRMED_BUT_STORE };
    Ok(confirmed(payment, callback, SIGNED, confirmed_fields))
}

/// Confirms a verified status webhook: reads the payment by its `uuid` and
/// checks amount and invoice id. The status the webhook reports is not
/// signed; `current.status` is the truth (it may have moved on since).
pub async fn confirm_status(
    multicard: &Multicard,
    webhook: &PaymentStatusWebhook,
) -> Result<Confirmed<PaymentModel>, ConfirmError> {
    let payment = read_payment(multicard, &webhook.uuid, webhook.amount, &webhook.invoice_id).await?;
    Ok(confirmed(payment, webhook, &["uuid", "invoice_id", "amount"], &["uuid", "amount", "invoice_id"]))
}

/// Confirms an (unsigned) card-binding callback: reads the binding by its
/// session (`payer_id`) and checks that the card token agrees and the card
/// is active. Store the card only after this returns `Ok`.
pub async fn confirm_card_binding(
    multicard: &Multicard,
    callback: &CardBindingCallback,
) -> Result<Confirmed<BoundCard>, ConfirmError> {
    let card = multicard
        .send(|api| api.get_card_binding().session_id(callback.payer_id.as_str()))
        .await
        .map_err(ConfirmError::Api)?;
    if card.card_token != callback.card_token {
        // A card token is a credential: the mismatch names the field only.
        return Err(mismatch("card_token", crate::redact::REDACTED, crate::redact::REDACTED));
    }
    if card.status != Some(CardBindingStatus::Active) {
        let status = card.status.as_ref().map(|s| s.to_string()).unwrap_or_else(|| "none".into());
        return Err(mismatch("status", "active", status));
    }
    Ok(confirmed(card, callback, &[], &["payer_id", "card_token", "status"]))
}
