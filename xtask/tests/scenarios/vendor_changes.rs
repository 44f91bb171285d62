//! One test per kind of change the vendor makes to a model or an operation,
//! each asserting the exact report lines and the semver verdict.

use xtask::report::Semver;

use crate::support::{Scratch, replace_once};

/// The page of `check_card_pan` (`GET /payment/card/check/{pan}`), whose
/// answer has the nested object `bank` and the inline enum `ps`.
const CHECK_CARD: &str = "22557089";
/// The page of `list_payments` (`GET /payment/store/{store_id}/history`).
const LIST_PAYMENTS: &str = "19729328";

/// The headlines, the places of the first change, and the verdict.
fn outcome(scratch: &Scratch) -> (Vec<String>, Vec<String>, Option<Semver>) {
    let outcome = scratch.check();
    assert!(outcome.differs, "--check notices the change");
    let report = outcome.report;
    let places = report.changes.first().map(|c| c.places()).unwrap_or_default();
    (report.headlines(), places, report.semver())
}

#[test]
fn an_enum_value_added_is_minor() {
    let scratch = Scratch::new();
    scratch.edit(CHECK_CARD, |text| {
        replace_once(
            &text,
            "                          - mastercard\n",
            "                          - mastercard\n                          - unionpay\n",
        )
    });
    let (headlines, places, semver) = outcome(&scratch);
    assert_eq!(headlines, ["minor     CardCheckPs: value `unionpay` added"]);
    assert_eq!(places, ["check_card_pan (GET /payment/card/check/{pan}): check_card_pan.data.ps"]);
    assert_eq!(semver, Some(Semver::Minor));
}

#[test]
fn a_removed_response_field_is_breaking() {
    let scratch = Scratch::new();
    scratch.edit(CHECK_CARD, |text| {
        let text = replace_once(
            &text,
            "                          color:\n                            type: string\n                            description: HEX-код цвета фона для логотипа\n                            nullable: true\n",
            "",
        );
        replace_once(&text, "                          - color\n", "")
    });
    let (headlines, places, semver) = outcome(&scratch);
    assert_eq!(headlines, ["BREAKING  CardCheck.bank.color: removed (was string, nullable)"]);
    assert_eq!(places, ["check_card_pan (GET /payment/card/check/{pan}): check_card_pan.data.bank.color"]);
    assert_eq!(semver, Some(Semver::Major));
}

#[test]
fn a_field_type_change_is_breaking() {
    let scratch = Scratch::new();
    scratch.edit(CHECK_CARD, |text| {
        replace_once(
            &text,
            "                          bin:\n                            type: string\n",
            "                          bin:\n                            type: integer\n",
        )
    });
    let (headlines, places, semver) = outcome(&scratch);
    assert_eq!(headlines, ["BREAKING  CardCheck.bank.bin: type changed: string → integer"]);
    assert_eq!(places, ["check_card_pan (GET /payment/card/check/{pan}): check_card_pan.data.bank.bin"]);
    assert_eq!(semver, Some(Semver::Major));
}

#[test]
fn a_nested_field_added_is_minor_and_named_in_full() {
    let scratch = Scratch::new();
    scratch.edit(CHECK_CARD, |text| {
        replace_once(
            &text,
            "                          country:\n",
            "                          country_code:\n                            type: string\n                            description: ISO 3166 code\n                          country:\n",
        )
    });
    let (headlines, places, semver) = outcome(&scratch);
    assert_eq!(headlines, ["minor     CardCheck.bank.country_code: added (string, optional)"]);
    assert_eq!(places, ["check_card_pan (GET /payment/card/check/{pan}): check_card_pan.data.bank.country_code"]);
    assert_eq!(semver, Some(Semver::Minor));
}

#[test]
fn a_new_query_parameter_before_an_existing_one_changes_nothing_else() {
    let scratch = Scratch::new();
    scratch.edit(LIST_PAYMENTS, |text| {
        replace_once(
            &text,
            "        - name: only_status\n",
            "        - name: only_ps\n          in: query\n          description: filter by payment system\n          required: false\n          schema:\n            type: string\n        - name: only_status\n",
        )
    });
    let (headlines, places, semver) = outcome(&scratch);
    // The correction that types `only_status` follows it by name: it neither
    // lands on the new parameter nor leaves `only_status` untyped.
    assert_eq!(headlines, ["minor     list_payments.query.only_ps: parameter added (string, optional)"]);
    assert_eq!(places, ["list_payments (GET /payment/store/{store_id}/history): list_payments.query.only_ps"]);
    assert_eq!(semver, Some(Semver::Minor));
}

#[test]
fn a_parameter_type_change_is_breaking() {
    let scratch = Scratch::new();
    scratch.edit(LIST_PAYMENTS, |text| {
        replace_once(
            &text,
            "          example: 0\n          schema:\n            type: integer\n",
            "          example: 0\n          schema:\n            type: string\n",
        )
    });
    let (headlines, places, semver) = outcome(&scratch);
    assert_eq!(headlines, ["BREAKING  list_payments.query.offset: type changed: integer → string"]);
    assert_eq!(places, ["list_payments (GET /payment/store/{store_id}/history): list_payments.query.offset"]);
    assert_eq!(semver, Some(Semver::Major));
}

#[test]
fn a_new_optional_request_field_is_minor_and_a_new_required_one_breaking() {
    let scratch = Scratch::new();
    // create_invoice's body: one optional field, one required.
    scratch.edit("19729296", |text| {
        let text = replace_once(&text, "                sms:\n", "                note:\n                  type: string\n                locale:\n                  type: string\n                sms:\n");
        replace_once(&text, "              required:\n                - store_id\n", "              required:\n                - locale\n                - store_id\n")
    });
    let (headlines, _, semver) = outcome(&scratch);
    assert_eq!(
        headlines,
        [
            "BREAKING  CreateInvoiceRequest.locale: added (string, required)",
            "minor     CreateInvoiceRequest.note: added (string, optional)",
        ]
    );
    assert_eq!(semver, Some(Semver::Major));
}

#[test]
fn an_enum_value_renamed_stops_at_the_patch_pinned_to_it_then_reports_the_lost_variant() {
    let scratch = Scratch::new();
    let pages = scratch.edit_all("- revert\n", |text| {
        text.replace("- revert\n", "- refunded\n").replace("value: revert\n", "value: refunded\n")
    });
    assert_eq!(pages, 13, "the status appears on 13 pages");
    let error = scratch.fails().to_string();
    let lines: Vec<&str> = error.lines().collect();
    assert_eq!(lines.len(), 5, "{error}");
    assert!(lines[0].ends_with("2 correction(s) no longer match the vendor content they were written against; re-decide each (its value, its reason), then run `cargo xtask regen --repin`:"), "{error}");
    assert!(lines[1].starts_with("  - patches[set /components/schemas/PaymentStatus/enum]: the vendor content it overwrites changed (from items/paymentmodel-9357883d0.md, items/paymentstatusenum-9416791d0.md, "), "{error}");
    assert_eq!(lines[2], "      / values: removed revert; added refunded");
    assert!(lines[3].starts_with("  - patches[set /paths/~1payment~1store~1{store_id}~1history/get/parameters/[name=only_status,in=query]/schema]: the vendor content it overwrites changed (from endpoints/реестр-проведенных-платежей-19729328e0.md)"), "{error}");
    assert_eq!(lines[4], "      /enum values: removed revert; added refunded");

    // A person re-decides: the status list follows the vendor's rename.
    scratch.correct(|text| {
        replace_once(
            &text,
            "value: [draft, progress, billing, success, error, revert, hold]",
            "value: [draft, progress, billing, success, error, refunded, hold]",
        )
    });
    let (repinned, outcome) = xtask::repin(&scratch.paths).expect("repins");
    assert_eq!(repinned.changes.len(), 2, "{repinned}");
    assert_eq!(
        outcome.report.headlines(),
        [
            "BREAKING  ClearingModelStatus: value `revert` removed",
            "BREAKING  PaymentStatus: value `revert` removed",
            "minor     ClearingModelStatus: value `refunded` added",
            "minor     PaymentStatus: value `refunded` added",
        ]
    );
    let status = &outcome.report.changes[1];
    assert!(status.why.starts_with("the variant `PaymentStatus::Revert` is gone"), "{}", status.why);
    let places = status.places();
    assert_eq!(places.len(), 19, "18 operations and the status webhook: {places:#?}");
    assert_eq!(places[0], "callback: PaymentStatusWebhook.status");
    assert!(places.contains(&"get_payment (GET /payment/{uuid}): get_payment.data.status".to_string()), "{places:#?}");
    assert!(places.contains(&"list_payments (GET /payment/store/{store_id}/history): list_payments.data.list[].status, list_payments.data.stat[].status, list_payments.query.only_status".to_string()), "{places:#?}");
    assert_eq!(outcome.report.semver(), Some(Semver::Major));
    assert!(!scratch.check().differs, "after --repin the spec and pins are up to date");
}

#[test]
fn a_new_required_response_field_on_a_replaced_operation_stops_at_its_pin() {
    let scratch = Scratch::new();
    // get_payment's data is hand-written (`replace_vendor_data`): the page's
    // answer is not read, so its change must stop the run.
    scratch.edit("19729317", |text| {
        replace_once(
            &text,
            "              schema:\n                type: object\n                properties: {}\n",
            "              schema:\n                type: object\n                required: [success, data]\n                properties:\n                  success:\n                    type: boolean\n                  data:\n                    type: object\n                    required: [fraud_score]\n                    properties:\n                      fraud_score:\n                        type: integer\n",
        )
    });
    let error = scratch.fails().to_string();
    assert_eq!(
        error.lines().skip(1).collect::<Vec<_>>(),
        [
            "  - operations[get_payment].replace_vendor_data: the vendor content it overwrites changed (from endpoints/получение-информации-о-платеже-19729317e0.md): pinned 6210b40f61b9, now 7a814ad4e228",
            "      page endpoints/получение-информации-о-платеже-19729317e0.md:[0]/properties/data added: {\"properties\":{\"fraud_score\":{\"type\":\"integer\"}},\"required\":[\"fraud_score\"],\"type\":\"object\"}",
            "      page endpoints/получение-информации-о-платеже-19729317e0.md:[0]/properties/success added: {\"type\":\"boolean\"}",
            "      page endpoints/получение-информации-о-платеже-19729317e0.md:[0]/required added: [\"data\",\"success\"]",
        ],
        "{error}"
    );
}
