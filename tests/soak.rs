//! Soak: thousands of calls through one client against the sandbox while
//! tokens expire every two seconds and faults are injected at random
//! (seeded). Afterwards every write was sent exactly once, every read that
//! succeeded was right, and the client still works.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use multicard_api::retry::RetryPolicy;
use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Error, Multicard};
use multicard_sandbox::{Fault, Sandbox, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::json;

/// A small seeded generator (xorshift), so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("valid body")
}

fn fault(rng: &mut Rng) -> Option<Fault> {
    match rng.below(20) {
        0 => Some(Fault::HtmlBadGateway),
        1 => Some(Fault::TooManyRequests { retry_after: None }),
        2 => Some(Fault::MalformedJson),
        3 => Some(Fault::DropConnection),
        4 => Some(Fault::ErrorUnder200 { code: "ERROR_UNKNOWN".into() }),
        5 => Some(Fault::RbacDenied),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_calls_with_expiring_tokens_and_random_faults() {
    let seed = std::env::var("SOAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_1234_abcd_u64);
    let rounds: u64 = std::env::var("SOAK_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let sandbox = Arc::new(
        Sandbox::start_with(SandboxConfig::default().with_token_lifetime(Duration::from_secs(2))).await.unwrap(),
    );
    let policy =
        RetryPolicy::default().with_base_delay(Duration::from_millis(5)).with_max_delay(Duration::from_millis(50));
    let client = Multicard::new(sandbox.config().with_retry_policy(policy)).unwrap();

    let add: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}));
    let card = client.send(|api| api.add_card().body(add.clone())).await.unwrap();
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}));
    client.send(|api| api.confirm_card().card_token(card.card_token.as_str()).body(otp.clone())).await.unwrap();
    let token = card.card_token;

    let writes = Arc::new(AtomicU64::new(0));
    let calls = Arc::new(AtomicU64::new(0));
    let wrong_reads = Arc::new(AtomicU64::new(0));
    let unknown = Arc::new(AtomicU64::new(0));
    let mut rng = Rng(seed);
    let before_create = sandbox.requests("create_payment");
    let before_confirm = sandbox.requests("confirm_payment");

    for round in 0..rounds {
        let mut tasks = Vec::new();
        for i in 0..16u64 {
            let amount = 1_000 + (round * 16 + i) as i64;
            let faults: Vec<Option<Fault>> = (0..3).map(|_| fault(&mut rng)).collect();
            let (client, sandbox, token) = (client.clone(), sandbox.clone(), token.clone());
            let (writes, calls, wrong_reads, unknown) =
                (writes.clone(), calls.clone(), wrong_reads.clone(), unknown.clone());
            tasks.push(async move {
                if let Some(f) = &faults[0] {
                    sandbox.inject("create_payment", f.clone(), 1);
                }
                let create: types::CreatePaymentRequest =
                    body(json!({"card": {"token": token}, "amount": amount, "store_id": 6, "invoice_id": format!("soak-{amount}")}));
                writes.fetch_add(1, Ordering::SeqCst);
                calls.fetch_add(1, Ordering::SeqCst);
                let Ok(created) = client.send(|api| api.create_payment().body(create.clone())).await else { return };
                if let Some(f) = &faults[1] {
                    sandbox.inject("confirm_payment", f.clone(), 1);
                }
                let otp: types::ConfirmPaymentRequest = body(json!({"otp": TEST_OTP}));
                writes.fetch_add(1, Ordering::SeqCst);
                calls.fetch_add(1, Ordering::SeqCst);
                match client.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(otp.clone())).await {
                    Ok(_) => {}
                    Err(Error::OutcomeUnknown { .. }) => {
                        unknown.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => {}
                }
                if let Some(f) = &faults[2] {
                    sandbox.inject("get_payment", f.clone(), 1);
                }
                calls.fetch_add(1, Ordering::SeqCst);
                if let Ok(read) = client.send(|api| api.get_payment().uuid(created.uuid.as_str())).await
                    && (read.uuid != created.uuid || read.payment_amount != amount) {
                        wrong_reads.fetch_add(1, Ordering::SeqCst);
                    }
            });
        }
        join_all(tasks).await;
        sandbox.clear_faults();
    }

    let create_seen = sandbox.requests("create_payment") - before_create;
    let confirm_seen = sandbox.requests("confirm_payment") - before_confirm;
    println!(
        "soak: seed {seed:#x}, {} calls, {} writes, {create_seen}+{confirm_seen} write requests seen, {} outcome-unknown, {} /auth",
        calls.load(Ordering::SeqCst),
        writes.load(Ordering::SeqCst),
        unknown.load(Ordering::SeqCst),
        sandbox.requests("get_token"),
    );
    assert_eq!(create_seen + confirm_seen, writes.load(Ordering::SeqCst), "every write was sent exactly once");
    assert_eq!(wrong_reads.load(Ordering::SeqCst), 0, "every read that succeeded was right");
    assert!(calls.load(Ordering::SeqCst) >= rounds * 16 * 2);
    assert!(sandbox.requests("get_token") >= 2, "tokens expired and were refreshed during the run");
    // The client still works.
    let application = client.send(|api| api.get_application()).await.expect("the client still works");
    assert_eq!(application.application_id.as_deref(), Some("rhmt_test"));
    // And every payment whose confirmation was unknown settles.
    let (start, end) = {
        let now = chrono::Utc::now();
        let t = |d| multicard_api::time::MulticardDateTime::from_utc(now + d).to_string();
        (t(chrono::Duration::hours(-1)), t(chrono::Duration::hours(1)))
    };
    let registry = client
        .send(|api| {
            api.list_payments().store_id("6").offset(0).limit(1000).start_date(start.as_str()).end_date(end.as_str())
        })
        .await
        .unwrap();
    assert!(registry.list.iter().all(|p| matches!(p.status, PaymentStatus::Draft | PaymentStatus::Success)));
}
