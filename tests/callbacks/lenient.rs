//! Signed fields verified as sent (raw JSON, before any conversion), and
//! the unsigned fields read leniently once the signature holds (issue 21,
//! item 2).

use multicard_api::callbacks::{CallbackError, CallbackReply, Verifier, testing::SuccessCallback};
use multicard_api::types::PaymentService;
use serde_json::{Value, json};

use super::{SECRET, UUID};

/// A success callback body written by hand: `amount` as raw JSON text,
/// signed with `sign`.
fn raw_amount(amount: &str, sign: &str) -> Vec<u8> {
    format!(r#"{{"store_id":6,"invoice_id":"order-42","amount":{amount},"uuid":"{UUID}","sign":"{sign}"}}"#)
        .into_bytes()
}

#[test]
fn the_amount_is_signed_as_sent_and_todays_forms_still_verify() {
    let verifier = Verifier::new(SECRET).unwrap();
    // python3 -c "import hashlib; print(hashlib.md5(b'6order-421000.00Pw18axeBFo8V7NamKHXX').hexdigest())"
    let over_text = "3e4790e7b449b989542cb176ec5868ec";
    // python3 -c "import hashlib; print(hashlib.md5(b'6order-421000.0Pw18axeBFo8V7NamKHXX').hexdigest())"
    let over_literal = "f226851f2d5e07c8945153d77f97a21e";
    // python3 -c "import hashlib; print(hashlib.md5(b'6order-421000Pw18axeBFo8V7NamKHXX').hexdigest())"
    let over_digits = "f875b38cccac40cdfa14a9c32a4cf254";
    // python3 -c "import hashlib; print(hashlib.md5(b'6order-42 1000 Pw18axeBFo8V7NamKHXX').hexdigest())"
    let over_padded = "5d94bb2621de33781eb0a4dae474ed66";

    let accepted = [
        // Signed over exactly the text sent: a string's content, a number's literal.
        (r#""1000.00""#, over_text),
        ("1000.0", over_literal),
        (r#"" 1000 ""#, over_padded),
        // Signed over the whole tiyin, as every release so far accepted.
        (r#""1000.00""#, over_digits),
        ("1000.0", over_digits),
        (r#"" 1000 ""#, over_digits),
        ("1000", over_digits),
        (r#""1000""#, over_digits),
        // Whitespace around a number is not part of it.
        ("  1000  ", over_digits),
    ];
    for (amount, sign) in accepted {
        let callback = verifier
            .verify_success(&raw_amount(amount, sign))
            .unwrap_or_else(|error| panic!("{amount} signed {sign}: {error}"));
        assert_eq!(callback.amount, 1000, "{amount}");
    }
    // A literal is its own text: `1000.0` is not `1000.00`, and `1e3` is
    // not `1000` (nor is anything converted before the signature holds).
    for (amount, sign) in [("1000.0", over_text), (r#""1000.0""#, over_text), ("1e3", over_digits)] {
        assert_eq!(
            verifier.verify_success(&raw_amount(amount, sign)).unwrap_err(),
            CallbackError::SignatureMismatch,
            "{amount}"
        );
    }
}

#[test]
fn unsigned_fields_are_read_leniently_and_never_fail_the_callback() {
    let verifier = Verifier::new(SECRET).unwrap();
    let decode = |callback: SuccessCallback| verifier.verify_success(&callback.signed(SECRET));
    let base = || SuccessCallback::new(6, "order-42", 150_000, UUID);

    // Times in the forms seen: the vendor's, with milliseconds, ISO with and
    // without a fraction and a zone (no zone means Tashkent, GMT+5).
    let times = [
        ("2025-01-02 10:00:00", "2025-01-02T05:00:00+00:00"),
        ("2025-01-02 10:00:00.123", "2025-01-02T05:00:00.123+00:00"),
        ("2025-01-02T10:00:00+05:00", "2025-01-02T05:00:00+00:00"),
        ("2025-01-02T10:00:00.5+05:00", "2025-01-02T05:00:00.500+00:00"),
        ("2025-01-02T05:00:00Z", "2025-01-02T05:00:00+00:00"),
        ("2025-01-02T10:00:00", "2025-01-02T05:00:00+00:00"),
        ("2025-01-02T10:00:00.250", "2025-01-02T05:00:00.250+00:00"),
    ];
    for (sent, utc) in times {
        let callback = decode(base().set("payment_time", sent)).unwrap_or_else(|e| panic!("{sent}: {e}"));
        let read = callback.payment_time.unwrap_or_else(|| panic!("{sent} is read"));
        assert_eq!(read.to_utc().to_rfc3339(), utc, "{sent}");
    }

    // Numbers where strings are documented; a receipt as an object.
    let callback = decode(
        base()
            .set("billing_id", 12345)
            .set("phone", 998901234567u64)
            .set("receipt_url", json!({"url": "https://ofd.soliq.uz/check?t=1", "id": 7})),
    )
    .expect("numbers and an object are read");
    assert_eq!(callback.billing_id.as_deref(), Some("12345"));
    assert_eq!(callback.phone.as_deref(), Some("998901234567"));
    let receipt: Value = serde_json::from_str(callback.receipt_url.as_deref().expect("kept")).unwrap();
    assert_eq!(receipt, json!({"url": "https://ofd.soliq.uz/check?t=1", "id": 7}));

    // What does not decode is left out; the callback still verifies.
    let callback = decode(
        base()
            .set("payment_time", "yesterday")
            .set("card_pan", json!({"masked": true}))
            .set("card_token", 42)
            .set("ps", json!(["uzcard"]))
            .set("billing_id", json!({"id": 1}))
            .set("phone", true)
            .set("receipt_url", false),
    )
    .expect("informative fields never fail the callback");
    assert_eq!(
        (callback.payment_time, callback.card_pan, callback.card_token, callback.ps.clone()),
        (None, None, None, None)
    );
    assert_eq!((callback.billing_id, callback.phone, callback.receipt_url), (None, None, None));
    assert_eq!((callback.amount, callback.uuid.as_str()), (150_000, UUID));
    let callback = decode(base().set("ps", "a-new-service")).unwrap();
    assert_eq!(callback.ps, Some(PaymentService::Unknown("a-new-service".into())));
}

#[test]
fn the_payment_uuid_comes_from_uuid_or_invoice_uuid_and_must_be_one() {
    let verifier = Verifier::new(SECRET).unwrap();
    let decode = |callback: SuccessCallback| verifier.verify_success(&callback.signed(SECRET));
    let base = || SuccessCallback::new(6, "order-42", 150_000, UUID);

    let callback = decode(base().without("uuid")).expect("uuid from invoice_uuid");
    assert_eq!((callback.uuid.as_str(), callback.idempotency_key()), (UUID, UUID));
    let callback = decode(base().without("invoice_uuid")).expect("uuid alone");
    assert_eq!(callback.uuid, UUID);
    let callback = decode(base().set("invoice_uuid", Value::Null)).expect("invoice_uuid null");
    assert_eq!(callback.uuid, UUID);

    let neither = decode(base().without("uuid").without("invoice_uuid")).unwrap_err();
    assert_eq!(neither.to_string(), "callback does not name one payment: neither `uuid` nor `invoice_uuid` is given");
    let differ = decode(base().set("invoice_uuid", "11111111-b9fe-11ef-b159-005056b4367d")).unwrap_err();
    assert_eq!(differ.to_string(), "callback does not name one payment: `uuid` and `invoice_uuid` differ");
    let number = decode(base().set("uuid", 12345)).unwrap_err();
    assert!(matches!(number, CallbackError::WrongType { field: "uuid", .. }), "{number:?}");
    assert_eq!(number.to_string(), "callback `uuid` is a number; expected a non-empty string");
    let empty = decode(base().without("invoice_uuid").set("uuid", " ")).unwrap_err();
    assert!(matches!(empty, CallbackError::WrongType { field: "uuid", .. }), "{empty:?}");
    for error in [neither, differ, number, empty] {
        assert_eq!(CallbackReply::rejected(&error).status(), 500, "{error}");
    }
}
