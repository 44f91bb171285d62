//! Fiscal receipts (`ofd`) that cannot be inconsistent.
//!
//! Every invoice and refund in Uzbekistan carries a fiscal receipt: the
//! items sold, each with its price in tiyin, quantity, total and the codes
//! of the tax authority's catalogue (tasnif.soliq.uz). [`Receipt::builder`]
//! makes one from [`Item`]s: it computes each `total` (price × quantity),
//! derives the amount from the items (or checks the one given), checks the
//! codes' shape (`mxik`: 17 digits; `package_code`: digits) and refuses
//! marked goods without one code per unit (or with a code given to two
//! units). Its items pass every rule of [`checks`](crate::checks).
//!
//! ```
//! use multicard_api::money::Tiyin;
//! use multicard_api::receipt::{Item, Receipt};
//!
//! let receipt = Receipt::builder()
//!     .item(Item::new("Green tea, 100 g", "06401004002000000", "1506113", "12500sum".parse()?, 2).vat(12))
//!     .item(Item::new("Delivery", "10107002001000000", "1519041", Tiyin::from_sum(15_000)?, 1))
//!     .build()?;
//! assert_eq!(receipt.amount(), Tiyin::from_sum(40_000)?);
//! assert_eq!(receipt.items()[0].total, 2_500_000);
//! // `.ofd(receipt.ofd())` and `.amount(receipt.amount())` on `create_invoice`.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Partial refunds
//!
//! A partial refund issues a new receipt and cancels the old one. The
//! vendor's pages do not state what the new receipt lists; the caller
//! supplies its items ([`Receipt`] as for an invoice). [`remaining`] makes
//! them on the **inference** that the new receipt lists what the payer
//! keeps (the original items less those returned), and derives the refund
//! amount from the returned units. Until live traffic confirms it, check
//! the first partial refunds in the Multicard cabinet.

mod item;
mod remaining;

use std::fmt;

pub use item::Item;
pub use remaining::{Remaining, Returned, remaining};

use crate::money::Tiyin;
use crate::types::{IntegerOrString, OfdItems, OfdItemsItem};

/// A fiscal receipt whose items are consistent and whose amount is theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    items: Vec<OfdItemsItem>,
    amount: Tiyin,
}

/// A mistake in a receipt: which line (from 0), which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}`{field}`: {problem}", line.map(|l| format!("receipt item {l}: ")).unwrap_or_else(|| "receipt: ".into()))]
#[non_exhaustive]
pub struct ReceiptError {
    /// The line, counted from 0; `None` for the receipt as a whole.
    pub line: Option<usize>,
    /// The field, as the wire names it (`mxik`, `total`, `mark`, `amount`).
    pub field: &'static str,
    /// What is wrong, with the values.
    pub problem: String,
}

fn error(line: Option<usize>, field: &'static str, problem: impl Into<String>) -> ReceiptError {
    ReceiptError { line, field, problem: problem.into() }
}

/// Collects the items of a [`Receipt`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ReceiptBuilder {
    items: Vec<Item>,
    amount: Option<Tiyin>,
    /// A price of 0 passes: only for lines carried over from a receipt
    /// already issued ([`remaining`]); a new line at 0 is a forgotten price.
    free_lines: bool,
}

impl Receipt {
    /// An empty builder.
    pub fn builder() -> ReceiptBuilder {
        ReceiptBuilder::default()
    }

    /// What the payer pays for these items: the sum of their totals.
    pub fn amount(&self) -> Tiyin {
        self.amount
    }

    /// The items as the wire carries them.
    pub fn items(&self) -> &[OfdItemsItem] {
        &self.items
    }

    /// The `ofd` of a request.
    pub fn ofd(&self) -> OfdItems {
        OfdItems(self.items.clone())
    }
}

impl From<Receipt> for OfdItems {
    fn from(receipt: Receipt) -> OfdItems {
        OfdItems(receipt.items)
    }
}

impl ReceiptBuilder {
    /// Adds a line.
    pub fn item(mut self, item: Item) -> Self {
        self.items.push(item);
        self
    }

    /// Adds lines.
    pub fn items(mut self, items: impl IntoIterator<Item = Item>) -> Self {
        self.items.extend(items);
        self
    }

    /// The amount the request will carry: [`ReceiptBuilder::build`] refuses
    /// items whose totals add up to anything else.
    pub fn expect_amount(mut self, amount: Tiyin) -> Self {
        self.amount = Some(amount);
        self
    }

    /// The receipt, or the first mistake in it.
    pub fn build(self) -> Result<Receipt, ReceiptError> {
        if self.items.is_empty() {
            return Err(error(None, "ofd", "a receipt lists at least one item"));
        }
        let mut items = Vec::with_capacity(self.items.len());
        let mut amount = Tiyin::ZERO;
        // A marking code names one unit: no two units share one.
        let mut marks = std::collections::HashSet::new();
        for (line, item) in self.items.into_iter().enumerate() {
            let wire = line_of(line, item, self.free_lines)?;
            if let Some(twice) = wire.mark.iter().position(|code| !marks.insert(code.clone())) {
                return Err(error(Some(line), "mark", format!("code {twice} is already another unit's")));
            }
            let total = Tiyin::new(wire.total).map_err(|e| error(Some(line), "total", e.to_string()))?;
            amount = amount
                .checked_add(total)
                .ok_or_else(|| error(Some(line), "total", "the totals add up to more than a 64-bit amount"))?;
            items.push(wire);
        }
        if let Some(expected) = self.amount
            && expected != amount
        {
            return Err(error(None, "amount", format!("the items add up to {amount}, not the expected {expected}")));
        }
        Ok(Receipt { items, amount })
    }
}

/// One line, checked, as the wire carries it.
fn line_of(line: usize, item: Item, free_lines: bool) -> Result<OfdItemsItem, ReceiptError> {
    let at = |field, problem: String| error(Some(line), field, problem);
    if item.name.trim().is_empty() {
        return Err(at("name", "the name is empty".into()));
    }
    check_mxik(&item.mxik).map_err(|p| at("mxik", p))?;
    check_package_code(&item.package_code).map_err(|p| at("package_code", p))?;
    if item.qty == 0 {
        return Err(at("qty", "the quantity is 0".into()));
    }
    if item.price == Tiyin::ZERO && !free_lines {
        return Err(at("price", "the price is 0 tiyin".into()));
    }
    if let Some(vat) = item.vat
        && vat > 100
    {
        return Err(at("vat", format!("{vat} is not a percent from 0 to 100")));
    }
    let qty = i64::from(item.qty);
    let line_total =
        item.price.checked_mul(qty).ok_or_else(|| at("total", "price × quantity is beyond a 64-bit amount".into()))?;
    let price = if item.discount == Tiyin::ZERO {
        item.price
    } else {
        if item.discount >= line_total {
            return Err(at("price", format!("the discount {} is not below the line's {line_total}", item.discount)));
        }
        if item.discount.tiyin() % qty != 0 {
            return Err(at(
                "price",
                format!(
                    "the discount {} does not divide into whole tiyin over {qty} units (the receipt lists a unit \
                     price; split the line)",
                    item.discount
                ),
            ));
        }
        Tiyin::new(item.price.tiyin() - item.discount.tiyin() / qty).map_err(|e| at("price", e.to_string()))?
    };
    if let Some(marks) = &item.marks {
        if marks.len() != item.qty as usize {
            return Err(at("mark", format!("marked goods need one code per unit: {} codes for {qty}", marks.len())));
        }
        if let Some(blank) = marks.iter().position(|m| m.trim().is_empty()) {
            return Err(at("mark", format!("code {blank} is empty")));
        }
    }
    if let Some(tin) = &item.tin
        && !(matches!(tin.len(), 9 | 14) && tin.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(at("tin", "a taxpayer number is 9 digits (a company) or 14 (a person's PINFL)".into()));
    }
    let total = price.checked_mul(qty).ok_or_else(|| at("total", "beyond a 64-bit amount".into()))?;
    Ok(OfdItemsItem {
        mark: item.marks.unwrap_or_default(),
        mxik: item.mxik,
        name: item.name,
        package_code: IntegerOrString::String(item.package_code),
        price: price.tiyin(),
        qty,
        tin: item.tin,
        total: total.tiyin(),
        vat: item.vat.map(i64::from),
    })
}

/// `mxik`: the 17 digits of an ИКПУ.
fn check_mxik(mxik: &str) -> Result<(), String> {
    if mxik.len() == 17 && mxik.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(format!("{:?} is not the 17 digits of a code from tasnif.soliq.uz", Shown(mxik)))
}

/// `package_code`: digits, as tasnif.soliq.uz's package codes are.
fn check_package_code(code: &str) -> Result<(), String> {
    if !code.is_empty() && code.len() <= 20 && code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(format!("{:?} is not a package code (digits, from tasnif.soliq.uz)", Shown(code)))
}

/// At most 40 characters of a code, for an error.
struct Shown<'a>(&'a str);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(40).collect();
        fmt::Debug::fmt(&shown, f)
    }
}
