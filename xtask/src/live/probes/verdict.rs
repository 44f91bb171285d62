//! What a probe answered: its question and lines of relations and codes
//! (never values), or `"not measured: <why>"`; the report's section and
//! `spec/observed/probes.json`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::live::shape::PROBES_FILE;

/// What starts the line of a probe that could not run.
pub const NOT_MEASURED: &str = "not measured: ";

/// A probe's name and question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    /// `callback_amount`.
    pub id: &'static str,
    /// What it asks.
    pub text: &'static str,
}

/// One probe's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// `callback_amount`.
    pub probe: String,
    /// The question it answers.
    pub question: String,
    /// Whether it measured anything (a part of it may still say "not
    /// measured").
    pub measured: bool,
    /// Its answer, one relation a line.
    pub answer: Vec<String>,
}

impl Probe {
    /// A probe that measured `answer`.
    pub fn measured(question: &Question, answer: Vec<String>) -> Self {
        Self { probe: question.id.to_string(), question: question.text.to_string(), measured: true, answer }
    }

    /// A probe that could not run, and why.
    pub fn not_measured(question: &Question, why: impl AsRef<str>) -> Self {
        let answer = vec![format!("{NOT_MEASURED}{}", why.as_ref())];
        Self { probe: question.id.to_string(), question: question.text.to_string(), measured: false, answer }
    }

    /// `Ok` lines measured, `Err` why not.
    pub fn from_result(question: &Question, result: Result<Vec<String>, String>) -> Self {
        match result {
            Ok(answer) => Self::measured(question, answer),
            Err(why) => Self::not_measured(question, why),
        }
    }
}

/// The report's section: one line per line of an answer, `probe  line`.
pub fn render(probes: &[Probe]) -> String {
    let width = probes.iter().map(|p| p.probe.len()).max().unwrap_or(0);
    let mut out = String::new();
    for probe in probes {
        for line in &probe.answer {
            out.push_str(&format!("{:<width$}  {line}\n", probe.probe));
        }
    }
    out
}

/// The file `probes.json`: the probes in run order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbesFile {
    /// What the file is.
    pub about: String,
    /// The probes.
    pub probes: Vec<Probe>,
}

/// What the file says it is.
pub const ABOUT: &str = "cargo xtask live-check probes: relations and error codes only, never values";

/// Writes `dir/probes.json` (pretty, in run order); returns its path.
pub fn write(dir: &Path, probes: &[Probe]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let file = dir.join(PROBES_FILE);
    let content = ProbesFile { about: ABOUT.to_string(), probes: probes.to_vec() };
    let mut text = serde_json::to_string_pretty(&content).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(&file, text)?;
    Ok(file)
}
