//! Where a command's calls go: the embedded sandbox (`--sandbox`) or the
//! configured Multicard (environment and profile).

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
        None => profile::config().map_err(|m| fail(exit::USAGE, m)),
    }
}

/// A client for `sandbox` or the configured Multicard.
pub(crate) fn client(sandbox: Option<&Sandbox>) -> Result<Multicard, Failure> {
    let (config, _credentials) = config(sandbox)?;
    Multicard::new(config).map_err(|e| fail(exit::USAGE, e.to_string()))
}
