//! Column values to and from the SDK's types: payment statuses, stored
//! decisions, timestamps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use multicard_api::escape_controls;
use multicard_api::fulfilment::StoredDecision;
use multicard_api::types::PaymentStatus;

pub(crate) fn status_text(status: &PaymentStatus) -> Option<String> {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(text)) => Some(text),
        _ => None,
    }
}

pub(crate) fn parse_status(text: String) -> PaymentStatus {
    serde_json::from_value(serde_json::Value::String(text)).unwrap_or(PaymentStatus::Draft)
}

pub(crate) fn stored_decision(
    decision: &str,
    message: Option<String>,
    credited_by: Option<String>,
) -> Result<StoredDecision, String> {
    match decision {
        "accepted" => Ok(StoredDecision::Accepted),
        "refused" => Ok(StoredDecision::Refused { message: message.unwrap_or_default() }),
        "duplicate" => Ok(StoredDecision::DuplicatePaymentForOrder { credited: credited_by.unwrap_or_default() }),
        other => Err(format!("a fulfilment row with the decision {:?}", escape_controls(other))),
    }
}

pub(crate) fn system_time(micros: i64) -> SystemTime {
    if micros >= 0 {
        UNIX_EPOCH + Duration::from_micros(micros.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_micros(micros.unsigned_abs())
    }
}
