//! The transaction of one attempt: begun with the isolation level and the
//! lock timeout, then committed or rolled back as the attempt ends
//! ([`Step`]).

use multicard_api::fulfilment::Fulfilment;

use crate::{Isolation, PgLedger, PgTx};

pub(crate) type BoxFuture<'x, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'x>>;

/// How an attempt ends when it did not fail.
pub(crate) enum Step {
    /// Decided now: commit.
    Commit(Fulfilment),
    /// Decided before (a replay): nothing written, roll back.
    Replay(Fulfilment),
}

impl PgLedger {
    /// A transaction for one attempt: the isolation level, then the lock
    /// timeout and the idle timeout (`SET LOCAL`: they end with the
    /// transaction).
    ///
    /// The database steps of an attempt are boxed futures: each is proved
    /// `Send` where its lifetimes are concrete, which sqlx's executors need
    /// inside a future generic over a higher-ranked handler.
    pub(crate) fn begin(&self) -> BoxFuture<'_, Result<PgTx, sqlx::Error>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            if self.isolation == Isolation::Serializable {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").execute(&mut *tx).await?;
            }
            // Both settings in one round trip; `set_config(…, true)` is `SET LOCAL`.
            let millis = self.lock_timeout.as_millis().clamp(1, i32::MAX as u128);
            let idle = self.idle_timeout.as_millis().clamp(1, i32::MAX as u128);
            sqlx::query(
                "SELECT set_config('lock_timeout', $1, true), \
                 set_config('idle_in_transaction_session_timeout', $2, true)",
            )
            .bind(millis.to_string())
            .bind(idle.to_string())
            .execute(&mut *tx)
            .await?;
            Ok(tx)
        })
    }
}

pub(crate) fn commit(tx: PgTx) -> BoxFuture<'static, Result<(), sqlx::Error>> {
    Box::pin(tx.commit())
}

pub(crate) fn rollback(tx: PgTx) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        let _ = tx.rollback().await;
    })
}
