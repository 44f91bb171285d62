//! The build crate generates the whole API from the committed spec, and a
//! spec progenitor cannot take becomes an error that names the operation.

use std::path::PathBuf;

use multicard_api_build::names::builder_name;
use multicard_api_build::{generate, generate_code, parse_spec};

fn spec_text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/multicard.yaml");
    std::fs::read_to_string(path).expect("spec/multicard.yaml")
}

#[test]
fn the_committed_spec_generates_all_31_operations() {
    let out = tempfile::tempdir().expect("temp dir");
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/multicard.yaml");
    let generated = generate(&spec, out.path(), false).expect("generation succeeds");
    assert_eq!(generated.operations, 31);
    let client = std::fs::read_to_string(&generated.client).expect("client written");
    assert!(client.contains("pub fn get_token(&self)"));
    assert!(client.contains("crate::time::MulticardDateTime"), "GMT+5 timestamps are mapped");
    let enums = std::fs::read_to_string(&generated.enums).expect("enums written");
    assert!(enums.contains("pub enum PaymentStatus"));
    assert!(enums.contains("Unknown(::std::string::String)"), "enums are open");
    // Builders exist for what callers write (request bodies and their
    // parts), not for what only the API writes.
    for kept in
        ["pub struct CreateInvoiceRequest {", "pub struct OfdItemsItem {", "pub struct CreatePayoutRequestCard {"]
    {
        assert_eq!(client.matches(kept).count(), 2, "the type and its builder: {kept}");
    }
    assert_eq!(client.matches("pub struct PaymentModel {").count(), 1, "a response type has no builder");
    assert!(!client.contains("builder::PaymentModel"));
}

#[test]
fn every_operation_has_the_builder_its_name_says() {
    // The glue names each operation's builder itself (`get_card` gives
    // `builder::GetCard`); it must be the name progenitor gave it.
    let spec = parse_spec(&spec_text()).expect("the committed spec parses");
    let (client, _, _) = generate_code(&spec).expect("generation succeeds");
    let builders = &client[client.find("\npub mod builder {").expect("a builder module")..];
    let mut checked = 0;
    for (_, _, operation) in spec.operations() {
        let id = operation.operation_id.as_deref().expect("an operationId");
        let name = builder_name(id);
        assert!(builders.contains(&format!("    pub struct {name}<'a> {{")), "`{id}`: no `builder::{name}`");
        checked += 1;
    }
    assert_eq!(checked, 31);
}

#[test]
fn a_spec_progenitor_rejects_names_the_operation() {
    // Two success types for one operation make progenitor panic.
    let mut spec: serde_json::Value = serde_norway::from_str(&spec_text()).expect("YAML");
    let responses = spec.pointer_mut("/paths/~1payment~1{uuid}/get/responses").expect("get_payment responses");
    responses["201"] = serde_json::json!({
        "description": "another success",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HoldModelResponse"}}}
    });
    let broken = parse_spec(&serde_norway::to_string(&spec).expect("YAML")).expect("still OpenAPI");
    let error = generate_code(&broken).expect_err("progenitor refuses it").to_string();
    assert!(error.contains("`get_payment`"), "{error}");
}

#[test]
fn a_file_that_is_not_openapi_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("multicard.yaml");
    std::fs::write(&spec, "openapi: 3.0.3\npaths: [not, a, map]\n").expect("write");
    let error = generate(&spec, dir.path(), false).expect_err("not OpenAPI").to_string();
    assert!(error.contains("multicard.yaml"), "{error}");
    assert!(error.contains("not an OpenAPI 3.0 document"), "{error}");
}
