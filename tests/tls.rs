//! The SDK speaks TLS with no system OpenSSL: progenitor-client turns
//! reqwest's TLS off, and without a backend every `https://` call fails with
//! "scheme is not http". A loopback TLS server with a fresh certificate proves
//! the backend is there and works.

use std::sync::Arc;

use multicard_api::Client;
use multicard_api::transport::ClientState;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const BODY: &str = r#"{"success":true,"data":{"id":1,"application_id":"rhmt_test","wallet_sum":0,"wallet_overdraft":0,"otp_required":1,"allow_bank_transaction":0,"otp_length":6,"official_name":"Test","added_on":"2025-01-01 10:00:00","updated_on":"2025-01-01 10:00:00"}}"#;

/// Serves `connections` TLS connections on loopback, answering each request
/// with `BODY`. Returns the port and the certificate in PEM.
async fn tls_server(connections: usize) -> (u16, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let cert_pem = certified.cert.pem();
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let config =
        ServerConfig::builder().with_no_client_auth().with_single_cert(vec![cert], key).expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        for _ in 0..connections {
            let Ok((stream, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
                    BODY.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, cert_pem)
}

#[tokio::test]
async fn an_https_call_succeeds_against_a_loopback_tls_server() {
    let (port, cert_pem) = tls_server(1).await;
    let certificate = reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("PEM certificate");
    let http = reqwest::Client::builder().tls_certs_only([certificate]).build().expect("client with TLS");
    let client = Client::new_with_client(&format!("https://localhost:{port}"), http, ClientState::new());
    let application = client.get_application().send().await.expect("the call over TLS succeeds").into_inner();
    assert_eq!(application.data.expect("data").application_id.as_deref(), Some("rhmt_test"));
}

#[tokio::test]
async fn the_default_client_does_a_tls_handshake_and_rejects_an_unknown_certificate() {
    let (port, _) = tls_server(1).await;
    let client = Client::new(&format!("https://localhost:{port}"), ClientState::new());
    let error = client.get_application().send().await.expect_err("a self-signed certificate is not trusted");
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    assert!(!text.contains("scheme is not http"), "no TLS backend: {text}");
    assert!(
        text.to_lowercase().contains("certificate") || text.to_lowercase().contains("unknownissuer"),
        "the failure is the certificate check: {text}"
    );
}
