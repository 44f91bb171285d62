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

/// Why a body does not fit one type: where, how deep, and what was expected
/// there (never the value).
pub struct Misfit {
    /// The JSON path (`card.pan`; `.` for the body itself).
    path: String,
    /// How close the body came to fitting: how many fields and indexes
    /// deep the path goes, then how near the complaint is (a wrong type
    /// where the type has the field is nearer than a field it lacks).
    closeness: (usize, u8),
    /// What does not fit, without the value.
    what: String,
}

/// Tries a body against one variant of a body of several shapes.
pub type Try = fn(Value) -> Result<(), Misfit>;

/// Whether `value` is a `T`, and if not, where it stops fitting.
pub fn misfit<T: DeserializeOwned>(value: Value) -> Result<(), Misfit> {
    serde_path_to_error::deserialize::<_, T>(value).map(|_| ()).map_err(|error| {
        let what = without_values(&error.inner().to_string());
        let nearness = if what.starts_with("unknown field") {
            0
        } else if what.starts_with("missing field") || what.starts_with("unknown variant") {
            1
        } else {
            2
        };
        Misfit { path: error.path().to_string(), closeness: (error.path().iter().count(), nearness), what }
    })
}

/// `value` as a `T` (the request type `schema` names, one of several
/// shapes, `variants`: an untagged enum), or a message naming the closest
/// shape, the path where it stops fitting and what was expected there.
/// The closest shape is the one whose mismatch is deepest in the body (the
/// body got furthest into it), then the one that has the field (a wrong
/// type) over one that lacks it (an unknown or missing field); on a tie,
/// the first the spec lists.
pub fn decode_one_of<T: DeserializeOwned>(value: Value, schema: &str, variants: &[(&str, Try)]) -> Result<T, String> {
    if let Ok(decoded) = serde_json::from_value::<T>(value.clone()) {
        return Ok(decoded);
    }
    let mut closest: Option<(&str, Misfit)> = None;
    for (name, attempt) in variants {
        match attempt(value.clone()) {
            // A variant that fits alone but not within the enum: say so
            // rather than guess.
            Ok(()) => return Err(format!("--body is not a valid `{schema}`, although it is a valid `{name}`")),
            Err(misfit) => {
                if closest.as_ref().is_none_or(|(_, best)| misfit.closeness > best.closeness) {
                    closest = Some((name, misfit));
                }
            }
        }
    }
    let names: Vec<&str> = variants.iter().map(|(name, _)| *name).collect();
    let shapes = format!("a `{schema}` is one of {}", names.join(", "));
    Err(match closest {
        Some((name, misfit)) if misfit.path == "." => {
            format!("--body is not a valid `{schema}`: closest is `{name}`: {} ({shapes})", misfit.what)
        }
        Some((name, misfit)) => format!(
            "--body is not a valid `{schema}`: closest is `{name}`: at `{}`: {} ({shapes})",
            misfit.path, misfit.what
        ),
        None => format!("--body is not a valid `{schema}` ({shapes})"),
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
