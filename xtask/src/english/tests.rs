use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Coverage, English, apply};

const NOTE: &str = "Format: `YYYY-MM-DD HH:MM:SS` in GMT+5 (Tashkent), without an offset.";

fn english(text: &str) -> English {
    English::parse(text).expect("parses")
}

/// A document as the vendor's pages give it: one operation, one payment.
fn vendor() -> Value {
    json!({
        "paths": {"/payment/{uuid}": {"get": {
            "operationId": "get_payment",
            "summary": "Получение информации о платеже",
            "description": "В ответе возвращается {PaymentModel}",
            "parameters": [{"name": "uuid", "in": "path", "description": "uuid платежа"}],
        }}},
        "components": {"schemas": {
            "PaymentModel": {"type": "object", "properties": {
                "status": {"$ref": "#/components/schemas/PaymentStatus", "description": "Статус транзакции"},
                "payment_time": {"type": "string", "format": "multicard-datetime", "description": "Время оплаты"},
                "added_on": {"type": "string", "format": "multicard-datetime"},
                "card": {"type": "object", "properties": {"token": {"type": "string", "description": "Max length:255\nТокен"}}},
            }},
            "PaymentStatus": {"type": "string", "enum": ["success"]},
            "PaymentModelResponse": {"type": "object", "description": "Multicard's envelope.",
                "properties": {"data": {"$ref": "#/components/schemas/PaymentModel"}}},
        }},
    })
}

const ENGLISH: &str = "
operations:
  get_payment:
    summary: Get a payment
    description: Reads a payment.
parameters:
  get_payment:
    uuid: The payment's `uuid`.
schemas:
  PaymentModel:
    description: |-
      A payment,
      as answered.

      Second paragraph.
    properties:
      status: Its state.
      payment_time: When it was paid.
      added_on: When it was created.
      card:
        description: The card.
        properties:
          token: The card's token.
  PaymentStatus: The state of a payment.
";

fn merged(english_text: &str) -> (Value, Coverage) {
    let vendor = vendor();
    let mut doc = vendor.clone();
    // the format rule has appended its note, as `formats` does
    if let Some(description) = doc.pointer_mut("/components/schemas/PaymentModel/properties/payment_time/description") {
        *description = json!(format!("Время оплаты\n\n{NOTE}"));
    }
    let notes = [("multicard-datetime".to_string(), NOTE.to_string())];
    let exempt = BTreeSet::from(["PaymentModelResponse".to_string()]);
    let coverage = apply(&mut doc, &vendor, &english(english_text), &notes, &exempt).expect("merges");
    (doc, coverage)
}

fn description<'a>(doc: &'a Value, pointer: &str) -> &'a str {
    doc.pointer(pointer).and_then(|v| v.get("description")).and_then(Value::as_str).unwrap_or_default()
}

#[test]
fn the_file_reads_as_keys_with_paragraphs_joined() {
    let english = english(ENGLISH);
    assert_eq!(english.get("schemas.PaymentModel"), Some("A payment, as answered.\n\nSecond paragraph."));
    assert_eq!(english.get("schemas.PaymentModel.properties.card.properties.token"), Some("The card's token."));
    assert_eq!(english.get("parameters.get_payment.uuid"), Some("The payment's `uuid`."));
    assert_eq!(english.len(), 10);
    let list = English::parse("operations:\n  x:\n    description: |-\n      One of:\n\n      - a;\n      - b.\n")
        .expect("parses");
    assert_eq!(list.get("operations.x.description"), Some("One of:\n\n- a;\n- b."));
}

#[test]
fn the_file_refuses_what_it_does_not_know() {
    let error = English::parse("schemas:\n  A:\n    propertes:\n      b: text\n").unwrap_err();
    assert!(error.to_string().contains("unknown key `propertes`"), "{error}");
    let error = English::parse("operations:\n  x:\n    title: text\n").unwrap_err();
    assert!(error.to_string().contains("unknown key `title`"), "{error}");
    let error = English::parse("schemas:\n  A: ''\n").unwrap_err();
    assert!(error.to_string().contains("schemas.A"), "{error}");
    let error = English::parse("types:\n  A: text\n").unwrap_err();
    assert!(error.to_string().contains("unknown key `types`"), "{error}");
}

#[test]
fn the_english_comes_first_and_the_vendors_text_follows_marked_and_cleaned() {
    let (doc, coverage) = merged(ENGLISH);
    assert!(coverage.is_complete(), "{coverage}");
    assert_eq!(coverage.items, 10);
    let op = "/paths/~1payment~1{uuid}/get";
    assert_eq!(doc.pointer(&format!("{op}/summary")), Some(&json!("Get a payment")));
    assert_eq!(
        description(&doc, op),
        "Reads a payment.\n\nVendor (ru): «Получение информации о платеже» — «В ответе возвращается `PaymentModel`»"
    );
    assert_eq!(
        description(&doc, &format!("{op}/parameters/0")),
        "The payment's `uuid`. Vendor (ru): «uuid платежа»",
        "a parameter stays one paragraph: progenitor lists it as one item"
    );
    let payment = "/components/schemas/PaymentModel";
    assert_eq!(
        description(&doc, &format!("{payment}/properties/card/properties/token")),
        "The card's token.\n\nVendor (ru): «Токен»"
    );
    assert_eq!(
        description(&doc, &format!("{payment}/properties/payment_time")),
        format!("When it was paid.\n\n{NOTE}\n\nVendor (ru): «Время оплаты»"),
        "a rule's note stays after the English"
    );
    assert_eq!(
        description(&doc, &format!("{payment}/properties/added_on")),
        format!("When it was created.\n\n{NOTE}"),
        "every field of the format has the note"
    );
}

#[test]
fn a_described_reference_is_written_beside_all_of() {
    let (doc, _) = merged(ENGLISH);
    assert_eq!(
        doc.pointer("/components/schemas/PaymentModel/properties/status"),
        Some(&json!({"description": "Its state.\n\nVendor (ru): «Статус транзакции»",
            "allOf": [{"$ref": "#/components/schemas/PaymentStatus"}]}))
    );
    assert_eq!(
        doc.pointer("/components/schemas/PaymentModelResponse/properties/data"),
        Some(&json!({"$ref": "#/components/schemas/PaymentModel"})),
        "an envelope is left as the rule made it"
    );
}

#[test]
fn what_has_no_english_and_what_names_nothing_are_listed() {
    let text = ENGLISH.replace("      status: Its state.\n", "").replace(
        "  PaymentStatus: The state of a payment.\n",
        "  PaymentStatus: The state of a payment.\n  PaymentStatusOld: Gone.\n",
    );
    let (doc, coverage) = merged(&text);
    assert_eq!(coverage.missing, ["schemas.PaymentModel.properties.status"]);
    assert_eq!(coverage.stale, ["schemas.PaymentStatusOld"]);
    assert!(!coverage.is_complete());
    assert_eq!(
        description(&doc, "/components/schemas/PaymentModel/properties/status"),
        "Vendor (ru): «Статус транзакции»",
        "without English, the vendor's text alone, still marked and cleaned"
    );
    let shown = coverage.to_string();
    assert!(shown.contains("  - schemas.PaymentModel.properties.status\n"), "{shown}");
    assert!(shown.contains("no longer has"), "{shown}");
}

#[test]
fn a_description_written_by_a_correction_is_refused() {
    let vendor = vendor();
    let mut doc = vendor.clone();
    doc.pointer_mut("/components/schemas/PaymentModel/properties/card/properties/token")
        .and_then(Value::as_object_mut)
        .expect("there")
        .insert("description".into(), json!("Written by a patch."));
    let error = apply(&mut doc, &vendor, &english(ENGLISH), &[], &BTreeSet::new()).unwrap_err();
    assert!(error.to_string().contains("`schemas.PaymentModel.properties.card.properties.token`"), "{error}");
    assert!(error.to_string().contains("spec/english.yaml"), "{error}");
}
