//! Peak memory of a registry read through `Multicard::payment_registry`:
//! 100,000 rows streamed 100 a page against one page of 100 rows, on a
//! loopback server that makes each page when asked. A counting global
//! allocator measures the peak of live bytes above what was live before
//! each read (the server's own page in the same process included, as it
//! is for both).
//!
//! `REGISTRY_ROWS` sets the long read's rows (default 100,000),
//! `REGISTRY_PAGE` the page size (default 100).
//!
//! ```text
//! cargo bench -p multicard-api-tests --bench registry_memory
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::routing::{get, post};
use futures_util::StreamExt;
use multicard_api::registry::{RegistryQuery, RegistryWindow};
use multicard_api::time::MulticardDateTime;
use multicard_api::{Config, Environment, Multicard};
use serde_json::{Value, json};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` with the same arguments; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }
    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as received.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The page at `offset` of a registry of `total` rows, made when asked.
fn page(total: usize, offset: usize, limit: usize) -> String {
    let list: Vec<Value> = (offset..total.min(offset + limit))
        .map(|i| {
            json!({"id": i, "uuid": format!("00000000-0000-4000-8000-{i:012}"), "status": "success", "ps": "uzcard",
                "store_invoice_id": format!("order-{i}"), "payment_amount": 10000 + i, "commission_amount": 0,
                "added_on": "2025-07-31 01:49:16", "billing_id": "b", "payment_time": "2025-07-31 01:51:12",
                "card_pan": "860053******8829", "ps_uniq_id": "521120956011", "refund_time": "2025-08-01 10:00:00"})
        })
        .collect();
    json!({"success": true, "data": {"pagination": {"total": total, "offset": offset, "limit": limit},
        "stat": [{"status": "success", "ps": "uzcard", "payment_amount": 100_000_000}], "list": list}})
    .to_string()
}

/// A loopback server whose registry has as many rows as the store id says.
async fn server() -> String {
    let expiry = MulticardDateTime::from_utc(chrono::Utc::now() + chrono::Duration::hours(24)).to_string();
    let token = json!({"token": "bench-token", "role": "dev", "expiry": expiry}).to_string();
    let app = Router::new()
        .route(
            "/auth",
            post(move || {
                let token = token.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], token) }
            }),
        )
        .route(
            "/payment/store/{store}/history",
            get(|Path(store): Path<usize>, Query(query): Query<HashMap<String, String>>| async move {
                let number = |name: &str| query.get(name).and_then(|v| v.parse().ok());
                let offset = number("offset").unwrap_or(0);
                let limit = number("limit").unwrap_or(100);
                ([(header::CONTENT_TYPE, "application/json")], page(store, offset, limit))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// Reads `rows` rows, `page_size` a page; the peak of live bytes above
/// those live before, and the rows read.
async fn peak(multicard: &Multicard, rows: usize, page_size: u32) -> (usize, usize) {
    let start = MulticardDateTime::from_utc(chrono::Utc::now() - chrono::Duration::days(1));
    let query = RegistryQuery::new(rows.to_string(), RegistryWindow::until_a_minute_ago(start)).page_size(page_size);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut stream = multicard.payment_registry(query);
    let mut read = 0;
    let mut amount = 0i64;
    while let Some(row) = stream.next().await {
        let row = row.expect("a row");
        amount = amount.wrapping_add(row.item.payment_amount);
        read += 1;
    }
    std::hint::black_box(amount);
    drop(stream);
    (PEAK.load(Ordering::Relaxed).saturating_sub(before), read)
}

fn main() {
    let rows = env_number("REGISTRY_ROWS", 100_000);
    let page_size = env_number("REGISTRY_PAGE", 100);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let url = server().await;
        let multicard = Multicard::new(Config::new("bench", "bench-secret", Environment::Custom(url))).unwrap();
        // Warm up: the token, the connection, the runtime's buffers.
        peak(&multicard, page_size, page_size as u32).await;
        let (one_page, one_rows) = peak(&multicard, page_size, page_size as u32).await;
        let (streamed, streamed_rows) = peak(&multicard, rows, page_size as u32).await;
        assert_eq!((one_rows, streamed_rows), (page_size, rows));
        println!("registry_memory: page size {page_size}");
        println!("  one page ({one_rows} rows):  peak {one_page} bytes above the start");
        println!("  streamed {streamed_rows} rows:   peak {streamed} bytes above the start");
        println!("  ratio: {:.2}", streamed as f64 / one_page.max(1) as f64);
    });
}
