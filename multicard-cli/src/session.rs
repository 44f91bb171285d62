//! Where a command's calls go: the embedded sandbox (`--sandbox`) or the
//! configured Multicard (environment and profile).

use std::io::IsTerminal;

use clap::ArgMatches;
use multicard_api::{Config, Multicard};
use multicard_sandbox::Sandbox;

use crate::exit;
use crate::failure::{Failure, fail};
use crate::profile::{self, Credentials, Target};

/// The embedded sandbox when `--sandbox` was given, started; it runs
/// while the value lives.
pub(crate) async fn sandbox(matches: &ArgMatches) -> Result<Option<Sandbox>, Failure> {
    if !matches.get_flag("sandbox") {
        return Ok(None);
    }
    Sandbox::start().await.map(Some).map_err(|e| fail(exit::TRANSPORT, format!("starting the sandbox: {e}")))
}

/// Where a command's calls go, known before the secret is asked for and
/// before anything is sent: the embedded sandbox (never production), or
/// what the profile and the environment name.
pub(crate) fn target(matches: &ArgMatches) -> Result<Target, Failure> {
    if matches.get_flag("sandbox") {
        return Ok(Target { shown: "the embedded sandbox (--sandbox)".into(), production: false });
    }
    profile::settings().and_then(|settings| settings.target()).map_err(|m| fail(exit::USAGE, m))
}

/// The configuration and credentials for `sandbox` (when one runs) or the
/// configured Multicard.
pub(crate) fn config(sandbox: Option<&Sandbox>) -> Result<(Config, Credentials), Failure> {
    match sandbox {
        Some(sandbox) => Ok((
            sandbox.config(),
            Credentials {
                application_id: multicard_sandbox::APPLICATION_ID.to_string(),
                secret: multicard_sandbox::SECRET.to_string(),
            },
        )),
        None => configured().map_err(|m| fail(exit::USAGE, m)),
    }
}

/// A client for `sandbox` or the configured Multicard.
pub(crate) fn client(sandbox: Option<&Sandbox>) -> Result<Multicard, Failure> {
    let (config, _credentials) = config(sandbox)?;
    Multicard::new(config).map_err(|e| fail(exit::USAGE, e.to_string()))
}

/// The client's configuration from the settings and the secret
/// (`MULTICARD_SECRET`, the keyring, a prompt on a terminal); and the
/// application id and secret it was made with (for `auth get-token`,
/// whose body they are).
pub(crate) fn configured() -> Result<(Config, Credentials), String> {
    let settings = profile::settings()?;
    let application_id = settings.application_id.clone().ok_or_else(profile::missing_application_id)?;
    let environment = settings.environment()?;
    let secret = secret(&settings)?;
    let config = Config::new(application_id.clone(), secret.clone(), environment);
    Ok((config, Credentials { application_id, secret }))
}

/// The secret: `MULTICARD_SECRET`, then the keyring (the `keyring`
/// feature), then a prompt on a terminal that does not echo.
fn secret(settings: &profile::Settings) -> Result<String, String> {
    if let Some(secret) = profile::env("MULTICARD_SECRET") {
        return Ok(secret);
    }
    if let Some(secret) = crate::login::stored_secret(settings) {
        return Ok(secret);
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        return rpassword::prompt_password("Multicard secret: ").map_err(|e| format!("reading the secret: {e}"));
    }
    Err(format!(
        "no secret: set MULTICARD_SECRET{}, or run on a terminal to be asked for it, or use --sandbox",
        if cfg!(feature = "keyring") { ", store it with `multicard login`" } else { "" }
    ))
}
