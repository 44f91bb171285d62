//! Drift signals at run time: an answer with a field the spec does not
//! name, an enum value it does not know and an informative field that does
//! not decode still works; each (kind, operation, path) is warned about once
//! per process, naming the operation and the path and never a value, and
//! counted for the client every time it is seen.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use multicard_api::Multicard;
use multicard_api::drift::{DriftKind, DriftSignal, FIELD_CHECK_EVERY};
use multicard_api_tests::fake::{self, server_with_auth};
use multicard_api_tests::logs;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EXTRA_VALUE: &str = "gold-tier-canary";
const STATUS_VALUE: &str = "paused-canary";
const STORE_VALUE: &str = "store-canary";

fn drifted_payment(uuid: &str, extra_field: &str) -> serde_json::Value {
    json!({
        "success": true,
        "trace_id": "trace-canary",
        "data": {
            "id": 1, "uuid": uuid, "payment_amount": 10000, "total_amount": 10000, "store_id": 6,
            "status": STATUS_VALUE,
            extra_field: EXTRA_VALUE,
            "store": STORE_VALUE,
        }
    })
}

async fn mount(server: &MockServer, uuid: &str, extra_field: &str) {
    Mock::given(method("GET"))
        .and(path(format!("/payment/{uuid}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(drifted_payment(uuid, extra_field)))
        .mount(server)
        .await;
}

fn count(signals: &[DriftSignal], kind: DriftKind, path: &str) -> Option<u64> {
    signals.iter().find(|s| s.kind == kind && s.operation == "get_payment" && s.path == path).map(|s| s.count)
}

#[tokio::test(flavor = "current_thread")]
async fn drift_is_warned_once_per_path_and_counted_every_time() {
    let (captured, _guard) = logs::capture();
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    let uuid = "d1f7a0b2-0000-4000-8000-000000000001";
    mount(&server, uuid, "loyalty_tier").await;
    let client = fake::client(&server);
    let calls = FIELD_CHECK_EVERY + 1;
    for _ in 0..calls {
        let payment = client.send(|api| api.get_payment().uuid(uuid)).await.expect("a drifted answer still works");
        assert!(payment.status.is_unknown());
        assert!(payment.store.is_none(), "the unreadable informative field is left empty");
    }
    let signals = client.drift_signals();
    let calls = u64::from(calls);
    assert_eq!(count(&signals, DriftKind::UnknownEnumValue, "data.status"), Some(calls), "{signals:?}");
    assert_eq!(count(&signals, DriftKind::UnreadableField, "PaymentModel.store"), Some(calls), "{signals:?}");
    // Fields the spec does not name are searched for on the first answer
    // and then on one in FIELD_CHECK_EVERY: answers 1 and 65.
    assert_eq!(count(&signals, DriftKind::UnknownField, "data.loyalty_tier"), Some(2), "{signals:?}");
    assert_eq!(count(&signals, DriftKind::UnknownField, "trace_id"), Some(2), "{signals:?}");
    assert_eq!(signals.len(), 4, "nothing else: {signals:?}");

    let text = captured.text();
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("multicard::drift")).collect();
    for path in ["data.status", "PaymentModel.store", "data.loyalty_tier", "trace_id"] {
        let lines = warnings.iter().filter(|l| l.contains(&format!("path={path} "))).count();
        assert_eq!(lines, 1, "one warning for {path}:\n{}", warnings.join("\n"));
    }
    assert!(warnings.iter().all(|l| l.contains("operation=\"get_payment\"")), "{warnings:?}");
    for value in [EXTRA_VALUE, STATUS_VALUE, STORE_VALUE, "trace-canary"] {
        assert!(!text.contains(value), "a value reached the logs: {value}");
    }

    // Another client in the same process counts for itself, and the process
    // has already been told.
    let other = fake::client(&server);
    other.send(|api| api.get_payment().uuid(uuid)).await.unwrap();
    let signals = other.drift_signals();
    assert_eq!(count(&signals, DriftKind::UnknownEnumValue, "data.status"), Some(1));
    assert_eq!(count(&signals, DriftKind::UnknownField, "data.loyalty_tier"), Some(1), "its first answer is searched");
    let warnings_now = captured.text().lines().filter(|l| l.contains("multicard::drift")).count();
    assert_eq!(warnings_now, warnings.len(), "no second warning in this process");
}

#[tokio::test(flavor = "current_thread")]
async fn drift_signals_can_be_turned_off() {
    let (captured, _guard) = logs::capture();
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    let uuid = "d1f7a0b2-0000-4000-8000-000000000002";
    mount(&server, uuid, "referral_code").await;
    let client = Multicard::new(fake::config(&server).with_drift_signals(false)).unwrap();
    for _ in 0..3 {
        let payment = client.send(|api| api.get_payment().uuid(uuid)).await.expect("still works");
        assert!(payment.status.is_unknown());
    }
    assert!(client.drift_signals().is_empty());
    assert!(!captured.text().contains("multicard::drift"), "{}", captured.text());
    // The unreadable field is still kept for the caller.
    assert_eq!(client.unreadable_fields().len(), 3);
}
