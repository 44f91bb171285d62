//! One clean value from fields Multicard sends in more than one JSON type.
//!
//! The generated types accept every shape seen on the wire (the decoding
//! policy, README "Reading what Multicard really sends"); these accessors
//! give callers the one value they want.

use crate::types::{Flag, IntegerOrString, KycData, StoreId};

impl Flag {
    /// `true` for `true` or any non-zero number (`1`).
    pub fn is_set(&self) -> bool {
        match self {
            Flag::Boolean(value) => *value,
            Flag::Integer(value) => *value != 0,
        }
    }
}

impl IntegerOrString {
    /// The number, whether it came as `300000` or `"300000"`; `None` for a
    /// string that is not a whole number.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            IntegerOrString::Integer(value) => Some(*value),
            IntegerOrString::String(text) => text.trim().parse().ok(),
        }
    }
}

impl StoreId {
    /// The numeric store id, whether it came as `6` or `"6"`; `None` for a
    /// store UUID. Its text as Multicard signs it (the integer's decimal
    /// digits, or the string as sent) is its `Display`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StoreId::Integer(value) => Some(*value),
            StoreId::String(text) => text.trim().parse().ok(),
        }
    }
}

impl From<&str> for StoreId {
    fn from(text: &str) -> Self {
        StoreId::String(text.to_string())
    }
}

impl From<String> for StoreId {
    fn from(text: String) -> Self {
        StoreId::String(text)
    }
}

impl KycData {
    /// The identity fields as an object, whether they came as an object or
    /// as a JSON string holding one; `None` for a string that is not a JSON
    /// object.
    pub fn fields(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match self {
            KycData::Object(map) => Some(map.clone()),
            KycData::String(text) => match serde_json::from_str(text) {
                Ok(serde_json::Value::Object(map)) => Some(map),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shape_gives_one_value() {
        assert!(Flag::Integer(1).is_set() && Flag::Boolean(true).is_set());
        assert!(!Flag::Integer(0).is_set() && !Flag::Boolean(false).is_set());
        assert_eq!(IntegerOrString::String("300000".into()).as_i64(), Some(300_000));
        assert_eq!(IntegerOrString::Integer(5).as_i64(), Some(5));
        assert_eq!(IntegerOrString::String("n/a".into()).as_i64(), None);
        let text = KycData::String(r#"{"pinfl": "123"}"#.into());
        assert_eq!(text.fields().unwrap()["pinfl"], "123");
        assert_eq!(KycData::String("[1]".into()).fields(), None);
        assert_eq!((StoreId::Integer(6).as_i64(), StoreId::from("6").as_i64()), (Some(6), Some(6)));
        let uuid = StoreId::from("0b9c0c4e-8a8f-11ef-9a1b-00505680eaf6");
        assert_eq!(uuid.as_i64(), None);
        assert_eq!(
            (StoreId::Integer(6).to_string(), uuid.to_string()),
            ("6".into(), "0b9c0c4e-8a8f-11ef-9a1b-00505680eaf6".into())
        );
    }
}
