//! Informative fields get a tolerant decoder of their own, exact fields an
//! exact one, and request fields marked `x-sdk-default` their default; a
//! field the generated code does not have fails the build, naming it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use multicard_api_build::generate;
use multicard_api_build::informative::{mark, mark_exact};
use multicard_api_build::sdk_defaults;

#[test]
fn every_informative_field_of_the_spec_gets_its_decoder() {
    let out = tempfile::tempdir().expect("temp dir");
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/multicard.yaml");
    let generated = generate(&spec, out.path(), false).expect("generation succeeds");
    let client = std::fs::read_to_string(&generated.client).expect("client written");
    for reader in ["payment_model__store", "payment_model__clearing", "payment_model__tax"] {
        let attribute = format!("deserialize_with = \"informative_fields::{reader}\"");
        assert!(client.contains(&attribute), "{reader} is used by its field");
        assert!(client.contains(&format!("fn {reader}<")), "{reader} is defined");
    }
    assert!(!client.contains("hold_model__payment"), "a hold's payment is read strictly (the decoding policy)");
    // An invoice's payment is read exactly: never an `Option` that a payment
    // which did not decode leaves empty.
    assert!(client.contains("deserialize_with = \"exact_fields::invoice__payment\""));
    assert!(client.contains("pub payment: crate::informative::Exact<PaymentModel>,"));
    assert!(!client.contains("informative_fields::invoice__payment"));
    // A payout is two-step unless the caller says otherwise.
    assert!(client.contains("pub confirmable: bool,"));
    assert!(client.contains("#[serde(default = \"sdk_defaults::create_payout_request__confirmable\")]"));
    assert!(client.contains("confirmable: ::std::result::Result<bool, ::std::string::String>,"));
    assert!(client.contains("super::sdk_defaults::create_payout_request__confirmable()"));
}

#[test]
fn an_exact_field_the_generated_code_lacks_is_an_error_naming_it() {
    let code = quote::quote! {
        pub mod types {
            pub struct Invoice { pub payment: ::std::option::Option<PaymentModel>, pub amount: i64 }
        }
    };
    for ((schema, field), expected) in [
        (("Invoice", "nope"), "`Invoice.nope`"),
        (("Missing", "payment"), "schema `Missing`"),
        (("Invoice", "amount"), "not an `Option`"),
    ] {
        let mut file: syn::File = syn::parse2(code.clone()).unwrap();
        let wanted = BTreeMap::from([(schema.to_string(), vec![field.to_string()])]);
        let error = mark_exact(&mut file, &wanted).expect_err("refused");
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn an_sdk_default_is_a_boolean_on_a_property_and_its_field_an_optional_boolean() {
    let spec = |extra: &str| {
        let text =
            format!("openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n{extra}");
        multicard_api_build::parse_spec(&text).expect("a spec")
    };
    let good = spec(
        "    Pay:\n      type: object\n      properties:\n        confirmable: {type: boolean, x-sdk-default: true}\n",
    );
    let found = sdk_defaults::defaults(&good).unwrap();
    assert_eq!(found, BTreeMap::from([(("Pay".to_string(), "confirmable".to_string()), true)]));
    let text = spec("    Pay:\n      type: object\n      properties:\n        n: {type: integer, x-sdk-default: 1}\n");
    assert!(sdk_defaults::defaults(&text).unwrap_err().contains("only `true` or `false`"));
    let nested = spec("    Pay:\n      type: object\n      x-sdk-default: true\n");
    assert!(sdk_defaults::defaults(&nested).unwrap_err().contains("not on a property"));

    let code = quote::quote! {
        pub mod types {
            pub struct Pay { pub confirmable: ::std::option::Option<bool>, pub amount: i64 }
            pub mod builder {
                pub struct Pay { confirmable: ::std::result::Result<::std::option::Option<bool>, ::std::string::String> }
            }
        }
    };
    for (field, expected) in
        [("amount", "not `Option<bool>`"), ("nope", "no such field"), ("confirmable", "no `Default`")]
    {
        let mut file: syn::File = syn::parse2(code.clone()).unwrap();
        let wanted = BTreeMap::from([(("Pay".to_string(), field.to_string()), true)]);
        let error = sdk_defaults::apply(&mut file, &wanted).expect_err("refused");
        assert!(error.contains(expected), "{field}: {error}");
    }
}

#[test]
fn a_field_the_generated_code_lacks_is_an_error_naming_it() {
    let code = quote::quote! {
        pub mod types {
            pub struct PaymentModel { pub store: ::std::option::Option<StoreModel>, pub status: Status }
        }
    };
    let cases = [
        (("PaymentModel", "nope"), "`PaymentModel.nope`"),
        (("Missing", "store"), "schema `Missing`"),
        (("PaymentModel", "status"), "not an `Option`"),
    ];
    for ((schema, field), expected) in cases {
        let mut file: syn::File = syn::parse2(code.clone()).unwrap();
        let wanted = BTreeMap::from([(schema.to_string(), vec![field.to_string()])]);
        let error = mark(&mut file, &wanted).expect_err("refused");
        assert!(error.contains(expected), "{error}");
    }
    let mut file: syn::File = syn::parse2(code).unwrap();
    let wanted = BTreeMap::from([("PaymentModel".to_string(), vec!["store".to_string()])]);
    assert_eq!(mark(&mut file, &wanted), Ok(1));
}
