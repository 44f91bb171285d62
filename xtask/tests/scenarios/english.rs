//! English first: a vendor change cannot bring back Russian-only docs. A new
//! field without English, or an English entry for a field the vendor removed,
//! is listed (and fails `regen --check`); the field's doc is then the
//! vendor's text alone, marked as the vendor's.

use std::fs;

use serde_json::Value;

use crate::support::{Scratch, edit_file, replace_once};

/// The page of `check_card_pan`, whose answer has the nested object `bank`.
const CHECK_CARD: &str = "22557089";

/// The description of `bank.<field>` of `CardCheck` in the written spec.
fn bank_field(scratch: &Scratch, field: &str) -> String {
    let text = fs::read_to_string(&scratch.paths.output).expect("the spec");
    let spec = xtask::vendor::parse_yaml(&text, 1).expect("parses");
    let pointer = format!("/components/schemas/CardCheck/properties/bank/properties/{field}/description");
    spec.pointer(&pointer).and_then(Value::as_str).unwrap_or_default().to_string()
}

#[test]
fn the_workspace_spec_has_english_for_everything() {
    let outcome = Scratch::new().check();
    assert!(outcome.english.is_complete(), "{}", outcome.english);
    assert!(outcome.english.items > 600, "operations, parameters, schemas and fields: {}", outcome.english.items);
}

#[test]
fn a_new_vendor_field_without_english_is_listed_and_shows_the_vendors_text() {
    let scratch = Scratch::new();
    scratch.edit(CHECK_CARD, |text| {
        replace_once(
            &text,
            "                          country:\n",
            "                          country_code:\n                            type: string\n                            description: '**Код** страны (ISO)'\n                            nullable: true\n                          country:\n",
        )
    });
    let check = scratch.check();
    assert_eq!(check.english.missing, ["schemas.CardCheck.properties.bank.properties.country_code"]);
    assert!(check.english.stale.is_empty());
    assert!(!check.english.is_complete(), "`regen --check` fails");

    xtask::regen(&scratch.paths, false).expect("regen writes");
    assert_eq!(bank_field(&scratch, "country_code"), "Vendor (ru): «Код страны (ISO)»");

    edit_file(&scratch.paths.english, |text| {
        replace_once(
            &text,
            "          country: The bank's country.\n",
            "          country: The bank's country.\n          country_code: The bank's country code (ISO).\n",
        )
    });
    let written = xtask::regen(&scratch.paths, false).expect("regen writes");
    assert!(written.english.is_complete(), "{}", written.english);
    assert_eq!(
        bank_field(&scratch, "country_code"),
        "The bank's country code (ISO).\n\nVendor (ru): «Код страны (ISO)»"
    );
    let report = written.report.to_string();
    assert!(
        report.contains("patch     CardCheck.bank.country_code: description changed"),
        "the report shows it: {report}"
    );
}

#[test]
fn english_for_a_field_the_vendor_removed_is_listed() {
    let scratch = Scratch::new();
    scratch.edit(CHECK_CARD, |text| {
        let text = replace_once(
            &text,
            "                          color:\n                            type: string\n                            description: HEX-код цвета фона для логотипа\n                            nullable: true\n",
            "",
        );
        replace_once(&text, "                          - color\n", "")
    });
    let check = scratch.check();
    assert!(check.english.missing.is_empty());
    assert_eq!(check.english.stale, ["schemas.CardCheck.properties.bank.properties.color"]);
    assert!(check.english.to_string().contains("no longer has"), "{}", check.english);
}

#[test]
fn a_correction_that_writes_a_description_is_refused() {
    let scratch = Scratch::new();
    scratch.correct(|text| {
        replace_once(
            &text,
            "value: {invoice_uuid: {type: string}}",
            "value: {invoice_uuid: {type: string, description: \"The payment uuid again.\"}}",
        )
    });
    let error = scratch.fails();
    assert!(error.to_string().contains("`schemas.PaymentSuccessCallback.properties.invoice_uuid`"), "{error}");
    assert!(error.to_string().contains("write English in spec/english.yaml"), "{error}");
}
