//! `multicard callback send`: a callback as Multicard sends it, to the
//! merchant's own server, and what Multicard would do with its answer.
//!
//! The body, its signature, the sending and the reading of the answer
//! (no redirect, 5 s, a bounded read) and the vendor's rules for the answer
//! are the sandbox's own (`multicard_sandbox::callbacks`): what this
//! command shows is what the sandbox, and Multicard, would do.

use clap::{Arg, ArgMatches, Command};
use multicard_api::Multicard;
use multicard_api::time::MulticardDateTime;
use multicard_sandbox::SandboxConfig;
use multicard_sandbox::callbacks::{self, CallbackKind, DeliveryOutcome, Reply};
use serde_json::{Value, json};

use crate::exit;
use crate::failure::{Failure, fail, printable};
use crate::running::{self, Found};
use crate::{console, mask, money, profile};

/// What `multicard callback send --help` adds.
const HELP: &str = "\
Sends one callback shaped exactly as Multicard's production sends it (field order, an integer
store_id, invoice_uuid, a null billing_id), signed as Multicard signs it (md5 for the success
callback, sha1 for a webhook; the card-binding callback is not signed), as an HTTP POST: no
redirect followed, 5 s for the whole exchange, at most 64 KiB of the answer read. Then it
prints the merchant's answer (status, and its body escaped and shortened) and what Multicard
would do with it: the success callback is accepted only on HTTP 200 with {\"success\": true};
exactly 500, or no answer in 5 s, freezes the payment; anything else (502, 503 and 504
included) cancels it and refunds the payer. A webhook is accepted on any 2xx, the card-binding
callback on 200; otherwise they are sent again.

The body comes from --payment, a payment of the running sandbox (`multicard sandbox start`),
or from the flags, with sandbox defaults: store 6, amount 1500sum, a new uuid, invoice id
sandbox-order-1, the sandbox's test card, status success, paid now.

Signing is for tests only. The sandbox's secret signs by default (it is public: a server that
accepts it in production is misconfigured). --secret-env VAR signs with the secret in the
variable VAR instead (never on the command line, where shells and process lists keep it), for
a test or staging application. Refused before anything is sent:
  - a production configuration: MULTICARD_ENV=production, a base URL on Multicard's
    production host, a profile marked production (the selected profile or environment says
    where your credentials belong: this command never signs for production);
  - a --to on Multicard's own hosts (*.multicard.uz): callbacks go from Multicard, never to it;
  - with --secret-env, a --to that is plain http:// to anything but loopback: a real secret's
    signature does not cross a network in clear text.

Exit codes: 0 Multicard would accept the answer; 15 it would not (frozen, cancelled and
refunded, sent again); 14 --payment and no sandbox runs; 2 usage, or refused by the rules
above (nothing was sent).";

/// `multicard callback`.
pub(crate) fn command() -> Command {
    let text = |name: &'static str, help: &'static str| Arg::new(name).long(name).help(help);
    let send = Command::new("send")
        .about("Send a signed callback, as Multicard sends it, to your own server, and say what Multicard would do with its answer")
        .after_help(HELP)
        .arg(text("to", "Your callback URL (e.g. http://localhost:8080/cb)").value_name("URL").required(true))
        .arg(
            Arg::new("kind")
                .long("kind")
                .required(true)
                .value_parser(["success", "webhook", "binding"])
                .help("success (the payment-success callback), webhook (a status webhook) or binding (a card bound on the hosted form) (e.g. success)"),
        )
        .arg(text("payment", "Take the body from this payment of the running sandbox (success, webhook)").value_name("UUID"))
        .arg(text("amount", "The amount, with its unit (default 1500sum)"))
        .arg(text("invoice-id", "The merchant's invoice id (default sandbox-order-1)"))
        .arg(text("store-id", "The store, an integer (default 6)"))
        .arg(text("uuid", "The payment uuid (default: a new one)"))
        .arg(text("status", "A webhook's status (default success)"))
        .arg(text("card-token", "The card token (default: a new one)"))
        .arg(text("session-id", "binding: the hosted-form session id (payer_id; default: a new one)"))
        .arg(text("secret-env", "Sign with the secret in this environment variable instead of the sandbox's (see below)").value_name("VAR"));
    Command::new("callback")
        .about("Callbacks as Multicard sends them, to your own server: multicard callback send")
        .subcommand_required(true)
        .subcommand(send)
}

/// Runs `multicard callback …`.
pub(crate) async fn run(matches: &ArgMatches, group: &ArgMatches) -> Result<(), Failure> {
    let Some(("send", args)) = group.subcommand() else {
        return Err(fail(exit::USAGE, "multicard callback send"));
    };
    let json = matches.get_one::<String>("output").map(String::as_str) == Some("json");
    let flag = |name: &str| args.get_one::<String>(name).map(String::as_str);
    let kind = match flag("kind") {
        Some("success") => CallbackKind::Success,
        Some("webhook") => CallbackKind::Webhook,
        _ => CallbackKind::CardBinding,
    };
    let to = flag("to").unwrap_or_default();
    let secret = signing_secret(to, flag("secret-env"))?;
    let body = match (kind, flag("payment")) {
        (CallbackKind::CardBinding, Some(_)) => {
            return Err(fail(exit::USAGE, "--payment is for --kind success and webhook: a card binding has none"));
        }
        (CallbackKind::CardBinding, None) => binding(args),
        (_, Some(uuid)) => signed(kind, &sandbox_payment(uuid).await?, &secret.text)?,
        (_, None) => signed(kind, &payment_from_flags(args)?, &secret.text)?,
    };
    let limit = SandboxConfig::default().max_callback_answer;
    let http = callbacks::client(SandboxConfig::default().callback_timeout)
        .map_err(|e| fail(exit::UNEXPECTED, format!("the HTTP client: {e}")))?;
    let reply = callbacks::post(&http, to, &body, kind, limit).await;
    let outcome = callbacks::verdict(kind, &reply.answered);
    let shown = report(kind, to, &secret.source, &body, &reply, outcome, json);
    console::print(&shown)?;
    match outcome {
        DeliveryOutcome::Accepted => Ok(()),
        other => {
            Err(fail(exit::NOT_ACCEPTED, format!("Multicard would not accept this answer ({})", other.meaning(kind))))
        }
    }
}

/// The secret to sign with, and where it came from.
struct Secret {
    text: String,
    source: String,
}

/// The secret, after the rules that keep production out: a production
/// configuration, a `--to` on Multicard's hosts, and a real secret over
/// plain http beyond loopback are refused.
fn signing_secret(to: &str, secret_env: Option<&str>) -> Result<Secret, Failure> {
    let refused = |why: String| fail(exit::USAGE, format!("refusing to send the callback: {why}; nothing was sent"));
    let settings = profile::settings().map_err(|m| fail(exit::USAGE, m))?;
    if let Ok(target) = settings.target()
        && target.production
    {
        return Err(refused(format!(
            "the selected configuration is production ({}); this command signs callbacks for tests, never with \
             production credentials",
            target.shown
        )));
    }
    let Some((scheme, host)) = scheme_and_host(to) else {
        return Err(fail(exit::USAGE, format!("--to `{}` is not an http:// or https:// URL", printable(to))));
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "multicard.uz" || host.ends_with(".multicard.uz") {
        return Err(refused(format!("--to names Multicard's host {host}; callbacks go from Multicard, never to it")));
    }
    let Some(name) = secret_env else {
        return Ok(Secret { text: multicard_sandbox::SECRET.into(), source: "the sandbox's secret".into() });
    };
    let text = std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let text = text.ok_or_else(|| {
        fail(exit::USAGE, format!("--secret-env {}: the variable is empty or not set", printable(name)))
    })?;
    if scheme == "http" && !running::is_loopback_host(&host) {
        return Err(refused(format!(
            "--to is plain http:// to {host}, which is not loopback; a secret other than the sandbox's is sent only \
             over https:// or to this machine"
        )));
    }
    Ok(Secret { text, source: format!("the secret in {} (--secret-env)", printable(name)) })
}

/// The scheme (`http`, `https`) and host of `url`.
fn scheme_and_host(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = ["http", "https"].into_iter().find(|s| s.eq_ignore_ascii_case(scheme))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?.0,
        None => host_port.split(':').next()?,
    };
    (!host.is_empty()).then_some((scheme, host))
}

/// The signed body of `kind` for `payment`.
fn signed(kind: CallbackKind, payment: &Value, secret: &str) -> Result<Value, Failure> {
    let body = match kind {
        CallbackKind::Webhook => callbacks::webhook_body(payment, secret),
        _ => callbacks::success_callback_body(payment, secret),
    };
    body.map_err(|e| fail(exit::UNEXPECTED, e.to_string()))
}

/// Payment `uuid` of the running sandbox, as `get_payment` answers it.
async fn sandbox_payment(uuid: &str) -> Result<Value, Failure> {
    let running = match running::find().await {
        Found::Live(running) => running,
        Found::Nothing => {
            return Err(fail(
                exit::NOT_RUNNING,
                "--payment reads the payment from the running sandbox, and none runs: start one with `multicard \
                 sandbox start`, or give the payment's fields as flags",
            ));
        }
        Found::Ignored(why) => {
            return Err(fail(exit::NOT_RUNNING, format!("--payment needs the running sandbox, and none runs: {why}")));
        }
    };
    let config = multicard_api::Config::new(
        multicard_sandbox::APPLICATION_ID,
        multicard_sandbox::SECRET,
        multicard_api::Environment::Custom(running.url.clone()),
    );
    let multicard = Multicard::new(config).map_err(|e| fail(exit::USAGE, e.to_string()))?;
    let payment = multicard.send(|api| api.get_payment().uuid(uuid)).await.map_err(|e| {
        fail(exit::API, format!("reading payment {} from the sandbox at {}: {e}", printable(uuid), running.url))
    })?;
    serde_json::to_value(payment).map_err(|e| fail(exit::UNEXPECTED, format!("the payment: {e}")))
}

/// A payment made of the flags and the sandbox's defaults, as `get_payment`
/// would answer it.
fn payment_from_flags(args: &ArgMatches) -> Result<Value, Failure> {
    let flag = |name: &str| args.get_one::<String>(name).cloned();
    let amount = money::parse("--amount", flag("amount").as_deref().unwrap_or("1500sum"))
        .map_err(|m| fail(exit::USAGE, m))?
        .tiyin();
    let store_id: i64 = match flag("store-id") {
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| fail(exit::USAGE, format!("--store-id `{}` is not an integer", printable(&text))))?,
        None => multicard_sandbox::STORE_ID,
    };
    let now = MulticardDateTime::from_utc(chrono::Utc::now()).to_string();
    let card = callbacks::hosted_form_card(0, "callback-send", flag("card-token").as_deref(), &now);
    let status = flag("status").unwrap_or_else(|| "success".into());
    Ok(json!({
        "uuid": flag("uuid").unwrap_or_else(callbacks::new_uuid), "store_id": store_id,
        "store_invoice_id": flag("invoice-id").unwrap_or_else(|| "sandbox-order-1".into()),
        "payment_amount": amount, "status": status, "billing_id": null, "payment_time": now,
        "refund_time": if status == "revert" { json!(now) } else { Value::Null },
        "card_pan": card["card_pan"], "card_token": card["card_token"], "ps": card["ps"], "receipt_url": null,
    }))
}

/// The card-binding callback of the test card, from the flags.
fn binding(args: &ArgMatches) -> Value {
    let flag = |name: &str| args.get_one::<String>(name).cloned();
    let now = MulticardDateTime::from_utc(chrono::Utc::now()).to_string();
    let session = flag("session-id").unwrap_or_else(callbacks::new_uuid);
    callbacks::card_binding_body(&callbacks::hosted_form_card(0, &session, flag("card-token").as_deref(), &now))
}

/// The longest part of the merchant's answer shown.
const SHOWN_ANSWER: usize = 500;

/// What was sent, what came back and what it means: one JSON object, or
/// lines for people (everything from the wire escaped, card tokens masked).
fn report(
    kind: CallbackKind,
    to: &str,
    signed_with: &str,
    body: &Value,
    reply: &Reply,
    outcome: DeliveryOutcome,
    json: bool,
) -> String {
    let text = String::from_utf8_lossy(&reply.body);
    let escaped = multicard_api::escape_controls(&text);
    let mut answer: String = escaped.chars().take(SHOWN_ANSWER).collect();
    let cut = reply.cut || escaped.chars().count() > SHOWN_ANSWER;
    if cut {
        answer.push('…');
    }
    let status = match reply.answered {
        callbacks::Answered::Status { status, .. } => Some(status),
        _ => None,
    };
    let error = reply.error.as_deref().map(printable);
    if json {
        return json!({"kind": kind.as_str(), "to": printable(to), "signed_with": signed_with,
            "body": mask::hidden(body.clone()),
            "answer": {"status": status, "body": answer, "cut": cut, "error": error},
            "outcome": outcome.as_str(), "meaning": outcome.meaning(kind)})
        .to_string();
    }
    let answered = match (status, &error) {
        (Some(status), _) => format!("HTTP {status}: {answer}"),
        (None, Some(error)) => format!("none ({error})"),
        (None, None) => "none".into(),
    };
    format!(
        "sent: the {} callback, signed with {signed_with}, to {}\n  body: {}\nanswer: {answered}\nMulticard would: {}",
        kind.as_str(),
        printable(to),
        mask::hidden(body.clone()),
        outcome.meaning(kind)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_a_url_is_found_whatever_its_shape() {
        assert_eq!(scheme_and_host("http://localhost:8080/cb"), Some(("http", "localhost")));
        assert_eq!(scheme_and_host("HTTPS://user@Shop.Example:443/cb?x"), Some(("https", "Shop.Example")));
        assert_eq!(scheme_and_host("http://[::1]:80/"), Some(("http", "::1")));
        assert_eq!(scheme_and_host("ftp://x/"), None);
        assert_eq!(scheme_and_host("localhost:8080"), None);
        assert_eq!(scheme_and_host("http:///cb"), None);
    }
}
