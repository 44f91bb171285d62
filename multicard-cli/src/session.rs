//! Where a command's calls go: a local sandbox (`--sandbox`: the one
//! `multicard sandbox start` keeps running, else an ephemeral one embedded
//! in this command) or the configured Multicard (environment and profile).

use std::io::IsTerminal;

use clap::ArgMatches;
use multicard_api::{Config, Environment, Multicard};
use multicard_sandbox::Sandbox;

use crate::console;
use crate::exit;
use crate::failure::{Failure, fail, printable};
use crate::profile::{self, Credentials, Target};
use crate::running::{self, Found};

/// The sandbox a `--sandbox` command talks to: the running one, or one
/// embedded in this command (it runs while the value lives).
pub(crate) struct LocalSandbox {
    url: String,
    _embedded: Option<Sandbox>,
}

impl LocalSandbox {
    /// A client configuration for it: its URL and the sandbox's
    /// credentials.
    pub(crate) fn config(&self) -> Config {
        let (application_id, secret) = (multicard_sandbox::APPLICATION_ID, multicard_sandbox::SECRET);
        Config::new(application_id, secret, Environment::Custom(self.url.clone()))
    }
}

/// With `--sandbox`, the running sandbox when the discovery file names one
/// that answers, else an ephemeral one started now; one line on stderr says
/// which (and why a discovery file was not believed).
pub(crate) async fn sandbox(matches: &ArgMatches) -> Result<Option<LocalSandbox>, Failure> {
    if !matches.get_flag("sandbox") {
        return Ok(None);
    }
    match running::find().await {
        Found::Live(running) => {
            console::note(&format!("using the running sandbox at {}", printable(&running.url)));
            return Ok(Some(LocalSandbox { url: running.url, _embedded: None }));
        }
        Found::Ignored(why) => console::note(&why),
        Found::Nothing => {}
    }
    ephemeral().await.map(Some)
}

/// An ephemeral sandbox, said so on stderr.
pub(crate) async fn ephemeral() -> Result<LocalSandbox, Failure> {
    console::note(
        "no running sandbox (`multicard sandbox start` keeps one): this command uses an ephemeral sandbox that stops \
         when it ends",
    );
    let sandbox = Sandbox::start().await.map_err(|e| fail(exit::TRANSPORT, format!("starting the sandbox: {e}")))?;
    Ok(LocalSandbox { url: sandbox.url().to_string(), _embedded: Some(sandbox) })
}

/// Where a command's calls go, known before the secret is asked for and
/// before anything is sent: a local sandbox (never production), or what
/// the profile and the environment name.
pub(crate) fn target(matches: &ArgMatches) -> Result<Target, Failure> {
    if matches.get_flag("sandbox") {
        return Ok(Target { shown: "a local sandbox (--sandbox)".into(), production: false });
    }
    profile::settings().and_then(|settings| settings.target()).map_err(|m| fail(exit::USAGE, m))
}

/// The configuration and credentials for `sandbox` (with `--sandbox`) or
/// the configured Multicard.
pub(crate) fn config(sandbox: Option<&LocalSandbox>) -> Result<(Config, Credentials), Failure> {
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
pub(crate) fn client(sandbox: Option<&LocalSandbox>) -> Result<Multicard, Failure> {
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
