//! The `reports` group: application and merchant-account info, and the
//! registries of payments and payouts with filters, paging and totals.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::state::{Outcome, STORE_UUID, World};
use super::values::{missing, now, param};
use super::{Answer, STORE_ID, SandboxConfig};
use crate::time::MulticardDateTime;

pub(super) fn operate(
    config: &SandboxConfig,
    world: &mut World,
    operation: &str,
    params: &BTreeMap<&'static str, String>,
    query: &BTreeMap<String, String>,
) -> Outcome {
    match operation {
        "get_application" => (
            Answer::ok(
                json!({"id": 9, "application_id": config.application_id, "wallet_sum": 0, "wallet_sender_account": null,
                "wallet_overdraft": 0, "wallet_contract_num": null, "otp_required": 1, "otp_gateway": null, "sms_nickname": null,
                "allow_bank_transaction": 0, "otp_length": 6, "official_name": "Sandbox LLC", "offer_url": null, "phone": null,
                "added_on": "2024-01-01 00:00:00", "updated_on": now(), "stores": [World::store()]}),
            ),
            Vec::new(),
        ),
        "get_merchant_account" => (
            Answer::ok(json!({"id": 1, "uuid": param(params, "recipient"), "merchant_id": 1, "tin": "123456789",
                "official_name": "Sandbox LLC", "mfo": "00450", "account_no": "20208000900000000001", "address": "Tashkent",
                "director": "Sandbox Director", "director_pinfl": "31105892514010", "vat_payer": false, "is_commitent": false,
                "contract_no": null, "contract_date": null, "active": 1, "tax_contract_begin": "2024-01-01",
                "tax_contract_end": "2030-01-01"})),
            Vec::new(),
        ),
        "list_payments" | "list_payouts" => {
            (registry(world, operation == "list_payouts", param(params, "store_id"), query), Vec::new())
        }
        _ => (super::state::no_route(), Vec::new()),
    }
}

fn registry(world: &World, payouts: bool, store: &str, query: &BTreeMap<String, String>) -> Answer {
    if store != STORE_ID.to_string() && store != STORE_UUID {
        return Answer::error(403, "ERROR_ACCESS_DENIED", "Доступ запрещен");
    }
    let number = |name: &str| query.get(name).and_then(|v| v.trim().parse::<i64>().ok());
    let date = |name: &str| query.get(name).and_then(|v| v.parse::<MulticardDateTime>().ok());
    let Some(offset) = number("offset").filter(|o| *o >= 0) else { return missing("Offset") };
    let Some(limit) = number("limit").filter(|l| (1..=1000).contains(l)) else { return missing("Limit") };
    let Some(start) = date("start_date") else { return missing("Start Date") };
    let Some(end) = date("end_date") else { return missing("End Date") };
    let only = query.get("only_status").filter(|s| !s.is_empty());
    if payouts && only.is_none() {
        return missing("Only Status");
    }
    let rows: Vec<&Value> = world
        .order
        .iter()
        .filter_map(|uuid| world.payments.get(uuid))
        .filter(|p| {
            p.is_payout == payouts && p.kind != "hold" || (p.kind == "hold" && !payouts && p.model["status"] != "draft")
        })
        .map(|p| &p.model)
        .filter(|m| {
            let added = m["added_on"].as_str().and_then(|a| a.parse::<MulticardDateTime>().ok());
            added.is_some_and(|a| a >= start && a <= end) && only.is_none_or(|s| m["status"] == s.as_str())
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
    Answer::ok(data)
}
