//! Payment statuses: [`record_status`], forward only.

use multicard_api::escape_controls;
use multicard_api::fulfilment::{LedgerError, StatusChange, StatusSeen};
use multicard_api::types::PaymentStatus;
use sqlx::{PgPool, Row};

use crate::convert::{parse_status, status_text};
use crate::errors::ledger_error;

/// The body of [`Ledger::record_status`](multicard_api::fulfilment::Ledger::record_status)
/// for [`PgLedger`](crate::PgLedger): records `seen` on `pool`.
pub(crate) async fn record_status(pool: &PgPool, seen: &StatusSeen) -> Result<StatusChange, LedgerError> {
    let (Some(rank), Some(status)) = (StatusSeen::rank(&seen.status), status_text(&seen.status)) else {
        return Ok(StatusChange::NotRecorded);
    };
    // One statement: the upsert moves the row only forward (its WHERE
    // reads the latest committed row, locked), and reports what it
    // wrote, what it read before, and whether the payment was credited.
    let row = sqlx::query(
        "WITH prior AS ( \
             SELECT status FROM multicard_payment_statuses WHERE store_id = $1 AND payment_uuid = $2 \
         ), written AS ( \
             INSERT INTO multicard_payment_statuses (store_id, payment_uuid, status, rank, updated_at) \
             VALUES ($1, $2, $3, $4, now()) \
             ON CONFLICT (store_id, payment_uuid) DO UPDATE \
             SET status = EXCLUDED.status, rank = EXCLUDED.rank, updated_at = EXCLUDED.updated_at \
             WHERE multicard_payment_statuses.rank < EXCLUDED.rank \
             RETURNING status \
         ) \
         SELECT (SELECT status FROM written) AS written, (SELECT status FROM prior) AS prior, \
                (SELECT invoice_id FROM multicard_fulfilments WHERE store_id = $1 AND payment_uuid = $2 \
                 AND decision = 'accepted') AS credited_invoice",
    )
    .bind(&seen.store_id)
    .bind(&seen.uuid)
    .bind(&status)
    .bind(i16::from(rank))
    .fetch_one(pool)
    .await
    .map_err(ledger_error)?;
    let written: Option<String> = row.try_get(0).map_err(ledger_error)?;
    let prior: Option<String> = row.try_get(1).map_err(ledger_error)?;
    let credited_invoice: Option<String> = row.try_get(2).map_err(ledger_error)?;
    if written.is_none() {
        return Ok(match prior {
            Some(prior) if prior == status => StatusChange::Unchanged,
            Some(prior) => StatusChange::Stale { recorded: parse_status(prior) },
            // Another writer recorded a status at or past this one
            // between this statement's snapshot and its upsert.
            None => StatusChange::Stale { recorded: seen.status.clone() },
        });
    }
    if seen.status == PaymentStatus::Revert
        && let Some(invoice_id) = credited_invoice
    {
        tracing::error!(
            target: "multicard::fulfilment",
            store_id = %escape_controls(&seen.store_id),
            uuid = %escape_controls(&seen.uuid),
            invoice_id = %escape_controls(&invoice_id),
            "a payment was reverted after its order was credited"
        );
        return Ok(StatusChange::RevertedAfterFulfilment { invoice_id });
    }
    Ok(StatusChange::Advanced { from: prior.map(parse_status) })
}
