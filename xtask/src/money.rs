//! The amounts of money of `spec/corrections.yaml`: request fields whose
//! integer is a number of tiyin. Each one is marked `x-money: tiyin` in the
//! normalized document, on the property schema, and `multicard-api-build`
//! gives the command line a flag for each one at the top of a request body
//! that takes the amount with its unit (`--amount 1500sum`), so a bare
//! number (сум or tiyin?) is refused before anything is sent.

use serde_json::{Value, json};

use crate::corrections::Corrections;
use crate::error::{RegenError, Result};
use crate::extensions::MONEY;

/// The units an amount may be marked with, as written after [`MONEY`]:
/// Multicard's amounts are all whole tiyin (1 сум = 100 tiyin).
pub const UNITS: [&str; 1] = ["tiyin"];

/// Marks every property listed under `money` in the corrections.
pub fn mark(doc: &mut Value, corrections: &Corrections) -> Result<()> {
    for (index, group) in corrections.money.iter().enumerate() {
        let place = |what: &str| format!("money[{index}] ({what})");
        let fail = |what: &str, message: String| {
            RegenError::in_file(std::path::Path::new("spec/corrections.yaml"), message).at(place(what))
        };
        if !UNITS.contains(&group.unit.as_str()) {
            return Err(fail(&group.unit, format!("unknown unit `{}`; one of {}", group.unit, UNITS.join(", "))));
        }
        for field in &group.properties {
            let pointer = crate::sensitive::property_pointer(field).map_err(|message| fail(field, message))?;
            let schema = doc.pointer_mut(&pointer).ok_or_else(|| {
                fail(field, format!("no property at {pointer} (the vendor pages or the corrections changed?)"))
            })?;
            if schema.get("type").and_then(Value::as_str) != Some("integer") {
                return Err(fail(field, "only a `type: integer` property can be an amount of tiyin".into()));
            }
            let map = schema.as_object_mut().ok_or_else(|| fail(field, "not an object".into()))?;
            map.insert(MONEY.into(), json!(group.unit));
        }
    }
    Ok(())
}

/// Checks an `x-money` left in the document: a known unit, on an integer
/// property.
pub fn check_mark(pointer: &str, schema: &serde_json::Map<String, Value>) -> std::result::Result<(), String> {
    let value = schema.get(MONEY).cloned().unwrap_or(Value::Null);
    if !value.as_str().is_some_and(|unit| UNITS.contains(&unit)) {
        return Err(format!("`{MONEY}: {value}` is not one of {}", UNITS.join(", ")));
    }
    if pointer.rsplit('/').nth(1) != Some("properties") {
        return Err(format!("`{MONEY}` must sit on a property"));
    }
    if schema.get("type").and_then(Value::as_str) != Some("integer") {
        return Err(format!("`{MONEY}` must sit on a `type: integer` property"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corrections(money: &str) -> Corrections {
        let text = format!(
            "info: {{title: t, version: '1'}}\nservers: []\ntags: []\npages: {{}}\noperations: []\nmoney:\n{money}"
        );
        Corrections::parse(&text).unwrap()
    }

    #[test]
    fn integer_properties_are_marked_and_anything_else_is_refused() {
        let mut doc = json!({"components": {"schemas": {
            "Req": {"type": "object", "properties": {"amount": {"type": "integer"}, "name": {"type": "string"}}},
            "Items": {"type": "array", "items": {"type": "object", "properties": {"price": {"type": "integer"}}}}
        }}});
        let ok =
            corrections("  - unit: tiyin\n    reason: r\n    properties:\n      - Req.amount\n      - Items[].price\n");
        mark(&mut doc, &ok).unwrap();
        assert_eq!(doc.pointer("/components/schemas/Req/properties/amount/x-money"), Some(&json!("tiyin")));
        assert_eq!(doc.pointer("/components/schemas/Items/items/properties/price/x-money"), Some(&json!("tiyin")));

        let text = corrections("  - {unit: tiyin, reason: r, properties: [Req.name]}\n");
        assert!(mark(&mut doc.clone(), &text).unwrap_err().to_string().contains("type: integer"));
        let missing = corrections("  - {unit: tiyin, reason: r, properties: [Req.nope]}\n");
        assert!(mark(&mut doc.clone(), &missing).unwrap_err().to_string().contains("no property"));
        let sum = corrections("  - {unit: sum, reason: r, properties: [Req.amount]}\n");
        assert!(mark(&mut doc.clone(), &sum).unwrap_err().to_string().contains("unknown unit"));

        let schema = |v: Value| v.as_object().unwrap().clone();
        check_mark(
            "/components/schemas/Req/properties/amount",
            &schema(json!({"type": "integer", "x-money": "tiyin"})),
        )
        .unwrap();
        assert!(
            check_mark("/components/schemas/Req", &schema(json!({"type": "integer", "x-money": "tiyin"}))).is_err()
        );
        assert!(
            check_mark("/components/schemas/Req/properties/a", &schema(json!({"type": "integer", "x-money": "sum"})))
                .is_err()
        );
    }
}
