//! A create whose answer was lost, found by the merchant's `invoice_id` in
//! the store's registry (`Multicard::find_lost_create`), against the local
//! sandbox: its `Fault::LoseAnswer` applies a create and cuts the answer;
//! its clock offset moves the `Date` header the SDK places the window by;
//! its registry lag shows why `NotFound` is not proof.
//!
//! The sandbox's clock stands still unless a test moves it; the client's
//! view of it (its clock plus the `Date` offset) runs in real time, so a
//! window that ends a second after the search starts closes two seconds
//! later (its last second included). Searches here use that short `after` margin.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use multicard_api::informative::Exact;
use multicard_api::lost_create::{CreateKind, CreatedRow, Found, LostCreate};
use multicard_api::money::Tiyin;
use multicard_api::time::MulticardDateTime;
use multicard_api::token_cache::Clock;
use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Error, Multicard};
use multicard_api_tests::money::{body, bound_card, ofd, payment, start};
use multicard_sandbox::{Fault, Sandbox, SandboxConfig, TEST_CARD_PAN};
use serde_json::json;

/// The window's margins here: five minutes before the send (the default),
/// a second after the search starts.
fn lost(kind: CreateKind, invoice_id: &str, sent_at: MulticardDateTime) -> LostCreate {
    LostCreate::new(kind, "6", invoice_id, sent_at)
        .margins(Duration::from_secs(300), Duration::from_secs(1))
        .wait_at_most(Duration::from_secs(20))
}

async fn create_payment(multicard: &Multicard, token: &str, amount: i64, invoice_id: &str) -> Result<String, Error> {
    let request: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": amount, "store_id": 6, "invoice_id": invoice_id}));
    multicard.send(|api| api.create_payment().body(request.clone())).await.map(|p| p.uuid)
}

/// A `create_payment` whose answer the sandbox loses (it applies).
async fn lose_create_payment(sandbox: &Sandbox, multicard: &Multicard, token: &str, amount: i64, invoice_id: &str) {
    sandbox.inject("create_payment", Fault::LoseAnswer, 1);
    let error = create_payment(multicard, token, amount, invoice_id).await.expect_err("the answer is lost");
    assert!(error.is_outcome_unknown(), "{error}");
    assert_eq!(error.lost_create_kind(), Some(CreateKind::Payment), "{error}");
}

#[tokio::test]
async fn a_lost_create_payment_is_found_by_its_invoice_id_exactly() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    // Rows of the same window with other invoice ids, one a prefix of it.
    let other = create_payment(&multicard, &token, 1_000, "order-7").await.unwrap();
    create_payment(&multicard, &token, 1_000, "order-777").await.unwrap();
    let sent_at = multicard.multicard_now();
    lose_create_payment(&sandbox, &multicard, &token, 5_000, "order-77").await;

    let found = multicard
        .find_lost_create(&lost(CreateKind::Payment, "order-77", sent_at).amount(Tiyin::new(5_000).unwrap()))
        .await
        .unwrap();
    let Found::Created { row, searched } = &found else { panic!("{found:?}") };
    assert_ne!(row.uuid(), other);
    assert_eq!(row.store_invoice_id(), Some("order-77"));
    assert_eq!(row.payment_amount(), 5_000);
    let read = payment(&multicard, row.uuid()).await;
    assert_eq!((read.store_invoice_id.as_deref(), read.payment_amount), (Some("order-77"), 5_000), "the create itself");
    assert_eq!(searched.matches, 1);
    assert!(searched.report.rows >= 3, "the other rows were read and left: {:?}", searched.report);
    assert!(searched.offset.is_observed(), "the sandbox's answers carry a `Date`");
    assert!(searched.read_at > searched.window.end, "read once closed: {searched:?}");
    assert_eq!(sandbox.requests("create_payment"), 3, "the SDK never sent the create again");
}

#[tokio::test]
async fn a_lost_create_invoice_is_found_once_its_payer_paid_it() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let request: types::CreateInvoiceRequest = body(json!({"store_id": 6, "amount": 7_000, "invoice_id": "inv-1",
        "callback_url": "http://127.0.0.1:9/callback", "ofd": ofd(7_000), "sms": "998901234567"}));
    let sent_at = multicard.multicard_now();
    sandbox.inject("create_invoice", Fault::LoseAnswer, 1);
    let error = multicard.send(|api| api.create_invoice().body(request.clone())).await.expect_err("lost");
    assert_eq!(error.lost_create_kind(), Some(CreateKind::Invoice), "{error}");
    assert!(CreateKind::Invoice.settle_hint().contains("find_lost_create"));

    // Unpaid, it has no row: not found, which is not "not created".
    let found = multicard.find_lost_create(&lost(CreateKind::Invoice, "inv-1", sent_at)).await.unwrap();
    assert!(matches!(found, Found::NotFound { .. }), "{found:?}");
    let invoices = sandbox.invoices_with_id("inv-1");
    assert_eq!(invoices.len(), 1, "it was created all the same");

    // The payer pays through the link the SMS carried.
    sandbox.pay_invoice(&invoices[0]).expect("paid");
    let found = multicard
        .find_lost_create(&lost(CreateKind::Invoice, "inv-1", sent_at).amount(Tiyin::new(7_000).unwrap()))
        .await
        .unwrap();
    let row = found.created().unwrap_or_else(|| panic!("{found:?}"));
    let invoice = multicard.send(|api| api.get_invoice().uuid(invoices[0].as_str())).await.unwrap();
    let Exact::Present(paid_by) = invoice.payment else { panic!("the invoice reads paid") };
    assert_eq!(paid_by.uuid, row.uuid(), "the invoice's own payment");
}

#[tokio::test]
async fn two_payments_with_the_invoice_id_are_ambiguous() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let first = create_payment(&multicard, &token, 2_000, "twice").await.unwrap();
    let sent_at = multicard.multicard_now();
    lose_create_payment(&sandbox, &multicard, &token, 2_000, "twice").await;

    // The amount matches both; it does not pick one.
    let found = multicard
        .find_lost_create(&lost(CreateKind::Payment, "twice", sent_at).amount(Tiyin::new(2_000).unwrap()))
        .await
        .unwrap();
    let Found::Ambiguous { rows, searched } = &found else { panic!("{found:?}") };
    assert_eq!(rows.len(), 2);
    assert_eq!(searched.matches, 2);
    assert!(rows.iter().any(|row| row.uuid() == first));
    assert_ne!(rows[0].uuid(), rows[1].uuid());

    // One row with another amount is a mismatch, never "not found".
    lose_create_payment(&sandbox, &multicard, &token, 3_000, "once").await;
    let found = multicard
        .find_lost_create(&lost(CreateKind::Payment, "once", sent_at).amount(Tiyin::new(9_999).unwrap()))
        .await
        .unwrap();
    assert!(
        matches!(&found, Found::AmountMismatch { row, expected: 9_999, .. } if row.payment_amount() == 3_000),
        "{found:?}"
    );
}

#[tokio::test]
async fn nothing_created_is_not_found_in_the_window_it_names() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    create_payment(&multicard, &token, 1_500, "someone-else").await.unwrap();
    let sent_at = multicard.multicard_now();
    // A proxy's 502: the create never reached the server.
    sandbox.inject("create_payment", Fault::HtmlBadGateway, 1);
    let error = create_payment(&multicard, &token, 4_000, "never-made").await.expect_err("a 502");
    assert!(error.is_outcome_unknown(), "{error}");

    let found = multicard.find_lost_create(&lost(CreateKind::Payment, "never-made", sent_at)).await.unwrap();
    let Found::NotFound { searched } = &found else { panic!("{found:?}") };
    let start = MulticardDateTime::from_utc(sent_at.to_utc() - TimeDelta::minutes(5));
    assert_eq!(searched.window.start.to_string(), start.to_string(), "five minutes before the send");
    assert!(searched.window.end > sent_at && searched.window.end < searched.read_at, "{searched:?}");
    assert_eq!(searched.matches, 0);
    assert!(searched.report.complete && searched.report.rows >= 1, "rows were read: {:?}", searched.report);
    assert_eq!(sandbox.requests("list_payments"), searched.report.requests);
}

#[tokio::test]
async fn not_found_is_not_proof_while_the_registry_lags() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    sandbox.set_registry_lag(Duration::from_secs(60));
    let sent_at = multicard.multicard_now();
    lose_create_payment(&sandbox, &multicard, &token, 6_000, "lagging").await;
    let found = multicard.find_lost_create(&lost(CreateKind::Payment, "lagging", sent_at)).await.unwrap();
    assert!(matches!(found, Found::NotFound { .. }), "not listed yet: {found:?}");

    sandbox.advance(Duration::from_secs(60)).await;
    multicard.send(|api| api.get_application()).await.unwrap();
    let found = multicard.find_lost_create(&lost(CreateKind::Payment, "lagging", sent_at)).await.unwrap();
    assert_eq!(found.created().map(CreatedRow::payment_amount), Some(6_000), "{found:?}");
}

#[tokio::test]
async fn the_window_is_placed_by_multicards_clock_from_the_date_header() {
    // Multicard's clock three hours ahead of the client's: without the
    // `Date` header's offset the window would be three hours early.
    let (sandbox, multicard) = start(SandboxConfig::default().with_clock_offset(TimeDelta::hours(3))).await;
    assert!(!multicard.clock_offset().is_observed(), "no answer yet: zero, and said so");
    let token = bound_card(&multicard).await;
    let offset = multicard.clock_offset();
    assert!(offset.is_observed());
    assert!((offset.offset - TimeDelta::hours(3)).num_seconds().abs() <= 5, "{offset:?}");
    let sent_at = multicard.multicard_now();
    assert!((sent_at.to_utc() - Utc::now() - TimeDelta::hours(3)).num_seconds().abs() <= 5);
    lose_create_payment(&sandbox, &multicard, &token, 8_000, "shifted").await;

    let found = multicard.find_lost_create(&lost(CreateKind::Payment, "shifted", sent_at)).await.unwrap();
    let Found::Created { row, searched } = &found else { panic!("{found:?}") };
    let added = payment(&multicard, row.uuid()).await.added_on.expect("dated");
    assert!(searched.window.start <= added && added <= searched.window.end, "{searched:?} {added}");
    assert!(searched.window.end.to_utc() > Utc::now() + TimeDelta::hours(2), "in Multicard's clock: {searched:?}");
    assert!((searched.offset.offset - TimeDelta::hours(3)).num_seconds().abs() <= 5);
}

#[tokio::test]
async fn a_lost_one_step_payout_is_found_under_its_status() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let request: types::CreatePayoutRequest = body(json!({"card": {"pan": TEST_CARD_PAN}, "amount": 50_000,
        "store_id": 6, "invoice_id": "payout-1", "confirmable": false}));
    let sent_at = multicard.multicard_now();
    sandbox.inject("create_payout", Fault::LoseAnswer, 1);
    let error = multicard.send(|api| api.create_payout().body(request.clone())).await.expect_err("lost");
    assert_eq!(error.lost_create_kind(), Some(CreateKind::Payout), "{error}");

    let found = multicard
        .find_lost_create(&lost(CreateKind::Payout, "payout-1", sent_at).amount(Tiyin::new(50_000).unwrap()))
        .await
        .unwrap();
    let Found::Created { row: CreatedRow::Payout { row, listing }, searched } = &found else { panic!("{found:?}") };
    let payout = multicard.send(|api| api.get_payout().payment_uuid(row.uuid.as_str())).await.unwrap();
    assert_eq!(listing.as_ref(), Some(&payout.status), "found in the listing of its status");
    assert_eq!(row.status, payout.status);
    assert_eq!(sandbox.requests("list_payments"), 0, "payouts are in the payout registry");
    assert!(searched.report.requests >= 7, "every status's listing was read: {:?}", searched.report);
}

#[tokio::test]
async fn a_window_ending_in_the_future_is_not_read_too_early() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let sent_at = multicard.multicard_now();
    lose_create_payment(&sandbox, &multicard, &token, 9_000, "early").await;

    // The default window ends a minute from now; no wait allowed.
    let early = LostCreate::new(CreateKind::Payment, "6", "early", sent_at).wait_at_most(Duration::ZERO);
    let found = multicard.find_lost_create(&early).await.unwrap();
    let Found::TooEarly { window, multicard_now, offset } = &found else { panic!("{found:?}") };
    assert!(window.end > *multicard_now, "{found:?}");
    assert!(window.end.to_utc() - multicard_now.to_utc() >= TimeDelta::seconds(50));
    assert!(offset.is_observed());
    assert!(found.searched().is_none());
    assert_eq!(sandbox.requests("list_payments"), 0, "nothing was read");
}

/// The client's wall clock, moved ahead by hand.
#[derive(Debug, Default)]
struct SkewedClock {
    ahead_ms: AtomicI64,
}

impl Clock for SkewedClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::milliseconds(self.ahead_ms.load(Ordering::SeqCst))
    }
}

#[tokio::test]
async fn a_search_waits_for_its_window_to_close_before_reading() {
    let sandbox = Sandbox::start_with(SandboxConfig::default()).await.unwrap();
    let clock = Arc::new(SkewedClock::default());
    let multicard = Multicard::new(sandbox.config().with_clock(clock.clone())).unwrap();
    let token = bound_card(&multicard).await;
    let sent_at = multicard.multicard_now();
    lose_create_payment(&sandbox, &multicard, &token, 9_500, "waited").await;

    // Default margins: the window ends a minute after the search starts.
    let waited = LostCreate::new(CreateKind::Payment, "6", "waited", sent_at).wait_at_most(Duration::from_secs(120));
    let search = tokio::spawn({
        let multicard = multicard.clone();
        async move { multicard.find_lost_create(&waited).await }
    });
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(!search.is_finished());
    assert_eq!(sandbox.requests("list_payments"), 0, "not read while the window is open");
    // Two minutes pass on the client's clock (Multicard's, by the offset
    // measured before): the window has closed.
    clock.ahead_ms.store(120_000, Ordering::SeqCst);
    let found = tokio::time::timeout(Duration::from_secs(10), search).await.expect("it goes on").unwrap().unwrap();
    let Found::Created { row, searched } = &found else { panic!("{found:?}") };
    assert_eq!(row.payment_amount(), 9_500);
    assert!(searched.read_at > searched.window.end, "{searched:?}");
    assert_eq!(sandbox.requests("list_payments"), searched.report.requests);
    assert_eq!(row.status(), &PaymentStatus::Draft);
}

#[tokio::test]
async fn an_empty_invoice_id_is_refused_before_anything_is_read() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let error = multicard
        .find_lost_create(&LostCreate::new(CreateKind::Payment, "6", "", multicard.multicard_now()))
        .await
        .expect_err("nothing to find it by");
    assert!(matches!(error, Error::InvalidRequest { operation: "list_payments", .. }), "{error}");
    assert_eq!(sandbox.requests("list_payments"), 0);
    assert_eq!(Error::Unauthorized { operation: "create_payment" }.lost_create_kind(), None);
    assert_eq!(CreateKind::of_operation("confirm_payment"), None);
    assert_eq!(CreateKind::of_operation("create_payout").map(CreateKind::registry), Some("list_payouts"));
}
