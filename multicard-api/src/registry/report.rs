//! What a registry read hands out: its rows, and a report of how the read
//! went that the caller can look at during and after it.

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_util::Stream;
use futures_util::stream::BoxStream;

use super::query::RegistryPosition;
use crate::error::Error;
use crate::types::PaymentStatus;

/// How many [`TotalChange`]s a report keeps (the first ones); the count
/// goes on.
pub const KEPT_TOTAL_CHANGES: usize = 16;

/// One row of a registry, with where it was read.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RegistryRow<T> {
    /// The row as Multicard sent it.
    pub item: T,
    /// The listing's `only_status` (`None`: no filter).
    pub status: Option<PaymentStatus>,
    /// Its offset in that listing when it was read.
    pub offset: u64,
}

impl<T> RegistryRow<T> {
    /// The row, without where it was read.
    pub fn into_item(self) -> T {
        self.item
    }
}

/// `pagination.total` of a listing changed between two of its pages: rows
/// were added to or removed from the window during the read, so offsets
/// shifted (duplicates are removed, see [`RegistryReport::duplicates`]; a
/// row removed may have been skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TotalChange {
    /// The listing's `only_status`.
    pub status: Option<PaymentStatus>,
    /// The offset of the page that showed the new total.
    pub offset: u64,
    /// The total before.
    pub before: i64,
    /// The total after.
    pub after: i64,
}

/// How a registry read went, so far or to its end.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RegistryReport {
    /// Pages requested (each one call of `list_payments` or
    /// `list_payouts`; retries of a call count once).
    pub requests: u64,
    /// Rows handed out.
    pub rows: u64,
    /// Rows left out because a page before had them already (offset
    /// pagination shifts when rows arrive during the read).
    pub duplicates: u64,
    /// How many times a listing's `pagination.total` changed.
    pub total_change_count: u64,
    /// The first [`KEPT_TOTAL_CHANGES`] of those changes.
    pub total_changes: Vec<TotalChange>,
    /// Listings that ended on a page with no rows while their offset was
    /// below their total (rows removed during the read, or a server that
    /// stops early): where each stopped.
    pub cut_short: Vec<RegistryPosition>,
    /// Where the read stands: the next page to request. After an error,
    /// the page that failed: resume there with
    /// [`RegistryQuery::resume_from`](super::RegistryQuery::resume_from).
    pub position: RegistryPosition,
    /// The latest `pagination.total` of the listing being read (`None`
    /// before its first page).
    pub total: Option<i64>,
    /// The read reached its end without an error.
    pub complete: bool,
}

impl RegistryReport {
    /// Whether any listing's total changed during the read.
    pub fn total_changed(&self) -> bool {
        self.total_change_count > 0
    }
}

/// The report shared by a stream and the walk behind it.
#[derive(Debug, Default, Clone)]
pub(crate) struct SharedReport(Arc<Mutex<RegistryReport>>);

impl SharedReport {
    pub fn lock(&self) -> MutexGuard<'_, RegistryReport> {
        // Nothing panics while holding it; a poisoned lock still holds a
        // consistent report.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The rows of a registry read, one page in memory at a time: a
/// [`Stream`] of [`RegistryRow`]s or one [`Error`], after which it ends.
/// [`RegistryStream::report`] says how the read went.
pub struct RegistryStream<T> {
    inner: BoxStream<'static, Result<RegistryRow<T>, Error>>,
    report: SharedReport,
}

impl<T> RegistryStream<T> {
    pub(crate) fn new(inner: BoxStream<'static, Result<RegistryRow<T>, Error>>, report: SharedReport) -> Self {
        Self { inner, report }
    }

    /// How the read went so far: pages, rows, duplicates left out, total
    /// changes, where it stands. Once the stream has ended, its whole story.
    pub fn report(&self) -> RegistryReport {
        self.report.lock().clone()
    }
}

impl<T> fmt::Debug for RegistryStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryStream").field("report", &*self.report.lock()).finish_non_exhaustive()
    }
}

impl<T> Stream for RegistryStream<T> {
    type Item = Result<RegistryRow<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}
