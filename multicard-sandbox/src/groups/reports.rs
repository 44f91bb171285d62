//! The `reports` group: application and merchant-account info, and the
//! registries of payments and payouts with filters, paging and totals.

use std::collections::BTreeMap;

use axum::extract::State;
use multicard_api::time::MulticardDateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::answer::{Answer, Refusal};
use crate::config::STORE_ID;
use crate::extract::{Filters, Param};
use crate::registry::Registry;
use crate::state::{App, Outcome};
use crate::world::World;
use crate::world::kinds::{PaymentKind, PaymentStatus};
use crate::world::values::is_our_store;

pub(crate) fn register(registry: &mut Registry) {
    registry
        .add("get_application", get_application)
        .add("get_merchant_account", get_merchant_account)
        .add("list_payments", list_payments)
        .add("list_payouts", list_payouts);
}

async fn get_application(State(app): State<App>) -> Answer {
    app.run(|world, config| {
        Ok(Outcome::ok(json!({"id": 9, "application_id": config.application_id, "wallet_sum": 0,
            "wallet_sender_account": null, "wallet_overdraft": 0, "wallet_contract_num": null, "otp_required": 1,
            "otp_gateway": null, "sms_nickname": null, "allow_bank_transaction": 0, "otp_length": 6,
            "official_name": "Sandbox LLC", "offer_url": null, "phone": null, "added_on": "2024-01-01 00:00:00",
            "updated_on": world.stamp(),
            // Production's stores carry `id` (observed); what else is not
            // known, so the sandbox sends nothing more.
            "stores": [{"id": STORE_ID}]})))
    })
}

async fn get_merchant_account(State(app): State<App>, Param(recipient): Param<String>) -> Answer {
    app.run(|_, _| {
        Ok(Outcome::ok(json!({"id": 1, "uuid": recipient, "merchant_id": 1, "tin": "123456789",
            "official_name": "Sandbox LLC", "mfo": "00450", "account_no": "20208000900000000001", "address": "Tashkent",
            "director": "Sandbox Director", "director_pinfl": "31105892514010", "vat_payer": false, "is_commitent": false,
            "contract_no": null, "contract_date": null, "active": 1, "tax_contract_begin": "2024-01-01",
            "tax_contract_end": "2030-01-01"})))
    })
}

/// The filters and paging of a registry, as sent (each is checked, and
/// refused by name, by [`registry`]).
#[derive(Debug, Deserialize)]
struct RegistryQuery {
    offset: Option<String>,
    limit: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    only_status: Option<String>,
}

async fn list_payments(
    State(app): State<App>,
    Param(store): Param<String>,
    Filters(query): Filters<RegistryQuery>,
) -> Answer {
    app.run(|world, _| registry(world, false, &store, &query))
}

async fn list_payouts(
    State(app): State<App>,
    Param(store): Param<String>,
    Filters(query): Filters<RegistryQuery>,
) -> Answer {
    app.run(|world, _| registry(world, true, &store, &query))
}

/// The registry of payments, or of `payouts`, of `store`.
fn registry(world: &World, payouts: bool, store: &str, query: &RegistryQuery) -> Result<Outcome, Refusal> {
    if !is_our_store(store) {
        return Err(Refusal::AccessDenied);
    }
    let number = |value: &Option<String>| value.as_deref().and_then(|v| v.trim().parse::<i64>().ok());
    let date = |value: &Option<String>| value.as_deref().and_then(|v| v.parse::<MulticardDateTime>().ok());
    let offset = number(&query.offset).filter(|o| *o >= 0).ok_or(Refusal::Missing("Offset"))?;
    let limit = number(&query.limit).filter(|l| (1..=1000).contains(l)).ok_or(Refusal::Missing("Limit"))?;
    let start = date(&query.start_date).ok_or(Refusal::Missing("Start Date"))?;
    let end = date(&query.end_date).ok_or(Refusal::Missing("End Date"))?;
    let only = query.only_status.as_deref().filter(|s| !s.is_empty());
    if payouts && only.is_none() {
        return Err(Refusal::Missing("Only Status"));
    }
    let now = world.now();
    let rows: Vec<Value> = world
        .order
        .iter()
        .filter_map(|uuid| world.payments.get(uuid))
        // A row appears `registry_lag` after its payment was made.
        .filter(|p| world.replica.listed(p.created, now))
        .filter(|p| match p.kind {
            // A hold's payment shows once the hold was confirmed.
            PaymentKind::Hold => !payouts && p.status != PaymentStatus::Draft,
            kind => kind.is_payout() == payouts,
        })
        .map(|p| p.model())
        .filter(|m| {
            let added = m["added_on"].as_str().and_then(|a| a.parse::<MulticardDateTime>().ok());
            added.is_some_and(|a| a >= start && a <= end) && only.is_none_or(|s| m["status"] == s)
        })
        .collect();
    let mut stat: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in &rows {
        let key = (
            row["status"].as_str().unwrap_or_default().to_string(),
            row["ps"].as_str().unwrap_or_default().to_string(),
        );
        let total = stat.entry(key).or_default();
        *total = total.saturating_add(row["payment_amount"].as_i64().unwrap_or_default());
    }
    let list: Vec<Value> = rows
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|m| {
            let mut item = json!({"id": m["id"], "uuid": m["uuid"], "status": m["status"], "ps": m["ps"],
                "store_invoice_id": m["store_invoice_id"], "payment_amount": m["payment_amount"],
                "commission_amount": m["commission_amount"],
                "added_on": m["added_on"], "billing_id": m["billing_id"], "payment_time": m["payment_time"],
                "card_pan": m["card_pan"], "ps_uniq_id": m["ps_uniq_id"]});
            if payouts {
                item["total_amount"] = m["total_amount"].clone();
            } else {
                item["refund_time"] = m["refund_time"].clone();
            }
            if let Some(map) = item.as_object_mut() {
                // The registry leaves out what a payment does not have yet,
                // and the card token: production rows carry `card_token:
                // null`, which the spec does not allow there (yet), and the
                // SDK reads an absent token as it reads `null`.
                map.retain(|_, v| !v.is_null());
            }
            item
        })
        .collect();
    let stat: Vec<Value> = stat
        .into_iter()
        .map(|((status, ps), amount)| json!({"status": status, "ps": ps, "payment_amount": amount}))
        .collect();
    let data =
        json!({"pagination": {"total": rows.len(), "offset": offset, "limit": limit}, "stat": stat, "list": list});
    Ok(Outcome::ok(data))
}
