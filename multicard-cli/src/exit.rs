//! The exit codes, and their text shown by `--help`.

pub const OK: u8 = 0;
pub const API: u8 = 1;
pub const USAGE: u8 = 2;
pub const AUTH: u8 = 3;
pub const TRANSPORT: u8 = 4;
pub const OUTCOME_UNKNOWN: u8 = 5;
pub const REFUSED: u8 = 6;
pub const UNEXPECTED: u8 = 7;
pub const CONFLICT: u8 = 8;
pub const DECLINED: u8 = 9;
pub const DONE_NOT_PRINTED: u8 = 10;
pub const ATTENTION: u8 = 11;
pub const NOT_FINAL: u8 = 12;
pub const NOT_APPLIED: u8 = 13;
pub const NOT_RUNNING: u8 = 14;
pub const NOT_ACCEPTED: u8 = 15;
/// Standard output was closed early (`multicard … | head -1`): 128 plus
/// SIGPIPE's number, what a shell reports for a process SIGPIPE ended, so
/// that `set -o pipefail` sees the same as with other tools.
pub const PIPE_CLOSED: u8 = 141;

/// The name of an exit code, as the error object of `-o json` gives it
/// (`exit_class`).
pub fn class(code: u8) -> &'static str {
    match code {
        OK => "success",
        API => "rejected",
        USAGE => "usage",
        AUTH => "authentication",
        TRANSPORT => "transport",
        OUTCOME_UNKNOWN => "outcome_unknown",
        REFUSED => "not_confirmed",
        UNEXPECTED => "unexpected",
        CONFLICT => "conflict",
        DECLINED => "declined",
        DONE_NOT_PRINTED => "done_not_printed",
        ATTENTION => "attention",
        NOT_FINAL => "not_final",
        NOT_APPLIED => "not_applied",
        NOT_RUNNING => "not_running",
        NOT_ACCEPTED => "not_accepted",
        PIPE_CLOSED => "pipe_closed",
        _ => "other",
    }
}

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  rejected: Multicard answered with its error envelope and nothing happened (a read's
     error, a wrong OTP, a missing field); fix it and send it again (code and details on stderr)
  2  usage or bad input, and nothing was sent: unknown flag, an amount without its unit
     (--amount 1500: write 150000tiyin or 1500sum), a --body that does not decode, a request
     the pre-send checks refuse (stderr lists each rule, field and reason; a warning only
     prints `warning: ...`, unless --strict-checks), a write to production without --live,
     a --from/--to that is not
     YYYY-MM-DD HH:MM:SS, a registry export with no store (--store-id, MULTICARD_STORE_ID),
     missing configuration
  3  authentication failed (/auth refused the credentials, or a token was refused)
  4  transport failure: no answer (connection, timeout)
  5  outcome unknown: a write may have taken effect (money may have moved); it was not
     sent again, and must not be until a settle says `not applied`; stderr prints the
     `multicard settle ...` command that settles it (with -o json, the error object's
     \"settle\" has the same as fields); `multicard settle` also exits 5 when it stays
     undetermined
  6  refused: a write was not confirmed (no --yes on a non-terminal, or answered no), or
     the SDK's guard refused it before sending (an earlier refund of the payment not
     settled, refunds above what it captured, a hold lapsing within 2 minutes, a target
     it could not read first); nothing was sent
  7  an answer that could not be understood (if Multicard said success, the operation
     happened: the raw data is printed)
  8  conflict: the target is already past the state this write needs (a hold no longer
     active, a payment confirmed earlier, an invoice already paid), perhaps because an
     earlier attempt applied; do not send it again: stderr prints the command that reads it
  9  declined: final (insufficient funds, an expired card); stderr prints the command that
     reads the status to confirm it
 10  a write SUCCEEDED but its answer could not be printed (stdout closed or full): do not
     send it again; stderr names what it made (uuid, id, invoice id)
 11  reconcile: at least one item needs attention (frozen in billing, held, an amount
     mismatch, unknown to Multicard, an unknown status)
 12  reconcile: nothing needs attention, but some items are not final yet: run it again later;
     settle: money is still moving: run it again later
 13  settle: not applied (positive evidence): the write may be made again
 14  sandbox status: no sandbox runs (no discovery file, or the one it names does not answer)
 15  callback send: Multicard would not accept the merchant's answer (the payment frozen, or
     cancelled and refunded; a webhook or card binding sent again): the answer and what it
     means are printed
141  stdout was closed before everything was written (a reader such as `head` stopped
     reading): the rest was not written, quietly; a read may be run again (a write whose
     answer could not be printed exits 10 instead)

With -o json, stdout keeps only data and every line on stderr is a JSON object
({\"note\": ...}, {\"warning\": ...}); a failure ends with one error object:
  {\"error\": {\"code\": <Multicard's error code or null>, \"reason\": <rejected, conflict,
  declined, outcome_unknown for Multicard's errors; else the exit class>, \"exit\": <code>,
  \"exit_class\": <usage, transport, ...>, \"message\": <the text>, ...}}
with, when they apply, \"fields_reason\" (ERROR_FIELDS typed: already_confirmed,
field_missing, ...) and \"field\", \"status\" (HTTP), \"read\" (the command that reads the
target), and for an unknown outcome \"settle\" (kind, target, amount, sent_at and the
`multicard settle ...` \"command\") and \"advice\".

Codes 1, 5, 8 and 9 follow the SDK's classification of each error code per operation
(multicard_api::outcome).

Amounts: a flag takes its unit (--amount 150000tiyin or --amount 1500sum; 1 sum = 100 tiyin) and
refuses a bare number; inside --body (JSON, @FILE or -) every amount is an integer of tiyin, as
Multicard takes it.

Configuration: MULTICARD_APPLICATION_ID, MULTICARD_SECRET, MULTICARD_ENV (sandbox|production)
or MULTICARD_BASE_URL; the profile file ~/.config/multicard/config.toml (or $MULTICARD_CONFIG) may
hold application_id, environment, base_url, store_id and production = true at its top and in
[profiles.NAME] tables (--profile NAME or MULTICARD_PROFILE), never the secret. The secret comes
from MULTICARD_SECRET, then the keyring (multicard login, the `keyring` feature), then a prompt on
a terminal. --sandbox runs against a local Multicard instead: the one `multicard sandbox start`
keeps running (found through $MULTICARD_SANDBOX_HOME/running.json), else an ephemeral one
embedded in the command.";
