//! The registry streams (`Multicard::payment_registry`,
//! `Multicard::payout_registry`) against loopback servers the tests start:
//! a small axum server answering crafted pages (counting and recording
//! every request), and the sandbox for a whole payout registry.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::routing::{get, post};
use chrono::{TimeDelta, Utc};
use futures_util::StreamExt;
use multicard_api::registry::{
    PAYOUT_STATUS_WALK, RegistryPosition, RegistryQuery, RegistryReport, RegistryRow, RegistryStream, RegistryWindow,
};
use multicard_api::time::MulticardDateTime;
use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Config, Environment, Error, Multicard};
use multicard_sandbox::{Sandbox, TEST_CARD_PAN};
use serde_json::{Value, json};

/// One registry request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: &'static str,
    offset: i64,
    limit: i64,
    only_status: Option<String>,
    start_date: String,
    end_date: String,
}

/// What the server answers to the `n`-th registry request (from 0).
type Answer = Arc<dyn Fn(&Seen, usize) -> Value + Send + Sync>;

#[derive(Clone)]
struct Pages {
    seen: Arc<Mutex<Vec<Seen>>>,
    auth: Arc<AtomicU64>,
    answer: Answer,
}

struct Server {
    multicard: Multicard,
    pages: Pages,
}

impl Server {
    fn seen(&self) -> Vec<Seen> {
        self.pages.seen.lock().unwrap().clone()
    }
}

async fn registry(
    path: &'static str,
    pages: Pages,
    query: HashMap<String, String>,
) -> impl axum::response::IntoResponse {
    let number = |name: &str| query.get(name).and_then(|v| v.parse().ok()).unwrap_or(-1);
    let seen = Seen {
        path,
        offset: number("offset"),
        limit: number("limit"),
        only_status: query.get("only_status").cloned(),
        start_date: query.get("start_date").cloned().unwrap_or_default(),
        end_date: query.get("end_date").cloned().unwrap_or_default(),
    };
    let index = {
        let mut all = pages.seen.lock().unwrap();
        all.push(seen.clone());
        all.len() - 1
    };
    let body = (pages.answer)(&seen, index);
    ([(header::CONTENT_TYPE, "application/json")], body.to_string())
}

/// A loopback server answering `/auth` and both registries with `answer`.
async fn server(answer: impl Fn(&Seen, usize) -> Value + Send + Sync + 'static) -> Server {
    let pages = Pages { seen: Arc::default(), auth: Arc::default(), answer: Arc::new(answer) };
    let expiry = MulticardDateTime::from_utc(Utc::now() + TimeDelta::hours(24)).to_string();
    let token = json!({"token": "registry-token", "role": "dev", "expiry": expiry}).to_string();
    let app = Router::new()
        .route(
            "/auth",
            post(move |State(pages): State<Pages>| {
                pages.auth.fetch_add(1, Ordering::Relaxed);
                let token = token.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], token) }
            }),
        )
        .route(
            "/payment/store/{store}/history",
            get(|State(pages): State<Pages>, Query(query): Query<HashMap<String, String>>| {
                registry("history", pages, query)
            }),
        )
        .route(
            "/payment/store/{store}/credit-history",
            get(|State(pages): State<Pages>, Query(query): Query<HashMap<String, String>>| {
                registry("credit-history", pages, query)
            }),
        )
        .with_state(pages.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = Config::new("registry-app", "registry-secret", Environment::Custom(format!("http://{address}")));
    Server { multicard: Multicard::new(config).unwrap(), pages }
}

fn uuid(id: i64) -> String {
    format!("00000000-0000-4000-8000-{id:012}")
}

fn row(id: i64, status: &str) -> Value {
    json!({"id": id, "uuid": uuid(id), "status": status, "payment_amount": 1000 + id, "ps": "uzcard"})
}

/// A page of `ids` (from `offset`), claiming `total` rows.
fn page(ids: &[i64], status: &str, seen: &Seen, total: usize) -> Value {
    let list: Vec<Value> = ids.iter().map(|id| row(*id, status)).collect();
    json!({"success": true, "data": {"pagination": {"total": total, "offset": seen.offset, "limit": seen.limit},
        "stat": [], "list": list}})
}

/// The slice of `ids` a request for `seen.offset` and `seen.limit` reads.
fn slice(ids: &[i64], seen: &Seen) -> Vec<i64> {
    ids.iter().skip(seen.offset.max(0) as usize).take(seen.limit.max(0) as usize).copied().collect()
}

/// A window of yesterday, closed.
fn yesterday() -> RegistryWindow {
    let now = Utc::now();
    RegistryWindow::new(
        MulticardDateTime::from_utc(now - TimeDelta::days(1)),
        MulticardDateTime::from_utc(now - TimeDelta::minutes(5)),
    )
}

/// Every item of `stream` (bounded in time: a stream that never ends fails).
async fn drain<T>(stream: &mut RegistryStream<T>) -> Vec<Result<RegistryRow<T>, Error>> {
    tokio::time::timeout(Duration::from_secs(30), stream.collect::<Vec<_>>()).await.expect("the stream ends")
}

fn ids_of(items: &[Result<RegistryRow<types::PaymentRegistryListItem>, Error>]) -> Vec<i64> {
    items.iter().map(|item| item.as_ref().expect("a row").item.id.expect("an id")).collect()
}

#[tokio::test]
async fn every_page_is_read_with_the_page_size_asked() {
    let all: Vec<i64> = (0..250).collect();
    let rows = all.clone();
    let server = server(move |seen, _| page(&slice(&rows, seen), "success", seen, rows.len())).await;
    let window = yesterday();
    let mut stream = server.multicard.payment_registry(RegistryQuery::new("6", window).page_size(100));
    let items = drain(&mut stream).await;
    assert_eq!(ids_of(&items), all, "every row once, in order");

    let seen = server.seen();
    assert_eq!(seen.iter().map(|s| s.offset).collect::<Vec<_>>(), [0, 100, 200]);
    assert!(seen.iter().all(|s| s.limit == 100 && s.path == "history" && s.only_status.is_none()));
    assert!(seen.iter().all(|s| s.start_date == window.start.to_string() && s.end_date == window.end.to_string()));
    assert_eq!(seen[0].end_date.len(), "2025-03-01 00:00:00".len(), "YYYY-MM-DD HH:MM:SS");

    let report = stream.report();
    assert_eq!((report.requests, report.rows, report.duplicates), (3, 250, 0));
    assert!(report.complete && !report.total_changed() && report.cut_short.is_empty());
    assert_eq!(report.position, RegistryPosition::new(None, 250));

    // The default page size, and another one: requests follow it.
    let default = drain(&mut server.multicard.payment_registry(RegistryQuery::new("6", window))).await;
    assert_eq!(default.len(), 250);
    let small = drain(&mut server.multicard.payment_registry(RegistryQuery::new("6", window).page_size(7))).await;
    assert_eq!(small.len(), 250);
    let seen = server.seen();
    assert!(seen[3..6].iter().all(|s| s.limit == 100), "the default page size is 100");
    assert_eq!(seen.len(), 3 + 3 + 36, "250 rows at 7 a page are 36 requests");
    assert!(seen[6..].iter().all(|s| s.limit == 7));
}

/// Captures what `tracing` writes on this thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn rows_pushed_across_a_page_boundary_are_read_once_and_the_total_change_is_reported() {
    // Newest first: after the first page, three payments arrive at the
    // front, and the last three rows of page one come back on page two.
    let first: Vec<i64> = (0..250).collect();
    let mut later: Vec<i64> = vec![1000, 1001, 1002];
    later.extend(&first);
    let server = server(move |seen, index| {
        let ids = if index == 0 { &first } else { &later };
        page(&slice(ids, seen), "success", seen, ids.len())
    })
    .await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut stream = server.multicard.payment_registry(RegistryQuery::new("6", yesterday()).page_size(100));
    let items = drain(&mut stream).await;
    let ids = ids_of(&items);
    assert_eq!(ids, (0..250).collect::<Vec<_>>(), "no row twice, none lost");

    let report = stream.report();
    assert_eq!(report.duplicates, 3);
    assert!(report.total_changed());
    assert_eq!(report.total_change_count, 1);
    assert_eq!(report.total_changes.len(), 1);
    let change = &report.total_changes[0];
    assert_eq!((change.before, change.after, change.offset, change.status.clone()), (250, 253, 100, None));
    // Offsets follow the rows received: 100, 200, 300 (253 rows).
    assert_eq!(server.seen().iter().map(|s| s.offset).collect::<Vec<_>>(), [0, 100, 200]);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let warning = logs.lines().find(|line| line.contains("total changed")).expect("a warning");
    assert!(warning.contains("WARN") && warning.contains("multicard::registry"), "{warning}");
    assert!(warning.contains("before=250") && warning.contains("after=253"), "{warning}");
}

#[tokio::test]
async fn a_page_with_no_rows_below_the_total_ends_the_read() {
    // The server claims 500 rows but has only 100.
    let server = server(|seen, _| {
        let ids: Vec<i64> = (0..100).collect();
        page(&slice(&ids, seen), "success", seen, 500)
    })
    .await;
    let mut stream = server.multicard.payment_registry(RegistryQuery::new("6", yesterday()).page_size(100));
    let items = drain(&mut stream).await;
    assert_eq!(items.len(), 100);
    assert_eq!(server.seen().len(), 2, "one page of rows, one empty page, then the end");
    let report = stream.report();
    assert!(report.complete);
    assert_eq!(report.cut_short, vec![RegistryPosition::new(None, 100)]);
    assert_eq!(report.total, Some(500));
}

#[tokio::test]
async fn an_error_mid_stream_is_the_last_item_and_names_its_offset() {
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let fails = failing.clone();
    let server = server(move |seen, _| {
        if seen.offset == 200 && fails.load(Ordering::Relaxed) {
            return json!({"success": false, "error": {"code": "ERROR_ACCESS_DENIED", "details": "Доступ запрещен"}});
        }
        let ids: Vec<i64> = (0..250).collect();
        page(&slice(&ids, seen), "success", seen, ids.len())
    })
    .await;
    let mut stream = server.multicard.payment_registry(RegistryQuery::new("6", yesterday()).page_size(100));
    let items = drain(&mut stream).await;
    assert_eq!(items.len(), 201, "200 rows, then the error, then the end");
    assert_eq!(ids_of(&items[..200]), (0..200).collect::<Vec<_>>());
    match &items[200] {
        Err(Error::Api { operation: "list_payments", code, .. }) => {
            assert_eq!(code, &types::ErrorCode::ErrorAccessDenied)
        }
        other => panic!("expected the page's error, got {other:?}"),
    }
    let report: RegistryReport = stream.report();
    assert!(!report.complete);
    assert_eq!(report.position, RegistryPosition::new(None, 200), "the page that failed");
    assert_eq!(server.seen().len(), 3);

    // Resumed where it failed: only the rest is read.
    failing.store(false, Ordering::Relaxed);
    let query = RegistryQuery::new("6", yesterday()).page_size(100).resume_from(report.position);
    let rest = drain(&mut server.multicard.payment_registry(query)).await;
    assert_eq!(ids_of(&rest), (200..250).collect::<Vec<_>>());
    assert_eq!(server.seen()[3].offset, 200);
}

#[tokio::test]
async fn queries_that_cannot_be_sent_are_refused_before_any_request() {
    let server = server(|seen, _| page(&[], "success", seen, 0)).await;
    let now = Utc::now();
    let start = MulticardDateTime::from_utc(now - TimeDelta::days(1));
    let refused = |operation: &'static str, items: Vec<Result<RegistryRow<_>, Error>>, names: &str| {
        assert_eq!(items.len(), 1, "one item: the refusal");
        match &items[0] {
            Err(Error::InvalidRequest { operation: o, message }) => {
                assert_eq!(*o, operation);
                assert!(message.contains(names), "{message} names {names}");
            }
            Err(other) => panic!("expected InvalidRequest, got {other:?}"),
            Ok(_) => panic!("expected InvalidRequest, got a row"),
        }
    };

    // A window that ends in the future, or now: refused, nothing sent.
    let open = RegistryWindow::new(start, MulticardDateTime::from_utc(now + TimeDelta::hours(1)));
    let items = drain(&mut server.multicard.payment_registry(RegistryQuery::new("6", open))).await;
    refused("list_payments", items, "`end_date`");
    let open = RegistryWindow::new(start, MulticardDateTime::from_utc(now + TimeDelta::minutes(2)));
    let mut payouts = server.multicard.payout_registry(RegistryQuery::new("6", open));
    let items: Vec<_> = drain(&mut payouts).await;
    assert!(
        matches!(&items[..], [Err(Error::InvalidRequest { operation: "list_payouts", message })] if message.contains("`end_date`"))
    );
    assert_eq!(payouts.report().requests, 0);

    // Page sizes out of range, and a window upside down.
    for size in [0, 1001, u32::MAX] {
        let items =
            drain(&mut server.multicard.payment_registry(RegistryQuery::new("6", yesterday()).page_size(size))).await;
        refused("list_payments", items, "`limit`");
    }
    let upside_down = RegistryWindow::new(yesterday().end, yesterday().start);
    let items = drain(&mut server.multicard.payment_registry(RegistryQuery::new("6", upside_down))).await;
    refused("list_payments", items, "`start_date`");

    assert!(server.seen().is_empty(), "no registry request was sent");
    assert_eq!(server.pages.auth.load(Ordering::Relaxed), 0, "not even a token was asked for");

    // The helper closes a window a minute ago: it is read.
    let closed = RegistryWindow::until_a_minute_ago(start);
    assert!(closed.end.to_utc() <= Utc::now() - TimeDelta::seconds(59));
    let items = drain(&mut server.multicard.payment_registry(RegistryQuery::new("6", closed))).await;
    assert!(items.is_empty());
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn payouts_walk_every_status_unless_one_is_asked() {
    // Each status's listing has three rows, ids by status; two a page.
    let statuses: Vec<&str> = PaymentStatus::KNOWN.iter().map(PaymentStatus::as_str).collect();
    let listing = move |status: &str| -> Vec<i64> {
        let base = 100 * statuses.iter().position(|s| *s == status).map_or(99, |i| i as i64);
        vec![base, base + 1, base + 2]
    };
    let server = server(move |seen, _| {
        let status = seen.only_status.clone().unwrap_or_default();
        let ids = if status.is_empty() { Vec::new() } else { listing(&status) };
        page(&slice(&ids, seen), &status, seen, ids.len())
    })
    .await;
    let mut stream = server.multicard.payout_registry(RegistryQuery::new("6", yesterday()).page_size(2));
    let items = drain(&mut stream).await;
    let rows: Vec<RegistryRow<types::PayoutRegistryListItem>> = items.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3 * PaymentStatus::KNOWN.len());

    let seen = server.seen();
    assert!(seen.iter().all(|s| s.path == "credit-history" && s.limit == 2));
    let mut walked: Vec<String> = Vec::new();
    for s in &seen {
        let status = s.only_status.clone().expect("only_status is always sent");
        if walked.last() != Some(&status) {
            walked.push(status);
        }
    }
    let expected: Vec<String> = PAYOUT_STATUS_WALK.iter().map(|s| s.as_str().to_string()).collect();
    assert_eq!(walked, expected, "every status, one after another");
    let documented: HashSet<&str> = PaymentStatus::KNOWN.iter().map(PaymentStatus::as_str).collect();
    assert_eq!(walked.iter().map(String::as_str).collect::<HashSet<_>>(), documented);
    assert_eq!(seen.len(), 2 * PaymentStatus::KNOWN.len(), "two pages per status");
    for row in &rows {
        let listing = row.status.as_ref().expect("each row names its listing");
        assert_eq!(&row.item.status, listing);
    }
    assert!(stream.report().complete);

    // One status asked: only it is read.
    let before = server.seen().len();
    let one = RegistryQuery::new("6", yesterday()).page_size(2).only_status(PaymentStatus::Success);
    let items = drain(&mut server.multicard.payout_registry(one)).await;
    assert_eq!(items.len(), 3);
    let seen = server.seen();
    assert_eq!(seen.len() - before, 2);
    assert!(seen[before..].iter().all(|s| s.only_status.as_deref() == Some("success")));
}

#[tokio::test]
async fn the_sandbox_payout_registry_reads_whole_through_the_stream() {
    let sandbox = Sandbox::start().await.unwrap();
    // Rows stamped ten minutes back fall inside a window closed a minute ago.
    sandbox.set_clock_offset(TimeDelta::minutes(-10));
    let multicard = Multicard::new(sandbox.config()).unwrap();
    for i in 0..5 {
        let request: types::CreatePayoutRequest = serde_json::from_value(json!({"card": {"pan": TEST_CARD_PAN},
            "amount": 10_000 + i, "store_id": 6, "invoice_id": format!("walk-{i}"), "confirmable": false}))
        .unwrap();
        multicard.send(|api| api.create_payout().body(request.clone())).await.unwrap();
    }
    let window = RegistryWindow::until_a_minute_ago(MulticardDateTime::from_utc(Utc::now() - TimeDelta::hours(1)));
    let mut stream = multicard.payout_registry(RegistryQuery::new("6", window).page_size(2));
    let items = drain(&mut stream).await;
    let uuids: HashSet<String> = items.into_iter().map(|r| r.unwrap().item.uuid).collect();
    assert_eq!(uuids.len(), 5);
    let report = stream.report();
    assert!(report.complete && report.duplicates == 0);
    assert_eq!(sandbox.requests("list_payouts"), report.requests);
    assert!(report.requests >= PAYOUT_STATUS_WALK.len() as u64);
}
