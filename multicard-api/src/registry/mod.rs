//! Registry reads: every row of a store's payments (`list_payments`) or
//! payouts (`list_payouts`) over a closed window, as a [`Stream`] that
//! holds one page at a time.
//!
//! The registry pages by `offset` and `limit`. A read here:
//!
//! - requests page after page until the offset reaches `pagination.total`,
//!   [`RegistryQuery::page_size`] rows each (1 to [`MAX_PAGE_SIZE`]);
//! - refuses a window whose end is not in the past (by the client's clock)
//!   before sending anything: rows still arriving would shift the pages
//!   ([`RegistryWindow::until_a_minute_ago`] closes one);
//! - leaves out a row whose id (`uuid`) a page before had (rows that arrive
//!   during the read push the tail of a page onto the next), remembering
//!   only the last [`DEDUP_PAGES`] pages' ids;
//! - warns (`tracing`, target `multicard::registry`) and notes in its
//!   [`RegistryReport`] when a listing's `pagination.total` changes;
//! - ends a listing on a page with no rows, even below the total (noted in
//!   [`RegistryReport::cut_short`]);
//! - hands out an error as its last item; [`RegistryReport::position`]
//!   names the page that failed, to resume with
//!   [`RegistryQuery::resume_from`].
//!
//! `list_payouts` requires `only_status`: without
//! [`RegistryQuery::only_status`], a payout read walks the listings of
//! [`PAYOUT_STATUS_WALK`] one after another.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use multicard_api::registry::{RegistryQuery, RegistryWindow};
//!
//! # async fn run(multicard: multicard_api::Multicard) -> Result<(), multicard_api::Error> {
//! let start = "2025-03-01 00:00:00".parse().expect("a timestamp");
//! let query = RegistryQuery::new("6", RegistryWindow::until_a_minute_ago(start));
//! let mut rows = multicard.payment_registry(query);
//! while let Some(row) = rows.next().await {
//!     let row = row?;
//!     println!("{} {} {}", row.item.uuid, row.item.status, row.item.payment_amount);
//! }
//! if rows.report().total_changed() {
//!     eprintln!("rows arrived during the read: {:?}", rows.report().total_changes);
//! }
//! # Ok(()) }
//! ```
//!
//! [`Stream`]: futures_util::Stream

mod query;
mod report;
mod walk;

pub use query::{CLOSING_MARGIN, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RegistryPosition, RegistryQuery, RegistryWindow};
pub use report::{KEPT_TOTAL_CHANGES, RegistryReport, RegistryRow, RegistryStream, TotalChange};
pub use walk::DEDUP_PAGES;

use crate::multicard::Multicard;
use crate::types::{PaymentRegistryListItem, PaymentStatus, PayoutRegistryListItem};

/// The listings a payout read walks when it names no status: the documented
/// values of `PaymentStatus` (the payout's `status` in the spec), those a
/// payout passes through first, so that one that moves during the read
/// goes on to a listing not read yet: `draft`, `progress`, `billing`,
/// `hold`, `success`, `revert`, `error`. A payout that moves still appears
/// in two listings or (moving backwards) in none; each row names its
/// listing. A status Multicard adds later is not walked: read it with
/// [`RegistryQuery::only_status`].
pub const PAYOUT_STATUS_WALK: &[PaymentStatus] = &[
    PaymentStatus::Draft,
    PaymentStatus::Progress,
    PaymentStatus::Billing,
    PaymentStatus::Hold,
    PaymentStatus::Success,
    PaymentStatus::Revert,
    PaymentStatus::Error,
];

impl Multicard {
    /// Every row of the payment registry (`list_payments`) over the query's
    /// window, page by page (see [`registry`](crate::registry)). A query
    /// that cannot be sent (a page size out of range, a window whose end is
    /// not in the past) is the stream's one item,
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) naming the
    /// parameter, and nothing is sent.
    pub fn payment_registry(&self, query: RegistryQuery) -> RegistryStream<PaymentRegistryListItem> {
        self.payment_registry_at(query, self.clock.now_utc())
    }

    /// [`Multicard::payment_registry`], its window's end checked against
    /// `now` (Multicard's clock, for `lost_create.rs`).
    pub(crate) fn payment_registry_at(
        &self,
        query: RegistryQuery,
        now: chrono::DateTime<chrono::Utc>,
    ) -> RegistryStream<PaymentRegistryListItem> {
        let checked = query::check("list_payments", &query, &[None], now);
        walk::stream(self, "list_payments", checked, walk::fetch_payments)
    }

    /// Every row of the payout registry (`list_payouts`) over the query's
    /// window: the listing of [`RegistryQuery::only_status`], or else each
    /// of [`PAYOUT_STATUS_WALK`] in turn. Otherwise as
    /// [`Multicard::payment_registry`].
    pub fn payout_registry(&self, query: RegistryQuery) -> RegistryStream<PayoutRegistryListItem> {
        self.payout_registry_at(query, self.clock.now_utc())
    }

    /// [`Multicard::payout_registry`], its window's end checked against
    /// `now` (Multicard's clock, for `lost_create.rs`).
    pub(crate) fn payout_registry_at(
        &self,
        query: RegistryQuery,
        now: chrono::DateTime<chrono::Utc>,
    ) -> RegistryStream<PayoutRegistryListItem> {
        let walk: Vec<Option<PaymentStatus>> = PAYOUT_STATUS_WALK.iter().cloned().map(Some).collect();
        let checked = query::check("list_payouts", &query, &walk, now);
        walk::stream(self, "list_payouts", checked, walk::fetch_payouts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payout_walk_reads_every_documented_status_once() {
        let mut walk: Vec<&str> = PAYOUT_STATUS_WALK.iter().map(PaymentStatus::as_str).collect();
        let mut known: Vec<&str> = PaymentStatus::KNOWN.iter().map(PaymentStatus::as_str).collect();
        walk.sort_unstable();
        known.sort_unstable();
        assert_eq!(walk, known);
    }
}
