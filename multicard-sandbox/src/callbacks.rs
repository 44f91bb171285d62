//! The callbacks Multicard sends, as the sandbox sends them, for anyone who
//! sends one by hand (`multicard callback send` does): their bodies, signed
//! (one implementation: the sandbox's own), how one is sent and its answer
//! read, and what Multicard does with the answer, by the vendor's rules.
//!
//! ```
//! use multicard_sandbox::callbacks::{Answered, CallbackKind, DeliveryOutcome, verdict};
//!
//! let ok = Answered::status(200, br#"{"success": true}"#);
//! assert_eq!(verdict(CallbackKind::Success, &ok), DeliveryOutcome::Accepted);
//! let busy = Answered::status(503, b"");
//! assert_eq!(verdict(CallbackKind::Success, &busy), DeliveryOutcome::Refused, "cancelled and refunded");
//! assert_eq!(verdict(CallbackKind::Webhook, &busy), DeliveryOutcome::NotAccepted, "sent again");
//! ```
//!
//! The bodies are made from a payment as `get_payment` answers it
//! ([`success_callback_body`], [`webhook_body`]): the sandbox's own
//! payments, or one written by hand with the fields they read. The
//! card-binding callback is the bound card as `get_card` answers it, and
//! `is_multicard` ([`card_binding_body`]); it is not signed.

pub use crate::delivery::{Reply, client, post};
pub use crate::world::callbacks::{Answered, DeliveryOutcome, verdict};
pub use crate::world::cards::{card_binding_body, hosted_form_card};
pub use crate::world::kinds::CallbackKind;
pub use crate::world::payments::{MissingField, success_callback_body, webhook_body};
pub use crate::world::values::new_uuid;
