//! Decoding `--body` into the SDK's request types, with errors that name
//! where and what was expected, never the value: a body carries card
//! numbers, expiry dates, card tokens and one-time codes.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// `value` as a `T` (the request type `schema` names), or a message with
/// the JSON path of what does not fit and what was expected there.
pub fn decode<T: DeserializeOwned>(value: Value, schema: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let what = without_values(&error.inner().to_string());
        if path == "." {
            format!("--body is not a valid `{schema}`: {what}")
        } else {
            format!("--body is not a valid `{schema}`: at `{path}`: {what}")
        }
    })
}

/// serde's complaint with the value it quotes left out: `invalid type:
/// string "8600…", expected i64` becomes `invalid type: a string, expected
/// i64`. A complaint of a shape not known here says only that the value
/// does not fit.
fn without_values(message: &str) -> String {
    if message.starts_with("missing field `") || message.starts_with("invalid length ") {
        return message.to_string();
    }
    let Some((found, expected)) = message.split_once(", expected ") else {
        return "the value does not fit its type".into();
    };
    let kind = |prefix: &str| {
        found.strip_prefix(prefix).map(|rest| {
            // serde names the kind of value first: `string "…"`, `integer
            // `5``, `floating point `1.5``, `boolean `true``, `map`.
            let words: Vec<&str> = rest.split_whitespace().take_while(|w| !w.starts_with(['"', '`'])).collect();
            if words.is_empty() { "a value".to_string() } else { format!("a {}", words.join(" ")) }
        })
    };
    let shown = if let Some(kind) = kind("invalid type: ") {
        format!("invalid type: {kind}")
    } else if let Some(kind) = kind("invalid value: ") {
        format!("invalid value: {kind}")
    } else if found.starts_with("unknown variant ") {
        "unknown variant".into()
    } else if found.starts_with("unknown field ") {
        "unknown field".into()
    } else {
        "the value does not fit".into()
    };
    format!("{shown}, expected {expected}")
}

#[cfg(test)]
mod tests {
    use super::without_values;

    #[test]
    fn values_are_left_out_of_serdes_complaints() {
        assert_eq!(
            without_values("invalid type: string \"8600533364098829\", expected i64"),
            "invalid type: a string, expected i64"
        );
        assert_eq!(
            without_values("invalid type: integer `8600533364098829`, expected a string"),
            "invalid type: a integer, expected a string"
        );
        assert_eq!(
            without_values("unknown variant `4111111111111111`, expected one of `uzcard`, `humo`"),
            "unknown variant, expected one of `uzcard`, `humo`"
        );
        assert_eq!(without_values("missing field `pan`"), "missing field `pan`");
        assert_eq!(without_values("bad date 2806-12-31 for card 8600"), "the value does not fit its type");
    }
}
