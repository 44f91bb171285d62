//! The `payouts` group: credits to a card (bound or by number), at once or
//! confirmed with a one-time code, with identity data above a threshold.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::state::{Outcome, Payment, World};
use super::values::{
    card_not_found, hex, integer, masked, need, new_uuid, not_found, now, param, payment_system_of, text,
};
use super::{Answer, STORE_ID, TEST_OTP};

/// 10 million UZS in tiyin: payouts above it need `kyc_data`.
const KYC_THRESHOLD: i64 = 1_000_000_000;

pub(super) fn operate(
    world: &mut World,
    operation: &str,
    params: &BTreeMap<&'static str, String>,
    body: &Value,
) -> Outcome {
    let uuid = param(params, "payment_uuid");
    match operation {
        "create_payout" => create(world, body),
        "confirm_payout" => {
            let base_url = world.base_url.clone();
            let Some(payout) = world.payments.get_mut(uuid).filter(|p| p.is_payout) else {
                return (not_found(400), Vec::new());
            };
            if payout.model["status"] != "draft" {
                return (Answer::fields("Выплата подтверждена ранее"), Vec::new());
            }
            if text(body, "otp").as_deref() != Some(TEST_OTP) {
                return (Answer::error(400, "ERROR_WRONG_OTP", "Неверный код подтверждения"), Vec::new());
            }
            payout.model["status"] = json!("success");
            payout.model["payment_time"] = json!(now());
            payout.model["ps_id"] = json!(hex(10));
            payout.model["ps_uniq_id"] = json!(hex(12));
            payout.model["receipt_url"] = json!(format!("{base_url}/sandbox/credit/check/{uuid}"));
            (Answer::ok(payout.model.clone()), Vec::new())
        }
        "get_payout" => match world.payments.get(uuid).filter(|p| p.is_payout) {
            Some(payout) => (Answer::ok(payout.model.clone()), Vec::new()),
            None => (not_found(404), Vec::new()),
        },
        _ => (super::state::no_route(), Vec::new()),
    }
}

fn create(world: &mut World, body: &Value) -> Outcome {
    let card = need!(body.get("card").filter(|c| c.is_object()).cloned(), "Card");
    let amount = need!(integer(body, "amount").filter(|a| *a > 0), "Amount");
    let _ = need!(text(body, "store_id"), "Store Id");
    let invoice_id = need!(text(body, "invoice_id"), "Invoice Id");
    let (token, pan) = (text(&card, "token"), text(&card, "pan"));
    let pan = match (&token, &pan) {
        (Some(token), _) => world.active_card(token),
        (None, Some(pan)) if pan.len() == 16 && pan.bytes().all(|b| b.is_ascii_digit()) => Some(pan.clone()),
        _ => None,
    };
    let Some(pan) = pan else { return (card_not_found(200), Vec::new()) };
    if amount > KYC_THRESHOLD && !body.get("kyc_data").is_some_and(|k| k.is_object()) {
        return (
            Answer::error(200, "ERROR_FIELDS", "Для пополнения на эту сумму необходимо пройти идентификацию"),
            Vec::new(),
        );
    }
    let confirmable = body.get("confirmable").and_then(Value::as_bool).unwrap_or(false);
    let uuid = new_uuid();
    let id = world.id();
    let success = !confirmable;
    let model = json!({
        "id": id, "uuid": uuid, "store_id": STORE_ID, "multicard_user_id": null, "ps": payment_system_of(&pan),
        "store_invoice_id": invoice_id, "merchant_id": "01200000119700D", "terminal_id": "186368T6", "payment_amount": amount,
        "commission_amount": 0, "commission_type": "up", "total_amount": amount, "phone": null, "card_token": token,
        "card_pan": masked(&pan), "ps_id": if success { Some(hex(10)) } else { None },
        "ps_uniq_id": if success { Some(hex(12)) } else { None }, "status": if success { "success" } else { "draft" },
        "ps_response_code": null, "ps_response_msg": null, "payment_time": if success { Some(now()) } else { None },
        "callback_url": text(body, "callback_url"), "kyc_data": body.get("kyc_data").filter(|k| k.is_object()).map(|k| k.to_string()),
        "added_on": now(), "store": World::store(),
        "receipt_url": if success { Some(format!("{}/sandbox/credit/check/{uuid}", world.base_url)) } else { None },
    });
    world.payments.insert(
        uuid.clone(),
        Payment { model: model.clone(), kind: "payout", needs_otp: confirmable, refunded: 0, is_payout: true },
    );
    world.order.push(uuid);
    (Answer::ok(model), Vec::new())
}
