//! A payment's attempt: the claim of its row, the replay of a stored
//! decision, the duplicate policy for a second payment of a credited order,
//! the decision, and the failure rows of held attempts.

use multicard_api::fulfilment::{
    DUPLICATE_MESSAGE, Decision, DuplicatePolicy, Fulfilment, HandlerFuture, HeldReason, Key, StatusSeen,
    StoredDecision, Subject,
};
// Named only by the docs' links.
#[cfg(doc)]
use multicard_api::fulfilment::Ledger;
use multicard_api::types::PaymentStatus;
use sqlx::Row;

use crate::convert::{status_text, stored_decision};
use crate::errors::{Failure, handler_failure};
use crate::failures::failure_row;
use crate::transaction::{BoxFuture, Step};
use crate::{PgLedger, PgTx};

/// How many times one attempt claims a payment's row when the row that
/// stood in its way went before it could be read.
const CLAIM_ROUNDS: usize = 3;

impl PgLedger {
    pub(crate) async fn payment_attempt<S, H>(
        &self,
        tx: &mut PgTx,
        payment: &PaymentKey<'_>,
        subject: &S,
        handler: &mut H,
    ) -> Result<Step, Failure>
    where
        S: Subject,
        H: for<'t> FnMut(&'t mut PgTx, &'t S) -> HandlerFuture<'t> + Send,
    {
        let mut claimed = None;
        for _ in 0..CLAIM_ROUNDS {
            // The claim: a concurrent attempt for this payment, or for
            // another payment of this order, waits here on a unique index.
            if payment.claim(tx, true).await? {
                claimed = Some(true);
                break;
            }
            if let Some(decision) = payment.stored(tx).await? {
                return Ok(Step::Replay(decision.replay()));
            }
            // No row for this payment: the order's index stood in the way.
            let Some(credited) = payment.credited(tx).await? else {
                continue; // the credited row went meanwhile: claim again
            };
            match self.duplicates {
                DuplicatePolicy::Refuse => {
                    if !payment.refuse_duplicate(tx, &credited).await? {
                        continue; // another delivery decided it meanwhile: replay it
                    }
                    payment.finish(tx).await?;
                    return Ok(Step::Commit(Fulfilment::DuplicatePaymentForOrder { credited, replayed: false }));
                }
                DuplicatePolicy::AskHandler => {
                    if payment.claim(tx, false).await? {
                        claimed = Some(false);
                        break;
                    }
                }
                _ => return Err(Failure::DuplicateHeld { credited }),
            }
        }
        let Some(credits_order) = claimed else {
            return Err(Failure::Busy);
        };
        let decision = handler(tx, subject).await.map_err(handler_failure)?;
        let fulfilment = match decision {
            Decision::Accept => {
                payment.decide(tx, "accepted", None, credits_order).await?;
                Fulfilment::Accepted { replayed: false }
            }
            Decision::Refuse { message } => {
                // Refused: the order may be paid by another payment later.
                payment.decide(tx, "refused", Some(message.clone()), false).await?;
                Fulfilment::Refused { message, replayed: false }
            }
            _ => {
                return Err(Failure::Handler {
                    text: "a decision this ledger does not know".to_string(),
                    retry: false,
                });
            }
        };
        payment.finish(tx).await?;
        Ok(Step::Commit(fulfilment))
    }

    /// Records a held attempt in its own statement (autocommit): the
    /// reconciler reads it in [`Ledger::left_frozen`].
    pub(crate) fn record_failure<'x>(&'x self, key: &'x Key<'x>, reason: &'x HeldReason) -> BoxFuture<'x, ()> {
        Box::pin(async move {
            let Key::Payment { store_id, uuid, invoice_id, .. } = *key else { return };
            failure_row(&self.pool, store_id, uuid, invoice_id, format!("{reason:?}")).await;
        })
    }
}

/// A payment's keys, as an attempt uses them.
pub(crate) struct PaymentKey<'k> {
    pub(crate) store_id: &'k str,
    pub(crate) uuid: &'k str,
    pub(crate) invoice_id: &'k str,
    pub(crate) amount: i64,
    pub(crate) status: &'k PaymentStatus,
}

impl PaymentKey<'_> {
    /// Claims the payment's row (`pending`), or finds it taken (`false`).
    fn claim<'x>(&'x self, tx: &'x mut PgTx, credits_order: bool) -> BoxFuture<'x, Result<bool, sqlx::Error>> {
        Box::pin(async move {
            let row = sqlx::query(
                "INSERT INTO multicard_fulfilments (store_id, payment_uuid, invoice_id, amount, decision, \
                 credits_order) VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT DO NOTHING RETURNING true",
            )
            .bind(self.store_id)
            .bind(self.uuid)
            .bind(self.invoice_id)
            .bind(self.amount)
            .bind(credits_order)
            .fetch_optional(&mut **tx)
            .await?;
            Ok(row.is_some())
        })
    }

    /// The decision stored for this payment, if any.
    fn stored<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<Option<StoredDecision>, Failure>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT decision, message, credited_by FROM multicard_fulfilments \
                 WHERE store_id = $1 AND payment_uuid = $2",
            )
            .bind(self.store_id)
            .bind(self.uuid)
            .fetch_optional(&mut **tx)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let decision: String = row.try_get(0)?;
            stored_decision(&decision, row.try_get(1)?, row.try_get(2)?)
                .map(Some)
                .map_err(|text| Failure::Storage { text, retry: false })
        })
    }

    /// The payment that credited this payment's order, if any.
    fn credited<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<Option<String>, sqlx::Error>> {
        Box::pin(async move {
            sqlx::query_scalar(
                "SELECT payment_uuid FROM multicard_fulfilments WHERE store_id = $1 AND invoice_id = $2 \
                 AND credits_order",
            )
            .bind(self.store_id)
            .bind(self.invoice_id)
            .fetch_optional(&mut **tx)
            .await
        })
    }

    /// Stores this payment as a duplicate of `credited`, or finds its row
    /// taken (`false`).
    fn refuse_duplicate<'x>(&'x self, tx: &'x mut PgTx, credited: &'x str) -> BoxFuture<'x, Result<bool, sqlx::Error>> {
        Box::pin(async move {
            let row = sqlx::query(
                "INSERT INTO multicard_fulfilments (store_id, payment_uuid, invoice_id, amount, decision, \
                 message, credited_by, credits_order) VALUES ($1, $2, $3, $4, 'duplicate', $5, $6, false) \
                 ON CONFLICT DO NOTHING RETURNING true",
            )
            .bind(self.store_id)
            .bind(self.uuid)
            .bind(self.invoice_id)
            .bind(self.amount)
            .bind(DUPLICATE_MESSAGE)
            .bind(credited)
            .fetch_optional(&mut **tx)
            .await?;
            Ok(row.is_some())
        })
    }

    /// Stores the handler's decision on the claimed row.
    fn decide<'x>(
        &'x self,
        tx: &'x mut PgTx,
        decision: &'static str,
        message: Option<String>,
        credits_order: bool,
    ) -> BoxFuture<'x, Result<(), sqlx::Error>> {
        Box::pin(async move {
            sqlx::query(
                "UPDATE multicard_fulfilments SET decision = $3, message = $4, credits_order = $5, \
                 decided_at = now() WHERE store_id = $1 AND payment_uuid = $2",
            )
            .bind(self.store_id)
            .bind(self.uuid)
            .bind(decision)
            .bind(message)
            .bind(credits_order)
            .execute(&mut **tx)
            .await?;
            Ok(())
        })
    }

    /// In the deciding transaction: the status read at confirmation
    /// (forward only), and the payment no longer left frozen.
    fn finish<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<(), sqlx::Error>> {
        Box::pin(async move {
            // One round trip: the failure row goes in a data-modifying CTE.
            if let (Some(rank), Some(status)) = (StatusSeen::rank(self.status), status_text(self.status)) {
                sqlx::query(
                    "WITH decided AS (DELETE FROM multicard_failures WHERE store_id = $1 AND payment_uuid = $2) \
                     INSERT INTO multicard_payment_statuses (store_id, payment_uuid, status, rank, updated_at) \
                     VALUES ($1, $2, $3, $4, now()) ON CONFLICT (store_id, payment_uuid) DO UPDATE \
                     SET status = EXCLUDED.status, rank = EXCLUDED.rank, updated_at = EXCLUDED.updated_at \
                     WHERE multicard_payment_statuses.rank < EXCLUDED.rank",
                )
                .bind(self.store_id)
                .bind(self.uuid)
                .bind(status)
                .bind(i16::from(rank))
                .execute(&mut **tx)
                .await?;
            } else {
                sqlx::query("DELETE FROM multicard_failures WHERE store_id = $1 AND payment_uuid = $2")
                    .bind(self.store_id)
                    .bind(self.uuid)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        })
    }
}
