//! Probe e: the statuses of a hold and of its payment after a charge and
//! after a cancel.
//!
//! The charge: a fresh hold of [`AMOUNT`] on the bound card, read, confirmed
//! with the one-time code, read, charged in whole (the sandbox's test
//! card), read. A hold that could not be confirmed or charged is cancelled,
//! so no funds stay blocked. The cancel: the hold the walk created and
//! cancelled without confirming, its reads before and after. (A second
//! fresh hold would send the card a fourth one-time code within minutes;
//! the sandboxes refuse that, `ERROR_SMS_TO_MANY`.)

use serde_json::{Value, json};

use super::relation::{ended, failed, status};
use super::steps::NO_CARD;
use super::verdict::{NOT_MEASURED, Probe, Question};
use crate::live::story::{AMOUNT, Reply, TEST_OTP, Walker};

/// Probe e.
pub const HOLD_STATUSES: Question = Question {
    id: "hold_statuses",
    text: "Which statuses do a hold and its payment have after a charge and after a cancel?",
};

/// The hold's status and its payment's, as they may be shown.
fn statuses(w: &Walker<'_>, reply: &Reply) -> (String, String) {
    let data = reply.body.as_ref().and_then(|b| b.get("data"));
    let hold = status(w.spec, "HoldStatus", data.and_then(|d| d.get("status")), &w.sent);
    let payment = match data.and_then(|d| d.get("payment")) {
        Some(Value::Object(payment)) => status(w.spec, "PaymentStatus", payment.get("status"), &w.sent),
        Some(Value::Null) => "null".to_string(),
        Some(_) => "not an object".to_string(),
        None => "absent".to_string(),
    };
    (hold, payment)
}

/// `hold a→b→c; its payment x→y→z`, from reads that were accepted.
fn line(w: &Walker<'_>, reads: &[&Reply]) -> String {
    let seen: Vec<(String, String)> = reads.iter().map(|r| statuses(w, r)).collect();
    let holds: Vec<&str> = seen.iter().map(|(h, _)| h.as_str()).collect();
    let payments: Vec<&str> = seen.iter().map(|(_, p)| p.as_str()).collect();
    format!("hold {}; its payment {}", holds.join("→"), payments.join("→"))
}

/// Probe e.
pub async fn hold_statuses(w: &mut Walker<'_>) -> Probe {
    let charge = charged(w).await;
    let cancel = cancelled(w);
    if let (Err(charge), Err(cancel)) = (&charge, &cancel) {
        return Probe::not_measured(&HOLD_STATUSES, format!("charge: {charge}; cancel: {cancel}"));
    }
    let lines = [
        ("after a charge (created→confirmed→charged)", charge),
        ("after a cancel (created→cancelled, never confirmed)", cancel),
    ]
    .into_iter()
    .map(|(what, result)| match result {
        Ok(line) => format!("{what}: {line}"),
        Err(why) => format!("{what}: {NOT_MEASURED}{why}"),
    })
    .collect();
    Probe::measured(&HOLD_STATUSES, lines)
}

async fn read(w: &mut Walker<'_>, id: &str) -> Result<Reply, String> {
    let reply = w.send("get_hold", &[("payment_uuid", id)], &[], None).await;
    if reply.accepted() { Ok(reply) } else { Err(failed("get_hold", &reply, &w.sent)) }
}

async fn charged(w: &mut Walker<'_>) -> Result<String, String> {
    let token = w.card_token.clone().ok_or(NO_CARD)?;
    let hold = json!({"card": {"token": token}, "amount": AMOUNT, "store_id": w.target.store_id,
        "invoice_id": format!("{}-e", w.order), "expiry": 60});
    let created = w.send("create_hold", &[], &[], Some(hold)).await;
    let Some(id) = created.learn("/data/id").filter(|_| created.accepted()) else {
        return Err(failed("create_hold", &created, &w.sent));
    };
    let first = read(w, &id).await;
    let confirm = w.send("confirm_hold", &[("payment_uuid", &id)], &[], Some(json!({"otp": TEST_OTP}))).await;
    if !confirm.accepted() {
        release(w, &id).await;
        return Err(format!("confirm_hold {} (the hold was cancelled)", ended(&confirm, &w.sent)));
    }
    let active = read(w, &id).await;
    let charge = w.send("charge_hold", &[("payment_uuid", &id)], &[], Some(json!({}))).await;
    if definitely_refused(&charge) {
        release(w, &id).await;
        return Err(format!("charge_hold {} (the hold was cancelled)", ended(&charge, &w.sent)));
    }
    // A charge whose outcome is unknown is never sent again, nor the hold
    // cancelled: the read says what happened.
    let after = read(w, &id).await?;
    let (first, active) = (first?, active?);
    let mut text = line(w, &[&first, &active, &after]);
    if !charge.accepted() {
        text.push_str(&format!(" (charge_hold {}: outcome unknown, read afterwards)", ended(&charge, &w.sent)));
    }
    Ok(text)
}

/// The codes that leave a charge's outcome unknown (the spec's `ErrorCode`).
const UNKNOWN_OUTCOME: [&str; 3] = ["ERROR_DEBIT_UNKNOWN", "ERROR_CALLBACK_TIMEOUT", "ERROR_UNKNOWN"];

/// A refusal that says the charge did not happen: an answer below 500 with
/// `success: false` and an error code that does not leave it unknown.
fn definitely_refused(reply: &Reply) -> bool {
    let body = reply.body.as_ref();
    let code = body.and_then(|b| b.pointer("/error/code")).and_then(Value::as_str);
    reply.status.is_some_and(|s| s < 500)
        && body.and_then(|b| b.get("success")).and_then(Value::as_bool) == Some(false)
        && code.is_some_and(|c| !UNKNOWN_OUTCOME.contains(&c))
}

/// Cancels a hold that could not be charged, so nothing stays blocked.
async fn release(w: &mut Walker<'_>, id: &str) {
    w.send("cancel_hold", &[("payment_uuid", id)], &[], None).await;
}

fn cancelled(w: &Walker<'_>) -> Result<String, String> {
    let Some(hold) = &w.cancelled_hold else { return Err("the walk created no hold".to_string()) };
    if !hold.cancel.accepted() {
        return Err(format!("the walk's cancel_hold {}", ended(&hold.cancel, &w.sent)));
    }
    for (reply, which) in [(&hold.before, "before"), (&hold.after, "after")] {
        if !reply.accepted() {
            return Err(format!("the walk's get_hold {which} the cancel {}", ended(reply, &w.sent)));
        }
    }
    Ok(line(w, &[&hold.before, &hold.after]))
}
