//! The seed of the project, `POST /auth`, decoded from the vendor's own
//! examples through the generated client.

use multicard_api::transport::ClientState;
use multicard_api::types;
use multicard_api::{Client, RawError as Error};
use multicard_api_tests::{operations, response_examples, spec};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn auth_example(status: u16, name_contains: &str) -> Value {
    let spec = spec();
    let op = operations(&spec).into_iter().find(|o| o.id == "get_token").expect("get_token");
    response_examples(&op.operation)
        .into_iter()
        .find(|e| e.status == status && e.name.contains(name_contains))
        .unwrap_or_else(|| panic!("no {status} example named like `{name_contains}`"))
        .value
}

async fn answer(status: u16, body: &Value) -> Result<types::AuthToken, Error<types::AuthErrorResponse>> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::new_with_client(&server.uri(), reqwest::Client::new(), ClientState::new());
    let request = types::AuthRequest::builder().application_id("rhmt_test").secret("Pw18axeBFo8V7NamKHXX");
    client.get_token().body(request).send().await.map(|v| v.into_inner())
}

#[tokio::test]
async fn a_200_decodes_into_token_role_and_expiry() {
    let token = answer(200, &auth_example(200, "")).await.expect("the 200 example decodes");
    assert_eq!(token.token, "{{vault:json-web-token}}");
    assert_eq!(token.role.as_deref(), Some("dev"));
    assert_eq!(token.expiry, "2023-03-18 16:40:31");
    let expiry: multicard_api::time::MulticardDateTime = token.expiry.parse().expect("GMT+5 timestamp");
    assert_eq!(expiry.to_utc().to_rfc3339(), "2023-03-18T11:40:31+00:00");
}

#[tokio::test]
async fn a_400_with_missing_fields_names_each_field() {
    let error = answer(400, &auth_example(400, "пустыми")).await.expect_err("a 400 is an error");
    let Error::ErrorResponse(body) = error else { panic!("not the typed error: {error:?}") };
    assert_eq!(body.status().as_u16(), 400);
    let messages: Vec<(String, Option<String>)> =
        body.into_inner().errors.into_iter().flat_map(|e| e.message).map(|m| (m.message, m.field)).collect();
    assert_eq!(
        messages,
        vec![
            ("application_id required".to_string(), Some("application_id".to_string())),
            ("You must supply a secret".to_string(), Some("secret".to_string())),
        ]
    );
}

#[tokio::test]
async fn invalid_credentials_decode_as_the_typed_error_without_a_field() {
    let error = answer(400, &auth_example(400, "неправильными")).await.expect_err("a 400 is an error");
    let Error::ErrorResponse(body) = error else { panic!("not the typed error: {error:?}") };
    let messages: Vec<_> = body.into_inner().errors.into_iter().flat_map(|e| e.message).collect();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].message, "Invalid Credentials");
    assert_eq!(messages[0].field, None);
}
