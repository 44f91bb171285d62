//! The receipt probes (`--probe-receipts`, opt-in): what Multicard answers
//! to an invoice whose fiscal receipt breaks a rule its pages are silent on
//! or contradict, so the SDK's warn-or-refuse default
//! (`multicard_api::checks`) can follow evidence. Three invoices of
//! [`AMOUNT`], each breaking one rule and nothing else; each one created is
//! deleted at once (nothing moves), none is sent twice.
//!
//! Recorded in `spec/observed/receipts.json`: per case, the HTTP status,
//! `success` and the error `code`; never the `details` text, an id, a uuid
//! or a token.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::relation::ended;
use super::steps::delete_invoice;
use crate::live::shape::{self, RECEIPTS_FILE};
use crate::live::story::{AMOUNT, Walker};

/// A well-formed product code (17 digits, the vendor's examples').
const MXIK: &str = "06401004002000000";

/// One case: its name, what its request breaks, the rule of
/// `multicard_api::checks` it informs, and its receipt's items.
pub struct Case {
    /// `item_totals_differ_from_amount`.
    pub name: &'static str,
    /// What is wrong with the request, without values.
    pub request: &'static str,
    /// The rule id in `multicard_api::checks::RULES`.
    pub rule: &'static str,
    /// `(price, qty, total, mxik)` of its one item; the amount is [`AMOUNT`].
    pub item: (i64, i64, i64, &'static str),
}

/// The cases, in the order they are sent.
pub const CASES: [Case; 3] = [
    Case {
        name: "item_totals_differ_from_amount",
        request: "an invoice whose one item's total (price × qty, well-formed codes) is below the amount",
        rule: "ofd.totals_match_amount",
        item: (AMOUNT * 2 / 3, 1, AMOUNT * 2 / 3, MXIK),
    },
    Case {
        name: "total_is_not_price_times_qty",
        request: "an invoice whose one item's total equals the amount but not its price × qty",
        rule: "ofd.item.total_is_price_times_qty",
        item: (AMOUNT / 3, 2, AMOUNT, MXIK),
    },
    Case {
        name: "malformed_mxik",
        request: "an invoice whose one item's mxik is 5 digits, not 17 (totals consistent)",
        rule: "ofd.item.mxik_shape",
        item: (AMOUNT, 1, AMOUNT, "12345"),
    },
];

/// What Multicard answered to one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// `error.code` (an `ERROR_…` name; `<value withheld>` when it is not
    /// one), `null` when the answer had none.
    pub code: Option<String>,
    /// What the request breaks.
    pub request: String,
    /// The rule of `multicard_api::checks` the answer informs.
    pub rule: String,
    /// The HTTP status.
    pub status: u16,
    /// The body's `success`, `null` when it had none.
    pub success: Option<bool>,
}

/// The file `receipts.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptsFile {
    /// What the file is.
    pub about: String,
    /// The answered cases, by name.
    pub cases: BTreeMap<String, Answer>,
}

/// What the file says it is.
pub const ABOUT: &str = "cargo xtask live-check --probe-receipts: Multicard's answers to invoices whose fiscal \
                         receipt breaks one rule; HTTP status, success and error code only";

/// What the receipt probes did: the answers, and one report line per case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipts {
    /// The cases that got an answer, by name.
    pub answers: BTreeMap<String, Answer>,
    /// `case  how it ended; what became of the invoice`, in order.
    pub lines: Vec<String>,
}

/// The body of one case.
fn body(w: &Walker<'_>, case: &Case, index: usize) -> Value {
    let (price, qty, total, mxik) = case.item;
    json!({"store_id": w.target.store_id, "amount": AMOUNT, "invoice_id": format!("{}-r{}", w.order, index + 1),
        "callback_url": w.target.callback_url,
        "ofd": [{"qty": qty, "price": price, "mxik": mxik, "total": total, "package_code": "1506113",
                 "name": "live-check"}]})
}

/// Sends each case once, deletes each invoice it created, and says what
/// came back.
pub(crate) async fn run(w: &mut Walker<'_>) -> Receipts {
    let mut out = Receipts::default();
    if w.token.is_none() {
        out.lines = CASES.iter().map(|c| format!("{}  not sent: no token", c.name)).collect();
        return out;
    }
    for (index, case) in CASES.iter().enumerate() {
        let reply = w.send("create_invoice", &[], &[], Some(body(w, case, index))).await;
        let mut line = format!("{}  {}", case.name, ended(&reply, &w.sent));
        let Some(status) = reply.status else {
            // No answer: it may exist, but there is no uuid to delete it by.
            line.push_str("; not recorded (if it was created, delete it in the cabinet)");
            out.lines.push(line);
            continue;
        };
        let body = reply.body.as_ref();
        let code = body.and_then(|b| b.pointer("/error/code")).map(|code| match code.as_str() {
            Some(code) => shape::error_code(code, &w.sent).unwrap_or_else(|| shape::WITHHELD_VALUE.to_string()),
            None => shape::WITHHELD_VALUE.to_string(),
        });
        let success = body.and_then(|b| b.get("success")).and_then(Value::as_bool);
        if let Some(uuid) = reply.learn("/data/uuid").filter(|_| reply.accepted()) {
            delete_invoice(w, &uuid).await;
            line.push_str("; deleted");
        } else if reply.accepted() {
            line.push_str("; accepted without a uuid to delete it by: delete it in the cabinet");
        }
        out.lines.push(line);
        let answer = Answer { code, request: case.request.to_string(), rule: case.rule.to_string(), status, success };
        out.answers.insert(case.name.to_string(), answer);
    }
    out
}

/// Writes `dir/receipts.json` (pretty, keys sorted) when a case was
/// answered; an earlier file stays when none was.
pub fn write(dir: &Path, receipts: &Receipts) -> std::io::Result<Option<PathBuf>> {
    if receipts.answers.is_empty() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir)?;
    let file = dir.join(RECEIPTS_FILE);
    let content = ReceiptsFile { about: ABOUT.to_string(), cases: receipts.answers.clone() };
    let mut text = serde_json::to_string_pretty(&content).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(&file, text)?;
    Ok(Some(file))
}
