//! `multicard login`: the secret kept in the platform's keyring (Keychain
//! on macOS, the Credential Manager on Windows, the Secret Service on Linux
//! and the BSDs), with the non-default `keyring` feature; and `multicard
//! profile`: what the selected profile resolves to, the secret aside.
//!
//! The keyring keeps one secret per application id and base URL (a sandbox
//! and a production application never share one). The secret is looked up
//! in this order: `MULTICARD_SECRET`, the keyring, a prompt on a terminal.

use std::io::{IsTerminal, Read};

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Value, json};

use crate::exit;
use crate::failure::{Failure, fail};
use crate::output::{self, Format};
use crate::profile::{self, Settings};

/// The keyring's service name for the secrets `multicard login` keeps.
#[cfg_attr(not(feature = "keyring"), allow(dead_code))]
const SERVICE: &str = "multicard-cli";

/// The explanation `login` gives in a build without the `keyring` feature.
#[cfg_attr(feature = "keyring", allow(dead_code))]
const NO_KEYRING: &str = "this multicard was built without the `keyring` feature, so it keeps no secret: the secret \
                          comes from MULTICARD_SECRET or, on a terminal, a prompt that does not echo. To keep it in \
                          the platform's keyring, install multicard with `--features keyring` and run `multicard \
                          login` again.";

/// `multicard login` and `multicard profile`.
pub(crate) fn commands() -> [Command; 2] {
    let login = Command::new("login")
        .about("Keep the secret of the selected profile (--profile) in the platform's keyring (the `keyring` feature)")
        .long_about(
            "Asks for the secret of the selected profile's application (no echo; read from standard input when it \
             is not a terminal), checks it with /auth, and keeps it in the platform's keyring under the \
             application id and base URL. Later runs look for the secret in MULTICARD_SECRET, then the keyring, \
             then ask. Needs a build with the `keyring` feature; without it, says where the secret comes from.",
        )
        .arg(
            Arg::new("forget")
                .long("forget")
                .action(ArgAction::SetTrue)
                .help("Remove the kept secret of the selected profile's application instead"),
        );
    let profile = Command::new("profile").about(
        "Show what the selected profile (--profile, MULTICARD_PROFILE) resolves to: application id, environment, \
         default store id, whether it is production, where the secret comes from (never the secret)",
    );
    [login, profile]
}

/// Runs `multicard profile`.
pub(crate) fn show(matches: &ArgMatches) -> Result<(), Failure> {
    let settings = profile::settings().map_err(|m| fail(exit::USAGE, m))?;
    let target = settings.target();
    let secret_from = if std::env::var("MULTICARD_SECRET").is_ok_and(|v| !v.trim().is_empty()) {
        "MULTICARD_SECRET"
    } else if cfg!(feature = "keyring") {
        "the keyring (multicard login), else the prompt"
    } else {
        "the prompt (no MULTICARD_SECRET)"
    };
    let text = |value: &Option<String>| value.as_deref().map(|v| Value::String(crate::failure::printable(v)));
    let shown = json!({
        "profile": settings.profile.name.as_deref().map(crate::failure::printable).unwrap_or_else(|| "default".into()),
        "file": profile::path().map(|p| crate::failure::printable(&p.display().to_string())),
        "application_id": text(&settings.application_id),
        "environment": match &target {
            Ok(target) => target.shown.clone(),
            Err(message) => message.clone(),
        },
        "production": target.as_ref().is_ok_and(|t| t.production),
        "store_id": text(&settings.store_id),
        "secret_from": secret_from,
    });
    let format = match matches.get_one::<String>("output").map(String::as_str) {
        Some("json") => Format::Json,
        Some("table") | None => Format::Table,
        Some(other) => return Err(fail(exit::USAGE, format!("profile prints table or json, not {other}"))),
    };
    output::print_value(&mut std::io::stdout().lock(), format, &shown)
        .map_err(|e| fail(exit::UNEXPECTED, format!("writing the output: {e}")))
}

/// Runs `multicard login`.
pub(crate) async fn run(matches: &ArgMatches, args: &ArgMatches) -> Result<(), Failure> {
    if matches.get_flag("sandbox") {
        return Err(fail(exit::USAGE, "the embedded sandbox (--sandbox) needs no secret: there is nothing to keep"));
    }
    let settings = profile::settings().map_err(|m| fail(exit::USAGE, m))?;
    if !cfg!(feature = "keyring") {
        return Err(fail(exit::USAGE, NO_KEYRING));
    }
    let user = settings.keyring_user().map_err(|m| fail(exit::USAGE, m))?;
    if args.get_flag("forget") {
        return keyring::forget(&user);
    }
    // A platform without a keyring is said before the secret is asked for.
    keyring::available(&user)?;
    let secret = read_secret()?;
    check(&settings, &secret).await?;
    keyring::keep(&user, &secret)?;
    crate::console::note(&format!(
        "the secret of `{}` is kept in the platform's keyring ({}); MULTICARD_SECRET, when set, still comes \
         first",
        crate::failure::printable(&user),
        settings.profile.shown()
    ));
    Ok(())
}

/// The secret typed at a prompt that does not echo, or the first line of
/// standard input when it is not a terminal.
fn read_secret() -> Result<String, Failure> {
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Multicard secret: ").map_err(|e| fail(exit::USAGE, format!("reading it: {e}")))?
    } else {
        let mut text = String::new();
        std::io::stdin()
            .take(4096)
            .read_to_string(&mut text)
            .map_err(|e| fail(exit::USAGE, format!("reading the secret from standard input: {e}")))?;
        text.lines().next().unwrap_or_default().to_string()
    };
    let secret = secret.trim().to_string();
    if secret.is_empty() {
        return Err(fail(exit::USAGE, "no secret was given; nothing was kept"));
    }
    Ok(secret)
}

/// Asks `/auth` whether the application id and `secret` are accepted.
async fn check(settings: &Settings, secret: &str) -> Result<(), Failure> {
    let application_id = settings.application_id.clone().unwrap_or_default();
    let environment = settings.environment().map_err(|m| fail(exit::USAGE, m))?;
    let config = multicard_api::Config::new(application_id.clone(), secret, environment);
    let multicard = multicard_api::Multicard::new(config).map_err(|e| fail(exit::USAGE, e.to_string()))?;
    let request = || multicard_api::types::AuthRequest::builder().application_id(application_id.clone()).secret(secret);
    match multicard.send(|api| api.get_token().body(request())).await {
        Ok(_) => Ok(()),
        Err(error) => {
            let code = match error {
                multicard_api::Error::Api { .. } | multicard_api::Error::Authentication { .. } => exit::AUTH,
                _ => exit::TRANSPORT,
            };
            let shown = crate::failure::printable(&error.to_string());
            Err(fail(code, format!("/auth did not accept the secret ({shown}); nothing was kept")))
        }
    }
}

/// The secret kept for the selected profile's application, when there is
/// one (the `keyring` feature). A keyring that cannot be read is said on
/// stderr, and the lookup goes on to the prompt.
pub(crate) fn stored_secret(settings: &Settings) -> Option<String> {
    let user = settings.keyring_user().ok()?;
    match keyring::read(&user) {
        Ok(secret) => secret,
        Err(message) => {
            crate::console::note(&format!(
                "the keyring could not be read ({message}); looking elsewhere for the secret"
            ));
            None
        }
    }
}

#[cfg(feature = "keyring")]
mod keyring {
    use super::*;

    /// The keyring's entry for `user`; a platform without a keyring (a
    /// Linux server with no Secret Service on its session bus) is a usage
    /// failure that says where the secret can come from instead.
    fn entry(user: &str) -> Result<::keyring::Entry, Failure> {
        ::keyring::Entry::new(SERVICE, user).map_err(|e| {
            fail(
                exit::USAGE,
                format!(
                    "the platform's keyring cannot be used ({}; on Linux it is the Secret Service, e.g. GNOME \
                     Keyring or KWallet, on the session bus): set MULTICARD_SECRET instead, or let the prompt ask",
                    crate::failure::printable(&e.to_string())
                ),
            )
        })
    }

    /// The kept secret, or none (also where the platform has no keyring
    /// at all, as on a server without a Secret Service).
    pub(super) fn read(user: &str) -> Result<Option<String>, String> {
        let entry = match ::keyring::Entry::new(SERVICE, user) {
            Ok(entry) => entry,
            Err(::keyring::Error::NoDefaultStore) => return Ok(None),
            Err(e) => return Err(crate::failure::printable(&e.to_string())),
        };
        match entry.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(::keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(crate::failure::printable(&e.to_string())),
        }
    }

    pub(super) fn available(user: &str) -> Result<(), Failure> {
        entry(user).map(drop)
    }

    pub(super) fn keep(user: &str, secret: &str) -> Result<(), Failure> {
        entry(user)?.set_password(secret).map_err(|e| {
            let e = crate::failure::printable(&e.to_string());
            fail(exit::UNEXPECTED, format!("the keyring could not keep the secret ({e}); nothing was kept"))
        })
    }

    pub(super) fn forget(user: &str) -> Result<(), Failure> {
        let failed = |e: String| fail(exit::UNEXPECTED, format!("the keyring could not remove the secret: {e}"));
        match entry(user)?.delete_credential() {
            Ok(()) => {
                crate::console::note(&format!("the secret of `{}` is no longer kept", crate::failure::printable(user)));
                Ok(())
            }
            Err(::keyring::Error::NoEntry) => {
                crate::console::note(&format!("no secret of `{}` was kept", crate::failure::printable(user)));
                Ok(())
            }
            Err(e) => Err(failed(crate::failure::printable(&e.to_string()))),
        }
    }
}

#[cfg(not(feature = "keyring"))]
mod keyring {
    use super::*;

    pub(super) fn read(_user: &str) -> Result<Option<String>, String> {
        Ok(None)
    }

    pub(super) fn available(_user: &str) -> Result<(), Failure> {
        Err(fail(exit::USAGE, NO_KEYRING))
    }

    pub(super) fn keep(_user: &str, _secret: &str) -> Result<(), Failure> {
        Err(fail(exit::USAGE, NO_KEYRING))
    }

    pub(super) fn forget(_user: &str) -> Result<(), Failure> {
        Err(fail(exit::USAGE, NO_KEYRING))
    }
}
