//! The read itself: page after page of each listing, rows handed out one
//! at a time, duplicates across page boundaries left out, changes of the
//! total noticed. One page (and the ids of the last [`DEDUP_PAGES`]) in
//! memory at a time.

use std::collections::{HashSet, VecDeque};

use futures_util::future::BoxFuture;
use futures_util::{StreamExt, stream};

use super::query::{Checked, RegistryPosition};
use super::report::{KEPT_TOTAL_CHANGES, RegistryRow, RegistryStream, SharedReport, TotalChange};
use crate::error::Error;
use crate::multicard::Multicard;
use crate::types::{PaymentRegistry, PaymentStatus, PayoutRegistry};

/// How many pages back a row's id is remembered to leave out duplicates:
/// rows that arrive during a read push the tail of one page onto the next
/// (more than this many pages of arrivals between two requests, and a
/// duplicate can pass).
pub const DEDUP_PAGES: usize = 2;

/// One page of a registry answer.
pub(crate) trait Page: Send + 'static {
    /// A row.
    type Row: Send + 'static;
    /// `pagination.total`.
    fn total(&self) -> i64;
    /// The rows, in order.
    fn into_rows(self) -> Vec<Self::Row>;
    /// What identifies a row: its `uuid`, which every row carries (`id`
    /// is optional in the spec).
    fn key(row: &Self::Row) -> &str;
}

impl Page for PaymentRegistry {
    type Row = crate::types::PaymentRegistryListItem;
    fn total(&self) -> i64 {
        self.pagination.total
    }
    fn into_rows(self) -> Vec<Self::Row> {
        self.list
    }
    fn key(row: &Self::Row) -> &str {
        &row.uuid
    }
}

impl Page for PayoutRegistry {
    type Row = crate::types::PayoutRegistryListItem;
    fn total(&self) -> i64 {
        self.pagination.total
    }
    fn into_rows(self) -> Vec<Self::Row> {
        self.list
    }
    fn key(row: &Self::Row) -> &str {
        &row.uuid
    }
}

/// Requests one page: the listing's status and the offset.
pub(crate) type Fetch<P> =
    for<'a> fn(&'a Multicard, &'a Checked, Option<&'a PaymentStatus>, i64) -> BoxFuture<'a, Result<P, Error>>;

/// `list_payments`, one page.
pub(crate) fn fetch_payments<'a>(
    multicard: &'a Multicard,
    query: &'a Checked,
    status: Option<&'a PaymentStatus>,
    offset: i64,
) -> BoxFuture<'a, Result<PaymentRegistry, Error>> {
    Box::pin(multicard.send(move |api| {
        let request = api
            .list_payments()
            .store_id(query.store_id.as_str())
            .start_date(query.start_date.as_str())
            .end_date(query.end_date.as_str())
            .offset(offset)
            .limit(query.limit);
        match status {
            Some(status) => request.only_status(status.clone()),
            None => request,
        }
    }))
}

/// `list_payouts`, one page (its `only_status` is required).
pub(crate) fn fetch_payouts<'a>(
    multicard: &'a Multicard,
    query: &'a Checked,
    status: Option<&'a PaymentStatus>,
    offset: i64,
) -> BoxFuture<'a, Result<PayoutRegistry, Error>> {
    Box::pin(multicard.send(move |api| {
        api.list_payouts()
            .store_id(query.store_id.as_str())
            .start_date(query.start_date.as_str())
            .end_date(query.end_date.as_str())
            .offset(offset)
            .limit(query.limit)
            .only_status(status.map_or("", |s| s.as_str()))
    }))
}

/// The listing being read.
struct Listing {
    status: Option<PaymentStatus>,
    offset: u64,
    total: Option<i64>,
    finished: bool,
}

struct Walk<P: Page> {
    multicard: Multicard,
    operation: &'static str,
    query: Checked,
    listings: VecDeque<Option<PaymentStatus>>,
    current: Option<Listing>,
    /// The next listing's first offset (a resume position's, then 0).
    next_offset: u64,
    /// The rows of the page read last, not handed out yet.
    buffer: VecDeque<RegistryRow<P::Row>>,
    /// The ids of the last [`DEDUP_PAGES`] pages of the current listing.
    recent: VecDeque<HashSet<String>>,
    report: SharedReport,
    fetch: Fetch<P>,
    done: bool,
}

/// A stream over every page of `query`'s listings. A query that `check`
/// refused yields its error and nothing is sent.
pub(crate) fn stream<P: Page>(
    multicard: &Multicard,
    operation: &'static str,
    checked: Result<Checked, Error>,
    fetch: Fetch<P>,
) -> RegistryStream<P::Row> {
    let report = SharedReport::default();
    let query = match checked {
        Ok(query) => query,
        Err(error) => return RegistryStream::new(stream::once(async { Err(error) }).boxed(), report),
    };
    let first = query.listings.first().cloned().flatten();
    report.lock().position = RegistryPosition::new(first, query.first_offset);
    let walk = Walk::<P> {
        multicard: multicard.clone(),
        operation,
        listings: query.listings.iter().cloned().collect(),
        next_offset: query.first_offset,
        query,
        current: None,
        buffer: VecDeque::new(),
        recent: VecDeque::with_capacity(DEDUP_PAGES + 1),
        report: report.clone(),
        fetch,
        done: false,
    };
    let rows = stream::unfold(walk, |mut walk| async move {
        let item = walk.next().await?;
        Some((item, walk))
    });
    RegistryStream::new(rows.boxed(), report)
}

impl<P: Page> Walk<P> {
    /// The next row, an error (the last item), or the end.
    async fn next(&mut self) -> Option<Result<RegistryRow<P::Row>, Error>> {
        loop {
            if let Some(row) = self.buffer.pop_front() {
                self.report.lock().rows += 1;
                return Some(Ok(row));
            }
            if self.done {
                return None;
            }
            if self.current.as_ref().is_none_or(|listing| listing.finished) {
                match self.listings.pop_front() {
                    Some(status) => {
                        self.recent.clear();
                        let offset = std::mem::take(&mut self.next_offset);
                        let mut report = self.report.lock();
                        report.position = RegistryPosition::new(status.clone(), offset);
                        report.total = None;
                        drop(report);
                        self.current = Some(Listing { status, offset, total: None, finished: false });
                    }
                    None => {
                        self.done = true;
                        self.report.lock().complete = true;
                        return None;
                    }
                }
            }
            let listing = self.current.as_mut()?;
            let offset = listing.offset;
            {
                let mut report = self.report.lock();
                report.requests += 1;
                report.position = RegistryPosition::new(listing.status.clone(), offset);
            }
            // `check` refused offsets beyond i64; a listing's offset grows
            // by rows received, far from it.
            let sent = i64::try_from(offset).unwrap_or(i64::MAX);
            let page = match (self.fetch)(&self.multicard, &self.query, listing.status.as_ref(), sent).await {
                Ok(page) => page,
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            };
            let total = page.total();
            if let Some(before) = listing.total.filter(|before| *before != total) {
                tracing::warn!(
                    target: "multicard::registry",
                    operation = self.operation,
                    only_status = listing.status.as_ref().map(|s| s.as_str()),
                    offset,
                    before,
                    after = total,
                    "the registry's total changed during the read: rows were added or removed in the window"
                );
                let mut report = self.report.lock();
                report.total_change_count += 1;
                if report.total_changes.len() < KEPT_TOTAL_CHANGES {
                    report.total_changes.push(TotalChange {
                        status: listing.status.clone(),
                        offset,
                        before,
                        after: total,
                    });
                }
            }
            listing.total = Some(total);
            self.report.lock().total = Some(total);
            let rows = page.into_rows();
            if rows.is_empty() {
                listing.finished = true;
                if i64::try_from(offset).is_ok_and(|o| o < total) {
                    tracing::warn!(
                        target: "multicard::registry",
                        operation = self.operation,
                        only_status = listing.status.as_ref().map(|s| s.as_str()),
                        offset,
                        total,
                        "a registry page had no rows below the total: the listing ends here"
                    );
                    self.report.lock().cut_short.push(RegistryPosition::new(listing.status.clone(), offset));
                }
                continue;
            }
            let received = rows.len() as u64;
            listing.offset = offset.saturating_add(received);
            listing.finished = i64::try_from(listing.offset).map_or(true, |o| o >= total);
            let mut ids = HashSet::with_capacity(rows.len());
            let mut duplicates = 0;
            for (index, item) in rows.into_iter().enumerate() {
                let key = P::key(&item);
                if self.recent.iter().any(|page| page.contains(key)) || !ids.insert(key.to_owned()) {
                    duplicates += 1;
                    continue;
                }
                self.buffer.push_back(RegistryRow {
                    item,
                    status: listing.status.clone(),
                    offset: offset + index as u64,
                });
            }
            if self.recent.len() == DEDUP_PAGES {
                self.recent.pop_front();
            }
            self.recent.push_back(ids);
            let mut report = self.report.lock();
            report.duplicates += duplicates;
            report.position = RegistryPosition::new(listing.status.clone(), listing.offset);
        }
    }
}
