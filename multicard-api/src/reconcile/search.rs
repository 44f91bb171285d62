//! The one registry search a sweep needs: the payments of one order
//! (`store_invoice_id`) in a store's payment registry over a window.
//!
//! Page by page through `list_payments` (offset and limit, the window in
//! GMT+5 text). Not the registry stream ([`crate::registry`]): that one
//! reads only windows closed a minute before now (an export must not miss
//! rows still arriving), while a sweep looks for an order up to the
//! sweep's own `now` (the sandbox's, in tests) and judges what it does not
//! find with the reconciler's registry grace.

use super::pending::Window;
use crate::error::Error;
use crate::multicard::Multicard;
use crate::time::MulticardDateTime;
use crate::types::PaymentStatus;

/// Rows asked for per page.
const PAGE: i64 = 100;

/// The most pages read for one search (`PAGE` rows each). A window with
/// more payments than this is not read to its end: the search fails (the
/// item stays open, read again by the next sweep), never "nothing found",
/// which could call a paid order expired or unknown.
const MAX_PAGES: i64 = 500;

/// A payment of the order, as its registry row names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) uuid: String,
    pub(crate) status: PaymentStatus,
}

/// The payments of order `invoice_id` of store `store_id` listed in the
/// registry over `window`, in the registry's order; an error when the
/// window holds more rows than the search reads.
pub(crate) async fn payments_of_order(
    multicard: &Multicard,
    store_id: &str,
    invoice_id: &str,
    window: &Window,
) -> Result<Vec<Found>, Error> {
    let start = MulticardDateTime::from_utc(window.from).to_string();
    let end = MulticardDateTime::from_utc(window.to).to_string();
    let mut found = Vec::new();
    let mut offset = 0i64;
    for _ in 0..MAX_PAGES {
        let page = multicard
            .send(|api| {
                api.list_payments()
                    .store_id(store_id)
                    .offset(offset)
                    .limit(PAGE)
                    .start_date(start.as_str())
                    .end_date(end.as_str())
            })
            .await?;
        let rows = page.list.len() as i64;
        found.extend(
            page.list
                .into_iter()
                .filter(|row| row.store_invoice_id.as_deref() == Some(invoice_id))
                .map(|row| Found { uuid: row.uuid, status: row.status }),
        );
        offset += rows;
        if rows == 0 || offset >= page.pagination.total {
            return Ok(found);
        }
    }
    // A paid payment found is the one a sweep judges first: enough to go on.
    if found.iter().any(|row| row.status == PaymentStatus::Success) {
        return Ok(found);
    }
    Err(Error::InvalidRequest {
        operation: "list_payments",
        message: format!(
            "the registry search for an order read {MAX_PAGES} pages of {PAGE} and did not reach the end of the \
             window: not found is not known; narrow the window (the order's creation time)"
        ),
    })
}
