//! Which rows of the window are the lost create: those whose
//! `store_invoice_id` is the invoice id, exactly, each uuid once; and what
//! they come to.

use futures_util::StreamExt;

use super::{CreatedRow, Found, Searched};
use crate::error::Error;
use crate::registry::{RegistryReport, RegistryRow, RegistryStream};

/// Reads `stream` to its end, keeping the rows whose `store_invoice_id` is
/// `invoice_id` (one per uuid: a later listing's copy replaces an
/// earlier one's), and the read's report. A failed request is the error.
pub(super) async fn collect<T>(
    mut stream: RegistryStream<T>,
    invoice_id: &str,
    made: impl Fn(RegistryRow<T>) -> CreatedRow,
) -> Result<(Vec<CreatedRow>, RegistryReport), Error> {
    let mut rows: Vec<CreatedRow> = Vec::new();
    while let Some(row) = stream.next().await {
        let row = made(row?);
        if row.store_invoice_id() != Some(invoice_id) {
            continue;
        }
        match rows.iter_mut().find(|kept| kept.uuid() == row.uuid()) {
            Some(kept) => *kept = row,
            None => rows.push(row),
        }
    }
    Ok((rows, stream.report()))
}

/// What the matching `rows` come to: none is `NotFound`, several are
/// `Ambiguous`, one is `Created` (or `AmountMismatch` when `amount` was
/// given and differs).
pub(super) fn verdict(mut rows: Vec<CreatedRow>, amount: Option<i64>, searched: Searched) -> Found {
    match rows.len() {
        0 => Found::NotFound { searched },
        1 => {
            let row = rows.remove(0);
            match amount {
                Some(expected) if row.payment_amount() != expected => Found::AmountMismatch { row, expected, searched },
                _ => Found::Created { row, searched },
            }
        }
        _ => Found::Ambiguous { rows, searched },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::registry::RegistryWindow;
    use crate::server_time::ClockOffset;

    fn row(uuid: &str, amount: i64) -> CreatedRow {
        let item = serde_json::from_value(
            json!({"uuid": uuid, "payment_amount": amount, "status": "success", "store_invoice_id": "order-1"}),
        )
        .unwrap();
        CreatedRow::Payment(Box::new(item))
    }

    fn searched() -> Searched {
        let at = "2025-03-07 12:00:00".parse().unwrap();
        Searched {
            window: RegistryWindow::new(at, at),
            offset: ClockOffset::UNOBSERVED,
            read_at: at,
            matches: 0,
            report: RegistryReport::default(),
        }
    }

    #[test]
    fn the_amount_turns_a_match_into_a_mismatch_never_into_not_found() {
        let one = verdict(vec![row("a", 100)], Some(100), searched());
        assert_eq!(one.created().map(CreatedRow::uuid), Some("a"));
        assert!(matches!(verdict(vec![row("a", 100)], None, searched()), Found::Created { .. }));
        let other = verdict(vec![row("a", 100)], Some(200), searched());
        assert!(matches!(other, Found::AmountMismatch { expected: 200, .. }), "{other:?}");
        let two = verdict(vec![row("a", 100), row("b", 200)], Some(100), searched());
        assert!(matches!(&two, Found::Ambiguous { rows, .. } if rows.len() == 2), "{two:?}");
        assert!(matches!(verdict(Vec::new(), Some(100), searched()), Found::NotFound { .. }));
    }
}
