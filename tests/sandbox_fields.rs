//! The sandbox sends only the vendor's fields: every answer of every
//! operation, in every state a payment, hold, invoice or card passes through
//! (and its error answers), and every callback it sends, carries no key that
//! `spec/multicard.yaml` does not declare at that place, nor
//! `spec/observed/` has seen production send there. Code built on the
//! sandbox then relies on no field production does not send.
//!
//! The flows run through the SDK against a recording proxy in front of the
//! sandbox, so the raw answers are checked, not what the SDK decoded.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Config, Environment, Multicard};
use multicard_api_tests::money::{body, bound_card, confirm, draft_payment, ofd, serve};
use multicard_api_tests::workspace_root;
use multicard_sandbox::{
    APPLICATION_ID, Fault, FrozenPayments, LateOutcome, SECRET, Sandbox, SandboxConfig, TEST_CARD_EXPIRY,
    TEST_CARD_PAN, TEST_OTP,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};
use xtask::live::shape::{self, Observed, ROOT};
use xtask::live::spec::Spec;

/// Answers seen: (method, path, HTTP status, body).
type Seen = Arc<Mutex<Vec<(String, String, u16, Bytes)>>>;

/// A proxy to `target` that records every answer.
async fn recording_proxy(target: String) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let forward = move |method: Method, uri: Uri, headers: HeaderMap, sent: Bytes| {
        let (http, target, record) = (http.clone(), target.clone(), record.clone());
        async move {
            let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
            let mut request = http.request(method.clone(), format!("{target}{path}")).body(sent);
            for name in ["authorization", "content-type"] {
                if let Some(value) = headers.get(name) {
                    request = request.header(name, value);
                }
            }
            let answer = request.send().await.expect("the sandbox answers");
            let status = answer.status().as_u16();
            let bytes = answer.bytes().await.unwrap_or_default();
            record.lock().unwrap().push((method.to_string(), uri.path().to_string(), status, bytes.clone()));
            (StatusCode::from_u16(status).unwrap(), [("content-type", "application/json")], bytes)
        }
    };
    (serve(axum::Router::new().fallback(forward)).await, seen)
}

/// The operation of the spec a method and path belong to.
fn operation_of<'a>(spec: &'a Spec, method: &str, path: &str) -> Option<(String, xtask::live::spec::Operation<'a>)> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    spec.operations().into_iter().find(|(_, op)| {
        let template: Vec<&str> = op.path.trim_matches('/').split('/').collect();
        op.method == method
            && template.len() == segments.len()
            && template.iter().zip(&segments).all(|(t, s)| t.starts_with('{') || t == s)
    })
}

/// Every key of `value` that neither the schemas nor `observed` know, as
/// field paths.
fn unknown_keys(
    spec: &Spec,
    schemas: &[&Value],
    value: &Value,
    path: &str,
    observed: &BTreeSet<String>,
    out: &mut Vec<String>,
) {
    let Some(expect) = spec.expect(schemas) else { return };
    match value {
        Value::Object(fields) if !expect.properties.is_empty() => {
            for (name, field) in fields {
                let child = shape::child_path(path, name);
                match expect.properties.get(name) {
                    Some(schemas) => unknown_keys(spec, schemas, field, &child, observed, out),
                    None if observed.contains(&child) => {}
                    None => out.push(child),
                }
            }
        }
        Value::Array(items) if !expect.items.is_empty() => {
            for item in items {
                unknown_keys(spec, &expect.items, item, &shape::items_path(path), observed, out);
            }
        }
        _ => {}
    }
}

/// What `spec/observed/` saw production send, by operation and status.
fn observed_fields() -> BTreeMap<(String, String), BTreeSet<String>> {
    let dir = workspace_root().join("spec").join("observed");
    let all: BTreeMap<String, Observed> =
        if dir.is_dir() { shape::read_all(&dir).expect("spec/observed") } else { BTreeMap::new() };
    let mut fields = BTreeMap::new();
    for (operation, observed) in all {
        for (status, answer) in observed.answers {
            fields.insert((operation.clone(), status), answer.fields.keys().cloned().collect());
        }
    }
    fields
}

/// Drives the sandbox through every group's operations and the states its
/// objects pass through.
async fn walk(sandbox: &Sandbox, multicard: &Multicard, merchant: &str) {
    let invoice: types::CreateInvoiceRequest = body(json!({"store_id": 6, "amount": 900, "invoice_id": "i-1",
        "callback_url": merchant, "ofd": ofd(900), "ttl": 60}));
    let open = multicard.send(|api| api.create_invoice().body(invoice.clone())).await.unwrap().uuid.unwrap();
    let _ = multicard.send(|api| api.get_invoice().uuid(open.as_str())).await;
    let _ = multicard.send(|api| api.cancel_invoice().uuid(open.as_str())).await;
    let _ = multicard.send(|api| api.get_invoice().uuid(open.as_str())).await;
    let scanned = multicard.send(|api| api.create_invoice().body(invoice.clone())).await.unwrap().uuid.unwrap();
    let code: types::ScanpayRequest = body(json!({"code": "880012345678"}));
    let _ = multicard.send(|api| api.scanpay_invoice().uuid(scanned.as_str()).body(code.clone())).await;
    let _ = multicard.send(|api| api.get_invoice().uuid(scanned.as_str())).await;

    let binding: types::CardBindingRequest = body(json!({"redirect_url": "https://shop/ok",
        "redirect_decline_url": "https://shop/no", "store_id": 6, "callback_url": merchant, "phone": "998901234567"}));
    let session = multicard.send(|api| api.create_card_binding().body(binding.clone())).await.unwrap().session_id;
    let _ = multicard.send(|api| api.get_card_binding().session_id(session.as_str())).await;
    sandbox.complete_card_binding(&session).unwrap();
    let _ = multicard.send(|api| api.get_card_binding().session_id(session.as_str())).await;
    let token = bound_card(multicard).await;
    let _ = multicard.send(|api| api.get_card().card_token(token.as_str())).await;
    let _ = multicard.send(|api| api.check_card_pan().pan(TEST_CARD_PAN)).await;
    let pinfl: types::CheckPinflRequest = body(json!({"pan": TEST_CARD_PAN, "pinfl": "31105892514010"}));
    let _ = multicard.send(|api| api.check_card_pinfl().body(pinfl.clone())).await;

    // Payments in every state: accepted, refused, frozen, unknown, failed.
    for (amount, debit) in [(1_000, None), (1_404, None), (1_500, None), (1_600, Some(LateOutcome::Error))] {
        let uuid = draft_payment(multicard, &token, amount, Some(merchant)).await;
        if let Some(then) = debit {
            sandbox.inject("confirm_payment", Fault::DebitUnknown { after: Duration::from_secs(1), then }, 1);
        }
        let _ = confirm(multicard, &uuid).await;
        let _ = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await;
        sandbox.advance(Duration::from_secs(1)).await;
        let _ = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await;
    }
    // Paid with a fiscal receipt: its `tax`, then `refund_tax` on refunds.
    let with_receipt: types::CreatePaymentRequest = body(json!({"card": {"token": token}, "amount": 2_000,
        "store_id": 6, "invoice_id": "f-1", "ofd": ofd(2_000)}));
    let done = multicard.send(|api| api.create_payment().body(with_receipt.clone())).await.unwrap().uuid;
    let _ = confirm(multicard, &done).await;
    let fiscal: types::FiscalLinkRequest = body(json!({"url": "https://ofd.soliq.uz/check?t=1", "is_refund": false}));
    let _ = multicard.send(|api| api.send_fiscal_link().uuid(done.as_str()).body(fiscal.clone())).await;
    let part: types::PartialRefundRequest = body(json!({"refund_amount": 500, "ofd": ofd(500)}));
    let _ = multicard.send(|api| api.partial_refund_payment().uuid(done.as_str()).body(part.clone())).await;
    let _ = multicard.send(|api| api.refund_payment().uuid(done.as_str())).await;
    let _ = multicard.send(|api| api.get_payment().uuid(done.as_str())).await;
    let by_card: types::CreatePaymentRequest = body(json!({"card": {"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY},
        "amount": 3_000, "store_id": 6, "invoice_id": "c-1"}));
    let _ = multicard.send(|api| api.create_payment().body(by_card.clone())).await;
    let app: types::CreatePaymentRequest =
        body(json!({"payment_system": "payme", "amount": 4_000, "store_id": 6, "invoice_id": "a-1"}));
    let _ = multicard.send(|api| api.create_payment().body(app.clone())).await;
    let _ = multicard.send(|api| api.get_payment().uuid("00000000-0000-0000-0000-000000000000")).await;

    // Holds: charged, released, run out.
    enum End {
        Charged,
        Released,
        RunOut,
    }
    for end in [End::Charged, End::Released, End::RunOut] {
        let hold: types::CreateHoldRequest =
            body(json!({"card": {"token": token}, "amount": 800, "store_id": 6, "invoice_id": "h", "expiry": 5}));
        let id = multicard.send(|api| api.create_hold().body(hold.clone())).await.unwrap().id.to_string();
        let otp: types::ConfirmHoldRequest = body(json!({"otp": TEST_OTP}));
        let _ = multicard.send(|api| api.confirm_hold().payment_uuid(id.as_str()).body(otp.clone())).await;
        match end {
            End::Charged => {
                let request: types::ChargeHoldRequest = body(json!({"amount": 700}));
                let _ = multicard.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(request.clone())).await;
            }
            End::Released => {
                let _ = multicard.send(|api| api.cancel_hold().payment_uuid(id.as_str())).await;
            }
            // Five minutes: `charge_hold` is refused within 2 minutes of
            // the hold's expiry.
            End::RunOut => sandbox.advance(Duration::from_secs(300)).await,
        }
        let _ = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await;
    }

    let payout: types::CreatePayoutRequest = body(json!({"card": {"token": token}, "amount": 10_000, "store_id": 6,
        "invoice_id": "p-1", "confirmable": true}));
    let uuid = multicard.send(|api| api.create_payout().body(payout.clone())).await.unwrap().uuid;
    let otp: types::ConfirmPayoutRequest = body(json!({"otp": TEST_OTP}));
    let _ = multicard.send(|api| api.confirm_payout().payment_uuid(uuid.as_str()).body(otp.clone())).await;
    let _ = multicard.send(|api| api.get_payout().payment_uuid(uuid.as_str())).await;
    let _ = multicard.send(|api| api.revoke_card().card_token(token.as_str())).await;

    sandbox.advance(Duration::from_secs(3600)).await;
    let now = chrono::Utc::now();
    let day =
        |hours| multicard_api::time::MulticardDateTime::from_utc(now + chrono::Duration::hours(hours)).to_string();
    let (start, end) = (day(-2), day(2));
    let _ = multicard
        .send(|api| {
            api.list_payments().store_id("6").offset(0).limit(50).start_date(start.as_str()).end_date(end.as_str())
        })
        .await;
    let _ = multicard
        .send(|api| {
            api.list_payouts()
                .store_id("6")
                .offset(0)
                .limit(50)
                .only_status("success")
                .start_date(start.as_str())
                .end_date(end.as_str())
        })
        .await;
    let _ = multicard.send(|api| api.get_application()).await;
    let _ = multicard.send(|api| api.get_merchant_account().recipient("a81b7b62-6d86-11f0-9a1b-00505680eaf6")).await;
}

#[tokio::test]
async fn the_sandbox_sends_no_field_outside_the_spec_and_what_production_was_seen_sending() {
    let config = SandboxConfig::default()
        .with_status_webhooks(true)
        .with_otp_sms_limit(usize::MAX)
        .with_frozen_payments(FrozenPayments::reverted_after(Duration::from_secs(30)));
    let sandbox = Sandbox::start_with(config).await.unwrap();
    let (proxy, seen) = recording_proxy(sandbox.url().to_string()).await;
    let multicard = Multicard::new(Config::new(APPLICATION_ID, SECRET, Environment::Custom(proxy))).unwrap();
    let merchant = MockServer::start().await;
    for (amount, status) in [("1404", 404), ("1500", 500)] {
        Mock::given(method("POST"))
            .and(body_string_contains(format!("\"amount\":{amount}")))
            .respond_with(ResponseTemplate::new(status))
            .mount(&merchant)
            .await;
    }
    let accept = ResponseTemplate::new(200).set_body_json(json!({"success": true}));
    Mock::given(method("POST")).respond_with(accept).mount(&merchant).await;
    walk(&sandbox, &multicard, &format!("{}/cb", merchant.uri())).await;

    let spec = Spec::new(multicard_api_tests::spec());
    let observed = observed_fields();
    let none = BTreeSet::new();
    let mut unknown = BTreeSet::new();
    let mut operations = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    for (method, path, status, bytes) in seen.lock().unwrap().iter() {
        let (id, operation) = operation_of(&spec, method, path).unwrap_or_else(|| panic!("{method} {path}"));
        let value: Value = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{id} {status}: not JSON: {e}"));
        let status = status.to_string();
        let schema = operation.responses.get(&status).or_else(|| operation.responses.get("default")).copied().flatten();
        let error = spec.component(if id == "get_token" { "AuthErrorResponse" } else { "ErrorResponse" });
        let schema = schema.or(if value.get("success") == Some(&Value::Bool(false)) || id == "get_token" {
            error
        } else {
            None
        });
        let schema = schema.unwrap_or_else(|| panic!("{id} {status}: no schema to check against"));
        let mut out = Vec::new();
        let known = observed.get(&(id.clone(), status.clone())).unwrap_or(&none);
        unknown_keys(&spec, &[schema], &value, ROOT, known, &mut out);
        unknown.extend(out.into_iter().map(|path| format!("{id} {status} {path}")));
        statuses.insert(value.pointer("/data/status").and_then(Value::as_str).unwrap_or_default().to_string());
        operations.insert(id);
    }
    assert_eq!(operations.len(), spec.operations().len(), "every operation was answered: {operations:?}");
    let receipts = seen.lock().unwrap().iter().any(|(_, _, _, bytes)| {
        let value: Value = serde_json::from_slice(bytes).unwrap_or_default();
        value.pointer("/data/tax/f_num").is_some() && value.pointer("/data/refund_tax/f_num").is_some()
    });
    assert!(receipts, "an answer with a fiscal receipt and a refund receipt");
    for status in ["progress", "billing", "success", "revert", "error", "draft", "active", "canceled"] {
        assert!(statuses.contains(status), "an answer in `{status}`: {statuses:?}");
    }

    let components = [
        ("success", "PaymentSuccessCallback"),
        ("webhook", "PaymentStatusWebhook"),
        ("card_binding", "CardBindingCallback"),
    ];
    let delivered = sandbox.deliveries();
    for (kind, component) in components {
        let schema = spec.component(component).expect(component);
        let sent: Vec<_> = delivered.iter().filter(|d| d.kind == kind).collect();
        assert!(!sent.is_empty(), "a {kind} callback was sent");
        for delivery in sent {
            let mut out = Vec::new();
            unknown_keys(&spec, &[schema], &delivery.body, ROOT, &none, &mut out);
            unknown.extend(out.into_iter().map(|path| format!("{kind} callback {path}")));
        }
    }
    assert!(
        unknown.is_empty(),
        "fields outside the spec and spec/observed/:\n{}",
        unknown.into_iter().collect::<Vec<_>>().join("\n")
    );
    assert!(delivered.iter().any(|d| d.body["status"] == "revert"), "a reverted payment's webhook");
    let _ = PaymentStatus::Revert;
}
