//! Before a write (an operation that is not a read and needs a token) is
//! sent: the guard of production, then the confirmation.
//!
//! A write against production (Multicard's production URL, by name or as a
//! base URL on its host, or a profile marked `production = true`) needs
//! `--live`; without it the command exits 2 before anything is sent, and
//! `--yes` does not stand in for it. The embedded sandbox (`--sandbox`)
//! and any other URL, loopback included, are not production unless the
//! profile says so. Then the confirmation asks on a terminal, showing the
//! operation, its ids (path parameters and the body's ids), its amounts in
//! tiyin and сум, and where it goes; elsewhere it refuses unless `--yes`.
//! Every value is shown escaped, a card token as `<redacted>` unless
//! `--reveal`.

use std::io::{IsTerminal, Write};

use serde_json::Value;

use crate::exit;
use crate::failure::{Failure, fail, printable};
use crate::generated::{CliOperation, Prepared};
use crate::mask;
use crate::profile::Target;

/// What a write's confirmation shows.
pub(crate) struct Summary {
    /// `` `multicard invoice create` (create_invoice POST /payment/invoice) ``
    command: String,
    /// The operation id, method and path.
    operation: String,
    /// `environment`, then the ids and the amounts, each a name and a value.
    fields: Vec<(String, String)>,
}

/// `text` on one line with every control character escaped.
fn shown(text: &str) -> String {
    printable(text).replace('\n', "\\u{a}")
}

/// Whether a body's top-level field identifies something: `id`, `uuid`,
/// `…_id`, `…_uuid`, a card token.
fn is_id(name: &str) -> bool {
    matches!(name, "id" | "uuid" | "card_token") || name.ends_with("_id") || name.ends_with("_uuid")
}

impl Summary {
    /// The summary of sending `prepared` (with `body`, its JSON) to `target`;
    /// `amounts` as `money::summary` gives them (`amount 150000 tiyin (1500.00 сум)`).
    pub(crate) fn new(
        operation: &CliOperation,
        (method, path): (&str, &str),
        prepared: Option<&Prepared>,
        body: Option<&Value>,
        amounts: &[String],
        target: &Target,
    ) -> Self {
        let mut fields = vec![("environment".to_string(), shown(&target.shown))];
        for name in operation.params {
            if let Some(value) = prepared.and_then(|p| p.param(name)) {
                fields.push((name.to_string(), shown(mask::field(name, &value))));
            }
        }
        if let Some(Value::Object(body)) = body {
            for (name, value) in body.iter().filter(|(name, _)| is_id(name)) {
                let text = match value {
                    Value::String(text) => text.clone(),
                    Value::Number(number) => number.to_string(),
                    _ => continue,
                };
                fields.push((shown(name), shown(mask::field(name, &text))));
            }
        }
        for amount in amounts {
            let (name, value) = amount.split_once(' ').unwrap_or((amount.as_str(), ""));
            fields.push((shown(name), shown(value)));
        }
        Self {
            command: format!("`multicard {} {}`", operation.group, operation.verb),
            operation: format!("{} {method} {path}", operation.id),
            fields,
        }
    }

    /// On one line: `` `multicard invoice create` (create_invoice POST
    /// /payment/invoice; environment sandbox …; store_id 6; amount …) ``.
    fn one_line(&self) -> String {
        let mut text = format!("{} ({}", self.command, self.operation);
        for (name, value) in &self.fields {
            text.push_str(&format!("; {name} {value}"));
        }
        text.push(')');
        text
    }

    /// A line for each field, aligned, as the prompt shows them.
    fn lines(&self) -> String {
        let width = self.fields.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
        let mut text = format!("{} ({}) changes state:\n", self.command, self.operation);
        for (name, value) in &self.fields {
            text.push_str(&format!("  {name:<width$}  {value}\n"));
        }
        text
    }
}

/// The guard of production: a write to `target` when it is production
/// needs `--live` (`live`); without it, exit 2 and nothing sent.
pub(crate) fn production(summary: &Summary, target: &Target, live: bool) -> Result<(), Failure> {
    if !target.production || live {
        return Ok(());
    }
    Err(fail(
        exit::USAGE,
        format!(
            "refusing to send {}: it goes to PRODUCTION, and a write against production needs --live as well as the \
             confirmation (--yes does not replace it); nothing was sent",
            summary.one_line()
        ),
    ))
}

/// Asks before a write, showing `summary`; refuses on a non-terminal.
pub(crate) fn ask(summary: &Summary) -> Result<(), Failure> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(fail(
            exit::REFUSED,
            format!(
                "refusing to send {}: it changes state and there is no terminal to confirm on; nothing was sent (add \
                 --yes to send it)",
                summary.one_line()
            ),
        ));
    }
    crate::console::prompt(&format!("{}Send it? [y/N] ", summary.lines()));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| fail(exit::USAGE, e.to_string()))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") { Ok(()) } else { Err(fail(exit::REFUSED, "not sent")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::CLI_OPERATIONS;

    fn operation(id: &str) -> &'static CliOperation {
        CLI_OPERATIONS.iter().find(|op| op.id == id).unwrap()
    }

    #[test]
    fn the_summary_names_the_ids_the_amounts_and_where_it_goes_escaped() {
        let body = serde_json::json!({
            "store_id": 6,
            "invoice_id": "order\u{1b}[2J-42\nfake: line",
            "card_token": "6225f3c93f7a880142782fa4",
            "amount": 150050,
            "callback_url": "https://example.invalid/cb",
        });
        let target = Target { shown: "production https://mesh.multicard.uz".into(), production: true };
        let amounts = crate::money::summary(Some(&body), &["amount"]);
        let summary = Summary::new(
            operation("create_invoice"),
            ("POST", "/payment/invoice"),
            None,
            Some(&body),
            &amounts,
            &target,
        );
        let line = summary.one_line();
        for expected in [
            "`multicard invoice create` (create_invoice POST /payment/invoice",
            "environment production https://mesh.multicard.uz",
            "store_id 6",
            "invoice_id order\\u{1b}[2J-42\\u{a}fake: line",
            "card_token <redacted>",
            "amount 150050 tiyin (1500.50 сум)",
        ] {
            assert!(line.contains(expected), "{expected} in {line}");
        }
        assert!(!line.contains("callback_url") && !line.contains("6225f3c9"), "{line}");
        let lines = summary.lines();
        assert!(!lines.chars().any(|c| c.is_control() && c != '\n'), "{lines:?}");
        assert_eq!(lines.lines().count(), 1 + 5, "{lines}");
        assert!(lines.contains("\n  amount       150050 tiyin (1500.50 сум)\n"), "{lines}");

        let refused = production(&summary, &target, false).unwrap_err();
        assert_eq!(refused.code, exit::USAGE);
        assert!(refused.message.contains("--live") && refused.message.contains("nothing was sent"));
        assert!(production(&summary, &target, true).is_ok());
        let sandbox = Target { shown: "sandbox https://dev-mesh.multicard.uz".into(), production: false };
        assert!(production(&summary, &sandbox, false).is_ok());
    }
}
