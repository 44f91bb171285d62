//! The outbox: effects that are not database writes, queued in the
//! handler's transaction ([`PgLedger::push_outbox`]).

use multicard_api::fulfilment::LedgerError;

use crate::errors::ledger_error;
use crate::{PgLedger, PgTx};

impl PgLedger {
    /// Queues an effect that is not a database write (a mail, an HTTP call,
    /// a message to publish) in `multicard_outbox`, **in the handler's
    /// transaction**: it exists if, and only if, the decision commits. A
    /// worker of yours sends the unsent rows (`sent_at IS NULL`, in `id`
    /// order) and sets `sent_at`. This is the place for such effects: the
    /// handler may run more than once for one delivery (a serialization
    /// retry), and a rolled-back attempt must leave nothing behind. Returns
    /// the row's id.
    pub async fn push_outbox(tx: &mut PgTx, topic: &str, payload: &serde_json::Value) -> Result<i64, LedgerError> {
        let payload = serde_json::to_string(payload).map_err(|error| LedgerError::Storage(error.to_string()))?;
        sqlx::query_scalar("INSERT INTO multicard_outbox (topic, payload) VALUES ($1, $2::text::jsonb) RETURNING id")
            .bind(topic)
            .bind(payload)
            .fetch_one(&mut **tx)
            .await
            .map_err(ledger_error)
    }
}
