//! How the sandbox's pages are written: one document shape (language,
//! title, a main landmark, a style sheet in the page: no build step, no
//! CDN, no script), forms that carry the process's token, and the few
//! pieces every page uses. Every value a client sent is escaped here or by
//! the caller with [`escape`] before it reaches a page.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use multicard_api::money::Tiyin;
use serde_json::Value;

use crate::world::test_cards::SANDBOX_CARDS;

/// `text` with HTML's special characters escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The style of every page: readable type, colours that pass WCAG AA
/// contrast on white, visible focus.
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.5}\
main{max-width:60rem;margin:0 auto;padding:1rem 1.5rem}\
header.bar{background:#12355b;color:#fff;padding:.5rem 1.5rem}header.bar a{color:#fff}\
.note{background:#fff4d6;border-left:4px solid #8a5a00;padding:.5rem 1rem}\
.error{background:#fde8e8;border-left:4px solid #a4161a;padding:.5rem 1rem}\
.ok{background:#e6f4ea;border-left:4px solid #1e6b34;padding:.5rem 1rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #767676;padding:.25rem .5rem;text-align:left;\
vertical-align:top}th{background:#eef1f5}\
label{display:block;margin:.5rem 0 .25rem;font-weight:600}\
input,select{font-size:1rem;padding:.35rem;border:1px solid #595959;border-radius:4px}\
button{font-size:1rem;padding:.45rem 1rem;margin:.5rem .5rem .5rem 0;background:#12355b;color:#fff;border:0;\
border-radius:4px;cursor:pointer}button.secondary{background:#fff;color:#12355b;border:1px solid #12355b}\
:focus-visible{outline:3px solid #b35c00;outline-offset:2px}pre{white-space:pre-wrap;word-break:break-all;\
background:#f4f4f4;padding:.5rem;max-height:16rem;overflow:auto}code{word-break:break-all}\
form.inline{display:inline}details{margin:.25rem 0}";

/// A whole page: `title` (already escaped) as its title and heading,
/// `body` inside its main landmark.
pub(crate) fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Multicard sandbox</title><style>{STYLE}</style></head>\n<body>\n\
         <header class=\"bar\"><p>Multicard sandbox: a local test server; no real money moves here.</p></header>\n\
         <main>\n<h1>{title}</h1>\n{body}</main></body></html>\n"
    )
}

/// `page` answered with `status`, as HTML that no one may frame or sniff.
pub(crate) fn answer(status: StatusCode, page: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
            // Not `no-referrer`: under it a browser sends `Origin: null` with a form,
            // which the pages refuse (`guard.rs`).
            (header::REFERRER_POLICY, "same-origin"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"),
        ],
        page,
    )
        .into_response()
}

/// A page that says what went wrong, under `status`.
pub(crate) fn problem(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<p class=\"error\" role=\"alert\">{}</p>\n<p>Go back to the page you came from, or open the \
         <a href=\"/sandbox/\">sandbox's dashboard</a>.</p>\n",
        escape(message)
    );
    answer(status, document(&escape(title), &body))
}

/// Whether `url` is an http or https address, read as a browser reads an
/// `href` (leading spaces and control characters dropped, the scheme in
/// any case): a merchant's `javascript:` or `data:` URL is never a link.
pub(crate) fn is_web_address(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
}

/// A paragraph linking to `url`, an address a store gave, as `text`; one
/// that is not http or https is shown as text, not as a link.
pub(crate) fn store_link(url: Option<&str>, text: &str) -> String {
    match url {
        Some(url) if is_web_address(url) => format!("<p><a href=\"{}\">{}</a></p>\n", escape(url), escape(text)),
        Some(url) => format!(
            "<p>{}: the store gave <code>{}</code>, which is not an http or https address, so it is not a link \
             here.</p>\n",
            escape(text),
            escape(url)
        ),
        None => String::new(),
    }
}

/// A form that POSTs to `action` with the process's `token`; `fields` is
/// its inside (labels, inputs, buttons), already escaped.
pub(crate) fn form(action: &str, token: &str, fields: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\">\n<input type=\"hidden\" name=\"token\" value=\"{}\">\n{fields}</form>\n",
        escape(action),
        escape(token)
    )
}

/// A labelled text input.
pub(crate) fn input(name: &str, label: &str, extra: &str) -> String {
    format!(
        "<label for=\"{name}\">{label}</label>\n<input id=\"{name}\" name=\"{name}\" type=\"text\" {extra}>\n",
        name = escape(name),
        label = escape(label)
    )
}

/// A JSON value as text, escaped (a string without its quotes).
pub(crate) fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => escape(text),
        Value::Null => String::new(),
        other => escape(&other.to_string()),
    }
}

/// An amount in tiyin and in сум; what is not one, as it was sent.
pub(crate) fn money(value: &Value) -> String {
    match value.as_i64().map(Tiyin::new) {
        Some(Ok(tiyin)) => escape(&tiyin.to_string()),
        _ => shown(value),
    }
}

/// `text` cut to at most `max` characters, marked when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}… ({} bytes in all)", &text[..at], text.len()),
        None => text.to_string(),
    }
}

/// The cards the pages take, as a note under a card form.
pub(crate) fn cards_note() -> String {
    let mut out = String::from(
        "<details><summary>Cards for the sandbox</summary>\n<table>\n<caption>Cards the sandbox takes (one-time \
         code 112233)</caption>\n<thead><tr><th scope=\"col\">Number</th><th scope=\"col\">Expiry</th>\
         <th scope=\"col\">What it does</th></tr></thead>\n<tbody>\n",
    );
    for card in SANDBOX_CARDS {
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
            card.pan,
            card.expiry,
            escape(card.does)
        ));
    }
    out.push_str(
        "</tbody></table>\n<p>Only the first is Multicard's documented test card; the others exist in this sandbox \
         alone.</p></details>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_inputs_escape_what_they_are_given() {
        let page = form("/x?a=\"b\"", "<t>", &input("pan", "Card <number>", "required"));
        assert!(page.contains("action=\"/x?a=&quot;b&quot;\""), "{page}");
        assert!(page.contains("value=\"&lt;t&gt;\""), "{page}");
        assert!(page.contains("Card &lt;number&gt;"), "{page}");
        assert_eq!(cut("abcdef", 3), "abc… (6 bytes in all)");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(money(&Value::from(150_000)), "150000 tiyin (1500.00 сум)");
    }

    #[test]
    fn only_http_and_https_addresses_are_links() {
        for (url, web) in [
            ("https://shop.example/bound?x=<y>", true),
            ("HTTP://shop.example", true),
            ("javascript:alert(1)", false),
            (" \tJavaScript:alert(1)", false),
            ("\u{1}javascript:alert(1)", false),
            ("java\nscript:alert(1)", false),
            ("data:text/html,<script>x</script>", false),
            ("/relative/path", false),
            ("", false),
        ] {
            assert_eq!(is_web_address(url), web, "{url:?}");
        }
    }

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(money(&Value::from(150_050)), "150050 tiyin (1500.50 сум)");
        assert_eq!(money(&Value::from("<b>")), "&lt;b&gt;");
    }
}
