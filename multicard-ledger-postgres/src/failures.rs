//! The failure rows: a payment this service answered 500 (or never
//! answered) and did not decide, written in its own autocommit statement
//! so that the reconciler reads it in `Ledger::left_frozen`.

use multicard_api::escape_controls;
use multicard_api::fulfilment::{HeldReason, Key};
use sqlx::PgPool;

use crate::errors::storage_text;
use crate::transaction::BoxFuture;

/// Why an attempt dropped before it decided is left frozen.
const ABANDONED: &str = "the attempt was dropped before it decided (the request was dropped: a callback timeout?)";

/// Records a payment's attempt as left frozen if it is dropped before it
/// decides (its `Drop` spawns the write on the current runtime).
pub(crate) struct Abandoned {
    pool: PgPool,
    row: Option<(String, String, String)>,
}

impl Abandoned {
    pub(crate) fn new(pool: &PgPool, key: &Key<'_>) -> Self {
        let row = match *key {
            Key::Payment { store_id, uuid, invoice_id, .. } => {
                Some((store_id.to_string(), uuid.to_string(), invoice_id.to_string()))
            }
            _ => None,
        };
        Self { pool: pool.clone(), row }
    }

    /// The attempt decided or recorded its own failure.
    pub(crate) fn disarm(&mut self) {
        self.row = None;
    }
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        let Some((store_id, uuid, invoice_id)) = self.row.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let pool = self.pool.clone();
        let reason = format!("{:?}", HeldReason::Handler(ABANDONED.to_string()));
        runtime.spawn(async move { failure_row(&pool, &store_id, &uuid, &invoice_id, reason).await });
    }
}

/// Writes a payment's failed attempt in its own statement (autocommit).
pub(crate) fn failure_row<'x>(
    pool: &'x PgPool,
    store_id: &'x str,
    uuid: &'x str,
    invoice_id: &'x str,
    reason: String,
) -> BoxFuture<'x, ()> {
    Box::pin(async move {
        let result = sqlx::query(
            "INSERT INTO multicard_failures AS f (store_id, payment_uuid, invoice_id, first_failed_at, \
             last_failed_at, attempts, last_reason) \
             VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp(), 1, $4) \
             ON CONFLICT (store_id, payment_uuid) DO UPDATE SET invoice_id = EXCLUDED.invoice_id, \
             last_failed_at = EXCLUDED.last_failed_at, attempts = f.attempts + 1, \
             last_reason = EXCLUDED.last_reason",
        )
        .bind(store_id)
        .bind(uuid)
        .bind(invoice_id)
        .bind(reason)
        .execute(pool)
        .await;
        if let Err(error) = result {
            tracing::warn!(
                target: "multicard::fulfilment",
                store_id = %escape_controls(store_id),
                uuid = %escape_controls(uuid),
                error = %escape_controls(&storage_text(&error)),
                "a held payment could not be recorded as left frozen"
            );
        }
    })
}
