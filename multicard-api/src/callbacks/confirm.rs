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
    /// The callback and the API disagree on a field that names the payment
    /// (`uuid`, `invoice_id`, `store_id`), or the payment ended otherwise
    /// (`status`): do not grant value. The values are shown with control
    /// characters escaped and cut to 64 characters.
    #[error("the callback says {field} = {callback}, the API says {api}")]
    Mismatch {
        /// The field.
        field: &'static str,
        /// The callback's value.
        callback: String,
        /// The API's value.
        api: String,
    },
    /// The payment is the callback's (same uuid, invoice and store) but the
    /// callback's `amount` is neither its `payment_amount` nor its
    /// `total_amount`. Which of the two the callback carries is not
    /// documented, so a third value is not taken as proof of forgery (a
    /// forger cannot change the amount alone: the digits it moves change the
    /// invoice id or the store too). Grant nothing; the payment is held.
    #[error(
        "the callback's amount {callback} is neither the payment's payment_amount {payment_amount} nor its \
         total_amount ({total_amount:?}); not confirmed"
    )]
    AmountDiffers {
        /// The callback's amount, in tiyin.
        callback: i64,
        /// The payment's `payment_amount`.
        payment_amount: i64,
        /// The payment's `total_amount`, when the API gives it.
        total_amount: Option<i64>,
    },
    /// The payment agrees with the callback on every field checked, but its
    /// status is not final yet (`draft`, `progress`, `billing`, `hold`,
    /// `error`, which has been seen to turn `success`, or a status this SDK
    /// does not know): neither a success to grant nor a
    /// failure to refuse. Ask again later. (`billing` is accepted in one
    /// place only: [`Decisions::confirm_success`](super::Decisions::confirm_success).)
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
    /// This payment was refused before (by a contradiction, or by the
    /// merchant's own refusal, recorded in [`Decisions`](super::Decisions)):
    /// a payment once refused is never accepted afterwards. Multicard
    /// cancels a refused payment; accepting a later callback for it could
    /// grant value for money returned to the payer.
    #[error("this payment was refused earlier; it is not accepted afterwards")]
    RefusedEarlier,
}

impl ConfirmError {
    /// Whether the API contradicts the callback ([`ConfirmError::Mismatch`]):
    /// the payment its `uuid` names differs on a field, or has ended
    /// (`revert`) rather than succeeded. Such a callback is forged,
    /// altered, or about a payment that did not succeed: refuse it.
    ///
    /// `false` means the callback could not be confirmed *yet*: the API
    /// could not be asked or did not answer usefully
    /// ([`ConfirmError::Api`]), the payment is not final
    /// ([`ConfirmError::NotFinal`]), the amount is neither of the payment's
    /// ([`ConfirmError::AmountDiffers`]), its record lacks a field to check
    /// ([`ConfirmError::Unverifiable`]), or it was refused earlier
    /// ([`ConfirmError::RefusedEarlier`]). It may still be genuine; grant
    /// nothing and let it be held
    /// ([`CallbackReply::unconfirmed`](super::CallbackReply::unconfirmed)).
    pub fn is_contradiction(&self) -> bool {
        matches!(self, ConfirmError::Mismatch { .. })
    }
}

/// How a confirmed callback was confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The API's record agrees with the callback as it stands. For a
    /// success callback: the payment reads `success`.
    Agreed,
    /// A success callback for a payment the API still reads as `billing`
    /// (integrators report it while the callback is out), accepted because
    /// the signature holds, the API agrees on store, invoice id and amount,
    /// and no refusal of this payment is recorded. Only
    /// [`Decisions::confirm_success`](super::Decisions::confirm_success)
    /// (and so `ConfirmedSuccess`) gives it; grant value as for
    /// [`Outcome::Agreed`], once per payment.
    AcceptedWhileBilling,
}

/// A callback checked against the API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Confirmed<T> {
    /// What the API says now.
    pub current: T,
    /// How the callback was confirmed: the API agreeing as it stands, or a
    /// success callback accepted while the payment reads `billing`.
    pub outcome: Outcome,
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
    ConfirmError::Mismatch { field, callback: shown(&callback.to_string()), api: shown(&api.to_string()) }
}

/// A value for a message: control characters escaped, cut to 64 characters
/// (the API's values, and the callback's signed ones, which a forger can
/// only split differently, never write).
fn shown(text: &str) -> String {
    text.chars().take(64).flat_map(char::escape_debug).collect()
}

/// Whether `amount` is the payment's `payment_amount` or its
/// `total_amount`, either of which the callback may carry.
fn amount_agrees(amount: i64, payment: &PaymentModel) -> Result<(), ConfirmError> {
    if payment.payment_amount == amount || payment.total_amount == Some(amount) {
        return Ok(());
    }
    Err(ConfirmError::AmountDiffers {
        callback: amount,
        payment_amount: payment.payment_amount,
        total_amount: payment.total_amount,
    })
}

/// Reads payment `uuid` and checks that it is the payment the callback
/// names: same uuid and invoice id (the amount is the caller's to check,
/// after the fields that name the payment).
async fn read_payment(multicard: &Multicard, uuid: &str, invoice_id: &str) -> Result<PaymentModel, ConfirmError> {
    let payment = multicard.send(|api| api.get_payment().uuid(uuid)).await.map_err(ConfirmError::Api)?;
    if payment.uuid != uuid {
        // The callback's uuid is unsigned: anyone can write anything there,
        // so it is not repeated in the message.
        return Err(mismatch("uuid", "(the uuid asked for, not shown)", &payment.uuid));
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
    outcome: Outcome,
    callback: &impl serde::Serialize,
    signed: &'static [&'static str],
    confirmed: &'static [&'static str],
) -> Confirmed<T> {
    let mut covered: Vec<&str> = signed.iter().chain(confirmed).copied().collect();
    covered.push("sign");
    let unsigned = unsigned_fields(&serde_json::to_value(callback).unwrap_or_default(), &covered);
    Confirmed { current, outcome, signed, confirmed, unsigned }
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
/// (which the signature does not cover) and checks that invoice id, store
/// and amount agree and that the payment succeeded. Grant value only after
/// this returns `Ok`.
///
/// Checking the invoice id and store against the API is what undoes a
/// forgery that moves digits between the signed fields (the signature
/// cannot tell); a difference there, or a payment that ended otherwise
/// (`revert`), is a [`ConfirmError::Mismatch`]: a contradiction. A payment
/// that reads `error` is [`ConfirmError::NotFinal`] (held, 500): `error`
/// has been seen to turn `success`, and a 403 would cancel the payment.
/// The store id may come as an integer (what production sends) or a string
/// (a number or a store UUID); it is compared with the payment's store when
/// the payment names one, and listed in [`Confirmed::confirmed`] only then.
/// The `amount` agrees when it is the payment's `payment_amount` or its
/// `total_amount` ([`ConfirmError::AmountDiffers`] otherwise, which holds
/// rather than refuses). A payment still in progress is
/// [`ConfirmError::NotFinal`], and so is one in `billing`: without a
/// [`Decisions`](super::Decisions) record to show that this payment was
/// never refused, `billing` is not accepted here
/// ([`Decisions::confirm_success`](super::Decisions::confirm_success) does).
pub async fn confirm_success(
    multicard: &Multicard,
    callback: &PaymentSuccessCallback,
) -> Result<Confirmed<PaymentModel>, ConfirmError> {
    success(multicard, callback, false).await
}

/// [`confirm_success`], accepting a payment in `billing` when
/// `accept_billing` (the caller has checked that no refusal of it is
/// recorded) and the API names the callback's store.
pub(super) async fn success(
    multicard: &Multicard,
    callback: &PaymentSuccessCallback,
    accept_billing: bool,
) -> Result<Confirmed<PaymentModel>, ConfirmError> {
    let payment = read_payment(multicard, &callback.uuid, &callback.invoice_id).await?;
    let store_confirmed = same_store(&callback.store_id, &payment)?;
    // `revert` contradicts a success callback. `error` does not yet: it has
    // been seen to turn `success` (settle waits a quiet period before it
    // believes one), and a 403 would cancel the payment; it is not final.
    if payment.status == PaymentStatus::Revert {
        return Err(mismatch("status", "success", &payment.status));
    }
    amount_agrees(callback.amount, &payment)?;
    let outcome = match payment.status {
        PaymentStatus::Success => Outcome::Agreed,
        // Accepted only with the store positively confirmed: every field
        // that names the payment agrees, not merely nothing contradicts.
        PaymentStatus::Billing if accept_billing && store_confirmed => Outcome::AcceptedWhileBilling,
        _ => return Err(ConfirmError::NotFinal { status: payment.status }),
    };
    const SIGNED: &[&str] = &["store_id", "invoice_id", "amount"];
    const CONFIRMED: &[&str] = &["uuid", "amount", "invoice_id", "store_id", "status"];
    const CONFIRMED_BUT_STORE: &[&str] = &["uuid", "amount", "invoice_id", "status"];
    let confirmed_fields = if store_confirmed { CONFIRMED } else { CONFIRMED_BUT_STORE };
    Ok(confirmed(payment, outcome, callback, SIGNED, confirmed_fields))
}

/// Confirms a verified status webhook: reads the payment by its `uuid` and
/// checks invoice id and amount (its `payment_amount` or `total_amount`).
/// The status the webhook reports is not signed; `current.status` is the
/// truth (it may have moved on since).
pub async fn confirm_status(
    multicard: &Multicard,
    webhook: &PaymentStatusWebhook,
) -> Result<Confirmed<PaymentModel>, ConfirmError> {
    let payment = read_payment(multicard, &webhook.uuid, &webhook.invoice_id).await?;
    amount_agrees(webhook.amount, &payment)?;
    Ok(confirmed(
        payment,
        Outcome::Agreed,
        webhook,
        &["uuid", "invoice_id", "amount"],
        &["uuid", "amount", "invoice_id"],
    ))
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
    Ok(confirmed(card, Outcome::Agreed, callback, &[], &["payer_id", "card_token", "status"]))
}
