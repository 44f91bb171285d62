//! The reconciler's input from the merchant's own tables: pending orders
//! read with the merchant's query, beside the ledger.

use chrono::{DateTime, Utc};
use multicard_api::fulfilment::LedgerError;
use multicard_api::reconcile::Pending;
use sqlx::{PgPool, Row};

use crate::errors::ledger_error;

/// The pending orders of the merchant's query, as items for
/// [`Reconciler::sweep`](multicard_api::reconcile::Reconciler::sweep).
///
/// `query` is the merchant's own SQL (no parameters), returning exactly
/// these columns, by name, any of them nullable but the first three:
///
/// | column | type | meaning |
/// |---|---|---|
/// | `store_id` | text (or castable) | the store |
/// | `invoice_id` | text | the order id sent to Multicard as `invoice_id` |
/// | `created_at` | timestamptz | when the order was sent to Multicard (the registry search starts before it) |
/// | `expected_amount` | bigint, null | the amount the order expects, in tiyin: a payment of another amount is reported, never credited |
/// | `payment_uuid` | text, null | the payment's uuid, when the merchant kept it |
///
/// ```sql
/// SELECT store_id, id AS invoice_id, created_at, total_tiyin AS expected_amount, payment_uuid
/// FROM orders WHERE status = 'awaiting_payment' AND created_at > now() - interval '3 days'
/// ```
///
/// A row with a `payment_uuid` becomes [`Pending::payment`] (with its
/// order, amount and time); one without, [`Pending::order`]. A row whose
/// `store_id`, `invoice_id` or `created_at` is null is an error that names
/// its position: a pending order the sweep cannot look up must not be
/// skipped in silence.
pub async fn pending_orders(pool: &PgPool, query: &str) -> Result<Vec<Pending>, LedgerError> {
    let wrapped = format!(
        "SELECT store_id::text AS store_id, invoice_id::text AS invoice_id, \
         (extract(epoch FROM created_at) * 1000000)::bigint AS created_micros, \
         expected_amount::bigint AS expected_amount, payment_uuid::text AS payment_uuid \
         FROM ({query}) AS multicard_pending"
    );
    let rows = sqlx::query(&wrapped).fetch_all(pool).await.map_err(ledger_error)?;
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let missing = |column: &str| {
                LedgerError::Storage(format!("pending order row {index}: `{column}` is null; every row needs it"))
            };
            let store: Option<String> = row.try_get("store_id").map_err(ledger_error)?;
            let invoice: Option<String> = row.try_get("invoice_id").map_err(ledger_error)?;
            let micros: Option<i64> = row.try_get("created_micros").map_err(ledger_error)?;
            let amount: Option<i64> = row.try_get("expected_amount").map_err(ledger_error)?;
            let uuid: Option<String> = row.try_get("payment_uuid").map_err(ledger_error)?;
            let store = store.ok_or_else(|| missing("store_id"))?;
            let invoice = invoice.ok_or_else(|| missing("invoice_id"))?;
            let created =
                micros.and_then(DateTime::<Utc>::from_timestamp_micros).ok_or_else(|| missing("created_at"))?;
            let pending = match uuid {
                Some(uuid) => Pending::payment(uuid).with_order(store, invoice).made_since(created),
                None => Pending::order(store, invoice, created),
            };
            Ok(match amount {
                Some(amount) => {
                    pending.with_expected_amount(multicard_api::money::Tiyin::new(amount).map_err(|_| {
                        LedgerError::Storage(format!(
                            "pending order row {index}: `expected_amount` is {amount}, below zero; an amount is \
                             zero or more"
                        ))
                    })?)
                }
                None => pending,
            })
        })
        .collect()
}
