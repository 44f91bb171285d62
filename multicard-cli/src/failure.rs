//! A failure of the command line, the text it prints safely, and the error
//! object `-o json` prints instead of the text.

use serde_json::{Map, Value, json};

use crate::exit;

/// A failure of the command line itself, with its exit code.
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
    /// What the error object of `-o json` carries besides the exit code and
    /// the message: `code` (Multicard's error code), `reason`, and for an
    /// unknown outcome `settle` and `read` (see [`Failure::object`]).
    pub(crate) fields: Map<String, Value>,
}

pub(crate) fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure { code, message: message.into(), fields: Map::new() }
}

impl Failure {
    /// The failure with `key` set in its error object.
    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(key.to_string(), value.into());
        self
    }

    /// The error object `-o json` prints on stderr, one line:
    /// `{"error": {"code", "reason", "exit", "exit_class", "message", …}}`.
    /// `code` is Multicard's error code (null when Multicard sent none),
    /// `reason` what kind of failure it is (for Multicard's errors the
    /// SDK's class: `rejected`, `conflict`, `declined`, `outcome_unknown`;
    /// else the exit class), then any fields the failure carries.
    pub(crate) fn object(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), self.fields.get("code").cloned().unwrap_or(Value::Null));
        let reason = self.fields.get("reason").cloned().unwrap_or_else(|| json!(exit::class(self.code)));
        error.insert("reason".into(), reason);
        error.insert("exit".into(), json!(self.code));
        error.insert("exit_class".into(), json!(exit::class(self.code)));
        error.insert("message".into(), json!(self.message));
        for (key, value) in &self.fields {
            if !error.contains_key(key) {
                error.insert(key.clone(), value.clone());
            }
        }
        json!({ "error": error })
    }
}

/// `text` with every control character but a line break escaped
/// (`\u{1b}`): nothing Multicard sends reaches the terminal raw.
pub(crate) fn printable(text: &str) -> String {
    text.split('\n').map(multicard_api::escape_controls).collect::<Vec<_>>().join("\n")
}

/// `text` as one word for a POSIX shell: as it is when it is plainly safe,
/// else single-quoted.
pub(crate) fn shell_quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/@".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_object_has_the_code_the_reason_and_the_exit_class() {
        let plain = fail(exit::USAGE, "--store-id is required").object();
        assert_eq!(
            plain,
            json!({"error": {"code": null, "reason": "usage", "exit": 2, "exit_class": "usage", "message": "--store-id is required"}})
        );
        let api = fail(exit::CONFLICT, "x").with("code", "ERROR_FIELDS").with("reason", "conflict").with("read", "r");
        let api = api.object();
        assert_eq!(
            (api["error"]["code"].as_str(), api["error"]["reason"].as_str()),
            (Some("ERROR_FIELDS"), Some("conflict"))
        );
        assert_eq!((api["error"]["exit"].as_u64(), api["error"]["read"].as_str()), (Some(8), Some("r")));
    }
}
