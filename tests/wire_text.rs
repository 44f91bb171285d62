//! Text from the wire on its way to a person: the vendor's `details`, an
//! unknown error code or status, a body's first bytes. None of it reaches an
//! error's `Display` or a log line with a control character, an escape
//! sequence or a text-reordering mark that a terminal would act on.

use multicard_api::Error;
use multicard_api::types::{ErrorCode, PaymentStatus};
use multicard_api_tests::fake::{self, server_with_auth};
use multicard_api_tests::logs;
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

/// What a hostile answer puts in front of a person: clear the screen, print
/// a green "REFUND COMPLETED" with a hidden link, forge a log line, reverse
/// the text that follows.
const HOSTILE: &str = "\u{1b}[2J\u{1b}[32mREFUND COMPLETED\u{1b}]8;;https://evil.example\u{7}here\u{1b}]8;;\u{7}\r\n\
                       2026-12-06T10:00:00Z  INFO multicard: payment accepted\u{85}\u{9b}31m\u{7f}\u{202e}\u{2066}";

/// Whether `text` holds anything a terminal would act on.
fn acts_on_a_terminal(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn an_errors_display_escapes_what_came_from_the_wire() {
    let errors = [
        Error::Api {
            operation: "refund_payment",
            status: 400,
            code: ErrorCode::from(HOSTILE),
            details: HOSTILE.to_string(),
        },
        Error::NotSettled { operation: "get_payment", last_status: HOSTILE.to_string() },
        Error::UnexpectedResponse {
            operation: "get_payment",
            status: 502,
            content_type: Some(HOSTILE.into()),
            snippet: HOSTILE.into(),
            reason: HOSTILE.into(),
        },
    ];
    for error in &errors {
        let shown = error.to_string();
        assert!(!acts_on_a_terminal(&shown), "{shown:?}");
        assert!(!shown.contains('\n'), "one line: {shown:?}");
        assert!(shown.contains("\\u{1b}[2J") && shown.contains("\\u{d}\\u{a}"), "escaped, not dropped: {shown}");
    }
    let status = PaymentStatus::from(HOSTILE).to_string();
    assert!(!acts_on_a_terminal(&status) && status.contains("\\u{202e}"), "{status:?}");
    assert_eq!(PaymentStatus::from(HOSTILE).as_str(), HOSTILE, "the value itself is kept as sent");
}

#[tokio::test]
async fn a_hostile_error_answer_reaches_neither_the_error_nor_the_log_raw() {
    let (captured, _guard) = logs::capture();
    let (server, _) = server_with_auth(chrono::Duration::hours(1), std::time::Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path_regex("^/payment/"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"success": false, "error": {"code": HOSTILE, "details": HOSTILE}})),
        )
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let error = client.send(|api| api.get_payment().uuid("a81b7b62")).await.expect_err("refused");
    assert!(matches!(error, Error::Api { .. }), "{error:?}");
    let shown = error.to_string();
    assert!(!acts_on_a_terminal(&shown), "{shown:?}");
    let log = captured.text();
    assert!(log.contains("REFUND COMPLETED"), "the error was logged: {log}");
    assert!(!acts_on_a_terminal(&log), "{log:?}");
    assert!(!log.contains("\n2026-12-06T10:00:00Z"), "no forged line: {log}");
}

#[test]
fn line_separators_and_every_invisible_or_reordering_mark_are_escaped_too() {
    // U+2028/U+2029 end a line for many log viewers and editors; U+061C is a
    // text-reordering mark like U+200F; U+2060-U+2064, U+206A-U+206F,
    // U+180E, U+FFF9-U+FFFB and the tag characters U+E0000-U+E007F are
    // invisible (tags carry whole hidden texts).
    let hidden = [
        '\u{2028}',
        '\u{2029}',
        '\u{61c}',
        '\u{2060}',
        '\u{2064}',
        '\u{206a}',
        '\u{206f}',
        '\u{180e}',
        '\u{fff9}',
        '\u{fffb}',
        '\u{e0001}',
        '\u{e0041}',
        '\u{e007f}',
    ];
    for c in hidden {
        let text = format!("ok{c}2026-12-06T10:00:00Z  INFO multicard: payment accepted");
        let error = Error::Api {
            operation: "refund_payment",
            status: 400,
            code: ErrorCode::ErrorFields,
            details: text.clone(),
        };
        let shown = error.to_string();
        assert!(!shown.contains(c), "U+{:04X} reaches the error's text: {shown:?}", c as u32);
        assert!(shown.contains(&format!("\\u{{{:x}}}", c as u32)), "escaped, not dropped: {shown}");
        let status = PaymentStatus::from(text.as_str()).to_string();
        assert!(!status.contains(c), "U+{:04X} reaches the status's text: {status:?}", c as u32);
    }
}
