//! What a registry read asks for: the window, the page size, the status
//! filter and where to start; checked before anything is sent.

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::Error;
use crate::time::MulticardDateTime;
use crate::types::PaymentStatus;

/// The page size when the query names none.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// The largest page size a query may ask for (the sandbox's limit; the
/// vendor documents none).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// How far before now [`RegistryWindow::until_a_minute_ago`] closes a
/// window: rows still being written at its end have had time to land.
pub const CLOSING_MARGIN: TimeDelta = TimeDelta::minutes(1);

/// A closed window of time, in Multicard's clock (GMT+5), both ends
/// included, sent as `start_date` and `end_date` (`YYYY-MM-DD HH:MM:SS`).
///
/// A registry read refuses a window whose end is not in the past: rows
/// still arriving would shift its pages and be missed. Close it with
/// [`RegistryWindow::until_a_minute_ago`] to read up to (about) now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryWindow {
    /// The first instant read (`start_date`).
    pub start: MulticardDateTime,
    /// The last instant read (`end_date`); it must be in the past.
    pub end: MulticardDateTime,
}

impl RegistryWindow {
    /// The window from `start` to `end`. It is checked when the read starts
    /// (`start` not after `end`, `end` in the past).
    pub fn new(start: MulticardDateTime, end: MulticardDateTime) -> Self {
        Self { start, end }
    }

    /// The window from `start` to one minute ([`CLOSING_MARGIN`]) before
    /// now, by the system clock.
    pub fn until_a_minute_ago(start: MulticardDateTime) -> Self {
        Self::closed_before(start, Utc::now())
    }

    /// The window from `start` to [`CLOSING_MARGIN`] before `now`.
    pub fn closed_before(start: MulticardDateTime, now: DateTime<Utc>) -> Self {
        Self { start, end: MulticardDateTime::from_utc(now - CLOSING_MARGIN) }
    }
}

/// Where a registry read stands: the status filter of the listing it reads
/// (`None`: no filter) and the offset of its next unread row. A read that
/// failed resumes here with [`RegistryQuery::resume_from`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RegistryPosition {
    /// The listing's `only_status`.
    pub status: Option<PaymentStatus>,
    /// The `offset` of the next page in that listing.
    pub offset: u64,
}

impl RegistryPosition {
    /// The position `offset` in the listing filtered by `status`.
    pub fn new(status: Option<PaymentStatus>, offset: u64) -> Self {
        Self { status, offset }
    }
}

/// A registry read: the store, the window, and optionally the page size,
/// one status and where to start.
///
/// ```
/// use multicard_api::registry::{RegistryQuery, RegistryWindow};
/// let start = "2025-03-01 00:00:00".parse().unwrap();
/// let end = "2025-03-02 00:00:00".parse().unwrap();
/// let query = RegistryQuery::new("6", RegistryWindow::new(start, end)).page_size(500);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryQuery {
    /// The store (`store_id`).
    pub store_id: String,
    /// The window.
    pub window: RegistryWindow,
    /// Rows per request (`limit`), 1 to [`MAX_PAGE_SIZE`].
    pub page_size: u32,
    /// Only rows of this status (`only_status`). Payouts: without it, every
    /// documented status is read in turn (see
    /// [`PAYOUT_STATUS_WALK`](super::PAYOUT_STATUS_WALK)).
    pub only_status: Option<PaymentStatus>,
    /// Where to start: a listing and an offset in it (default: the first
    /// listing, offset 0).
    pub resume_from: Option<RegistryPosition>,
}

impl RegistryQuery {
    /// A read of `store_id`'s registry over `window`, [`DEFAULT_PAGE_SIZE`]
    /// rows per request.
    pub fn new(store_id: impl Into<String>, window: RegistryWindow) -> Self {
        Self { store_id: store_id.into(), window, page_size: DEFAULT_PAGE_SIZE, only_status: None, resume_from: None }
    }

    /// Rows per request (`limit`), 1 to [`MAX_PAGE_SIZE`]; checked when
    /// the read starts.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Only rows of `status`.
    pub fn only_status(mut self, status: PaymentStatus) -> Self {
        self.only_status = Some(status);
        self
    }

    /// Start at `position` (from a [`RegistryReport`](super::RegistryReport)
    /// of an earlier read) instead of the beginning.
    pub fn resume_from(mut self, position: RegistryPosition) -> Self {
        self.resume_from = Some(position);
        self
    }
}

/// A query checked against `now`: the text of its window, its limit, the
/// listings to read (from the resume position on) and the first offset.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub store_id: String,
    pub start_date: String,
    pub end_date: String,
    pub limit: i64,
    pub listings: Vec<Option<PaymentStatus>>,
    pub first_offset: u64,
}

fn invalid(operation: &'static str, message: String) -> Error {
    Error::InvalidRequest { operation, message }
}

/// Checks `query` for `operation` before anything is sent; `walk` is the
/// listings read when the query names no status.
pub(crate) fn check(
    operation: &'static str,
    query: &RegistryQuery,
    walk: &[Option<PaymentStatus>],
    now: DateTime<Utc>,
) -> Result<Checked, Error> {
    if query.page_size == 0 || query.page_size > MAX_PAGE_SIZE {
        return Err(invalid(
            operation,
            format!("page size (`limit`) {} is out of range: it must be 1 to {MAX_PAGE_SIZE}", query.page_size),
        ));
    }
    if query.store_id.trim().is_empty() {
        return Err(invalid(operation, "`store_id` is empty".into()));
    }
    let RegistryWindow { start, end } = query.window;
    if start > end {
        return Err(invalid(operation, format!("the window's `start_date` {start} is after its `end_date` {end}")));
    }
    let now_there = MulticardDateTime::from_utc(now);
    if end.to_utc() >= now {
        return Err(invalid(
            operation,
            format!(
                "the window's `end_date` {end} (GMT+5) is not in the past (now {now_there}): rows still arriving \
                 would shift its pages; close it before now (RegistryWindow::until_a_minute_ago)"
            ),
        ));
    }
    let all: Vec<Option<PaymentStatus>> = match &query.only_status {
        Some(status) => vec![Some(status.clone())],
        None => walk.to_vec(),
    };
    let (listings, first_offset) = match &query.resume_from {
        None => (all, 0),
        Some(position) => match all.iter().position(|listing| *listing == position.status) {
            Some(index) => (all[index..].to_vec(), position.offset),
            None => {
                let named = position.status.as_ref().map_or("no status", |s| s.as_str());
                return Err(invalid(
                    operation,
                    format!("the resume position's `only_status` ({named}) is not one this query reads"),
                ));
            }
        },
    };
    if i64::try_from(first_offset).is_err() {
        return Err(invalid(operation, format!("the resume `offset` {first_offset} is larger than the API accepts")));
    }
    Ok(Checked {
        store_id: query.store_id.clone(),
        start_date: start.to_string(),
        end_date: end.to_string(),
        limit: i64::from(query.page_size),
        listings,
        first_offset,
    })
}
