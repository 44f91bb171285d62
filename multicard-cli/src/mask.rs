//! Card tokens in what the command line prints: a `card_token` charges the
//! card it stands for, so the command line shows it as the SDK's `Debug`
//! does (`<redacted>`, see `multicard_api`'s `redact.rs`), in every format
//! (json, table, csv, ndjson) and in the confirmation, unless `--reveal`.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

/// What a hidden value prints as: the SDK's `Debug` text for it.
pub(crate) const REDACTED: &str = "<redacted>";

/// The fields hidden: the spec's `card_token` (`x-sensitive: secret`), in
/// every answer and registry row that carries one.
const HIDDEN: &[&str] = &["card_token"];

static REVEAL: AtomicBool = AtomicBool::new(false);

/// `--reveal`: print card tokens whole for the rest of this run.
pub(crate) fn reveal(on: bool) {
    REVEAL.store(on, Ordering::Relaxed);
}

fn revealed() -> bool {
    REVEAL.load(Ordering::Relaxed)
}

/// `value` as it may be printed: each `card_token` string, at any depth,
/// replaced by `<redacted>` (a `null` stays `null`), unless `--reveal`.
pub(crate) fn hidden(value: Value) -> Value {
    if revealed() { value } else { hide(value) }
}

fn hide(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, inner)| {
                    let inner = match inner {
                        Value::String(_) if HIDDEN.contains(&key.as_str()) => Value::String(REDACTED.into()),
                        other => hide(other),
                    };
                    (key, inner)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(hide).collect()),
        other => other,
    }
}

/// One field's value as the confirmation shows it: a hidden field's as
/// `<redacted>` unless `--reveal`, any other as it is.
pub(crate) fn field<'a>(name: &str, value: &'a str) -> &'a str {
    if HIDDEN.contains(&name) && !revealed() { REDACTED } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn card_tokens_are_hidden_at_any_depth_and_nothing_else_is() {
        let answer = json!({
            "card_token": "6225f3c93f7a880142782fa4",
            "card_pan": "860053******8829",
            "payment": {"card_token": "65b81d37b53977001c14391a", "uuid": "u-1"},
            "list": [{"card_token": null}, {"card_token": "a"}],
        });
        let shown = hide(answer);
        assert_eq!(
            shown,
            json!({
                "card_token": "<redacted>",
                "card_pan": "860053******8829",
                "payment": {"card_token": "<redacted>", "uuid": "u-1"},
                "list": [{"card_token": null}, {"card_token": "<redacted>"}],
            })
        );
        assert_eq!(field("card_token", "6225f3c9"), REDACTED);
        assert_eq!(field("uuid", "u-1"), "u-1");
    }
}
