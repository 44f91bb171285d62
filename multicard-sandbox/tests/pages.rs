//! The sandbox's pages over HTTP, as a browser sends forms: GET shows and
//! changes nothing, each POST acts once and only from the sandbox's own
//! pages (its token, its origin, a loopback host), and the checkout page
//! moves money through the same statuses as the API. The same pages in a
//! real browser: `browser.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use multicard_api::{Multicard, types};
use multicard_sandbox::{STORE_ID, Sandbox};
use serde_json::{Value, json};

/// A merchant's callback route that accepts everything; counts what came.
async fn merchant() -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let app = Router::new().route(
        "/cb",
        post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::Json(json!({"success": true}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/cb", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn invoice(multicard: &Multicard, callback_url: &str, order: &str) -> String {
    let request: types::CreateInvoiceRequest = serde_json::from_value(json!({
        "store_id": STORE_ID, "amount": 150_000, "invoice_id": order, "callback_url": callback_url,
        "ofd": [{"qty": 1, "price": 150_000, "total": 150_000, "mxik": "06401004002000000",
            "package_code": "1506113", "name": "Shoes <b>&amp;</b>"}],
    }))
    .expect("a request");
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await.expect("an invoice");
    invoice.uuid.clone().expect("a uuid")
}

/// A client that does not follow redirects, as a test reads them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client")
}

/// The form token a page carries.
fn token(page: &str) -> String {
    let at = page.find("name=\"token\" value=\"").expect("the page has a form token") + 20;
    page[at..].split('"').next().expect("a value").to_string()
}

async fn get(http: &reqwest::Client, url: &str) -> (u16, String) {
    let response = http.get(url).send().await.expect("an answer");
    (response.status().as_u16(), response.text().await.expect("a body"))
}

async fn post_form(http: &reqwest::Client, url: &str, origin: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    http.post(url)
        .header("origin", origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields.iter().map(|(k, v)| format!("{k}={}", v.replace(' ', "+"))).collect::<Vec<_>>().join("&"))
        .send()
        .await
        .expect("an answer")
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303, "a POST that acted sends the browser back with 303");
    response.headers()["location"].to_str().expect("text").to_string()
}

async fn payment_of(multicard: &Multicard, uuid: &str) -> Value {
    let read = multicard.send(|api| api.get_invoice().uuid(uuid)).await.expect("the invoice");
    serde_json::to_value(&read.payment).expect("JSON")
}

#[tokio::test]
async fn paying_on_the_checkout_page_moves_the_payment_through_the_apis_statuses() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, seen) = merchant().await;
    let uuid = invoice(&multicard, &callback_url, "page-1").await;
    let http = browser();
    let page_url = format!("{}/sandbox/checkout/{uuid}", sandbox.url());

    // GET shows (twice): amount, items escaped, the card form; nothing moves.
    let (status, page) = get(&http, &page_url).await;
    let _ = get(&http, &page_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("150000 tiyin (1500.00 сум)"), "{page}");
    assert!(page.contains("Shoes &lt;b&gt;&amp;amp;&lt;/b&gt;"), "item names are escaped: {page}");
    assert!(page.contains("Card number") && page.contains("Pay in payme"), "{page}");
    assert!(payment_of(&multicard, &uuid).await.is_null(), "a GET paid the invoice");

    // The card, then the code: the payment is debited and its callback goes out.
    let card = post_form(
        &http,
        &format!("{page_url}/card"),
        sandbox.url(),
        &[("token", &token(&page)), ("pan", "8600 5333 6409 8829"), ("expiry", "2806")],
    )
    .await;
    let code_url = format!("{}{}", sandbox.url(), location(&card));
    assert!(payment_of(&multicard, &uuid).await.is_null(), "entering the card alone paid");
    let (_, code_page) = get(&http, &code_url).await;
    let wrong = post_form(&http, &code_url, sandbox.url(), &[("token", &token(&code_page)), ("otp", "000000")]).await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.expect("a body").contains("2 tries left"));
    let right = post_form(&http, &code_url, sandbox.url(), &[("token", &token(&code_page)), ("otp", "112233")]).await;
    assert_eq!(location(&right), format!("/sandbox/checkout/{uuid}"));
    assert_eq!(payment_of(&multicard, &uuid).await["status"], "billing", "debited; its callback is out");
    // The same code step again does nothing: it is over.
    let again = post_form(&http, &code_url, sandbox.url(), &[("token", &token(&code_page)), ("otp", "112233")]).await;
    assert_eq!(again.status(), 404);
    sandbox.advance(Duration::ZERO).await;
    assert_eq!(seen.load(Ordering::SeqCst), 1, "one success callback");
    assert_eq!(payment_of(&multicard, &uuid).await["status"], "success");
    let (_, paid_page) = get(&http, &page_url).await;
    for status in ["draft", "progress", "billing", "success"] {
        assert!(
            paid_page.contains(&format!("<code>{status}</code>")),
            "{status} missing from the history: {paid_page}"
        );
    }
    assert!(!paid_page.contains("name=\"pan\""), "a paid invoice offers no card form");
    assert_eq!(sandbox.deliveries().len(), 1, "no second payment or callback");
}

#[tokio::test]
async fn a_declining_card_ends_the_payment_in_error_and_refused_cards_make_none() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, seen) = merchant().await;
    let http = browser();

    // Expired and identification-needed cards, and unknown ones, are refused when entered.
    let uuid = invoice(&multicard, &callback_url, "page-2").await;
    let page_url = format!("{}/sandbox/checkout/{uuid}", sandbox.url());
    let (_, page) = get(&http, &page_url).await;
    for (pan, expiry, said) in [
        ("8600000000000028", "2001", "expired"),
        ("9860000000000036", "3012", "identified"),
        ("8600000000000099", "3012", "Wrong card number"),
    ] {
        let refused = post_form(
            &http,
            &format!("{page_url}/card"),
            sandbox.url(),
            &[("token", &token(&page)), ("pan", pan), ("expiry", expiry)],
        )
        .await;
        assert_eq!(refused.status(), 422, "{pan}");
        assert!(refused.text().await.expect("a body").contains(said), "{pan}");
    }
    assert!(payment_of(&multicard, &uuid).await.is_null());

    // A declining card takes the code, then its debit fails: `error`, no callback.
    let card = post_form(
        &http,
        &format!("{page_url}/card"),
        sandbox.url(),
        &[("token", &token(&page)), ("pan", "8600000000000002"), ("expiry", "3012")],
    )
    .await;
    let code_url = format!("{}{}", sandbox.url(), location(&card));
    let (_, code_page) = get(&http, &code_url).await;
    let right = post_form(&http, &code_url, sandbox.url(), &[("token", &token(&code_page)), ("otp", "112233")]).await;
    location(&right);
    sandbox.advance(Duration::ZERO).await;
    assert_eq!(payment_of(&multicard, &uuid).await["status"], "error");
    assert_eq!(seen.load(Ordering::SeqCst), 0, "a declined payment sends no success callback");
    let (_, declined) = get(&http, &page_url).await;
    assert!(declined.contains("Declined"), "{declined}");
}

#[tokio::test]
async fn a_post_from_elsewhere_or_without_the_token_changes_nothing() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, _) = merchant().await;
    let uuid = invoice(&multicard, &callback_url, "page-3").await;
    let http = browser();
    let page_url = format!("{}/sandbox/checkout/{uuid}", sandbox.url());
    let (_, page) = get(&http, &page_url).await;
    let good = token(&page);
    let card = [("pan", "8600533364098829"), ("expiry", "2806")];
    let with = |token: &'static str| -> Vec<(&str, &str)> { [("token", token)].into_iter().chain(card).collect() };
    let good: &'static str = Box::leak(good.into_boxed_str());
    for (origin, fields, why) in [
        ("http://evil.example", with(good), "another origin"),
        (sandbox.url(), with("0000"), "a wrong token"),
        (sandbox.url(), card.to_vec(), "no token"),
    ] {
        let refused = post_form(&http, &format!("{page_url}/card"), origin, &fields).await;
        assert_eq!(refused.status(), 403, "{why}");
    }
    // DNS rebinding: the right token, but a host name that is not loopback.
    let rebound = http
        .post(format!("{page_url}/card"))
        .header("host", "rebind.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={good}&pan=8600533364098829&expiry=2806"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(rebound.status(), 403);
    let read = http.get(&page_url).header("host", "rebind.example:80").send().await.expect("an answer");
    assert_eq!(read.status(), 403, "the pages are not shown under another host name");
    assert!(!read.text().await.expect("a body").contains(good), "the token leaked to another host name");
    assert!(payment_of(&multicard, &uuid).await.is_null(), "a refused POST paid");
    assert_eq!(sandbox.deliveries().len(), 0);
}

#[tokio::test]
async fn the_dashboard_shows_states_and_callbacks_and_resends_one() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, seen) = merchant().await;
    let uuid = invoice(&multicard, &callback_url, "page-4").await;
    sandbox.pay_invoice(&uuid).expect("paid");
    sandbox.advance(Duration::ZERO).await;
    let http = browser();
    let dashboard = format!("{}/sandbox/", sandbox.url());
    let (status, page) = get(&http, &dashboard).await;
    assert_eq!(status, 200);
    assert!(page.contains(&uuid) && page.contains("page-4"), "{page}");
    assert!(page.contains("draft (") && page.contains("→ billing (") && page.contains("→ success ("), "{page}");
    assert!(page.contains("<strong>accepted</strong>"), "the delivery and what its answer meant: {page}");
    assert!(page.contains("{&quot;success&quot;:true}"), "the merchant's answer, escaped: {page}");

    let resend = post_form(
        &http,
        &format!("{}/sandbox/actions/resend", sandbox.url()),
        sandbox.url(),
        &[("token", &token(&page)), ("delivery", "1")],
    )
    .await;
    assert_eq!(location(&resend), "/sandbox/");
    assert_eq!(seen.load(Ordering::SeqCst), 2, "sent again, before the page came back");
    assert_eq!(sandbox.deliveries().last().map(|d| d.attempt), Some(2));

    let advance = post_form(
        &http,
        &format!("{}/sandbox/actions/advance", sandbox.url()),
        sandbox.url(),
        &[("token", &token(&page)), ("seconds", "3600")],
    )
    .await;
    location(&advance);
    let fault = post_form(
        &http,
        &format!("{}/sandbox/actions/fault", sandbox.url()),
        sandbox.url(),
        &[("token", &token(&page)), ("operation", "get_payment"), ("kind", "rbac_denied"), ("times", "1")],
    )
    .await;
    location(&fault);
    let payment = payment_of(&multicard, &uuid).await["uuid"].as_str().expect("a payment").to_string();
    let failed = multicard.send(|api| api.get_payment().uuid(payment.as_str())).await;
    assert!(failed.is_err(), "the injected fault answered the next get_payment");
    let read = multicard.send(|api| api.get_payment().uuid(payment.as_str())).await;
    assert!(read.is_ok(), "the fault was for one call only: {read:?}");
    let bad = post_form(
        &http,
        &format!("{}/sandbox/actions/fault", sandbox.url()),
        sandbox.url(),
        &[("token", &token(&page)), ("operation", "no_such_operation"), ("kind", "html_bad_gateway")],
    )
    .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn the_hosted_card_form_binds_a_card_after_its_code_and_links_back_to_the_store() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, seen) = merchant().await;
    let request: types::CardBindingRequest = serde_json::from_value(json!({
        "store_id": STORE_ID, "callback_url": callback_url, "phone": "998901234567",
        "redirect_url": "https://shop.example/bound?x=<y>", "redirect_decline_url": "https://shop.example/declined",
    }))
    .expect("a request");
    let session = multicard.send(|api| api.create_card_binding().body(request.clone())).await.expect("a session");
    let form_url = session.form_url.clone();
    let session_id = session.session_id.clone();
    let http = browser();
    let (status, page) = get(&http, &form_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("https://shop.example/declined"), "a way back: {page}");
    let card = post_form(
        &http,
        &format!("{form_url}/card"),
        sandbox.url(),
        &[("token", &token(&page)), ("pan", "8600533364098829"), ("expiry", "2806")],
    )
    .await;
    let code_url = format!("{}{}", sandbox.url(), location(&card));
    let (_, code_page) = get(&http, &code_url).await;
    let right = post_form(&http, &code_url, sandbox.url(), &[("token", &token(&code_page)), ("otp", "112233")]).await;
    assert_eq!(location(&right), format!("/sandbox/bind/{session_id}"));
    let (_, bound) = get(&http, &form_url).await;
    assert!(bound.contains("bound") && bound.contains("https://shop.example/bound?x=&lt;y&gt;"), "{bound}");
    sandbox.advance(Duration::ZERO).await;
    assert_eq!(seen.load(Ordering::SeqCst), 1, "the card-binding callback went out once");
    let read = multicard.send(|api| api.get_card_binding().session_id(session_id.as_str())).await.expect("read");
    assert!(!read.card_token.is_empty(), "the API reads the bound card: {read:?}");
}

/// A merchant's callback route that answers every callback 500 (its
/// success callbacks freeze their payments); counts what came.
async fn failing_merchant() -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let app = Router::new().route(
        "/cb",
        post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::INTERNAL_SERVER_ERROR
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/cb", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn sending_a_frozen_callback_again_sends_it_once_and_adds_no_second_round_of_resends() {
    use multicard_sandbox::{FrozenPayments, SandboxConfig};
    let every = Duration::from_secs(60);
    let config = SandboxConfig::default().with_frozen_payments(FrozenPayments::Resent { times: 2, every });
    let sandbox = Sandbox::start_with(config).await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, seen) = failing_merchant().await;
    let uuid = invoice(&multicard, &callback_url, "frozen-1").await;
    sandbox.pay_invoice(&uuid).expect("paid");
    sandbox.advance(Duration::ZERO).await;
    assert_eq!(seen.load(Ordering::SeqCst), 1, "the success callback went out; its 500 froze the payment");

    let http = browser();
    let (_, page) = get(&http, &format!("{}/sandbox/", sandbox.url())).await;
    for _ in 0..3 {
        let resend = post_form(
            &http,
            &format!("{}/sandbox/actions/resend", sandbox.url()),
            sandbox.url(),
            &[("token", &token(&page)), ("delivery", "1")],
        )
        .await;
        location(&resend);
    }
    assert_eq!(seen.load(Ordering::SeqCst), 4, "each click sent it once, at once");
    // The vendor's rule: sent again twice, a minute apart, after the first
    // answer froze it. The clicks add nothing to that schedule.
    sandbox.advance(every * 10).await;
    assert_eq!(seen.load(Ordering::SeqCst), 4 + 2, "one round of resends, not one per click");
}

#[tokio::test]
async fn the_hosted_card_form_links_back_only_to_a_web_address() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, _) = merchant().await;
    let request: types::CardBindingRequest = serde_json::from_value(json!({
        "store_id": STORE_ID, "callback_url": callback_url, "phone": "998901234567",
        "redirect_url": " javascript:alert(document.domain)", "redirect_decline_url": "\tdata:text/html,<script>x</script>",
    }))
    .expect("a request");
    let session = multicard.send(|api| api.create_card_binding().body(request.clone())).await.expect("a session");
    let http = browser();
    let (status, page) = get(&http, &session.form_url).await;
    assert_eq!(status, 200);
    assert!(!page.contains("href=\"\tdata:") && !page.contains("href=\"data:"), "a data: URL as a link: {page}");
    assert!(page.contains("data:text/html,&lt;script&gt;"), "the address is shown, escaped, as text: {page}");
    let card = post_form(
        &http,
        &format!("{}/card", session.form_url),
        sandbox.url(),
        &[("token", &token(&page)), ("pan", "8600533364098829"), ("expiry", "2806")],
    )
    .await;
    let code_url = format!("{}{}", sandbox.url(), location(&card));
    let (_, code_page) = get(&http, &code_url).await;
    location(&post_form(&http, &code_url, sandbox.url(), &[("token", &token(&code_page)), ("otp", "112233")]).await);
    let (_, bound) = get(&http, &session.form_url).await;
    assert!(bound.contains("bound"), "{bound}");
    assert!(!bound.to_ascii_lowercase().contains("href=\" javascript:"), "a javascript: URL as a link: {bound}");
    assert!(bound.contains("javascript:alert(document.domain)"), "the address is shown as text: {bound}");
}

/// Binds `pan` on a new hosted form; returns the card's token.
async fn bind_on_form(sandbox: &Sandbox, multicard: &Multicard, pan: &str, expiry: &str) -> String {
    let request: types::CardBindingRequest = serde_json::from_value(json!({
        "store_id": STORE_ID, "callback_url": "http://127.0.0.1:9/cb", "phone": "998901234567",
        "redirect_url": "https://shop.example/ok", "redirect_decline_url": "https://shop.example/no",
    }))
    .expect("a request");
    let session = multicard.send(|api| api.create_card_binding().body(request.clone())).await.expect("a session");
    let http = browser();
    let (_, page) = get(&http, &session.form_url).await;
    let card = post_form(
        &http,
        &format!("{}/card", session.form_url),
        sandbox.url(),
        &[("token", &token(&page)), ("pan", pan), ("expiry", expiry)],
    )
    .await;
    let code_url = format!("{}{}", sandbox.url(), location(&card));
    let (_, code_page) = get(&http, &code_url).await;
    let done = post_form(&http, &code_url, sandbox.url(), &[("token", &token(&code_page)), ("otp", "112233")]).await;
    location(&done);
    let read = multicard.send(|api| api.get_card_binding().session_id(session.session_id.as_str())).await;
    read.expect("the binding").card_token.clone()
}

#[tokio::test]
async fn a_bound_declining_card_declines_payments_by_its_token_and_the_test_card_pays() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    for (pan, expiry, ends) in [("8600000000000010", "3012", "error"), ("8600533364098829", "2806", "success")] {
        let card_token = bind_on_form(&sandbox, &multicard, pan, expiry).await;
        let request: types::CreatePaymentRequest = serde_json::from_value(json!({
            "card": {"token": card_token}, "amount": 100_000, "store_id": STORE_ID, "invoice_id": format!("t-{pan}"),
        }))
        .expect("a payment");
        let payment = multicard.send(|api| api.create_payment().body(request.clone())).await.expect("a payment");
        let confirm: types::ConfirmPaymentRequest = serde_json::from_value(json!({})).expect("a confirmation");
        let uuid = payment.uuid.clone();
        multicard.send(|api| api.confirm_payment().uuid(uuid.as_str()).body(confirm.clone())).await.expect("confirmed");
        sandbox.advance(Duration::ZERO).await;
        let read = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await.expect("read");
        assert_eq!(read.status.to_string(), ends, "{pan}");
    }
}

#[tokio::test]
async fn refused_pages_lead_somewhere_and_the_code_limit_is_said_in_english() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    let (callback_url, _) = merchant().await;
    let uuid = invoice(&multicard, &callback_url, "page-limit").await;
    let http = browser();
    let page_url = format!("{}/sandbox/checkout/{uuid}", sandbox.url());
    // A GET of a form's address (a reload) goes back to the page; /sandbox to the dashboard.
    let back = http.get(format!("{page_url}/card")).send().await.expect("an answer");
    assert_eq!(location(&back), format!("/sandbox/checkout/{uuid}"));
    let dashboard = http.get(format!("{}/sandbox", sandbox.url())).send().await.expect("an answer");
    assert_eq!(location(&dashboard), "/sandbox/");
    // The card's code limit: the fourth entry within five minutes is refused, in English.
    let (_, page) = get(&http, &page_url).await;
    let (form_token, card_url) = (token(&page), format!("{page_url}/card"));
    let fields = [("token", form_token.as_str()), ("pan", "8600533364098829"), ("expiry", "2806")];
    for _ in 0..3 {
        location(&post_form(&http, &card_url, sandbox.url(), &fields).await);
    }
    let limited = post_form(&http, &card_url, sandbox.url(), &fields).await;
    assert_eq!(limited.status(), 422);
    let text = limited.text().await.expect("a body");
    assert!(text.contains("this card was sent 3 codes within 5 minutes"), "{text}");
    let missing = http.get(format!("{}/sandbox/code/nothing", sandbox.url())).send().await.expect("an answer");
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.expect("a body").contains("href=\"/sandbox/\""), "a way on from a dead end");
}
