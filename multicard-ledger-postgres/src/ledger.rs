//! `impl Ledger for PgLedger`: fulfil (with its serialization retries), the
//! stored decision, statuses, payments left frozen, and the purge.

use multicard_api::fulfilment::{
    Fulfilment, HandlerFuture, Ledger, LedgerError, LeftFrozen, Retention, StatusChange, StatusSeen, StoredDecision,
    Subject,
};
use sqlx::Row;

use crate::convert::{stored_decision, system_time};
use crate::errors::ledger_error;
use crate::failures::Abandoned;
use crate::status;
use crate::{PgLedger, PgTx};

impl Ledger for PgLedger {
    type Tx = PgTx;

    async fn fulfil<'a, S, H>(&'a self, subject: &'a S, mut handler: H) -> Fulfilment
    where
        S: Subject + 'a,
        H: for<'t> FnMut(&'t mut PgTx, &'t S) -> HandlerFuture<'t> + Send + 'a,
    {
        let key = subject.key();
        // Dropped before it decides (the server dropped the request when
        // Multicard closed the connection at its callback timeout), the
        // attempt rolls back and left the payment frozen: recorded like a
        // held one.
        let mut abandoned = Abandoned::new(&self.pool, &key);
        let mut retries = 0;
        loop {
            let failure = match self.attempt(&key, subject, &mut handler).await {
                Ok(fulfilment) => {
                    abandoned.disarm();
                    return fulfilment;
                }
                Err(failure) => failure,
            };
            if failure.retryable() && retries < self.max_retries {
                retries += 1;
                continue;
            }
            let reason = failure.into_reason();
            self.record_failure(&key, &reason).await;
            abandoned.disarm();
            return Fulfilment::Held(reason);
        }
    }

    async fn decision<'a>(&'a self, store_id: &'a str, uuid: &'a str) -> Result<Option<StoredDecision>, LedgerError> {
        let row = sqlx::query(
            "SELECT decision, message, credited_by FROM multicard_fulfilments WHERE store_id = $1 AND payment_uuid = $2 \
             AND decision <> 'pending'",
        )
        .bind(store_id)
        .bind(uuid)
        .fetch_optional(&self.pool)
        .await
        .map_err(ledger_error)?;
        let Some(row) = row else { return Ok(None) };
        let decision: String = row.try_get(0).map_err(ledger_error)?;
        let message = row.try_get(1).map_err(ledger_error)?;
        let credited_by = row.try_get(2).map_err(ledger_error)?;
        stored_decision(&decision, message, credited_by).map(Some).map_err(LedgerError::Storage)
    }

    async fn record_status<'a>(&'a self, seen: &'a StatusSeen) -> Result<StatusChange, LedgerError> {
        status::record_status(&self.pool, seen).await
    }

    async fn left_frozen(&self) -> Result<Vec<LeftFrozen>, LedgerError> {
        let rows = sqlx::query(
            "SELECT f.store_id, f.payment_uuid, f.invoice_id, \
                    (extract(epoch FROM f.first_failed_at) * 1000000)::bigint, \
                    (extract(epoch FROM f.last_failed_at) * 1000000)::bigint, f.attempts, f.last_reason \
             FROM multicard_failures f \
             WHERE NOT EXISTS (SELECT 1 FROM multicard_fulfilments d \
                               WHERE d.store_id = f.store_id AND d.payment_uuid = f.payment_uuid) \
             ORDER BY f.first_failed_at, f.payment_uuid",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(ledger_error)?;
        rows.iter()
            .map(|row| {
                let attempts: i32 = row.try_get(5)?;
                Ok(LeftFrozen::new(
                    row.try_get::<String, _>(0)?,
                    row.try_get::<String, _>(1)?,
                    row.try_get::<String, _>(2)?,
                    system_time(row.try_get(3)?),
                    system_time(row.try_get(4)?),
                    u32::try_from(attempts).unwrap_or(0),
                    row.try_get::<String, _>(6)?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(ledger_error)
    }

    async fn purge(&self, retention: Retention) -> Result<u64, LedgerError> {
        let keep = retention.checked()?;
        // Past a thousand years nothing was decided yet.
        let Ok(micros) = i64::try_from(keep.as_micros()) else { return Ok(0) };
        if micros > 1000 * 366 * 86_400 * 1_000_000 {
            return Ok(0);
        }
        // Only rows of payments recorded as final: a row of a payment that
        // may still move is what stops its next callback from crediting
        // again.
        let result = sqlx::query(
            "DELETE FROM multicard_fulfilments f USING multicard_payment_statuses s \
             WHERE s.store_id = f.store_id AND s.payment_uuid = f.payment_uuid \
               AND s.status = 'revert' \
               AND f.decision <> 'pending' \
               AND f.decided_at < now() - $1 * interval '1 microsecond'",
        )
        .bind(micros)
        .execute(&self.pool)
        .await
        .map_err(ledger_error)?;
        Ok(result.rows_affected())
    }
}
