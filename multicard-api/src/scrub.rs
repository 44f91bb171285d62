//! Keeping secrets and card numbers out of errors and logs.
//!
//! Text that comes from the wire (a body snippet, the vendor's message, a
//! decoder's complaint, which quotes the value it choked on) can echo what
//! the request carried: an error page that repeats the request puts the
//! application secret, the bearer token or a PAN in front of whoever reads
//! the error or the log. Two rules apply to every such text:
//!
//! - [`mask_pans`]: a run of 13 or more digits (a card number is 13 to 19),
//!   in groups or not, keeps its first six and last four digits, the rest
//!   become `*`, as on a receipt: `8600533364098829` → `860053******8829`.
//!   Nothing else in the Multicard API is that long a number (amounts are at
//!   most 12 digits).
//! - [`scrub`]: the known secret and token, where the text holds them, become
//!   `<redacted>`.

use std::borrow::Cow;

/// The fewest digits a card number has (runs longer than the longest, 19,
/// are masked too: a PAN may stand beside an expiry or a CVC).
const PAN_DIGITS_MIN: usize = 13;

use crate::redact::REDACTED;

/// `text` with every card-number-shaped run masked to its first six and
/// last four digits. A run is digits (any script's: `８６００…` too),
/// optionally in groups joined by up to three separators (space, tab, line
/// break, `-`, `.`, `_`, `/`), with 13 digits or more in all.
pub(crate) fn mask_pans(text: &str) -> Cow<'_, str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let is_digit = |c: char| c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric());
    let is_separator = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '-' | '.' | '_' | '/' | '\u{a0}');
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i].1) {
            i += 1;
            continue;
        }
        // The run: digit groups, each joined to the next by a few separators.
        let start = i;
        let mut digits = 0;
        let mut end;
        loop {
            while i < chars.len() && is_digit(chars[i].1) {
                i += 1;
                digits += 1;
            }
            end = i;
            let mut gap = i;
            while gap < chars.len() && gap - i < 3 && is_separator(chars[gap].1) {
                gap += 1;
            }
            if gap == i || gap >= chars.len() || !is_digit(chars[gap].1) {
                break;
            }
            i = gap;
        }
        i = end;
        if digits < PAN_DIGITS_MIN {
            continue;
        }
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        let (from, to) = (chars[start].0, chars.get(end).map_or(text.len(), |c| c.0));
        out.push_str(&text[copied..from]);
        let mut seen = 0;
        for &(_, c) in &chars[start..end] {
            if is_digit(c) {
                seen += 1;
                out.push(if seen <= 6 || seen > digits - 4 { c } else { '*' });
            } else {
                out.push(c);
            }
        }
        copied = to;
    }
    match out {
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

/// Whether `c` must not reach a terminal or a log as it is: C0 and C1
/// control characters, DEL, the line and paragraph separators (U+2028,
/// U+2029: a line break to many log viewers), the marks that reorder text
/// (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the invisible
/// ones that hide a difference or a text (U+180E, U+200B–U+200D,
/// U+2060–U+2064, U+206A–U+206F, U+FEFF, U+FFF9–U+FFFB, the tags
/// U+E0000–U+E007F).
pub(crate) fn is_unsafe_char(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// `text` with every C0 and C1 control character, DEL, text-reordering mark
/// (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and invisible character
/// (U+200B–U+200D, U+FEFF) written as
/// `\u{…}` (a line break in a vendor's message becomes `\u{a}`), so that
/// text from the wire can neither forge a log line, move a terminal's
/// cursor, clear its screen, hide a link nor reorder what is read.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The length (in characters) from which a secret is cut out wherever it
/// stands, even inside a longer word: real secrets, tokens and card numbers
/// are longer. A shorter one (a CVC, an expiry, a one-letter test secret) is
/// cut out only where it stands as a whole word, so that a short value does
/// not blank out every occurrence of its letters in the text.
const SCRUB_ANYWHERE_FROM: usize = 8;

/// `text` with each non-empty string of `secrets` replaced by `<redacted>`:
/// anywhere when it is [`SCRUB_ANYWHERE_FROM`] characters or longer, as a
/// whole word (no letter or digit on either side) when shorter.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> Option<String> {
    let mut out: Option<String> = None;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let current = out.as_deref().unwrap_or(text);
        if !current.contains(secret) {
            continue;
        }
        if secret.chars().count() >= SCRUB_ANYWHERE_FROM {
            out = Some(current.replace(secret, REDACTED));
        } else if let Some(replaced) = replace_whole_words(current, secret) {
            out = Some(replaced);
        }
    }
    out
}

/// `text` with the occurrences of `word` that have no letter or digit
/// directly before or after them replaced by `<redacted>`; `None` when there
/// is none.
fn replace_whole_words(text: &str, word: &str) -> Option<String> {
    let word_char = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut replaced = false;
    for (at, _) in text.match_indices(word) {
        if at < copied {
            continue;
        }
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if word_char(before) || word_char(after) {
            continue;
        }
        out.push_str(&text[copied..at]);
        out.push_str(REDACTED);
        copied = at + word.len();
        replaced = true;
    }
    replaced.then(|| {
        out.push_str(&text[copied..]);
        out
    })
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

/// `text` from the wire made fit for an error or a log line: card numbers
/// masked, control and direction-changing characters escaped (`\u{1b}`),
/// cut to `max` characters (an ellipsis marks the cut).
pub(crate) fn printable(text: &str, max: usize) -> String {
    let masked = mask_pans(text);
    let kept: String = masked.chars().take(max).collect();
    let mut out = escape_controls(&kept).into_owned();
    if masked.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// The JSON keys of request bodies whose values are card data, codes or
/// secrets: an answer that echoes them back has them cut out.
const SENT_SECRETS: [&str; 9] = ["pan", "expiry", "cvc", "cvv", "otp", "code", "token", "card_token", "secret"];

/// `values` as a JSON encoder may have written them inside a string (`"`
/// and `\\` escaped, and `/` as `\/`), where that differs from the value.
pub(crate) fn escaped_forms(values: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for value in values.iter().filter(|v| !v.is_empty()) {
        let json = serde_json::to_string(value).unwrap_or_default();
        let json = json.strip_prefix('"').and_then(|j| j.strip_suffix('"')).unwrap_or_default().to_string();
        let slashes = json.replace('/', "\\/");
        for form in [json, slashes] {
            if form != *value && !out.contains(&form) {
                out.push(form);
            }
        }
    }
    // Longest first, so a value inside another is not cut out of it first.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// What a request carried that an echoed answer may repeat: its body and the
/// card token of its path. Kept as bytes while the call runs, and searched
/// for sensitive values only if the call fails ([`Sent::secrets`]).
#[derive(Debug, Default)]
pub(crate) struct Sent {
    /// The request body, when it had one.
    pub body: Option<Vec<u8>>,
    /// The card token in the path (get, revoke, confirm a card).
    pub path_token: Option<String>,
}

impl Sent {
    /// The card data, codes and tokens to cut out of an error.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut out = self.body.as_deref().map(sent_secrets).unwrap_or_default();
        out.extend(self.path_token.clone());
        out
    }
}

/// The sensitive values a request body carries (strings of 4 characters or
/// more under [`SENT_SECRETS`] keys, at any depth), to cut out of whatever
/// the answer echoes.
pub(crate) fn sent_secrets(body: &[u8]) -> Vec<String> {
    fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map {
                    match inner {
                        serde_json::Value::String(text) if SENT_SECRETS.contains(&key.as_str()) && text.len() >= 4 => {
                            out.push(text.clone())
                        }
                        serde_json::Value::Number(number) if SENT_SECRETS.contains(&key.as_str()) => {
                            let text = number.to_string();
                            if text.len() >= 4 {
                                out.push(text)
                            }
                        }
                        _ => walk(inner, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        walk(&value, &mut out);
    }
    // Longest first, so a value inside another is not cut out of it first.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_keep_six_and_four() {
        assert_eq!(mask_pans("card 8600533364098829 declined"), "card 860053******8829 declined");
        assert_eq!(mask_pans("4111111111111"), "411111***1111", "13 digits");
        assert_eq!(mask_pans("1234567890123456789"), "123456*********6789", "19 digits");
        assert_eq!(mask_pans("8600533364098829 2806"), "860053********** 2806", "beside an expiry");
        assert_eq!(mask_pans("a8600533364098829b9860123412341234"), "a860053******8829b986012******1234");
    }

    #[test]
    fn grouped_card_numbers_are_masked_too() {
        assert_eq!(mask_pans("8600 5333 6409 8829"), "8600 53** **** 8829");
        assert_eq!(mask_pans("8600-5333-6409-8829."), "8600-53**-****-8829.");
        assert_eq!(mask_pans("on 2025-03-07 23:12:15"), "on 2025-03-07 23:12:15", "a timestamp is no PAN");
        assert_eq!(mask_pans("8600\t5333\t6409\t8829"), "8600\t53**\t****\t8829", "tabs");
        assert_eq!(mask_pans("8600.5333.6409.8829"), "8600.53**.****.8829", "dots");
        assert_eq!(mask_pans("8600  5333  6409  8829"), "8600  53**  ****  8829", "two spaces");
        assert_eq!(mask_pans("８６００５３３３６４０９８８２９"), "８６００５３******８８２９", "fullwidth digits");
    }

    #[test]
    fn other_numbers_stay() {
        assert_eq!(mask_pans("amount 150000000000, id 42"), "amount 150000000000, id 42", "12 digits");
        assert_eq!(mask_pans("12345678901234567890"), "123456**********7890", "longer runs are masked too");
        assert!(matches!(mask_pans("nothing here"), Cow::Borrowed(_)));
        assert_eq!(mask_pans("ёж 8600533364098829 ёж"), "ёж 860053******8829 ёж", "multibyte text around it");
    }

    #[test]
    fn a_requests_card_data_and_codes_are_found() {
        let body =
            br#"{"card": {"pan": "8600533364098829", "expiry": "2806", "cvc": "12"}, "otp": 112233, "amount": 5000}"#;
        assert_eq!(sent_secrets(body), ["8600533364098829", "112233", "2806"]);
        assert!(sent_secrets(b"not json").is_empty());
    }

    #[test]
    fn escaped_forms_of_a_secret_are_found() {
        assert_eq!(escaped_forms(&["Pw18+axe/BFo8=="]), [r"Pw18+axe\/BFo8=="]);
        assert_eq!(escaped_forms(&["plain"]), Vec::<String>::new());
        assert_eq!(escaped_forms(&[r#"a"b/c"#]), [r#"a\"b\/c"#, r#"a\"b/c"#]);
    }

    #[test]
    fn known_secrets_are_replaced() {
        assert_eq!(scrub("secret=abc&token=xyz", &["abc", "xyz"]).unwrap(), "secret=<redacted>&token=<redacted>");
        assert_eq!(scrub("nothing", &["abc"]), None);
        assert_eq!(scrub("empty secrets are skipped", &[""]), None);
    }

    #[test]
    fn control_characters_and_reordering_marks_are_escaped() {
        assert_eq!(escape_controls("ok\r\n2026 INFO forged"), "ok\\u{d}\\u{a}2026 INFO forged");
        assert_eq!(escape_controls("\u{1b}[2J\u{1b}[32mREFUND COMPLETED"), "\\u{1b}[2J\\u{1b}[32mREFUND COMPLETED");
        assert_eq!(escape_controls("a\u{7f}b\u{85}c\u{9b}d"), "a\\u{7f}b\\u{85}c\\u{9b}d");
        assert_eq!(escape_controls("x\u{202e}y\u{2066}z\u{200f}"), "x\\u{202e}y\\u{2066}z\\u{200f}");
        assert!(matches!(escape_controls("Платеж подтвержден ранее"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_short_secret_is_cut_out_only_as_a_whole_word() {
        // A one-character token must not blank out every `a` of the text.
        assert_eq!(scrub("a bad card, token a", &["a"]).unwrap(), "<redacted> bad card, token <redacted>");
        assert_eq!(scrub("banana", &["a"]), None);
        assert_eq!(scrub("cvc 123 in 41234", &["123"]).unwrap(), "cvc <redacted> in 41234");
        // A secret of real length is cut out wherever it stands.
        assert_eq!(scrub("xPw18axeBFo8V7y", &["Pw18axeBFo8V7"]).unwrap(), "x<redacted>y");
    }
}
