//! Registry exports: every page of `list_payments` / `list_payouts`
//! through the SDK's registry stream, written a page at a time.

use std::io::IsTerminal;

use futures_util::StreamExt;
use multicard_api::Multicard;
use multicard_api::registry::{RegistryPosition, RegistryQuery, RegistryStream, RegistryWindow};
use multicard_api::time::MulticardDateTime;
use multicard_api::types::PaymentStatus;
use serde_json::Value;

use crate::exit;
use crate::failure::{Failure, fail};
use crate::generated::Prepared;
use crate::output::{Format, Rows};
use crate::report::report;

/// The rows of a registry page's `field`.
pub(crate) fn rows_of(data: &Value, field: &str) -> Vec<Value> {
    data.get(field).and_then(Value::as_array).cloned().unwrap_or_default()
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
        eprintln!(
            "multicard: --to {end} is not in the past; the export reads up to {} (a minute ago), so that rows still \
             arriving do not shift its pages",
            closed.end
        );
        closed
    } else {
        RegistryWindow::new(start, end)
    };
    let mut query = RegistryQuery::new(store_id, window).page_size(page_size);
    if let Some(status) = &status {
        query = query.only_status(status.clone());
    }
    Ok(query.resume_from(RegistryPosition::new(status, offset)))
}

/// Runs a registry export through the SDK's registry stream: every page
/// from `--offset` on, rows written a page at a time as they arrive
/// (duplicates across pages left out), with a progress bar on a terminal.
pub(crate) async fn export(multicard: &Multicard, prepared: &Prepared, format: Format) -> Result<(), Failure> {
    let query = registry_query(prepared)?;
    let page_size = query.page_size as usize;
    if prepared.id() == "list_payouts" {
        write_rows(multicard.payout_registry(query), prepared, format, page_size).await
    } else {
        write_rows(multicard.payment_registry(query), prepared, format, page_size).await
    }
}

async fn write_rows<T: serde::Serialize>(
    mut stream: RegistryStream<T>,
    prepared: &Prepared,
    format: Format,
    page_size: usize,
) -> Result<(), Failure> {
    let mut rows_out = Rows::new(format);
    let stdout = std::io::stdout();
    let progress =
        if std::io::stderr().is_terminal() { indicatif::ProgressBar::new(0) } else { indicatif::ProgressBar::hidden() };
    let mut page: Vec<Value> = Vec::with_capacity(page_size);
    let write = |page: &mut Vec<Value>, rows_out: &mut Rows| {
        let written = rows_out.write_page(&mut stdout.lock(), page);
        progress.inc(page.len() as u64);
        page.clear();
        written.map_err(|e| fail(exit::UNEXPECTED, format!("writing the output: {e}")))
    };
    while let Some(row) = stream.next().await {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                write(&mut page, &mut rows_out)?;
                let mut failure = report(&error, prepared);
                let report = stream.report();
                if report.requests > 0 {
                    let at = report.position.offset;
                    failure.message.push_str(&format!(
                        "\nThe export stopped at offset {at} (rows before it were written); --offset {at} resumes it."
                    ));
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
            write(&mut page, &mut rows_out)?;
        }
    }
    write(&mut page, &mut rows_out)?;
    progress.finish_and_clear();
    Ok(())
}
