//! The sandbox enforces the SDK's request checks and keeps the fiscal
//! receipts it issues (issue 26).
//!
//! What the rules refuse by default, the sandbox answers with `ERROR_FIELDS`
//! and the vendor's wording (sent around the SDK's own checks: raw HTTP, or
//! a client that downgrades the rule); what they only warn about, the
//! vendor's own contradictory examples included, it accepts. A payment paid
//! with a fiscal receipt links it (`tax`), its page lists the items with
//! every value escaped, and a partial refund cancels it (`refund_tax`) and
//! issues a new one.

use std::collections::BTreeSet;
use std::time::Duration;

use multicard_api::checks::{Action, RULES, RequestChecks};
use multicard_api::money::Tiyin;
use multicard_api::outcome::FieldsReason;
use multicard_api::receipt::{Item, Receipt, Returned, remaining};
use multicard_api::types::{self, ErrorCode, PaymentStatus, TaxReceiptModel};
use multicard_api::{Error, Multicard};
use multicard_api_tests::money::{body, bound_card, serve};
use multicard_api_tests::{operations, request_examples, spec};
use multicard_sandbox::{Sandbox, TEST_CARD_PAN};
use serde_json::{Value, json};

/// What the sandbox answers to a raw request: HTTP status and body.
async fn raw(
    sandbox: &Sandbox,
    multicard: &Multicard,
    method: reqwest::Method,
    path: &str,
    sent: &Value,
) -> (u16, Value) {
    let token = multicard.tokens().get().await.expect("a token");
    let answer = reqwest::Client::new()
        .request(method, format!("{}{path}", sandbox.url()))
        .bearer_auth(token.expose())
        .json(sent)
        .send()
        .await
        .expect("the sandbox answers");
    let status = answer.status().as_u16();
    (status, answer.json().await.expect("JSON"))
}

/// A receipt item as the wire carries it.
fn item(name: &str, price: i64, qty: i64) -> Value {
    json!({"qty": qty, "price": price, "mxik": "06401004002000000", "total": price * qty, "package_code": "1506113",
        "name": name})
}

fn invoice(amount: i64, ofd: Value) -> Value {
    json!({"store_id": 6, "amount": amount, "invoice_id": "r-1", "callback_url": "https://shop.example/cb", "ofd": ofd})
}

/// A merchant that accepts every success callback.
async fn accepting_merchant() -> String {
    let accept = || async { axum::Json(json!({"success": true})) };
    format!("{}/cb", serve(axum::Router::new().fallback(accept)).await)
}

/// The text of the page at `url`, which must be HTML.
async fn page(url: &str) -> String {
    let answer = reqwest::get(url).await.expect("the page answers");
    assert_eq!(answer.status(), 200, "{url}");
    let kind = answer.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("text/html"), "{url}: {kind}");
    answer.text().await.unwrap()
}

fn f_num(tax: &Option<Box<TaxReceiptModel>>) -> String {
    tax.as_ref().and_then(|t| t.f_num.clone()).expect("a fiscal receipt")
}

#[tokio::test]
async fn every_rule_the_sdk_refuses_the_sandbox_answers_with_error_fields_in_the_vendors_words() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let token = bound_card(&multicard).await;
    let good = item("tea", 500, 1);
    let mut no_mxik = item("cup", 500, 1);
    no_mxik.as_object_mut().unwrap().remove("mxik");
    let mut no_qty = item("tea", 500, 1);
    no_qty["qty"] = json!(0);
    let mut vat = item("tea", 500, 1);
    vat["vat"] = json!(120);
    let by_token = |amount: i64, split: Value| json!({"card": {"token": token}, "amount": amount, "store_id": 6, "invoice_id": "s-1", "split": split});
    let payout =
        |amount: i64| json!({"card": {"pan": TEST_CARD_PAN}, "amount": amount, "store_id": 6, "invoice_id": "p"});
    let uuid = "00000000-0000-0000-0000-000000000000";
    let post = reqwest::Method::POST;
    // (rule, method, path, body, HTTP status, details)
    let cases = [
        (
            "amount.positive",
            post.clone(),
            "/payment/invoice".to_string(),
            invoice(0, json!([good])),
            400,
            "Значение «Amount» неверно.",
        ),
        (
            // Left out: the vendor's wording for a missing field, whatever the rule.
            "amount.positive",
            post.clone(),
            "/payment/invoice".to_string(),
            {
                let mut body = invoice(500, json!([good]));
                body.as_object_mut().map(|b| b.remove("amount"));
                body
            },
            400,
            "Необходимо заполнить «Amount».",
        ),
        (
            "amount.positive",
            reqwest::Method::DELETE,
            format!("/payment/{uuid}/partial"),
            json!({"refund_amount": 0, "ofd": [good]}),
            400,
            "Значение «Refund Amount» неверно.",
        ),
        (
            "ofd.required",
            post.clone(),
            "/payment/invoice".into(),
            invoice(500, Value::Null),
            400,
            "Необходимо заполнить «Ofd».",
        ),
        (
            "ofd.item.fields",
            post.clone(),
            "/payment/invoice".into(),
            invoice(1_000, json!([good, no_mxik])),
            400,
            "Необходимо заполнить «Ofd 1 Mxik».",
        ),
        (
            "ofd.item.positive",
            post.clone(),
            "/payment/invoice".into(),
            invoice(500, json!([no_qty])),
            400,
            "Значение «Ofd 0 Qty» неверно.",
        ),
        (
            "ofd.item.vat_percent",
            post.clone(),
            "/payment/invoice".into(),
            invoice(500, json!([vat])),
            400,
            "Значение «Ofd 0 Vat» неверно.",
        ),
        (
            "split.item.positive",
            post.clone(),
            "/payment".into(),
            by_token(1_000, json!([{"type": "account", "amount": 0, "details": "share"}])),
            200,
            "Значение «Split 0 Amount» неверно.",
        ),
        (
            "split.within_amount",
            post.clone(),
            "/payment".into(),
            by_token(100_000, json!([{"type": "card", "amount": 100_001, "details": "too much"}])),
            200,
            "Сумма значений amount в массиве split не должна превышать суммы оплаты за вычетом комиссии",
        ),
        (
            "payout.kyc_above_10m_sum",
            post.clone(),
            "/payment/credit".into(),
            payout(1_000_000_001),
            200,
            "Для пополнения на эту сумму необходимо пройти идентификацию",
        ),
    ];
    let mut covered = BTreeSet::new();
    for (rule, method, path, sent, status, details) in cases {
        let answer = raw(&sandbox, &multicard, method, &path, &sent).await;
        assert_eq!(answer.0, status, "{rule}: {}", answer.1);
        assert_eq!(
            answer.1,
            json!({"success": false, "error": {"code": "ERROR_FIELDS", "details": details}}),
            "{rule}"
        );
        // The rule's own words, with the field named where they name one
        // (a field left out: the vendor's words for that).
        let words = match details.starts_with("Необходимо заполнить") {
            true => "Необходимо заполнить «{field}».",
            false => multicard_api::checks::rule(rule).unwrap().vendor_details,
        };
        let (before, after) = words.split_once("{field}").unwrap_or((words, ""));
        assert!(details.starts_with(before) && details.ends_with(after), "{rule}: {details} from {words}");
        covered.insert(rule);
    }
    let refusing: BTreeSet<&str> =
        RULES.iter().filter(|rule| rule.default_action() == Action::Refuse).map(|rule| rule.id).collect();
    assert_eq!(covered, refusing, "every rule refused by default has its case here");
    // The field names read back as fields.
    assert_eq!(
        FieldsReason::from_details("Необходимо заполнить «Ofd 1 Mxik»."),
        FieldsReason::FieldMissing { field: "Ofd 1 Mxik".into() }
    );
    // Nothing refused was kept: no invoice, payment or payout was made.
    assert!(sandbox.invoices_with_id("r-1").is_empty());
    let (start, end) = {
        let day = |hours| {
            let at = chrono::Utc::now() + chrono::Duration::hours(hours);
            multicard_api::time::MulticardDateTime::from_utc(at).to_string()
        };
        (day(-2), day(2))
    };
    let payouts = multicard
        .send(|api| {
            api.list_payouts()
                .store_id("6")
                .offset(0)
                .limit(50)
                .only_status("success")
                .start_date(start.as_str())
                .end_date(end.as_str())
        })
        .await
        .unwrap();
    assert_eq!(payouts.pagination.total, 0);
    let payments = multicard
        .send(|api| {
            api.list_payments().store_id("6").offset(0).limit(50).start_date(start.as_str()).end_date(end.as_str())
        })
        .await
        .unwrap();
    assert_eq!(payments.pagination.total, 0);
}

#[tokio::test]
async fn a_payout_needs_kyc_data_strictly_above_ten_million_sum() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let payout = |amount: i64, invoice_id: &str| -> types::CreatePayoutRequest {
        body(json!({"card": {"pan": TEST_CARD_PAN}, "amount": amount, "store_id": 6, "invoice_id": invoice_id,
            "confirmable": false}))
    };
    let at = payout(1_000_000_000, "p-at");
    let paid = multicard.send(|api| api.create_payout().body(at.clone())).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Success, "10,000,000 сум exactly needs no kyc_data");

    let above = payout(1_000_000_001, "p-above");
    let refused = multicard.send(|api| api.create_payout().body(above.clone())).await.unwrap_err();
    assert!(matches!(refused, Error::RequestRefused { .. }), "the SDK refuses it first: {refused:?}");
    assert_eq!(sandbox.requests("create_payout"), 1, "nothing was sent");
    // A client that only warns sends it: the sandbox refuses it as Multicard does.
    let checks = RequestChecks::new().with_rule("payout.kyc_above_10m_sum", Action::Warn).unwrap();
    let lenient = Multicard::new(sandbox.config().with_request_checks(checks)).unwrap();
    match lenient.send(|api| api.create_payout().body(above.clone())).await.unwrap_err() {
        Error::Api { status: 200, code: ErrorCode::ErrorFields, details, .. } => {
            assert_eq!(details, "Для пополнения на эту сумму необходимо пройти идентификацию")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.requests("create_payout"), 2);
}

#[tokio::test]
async fn what_the_sdk_only_warns_about_the_sandbox_accepts_the_vendors_own_examples_included() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    // The invoice page's example: amount 500000, item totals 25000000 and
    // 2500000, the first 2500000 × 1 with a total of 25000000.
    let spec = spec();
    let operation = operations(&spec).into_iter().find(|op| op.id == "create_invoice").unwrap();
    let (_, example) = request_examples(&operation.operation).into_iter().next().expect("the page's example");
    assert_eq!(example["amount"], 500_000);
    assert_eq!((&example["ofd"][0]["price"], &example["ofd"][0]["total"]), (&json!(2_500_000), &json!(25_000_000)));
    assert_eq!(example["ofd"][1]["total"], 2_500_000);
    let findings = multicard_api::checks::check("create_invoice", &example, &RequestChecks::new());
    assert!(!findings.is_empty() && findings.iter().all(|f| f.action == Action::Warn), "{findings:?}");
    let request: types::CreateInvoiceRequest = body(example.clone());
    let created = multicard.send(|api| api.create_invoice().body(request.clone())).await.unwrap();
    assert_eq!(created.amount, 500_000);
    // The same, raw.
    let (status, answer) = raw(&sandbox, &multicard, reqwest::Method::POST, "/payment/invoice", &example).await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{answer}");

    // An empty receipt and a code of the wrong shape: warned about, accepted.
    let mut odd = item("tea", 500, 1);
    odd["mxik"] = json!("123");
    for ofd in [json!([]), json!([odd])] {
        let (status, answer) =
            raw(&sandbox, &multicard, reqwest::Method::POST, "/payment/invoice", &invoice(500, ofd.clone())).await;
        assert_eq!((status, &answer["success"]), (200, &json!(true)), "{ofd}: {answer}");
    }

    // The partial refund page's example: 795000 × 1 with a total of 1605900.
    let token = bound_card(&multicard).await;
    let payment: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": 30_000_000, "store_id": 6, "invoice_id": "w-1"}));
    let uuid = multicard.send(|api| api.create_payment().body(payment.clone())).await.unwrap().uuid;
    let confirm: types::ConfirmPaymentRequest = body(json!({}));
    multicard.send(|api| api.confirm_payment().uuid(uuid.as_str()).body(confirm.clone())).await.unwrap();
    let operation = operations(&spec).into_iter().find(|op| op.id == "partial_refund_payment").unwrap();
    let example = request_examples(&operation.operation)
        .into_iter()
        .map(|(_, value)| value)
        .find(|value| value.get("ofd").is_some())
        .expect("the page's example");
    assert_eq!((&example["ofd"][0]["price"], &example["ofd"][0]["total"]), (&json!(795_000), &json!(1_605_900)));
    let path = format!("/payment/{uuid}/partial");
    let (status, answer) = raw(&sandbox, &multicard, reqwest::Method::DELETE, &path, &example).await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{answer}");
    assert_eq!(answer["data"]["tax"]["receipt"]["items"], example["ofd"], "the new receipt lists the refund's items");
}

#[tokio::test]
async fn a_paid_invoice_links_its_fiscal_receipt_whose_page_lists_the_items_escaped() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let merchant = accepting_merchant().await;
    let receipt = Receipt::builder()
        .item(Item::new(
            "<script>alert('x')</script> & \"tea\"",
            "06401004002000000",
            "1506113",
            "12500sum".parse().unwrap(),
            2,
        ))
        .item(Item::new("Delivery", "10107002001000000", "1519041", Tiyin::from_sum(15_000).unwrap(), 1))
        .build()
        .unwrap();
    let request: types::CreateInvoiceRequest = body(json!({"store_id": 6, "amount": receipt.amount(),
        "invoice_id": "t-1", "callback_url": merchant, "ofd": receipt.ofd()}));
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await.unwrap();
    let paid = sandbox.pay_invoice(invoice.uuid.as_deref().unwrap()).unwrap();
    let uuid = paid["uuid"].as_str().unwrap().to_string();
    assert!(paid.get("tax").is_none(), "no receipt before the payment succeeds: {paid}");
    sandbox.advance(Duration::from_secs(1)).await;
    let payment = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await.unwrap();
    assert_eq!(payment.status, PaymentStatus::Success);
    let tax = payment.tax.as_deref().expect("the fiscal receipt");
    assert_eq!(tax.is_refund, Some(false));
    assert!(tax.f_num.is_some() && tax.fm_num.is_some());
    assert!(payment.tax_receipt_id.is_some() && payment.refund_tax.is_none());
    let url = tax.qr_url.clone().expect("its link");
    assert!(url.starts_with(sandbox.url()), "the sandbox's own page: {url}");

    let html = page(&url).await;
    assert!(!html.contains("<script>"), "item names are escaped: {html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;tea&quot;"), "{html}");
    assert!(html.contains("<td>Delivery</td>"), "{html}");
    assert!(html.contains("<td>2</td>"), "the quantity: {html}");
    assert!(html.contains("1250000 tiyin (12500.00 сум)"), "the price: {html}");
    assert!(html.contains("2500000 tiyin (25000.00 сум)"), "the total: {html}");
    assert!(html.contains("Amount: 4000000 tiyin (40000.00 сум)"), "the amount: {html}");
    // The payment's own receipt page lists them too.
    let html = page(payment.receipt_url.as_deref().expect("a receipt link")).await;
    assert!(html.contains("<td>Delivery</td>") && !html.contains("<script>"), "{html}");
    assert!(html.contains(&url), "it links the fiscal receipt: {html}");

    // The pages are read only.
    let posted = reqwest::Client::new().post(&url).send().await.unwrap();
    assert_eq!(posted.status(), 405);
    let missing = reqwest::get(format!("{}/sandbox/fiscal/nothing", sandbox.url())).await.unwrap();
    assert_eq!(missing.status(), 404);
    let again = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await.unwrap();
    assert_eq!((again.tax, again.status), (payment.tax, PaymentStatus::Success));
}

#[tokio::test]
async fn a_partial_refund_cancels_the_receipt_and_issues_a_new_one_a_full_refund_cancels_that() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let token = bound_card(&multicard).await;
    let original = Receipt::builder()
        .item(Item::new("Green tea", "06401004002000000", "1506113", Tiyin::from_sum(125).unwrap(), 4))
        .item(Item::new("Cup", "06401002004000000", "1519041", Tiyin::from_sum(300).unwrap(), 1))
        .build()
        .unwrap();
    // No callback URL: paid at once.
    let request: types::CreatePaymentRequest = body(json!({"card": {"token": token}, "amount": original.amount(),
        "store_id": 6, "invoice_id": "r-2", "ofd": original.ofd()}));
    let uuid = multicard.send(|api| api.create_payment().body(request.clone())).await.unwrap().uuid;
    let confirm: types::ConfirmPaymentRequest = body(json!({}));
    let paid = multicard.send(|api| api.confirm_payment().uuid(uuid.as_str()).body(confirm.clone())).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Success);
    let first = f_num(&paid.tax);

    // The cup comes back.
    let refund = remaining(original.items(), &[Returned::Units { line: 1, qty: 1 }]).unwrap();
    let partial: types::PartialRefundRequest =
        body(json!({"refund_amount": refund.refund_amount, "ofd": refund.receipt.ofd()}));
    let after =
        multicard.send(|api| api.partial_refund_payment().uuid(uuid.as_str()).body(partial.clone())).await.unwrap();
    assert_eq!(after.status, PaymentStatus::Success);
    let second = f_num(&after.tax);
    assert_ne!(second, first, "a new receipt");
    let cancelling = after.refund_tax.as_deref().expect("the refund receipt");
    assert_eq!(cancelling.is_refund, Some(true));
    let cancelling_url = cancelling.qr_url.clone().unwrap();
    let html = page(&cancelling_url).await;
    assert!(html.contains("Refund receipt") && html.contains(&first), "it cancels the first: {html}");
    assert!(html.contains("<td>Cup</td>") && html.contains("Amount: 80000 tiyin (800.00 сум)"), "{html}");
    let html = page(&format!("{}/sandbox/fiscal/{first}", sandbox.url())).await;
    assert!(html.contains("cancelled by"), "the first is cancelled: {html}");
    let html = page(after.tax.as_ref().unwrap().qr_url.as_deref().unwrap()).await;
    assert!(html.contains("<td>Green tea</td>") && !html.contains("<td>Cup</td>"), "what the payer keeps: {html}");
    assert!(html.contains("Amount: 50000 tiyin (500.00 сум)"), "what stays paid: {html}");
    assert!(html.contains("valid"), "{html}");

    // The rest refunded: a refund receipt cancels the second.
    let reverted = multicard.send(|api| api.refund_payment().uuid(uuid.as_str())).await.unwrap();
    assert_eq!(reverted.status, PaymentStatus::Revert);
    assert_eq!(f_num(&reverted.tax), second);
    let last = reverted.refund_tax.as_deref().unwrap();
    assert_ne!(last.f_num.as_deref(), cancelling.f_num.as_deref());
    let html = page(last.qr_url.as_deref().unwrap()).await;
    assert!(html.contains(&second) && html.contains("Amount: 50000 tiyin (500.00 сум)"), "{html}");

    // A payment without a fiscal receipt has none.
    let plain: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": 1_000, "store_id": 6, "invoice_id": "r-3"}));
    let uuid = multicard.send(|api| api.create_payment().body(plain.clone())).await.unwrap().uuid;
    let paid = multicard.send(|api| api.confirm_payment().uuid(uuid.as_str()).body(confirm.clone())).await.unwrap();
    assert!(paid.tax.is_none() && paid.tax_receipt_id.is_none());
}
