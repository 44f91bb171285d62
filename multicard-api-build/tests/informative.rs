//! Informative fields get a tolerant decoder of their own; a field the
//! generated code does not have fails the build, naming it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use multicard_api_build::generate;
use multicard_api_build::informative::mark;

#[test]
fn every_informative_field_of_the_spec_gets_its_decoder() {
    let out = tempfile::tempdir().expect("temp dir");
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/multicard.yaml");
    let generated = generate(&spec, out.path(), false).expect("generation succeeds");
    let client = std::fs::read_to_string(&generated.client).expect("client written");
    for reader in ["payment_model__store", "payment_model__clearing", "payment_model__tax", "invoice__payment"] {
        let attribute = format!("deserialize_with = \"informative_fields::{reader}\"");
        assert!(client.contains(&attribute), "{reader} is used by its field");
        assert!(client.contains(&format!("fn {reader}<")), "{reader} is defined");
    }
    assert!(!client.contains("hold_model__payment"), "a hold's payment is read strictly (the decoding policy)");
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
