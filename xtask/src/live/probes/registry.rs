//! Probe d: which time the payment registry's date filter applies to, and
//! whether drafts are listed.
//!
//! A payment is created, confirmed after a pause (so its creation time,
//! `added_on`, and its `payment_time` are seconds apart), and looked for
//! in three windows of the registry taken from those two times as the API
//! wrote them (its clock, its zone): around both (the control), around the
//! creation only, around the payment only. A draft payment (never
//! confirmed) and an unpaid invoice are looked for around their creation.

use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::Value;

use super::relation::{TIME_FORMAT, failed, integer, status, time};
use super::steps::{confirm_payment, create_invoice, create_payment, data, delete_invoice, read_payment};
use super::verdict::{NOT_MEASURED, Probe, Question};
use crate::live::story::Walker;

/// Probe d.
pub const REGISTRY_DATE_FILTER: Question = Question {
    id: "registry_date_filter",
    text: "Which time does the payment registry's date filter apply to (created or paid), and are drafts listed?",
};

/// The seconds a window reaches on each side of a time.
const MARGIN: i64 = 1;
/// The least gap between creation and payment that keeps the two windows apart.
pub const LEAST_GAP: i64 = 2 * MARGIN + 1;
/// Rows read per page, and pages read at most.
const PAGE: usize = 100;
const PAGES: usize = 5;

/// What a window of the registry listed.
struct Listing {
    rows: Vec<Value>,
    /// Every row of the window was read.
    complete: bool,
}

impl Listing {
    fn find(&self, field: &str, value: &str) -> Option<&Value> {
        self.rows.iter().find(|row| row.get(field).and_then(Value::as_str) == Some(value))
    }
}

/// The payment registry of the target's store from `start` to `end`.
async fn list(w: &mut Walker<'_>, start: NaiveDateTime, end: NaiveDateTime) -> Result<Listing, String> {
    let store = w.target.store_id.to_string();
    let mut rows = Vec::new();
    for page in 0..PAGES {
        let query = [
            ("offset", (page * PAGE).to_string()),
            ("limit", PAGE.to_string()),
            ("start_date", start.format(TIME_FORMAT).to_string()),
            ("end_date", end.format(TIME_FORMAT).to_string()),
        ];
        let reply = w.send("list_payments", &[("store_id", &store)], &query, None).await;
        let data = data(reply, "list_payments", &w.sent)?;
        let list = data.get("list").and_then(Value::as_array).cloned().unwrap_or_default();
        let total = integer(data.pointer("/pagination/total")).and_then(|t| usize::try_from(t).ok());
        let short = list.len() < PAGE;
        rows.extend(list);
        match total {
            Some(total) if rows.len() >= total => return Ok(Listing { rows, complete: true }),
            None if short => return Ok(Listing { rows, complete: true }),
            _ if short => return Ok(Listing { rows, complete: false }),
            _ => {}
        }
    }
    Ok(Listing { rows, complete: false })
}

/// A window of `MARGIN` seconds around `from` … `to`.
fn window(from: NaiveDateTime, to: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    let margin = chrono::Duration::seconds(MARGIN);
    (from - margin, to + margin)
}

/// Whether `uuid` is listed in a window; `Err` when the window held more
/// rows than were read and it was not among them.
async fn listed(
    w: &mut Walker<'_>,
    (start, end): (NaiveDateTime, NaiveDateTime),
    field: &str,
    value: &str,
) -> Result<Option<Value>, String> {
    let listing = list(w, start, end).await?;
    match listing.find(field, value) {
        Some(row) => Ok(Some(row.clone())),
        None if listing.complete => Ok(None),
        None => Err(format!("the window held more than {} rows: not all read", PAGE * PAGES)),
    }
}

/// Probe d; `pause` separates the payment's creation from its confirmation.
pub async fn registry_date_filter(w: &mut Walker<'_>, pause: Duration) -> Probe {
    Probe::from_result(&REGISTRY_DATE_FILTER, measure(w, pause).await)
}

async fn measure(w: &mut Walker<'_>, pause: Duration) -> Result<Vec<String>, String> {
    let created = create_payment(w, &format!("{}-d", w.order), None).await?;
    tokio::time::sleep(pause).await;
    confirm_payment(w, &created).await?;
    let paid = read_payment(w, &created.uuid).await?;
    let added = time(paid.get("added_on")).ok_or("the paid payment has no added_on time (YYYY-MM-DD HH:MM:SS)")?;
    let at = time(paid.get("payment_time")).ok_or("the paid payment has no payment_time (YYYY-MM-DD HH:MM:SS)")?;
    let gap = (at - added).num_seconds();
    if gap < LEAST_GAP {
        return Err(format!(
            "added_on and payment_time are {gap} s apart (fewer than {LEAST_GAP}): the windows overlap"
        ));
    }
    let uuid = created.uuid.as_str();
    if listed(w, window(added, at), "uuid", uuid).await?.is_none() {
        return Err("the paid payment is not listed even in a window around both its times".to_string());
    }
    let by_created = listed(w, window(added, added), "uuid", uuid).await?.is_some();
    let by_paid = listed(w, window(at, at), "uuid", uuid).await?.is_some();
    let mut lines = vec![
        match (by_created, by_paid) {
            (true, false) => "filters on the creation time (added_on), not payment_time",
            (false, true) => "filters on payment_time, not the creation time (added_on)",
            (true, true) => "lists the payment around either time: cannot tell which the filter uses",
            (false, false) => "lists the payment only in a window spanning both times: neither time alone",
        }
        .to_string(),
    ];
    lines.push(draft_line(w).await);
    lines.push(invoice_line(w).await);
    Ok(lines)
}

/// Whether a payment created and never confirmed is listed.
async fn draft_line(w: &mut Walker<'_>) -> String {
    let what = "a draft payment (created, never confirmed)";
    let result: Result<String, String> = async {
        let draft = create_payment(w, &format!("{}-d-draft", w.order), None).await?;
        let read = read_payment(w, &draft.uuid).await?;
        let added = time(read.get("added_on")).ok_or("the draft has no added_on time")?;
        Ok(match listed(w, window(added, added), "uuid", &draft.uuid).await? {
            Some(row) => format!("listed, status {}", status(w.spec, "PaymentStatus", row.get("status"), &w.sent)),
            None => "not listed".to_string(),
        })
    }
    .await;
    match result {
        Ok(line) => format!("{what}: {line}"),
        Err(why) => format!("{what}: {NOT_MEASURED}{why}"),
    }
}

/// Whether an invoice nobody paid shows in the registry (by its
/// `invoice_id` as `store_invoice_id`); the invoice is deleted afterwards.
async fn invoice_line(w: &mut Walker<'_>) -> String {
    let what = "an unpaid invoice";
    let invoice_id = format!("{}-d-invoice", w.order);
    let reply = create_invoice(w, &invoice_id).await;
    let uuid = reply.learn("/data/uuid").filter(|_| reply.accepted());
    let mut added = reply.body.as_ref().and_then(|b| time(b.pointer("/data/added_on")));
    if let (Some(uuid), None) = (&uuid, added) {
        let read = w.send("get_invoice", &[("uuid", uuid)], &[], None).await;
        added = read.body.as_ref().and_then(|b| time(b.pointer("/data/added_on")));
    }
    let result: Result<String, String> = match (&uuid, added) {
        (None, _) => Err(failed("create_invoice", &reply, &w.sent)),
        (Some(_), None) => Err("the invoice has no added_on time".to_string()),
        (Some(_), Some(added)) => match listed(w, window(added, added), "store_invoice_id", &invoice_id).await {
            Ok(Some(row)) => {
                Ok(format!("listed, status {}", status(w.spec, "PaymentStatus", row.get("status"), &w.sent)))
            }
            Ok(None) => Ok("not listed".to_string()),
            Err(why) => Err(why),
        },
    };
    if let Some(uuid) = uuid {
        delete_invoice(w, &uuid).await;
    }
    match result {
        Ok(line) => format!("{what}: {line}"),
        Err(why) => format!("{what}: {NOT_MEASURED}{why}"),
    }
}
