//! What a ledger fulfils: a confirmed payment to credit, or a confirmed card
//! binding to store, each with the keys it is deduplicated by.

use crate::callbacks::{Confirmed, Outcome};
use crate::types::{BoundCard, CardBindingCallback, PaymentModel, PaymentStatus};

/// How a payment to credit was confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A success callback the API confirmed reading `success`.
    Callback,
    /// A success callback accepted while the API reads `billing` (see
    /// [`Outcome::AcceptedWhileBilling`]).
    CallbackWhileBilling,
    /// A reconciliation sweep that read the payment as `success` (no
    /// callback came, or none yet).
    Reconciliation,
}

/// A confirmed payment, ready to be credited to its order once.
///
/// Made only from a confirmation (the `ConfirmedSuccess` extractor,
/// [`PaymentCredit::from_confirmed`]) or by the reconciler from a payment
/// the API reads as `success`: never from a callback's own fields, which
/// are unsigned or can be shifted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PaymentCredit {
    /// The store, as the API names it: its numeric id in decimal, or its
    /// UUID in lower case.
    pub store_id: String,
    /// The payment's uuid (the first key: one decision per payment).
    pub uuid: String,
    /// The merchant's order id, `store_invoice_id` (the second key: one
    /// credited payment per order).
    pub invoice_id: String,
    /// The amount the payer paid, in tiyin (`payment_amount`).
    pub amount: i64,
    /// The status the API read at confirmation.
    pub status: PaymentStatus,
    /// How it was confirmed.
    pub source: Source,
    /// The payment as the API read it.
    pub payment: PaymentModel,
}

impl PaymentCredit {
    /// The payment of a confirmed success callback (see
    /// [`Decisions::confirm_success`](crate::callbacks::Decisions::confirm_success)).
    /// `None` when the confirmed payment carries no `store_invoice_id` or
    /// no store (a confirmation never gives such a payment).
    pub fn from_confirmed(confirmed: &Confirmed<PaymentModel>) -> Option<Self> {
        let source = match confirmed.outcome {
            Outcome::Agreed => Source::Callback,
            Outcome::AcceptedWhileBilling => Source::CallbackWhileBilling,
        };
        Self::from_payment(&confirmed.current, source)
    }

    /// A payment the API reads as `success`, found by a sweep: `None` for
    /// any other status (a payment in `billing` is never credited by a
    /// sweep: no API call completes it), or without a store or order id.
    pub(crate) fn from_reconciled(payment: &PaymentModel) -> Option<Self> {
        if payment.status != PaymentStatus::Success {
            return None;
        }
        Self::from_payment(payment, Source::Reconciliation)
    }

    fn from_payment(payment: &PaymentModel, source: Source) -> Option<Self> {
        Some(Self {
            store_id: store_key(payment)?,
            uuid: payment.uuid.clone(),
            invoice_id: payment.store_invoice_id.clone()?,
            amount: payment.payment_amount,
            status: payment.status.clone(),
            source,
            payment: payment.clone(),
        })
    }

    /// A payment to credit built from its parts, for tests of a ledger
    /// (feature `fuzzing`, the SDK's test hooks): outside tests a credit
    /// comes only from a confirmation.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn for_tests(store_id: &str, uuid: &str, invoice_id: &str, amount: i64) -> Self {
        let payment: PaymentModel = serde_json::from_value(serde_json::json!({
            "uuid": uuid, "store_id": store_id.parse::<i64>().ok(), "store_invoice_id": invoice_id,
            "payment_amount": amount, "status": "success",
        }))
        .expect("a payment model from its parts");
        Self {
            store_id: store_id.to_string(),
            uuid: uuid.to_string(),
            invoice_id: invoice_id.to_string(),
            amount,
            status: PaymentStatus::Success,
            source: Source::Callback,
            payment,
        }
    }
}

/// The store key of a payment: its numeric id (from `store_id` or
/// `store.id`), else its store UUID in lower case.
pub(crate) fn store_key(payment: &PaymentModel) -> Option<String> {
    let store = payment.store.as_ref();
    if let Some(id) = payment.store_id.or_else(|| store.and_then(|s| s.id)) {
        return Some(id.to_string());
    }
    store.and_then(|s| s.uuid.as_deref()).map(|uuid| uuid.trim().to_ascii_lowercase())
}

/// A confirmed card binding, ready to be stored once.
///
/// The binding callback is not signed: it is keyed by what the API
/// confirmed, `(application_id, payer_id, card_token)`. Its `Debug` does
/// not show the card token.
#[derive(Clone)]
#[non_exhaustive]
pub struct CardBinding {
    /// The application the card is bound for, as the API reads it (else
    /// as the callback says).
    pub application_id: String,
    /// The binding session (`payer_id`).
    pub payer_id: String,
    /// The card's token, as the API confirmed it. A credential: it is
    /// stored by the ledger as a key, and never shown by `Debug` of the
    /// card below.
    pub card_token: String,
    /// The card as the API read it.
    pub card: BoundCard,
}

impl CardBinding {
    /// The card of a confirmed binding callback
    /// ([`confirm_card_binding`](crate::callbacks::confirm_card_binding)).
    /// `None` when neither the API nor the callback names the application.
    pub fn from_confirmed(callback: &CardBindingCallback, confirmed: &Confirmed<BoundCard>) -> Option<Self> {
        let card = &confirmed.current;
        let application_id = card.application_id.or(callback.application_id)?;
        Some(Self {
            application_id: application_id.to_string(),
            payer_id: card.payer_id.clone().unwrap_or_else(|| callback.payer_id.clone()),
            card_token: card.card_token.clone(),
            card: card.clone(),
        })
    }
}

impl CardBinding {
    /// A card binding built from its parts, for tests of a ledger (feature
    /// `fuzzing`, the SDK's test hooks): outside tests a binding comes only
    /// from a confirmation.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn for_tests(application_id: &str, payer_id: &str, card_token: &str) -> Self {
        let card: BoundCard = serde_json::from_value(serde_json::json!({
            "card_token": card_token, "payer_id": payer_id, "application_id": application_id.parse::<i64>().ok(),
        }))
        .expect("a bound card from its parts");
        Self {
            application_id: application_id.to_string(),
            payer_id: payer_id.to_string(),
            card_token: card_token.to_string(),
            card,
        }
    }
}

impl std::fmt::Debug for CardBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardBinding")
            .field("application_id", &self.application_id)
            .field("payer_id", &self.payer_id)
            .field("card_token", &crate::redact::REDACTED)
            .finish_non_exhaustive()
    }
}

/// The keys of what a ledger fulfils, as a ledger stores them. Its `Debug`
/// does not show a card token.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Key<'a> {
    /// A payment: unique by `(store_id, uuid)`; at most one credited per
    /// `(store_id, invoice_id)`.
    Payment {
        /// The store.
        store_id: &'a str,
        /// The payment.
        uuid: &'a str,
        /// The merchant's order.
        invoice_id: &'a str,
        /// The amount paid, in tiyin.
        amount: i64,
        /// The status read at confirmation.
        status: &'a PaymentStatus,
    },
    /// A card binding: unique by `(application_id, payer_id, card_token)`.
    CardBinding {
        /// The application.
        application_id: &'a str,
        /// The binding session.
        payer_id: &'a str,
        /// The card's token.
        card_token: &'a str,
    },
}

impl std::fmt::Debug for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Payment { store_id, uuid, invoice_id, amount, status } => f
                .debug_struct("Payment")
                .field("store_id", store_id)
                .field("uuid", uuid)
                .field("invoice_id", invoice_id)
                .field("amount", amount)
                .field("status", status)
                .finish(),
            Key::CardBinding { application_id, payer_id, .. } => f
                .debug_struct("CardBinding")
                .field("application_id", application_id)
                .field("payer_id", payer_id)
                .field("card_token", &crate::redact::REDACTED)
                .finish(),
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::PaymentCredit {}
    impl Sealed for super::CardBinding {}
}

/// What a [`Ledger`](super::Ledger) fulfils: [`PaymentCredit`] or
/// [`CardBinding`] (sealed).
pub trait Subject: sealed::Sealed + Send + Sync {
    /// The keys it is deduplicated by.
    fn key(&self) -> Key<'_>;
}

impl Subject for PaymentCredit {
    fn key(&self) -> Key<'_> {
        Key::Payment {
            store_id: &self.store_id,
            uuid: &self.uuid,
            invoice_id: &self.invoice_id,
            amount: self.amount,
            status: &self.status,
        }
    }
}

impl Subject for CardBinding {
    fn key(&self) -> Key<'_> {
        Key::CardBinding {
            application_id: &self.application_id,
            payer_id: &self.payer_id,
            card_token: &self.card_token,
        }
    }
}
