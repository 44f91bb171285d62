//! The SDK's request checks, enforced: a write the rules of
//! `multicard_api::checks` refuse by default is refused here too, with the
//! `ERROR_FIELDS` answer Multicard gives ([`Refusal::BrokenRule`]). One
//! implementation of the rules, the SDK's: the sandbox runs
//! `multicard_api::checks::check` on the body as it arrived, with the
//! default policy ([`RequestChecks::new`]).
//!
//! What the default policy only warns about (the rules the vendor's pages
//! are silent on or contradict: item totals against the amount, price × qty
//! against an item's total, the shape of `mxik`, an empty `ofd`) is
//! accepted: what production does with them is not known, and the vendor's
//! own examples break them.

use multicard_api::checks::{Action, RequestChecks, check};
use serde_json::Value;

use crate::answer::Refusal;

/// The first rule `operation`'s `body` breaks that the default policy
/// refuses (in the order of the body's fields, as Multicard names the first
/// field that fails), or `None`.
pub(crate) fn refusal(operation: &str, body: &Value) -> Option<Refusal> {
    check(operation, body, &RequestChecks::new()).into_iter().find(|finding| finding.action == Action::Refuse).map(
        |finding| Refusal::BrokenRule {
            rule: finding.rule,
            field: vendor_field(&finding.field),
            missing: finding.missing,
        },
    )
}

/// A field's name as Multicard's `details` write it: `invoice_id` →
/// `Invoice Id`, `refund_amount` → `Refund Amount`, `kyc_data` → `Kyc Data`.
///
/// Inferred from the pages' examples («Необходимо заполнить «Amount».»,
/// «Необходимо заполнить «Invoice Id».», «Значение «Payment System»
/// неверно.»): they are the Russian messages of the Yii framework's
/// validators, which name a field by a label made from its name (Yii's
/// `Inflector::camel2words`: `_`, `-` and `.` become spaces, a capital
/// starts a word, every word is capitalised). How Multicard names a field
/// inside an array is shown nowhere; the sandbox writes the path as Yii
/// writes a nested key (`ofd.1.mxik`) and labels that: `ofd[1].mxik` →
/// `Ofd 1 Mxik`, `split[0].amount` → `Split 0 Amount` (a label the SDK's
/// `FieldsReason` reads back as the field).
pub(crate) fn vendor_field(field: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous: Option<char> = None;
    for c in field.chars() {
        let separator = matches!(c, '_' | '-' | '.' | '[' | ']' | ' ');
        let starts_word = c.is_uppercase() && previous.is_some_and(|p| !p.is_uppercase());
        if (separator || starts_word) && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if !separator {
            word.push(c);
        }
        previous = Some(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|first| first.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn field_names_are_written_as_the_vendor_pages_write_them() {
        assert_eq!(vendor_field("amount"), "Amount");
        assert_eq!(vendor_field("invoice_id"), "Invoice Id");
        assert_eq!(vendor_field("payment_system"), "Payment System");
        assert_eq!(vendor_field("refund_amount"), "Refund Amount");
        assert_eq!(vendor_field("kyc_data"), "Kyc Data");
        assert_eq!(vendor_field("ofd"), "Ofd");
        assert_eq!(vendor_field("ofd[1].mxik"), "Ofd 1 Mxik");
        assert_eq!(vendor_field("ofd[0].mark[2]"), "Ofd 0 Mark 2");
        assert_eq!(vendor_field("split[0].amount"), "Split 0 Amount");
        assert_eq!(vendor_field("packageCode"), "Package Code");
    }

    #[test]
    fn only_what_the_default_policy_refuses_is_refused() {
        let item = json!({"qty": 1, "price": 500, "mxik": "06401004002000000", "total": 500, "package_code": "1506113",
            "name": "item"});
        let invoice = |amount: i64, ofd: Value| json!({"store_id": 6, "amount": amount, "invoice_id": "i", "callback_url": "https://shop/cb", "ofd": ofd});
        assert_eq!(refusal("create_invoice", &invoice(500, json!([item]))), None);
        // Item totals against the amount: warned about, accepted.
        assert_eq!(refusal("create_invoice", &invoice(700, json!([item]))), None);
        let Some(Refusal::BrokenRule { rule, field, .. }) = refusal("create_invoice", &invoice(0, json!([item])))
        else {
            panic!("amount 0 is refused")
        };
        assert_eq!((rule.id, field.as_str()), ("amount.positive", "Amount"));
        // Operations no rule covers are not checked.
        assert_eq!(refusal("get_payment", &json!({"amount": 0})), None);
    }
}
