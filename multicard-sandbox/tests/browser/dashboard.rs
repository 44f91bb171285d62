//! The dashboard as a person uses it: after an invoice is paid on its
//! checkout page, it shows the payment's statuses over time and the
//! success callback with the merchant's answer; "Send again" sends it
//! again; moving the clock moves it. Free of WCAG 2.0/2.1 A and AA
//! violations; a screenshot is kept as an artifact.

use std::sync::atomic::Ordering;
use std::time::Duration;

use multicard_api::Multicard;
use multicard_sandbox::Sandbox;

use crate::checkout::{invoice, merchant};
use crate::harness::{Browser, Scripts};

#[tokio::test]
async fn the_dashboard_shows_the_payments_statuses_and_its_callback_and_sends_it_again() {
    let Some(browser) = Browser::start(Scripts::On).await else { return };
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, seen) = merchant().await;
    let (_, uuid) = invoice(&multicard, &callback_url, "browser-dashboard").await;
    sandbox.pay_invoice(&uuid).expect("the payer pays");
    sandbox.advance(Duration::ZERO).await;
    let payment = sandbox.deliveries()[0].body["uuid"].as_str().expect("the payment's uuid").to_string();

    let dashboard = format!("{}/sandbox/", sandbox.url());
    browser.open(&dashboard).await;
    let page = browser.body_text().await;
    assert!(page.contains(&uuid) && page.contains(&payment) && page.contains("browser-dashboard"), "{page}");
    let row = browser.texts("#payments + table tbody tr:nth-child(1) td").await;
    assert!(row[6].starts_with("draft (") && row[6].contains("→ progress (") && row[6].ends_with(")"), "{row:?}");
    assert!(row[6].contains("→ billing (") && row[6].contains("→ success ("), "{row:?}");
    let callback = browser.texts("#callbacks + table tbody tr:nth-child(1) td").await;
    assert_eq!((callback[1].as_str(), callback[5].as_str(), callback[6].as_str()), ("success", "200", "accepted"));
    assert!(!callback[7].is_empty(), "its signature is shown");
    browser.assert_accessible("the dashboard").await;
    browser.screenshot("dashboard").await;

    browser.click_button("Send again").await;
    browser.wait_for_text("(attempt 2)").await;
    assert_eq!(seen.load(Ordering::SeqCst), 2, "sent again to the merchant");
    let again = browser.texts("#callbacks + table tbody tr:nth-child(1) td").await;
    assert_eq!(again[6], "skipped", "the payment had already ended: the repeat changed nothing");

    let before = sandbox.now().to_utc();
    browser.fill("seconds", "3600").await;
    browser.click_button("Move the clock on").await;
    let moved = sandbox.now().to_utc() - before;
    assert!(moved >= chrono::TimeDelta::hours(1), "the clock moved by {moved}");
}
