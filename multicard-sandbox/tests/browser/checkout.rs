//! Paying as a person pays, in a real browser with JavaScript off: an
//! invoice's checkout page, the test card and its one-time code, a card
//! that declines; the hosted card form; each page free of WCAG 2.0/2.1 A
//! and AA violations. Screenshots of the checkout page are kept as
//! artifacts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use multicard_api::{Multicard, types};
use multicard_sandbox::Sandbox;
use serde_json::json;

use crate::harness::{Browser, Scripts};

/// A merchant that accepts every callback, and how many came.
pub async fn merchant() -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let accept = move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            axum::Json(json!({"success": true}))
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/multicard", listener.local_addr().expect("its address"));
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(accept)).await });
    (url, seen)
}

/// An invoice for a pair of shoes; its `checkout_url` and uuid.
pub async fn invoice(multicard: &Multicard, callback_url: &str, order: &str) -> (String, String) {
    let request: types::CreateInvoiceRequest = serde_json::from_value(json!({
        "store_id": 6, "amount": 150_000, "invoice_id": order, "callback_url": callback_url,
        "ofd": [{"qty": 1, "price": 150_000, "total": 150_000, "mxik": "06401004002000000",
            "package_code": "1506113", "name": "Shoes"}],
    }))
    .expect("a request");
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await.expect("an invoice");
    (invoice.checkout_url.clone().expect("a checkout link"), invoice.uuid.clone().expect("a uuid"))
}

async fn status_of(multicard: &Multicard, invoice: &str) -> Option<String> {
    let read = multicard.send(|api| api.get_invoice().uuid(invoice)).await.expect("the invoice");
    serde_json::to_value(&read.payment).expect("JSON")["status"].as_str().map(str::to_string)
}

/// Enters `pan` and `expiry` on the card form of the page open, then the
/// code `otp`.
async fn pay(browser: &Browser, pan: &str, expiry: &str, otp: &str) {
    browser.fill("pan", pan).await;
    browser.fill("expiry", expiry).await;
    browser.click_button("Continue").await;
    browser.wait_for_text("In the sandbox it is always").await;
    browser.assert_accessible("the one-time code page").await;
    browser.fill("One-time code", otp).await;
    browser.click_button("Confirm").await;
}

#[tokio::test]
async fn an_invoice_is_paid_on_its_checkout_page_with_the_test_card_and_its_code_without_javascript() {
    let Some(browser) = Browser::start(Scripts::Off).await else { return };
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, seen) = merchant().await;
    let (checkout, uuid) = invoice(&multicard, &callback_url, "browser-pay").await;

    browser.open(&checkout).await;
    let page = browser.body_text().await;
    assert!(page.contains("150000 tiyin (1500.00 сум)") && page.contains("Shoes") && page.contains("browser-pay"));
    browser.assert_accessible("the checkout page").await;
    browser.screenshot("checkout").await;
    assert_eq!(status_of(&multicard, &uuid).await, None, "showing the page paid nothing");

    // A wrong code first: the page says so and nothing is paid.
    pay(&browser, "8600533364098829", "2806", "000000").await;
    browser.wait_for_text("That code is wrong").await;
    assert_eq!(status_of(&multicard, &uuid).await, None);
    browser.fill("One-time code", "112233").await;
    browser.click_button("Confirm").await;
    browser.wait_for_text("Payment status").await;
    assert_eq!(status_of(&multicard, &uuid).await.as_deref(), Some("billing"), "debited, its callback out");

    sandbox.advance(Duration::ZERO).await;
    assert_eq!(seen.load(Ordering::SeqCst), 1, "the merchant got one success callback");
    browser.open(&checkout).await;
    browser.wait_for_text("Paid.").await;
    let history = browser.texts("ol.history li").await;
    let statuses: Vec<&str> = history.iter().filter_map(|line| line.split_whitespace().next()).collect();
    assert_eq!(statuses, ["draft", "progress", "billing", "success"], "{history:?}");
    browser.assert_accessible("the paid checkout page").await;
    browser.screenshot("checkout-paid").await;
    assert_eq!(status_of(&multicard, &uuid).await.as_deref(), Some("success"));
}

#[tokio::test]
async fn a_declining_card_is_declined_and_an_expired_one_refused_as_a_person_sees_it() {
    let Some(browser) = Browser::start(Scripts::Off).await else { return };
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, seen) = merchant().await;
    let (checkout, uuid) = invoice(&multicard, &callback_url, "browser-decline").await;

    browser.open(&checkout).await;
    browser.fill("pan", "8600000000000028").await;
    browser.fill("expiry", "2001").await;
    browser.click_button("Continue").await;
    browser.wait_for_text("This card has expired").await;
    browser.assert_accessible("the checkout page with a refused card").await;
    assert_eq!(status_of(&multicard, &uuid).await, None, "a refused card makes no payment");

    pay(&browser, "8600000000000002", "3012", "112233").await;
    sandbox.advance(Duration::ZERO).await;
    browser.open(&checkout).await;
    browser.wait_for_text("Declined").await;
    assert_eq!(status_of(&multicard, &uuid).await.as_deref(), Some("error"));
    assert_eq!(seen.load(Ordering::SeqCst), 0, "no success callback for a declined payment");
    browser.screenshot("checkout-declined").await;
}

#[tokio::test]
async fn a_card_is_bound_on_the_hosted_form() {
    let Some(browser) = Browser::start(Scripts::Off).await else { return };
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, seen) = merchant().await;
    let request: types::CardBindingRequest = serde_json::from_value(json!({
        "store_id": 6, "callback_url": callback_url, "phone": "998901234567",
        "redirect_url": "https://shop.example/bound", "redirect_decline_url": "https://shop.example/declined",
    }))
    .expect("a request");
    let session = multicard.send(|api| api.create_card_binding().body(request.clone())).await.expect("a session");

    browser.open(&session.form_url).await;
    browser.assert_accessible("the hosted card form").await;
    pay(&browser, "8600533364098829", "2806", "112233").await;
    browser.wait_for_text("bound").await;
    assert!(browser.has("a[href='https://shop.example/bound']").await, "a link back to the store");
    browser.assert_accessible("the hosted card form, bound").await;
    sandbox.advance(Duration::ZERO).await;
    assert_eq!(seen.load(Ordering::SeqCst), 1, "the card-binding callback went out");
    let read = multicard.send(|api| api.get_card_binding().session_id(session.session_id.as_str())).await;
    assert!(!read.expect("the binding").card_token.is_empty(), "the API reads the card bound");
}
