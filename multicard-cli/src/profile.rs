//! Where the client's configuration comes from: the profile file
//! (`~/.config/multicard/config.toml`, or `$MULTICARD_CONFIG`) and the
//! `MULTICARD_*` environment variables. The file never holds the secret.
//!
//! ```toml
//! # The default profile: the keys at the top, used without --profile.
//! application_id = "my_app"
//! environment = "sandbox"
//! store_id = "6"
//!
//! # A named profile: `--profile live` (or MULTICARD_PROFILE=live).
//! [profiles.live]
//! application_id = "my_app"
//! environment = "production"
//! store_id = "6"
//! production = true
//! ```
//!
//! A named profile stands alone (it takes nothing from the default one) and
//! its keys win over the variables (`MULTICARD_APPLICATION_ID`,
//! `MULTICARD_ENV`/`MULTICARD_BASE_URL`, `MULTICARD_STORE_ID`); the default
//! profile's keys yield to them. `production = true` marks a profile whose
//! calls reach production whatever its URL says (a proxy in front of
//! Multicard): its writes need `--live`, like those sent to Multicard's
//! production URL. The secret comes from `MULTICARD_SECRET`, then the
//! platform's keyring (`multicard login`, with the `keyring` feature), then
//! a prompt on a terminal that does not echo.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use multicard_api::Environment;

/// The string keys a profile may hold, and the variable each stands for.
const KEYS: [(&str, &str); 4] = [
    ("application_id", "MULTICARD_APPLICATION_ID"),
    ("environment", "MULTICARD_ENV"),
    ("base_url", "MULTICARD_BASE_URL"),
    ("store_id", "MULTICARD_STORE_ID"),
];

/// The keys a profile may hold, as its errors list them.
const EXPECTED: &str = "application_id, environment, base_url, store_id, production";

/// The host of Multicard's production URL ([`Environment::PRODUCTION_URL`]).
const PRODUCTION_HOST: &str = "mesh.multicard.uz";

/// One profile of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Its name under `[profiles]`; `None` for the default profile.
    pub name: Option<String>,
    /// Its string keys (`application_id`, `environment`, `base_url`, `store_id`).
    pub keys: BTreeMap<String, String>,
    /// `production = true`: its calls reach production.
    pub production: bool,
}

impl Profile {
    /// How messages name it: `profile `live`` or `the default profile`.
    pub fn shown(&self) -> String {
        match &self.name {
            Some(name) => format!("profile `{}`", one_line(name)),
            None => "the default profile".into(),
        }
    }
}

/// The profile file: the default profile and the named ones.
#[derive(Debug, Default)]
pub struct Profiles {
    /// The keys at the top of the file.
    pub default: Profile,
    /// `[profiles.NAME]`, by name.
    pub named: BTreeMap<String, Profile>,
}

static CHOSEN: OnceLock<Option<String>> = OnceLock::new();

/// Chooses the profile of this run (`--profile`); without one,
/// `MULTICARD_PROFILE` names it, else the default profile is used. The
/// first choice holds.
pub fn choose(name: Option<&str>) {
    let _ = CHOSEN.set(name.map(str::to_string));
}

fn chosen() -> Option<String> {
    CHOSEN.get().cloned().flatten().or_else(|| env("MULTICARD_PROFILE"))
}

/// An environment variable, when set and not blank.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `text` on one line with every control character escaped.
fn one_line(text: &str) -> String {
    multicard_api::escape_controls(text).into_owned()
}

/// The profile file's path.
pub fn path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MULTICARD_CONFIG") {
        return Some(PathBuf::from(path));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("multicard").join("config.toml"))
}

/// Reads the profile file (TOML): the default profile's keys at the top,
/// named profiles as `[profiles.NAME]` tables. A `secret` key is refused
/// wherever it is: the secret never lives in a file.
pub fn read(text: &str) -> Result<Profiles, String> {
    // The parser's message, with the line it is on, but not the line's
    // text: a malformed line may hold a secret put there by mistake.
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map_or(0, |span| text[..span.start.min(text.len())].lines().count().max(1));
        format!("line {line}: {}", e.message())
    })?;
    let mut named = BTreeMap::new();
    if let Some(profiles) = table.remove("profiles") {
        let toml::Value::Table(profiles) = profiles else {
            return Err("`profiles` must be a table of profiles: [profiles.NAME]".into());
        };
        for (name, profile) in profiles {
            let where_ = format!("[profiles.{}]", one_line(&name));
            let toml::Value::Table(profile) = profile else {
                return Err(format!("{where_} must be a table of keys ({EXPECTED})"));
            };
            let profile = keys(profile, Some(name.clone())).map_err(|e| format!("{where_}: {e}"))?;
            named.insert(name, profile);
        }
    }
    Ok(Profiles { default: keys(table, None)?, named })
}

/// One profile's keys, checked.
fn keys(table: toml::Table, name: Option<String>) -> Result<Profile, String> {
    let mut profile = Profile { name, ..Profile::default() };
    for (key, value) in table {
        if key == "secret" {
            return Err("the profile holds a `secret`: remove it; the secret comes only from MULTICARD_SECRET, \
                        the keyring (multicard login) or the prompt"
                .into());
        }
        match (key.as_str(), value) {
            ("production", toml::Value::Boolean(on)) => profile.production = on,
            ("production", _) => return Err("the value of `production` must be true or false".into()),
            // A store id is a number to Multicard; either spelling is taken.
            ("store_id", toml::Value::Integer(id)) => {
                profile.keys.insert(key, id.to_string());
            }
            (_, toml::Value::String(value)) if KEYS.iter().any(|(k, _)| *k == key) => {
                profile.keys.insert(key, value);
            }
            _ if KEYS.iter().any(|(k, _)| *k == key) => {
                return Err(format!("the value of `{key}` must be a string"));
            }
            _ => return Err(format!("unknown key `{}` (expected {EXPECTED})", one_line(&key))),
        }
    }
    Ok(profile)
}

/// The profile file's profiles, or none when there is no file.
fn load() -> Result<(Profiles, Option<PathBuf>), String> {
    match path() {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let profiles = read(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((profiles, Some(path)))
        }
        _ => Ok((Profiles::default(), None)),
    }
}

/// The profile this run uses: the one `--profile` or `MULTICARD_PROFILE`
/// names (an error when the file has none of that name), else the default.
pub fn selected() -> Result<Profile, String> {
    let (mut profiles, path) = load()?;
    let Some(name) = chosen() else { return Ok(profiles.default) };
    if let Some(profile) = profiles.named.remove(&name) {
        return Ok(profile);
    }
    let file = path.as_ref().map(|p| p.display().to_string());
    let names: Vec<String> = profiles.named.keys().map(|n| one_line(n)).collect();
    Err(match (file, names.is_empty()) {
        (None, _) => format!(
            "no profile `{}`: there is no profile file ({}; MULTICARD_CONFIG names another)",
            one_line(&name),
            path_shown()
        ),
        (Some(file), true) => format!("no profile `{}` in {file}: it has no [profiles.NAME] table", one_line(&name)),
        (Some(file), false) => {
            format!("no profile `{}` in {file} (it has: {})", one_line(&name), names.join(", "))
        }
    })
}

fn path_shown() -> String {
    path().map_or_else(|| "no HOME to find it in".into(), |p| p.display().to_string())
}

/// What a run is configured with, the secret aside.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The profile in use.
    pub profile: Profile,
    /// The application id, from the profile or `MULTICARD_APPLICATION_ID`.
    pub application_id: Option<String>,
    /// `environment`/`MULTICARD_ENV`, when the URL comes from it.
    environment: Option<String>,
    /// `base_url`/`MULTICARD_BASE_URL`.
    base_url: Option<String>,
    /// The default store id.
    pub store_id: Option<String>,
}

/// The settings of this run: the selected profile and the variables (a
/// named profile's keys first, the default profile's after the variables).
pub fn settings() -> Result<Settings, String> {
    let profile = selected()?;
    let named = profile.name.is_some();
    let key = |key: &str| profile.keys.get(key).cloned().filter(|v| !v.trim().is_empty());
    let pick =
        |name: &str, var: &str| if named { key(name).or_else(|| env(var)) } else { env(var).or_else(|| key(name)) };
    // Where the calls go is taken as a whole from one place: a URL from
    // the profile and an environment from a variable do not mix.
    let from_profile = key("environment").is_some() || key("base_url").is_some();
    let from_variables = env("MULTICARD_ENV").is_some() || env("MULTICARD_BASE_URL").is_some();
    let (environment, base_url) = if from_profile && (named || !from_variables) {
        (key("environment"), key("base_url"))
    } else {
        (env("MULTICARD_ENV"), env("MULTICARD_BASE_URL"))
    };
    Ok(Settings {
        application_id: pick("application_id", "MULTICARD_APPLICATION_ID"),
        store_id: pick("store_id", "MULTICARD_STORE_ID"),
        environment,
        base_url,
        profile,
    })
}

impl Settings {
    /// Where the calls go: the base URL, else the environment's name.
    pub fn environment(&self) -> Result<Environment, String> {
        if let Some(url) = &self.base_url {
            return Ok(Environment::Custom(url.clone()));
        }
        match self.environment.as_deref().map(|e| e.trim().to_ascii_lowercase()) {
            Some(name) if matches!(name.as_str(), "sandbox" | "dev" | "test") => Ok(Environment::Sandbox),
            Some(name) if matches!(name.as_str(), "production" | "prod") => Ok(Environment::Production),
            Some(name) => Err(format!("the environment is `{}`; expected `sandbox` or `production`", one_line(&name))),
            None => Err(format!(
                "no environment: set MULTICARD_ENV (sandbox|production) or MULTICARD_BASE_URL, or `environment` or \
                 `base_url` in {} ({}), or use --sandbox",
                self.profile.shown(),
                path_shown()
            )),
        }
    }

    /// Where the calls go, as the confirmation and the guard of production
    /// see it.
    pub fn target(&self) -> Result<Target, String> {
        let environment = self.environment()?;
        let url = environment.base_url();
        let production_url = is_production_url(url);
        let mut shown = match environment {
            Environment::Production => format!("production {url}"),
            Environment::Sandbox => format!("sandbox {url}"),
            _ if production_url => format!("production {}", url_shown(url)),
            _ => url_shown(url),
        };
        if self.profile.production {
            shown.push_str(&format!(" ({}, marked production)", self.profile.shown()));
        } else if self.profile.name.is_some() {
            shown.push_str(&format!(" ({})", self.profile.shown()));
        }
        let production = production_url || self.profile.production;
        Ok(Target { shown, production })
    }

    /// The key the secret is kept under in the keyring: the application id
    /// and where it is used.
    pub fn keyring_user(&self) -> Result<String, String> {
        let application_id = self.application_id.as_deref().ok_or_else(missing_application_id)?;
        Ok(format!("{application_id}@{}", self.environment()?.base_url()))
    }
}

pub(crate) fn missing_application_id() -> String {
    format!(
        "no application id: set MULTICARD_APPLICATION_ID or `application_id` in the profile ({}), or use --sandbox",
        path_shown()
    )
}

/// Where a run's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// As the confirmation shows it: `sandbox https://dev-mesh.multicard.uz`,
    /// `production https://mesh.multicard.uz (profile `live`, marked production)`.
    pub shown: String,
    /// Whether writes need `--live`.
    pub production: bool,
}

/// Whether `url`'s host is Multicard's production host, whatever its
/// scheme, port, path, case or trailing dot.
pub fn is_production_url(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = host_port.split(':').next().unwrap_or_default();
    host.trim_end_matches('.').eq_ignore_ascii_case(PRODUCTION_HOST)
}

/// A URL as it may be printed: credentials (`user:password@`) left out,
/// control characters escaped.
pub fn url_shown(url: &str) -> String {
    let hidden = match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://<redacted>@{host}{}", &rest[end..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    };
    one_line(&hidden)
}

/// The store commands use when they are not given one: the selected
/// profile's `store_id` and `MULTICARD_STORE_ID` (a named profile's first,
/// the default profile's after the variable).
pub fn default_store_id() -> Result<Option<String>, String> {
    Ok(settings()?.store_id)
}

/// The application id and secret a configuration was made with.
pub struct Credentials {
    /// `MULTICARD_APPLICATION_ID` or the profile's.
    pub application_id: String,
    /// `MULTICARD_SECRET`, the keyring's or what was typed at the prompt.
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_never_holds_the_secret() {
        let profiles = read("# mine\napplication_id = \"app\"\nenvironment = \"sandbox\"\n").unwrap();
        assert_eq!(profiles.default.keys["application_id"], "app");
        assert!(profiles.named.is_empty());
        assert!(read("secret = \"x\"").unwrap_err().contains("secret"));
        assert!(read("[profiles.live]\nsecret = \"x\"").unwrap_err().contains("[profiles.live]: the profile holds"));
        assert!(read("colour = \"x\"").is_err());
    }

    #[test]
    fn the_profile_is_toml() {
        // Escapes, literal strings and comments after a value, as TOML has them.
        let profiles =
            read("application_id = 'my_app' # the store's\nbase_url = \"https://example.test/a\\u0062\"\n").unwrap();
        assert_eq!(profiles.default.keys["application_id"], "my_app");
        assert_eq!(profiles.default.keys["base_url"], "https://example.test/ab");
        assert!(read("application_id = 6").unwrap_err().contains("must be a string"));
        assert!(read("application_id = \"unterminated").is_err());
        // The secret is refused, and never echoed.
        let refused = read("secret = \"Pw18axeBFo8V7NamKHXX\"").unwrap_err();
        assert!(!refused.contains("Pw18axe"), "{refused}");
        let malformed = read("secret = \"Pw18axeBFo8V7NamKHXX").unwrap_err();
        assert!(!malformed.contains("Pw18axe") && malformed.starts_with("line 1:"), "{malformed}");
    }

    #[test]
    fn named_profiles_are_tables_under_profiles() {
        let text = "application_id = \"default_app\"\nstore_id = 6\n\n[profiles.live]\napplication_id = \
                    \"live_app\"\nenvironment = \"production\"\nstore_id = \"9\"\nproduction = true\n\n[profiles.\
                    staging]\nbase_url = \"https://proxy.example/\"\n";
        let profiles = read(text).unwrap();
        assert_eq!(profiles.default.keys["store_id"], "6");
        assert!(!profiles.default.production);
        let live = &profiles.named["live"];
        assert_eq!(live.name.as_deref(), Some("live"));
        assert_eq!((live.keys["application_id"].as_str(), live.keys["store_id"].as_str()), ("live_app", "9"));
        assert!(live.production);
        assert!(!profiles.named["staging"].production);
        assert!(!profiles.named["staging"].keys.contains_key("application_id"), "a named profile stands alone");
        assert!(read("production = \"yes\"").unwrap_err().contains("true or false"));
        assert!(read("profiles = 1").unwrap_err().contains("[profiles.NAME]"));
        assert!(read("[profiles.x]\ncolour = 1").unwrap_err().starts_with("[profiles.x]: unknown key"));
    }

    fn settings(profile: Profile, environment: Option<&str>, base_url: Option<&str>) -> Settings {
        Settings {
            profile,
            application_id: Some("my_app".into()),
            environment: environment.map(str::to_string),
            base_url: base_url.map(str::to_string),
            store_id: None,
        }
    }

    #[test]
    fn where_the_calls_go_and_whether_it_is_production() {
        let default = Profile::default();
        let production = settings(default.clone(), Some("prod"), None).target().unwrap();
        assert_eq!(production, Target { shown: "production https://mesh.multicard.uz".into(), production: true });
        let sandbox = settings(default.clone(), Some("sandbox"), None).target().unwrap();
        assert_eq!(sandbox, Target { shown: "sandbox https://dev-mesh.multicard.uz".into(), production: false });
        let by_url = settings(default.clone(), None, Some("https://mesh.multicard.uz/")).target().unwrap();
        assert!(by_url.production && by_url.shown.starts_with("production "), "{by_url:?}");
        let loopback = settings(default.clone(), None, Some("http://127.0.0.1:8090")).target().unwrap();
        assert!(!loopback.production, "{loopback:?}");
        let marked = Profile { name: Some("live".into()), production: true, ..Profile::default() };
        let marked = settings(marked, None, Some("http://127.0.0.1:8090")).target().unwrap();
        assert!(marked.production && marked.shown.contains("profile `live`, marked production"), "{marked:?}");
        assert!(settings(default.clone(), Some("staging"), None).target().unwrap_err().contains("`staging`"));
        // The keyring keeps a secret per application and place.
        let user = settings(default, None, Some("http://127.0.0.1:8090/")).keyring_user().unwrap();
        assert_eq!(user, "my_app@http://127.0.0.1:8090");
    }

    #[test]
    fn production_is_multicards_production_host_and_nothing_else() {
        for url in [
            Environment::PRODUCTION_URL,
            "https://mesh.multicard.uz/",
            "https://MESH.Multicard.UZ.:443/api",
            "https://user:pw@mesh.multicard.uz",
        ] {
            assert!(is_production_url(url), "{url}");
        }
        for url in [
            Environment::SANDBOX_URL,
            "http://127.0.0.1:8080",
            "http://localhost/mesh.multicard.uz",
            "https://mesh.multicard.uz.evil.test",
            "https://evil.test/?mesh.multicard.uz",
            "mesh.multicard.uz",
        ] {
            assert!(!is_production_url(url), "{url}");
        }
        assert_eq!(url_shown("https://merchant:hunter2@proxy.test/a\u{1b}"), "https://<redacted>@proxy.test/a\\u{1b}");
    }
}
