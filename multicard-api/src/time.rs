//! Multicard's timestamps: `YYYY-MM-DD HH:MM:SS` in GMT+5 (Tashkent), with
//! no offset in the string.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

/// Seconds east of UTC of the time zone Multicard writes its timestamps in.
pub const MULTICARD_UTC_OFFSET_SECONDS: i32 = 5 * 3600;

const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The fixed GMT+5 offset.
pub fn multicard_offset() -> FixedOffset {
    FixedOffset::east_opt(MULTICARD_UTC_OFFSET_SECONDS).expect("5 hours is a valid offset")
}

/// A Multicard timestamp: an instant, written in GMT+5.
///
/// ```
/// use multicard_api::time::MulticardDateTime;
/// let t: MulticardDateTime = "2025-03-07 23:12:15".parse().unwrap();
/// assert_eq!(t.to_utc().to_rfc3339(), "2025-03-07T18:12:15+00:00");
/// assert_eq!(t.to_string(), "2025-03-07 23:12:15");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MulticardDateTime(DateTime<FixedOffset>);

/// A string that is not `YYYY-MM-DD HH:MM:SS`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a Multicard timestamp (`YYYY-MM-DD HH:MM:SS`, GMT+5)")]
#[non_exhaustive]
pub struct ParseDateTimeError {
    /// The text that failed, cut to 64 characters.
    pub input: String,
}

impl MulticardDateTime {
    /// The instant given in any time zone.
    pub fn from_utc(instant: DateTime<Utc>) -> Self {
        Self(instant.with_timezone(&multicard_offset()))
    }

    /// The instant in UTC.
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    /// The instant with its GMT+5 offset.
    pub fn as_fixed(&self) -> DateTime<FixedOffset> {
        self.0
    }

    /// The wall-clock time in Tashkent, as written.
    pub fn naive_local(&self) -> NaiveDateTime {
        self.0.naive_local()
    }
}

impl FromStr for MulticardDateTime {
    type Err = ParseDateTimeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseDateTimeError { input: text.chars().take(64).collect() };
        let naive = NaiveDateTime::parse_from_str(text.trim(), FORMAT).map_err(|_| error())?;
        let instant = multicard_offset().from_local_datetime(&naive).single().ok_or_else(error)?;
        Ok(Self(instant))
    }
}

impl fmt::Display for MulticardDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(FORMAT))
    }
}

impl serde::Serialize for MulticardDateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MulticardDateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
