//! What the probes say about an answer without saying its values: how a
//! request ended, a status as an enum name, a number's relation to the
//! quantities a probe knows, a field's change between two reads.

use serde_json::Value;

use crate::live::shape;
use crate::live::spec::{JsonType, Spec};
use crate::live::story::Reply;

/// The format of Multicard's times (`YYYY-MM-DD HH:MM:SS`, GMT+5).
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// How a request that was not accepted ended: `refused with ERROR_X (HTTP
/// 400)`, `no answer`, … Never a value of the answer.
pub(crate) fn ended(reply: &Reply, sent: &[String]) -> String {
    let Some(status) = reply.status else { return "no answer".to_string() };
    if reply.accepted() {
        return format!("accepted (HTTP {status})");
    }
    let code = reply.body.as_ref().and_then(|b| b.pointer("/error/code"));
    match code {
        Some(Value::String(code)) => match shape::error_code(code, sent) {
            Some(code) => format!("refused with {code} (HTTP {status})"),
            None => format!("refused with an error code withheld as a value (HTTP {status})"),
        },
        Some(_) => format!("refused with an error code that is not a string (HTTP {status})"),
        None if reply.body.is_none() => format!("answered HTTP {status} without a JSON body"),
        None => format!("answered HTTP {status} without success and without an error code"),
    }
}

/// `operation how it ended`, for "not measured" lines: a request refused,
/// or accepted without what the probe needed from it.
pub(crate) fn failed(operation: &str, reply: &Reply, sent: &[String]) -> String {
    if reply.accepted() {
        return format!("{operation} was accepted, but its answer lacked what the probe needs");
    }
    format!("{operation} {}", ended(reply, sent))
}

/// A whole number: a JSON integer, a number without a fraction, or a
/// string holding one.
pub fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
        }
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A Multicard time (`YYYY-MM-DD HH:MM:SS`).
pub fn time(value: Option<&Value>) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(value?.as_str()?.trim(), TIME_FORMAT).ok()
}

/// The JSON type of a value, or `absent`.
pub fn kind(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_string(), |v| JsonType::of(v).to_string())
}

/// A status field as it may be shown: the value when the spec's `schema`
/// (`PaymentStatus`, `HoldStatus`) names it or it looks like an enum name,
/// `<value withheld>` otherwise; `absent`, `null` or the JSON type when it
/// is not a string.
pub fn status(spec: &Spec, schema: &str, value: Option<&Value>, sent: &[String]) -> String {
    match value {
        Some(Value::String(text)) => {
            let named = spec.component(schema).and_then(|s| spec.expect(&[s])).and_then(|e| e.enum_values);
            shape::enum_value(text, named.as_ref(), sent)
        }
        other => kind(other),
    }
}

/// One named quantity a number is compared with (`the refund`).
pub type Quantity<'a> = (&'a str, i64);

/// What `value` is, among `quantities`: every name whose amount it equals,
/// joined by ` = `; `None` when it equals none.
pub fn equal_to(value: i64, quantities: &[Quantity<'_>]) -> Option<String> {
    let names: Vec<&str> = quantities.iter().filter(|(_, q)| *q == value).map(|(name, _)| *name).collect();
    (!names.is_empty()).then(|| names.join(" = "))
}

/// How a field changed from one read to the next: `unchanged`, `appeared`,
/// `disappeared`, `null→string`, `down by the refund`, `equal to the
/// refunds so far`, `changed`. `quantities` name the amounts a number may
/// be compared with (the refund, the refunds so far, …).
pub fn change(before: Option<&Value>, after: Option<&Value>, quantities: &[Quantity<'_>]) -> String {
    let number = |value: Option<&Value>| value.filter(|v| v.is_number()).and_then(|v| integer(Some(v)));
    match (before, after) {
        (None, None) => "absent".to_string(),
        (Some(_), None) => "disappeared".to_string(),
        (None, Some(after)) => match number(Some(after)).and_then(|n| equal_to(n, quantities)) {
            Some(names) => format!("appeared, equal to {names}"),
            None => format!("appeared ({})", JsonType::of(after)),
        },
        (Some(before), Some(after)) if before == after => "unchanged".to_string(),
        (Some(before), Some(after)) => {
            let (b, a) = (JsonType::of(before), JsonType::of(after));
            if let (Some(b), Some(a)) = (number(Some(before)), number(Some(after))) {
                let mut steps: Vec<(String, i64)> = Vec::new();
                for (name, q) in quantities {
                    steps.push((format!("down by {name}"), b.saturating_sub(*q)));
                    steps.push((format!("up by {name}"), b.saturating_add(*q)));
                }
                if let Some((name, _)) = steps.iter().find(|(_, v)| *v == a) {
                    return name.clone();
                }
                return match equal_to(a, quantities) {
                    Some(names) => format!("changed, now equal to {names}"),
                    None => "changed".to_string(),
                };
            }
            if b != a { format!("{b}→{a}") } else { "changed".to_string() }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_change_is_named_by_its_relation_never_by_its_values() {
        let q = [("the refund", 50), ("the refunds so far", 80), ("the amount paid", 150)];
        assert_eq!(change(Some(&json!(150)), Some(&json!(150)), &q), "unchanged");
        assert_eq!(change(Some(&json!(150)), Some(&json!(100)), &q), "down by the refund");
        assert_eq!(change(Some(&json!(30)), Some(&json!(80)), &q), "up by the refund");
        assert_eq!(change(Some(&json!(7)), Some(&json!(80)), &q), "changed, now equal to the refunds so far");
        assert_eq!(change(Some(&json!(7)), Some(&json!(9)), &q), "changed");
        assert_eq!(change(None, Some(&json!(50)), &q), "appeared, equal to the refund");
        assert_eq!(change(None, Some(&json!("x")), &q), "appeared (string)");
        assert_eq!(change(Some(&json!(1)), None, &q), "disappeared");
        assert_eq!(change(Some(&json!(null)), Some(&json!("2031-01-01 00:00:00")), &q), "null→string");
        assert_eq!(change(Some(&json!("a")), Some(&json!("b")), &q), "changed");
        // A number sent as a string is compared as a string.
        assert_eq!(change(Some(&json!("150")), Some(&json!("100")), &q), "changed");
    }

    #[test]
    fn numbers_and_times_read_leniently_and_refuse_what_is_not_one() {
        assert_eq!(integer(Some(&json!(15))), Some(15));
        assert_eq!(integer(Some(&json!(15.0))), Some(15));
        assert_eq!(integer(Some(&json!(" 15 "))), Some(15));
        assert_eq!(integer(Some(&json!(15.5))), None);
        assert_eq!(integer(Some(&json!(true))), None);
        assert_eq!(integer(None), None);
        assert!(time(Some(&json!("2031-07-14 10:00:05"))).is_some());
        assert!(time(Some(&json!("2031-07-14T10:00:05Z"))).is_none());
        assert_eq!(kind(None), "absent");
        assert_eq!(kind(Some(&json!(null))), "null");
    }

    #[test]
    fn how_a_request_ended_shows_codes_in_multicards_style_only() {
        let sent = vec!["CORRECTHORSEBATTERY".to_string()];
        let reply = |status: Option<u16>, body: Option<serde_json::Value>| Reply { status, body };
        let code = |c: &str| Some(json!({"success": false, "error": {"code": c}}));
        assert_eq!(ended(&reply(None, None), &sent), "no answer");
        assert_eq!(ended(&reply(Some(400), code("ERROR_FIELDS")), &sent), "refused with ERROR_FIELDS (HTTP 400)");
        let secret = ended(&reply(Some(400), code("ERROR_CORRECTHORSEBATTERY")), &sent);
        assert_eq!(secret, "refused with an error code withheld as a value (HTTP 400)");
        let lower = ended(&reply(Some(400), code("error_ivanov")), &sent);
        assert_eq!(lower, "refused with an error code withheld as a value (HTTP 400)");
        assert_eq!(ended(&reply(Some(401), None), &sent), "answered HTTP 401 without a JSON body");
        assert_eq!(ended(&reply(Some(200), Some(json!({"success": true}))), &sent), "accepted (HTTP 200)");
        let accepted = failed("create_hold", &reply(Some(200), Some(json!({"success": true}))), &sent);
        assert_eq!(accepted, "create_hold was accepted, but its answer lacked what the probe needs");
    }
}
