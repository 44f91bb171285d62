//! Registry exports: every page of `list_payments` / `list_payouts`
//! through the SDK's registry stream, written a page at a time; and the
//! command line's defaults for the registry commands (the registry rule of
//! `multicard-api-build/src/cli/params.rs`): the configured store, the
//! first page, [`DEFAULT_PAGE_SIZE`] rows a page, and today by Multicard's
//! clock, said on stderr.

use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::ArgMatches;
use futures_util::StreamExt;
use multicard_api::Multicard;
use multicard_api::drift::DriftKind;
use multicard_api::registry::{
    DEFAULT_PAGE_SIZE, PAYOUT_STATUS_WALK, RegistryPosition, RegistryQuery, RegistryStream, RegistryWindow,
};
use multicard_api::time::MulticardDateTime;
use multicard_api::types::PaymentStatus;
use serde_json::Value;

use crate::failure::{Failure, fail, printable};
use crate::generated::{CliOperation, Prepared};
use crate::output::{EXTRA, Format, Rows};
use crate::report::report;
use crate::{console, exit, profile};

/// The rows of a registry page's `field`.
pub(crate) fn rows_of(data: &Value, field: &str) -> Vec<Value> {
    data.get(field).and_then(Value::as_array).cloned().unwrap_or_default()
}

/// The format `--from` and `--to` take.
const TIMESTAMP_FORMAT: &str = "YYYY-MM-DD HH:MM:SS (Multicard's clock, GMT+5), e.g. 2025-03-01 00:00:00";

/// `--start-date`/`--end-date` as clap parses them: a Multicard timestamp,
/// or a usage error (exit 2, nothing sent) that clap prefixes with the flag.
pub(crate) fn timestamp(text: &str) -> Result<String, String> {
    text.parse::<MulticardDateTime>()
        .map(|at| at.to_string())
        .map_err(|_| format!("not a timestamp: expected {TIMESTAMP_FORMAT}"))
}

/// Today by Multicard's clock (GMT+5): 00:00:00 to 23:59:59, the day the
/// first call fell on (both ends from the same day).
fn today() -> (String, String) {
    static TODAY: OnceLock<chrono::NaiveDate> = OnceLock::new();
    let day = TODAY.get_or_init(|| MulticardDateTime::from_utc(chrono::Utc::now()).naive_local().date());
    (format!("{day} 00:00:00"), format!("{day} 23:59:59"))
}

/// The command line's value of the registry parameter `name` of
/// `operation` when it is not given (the registry rule of
/// `multicard-api-build/src/cli/params.rs`): the configured store (the
/// embedded sandbox's with `--sandbox`), the
/// first page, [`DEFAULT_PAGE_SIZE`] rows a page, today. A payout page is
/// one status's listing: without `--only-status`, only `--all` (which reads
/// each in turn) has a default.
pub(crate) fn default_param(args: &ArgMatches, operation: &str, name: &str) -> Result<String, String> {
    match name {
        // The embedded sandbox has one store.
        "store_id" if args.try_get_one::<bool>("sandbox").ok().flatten() == Some(&true) => {
            Ok(multicard_sandbox::STORE_ID.to_string())
        }
        "store_id" => profile::default_store_id()?.ok_or_else(|| {
            "no store: give --store-id, or set MULTICARD_STORE_ID (or `store_id` in the profile)".to_string()
        }),
        "offset" => Ok("0".into()),
        "limit" => Ok(DEFAULT_PAGE_SIZE.to_string()),
        "start_date" => Ok(today().0),
        "end_date" => Ok(today().1),
        "only_status" if args.try_get_one::<bool>("all").ok().flatten() == Some(&true) => Ok(String::new()),
        "only_status" => Err(format!(
            "--only-status is required for one page of `{operation}` (Multicard lists one status at a time): \
             name one, or add --all to read every status in turn"
        )),
        other => Err(format!("--{} is required", other.replace('_', "-"))),
    }
}

/// Says on stderr which window a registry command reads when `--from` or
/// `--to` was left to its default.
pub(crate) fn note_window(args: &ArgMatches, prepared: &Prepared) {
    let given = |name: &str| args.value_source(name) == Some(clap::parser::ValueSource::CommandLine);
    if given("start_date") && given("end_date") {
        return;
    }
    let (start, end) = (prepared.param("start_date"), prepared.param("end_date"));
    if let (Some(start), Some(end)) = (start, end) {
        console::note(&format!(
            "multicard: reading {start} to {end} (GMT+5; --from and --to default to today's start and end)"
        ));
    }
}

/// Says on stderr when one page (no `--all`) is not the whole result.
pub(crate) fn note_page(data: &Value, field: &str) {
    let total = data.pointer("/pagination/total").and_then(Value::as_i64).unwrap_or(0);
    let offset = data.pointer("/pagination/offset").and_then(Value::as_i64).unwrap_or(0);
    let rows = rows_of(data, field).len() as i64;
    if total > offset.saturating_add(rows) {
        console::note(&format!(
            "multicard: this page holds rows {} to {} of {total}; --all reads every page",
            offset.saturating_add(1),
            offset.saturating_add(rows)
        ));
    }
}

/// Names on stderr, once each, the fields the spec does not know: those
/// the rows written carried (kept in `extra`, or as sent in NDJSON), and
/// those Multicard's answers carried that the SDK's types leave out (found
/// by its drift signals; their values are not in the output).
pub(crate) fn note_unknown_fields(multicard: &Multicard, operation: &'static str, field: &str, rows: &mut Rows) {
    let kept = rows.new_unknown_fields();
    if !kept.is_empty() {
        let names: Vec<String> = kept.iter().map(|name| format!("`{}`", printable(name))).collect();
        console::note(&format!(
            "multicard: field(s) the spec does not name, kept in the `{EXTRA}` column as JSON (NDJSON: as sent): {}",
            names.join(", ")
        ));
    }
    let prefix = format!("data.{field}[].");
    let dropped: Vec<String> = multicard
        .drift_signals()
        .into_iter()
        .filter(|signal| signal.kind == DriftKind::UnknownField && signal.operation == operation)
        .filter_map(|signal| signal.path.strip_prefix(&prefix).map(str::to_string))
        .filter(|name| rows.mark_unknown(name))
        .map(|name| format!("`{}`", printable(&name)))
        .collect();
    if !dropped.is_empty() {
        console::note(&format!(
            "multicard: Multicard's rows carried field(s) the spec does not name, which the SDK's types leave out \
             (their values are not in the output): {}",
            dropped.join(", ")
        ));
    }
}

/// A registry parameter of `prepared` as text, or a usage failure naming
/// its flag.
fn registry_param(prepared: &Prepared, name: &str) -> Result<String, Failure> {
    prepared.param(name).ok_or_else(|| fail(exit::USAGE, format!("--{} is required", name.replace('_', "-"))))
}

/// A registry parameter parsed as `T`, or a usage failure naming its flag.
fn parsed_param<T: std::str::FromStr>(prepared: &Prepared, name: &str, what: &str) -> Result<T, Failure>
where
    T::Err: std::fmt::Display,
{
    let text = registry_param(prepared, name)?;
    text.trim()
        .parse()
        .map_err(|e| fail(exit::USAGE, format!("--{} `{text}` is not {what}: {e}", name.replace('_', "-"))))
}

/// The SDK's registry query for an export: `--from`/`--to` as the window
/// (closed a minute ago when `--to` is not in the past, said on stderr),
/// `--limit` as the page size, `--offset` as where to start.
fn registry_query(prepared: &Prepared) -> Result<RegistryQuery, Failure> {
    let store_id = registry_param(prepared, "store_id")?;
    let start: MulticardDateTime = parsed_param(prepared, "start_date", "a Multicard timestamp")?;
    let end: MulticardDateTime = parsed_param(prepared, "end_date", "a Multicard timestamp")?;
    let page_size: u32 = parsed_param(prepared, "limit", "a page size (1 to 1000)")?;
    let offset: u64 = parsed_param(prepared, "offset", "an offset (0 or more)")?;
    let status = match prepared.param("only_status").filter(|s| !s.is_empty()) {
        Some(text) => Some(
            serde_json::from_value::<PaymentStatus>(Value::String(text.clone()))
                .map_err(|e| fail(exit::USAGE, format!("--only-status `{text}`: {e}")))?,
        ),
        None => None,
    };
    let window = if end.to_utc() >= chrono::Utc::now() {
        let closed = RegistryWindow::until_a_minute_ago(start);
        console::note(&format!(
            "multicard: --to {end} is not in the past; the export reads up to {} (a minute ago), so that rows still \
             arriving do not shift its pages",
            closed.end
        ));
        closed
    } else {
        RegistryWindow::new(start, end)
    };
    let mut query = RegistryQuery::new(store_id, window).page_size(page_size);
    if let Some(status) = &status {
        query = query.only_status(status.clone());
    }
    // Without a status, a payout export walks each status's listing in
    // turn: `--offset` is where the first one starts.
    let listing = match (status, prepared.id()) {
        (None, "list_payouts") => PAYOUT_STATUS_WALK.first().cloned(),
        (status, _) => status,
    };
    Ok(query.resume_from(RegistryPosition::new(listing, offset)))
}

/// Runs a registry export through the SDK's registry stream: every page
/// from `--offset` on, rows written a page at a time as they arrive
/// (duplicates across pages left out), in the columns of `operation`, with
/// a progress bar on a terminal.
pub(crate) async fn export(
    multicard: &Multicard,
    prepared: &Prepared,
    operation: &CliOperation,
    format: Format,
) -> Result<(), Failure> {
    let query = registry_query(prepared)?;
    let page_size = query.page_size as usize;
    let mut rows = Rows::new(format, operation.columns);
    let written = if prepared.id() == "list_payouts" {
        write_rows(multicard.payout_registry(query), prepared, &mut rows, page_size).await
    } else {
        write_rows(multicard.payment_registry(query), prepared, &mut rows, page_size).await
    };
    note_unknown_fields(multicard, prepared.id(), operation.rows.unwrap_or("list"), &mut rows);
    written
}

async fn write_rows<T: serde::Serialize>(
    mut stream: RegistryStream<T>,
    prepared: &Prepared,
    rows_out: &mut Rows,
    page_size: usize,
) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let progress =
        if std::io::stderr().is_terminal() { indicatif::ProgressBar::new(0) } else { indicatif::ProgressBar::hidden() };
    let mut page: Vec<Value> = Vec::with_capacity(page_size);
    let write = |page: &mut Vec<Value>, rows_out: &mut Rows| {
        let written = rows_out.write_page(&mut stdout.lock(), page);
        progress.inc(page.len() as u64);
        page.clear();
        written.map_err(console::write_failed)
    };
    while let Some(row) = stream.next().await {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                write(&mut page, rows_out)?;
                progress.finish_and_clear();
                let mut failure = report(&error, prepared);
                let report = stream.report();
                if report.requests > 0 {
                    let at = report.position.offset;
                    let resume = match &report.position.status {
                        Some(status) => format!("--only-status {status} --offset {at}"),
                        None => format!("--offset {at}"),
                    };
                    failure.message.push_str(&format!(
                        "\nThe export stopped at offset {at} (rows before it were written); {resume} resumes it."
                    ));
                    failure = failure.with("resume", resume);
                }
                return Err(failure);
            }
        };
        let value = serde_json::to_value(&row.item)
            .map_err(|e| fail(exit::UNEXPECTED, format!("the answer does not print as JSON: {e}")))?;
        page.push(crate::mask::hidden(value));
        if page.len() >= page_size {
            if let Some(total) = stream.report().total {
                progress.set_length(total.max(0) as u64);
            }
            write(&mut page, rows_out)?;
        }
    }
    write(&mut page, rows_out)?;
    progress.finish_and_clear();
    Ok(())
}
