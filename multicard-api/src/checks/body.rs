//! The rules applied to a request body as JSON, the form every request
//! takes on its way out (the typed builders' and the CLI's alike).

use serde_json::{Map, Value};

use super::rules::{RULES, Rule, rule};
use super::{Finding, RequestChecks};
use crate::money::Tiyin;

/// What a body breaks, in field order; each finding with its action under
/// `policy`.
pub(super) fn findings(operation: &str, body: &Value, policy: &RequestChecks) -> Vec<Finding> {
    let mut out = Findings { operation, policy, found: Vec::new() };
    let Some(body) = body.as_object() else {
        return out.found;
    };
    let amount = amount(&mut out, body);
    if let Some(ofd) = ofd(&mut out, body) {
        items(&mut out, ofd, amount);
    }
    split(&mut out, body, amount);
    payout(&mut out, body, amount);
    out.found
}

/// The message of a finding whose field is absent or `null`.
const MISSING: &str = "is missing";

struct Findings<'a> {
    operation: &'a str,
    policy: &'a RequestChecks,
    found: Vec<Finding>,
}

impl Findings<'_> {
    fn applies(&self, id: &str) -> Option<&'static Rule> {
        let rule = rule(id)?;
        rule.operations.contains(&self.operation).then_some(rule)
    }

    fn add(&mut self, id: &str, field: String, message: String) {
        debug_assert!(RULES.iter().any(|r| r.id == id), "unknown rule {id}");
        if let Some(rule) = self.applies(id) {
            let action = self.policy.action(rule);
            let missing = message == MISSING;
            self.found.push(Finding { rule, field, message, action, missing });
        }
    }
}

/// A JSON value as tiyin: `Ok(None)` when absent or null, `Err` naming
/// what it is when it is not a whole number within `i64`.
fn integer(value: Option<&Value>) -> Result<Option<i64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) => Ok(Some(v)),
            None if n.is_u64() => Err(format!("{n} is beyond a signed 64-bit integer")),
            None => Err(format!("{n} is not a whole number of tiyin")),
        },
        Some(other) => Err(format!("{} is not a number", kind(other))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The amount, checked; `None` when it is absent or unusable.
fn amount(out: &mut Findings<'_>, body: &Map<String, Value>) -> Option<i64> {
    let field = if out.operation == "partial_refund_payment" { "refund_amount" } else { "amount" };
    let value = body.get(field);
    if matches!(value, None | Some(Value::Null)) && out.operation == "charge_hold" {
        // A charge without an amount (absent or null) takes the whole hold.
        return None;
    }
    match integer(value) {
        Ok(Some(v)) if v > 0 => Some(v),
        Ok(Some(v)) => {
            out.add("amount.positive", field.into(), format!("{v} is not above zero"));
            None
        }
        Ok(None) => {
            out.add("amount.positive", field.into(), MISSING.into());
            None
        }
        Err(what) => {
            out.add("amount.positive", field.into(), what);
            None
        }
    }
}

fn ofd<'b>(out: &mut Findings<'_>, body: &'b Map<String, Value>) -> Option<&'b Vec<Value>> {
    match body.get("ofd") {
        None | Some(Value::Null) => {
            out.add("ofd.required", "ofd".into(), MISSING.into());
            None
        }
        Some(Value::Array(items)) => {
            if items.is_empty() {
                out.add("ofd.not_empty", "ofd".into(), "lists no item".into());
            }
            Some(items)
        }
        Some(other) => {
            out.add("ofd.required", "ofd".into(), format!("is {}, not an array of items", kind(other)));
            None
        }
    }
}

fn items(out: &mut Findings<'_>, items: &[Value], amount: Option<i64>) {
    // In i128: totals past `i64` add up to more than any amount, not to
    // nothing to compare.
    let mut sum: Option<i128> = Some(0);
    for (index, item) in items.iter().enumerate() {
        let at = |field: &str| format!("ofd[{index}].{field}");
        let Some(item) = item.as_object() else {
            out.add("ofd.item.fields", format!("ofd[{index}]"), format!("is {}, not an item", kind(item)));
            sum = None;
            continue;
        };
        let number = |out: &mut Findings<'_>, field: &str| match integer(item.get(field)) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                out.add("ofd.item.fields", at(field), MISSING.into());
                None
            }
            Err(what) => {
                out.add("ofd.item.fields", at(field), what);
                None
            }
        };
        let qty = number(out, "qty");
        let price = number(out, "price");
        let total = number(out, "total");
        for field in ["mxik", "name"] {
            match item.get(field) {
                Some(Value::String(s)) if !s.trim().is_empty() => {}
                Some(Value::String(_)) => out.add("ofd.item.fields", at(field), "is empty".into()),
                None | Some(Value::Null) => out.add("ofd.item.fields", at(field), MISSING.into()),
                Some(other) => out.add("ofd.item.fields", at(field), format!("is {}, not a string", kind(other))),
            }
        }
        let package = match item.get("package_code") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
            None | Some(Value::Null) => {
                out.add("ofd.item.fields", at("package_code"), MISSING.into());
                None
            }
            Some(other) => {
                out.add("ofd.item.fields", at("package_code"), format!("is {}, not a code", kind(other)));
                None
            }
        };
        if let Some(q) = qty.filter(|q| *q <= 0) {
            out.add("ofd.item.positive", at("qty"), format!("{q} is not above zero"));
        }
        for (field, value) in [("price", price), ("total", total)] {
            if let Some(v) = value.filter(|v| *v < 0) {
                out.add("ofd.item.positive", at(field), format!("{v} is negative"));
            }
        }
        match integer(item.get("vat")) {
            Ok(Some(v)) if !(0..=100).contains(&v) => {
                out.add("ofd.item.vat_percent", at("vat"), format!("{v} is not a percent from 0 to 100"))
            }
            Ok(_) => {}
            Err(what) => out.add("ofd.item.vat_percent", at("vat"), what),
        }
        if let (Some(q), Some(p), Some(t)) = (qty, price, total) {
            match p.checked_mul(q) {
                Some(expected) if expected == t => {}
                Some(expected) => out.add(
                    "ofd.item.total_is_price_times_qty",
                    at("total"),
                    format!("{t} is not price × qty = {p} × {q} = {expected}"),
                ),
                None => out.add("ofd.item.positive", at("total"), format!("price × qty = {p} × {q} overflows")),
            }
        }
        if let Some(Value::String(mxik)) = item.get("mxik")
            && !(mxik.len() == 17 && mxik.bytes().all(|b| b.is_ascii_digit()))
        {
            let shown: String = mxik.chars().take(40).collect();
            out.add("ofd.item.mxik_shape", at("mxik"), format!("{shown:?} is not 17 digits"));
        }
        if let Some(code) = package
            && (code.is_empty() || code.len() > 20 || !code.bytes().all(|b| b.is_ascii_digit()))
        {
            let shown: String = code.chars().take(40).collect();
            out.add("ofd.item.package_code_shape", at("package_code"), format!("{shown:?} is not a code of digits"));
        }
        marks(out, item, qty, &at("mark"));
        sum = match (sum, total) {
            (Some(s), Some(t)) => s.checked_add(i128::from(t)),
            _ => None,
        };
    }
    if let (Some(sum), Some(amount)) = (sum, amount)
        && !items.is_empty()
        && sum != i128::from(amount)
    {
        let (sum, amount) = (shown_sum(sum), Tiyin::new(amount).unwrap_or_default());
        out.add("ofd.totals_match_amount", "ofd".into(), format!("the items' totals are {sum}, the amount {amount}"));
    }
}

fn marks(out: &mut Findings<'_>, item: &Map<String, Value>, qty: Option<i64>, field: &str) {
    let marks = match item.get("mark") {
        None | Some(Value::Null) => return,
        Some(Value::Array(marks)) => marks,
        Some(other) => {
            out.add("ofd.item.marks_per_unit", field.into(), format!("is {}, not an array of codes", kind(other)));
            return;
        }
    };
    if marks.is_empty() {
        return;
    }
    if let Some(index) = marks.iter().position(|m| m.as_str().is_none_or(|s| s.trim().is_empty())) {
        out.add("ofd.item.marks_per_unit", format!("{field}[{index}]"), "is not a non-empty code".into());
    }
    if let Some(q) = qty
        && i64::try_from(marks.len()).ok() != Some(q)
    {
        out.add("ofd.item.marks_per_unit", field.into(), format!("holds {} codes for qty {q}", marks.len()));
    }
}

fn split(out: &mut Findings<'_>, body: &Map<String, Value>, amount: Option<i64>) {
    let Some(Value::Array(splits)) = body.get("split") else {
        return;
    };
    if splits.is_empty() {
        return;
    }
    // In i128, as the items' totals.
    let mut sum: Option<i128> = Some(0);
    for (index, item) in splits.iter().enumerate() {
        let field = format!("split[{index}].amount");
        let value = match integer(item.get("amount")) {
            Ok(Some(v)) if v > 0 => Some(v),
            Ok(Some(v)) => {
                out.add("split.item.positive", field, format!("{v} is not above zero"));
                None
            }
            Ok(None) => {
                out.add("split.item.positive", field, MISSING.into());
                None
            }
            Err(what) => {
                out.add("split.item.positive", field, what);
                None
            }
        };
        sum = match (sum, value) {
            (Some(s), Some(v)) => s.checked_add(i128::from(v)),
            _ => None,
        };
    }
    let (Some(sum), Some(amount)) = (sum, amount) else {
        return;
    };
    let shown = |v: i64| Tiyin::new(v).unwrap_or_default();
    match out.policy.commission {
        Some(commission) => {
            let limit = amount - commission.tiyin().min(amount);
            if sum > i128::from(limit) {
                out.add(
                    "split.within_amount",
                    "split".into(),
                    format!(
                        "the splits add up to {}, above the amount {} minus the commission {} = {}",
                        shown_sum(sum),
                        shown(amount),
                        commission,
                        shown(limit)
                    ),
                );
            }
        }
        None if sum > i128::from(amount) => out.add(
            "split.within_amount",
            "split".into(),
            format!("the splits add up to {}, above the amount {}", shown_sum(sum), shown(amount)),
        ),
        None => {
            // Within the amount; whether within the amount minus the
            // commission is not known here: always a warning.
            if let Some(rule) = out.applies("split.within_amount") {
                out.found.push(Finding {
                    rule,
                    field: "split".into(),
                    message: format!(
                        "the splits add up to {} of the amount {}; Multicard's commission is not known here (set \
                         `RequestChecks::split_commission`), and the splits must leave room for it",
                        shown_sum(sum),
                        shown(amount)
                    ),
                    action: super::Action::Warn,
                    missing: false,
                });
            }
        }
    }
}

/// A sum of amounts, each within `i64`, that may be past it.
fn shown_sum(sum: i128) -> String {
    match i64::try_from(sum).ok().map(Tiyin::new) {
        Some(Ok(tiyin)) => tiyin.to_string(),
        _ => format!("{sum} tiyin (beyond a signed 64-bit integer)"),
    }
}

/// `create_payout` above 10 million сум needs `kyc_data`.
fn payout(out: &mut Findings<'_>, body: &Map<String, Value>, amount: Option<i64>) {
    const THRESHOLD: i64 = 1_000_000_000;
    if amount.is_some_and(|a| a > THRESHOLD) && matches!(body.get("kyc_data"), None | Some(Value::Null)) {
        out.add(
            "payout.kyc_above_10m_sum",
            "kyc_data".into(),
            format!(
                "is missing for a payout of {}, above 10,000,000 сум",
                Tiyin::new(amount.unwrap_or_default()).unwrap_or_default()
            ),
        );
    }
}
