//! Reading `ERROR_FIELDS`'s `details` into a [`FieldsReason`], by the
//! wordings of `table.rs`: tolerant of case, `ё`/`е`, whitespace and text
//! around the wording.

use super::kinds::FieldsReason;
use super::table::{Field, WORDINGS};

/// The longest field name kept; a longer "name" is not one.
const MAX_FIELD_CHARS: usize = 64;

/// The text as compared: every whitespace or control character a single
/// space, `ё` as `е`, trimmed. `shown` keeps the case (field names are
/// taken from it), `folded` is lower case, char for char the same length.
struct Normalized {
    shown: Vec<char>,
    folded: Vec<char>,
}

fn normalize(text: &str) -> Normalized {
    let mut shown = Vec::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            'ё' => 'е',
            'Ё' => 'Е',
            c if c.is_whitespace() || c.is_control() => ' ',
            c => c,
        };
        if c == ' ' && shown.last().is_none_or(|last| *last == ' ') {
            continue;
        }
        shown.push(c);
    }
    while shown.last() == Some(&' ') {
        shown.pop();
    }
    // One char for one char, so positions in `folded` are positions in
    // `shown` (a char whose lower case is longer stays as it is).
    let folded = shown
        .iter()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => *c,
            }
        })
        .collect();
    Normalized { shown, folded }
}

fn find(haystack: &[char], needle: &[char], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from);
    }
    (from..=haystack.len().checked_sub(needle.len())?).find(|&i| haystack[i..i + needle.len()] == *needle)
}

fn closing(open: char) -> Option<char> {
    Some(match open {
        '«' => '»',
        '"' => '"',
        '“' => '”',
        '„' => '“',
        '\'' => '\'',
        '`' => '`',
        _ => return None,
    })
}

/// The field name in `text` (already cut at the pattern's next part, if
/// any): quoted, up to its closing quote; unquoted, the text up to the
/// pattern's next part, or else the names that start it. `None` when it is
/// empty, too long or not a name.
fn field_name(text: &[char], bounded: bool) -> Option<String> {
    let text = match text.first().copied().and_then(closing) {
        Some(close) => {
            let end = text[1..].iter().position(|c| *c == close)?;
            &text[1..1 + end]
        }
        None if bounded => text,
        // Unquoted and last: names (`store_id`), or a list of them
        // (`store_id, amount`); what follows is not part of it.
        None => {
            let is_name = |c: &char| c.is_alphanumeric() || matches!(c, '_' | '-');
            let mut end = 0;
            loop {
                let token = text[end..].iter().take_while(|c| is_name(c)).count();
                if token == 0 {
                    break;
                }
                end += token;
                let comma = text.get(end) == Some(&',');
                let gap = usize::from(comma) + usize::from(comma && text.get(end + 1) == Some(&' '));
                if !comma || !text.get(end + gap).is_some_and(is_name) {
                    break;
                }
                end += gap;
            }
            &text[..end]
        }
    };
    let name: String = text.iter().collect::<String>().trim().to_string();
    let plausible = !name.is_empty()
        && name.chars().count() <= MAX_FIELD_CHARS
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.' | ',' | '/'));
    // Never a card number, even from a caller's own text.
    plausible.then(|| crate::scrub::mask_pans(&name).into_owned())
}

/// The reason `details` gives, or [`FieldsReason::Other`].
pub(crate) fn parse(details: &str) -> FieldsReason {
    let text = normalize(details);
    for wording in WORDINGS {
        let (before, after) = wording.pattern.split_once("{field}").unwrap_or((wording.pattern, ""));
        let before: Vec<char> = before.trim_end().chars().collect();
        let after: Vec<char> = after.trim_start().chars().collect();
        let Some(at) = find(&text.folded, &before, 0) else { continue };
        let rest = at + before.len();
        let field = match wording.field {
            Field::None => String::new(),
            Field::Fixed(name) => name.to_string(),
            Field::Placeholder => {
                let start = rest + usize::from(text.shown.get(rest) == Some(&' '));
                let end = if after.is_empty() {
                    text.shown.len()
                } else {
                    match find(&text.folded, &after, start) {
                        Some(end) => end,
                        None => continue,
                    }
                };
                match field_name(&text.shown[start..end], !after.is_empty()) {
                    Some(name) => name,
                    None => continue,
                }
            }
        };
        return FieldsReason::from_kind(wording.reason, field);
    }
    FieldsReason::Other
}

impl FieldsReason {
    /// The reason Multicard's `details` of an `ERROR_FIELDS` give, or
    /// [`FieldsReason::Other`] when they are none of the wordings told
    /// apart. [`Error::fields_reason`](crate::Error::fields_reason) does
    /// this for an error.
    ///
    /// ```
    /// use multicard_api::outcome::FieldsReason;
    /// assert_eq!(FieldsReason::from_details("Платёж  подтверждён ранее"), FieldsReason::AlreadyConfirmed);
    /// assert_eq!(
    ///     FieldsReason::from_details("Необходимо заполнить «Invoice Id»."),
    ///     FieldsReason::FieldMissing { field: "Invoice Id".into() }
    /// );
    /// assert_eq!(FieldsReason::from_details("something new"), FieldsReason::Other);
    /// ```
    pub fn from_details(details: &str) -> Self {
        parse(details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_bare_field_names_are_taken_as_written() {
        let missing = |field: &str| FieldsReason::FieldMissing { field: field.into() };
        assert_eq!(parse("Необходимо заполнить «Amount»."), missing("Amount"));
        assert_eq!(parse("Необходимо заполнить \"Invoice Id\""), missing("Invoice Id"));
        assert_eq!(parse("Не переданы обязательные поля: store_id"), missing("store_id"));
        assert_eq!(parse("Не переданы обязательные поля: store_id, amount. Повторите"), missing("store_id, amount"));
        assert_eq!(parse("Поле store_id является обязательным"), missing("store_id"));
        assert_eq!(parse("НЕ ПЕРЕДАН SMS-КОД"), missing("SMS-код"));
        assert_eq!(
            parse("Значение «Payment System» неверно."),
            FieldsReason::FieldInvalid { field: "Payment System".into() }
        );
    }

    #[test]
    fn a_field_that_is_no_name_is_not_taken() {
        assert_eq!(parse("Необходимо заполнить «»."), FieldsReason::Other);
        assert_eq!(parse(&format!("Необходимо заполнить «{}».", "x".repeat(65))), FieldsReason::Other);
        assert_eq!(parse("Необходимо заполнить «a<b>»."), FieldsReason::Other);
        assert_eq!(parse("Необходимо заполнить «a"), FieldsReason::Other, "no closing quote");
        assert_eq!(
            parse("Необходимо заполнить 8600533364098829"),
            FieldsReason::FieldMissing { field: "860053******8829".into() }
        );
    }

    #[test]
    fn whitespace_controls_and_case_are_folded() {
        assert_eq!(parse("\tПЛАТЕЖ\n\u{1b}подтвержден   РАНЕЕ "), FieldsReason::AlreadyConfirmed);
        assert_eq!(parse("Ошибка: платёж подтверждён ранее (id 5)"), FieldsReason::AlreadyConfirmed);
        assert_eq!(parse(""), FieldsReason::Other);
        assert_eq!(parse("İ"), FieldsReason::Other, "a char whose lower case is two");
    }
}
