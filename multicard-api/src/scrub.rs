//! Keeping secrets and card numbers out of errors and logs.
//!
//! Text that comes from the wire (a body snippet, the vendor's message, a
//! decoder's complaint, which quotes the value it choked on) can echo what
//! the request carried: an error page that repeats the request puts the
//! application secret, the bearer token or a PAN in front of whoever reads
//! the error or the log. Two rules apply to every such text:
//!
//! - [`mask_pans`]: a run of 13 to 19 digits (the length of a card number)
//!   keeps its first six and last four digits, the rest become `*`, as on a
//!   receipt: `8600533364098829` → `860053******8829`. Nothing else in the
//!   Multicard API is that long a number (amounts are at most 12 digits).
//! - [`scrub`]: the known secret and token, where the text holds them, become
//!   `<redacted>`.

use std::borrow::Cow;

/// The shortest and longest digit runs taken for a card number.
const PAN_DIGITS: std::ops::RangeInclusive<usize> = 13..=19;

use crate::redact::REDACTED;

/// `text` with every card-number-shaped run masked to its first six and
/// last four digits. A run is digits, optionally in groups joined by one
/// space or dash (`8600 5333 6409 8829`), with 13 to 19 digits in all.
pub(crate) fn mask_pans(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // The run: digit groups, each joined to the next by one separator.
        let start = i;
        let mut digits = 0;
        let mut end;
        loop {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
                digits += 1;
            }
            end = i;
            let joined = i + 1 < bytes.len() && matches!(bytes[i], b' ' | b'-') && bytes[i + 1].is_ascii_digit();
            if !joined {
                break;
            }
            i += 1;
        }
        if !PAN_DIGITS.contains(&digits) {
            continue;
        }
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(&text[copied..start]);
        let mut seen = 0;
        for &b in &bytes[start..end] {
            if b.is_ascii_digit() {
                seen += 1;
                out.push(if seen <= 6 || seen > digits - 4 { b as char } else { '*' });
            } else {
                out.push(b as char);
            }
        }
        copied = end;
    }
    match out {
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

/// `text` with each non-empty string of `secrets` replaced by `<redacted>`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> Option<String> {
    let mut out: Option<String> = None;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let current = out.as_deref().unwrap_or(text);
        if current.contains(secret) {
            out = Some(current.replace(secret, REDACTED));
        }
    }
    out
}

/// Scrubs `text` in place.
pub(crate) fn scrub_in_place(text: &mut String, secrets: &[&str]) {
    if let Some(clean) = scrub(text, secrets) {
        *text = clean;
    }
}

/// Masks the card numbers of a text that came from the wire.
pub(crate) fn clean(text: &str) -> String {
    mask_pans(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_keep_six_and_four() {
        assert_eq!(mask_pans("card 8600533364098829 declined"), "card 860053******8829 declined");
        assert_eq!(mask_pans("4111111111111"), "411111***1111", "13 digits");
        assert_eq!(mask_pans("1234567890123456789"), "123456*********6789", "19 digits");
        assert_eq!(mask_pans("a8600533364098829b9860123412341234"), "a860053******8829b986012******1234");
    }

    #[test]
    fn grouped_card_numbers_are_masked_too() {
        assert_eq!(mask_pans("8600 5333 6409 8829"), "8600 53** **** 8829");
        assert_eq!(mask_pans("8600-5333-6409-8829."), "8600-53**-****-8829.");
        assert_eq!(mask_pans("on 2025-03-07 23:12:15"), "on 2025-03-07 23:12:15", "a timestamp is no PAN");
    }

    #[test]
    fn other_numbers_stay() {
        assert_eq!(mask_pans("amount 150000000000, id 42"), "amount 150000000000, id 42", "12 digits");
        assert_eq!(mask_pans("12345678901234567890"), "12345678901234567890", "20 digits is no PAN");
        assert!(matches!(mask_pans("nothing here"), Cow::Borrowed(_)));
        assert_eq!(mask_pans("ёж 8600533364098829 ёж"), "ёж 860053******8829 ёж", "multibyte text around it");
    }

    #[test]
    fn known_secrets_are_replaced() {
        assert_eq!(scrub("secret=abc&token=xyz", &["abc", "xyz"]).unwrap(), "secret=<redacted>&token=<redacted>");
        assert_eq!(scrub("nothing", &["abc"]), None);
        assert_eq!(scrub("empty secrets are skipped", &[""]), None);
    }
}
