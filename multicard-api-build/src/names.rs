//! The Rust names the generated code gives to what the spec names, each
//! rule written once and with `heck`, the crate progenitor and typify name
//! things with:
//! - an operation's builder, as progenitor names it: `get_card` gives
//!   `builder::GetCard`;
//! - the type of an inline object, as typify names it: property `kyc_data`
//!   of `CardBindRequest` gives `CardBindRequestKycData`;
//! - an open enum's variant, this generator's own rule: `ERROR_FIELDS`
//!   gives `ErrorFields`.

use heck::ToUpperCamelCase;

/// The builder progenitor generates for the operation `operation_id`, in
/// `crate::builder`: `get_card` gives `GetCard`.
pub fn builder_name(operation_id: &str) -> String {
    operation_id.to_upper_camel_case()
}

/// The type typify generates for the inline schema of `property` inside the
/// type `parent`: `CardBindRequest` and `kyc_data` give
/// `CardBindRequestKycData`.
pub fn inline_type_name(parent: &str, property: &str) -> String {
    format!("{parent}{}", property.to_upper_camel_case())
}

/// The Rust variant name of an enum value: `ERROR_FIELDS` gives
/// `ErrorFields`, `draft` gives `Draft`; a name that would not start with a
/// letter is prefixed with `V` (`3ds` gives `V3ds`), and `Unknown`, taken
/// by the variant that keeps values the spec does not list, becomes
/// `UnknownValue`.
pub fn variant_name(value: &str) -> String {
    let mut out = value.to_upper_camel_case();
    if !out.starts_with(char::is_alphabetic) {
        out.insert(0, 'V');
    }
    if out == "Unknown" {
        out.push_str("Value");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_names_follow_progenitor() {
        assert_eq!(builder_name("get_token"), "GetToken");
        assert_eq!(builder_name("partial_refund_payment"), "PartialRefundPayment");
    }

    #[test]
    fn inline_type_names_follow_typify() {
        assert_eq!(inline_type_name("CardBindRequest", "kyc_data"), "CardBindRequestKycData");
        assert_eq!(inline_type_name("CreatePayoutRequest", "card"), "CreatePayoutRequestCard");
    }

    #[test]
    fn variant_names_are_rust_identifiers() {
        assert_eq!(variant_name("ERROR_FIELDS"), "ErrorFields");
        assert_eq!(variant_name("draft"), "Draft");
        assert_eq!(variant_name("card.bound"), "CardBound");
        assert_eq!(variant_name("unknown"), "UnknownValue");
        assert_eq!(variant_name("3ds"), "V3ds");
        assert_eq!(variant_name(""), "V");
    }
}
