//! The receipt pages a payment links to, as a payer's browser shows them:
//! the payment's receipt (`receipt_url`) and its fiscal receipts (`qr_url`:
//! the sale's, then the refund's that cancels it), each listing the items
//! and the amount, with and without JavaScript, and free of WCAG 2.0/2.1
//! A and AA violations.

use std::collections::BTreeMap;
use std::time::Duration;

use multicard_api::Multicard;
use multicard_api::money::Tiyin;
use multicard_api::receipt::{Item, Receipt};
use multicard_api::types;
use multicard_sandbox::Sandbox;
use serde_json::json;

use crate::harness::{Browser, Scripts};

/// An item name a browser must show as text, never run.
const HOSTILE: &str = "Green tea <script>document.title='run'</script>";

/// A paid invoice's payment.
struct Paid {
    multicard: Multicard,
    uuid: String,
    /// Its `receipt_url`.
    receipt: String,
    /// Its fiscal receipt's `f_num` and `qr_url`.
    f_num: String,
    fiscal: String,
}

/// Creates an invoice for two items (40 000 сум), pays it on the checkout
/// as the payer would, and lets its success callback be accepted.
async fn paid_invoice(sandbox: &Sandbox) -> Paid {
    let accept = || async { axum::Json(json!({"success": true})) };
    let merchant = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let callback_url = format!("http://{}/paid", merchant.local_addr().expect("its address"));
    tokio::spawn(async move { axum::serve(merchant, axum::Router::new().fallback(accept)).await });

    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let receipt = Receipt::builder()
        .item(Item::new(HOSTILE, "06401004002000000", "1506113", "12500sum".parse().unwrap(), 2).vat(12))
        .item(Item::new("Delivery", "10107002001000000", "1519041", Tiyin::from_sum(15_000).unwrap(), 1))
        .build()
        .expect("a receipt");
    let request: types::CreateInvoiceRequest = serde_json::from_value(json!({"store_id": 6,
        "amount": receipt.amount(), "invoice_id": "browser-1", "callback_url": callback_url, "ofd": receipt.ofd()}))
    .expect("an invoice request");
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await.expect("an invoice");
    let paying = sandbox.pay_invoice(invoice.uuid.as_deref().expect("its uuid")).expect("the payer pays");
    let uuid = paying["uuid"].as_str().expect("the payment's uuid").to_string();
    sandbox.advance(Duration::from_secs(1)).await;
    let payment = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await.expect("the payment");
    assert_eq!(payment.status, types::PaymentStatus::Success);
    let tax = payment.tax.as_deref().expect("its fiscal receipt");
    Paid {
        receipt: payment.receipt_url.clone().expect("a receipt link"),
        f_num: tax.f_num.clone().expect("a fiscal sign"),
        fiscal: tax.qr_url.clone().expect("a fiscal link"),
        multicard,
        uuid,
    }
}

/// The page's `<dl>` as a map: each `<dt>`'s text to its `<dd>`'s.
async fn details(browser: &Browser) -> BTreeMap<String, String> {
    browser.texts("dt").await.into_iter().zip(browser.texts("dd").await).collect()
}

/// Checks the items table: one row per item, every cell as sent.
async fn assert_items(browser: &Browser, page: &str) {
    let header = browser.texts("table.items thead th").await;
    assert_eq!(header, ["Name", "MXIK", "Package code", "Qty", "Price", "VAT, %", "Total"], "{page}");
    let first = browser.texts("table.items tbody tr:nth-child(1) td").await;
    let expected = [HOSTILE, "06401004002000000", "1506113", "2", "1250000 tiyin (12500.00 сум)", "12"];
    assert_eq!(first[..6], expected, "{page}: the first item");
    assert_eq!(first[6], "2500000 tiyin (25000.00 сум)", "{page}: the first item's total");
    let second = browser.texts("table.items tbody tr:nth-child(2) td").await;
    assert_eq!((second[0].as_str(), second[6].as_str()), ("Delivery", "1500000 tiyin (15000.00 сум)"), "{page}");
    assert_eq!(browser.texts("table.items tbody tr").await.len(), 2, "{page}: two items");
}

/// The payment's receipt, then the fiscal receipt it links to, in `browser`.
async fn check_sale_pages(browser: &Browser, paid: &Paid, name: &str) {
    browser.open(&paid.receipt).await;
    assert_eq!(browser.title().await, "Payment receipt", "an item's script did not run");
    assert_eq!(browser.text("main h1").await, "Payment receipt", "the content is in the main landmark");
    let shown = details(browser).await;
    assert_eq!(shown["Payment"], paid.uuid);
    assert_eq!(shown["Order"], "browser-1");
    assert_eq!(shown["Status"], "success");
    assert_eq!(shown["Amount"], "4000000 tiyin (40000.00 сум)");
    assert_eq!(shown["Fiscal receipt"], paid.f_num);
    assert_items(browser, "the payment's receipt").await;
    browser.screenshot(&format!("{name}-payment-receipt")).await;
    browser.assert_accessible("the payment's receipt").await;

    // Its link leads to the fiscal receipt.
    browser.click_link(&paid.f_num).await;
    assert_eq!(browser.url().await, paid.fiscal);
    assert_eq!(browser.title().await, "Fiscal receipt");
    let shown = details(browser).await;
    assert_eq!(shown["Fiscal sign (f_num)"], paid.f_num);
    assert_eq!(shown["Payment"], paid.uuid);
    assert_eq!(shown["Status"], "valid");
    assert_items(browser, "the fiscal receipt").await;
    assert_eq!(browser.text("p.totals").await, "Items' totals: 4000000 tiyin (40000.00 сум)");
    assert_eq!(browser.text("p.amount").await, "Amount: 4000000 tiyin (40000.00 сум)");
    browser.screenshot(&format!("{name}-fiscal-receipt")).await;
    browser.assert_accessible("the fiscal receipt").await;
}

#[tokio::test]
async fn the_receipt_pages_show_the_items_and_amount_and_break_no_wcag_rule() {
    let Some(browser) = Browser::start(Scripts::On).await else { return };
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let paid = paid_invoice(&sandbox).await;
    check_sale_pages(&browser, &paid, "receipts").await;

    // Refunded in full: a refund receipt cancels the sale's.
    let uuid = paid.uuid.as_str();
    let refunded = paid.multicard.send(|api| api.refund_payment().uuid(uuid)).await.expect("a refund");
    let refund = refunded.refund_tax.as_deref().expect("a refund receipt");
    let refund_f_num = refund.f_num.clone().expect("its fiscal sign");
    browser.open(refund.qr_url.as_deref().expect("its link")).await;
    assert_eq!(browser.title().await, "Refund receipt");
    let shown = details(&browser).await;
    assert_eq!((shown["Cancels"].as_str(), shown["Status"].as_str()), (paid.f_num.as_str(), "valid"));
    assert_items(&browser, "the refund receipt").await;
    browser.screenshot("receipts-refund-receipt").await;
    browser.assert_accessible("the refund receipt").await;

    // The sale's receipt now says so, and links the refund's.
    browser.click_link(&paid.f_num).await;
    assert_eq!(details(&browser).await["Status"], format!("cancelled by {refund_f_num}"));
    browser.click_link(&refund_f_num).await;
    assert_eq!(browser.title().await, "Refund receipt");
    browser.open(&paid.receipt).await;
    let shown = details(&browser).await;
    assert_eq!((shown["Status"].as_str(), shown["Refund receipt"].as_str()), ("revert", refund_f_num.as_str()));
    browser.assert_accessible("the refunded payment's receipt").await;
}

#[tokio::test]
async fn the_receipt_pages_work_without_javascript() {
    let Some(browser) = Browser::start(Scripts::Off).await else { return };
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let paid = paid_invoice(&sandbox).await;
    check_sale_pages(&browser, &paid, "receipts-no-js").await;
}
