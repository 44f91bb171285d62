//! A partial refund's new receipt, inferred: what the payer keeps.

use super::{Item, Receipt, ReceiptError, error};
use crate::money::Tiyin;
use crate::types::{IntegerOrString, OfdItemsItem};

/// Units returned from one line of the original receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Returned {
    /// `qty` units of line `line` (counted from 0) of unmarked goods.
    Units {
        /// The line of the original receipt.
        line: usize,
        /// How many units come back.
        qty: u32,
    },
    /// Marked goods of line `line`: the codes of the units that come back.
    Marked {
        /// The line of the original receipt.
        line: usize,
        /// The marking codes of the returned units.
        codes: Vec<String>,
    },
}

/// What [`remaining`] answers: the refund and the new receipt.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Remaining {
    /// The `refund_amount`: the returned units at their listed prices.
    pub refund_amount: Tiyin,
    /// The new receipt's items: the original less what came back.
    pub receipt: Receipt,
}

/// The refund of `returned` units of the `original` receipt and the new
/// receipt a partial refund carries, **inferred** to list what the payer
/// keeps: the vendor's pages say a new receipt is issued and the old one
/// cancelled, not what it lists. Returning every unit is refused: that is a
/// full refund (`refund_payment`).
///
/// `original` is the receipt **in force**: the one paid, or after an
/// earlier partial refund the new receipt that refund carried (its
/// `receipt.items()`, kept by the merchant), never the one first paid again.
/// Lines are counted in that receipt: a line returned in full by an earlier
/// refund is gone from it, and the lines after it move up. A free line
/// (price 0) is carried over as it is.
///
/// ```
/// use multicard_api::money::Tiyin;
/// use multicard_api::receipt::{Item, Receipt, Returned, remaining};
///
/// let paid = Receipt::builder()
///     .item(Item::new("Tea", "06401004002000000", "1506113", Tiyin::new(250_000)?, 4))
///     .build()?;
/// let refund = remaining(paid.items(), &[Returned::Units { line: 0, qty: 1 }])?;
/// assert_eq!(refund.refund_amount, Tiyin::new(250_000)?);
/// assert_eq!(refund.receipt.items()[0].qty, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn remaining(original: &[OfdItemsItem], returned: &[Returned]) -> Result<Remaining, ReceiptError> {
    let mut kept: Vec<(Item, u32)> = Vec::with_capacity(original.len());
    for (line, wire) in original.iter().enumerate() {
        let qty =
            u32::try_from(wire.qty).map_err(|_| error(Some(line), "qty", format!("{} is not a quantity", wire.qty)))?;
        let price = Tiyin::new(wire.price).map_err(|e| error(Some(line), "price", e.to_string()))?;
        let package = match &wire.package_code {
            IntegerOrString::Integer(n) => n.to_string(),
            IntegerOrString::String(s) => s.clone(),
        };
        let mut item = Item::new(wire.name.clone(), wire.mxik.clone(), package, price, qty);
        item.vat = match wire.vat {
            Some(vat) => Some(
                u8::try_from(vat)
                    .map_err(|_| error(Some(line), "vat", format!("{vat} is not a percent from 0 to 100")))?,
            ),
            None => None,
        };
        item.tin = wire.tin.clone();
        if !wire.mark.is_empty() {
            item.marks = Some(wire.mark.clone());
        }
        kept.push((item, qty));
    }
    let mut refund = Tiyin::ZERO;
    for back in returned {
        let line = match back {
            Returned::Units { line, .. } | Returned::Marked { line, .. } => *line,
        };
        let (item, left) = kept
            .get_mut(line)
            .ok_or_else(|| error(Some(line), "qty", format!("the original receipt has {} lines", original.len())))?;
        let count = match back {
            Returned::Units { qty, .. } => {
                if item.marks.is_some() {
                    return Err(error(Some(line), "mark", "marked goods: name the returned units' codes"));
                }
                *qty
            }
            Returned::Marked { codes, .. } => {
                let marks =
                    item.marks.as_mut().ok_or_else(|| error(Some(line), "mark", "this line has no marking codes"))?;
                for code in codes {
                    let at = marks
                        .iter()
                        .position(|m| m == code)
                        .ok_or_else(|| error(Some(line), "mark", "a returned code is not on this line"))?;
                    marks.remove(at);
                }
                u32::try_from(codes.len()).unwrap_or(u32::MAX)
            }
        };
        if count == 0 || count > *left {
            return Err(error(Some(line), "qty", format!("{count} units returned of {left} left")));
        }
        *left -= count;
        let value = item
            .price
            .checked_mul(i64::from(count))
            .and_then(|v| refund.checked_add(v))
            .ok_or_else(|| error(Some(line), "total", "the refund is beyond a 64-bit amount"))?;
        refund = value;
    }
    if refund == Tiyin::ZERO {
        return Err(error(None, "refund_amount", "nothing is returned"));
    }
    let items: Vec<Item> = kept
        .into_iter()
        .filter(|(_, left)| *left > 0)
        .map(|(mut item, left)| {
            item.qty = left;
            item
        })
        .collect();
    if items.is_empty() {
        return Err(error(None, "refund_amount", "every unit is returned: that is a full refund (`refund_payment`)"));
    }
    // Lines of a receipt already issued: a free one (price 0) is carried over.
    let receipt = super::ReceiptBuilder { items, amount: None, free_lines: true }.build()?;
    Ok(Remaining { refund_amount: refund, receipt })
}
