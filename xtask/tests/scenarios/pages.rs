//! Pages that come and go, and a model that one page changes alone.

use std::fs;

use xtask::report::Semver;

use crate::support::{Scratch, replace_once};

#[test]
fn a_new_page_is_refused_until_it_is_mapped_then_reported_as_a_new_operation() {
    let scratch = Scratch::new();
    let source = fs::read_to_string(scratch.page("22557089")).expect("the card check page");
    let page = scratch.paths.vendor.join("endpoints").join("проверка-карты-v2-99999999e0.md");
    fs::write(&page, replace_once(&source, "  /payment/card/check/{pan}:", "  /payment/card/check-v2/{pan}:"))
        .expect("write");

    let error = scratch.fails().to_string();
    assert_eq!(
        error.lines().collect::<Vec<_>>(),
        [
            format!(
                "{}: the vendor pages do not match the pages the corrections map:",
                scratch.paths.corrections.display()
            )
            .as_str(),
            "  - new page endpoints/проверка-карты-v2-99999999e0.md (GET /payment/card/check-v2/{pan}: Проверка карты по ее номеру) is not mapped: add `\"99999999\": {operation: <operation_id>}` under `pages` and the operation under `operations`, or `\"99999999\": {skip: <why>}`",
        ],
    );

    scratch.correct(|text| {
        let text = replace_once(
            &text,
            "  \"22557089\": {operation: check_card_pan}\n",
            "  \"22557089\": {operation: check_card_pan}\n  \"99999999\": {operation: check_card_pan_v2}\n",
        );
        replace_once(
            &text,
            "  - {id: get_application,",
            "  - {id: check_card_pan_v2, tag: cards, data: CardCheck}\n  - {id: get_application,",
        )
    });
    let outcome = scratch.check();
    assert_eq!(
        outcome.report.headlines(),
        ["minor     check_card_pan_v2: operation added (GET /payment/card/check-v2/{pan})"]
    );
    assert_eq!(outcome.report.changes[0].why, "a new builder method `check_card_pan_v2()`");
    assert_eq!(outcome.report.semver(), Some(Semver::Minor));
}

#[test]
fn a_deleted_page_is_refused_until_it_is_unmapped_then_reported_as_breaking() {
    let scratch = Scratch::new();
    fs::remove_file(scratch.page("19729307")).expect("delete the revoke page");
    let error = scratch.fails().to_string();
    assert_eq!(
        error.lines().skip(1).collect::<Vec<_>>(),
        [
            "  - page 19729307 is mapped in spec/corrections.yaml but no vendor page has that id (operation `revoke_card`): remove `\"19729307\"` from `pages`, and, if no other page documents `revoke_card`, the operation from `operations` and every correction that names it"
        ],
    );

    scratch.correct(|text| {
        let text = replace_once(&text, "  \"19729307\": {operation: revoke_card}\n", "");
        let text =
            replace_once(&text, "  - {id: revoke_card, tag: cards, data: RevokedCard, settled_by: get_card}\n", "");
        replace_once(&text, "get_card.card_token, revoke_card.card_token,", "get_card.card_token,")
    });
    let outcome = scratch.check();
    assert_eq!(
        outcome.report.headlines(),
        [
            "BREAKING  RevokedCard: type removed (was array of string)",
            "BREAKING  RevokedCardResponse: type removed (was object {success, data, error})",
            "BREAKING  revoke_card: operation removed (was DELETE /payment/card/{card_token})",
        ]
    );
    assert_eq!(
        outcome.report.changes[2].why,
        "the builder method `revoke_card()` is gone: code that calls it stops compiling"
    );
    assert_eq!(outcome.report.semver(), Some(Semver::Major));
}

#[test]
fn a_model_changed_on_one_page_only_names_both_pages_and_the_place() {
    let scratch = Scratch::new();
    // The invoice page's copy of `merchantModel` gives `id` another type.
    let page = scratch.edit("19729297", |text| {
        let at = text.find("    merchantModel:").expect("the page's copy of merchantModel");
        let (head, tail) = text.split_at(at);
        format!(
            "{head}{}",
            replace_once(tail, "        id:\n          type: integer\n", "        id:\n          type: string\n")
        )
    });
    let error = scratch.fails().to_string();
    assert_eq!(
        error,
        format!(
            "{}: schema `MerchantModel` differs from its definition in items/clearingmodel-9655929d0.md (first difference at `/properties/id/type`); no rule resolves this: define `MerchantModel` in spec/corrections.yaml",
            page.strip_prefix(&scratch.paths.vendor).expect("a vendor page").display()
        )
    );
}
