//! Reconciliation: finding what the callbacks missed, and crediting it
//! **once**.
//!
//! A success callback can be lost (the merchant's service was down, its
//! answer timed out, it answered 500 and Multicard never sent it again).
//! A [`Reconciler`] reads each order or payment the merchant is waiting on
//! at Multicard, plus every payment the [`Ledger`](crate::fulfilment::Ledger)
//! left frozen, and returns a [`Report`] with one [`Finding`] per item:
//!
//! | Multicard reads | the ledger | finding |
//! |---|---|---|
//! | `success` | no decision | [`FindingKind::CreditedNow`]: credited through the ledger with the merchant's handler |
//! | any | a decision | [`FindingKind::AlreadyFulfilled`]: nothing done (needs attention while Multicard reads `billing` or `hold`: the decision never reached it) |
//! | `hold` | | [`FindingKind::NotCaptured`] |
//! | `billing` | | [`FindingKind::FrozenAwaitingCallback`]: **never credited** (no API call completes it) |
//! | an invoice `cancelled`, a `draft` past its lifetime, `error` past the quiet period | | [`FindingKind::Expired`] |
//! | `revert` | not credited / credited | [`FindingKind::Reverted`] / [`FindingKind::RevertedAfterFulfilment`] |
//! | an amount other than the order's | | [`FindingKind::AmountMismatch`]: never credited |
//! | `ERROR_NOT_FOUND`, and nothing for the order in the registry | | [`FindingKind::UnknownToMulticard`] |
//! | `draft`, `progress` within their lifetime | | [`FindingKind::StillMoving`] |
//! | a status this SDK does not know | | [`FindingKind::UnknownStatus`]: never final |
//! | a failed read | | [`FindingKind::ReadFailed`]: kept for the next sweep |
//!
//! A sweep credits through the same ledger as the callbacks
//! ([`Ledger::fulfil`](crate::fulfilment::Ledger::fulfil)), whose keys make
//! a sweep and a late callback for the same payment credit it once,
//! whichever comes first and on whichever replica. An order known only by
//! its `invoice_id` (a `create_*` whose answer was lost) is found in the
//! store's payment registry (`list_payments`) over a window; a uuid
//! Multicard does not find is searched there too, by its order, before it
//! is called unknown.
//!
//! Run it periodically (every few minutes); carry what is not final to the
//! next sweep ([`Report::carry_over`]).

mod finding;
mod pending;
mod search;
mod sweep;

pub use finding::{Expiry, Finding, FindingKind, Report, Standing};
pub use pending::{Origin, Pending, Window};
pub use sweep::{
    DEFAULT_CONCURRENCY, DEFAULT_DRAFT_TTL, DEFAULT_LOOKBACK, DEFAULT_REGISTRY_GRACE, ReadOnly, Reconciler,
};
