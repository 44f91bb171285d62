//! A card binding's attempt: the payment's flow keyed by
//! `(application_id, payer_id, card_token)`, with no order.

use multicard_api::fulfilment::{Decision, Fulfilment, HandlerFuture, StoredDecision, Subject};
use sqlx::Row;

use crate::PgTx;
use crate::convert::stored_decision;
use crate::errors::{Failure, handler_failure};
use crate::transaction::{BoxFuture, Step};

/// A card binding's keys.
pub(crate) struct BindingKey<'k> {
    pub(crate) application_id: &'k str,
    pub(crate) payer_id: &'k str,
    pub(crate) card_token: &'k str,
}

impl BindingKey<'_> {
    fn claim<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<bool, sqlx::Error>> {
        Box::pin(async move {
            let row = sqlx::query(
                "INSERT INTO multicard_card_bindings (application_id, payer_id, card_token, decision) \
                 VALUES ($1, $2, $3, 'pending') ON CONFLICT DO NOTHING RETURNING true",
            )
            .bind(self.application_id)
            .bind(self.payer_id)
            .bind(self.card_token)
            .fetch_optional(&mut **tx)
            .await?;
            Ok(row.is_some())
        })
    }

    fn stored<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<Option<StoredDecision>, Failure>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT decision, message FROM multicard_card_bindings WHERE application_id = $1 \
                 AND payer_id = $2 AND card_token = $3",
            )
            .bind(self.application_id)
            .bind(self.payer_id)
            .bind(self.card_token)
            .fetch_optional(&mut **tx)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let decision: String = row.try_get(0)?;
            stored_decision(&decision, row.try_get(1)?, None)
                .map(Some)
                .map_err(|text| Failure::Storage { text, retry: false })
        })
    }

    fn decide<'x>(
        &'x self,
        tx: &'x mut PgTx,
        decision: &'static str,
        message: Option<String>,
    ) -> BoxFuture<'x, Result<(), sqlx::Error>> {
        Box::pin(async move {
            sqlx::query(
                "UPDATE multicard_card_bindings SET decision = $4, message = $5, decided_at = now() \
                 WHERE application_id = $1 AND payer_id = $2 AND card_token = $3",
            )
            .bind(self.application_id)
            .bind(self.payer_id)
            .bind(self.card_token)
            .bind(decision)
            .bind(message)
            .execute(&mut **tx)
            .await?;
            Ok(())
        })
    }
}

/// A card binding's attempt: the same flow, keyed by
/// `(application_id, payer_id, card_token)`, with no order.
pub(crate) async fn binding_attempt<S, H>(
    tx: &mut PgTx,
    binding: &BindingKey<'_>,
    subject: &S,
    handler: &mut H,
) -> Result<Step, Failure>
where
    S: Subject,
    H: for<'t> FnMut(&'t mut PgTx, &'t S) -> HandlerFuture<'t> + Send,
{
    if !binding.claim(tx).await? {
        return match binding.stored(tx).await? {
            Some(stored) => Ok(Step::Replay(stored.replay())),
            None => Err(Failure::Busy), // it went between the claim and the read
        };
    }
    let decision = handler(tx, subject).await.map_err(handler_failure)?;
    let fulfilment = match decision {
        Decision::Accept => {
            binding.decide(tx, "accepted", None).await?;
            Fulfilment::Accepted { replayed: false }
        }
        Decision::Refuse { message } => {
            binding.decide(tx, "refused", Some(message.clone())).await?;
            Fulfilment::Refused { message, replayed: false }
        }
        _ => return Err(Failure::Handler { text: "a decision this ledger does not know".to_string(), retry: false }),
    };
    Ok(Step::Commit(fulfilment))
}
