//! How `Debug` shows the values the spec marks `x-sensitive`: secrets,
//! tokens, card data and one-time codes. The generated types call
//! [`secret`] and [`pan`] from their `Debug` impls (written by
//! `multicard-api-build`); nothing else prints those fields.

use std::fmt;

/// What a redacted value prints as.
pub(crate) const REDACTED: &str = "<redacted>";

/// A value as `Debug` shows it: `<redacted>`, or what `show` lets through.
/// `Option` and the builders' `Result` keep their shape (`None`,
/// `Some(<redacted>)`, `Err("no value supplied for pan")`).
pub(crate) struct Shown<'a, T: ?Sized> {
    value: &'a T,
    show: fn(&str) -> Option<String>,
}

/// A value never shown.
pub(crate) fn secret<T: Sensitive + ?Sized>(value: &T) -> Shown<'_, T> {
    Shown { value, show: |_| None }
}

/// A card number, shown as its first six and last four digits at most.
pub(crate) fn pan<T: Sensitive + ?Sized>(value: &T) -> Shown<'_, T> {
    Shown { value, show: masked_pan }
}

/// The types a sensitive field has in the generated code.
pub(crate) trait Sensitive {
    /// Writes the value, passing its text through `show`.
    fn fmt_with(&self, f: &mut fmt::Formatter<'_>, show: fn(&str) -> Option<String>) -> fmt::Result;
}

impl<T: Sensitive + ?Sized> fmt::Debug for Shown<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt_with(f, self.show)
    }
}

impl Sensitive for str {
    fn fmt_with(&self, f: &mut fmt::Formatter<'_>, show: fn(&str) -> Option<String>) -> fmt::Result {
        match show(self) {
            Some(visible) => fmt::Debug::fmt(&visible, f),
            None => f.write_str(REDACTED),
        }
    }
}

impl Sensitive for String {
    fn fmt_with(&self, f: &mut fmt::Formatter<'_>, show: fn(&str) -> Option<String>) -> fmt::Result {
        self.as_str().fmt_with(f, show)
    }
}

impl<T: Sensitive> Sensitive for Option<T> {
    fn fmt_with(&self, f: &mut fmt::Formatter<'_>, show: fn(&str) -> Option<String>) -> fmt::Result {
        match self {
            Some(value) => f.debug_tuple("Some").field(&Shown { value, show }).finish(),
            None => f.write_str("None"),
        }
    }
}

/// A builder's field: the value, or why there is none. The message names
/// the field, never its value (the generated builders' conversions from a
/// string cannot fail).
impl<T: Sensitive> Sensitive for Result<T, String> {
    fn fmt_with(&self, f: &mut fmt::Formatter<'_>, show: fn(&str) -> Option<String>) -> fmt::Result {
        match self {
            Ok(value) => f.debug_tuple("Ok").field(&Shown { value, show }).finish(),
            Err(message) => f.debug_tuple("Err").field(message).finish(),
        }
    }
}

/// `8600533364098829` gives `860053******8829`; a number already masked
/// (`860053******8829`) stays as it is. Anything that is not 13 to 19
/// digits (or masking stars) is not shown at all.
pub(crate) fn masked_pan(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let shaped = (13..=19).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'*');
    if !shaped {
        return None;
    }
    // All ASCII, so these are character boundaries.
    Some(format!("{}{}{}", &value[..6], "*".repeat(value.len() - 10), &value[value.len() - 4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pan_shows_six_and_four_digits_at_most() {
        assert_eq!(masked_pan("8600533364098829").as_deref(), Some("860053******8829"));
        assert_eq!(masked_pan("860053******8829").as_deref(), Some("860053******8829"));
        assert_eq!(masked_pan("4000001234567").as_deref(), Some("400000***4567"));
        for not_a_pan in ["", "860053", "8600 5333 6409 8829", "86005333640988291234", "абвгдеёжзийклмн"]
        {
            assert_eq!(masked_pan(not_a_pan), None, "{not_a_pan}");
        }
    }

    #[test]
    fn options_and_results_keep_their_shape() {
        let value = Some("8600533364098829".to_string());
        assert_eq!(format!("{:?}", pan(&value)), r#"Some("860053******8829")"#);
        assert_eq!(format!("{:?}", secret(&value)), "Some(<redacted>)");
        assert_eq!(format!("{:?}", secret(&None::<String>)), "None");
        let set: Result<String, String> = Ok("112233".into());
        assert_eq!(format!("{:?}", secret(&set)), "Ok(<redacted>)");
        let unset: Result<String, String> = Err("no value supplied for otp".into());
        assert_eq!(format!("{:?}", secret(&unset)), r#"Err("no value supplied for otp")"#);
        assert_eq!(format!("{:#?}", secret(&value)), "Some(\n    <redacted>,\n)");
    }
}
