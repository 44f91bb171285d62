//! The build crate writes a redacting `Debug` for every generated struct
//! that holds a value the spec marks `x-sensitive`, and refuses a mark it
//! cannot honour.

use std::path::PathBuf;

use multicard_api_build::redact::{Owner, SensitiveField, SensitiveKind, redact_debug, sensitive_fields};
use multicard_api_build::{generate, parse_spec};
use quote::{ToTokens, quote};

fn spec_text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/multicard.yaml");
    std::fs::read_to_string(path).expect("spec/multicard.yaml")
}

/// The attributes and the first line of `pub struct {name} {`, as generated.
fn declaration<'a>(client: &'a str, name: &str) -> &'a str {
    let at = client.find(&format!("pub struct {name} {{")).unwrap_or_else(|| panic!("no struct {name}"));
    let start = client[..at].rfind("///").unwrap_or(0);
    &client[start..at]
}

#[test]
fn the_generated_client_prints_no_marked_value() {
    let out = tempfile::tempdir().expect("temp dir");
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/multicard.yaml");
    let generated = generate(&spec, out.path(), false).expect("generation succeeds");
    let client = std::fs::read_to_string(&generated.client).expect("client written");

    // The type keeps its other derives and loses the derived `Debug`.
    let auth = declaration(&client, "AuthRequest");
    assert!(auth.contains("derive(::serde::Deserialize, ::serde::Serialize, Clone, PartialEq)"), "{auth}");
    for (call, what) in [
        (r#".field("secret", &crate::redact::secret(&self.secret))"#, "the secret"),
        (r#".field("application_id", &self.application_id)"#, "an ordinary field, as before"),
        (r#".field("token", &crate::redact::secret(&self.token))"#, "the bearer token of /auth"),
        (r#".field("pan", &crate::redact::pan(&self.pan))"#, "a card number"),
        (r#".field("cvc", &crate::redact::secret(&self.cvc))"#, "a CVC"),
        (r#".field("otp", &crate::redact::secret(&self.otp))"#, "an OTP"),
        (r#".field("card_token", &crate::redact::secret(&self.card_token))"#, "a card token"),
    ] {
        assert!(client.contains(call), "{what}: no `{call}`");
    }
    // Inline objects, array items, builders and operation builders too.
    for name in [
        "impl ::std::fmt::Debug for PaymentByCardRequestCard {",
        "impl ::std::fmt::Debug for PaymentRegistryListItem {",
        "impl<'a> ::std::fmt::Debug for CheckCardPan<'a> {",
        "impl<'a> ::std::fmt::Debug for GetCard<'a> {",
    ] {
        assert_eq!(client.matches(name).count(), 1, "{name}");
    }
    assert_eq!(client.matches("impl ::std::fmt::Debug for AuthRequest {").count(), 2, "the type and its builder");
}

#[test]
fn the_committed_spec_marks_secrets_tokens_card_data_and_codes() {
    let spec = parse_spec(&spec_text()).expect("OpenAPI");
    let fields = sensitive_fields(&spec).expect("every mark is understood");
    let has = |owner: Owner, field: &str, kind: SensitiveKind| {
        fields.iter().any(|f| f.owner == owner && f.field == field && f.kind == kind)
    };
    let ty = |name: &str| Owner::Type(name.into());
    assert!(has(ty("AuthRequest"), "secret", SensitiveKind::Secret));
    assert!(has(ty("AuthToken"), "token", SensitiveKind::Secret));
    assert!(has(ty("AddCardRequest"), "pan", SensitiveKind::Pan));
    assert!(has(ty("AddCardRequest"), "expiry", SensitiveKind::Secret));
    assert!(has(ty("PaymentByCardRequestCard"), "pan", SensitiveKind::Pan), "an inline object is named as typify does");
    assert!(has(ty("PaymentRegistryListItem"), "card_token", SensitiveKind::Secret), "so is an array's item");
    assert!(has(ty("ConfirmPaymentRequest"), "otp", SensitiveKind::Secret));
    assert!(has(Owner::Operation("CheckCardPan".into()), "pan", SensitiveKind::Pan));
    // A hold's expiry is a date, not card data.
    assert!(!fields.iter().any(|f| f.owner == ty("CreateHoldRequest") && f.field == "expiry"));
}

fn field(owner: Owner, name: &str, kind: SensitiveKind) -> SensitiveField {
    SensitiveField { owner, field: name.into(), kind, pointer: format!("/test/{name}") }
}

#[test]
fn the_transformation_replaces_the_derive_and_keeps_every_other_field() {
    let mut file: syn::File = syn::parse2(quote! {
        pub mod types {
            #[derive(::serde::Serialize, Clone, Debug, PartialEq)]
            pub struct Card { pub pan: String, pub expiry: Option<String>, pub r#type: String }
            #[derive(Clone, Debug)]
            pub struct Untouched { pub pan: String }
            pub mod builder {
                #[derive(Clone, Debug)]
                pub struct Card { pan: Result<String, String>, expiry: Result<Option<String>, String>, r#type: Result<String, String> }
            }
        }
        pub mod builder {
            #[derive(Debug, Clone)]
            pub struct GetCard<'a> { client: &'a super::Client, card_token: Result<String, String> }
        }
    })
    .expect("test input parses");
    let fields = [
        field(Owner::Type("Card".into()), "pan", SensitiveKind::Pan),
        field(Owner::Type("Card".into()), "expiry", SensitiveKind::Secret),
        field(Owner::Operation("GetCard".into()), "card_token", SensitiveKind::Secret),
    ];
    let report = redact_debug(&mut file, &fields).expect("redacts");
    assert_eq!(report.structs, ["builder::GetCard", "types::Card", "types::builder::Card"]);
    let code = file.to_token_stream().to_string();
    assert!(code.contains("# [derive (:: serde :: Serialize , Clone , PartialEq)] pub struct Card"), "{code}");
    assert!(code.contains("# [derive (Clone)] pub struct Card"), "the builder: {code}");
    assert!(
        code.contains("# [derive (Clone , Debug)] pub struct Untouched"),
        "an unmarked type keeps its derive: {code}"
    );
    for expected in [
        r#"f . debug_struct ("Card") . field ("pan" , & crate :: redact :: pan (& self . pan)) . field ("expiry" , & crate :: redact :: secret (& self . expiry)) . field ("type" , & self . r#type) . finish ()"#,
        "impl < 'a > :: std :: fmt :: Debug for GetCard < 'a >",
        r#". field ("client" , & self . client) . field ("card_token" , & crate :: redact :: secret (& self . card_token))"#,
    ] {
        assert!(code.contains(expected), "missing `{expected}` in {code}");
    }
}

#[test]
fn a_mark_that_cannot_be_honoured_fails_the_build() {
    let base = quote! {
        pub mod types {
            #[derive(Clone)]
            pub struct NoDebug { pub pan: String }
            #[derive(Clone, Debug)]
            pub struct Card { pub number: String }
            pub mod builder {}
        }
        pub mod builder {}
    };
    let run = |field: SensitiveField| {
        let mut file: syn::File = syn::parse2(base.clone()).expect("test input parses");
        redact_debug(&mut file, &[field]).expect_err("refused")
    };
    let error = run(field(Owner::Type("Missing".into()), "pan", SensitiveKind::Pan));
    assert!(error.contains("/test/pan") && error.contains("types::Missing"), "{error}");
    let error = run(field(Owner::Type("Card".into()), "pan", SensitiveKind::Pan));
    assert!(error.contains("no field `pan`"), "{error}");
    let error = run(field(Owner::Type("NoDebug".into()), "pan", SensitiveKind::Pan));
    assert!(error.contains("does not derive `Debug`"), "{error}");
    let error = run(field(Owner::Operation("GetCard".into()), "card_token", SensitiveKind::Secret));
    assert!(error.contains("builder::GetCard"), "{error}");

    // In the spec: an unknown kind, and a mark where no struct field is.
    let mut spec: serde_json::Value = serde_norway::from_str(&spec_text()).expect("YAML");
    spec.pointer_mut("/components/schemas/AuthRequest/properties/secret").expect("secret")["x-sensitive"] =
        "hidden".into();
    let parsed = parse_spec(&serde_norway::to_string(&spec).expect("YAML")).expect("OpenAPI");
    let error = sensitive_fields(&parsed).expect_err("unknown kind");
    assert!(error.contains("/components/schemas/AuthRequest/properties/secret"), "{error}");

    let mut spec: serde_json::Value = serde_norway::from_str(&spec_text()).expect("YAML");
    // (a nullable reference: `anyOf: [{$ref}, {enum: [null]}]`)
    spec.pointer_mut("/components/schemas/HoldModel/properties/payment").expect("an anyOf")["anyOf"][0] =
        serde_json::json!({"type": "string", "x-sensitive": "secret"});
    let parsed = parse_spec(&serde_norway::to_string(&spec).expect("YAML")).expect("OpenAPI");
    let error = sensitive_fields(&parsed).expect_err("a mark inside anyOf protects nothing");
    assert!(error.contains("/components/schemas/HoldModel/properties/payment/anyOf/0"), "{error}");
}
