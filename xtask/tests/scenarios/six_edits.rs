//! The vendor edits issue 13 was filed over, all at once: two used to
//! vanish, one was misapplied and the verdicts were wrong. Now the hidden
//! ones stop the run at their corrections, and once those are re-decided the
//! report names every change with its operation and the right verdict.

use xtask::report::Semver;

use crate::support::{Scratch, replace_once};

#[test]
fn every_edit_is_named_with_its_operation_and_verdict() {
    let scratch = Scratch::new();
    // 1. A new required field in the answer of get_payment, a replaced operation.
    scratch.edit("19729317", |text| {
        replace_once(
            &text,
            "                properties: {}\n",
            "                properties:\n                  data:\n                    type: object\n                    required: [fraud_score]\n                    properties:\n                      fraud_score:\n                        type: integer\n",
        )
    });
    // 2. The payment status `revert` renamed `refunded` on 13 pages.
    scratch.edit_all("- revert\n", |text| text.replace("- revert\n", "- refunded\n"));
    // 3. A new query parameter before `only_status` in list_payments, and
    // 4. the type of its `offset` parameter changed.
    scratch.edit("19729328", |text| {
        let text = replace_once(
            &text,
            "        - name: only_status\n",
            "        - name: only_ps\n          in: query\n          required: false\n          schema:\n            type: string\n        - name: only_status\n",
        );
        replace_once(&text, "          example: 0\n          schema:\n            type: integer\n", "          example: 0\n          schema:\n            type: string\n")
    });
    // 5. A nested field added to the card check's bank, and a payment system
    //    no longer listed.
    scratch.edit("22557089", |text| {
        let text = replace_once(&text, "                          country:\n", "                          country_code:\n                            type: string\n                          country:\n");
        replace_once(&text, "                          - visa\n", "")
    });
    // 6. A new optional field in the request of create_invoice.
    scratch.edit("19729296", |text| {
        replace_once(
            &text,
            "                sms:\n",
            "                note:\n                  type: string\n                sms:\n",
        )
    });

    let error = scratch.fails().to_string();
    let stopped: Vec<&str> =
        error.lines().filter(|l| l.starts_with("  - ")).map(|l| l.split(':').next().unwrap_or(l)).collect();
    assert_eq!(
        stopped,
        [
            "  - operations[get_payment].replace_vendor_data",
            "  - patches[set /components/schemas/PaymentStatus/enum]",
            "  - patches[set /paths/~1payment~1store~1{store_id}~1history/get/parameters/[name=only_status,in=query]/schema]",
        ],
        "{error}"
    );

    // Re-decided: the status list follows the rename; get_payment keeps its
    // hand-written model (the new field will be added to PaymentModel).
    scratch.correct(|text| {
        replace_once(
            &text,
            "value: [draft, progress, billing, success, error, revert, hold]",
            "value: [draft, progress, billing, success, error, refunded, hold]",
        )
    });
    let (repinned, outcome) = xtask::repin(&scratch.paths).expect("repins");
    assert_eq!(repinned.changes.len(), 3, "{repinned}");
    let report = outcome.report;
    assert_eq!(
        report.headlines(),
        [
            "BREAKING  CardCheckPs: value `visa` removed",
            "BREAKING  ClearingModelStatus: value `revert` removed",
            "BREAKING  PaymentStatus: value `revert` removed",
            "BREAKING  list_payments.query.offset: type changed: integer → string",
            "minor     CardCheck.bank.country_code: added (string, optional)",
            "minor     ClearingModelStatus: value `refunded` added",
            "minor     CreateInvoiceRequest.note: added (string, optional)",
            "minor     PaymentStatus: value `refunded` added",
            "minor     list_payments.query.only_ps: parameter added (string, optional)",
        ]
    );
    let places =
        |subject: &str| report.changes.iter().find(|c| c.subject == subject).map(|c| c.places()).unwrap_or_default();
    assert_eq!(places("CardCheckPs"), ["check_card_pan (GET /payment/card/check/{pan}): check_card_pan.data.ps"]);
    assert_eq!(
        places("CreateInvoiceRequest.note"),
        ["create_invoice (POST /payment/invoice): create_invoice.body.note"]
    );
    assert_eq!(
        places("list_payments.query.offset"),
        ["list_payments (GET /payment/store/{store_id}/history): list_payments.query.offset"]
    );
    assert_eq!(report.semver(), Some(Semver::Major));
    let changelog = report.changelog();
    assert!(changelog.contains("Semver: **major**"), "{changelog}");
    assert!(changelog.contains("\n- `CardCheckPs`: value `visa` removed. The variant `CardCheckPs::Visa` is gone: code that names it stops compiling (the value still decodes, as `Unknown`). Operations: `check_card_pan`.\n"), "{changelog}");
}
