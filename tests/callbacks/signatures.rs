//! Signatures: known vectors, the vendor's examples, secrets, malformed
//! bodies, replies, and properties.

use multicard_api::callbacks::{CallbackError, CallbackReply, Verifier, success_signature, testing, webhook_signature};
use multicard_api::types::{PaymentStatus, StoreId};
use multicard_api_tests::{operations, spec};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{SECRET, UUID, body, success};

#[test]
fn known_vectors_computed_independently() {
    // python3 -c "import hashlib; print(hashlib.md5(b'6order-42150000Pw18axeBFo8V7NamKHXX').hexdigest())"
    assert_eq!(success_signature("6", "order-42", 150000, SECRET), "f6e4514c2bc9234b2b534903aed731e4");
    // python3 -c "import hashlib; print(hashlib.md5(b'105'+'заказ-№7'.encode()+b'99900'+b'Pw18axeBFo8V7NamKHXX').hexdigest())"
    assert_eq!(success_signature("105", "заказ-№7", 99900, SECRET), "2e8c04c6710f3a84852816e8c9f45306");
    // python3 -c "import hashlib; print(hashlib.sha1(b'e60d8ebc-b9fe-11ef-b159-005056b4367dtest200000Pw18axeBFo8V7NamKHXX').hexdigest())"
    assert_eq!(webhook_signature(UUID, "test", 200000, SECRET), "6a16ee89cf5f27a094846cd974963ff5de832e03");

    let verifier = Verifier::new(SECRET).unwrap();
    let callback = verifier
        .verify_success(&success(json!(6), "order-42", json!(150000), "f6e4514c2bc9234b2b534903aed731e4"))
        .unwrap();
    assert_eq!(
        (callback.store_id, callback.amount, callback.invoice_id.as_str()),
        (StoreId::Integer(6), 150000, "order-42")
    );
    let webhook = verifier
        .verify_webhook(&body(&json!({"uuid": UUID, "invoice_id": "test", "amount": 200000, "status": "progress",
            "sign": "6a16ee89cf5f27a094846cd974963ff5de832e03"})))
        .unwrap();
    assert_eq!(webhook.status, PaymentStatus::Progress);
}

#[test]
fn the_vendors_example_signatures_do_not_verify_with_the_sandbox_secret() {
    // The documented `sign` values were made with an unknown secret: they
    // must fail, and the payloads must still fit the types once re-signed.
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let verifier = Verifier::new(SECRET).unwrap();
    let example = schemas["PaymentSuccessCallback"]["example"].clone();
    assert_eq!(verifier.verify_success(&body(&example)).unwrap_err(), CallbackError::SignatureMismatch);
    let mut resigned = example.clone();
    testing::sign_success(&mut resigned, SECRET);
    let callback = verifier.verify_success(&body(&resigned)).expect("the vendor's payload fits the type");
    assert_eq!(callback.amount, 20000);
    assert_eq!(callback.payment_time.unwrap().to_string(), "2024-12-14 14:36:31");

    let example = schemas["PaymentStatusWebhook"]["example"].clone();
    assert_eq!(verifier.verify_webhook(&body(&example)).unwrap_err(), CallbackError::SignatureMismatch);
    let mut resigned = example.clone();
    testing::sign_webhook(&mut resigned, SECRET);
    assert_eq!(verifier.verify_webhook(&body(&resigned)).unwrap().status, PaymentStatus::Progress);

    let example = schemas["CardBindingCallback"]["example"].clone();
    let card = verifier.parse_card_binding(&body(&example)).expect("the card-binding example decodes");
    assert_eq!(card.payer_id, "688470c8060af");
    assert!(operations(&spec).iter().all(|o| !o.path.is_empty()), "callbacks are schemas, not operations");
}

#[test]
fn uppercase_hex_several_secrets_and_float_amounts_are_accepted() {
    let sign = success_signature("6", "order-42", 150000, SECRET);
    let verifier = Verifier::new(SECRET).unwrap();
    verifier
        .verify_success(&success(json!(6), "order-42", json!(150000), &sign.to_uppercase()))
        .expect("uppercase hex");
    for amount in [json!(150000.0), json!("150000"), json!("150000.0"), json!("150000.00")] {
        let callback = verifier
            .verify_success(&success(json!(6), "order-42", amount.clone(), &sign))
            .unwrap_or_else(|e| panic!("{amount}: {e}"));
        assert_eq!(callback.amount, 150000, "{amount}");
    }
    verifier.verify_success(&success(json!("6"), "order-42", json!(150000), &sign)).expect("store_id as a string");

    let rotating = Verifier::with_secrets(["old-secret", SECRET]).unwrap();
    rotating.verify_success(&success(json!(6), "order-42", json!(150000), &sign)).expect("the new secret");
    let old = success_signature("6", "order-42", 150000, "old-secret");
    rotating.verify_success(&success(json!(6), "order-42", json!(150000), &old)).expect("the old secret");
    let other = success_signature("6", "order-42", 150000, "third");
    assert_eq!(
        rotating.verify_success(&success(json!(6), "order-42", json!(150000), &other)).unwrap_err(),
        CallbackError::SignatureMismatch
    );
    assert_eq!(Verifier::with_secrets(Vec::<String>::new()).unwrap_err(), CallbackError::NoSecret);
}

#[test]
fn empty_and_blank_secrets_are_refused_where_they_enter() {
    // With an empty secret, anyone can sign: md5 of the signed fields alone.
    for blank in ["", " ", "\t\n", "\u{a0}\u{3000}"] {
        assert_eq!(Verifier::new(blank).unwrap_err(), CallbackError::BlankSecret { position: 0 }, "{blank:?}");
    }
    assert_eq!(Verifier::with_secrets([""]).unwrap_err(), CallbackError::BlankSecret { position: 0 });
    assert_eq!(
        Verifier::with_secrets([SECRET, "   "]).unwrap_err(),
        CallbackError::BlankSecret { position: 1 },
        "a blank secret beside a real one is refused, not skipped"
    );
    assert_eq!(
        Verifier::with_secrets(["old-secret", "", SECRET]).unwrap_err(),
        CallbackError::BlankSecret { position: 1 }
    );
    let message = Verifier::new(" ").unwrap_err().to_string();
    assert!(message.contains("empty or only whitespace"), "{message}");
    // A secret with spaces around real characters is a real secret.
    let padded = Verifier::new(" s3cret ").unwrap();
    let sign = success_signature("6", "order-42", 150000, " s3cret ");
    padded.verify_success(&success(json!(6), "order-42", json!(150000), &sign)).expect("signed with the padded secret");
}

#[test]
fn every_kind_of_malformed_body_is_a_typed_error() {
    let verifier = Verifier::new(SECRET).unwrap().with_max_body(4096);
    let sign = success_signature("6", "order-42", 150000, SECRET);
    let cases: Vec<(Vec<u8>, CallbackError)> = vec![
        (b"not json".to_vec(), CallbackError::MalformedJson { message: String::new() }),
        (b"".to_vec(), CallbackError::MalformedJson { message: String::new() }),
        (vec![0xff, 0xfe, 0x00], CallbackError::MalformedJson { message: String::new() }),
        (b"[1,2,3]".to_vec(), CallbackError::NotAnObject),
        (b"\"a string\"".to_vec(), CallbackError::NotAnObject),
        (
            body(&json!({"store_id": 6, "invoice_id": "order-42", "amount": 150000})),
            CallbackError::MissingField { field: "sign" },
        ),
        (
            body(&json!({"store_id": 6, "invoice_id": "order-42", "sign": sign})),
            CallbackError::MissingField { field: "amount" },
        ),
        (
            body(&json!({"invoice_id": "order-42", "amount": 150000, "sign": sign})),
            CallbackError::MissingField { field: "store_id" },
        ),
        (success(json!(null), "order-42", json!(150000), &sign), CallbackError::MissingField { field: "store_id" }),
        (
            success(json!({"id": 6}), "order-42", json!(150000), &sign),
            CallbackError::WrongType { field: "store_id", expected: "a string or a number", found: "an object" },
        ),
        (
            success(json!(6), "order-42", json!(true), &sign),
            CallbackError::WrongType { field: "amount", expected: "a string or a number", found: "a boolean" },
        ),
        (
            success(json!(6), "order-42", json!([150000]), &sign),
            CallbackError::WrongType { field: "amount", expected: "a string or a number", found: "an array" },
        ),
        // Other amounts than the one signed: the signature is checked over
        // them as sent, before anything is converted.
        (success(json!(6), "order-42", json!("150000.5"), &sign), CallbackError::SignatureMismatch),
        (success(json!(6), "order-42", json!(-5), &sign), CallbackError::SignatureMismatch),
        (success(json!(6), "order-42", json!("1.5e5"), &sign), CallbackError::SignatureMismatch),
        (success(json!(6), "order-42", json!(1.5e4), &sign), CallbackError::SignatureMismatch),
        (
            body(&json!({"store_id": 6, "invoice_id": "order-42", "amount": 150000, "uuid": UUID, "sign": 12345})),
            CallbackError::WrongType { field: "sign", expected: "a string", found: "a number" },
        ),
        (
            format!(
                r#"{{"store_id":6,"invoice_id":"order-42","amount":1,"amount":150000,"uuid":"{UUID}","sign":"{sign}"}}"#
            )
            .into_bytes(),
            CallbackError::DuplicateField { field: "amount" },
        ),
        (
            success(json!(6), "order-42", json!(150000), ""),
            CallbackError::BadSignatureFormat { expected_hex_digits: 32, received_chars: 0 },
        ),
        (
            success(json!(6), "order-42", json!(150000), &sign[..31]),
            CallbackError::BadSignatureFormat { expected_hex_digits: 32, received_chars: 31 },
        ),
        (
            success(json!(6), "order-42", json!(150000), &format!("{}zz", &sign[..30])),
            CallbackError::BadSignatureFormat { expected_hex_digits: 32, received_chars: 32 },
        ),
        (success(json!(6), "order-42", json!(150000), &"0".repeat(32)), CallbackError::SignatureMismatch),
        (vec![b' '; 5000], CallbackError::BodyTooLarge { size: 5000, limit: 4096 }),
    ];
    for (input, expected) in cases {
        let got = verifier.verify_success(&input).expect_err("refused");
        match (&got, &expected) {
            (CallbackError::MalformedJson { .. }, CallbackError::MalformedJson { .. }) => {}
            _ => assert_eq!(got, expected, "{}", String::from_utf8_lossy(&input)),
        }
        assert!(!got.to_string().contains(SECRET));
    }
    // Amounts signed as sent that are not whole tiyin: refused after the
    // signature holds, naming what is wrong without quoting it.
    let cases = [
        (json!("150000.5"), "a string", "has a fraction of a tiyin"),
        (json!(-5), "a number", "is negative"),
        (json!("1.5e5"), "a string", "is not written in plain digits"),
        (json!(150000.5), "a number", "has a fraction of a tiyin"),
        (json!("1234567890123456789"), "a string", "has more than 18 digits"),
    ];
    for (amount, found, reason) in cases {
        let mut payload = json!({"store_id": 6, "invoice_id": "order-42", "amount": amount, "uuid": UUID});
        testing::sign_success(&mut payload, SECRET);
        let error = verifier.verify_success(&body(&payload)).expect_err("not whole tiyin");
        assert_eq!(error, CallbackError::InvalidAmount { found, reason }, "{payload}");
    }
}

#[test]
fn replies_say_what_multicard_will_do() {
    assert_eq!(
        (CallbackReply::accept().status(), CallbackReply::accept().body()),
        (200, br#"{"success":true}"#.to_vec())
    );
    let refuse = CallbackReply::refuse_and_refund("Не найден инвойс");
    assert_eq!(refuse.status(), 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&refuse.body()).unwrap(),
        json!({"success": false, "message": "Не найден инвойс"})
    );
    // A body that does not verify, whatever the reason, is answered 500:
    // Multicard holds the payment; any other refusal would cancel it.
    let unverified = [
        CallbackError::SignatureMismatch,
        CallbackError::BadSignatureFormat { expected_hex_digits: 32, received_chars: 3 },
        CallbackError::NotAnObject,
        CallbackError::MalformedJson { message: "EOF".into() },
        CallbackError::BodyUnreadable { message: "cut".into() },
        CallbackError::BodyTooLarge { size: 2, limit: 1 },
        CallbackError::MissingField { field: "amount" },
        CallbackError::AmbiguousPayment { reason: "`uuid` and `invoice_uuid` differ" },
    ];
    for error in unverified {
        let reply = CallbackReply::rejected(&error);
        assert_eq!(reply.status(), 500, "{error}");
        assert_eq!(serde_json::from_slice::<Value>(&reply.body()).unwrap()["success"], json!(false));
    }
    // HTTP 500 is the one failure Multicard answers by holding the payment
    // (and sending the callback again) instead of cancelling it.
    let later = CallbackReply::retry_later("database down");
    assert_eq!(later.status(), 500);
    assert_eq!(
        serde_json::from_slice::<Value>(&later.body()).unwrap(),
        json!({"success": false, "message": "database down"})
    );
}

fn signed_fields() -> impl Strategy<Value = (u32, String, u64, String, String)> {
    // A secret has at least one character that is not whitespace (blank ones are refused).
    (any::<u32>(), "\\PC{0,40}", 0u64..10_000_000_000_000, "[a-f0-9-]{1,36}", "\\PC{0,20}[^\\s\\pC]\\PC{0,19}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_holds_for_any_payload((store, invoice, amount, uuid, secret) in signed_fields()) {
        let amount = amount as i64;
        let verifier = Verifier::new(secret.clone()).unwrap();
        let sign = success_signature(&store.to_string(), &invoice, amount, &secret);
        let body = body(&json!({"store_id": store, "invoice_id": invoice, "amount": amount, "uuid": uuid, "sign": sign}));
        let callback = verifier.verify_success(&body).unwrap();
        prop_assert_eq!(callback.amount, amount);
        prop_assert_eq!(&callback.invoice_id, &invoice);
        let webhook = testing::webhook_body(&uuid, &invoice, amount, "success", &secret);
        prop_assert!(verifier.verify_webhook(&webhook).is_ok());
    }

    #[test]
    fn changing_a_signed_field_the_secret_or_one_hex_digit_fails(
        (store, invoice, amount, uuid, secret) in signed_fields(),
        which in 0usize..5,
        digit in 0usize..32,
    ) {
        let amount = amount as i64;
        let sign = success_signature(&store.to_string(), &invoice, amount, &secret);
        let mut payload = json!({"store_id": store, "invoice_id": invoice, "amount": amount, "uuid": uuid, "sign": sign});
        let mut verifier = Verifier::new(secret.clone()).unwrap();
        match which {
            0 => payload["store_id"] = json!(store as u64 + 1),
            1 => payload["invoice_id"] = json!(format!("{invoice}x")),
            2 => payload["amount"] = json!(amount + 1),
            3 => verifier = Verifier::new(format!("{secret}!")).unwrap(),
            _ => {
                let mut chars: Vec<char> = payload["sign"].as_str().unwrap().chars().collect();
                chars[digit] = if chars[digit] == '0' { '1' } else { '0' };
                payload["sign"] = json!(chars.into_iter().collect::<String>());
            }
        }
        prop_assert_eq!(verifier.verify_success(&body(&payload)).unwrap_err(), CallbackError::SignatureMismatch);
    }

    #[test]
    fn the_unsigned_uuid_can_change_without_the_signature_noticing((store, invoice, amount, uuid, secret) in signed_fields()) {
        // This is why the confirm helpers exist.
        let amount = amount as i64;
        let sign = success_signature(&store.to_string(), &invoice, amount, &secret);
        let payload = json!({"store_id": store, "invoice_id": invoice, "amount": amount, "uuid": format!("{uuid}-other"), "sign": sign});
        prop_assert!(Verifier::new(secret).unwrap().verify_success(&body(&payload)).is_ok());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let verifier = Verifier::new(SECRET).unwrap();
        let _ = verifier.verify_success(&bytes);
        let _ = verifier.verify_webhook(&bytes);
        let _ = verifier.parse_card_binding(&bytes);
    }

    #[test]
    fn arbitrary_json_objects_never_panic(
        store in prop_oneof![any::<i64>().prop_map(Value::from), any::<f64>().prop_map(|f| json!(f)), "\\PC{0,8}".prop_map(Value::from), Just(Value::Null)],
        amount in prop_oneof![any::<i64>().prop_map(Value::from), any::<f64>().prop_map(|f| json!(f)), "[0-9.eE+-]{0,12}".prop_map(Value::from), Just(json!([]))],
        sign in "[0-9a-fA-Fz]{0,45}",
    ) {
        let payload = json!({"store_id": store, "invoice_id": "i", "amount": amount, "uuid": UUID, "sign": sign});
        let verifier = Verifier::new(SECRET).unwrap();
        prop_assert!(verifier.verify_success(&body(&payload)).is_err());
        let _ = verifier.verify_webhook(&body(&payload));
    }
}
