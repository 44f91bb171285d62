//! `multicard`: a command line for every operation of the Multicard API,
//! generated from `spec/multicard.yaml` at compile time (see
//! `multicard_api_build::generate_cli`). Every call goes through
//! `multicard_api::Multicard::send`: the SDK's token cache, retries that
//! never resend money, envelope and typed errors.
//!
//! ```text
//! multicard --sandbox application get
//! multicard payment get --uuid a81b7b62-6d86-11f0-9a1b-00505680eaf6 --output json
//! multicard reconcile --store-id 6 --invoice-id order-42 a81b7b62-6d86-11f0-9a1b-00505680eaf6
//! multicard registry payments --store-id 6 --offset 0 --limit 100 --from '2025-03-01 00:00:00' --to '2025-03-02 00:00:00' --all --output csv
//! multicard invoice create --amount 1500sum --body @invoice.json
//! ```
//!
//! Amount flags take their unit (`150000tiyin`, `1500sum`; see `money.rs`);
//! every request is checked before it is sent (see `checks.rs`).

#![forbid(unsafe_code)]

mod body;
mod callback;
mod checks;
mod confirm;
mod console;
mod exit;
mod failure;
mod login;
mod mask;
mod money;
mod output;
mod profile;
mod reconcile;
mod registry;
mod report;
mod running;
mod sandbox;
mod session;
mod settle;

#[allow(clippy::all, dead_code, missing_docs, unused_variables)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/multicard_cli.rs"));
}

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use exit::EXIT_CODES;
use failure::{Failure, fail};
use generated::{CLI_OPERATIONS, Prepared};
use multicard_api::{Multicard, operation_table};
use output::{Format, Rows};
use registry::{export, rows_of};
use report::{identifiers, report};
use serde_json::Value;

fn command() -> Command {
    let output = Arg::new("output")
        .long("output")
        .short('o')
        .global(true)
        .value_parser(["table", "json", "ndjson", "csv"])
        .help("table (default on a terminal), json (the `data` payload; default elsewhere), ndjson (one row a line; the default of --all elsewhere) or csv (registry exports)");
    Command::new("multicard")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The Multicard payment gateway (Uzbekistan) from the command line: one subcommand per API operation")
        .after_help(EXIT_CODES)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(output)
        .arg(
            Arg::new("yes")
                .long("yes")
                .short('y')
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Send an operation that changes state without asking"),
        )
        .arg(
            Arg::new("live")
                .long("live")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Allow a write against production (Multicard's production URL or a profile marked production); --yes does not replace it"),
        )
        .arg(
            Arg::new("profile")
                .long("profile")
                .global(true)
                .value_name("NAME")
                .help("Use the profile [profiles.NAME] of the profile file (default: $MULTICARD_PROFILE, else the keys at its top)"),
        )
        .arg(
            Arg::new("reveal")
                .long("reveal")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Print card tokens (card_token) whole; they are shown as <redacted> otherwise"),
        )
        .arg(
            Arg::new("sandbox")
                .long("sandbox")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Run against a local Multicard (multicard-sandbox) on loopback: the one `multicard sandbox start` keeps running, else an ephemeral one; no credentials needed"),
        )
        .arg(
            Arg::new("strict-checks")
                .long("strict-checks")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Refuse a request on any pre-send check's warning too (an item total that is not price × qty, a malformed mxik, …), not only on the rules the vendor's pages state"),
        )
        .arg(
            Arg::new("all")
                .long("all")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Registry exports: fetch every page from --offset on, writing rows as they arrive"),
        )
        .subcommands(generated::group_commands())
        .subcommand(reconcile::command())
        .subcommand(settle::command())
        .subcommands(login::commands())
        .subcommand(sandbox::command())
        .subcommand(callback::command())
        .subcommand(
            Command::new("completions")
                .about("Shell completions: multicard completions bash|zsh|fish")
                .arg(Arg::new("shell").required(true).value_parser(clap::value_parser!(clap_complete::Shell))),
        )
}

/// The largest `--body` read from a file or standard input.
const MAX_BODY: u64 = 1024 * 1024;

/// Reads at most [`MAX_BODY`] bytes of `source`, or says it is too large.
fn read_limited(source: impl Read, what: &str) -> Result<String, Failure> {
    let mut text = String::new();
    source.take(MAX_BODY + 1).read_to_string(&mut text).map_err(|e| fail(exit::USAGE, format!("{what}: {e}")))?;
    if text.len() as u64 > MAX_BODY {
        return Err(fail(exit::USAGE, format!("{what}: larger than {MAX_BODY} bytes; no request body is that large")));
    }
    Ok(text)
}

/// `--body`: inline JSON, `@file` or `-` (standard input).
fn read_body(arg: &str) -> Result<Value, Failure> {
    let text = if arg == "-" {
        read_limited(std::io::stdin(), "--body -")?
    } else if let Some(path) = arg.strip_prefix('@') {
        let file = std::fs::File::open(path).map_err(|e| fail(exit::USAGE, format!("--body @{path}: {e}")))?;
        read_limited(file, &format!("--body @{path}"))?
    } else {
        arg.to_string()
    };
    serde_json::from_str(&text).map_err(|e| fail(exit::USAGE, format!("--body is not JSON: {e}")))
}

/// Sends `prepared`; an error as its exit code and message (with `-o
/// json`, its error object, which for a lost write carries the settle: see
/// `report.rs`).
async fn send(multicard: &Multicard, prepared: &Prepared) -> Result<Value, Failure> {
    match prepared.send(multicard).await {
        Ok(Ok(data)) => Ok(data),
        Ok(Err(e)) => Err(fail(exit::UNEXPECTED, format!("the answer does not print as JSON: {e}"))),
        Err(error) => Err(report(&error, prepared)),
    }
}

async fn run(matches: ArgMatches) -> Result<(), Failure> {
    let (group, group_matches) = matches.subcommand().ok_or_else(|| fail(exit::USAGE, "no command"))?;
    if group == "completions" {
        let shell = *group_matches.get_one::<clap_complete::Shell>("shell").expect("required");
        // Written to a buffer first: `generate` panics when its writer fails.
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command(), "multicard", &mut script);
        return console::print_bytes(&script);
    }
    if group == "reconcile" {
        return reconcile::run(&matches, group_matches).await;
    }
    if group == "settle" {
        return settle::run(&matches, group_matches).await;
    }
    if group == "login" {
        return login::run(&matches, group_matches).await;
    }
    if group == "profile" {
        return login::show(&matches);
    }
    if group == "sandbox" {
        return sandbox::run(&matches, group_matches).await;
    }
    if group == "callback" {
        return callback::run(&matches, group_matches).await;
    }
    let (verb, args) = group_matches.subcommand().ok_or_else(|| fail(exit::USAGE, "no operation"))?;
    let operation = CLI_OPERATIONS
        .iter()
        .find(|op| op.group == group && op.verb == verb)
        .ok_or_else(|| fail(exit::USAGE, format!("no operation `{group} {verb}`")))?;
    let info = operation_table::find(operation.id)
        .ok_or_else(|| fail(exit::USAGE, format!("`{}` is not in the operation table", operation.id)))?;

    let all = matches.get_flag("all");
    let format = match matches.get_one::<String>("output") {
        Some(text) => Format::parse(text).ok_or_else(|| fail(exit::USAGE, format!("unknown output `{text}`")))?,
        None if std::io::stdout().is_terminal() => Format::Table,
        // An export's rows, one JSON object a line, for a pipe or a file.
        None if all && operation.rows.is_some() => Format::Ndjson,
        None => Format::Json,
    };
    if operation.rows.is_none() && (all || matches!(format, Format::Ndjson | Format::Csv)) {
        return Err(fail(
            exit::USAGE,
            "--all, --output ndjson and --output csv are for registry exports (multicard registry …)",
        ));
    }
    if all && format == Format::Json {
        return Err(fail(exit::USAGE, "--all writes rows: use --output ndjson, csv or table"));
    }

    // Everything is decoded into the SDK's types before anything is sent.
    let body = match args.try_get_one::<String>("body").ok().flatten() {
        Some(arg) => Some(read_body(arg)?),
        None => None,
    };
    // `auth get-token` without `--body` sends the configured credentials:
    // the secret never has to be on the command line.
    let from_credentials = operation.id == "get_token" && body.is_none();
    let prepared = if from_credentials {
        None
    } else {
        Some(generated::prepare(operation.id, args, body).map_err(|m| fail(exit::USAGE, m))?)
    };

    // The SDK's request checks, before the confirmation: a refusal exits 2
    // with nothing sent, a warning is printed once.
    let policy = checks::policy(&matches);
    let body = prepared.as_ref().and_then(Prepared::body_json);
    if let Some(prepared) = &prepared {
        checks::before_sending(prepared.id(), body.as_ref(), &policy)?;
        if operation.rows.is_some() {
            registry::note_window(args, prepared);
        }
    }

    // What changes state is guarded against production, then asks;
    // `/auth` (the one operation that needs no token) changes nothing.
    if !info.is_read() && info.requires_token {
        let target = session::target(&matches)?;
        let amounts = money::summary(body.as_ref(), operation.amounts);
        let summary = confirm::Summary::new(
            operation,
            (info.method, info.path),
            prepared.as_ref(),
            body.as_ref(),
            &amounts,
            &target,
        );
        confirm::production(&summary, &target, matches.get_flag("live"))?;
        if !matches.get_flag("yes") {
            confirm::ask(&summary)?;
        }
    }

    let sandbox = session::sandbox(&matches).await?;
    let (config, credentials) = session::config(sandbox.as_ref())?;
    let config = config.with_request_checks(policy);
    let prepared = match prepared {
        Some(prepared) => prepared,
        None => {
            let body = serde_json::json!({"application_id": credentials.application_id, "secret": credentials.secret});
            generated::prepare(operation.id, args, Some(body)).map_err(|m| fail(exit::USAGE, m))?
        }
    };
    drop(credentials);
    let multicard = Multicard::new(config).map_err(|e| fail(exit::USAGE, e.to_string()))?;

    if operation.rows.is_some() && all {
        return export(&multicard, &prepared, operation, format).await;
    }
    let data = send(&multicard, &prepared).await?;
    let shown = mask::hidden(data.clone());
    let mut stdout = std::io::stdout().lock();
    let written = match (operation.rows, format) {
        (Some(field), Format::Ndjson | Format::Csv | Format::Table) => {
            let mut rows = Rows::new(format, operation.columns);
            let written = rows.write_page(&mut stdout, &rows_of(&shown, field));
            registry::note_unknown_fields(&multicard, operation.id, field, &mut rows);
            written
        }
        _ => output::print_value(&mut stdout, format, &shown),
    }
    .and_then(|()| stdout.flush());
    if let Some(field) = operation.rows {
        registry::note_page(&data, field);
    }
    written.map_err(|e| match info.is_read() || !info.requires_token {
        true => console::write_failed(e),
        // The write happened: what it made must not be lost with the output.
        false => fail(
            exit::DONE_NOT_PRINTED,
            format!(
                "`{}` SUCCEEDED, but its answer could not be printed ({e}); do not send it again. It made: {}",
                operation.id,
                identifiers(&data)
            ),
        ),
    })
}

/// Whether the arguments ask for `-o json` (`-o json`, `-ojson`,
/// `--output json`, `--output=json`): read from the words themselves for an
/// error clap finds before there are matches.
fn asks_for_json(args: &[std::ffi::OsString]) -> bool {
    let words: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    words.iter().enumerate().any(|(i, word)| match *word {
        "-o" | "--output" => words.get(i + 1) == Some(&"json"),
        other => other == "-ojson" || other == "--output=json",
    })
}

/// A parse error (exit 2), or `--help`/`--version` (exit 0), as clap
/// prints it; a usage error as the error object with `-o json`.
fn clap_exit(error: clap::Error, json: bool) -> ExitCode {
    if !error.use_stderr() {
        return match error.print() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(exit::PIPE_CLOSED),
            _ => ExitCode::from(exit::OK),
        };
    }
    if json {
        // The error itself, without clap's `error: ` and its pointer to --help.
        let rendered = error.render().to_string();
        let message = rendered.split("\n\n").next().unwrap_or_default().trim().trim_start_matches("error: ");
        console::failure(&fail(exit::USAGE, message).with("reason", "usage"), true);
    } else {
        let _ = error.print();
    }
    ExitCode::from(exit::USAGE)
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = match command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(error) => return clap_exit(error, asks_for_json(&args)),
    };
    let json = matches.get_one::<String>("output").map(String::as_str) == Some("json");
    console::set_json(json);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            console::failure(&fail(exit::UNEXPECTED, format!("cannot start the runtime: {e}")), json);
            return ExitCode::from(exit::UNEXPECTED);
        }
    };
    profile::choose(matches.get_one::<String>("profile").map(String::as_str));
    mask::reveal(matches.get_flag("reveal"));
    match runtime.block_on(run(matches)) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(failure) => {
            console::failure(&failure, json);
            ExitCode::from(failure.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use multicard_api::error::Error;

    #[test]
    fn the_command_tree_is_valid() {
        command().debug_assert();
        assert_eq!(CLI_OPERATIONS.len(), operation_table::OPERATIONS.len());
    }

    /// A request the SDK's checks refuse (`Error::RequestRefused`) exits 2,
    /// like one the command line refuses itself: nothing was sent.
    #[test]
    fn a_refusal_by_the_sdks_checks_exits_2_naming_the_rule_and_the_field() {
        let matches = command().try_get_matches_from(["multicard", "payout", "get", "--payment-uuid", "p"]).unwrap();
        let args = matches.subcommand().and_then(|(_, group)| group.subcommand()).map(|(_, args)| args).unwrap();
        let prepared = generated::prepare("get_payout", args, None).unwrap();
        let body =
            serde_json::json!({"amount": 1_000_000_001i64, "card": {"pan": "8600"}, "store_id": 6, "invoice_id": "p"});
        let findings = multicard_api::checks::check("create_payout", &body, &Default::default());
        let failure = report(&Error::RequestRefused { operation: "create_payout", findings }, &prepared);
        assert_eq!(failure.code, exit::USAGE);
        for expected in ["nothing was sent", "payout.kyc_above_10m_sum: `kyc_data`"] {
            assert!(failure.message.contains(expected), "{}", failure.message);
        }
    }
}
