//! One attempt: a fresh transaction, the payment's or the card binding's
//! flow, then a commit (decided now) or a rollback (a replay, or a failure).

use multicard_api::fulfilment::{Fulfilment, HandlerFuture, Key, Subject};

use crate::binding::{BindingKey, binding_attempt};
use crate::errors::Failure;
use crate::payment::PaymentKey;
use crate::transaction::{Step, commit, rollback};
use crate::{PgLedger, PgTx};

impl PgLedger {
    /// One attempt on a fresh transaction.
    pub(crate) async fn attempt<S, H>(&self, key: &Key<'_>, subject: &S, handler: &mut H) -> Result<Fulfilment, Failure>
    where
        S: Subject,
        H: for<'t> FnMut(&'t mut PgTx, &'t S) -> HandlerFuture<'t> + Send,
    {
        let mut tx = self.begin().await?;
        let step = match *key {
            Key::Payment { store_id, uuid, invoice_id, amount, status } => {
                let payment = PaymentKey { store_id, uuid, invoice_id, amount, status };
                self.payment_attempt(&mut tx, &payment, subject, handler).await
            }
            Key::CardBinding { application_id, payer_id, card_token } => {
                let binding = BindingKey { application_id, payer_id, card_token };
                binding_attempt(&mut tx, &binding, subject, handler).await
            }
            _ => Err(Failure::Storage { text: "a subject this ledger does not know".to_string(), retry: false }),
        };
        match step {
            Ok(Step::Commit(fulfilment)) => {
                commit(tx).await?;
                Ok(fulfilment)
            }
            Ok(Step::Replay(fulfilment)) => {
                rollback(tx).await;
                Ok(fulfilment)
            }
            Err(failure) => {
                rollback(tx).await;
                Err(failure)
            }
        }
    }
}
