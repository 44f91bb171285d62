//! What an SDK error means on the command line: its exit code and the
//! message, with the read or settle that finds out what a write did.

use multicard_api::error::Error;
use multicard_api::outcome::{FieldsReason, WriteOutcome};
use serde_json::{Value, json};

use crate::exit;
use crate::failure::{Failure, fail, printable, shell_quote};
use crate::generated::{CLI_OPERATIONS, Prepared};
use crate::output::json_for_terminal;
use crate::{checks, settle};

/// The command that reads `settle_with` for the request `prepared`:
/// parameters of the same name, from the request's parameters or body.
fn settle_command(settle_with: &str, prepared: &Prepared) -> String {
    let Some(read) = CLI_OPERATIONS.iter().find(|op| op.id == settle_with) else {
        return format!("(the read `{settle_with}`)");
    };
    let body = prepared.body_json();
    let mut out = format!("multicard {} {}", read.group, read.verb);
    for name in read.params {
        let value = prepared.param(name).or_else(|| {
            body.as_ref().and_then(|b| b.get(*name)).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        });
        let flag = name.replace('_', "-");
        match value {
            Some(value) => out.push_str(&format!(" --{flag} {}", shell_quote(&value))),
            None => out.push_str(&format!(" --{flag} <{name}>")),
        }
    }
    out
}

/// What to do after a conflict, by its typed reason.
fn conflict_advice(error: &Error) -> &'static str {
    match error.fields_reason() {
        Some(FieldsReason::AlreadyConfirmed) => {
            "CONFLICT: an earlier confirm of this payment was accepted. That does NOT mean it is paid: \
             read the payment (success: paid; error: declined; anything else: still moving). Do not confirm it again."
        }
        Some(FieldsReason::InvoiceAlreadyPaid) => {
            "CONFLICT: the invoice was NOT cancelled: its transaction is complete (it was paid). Check its payment."
        }
        _ => {
            "CONFLICT: the target is already past the state this write needs, perhaps because an earlier attempt \
             applied. Do not send it again; read it and act on what it says."
        }
    }
}

/// The typed reason of an `ERROR_FIELDS` answer, as the error object
/// names it, and the field it names.
fn fields_reason(reason: &FieldsReason) -> (&'static str, Option<&str>) {
    match reason {
        FieldsReason::AlreadyConfirmed => ("already_confirmed", None),
        FieldsReason::InvoiceAlreadyPaid => ("invoice_already_paid", None),
        FieldsReason::IdentificationRequired => ("identification_required", None),
        FieldsReason::FieldMissing { field } => ("field_missing", Some(field)),
        FieldsReason::FieldInvalid { field } => ("field_invalid", Some(field)),
        FieldsReason::BadStore => ("bad_store", None),
        FieldsReason::PinflFormat => ("pinfl_format", None),
        FieldsReason::ScanCodeRejected => ("scan_code_rejected", None),
        _ => ("other", None),
    }
}

/// What kind of SDK error it is, as the error object's `reason`: for
/// Multicard's error envelope, the SDK's class of it.
fn reason(error: &Error) -> &'static str {
    match error {
        Error::Api { .. } => match error.outcome() {
            Some(WriteOutcome::Conflict) => "conflict",
            Some(WriteOutcome::Declined) => "declined",
            Some(WriteOutcome::OutcomeUnknown) => "outcome_unknown",
            _ => "rejected",
        },
        Error::OutcomeUnknown { .. } => "outcome_unknown",
        Error::Authentication { .. } | Error::Unauthorized { .. } => "authentication",
        Error::Transport { .. } => "transport",
        Error::ResponseTooLarge { .. } => "response_too_large",
        Error::UnexpectedResponse { .. } => "unexpected_response",
        Error::Undecodable { .. } => "undecodable",
        Error::NotSent { .. } => "not_sent",
        Error::RequestRefused { .. } => "request_refused",
        Error::NotSettled { .. } => "not_settled",
        Error::InvalidRequest { .. } => "invalid_request",
        Error::InvalidConfiguration { .. } => "invalid_configuration",
        _ => "other",
    }
}

/// The exit code, message and error object of an SDK error.
pub(crate) fn report(error: &Error, prepared: &Prepared) -> Failure {
    let mut failure = classify(error, prepared).with("reason", reason(error));
    if let Some(code) = error.code() {
        failure = failure.with("code", printable(code.as_str()));
    }
    if let Some(status) = error.status() {
        failure = failure.with("status", status);
    }
    if let Some(reason) = error.fields_reason() {
        let (name, field) = fields_reason(&reason);
        failure = failure.with("fields_reason", name);
        if let Some(field) = field {
            failure = failure.with("field", printable(field));
        }
    }
    if let Some(read) = error.settle_with() {
        failure = failure.with("read", settle_command(read, prepared));
    }
    if let Error::RequestRefused { findings, .. } = error {
        let findings: Vec<Value> = findings
            .iter()
            .map(|f| json!({"rule": f.rule.id, "field": printable(&f.field), "message": printable(&f.message)}))
            .collect();
        failure = failure.with("findings", findings);
    }
    if error.is_outcome_unknown() {
        failure =
            failure.with("advice", "money may have moved; do not send it again unless a settle says `not applied`");
        if let Some(lost) = error.lost_write() {
            failure = failure.with("settle", settle::settle_fields(lost));
        }
    }
    failure
}

/// The exit code and message of an SDK error.
fn classify(error: &Error, prepared: &Prepared) -> Failure {
    let shown = printable(&error.to_string());
    let read = |advice: &str, code: u8| {
        let mut message = format!("{shown}\n{advice}");
        if let Some(read) = error.settle_with() {
            message.push_str(&format!("\n  {}", settle_command(read, prepared)));
        }
        fail(code, message)
    };
    match error {
        // `/auth` refusing is an authentication failure, whatever its shape.
        Error::Api { operation: "get_token", .. } => fail(exit::AUTH, shown),
        Error::Api { .. } => match error.outcome() {
            Some(WriteOutcome::Conflict) => read(conflict_advice(error), exit::CONFLICT),
            Some(WriteOutcome::Declined) => read(
                "DECLINED: final; nothing was taken. Read the status to confirm it (`error`); if it says anything \
                 else, treat the outcome as unknown:",
                exit::DECLINED,
            ),
            // The SDK reports these as OutcomeUnknown; kept safe here all the same.
            Some(WriteOutcome::OutcomeUnknown) => fail(exit::OUTCOME_UNKNOWN, shown),
            _ => fail(exit::API, shown),
        },
        Error::Authentication { .. } | Error::Unauthorized { .. } => fail(exit::AUTH, shown),
        Error::Transport { .. } | Error::ResponseTooLarge { .. } => fail(exit::TRANSPORT, shown),
        Error::OutcomeUnknown { settle_with, .. } => {
            let mut message = format!(
                "{shown}\nMONEY MAY HAVE MOVED. The request was not sent again; do not send it again unless a \
                 settle says `not applied`."
            );
            if let Some(lost) = error.lost_write() {
                message.push_str(&format!("\nSettle it before anything else:\n  {}", settle::settle_command(lost)));
                if let Some(read) = settle_with {
                    message.push_str(&format!("\n(its status alone: {})", settle_command(read, prepared)));
                }
            } else if let Some(read) = settle_with {
                message.push_str(&format!(
                    "\nSettle it before anything else; read until the status is final:\n  {}",
                    settle_command(read, prepared)
                ));
            }
            fail(exit::OUTCOME_UNKNOWN, message)
        }
        Error::Undecodable { succeeded, data, .. } => {
            if *succeeded {
                // The operation happened: its raw payload is the answer
                // (data: on stdout; if it cannot be printed, the message
                // on stderr still says it happened).
                let shown = crate::mask::hidden(data.value().clone());
                let _ =
                    crate::console::print(&json_for_terminal(serde_json::to_string_pretty(&shown).unwrap_or_default()));
            }
            fail(exit::UNEXPECTED, shown)
        }
        Error::RequestRefused { operation, findings } => checks::refused_failure(operation, findings),
        // The guard before a refund or a charge refused it: nothing left.
        Error::NotSent { .. } => fail(exit::REFUSED, format!("{shown}\nNothing was sent.")),
        Error::InvalidRequest { .. } | Error::InvalidConfiguration { .. } => fail(exit::USAGE, shown),
        _ => fail(exit::UNEXPECTED, shown),
    }
}

/// What identifies the object a write made or changed, from its answer:
/// its `uuid`, `id` and invoice ids, and its payment's (escaped: they came
/// from the wire).
pub(crate) fn identifiers(data: &Value) -> String {
    let mut found = Vec::new();
    for (prefix, object) in [("", Some(data)), ("payment.", data.get("payment"))] {
        for key in ["uuid", "id", "invoice_id", "store_invoice_id"] {
            match object.and_then(|o| o.get(key)) {
                Some(Value::String(text)) => found.push(format!("{prefix}{key} {}", printable(text))),
                Some(Value::Number(number)) => found.push(format!("{prefix}{key} {number}")),
                _ => {}
            }
        }
    }
    if found.is_empty() { "nothing that identifies it was in the answer".into() } else { found.join(", ") }
}
