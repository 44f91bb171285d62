//! Drift signals: what the SDK notices, while it runs, that the spec does
//! not say. The tolerant reader keeps such answers working; this module
//! makes sure somebody hears about them, so the spec can learn.
//!
//! Three kinds ([`DriftKind`]):
//!
//! - a field the spec does not name (serde skips it): looked for on the
//!   first answer of each operation a client receives and then on one in
//!   [`FIELD_CHECK_EVERY`] (it takes a second pass over the body);
//! - an enum value the spec does not name (it decodes as `Unknown`): on
//!   every answer;
//! - an informative field that did not decode (it was left empty, see
//!   [`informative`](crate::informative)): on every answer.
//!
//! Each (kind, operation, JSON path) logs one `tracing` warning per process
//! (target `multicard::drift`) naming the operation and the path, never a
//! value; [`Multicard::drift_signals`](crate::Multicard::drift_signals)
//! counts every time a client saw one, for a service to export.
//! [`Config::with_drift_signals(false)`](crate::Config::with_drift_signals)
//! turns all of it off.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use serde::de::DeserializeOwned;

pub use crate::attempt::DriftKind;
use crate::attempt::{ATTEMPT, Finding};
use crate::operation_table::{OPERATIONS, OperationInfo};

/// After the first answer of an operation, one answer in this many is
/// searched for fields the spec does not name.
pub const FIELD_CHECK_EVERY: u32 = 64;

/// The most places one answer reports; the rest are counted under `<more>`.
pub const MAX_PER_ANSWER: usize = 32;

/// The most (kind, operation, path) a client counts; later ones are counted
/// under the path `<other>`.
pub const MAX_SIGNALS: usize = 256;

/// The most (kind, operation, path) a process warns about; past it, one last
/// warning says so.
pub const MAX_WARNINGS: usize = 1024;

/// How often a client saw one kind of drift at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriftSignal {
    /// What kind.
    pub kind: DriftKind,
    /// The operation whose answer showed it.
    pub operation: &'static str,
    /// Where: a JSON path from the body's root (`data.store.region`,
    /// arrays as `data[]`); for an unreadable field, the type and field
    /// (`PaymentModel.store`).
    pub path: String,
    /// How many answers showed it (for unknown fields: how many of the
    /// answers searched).
    pub count: u64,
}

/// Every (kind, operation, path) already warned about in this process.
static WARNED: Mutex<BTreeSet<(DriftKind, &'static str, String)>> = Mutex::new(BTreeSet::new());

/// Set once [`MAX_WARNINGS`] is reached and said.
static WARNINGS_CAPPED: AtomicBool = AtomicBool::new(false);

/// The drift one client has seen, and which answers to search for fields.
#[derive(Debug)]
pub(crate) struct Drift {
    counts: Mutex<BTreeMap<(DriftKind, &'static str, String), u64>>,
    /// Answers received per operation, in the order of the operation table.
    answers: [AtomicU32; OPERATIONS.len()],
}

impl Default for Drift {
    fn default() -> Self {
        Self { counts: Mutex::default(), answers: std::array::from_fn(|_| AtomicU32::new(0)) }
    }
}

impl Drift {
    /// Whether the next answer of `info` is to be searched for fields the
    /// spec does not name: the first, then one in [`FIELD_CHECK_EVERY`].
    pub(crate) fn check_fields(&self, info: Option<&'static OperationInfo>) -> bool {
        let Some(info) = info else { return false };
        self.answers
            .get(info.index)
            .is_some_and(|answers| answers.fetch_add(1, Ordering::Relaxed) % FIELD_CHECK_EVERY == 0)
    }

    /// Counts `finding` for `operation`, and warns the first time this
    /// process sees it.
    pub(crate) fn record(&self, operation: &'static str, finding: Finding) {
        let key = (finding.kind, operation, finding.path);
        let first = {
            let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
            if warned.contains(&key) {
                false
            } else if warned.len() < MAX_WARNINGS {
                warned.insert(key.clone())
            } else {
                if !WARNINGS_CAPPED.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        target: "multicard::drift",
                        limit = MAX_WARNINGS,
                        "more places differ from the spec than are warned about; see Multicard::drift_signals"
                    );
                }
                false
            }
        };
        if first {
            let (kind, operation, path) = &key;
            tracing::warn!(
                target: "multicard::drift",
                operation,
                path = %path,
                kind = ?kind,
                "the answer differs from the spec (logged once per process; see Multicard::drift_signals)"
            );
        }
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let key = if counts.len() < MAX_SIGNALS || counts.contains_key(&key) {
            key
        } else {
            (key.0, key.1, "<other>".to_string())
        };
        *counts.entry(key).or_default() += 1;
    }

    /// What this client has seen, sorted by kind, operation and path.
    pub(crate) fn snapshot(&self) -> Vec<DriftSignal> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts
            .iter()
            .map(|((kind, operation, path), count)| DriftSignal {
                kind: *kind,
                operation,
                path: path.clone(),
                count: *count,
            })
            .collect()
    }
}

/// The most distinct (enum, value) pairs one answer notes; a page in which
/// every row carries the same unknown value notes it once.
pub const MAX_UNKNOWN_VALUES_PER_ANSWER: usize = MAX_PER_ANSWER;

/// Called by every open enum's decoder when a value is not one it knows.
/// Each distinct (enum, value) pair is noted once per answer, and at most
/// [`MAX_UNKNOWN_VALUES_PER_ANSWER`] of them: a registry page of 100,000
/// rows that all drift costs one comparison per row, not a search per row.
pub(crate) fn unknown_enum_value(enum_name: &'static str, value: &str) {
    let _ = ATTEMPT.try_with(|attempt| {
        if attempt.drift && !attempt.replaying.get() {
            let mut pending = attempt.unknown_values.borrow_mut();
            let seen = pending.iter().any(|(name, known)| *name == enum_name && known == value);
            if !seen && pending.len() < MAX_UNKNOWN_VALUES_PER_ANSWER {
                pending.push((enum_name, value.to_string()));
            }
        }
    });
}

/// After a documented answer decoded as `T`: finds where its unknown enum
/// values were, and, when this answer is one to search, the fields the spec
/// does not name. Linear in the answer: one walk finds every unknown value.
pub(crate) fn inspect<T: DeserializeOwned>(body: &[u8]) {
    let _ = ATTEMPT.try_with(|attempt| {
        if !attempt.drift {
            return;
        }
        let pending = attempt.unknown_values.take();
        let mut findings = Vec::new();
        if attempt.check_fields {
            attempt.replaying.set(true);
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            let _ = serde_ignored::deserialize::<_, _, T>(&mut deserializer, |path| {
                if findings.len() <= MAX_PER_ANSWER {
                    findings.push(Finding { kind: DriftKind::UnknownField, path: shown(&json_path(&path.to_string())) })
                }
            });
            attempt.replaying.set(false);
        }
        if !pending.is_empty() {
            let wanted: BTreeSet<&str> = pending.iter().map(|(_, unknown)| unknown.as_str()).collect();
            let mut found: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
            let mut walk = Walk { wanted: &wanted, here: String::new(), found: &mut found };
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            let _ = serde::de::DeserializeSeed::deserialize(&mut walk, &mut deserializer);
            let mut paths = BTreeSet::new();
            for (enum_name, unknown) in &pending {
                match found.get(unknown.as_str()) {
                    Some(places) => paths.extend(places.iter().cloned()),
                    None => {
                        paths.insert(enum_name.to_string());
                    }
                }
            }
            findings.extend(
                paths.into_iter().map(|path| Finding { kind: DriftKind::UnknownEnumValue, path: shown(&path) }),
            );
        }
        if findings.len() > MAX_PER_ANSWER {
            let kind = findings[MAX_PER_ANSWER].kind;
            findings.truncate(MAX_PER_ANSWER);
            findings.push(Finding { kind, path: "<more>".into() });
        }
        attempt.findings.borrow_mut().extend(findings);
    });
}

/// serde_ignored's path (`data.?.items.3.extra`) as a JSON path: array
/// indices as `[]` (`data.items[].extra`, so one field is one path however
/// many rows) and without its `?` for an `Option`.
fn json_path(path: &str) -> String {
    let mut out = String::new();
    for segment in path.split('.').filter(|s| !s.is_empty() && *s != "?") {
        if segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("[]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

/// A path as it may be shown: a segment that does not look like a field
/// name (an identifier of at most 64 characters) is data Multicard used as a
/// key, and becomes `<key>`; card-number-shaped digits are masked.
fn shown(path: &str) -> String {
    let segments: Vec<String> = path
        .split('.')
        .map(|segment| {
            let name = segment.trim_end_matches("[]");
            let arrays = &segment[name.len()..];
            if is_field_name(name) { segment.to_string() } else { format!("<key>{arrays}") }
        })
        .collect();
    crate::scrub::mask_pans(&segments.join(".")).into_owned()
}

/// Whether a key looks like a field name: an identifier of at most 64
/// characters. Any other key is data, shown as `<key>`.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The most distinct paths noted for one unknown value (arrays are one
/// path however many rows they have, so only odd shapes reach it).
const MAX_PATHS_PER_VALUE: usize = 8;

/// One walk of a JSON text, as it is parsed (nothing of it is built in
/// memory), noting the paths under which it holds each of the strings in
/// `wanted` (at most [`MAX_PATHS_PER_VALUE`] each). `here` is the path of the
/// value being read, extended and restored as the walk goes down and back.
struct Walk<'w, 'f> {
    wanted: &'f BTreeSet<&'w str>,
    here: String,
    found: &'f mut BTreeMap<&'w str, BTreeSet<String>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for &mut Walk<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for &mut Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
        if let Some(&key) = self.wanted.get(text) {
            let places = self.found.entry(key).or_default();
            if places.len() < MAX_PATHS_PER_VALUE && !places.contains(self.here.as_str()) {
                places.insert(self.here.clone());
            }
        }
        Ok(())
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let length = self.here.len();
        self.here.push_str("[]");
        while items.next_element_seed(&mut *self)?.is_some() {}
        self.here.truncate(length);
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let length = self.here.len();
        while map.next_key_seed(KeyOnto { path: &mut self.here, parent: length })?.is_some() {
            map.next_value_seed(&mut *self)?;
            self.here.truncate(length);
        }
        Ok(())
    }
}

/// Reads a JSON key onto the end of a path (after a `.` unless the path
/// is the root's), without allocating it on its own.
struct KeyOnto<'p> {
    path: &'p mut String,
    parent: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeyOnto<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeyOnto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<(), E> {
        if self.parent > 0 {
            self.path.push('.');
        }
        // A key that is data becomes `<key>` here, as `shown` would show it:
        // the path then holds at most 64 characters a level (and serde_json
        // reads at most 128 levels), whatever length the keys have, so
        // neither the paths kept nor the comparisons with them grow with
        // the body.
        self.path.push_str(if is_field_name(key) { key } else { "<key>" });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_indices_become_brackets() {
        assert_eq!(json_path("data.items.3.extra"), "data.items[].extra");
        assert_eq!(json_path("data.?.items.0.?.extra"), "data.items[].extra");
        assert_eq!(json_path("data.extra"), "data.extra");
        assert_eq!(json_path("."), "");
    }

    #[test]
    fn keys_that_are_data_are_not_shown() {
        assert_eq!(shown("data.card 8600-5333-6409-8829"), "data.<key>");
        assert_eq!(shown("data.cards.8600533364098829"), "data.cards.<key>");
        assert_eq!(shown("data.rows[].loyalty_tier"), "data.rows[].loyalty_tier");
        assert_eq!(shown("data.x8600533364098829"), "data.x860053******8829");
    }

    fn attempt_with_drift() -> Box<crate::attempt::Attempt> {
        Box::new(crate::attempt::Attempt { drift: true, ..Default::default() })
    }

    #[test]
    fn a_value_repeated_on_every_row_is_noted_once_and_distinct_values_are_bounded() {
        let pending = ATTEMPT.sync_scope(attempt_with_drift(), || {
            for _ in 0..10_000 {
                unknown_enum_value("PaymentSystem", "paynet_next");
            }
            for i in 0..10_000 {
                unknown_enum_value("PaymentStatus", &format!("state_{i}"));
            }
            ATTEMPT.with(|attempt| attempt.unknown_values.take())
        });
        assert_eq!(pending.len(), MAX_UNKNOWN_VALUES_PER_ANSWER);
        assert_eq!(pending.iter().filter(|(_, value)| value == "paynet_next").count(), 1);
    }

    #[test]
    fn a_page_where_every_row_drifts_is_reported_once_per_path() {
        let rows: Vec<serde_json::Value> =
            (0..5_000).map(|i| serde_json::json!({"ps": "paynet_next", "id": i, "status": format!("s{i}")})).collect();
        let body = serde_json::to_vec(&serde_json::json!({"data": {"list": rows}})).unwrap();
        let findings = ATTEMPT.sync_scope(attempt_with_drift(), || {
            for i in 0..5_000 {
                unknown_enum_value("PaymentSystem", "paynet_next");
                unknown_enum_value("PaymentStatus", &format!("s{i}"));
            }
            inspect::<serde_json::Value>(&body);
            ATTEMPT.with(|attempt| attempt.findings.take())
        });
        assert!(findings.len() <= MAX_PER_ANSWER + 1, "{} findings", findings.len());
        let paths: BTreeSet<&str> = findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths.into_iter().collect::<Vec<_>>(), ["data.list[].ps", "data.list[].status"]);
    }

    #[test]
    fn a_huge_key_keeps_the_walk_and_its_paths_bounded() {
        // One key of 1 MiB over 2,000 rows that all hold the unknown value:
        // each row compares the path being read with those kept, so a path
        // as long as the key made the walk quadratic (2,000 x 1 MiB) and
        // kept up to 256 copies of it.
        let key = "k".repeat(1 << 20);
        let rows: Vec<&str> = vec!["paused"; 2_000];
        let body = serde_json::to_vec(&serde_json::json!({"data": {key: rows, "status": "paused"}})).unwrap();
        let wanted = BTreeSet::from(["paused"]);
        let mut found = BTreeMap::new();
        let mut walk = Walk { wanted: &wanted, here: String::new(), found: &mut found };
        serde::de::DeserializeSeed::deserialize(&mut walk, &mut serde_json::Deserializer::from_slice(&body)).unwrap();
        assert!(walk.here.capacity() <= 4_096, "the path being read reached {} bytes", walk.here.capacity());
        let kept: usize = found.values().flatten().map(String::len).sum();
        assert!(kept <= 4_096, "{kept} bytes of paths kept");
        let paths: Vec<&String> = found["paused"].iter().collect();
        assert_eq!(paths, ["data.<key>[]", "data.status"]);
    }

    #[test]
    fn an_unknown_value_is_found_where_it_is() {
        let value = serde_json::json!({"data": {"status": "paused", "rows": [{"ps": "paused"}], "note": "x"}});
        let wanted = BTreeSet::from(["paused", "absent"]);
        let mut found = BTreeMap::new();
        let body = serde_json::to_vec(&value).unwrap();
        let mut walk = Walk { wanted: &wanted, here: String::new(), found: &mut found };
        serde::de::DeserializeSeed::deserialize(&mut walk, &mut serde_json::Deserializer::from_slice(&body)).unwrap();
        let paths: Vec<&String> = found["paused"].iter().collect();
        assert_eq!(paths, ["data.rows[].ps", "data.status"]);
        assert!(!found.contains_key("absent"));
    }
}
