//! What checking a request costs before it is sent: `checks::check` on a
//! `create_invoice` body with a 20-item fiscal receipt, against serializing
//! the same body to JSON (which every send does anyway), called in turn
//! (paired), medians compared. `CHECK_ROUNDS` sets the pairs (default 2001),
//! `CHECK_ITEMS` the receipt's items (default 20).

use std::hint::black_box;
use std::time::{Duration, Instant};

use multicard_api::checks::{RequestChecks, check};
use multicard_api::money::Tiyin;
use multicard_api::receipt::{Item, Receipt};
use serde_json::json;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let rounds = env_number("CHECK_ROUNDS", 2001).max(1);
    let items = env_number("CHECK_ITEMS", 20).max(1);
    let receipt = Receipt::builder()
        .items((0..items).map(|i| {
            Item::new(format!("Item {i}"), "06401004002000000", "1506113", Tiyin::new(10_000 + i as i64).unwrap(), 2)
                .vat(12)
        }))
        .build()
        .unwrap();
    let typed: multicard_api::types::CreateInvoiceRequest = serde_json::from_value(json!({
        "store_id": 6, "amount": receipt.amount(), "invoice_id": "order-1", "callback_url": "https://example.invalid/cb",
        "ofd": receipt.ofd(),
    }))
    .unwrap();
    let value = serde_json::to_value(&typed).unwrap();
    let policy = RequestChecks::new();
    assert!(check("create_invoice", &value, &policy).is_empty(), "the bench's body passes every rule");
    let (mut serialize, mut checking) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let mut time_serialize = || {
            let started = Instant::now();
            black_box(serde_json::to_vec(black_box(&typed)).unwrap());
            serialize.push(started.elapsed());
        };
        let mut time_check = || {
            let started = Instant::now();
            black_box(check("create_invoice", black_box(&value), &policy));
            checking.push(started.elapsed());
        };
        if round % 2 == 0 {
            time_serialize();
            time_check();
        } else {
            time_check();
            time_serialize();
        }
    }
    let (serialize, checking) = (median(serialize), median(checking));
    println!(
        "create_invoice with {items} receipt items: serializing {:.1} µs, checking {:.1} µs: {:.2}x serializing",
        serialize.as_secs_f64() * 1e6,
        checking.as_secs_f64() * 1e6,
        checking.as_secs_f64() / serialize.as_secs_f64()
    );
}
