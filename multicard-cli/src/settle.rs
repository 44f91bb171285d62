//! `multicard settle`: after an outcome unknown (exit 5), whether the write
//! was applied, by the SDK's settle for its kind
//! (`multicard_api::Multicard::settle_write`). It reads only; it never sends
//! the write again.

use std::time::Duration;

use clap::{Arg, ArgMatches, Command};
use multicard_api::Settle;
use multicard_api::settle::{LostWrite, Verdict, Write, WriteKind};
use multicard_api::time::MulticardDateTime;
use serde_json::{Value, json};

use crate::failure::{Failure, fail, printable, shell_quote};
use crate::output::Format;
use crate::{console, exit, money, session};

/// What `multicard settle --help` adds.
const HELP: &str = "\
Reads what the write changes (the payment, payout or hold) until the reads give evidence, and
prints the verdict. It never sends the write again. Each lost write's exit 5 prints the exact
command, e.g.
`multicard settle partial-refund --payment a81b7b62-6d86-11f0-9a1b-00505680eaf6 --amount 40000tiyin`.

  applied        the write took effect: do not send it again                       exit 0
  not applied    positive evidence it did not, and cannot later: it may be made     exit 13
                 again
  still moving   money is moving (progress, billing): run this again later; do     exit 12
                 not send the write again
  undetermined   no evidence by the deadline: do not send it again; check the       exit 5
                 Multicard cabinet

A lost partial refund is always undetermined (no read shows what it changed). A lost create is
searched for by its invoice_id in the store's registry, from 5 minutes before --sent-at (by
Multicard's clock, as the exit-5 message prints it) to a minute after the search starts: applied
when exactly one row has it; give it --within of more than 60 seconds. Without --sent-at it is
undetermined (look for its invoice_id in the cabinet or the registry).";

/// The fields, as `Write::fields` names them, their flags and help.
const FIELDS: [(&str, &str, &str); 6] = [
    ("payment", "payment", "The payment's uuid (confirm-payment, refund, partial-refund)"),
    ("hold", "hold", "The hold's id (charge-hold, cancel-hold)"),
    ("payout", "payout", "The payout's uuid (confirm-payout)"),
    ("amount", "amount", "The amount with its unit, e.g. 40000tiyin or 400sum (partial-refund: required)"),
    ("invoice_id", "invoice-id", "The merchant's invoice_id (create-*)"),
    ("store_id", "store-id", "The store_id (create-*)"),
];

/// The subcommand.
pub(crate) fn command() -> Command {
    let kinds: Vec<&'static str> = WriteKind::ALL.iter().map(|k| k.as_str()).collect();
    let mut command = Command::new("settle")
        .about("After an outcome unknown (exit 5): whether the write was applied (reads only; never sends it again)")
        .after_help(HELP)
        .arg(Arg::new("kind").required(true).value_parser(kinds).help("The kind of write"))
        .arg(
            Arg::new("within")
                .long("within")
                .value_parser(clap::value_parser!(u64))
                .default_value("120")
                .help("Seconds to keep reading"),
        )
        .arg(
            Arg::new("min-read-delay")
                .long("min-read-delay")
                .value_parser(clap::value_parser!(u64))
                .default_value("5")
                .help("Seconds after which a read counts as evidence (reads may lag behind writes)"),
        )
        .arg(Arg::new("sent-at").long("sent-at").help(
            "create-*: when it was sent, by Multicard's clock (YYYY-MM-DD HH:MM:SS, GMT+5), as the exit-5 message prints it",
        ));
    for (name, flag, help) in FIELDS {
        command = command.arg(Arg::new(name).long(flag).help(help));
    }
    command
}

/// The fields of `lost` as `multicard settle` takes them: the amount with
/// its unit (`40000tiyin`).
fn fields(lost: &LostWrite) -> Vec<(&'static str, String)> {
    let with_unit = |value: String| match value.parse::<i64>() {
        Ok(tiyin) => money::flag_value(tiyin),
        Err(_) => value,
    };
    lost.write
        .fields()
        .into_iter()
        .map(|(name, value)| if name == "amount" { (name, with_unit(value)) } else { (name, value) })
        .collect()
}

/// The command that settles `lost` (a create with the time it was sent).
pub(crate) fn settle_command(lost: &LostWrite) -> String {
    let mut out = format!("multicard settle {}", lost.write.kind());
    for (name, value) in fields(lost) {
        out.push_str(&format!(" --{} {}", name.replace('_', "-"), shell_quote(&printable(&value))));
    }
    if let Some(sent_at) = sent_at(lost) {
        out.push_str(&format!(" --sent-at {}", shell_quote(&sent_at)));
    }
    out
}

/// When a lost create was sent, by Multicard's clock, as `--sent-at` takes it.
fn sent_at(lost: &LostWrite) -> Option<String> {
    let create =
        matches!(lost.write, Write::CreatePayment { .. } | Write::CreateInvoice { .. } | Write::CreatePayout { .. });
    lost.sent_at.filter(|_| create).map(|at| at.to_string())
}

/// `lost`, its settle command included, as JSON fields.
pub(crate) fn settle_fields(lost: &LostWrite) -> Value {
    let mut fields = serde_json::Map::new();
    fields.insert("kind".into(), json!(lost.write.kind().as_str()));
    for (name, value) in self::fields(lost) {
        fields.insert(name.into(), json!(value));
    }
    if let Some(sent_at) = sent_at(lost) {
        fields.insert("sent_at".into(), json!(sent_at));
    }
    fields.insert("command".into(), json!(settle_command(lost)));
    Value::Object(fields)
}

pub(crate) async fn run(matches: &ArgMatches, args: &ArgMatches) -> Result<(), Failure> {
    let kind = args.get_one::<String>("kind").and_then(|k| WriteKind::parse(k)).expect("a known kind (clap)");
    // The amount takes its unit; the SDK's write takes it in tiyin.
    let amount = match args.get_one::<String>("amount") {
        Some(text) => Some(money::parse("--amount", text).map_err(|m| fail(exit::USAGE, m))?.tiyin().to_string()),
        None => None,
    };
    let given: Vec<(&str, &str)> = FIELDS
        .iter()
        .filter_map(|(name, _, _)| match *name {
            "amount" => amount.as_deref().map(|v| (*name, v)),
            _ => args.get_one::<String>(name).map(|v| (*name, v.as_str())),
        })
        .collect();
    let write = Write::from_fields(kind, &given).map_err(|m| fail(exit::USAGE, m))?;
    let seconds = |name: &str| Duration::from_secs(*args.get_one::<u64>(name).expect("a default"));
    let settle = Settle::within(seconds("within")).with_min_read_delay(seconds("min-read-delay"));
    let format = match matches.get_one::<String>("output") {
        Some(text) => Format::parse(text).ok_or_else(|| fail(exit::USAGE, format!("unknown output `{text}`")))?,
        None => Format::Table,
    };
    let sandbox = session::sandbox(matches).await?;
    let multicard = session::client(sandbox.as_ref())?;
    let mut lost = LostWrite::new(write);
    if let Some(text) = args.get_one::<String>("sent-at") {
        let at = text.parse::<MulticardDateTime>().map_err(|e| fail(exit::USAGE, format!("--sent-at: {e}")))?;
        lost = lost.sent_at(at);
    }
    let verdict = multicard.settle_write(&lost, settle).await;
    let text = printable(&verdict.to_string());
    match format {
        Format::Json => {
            let shown = json!({
                "verdict": verdict.as_str(),
                "why": printable(verdict.why()),
                "status": verdict.last().map(|l| l.status()),
                "write": settle_fields(&lost),
            });
            console::print(&serde_json::to_string_pretty(&shown).unwrap_or_default())?;
        }
        _ => console::print(&text)?,
    }
    match verdict {
        Verdict::Applied { .. } => Ok(()),
        Verdict::NotApplied { .. } => Err(fail(exit::NOT_APPLIED, text)),
        Verdict::StillMoving { .. } => Err(fail(exit::NOT_FINAL, text)),
        _ => Err(fail(exit::OUTCOME_UNKNOWN, text)),
    }
}
