//! A failure of the command line, and the text it prints safely.

/// A failure of the command line itself, with its exit code.
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

pub(crate) fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure { code, message: message.into() }
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
