//! The checks a request passes before it is sent (`multicard_api::checks`),
//! each rule tested with the vendor's own example values where its pages
//! have them (the contradictory ones warn and are sent), and the refusals
//! proved to send nothing: the sandbox counts the requests it received.

use multicard_api::checks::{Action, Finding, RULES, RequestChecks, Standing, check};
use multicard_api::money::Tiyin;
use multicard_api::receipt::{Item, Receipt, Returned, remaining};
use multicard_api::{CallOptions, Error, types};
use multicard_api_tests::money::{body, start};
use multicard_sandbox::SandboxConfig;
use serde_json::{Value, json};

fn ids(findings: &[Finding]) -> Vec<(&'static str, &str, Action)> {
    findings.iter().map(|f| (f.rule.id, f.field.as_str(), f.action)).collect()
}

/// The invoice page's example, as the vendor printed it.
fn vendor_invoice() -> Value {
    json!({
        "store_id": 6, "amount": 500000, "invoice_id": "123", "lang": "ru",
        "return_url": "https://..", "callback_url": "https://..",
        "ofd": [
            {"qty": 1, "price": 2500000, "mxik": "06401004002000000", "total": 25000000, "package_code": "1506113",
             "name": "кроссовки men's low shoes"},
            {"qty": 1, "price": 2500000, "mxik": "06401002004000000", "total": 2500000, "package_code": "1519041",
             "name": "кроссовки t.ace 2332 white black"}
        ]
    })
}

/// The split payment page's example (the one consistent example).
fn vendor_split() -> Value {
    json!({
        "amount": 100000, "store_id": 6, "invoice_id": "test", "billing_id": 1122334455, "callback_url": "https://",
        "card": {"token": "a-token"},
        "ofd": [
            {"qty": 1, "vat": 12, "price": 90000, "mxik": "06401004002000000", "total": 90000, "package_code": "1506113",
             "name": "кроссовки men's low shoes", "tin": "307578794"},
            {"qty": 1, "vat": 0, "price": 10000, "mxik": "10107002001000000", "total": 10000, "package_code": "1209885",
             "name": "доставка заказа с маркетплейса", "tin": "31105892390010"}
        ],
        "split": [
            {"type": "account", "recipient": "5378f655-ae41-11ee-97a8-005056b4367d", "amount": 88000, "details": "goods"},
            {"type": "account", "recipient": "7bd7ad8e-b2d5-11ee-97a8-005056b4367d", "amount": 10000, "details": "delivery"}
        ]
    })
}

fn payout(amount: i64, kyc: bool) -> Value {
    let mut payout = json!({"amount": amount, "card": {"pan": "8600000000000000"}, "store_id": 6, "invoice_id": "p-1"});
    if kyc {
        payout["kyc_data"] = json!({"last_name": "BOLTAYEV", "first_name": "ALISHER", "middle_name": "MUMINOVICH",
            "passport": "AD21234567", "pinfl": "31105892514010", "dob": "1989-05-11", "passport_expiry_date": "2025-11-17"});
    }
    payout
}

#[test]
fn the_vendors_contradictory_invoice_example_warns_and_is_not_refused() {
    let findings = check("create_invoice", &vendor_invoice(), &RequestChecks::new());
    assert_eq!(
        ids(&findings),
        vec![
            ("ofd.item.total_is_price_times_qty", "ofd[0].total", Action::Warn),
            ("ofd.totals_match_amount", "ofd", Action::Warn),
        ],
        "{findings:#?}"
    );
    assert!(findings[0].message.contains("2500000 × 1 = 2500000"), "{}", findings[0].message);
    assert!(findings[1].message.contains("27500000 tiyin"), "{}", findings[1].message);
    // Strict refuses the same two.
    let strict = check("create_invoice", &vendor_invoice(), &RequestChecks::new().strict());
    assert!(strict.iter().all(|f| f.action == Action::Refuse) && strict.len() == 2, "{strict:#?}");
}

#[test]
fn the_vendors_split_example_passes_with_the_pages_two_percent_commission() {
    let without = check("create_payment", &vendor_split(), &RequestChecks::new());
    assert_eq!(ids(&without), vec![("split.within_amount", "split", Action::Warn)], "{without:#?}");
    let with =
        check("create_payment", &vendor_split(), &RequestChecks::new().split_commission(Tiyin::new(2000).unwrap()));
    assert!(with.is_empty(), "{with:#?}");
    let with =
        check("create_payment", &vendor_split(), &RequestChecks::new().split_commission(Tiyin::new(2001).unwrap()));
    assert_eq!(ids(&with), vec![("split.within_amount", "split", Action::Refuse)], "{with:#?}");
    let mut over = vendor_split();
    over["split"][0]["amount"] = json!(90001);
    let over = check("create_payment", &over, &RequestChecks::new());
    assert_eq!(ids(&over), vec![("split.within_amount", "split", Action::Refuse)], "{over:#?}");
    let mut zero = vendor_split();
    zero["split"][1]["amount"] = json!(0);
    assert_eq!(
        ids(&check("create_payment", &zero, &RequestChecks::new()))[0],
        ("split.item.positive", "split[1].amount", Action::Refuse)
    );
}

#[test]
fn a_payout_needs_kyc_strictly_above_ten_million_sum() {
    let policy = RequestChecks::new();
    assert!(check("create_payout", &payout(1_000_000_000, false), &policy).is_empty());
    let above = check("create_payout", &payout(1_000_000_001, false), &policy);
    assert_eq!(ids(&above), vec![("payout.kyc_above_10m_sum", "kyc_data", Action::Refuse)]);
    assert!(check("create_payout", &payout(1_000_000_001, true), &policy).is_empty());
}

#[test]
fn amounts_must_be_positive_whole_and_within_i64() {
    let policy = RequestChecks::new();
    for (amount, says) in [
        (json!(0), "not above zero"),
        (json!(-5), "not above zero"),
        (json!(12.5), "not a whole number"),
        (json!(9_223_372_036_854_775_808u64), "beyond a signed 64-bit"),
        (json!("100"), "not a number"),
    ] {
        let mut invoice = vendor_invoice();
        invoice["amount"] = amount.clone();
        let findings = check("create_invoice", &invoice, &policy);
        let first = &findings[0];
        assert_eq!((first.rule.id, first.field.as_str(), first.action), ("amount.positive", "amount", Action::Refuse));
        assert!(first.message.contains(says), "{amount}: {}", first.message);
    }
    let refund = json!({"refund_amount": 0, "ofd": []});
    let findings = check("partial_refund_payment", &refund, &policy);
    assert_eq!(ids(&findings)[0], ("amount.positive", "refund_amount", Action::Refuse));
    assert_eq!(ids(&findings)[1], ("ofd.not_empty", "ofd", Action::Warn));
}

#[test]
fn receipt_items_are_checked_field_by_field() {
    let policy = RequestChecks::new();
    let mut invoice = vendor_invoice();
    invoice["amount"] = json!(27_500_000);
    invoice["ofd"][0]["total"] = json!(2_500_000);
    invoice["amount"] = json!(5_000_000);
    assert!(check("create_invoice", &invoice, &policy).is_empty(), "the corrected example passes");

    let cases: [(&str, Value, &str, &str, Action); 8] = [
        ("mxik", Value::Null, "ofd.item.fields", "ofd[1].mxik", Action::Refuse),
        ("mxik", json!("064010"), "ofd.item.mxik_shape", "ofd[1].mxik", Action::Warn),
        ("package_code", json!("15-06"), "ofd.item.package_code_shape", "ofd[1].package_code", Action::Warn),
        ("name", json!("  "), "ofd.item.fields", "ofd[1].name", Action::Refuse),
        ("qty", json!(0), "ofd.item.positive", "ofd[1].qty", Action::Refuse),
        ("price", json!(-1), "ofd.item.positive", "ofd[1].price", Action::Refuse),
        ("vat", json!(112), "ofd.item.vat_percent", "ofd[1].vat", Action::Refuse),
        ("mark", json!(["a", "b"]), "ofd.item.marks_per_unit", "ofd[1].mark", Action::Warn),
    ];
    for (field, value, rule, at, action) in cases {
        let mut broken = invoice.clone();
        if value.is_null() {
            broken["ofd"][1].as_object_mut().unwrap().remove(field);
        } else {
            broken["ofd"][1][field] = value;
        }
        let findings = check("create_invoice", &broken, &policy);
        assert!(
            findings.iter().any(|f| (f.rule.id, f.field.as_str(), f.action) == (rule, at, action)),
            "{field}: {findings:#?}"
        );
    }
    let mut missing = invoice.clone();
    missing.as_object_mut().unwrap().remove("ofd");
    assert_eq!(ids(&check("create_invoice", &missing, &policy)), vec![("ofd.required", "ofd", Action::Refuse)]);
    // A payment may go without a receipt (the invoice carries it).
    let app = json!({"amount": 100, "store_id": 6, "invoice_id": "x", "payment_system": "payme"});
    assert!(check("create_payment", &app, &policy).is_empty());
    // Reads are not checked at all.
    assert!(check("get_payment", &json!({"amount": -1}), &policy).is_empty());
}

#[test]
fn every_rule_names_its_page_and_its_default_follows_its_standing() {
    for rule in RULES {
        assert!(
            std::path::Path::new("..").join(rule.page).is_file(),
            "{}: {} is not a vendor page",
            rule.id,
            rule.page
        );
        assert!(!rule.operations.is_empty() && !rule.vendor_says.is_empty() && !rule.vendor_details.is_empty());
        let expected = if rule.standing == Standing::Stated { Action::Refuse } else { Action::Warn };
        assert_eq!(rule.default_action(), expected, "{}", rule.id);
    }
    let downgraded = RequestChecks::new().with_rule("payout.kyc_above_10m_sum", Action::Warn).unwrap();
    assert_eq!(ids(&check("create_payout", &payout(2_000_000_000, false), &downgraded))[0].2, Action::Warn);
    let unknown = RequestChecks::new().with_rule("payout.kyc", Action::Warn).unwrap_err().to_string();
    assert!(unknown.contains("payout.kyc_above_10m_sum"), "{unknown}");
}

#[test]
fn a_receipt_from_the_builder_passes_every_rule_and_carries_its_amount() {
    let receipt = Receipt::builder()
        .item(
            Item::new("кроссовки men's low shoes", "06401004002000000", "1506113", "25000sum".parse().unwrap(), 2)
                .vat(12),
        )
        .item(
            Item::new("Delivery", "10107002001000000", "1209885", Tiyin::new(1_000_000).unwrap(), 1)
                .discount(Tiyin::new(100_000).unwrap()),
        )
        .item(
            Item::new("Shoes, marked", "06401002004000000", "1519041", Tiyin::new(300).unwrap(), 2)
                .marked(["m1", "m2"]),
        )
        .build()
        .unwrap();
    assert_eq!(receipt.amount().tiyin(), 5_000_000 + 900_000 + 600);
    assert_eq!(receipt.items()[1].price, 900_000, "the discount lowers the unit price");
    let invoice = json!({"store_id": 6, "amount": receipt.amount(), "invoice_id": "o-1", "callback_url": "https://x",
        "ofd": receipt.ofd()});
    assert!(check("create_invoice", &invoice, &RequestChecks::new().strict()).is_empty());

    let err = |builder: multicard_api::receipt::ReceiptBuilder| builder.build().unwrap_err().to_string();
    let tea = || Item::new("Tea", "06401004002000000", "1506113", Tiyin::new(100).unwrap(), 3);
    assert!(err(Receipt::builder()).contains("at least one item"));
    assert!(
        err(Receipt::builder().item(Item::new("Tea", "0640", "1506113", Tiyin::new(1).unwrap(), 1)))
            .contains("item 0: `mxik`")
    );
    assert!(err(Receipt::builder().item(tea()).item(tea().marked(["a"]))).contains("item 1: `mark`"));
    assert!(err(Receipt::builder().item(tea().discount(Tiyin::new(100).unwrap()))).contains("split the line"));
    assert!(err(Receipt::builder().item(tea()).expect_amount(Tiyin::new(301).unwrap())).contains("not the expected"));
    assert!(err(Receipt::builder().item(tea().vat(101))).contains("`vat`"));
}

#[test]
fn what_remains_after_a_partial_refund_is_a_receipt_and_the_refund_its_difference() {
    let paid = Receipt::builder()
        .item(Item::new("Tea", "06401004002000000", "1506113", Tiyin::new(250_000).unwrap(), 4))
        .item(Item::new("Shoes", "06401002004000000", "1519041", Tiyin::new(1_000).unwrap(), 2).marked(["s1", "s2"]))
        .build()
        .unwrap();
    let refund = remaining(
        paid.items(),
        &[Returned::Units { line: 0, qty: 1 }, Returned::Marked { line: 1, codes: vec!["s2".into()] }],
    )
    .unwrap();
    assert_eq!(refund.refund_amount.tiyin(), 251_000);
    assert_eq!(refund.receipt.amount().tiyin(), paid.amount().tiyin() - 251_000);
    assert_eq!(refund.receipt.items()[1].mark, vec!["s1".to_string()]);
    let all = remaining(
        paid.items(),
        &[Returned::Units { line: 0, qty: 4 }, Returned::Marked { line: 1, codes: vec!["s1".into(), "s2".into()] }],
    );
    assert!(all.unwrap_err().to_string().contains("full refund"));
    assert!(remaining(paid.items(), &[Returned::Units { line: 1, qty: 1 }]).unwrap_err().to_string().contains("codes"));
    assert!(remaining(paid.items(), &[Returned::Units { line: 0, qty: 5 }]).is_err());
    assert!(remaining(paid.items(), &[Returned::Units { line: 7, qty: 1 }]).is_err());
}

#[tokio::test]
async fn a_refused_request_is_never_sent_and_a_warned_one_is() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let above: types::CreatePayoutRequest = body(payout(1_000_000_001, false));
    let error = multicard.send(|api| api.create_payout().body(above.clone())).await.unwrap_err();
    let Error::RequestRefused { operation, findings } = &error else { panic!("{error:?}") };
    assert_eq!(
        (*operation, findings[0].rule.id, findings[0].field.as_str()),
        ("create_payout", "payout.kyc_above_10m_sum", "kyc_data")
    );
    assert!(error.to_string().contains("not sent"), "{error}");
    assert_eq!(sandbox.requests("create_payout"), 0, "nothing reached the sandbox");

    let mut zero = vendor_invoice();
    zero["amount"] = json!(0);
    let zero: types::CreateInvoiceRequest = body(zero);
    let error = multicard.send(|api| api.create_invoice().body(zero.clone())).await.unwrap_err();
    assert!(matches!(error, Error::RequestRefused { .. }), "{error:?}");
    assert_eq!(sandbox.requests("create_invoice"), 0);

    // The vendor's own contradictory example only warns: it is sent.
    let example: types::CreateInvoiceRequest = body(vendor_invoice());
    let sent = multicard.send(|api| api.create_invoice().body(example.clone())).await;
    assert_eq!(sandbox.requests("create_invoice"), 1, "{sent:?}");
    // Strict for one call refuses it before sending.
    let strict = CallOptions::new().checks(RequestChecks::new().strict());
    let error = multicard.send_with(strict, |api| api.create_invoice().body(example.clone())).await.unwrap_err();
    assert!(matches!(&error, Error::RequestRefused { findings, .. } if findings.len() == 2), "{error:?}");
    assert_eq!(sandbox.requests("create_invoice"), 1);
}

#[test]
fn a_hold_with_splits_above_its_amount_is_refused_as_a_payment_is() {
    let hold = json!({"card": {"token": "a-token"}, "amount": 100000, "store_id": 6, "invoice_id": "h-1", "expiry": 60,
        "split": [{"type": "account", "amount": 100001, "details": "goods"}]});
    let findings = check("create_hold", &hold, &RequestChecks::new());
    assert_eq!(ids(&findings), vec![("split.within_amount", "split", Action::Refuse)], "{findings:#?}");
    let mut zero = hold.clone();
    zero["split"][0]["amount"] = json!(0);
    assert_eq!(ids(&check("create_hold", &zero, &RequestChecks::new()))[0].0, "split.item.positive");
    // The vendor's hold example has no split: nothing to say.
    let mut plain = hold;
    plain.as_object_mut().unwrap().remove("split");
    assert!(check("create_hold", &plain, &RequestChecks::new()).is_empty());
}

#[test]
fn sums_past_i64_are_above_the_amount_not_unchecked() {
    let mut payment = vendor_split();
    payment["split"] = json!([
        {"type": "account", "amount": i64::MAX, "details": "goods"},
        {"type": "account", "amount": 1, "details": "delivery"}
    ]);
    let findings = check("create_payment", &payment, &RequestChecks::new());
    assert_eq!(ids(&findings), vec![("split.within_amount", "split", Action::Refuse)], "{findings:#?}");
    // The items' totals past i64 do not add up to the amount either.
    let mut invoice = vendor_invoice();
    invoice["ofd"][0]["price"] = json!(i64::MAX);
    invoice["ofd"][0]["total"] = json!(i64::MAX);
    let findings = check("create_invoice", &invoice, &RequestChecks::new().strict());
    assert!(findings.iter().any(|f| f.rule.id == "ofd.totals_match_amount"), "{findings:#?}");
}

#[test]
fn a_charge_with_a_null_amount_takes_the_whole_hold_as_one_without_it() {
    let policy = RequestChecks::new();
    assert!(check("charge_hold", &json!({}), &policy).is_empty());
    assert!(check("charge_hold", &json!({"amount": null}), &policy).is_empty());
    assert_eq!(ids(&check("charge_hold", &json!({"amount": 0}), &policy))[0].0, "amount.positive");
}

#[test]
fn the_builder_refuses_a_marking_code_given_to_two_units() {
    let shoes = |codes: [&str; 2]| {
        Item::new("Shoes", "06401002004000000", "1519041", Tiyin::new(300).unwrap(), 2).marked(codes)
    };
    let twice = Receipt::builder().item(shoes(["m1", "m1"])).build().unwrap_err();
    assert_eq!((twice.line, twice.field), (Some(0), "mark"), "{twice}");
    let across = Receipt::builder().item(shoes(["m1", "m2"])).item(shoes(["m3", "m2"])).build().unwrap_err();
    assert_eq!((across.line, across.field), (Some(1), "mark"), "{across}");
    assert!(Receipt::builder().item(shoes(["m1", "m2"])).item(shoes(["m3", "m4"])).build().is_ok());
}

#[test]
fn remaining_refuses_a_vat_it_cannot_carry_over_rather_than_dropping_it() {
    let paid = Receipt::builder()
        .item(Item::new("Tea", "06401004002000000", "1506113", Tiyin::new(250_000).unwrap(), 4).vat(12))
        .build()
        .unwrap();
    let kept = remaining(paid.items(), &[Returned::Units { line: 0, qty: 1 }]).unwrap();
    assert_eq!(kept.receipt.items()[0].vat, Some(12));
    for vat in [-1, 300] {
        let mut items = paid.items().to_vec();
        items[0].vat = Some(vat);
        let error = remaining(&items, &[Returned::Units { line: 0, qty: 1 }]).unwrap_err();
        assert_eq!((error.line, error.field), (Some(0), "vat"), "{vat}: {error}");
    }
}

#[test]
fn a_second_partial_refund_starts_from_the_receipt_the_first_one_carried_and_free_lines_carry_over() {
    let paid: Vec<types::OfdItemsItem> = body(json!([
        {"qty": 3, "price": 100_000, "mxik": "06401004002000000", "total": 300_000, "package_code": "1506113", "name": "Tea"},
        {"qty": 1, "price": 0, "mxik": "10107002001000000", "total": 0, "package_code": "1209885", "name": "Gift bag"}
    ]));
    let first = remaining(&paid, &[Returned::Units { line: 0, qty: 1 }]).unwrap();
    assert_eq!(first.refund_amount.tiyin(), 100_000);
    assert_eq!(first.receipt.items()[1].price, 0, "the free line is carried over");
    let second = remaining(first.receipt.items(), &[Returned::Units { line: 0, qty: 1 }]).unwrap();
    assert_eq!((second.refund_amount.tiyin(), second.receipt.items()[0].qty), (100_000, 1));
    // A new line at 0 is a forgotten price.
    let zero = Receipt::builder().item(Item::new("Tea", "06401004002000000", "1506113", Tiyin::ZERO, 1)).build();
    assert!(zero.unwrap_err().to_string().contains("`price`"));
}
