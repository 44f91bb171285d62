//! Requests checked before anything is sent: fiscal receipts, amounts,
//! splits and identification.
//!
//! Every write that carries an amount, a fiscal receipt (`ofd`) or a split
//! is checked by [`RULES`] on its way out, in
//! [`Multicard::send`](crate::Multicard::send) (the typed builders) as in
//! the CLI: a rule the vendor's pages state refuses the request with
//! [`Error::RequestRefused`](crate::Error::RequestRefused), naming the rule
//! and the field, and nothing is sent; a rule the pages are silent on or
//! contradict warns (a `tracing` event at `WARN`, target
//! `multicard_api::checks`) and the request goes. [`RequestChecks`] is the
//! policy: [`RequestChecks::strict`] refuses on warnings too,
//! [`RequestChecks::with_rule`] sets one rule, and
//! [`RequestChecks::split_commission`] gives the commission a split must
//! leave room for (not known before sending otherwise).
//!
//! | rule | standing | default |
//! |---|---|---|
//! | `amount.positive` | stated | refuse |
//! | `ofd.required` (invoice, partial refund) | stated | refuse |
//! | `ofd.not_empty` | silent | warn |
//! | `ofd.item.fields`, `ofd.item.positive`, `ofd.item.vat_percent` | stated | refuse |
//! | `ofd.item.total_is_price_times_qty` | contradicted by the vendor's example | warn |
//! | `ofd.totals_match_amount` | silent, contradicted by the vendor's example | warn |
//! | `ofd.item.mxik_shape` (17 digits), `ofd.item.package_code_shape` (digits) | inferred | warn |
//! | `ofd.item.marks_per_unit` | inferred | warn |
//! | `split.item.positive`, `split.within_amount` | stated | refuse (without a commission: above the amount refuses, otherwise a warning) |
//! | `payout.kyc_above_10m_sum` (strictly above 1,000,000,000 tiyin) | stated | refuse |
//!
//! Each rule's page and the vendor's words are in [`Rule`]. A receipt made
//! by [`Receipt`](crate::receipt::Receipt) passes every receipt rule.
//!
//! ```
//! use multicard_api::checks::{check, RequestChecks};
//! use serde_json::json;
//!
//! let body = json!({"amount": 1_000_000_001, "card": {"pan": "8600…"}, "store_id": 6, "invoice_id": "p-1"});
//! let findings = check("create_payout", &body, &RequestChecks::new());
//! assert_eq!(findings[0].rule.id, "payout.kyc_above_10m_sum");
//! assert_eq!(findings[0].field, "kyc_data");
//! ```

mod body;
mod rules;

use std::fmt;

use serde::Serialize;

pub use rules::{Action, PARTIAL_REFUND_PAGE, RULES, Rule, Standing, rule};

use crate::money::Tiyin;

/// Which rules refuse and which warn, and what the checks cannot know alone.
///
/// The default refuses what the vendor's pages state and warns about the
/// rest ([`Rule::default_action`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestChecks {
    strict: bool,
    overrides: Vec<(&'static str, Action)>,
    commission: Option<Tiyin>,
}

impl RequestChecks {
    /// The default policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every rule refuses, the silent and contradicted ones too (a rule set
    /// by [`RequestChecks::with_rule`] keeps its action).
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Rule `id` takes `action`. An id that names no rule is refused,
    /// listing the ids there are.
    pub fn with_rule(mut self, id: &str, action: Action) -> Result<Self, UnknownRule> {
        let Some(rule) = rules::rule(id) else {
            return Err(UnknownRule { id: id.chars().take(64).collect() });
        };
        self.overrides.retain(|(other, _)| *other != rule.id);
        self.overrides.push((rule.id, action));
        Ok(self)
    }

    /// The commission Multicard takes from this payment (the store's rate
    /// applied to the amount), so `split.within_amount` can check that the
    /// splits leave room for it. Without it, a split above the amount is
    /// refused and one within it warned about.
    pub fn split_commission(mut self, commission: Tiyin) -> Self {
        self.commission = Some(commission);
        self
    }

    /// What `rule` does under this policy.
    pub fn action(&self, rule: &Rule) -> Action {
        if let Some((_, action)) = self.overrides.iter().find(|(id, _)| *id == rule.id) {
            return *action;
        }
        if self.strict { Action::Refuse } else { rule.default_action() }
    }
}

/// [`RequestChecks::with_rule`] was given an id that names no rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownRule {
    /// The id given (at most 64 characters).
    pub id: String,
}

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        write!(f, "no request check is named {:?}; the checks are: {}", self.id, known.join(", "))
    }
}

impl std::error::Error for UnknownRule {}

/// A rule a request breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The rule.
    #[serde(serialize_with = "rule_id")]
    pub rule: &'static Rule,
    /// Where in the body, e.g. `ofd[1].total`, `kyc_data`.
    pub field: String,
    /// What is wrong with it, with the values (amounts, counts; never a
    /// card number or other request text beyond codes and names of goods).
    pub message: String,
    /// What the policy does about it.
    pub action: Action,
    /// The field is absent (or `null`), as against present and wrong:
    /// Multicard words the two differently («Необходимо заполнить …» and
    /// «Значение … неверно.»).
    pub missing: bool,
}

fn rule_id<S: serde::Serializer>(rule: &&'static Rule, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(rule.id)
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(match self {
            Action::Warn => "warn",
            Action::Refuse => "refuse",
        })
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.action {
            Action::Warn => "warning",
            Action::Refuse => "refused",
        };
        write!(f, "`{}` {} ({verb}: {}: {})", self.field, self.message, self.rule.id, self.rule.requires)
    }
}

/// Every rule `operation`'s request `body` breaks, each with what `policy`
/// does about it. Operations no rule covers have none.
pub fn check(operation: &str, body: &serde_json::Value, policy: &RequestChecks) -> Vec<Finding> {
    if !applies(operation) {
        return Vec::new();
    }
    body::findings(operation, body, policy)
}

/// Whether any rule covers `operation`. Every call asks, so this is a
/// `match` (the unit test holds it to [`RULES`]).
pub fn applies(operation: &str) -> bool {
    matches!(
        operation,
        "create_invoice"
            | "create_payment"
            | "partial_refund_payment"
            | "create_hold"
            | "charge_hold"
            | "create_payout"
    )
}

/// The findings that refuse, or `None`; each warning is logged once.
pub(crate) fn refusals(operation: &'static str, findings: Vec<Finding>) -> Option<Vec<Finding>> {
    let (refused, warned): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| f.action == Action::Refuse);
    for finding in &warned {
        tracing::warn!(target: "multicard_api::checks", operation, rule = finding.rule.id, "{finding}");
    }
    (!refused.is_empty()).then_some(refused)
}

#[cfg(test)]
mod tests {
    #[test]
    fn applies_names_exactly_the_operations_of_the_rules() {
        let mut ruled: Vec<&str> = super::RULES.iter().flat_map(|rule| rule.operations.iter().copied()).collect();
        ruled.sort_unstable();
        ruled.dedup();
        let all = crate::operation_table::OPERATIONS.iter().map(|op| op.id);
        let applied: Vec<&str> =
            all.filter(|id| super::applies(id)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        assert_eq!(applied, ruled);
    }
}
