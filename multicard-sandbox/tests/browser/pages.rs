//! The harness checked on pages made for it, served by a loopback server
//! the test starts: scripts really are off in [`Scripts::Off`], a form is
//! filled by labels and names and sent by its button without JavaScript,
//! and axe reports what a page breaks, with where.

use axum::Router;
use axum::extract::Form;
use axum::response::Html;
use axum::routing::get;
use std::collections::BTreeMap;

use crate::axe::describe;
use crate::harness::{Browser, Scripts};

/// A page whose script rewrites a paragraph, with a `<noscript>` notice,
/// and a form whose fields are found three ways.
const SCRIPTED: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scripted</title></head>
<body><main>
<h1>Scripted</h1>
<p id="state">static</p>
<noscript><p id="noscript">Scripts are off</p></noscript>
<script>document.getElementById('state').textContent = 'changed by a script';</script>
<form method="post" action="/echo">
  <label for="who">Your name</label> <input id="who" name="who" value="old">
  <label>Payer's note <textarea name="note"></textarea></label>
  <label for="size">Size</label> <select id="size" name="size"><option>Small</option><option>Large</option></select>
  <input name="city" aria-label="City">
  <button type="submit">Send  it</button>
</form>
</main></body></html>
"#;

/// A page that breaks three WCAG rules: no `lang`, an image without a text
/// alternative, a field without a label.
const BROKEN: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Broken</title></head>
<body><main><h1>Broken</h1>
<img id="logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input id="nameless" type="text">
</main></body></html>
"#;

/// Each field the form sent, as `name=value` lines in name order.
async fn echo(Form(fields): Form<BTreeMap<String, String>>) -> Html<String> {
    let escape = |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let lines: Vec<String> =
        fields.iter().map(|(name, value)| format!("<li>{}={}</li>", escape(name), escape(value))).collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><title>Sent</title></head><body><main><h1>Sent</h1>\
         <ul id=\"sent\">{}</ul></main></body></html>",
        lines.join("")
    ))
}

/// Serves the pages on a free loopback port; returns its base URL.
async fn site() -> String {
    let app = Router::new()
        .route("/", get(|| async { Html(SCRIPTED) }))
        .route("/broken", get(|| async { Html(BROKEN) }))
        .route("/echo", axum::routing::post(echo));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn with_scripts_on_the_page_script_runs_and_noscript_stays_hidden() {
    let Some(browser) = Browser::start(Scripts::On).await else { return };
    let url = site().await;
    browser.open(&url).await;
    browser.wait_for_text("changed by a script").await;
    assert_eq!(browser.text("#state").await, "changed by a script");
    // With scripting on, a <noscript>'s content is not even parsed as markup.
    assert!(!browser.has("#noscript").await, "{}", browser.body_text().await);
    browser.assert_accessible("the scripted page").await;
}

#[tokio::test]
async fn with_scripts_off_the_page_is_as_served_and_its_form_is_sent_by_its_button() {
    let Some(browser) = Browser::start(Scripts::Off).await else { return };
    assert_eq!(browser.scripts(), Scripts::Off);
    let url = site().await;
    browser.open(&url).await;
    assert_eq!(browser.title().await, "Scripted");
    // The page has loaded, so an inline script would have run by now.
    assert_eq!(browser.text("#state").await, "static", "the page's script ran");
    assert_eq!(browser.text("#noscript").await, "Scripts are off");
    // WebDriver's own scripts still run (axe needs them).
    assert_eq!(browser.run_script("return 6 * 7;", vec![]).await, 42);

    assert_eq!(browser.value("Your name").await, "old");
    browser.fill("Your name", "Ada <Lovelace>").await; // by a label's `for`
    assert_eq!(browser.value("who").await, "Ada <Lovelace>", "the field replaced what it held");
    browser.fill("Payer's note", "paid in cash").await; // by the label around it
    browser.fill("Size", "Large").await; // a <select>, by its option's text
    browser.fill("city", "Tashkent").await; // by its name
    let page = browser.screenshot("harness-form-filled").await;
    assert_eq!(std::fs::read(&page).expect("the screenshot")[..8], *b"\x89PNG\r\n\x1a\n", "a PNG file");
    browser.click_button("Send it").await; // spaces folded
    assert_eq!(browser.title().await, "Sent", "the click returns once the next page loaded");
    assert!(browser.url().await.ends_with("/echo"));
    let sent = browser.texts("#sent li").await;
    assert_eq!(sent, ["city=Tashkent", "note=paid in cash", "size=Large", "who=Ada <Lovelace>"]);
}

#[tokio::test]
async fn axe_reports_each_broken_rule_with_its_elements_and_a_missing_element_fails_clearly() {
    let Some(browser) = Browser::start(Scripts::Off).await else { return };
    let url = site().await;
    browser.open(&format!("{url}/broken")).await;
    let Some(violations) = browser.axe().await else { return };
    let ids: Vec<&str> = violations.iter().map(|v| v.id.as_str()).collect();
    for expected in ["html-has-lang", "image-alt", "label"] {
        assert!(ids.contains(&expected), "axe misses {expected}: {}", describe(&violations));
    }
    let image = violations.iter().find(|v| v.id == "image-alt").expect("image-alt");
    assert_eq!(image.targets, ["#logo"]);
    assert_eq!(image.impact, "critical");
    assert!(image.help_url.starts_with("https://dequeuniversity.com/rules/axe/"), "{}", image.help_url);
    let report = describe(&violations);
    assert!(report.contains("- label (critical): Form elements must have labels <"), "{report}");
    assert!(report.contains("    at #nameless\n"), "{report}");

    // The scripted page passes, so the rules found above are the page's.
    browser.open(&url).await;
    browser.assert_accessible("the scripted page").await;

    // A helper that finds nothing panics with what the page shows.
    let missing = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let wait = browser.wait_until("a text never shown", std::time::Duration::from_millis(200), async |b| {
            b.body_text().await.contains("never")
        });
        futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(wait)).await
    })
    .await
    .expect("the wait ends at its timeout");
    let message = missing.expect_err("the wait fails");
    let message = message.downcast_ref::<String>().expect("a message");
    assert!(message.contains("waited 200ms for a text never shown") && message.contains("Your name"), "{message}");
}
