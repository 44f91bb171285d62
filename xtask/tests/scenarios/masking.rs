//! No correction can silently mask a vendor change: for each kind of
//! correction that replaces, overwrites or removes vendor content, a change
//! of that content underneath it stops `regen` (and `--check`), naming the
//! correction, the page and what changed; `--repin` then records it.

use crate::support::{Scratch, replace_once};

/// Runs regen, expects it to stop on exactly one correction, and returns
/// that correction's lines (its headline, then what changed).
fn stopped(scratch: &Scratch) -> Vec<String> {
    let error = scratch.fails().to_string();
    let lines: Vec<String> = error.lines().map(str::to_string).collect();
    assert!(lines[0].ends_with("1 correction(s) no longer match the vendor content they were written against; re-decide each (its value, its reason), then run `cargo xtask regen --repin`:"), "{error}");
    let check = xtask::regen(&scratch.paths, true).expect_err("--check stops too");
    assert_eq!(check.to_string(), error);
    let (repinned, _) = xtask::repin(&scratch.paths).expect("--repin records the new content");
    assert_eq!(repinned.changes.len(), 1, "{repinned}");
    let after = scratch.check();
    assert!(!after.differs, "after --repin the spec and the pins are up to date");
    lines[1..].to_vec()
}

#[test]
fn replace_vendor_data_cannot_hide_a_new_answer() {
    let scratch = Scratch::new();
    scratch.edit("19729314", |text| {
        replace_once(&text, "                properties: {}\n", "                properties:\n                  data:\n                    type: object\n                    properties:\n                      uuid:\n                        type: string\n")
    });
    let lines = stopped(&scratch);
    assert!(lines[0].starts_with("  - operations[confirm_payment].replace_vendor_data: the vendor content it overwrites changed (from endpoints/подтверждение-платежа-19729314e0.md): pinned fa329d229a7f, now "), "{lines:#?}");
    assert_eq!(
        lines[1..],
        [
            "      page endpoints/подтверждение-платежа-19729314e0.md:[0]/properties/data added: {\"properties\":{\"uuid\":{\"type\":\"string\"}},\"type\":\"object\"}"
        ]
    );
}

#[test]
fn a_hand_written_schema_cannot_hide_the_vendor_definition_it_sets_aside() {
    let scratch = Scratch::new();
    // get_card_binding's answer is set aside for the hand-written BoundCard.
    scratch.edit("19729304", |text| {
        replace_once(
            &text,
            "                      card_pan:\n                        type: string\n",
            "                      card_pan:\n                        type: integer\n",
        )
    });
    let lines = stopped(&scratch);
    assert!(lines[0].starts_with("  - schemas[BoundCard]: the vendor content it overwrites changed (from endpoints/проверка-состояния-привязки-карты-19729304e0.md): pinned cf3e1bb615c7, now "), "{lines:#?}");
    assert_eq!(
        lines[1..],
        [
            "      page endpoints/проверка-состояния-привязки-карты-19729304e0.md:[0]/properties/card_pan/type: \"string\" -> \"integer\""
        ]
    );
}

#[test]
fn a_hand_written_schema_cannot_hide_a_definition_the_vendor_starts_to_publish() {
    let scratch = Scratch::new();
    scratch.edit("19729321", |text| {
        replace_once(&text, "components:\n  schemas: {}\n", "components:\n  schemas:\n    HoldModel:\n      type: object\n      properties:\n        id:\n          type: string\n")
    });
    let lines = stopped(&scratch);
    assert!(lines[0].starts_with("  - schemas[HoldModel]: the vendor content it overwrites changed (from endpoints/получение-информации-о-холдировании-19729321e0.md): pinned bf21a9e8fbc5, now "), "{lines:#?}");
    assert_eq!(
        lines[1..],
        [
            "      page endpoints/получение-информации-о-холдировании-19729321e0.md: added: [{\"properties\":{\"id\":{\"type\":\"string\"}},\"type\":\"object\"}]"
        ]
    );
}

#[test]
fn a_rename_cannot_hide_the_vendor_respelling_the_name() {
    let scratch = Scratch::new();
    let pages = scratch.edit_all("paymentModel", |text| text.replace("paymentModel", "PaymentModel"));
    assert!(pages > 1);
    let lines = stopped(&scratch);
    assert!(lines[0].starts_with("  - rename_schemas[paymentModel -> PaymentModel]: the vendor content it overwrites changed (from endpoints/быстрая-оплата-paymego-clickpass-и-др-19729299e0.md, endpoints/получение-информации-о-созданном-инвойсе-19729297e0.md, endpoints/создание-инвойса-19729296e0.md, "), "{lines:#?}");
    assert_eq!(
        lines[1..],
        [
            "      /defined values: removed paymentModel; added PaymentModel",
            "      /referred to values: removed paymentModel; added PaymentModel"
        ]
    );
}

#[test]
fn a_format_rule_cannot_hide_a_new_field_it_would_rewrite() {
    let scratch = Scratch::new();
    scratch.edit("22557089", |text| {
        replace_once(&text, "                          country:\n", "                          checked_at:\n                            type: string\n                            format: date-time\n                          country:\n")
    });
    let lines = stopped(&scratch);
    assert!(
        lines[0].starts_with("  - formats[date-time]: the vendor content it overwrites changed (from "),
        "{lines:#?}"
    );
    assert_eq!(
        lines[1..],
        ["      / values: added /components/schemas/CardCheck/properties/bank/properties/checked_at"]
    );
}

#[test]
fn a_dropped_parameter_cannot_hide_a_change_of_its_definition() {
    let scratch = Scratch::new();
    scratch.edit("19729296", |text| {
        replace_once(&text, "        - name: X-Access-Token\n          in: header\n          description: ''\n          required: false\n", "        - name: X-Access-Token\n          in: header\n          description: ''\n          required: true\n")
    });
    let lines = stopped(&scratch);
    assert!(
        lines[0]
            .starts_with("  - drop_parameters[header X-Access-Token]: the vendor content it overwrites changed (from "),
        "{lines:#?}"
    );
    assert_eq!(
        lines[1..],
        [
            "      / added {\"in\":\"header\",\"name\":\"X-Access-Token\",\"required\":true,\"schema\":{\"type\":\"string\"}}"
        ]
    );
}

#[test]
fn a_set_patch_cannot_hide_a_change_of_what_it_overwrites() {
    let scratch = Scratch::new();
    scratch.edit("19729296", |text| {
        replace_once(
            &text,
            "                store_id:\n                  type: string\n",
            "                store_id:\n                  type: integer\n",
        )
    });
    let lines = stopped(&scratch);
    assert_eq!(
        lines[0],
        "  - patches[set /components/schemas/CreateInvoiceRequest/properties/store_id]: the vendor content it overwrites changed (from endpoints/создание-инвойса-19729296e0.md): pinned 5b1cd5713a37, now 4df23f6fcb2f"
    );
    assert_eq!(lines[1..], ["      /type: \"string\" -> \"integer\""]);
}

#[test]
fn a_merge_patch_cannot_hide_a_change_of_the_keys_it_overwrites() {
    let scratch = Scratch::new();
    scratch.edit("19729326", |text| {
        replace_once(
            &text,
            "                      phone:\n                        type: 'null'\n",
            "                      phone:\n                        type: integer\n",
        )
    });
    let lines = stopped(&scratch);
    assert_eq!(
        lines[0],
        "  - patches[merge /components/schemas/Application/properties/phone]: the vendor content it overwrites changed (from endpoints/информация-о-приложении-19729326e0.md): pinned 57e25ec30de8, now 4df23f6fcb2f"
    );
    assert_eq!(lines[1..], ["      /type: \"<absent>\" -> \"integer\""]);
}

#[test]
fn a_remove_patch_cannot_hide_a_change_of_what_it_removes() {
    let scratch = Scratch::new();
    scratch.edit("19729314", |text| {
        replace_once(
            &text,
            "              required:\n                - otp\n                - debit_available\n",
            "              required:\n                - otp\n",
        )
    });
    let lines = stopped(&scratch);
    assert_eq!(
        lines[0],
        "  - patches[remove /components/schemas/ConfirmPaymentRequest/required]: the vendor content it overwrites changed (from endpoints/подтверждение-платежа-19729314e0.md): pinned d2cd5d67e374, now 2138cc28894f"
    );
    assert_eq!(lines[1..], ["      / values: removed debit_available"]);
}

#[test]
fn a_correction_without_a_pin_is_refused() {
    let scratch = Scratch::new();
    scratch.correct(|text| replace_once(&text, ", pin: 5b1cd5713a37}", "}"));
    let error = scratch.fails().to_string();
    assert_eq!(
        error.lines().nth(1),
        Some(
            "  - patches[set /components/schemas/CreateInvoiceRequest/properties/store_id] has no `pin`: run `cargo xtask regen --repin` to record the vendor content it overwrites (now 5b1cd5713a37)"
        )
    );
}

#[test]
fn a_patch_that_addresses_an_array_element_by_index_is_refused() {
    let scratch = Scratch::new();
    scratch.correct(|text| {
        replace_once(
            &text,
            "history/get/parameters/[name=only_status,in=query]/schema'",
            "history/get/parameters/3/schema'",
        )
    });
    let error = scratch.fails().to_string();
    assert!(error.ends_with("(/paths/~1payment~1store~1{store_id}~1history/get/parameters/3/schema): `3` addresses an array element by its index: select it by its fields, e.g. `[name=...,in=...]`"), "{error}");
}
