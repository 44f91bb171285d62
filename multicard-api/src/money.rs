//! Money that says its unit: [`Tiyin`].
//!
//! Every amount Multicard sends and receives is a whole number of tiyin
//! (1 сум = 100 tiyin). Integrations that mix the two units charge a payer
//! 100 times too much or too little, so the hand-written API, the receipt
//! builder and the CLI take a [`Tiyin`] and never a bare number:
//!
//! - [`Tiyin::new`] takes tiyin, [`Tiyin::from_sum`] whole сум; both refuse
//!   a negative amount and one beyond `i64` (the wire's integer).
//! - [`str::parse`] takes text that names its unit (`150000tiyin`,
//!   `1500sum`, `1500.50 сум`) and refuses a bare number, a fraction of a
//!   tiyin and anything it cannot read, naming what it was given. There is
//!   no conversion from floating point.
//! - `Display` shows both units: `150000 tiyin (1500.00 сум)`.
//!
//! ```
//! use multicard_api::money::Tiyin;
//!
//! let price: Tiyin = "1500.50sum".parse().unwrap();
//! assert_eq!(price, Tiyin::new(150_050).unwrap());
//! assert_eq!(price.to_string(), "150050 tiyin (1500.50 сум)");
//! assert!("150050".parse::<Tiyin>().is_err()); // which unit?
//! assert!("1500.505sum".parse::<Tiyin>().is_err()); // half a tiyin
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Tiyin in one сум.
pub const TIYIN_PER_SUM: i64 = 100;

/// An amount of money in tiyin (1/100 of a сум), never negative.
///
/// On the wire it is the plain integer Multicard's amounts are.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Tiyin(i64);

/// Why an amount was refused: it names the input and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// A negative amount.
    #[error("`{input}` is negative; an amount is zero or more")]
    Negative {
        /// The amount as given.
        input: String,
    },
    /// More than `i64::MAX` tiyin (or a sum whose tiyin would be).
    #[error("`{input}` is too large: an amount is at most {} tiyin", i64::MAX)]
    TooLarge {
        /// The amount as given.
        input: String,
    },
    /// A fraction of a tiyin (`1500.505sum`, `10.5tiyin`).
    #[error("`{input}` has a fraction of a tiyin; a сум has two decimal places at most and tiyin none")]
    FractionOfTiyin {
        /// The amount as given.
        input: String,
    },
    /// A number without a unit: the mistake that charges 100 times too much.
    #[error("`{input}` has no unit: write `{input}tiyin` or `{input}sum` (1 sum = 100 tiyin)")]
    NoUnit {
        /// The amount as given.
        input: String,
    },
    /// Not an amount at all.
    #[error("`{input}` is not an amount: {reason}; write e.g. `150000tiyin` or `1500.50sum`")]
    Malformed {
        /// The amount as given.
        input: String,
        /// What could not be read.
        reason: &'static str,
    },
}

impl Tiyin {
    /// No money.
    pub const ZERO: Tiyin = Tiyin(0);

    /// `tiyin` tiyin; refuses a negative amount.
    pub fn new(tiyin: i64) -> Result<Tiyin, MoneyError> {
        if tiyin < 0 {
            return Err(MoneyError::Negative { input: format!("{tiyin} tiyin") });
        }
        Ok(Tiyin(tiyin))
    }

    /// `sum` whole сум (`sum` × 100 tiyin); refuses a negative amount and
    /// one whose tiyin do not fit in `i64`.
    pub fn from_sum(sum: i64) -> Result<Tiyin, MoneyError> {
        let input = || format!("{sum} sum");
        if sum < 0 {
            return Err(MoneyError::Negative { input: input() });
        }
        sum.checked_mul(TIYIN_PER_SUM).map(Tiyin).ok_or_else(|| MoneyError::TooLarge { input: input() })
    }

    /// The amount in tiyin, as the wire carries it.
    pub const fn tiyin(self) -> i64 {
        self.0
    }

    /// The amount in сум with two decimals, e.g. `1500.50` (no unit).
    pub fn sum_text(self) -> String {
        format!("{}.{:02}", self.0 / TIYIN_PER_SUM, self.0 % TIYIN_PER_SUM)
    }

    /// `self + other`, or `None` past `i64::MAX`.
    pub fn checked_add(self, other: Tiyin) -> Option<Tiyin> {
        self.0.checked_add(other.0).map(Tiyin)
    }

    /// `self - other`, or `None` below zero.
    pub fn checked_sub(self, other: Tiyin) -> Option<Tiyin> {
        self.0.checked_sub(other.0).filter(|v| *v >= 0).map(Tiyin)
    }

    /// `self × times` (a quantity), or `None` past `i64::MAX`.
    pub fn checked_mul(self, times: i64) -> Option<Tiyin> {
        if times < 0 {
            return None;
        }
        self.0.checked_mul(times).map(Tiyin)
    }
}

impl TryFrom<i64> for Tiyin {
    type Error = MoneyError;

    fn try_from(tiyin: i64) -> Result<Tiyin, MoneyError> {
        Tiyin::new(tiyin)
    }
}

impl From<Tiyin> for i64 {
    fn from(amount: Tiyin) -> i64 {
        amount.0
    }
}

impl<'de> Deserialize<'de> for Tiyin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Tiyin, D::Error> {
        let tiyin = i64::deserialize(deserializer)?;
        Tiyin::new(tiyin).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Tiyin {
    /// `150050 tiyin (1500.50 сум)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} tiyin ({} сум)", self.0, self.sum_text())
    }
}

impl fmt::Debug for Tiyin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tiyin({})", self.0)
    }
}

/// The units [`Tiyin`]'s parser knows, as written after the number
/// (compared without case; a space between number and unit is allowed).
const SUM_UNITS: [&str; 6] = ["sum", "сум", "som", "so'm", "soʻm", "uzs"];
const TIYIN_UNITS: [&str; 3] = ["tiyin", "тийин", "tiyn"];

impl FromStr for Tiyin {
    type Err = MoneyError;

    /// `150000tiyin`, `150000 tiyin`, `1500sum`, `1500.5 сум`, `1500.50UZS`.
    /// A bare number is refused ([`MoneyError::NoUnit`]).
    fn from_str(text: &str) -> Result<Tiyin, MoneyError> {
        // What was given, for the error: at most 64 characters, control,
        // invisible and reordering (bidi) characters replaced.
        let input =
            || text.chars().take(64).map(|c| if crate::scrub::is_unsafe_char(c) { '?' } else { c }).collect::<String>();
        let trimmed = text.trim();
        let split = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'));
        let (number, unit) = match split {
            Some(at) => (&trimmed[..at], trimmed[at..].trim_start().to_lowercase()),
            None => (trimmed, String::new()),
        };
        if number.is_empty() {
            return Err(MoneyError::Malformed { input: input(), reason: "it does not start with a number" });
        }
        if number.starts_with('-') {
            return Err(MoneyError::Negative { input: input() });
        }
        let number = number.strip_prefix('+').unwrap_or(number);
        let (whole, fraction) = match number.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (number, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Malformed { input: input(), reason: "its number is not plain digits" });
        }
        if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
            return Err(MoneyError::Malformed { input: input(), reason: "its fraction is not plain digits" });
        }
        let too_large = || MoneyError::TooLarge { input: input() };
        let whole: i64 = whole.parse().map_err(|_| too_large())?;
        if unit.is_empty() {
            return Err(MoneyError::NoUnit { input: input() });
        }
        if TIYIN_UNITS.contains(&unit.as_str()) {
            if fraction.is_some_and(|f| f.bytes().any(|b| b != b'0')) {
                return Err(MoneyError::FractionOfTiyin { input: input() });
            }
            return Ok(Tiyin(whole));
        }
        if !SUM_UNITS.contains(&unit.as_str()) {
            return Err(MoneyError::Malformed { input: input(), reason: "its unit is neither tiyin nor sum" });
        }
        let fraction = fraction.unwrap_or("");
        let (cents, rest) = fraction.split_at(fraction.len().min(2));
        if rest.bytes().any(|b| b != b'0') {
            return Err(MoneyError::FractionOfTiyin { input: input() });
        }
        let cents: i64 = if cents.is_empty() { 0 } else { format!("{cents:0<2}").parse().unwrap_or(0) };
        whole.checked_mul(TIYIN_PER_SUM).and_then(|t| t.checked_add(cents)).map(Tiyin).ok_or_else(too_large)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_read_and_bare_numbers_refused() {
        assert_eq!("150000tiyin".parse::<Tiyin>().unwrap().tiyin(), 150_000);
        assert_eq!(" 150000 tiyin ".parse::<Tiyin>().unwrap().tiyin(), 150_000);
        assert_eq!("1500sum".parse::<Tiyin>().unwrap().tiyin(), 150_000);
        assert_eq!("1500.5 сум".parse::<Tiyin>().unwrap().tiyin(), 150_050);
        assert_eq!("1500.50UZS".parse::<Tiyin>().unwrap().tiyin(), 150_050);
        assert_eq!("1500.500sum".parse::<Tiyin>().unwrap().tiyin(), 150_050);
        assert_eq!("10.00tiyin".parse::<Tiyin>().unwrap().tiyin(), 10);
        assert!(matches!("150000".parse::<Tiyin>(), Err(MoneyError::NoUnit { .. })));
        assert!(matches!("1500.505sum".parse::<Tiyin>(), Err(MoneyError::FractionOfTiyin { .. })));
        assert!(matches!("10.5tiyin".parse::<Tiyin>(), Err(MoneyError::FractionOfTiyin { .. })));
        assert!(matches!("-5sum".parse::<Tiyin>(), Err(MoneyError::Negative { .. })));
        assert!(matches!("1e3sum".parse::<Tiyin>(), Err(MoneyError::Malformed { .. })));
        assert!(matches!("5 dollars".parse::<Tiyin>(), Err(MoneyError::Malformed { .. })));
        assert!(matches!("sum".parse::<Tiyin>(), Err(MoneyError::Malformed { .. })));
        assert!(matches!("1.sum".parse::<Tiyin>(), Err(MoneyError::Malformed { .. })));
        assert!(matches!("99999999999999999999tiyin".parse::<Tiyin>(), Err(MoneyError::TooLarge { .. })));
        assert!(matches!("92233720368547759sum".parse::<Tiyin>(), Err(MoneyError::TooLarge { .. })));
    }

    #[test]
    fn an_error_shows_no_invisible_or_reordering_character_of_its_input() {
        for text in ["5\u{202e}mus", "5\u{1b}[31msum", "\u{2066}5sum", "5 s\u{200b}um"] {
            let shown = text.parse::<Tiyin>().unwrap_err().to_string();
            assert!(!shown.chars().any(crate::scrub::is_unsafe_char), "{shown:?}");
        }
    }

    #[test]
    fn sum_conversion_and_display() {
        assert_eq!(Tiyin::from_sum(1500).unwrap(), Tiyin::new(150_000).unwrap());
        assert!(Tiyin::from_sum(i64::MAX / 10).is_err());
        assert!(Tiyin::new(-1).is_err());
        assert_eq!(Tiyin::new(5).unwrap().to_string(), "5 tiyin (0.05 сум)");
        assert_eq!(Tiyin::new(150_000).unwrap().sum_text(), "1500.00");
        assert_eq!(Tiyin::new(3).unwrap().checked_sub(Tiyin::new(4).unwrap()), None);
        assert!(serde_json::from_str::<Tiyin>("-3").is_err());
        assert_eq!(serde_json::to_string(&Tiyin::new(42).unwrap()).unwrap(), "42");
    }
}
