//! The payment probes: the success callback's `amount`, what two partial
//! refunds change, and a second create with an `invoice_id` already used.
//! Each pays (or drafts) its own fresh payment of [`AMOUNT`] by the bound
//! card's token; none sends a write twice.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

use super::listener::CallbackListener;
use super::relation::{Quantity, change, ended, equal_to, failed, integer, kind, status};
use super::steps::{confirm_payment, create_invoice, create_payment, delete_invoice, payment_body, read_payment};
use super::verdict::{NOT_MEASURED, Probe, Question};
use crate::live::shape::shown_name;
use crate::live::story::{REFUND, Reply, Walker, ofd};

/// The second partial refund, in tiyin (the first is [`REFUND`]); both
/// together stay below [`AMOUNT`](crate::live::story::AMOUNT).
pub const SECOND_REFUND: i64 = 30_000;

/// Probe a.
pub const CALLBACK_AMOUNT: Question = Question {
    id: "callback_amount",
    text: "Is the success callback's amount the payment's payment_amount or its total_amount?",
};
/// Probe b.
pub const PARTIAL_REFUNDS: Question =
    Question { id: "partial_refunds", text: "What do two consecutive partial refunds change in the payment?" };
/// Probe c.
pub const DUPLICATE_INVOICE_ID: Question = Question {
    id: "duplicate_invoice_id",
    text: "Is a second create with an invoice_id already used in the store refused, and with which code?",
};

/// Why the callback probe cannot run without a listener.
pub const NO_CALLBACK_URL: &str = "no reachable callback URL (run with --callback-listen ADDR [--callback-url URL])";

/// A success callback has no `status` (a status webhook has one).
fn is_success_callback(body: &Value) -> bool {
    body.get("status").is_none()
}

/// Probe a: a payment with the listener's URL as `callback_url`,
/// confirmed; its success callback's `amount` against the payment read
/// afterwards.
pub async fn callback_amount(w: &mut Walker<'_>, listener: Option<&CallbackListener>, wait: Duration) -> Probe {
    let Some(listener) = listener else { return Probe::not_measured(&CALLBACK_AMOUNT, NO_CALLBACK_URL) };
    Probe::from_result(&CALLBACK_AMOUNT, measure_callback(w, listener, wait).await)
}

async fn measure_callback(
    w: &mut Walker<'_>,
    listener: &CallbackListener,
    wait: Duration,
) -> Result<Vec<String>, String> {
    let invoice_id = format!("{}-a", w.order);
    listener.expect(&invoice_id);
    let created = create_payment(w, &invoice_id, Some(listener.url())).await?;
    listener.expect(&created.uuid);
    confirm_payment(w, &created).await?;
    let callback = listener.wait_for(&created.uuid, wait, is_success_callback).await;
    let callback = match callback {
        Some(callback) => Some(callback),
        None => listener.heard(&invoice_id).into_iter().find(is_success_callback),
    };
    let Some(callback) = callback else {
        let webhooks = listener.heard(&created.uuid).len();
        return Err(format!(
            "no success callback within {} s ({webhooks} status webhook(s) for the payment, {} other request(s) to the \
             listener)",
            wait.as_secs_f32(),
            listener.others()
        ));
    };
    let payment = read_payment(w, &created.uuid).await?;
    let paid = integer(payment.get("payment_amount"));
    let total = integer(payment.get("total_amount"));
    let amount = callback.get("amount");
    let mut lines = Vec::new();
    match (integer(amount), paid, total) {
        (None, _, _) => lines.push(format!("the callback's amount is not a whole number: {}", kind(amount))),
        (Some(_), None, None) => lines.push("the payment read has neither payment_amount nor total_amount".into()),
        (Some(c), paid, total) => lines.push(amount_relation(c, paid, total)),
    }
    lines.push(format!("the callback's amount is a JSON {}", kind(amount)));
    let uuid = callback.get("uuid").and_then(Value::as_str);
    lines.push(match uuid {
        Some(uuid) if uuid == created.uuid => "the callback's uuid is the payment's uuid".to_string(),
        Some(_) => "the callback's uuid is not the payment's uuid".to_string(),
        None => "the callback has no uuid string".to_string(),
    });
    let webhooks = listener.heard(&created.uuid).iter().filter(|b| !is_success_callback(b)).count();
    if webhooks > 0 {
        lines.push(format!("{webhooks} status webhook(s) came for the payment too"));
    }
    Ok(lines)
}

/// `equal to total_amount, not payment_amount`, and the like.
pub fn amount_relation(amount: i64, paid: Option<i64>, total: Option<i64>) -> String {
    let mut named: Vec<Quantity<'_>> = Vec::new();
    named.extend(paid.map(|p| ("payment_amount", p)));
    named.extend(total.map(|t| ("total_amount", t)));
    let missing = match (paid, total) {
        (None, _) => " (the payment has no payment_amount)",
        (_, None) => " (the payment has no total_amount)",
        _ => "",
    };
    match (paid.filter(|p| *p == amount), total.filter(|t| *t == amount)) {
        (Some(_), Some(_)) => "equal to payment_amount and to total_amount, which are equal (no commission): \
                               undecidable"
            .to_string(),
        (Some(_), None) => format!("equal to payment_amount, not total_amount{missing}"),
        (None, Some(_)) => format!("equal to total_amount, not payment_amount{missing}"),
        (None, None) => {
            let mut scaled: Vec<(String, i64)> = Vec::new();
            for (name, value) in &named {
                scaled.push((format!("{name} × 100"), value.saturating_mul(100)));
                if value % 100 == 0 {
                    scaled.push((format!("{name} / 100"), value / 100));
                }
            }
            let scaled: Vec<Quantity<'_>> = scaled.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            match equal_to(amount, &scaled) {
                Some(names) => format!("equal to neither payment_amount nor total_amount, but to {names}{missing}"),
                None => format!("equal to neither payment_amount nor total_amount{missing}"),
            }
        }
    }
}

/// Probe b: a payment, two partial refunds ([`REFUND`], then
/// [`SECOND_REFUND`]), the payment read before and after each.
pub async fn partial_refunds(w: &mut Walker<'_>) -> Probe {
    Probe::from_result(&PARTIAL_REFUNDS, measure_refunds(w).await)
}

async fn refund(w: &mut Walker<'_>, uuid: &str, amount: i64) -> Result<(), String> {
    let body = json!({"refund_amount": amount, "ofd": ofd(amount)});
    let reply = w.send("partial_refund_payment", &[("uuid", uuid)], &[], Some(body)).await;
    if reply.accepted() { Ok(()) } else { Err(ended(&reply, &w.sent)) }
}

async fn measure_refunds(w: &mut Walker<'_>) -> Result<Vec<String>, String> {
    let created = create_payment(w, &format!("{}-b", w.order), None).await?;
    confirm_payment(w, &created).await?;
    let paid = read_payment(w, &created.uuid).await?;
    refund(w, &created.uuid, REFUND).await.map_err(|e| format!("the first partial refund: {e}"))?;
    let once = read_payment(w, &created.uuid).await?;
    let second = refund(w, &created.uuid, SECOND_REFUND).await;
    let twice = match &second {
        Ok(()) => Some(read_payment(w, &created.uuid).await?),
        Err(_) => None,
    };
    let mut lines = refund_changes(w, &paid, &once, twice.as_ref());
    if let Err(e) = second {
        lines.push(format!("the second partial refund: {e}"));
    }
    Ok(lines)
}

/// The quantities a field may equal after `k` refunds.
fn quantities(paid: Option<i64>, this: i64, so_far: i64) -> Vec<(&'static str, i64)> {
    let mut q = vec![("the refund", this), ("the refunds so far", so_far)];
    if let Some(paid) = paid {
        q.push(("the amount paid", paid));
        q.push(("the amount paid minus the refunds so far", paid - so_far));
    }
    q
}

/// One line per field that changed (`status` always), then the fields
/// that did not.
pub fn refund_changes(w: &Walker<'_>, paid: &Value, once: &Value, twice: Option<&Value>) -> Vec<String> {
    let amount = integer(paid.get("payment_amount"));
    let first = quantities(amount, REFUND, REFUND);
    let second = quantities(amount, SECOND_REFUND, REFUND + SECOND_REFUND);
    let keys: BTreeSet<&String> = [Some(paid), Some(once), twice]
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|map| map.keys())
        .collect();
    let mut lines = Vec::new();
    let mut unchanged = Vec::new();
    for key in keys {
        let name = shown_name(key, &w.sent);
        if key == "status" {
            let mut seen = vec![status(w.spec, "PaymentStatus", paid.get(key), &w.sent)];
            seen.push(status(w.spec, "PaymentStatus", once.get(key), &w.sent));
            seen.extend(twice.map(|t| status(w.spec, "PaymentStatus", t.get(key), &w.sent)));
            lines.insert(0, format!("status {}", seen.join("→")));
            continue;
        }
        let one = change(paid.get(key), once.get(key), &first);
        let two = twice.map(|t| change(once.get(key), t.get(key), &second));
        if one == "unchanged" && two.as_deref().is_none_or(|t| t == "unchanged") {
            unchanged.push(name);
            continue;
        }
        match two {
            Some(two) => lines.push(format!("{name}: first refund {one}; second refund {two}")),
            None => lines.push(format!("{name}: first refund {one}")),
        }
    }
    if !unchanged.is_empty() {
        unchanged.dedup();
        lines.push(format!("unchanged: {}", unchanged.join(", ")));
    }
    lines
}

/// Probe c: an invoice created twice with one `invoice_id`, then a
/// payment created twice with another (the first left a draft: neither is
/// confirmed, nothing moves).
pub async fn duplicate_invoice_id(w: &mut Walker<'_>) -> Probe {
    let invoice = duplicate_invoice(w).await;
    let payment = duplicate_payment(w).await;
    if let (Err(invoice), Err(payment)) = (&invoice, &payment) {
        return Probe::not_measured(&DUPLICATE_INVOICE_ID, format!("invoice: {invoice}; payment: {payment}"));
    }
    let lines: Vec<String> = [("invoice", invoice), ("payment (the first left a draft, neither confirmed)", payment)]
        .into_iter()
        .map(|(what, result)| match result {
            Ok(line) => format!("{what}: {line}"),
            Err(why) => format!("{what}: {NOT_MEASURED}{why}"),
        })
        .collect();
    Probe::measured(&DUPLICATE_INVOICE_ID, lines)
}

/// How the second create of the same `invoice_id` went.
fn second_create(first: &str, second: &Reply, sent: &[String]) -> String {
    if !second.accepted() {
        return format!("a second create with the same invoice_id is {}", ended(second, sent));
    }
    match second.learn("/data/uuid") {
        Some(uuid) if uuid == first => {
            "a second create with the same invoice_id is accepted: the same one (same uuid)".into()
        }
        Some(_) => "a second create with the same invoice_id is accepted: another one (another uuid)".into(),
        None => "a second create with the same invoice_id is accepted, without a uuid".into(),
    }
}

async fn duplicate_invoice(w: &mut Walker<'_>) -> Result<String, String> {
    let invoice_id = format!("{}-c", w.order);
    let first = create_invoice(w, &invoice_id).await;
    let Some(uuid) = first.learn("/data/uuid").filter(|_| first.accepted()) else {
        return Err(failed("the first create_invoice", &first, &w.sent));
    };
    let second = create_invoice(w, &invoice_id).await;
    let line = second_create(&uuid, &second, &w.sent);
    delete_invoice(w, &uuid).await;
    if let Some(other) = second.learn("/data/uuid").filter(|u| second.accepted() && *u != uuid) {
        delete_invoice(w, &other).await;
    }
    Ok(line)
}

async fn duplicate_payment(w: &mut Walker<'_>) -> Result<String, String> {
    let invoice_id = format!("{}-c-p", w.order);
    let first = create_payment(w, &invoice_id, None).await?;
    let body = payment_body(w, &invoice_id, None)?;
    let second = w.send("create_payment", &[], &[], Some(body)).await;
    Ok(second_create(&first.uuid, &second, &w.sent))
}

#[cfg(test)]
mod tests {
    use super::amount_relation;

    #[test]
    fn the_callback_amount_is_named_by_what_it_equals() {
        let undecidable = "equal to payment_amount and to total_amount, which are equal (no commission): undecidable";
        assert_eq!(amount_relation(100, Some(100), Some(100)), undecidable);
        assert_eq!(amount_relation(100, Some(100), Some(102)), "equal to payment_amount, not total_amount");
        assert_eq!(amount_relation(102, Some(100), Some(102)), "equal to total_amount, not payment_amount");
        assert_eq!(amount_relation(7, Some(100), Some(102)), "equal to neither payment_amount nor total_amount");
        assert_eq!(
            amount_relation(1, Some(100), Some(102)),
            "equal to neither payment_amount nor total_amount, but to payment_amount / 100"
        );
        assert_eq!(
            amount_relation(10_200, Some(100), Some(102)),
            "equal to neither payment_amount nor total_amount, but to total_amount × 100"
        );
        assert_eq!(
            amount_relation(100, Some(100), None),
            "equal to payment_amount, not total_amount (the payment has no total_amount)"
        );
    }
}
