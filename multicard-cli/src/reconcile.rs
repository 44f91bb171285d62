//! `multicard reconcile`: where payments and orders stand at Multicard,
//! read-only. No ledger is consulted and nothing is credited: a paid
//! payment is reported `paid_not_checked`. The SDK's
//! `multicard_api::reconcile::Reconciler` does the reading and judging.

use std::io::{BufRead, IsTerminal, Write};

use chrono::{DateTime, Utc};
use clap::{Arg, ArgAction, ArgMatches, Command};
use multicard_api::reconcile::{Finding, Origin, Pending, Reconciler, Report, Standing};
use multicard_api::time::MulticardDateTime;
use serde_json::{Value, json};

use crate::exit;
use crate::failure::{Failure, fail, printable};
use crate::output::Format;
use crate::session;

/// What `multicard reconcile --help` adds.
const HELP: &str = "\
Reads each payment (by uuid) and each order (by --store-id and --invoice-id: found in the
store's payment registry) at Multicard and prints one finding per item. Read-only: no ledger
is consulted and nothing is credited; a paid payment is `paid_not_checked`. A payment in
`billing` (frozen awaiting its callback) is never called paid.

With no uuid and no --invoice-id, the items are read from standard input, one a line: a
payment uuid, or `STORE_ID INVOICE_ID`.

Exit codes:
  0  every item is reconciled (paid, already final, expired, reverted)
 11  at least one item needs attention (frozen in billing, held, an amount mismatch, unknown
     to Multicard, a status this tool does not know)
 12  nothing needs attention, but some items are not final yet (still moving, or could not
     be read): run it again later
  2  usage: no items, an --invoice-id without its store, a bad --since";

/// The subcommand.
pub(crate) fn command() -> Command {
    Command::new("reconcile")
        .about("Where payments and orders stand at Multicard, one finding each (read-only: credits nothing)")
        .after_help(HELP)
        .arg(Arg::new("uuid").num_args(0..).help("Payment uuids"))
        .arg(
            Arg::new("store-id")
                .long("store-id")
                .action(ArgAction::Append)
                .help("The store of each --invoice-id (once for all of them, or once each)"),
        )
        .arg(
            Arg::new("invoice-id")
                .long("invoice-id")
                .action(ArgAction::Append)
                .help("An order id (invoice_id) to find in the store's payment registry (repeatable)"),
        )
        .arg(
            Arg::new("since").long("since").help(
                "Orders were created at or after this time, `YYYY-mm-dd HH:MM:SS` in GMT+5 (default: 3 days ago)",
            ),
        )
        .arg(
            Arg::new("concurrency")
                .long("concurrency")
                .value_parser(clap::value_parser!(usize))
                .default_value("4")
                .help("How many items are read at once"),
        )
}

/// The items asked for, from the arguments or standard input.
fn items(args: &ArgMatches, since: DateTime<Utc>) -> Result<Vec<Pending>, Failure> {
    let many = |name: &str| args.get_many::<String>(name).map(|v| v.cloned().collect::<Vec<_>>()).unwrap_or_default();
    let (uuids, stores, invoices) = (many("uuid"), many("store-id"), many("invoice-id"));
    let mut pending: Vec<Pending> = uuids.into_iter().map(Pending::payment).collect();
    let stores: Vec<String> = match (stores.len(), invoices.len()) {
        (0, 0) => Vec::new(),
        (1, n) => vec![stores[0].clone(); n],
        (s, n) if s == n => stores,
        (s, n) => {
            return Err(fail(exit::USAGE, format!("{n} --invoice-id but {s} --store-id: give one store, or one each")));
        }
    };
    for (store, invoice) in stores.into_iter().zip(invoices) {
        pending.push(Pending::order(store, invoice, since));
    }
    if pending.is_empty() && !std::io::stdin().is_terminal() {
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| fail(exit::USAGE, format!("standard input: {e}")))?;
            let words: Vec<&str> = line.split_whitespace().collect();
            match words[..] {
                [] => {}
                [first, ..] if first.starts_with('#') => {}
                [uuid] => pending.push(Pending::payment(uuid)),
                [store, invoice] => pending.push(Pending::order(store, invoice, since)),
                _ => {
                    return Err(fail(
                        exit::USAGE,
                        format!("standard input: `{}` is neither a uuid nor `STORE_ID INVOICE_ID`", printable(&line)),
                    ));
                }
            }
        }
    }
    if pending.is_empty() {
        return Err(fail(
            exit::USAGE,
            "nothing to reconcile: give payment uuids, --store-id and --invoice-id, or lines on standard input",
        ));
    }
    Ok(pending)
}

fn standing(finding: &Finding) -> &'static str {
    match finding.standing() {
        Standing::Reconciled => "reconciled",
        Standing::Open => "open",
        Standing::NeedsAttention => "needs_attention",
        _ => "unknown",
    }
}

/// One finding as a JSON object (text from the wire escaped).
fn object(finding: &Finding) -> Value {
    let text = |value: &Option<String>| value.as_deref().map(printable);
    json!({
        "finding": finding.kind.name(),
        "standing": standing(finding),
        "store_id": text(&finding.store_id),
        "invoice_id": text(&finding.invoice_id),
        "uuid": text(&finding.uuid),
        "status": finding.status.as_ref().map(|s| printable(&s.to_string())),
        "detail": printable(&finding.kind.describe()),
        "other_payments": finding.other_payments.iter().map(|u| printable(u)).collect::<Vec<_>>(),
        "left_frozen": !matches!(finding.origin, Origin::Asked),
    })
}

fn print(report: &Report, format: Format) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Table {
        let rows: Vec<[String; 6]> = report
            .findings
            .iter()
            .map(|f| {
                let text = |v: &Option<String>| v.as_deref().map(printable).unwrap_or_else(|| "-".into());
                let status = f.status.as_ref().map(|s| printable(&s.to_string())).unwrap_or_else(|| "-".into());
                [
                    f.kind.name().to_string(),
                    standing(f).to_string(),
                    text(&f.store_id),
                    text(&f.invoice_id),
                    text(&f.uuid),
                    status,
                ]
            })
            .collect();
        let header = ["FINDING", "STANDING", "STORE", "INVOICE_ID", "UUID", "STATUS"].map(String::from);
        let mut widths = [0usize; 6];
        for row in std::iter::once(&header).chain(&rows) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for (n, row) in std::iter::once(&header).chain(&rows).enumerate() {
            let cells: Vec<String> = row.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
            writeln!(out, "{}", cells.join("  ").trim_end())?;
            if n > 0 {
                writeln!(out, "    {}", printable(&report.findings[n - 1].kind.describe()))?;
            }
        }
    } else {
        for finding in &report.findings {
            writeln!(out, "{}", object(finding))?;
        }
    }
    out.flush()
}

/// Runs `multicard reconcile`.
pub(crate) async fn run(matches: &ArgMatches, args: &ArgMatches) -> Result<(), Failure> {
    let format = match matches.get_one::<String>("output").map(String::as_str) {
        Some("csv") => return Err(fail(exit::USAGE, "reconcile prints table, json or ndjson (one object a line)")),
        Some(text) => Format::parse(text).ok_or_else(|| fail(exit::USAGE, format!("unknown output `{text}`")))?,
        None if std::io::stdout().is_terminal() => Format::Table,
        None => Format::Json,
    };
    let since = match args.get_one::<String>("since") {
        Some(text) => {
            text.parse::<MulticardDateTime>().map_err(|e| fail(exit::USAGE, format!("--since: {e}")))?.to_utc()
        }
        None => Utc::now() - chrono::Duration::days(3),
    };
    let pending = items(args, since)?;
    let sandbox = session::sandbox(matches).await?;
    let multicard = session::client(sandbox.as_ref())?;
    let concurrency = args.get_one::<usize>("concurrency").copied().unwrap_or(4);
    let report = Reconciler::read_only(multicard).with_concurrency(concurrency).inspect(pending).await;
    print(&report, format).map_err(crate::console::write_failed)?;
    let attention = report.needs_attention().count();
    let open = report.open().count();
    if attention > 0 {
        return Err(fail(exit::ATTENTION, format!("{attention} item(s) need attention")));
    }
    if open > 0 {
        return Err(fail(exit::NOT_FINAL, format!("{open} item(s) not final yet: run it again later")));
    }
    Ok(())
}
