//! The optional source-address check: a callback from an address not on the
//! list, or whose sender cannot be told, never reaches the handler and is
//! answered 500 (never 4xx); the signature is still checked; a forwarded
//! hop is believed only from a trusted proxy, read from the right.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::post;
use multicard_api::callbacks::axum::VerifiedSuccess;
use multicard_api::callbacks::{CallbackError, CallbackReply, SourceCheck, Verifier, testing};

use super::{SECRET, UUID};

/// Serves `verifier` behind one success route on loopback, with the peer's
/// address given to the extractors when `connect_info`; returns its URL and
/// the count of handled callbacks.
async fn server(verifier: Verifier, connect_info: bool) -> (String, Arc<AtomicUsize>) {
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = handled.clone();
    let app = Router::new()
        .route(
            "/success",
            post(move |VerifiedSuccess(_): VerifiedSuccess| async move {
                counter.fetch_add(1, Ordering::SeqCst);
                CallbackReply::accept()
            }),
        )
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/success", listener.local_addr().unwrap());
    if connect_info {
        tokio::spawn(
            async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await },
        );
    } else {
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
    (url, handled)
}

/// Posts a genuine success callback, with `forwarded` as `X-Forwarded-For`.
async fn deliver(url: &str, forwarded: Option<&str>) -> u16 {
    let mut request =
        reqwest::Client::new().post(url).body(testing::success_body(6, "order-42", 150_000, UUID, SECRET));
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_callback_from_an_address_not_on_the_list_is_held_not_refused() {
    let verifier = || Verifier::new(SECRET).unwrap();

    // Loopback is not on the list: 500, the handler never runs, and a
    // forged header naming the vendor's address changes nothing.
    let elsewhere = SourceCheck::allow(["195.158.26.90"]).unwrap();
    let (url, handled) = server(verifier().with_source_check(elsewhere), true).await;
    assert_eq!(deliver(&url, None).await, 500);
    assert_eq!(deliver(&url, Some("195.158.26.90")).await, 500);
    assert_eq!(handled.load(Ordering::SeqCst), 0);

    // On the list: handled, and the signature is still checked.
    let here = SourceCheck::allow(["127.0.0.0/8"]).unwrap();
    let (url, handled) = server(verifier().with_source_check(here.clone()), true).await;
    assert_eq!(deliver(&url, None).await, 200);
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    let forged = testing::success_body(6, "order-42", 150_000, UUID, "a guessed secret");
    let status = reqwest::Client::new().post(&url).body(forged).send().await.unwrap().status();
    assert_eq!(status.as_u16(), 500);
    assert_eq!(handled.load(Ordering::SeqCst), 1, "an allowed address does not replace the signature");

    // A check configured on a server that does not give the peer's address:
    // the sender cannot be told, so the callback is held.
    let (url, handled) = server(verifier().with_source_check(here), false).await;
    assert_eq!(deliver(&url, None).await, 500);
    assert_eq!(handled.load(Ordering::SeqCst), 0);

    // No check configured: as before.
    let (url, handled) = server(verifier(), false).await;
    assert_eq!(deliver(&url, None).await, 200);
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_sender_is_the_right_most_untrusted_hop() {
    let check = SourceCheck::allow(["195.158.26.90"]).unwrap().with_trusted_proxies(["127.0.0.0/8"]).unwrap();
    let (url, handled) = server(Verifier::new(SECRET).unwrap().with_source_check(check), true).await;
    // The proxy (loopback) says the vendor sent it.
    assert_eq!(deliver(&url, Some("195.158.26.90")).await, 200);
    // A client that wrote the vendor's address itself, ahead of its own,
    // is not believed.
    assert_eq!(deliver(&url, Some("195.158.26.90, 203.0.113.9")).await, 500);
    assert_eq!(deliver(&url, Some("not an address")).await, 500);
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}

#[test]
fn the_plain_check_names_the_sender_and_is_answered_500() {
    let check = SourceCheck::allow(["195.158.26.90"]).unwrap();
    let verifier = Verifier::new(SECRET).unwrap().with_source_check(check);
    let error = verifier.check_source("203.0.113.9".parse().unwrap(), &[]).unwrap_err();
    assert!(matches!(error, CallbackError::SourceNotAllowed { .. }), "{error:?}");
    assert!(error.to_string().contains("203.0.113.9"), "{error}");
    assert_eq!(CallbackReply::rejected(&error).status(), 500);
    assert!(verifier.check_source("195.158.26.90".parse().unwrap(), &[]).is_ok());
}
