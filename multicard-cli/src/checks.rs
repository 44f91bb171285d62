//! The SDK's request checks (`multicard_api::checks`) on the command line:
//! run on the prepared body before the confirmation and before anything is
//! sent. A rule the vendor's pages state refuses the request (exit 2,
//! nothing sent, each rule, field and reason on stderr); a rule they are
//! silent on or contradict prints `warning: …` once on stderr and the
//! request goes, unless `--strict-checks` makes it refuse too.
//! `Multicard::send` runs the same checks with the same policy, and its
//! `Error::RequestRefused` is reported the same way.

use clap::ArgMatches;
use multicard_api::checks::{Action, Finding, RequestChecks, check};

use crate::exit;
use crate::failure::{Failure, fail, printable};

/// The policy `--strict-checks` asks for: the default (refuse what the
/// vendor's pages state, warn about the rest), or refuse on warnings too.
pub(crate) fn policy(matches: &ArgMatches) -> RequestChecks {
    let strict = matches.try_get_one::<bool>("strict-checks").ok().flatten().copied().unwrap_or(false);
    if strict { RequestChecks::new().strict() } else { RequestChecks::new() }
}

/// One finding as a line: `rule.id: `field` what is wrong (what the rule
/// requires)`.
fn line(finding: &Finding) -> String {
    printable(&format!("{}: `{}` {} ({})", finding.rule.id, finding.field, finding.message, finding.rule.requires))
}

/// Checks `body`, the request of `operation`, under `policy`: each warning
/// printed once on stderr; the refusals, if any, as the failure to exit
/// with (nothing has been sent).
pub(crate) fn before_sending(
    operation: &str,
    body: Option<&serde_json::Value>,
    policy: &RequestChecks,
) -> Result<(), Failure> {
    let Some(body) = body else { return Ok(()) };
    let (refused, warned): (Vec<Finding>, Vec<Finding>) =
        check(operation, body, policy).into_iter().partition(|f| f.action == Action::Refuse);
    for finding in &warned {
        crate::console::warning(&format!("{} (sent anyway; --strict-checks refuses it)", line(finding)));
    }
    if refused.is_empty() { Ok(()) } else { Err(refused_failure(operation, &refused)) }
}

/// The failure of a request the checks refuse: exit 2, each rule, field
/// and reason, and that nothing was sent.
pub(crate) fn refused_failure(operation: &str, findings: &[Finding]) -> Failure {
    let mut message = format!(
        "{operation}: refused before sending, nothing was sent: the request breaks {} rule(s):",
        findings.len()
    );
    for finding in findings {
        message.push_str(&format!("\n  {}", line(finding)));
    }
    message
        .push_str("\nCorrect the request and send it again (the rules and their vendor pages: multicard_api::checks).");
    fail(exit::USAGE, message)
}
