//! Every operation of the SDK's operation table reaches its own handler
//! through the sandbox's router: a request to its method and path (with a
//! value in each path parameter) is counted for that operation and no
//! other. Anything else answers Multicard's `ERROR_NOT_FOUND` and is
//! counted for none.

use multicard_api::operation_table::OPERATIONS;
use multicard_sandbox::Sandbox;
use serde_json::Value;

/// `path` with `value` in each `{param}`.
fn fill(path: &str, value: &str) -> String {
    path.split('/')
        .map(|segment| if segment.starts_with('{') && segment.ends_with('}') { value } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn each_operation_of_the_table_reaches_its_own_handler() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let http = reqwest::Client::new();
    for (sent, op) in OPERATIONS.iter().enumerate() {
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).expect("a method");
        let url = format!("{}{}", sandbox.url(), fill(op.path, "11351400"));
        let response = http.request(method, &url).body("{}").send().await.expect("an answer");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(sandbox.requests(op.id), 1, "{} {} reached `{}`: {status} {body}", op.method, url, op.id);
        let total: u64 = sandbox.request_counts().values().sum();
        assert_eq!(total, sent as u64 + 1, "{} {} was counted for another operation too", op.method, op.path);
        if op.requires_token {
            assert_eq!(status, 401, "{} {}: without a token, {body}", op.method, op.path);
            assert_eq!(body["error"]["code"], "ERROR_UNAUTHORIZED");
        }
    }
}

#[tokio::test]
async fn what_no_operation_has_answers_not_found_and_is_counted_for_none() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", sandbox.url());
    let cases = [
        (reqwest::Method::GET, url("/payment/nothing/here/at/all")),
        (reqwest::Method::PATCH, url("/auth")), // a path with another method
        (reqwest::Method::POST, url("/payment/application")), // GET only
        (reqwest::Method::GET, url("/")),
    ];
    for (method, url) in cases {
        let response = http.request(method.clone(), &url).send().await.expect("an answer");
        assert_eq!(response.status(), 404, "{method} {url}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], "ERROR_NOT_FOUND", "{method} {url}: {body}");
        assert_eq!(body["error"]["details"], "Маршрут не найден", "{method} {url}: {body}");
    }
    assert!(sandbox.request_counts().is_empty(), "{:?}", sandbox.request_counts());
    // The payer's pages: unknown ones and other methods answer in Multicard's envelope too.
    let page = http.get(url("/sandbox/receipt/x")).send().await.expect("an answer");
    assert_eq!(page.status(), 404);
    assert_eq!(page.json::<Value>().await.expect("JSON")["error"]["details"], "no such page");
    // A page's other methods are no route; an unknown invoice's page says so, in HTML.
    for method in [reqwest::Method::DELETE, reqwest::Method::POST, reqwest::Method::PUT] {
        let page = http.request(method.clone(), url("/sandbox/checkout/x")).send().await.expect("an answer");
        assert_eq!(page.status(), 404, "{method}");
        assert_eq!(page.json::<Value>().await.expect("JSON")["error"]["details"], "Маршрут не найден", "{method}");
    }
    let page = http.get(url("/sandbox/checkout/x")).send().await.expect("an answer");
    assert_eq!(page.status(), 404);
    assert!(page.text().await.expect("a body").contains("No such invoice"));
}
