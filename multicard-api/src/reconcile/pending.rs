//! What a sweep is asked about: a payment by its uuid, or a merchant's
//! order by its `invoice_id`.

use chrono::{DateTime, Utc};

/// A span of time, in UTC, searched in the store's payment registry
/// (`list_payments`, which takes it in GMT+5 text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Window {
    /// The first moment searched.
    pub from: DateTime<Utc>,
    /// The last moment searched.
    pub to: DateTime<Utc>,
}

impl Window {
    /// The window from `from` to `to`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self { from, to }
    }
}

/// Something the merchant is waiting on: a payment it knows by uuid, or an
/// order it knows only by its own `invoice_id` (a `create_*` whose answer
/// was lost leaves no uuid).
///
/// ```
/// use multicard_api::reconcile::Pending;
/// let now = chrono::Utc::now();
/// let order = Pending::order("6", "order-42", now).with_expected_amount("1500sum".parse().unwrap());
/// let payment = Pending::payment("a81b7b62-6d86-11f0-9a1b-00505680eaf6").with_order("6", "order-43");
/// assert_eq!(order.invoice_id(), Some("order-42"));
/// assert_eq!(payment.uuid(), Some("a81b7b62-6d86-11f0-9a1b-00505680eaf6"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pending {
    /// A payment known by its uuid.
    Payment {
        /// The payment's uuid.
        uuid: String,
        /// The store, when known: with `invoice_id`, a payment Multicard
        /// answers `ERROR_NOT_FOUND` for is searched in the registry before
        /// it is called unknown.
        store_id: Option<String>,
        /// The merchant's order id, when known.
        invoice_id: Option<String>,
        /// The amount the order expects, in tiyin: a payment whose
        /// `payment_amount` and `total_amount` both differ is never credited.
        expected_amount: Option<i64>,
        /// When the payment was made, about (the registry is searched from
        /// the reconciler's lookback before it); `None`: the lookback
        /// before now.
        since: Option<DateTime<Utc>>,
    },
    /// A merchant's order, known by its `invoice_id`.
    Order {
        /// The store.
        store_id: String,
        /// The merchant's order id (`invoice_id` at creation,
        /// `store_invoice_id` in the API's answers).
        invoice_id: String,
        /// The amount the order expects, in tiyin.
        expected_amount: Option<i64>,
        /// When the order's invoice or payment was created: the registry
        /// is searched from a little before it to now.
        created_at: DateTime<Utc>,
        /// The uuid of the order's invoice, when one was created and its
        /// answer came: read first.
        invoice_uuid: Option<String>,
        /// When the invoice's lifetime (`ttl`) runs out: after it (and the
        /// registry's grace), an order with no payment has expired.
        expires_at: Option<DateTime<Utc>>,
    },
}

impl Pending {
    /// Payment `uuid`, nothing else known.
    pub fn payment(uuid: impl Into<String>) -> Self {
        Pending::Payment { uuid: uuid.into(), store_id: None, invoice_id: None, expected_amount: None, since: None }
    }

    /// Order `invoice_id` of store `store_id`, created at `created_at`.
    pub fn order(store_id: impl Into<String>, invoice_id: impl Into<String>, created_at: DateTime<Utc>) -> Self {
        Pending::Order {
            store_id: store_id.into(),
            invoice_id: invoice_id.into(),
            expected_amount: None,
            created_at,
            invoice_uuid: None,
            expires_at: None,
        }
    }

    /// The amount the order expects.
    #[must_use]
    pub fn with_expected_amount(mut self, amount: crate::money::Tiyin) -> Self {
        let amount = amount.tiyin();
        match &mut self {
            Pending::Payment { expected_amount, .. } | Pending::Order { expected_amount, .. } => {
                *expected_amount = Some(amount)
            }
        }
        self
    }

    /// For a payment: the store and order it belongs to (searched in the
    /// registry when the uuid is not found). No effect on an order.
    #[must_use]
    pub fn with_order(mut self, store: impl Into<String>, invoice: impl Into<String>) -> Self {
        if let Pending::Payment { store_id, invoice_id, .. } = &mut self {
            *store_id = Some(store.into());
            *invoice_id = Some(invoice.into());
        }
        self
    }

    /// For a payment: when it was made, about. No effect on an order.
    #[must_use]
    pub fn made_since(mut self, at: DateTime<Utc>) -> Self {
        if let Pending::Payment { since, .. } = &mut self {
            *since = Some(at);
        }
        self
    }

    /// For an order: its invoice's uuid and when the invoice expires. No
    /// effect on a payment.
    #[must_use]
    pub fn with_invoice(mut self, uuid: impl Into<String>, expires: Option<DateTime<Utc>>) -> Self {
        if let Pending::Order { invoice_uuid, expires_at, .. } = &mut self {
            *invoice_uuid = Some(uuid.into());
            *expires_at = expires;
        }
        self
    }

    /// For an order: when its invoice expires. No effect on a payment.
    #[must_use]
    pub fn expiring_at(mut self, at: DateTime<Utc>) -> Self {
        if let Pending::Order { expires_at, .. } = &mut self {
            *expires_at = Some(at);
        }
        self
    }

    /// The payment's uuid (a payment only).
    pub fn uuid(&self) -> Option<&str> {
        match self {
            Pending::Payment { uuid, .. } => Some(uuid),
            Pending::Order { .. } => None,
        }
    }

    /// The store, when known.
    pub fn store_id(&self) -> Option<&str> {
        match self {
            Pending::Payment { store_id, .. } => store_id.as_deref(),
            Pending::Order { store_id, .. } => Some(store_id),
        }
    }

    /// The merchant's order id, when known.
    pub fn invoice_id(&self) -> Option<&str> {
        match self {
            Pending::Payment { invoice_id, .. } => invoice_id.as_deref(),
            Pending::Order { invoice_id, .. } => Some(invoice_id),
        }
    }

    /// The amount expected, when known.
    pub fn expected_amount(&self) -> Option<i64> {
        match self {
            Pending::Payment { expected_amount, .. } | Pending::Order { expected_amount, .. } => *expected_amount,
        }
    }
}

/// Where an item of a sweep came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The caller asked about it.
    Asked,
    /// The ledger's [`left_frozen`](crate::fulfilment::Ledger::left_frozen):
    /// this service answered 500 for it and never decided.
    LeftFrozen {
        /// How many attempts failed.
        attempts: u32,
        /// Why the last one failed.
        last_reason: String,
    },
}
