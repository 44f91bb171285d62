//! A create whose answer was lost: finding what it created by the
//! merchant's `invoice_id` in the store's registry.
//!
//! `create_payment`, `create_invoice` and `create_payout` answer with the
//! uuid of what they created. When that answer is lost
//! ([`Error::OutcomeUnknown`]), nothing the SDK holds names the payment:
//! the one thing the merchant knows is the `invoice_id` it sent. Multicard
//! has no idempotency key, and the SDK never sends a create twice by itself.
//! [`Multicard::find_lost_create`] searches for it:
//!
//! - **where**: the payment registry (`list_payments`) for
//!   [`CreateKind::Payment`] and [`CreateKind::Invoice`], the payout
//!   registry (`list_payouts`, under every status of
//!   [`PAYOUT_STATUS_WALK`](crate::registry::PAYOUT_STATUS_WALK)) for
//!   [`CreateKind::Payout`];
//! - **when**: a window in Multicard's clock (GMT+5), from the send time
//!   minus [`LostCreate::before`] (5 minutes by default) to now plus
//!   [`LostCreate::after`] (1 minute). "Now" is the client's clock plus the
//!   offset read off the `Date` header of Multicard's answers
//!   ([`Multicard::clock_offset`]; zero, and said so in
//!   [`Searched::offset`], when no answer carried one). The window is read
//!   only once it is closed: its end in the past by Multicard's clock. A
//!   search waits for that up to [`LostCreate::wait`], or answers
//!   [`Found::TooEarly`] without reading anything;
//! - **what**: rows whose `store_invoice_id` equals the `invoice_id`,
//!   exactly. A row that two listings (or two pages) held counts once (by
//!   its uuid). When [`LostCreate::amount`] is given, it is checked too,
//!   and can only turn a match into [`Found::AmountMismatch`] or leave it
//!   [`Found::Ambiguous`], never into [`Found::NotFound`].
//!
//! [`Found::NotFound`] means what it says: no row with that invoice id in
//! the window, as read. It is **not** proof that nothing was created: a
//! registry may list a payment late (replicas lag), an invoice has a row
//! only once someone paid it, and a payout in a status the SDK does not know
//! is in none of the listings it reads. Search again later before you
//! decide. If you then create again, **send the same `invoice_id`**: a
//! create that lands late and the new one are then two rows with your
//! invoice id, which the next search reports as [`Found::Ambiguous`] (and
//! your own reconciliation sees as one order paid twice) instead of a
//! payment nobody can place.
//!
//! ```no_run
//! use multicard_api::lost_create::{CreateKind, Found, LostCreate};
//! use multicard_api::types::CreatePaymentRequest;
//!
//! # async fn run(multicard: multicard_api::Multicard, request: CreatePaymentRequest) -> Result<(), multicard_api::Error> {
//! let sent_at = multicard.multicard_now();
//! match multicard.send(|api| api.create_payment().body(request.clone())).await {
//!     Ok(payment) => println!("created {}", payment.uuid),
//!     Err(error) if error.lost_create_kind().is_some() => {
//!         let lost = LostCreate::new(CreateKind::Payment, "6", "order-42", sent_at)
//!             .amount(multicard_api::money::Tiyin::new(100_000).expect("not negative"));
//!         match multicard.find_lost_create(&lost).await? {
//!             Found::Created { row, .. } => println!("it was created: {}", row.uuid()),
//!             Found::NotFound { searched } => println!("nothing in {:?} yet: search again later", searched.window),
//!             other => println!("look closer: {other:?}"),
//!         }
//!     }
//!     Err(error) => return Err(error),
//! }
//! # Ok(()) }
//! ```

mod matching;
mod window;

use std::time::Duration;

use chrono::TimeDelta;

use crate::error::Error;
use crate::multicard::Multicard;
use crate::registry::{DEFAULT_PAGE_SIZE, RegistryQuery, RegistryReport, RegistryWindow};
use crate::server_time::ClockOffset;
use crate::time::MulticardDateTime;
use crate::types::{PaymentRegistryListItem, PaymentStatus, PayoutRegistryListItem};

/// How far before the send time a search starts, by default: 5 minutes
/// (clocks that disagree by more than the `Date` header shows, a request
/// that waited in a queue).
pub const DEFAULT_BEFORE: Duration = Duration::from_secs(5 * 60);

/// How far after the search's own start its window ends, by default: 1
/// minute (a create still being written when the search begins).
pub const DEFAULT_AFTER: Duration = Duration::from_secs(60);

/// How long a search waits, by default, for its window to close before it
/// answers [`Found::TooEarly`]: 90 seconds, enough for a window that ends
/// [`DEFAULT_AFTER`] from now.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(90);

/// What kind of create was lost: it says which registry holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CreateKind {
    /// `create_payment`: a row of the payment registry (`list_payments`).
    Payment,
    /// `create_invoice`: the payment registry, and only once the invoice
    /// was paid (the registry lists payments; the API lists no invoices).
    /// An unpaid invoice is not found.
    Invoice,
    /// `create_payout` (one step, or the first of two): the payout registry
    /// (`list_payouts`), under every status the SDK knows.
    Payout,
}

impl CreateKind {
    /// The kind of create `operation` (an `operationId`) is, if it is one
    /// a lost answer of which this module searches for: `create_payment`,
    /// `create_invoice`, `create_payout`.
    pub fn of_operation(operation: &str) -> Option<Self> {
        match operation {
            "create_payment" => Some(Self::Payment),
            "create_invoice" => Some(Self::Invoice),
            "create_payout" => Some(Self::Payout),
            _ => None,
        }
    }

    /// The create operation (`operationId`).
    pub fn operation(self) -> &'static str {
        match self {
            Self::Payment => "create_payment",
            Self::Invoice => "create_invoice",
            Self::Payout => "create_payout",
        }
    }

    /// The registry read that finds it (`operationId`).
    pub fn registry(self) -> &'static str {
        match self {
            Self::Payment | Self::Invoice => "list_payments",
            Self::Payout => "list_payouts",
        }
    }

    /// One sentence naming the search that settles a lost create of this
    /// kind, for an error message or a log line.
    pub fn settle_hint(self) -> &'static str {
        match self {
            Self::Payment => {
                "find it by its `invoice_id` in the payment registry: `Multicard::find_lost_create` with \
                 `CreateKind::Payment`; do not create it again before that search says it was not created, and \
                 then with the same `invoice_id`"
            }
            Self::Invoice => {
                "find it by its `invoice_id` in the payment registry (an invoice shows there once paid): \
                 `Multicard::find_lost_create` with `CreateKind::Invoice`; do not create it again before that search \
                 says it was not created, and then with the same `invoice_id`"
            }
            Self::Payout => {
                "find it by its `invoice_id` in the payout registry, under every status: \
                 `Multicard::find_lost_create` with `CreateKind::Payout`; do not create it again before that search \
                 says it was not created, and then with the same `invoice_id`"
            }
        }
    }
}

impl Error {
    /// For [`Error::OutcomeUnknown`] of a create this module searches for
    /// (`create_payment`, `create_invoice`, `create_payout`): its kind, to
    /// build a [`LostCreate`]. `None` for any other error: the uuid of what
    /// it changed is known, and a read by uuid settles it.
    pub fn lost_create_kind(&self) -> Option<CreateKind> {
        match self {
            Error::OutcomeUnknown { operation, .. } => CreateKind::of_operation(operation),
            _ => None,
        }
    }
}

/// A create whose answer was lost, and how to search for it.
///
/// ```
/// use std::time::Duration;
/// use multicard_api::lost_create::{CreateKind, LostCreate};
///
/// let sent_at = "2025-03-07 23:12:15".parse().unwrap();
/// let lost = LostCreate::new(CreateKind::Payout, "6", "payout-17", sent_at)
///     .amount("5000sum".parse().unwrap())
///     .margins(Duration::from_secs(600), Duration::from_secs(30))
///     .wait_at_most(Duration::from_secs(60));
/// assert_eq!(lost.before, Duration::from_secs(600));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LostCreate {
    /// What was created (which registry to read).
    pub kind: CreateKind,
    /// The store it was created for (`store_id`).
    pub store_id: String,
    /// The merchant's `invoice_id` sent with it: matched exactly against
    /// the rows' `store_invoice_id`.
    pub invoice_id: String,
    /// When it was sent, by Multicard's clock: [`Multicard::multicard_now`]
    /// taken just before sending (or a local instant converted with
    /// [`ClockOffset::to_multicard`]).
    pub sent_at: MulticardDateTime,
    /// The amount sent, checked against the row's `payment_amount`;
    /// `None`: not checked.
    pub amount: Option<crate::money::Tiyin>,
    /// How far before [`LostCreate::sent_at`] the window starts (default
    /// [`DEFAULT_BEFORE`]).
    pub before: Duration,
    /// How far after the search's start (by Multicard's clock) the window
    /// ends (default [`DEFAULT_AFTER`]).
    pub after: Duration,
    /// How long the search may wait for the window's end to pass before it
    /// answers [`Found::TooEarly`] (default [`DEFAULT_WAIT`]). Zero: never
    /// wait.
    pub wait: Duration,
    /// Rows per registry request (default
    /// [`DEFAULT_PAGE_SIZE`]).
    pub page_size: u32,
}

impl LostCreate {
    /// A lost create of `kind` for `store_id`, with the merchant's
    /// `invoice_id`, sent at `sent_at` (Multicard's clock); default margins,
    /// wait and page size; no amount check.
    pub fn new(
        kind: CreateKind,
        store_id: impl Into<String>,
        invoice_id: impl Into<String>,
        sent_at: MulticardDateTime,
    ) -> Self {
        Self {
            kind,
            store_id: store_id.into(),
            invoice_id: invoice_id.into(),
            sent_at,
            amount: None,
            before: DEFAULT_BEFORE,
            after: DEFAULT_AFTER,
            wait: DEFAULT_WAIT,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// Also checks the amount against the row's `payment_amount`.
    #[must_use]
    pub fn amount(mut self, amount: crate::money::Tiyin) -> Self {
        self.amount = Some(amount);
        self
    }

    /// Sets [`LostCreate::before`] and [`LostCreate::after`].
    #[must_use]
    pub fn margins(mut self, before: Duration, after: Duration) -> Self {
        self.before = before;
        self.after = after;
        self
    }

    /// Sets [`LostCreate::wait`].
    #[must_use]
    pub fn wait_at_most(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Sets [`LostCreate::page_size`].
    #[must_use]
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }
}

/// What a search read: its window, the clock offset it was placed with, and
/// how the registry read went.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Searched {
    /// The window read, in Multicard's clock, both ends included.
    pub window: RegistryWindow,
    /// The offset between the client's clock and Multicard's the window's
    /// end and the read were placed with. When
    /// [`ClockOffset::is_observed`] is `false`, no answer had carried a
    /// `Date` header: zero was assumed, and the window is only as right as
    /// the client's clock.
    pub offset: ClockOffset,
    /// When the read started, by Multicard's clock (after the window's
    /// end).
    pub read_at: MulticardDateTime,
    /// Rows whose `store_invoice_id` was the invoice id (a row held by two
    /// listings counted once), whatever their amount.
    pub matches: u64,
    /// How the registry read went: requests, rows, duplicates, total
    /// changes, listings cut short (see [`RegistryReport`]).
    pub report: RegistryReport,
}

/// A registry row a search found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CreatedRow {
    /// A row of the payment registry.
    Payment(Box<PaymentRegistryListItem>),
    /// A row of the payout registry, with the status listing it was read
    /// under (the last one, if two held it).
    Payout {
        /// The row.
        row: Box<PayoutRegistryListItem>,
        /// The listing's `only_status`.
        listing: Option<PaymentStatus>,
    },
}

impl CreatedRow {
    /// Its uuid: read it with `get_payment` or `get_payout` from here on.
    pub fn uuid(&self) -> &str {
        match self {
            Self::Payment(row) => &row.uuid,
            Self::Payout { row, .. } => &row.uuid,
        }
    }

    /// Its status when the registry was read.
    pub fn status(&self) -> &PaymentStatus {
        match self {
            Self::Payment(row) => &row.status,
            Self::Payout { row, .. } => &row.status,
        }
    }

    /// Its `payment_amount` (tiyin).
    pub fn payment_amount(&self) -> i64 {
        match self {
            Self::Payment(row) => row.payment_amount,
            Self::Payout { row, .. } => row.payment_amount,
        }
    }

    /// Its `store_invoice_id`: the merchant's invoice id.
    pub fn store_invoice_id(&self) -> Option<&str> {
        match self {
            Self::Payment(row) => row.store_invoice_id.as_deref(),
            Self::Payout { row, .. } => row.store_invoice_id.as_deref(),
        }
    }
}

/// What a search for a lost create found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Found {
    /// One row has the invoice id (and the amount, when given): the create
    /// went through. Go on with its uuid; do not create it again.
    Created {
        /// The row.
        row: CreatedRow,
        /// What was read.
        searched: Searched,
    },
    /// Several rows have the invoice id: the invoice id was used more than
    /// once (by a retry, or by another order). Something was created; which
    /// row is the lost create the registry cannot tell. Do not create it
    /// again; look at each row (and the Multicard cabinet).
    Ambiguous {
        /// The rows, in the order read.
        rows: Vec<CreatedRow>,
        /// What was read.
        searched: Searched,
    },
    /// One row has the invoice id but another amount than the one given:
    /// something was created under this invoice id, and it may not be the
    /// lost create. Do not create it again before you know which it is.
    AmountMismatch {
        /// The row.
        row: CreatedRow,
        /// The amount the search was given.
        expected: i64,
        /// What was read.
        searched: Searched,
    },
    /// No row in the window read has the invoice id.
    ///
    /// This is **not** proof that nothing was created: the registry may
    /// list a payment some time after it was made (replicas lag), an
    /// invoice has a row only once someone paid it, a payout in a status
    /// the SDK does not know is in none of the listings read, and a window
    /// placed with a wrong clock offset may miss the create (see
    /// [`Searched::offset`]). Search again later, with a wider window if in
    /// doubt, before deciding. If you then create again, send **the same
    /// `invoice_id`**; the SDK never sends a create again by itself.
    NotFound {
        /// What was read.
        searched: Searched,
    },
    /// The window's end was not in the past by Multicard's clock and did
    /// not pass within [`LostCreate::wait`]: nothing was read (rows could
    /// still arrive in it). Search again after `window.end`.
    TooEarly {
        /// The window that would have been read.
        window: RegistryWindow,
        /// Now, by Multicard's clock, when the search gave up.
        multicard_now: MulticardDateTime,
        /// The offset that placed it.
        offset: ClockOffset,
    },
}

impl Found {
    /// The row, when exactly one was found with the invoice id and amount.
    pub fn created(&self) -> Option<&CreatedRow> {
        match self {
            Found::Created { row, .. } => Some(row),
            _ => None,
        }
    }

    /// What was read; `None` for [`Found::TooEarly`] (nothing was).
    pub fn searched(&self) -> Option<&Searched> {
        match self {
            Found::Created { searched, .. }
            | Found::Ambiguous { searched, .. }
            | Found::AmountMismatch { searched, .. }
            | Found::NotFound { searched } => Some(searched),
            Found::TooEarly { .. } => None,
        }
    }
}

impl Multicard {
    /// Searches the store's registry for a create whose answer was lost,
    /// by its `invoice_id` (see [`lost_create`](crate::lost_create)).
    ///
    /// Waits (up to [`LostCreate::wait`]) until the window's end is in the
    /// past by Multicard's clock, then reads every row of the window, page
    /// by page. A registry request that fails is the error (resume by
    /// searching again); a search is never answered [`Found::NotFound`]
    /// from a read that did not reach its end. An empty `invoice_id` is
    /// [`Error::InvalidRequest`], and nothing is sent.
    pub async fn find_lost_create(&self, lost: &LostCreate) -> Result<Found, Error> {
        let operation = lost.kind.registry();
        if lost.invoice_id.is_empty() {
            return Err(Error::InvalidRequest {
                operation,
                message: "the lost create's `invoice_id` is empty: there is nothing to find it by".into(),
            });
        }
        let (offset, local) = self.offset_and_local_now();
        let started = offset.to_multicard(local);
        let window = window::of(lost.sent_at, started, lost.before, lost.after);
        if !offset.is_observed() {
            tracing::warn!(
                target: "multicard::lost_create",
                operation,
                "no answer has carried a `Date` header yet: the window assumes the client's clock is Multicard's"
            );
        }
        let (offset, read_at) = match window::wait_until_closed(self, &window, lost.wait).await {
            Ok(closed) => closed,
            Err((multicard_now, offset)) => return Ok(Found::TooEarly { window, multicard_now, offset }),
        };
        let query = RegistryQuery::new(lost.store_id.clone(), window).page_size(lost.page_size);
        let now = read_at.to_utc();
        let (rows, report) = match lost.kind {
            CreateKind::Payment | CreateKind::Invoice => {
                matching::collect(self.payment_registry_at(query, now), &lost.invoice_id, |row| {
                    CreatedRow::Payment(Box::new(row.item))
                })
                .await?
            }
            CreateKind::Payout => {
                matching::collect(self.payout_registry_at(query, now), &lost.invoice_id, |row| CreatedRow::Payout {
                    listing: row.status,
                    row: Box::new(row.item),
                })
                .await?
            }
        };
        let searched = Searched { window, offset, read_at, matches: rows.len() as u64, report };
        Ok(matching::verdict(rows, lost.amount.map(crate::money::Tiyin::tiyin), searched))
    }
}

/// `TimeDelta` of a `Duration`, saturating.
fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}
