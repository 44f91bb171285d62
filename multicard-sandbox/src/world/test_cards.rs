//! The cards the sandbox's payer pages take: Multicard's one documented
//! test card, and cards that exist only in this sandbox (never Multicard's)
//! so a person can try a decline, an expired card, a card without funds
//! and one whose holder must be identified first.

use crate::config::{TEST_CARD_EXPIRY, TEST_CARD_PAN};

/// What a card does on the sandbox's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardBehaviour {
    /// Takes the one-time code, then pays.
    Pays,
    /// Takes the one-time code; its issuer then declines the debit (the
    /// payment ends `error`).
    Declines,
    /// Takes the one-time code; the debit fails for lack of funds (the
    /// payment ends `error`).
    LacksFunds,
    /// Refused when it is entered: it has expired.
    Expired,
    /// Refused when it is entered: its holder must be identified first.
    NeedsIdentification,
}

/// A card the sandbox's pages take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SandboxCard {
    /// Its number.
    pub pan: &'static str,
    /// Its expiry, `YYMM` as Multicard writes it.
    pub expiry: &'static str,
    /// What it does, in a few words.
    pub does: &'static str,
    /// Whether Multicard documents it (only the test card); the others
    /// exist in this sandbox alone.
    pub documented: bool,
    pub(crate) behaviour: CardBehaviour,
}

/// The cards the sandbox's pages take: Multicard's test card first, then
/// the sandbox's own. Each takes the one-time code `112233`.
pub const SANDBOX_CARDS: &[SandboxCard] = &[
    SandboxCard {
        pan: TEST_CARD_PAN,
        expiry: TEST_CARD_EXPIRY,
        does: "pays (Multicard's documented test card)",
        documented: true,
        behaviour: CardBehaviour::Pays,
    },
    SandboxCard {
        pan: "8600000000000002",
        expiry: "3012",
        does: "declined by its issuer after the one-time code, and every payment by its token once bound (sandbox only)",
        documented: false,
        behaviour: CardBehaviour::Declines,
    },
    SandboxCard {
        pan: "8600000000000010",
        expiry: "3012",
        does: "not enough funds after the one-time code, and for every payment by its token once bound (sandbox only)",
        documented: false,
        behaviour: CardBehaviour::LacksFunds,
    },
    SandboxCard {
        pan: "8600000000000028",
        expiry: "2001",
        does: "expired: refused when entered (sandbox only)",
        documented: false,
        behaviour: CardBehaviour::Expired,
    },
    SandboxCard {
        pan: "9860000000000036",
        expiry: "3012",
        does: "its holder must be identified first: refused when entered (sandbox only)",
        documented: false,
        behaviour: CardBehaviour::NeedsIdentification,
    },
];

/// The card with number `pan` and expiry `expiry` (spaces in the number
/// and a slash in the expiry are allowed), when the sandbox has it.
pub(crate) fn find(pan: &str, expiry: &str) -> Option<&'static SandboxCard> {
    let pan: String = pan.chars().filter(|c| !c.is_whitespace()).collect();
    let expiry: String = expiry.chars().filter(|c| *c != '/' && !c.is_whitespace()).collect();
    SANDBOX_CARDS.iter().find(|card| card.pan == pan && card.expiry == expiry)
}

/// Whether card `pan` is one of the sandbox's cards whose debits fail.
pub(crate) fn declines(pan: &str) -> bool {
    SANDBOX_CARDS
        .iter()
        .any(|card| card.pan == pan && matches!(card.behaviour, CardBehaviour::Declines | CardBehaviour::LacksFunds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_are_found_by_number_and_expiry_and_only_the_test_card_is_documented() {
        assert_eq!(find("8600 5333 6409 8829", "28/06").map(|c| c.behaviour), Some(CardBehaviour::Pays));
        assert!(find(TEST_CARD_PAN, "2807").is_none(), "a wrong expiry is no card");
        assert_eq!(SANDBOX_CARDS.iter().filter(|c| c.documented).count(), 1);
        let pans: std::collections::BTreeSet<_> = SANDBOX_CARDS.iter().map(|c| c.pan).collect();
        assert_eq!(pans.len(), SANDBOX_CARDS.len(), "one behaviour per number");
    }
}
