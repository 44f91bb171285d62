//! Built with `--no-default-features` (no TLS
//! backend), an https call must fail with a typed error that says so, not
//! a panic and not a bare "error sending request".
//!
//!   cargo test -p multicard-api --no-default-features --test no_tls_backend
#![cfg(not(any(feature = "rustls", feature = "native-tls")))]

use multicard_api::{Config, Environment, Multicard};

#[tokio::test]
async fn https_without_a_tls_backend_is_a_clear_typed_error() {
    let config = Config::new("app", "secret", Environment::Custom("https://127.0.0.1:9".into()));
    let outcome = match Multicard::new(config) {
        Err(error) => format!("new: {error:?} / {error}"),
        Ok(multicard) => {
            let call = tokio::spawn(async move { multicard.send(|api| api.get_application()).await.map(|_| ()) });
            match call.await {
                Err(join) => panic!("the call panicked: {join}"),
                Ok(Ok(())) => panic!("an https call succeeded without TLS"),
                Ok(Err(error)) => format!("send: {error:?} / {error}"),
            }
        }
    };
    println!("{outcome}");
    let lower = outcome.replace("https://127.0.0.1:9", "<url>").to_lowercase();
    assert!(lower.contains("tls") || lower.contains("https"), "not a clear error: {outcome}");
}
