//! Where the client's configuration comes from: the `MULTICARD_*`
//! environment variables first, then the profile file
//! (`~/.config/multicard/config.toml`, or `$MULTICARD_CONFIG`), which holds
//! the application id and the environment or base URL but never the secret.
//! The secret comes from `MULTICARD_SECRET` or, on a terminal, a prompt
//! that does not echo.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use multicard_api::Config;

/// The keys a profile may hold, and the variable each stands for.
const KEYS: [(&str, &str); 4] = [
    ("application_id", "MULTICARD_APPLICATION_ID"),
    ("environment", "MULTICARD_ENV"),
    ("base_url", "MULTICARD_BASE_URL"),
    ("store_id", "MULTICARD_STORE_ID"),
];

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

/// Reads the profile (TOML: `application_id`, `environment`, `base_url`, each
/// a string). A `secret` key is refused: the secret never lives in a file.
pub fn read(text: &str) -> Result<BTreeMap<String, String>, String> {
    // The parser's message, with the line it is on, but not the line's
    // text: a malformed line may hold a secret put there by mistake.
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map_or(0, |span| text[..span.start.min(text.len())].lines().count().max(1));
        format!("line {line}: {}", e.message())
    })?;
    let mut out = BTreeMap::new();
    for (key, value) in table {
        if key == "secret" {
            return Err("the profile holds a `secret`: remove it; the secret comes only from MULTICARD_SECRET or \
                        the prompt"
                .into());
        }
        if !KEYS.iter().any(|(k, _)| *k == key) {
            return Err(format!("unknown key `{key}` (expected application_id, environment, base_url, store_id)"));
        }
        let toml::Value::String(value) = value else {
            return Err(format!("the value of `{key}` must be a string"));
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// The client's configuration from the environment, the profile and, on a
/// terminal, a prompt for the secret; and the application id and secret it
/// was made with (for `auth get-token`, whose body they are).
pub fn config() -> Result<(Config, Credentials), String> {
    let profile = profile()?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut secret = env("MULTICARD_SECRET");
    if secret.is_none() && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        secret =
            Some(rpassword::prompt_password("Multicard secret: ").map_err(|e| format!("reading the secret: {e}"))?);
    }
    let environment_set = env("MULTICARD_ENV").is_some() || env("MULTICARD_BASE_URL").is_some();
    let application_id = env("MULTICARD_APPLICATION_ID").or_else(|| profile.get("application_id").cloned());
    let config = Config::from_lookup(|name| {
        if name == "MULTICARD_SECRET" {
            return secret.clone();
        }
        if let Some(value) = env(name) {
            return Some(value);
        }
        // The profile's environment counts only when the environment names none.
        if environment_set && name != "MULTICARD_APPLICATION_ID" {
            return None;
        }
        KEYS.iter().find(|(_, var)| *var == name).and_then(|(key, _)| profile.get(*key).cloned())
    })
    .map_err(|e| {
        format!("{e} (set MULTICARD_APPLICATION_ID, MULTICARD_SECRET and MULTICARD_ENV or MULTICARD_BASE_URL, or use --sandbox)")
    })?;
    let credentials =
        Credentials { application_id: application_id.unwrap_or_default(), secret: secret.unwrap_or_default() };
    Ok((config, credentials))
}

/// The profile file's keys, or none when there is no file.
fn profile() -> Result<BTreeMap<String, String>, String> {
    match path() {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            read(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        _ => Ok(BTreeMap::new()),
    }
}

/// The store commands use when they are not given one:
/// `MULTICARD_STORE_ID`, else the profile's `store_id`.
#[allow(dead_code)] // the registry commands take it as their default store
pub fn default_store_id() -> Result<Option<String>, String> {
    if let Some(store) = std::env::var("MULTICARD_STORE_ID").ok().filter(|v| !v.trim().is_empty()) {
        return Ok(Some(store));
    }
    Ok(profile()?.get("store_id").cloned())
}

/// The application id and secret a configuration was made with.
pub struct Credentials {
    /// `MULTICARD_APPLICATION_ID` or the profile's.
    pub application_id: String,
    /// `MULTICARD_SECRET` or what was typed at the prompt.
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_never_holds_the_secret() {
        let profile = read("# mine\napplication_id = \"app\"\nenvironment = \"sandbox\"\n").unwrap();
        assert_eq!(profile["application_id"], "app");
        assert!(read("secret = \"x\"").unwrap_err().contains("secret"));
        assert!(read("colour = \"x\"").is_err());
    }

    #[test]
    fn the_profile_is_toml() {
        // Escapes, literal strings and comments after a value, as TOML has them.
        let profile =
            read("application_id = 'my_app' # the store's\nbase_url = \"https://example.test/a\\u0062\"\n").unwrap();
        assert_eq!(profile["application_id"], "my_app");
        assert_eq!(profile["base_url"], "https://example.test/ab");
        assert!(read("application_id = 6").unwrap_err().contains("must be a string"));
        assert!(read("application_id = \"unterminated").is_err());
        // The secret is refused, and never echoed.
        let refused = read("secret = \"Pw18axeBFo8V7NamKHXX\"").unwrap_err();
        assert!(!refused.contains("Pw18axe"), "{refused}");
        let malformed = read("secret = \"Pw18axeBFo8V7NamKHXX").unwrap_err();
        assert!(!malformed.contains("Pw18axe") && malformed.starts_with("line 1:"), "{malformed}");
    }
}
