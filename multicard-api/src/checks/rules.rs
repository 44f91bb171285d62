//! The rules a request is checked by before it is sent: data, each with the
//! vendor's page it comes from and how firmly that page states it.
//!
//! A rule the vendor's pages state refuses by default. A rule the pages are
//! silent on, or contradict in their own examples, warns by default;
//! [`RequestChecks::strict`](super::RequestChecks::strict) makes it refuse.
//! `cargo xtask live-check --probe-receipts` records what Multicard's
//! sandbox answers to the silent ones in `spec/observed/receipts.json`, so a
//! default can follow evidence.

/// How firmly the vendor's pages state a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Standing {
    /// A page states it (a `required` list, a field's description, an
    /// error example). Refused by default.
    Stated,
    /// The pages state it, but their own examples break it. Warned about by
    /// default.
    Contradicted,
    /// No page states it; it follows from the domain (the tax authority's
    /// code formats) or from arithmetic the pages imply. Warned about by
    /// default.
    Inferred,
}

/// What a check does when a request breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Logged (`tracing`, target `multicard_api::checks`) and returned by
    /// [`check`](super::check); the request is sent.
    Warn,
    /// The request is not sent: [`Error::RequestRefused`](crate::Error::RequestRefused).
    Refuse,
}

/// One rule: what it requires, where the vendor says so, and the answer
/// Multicard gives to a request that breaks it.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rule {
    /// A stable name, e.g. `payout.kyc_above_10m_sum`.
    pub id: &'static str,
    /// The operations (`operationId`) it applies to.
    pub operations: &'static [&'static str],
    /// What it requires, in English.
    pub requires: &'static str,
    /// The vendor's page (a file in `spec/vendor/`) it comes from.
    pub page: &'static str,
    /// What that page says, in the vendor's Russian (the vendor's words,
    /// quoted), or what is missing from it.
    pub vendor_says: &'static str,
    /// How firmly the page states it.
    pub standing: Standing,
    /// The `ERROR_FIELDS` `details` Multicard answers with (the vendor's
    /// wording where a page shows one; `{field}` is the field's name as the
    /// vendor's messages write it). The local sandbox answers with it.
    pub vendor_details: &'static str,
}

impl Rule {
    /// What the rule does without a policy: refuse what a page states, warn
    /// about the rest.
    pub fn default_action(&self) -> Action {
        match self.standing {
            Standing::Stated => Action::Refuse,
            Standing::Contradicted | Standing::Inferred => Action::Warn,
        }
    }
}

const INVOICE: &str = "spec/vendor/endpoints/создание-инвойса-19729296e0.md";
const PARTIAL_REFUND: &str = "spec/vendor/endpoints/частичный-возврат-24802978e0.md";
const OFD: &str = "spec/vendor/items/ofdrequest-9355028d0.md";
const SPLIT: &str = "spec/vendor/endpoints/создание-расщепленного-платежа-19729312e0.md";
const PAYOUT: &str = "spec/vendor/endpoints/создание-платежа-на-выплату-c-передачей-номера-карты-19729323e0.md";

/// Operations whose body carries an amount in tiyin.
const WITH_AMOUNT: &[&str] =
    &["create_invoice", "create_payment", "partial_refund_payment", "create_hold", "charge_hold", "create_payout"];
/// Operations whose body may carry a fiscal receipt (`ofd`).
const WITH_OFD: &[&str] = &["create_invoice", "create_payment", "partial_refund_payment", "charge_hold"];
/// Operations whose `ofd` lists what was paid for, so its totals can be set
/// against the amount (a partial refund's lists the new receipt instead).
const OFD_FOR_AMOUNT: &[&str] = &["create_invoice", "create_payment", "charge_hold"];
/// Operations whose body may carry a split (the hold page's `split` is the
/// split payment page's `splitRequest`).
const WITH_SPLIT: &[&str] = &["create_payment", "create_hold", "charge_hold"];

/// Every rule, in the order they are checked.
pub static RULES: &[Rule] = &[
    Rule {
        id: "amount.positive",
        operations: WITH_AMOUNT,
        requires: "`amount` (`refund_amount` for a partial refund) is a whole number of tiyin, above zero and within \
                   a signed 64-bit integer",
        page: INVOICE,
        vendor_says: "amount: integer, «Сумма ... в тийинах»; ERROR_FIELDS «Необходимо заполнить «Amount».»",
        standing: Standing::Stated,
        vendor_details: "Значение «{field}» неверно.",
    },
    Rule {
        id: "ofd.required",
        operations: &["create_invoice", "partial_refund_payment"],
        requires: "the fiscal receipt `ofd` is present",
        page: INVOICE,
        vendor_says: "`ofd` is in the request's `required` list (create_invoice, partial_refund_payment)",
        standing: Standing::Stated,
        vendor_details: "Необходимо заполнить «{field}».",
    },
    Rule {
        id: "ofd.not_empty",
        operations: WITH_OFD,
        requires: "a fiscal receipt lists at least one item",
        page: OFD,
        vendor_says: "silent: no minimum number of items; Multicard's own sandbox accepted `ofd: []` (integrators' \
                      report)",
        standing: Standing::Inferred,
        vendor_details: "Необходимо заполнить «{field}».",
    },
    Rule {
        id: "ofd.item.fields",
        operations: WITH_OFD,
        requires: "each receipt item has `qty`, `price`, `total` (integers), `mxik`, `name` (non-empty strings) and \
                   `package_code`",
        page: OFD,
        vendor_says: "required: qty, price, mxik, package_code, name, total",
        standing: Standing::Stated,
        vendor_details: "Необходимо заполнить «{field}».",
    },
    Rule {
        id: "ofd.item.positive",
        operations: WITH_OFD,
        requires: "each item's `qty` is above zero; `price` and `total` are not negative; all within a signed 64-bit \
                   integer",
        page: OFD,
        vendor_says: "qty «Количество единиц товара/услуги», price «Стоимость единицы товара в тийинах»",
        standing: Standing::Stated,
        vendor_details: "Значение «{field}» неверно.",
    },
    Rule {
        id: "ofd.item.vat_percent",
        operations: WITH_OFD,
        requires: "an item's `vat`, when given, is a percent from 0 to 100",
        page: OFD,
        vendor_says: "vat «НДС (%)»",
        standing: Standing::Stated,
        vendor_details: "Значение «{field}» неверно.",
    },
    Rule {
        id: "ofd.item.total_is_price_times_qty",
        operations: WITH_OFD,
        requires: "an item's `total` is `price` × `qty`",
        page: INVOICE,
        vendor_says: "total «Общая сумма товаров с учетом количества без учета скидок в тийинах»; yet the invoice \
                      page's example has price 2500000 × qty 1 with total 25000000",
        standing: Standing::Contradicted,
        vendor_details: "Значение «{field}» неверно.",
    },
    Rule {
        id: "ofd.totals_match_amount",
        operations: OFD_FOR_AMOUNT,
        requires: "the items' totals add up to the amount",
        page: INVOICE,
        vendor_says: "silent; the invoice page's example has amount 500000 with item totals 25000000 and 2500000",
        standing: Standing::Contradicted,
        vendor_details: "Значение «{field}» неверно.",
    },
    Rule {
        id: "ofd.item.mxik_shape",
        operations: WITH_OFD,
        requires: "`mxik` is the 17 digits of a code from the tax authority's catalogue (tasnif.soliq.uz)",
        page: OFD,
        vendor_says: "mxik «ИКПУ из справочника tasnif.soliq.uz» (no format stated; the examples are 17 digits)",
        standing: Standing::Inferred,
        vendor_details: "Значение «{field}» неверно.",
    },
    Rule {
        id: "ofd.item.package_code_shape",
        operations: WITH_OFD,
        requires: "`package_code` is digits (a package code from tasnif.soliq.uz)",
        page: OFD,
        vendor_says: "package_code «Код упаковки из справочника tasnif.soliq.uz» (no format stated; the examples are \
                      7 digits)",
        standing: Standing::Inferred,
        vendor_details: "Значение «{field}» неверно.",
    },
    Rule {
        id: "ofd.item.marks_per_unit",
        operations: WITH_OFD,
        requires: "an item's `mark`, when given, holds one non-empty code per unit (`qty` codes)",
        page: OFD,
        vendor_says: "mark «Массив с кодами маркировок каждой единицы товара. Обязателен для маркировочных товаров» \
                      (which goods are marked is the merchant's knowledge, not the request's)",
        standing: Standing::Inferred,
        vendor_details: "Значение «{field}» неверно.",
    },
    Rule {
        id: "split.item.positive",
        operations: WITH_SPLIT,
        requires: "each split's `amount` is above zero",
        page: SPLIT,
        vendor_says: "amount «Сумма платежа»",
        standing: Standing::Stated,
        vendor_details: "Значение «{field}» неверно.",
    },
    Rule {
        id: "split.within_amount",
        operations: WITH_SPLIT,
        requires: "the splits add up to no more than the amount minus Multicard's commission (the commission is \
                   known only when given: `RequestChecks::split_commission`)",
        page: SPLIT,
        vendor_says: "«Сумма значений amount в массиве split не должна превышать суммы оплаты за вычетом комиссии»",
        standing: Standing::Stated,
        vendor_details: "Сумма значений amount в массиве split не должна превышать суммы оплаты за вычетом комиссии",
    },
    Rule {
        id: "payout.kyc_above_10m_sum",
        operations: &["create_payout"],
        requires: "a payout above 10 million сум (1,000,000,000 tiyin; «свыше»: strictly above) carries `kyc_data`",
        page: PAYOUT,
        vendor_says: "«Создание платежа свыше 10 млн сум без полей kyc» → ERROR_FIELDS",
        standing: Standing::Stated,
        vendor_details: "Для пополнения на эту сумму необходимо пройти идентификацию",
    },
];

/// The rule named `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// The partial refund page: where the new receipt's contents are not stated.
pub const PARTIAL_REFUND_PAGE: &str = PARTIAL_REFUND;
